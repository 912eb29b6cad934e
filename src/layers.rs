//! Layers: a view of a line in which escaped text reads as raw text.
//!
//! Structured loggers put whole records inside one string: a JSON log line holds a message
//! whose header block, botocore canonical request or PEM key is written with `\n` escapes and
//! `\"` quotes, sometimes a JSON document inside that string again (`\\\"`), a Python repr
//! inside it (`\'`, `\x1b`), or colour codes (`\u001b[32m`). The rules read raw text. Instead
//! of teaching every rule every escape, the engine scans a second view of such a line:
//!
//! 1. escapes are decoded, one layer a pass, up to [`MAX_DEPTH`] passes while any are left:
//!    string escapes (JSON `\"` `\\` `\/` `\n` `\r` `\t` `\uXXXX`, Python `\'` `\xHH`,
//!    JavaScript `` \` ``), else URL encoding (`%HH`), else HTML character references
//!    (`&quot;`, `&#x27;`, `&#39;`, `&amp;`, `&lt;`, `&gt;`);
//! 2. ANSI colour and cursor codes (`ESC [ … letter`) are removed;
//! 3. the view is cut at its line breaks into sub-lines, which the scanner reads as lines
//!    (a key on one and its value on the next, header blocks, PEM bodies).
//!
//! Every byte of the view knows the raw bytes it came from (the whole escape sequence), so a
//! span found in the view maps back to raw bytes that begin and end on escape boundaries: a
//! mask replaces whole escapes, and a JSON line stays JSON.
//!
//! Work: each pass reads its input once and writes at most as many bytes, so building a view
//! costs at most `MAX_DEPTH + 1` passes over the line, linear in its length.

use std::ops::Range;

/// How many times escapes are decoded: a string in JSON in JSON in a repr.
pub(crate) const MAX_DEPTH: usize = 3;

const ESC: u8 = 0x1b;

/// Does a layer change anything in `line`? (A backslash, an escape byte, a `%HH` or an HTML
/// character reference.)
pub(crate) fn applies(line: &[u8]) -> bool {
    memchr::memchr2(b'\\', ESC, line).is_some() || has_percent_escape(line) || has_entity(line)
}

/// How `keyword` is written inside string layers, where its punctuation is escaped: `code=`
/// is `code%3d` URL-encoded, `"code"` is `&quot;code&quot;` or `&#34;code&#34;` in HTML, and
/// `\"code\"` in a JSON string (`\\\"code\\\"` in JSON in JSON: the spelling `"code\`, cut
/// after the first escaped byte's backslash, is in both). The line's own keyword search finds
/// these spellings, so that a line whose keywords are all escaped still has its view read.
/// Those equal to the keyword are left out.
pub(crate) fn spellings(keyword: &str) -> Vec<String> {
    let kw = keyword.as_bytes();
    let escaped = |escape: &dyn Fn(u8) -> Option<String>| -> String {
        kw.iter()
            .map(|&b| escape(b).unwrap_or_else(|| (b as char).to_string()))
            .collect()
    };
    let url = escaped(&|b: u8| {
        (!b.is_ascii_alphanumeric() && !b"-_.~".contains(&b)).then(|| format!("%{b:02x}"))
    });
    let html = |quot: &'static str, apos: &'static str| {
        escaped(&move |b: u8| {
            match b {
                b'"' => Some(quot),
                b'\'' => Some(apos),
                b'<' => Some("&lt;"),
                b'>' => Some("&gt;"),
                _ => None,
            }
            .map(str::to_string)
        })
    };
    // A string escape: up to the first escaped byte after the first, then its last backslash.
    let backslash = kw
        .iter()
        .skip(1)
        .position(|b| b"\"'/".contains(b))
        .map(|i| format!("{}\\", &keyword[..=i]));
    let mut out: Vec<String> = Vec::new();
    // Django's `escape`, and MarkupSafe's (Jinja, Flask).
    for spelled in [
        Some(url),
        backslash,
        Some(html("&quot;", "&#x27;")),
        Some(html("&#34;", "&#39;")),
    ]
    .into_iter()
    .flatten()
    {
        if spelled != keyword && !out.contains(&spelled) {
            out.push(spelled);
        }
    }
    out
}

