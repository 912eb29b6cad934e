//! Masking a line: the scanner's findings applied with a [`Masker`], every other byte copied.

use crate::engine::{Engine, Finding, Quiet, RuleIndex, Scanner};
use crate::mask::Masker;
use std::ops::Range;

/// A scanner and a masker: turns lines into redacted lines.
pub struct Redactor<'e> {
    scanner: Scanner<'e>,
    masker: Masker,
    findings: Vec<Finding>,
}

impl<'e> Redactor<'e> {
    /// A redactor of lines with `engine`'s rules and `masker`'s masks.
    pub fn new(engine: &'e Engine, masker: Masker) -> Redactor<'e> {
        Redactor {
            scanner: engine.scanner(),
            masker,
            findings: Vec::new(),
        }
    }

    /// The engine it runs.
    pub fn engine(&self) -> &'e Engine {
        self.scanner.engine()
    }

    /// How it masks.
    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// Its scanner (what it remembers of the secrets seen).
    pub fn scanner(&mut self) -> &mut Scanner<'e> {
        &mut self.scanner
    }

    /// Append the redacted `line` (without terminator) to `out`; returns the findings, with
    /// spans in `line`.
    pub fn redact_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> &[Finding] {
        self.scanner.scan_line(line, &mut self.findings);
        apply_masks(
            self.scanner.engine(),
            &self.masker,
            line,
            &self.findings,
            out,
        );
        &self.findings
    }

    /// See [`Scanner::start_over`].
    pub fn start_over(&mut self) {
        self.scanner.start_over();
    }

    /// See [`Scanner::end_of_text`].
    pub fn end_of_text(&mut self) {
        self.scanner.end_of_text();
    }

    /// See [`Scanner::quiet_prefix`].
    pub fn quiet_prefix(&self, text: &[u8]) -> Quiet {
        self.scanner.quiet_prefix(text)
    }

    /// The whole line after a quiet prefix, see [`Scanner::scan_next_line`].
    pub fn scan_next_line(&mut self, line: &[u8], quiet: Quiet, out: &mut Vec<Finding>) {
        self.scanner.scan_next_line(line, quiet, out);
    }

    /// Find the secrets of a whole line (`whole_line`), or of a piece of an over-long line
    /// (see [`Scanner::scan_fragment`]), into `out`, without masking.
    pub fn scan(&mut self, line: &[u8], whole_line: bool, out: &mut Vec<Finding>) {
        if whole_line {
            self.scanner.scan_line(line, out);
        } else {
            self.scanner.scan_fragment(line, out);
        }
    }
}

/// Append `line` to `out` with each finding's span replaced by its mask. Findings must be
/// sorted and non-overlapping (as the scanner returns them).
pub fn apply_masks(
    engine: &Engine,
    masker: &Masker,
    line: &[u8],
    findings: &[Finding],
    out: &mut Vec<u8>,
) {
    mask_into(engine, masker, line, 0..line.len(), findings, out, None);
}

/// Where one mask went: the secret in the input, the mask in the output.
#[derive(Debug, Clone)]
pub struct PlacedMask {
    /// The secret, in the input text.
    pub secret: Range<usize>,
    /// The mask, relative to where this call started writing.
    pub mask: Range<usize>,
    /// The rule that found it.
    pub rule: RuleIndex,
}

/// Append `text[range]` to `out` with the findings (spans in `text`, sorted, non-overlapping)
/// masked where they fall in `range`; each mask written is added to `placed`.
pub fn mask_into(
    engine: &Engine,
    masker: &Masker,
    text: &[u8],
    range: Range<usize>,
    findings: &[Finding],
    out: &mut Vec<u8>,
    mut placed: Option<&mut Vec<PlacedMask>>,
) {
    let start = out.len();
    let mut at = range.start;
    for f in findings {
        let secret = f.span.start.max(range.start)..f.span.end.min(range.end);
        if secret.is_empty() {
            continue;
        }
        out.extend_from_slice(&text[at..secret.start]);
        let mask_start = out.len() - start;
        masker.write(&engine.rule(f.rule).id, &text[secret.clone()], out);
        at = secret.end;
        if let Some(placed) = placed.as_deref_mut() {
            placed.push(PlacedMask {
                secret,
                mask: mask_start..out.len() - start,
                rule: f.rule,
            });
        }
    }
    out.extend_from_slice(&text[at..range.end]);
}

/// Redact a whole text held in memory (a CloudWatch event, a test string), line by line with a
/// fresh scanner. Line terminators are kept as they are.
pub fn redact_text(engine: &Engine, masker: &Masker, text: &[u8]) -> Vec<u8> {
    let mut r = Redactor::new(engine, masker.clone());
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (body, term) = crate::stream::split_terminator(line);
        r.redact_line(body, &mut out);
        out.extend_from_slice(term);
    }
    out
}
