//! A matcher for the shape most token patterns have, with no automaton: literals, byte classes
//! and greedy runs of a class, where a run can never give a byte back to what follows it
//! (`eyJ[A-Za-z0-9_-]{8,}\.`: the `.` is not in the class). Such a pattern matches at a given
//! start in one way only, found by walking it once: each run is measured by a table lookup per
//! byte, with no dependent load from one byte to the next as in a DFA (which spends 6-7 cycles
//! on each byte of a 300-byte JWT).
//!
//! Where that one way does not settle it (an assertion after a run at the end of the pattern
//! may hold only if the run gives bytes back), the walk says so and the regex decides.

use super::prefix_free;
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use std::ops::Range;

/// One step of a [`TokenProgram`].
#[derive(Debug)]
enum Step {
    /// One byte of this set.
    Byte(Box<[bool; 256]>),
    /// One of these literals, none a prefix of another (so at most one matches).
    OneOf(Vec<Vec<u8>>),
    /// As many bytes of `class` as there are, at most `max`, at least `min`.
    Run {
        class: Box<[bool; 256]>,
        min: usize,
        max: usize,
    },
    /// `\b` (`word`) or `\B`, ASCII word bytes; `rest_nullable`: the steps after it may
    /// consume nothing.
    WordBoundary {
        word: bool,
        rest_nullable: bool,
    },
    SecretStart,
    SecretEnd,
}

/// What a walk of a [`TokenProgram`] found at a start.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenMatch {
    /// The pattern matches up to `end`, its secret at `secret`.
    Found {
        end: usize,
        secret: Range<usize>,
    },
    NoMatch,
    /// Not settled by one walk: ask the regex.
    Unknown,
}

#[derive(Debug)]
pub(crate) struct TokenProgram {
    steps: Vec<Step>,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl TokenProgram {
    /// The program for `hir`, if it has the shape: a concatenation of literals, byte classes,
    /// greedy repetitions of one byte class, sets of literals none a prefix of another, `\b`
    /// and `\B`, and the `secret` group (taking part in every match) around some of them.
    pub(crate) fn of(hir: &Hir) -> Option<TokenProgram> {
        let mut steps = Vec::new();
        flatten(hir, &mut steps)?;
        let secret_marks = steps
            .iter()
            .filter(|s| matches!(s, Step::SecretStart | Step::SecretEnd))
            .count();
        if secret_marks != 2 {
            return None;
        }
        // A run must not be able to give a byte to what follows it: no byte that may come
        // next is in its class.
        for (i, step) in steps.iter().enumerate() {
            if let Step::Run { class, min, max } = step
                && min != max
                && first_bytes(&steps[i + 1..])
                    .iter()
                    .any(|&b| class[b as usize])
            {
                return None;
            }
        }
        for i in 0..steps.len() {
            let rest = nullable(&steps[i + 1..]);
            if let Step::WordBoundary { rest_nullable, .. } = &mut steps[i] {
                *rest_nullable = rest;
            }
        }
        Some(TokenProgram { steps })
    }

    /// Whether [`TokenProgram::run`] may answer [`TokenMatch::Unknown`] (a `\b` or `\B` with
    /// nothing after it that must match), so that a rule needs another way to decide.
    pub(crate) fn may_be_unknown(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s,
                Step::WordBoundary {
                    rest_nullable: true,
                    ..
                }
            )
        })
    }

    /// Walk the program from `start` in `hay`.
    pub(crate) fn run(&self, hay: &[u8], start: usize) -> TokenMatch {
        let mut at = start;
        let mut secret = start..start;
        for step in &self.steps {
            match step {
                Step::Byte(set) => match hay.get(at) {
                    Some(&b) if set[b as usize] => at += 1,
                    _ => return TokenMatch::NoMatch,
                },
                Step::OneOf(literals) => match literals.iter().find(|l| hay[at..].starts_with(l)) {
                    Some(l) => at += l.len(),
                    None => return TokenMatch::NoMatch,
                },
                Step::Run { class, min, max } => {
                    let limit = hay.len().min(at.saturating_add(*max));
                    let end = run_end(class, hay, at, limit);
                    if end - at < *min {
                        return TokenMatch::NoMatch;
                    }
                    at = end;
                }
                Step::WordBoundary {
                    word,
                    rest_nullable,
                } => {
                    let before = at > 0 && is_word(hay[at - 1]);
                    let after = hay.get(at).is_some_and(|&b| is_word(b));
                    if (before != after) != *word {
                        // A run before it might give bytes back to satisfy it, unless
                        // something must follow (which could not match a byte of the run).
                        return match rest_nullable {
                            true => TokenMatch::Unknown,
                            false => TokenMatch::NoMatch,
                        };
                    }
                }
                Step::SecretStart => secret.start = at,
                Step::SecretEnd => secret.end = at,
            }
        }
        TokenMatch::Found { end: at, secret }
    }
}