/// A decoded view of one line, and where each of its bytes came from.
///
/// Memory: the view's bytes, and 12 bytes per piece of its map (a run of bytes copied, a run
/// of escapes of one length, one escape that decodes to several bytes), twice (a pass reads one
/// buffer and writes the other; the first pass reads the line itself). A line with a few
/// escapes costs about its own length again; the worst, copies and escapes alternating byte by
/// byte, about seven bytes per byte.
#[derive(Default)]
pub(crate) struct LayeredView {
    view: Mapped,
    // The previous pass's output, reused.
    next: Mapped,
    /// The decoders that changed the view, in order (the tests replay them).
    #[cfg(test)]
    passes: Vec<Decoder>,
}

/// Decoded bytes, and in pieces the raw bytes each came from.
#[derive(Default)]
struct Mapped {
    text: Vec<u8>,
    /// In view order, the first at 0: piece `k` covers the view bytes from `pieces[k].at` to
    /// the next piece's (the last one's to the end of `text`).
    pieces: Vec<Piece>,
}

/// A stretch of view bytes and the raw bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Its first view byte.
    at: u32,
    /// Where its raw bytes start.
    raw: u32,
    /// How many raw bytes stand for one view byte: 1 in a copy, 2 in a run of `\"`, up to
    /// `\uXXXX` of `\uXXXX` of `\uXXXX` (6^MAX_DEPTH).
    len: u8,
    /// Every view byte of the piece came from the one escape `raw..raw + len` (`\u00e9`, two
    /// bytes of UTF-8). Else view byte `at + k` came from `raw + k * len` on: escapes of one
    /// length back to back, or a copy, are one piece.
    shared: bool,
}

const _: () = assert!(6usize.pow(MAX_DEPTH as u32) <= u8::MAX as usize);

impl Mapped {
    fn clear(&mut self) {
        self.text.clear();
        self.pieces.clear();
    }

    /// The index of the piece that holds view byte `i`, looking from piece `from` on (a pass
    /// reads its input in order, so its look-ups move forward: linear in all).
    fn piece_from(&self, from: usize, i: usize) -> usize {
        let mut k = from;
        while self.pieces.get(k + 1).is_some_and(|p| p.at as usize <= i) {
            k += 1;
        }
        k
    }

    /// The index of the piece that holds view byte `i`.
    fn piece_of(&self, i: usize) -> usize {
        self.pieces.partition_point(|p| p.at as usize <= i) - 1
    }

    /// The raw bytes view byte `i` of piece `k` came from.
    fn raw_of(&self, k: usize, i: usize) -> Range<usize> {
        let p = self.pieces[k];
        let len = usize::from(p.len);
        let start = match p.shared {
            true => p.raw as usize,
            false => p.raw as usize + (i - p.at as usize) * len,
        };
        start..start + len
    }

    /// Append a piece starting at the current end of the text, unless it continues the last.
    fn push(&mut self, piece: Piece) {
        if let Some(last) = self.pieces.last()
            && last.shared == piece.shared
            && last.len == piece.len
        {
            let continues = match piece.shared {
                true => last.raw == piece.raw,
                false => last.raw + (piece.at - last.at) * u32::from(last.len) == piece.raw,
            };
            if continues {
                return;
            }
        }
        self.pieces.push(piece);
    }
}

impl LayeredView {
    /// Build the view of `line`. Returns false when it would equal the line (nothing to
    /// decode), and the view is then not to be used.
    pub(crate) fn build(&mut self, line: &[u8]) -> bool {
        self.view.clear();
        #[cfg(test)]
        self.passes.clear();
        // Positions are u32: a line longer than that is scanned in windows far smaller.
        let Ok(_) = u32::try_from(line.len()) else {
            return false;
        };
        let mut decoded = false;
        for _ in 0..MAX_DEPTH {
            // One layer a pass, the innermost first: a string escape, else URL encoding, else
            // HTML references (a pass that changes nothing gives way to the next kind), outermost
            // first.
            let text = if decoded { &self.view.text[..] } else { line };
            let (backslash, percent, entity) = (
                memchr::memchr(b'\\', text).is_some(),
                has_percent_escape(text),
                has_entity(text),
            );
            let changed = (backslash && self.pass(line, decoded, Decoder::Unescape))
                || (percent && self.pass(line, decoded, Decoder::Percent))
                || (entity && self.pass(line, decoded, Decoder::Html));
            if !changed {
                break;
            }
            decoded = true;
        }
        let text = if decoded { &self.view.text[..] } else { line };
        if memchr::memchr(ESC, text).is_some() && self.pass(line, decoded, Decoder::Ansi) {
            decoded = true;
        }
        decoded
    }

