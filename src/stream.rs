//! The streaming contract: bytes in, the same bytes out except for masked secrets.
//!
//! * Lines are found with `memchr`; terminators (`\n`, `\r\n`) and bytes that are not UTF-8 are
//!   copied as they are, and the last line may lack a terminator.
//! * Memory is bounded: a line longer than `max_line` is scanned in windows. Each window is
//!   scanned together with up to [`CONTEXT`] bytes already written (so a key just before the cut
//!   still finds its value) and the last [`HOLD`] bytes are held back to be scanned again with
//!   what follows (so a value cut by the window is not half-masked). A secret that runs past a
//!   window is masked up to the window's cut and its rest opens the next window, masked to its
//!   end (white space or a quote): every window moves the stream on by at least its length less
//!   [`HOLD`], so a line costs what its bytes cost. No byte is ever written unscanned.
//! * Latency: everything complete is written, and the output flushed, before each read that may
//!   block, so `tail -f app.log | tokenscrub` shows each line at once.

use crate::engine::{Finding, RuleIndex};
use crate::redact::{PlacedMask, Redactor, mask_into};
use std::io::{self, Read, Write};
use std::ops::Range;

/// Bytes already written that are scanned again as context for the next window.
pub const CONTEXT: usize = 4096;
/// Bytes held back at the end of a window and scanned again with the next one.
pub const HOLD: usize = 16 * 1024;
/// Default longest line scanned in one piece.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

const READ_CHUNK: usize = 256 * 1024;
const FIRST_READ: usize = 1024;

/// How a stream is read.
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    /// Lines longer than this are scanned in windows (at least `4 * HOLD`).
    pub max_line: usize,
    /// The number of the input's first line (a piece of a larger stream starts later).
    pub first_line: u64,
}

impl StreamOptions {
    /// The longest line scanned in one piece, as the stream uses it: `max_line`, at least
    /// `4 * HOLD`.
    pub fn line_limit(&self) -> usize {
        self.max_line.max(4 * HOLD)
    }
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            max_line: DEFAULT_MAX_LINE,
            first_line: 1,
        }
    }
}

/// One masked secret, as the stream reports it.
#[derive(Debug)]
pub struct StreamFinding<'a> {
    /// 1-based line number.
    pub line_number: u64,
    /// 1-based byte column of the secret in its line.
    pub column: u64,
    /// The rule that found it.
    pub rule: RuleIndex,
    /// The secret itself: for fingerprints only; never print it.
    pub secret: &'a [u8],
    /// The redacted text around the mask (this line, or this window of an over-long line).
    pub redacted: &'a [u8],
    /// Where the mask is in `redacted`.
    pub mask_at: Range<usize>,
}

/// Totals of one stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamSummary {
    /// Lines read.
    pub lines: u64,
    /// Bytes read.
    pub bytes_in: u64,
    /// Secrets masked.
    pub findings: u64,
}

/// Which side of the stream failed: a closed output is not an error worth reporting.
#[derive(Debug)]
pub enum StreamError {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed (a closed pipe among others).
    Write(io::Error),
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Read(e) => write!(f, "reading input: {e}"),
            StreamError::Write(e) => write!(f, "writing output: {e}"),
        }
    }
}

impl std::error::Error for StreamError {}

/// Split a line into its body and its terminator (`\r\n`, `\n` or nothing).
pub fn split_terminator(line: &[u8]) -> (&[u8], &[u8]) {
    if line.ends_with(b"\r\n") {
        line.split_at(line.len() - 2)
    } else if line.ends_with(b"\n") {
        line.split_at(line.len() - 1)
    } else {
        (line, &[])
    }
}

struct LineCursor {
    number: u64,
    /// Offset in the current line of the first byte not yet written.
    written: u64,
}