/// Where the run of `class` bytes from `at` ends, at `limit` at most. Eight bytes are
/// looked up before each branch: tokens run for hundreds of bytes.
#[inline]
fn run_end(class: &[bool; 256], hay: &[u8], mut at: usize, limit: usize) -> usize {
    while let Some(chunk) = hay[at..limit].first_chunk::<8>() {
        if !chunk.iter().fold(true, |all, &b| all & class[b as usize]) {
            break;
        }
        at += 8;
    }
    hay[at..limit]
        .iter()
        .position(|&b| !class[b as usize])
        .map_or(limit, |n| at + n)
}

/// Append the steps of `hir`; `None` if it has another shape.
fn flatten(hir: &Hir, steps: &mut Vec<Step>) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                steps.push(Step::Byte(Box::new(std::array::from_fn(|x| {
                    x == b as usize
                }))));
            }
        }
        HirKind::Class(class) => steps.push(Step::Byte(byte_set(class)?)),
        HirKind::Look(look @ (Look::WordAscii | Look::WordAsciiNegate)) => {
            steps.push(Step::WordBoundary {
                word: *look == Look::WordAscii,
                // Known once the steps after it are.
                rest_nullable: true,
            })
        }
        HirKind::Repetition(rep) if rep.greedy => {
            let class = match rep.sub.kind() {
                HirKind::Class(class) => byte_set(class)?,
                HirKind::Literal(lit) if lit.0.len() == 1 => {
                    Box::new(std::array::from_fn(|x| x == lit.0[0] as usize))
                }
                _ => return None,
            };
            steps.push(Step::Run {
                class,
                min: rep.min as usize,
                max: rep.max.map_or(usize::MAX, |m| m as usize),
            });
        }
        HirKind::Alternation(alts) => {
            let literals = alts
                .iter()
                .map(|a| match a.kind() {
                    HirKind::Literal(lit) => Some(lit.0.to_vec()),
                    _ => None,
                })
                .collect::<Option<Vec<Vec<u8>>>>()?;
            if !prefix_free(&literals) || literals.iter().any(|l| l.is_empty()) {
                return None;
            }
            steps.push(Step::OneOf(literals));
        }
        HirKind::Capture(cap) => {
            let secret = cap.name.as_deref() == Some("secret");
            if secret {
                steps.push(Step::SecretStart);
            }
            flatten(&cap.sub, steps)?;
            if secret {
                steps.push(Step::SecretEnd);
            }
        }
        HirKind::Concat(items) => {
            for item in items {
                flatten(item, steps)?;
            }
        }
        _ => return None,
    }
    Some(())
}

fn byte_set(class: &Class) -> Option<Box<[bool; 256]>> {
    let mut set = Box::new([false; 256]);
    match class {
        Class::Bytes(c) => {
            for r in c.iter() {
                set[r.start() as usize..=r.end() as usize].fill(true);
            }
        }
        Class::Unicode(c) => {
            for r in c.iter() {
                let (start, end) = (u32::from(r.start()), u32::from(r.end()));
                if end > 0x7f {
                    return None;
                }
                set[start as usize..=end as usize].fill(true);
            }
        }
    }
    Some(set)
}

/// The bytes the first byte consumed by `steps` may be (empty if they may consume nothing).
fn first_bytes(steps: &[Step]) -> Vec<u8> {
    let mut bytes = [false; 256];
    for step in steps {
        match step {
            Step::Byte(set) => {
                (0..256).for_each(|b| bytes[b] |= set[b]);
                break;
            }
            Step::OneOf(literals) => {
                literals.iter().for_each(|l| bytes[l[0] as usize] = true);
                break;
            }
            Step::Run { class, min, .. } => {
                (0..256).for_each(|b| bytes[b] |= class[b]);
                if *min > 0 {
                    break;
                }
            }
            Step::WordBoundary { .. } | Step::SecretStart | Step::SecretEnd => {}
        }
    }
    (0..=255u8).filter(|&b| bytes[b as usize]).collect()
}

