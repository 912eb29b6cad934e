//! `anchored = true` is a promise that every match of a rule starts where one of its keywords
//! starts: the engine then runs the regex only at keyword hits. A broken promise would not be
//! an error at run time, only secrets silently missed, so it is checked when the rule is
//! compiled: the literal strings a match can start with are listed from the pattern's parse,
//! and each must begin with a keyword.
//!
//! A beginning stops growing once it starts with a keyword (what follows cannot matter), and
//! the check fails as soon as one can no longer become a keyword: the beginnings listed stay
//! as few as the keywords' own prefixes. The work is bounded by the longest keyword and
//! [`MAX_PREFIXES`], whatever the pattern.

use regex_syntax::hir::{Class, Hir, HirKind};

/// More distinct beginnings than this and the pattern is not taken as anchored.
const MAX_PREFIXES: usize = 1024;
/// Optional copies of a repetition (`x{2,5}`: 3) listed one count at a time; more end the
/// beginning after the certain ones.
const MAX_OPTIONAL: usize = 3;
/// A class of more (lowercased) bytes than this ends the listed beginning there.
const MAX_CLASS: usize = 64;

/// A beginning of a match, ASCII-lowercased; `open` while bytes may still be added to it.
#[derive(Clone, Debug)]
struct Prefix {
    bytes: Vec<u8>,
    open: bool,
}

/// A rule's keywords, lowercased, and the longest one's length.
struct Keywords {
    lower: Vec<Vec<u8>>,
    longest: usize,
}

impl Keywords {
    /// Close `p` if it starts with a keyword; false when it never will: it is closed without
    /// one, or no keyword starts with it.
    fn settle(&self, p: &mut Prefix) -> bool {
        if self.lower.iter().any(|k| p.bytes.starts_with(k)) {
            p.open = false;
            return true;
        }
        p.open && self.lower.iter().any(|k| k.starts_with(&p.bytes))
    }
}

/// Does every match of `hir` start with one of `keywords` (compared ASCII
/// case-insensitively)?
pub(crate) fn starts_with_a_keyword(hir: &Hir, keywords: &[String]) -> bool {
    let keywords = Keywords {
        lower: keywords
            .iter()
            .map(|k| k.to_ascii_lowercase().into_bytes())
            .collect(),
        longest: keywords.iter().map(String::len).max().unwrap_or(0),
    };
    let start = vec![Prefix {
        bytes: Vec::new(),
        open: true,
    }];
    let Some(prefixes) = extend(hir, start, &keywords) else {
        return false;
    };
    prefixes
        .iter()
        .all(|p| keywords.lower.iter().any(|k| p.bytes.starts_with(k)))
}

/// The beginnings after `hir` follows each of `prefixes`; `None` when there are too many, or
/// one can no longer start with a keyword.
fn extend(hir: &Hir, prefixes: Vec<Prefix>, keywords: &Keywords) -> Option<Vec<Prefix>> {
    if prefixes.iter().all(|p| !p.open) {
        return Some(prefixes);
    }
    let longest = keywords.longest;
    let out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => prefixes,
        HirKind::Literal(lit) => prefixes
            .into_iter()
            .map(|mut p| {
                if p.open {
                    p.bytes.extend(lit.0.iter().map(u8::to_ascii_lowercase));
                    keywords.settle(&mut p).then_some(p)
                } else {
                    Some(p)
                }
            })
            .collect::<Option<Vec<_>>>()?,
        HirKind::Class(class) => {
            // A class that would branch the beginnings past the limit ends them here.
            let open = prefixes.iter().filter(|p| p.open).count();
            let bytes = class_bytes(class)
                .filter(|b| prefixes.len() - open + open * b.len() <= MAX_PREFIXES);
            let mut out = Vec::new();
            for p in prefixes {
                match &bytes {
                    Some(bytes) if p.open => {
                        for &b in bytes {
                            let mut q = p.clone();
                            q.bytes.push(b);
                            if !keywords.settle(&mut q) {
                                return None;
                            }
                            out.push(q);
                        }
                    }
                    // Too many to list: the beginning is known up to here, and has no
                    // keyword (it would have been closed).
                    None if p.open => return None,
                    _ => out.push(p),
                }
            }
            out
        }
        HirKind::Capture(cap) => extend(&cap.sub, prefixes, keywords)?,
        HirKind::Concat(parts) => {
            let mut prefixes = prefixes;
            for part in parts {
                prefixes = extend(part, prefixes, keywords)?;
            }
            prefixes
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for alt in alts {
                out.extend(extend(alt, prefixes.clone(), keywords)?);
                if out.len() > MAX_PREFIXES {
                    return None;
                }
            }
            out
        }
        HirKind::Repetition(rep) => {
            let min = rep.min as usize;
            // The first `min` copies are certain (as many as can still lengthen a beginning).
            let mut prefixes = prefixes;
            for _ in 0..min.min(longest.max(1)) {
                prefixes = extend(&rep.sub, prefixes, keywords)?;
            }
            match rep.max.map(|max| max as usize) {
                // A few optional copies (`(?:PQ-)?`): each count is a way on.
                Some(max) if min <= longest && max - min <= MAX_OPTIONAL => {
                    let mut out = prefixes.clone();
                    let mut more = prefixes;
                    for _ in min..max {
                        more = extend(&rep.sub, more, keywords)?;
                        out.extend(more.iter().cloned());
                        if out.len() > MAX_PREFIXES {
                            return None;
                        }
                    }
                    out
                }
                Some(max) if max == min => prefixes,
                // Any number more: the beginning ends after the certain copies, and one
                // still open has no keyword.
                _ => {
                    if prefixes.iter().any(|p| p.open) {
                        return None;
                    }
                    prefixes
                }
            }
        }
    };
    (out.len() <= MAX_PREFIXES).then_some(out)
}