    /// Run one decoding pass over the view (over `line` itself when nothing is `decoded` yet);
    /// returns whether it changed anything.
    fn pass(&mut self, line: &[u8], decoded: bool, decoder: Decoder) -> bool {
        self.next.clear();
        let (text, from) = if decoded {
            (&self.view.text[..], Source::Mapped(&self.view))
        } else {
            (line, Source::Raw)
        };
        // A pass writes at most what it reads, but for `\uXXXX` of a character outside ASCII.
        self.next.text.reserve(text.len());
        crate::work::read(text.len());
        decoder.run(
            text,
            &mut Emit {
                from,
                cursor: 0,
                out: &mut self.next,
            },
        );
        if self.next.text == text {
            return false;
        }
        std::mem::swap(&mut self.view, &mut self.next);
        #[cfg(test)]
        self.passes.push(decoder);
        true
    }

    /// The decoded text.
    pub(crate) fn text(&self) -> &[u8] {
        &self.view.text
    }

    /// The raw bytes a non-empty span of the view came from: whole escape sequences.
    pub(crate) fn to_raw(&self, span: Range<usize>) -> Range<usize> {
        debug_assert!(span.start < span.end && span.end <= self.view.text.len());
        let m = &self.view;
        let first = m.piece_of(span.start);
        let last = m.piece_from(first, span.end - 1);
        m.raw_of(first, span.start).start..m.raw_of(last, span.end - 1).end
    }

    /// The view's lines (ranges of [`LayeredView::text`], without `\n` or `\r\n`).
    pub(crate) fn lines(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let text = &self.view.text;
        let mut start = 0;
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let (end, next) = match memchr::memchr(b'\n', &text[start..]) {
                Some(o) => (start + o, start + o + 1),
                None => {
                    done = true;
                    (text.len(), text.len())
                }
            };
            let body_end = if end > start && text[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            let r = start..body_end;
            start = next;
            Some(r)
        })
    }
}

/// Where the bytes a pass reads came from: the line itself, or a view's map.
#[derive(Clone, Copy)]
enum Source<'a> {
    Raw,
    Mapped(&'a Mapped),
}

/// The decoders, one layer each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    Unescape,
    Percent,
    Html,
    Ansi,
}

impl Decoder {
    fn run(self, text: &[u8], out: &mut Emit<'_>) {
        match self {
            Decoder::Unescape => unescape(text, out),
            Decoder::Percent => percent_decode(text, out),
            Decoder::Html => html_unescape(text, out),
            Decoder::Ansi => strip_ansi(text, out),
        }
    }
}

/// Where one pass writes: decoded bytes, and the raw bytes they came from.
struct Emit<'a> {
    from: Source<'a>,
    /// The piece of `from` the last look-up ended in (inputs are read in order).
    cursor: usize,
    out: &'a mut Mapped,
}