/// Whether `steps` may match without consuming a byte.
fn nullable(steps: &[Step]) -> bool {
    steps.iter().all(|s| match s {
        Step::Byte(_) | Step::OneOf(_) => false,
        Step::Run { min, .. } => *min == 0,
        Step::WordBoundary { .. } | Step::SecretStart | Step::SecretEnd => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{BUILTIN_CATALOG, parse_catalogs};
    use proptest::prelude::*;
    use regex_automata::util::syntax;
    use regex_automata::{Anchored, Input, PatternID, meta};

    fn compile(pattern: &str) -> (meta::Regex, Option<TokenProgram>) {
        let hir =
            syntax::parse_with(pattern, &syntax::Config::new().unicode(false).utf8(false)).unwrap();
        (
            meta::Regex::builder().build_from_hir(&hir).unwrap(),
            TokenProgram::of(&hir),
        )
    }

    /// The walk agrees with the regex's captures wherever it settles the attempt; returns
    /// how many attempts it settled.
    fn agree(pattern: &str, regex: &meta::Regex, program: &TokenProgram, hay: &[u8]) -> usize {
        let group = regex
            .group_info()
            .to_index(PatternID::ZERO, "secret")
            .unwrap();
        let mut caps = regex.create_captures();
        let mut settled = 0;
        for at in 0..=hay.len() {
            let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
            regex.search_captures(&input, &mut caps);
            let expected = caps
                .get_match()
                .map(|m| (m.end(), caps.get_group(group).unwrap().range()));
            let found = program.run(hay, at);
            match found {
                TokenMatch::Found { end, secret } => {
                    assert_eq!(
                        Some((end, secret)),
                        expected,
                        "{pattern} at {at} of {:?}",
                        hay.escape_ascii().to_string()
                    )
                }
                TokenMatch::NoMatch => {
                    assert_eq!(
                        None,
                        expected,
                        "{pattern} at {at} of {:?}",
                        hay.escape_ascii().to_string()
                    )
                }
                TokenMatch::Unknown => continue,
            }
            settled += 1;
        }
        settled
    }

    const SHAPES: &[&str] = &[
        r"\beyJ[A-Za-z0-9_-]{2,}\.(?P<secret>eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{3,})",
        r"\b[Bb]earer +(?P<secret>[A-Za-z0-9._~+/-]{4,}=*)",
        r"(?:IQoJ|Fwo|FQo)(?P<secret>[A-Za-z0-9+/=%]{5,})",
        r"(?P<secret>(?:eyJ|\.eJ)[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,3}\.[A-Za-z0-9_-]{2,})",
        r"(?i:sig=)(?P<secret>[0-9a-f]{4})\b",
        // A run that may give a byte back to an assertion at the end.
        r"ab(?P<secret>[a-z+]{2,})\b",
        r"ab(?P<secret>[a-z+]{2,})\B=*",
        r"x(?P<secret>[a-c]{1,3})[d-f]{2}",
    ];

    #[test]
    fn the_shapes_have_programs_and_others_do_not() {
        for p in SHAPES {
            assert!(compile(p).1.is_some(), "{p}");
        }
        for p in [
            // A run that could give a byte to what follows.
            r"a(?P<secret>[a-z]+)z",
            r"a(?P<secret>[a-z]+)[x-z0-9]",
            // Lazy, nested, alternatives that are not literals or start one another.
            r"a(?P<secret>[a-z]+?)",
            r"a(?P<secret>(?:[a-z]+ )*)",
            r"(?:ab|abc)(?P<secret>[0-9]+)",
            r"(?:a|[0-9])(?P<secret>[0-9]+)",
            // No secret group.
            r"a[0-9]+",
        ] {
            assert!(compile(p).1.is_none(), "{p}");
        }
    }

    #[test]
    fn the_catalog_token_rules_have_programs() {
        let cat = parse_catalogs(BUILTIN_CATALOG).unwrap();
        let with: Vec<&str> = (cat.rule.iter())
            .filter(|r| compile(&r.pattern).1.is_some())
            .map(|r| r.id.as_str())
            .collect();
        for id in [
            "jwt",
            "bearer-token",
            "aws-session-token",
            "flask-session",
            "npm-token",
        ] {
            assert!(with.contains(&id), "{id} not in {with:?}");
        }
    }

    #[test]
    fn the_walk_finds_what_captures_find_on_examples() {
        let cat = parse_catalogs(BUILTIN_CATALOG).unwrap();
        let mut settled = 0;
        for r in &cat.rule {
            let (regex, Some(program)) = compile(&r.pattern) else {
                continue;
            };
            for ex in r.examples.iter().chain(&r.counterexamples) {
                for text in [
                    ex.clone(),
                    format!("x{ex}"),
                    format!("{ex}{ex}"),
                    format!("{ex}=+ _"),
                ] {
                    settled += agree(&r.pattern, &regex, &program, text.as_bytes());
                }
            }
        }
        assert!(settled > 1000, "{settled}");
    }

    proptest! {
        #[test]
        fn the_walk_finds_what_captures_find(
            shape in 0..SHAPES.len(),
            // Pieces of the shapes, so that most texts come near a match.
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just(&b"eyJ"[..]), Just(&b"."[..]), Just(&b"ab"[..]), Just(&b"abc"[..]), Just(&b"Bearer"[..]),
                    Just(&b" "[..]), Just(&b"bearer  "[..]), Just(&b"="[..]), Just(&b"+"[..]), Just(&b"IQoJ"[..]),
                    Just(&b"FQo"[..]), Just(&b"sig="[..]), Just(&b"SiG="[..]), Just(&b"0f"[..]), Just(&b"x"[..]),
                    Just(&b"d"[..]), Just(&b"ef"[..]), Just(&b"_"[..]), Just(&b"-"[..]), Just(&b".eJ"[..]), Just(&b"%"[..]),
                    Just(&b"\xe9"[..]),
                ],
                0..14,
            )
        ) {
            let hay = pieces.concat();
            let (regex, program) = compile(SHAPES[shape]);
            agree(SHAPES[shape], &regex, &program.unwrap(), &hay);
        }
    }
}
