//! Rule-specific checks that a regex cannot express: a JWT's segments decode to JSON, a GitHub
//! token's checksum holds, a `Basic` credential decodes to `user:password`.
//!
//! A validator sees the whole regex match and returns whether it is a real secret. Validators
//! are named in the catalog (`validator = "jwt"`).

use crate::byteclass::byte_map;
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

/// The validators a catalog rule may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    /// `header.payload.signature`: header and payload are base64url JSON objects.
    Jwt,
    /// Five-segment JWE: the protected header is a base64url JSON object with `enc`.
    Jwe,
    /// `gh?_` + 30 random chars + 6 chars of base62 CRC32 of them.
    GithubCrc32,
    /// The base64 after `Basic ` decodes to printable `user:password`.
    BasicAuth,
    /// The secret looks random: letters and digits mixed, not a word or a number.
    Random,
    /// A Discord bot token: its first part is the bot's user id (a snowflake) in base64.
    DiscordBotToken,
    /// The secret's last 8 bytes are the CRC-32 (IEEE) of the bytes before them, in lowercase
    /// hex (Cloudflare's scannable keys and tokens).
    Crc32Hex,
    /// `glsa_<secret>_<checksum>`: the CRC-32 (IEEE) of what comes before the last `_`, its
    /// bytes little-endian, in lowercase hex (Grafana service account tokens).
    GrafanaCrc32,
}

impl Validator {
    pub(crate) const NAMES: &'static [&'static str] = &[
        "jwt",
        "jwe",
        "github-crc32",
        "basic-auth",
        "random",
        "discord-bot-token",
        "crc32-hex",
        "grafana-crc32",
    ];

    pub(crate) fn from_name(name: &str) -> Option<Validator> {
        Some(match name {
            "jwt" => Validator::Jwt,
            "jwe" => Validator::Jwe,
            "github-crc32" => Validator::GithubCrc32,
            "basic-auth" => Validator::BasicAuth,
            "random" => Validator::Random,
            "discord-bot-token" => Validator::DiscordBotToken,
            "crc32-hex" => Validator::Crc32Hex,
            "grafana-crc32" => Validator::GrafanaCrc32,
            _ => return None,
        })
    }

    /// Is this match a real secret? `token` is the whole match, `secret` its secret group.
    pub(crate) fn check(self, token: &[u8], secret: &[u8]) -> bool {
        match self {
            Validator::Jwt => jwt(token),
            Validator::Jwe => jwe(token),
            Validator::GithubCrc32 => github_crc32(secret),
            Validator::BasicAuth => basic_auth(secret),
            Validator::Random => looks_random(secret, 8),
            Validator::DiscordBotToken => discord_bot_token(token),
            Validator::Crc32Hex => crc32_hex_suffix(secret),
            Validator::GrafanaCrc32 => grafana_crc32(token),
        }
    }
}

const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Valid JSON whose value is an object; checked without building it.
fn is_json_object(b64url: &[u8]) -> bool {
    match URL_SAFE_LENIENT.decode(b64url) {
        Ok(bytes) => {
            bytes.trim_ascii_start().starts_with(b"{")
                && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok()
        }
        Err(_) => false,
    }
}

fn jwt(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_sig)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    is_json_object(header) && is_json_object(payload)
}

fn jwe(token: &[u8]) -> bool {
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    match URL_SAFE_LENIENT.decode(header) {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(map)) => map.contains_key("enc"),
            _ => false,
        },
        Err(_) => false,
    }
}

/// GitHub's checksum alphabet: digits, then upper case, then lower case.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn github_crc32(secret: &[u8]) -> bool {
    if secret.len() != 36 {
        return false;
    }
    let (body, check) = secret.split_at(30);
    let mut crc = crc32fast::hash(body);
    let mut expect = [b'0'; 6];
    for slot in expect.iter_mut().rev() {
        *slot = BASE62[(crc % 62) as usize];
        crc /= 62;
    }
    expect == check
}

/// The last 8 bytes of `v` are `crc32(rest)` in lowercase hex, as zlib prints it.
fn crc32_hex_suffix(v: &[u8]) -> bool {
    let Some((body, check)) = v.split_at_checked(v.len().wrapping_sub(8)) else {
        return false;
    };
    !body.is_empty() && lower_hex(&crc32fast::hash(body).to_be_bytes()) == check
}