impl Emit<'_> {
    /// Write input bytes `src` of this pass as they are.
    fn copy(&mut self, text: &[u8], src: Range<usize>) {
        // Between escapes back to back there is nothing to copy.
        if src.is_empty() {
            return;
        }
        match self.from {
            Source::Raw => self.out.push(Piece {
                at: self.out.text.len() as u32,
                raw: src.start as u32,
                len: 1,
                shared: false,
            }),
            Source::Mapped(m) => {
                // The input's pieces that `src` overlaps, each cut to it.
                let mut i = src.start;
                while i < src.end {
                    let k = m.piece_from(self.cursor, i);
                    self.cursor = k;
                    let p = m.pieces[k];
                    let piece_end = m.pieces.get(k + 1).map_or(m.text.len(), |n| n.at as usize);
                    let at = (self.out.text.len() + (i - src.start)) as u32;
                    self.out.push(Piece {
                        at,
                        raw: m.raw_of(k, i).start as u32,
                        ..p
                    });
                    i = piece_end.min(src.end);
                }
            }
        }
        self.out.text.extend_from_slice(&text[src]);
    }

    /// Write `bytes`, decoded from input bytes `src` of this pass.
    fn put(&mut self, bytes: &[u8], src: Range<usize>) {
        let raw = match self.from {
            Source::Raw => src,
            Source::Mapped(m) => {
                let first = m.piece_from(self.cursor, src.start);
                let last = m.piece_from(first, src.end - 1);
                self.cursor = last;
                m.raw_of(first, src.start).start..m.raw_of(last, src.end - 1).end
            }
        };
        // Positions fit (the line's length was checked); lengths by the depth bound.
        debug_assert!(!raw.is_empty() && raw.len() <= usize::from(u8::MAX));
        self.out.push(Piece {
            at: self.out.text.len() as u32,
            raw: raw.start as u32,
            len: raw.len() as u8,
            shared: bytes.len() > 1,
        });
        self.out.text.extend_from_slice(bytes);
    }
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    digits
        .iter()
        .try_fold(0, |acc, &b| Some(acc * 16 + hex(b)?))
}

/// The byte a `%HH` at the start of `text` stands for.
fn percent_escape(text: &[u8]) -> Option<u8> {
    match text {
        [b'%', h, l, ..] => Some((hex(*h)? * 16 + hex(*l)?) as u8),
        _ => None,
    }
}

fn has_percent_escape(text: &[u8]) -> bool {
    memchr::memchr_iter(b'%', text).any(|i| percent_escape(&text[i..]).is_some())
}

/// One level of URL encoding: `%HH` is a byte. (`+` stays: it is a space only in forms, and a
/// byte of many tokens.)
fn percent_decode(text: &[u8], out: &mut Emit<'_>) {
    let mut i = 0;
    for p in memchr::memchr_iter(b'%', text) {
        if p < i {
            continue;
        }
        if let Some(b) = percent_escape(&text[p..]) {
            out.copy(text, i..p);
            out.put(&[b], p..p + 3);
            i = p + 3;
        }
    }
    out.copy(text, i..text.len());
}

/// The longest HTML character reference decoded: six bytes (`&quot;`, `&#x27;`, `&#039;`),
/// which keeps a view byte's raw bytes within the bound of [`Piece::len`].
const MAX_ENTITY: usize = 6;
const _: () = assert!(MAX_ENTITY <= 6);

/// The character an HTML reference at the start of `text` stands for, and its length: the
/// named ones a template engine writes for markup and quotes, or a numeric one of ASCII.
pub(crate) fn entity(text: &[u8]) -> Option<(u8, usize)> {
    let end = memchr::memchr(b';', &text[..text.len().min(MAX_ENTITY)])?;
    let name = &text[1..end];
    let c = match name {
        b"quot" => b'"',
        b"apos" => b'\'',
        b"amp" => b'&',
        b"lt" => b'<',
        b"gt" => b'>',
        [b'#', b'x' | b'X', hex @ ..] if !hex.is_empty() => u8::try_from(hex_value(hex)?).ok()?,
        [b'#', dec @ ..] if !dec.is_empty() && dec.iter().all(u8::is_ascii_digit) => {
            u8::try_from(dec.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))).ok()?
        }
        _ => return None,
    };
    c.is_ascii().then_some((c, end + 1))
}

fn has_entity(text: &[u8]) -> bool {
    memchr::memchr_iter(b'&', text).any(|i| entity(&text[i..]).is_some())
}

/// One level of HTML escaping.
fn html_unescape(text: &[u8], out: &mut Emit<'_>) {
    let mut i = 0;
    for p in memchr::memchr_iter(b'&', text) {
        if p < i {
            continue;
        }
        if let Some((c, len)) = entity(&text[p..]) {
            out.copy(text, i..p);
            out.put(&[c], p..p + len);
            i = p + len;
        }
    }
    out.copy(text, i..text.len());
}

