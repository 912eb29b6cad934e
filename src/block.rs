//! Multi-line secrets: PEM private keys printed as raw blocks (or as util.inspect's
//! `'…\n' +` lines) and PuTTY key files, tracked by a small state carried from line to line.
//!
//! The state is bounded (a block ends at its END line, at the first line that is not part of a
//! key, or after [`MAX_BLOCK_LINES`]), so the input is never buffered.

use crate::byteclass::byte_set;
use std::ops::Range;

/// A key block longer than this is not a key block.
pub(crate) const MAX_BLOCK_LINES: u32 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Block {
    #[default]
    None,
    /// Inside `-----BEGIN … PRIVATE KEY-----`, `lines` lines so far; armour headers may only
    /// come before the first body line. `prefix` is what stood before the armour on the BEGIN
    /// line: a logger that prefixes every line of a record (npmlog) writes it before the body
    /// lines too.
    Pem {
        lines: u32,
        body_seen: bool,
        prefix: LinePrefix,
    },
    /// Inside a PuTTY file's `Private-Lines: N` section: `left` body lines to go.
    Putty { left: u32 },
}

/// The first bytes of a line, up to [`LinePrefix::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinePrefix {
    bytes: [u8; LinePrefix::MAX],
    len: u8,
}

impl LinePrefix {
    const MAX: usize = 48;
    /// A prefix shorter than this is indentation, not a logger's.
    const MIN: usize = 8;

    fn of(line: &[u8]) -> LinePrefix {
        let mut p = LinePrefix {
            bytes: [0; Self::MAX],
            len: 0,
        };
        let n = line.len().min(Self::MAX);
        p.bytes[..n].copy_from_slice(&line[..n]);
        p.len = n as u8;
        p
    }

    /// How many bytes `line` starts with of this prefix, when that is a logger's prefix (not
    /// mere indentation).
    fn shared_with(&self, line: &[u8]) -> Option<usize> {
        let n = self.bytes[..self.len as usize]
            .iter()
            .zip(line)
            .take_while(|(a, b)| a == b)
            .count();
        (n >= Self::MIN && line[..n].iter().any(|b| !b.is_ascii_whitespace())).then_some(n)
    }
}

fn is_b64(b: u8) -> bool {
    B64_BYTE[usize::from(b)]
}

/// Base64 bytes ([`crate::byteclass`]: a key body's bytes are random).
static B64_BYTE: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='));

/// Does this line open a multi-line key block (and not close it on the same line)?
///
/// Only a BEGIN line that stands as a PEM's would: the armour at the start of the line or of a
/// string value (after a quote or an escaped line break), and nothing after it but quotes, line
/// break escapes and util.inspect's ` +`. A `BEGIN` inside prose, a header value or a one-line
/// string that goes on opens nothing: whoever can write one line must not be able to turn the
/// next ones into "key body".
pub(crate) fn opens_block(line: &[u8]) -> Option<Block> {
    if let Some(at) = memchr::memmem::find(line, b"-----BEGIN ") {
        let rest = &line[at..];
        let head_end = memchr::memmem::find(&rest[11..], b"-----").map(|o| 11 + o)?;
        let head = &rest[..head_end];
        let tail = &rest[head_end + 5..];
        let opens = memchr::memmem::find(head, b"PRIVATE KEY").is_some()
            && stands_alone_before(&line[..at])
            && body_core(tail).is_empty();
        return opens.then_some(Block::Pem {
            lines: 0,
            body_seen: false,
            prefix: LinePrefix::of(&line[..at]),
        });
    }
    if let Some(at) = memchr::memmem::find(line, b"Private-Lines:") {
        let n: u32 = std::str::from_utf8(&line[at + 14..])
            .ok()?
            .trim()
            .parse()
            .ok()?;
        return (n > 0 && n <= MAX_BLOCK_LINES).then_some(Block::Putty { left: n });
    }
    None
}

/// Is the text before a BEGIN armour the start of a line or of a value: nothing but blanks, a
/// quote or escaped line break (`\n`) right before it, or an assignment to a key's name
/// (`JWT_PRIVATE_KEY = `)?
fn stands_alone_before(before: &[u8]) -> bool {
    let end = before
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |i| i + 1);
    let before = &before[..end];
    before.is_empty()
        || matches!(before.last(), Some(b'\'' | b'"' | b'`'))
        || before.ends_with(b"\\n")
        || assigned_to_a_key(before)
}