/// Grafana's `satokengen`: the checksum after the last `_` is the CRC-32 of everything before
/// that `_`, its four bytes little-endian, in lowercase hex.
fn grafana_crc32(token: &[u8]) -> bool {
    let Some(cut) = token.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let (body, check) = (&token[..cut], &token[cut + 1..]);
    lower_hex(&crc32fast::hash(body).to_le_bytes()) == check
}

fn lower_hex(bytes: &[u8; 4]) -> [u8; 8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0; 8];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

/// `base64(user id).base64(timestamp).hmac`: the first part decodes to the decimal id of a
/// Discord user, a snowflake of 17 to 20 digits (base64 of other text has that shape too).
fn discord_bot_token(token: &[u8]) -> bool {
    let id = token.split(|&b| b == b'.').next().unwrap_or_default();
    match STANDARD_LENIENT.decode(id) {
        Ok(digits) => {
            (17..=20).contains(&digits.len())
                && digits[0] != b'0'
                && digits.iter().all(u8::is_ascii_digit)
        }
        Err(_) => false,
    }
}

fn basic_auth(secret: &[u8]) -> bool {
    let decoded = match STANDARD_LENIENT.decode(secret) {
        Ok(d) => d,
        Err(_) => match general_purpose::URL_SAFE_NO_PAD.decode(secret) {
            Ok(d) => d,
            Err(_) => return false,
        },
    };
    decoded.contains(&b':')
        && decoded
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) || b >= 0x80)
}

/// A value that looks generated rather than written: at least `min_len` long, made only of
/// token characters, with letters and digits (or both letter cases), and not a plain number.
pub(crate) fn looks_random(v: &[u8], min_len: usize) -> bool {
    if v.len() < min_len {
        return false;
    }
    // The classes seen, OR-ed byte by byte without a branch: a random value's bytes switch
    // class at random, and a branch per byte was mispredicted at every switch.
    let seen = v
        .iter()
        .fold(0u8, |seen, &b| seen | RANDOM_CLASS[usize::from(b)]);
    if seen & NOT_TOKEN != 0 {
        return false;
    }
    let (lower, upper, digit) = (seen & LOWER != 0, seen & UPPER != 0, seen & DIGIT != 0);
    ((lower || upper) && digit) || (lower && upper && v.len() >= 16)
}

const LOWER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 4;
const NOT_TOKEN: u8 = 8;