/// Where a stream is: redacted output not yet written, the line it is on, its totals, and
/// scratch space for one line's findings and masks.
struct Progress {
    out: Vec<u8>,
    cursor: LineCursor,
    summary: StreamSummary,
    findings: Vec<Finding>,
    masks: Vec<PlacedMask>,
    /// A secret that ran past the last window of an over-long line: its rest opens the next
    /// window, or the line's tail.
    carried: Option<RuleIndex>,
}

impl Progress {
    fn new(first_line: u64, out: Vec<u8>) -> Progress {
        Progress {
            out,
            cursor: LineCursor {
                number: first_line,
                written: 0,
            },
            summary: StreamSummary::default(),
            findings: Vec::new(),
            masks: Vec::new(),
            carried: None,
        }
    }

    /// `text[ctx..]` opens inside a secret carried over from the window before (its key is far
    /// behind, out of the context): add it to the findings, up to where it ends.
    fn add_carried(&mut self, text: &[u8], ctx: usize) {
        let Some(rule) = self.carried.take() else {
            return;
        };
        let end = text[ctx..]
            .iter()
            .position(|&b| ends_a_value(b))
            .map_or(text.len(), |n| ctx + n);
        if end > ctx {
            self.findings.push(Finding {
                rule,
                span: ctx..end,
            });
            crate::engine::merge_overlaps(&mut self.findings);
        }
    }

    /// Append `text[range]` with `self.findings` (spans in `text`) masked, clipped to `range`,
    /// and report each masked secret.
    fn emit(
        &mut self,
        r: &Redactor<'_>,
        text: &[u8],
        range: Range<usize>,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) {
        let seg_start = self.out.len();
        self.masks.clear();
        mask_into(
            r.engine(),
            r.masker(),
            text,
            range.clone(),
            &self.findings,
            &mut self.out,
            Some(&mut self.masks),
        );
        let redacted = &self.out[seg_start..];
        for m in &self.masks {
            on_finding(&StreamFinding {
                line_number: self.cursor.number,
                column: self.cursor.written + (m.secret.start - range.start) as u64 + 1,
                rule: m.rule,
                secret: &text[m.secret.clone()],
                redacted,
                mask_at: m.mask.clone(),
            });
        }
        self.summary.findings += self.masks.len() as u64;
    }