/// One level of string escapes: JSON, Python repr, JavaScript.
fn unescape(text: &[u8], out: &mut Emit<'_>) {
    let mut i = 0;
    while i < text.len() {
        // Escapes come back to back in a deep layer (`\\\"`): the next byte is asked first.
        let next = if text[i] == b'\\' {
            Some(0)
        } else {
            memchr::memchr(b'\\', &text[i..])
        };
        let Some(off) = next else {
            out.copy(text, i..text.len());
            break;
        };
        out.copy(text, i..i + off);
        i += off;
        let (decoded, len): (Option<u32>, usize) = match text.get(i + 1) {
            Some(b'n') => (Some(u32::from(b'\n')), 2),
            Some(b'r') => (Some(u32::from(b'\r')), 2),
            Some(b't') => (Some(u32::from(b'\t')), 2),
            Some(&c @ (b'"' | b'\'' | b'\\' | b'/' | b'`')) => (Some(u32::from(c)), 2),
            Some(b'u') => (text.get(i + 2..i + 6).and_then(hex_value), 6),
            Some(b'x') => (text.get(i + 2..i + 4).and_then(hex_value), 4),
            _ => (None, 1),
        };
        match decoded.and_then(char::from_u32) {
            // `\xHH` is a byte, not a code point.
            Some(_) if text[i + 1] == b'x' => {
                out.put(&[decoded.unwrap_or(0) as u8], i..i + len);
            }
            Some(c) => {
                let mut buf = [0; 4];
                out.put(c.encode_utf8(&mut buf).as_bytes(), i..i + len);
            }
            // A lone surrogate or an unknown escape: the backslash stays as it is.
            None => {
                out.put(b"\\", i..i + 1);
                i += 1;
                continue;
            }
        }
        i += len;
    }
}