/// Each byte's class for [`looks_random`]: a letter of either case, a digit, a symbol tokens
/// use (no bit), or anything else.
static RANDOM_CLASS: [u8; 256] = byte_map!(0, |c| match c {
    b'a'..=b'z' => LOWER,
    b'A'..=b'Z' => UPPER,
    b'0'..=b'9' => DIGIT,
    b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~' | b'%' => 0,
    _ => NOT_TOKEN,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_needs_json_header_and_payload() {
        let good = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2J5dGVz";
        assert!(Validator::Jwt.check(good, b""));
        let cursor = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.bm90IGpzb24.c2ln";
        assert!(!Validator::Jwt.check(cursor, b""));
    }

    #[test]
    fn json_objects_only() {
        let b64 = |s: &str| general_purpose::URL_SAFE_NO_PAD.encode(s);
        for ok in [r#"{"a":1}"#, r#" {"a":[1,{"b":null}]} "#, "{}"] {
            assert!(is_json_object(b64(ok).as_bytes()), "{ok}");
        }
        for bad in [
            r#"["a"]"#,
            r#""{}""#,
            r#"{"a":1"#,
            r#"{"a":1}x"#,
            "{a:1}",
            "42",
            "",
        ] {
            assert!(!is_json_object(b64(bad).as_bytes()), "{bad}");
        }
    }

    #[test]
    fn github_checksum() {
        // Fake tokens whose checksums were computed by another implementation (the corpus
        // generator's), so that an alphabet wrong here does not agree with itself.
        for tok in [
            &b"7yqH1LkN2zMKLGsSW2KwuqmGPBIEI52aiIz5"[..],
            b"ioaS28IjRxrWXxebliJ6gOrGUrTKea0nio7o",
            b"sLBQJHaZYywzOfuF7PLUTH3GPmAbed1SHnky",
        ] {
            assert!(github_crc32(tok), "{}", String::from_utf8_lossy(tok));
            let mut bad = tok.to_vec();
            bad[0] ^= 0x20;
            assert!(!github_crc32(&bad));
        }
    }

    #[test]
    fn crc32_checksums_as_cloudflare_and_grafana_write_them() {
        // crc32(body) = 0x27d15854, written big-endian after the body.
        let cloudflare = b"FAKElsaiYlpqspcgDOR82sRsGFXMbAmHFnOVqbk827d15854";
        assert!(Validator::Crc32Hex.check(b"", cloudflare));
        let mut wrong = *cloudflare;
        wrong[0] = b'G';
        assert!(!Validator::Crc32Hex.check(b"", &wrong));
        assert!(!Validator::Crc32Hex.check(b"", b"27d15854"));
        assert!(!Validator::Crc32Hex.check(b"", b"short"));
        // crc32("glsa_…") = 0xc89a1e83, written little-endian.
        let grafana = b"glsa_FAKEEXAMPLE0y7kaGGWJXuWMJdN5t6yn_831e9ac8";
        assert!(Validator::GrafanaCrc32.check(grafana, b""));
        let big_endian = b"glsa_FAKEEXAMPLE0y7kaGGWJXuWMJdN5t6yn_c89a1e83";
        assert!(!Validator::GrafanaCrc32.check(big_endian, b""));
        assert!(!Validator::GrafanaCrc32.check(b"glsa", b""));
    }

    #[test]
    fn discord_bot_token_starts_with_a_user_id() {
        let check = |t: &str| Validator::DiscordBotToken.check(t.as_bytes(), b"");
        // base64("1187362847513862174"), a 19-digit snowflake.
        assert!(check(
            "MTE4NzM2Mjg0NzUxMzg2MjE3NA.HDpVIQ.FAKEpTyGJMuHbEL31IeL2HPcHyGcFRl1SPnXNY"
        ));
        // base64("1187362847513862x74"), base64("hello-world-mtime-x"), a 16-digit id.
        for t in [
            "MTE4NzM2Mjg0NzUxMzg2Mng3NA.HDpVIQ.FAKEpTyGJMuHbEL31IeL2HPcHyGcFRl1SPnXNY",
            "aGVsbG8td29ybGQtbXRpbWUteA.HDpVIQ.FAKEpTyGJMuHbEL31IeL2HPcHy",
            "MTE4NzM2Mjg0NzUxMzg2Mg.HDpVIQ.FAKEpTyGJMuHbEL31IeL2HPcHy",
        ] {
            assert!(!check(t), "{t}");
        }
    }

    #[test]
    fn basic_auth_decodes_to_user_colon_password() {
        assert!(basic_auth(b"dXNlcjpodW50ZXIy")); // user:hunter2
        assert!(!basic_auth(b"aGVsbG8gd29ybGQ=")); // hello world
    }

    #[test]
    fn randomness() {
        assert!(looks_random(b"8fee651322e6011272f2b0bf5185aa", 12));
        assert!(!looks_random(b"expired", 6));
        assert!(!looks_random(b"1234567890123", 6));
        assert!(!looks_random(b"has space 123", 6));
    }

    /// The class table says what the byte-by-byte test it replaced said.
    #[test]
    fn randomness_by_table_is_randomness_by_bytes() {
        fn by_bytes(v: &[u8], min_len: usize) -> bool {
            if v.len() < min_len {
                return false;
            }
            let (mut lower, mut upper, mut digit) = (false, false, false);
            for &b in v {
                match b {
                    b'a'..=b'z' => lower = true,
                    b'A'..=b'Z' => upper = true,
                    b'0'..=b'9' => digit = true,
                    b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'~' | b'%' => {}
                    _ => return false,
                }
            }
            ((lower || upper) && digit) || (lower && upper && v.len() >= 16)
        }
        let alphabet = b"aZ0_-+/=.~% :\"\x00\xff";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let v: Vec<u8> = (0..len)
                .map(|k| alphabet[((state >> (k % 8 * 8)) as usize + k) % alphabet.len()])
                .collect();
            for min_len in [0, 8, 12] {
                assert_eq!(looks_random(&v, min_len), by_bytes(&v, min_len), "{v:?}");
            }
        }
        for b in 0..=255u8 {
            let v = [
                b'a', b'Z', b'0', b, b'b', b'Y', b'1', b'c', b'X', b'2', b'd', b'W', b'3',
            ];
            assert_eq!(looks_random(&v, 8), by_bytes(&v, 8), "byte {b}");
        }
    }
}