/// The distinct lowercased bytes of a class, if few enough to list; a class with non-ASCII
/// bytes is never listed (keywords are ASCII).
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut bytes = Vec::new();
    for (start, end) in ranges {
        if end >= 0x80 || (end - start) as usize >= 2 * MAX_CLASS {
            return None;
        }
        bytes.extend((start..=end).map(|b| (b as u8).to_ascii_lowercase()));
    }
    bytes.sort_unstable();
    bytes.dedup();
    (bytes.len() <= MAX_CLASS).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::util::syntax;

    fn anchored(pattern: &str, keywords: &[&str]) -> bool {
        let hir =
            syntax::parse_with(pattern, &syntax::Config::new().unicode(false).utf8(false)).unwrap();
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        starts_with_a_keyword(&hir, &keywords)
    }

    #[test]
    fn a_pattern_that_starts_with_its_keywords_is_anchored() {
        assert!(anchored(r"\bghp_(?P<secret>[A-Za-z0-9]{36})", &["ghp_"]));
        assert!(anchored(
            r"\b(?:AKIA|ASIA)(?P<secret>[A-Z2-7]{16})",
            &["akia", "asia"]
        ));
        assert!(anchored(
            r"(?i:Signature=)(?P<secret>[0-9a-f]{64})",
            &["signature="]
        ));
        assert!(anchored(
            r"\b[rs]k_(?:live|test)_(?P<secret>x+)",
            &["sk_live_", "sk_test_", "rk_live_", "rk_test_"]
        ));
        assert!(anchored(
            r"\bSK(?P<secret>[0-9a-f]{32})",
            &[
                "sk0", "sk1", "sk2", "sk3", "sk4", "sk5", "sk6", "sk7", "sk8", "sk9", "ska", "skb",
                "skc", "skd", "ske", "skf"
            ]
        ));
        assert!(anchored(
            r"\b(?:xox[bpars]|xoxe(?:\.xox[bp])?|xapp)-(?P<secret>x+)",
            &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe", "xapp-"]
        ));
        assert!(anchored(r"(?:ab){2}(?P<secret>x)", &["abab"]));
        assert!(anchored(
            r"\bAGE-SECRET-KEY-(?:PQ-)?1(?P<secret>x)",
            &["age-secret-key-1", "age-secret-key-pq-1"]
        ));
    }

    #[test]
    fn a_pattern_that_may_start_elsewhere_is_not() {
        // A match may start before the keyword.
        assert!(!anchored(r"\bacme_(?P<secret>[a-z]+)Q", &["q"]));
        assert!(!anchored(r"[a-z]*acme_(?P<secret>x+)", &["acme_"]));
        // One branch starts with no keyword.
        assert!(!anchored(r"\b(?:ghp|gho)_(?P<secret>x+)", &["ghp_"]));
        // Only one of the bytes the class lets through makes a keyword.
        assert!(!anchored(r"\bsk(?P<secret>[0-9a-f]{32})", &["sk0"]));
        assert!(!anchored(r"(?:ab)?c(?P<secret>x)", &["abc"]));
        assert!(!anchored(r"(?P<secret>.+)", &["x"]));
    }
}
