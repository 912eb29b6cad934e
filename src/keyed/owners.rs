//! Which keyed rules may own a key, found by hash lookups rather than by asking every rule.
//!
//! A rule owns a (normalized) key when one of the key's forms ([`key_forms`]) is one of its
//! names or ends with one of its suffixes. Asking each rule in turn costs the catalog's size
//! in comparisons for every new key: an attacker's line of distinct keys, a clause's words,
//! a user's catalog of hundreds of rules. The index answers with the few rules that list a
//! form, or a tail of it, and only those are asked. Work per key: one lookup per form and per
//! distinct suffix length, whatever the number of rules.

use crate::rules::{KeyedRule, key_forms};
use foldhash::HashMap;

pub(super) struct OwnerIndex {
    /// Every listed name (owned in any syntax, in queries or prose only, or excluded as a
    /// look-alike) with the rules that list it.
    names: HashMap<Box<[u8]>, Vec<usize>>,
    /// Every suffix with the rules that list it.
    suffixes: HashMap<Box<[u8]>, Vec<usize>>,
    /// The distinct lengths of the suffixes, shortest first.
    suffix_lens: Vec<usize>,
}

impl OwnerIndex {
    pub(super) fn new(rules: &[KeyedRule]) -> OwnerIndex {
        let mut names: HashMap<Box<[u8]>, Vec<usize>> = HashMap::default();
        let mut suffixes: HashMap<Box<[u8]>, Vec<usize>> = HashMap::default();
        for (i, r) in rules.iter().enumerate() {
            let listed = r
                .names
                .iter()
                .chain(&r.query_names)
                .chain(&r.prose_names)
                .chain(&r.exclude);
            for n in listed {
                names.entry(n.as_bytes().into()).or_default().push(i);
            }
            for s in &r.suffixes {
                suffixes.entry(s.as_bytes().into()).or_default().push(i);
            }
        }
        let mut suffix_lens: Vec<usize> = suffixes.keys().map(|s| s.len()).collect();
        suffix_lens.sort_unstable();
        suffix_lens.dedup();
        OwnerIndex {
            names,
            suffixes,
            suffix_lens,
        }
    }

    /// The rules, in catalog order, that list a form of `normalized_key` or a tail of one:
    /// every rule that may own or exclude it (a rule not among them does neither).
    pub(super) fn candidates(&self, normalized_key: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        for form in key_forms(normalized_key).into_iter().flatten() {
            out.extend(self.names.get(form).into_iter().flatten());
            for &len in self.suffix_lens.iter().take_while(|&&l| l <= form.len()) {
                let tail = &form[form.len() - len..];
                out.extend(self.suffixes.get(tail).into_iter().flatten());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::test_support::builtin_matcher;
    use crate::rules::normalize_key;

    /// The index must change nothing: for keys of every shape, the rules it offers include
    /// every rule that owns or excludes the key when each rule is asked in turn.
    #[test]
    fn candidates_hold_every_owner() {
        let m = builtin_matcher();
        let index = OwnerIndex::new(&m.rules);
        let mut keys: Vec<String> = Vec::new();
        for r in &m.rules {
            for n in r.names.iter().chain(&r.suffixes).chain(&r.exclude) {
                for k in [
                    n.clone(),
                    format!("x{n}"),
                    format!("my_{n}_2"),
                    format!("{n}_confirm"),
                    format!("{n}s"),
                    format!("{n}x"),
                    n[1..].to_string(),
                ] {
                    keys.push(k);
                }
            }
        }
        keys.extend(["", "id", "requestid", "nexttoken", "tokentype"].map(String::from));
        for k in keys {
            let mut norm = Vec::new();
            normalize_key(k.as_bytes(), &mut norm);
            let candidates = index.candidates(&norm);
            for (i, r) in m.rules.iter().enumerate() {
                if r.owns(&norm).is_some() || r.excludes(&norm) {
                    assert!(candidates.contains(&i), "{k}: rule {} not offered", r.id);
                }
            }
        }
    }
}
