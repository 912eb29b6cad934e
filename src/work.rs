//! A count of the bytes the engine's own parsing reads, so that tests can hold a line's work to
//! a constant times its length (attackers write log lines: a stage that reads ahead to the end
//! of the line at every keyword is quadratic, and a test of outputs does not see it).
//!
//! Each stage that reads a span of the line (a key, a value's end, an escape run, a view pass,
//! a memory look-up) adds what it read. The regex crate's own searches are linear and are not
//! counted. Outside the crate's tests this compiles to nothing.

#[cfg(test)]
thread_local! {
    static READ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// `n` more bytes read by a stage.
#[inline(always)]
pub(crate) fn read(n: usize) {
    #[cfg(test)]
    READ.with(|c| c.set(c.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// The bytes counted on this thread since the last call.
#[cfg(test)]
pub(crate) fn take() -> u64 {
    READ.with(|c| c.replace(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use std::sync::LazyLock;

    static ENGINE: LazyLock<Engine> = LazyLock::new(Engine::builtin);

    /// What hostile lines are made of: keys in every syntax's opening, our masks, escapes,
    /// quotes and brackets, token prefixes, SQL and DynamoDB expressions, PEM armour.
    const FRAGMENTS: &[&str] = &[
        "token=",
        "\"token\":\"",
        "'password': '",
        "secret: ",
        "Cookie: a=",
        "Bearer ",
        "Authorization: Bearer ",
        "<Password>",
        ":tokens",
        "?sig=",
        "&api_key=",
        "session_id=",
        "password ",
        "refresh_token",
        "x-amz-security-token:",
        "\\",
        "\\\"",
        "\\\\\\\"",
        "\\n",
        "\\u001b[32m",
        "\x1b[32m",
        "\"",
        "'",
        "`",
        "(",
        ")",
        "[",
        "{",
        "}",
        "<",
        ">",
        "=",
        ":",
        ",",
        ";",
        " ",
        "x",
        "Zk3qP9vX2mLr8TnW",
        "eyJ",
        "eyJhbGciOiJIUzI1NiJ9.",
        "ghp_",
        "AKIA",
        "arn:aws:",
        "[REDACTED",
        "[REDACTED:token]",
        "***",
        "SecretStr('",
        "{\"S\": \"",
        "INSERT INTO t (password) VALUES (",
        "SET refresh_token = :t1, ",
        "#n0 = :v0, ",
        "-----BEGIN RSA PRIVATE KEY-----",
        "https://user:",
        "@",
        "%3D",
        "&#34;",
        "''",
        // Records about a secret, clauses, a console's right margin.
        "next=",
        "\"previous\":\"",
        "old=",
        "new=",
        "got: '",
        "password mismatch for ",
        " -> ",
        "  app.py:68",
        "keys: [",
        "pbkdf2_sha256$1$",
    ];

    /// The work of one fresh scanner on `line`.
    fn work_of(line: &[u8]) -> u64 {
        let mut scanner = ENGINE.scanner();
        let mut out = Vec::new();
        take();
        scanner.scan_line(line, &mut out);
        take()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// A line of `n` bytes costs the engine's parsing at most a constant times `n`: the
        /// same pattern repeated 8 times as long costs at most ~8 times the work (a stage that
        /// reads ahead to the line's end at every keyword would cost 64 times), and at most
        /// `PER_BYTE` bytes read per byte of the line.
        #[test]
        fn work_grows_with_the_line_not_its_square(
            unit in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 1..10)
        ) {
            const PER_BYTE: u64 = 256;
            let unit = unit.concat();
            let line = |n: usize| unit.as_bytes().repeat(n.div_ceil(unit.len()))[..n].to_vec();
            let (short, long) = (line(4 << 10), line(32 << 10));
            let (w_short, w_long) = (work_of(&short), work_of(&long));
            // The slack: a few more passes over the long line, as where the cut at its end
            // makes a value the short line does not have (a stage reading the line again per
            // keyword would cost 64 times the short line's work, far past it).
            proptest::prop_assert!(
                w_long <= 10 * w_short + 8 * long.len() as u64,
                "{unit:?}: {w_short} bytes read for 4 KiB, {w_long} for 32 KiB"
            );
            proptest::prop_assert!(
                w_long <= PER_BYTE * long.len() as u64,
                "{unit:?}: {w_long} bytes read for 32 KiB"
            );
        }
    }

    #[test]
    fn the_counter_counts_a_known_read() {
        // `token=` then a value to the line's end: the key, the value's end, the masks.
        let n = 1 << 16;
        let line = format!("token={}", "a".repeat(n));
        let w = work_of(line.as_bytes());
        assert!(w as usize >= n && (w as usize) < 16 * n, "{w}");
    }
}