/// The length of the ANSI escape sequence (`ESC [ params letter`: colours, cursor) at the
/// start of `text`, or 0.
pub(crate) fn ansi_len(text: &[u8]) -> usize {
    if !text.starts_with(&[ESC, b'[']) {
        return 0;
    }
    let params = text[2..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    match text.get(2 + params) {
        Some(b) if b.is_ascii_alphabetic() => 3 + params,
        _ => 0,
    }
}

/// Remove ANSI escape sequences.
fn strip_ansi(text: &[u8], out: &mut Emit<'_>) {
    let mut i = 0;
    while i < text.len() {
        let Some(off) = memchr::memchr(ESC, &text[i..]) else {
            out.copy(text, i..text.len());
            break;
        };
        out.copy(text, i..i + off);
        i += off;
        match ansi_len(&text[i..]) {
            0 => {
                out.copy(text, i..i + 1);
                i += 1;
            }
            n => i += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(line: &[u8]) -> Option<LayeredView> {
        let mut v = LayeredView::default();
        v.build(line).then_some(v)
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).position(|w| w == needle).unwrap()
    }

    fn lines(v: &LayeredView) -> Vec<String> {
        v.lines()
            .map(|r| String::from_utf8_lossy(&v.text()[r]).into_owned())
            .collect()
    }

    #[test]
    fn json_escapes_become_raw_text_and_lines() {
        let line = br#"{"event": "Signature:\nfa9a23\r\nnext \"quoted\" \u0041\/x"}"#;
        let v = view(line).unwrap();
        assert_eq!(
            lines(&v),
            [
                r#"{"event": "Signature:"#,
                "fa9a23",
                r#"next "quoted" A/x"}"#
            ]
        );
    }

    #[test]
    fn nested_layers_are_decoded_to_the_bottom() {
        // A repr inside JSON inside JSON: \\\" is a quote two levels down, \\\\' a repr quote.
        let line = br#"{"msg": "{\"body\": \"{'k': \\\"v\\\\'w\\\"}\"}"}"#;
        let v = view(line).unwrap();
        assert_eq!(lines(&v), [r#"{"msg": "{"body": "{'k': "v'w"}"}"}"#]);
    }

    #[test]
    fn spans_map_back_to_whole_escapes() {
        let line = br#"a\"b\u0063d\\e"#;
        let v = view(line).unwrap();
        assert_eq!(v.text(), br#"a"bcd\e"#);
        // `"b` covers `\"b`; `c` covers the whole `\u0063`; `\e` is an unknown escape left as is.
        assert_eq!(&line[v.to_raw(1..3)], br#"\"b"#);
        assert_eq!(&line[v.to_raw(3..4)], br#"\u0063"#);
        assert_eq!(&line[v.to_raw(5..7)], br#"\\e"#);
    }

    #[test]
    fn ansi_codes_are_removed_raw_and_escaped() {
        let raw = b"password: \x1b[32m'hunter2hunter2'\x1b[39m";
        let v = view(raw).unwrap();
        assert_eq!(v.text(), b"password: 'hunter2hunter2'");
        assert_eq!(&raw[v.to_raw(11..25)], b"hunter2hunter2");
        let escaped = br#"{"msg": "password: \u001b[32m'hunter2'\u001b[39m"}"#;
        let v = view(escaped).unwrap();
        assert_eq!(v.text(), br#"{"msg": "password: 'hunter2'"}"#);
    }

    #[test]
    fn python_byte_escapes_and_unknown_escapes() {
        let v = view(br"b'\x41\xe9\q'").unwrap();
        assert_eq!(v.text(), b"b'A\xe9\\q'");
        assert!(view(b"no escapes here").is_none());
        assert!(view(br"C:\q\z").is_none());
    }

    #[test]
    fn the_deepest_escape_maps_to_all_its_raw_bytes() {
        // `A` written as `\u0041`, each of those bytes as `\u00XX`, and again: 216 raw bytes
        // for one view byte, the longest a view byte can come from.
        let escape = |text: &[u8]| -> Vec<u8> {
            text.iter()
                .flat_map(|b| format!("\\u{:04x}", b).into_bytes())
                .collect()
        };
        let line = [b"x=".as_slice(), &escape(&escape(&escape(b"A"))), b";"].concat();
        assert_eq!(line.len(), 2 + 216 + 1);
        let v = view(&line).unwrap();
        assert_eq!(v.text(), b"x=A;");
        assert_eq!(v.to_raw(2..3), 2..218);
        assert_eq!(v.to_raw(1..4), 1..219);
    }

    #[test]
    fn url_encoding_is_a_layer() {
        // A JSON body sent URL-encoded in a query, inside a JSON log line.
        let line = br#"{"url": "/t?d=%7B%22password%22%3A%20%22p%40ss%2Bw0rd%22%7D&n=1%2"}"#;
        let v = view(line).unwrap();
        assert_eq!(
            v.text(),
            br#"{"url": "/t?d={"password": "p@ss+w0rd"}&n=1%2"}"#
        );
        // `p@ss` maps back to `p%40ss`; `+` was written as `%2B`.
        let at = find(v.text(), b"p@ss");
        assert_eq!(&line[v.to_raw(at..at + 4)], b"p%40ss");
        assert_eq!(&line[v.to_raw(at + 4..at + 5)], b"%2B");
        // A line break written `%0A` cuts the view into lines.
        let v = view(b"body=token%3A%0Aabc").unwrap();
        assert_eq!(lines(&v), ["body=token:", "abc"]);
        assert!(view(b"100% done, 5%x").is_none());
    }

    #[test]
    fn html_character_references_are_a_layer() {
        let line =
            b"<td>{&#x27;password&#x27;: &#39;hunter2&#39;, &quot;a&quot;: 1 &amp;&lt;&gt;}</td>";
        let v = view(line).unwrap();
        assert_eq!(v.text(), br#"<td>{'password': 'hunter2', "a": 1 &<>}</td>"#);
        let at = find(v.text(), b"'hunter2");
        assert_eq!(&line[v.to_raw(at..at + 2)], b"&#39;h");
        // Unknown names, references too long or not ASCII, and bare ampersands stay.
        assert!(view(b"a=1&b=2 &copy; &#x1F600; &#1234; &nbsp;").is_none());
    }

    #[test]
    fn layers_of_different_kinds_nest() {
        // HTML-escaped, then URL-encoded, then a JSON string: three passes, outermost first.
        let line = br#"{"m": "q=%26quot%3Bk%26quot%3B "x""}"#;
        let v = view(line).unwrap();
        assert_eq!(v.text(), br#"{"m": "q="k" "x""}"#);
        let at = find(v.text(), b"\"k");
        assert_eq!(&line[v.to_raw(at..at + 1)], b"%26quot%3B");
    }

    #[test]
    fn keywords_are_spelled_as_each_layer_writes_them() {
        assert_eq!(
            spellings("\"code\""),
            [
                "%22code%22",
                "\"code\\",
                "&quot;code&quot;",
                "&#34;code&#34;"
            ]
        );
        assert_eq!(spellings("code="), ["code%3d"]);
        assert_eq!(spellings("/reset/"), ["%2freset%2f", "/reset\\"]);
        assert!(spellings("password").is_empty());
        // Every quote and slash escaped, as JSON, a repr and PHP's JSON write them.
        let esc = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\'', "\\'")
                .replace('/', "\\/")
        };
        for kw in [
            "'code'",
            "\"code\"",
            "<code>",
            "x-api-key:",
            "$2a$",
            "/reset/",
        ] {
            for s in spellings(kw) {
                if s.contains('\\') {
                    // Escaped once, and twice.
                    assert!(esc(kw).contains(&s) && esc(&esc(kw)).contains(&s), "{s}");
                } else {
                    // URL-encoded or HTML-escaped, it decodes to the keyword.
                    let v = view(s.as_bytes()).unwrap();
                    assert_eq!(v.text(), kw.as_bytes(), "{s}");
                }
            }
        }
    }

    #[test]
    fn decoding_stops_at_the_depth_bound() {
        // Four levels of escaping: three are decoded, one is left.
        let line = br#"\\\\\\\\\\\\\\\""#;
        let v = view(line).unwrap();
        assert_eq!(v.text(), br#"\""#);
    }
    /// Every pass composed byte by byte, the way the first version of the view kept its map
    /// (a raw range per view byte): the pieces must say the same of every byte and span.
    fn per_byte(line: &[u8], passes: &[Decoder]) -> (Vec<u8>, Vec<Range<usize>>) {
        let mut text = line.to_vec();
        let mut map: Vec<Range<usize>> = (0..line.len()).map(|i| i..i + 1).collect();
        for &d in passes {
            let mut out = Mapped::default();
            d.run(
                &text,
                &mut Emit {
                    from: Source::Raw,
                    cursor: 0,
                    out: &mut out,
                },
            );
            let composed = (0..out.text.len())
                .map(|j| {
                    let src = out.raw_of(out.piece_of(j), j);
                    map[src.start].start..map[src.end - 1].end
                })
                .collect();
            (text, map) = (out.text, composed);
        }
        (text, map)
    }

    proptest::proptest! {
        #[test]
        fn pieces_map_every_byte_as_a_map_per_byte_does(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(&b"a"[..]),
                    proptest::strategy::Just(&b"token="[..]),
                    proptest::strategy::Just(&b"\\"[..]),
                    proptest::strategy::Just(&b"\\\\"[..]),
                    proptest::strategy::Just(&b"\\\""[..]),
                    proptest::strategy::Just(&b"\\n"[..]),
                    proptest::strategy::Just(&b"\\u00"[..]),
                    proptest::strategy::Just(&b"\\u00e9"[..]),
                    proptest::strategy::Just(&b"\\u005c"[..]),
                    proptest::strategy::Just(&b"\\x41"[..]),
                    proptest::strategy::Just(&b"41"[..]),
                    proptest::strategy::Just(&b"%2"[..]),
                    proptest::strategy::Just(&b"%25"[..]),
                    proptest::strategy::Just(&b"%3D"[..]),
                    proptest::strategy::Just(&b"&quot;"[..]),
                    proptest::strategy::Just(&b"&amp;"[..]),
                    proptest::strategy::Just(&b"&#x27;"[..]),
                    proptest::strategy::Just(&b"\x1b[32m"[..]),
                    proptest::strategy::Just(&b"\\u001b[0m"[..]),
                    proptest::strategy::Just(&b"\n"[..]),
                ],
                0..40,
            ),
            cut in 0usize..1000,
        ) {
            let line: Vec<u8> = parts.concat();
            let mut v = LayeredView::default();
            if v.build(&line) {
                let (text, map) = per_byte(&line, &v.passes);
                proptest::prop_assert_eq!(v.text(), &text[..]);
                for (j, raw) in map.iter().enumerate() {
                    proptest::prop_assert_eq!(&v.to_raw(j..j + 1), raw, "view byte {}", j);
                }
                if !text.is_empty() {
                    let a = cut % text.len();
                    let b = a + 1 + (cut / 7) % (text.len() - a);
                    proptest::prop_assert_eq!(v.to_raw(a..b), map[a].start..map[b - 1].end);
                }
            }
        }
    }
}
