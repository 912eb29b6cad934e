//! DynamoDB expression bindings: `SET refresh_token = :r` makes the value bound to `:r` in
//! `ExpressionAttributeValues` a refresh token.
//!
//! SDK debug logs (boto3 `update_item`, `Attr('refresh_token').eq(x)`, the JS SDK's
//! `FilterExpression`) print a secret under a placeholder key, with the real attribute name in
//! the expression, sometimes behind `ExpressionAttributeNames` (`#n0` → `refresh_token`), and in
//! util.inspect output on other lines than the value. A binding found in an expression is kept
//! for a few lines ([`BINDING_LINES`]) as a key alias for the keyed matcher.

use crate::keyed::{KeyScratch, KeyedHit, KeyedMatcher, Pending, ValueEnds};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// How many lines after its expression a placeholder binding is looked for.
pub(crate) const BINDING_LINES: u32 = 24;
/// At most this many bindings are kept.
const MAX_BINDINGS: usize = 16;

/// `:r` is bound to the secret key of keyed rule `rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    placeholder: Vec<u8>,
    rule: usize,
    lines_left: u32,
}

static NAME_ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u)(#[A-Za-z0-9_]+)\\*["']\s*:\s*\\*["']([A-Za-z0-9_.-]+)"#).expect("regex")
});

static COMPARISON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:(#?[A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|<>|<=|>=|<|>)\s*(:[A-Za-z0-9_]+)|(?:begins_with|contains)\(\s*(#?[A-Za-z0-9_.]+)\s*,\s*(:[A-Za-z0-9_]+))",
    )
    .expect("regex")
});

/// Read the expressions on `line` and add a binding for every placeholder compared with (or
/// assigned to) a secret attribute.
pub(crate) fn find_bindings(
    line: &[u8],
    keyed: &KeyedMatcher,
    keys: &mut KeyScratch,
    bindings: &mut Vec<Binding>,
) {
    // By alias: a line may hold thousands of aliases and comparisons.
    let mut names: foldhash::HashMap<&[u8], &[u8]> = foldhash::HashMap::default();
    for c in NAME_ALIAS.captures_iter(line) {
        // The first of an alias named twice, as a search of a list would take.
        (names.entry(c.get(1).unwrap().as_bytes())).or_insert(c.get(2).unwrap().as_bytes());
    }
    for c in COMPARISON.captures_iter(line) {
        let (Some(attr), Some(ph)) = (c.get(1).or(c.get(3)), c.get(2).or(c.get(4))) else {
            continue;
        };
        let mut attr = attr.as_bytes();
        if attr.starts_with(b"#") {
            match names.get(attr) {
                Some(real) => attr = real,
                None => continue,
            }
        }
        let Some(rule) = keyed.owner(attr, keys) else {
            continue;
        };
        let placeholder = ph.as_bytes().to_vec();
        bindings.retain(|b| b.placeholder != placeholder);
        if bindings.len() >= MAX_BINDINGS {
            bindings.remove(0);
        }
        bindings.push(Binding {
            placeholder,
            rule,
            lines_left: BINDING_LINES,
        });
    }
}

/// Find the values of bound placeholders on `line` (`':r': 'v'`, `":r": {"S": "v"}`). Returns
/// what a placeholder's value left open at the line's end (`':r': {`, `S: '…'` below it).
pub(crate) fn find_bound_values(
    line: &[u8],
    keyed: &KeyedMatcher,
    bindings: &[Binding],
    ends: &mut ValueEnds,
    out: &mut Vec<KeyedHit>,
) -> Option<Pending> {
    let mut open = None;
    for b in bindings {
        crate::work::read(line.len());
        let finder = memchr::memmem::Finder::new(&b.placeholder);
        for at in finder.find_iter(line) {
            let end = at + b.placeholder.len();
            let quoted = at > 0 && matches!(line[at - 1], b'\'' | b'"');
            let whole = line
                .get(end)
                .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_');
            if quoted && whole {
                open = keyed
                    .parse_after_key(line, b.rule, at, end, ends, out)
                    .or(open);
            }
        }
    }
    open
}

/// Age the bindings by one line.
pub(crate) fn age(bindings: &mut Vec<Binding>) {
    bindings.retain_mut(|b| {
        b.lines_left -= 1;
        b.lines_left > 0
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::engine::Engine;

    /// What one scanner masks on each of `lines`, in order, joined by commas (also used by
    /// the tests of other multi-line contexts).
    /// [`masked`] of each case's line, in order, against each case's expected masks.
    pub(crate) fn assert_masked(cases: &[(&str, &str)]) {
        let lines: Vec<&str> = cases.iter().map(|c| c.0).collect();
        for ((line, want), got) in cases.iter().zip(masked(&lines)) {
            assert_eq!(got, *want, "{line}");
        }
    }

    pub(crate) fn masked(lines: &[&str]) -> Vec<String> {
        let e = Engine::builtin();
        let mut sc = e.scanner();
        let mut out = Vec::new();
        lines
            .iter()
            .map(|l| {
                sc.scan_line(l.as_bytes(), &mut out);
                out.iter()
                    .map(|f| l[f.span.clone()].to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn update_expression_binds_its_placeholder() {
        let got = masked(&[
            "{'UpdateExpression': 'SET refresh_token = :r', 'ExpressionAttributeValues': {':r': 'FAKE0123456789abcdefFAKE'}}",
        ]);
        assert_eq!(got, vec!["FAKE0123456789abcdefFAKE"]);
    }

    #[test]
    fn attribute_names_are_resolved() {
        let got = masked(&[
            r##"{"FilterExpression": "#n0 = :v0", "ExpressionAttributeNames": {"#n0": "refresh_token"}, "ExpressionAttributeValues": {":v0": {"S": "FAKE0123456789abcdefFAKE"}}}"##,
        ]);
        assert_eq!(got, vec!["FAKE0123456789abcdefFAKE"]);
    }

    #[test]
    fn binding_reaches_later_lines_of_an_inspected_object() {
        let got = masked(&[
            "    FilterExpression: 'refreshToken = :r',",
            "    ExpressionAttributeValues: {",
            "      ':r': 'FAKE0123456789abcdefFAKE'",
        ]);
        assert_eq!(got, vec!["", "", "FAKE0123456789abcdefFAKE"]);
    }

    #[test]
    fn public_attributes_stay() {
        let got = masked(&[
            "KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': 'a@example.com' }",
        ]);
        assert_eq!(got, vec![""]);
    }
}