/// Does `before` end with an assignment to a key that names a key (`JWT_PRIVATE_KEY = `,
/// `signingKey:`)? Any other name (`user-agent=`) is a value someone else may write.
fn assigned_to_a_key(before: &[u8]) -> bool {
    let Some((&sep, rest)) = before.split_last() else {
        return false;
    };
    if sep != b'=' && sep != b':' {
        return false;
    }
    let rest = &rest[..rest
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |i| i + 1)];
    let name_len = rest
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let name = &rest[rest.len() - name_len..];
    name.len() >= 3 && name[name.len() - 3..].eq_ignore_ascii_case(b"key")
}

/// The base64 core of a key-body line: without indentation, quotes, `\n` escapes, ` +` or `,`.
fn body_core(line: &[u8]) -> Range<usize> {
    let mut s = 0;
    let mut e = line.len();
    loop {
        let before = (s, e);
        while s < e && (line[s].is_ascii_whitespace() || matches!(line[s], b'\'' | b'"' | b'`')) {
            s += 1;
        }
        while s + 1 < e && line[s] == b'\\' && matches!(line[s + 1], b'n' | b'r' | b'\\') {
            s += 2;
        }
        s += sgr_at_start(&line[s..e]);
        e -= sgr_at_end(&line[s..e]);
        while e > s
            && (line[e - 1].is_ascii_whitespace()
                || matches!(line[e - 1], b'\'' | b'"' | b'`' | b'+' | b','))
        {
            e -= 1;
        }
        while e >= s + 2 && line[e - 2] == b'\\' && matches!(line[e - 1], b'n' | b'r') {
            e -= 2;
            while e > s && line[e - 1] == b'\\' {
                e -= 1;
            }
        }
        if (s, e) == before {
            return s..e;
        }
    }
}

/// The length of a colour code (`ESC[32m`, `ESC[38;5;3m`) that `text` starts with, or 0: a
/// console that colours strings (util.inspect, Nest, Moleculer) wraps each piece of a key in one.
fn sgr_at_start(text: &[u8]) -> usize {
    let Some(rest) = text.strip_prefix(b"\x1b[") else {
        return 0;
    };
    let params = rest
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    if rest.get(params) == Some(&b'm') {
        params + 3
    } else {
        0
    }
}

/// The length of a colour code that `text` ends with, or 0.
fn sgr_at_end(text: &[u8]) -> usize {
    let Some(rest) = text.strip_suffix(b"m") else {
        return 0;
    };
    let params = rest
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    if rest[..rest.len() - params].ends_with(b"\x1b[") {
        params + 3
    } else {
        0
    }
}

/// What a line inside a block holds.
pub(crate) enum BodyLine {
    /// Key material at this range, and nothing else on the line; the block goes on.
    Secret(Range<usize>),
    /// A blank or armour-header line (`Proc-Type: …`); the block goes on, and the line is
    /// scanned as any other (a header is never taken on trust).
    Header,
    /// The END line: key material before it (maybe empty); the block is over and the line is
    /// scanned as any other besides.
    End(Range<usize>),
    /// Not part of a key: the block is over and this line is scanned as usual.
    Outside,
}

/// Classify a line inside a block and advance the state.
pub(crate) fn body_line(state: &mut Block, line: &[u8]) -> BodyLine {
    crate::work::read(line.len());
    match *state {
        Block::None => BodyLine::Outside,
        Block::Putty { left } => {
            let core = body_core(line);
            if !core.is_empty() && line[core.clone()].iter().all(|&b| is_b64(b)) {
                *state = if left > 1 {
                    Block::Putty { left: left - 1 }
                } else {
                    Block::None
                };
                BodyLine::Secret(core)
            } else {
                *state = Block::None;
                BodyLine::Outside
            }
        }
        Block::Pem {
            lines,
            body_seen,
            prefix,
        } => {
            if let Some(at) = memchr::memmem::find(line, b"-----END") {
                *state = Block::None;
                let core = body_core(&line[..at]);
                let ok = line[core.clone()].iter().all(|&b| is_b64(b));
                return BodyLine::End(if ok { core } else { at..at });
            }
            if lines >= MAX_BLOCK_LINES {
                *state = Block::None;
                return BodyLine::Outside;
            }
            let mut core = body_core(line);
            // A body line behind the logger's prefix.
            if !line[core.clone()].iter().all(|&b| is_b64(b))
                && let Some(n) = prefix.shared_with(line)
            {
                let behind = body_core(&line[n..]);
                if !behind.is_empty() && line[n..][behind.clone()].iter().all(|&b| is_b64(b)) {
                    core = n + behind.start..n + behind.end;
                }
            }
            let body = &line[core.clone()];
            let (kind, body_seen) = if body.is_empty() {
                (BodyLine::Header, body_seen)
            } else if body.iter().all(|&b| is_b64(b)) {
                (BodyLine::Secret(core), true)
            } else if !body_seen && is_armor_header(body) {
                (BodyLine::Header, false)
            } else {
                *state = Block::None;
                return BodyLine::Outside;
            };
            *state = Block::Pem {
                lines: lines + 1,
                body_seen,
                prefix,
            };
            kind
        }
    }
}