    /// Redact every complete line of `text` shorter than `max_line` (from `ctx` for the first);
    /// returns the bytes they took (the start of the first line not done: incomplete, or
    /// `max_line` long or more, to be scanned in windows). `text[..ctx]` was written already:
    /// context for the tail of an over-long line, which is the first line here. The first line
    /// end is looked for from `search` (what was searched before has none).
    ///
    /// Whether a line is scanned whole or in windows depends on its length only, never on
    /// how much of it the reads had brought in: the output does not depend on the reads.
    fn complete_lines(
        &mut self,
        redactor: &mut Redactor<'_>,
        text: &[u8],
        mut ctx: usize,
        mut search: usize,
        max_line: usize,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) -> usize {
        let mut start = 0;
        loop {
            // Lines without a keyword pass through as they are, many at a time (not the tail
            // of an over-long line, which is scanned with its context).
            let quiet = (ctx == 0).then(|| redactor.quiet_prefix(&text[start..]));
            if let Some(q) = quiet.filter(|q| q.len > 0) {
                let lines = &text[start..start + q.len];
                self.out.extend_from_slice(lines);
                self.summary.lines += q.lines;
                self.cursor.number += q.lines;
                start += q.len;
                search = start;
            }
            let Some(off) = memchr::memchr(b'\n', &text[search..]) else {
                return start;
            };
            let nl = search + off;
            let body_end = if nl > start && text[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            // (Counted to the line end, `\r` included, as the parallel reader counts.)
            if nl - (start + ctx) >= max_line {
                return start;
            }
            let line = &text[start..body_end];
            match quiet {
                Some(q) => redactor.scan_next_line(line, q, &mut self.findings),
                // The tail of an over-long line starts with context: scan it as a fragment.
                None => {
                    redactor.scan(line, false, &mut self.findings);
                    self.add_carried(line, ctx);
                }
            }
            self.emit(redactor, line, ctx..line.len(), on_finding);
            self.out.extend_from_slice(&text[body_end..=nl]);
            self.summary.lines += 1;
            self.cursor.number += 1;
            self.cursor.written = 0;
            ctx = 0;
            start = nl + 1;
            search = start;
        }
    }

    /// The last line of a text, which has no line end (from `ctx`, see
    /// [`Progress::complete_lines`]).
    fn last_line(
        &mut self,
        redactor: &mut Redactor<'_>,
        text: &[u8],
        ctx: usize,
        on_finding: &mut dyn FnMut(&StreamFinding<'_>),
    ) {
        redactor.scan(text, ctx == 0, &mut self.findings);
        self.add_carried(text, ctx);
        self.emit(redactor, text, ctx..text.len(), on_finding);
        self.summary.lines += 1;
    }
}

/// Redact `input` to `output` line by line. `on_finding` is called for every masked secret.
pub fn redact_stream<R: Read, W: Write>(
    redactor: &mut Redactor<'_>,
    mut input: R,
    output: &mut W,
    opts: StreamOptions,
    on_finding: &mut dyn FnMut(&StreamFinding<'_>),
) -> Result<StreamSummary, StreamError> {
    let max_line = opts.line_limit();
    // Reads start small and double: a short text (one CloudWatch event) costs a small buffer.
    let mut read_size = FIRST_READ;
    let mut buf: Vec<u8> = Vec::new();
    let mut p = Progress::new(opts.first_line, Vec::new());
    // buf[..ctx] was already written: context for an over-long line's next window.
    let mut ctx = 0usize;
    let mut search = 0usize;
    let mut eof = false;

    loop {
        let start = p.complete_lines(redactor, &buf, ctx, search, max_line, on_finding);
        if start > 0 {
            ctx = 0;
        }

        buf.drain(..start);
        search = buf.len();

        // An over-long line: a window of `max_line` bytes after the context (whatever the
        // reads brought in beyond it), written but for the held-back tail; some context kept.
        if buf.len() - ctx >= max_line {
            let window = &buf[..ctx + max_line];
            redactor.scan(window, false, &mut p.findings);
            p.add_carried(window, ctx);
            let mut cut = window.len() - HOLD;
            for f in &p.findings {
                if f.span.start < cut && cut < f.span.end {
                    if f.span.end < window.len() {
                        cut = f.span.end;
                    } else {
                        // The secret runs past the window: its start is masked now, its rest
                        // opens the next window (held back, it would hold back every window
                        // after it: the square of the line).
                        p.carried = Some(f.rule);
                    }
                }
            }
            p.emit(redactor, window, ctx..cut, on_finding);
            p.cursor.written += (cut - ctx) as u64;
            let keep_from = cut.saturating_sub(CONTEXT);
            buf.drain(..keep_from);
            ctx = cut - keep_from;
            search = ctx;
            // The rest of the line may end within `max_line` now, or hold another window.
            continue;
        }

        if eof {
            if buf.len() > ctx {
                p.last_line(redactor, &buf, ctx, on_finding);
            }
            output.write_all(&p.out).map_err(StreamError::Write)?;
            output.flush().map_err(StreamError::Write)?;
            return Ok(p.summary);
        }

        // About to read, which may block: hand over what is done.
        if !p.out.is_empty() {
            output.write_all(&p.out).map_err(StreamError::Write)?;
            output.flush().map_err(StreamError::Write)?;
            p.out.clear();
        }

        // The buffer holds less than a window and its context (else a window was cut above).
        let want = read_size.min((max_line + CONTEXT).saturating_sub(buf.len()).max(1));
        read_size = (read_size * 2).min(READ_CHUNK);
        let n = read_more(&mut input, &mut buf, want).map_err(StreamError::Read)?;
        p.summary.bytes_in += n as u64;
        if n == 0 {
            eof = true;
        }
    }
}

/// Where a secret carried over from one window to the next ends: at white space or a quote.
fn ends_a_value(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`')
}

/// Read up to `want` (at least 1) more bytes onto the end of `buf`; 0 at the end of the input.
pub(crate) fn read_more<R: Read>(
    input: &mut R,
    buf: &mut Vec<u8>,
    want: usize,
) -> io::Result<usize> {
    let len = buf.len();
    buf.resize(len + want.max(1), 0);
    let n = loop {
        match input.read(&mut buf[len..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    };
    buf.truncate(len + n);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::mask::{FingerprintKey, MaskStyle, Masker};

    fn run(input: &[u8], max_line: usize) -> (Vec<u8>, StreamSummary, Vec<(u64, u64)>) {
        let e = Engine::builtin();
        let mut r = Redactor::new(&e, Masker::new(MaskStyle::Label, FingerprintKey::new(b"k")));
        let mut out = Vec::new();
        let mut at = Vec::new();
        let s = redact_stream(
            &mut r,
            input,
            &mut out,
            StreamOptions {
                max_line,
                ..StreamOptions::default()
            },
            &mut |f| at.push((f.line_number, f.column)),
        )
        .unwrap();
        (out, s, at)
    }

    #[test]
    fn clean_input_is_byte_identical() {
        let input = b"plain line\r\nsecond\n\xff\xfe binary \x00\nno newline at end";
        let (out, s, _) = run(input, DEFAULT_MAX_LINE);
        assert_eq!(out, input);
        assert_eq!(s.lines, 4);
    }

    #[test]
    fn secrets_are_masked_and_located() {
        let input = b"ok\nx password=FAKEpw0rd1 y\r\n";
        let (out, s, at) = run(input, DEFAULT_MAX_LINE);
        assert_eq!(out, b"ok\nx password=[REDACTED:password] y\r\n");
        assert_eq!(s.findings, 1);
        assert_eq!(at, vec![(2, 12)]);
    }

    /// Hands out its input a few bytes at a time, so that lines straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = (self.1 * 7 + 3) % 251;
            let n = self.0.len().min(buf.len()).min(self.1 + 1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Passing keyword-free lines through in bulk is only a shortcut: the stream gives what
    /// scanning every line in turn gives, findings and line numbers included, however the
    /// input is cut into reads.
    #[test]
    fn bulk_copy_of_quiet_lines_changes_nothing() {
        let e = Engine::builtin();
        let masker = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "log") {
                continue;
            }
            let text = std::fs::read(&path).unwrap();
            let expect = crate::redact::redact_text(&e, &masker, &text);
            let mut lines = Vec::new();
            let mut r = Redactor::new(&e, masker.clone());
            for (n, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
                let mut scratch = Vec::new();
                let body = split_terminator(line).0;
                for _ in r.redact_line(body, &mut scratch) {
                    lines.push(n as u64 + 1);
                }
            }
            for chunked in [false, true] {
                let mut r = Redactor::new(&e, masker.clone());
                let mut out = Vec::new();
                let mut found = Vec::new();
                let input: Box<dyn Read> = if chunked {
                    Box::new(Trickle(&text, 0))
                } else {
                    Box::new(&text[..])
                };
                redact_stream(
                    &mut r,
                    input,
                    &mut out,
                    StreamOptions::default(),
                    &mut |f| found.push(f.line_number),
                )
                .unwrap();
                assert!(out == expect, "{} differs", path.display());
                assert_eq!(found, lines, "{}", path.display());
            }
            checked += 1;
        }
        assert!(checked >= 8);
    }

    /// Over-long lines are cut into windows by their length alone: whatever the reads bring
    /// in (all at once, or a few bytes at a time), the output and the findings are the same,
    /// for lines just under, at and just over the limit (`\r\n` counted as the parallel
    /// reader counts it), secrets at every window's edge, and a last line without an end.
    #[test]
    fn windows_do_not_depend_on_the_reads() {
        let e = Engine::builtin();
        let masker = Masker::new(MaskStyle::Label, FingerprintKey::new(b"k"));
        let max_line = 4 * HOLD;
        let mut text = Vec::new();
        for (len, term) in [
            (max_line - 1, &b"\n"[..]),
            (max_line, b"\n"),
            (max_line - 1, b"\r\n"),
            (max_line + 1, b"\n"),
            (3 * max_line + 77, b"\n"),
            (2 * max_line + 5, b""),
        ] {
            let start = text.len();
            let mut i = 0;
            while text.len() - start < len {
                text.extend(format!("w{i} token=FAKEtok{i:09}x ").as_bytes());
                i += 1;
            }
            text.truncate(start + len);
            text.extend_from_slice(term);
        }
        let run = |input: Box<dyn Read + '_>| {
            let mut r = Redactor::new(&e, masker.clone());
            let mut out = Vec::new();
            let mut found = Vec::new();
            let opts = StreamOptions {
                max_line,
                ..StreamOptions::default()
            };
            redact_stream(&mut r, input, &mut out, opts, &mut |f| {
                found.push((f.line_number, f.column))
            })
            .unwrap();
            (out, found)
        };
        let (expect, found) = run(Box::new(&text[..]));
        assert!(found.len() > 1000);
        for seed in [0, 1, 50, 200] {
            let (out, again) = run(Box::new(Trickle(&text, seed)));
            assert!(out == expect, "reads from seed {seed}: other bytes");
            assert_eq!(again, found, "reads from seed {seed}");
        }
    }

    #[test]
    fn a_secret_longer_than_a_window_is_masked_to_its_end_in_linear_time() {
        // One value of many windows: held back, it used to hold back every window after it
        // (a byte of progress per window scanned).
        let value: Vec<u8> = (0..40 * HOLD)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + i / 36) % 36])
            .collect();
        let mut input = b"start password=".to_vec();
        input.extend_from_slice(&value);
        input.extend_from_slice(b" end\nnext password=FAKEpw0rdFAKE line\n");
        let (out, s, _) = run(&input, 4 * HOLD);
        for piece in value.chunks(997) {
            let probe = &piece[..piece.len().min(12)];
            assert!(
                memchr::memmem::find(&out, probe).is_none(),
                "a piece survived"
            );
        }
        assert!(out.starts_with(b"start password=[REDACTED:password]"));
        assert!(
            out.ends_with(b"[REDACTED:password] end\nnext password=[REDACTED:password] line\n")
        );
        assert_eq!(s.lines, 2);
    }

    #[test]
    fn long_line_is_scanned_in_windows() {
        let mut input = Vec::new();
        let secret = b"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";
        let mut positions = Vec::new();
        for i in 0..4000 {
            input.extend_from_slice(b"filler text, more filler text, and yet more of it ");
            if i % 37 == 0 {
                positions.push(input.len());
                input.extend_from_slice(b" token ");
                input.extend_from_slice(secret);
                input.push(b' ');
            }
        }
        input.extend_from_slice(b"\nnext line\n");
        let (out, s, _) = run(&input, 4 * HOLD);
        assert!(
            memchr::memmem::find(&out, &secret[4..]).is_none(),
            "secret survived a window cut"
        );
        assert_eq!(s.findings as usize, positions.len());
        assert!(out.ends_with(b"\nnext line\n"));
        let expect = String::from_utf8(input.clone()).unwrap().replace(
            std::str::from_utf8(&secret[4..]).unwrap(),
            "[REDACTED:github-token]",
        );
        let out = String::from_utf8(out).unwrap();
        if out != expect {
            let at = out
                .bytes()
                .zip(expect.bytes())
                .position(|(a, b)| a != b)
                .unwrap();
            panic!(
                "differs at {at}: {:?} vs {:?}",
                &out[at.saturating_sub(40)..at + 40],
                &expect[at.saturating_sub(40)..at + 40]
            );
        }
    }
}
