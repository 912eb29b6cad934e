//! Multi-line secrets: PEM private keys printed as raw blocks (or as util.inspect's
//! `'…\n' +` lines) and PuTTY key files, tracked by a small state carried from line to line.
//!
//! The state is bounded (a block ends at its END line, at the first line that is not part of a
//! key, or after [`MAX_BLOCK_LINES`]), so the input is never buffered.

use std::ops::Range;

/// A key block longer than this is not a key block.
pub const MAX_BLOCK_LINES: u32 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Block {
    #[default]
    None,
    /// Inside `-----BEGIN … PRIVATE KEY-----`, `lines` lines so far.
    Pem { lines: u32 },
    /// Inside a PuTTY file's `Private-Lines: N` section: `left` body lines to go.
    Putty { left: u32 },
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Does this line open a multi-line key block (and not close it on the same line)?
pub(crate) fn opens_block(line: &[u8]) -> Option<Block> {
    if let Some(at) = memchr::memmem::find(line, b"-----BEGIN ") {
        let rest = &line[at..];
        let head_end = memchr::memmem::find(&rest[11..], b"-----").map(|o| 11 + o)?;
        let head = &rest[..head_end];
        if memchr::memmem::find(head, b"PRIVATE KEY").is_some()
            && memchr::memmem::find(&rest[head_end + 5..], b"-----END").is_none()
        {
            return Some(Block::Pem { lines: 0 });
        }
        return None;
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

/// What a line inside a block holds.
pub(crate) enum BodyLine {
    /// Key material at this range; the block goes on.
    Secret(Range<usize>),
    /// A blank or armor-header line (`Version: …`); the block goes on.
    Skip,
    /// The END line: key material before it (maybe empty); the block is over.
    End(Range<usize>),
    /// Not part of a key: the block is over and this line is scanned as usual.
    Outside,
}

/// Classify a line inside a block and advance the state.
pub(crate) fn body_line(state: &mut Block, line: &[u8]) -> BodyLine {
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
        Block::Pem { lines } => {
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
            *state = Block::Pem { lines: lines + 1 };
            let core = body_core(line);
            let body = &line[core.clone()];
            if body.is_empty() {
                BodyLine::Skip
            } else if body.iter().all(|&b| is_b64(b)) {
                BodyLine::Secret(core)
            } else if is_armor_header(body) {
                BodyLine::Skip
            } else {
                *state = Block::None;
                BodyLine::Outside
            }
        }
    }
}

/// `Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, `Version: …`, `Comment: …`
fn is_armor_header(body: &[u8]) -> bool {
    let name_len = body
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
        .count();
    name_len > 0 && body[name_len..].starts_with(b": ")
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

    #[test]
    fn public_keys_and_one_line_keys_do_not_open_blocks() {
        assert!(opens_block(b"-----BEGIN PUBLIC KEY-----").is_none());
        assert!(
            opens_block(b"'-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----'")
                .is_none()
        );
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