/// The armour headers of RFC 1421 and of the key formats that use them (`Proc-Type: 4,ENCRYPTED`,
/// `DEK-Info: …`, `Version: …`, `Comment: …`), and no other `Name: value` line.
fn is_armor_header(body: &[u8]) -> bool {
    const NAMES: [&[u8]; 6] = [
        b"Proc-Type: ",
        b"DEK-Info: ",
        b"Version: ",
        b"Comment: ",
        b"Content-Domain: ",
        b"Hash: ",
    ];
    NAMES.iter().any(|n| body.starts_with(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_pem_block() {
        let mut st = opens_block(b"-----BEGIN RSA PRIVATE KEY-----").unwrap();
        assert!(
            matches!(body_line(&mut st, b"MIIEowIBAAKCAQEAqD1f"), BodyLine::Secret(r) if r == (0..20))
        );
        assert!(matches!(
            body_line(&mut st, b"-----END RSA PRIVATE KEY-----"),
            BodyLine::End(_)
        ));
        assert_eq!(st, Block::None);
    }

    #[test]
    fn a_logger_prefix_on_every_line_and_an_assigned_armour() {
        // npmlog writes its prefix before every line of an inspected object.
        let mut st = opens_block(
            b"billing-hub verb config     privateKey: '-----BEGIN RSA PRIVATE KEY-----\\n' +",
        )
        .unwrap();
        let line = b"billing-hub verb config       'MIIEogIBAAKCAQEAqPNMrPbmltUWBj93\\n' +";
        match body_line(&mut st, line) {
            BodyLine::Secret(r) => assert_eq!(&line[r], b"MIIEogIBAAKCAQEAqPNMrPbmltUWBj93"),
            _ => panic!("not a body line"),
        }
        // Another record under the same prefix ends the block.
        assert!(matches!(
            body_line(&mut st, b"billing-hub verb config     algorithm: 'RS256',"),
            BodyLine::Outside
        ));
        // A config dump: `KEY = ` and the armour, the body at the start of the next lines.
        let mut st =
            opens_block(b"[2026-12-06 00:23:06.040549] DEBUG: billing:   JWT_PRIVATE_KEY = -----BEGIN PRIVATE KEY-----")
                .unwrap();
        assert!(matches!(
            body_line(&mut st, b"MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSl"),
            BodyLine::Secret(_)
        ));
        // Prose that names the armour opens nothing.
        assert!(opens_block(b"expected -----BEGIN PRIVATE KEY----- here").is_none());
    }

    #[test]
    fn inspect_style_lines() {
        let mut st = opens_block(b"  privateKey: '-----BEGIN PRIVATE KEY-----\\n' +").unwrap();
        let line = b"      'MIIEpAIBAAKCAQEA0BZa\\n' +";
        match body_line(&mut st, line) {
            BodyLine::Secret(r) => assert_eq!(&line[r], b"MIIEpAIBAAKCAQEA0BZa"),
            _ => panic!("not a body line"),
        }
        assert!(matches!(
            body_line(&mut st, b"INFO:app:next record"),
            BodyLine::Outside
        ));
    }

    /// Consoles that colour strings (Nest, Moleculer, util.inspect with colours) wrap every
    /// piece in a colour code: the code is decoration, the piece is still key body.
    #[test]
    fn coloured_inspect_style_lines() {
        let mut st =
            opens_block(b"  jwtPrivateKey: \x1b[32m'-----BEGIN PRIVATE KEY-----\\n'\x1b[39m +")
                .unwrap();
        let line = b"      \x1b[32m'MIIEvgIBADANBgkqhkiG9w0B/x\\n'\x1b[39m +";
        match body_line(&mut st, line) {
            BodyLine::Secret(r) => assert_eq!(&line[r], b"MIIEvgIBADANBgkqhkiG9w0B/x"),
            _ => panic!("not a body line"),
        }
        let end =
            b"      \x1b[32m'AbCd==\\n'\x1b[39m + \x1b[32m'-----END PRIVATE KEY-----\\n'\x1b[39m,";
        match body_line(&mut st, end) {
            BodyLine::End(r) => assert_eq!(&end[r], b"AbCd=="),
            _ => panic!("not the END line"),
        }
        // A colour code and nothing in it is no body; a code that never closes is text.
        assert!(body_core(b"\x1b[32m\x1b[39m").is_empty());
        assert!(opens_block(b"x: \x1b[32m'-----BEGIN PRIVATE KEY-----\\n'\x1b[39 +").is_none());
    }

    #[test]
    fn public_keys_and_one_line_keys_do_not_open_blocks() {
        assert!(opens_block(b"-----BEGIN PUBLIC KEY-----").is_none());
        assert!(
            opens_block(b"'-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----'")
                .is_none()
        );
    }

    #[test]
    fn begin_opens_a_block_only_where_a_pem_would_start() {
        for opener in [
            &b"-----BEGIN RSA PRIVATE KEY-----"[..],
            b"  -----BEGIN OPENSSH PRIVATE KEY-----  ",
            b"key = \"-----BEGIN EC PRIVATE KEY-----\\n\"",
            b"JWT_PRIVATE_KEY:\\n-----BEGIN PRIVATE KEY-----\\n",
            b"  privateKey: `-----BEGIN PRIVATE KEY-----\\n` +",
        ] {
            assert!(
                opens_block(opener).is_some(),
                "{}",
                String::from_utf8_lossy(opener)
            );
        }
        for stray in [
            &b"GET / user-agent=-----BEGIN RSA PRIVATE KEY-----"[..],
            b"got -----BEGIN RSA PRIVATE KEY----- from the form",
            b"x-forwarded-for: -----BEGIN RSA PRIVATE KEY-----",
            b"ua=\"-----BEGIN RSA PRIVATE KEY-----\" ip=10.0.0.1",
            b"\"-----BEGIN RSA PRIVATE KEY-----\\nProc-Type: 4\\nAuthorization: Bearer x\"",
        ] {
            assert!(
                opens_block(stray).is_none(),
                "{}",
                String::from_utf8_lossy(stray)
            );
        }
    }

    #[test]
    fn armor_headers_come_first_and_are_named() {
        let mut st = opens_block(b"-----BEGIN RSA PRIVATE KEY-----").unwrap();
        assert!(matches!(
            body_line(&mut st, b"Proc-Type: 4,ENCRYPTED"),
            BodyLine::Header
        ));
        assert!(matches!(
            body_line(&mut st, b"DEK-Info: AES-128-CBC,0123456789ABCDEF"),
            BodyLine::Header
        ));
        assert!(matches!(body_line(&mut st, b""), BodyLine::Header));
        assert!(matches!(
            body_line(&mut st, b"MIIEowIBAAKCAQEAqD1f"),
            BodyLine::Secret(_)
        ));
        // After the body, a header is no longer one: the block ends there.
        assert!(matches!(
            body_line(&mut st, b"Comment: x"),
            BodyLine::Outside
        ));
        assert_eq!(st, Block::None);
        // Any other `Name: value` line ends the block at once.
        let mut st = opens_block(b"-----BEGIN RSA PRIVATE KEY-----").unwrap();
        assert!(matches!(
            body_line(&mut st, b"Authorization: Bearer abcdefghijklmnop"),
            BodyLine::Outside
        ));
        assert_eq!(st, Block::None);
    }

    #[test]
    fn putty_private_lines() {
        let mut st = opens_block(b"Private-Lines: 2").unwrap();
        assert!(matches!(
            body_line(&mut st, b"AAAAgQCFAKE"),
            BodyLine::Secret(_)
        ));
        assert!(matches!(
            body_line(&mut st, b"AAAAgQCFAKE"),
            BodyLine::Secret(_)
        ));
        assert_eq!(st, Block::None);
    }
}
