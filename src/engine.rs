//! The compiled engine and the per-stream scanner.
//!
//! [`Engine`] is built once (catalog + user config) and is immutable and `Sync`. A [`Scanner`]
//! borrows it and carries what one stream needs from line to line: a key whose value is on the
//! next line, a private-key block in progress, and the secrets already seen.
//!
//! One line goes through:
//!
//! 1. an open key block (PEM / PuTTY) takes the line if it is key material;
//! 2. the keyword prefilter (`prefilter`, ASCII case-insensitive) finds every rule
//!    keyword; a line with no hit skips to step 5 (and a stream copies runs of such lines
//!    through without calling the scanner, see [`Scanner::quiet_prefix`]);
//! 3. keyed hits are parsed in place (`keyed`); shaped rules with a hit run their regex
//!    (anchored at each hit for rules whose matches start at their keyword) and validator;
//! 4. a `BEGIN … PRIVATE KEY` without its END opens a block;
//! 5. remembered secrets are looked up (`memory`);
//! 6. spans are filtered (allowlists, already masked), overlaps resolved, and sorted.

use crate::block::{self, Block, BodyLine};
use crate::config::Config;
use crate::dynamo::{self, Binding};
use crate::keyed::{KeyScratch, KeyedHit, KeyedMatcher, Pending};
use crate::layers::{self, LayeredView};
use crate::mask::{self, is_masked, our_masks, touches_a_mask};
use crate::memory::SecretMemory;
use crate::prefilter::{KeywordFinder, LineCount};
use crate::rules::{
    BUILTIN_CATALOG, CONFIG_FAMILY, CatalogSource, KeyedRule, RuleError, Severity, ShapedRule,
    SplitCache, SplitMatch, compile_regex, parse_catalogs, token::TokenMatch,
};
use crate::sql::{self, Placeholders};
use aho_corasick::Match;
use regex::bytes::Regex;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, meta};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Mutex;

/// Index of a rule in [`Engine::rules`].
pub type RuleIndex = usize;

/// How a rule finds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// By the token's own shape (`[[rule]]`).
    Shaped,
    /// By the key in front of the value (`[[keyed]]`).
    Keyed,
}

/// What a report needs to know about a rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// The rule's id (`github-pat`, `password`): what a mask and a report name.
    pub id: String,
    /// One line for people.
    pub description: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// Found by its shape, or by the key it is the value of.
    pub kind: RuleKind,
    /// The catalog file (family of services) it comes from, `config` for a user's rule.
    pub family: String,
    /// The literal strings that wake the rule (ASCII case-insensitive).
    pub keywords: Vec<String>,
}

/// A secret in a line: the rule that found it and the bytes to mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that found it.
    pub rule: RuleIndex,
    /// The bytes to mask, in the line.
    pub span: Range<usize>,
}

/// What [`Scanner::quiet_prefix`] found: `len` bytes of whole lines to copy through, and where
/// the next keyword is.
#[derive(Debug, Clone, Copy)]
pub struct Quiet {
    /// Bytes of whole lines with no keyword: they pass through unscanned.
    pub len: usize,
    /// The number of lines in those bytes.
    pub lines: u64,
    first_keyword: FirstKeyword,
}

/// The first keyword after the quiet prefix, relative to the line that follows it.
#[derive(Debug, Clone, Copy)]
enum FirstKeyword {
    /// Not searched for (the scanner carried state over from the line before).
    Unknown,
    At(Match),
    /// There is none up to the end of the text.
    Nowhere,
}

/// What a prefilter keyword leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A shaped rule; `anchor`: its match starts where this keyword starts.
    Shaped {
        rule: usize,
        anchor: bool,
    },
    Keyed,
    /// The start of a multi-line key block.
    Block,
    /// A DynamoDB expression that may bind a placeholder to a secret attribute.
    Expression,
    /// An SQL statement whose values or placeholders belong to columns.
    Sql,
}

/// The compiled catalog (built-in rules and a config's): build it once, share it between
/// threads, and scan with a [`Scanner`] or a [`crate::Redactor`] each.
pub struct Engine {
    rules: Vec<RuleInfo>,
    shaped: Vec<ShapedRule>,
    keyed: KeyedMatcher,
    prefilter: KeywordFinder,
    targets: Vec<Vec<Target>>,
    private_key_rule: Option<RuleIndex>,
    allow_values: HashSet<Vec<u8>>,
    allow_regexes: Vec<Regex>,
    hmac_key: Option<String>,
    /// The regex caches of scanners gone, for the next ones: a scanner's caches are its own
    /// while it runs, and stay warm from one scanner to the next (one payload, one chunk).
    spare_caches: Mutex<Vec<RegexCaches>>,
}

/// Each shaped rule's regex caches, made when the rule first runs.
type RegexCaches = Vec<Option<RuleCache>>;

/// The caches of one shaped rule's regexes.
struct RuleCache {
    whole: meta::Cache,
    split: Option<SplitCache>,
}

impl RuleCache {
    fn new(rule: &ShapedRule) -> RuleCache {
        RuleCache {
            whole: rule.regex().create_cache(),
            split: rule.split().map(|s| s.create_cache()),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl Engine {
    /// The built-in catalog, no user config.
    pub fn builtin() -> Engine {
        Engine::new(&Config::default()).expect("the built-in catalog compiles")
    }

    /// The built-in catalog extended and adjusted by `config`.
    pub fn new(config: &Config) -> Result<Engine, RuleError> {
        Engine::with_catalog(BUILTIN_CATALOG, config)
    }

    /// `catalog` (TOML text, in place of the built-in one) extended and adjusted by `config`.
    fn with_catalog(catalog: &[CatalogSource<'_>], config: &Config) -> Result<Engine, RuleError> {
        let catalog = parse_catalogs(catalog)?;
        let mut shaped_specs = catalog.rule;
        let mut keyed_specs = catalog.keyed;
        let from_config = |family: &mut String| *family = CONFIG_FAMILY.to_string();
        shaped_specs.extend(config.rule.iter().cloned().map(|mut r| {
            from_config(&mut r.family);
            r
        }));
        // User keyed rules go first, so that their keys win over the built-in suffixes.
        keyed_specs.splice(
            0..0,
            config.keyed.iter().cloned().map(|mut r| {
                from_config(&mut r.family);
                r
            }),
        );

        let known: HashSet<&str> = shaped_specs
            .iter()
            .map(|r| r.id.as_str())
            .chain(keyed_specs.iter().map(|r| r.id.as_str()))
            .collect();
        // Errors name the place in the config, and quote only what is known to be a rule id:
        // config text may hold secrets.
        for (i, id) in config.disable.iter().enumerate() {
            if !known.contains(id.as_str()) {
                return Err(RuleError(format!(
                    "disable[{i}]: no rule has this id (see `tokenscrub rules`)"
                )));
            }
        }
        for (id, names) in &config.extra_keys {
            let Some(spec) = keyed_specs.iter_mut().find(|r| &r.id == id) else {
                return Err(RuleError(
                    "extra_keys: a name there is not the id of a keyed rule (see `tokenscrub \
                     rules`)"
                        .into(),
                ));
            };
            for (i, name) in names.iter().enumerate() {
                if name.trim().is_empty() {
                    return Err(RuleError(format!("extra_keys.{id}[{i}]: empty key name")));
                }
                spec.names.push(name.clone());
                spec.keywords.push(name.to_ascii_lowercase());
            }
        }
        let disabled: HashSet<&str> = config.disable.iter().map(String::as_str).collect();
        let shaped: Vec<ShapedRule> = shaped_specs
            .iter()
            .filter(|s| !disabled.contains(s.id.as_str()))
            .map(|s| s.compile())
            .collect::<Result<_, _>>()?;
        let keyed: Vec<KeyedRule> = keyed_specs
            .iter()
            .filter(|s| !disabled.contains(s.id.as_str()))
            .map(|s| s.compile())
            .collect::<Result<_, _>>()?;

        let mut seen_ids = HashSet::new();
        let mut infos = Vec::with_capacity(shaped.len() + keyed.len());
        for r in &shaped {
            infos.push(RuleInfo {
                id: r.id.clone(),
                description: r.description.clone(),
                severity: r.severity,
                kind: RuleKind::Shaped,
                family: r.family.clone(),
                keywords: r.keywords.clone(),
            });
        }
        for r in &keyed {
            infos.push(RuleInfo {
                id: r.id.clone(),
                description: r.description.clone(),
                severity: r.severity,
                kind: RuleKind::Keyed,
                family: r.family.clone(),
                keywords: r.keywords.clone(),
            });
        }
        for info in &infos {
            if !seen_ids.insert(info.id.clone()) {
                return Err(RuleError(format!("rule id {:?} is defined twice", info.id)));
            }
        }

        // One automaton over every keyword; each keyword knows which rules it wakes.
        let mut keywords: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        // Each keyword's index, so that thousands of them are listed in linear time.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |kw: &str, t: Target| {
            let kw = kw.to_ascii_lowercase();
            match index.get(&kw) {
                Some(&i) => targets[i].push(t),
                None => {
                    index.insert(kw.clone(), keywords.len());
                    keywords.push(kw);
                    targets.push(vec![t]);
                }
            }
        };
        let private_key_rule = shaped.iter().position(|r| r.id == "private-key");
        for (i, r) in shaped.iter().enumerate() {
            for kw in &r.keywords {
                add(
                    kw,
                    Target::Shaped {
                        rule: i,
                        anchor: r.anchored,
                    },
                );
            }
        }
        for r in &keyed {
            for kw in &r.keywords {
                add(kw, Target::Keyed);
            }
        }
        if !keyed.is_empty() {
            add("expression", Target::Expression);
            // `where `: the clause of a statement written on several lines (SQLAlchemy).
            for kw in ["insert into", "update ", "select ", "delete from", "where "] {
                add(kw, Target::Sql);
            }
        }
        if private_key_rule.is_some() {
            add("-----begin ", Target::Block);
            add("private-lines:", Target::Block);
        }
        // A keyword escaped by a string layer (`code%3d`, `\"code\"`) wakes no rule on the line
        // as written, but makes the line's layered view be read, where it is the keyword.
        for kw in keywords.clone() {
            for spelled in layers::spellings(&kw) {
                if !index.contains_key(&spelled) {
                    index.insert(spelled.clone(), keywords.len());
                    keywords.push(spelled);
                    targets.push(Vec::new());
                }
            }
        }
        // The search below is non-overlapping (leftmost-longest, which is much faster than
        // reporting every overlap): a keyword that contains another one also wakes its rules.
        // The keywords inside each are found by one automaton (comparing every pair of
        // thousands was most of the engine's build time).
        let own_targets = targets.clone();
        let inner_keywords = aho_corasick::AhoCorasick::new(&keywords)
            .map_err(|e| RuleError(format!("keywords: {e}")))?;
        let mut inside: Vec<usize> = Vec::new();
        for (i, kw) in keywords.iter().enumerate() {
            inside.clear();
            inside.extend(
                inner_keywords
                    .find_overlapping_iter(kw.as_str())
                    .map(|m| m.pattern().as_usize()),
            );
            inside.sort_unstable();
            inside.dedup();
            for &j in &inside {
                let inner = &keywords[j];
                if i != j {
                    for &t in &own_targets[j] {
                        // A match starts where the inner keyword does: inside this one.
                        let t = match t {
                            Target::Shaped { rule, anchor } => Target::Shaped {
                                rule,
                                anchor: anchor && kw.starts_with(inner.as_str()),
                            },
                            t => t,
                        };
                        if !targets[i].contains(&t) {
                            targets[i].push(t);
                        }
                    }
                }
            }
        }
        let prefilter = KeywordFinder::new(&keywords);

        let allow_regexes = config
            .allowlist
            .regexes
            .iter()
            .map(|p| compile_regex(p, "allowlist"))
            .collect::<Result<_, _>>()?;

        let engine = Engine {
            rules: infos,
            shaped,
            keyed: KeyedMatcher::new(keyed),
            prefilter,
            targets,
            private_key_rule,
            allow_values: config
                .allowlist
                .values
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect(),
            allow_regexes,
            hmac_key: config.hmac_key.clone(),
            spare_caches: Mutex::new(Vec::new()),
        };
        // A user's rules are checked as the built-in ones are by the test suite: a rule that
        // misses its own example would silently miss its secrets.
        let failures = check_examples(&engine, |r| r.family == CONFIG_FAMILY);
        if !failures.is_empty() {
            return Err(RuleError(failures.join("; ")));
        }
        Ok(engine)
    }

    /// Every active rule, shaped first; a [`Finding`]'s `rule` indexes this.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The rule at `index` (a [`Finding`]'s `rule`).
    pub fn rule(&self, index: RuleIndex) -> &RuleInfo {
        &self.rules[index]
    }

    /// The rule with this id (as a finding record names it).
    pub fn rule_by_id(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The fingerprint key from the config, if any.
    pub fn config_hmac_key(&self) -> Option<&str> {
        self.hmac_key.as_deref()
    }

    /// Examples and counterexamples of a rule, for self-checks.
    pub fn rule_examples(&self, index: RuleIndex) -> (&[String], &[String]) {
        if index < self.shaped.len() {
            let r = &self.shaped[index];
            (&r.examples, &r.counterexamples)
        } else {
            let r = &self.keyed.rules[index - self.shaped.len()];
            (&r.examples, &r.counterexamples)
        }
    }

    /// A scanner for one stream.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            engine: self,
            pending: None,
            block: Block::None,
            memory: SecretMemory::default(),
            bindings: Vec::new(),
            sql: None,
            sql_hit: None,
            masks: Vec::new(),
            line_masks: Vec::new(),
            shaped_hit: vec![false; self.shaped.len()],
            searching: Vec::new(),
            keyed_hits: Vec::new(),
            hits: Vec::new(),
            span_index: SpanIndex::default(),
            token_union: SpanUnion::default(),
            memory_found: Vec::new(),
            anchors: Vec::new(),
            anchor_rules: vec![AnchorRule::default(); self.shaped.len()],
            anchor_listed: Vec::new(),
            shaped: ShapedSearch {
                caches: self.take_caches(),
                slots: vec![None; self.shaped.iter().map(|r| r.slot_len).max().unwrap_or(0)],
                found: Vec::new(),
            },
            keys: KeyScratch::default(),
            keyword_seen: false,
            view: LayeredView::default(),
            view_found: Vec::new(),
            learned: None,
        }
    }

    fn take_caches(&self) -> RegexCaches {
        let spare = self.spare_caches.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_else(|| self.shaped.iter().map(|_| None).collect())
    }

    /// Is the secret at `span` of `line` allowlisted? A listed value is the secret, or the
    /// whole token: the secret with the public prefix before it (`AKIAFAKEEXAMPLE2KEYX` allows
    /// the key whose secret part is `FAKEEXAMPLE2KEYX`). Regexes see the secret.
    fn allowed(&self, line: &[u8], span: &Range<usize>) -> bool {
        let secret = &line[span.clone()];
        let listed = |value: &Vec<u8>| {
            value.as_slice() == secret
                || (value.ends_with(secret)
                    && span.end >= value.len()
                    && &line[span.end - value.len()..span.end] == value.as_slice())
        };
        self.allow_values.iter().any(listed)
            || self.allow_regexes.iter().any(|r| r.is_match(secret))
    }
}

/// Scans lines of one stream, in order.
pub struct Scanner<'e> {
    engine: &'e Engine,
    pending: Option<Pending>,
    block: Block,
    memory: SecretMemory,
    bindings: Vec<Binding>,
    /// The placeholders of the last SQL statement, for the parameters echoed after it.
    sql: Option<Placeholders>,
    /// Where the SQL statement read on the line being scanned starts (one per line: each reads
    /// on to the line's end).
    sql_hit: Option<usize>,
    /// Our masks already in the line being scanned.
    masks: Vec<Range<usize>>,
    /// Our masks in a raw line whose layered view is being scanned.
    line_masks: Vec<Range<usize>>,
    // Scratch space reused from line to line.
    shaped_hit: Vec<bool>,
    /// The rules of `shaped_hit`, to search the line with.
    searching: Vec<usize>,
    keyed_hits: Vec<KeyedHit>,
    /// The keyword hits of the line being scanned (scratch).
    hits: Vec<Match>,
    /// Findings of the line, for overlap queries (scratch).
    span_index: SpanIndex,
    /// The tokens' matches of the line, for the keyed values around them (scratch).
    token_union: SpanUnion,
    memory_found: Vec<(Range<usize>, usize)>,
    /// Keyword hits of anchored shaped rules: (rule, position), in line order.
    anchors: Vec<(usize, usize)>,
    /// Per shaped rule, while its anchors are tried (reset after each line).
    anchor_rules: Vec<AnchorRule>,
    /// The rules whose `anchor_rules` were touched on this line.
    anchor_listed: Vec<usize>,
    keys: KeyScratch,
    keyword_seen: bool,
    shaped: ShapedSearch,
    /// The layered view of the line being scanned, and what its sub-lines hold.
    view: LayeredView,
    view_found: Vec<Finding>,
    /// Set when the memory is kept elsewhere ([`Scanner::defer_memory`]).
    learned: Option<Learned>,
}

/// What a scanner that deferred its memory would have remembered: values back to back, with
/// the rule that found each.
#[derive(Debug, Default)]
pub struct Learned {
    bytes: Vec<u8>,
    values: Vec<(Range<usize>, RuleIndex)>,
}

impl Learned {
    fn push(&mut self, value: &[u8], rule: RuleIndex) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.values.push((start..self.bytes.len(), rule));
    }

    /// How many values: a line's are the ones added while it was scanned.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No secret is remembered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Forget every remembered secret.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.values.clear();
    }
}

impl Drop for Scanner<'_> {
    fn drop(&mut self) {
        if let Ok(mut spare) = self.engine.spare_caches.lock() {
            spare.push(std::mem::take(&mut self.shaped.caches));
        }
    }
}

/// Keyword hits a line's scan holds at once.
const HIT_BATCH: usize = 4096;

/// What the anchored attempts of one shaped rule on one line know: where its last match ended,
/// and whether the line holds the rule's required literals (looked up once per line, not once
/// per anchor: an anchor repeated without them would read the line again each time).
#[derive(Clone, Copy, Default)]
struct AnchorRule {
    free: usize,
    requires: Option<bool>,
    /// In `anchor_listed`, to be reset when the line is done.
    listed: bool,
}

impl AnchorRule {
    fn requires_met(&mut self, rule: &ShapedRule, line: &[u8]) -> bool {
        *self
            .requires
            .get_or_insert_with(|| requires_met(rule, line))
    }
}

fn requires_met(rule: &ShapedRule, line: &[u8]) -> bool {
    rule.requires.iter().all(|r| r.find(line).is_some())
}

/// Is a match of `rule` at `at` glued to a byte it may not follow (`not_after`)?
fn glued(rule: &ShapedRule, line: &[u8], at: usize) -> bool {
    rule.not_after
        .as_ref()
        .is_some_and(|class| at > 0 && class[usize::from(line[at - 1])])
}

/// Is a match of `rule` ending at `end` glued to a byte it may not precede (`not_before`)?
fn glued_after(rule: &ShapedRule, line: &[u8], end: usize) -> bool {
    rule.not_before
        .as_ref()
        .is_some_and(|class| line.get(end).is_some_and(|&b| class[usize::from(b)]))
}

/// Where shaped rule `rule` matches in `input`, and its secret (if the group took part).
fn shaped_spans(
    rule: &ShapedRule,
    input: &Input<'_>,
    cache: &mut Option<RuleCache>,
    slots: &mut [Option<NonMaxUsize>],
) -> Option<(Range<usize>, Option<Range<usize>>)> {
    let anchored = input.get_anchored().is_anchored();
    if let Some(token) = &rule.token
        && anchored
    {
        match token.run(input.haystack(), input.start()) {
            TokenMatch::Found { end, secret } => return Some((input.start()..end, Some(secret))),
            TokenMatch::NoMatch => return None,
            TokenMatch::Unknown => {}
        }
    }
    // The regexes are compiled, and their caches made, only for a rule the token walk does
    // not decide: a line of every keyword wakes every rule.
    let cache = cache.get_or_insert_with(|| RuleCache::new(rule));
    // The split takes the secret from where the match starts: an anchored attempt's start,
    // or, searching the line, where the whole regex's DFAs (forward, then back) find the
    // match; no capture pass over a match that may be kilobytes long (a one-line PEM key).
    let mut input = input.clone();
    if let (Some(split), Some(split_cache)) = (rule.split(), &mut cache.split) {
        if !anchored {
            let m = rule.regex().search_with(&mut cache.whole, &input)?;
            input.set_start(m.start());
            input.set_anchored(Anchored::Yes);
        }
        match split.find(&input, split_cache) {
            SplitMatch::Found { end, secret } => {
                return Some((input.start()..end, Some(secret)));
            }
            SplitMatch::NoMatch if anchored => return None,
            // Most anchored attempts that get here fail: a DFA says so before any capture
            // pass.
            _ if anchored => {
                rule.regex().search_half_with(&mut cache.whole, &input)?;
            }
            // A match is there: the capture pass finds it.
            _ => {}
        }
    }
    let slots = &mut slots[..rule.slot_len];
    rule.regex()
        .search_slots_with(&mut cache.whole, &input, slots)?;
    let span = |g: usize| Some(slots[2 * g]?.get()..slots[2 * g + 1]?.get());
    Some((span(0)?, span(rule.secret_group)))
}

/// What running shaped rules on a line needs, and what they found there.
struct ShapedSearch {
    /// The scanner's own regex caches (from the engine, and back to it when the scanner is
    /// dropped): a regex's shared pool serves one thread fast and the others through a lock
    /// at every search.
    caches: RegexCaches,
    slots: Vec<Option<NonMaxUsize>>,
    /// Matches kept on this line, and their findings.
    found: Vec<(Range<usize>, Finding)>,
}

impl ShapedSearch {
    /// Run shaped rule `i` once on `input` (anchored at its start, or searching on from it);
    /// a match that passes the rule's checks goes to `found`. Returns the match (kept or
    /// not), to search on after it.
    fn run(
        &mut self,
        rule: &ShapedRule,
        i: usize,
        line: &[u8],
        input: &Input<'_>,
    ) -> Option<Range<usize>> {
        let anchored = input.get_anchored().is_anchored();
        // Where the match must start, a byte it may not follow is known before the search.
        if anchored && glued(rule, line, input.start()) {
            return None;
        }
        let (m, secret_span) = shaped_spans(rule, input, &mut self.caches[i], &mut self.slots)?;
        if (!anchored && glued(rule, line, m.start)) || glued_after(rule, line, m.end) {
            // Not a match here; the search goes on after its first byte.
            return Some(m.start..m.start);
        }
        let Some(secret_span) = secret_span else {
            return Some(m);
        };
        let secret = &line[secret_span.clone()];
        // The public part of a token masked before (`Bearer eyJhdr.[REDACTED:jwt]`).
        let rest = &line[m.end..];
        let masked_before = mask::starts_with_a_mask(rest);
        if !masked_before
            && !secret.is_empty()
            && rule
                .validator
                .is_none_or(|v| v.check(&line[m.clone()], secret))
            && !rule.allowlist.iter().any(|a| a.is_match(secret))
        {
            self.found.push((
                m.clone(),
                Finding {
                    rule: i,
                    span: secret_span,
                },
            ));
        }
        Some(m)
    }
}

/// A value read on the raw line up to a quote that a string layer escapes (`…token\"}` in JSON
/// inside JSON) ends before the escape's backslashes: masked, they would unescape the quote and
/// break the string around it.
fn without_closing_escape(line: &[u8], mut span: Range<usize>) -> Range<usize> {
    if matches!(line.get(span.end), Some(b'"' | b'\'')) {
        while span.end > span.start && line[span.end - 1] == b'\\' {
            span.end -= 1;
        }
    }
    span
}

/// Spans, for asking whether a span overlaps any of them in logarithmic time: a line can hold
/// thousands of findings (`Authorization: Bearer …` repeated), and comparing each with each
/// would cost the square of the line.
#[derive(Default)]
struct SpanIndex {
    /// `(start, the furthest end of this span and those before it)`, by start.
    spans: Vec<(usize, usize)>,
}

impl SpanIndex {
    fn rebuild<'s>(&mut self, spans: impl Iterator<Item = &'s Range<usize>>) {
        self.spans.clear();
        self.spans.extend(spans.map(|r| (r.start, r.end)));
        self.spans.sort_unstable();
        let mut furthest = 0;
        for s in &mut self.spans {
            furthest = furthest.max(s.1);
            s.1 = furthest;
        }
    }

    /// Does a non-empty span of the index overlap `q`?
    fn overlaps(&self, q: &Range<usize>) -> bool {
        // The spans starting before `q` ends; one overlaps if the furthest of their ends is
        // past `q`'s start.
        let before_end = self.spans.partition_point(|&(start, _)| start < q.end);
        before_end > 0 && self.spans[before_end - 1].1 > q.start
    }
}

/// The union of some spans, as sorted disjoint spans: what of a range it leaves uncovered.
#[derive(Default)]
struct SpanUnion {
    spans: Vec<Range<usize>>,
}

impl SpanUnion {
    fn rebuild(&mut self, spans: impl Iterator<Item = Range<usize>>) {
        self.spans.clear();
        self.spans.extend(spans.filter(|s| !s.is_empty()));
        self.spans.sort_unstable_by_key(|s| s.start);
        let mut w = 0;
        for r in 0..self.spans.len() {
            if w > 0 && self.spans[r].start <= self.spans[w - 1].end {
                self.spans[w - 1].end = self.spans[w - 1].end.max(self.spans[r].end);
            } else {
                self.spans[w] = self.spans[r].clone();
                w += 1;
            }
        }
        self.spans.truncate(w);
    }

    /// The non-empty pieces of `q` outside the union, in order (`q` itself when nothing
    /// covers it). Visits only the spans that overlap `q`.
    fn gaps(&self, q: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
        let first = self.spans.partition_point(|s| s.end <= q.start);
        let mut at = q.start;
        let mut inside = self.spans[first..]
            .iter()
            .take_while(move |s| s.start < q.end);
        let mut done = false;
        std::iter::from_fn(move || {
            while !done {
                let (gap, next) = match inside.next() {
                    Some(s) => (at..s.start.max(at), s.end),
                    None => {
                        done = true;
                        (at..q.end, q.end)
                    }
                };
                at = next.min(q.end).max(at);
                if !gap.is_empty() {
                    return Some(gap);
                }
            }
            None
        })
    }
}

impl<'e> Scanner<'e> {
    /// The engine this scanner runs.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Find the secrets in one line (without its line terminator). `out` is cleared first and
    /// receives non-overlapping findings sorted by position.
    pub fn scan_line(&mut self, line: &[u8], out: &mut Vec<Finding>) {
        self.scan(line, true, out);
    }

    /// The text ended (one CloudWatch event, one file): forget the line-to-line state (a
    /// pending key, a key block, expression bindings) but keep the secrets seen, which may show
    /// up again in the next text.
    pub fn end_of_text(&mut self) {
        self.pending = None;
        self.block = Block::None;
        self.bindings.clear();
        self.sql = None;
    }

    /// Become a new scanner for another stream: nothing carried over, nothing remembered; the
    /// scratch space and the regex caches are kept.
    pub fn start_over(&mut self) {
        self.end_of_text();
        self.memory.clear();
        self.keyword_seen = false;
    }

    /// How many bytes of whole lines at the start of `text` [`Scanner::scan_line`] would find
    /// nothing in and leave the scanner as it was: no keyword in them, and nothing carried over
    /// from the line before (a pending key, an open key block, expression bindings). A stream
    /// copies these through without scanning them line by line, then hands the [`Quiet`] to
    /// [`Scanner::scan_next_line`] with the line that follows them.
    pub fn quiet_prefix(&self, text: &[u8]) -> Quiet {
        if self.pending.is_some()
            || self.block != Block::None
            || !self.bindings.is_empty()
            || self.sql.is_some()
        {
            return Quiet {
                len: 0,
                lines: 0,
                first_keyword: FirstKeyword::Unknown,
            };
        }
        // The line ends before the keyword are counted by the same pass.
        let mut ends = LineCount::default();
        let first = self
            .engine
            .prefilter
            .find_counting_lines(text, 0, &mut ends);
        let len = ends.last.map_or(0, |nl| nl + 1);
        // A remembered secret is looked for on every line: the quiet run ends before the
        // first line that holds one.
        if !self.memory.is_empty() && len > 0 {
            // Only the first: the stream asks again after the line that holds it.
            if let Some((span, _)) = self.memory.find_first(&text[..len]) {
                let cut = memchr::memrchr(b'\n', &text[..span.start]).map_or(0, |nl| nl + 1);
                return Quiet {
                    len: cut,
                    lines: memchr::memchr_iter(b'\n', &text[..cut]).count() as u64,
                    first_keyword: FirstKeyword::Unknown,
                };
            }
        }
        let first_keyword = match first {
            Some(m) => FirstKeyword::At(Match::new(m.pattern(), m.start() - len..m.end() - len)),
            None => FirstKeyword::Nowhere,
        };
        Quiet {
            len,
            lines: ends.ends,
            first_keyword,
        }
    }

    /// [`Scanner::scan_line`] for the line that starts right after a quiet prefix: `quiet` is
    /// what [`Scanner::quiet_prefix`] said of the text this line starts (after `quiet.len`
    /// bytes). The line's first keyword was found then and is not searched for again.
    pub fn scan_next_line(&mut self, line: &[u8], quiet: Quiet, out: &mut Vec<Finding>) {
        let first = match quiet.first_keyword {
            // A keyword holds no line end, so it lies inside the line; checked all the same.
            FirstKeyword::At(m) if m.end() <= line.len() => Some(m),
            FirstKeyword::Nowhere => None,
            _ => self.engine.prefilter.find(line, 0),
        };
        self.scan_from(line, true, first, out);
    }

    /// Scan a piece of an over-long line: like [`Scanner::scan_line`], but the line-to-line
    /// state (pending key, key block) is neither used nor changed.
    pub fn scan_fragment(&mut self, fragment: &[u8], out: &mut Vec<Finding>) {
        self.scan(fragment, false, out);
    }

    fn scan(&mut self, line: &[u8], whole_line: bool, out: &mut Vec<Finding>) {
        let first = self.engine.prefilter.find(line, 0);
        self.scan_from(line, whole_line, first, out);
    }

    /// Scan `line`, whose first keyword is `first`: as it is written, then (where it holds
    /// escapes or colour codes) its layered view, then the remembered secrets.
    fn scan_from(
        &mut self,
        line: &[u8],
        whole_line: bool,
        first: Option<Match>,
        out: &mut Vec<Finding>,
    ) {
        let any_hit = first.is_some();
        // A value left open by the line before is finished on this line as written, and in
        // its layered view (the next member of an HTML-escaped dump: `&#x27;…&#x27;`).
        let open_before = self.pending.filter(|_| whole_line);
        self.scan_raw(line, whole_line, first, out);
        for f in out.iter() {
            self.remember(&line[f.span.clone()], f.rule);
        }
        if (any_hit || open_before.is_some()) && layers::applies(line) {
            self.scan_layers(line, open_before, out);
        }
        if whole_line && self.sql.as_mut().is_some_and(|p| !p.age()) {
            self.sql = None;
        }
        self.keyword_seen = any_hit;
        if self.learned.is_some() {
            // The memory is applied by whoever holds it ([`Scanner::recall_learned`]).
            return;
        }
        // Remembered secrets are looked for on every line, keyword or not.
        self.add_remembered(line, out);
        merge_overlaps(out);
    }

    fn remember(&mut self, value: &[u8], rule: RuleIndex) {
        match &mut self.learned {
            Some(learned) => learned.push(value, rule),
            None => self.memory.remember(value, rule),
        }
    }

    /// Keep the memory elsewhere (`defer`), or again here: while deferred, the scanner neither
    /// changes its memory nor looks it up. Each line's findings are the rules' findings only
    /// (unsorted, maybe overlapping), and what it would have remembered is added to
    /// [`Scanner::learned`]. Used to scan chunks of one stream on several threads, the memory
    /// being applied in stream order by one of them.
    pub fn defer_memory(&mut self, defer: bool) {
        self.learned = defer.then(Learned::default);
    }

    /// What the scanner would have remembered since [`Scanner::defer_memory`] (or since the
    /// last [`Learned::clear`]).
    pub fn learned(&mut self) -> Option<&mut Learned> {
        self.learned.as_mut()
    }

    /// Finish a line scanned by a scanner that deferred its memory to this one: remember what
    /// it learned from the line (`learned.values[range]`), then add to its rule `findings` the
    /// remembered secrets, and sort and merge them, as [`Scanner::scan_line`] does in one go.
    pub fn recall_learned(
        &mut self,
        line: &[u8],
        learned: &Learned,
        range: Range<usize>,
        findings: &mut Vec<Finding>,
    ) {
        for (value, rule) in &learned.values[range] {
            self.memory.remember(&learned.bytes[value.clone()], *rule);
        }
        self.add_remembered(line, findings);
        merge_overlaps(findings);
    }

    /// Where the first line of `text` (whole lines) that holds a remembered secret starts.
    pub fn first_remembered_line(&self, text: &[u8]) -> Option<usize> {
        let (span, _) = self.memory.find_first(text)?;
        Some(memchr::memrchr(b'\n', &text[..span.start]).map_or(0, |nl| nl + 1))
    }

    /// Scan the layered view of `line` ([`crate::layers`]): each of its sub-lines as a line of
    /// a text of its own (a key ending one sub-line takes its value from the next; the state
    /// carried between the stream's lines is left as it was, but a value the line before left
    /// open, `open_before`, is finished on the first sub-line). Findings are added to `out` in
    /// raw positions.
    fn scan_layers(&mut self, line: &[u8], open_before: Option<Pending>, out: &mut Vec<Finding>) {
        let mut view = std::mem::take(&mut self.view);
        if view.build(line) {
            let carried = (
                std::mem::replace(&mut self.pending, open_before),
                std::mem::take(&mut self.block),
                std::mem::take(&mut self.bindings),
            );
            let echo = self.sql.as_ref().and_then(sql::Placeholders::open_echo);
            let mut found = std::mem::take(&mut self.view_found);
            // `scan_raw` reads the masks of each sub-line into `masks`; the raw line's go here.
            let mut line_masks = std::mem::take(&mut self.line_masks);
            let mut masks_read = false;
            for r in view.lines() {
                let sub = &view.text()[r.clone()];
                let first = self.engine.prefilter.find(sub, 0);
                // A sub-line with no keyword may still hold the value of a key ending the one
                // before, or a key body.
                if first.is_none() && self.pending.is_none() && self.block == Block::None {
                    continue;
                }
                self.scan_raw(sub, true, first, &mut found);
                if !found.is_empty() && !masks_read {
                    // Our masks as the line has them (read once a line, not once a sub-line):
                    // the view may have cut one (an ANSI code before its `[`), and its rule id
                    // or fingerprint must not read as a value.
                    our_masks(line, &mut line_masks);
                    masks_read = true;
                }
                for f in found.drain(..) {
                    let span = view.to_raw(r.start + f.span.start..r.start + f.span.end);
                    if touches_a_mask(&line_masks, &span) {
                        continue;
                    }
                    self.remember(&sub[f.span.clone()], f.rule);
                    out.push(Finding { rule: f.rule, span });
                }
            }
            self.view_found = found;
            self.line_masks = line_masks;
            (self.pending, self.block, self.bindings) = carried;
            if let Some(p) = &mut self.sql {
                p.set_open_echo(echo);
            }
        }
        self.view = view;
    }

    /// The rules on `line` as it is written, whose first keyword is `first`: findings to
    /// `out` (cleared first), not yet merged; the line-to-line state is used and updated.
    fn scan_raw(
        &mut self,
        line: &[u8],
        whole_line: bool,
        first: Option<Match>,
        out: &mut Vec<Finding>,
    ) {
        out.clear();
        let engine = self.engine;
        // Key material from a block: a body line holds nothing else and is done; any other
        // line of a block (headers, the END line) is scanned as every line is.
        let mut key_body = None;
        if whole_line && self.block != Block::None {
            let rule = engine
                .private_key_rule
                .expect("blocks need the private-key rule");
            let body = |span: Range<usize>| {
                (!span.is_empty() && !is_masked(&line[span.clone()]))
                    .then_some(Finding { rule, span })
            };
            match block::body_line(&mut self.block, line) {
                BodyLine::Secret(span) => {
                    out.extend(body(span));
                    return;
                }
                BodyLine::End(span) => key_body = body(span),
                BodyLine::Header | BodyLine::Outside => {}
            }
        }

        self.keyed_hits.clear();
        self.shaped.found.clear();
        self.keys.ends.new_line();
        if whole_line && let Some(p) = self.pending.take() {
            self.pending =
                engine
                    .keyed
                    .resolve_pending(line, p, &mut self.keys.ends, &mut self.keyed_hits);
        }

        let mut any_shaped = false;
        let mut block_start = false;
        let mut expression = false;
        let mut keyed_done_to = 0;
        // What the line's own keys leave open for the next line.
        let mut opened = None;
        // The longest keyword at every position where one starts: keywords that overlap
        // without containing each other (`s%3a` in `https%3a%2f%2f`) are all seen.
        // Taken in batches of `HIT_BATCH`, so that a line of a keyword repeated costs bounded
        // memory.
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        let mut more = false;
        if let Some(m) = first {
            hits.push(m);
            more = (engine.prefilter).find_all(line, m.start() + 1, &mut hits, HIT_BATCH);
        }
        while !hits.is_empty() {
            for m in hits.iter() {
                for t in &engine.targets[m.pattern().as_usize()] {
                    match *t {
                        Target::Shaped { rule, anchor: true } => {
                            self.anchors.push((rule, m.start()));
                            any_shaped = true;
                        }
                        Target::Shaped {
                            rule: i,
                            anchor: false,
                        } => {
                            if !std::mem::replace(&mut self.shaped_hit[i], true) {
                                self.searching.push(i);
                            }
                            any_shaped = true;
                        }
                        Target::Keyed => {
                            let p = engine.keyed.scan_at(
                                line,
                                m.start()..m.end(),
                                &mut keyed_done_to,
                                &mut self.keys,
                                &mut self.keyed_hits,
                            );
                            // The first value left open is the outermost: a quoted header
                            // value folded with the keys inside it.
                            if whole_line && opened.is_none() {
                                opened = p;
                            }
                        }
                        Target::Block => block_start = true,
                        Target::Expression => expression = true,
                        Target::Sql => {
                            self.sql_hit.get_or_insert(m.start());
                        }
                    }
                }
            }
            self.try_anchors(line);
            let from = hits.last().map_or(line.len(), |m| m.start() + 1);
            hits.clear();
            if more {
                more = engine.prefilter.find_all(line, from, &mut hits, HIT_BATCH);
            }
        }
        self.hits = hits;
        for i in self.anchor_listed.drain(..) {
            self.anchor_rules[i] = AnchorRule::default();
        }
        // A statement replaces the one before, whether or not a secret column owns one of its
        // placeholders: the parameters echoed after it are its own.
        if let Some(at) = self.sql_hit.take() {
            self.sql = sql::read_statement(
                line,
                at,
                &engine.keyed,
                &mut self.keys,
                &mut self.keyed_hits,
            );
        }
        if let Some(p) = &mut self.sql {
            sql::find_params(line, p, &engine.keyed, &mut self.keyed_hits);
        }

        if expression {
            dynamo::find_bindings(line, &engine.keyed, &mut self.keys, &mut self.bindings);
        }
        if !self.bindings.is_empty() {
            let open = dynamo::find_bound_values(
                line,
                &engine.keyed,
                &self.bindings,
                &mut self.keys.ends,
                &mut self.keyed_hits,
            );
            if whole_line {
                dynamo::age(&mut self.bindings);
                opened = opened.or(open);
            }
        }
        if opened.is_some() {
            self.pending = opened;
        }

        if any_shaped {
            // Anchored attempts (`try_anchors`) of the rules that now search the line found
            // nothing the search does not find again.
            if !self.searching.is_empty() {
                let searched = &self.shaped_hit;
                self.shaped.found.retain(|(_, f)| !searched[f.rule]);
            }
            // The others search the line, in rule order.
            self.searching.sort_unstable();
            for &i in &self.searching {
                self.shaped_hit[i] = false;
                let rule = &engine.shaped[i];
                if !requires_met(rule, line) {
                    continue;
                }
                let mut at = 0;
                while at <= line.len() {
                    let input = Input::new(line).range(at..);
                    let Some(m) = self.shaped.run(rule, i, line, &input) else {
                        break;
                    };
                    at = m.end.max(m.start + 1);
                }
            }
            self.searching.clear();
        }

        if whole_line
            && block_start
            && let Some(b) = block::opens_block(line)
        {
            self.block = b;
        }

        // Shaped findings first; a keyed value that overlaps a self-identifying token is left to
        // the token's rule, which knows which of its parts are public.
        let offset = engine.shaped.len();
        let found = &self.shaped.found;
        self.span_index.rebuild(
            found
                .iter()
                .filter(|(_, f)| !engine.shaped[f.rule].generic)
                .map(|(tok, _)| tok),
        );
        for (tok, f) in found {
            let yields = engine.shaped[f.rule].generic && self.span_index.overlaps(tok);
            if !yields {
                out.push(f.clone());
            }
        }
        // What of a keyed value lies outside every token's match is the key's still: a value
        // that runs past a token (`token=eyJ…\xce…` cut by an invalid byte, `AKIA…:secret`)
        // would otherwise show its rest until a second pass (the token masked) finds it.
        if !self.keyed_hits.is_empty() {
            self.token_union
                .rebuild(found.iter().map(|(tok, _)| tok.clone()));
        }
        for h in &self.keyed_hits {
            for span in self
                .token_union
                .gaps(without_closing_escape(line, h.span.clone()))
            {
                out.push(Finding {
                    rule: offset + h.rule,
                    span,
                });
            }
        }
        out.extend(key_body);
        if out.is_empty() {
            return;
        }
        our_masks(line, &mut self.masks);
        let masks = &self.masks;
        out.retain(|f| {
            let secret = &line[f.span.clone()];
            !is_masked(secret) && !engine.allowed(line, &f.span) && !touches_a_mask(masks, &f.span)
        });
    }

    /// One anchored attempt at each keyword hit of an anchored shaped rule taken since the last
    /// call, in line order, not inside the rule's previous match (`anchor_rules` keeps where it
    /// ended until the line is done; no sort by rule: a line of a keyword repeated has
    /// hundreds of thousands of anchors).
    fn try_anchors(&mut self, line: &[u8]) {
        let engine = self.engine;
        for &(i, at) in &self.anchors {
            let rule = &engine.shaped[i];
            let state = &mut self.anchor_rules[i];
            if self.shaped_hit[i]
                || at < state.free
                || glued(rule, line, at)
                || !state.requires_met(rule, line)
            {
                continue;
            }
            let input = Input::new(line).range(at..).anchored(Anchored::Yes);
            if let Some(m) = self.shaped.run(rule, i, line, &input) {
                self.anchor_rules[i].free = m.end.max(m.start + 1);
            }
        }
        // The rules' states stay until the line is done.
        for &(i, _) in &self.anchors {
            if !std::mem::replace(&mut self.anchor_rules[i].listed, true) {
                self.anchor_listed.push(i);
            }
        }
        self.anchors.clear();
    }

    /// Add the remembered secrets in `line` that no finding in `out` overlaps.
    fn add_remembered(&mut self, line: &[u8], out: &mut Vec<Finding>) {
        self.memory_found.clear();
        self.memory.find(line, &mut self.memory_found);
        if self.memory_found.is_empty() {
            return;
        }
        self.span_index.rebuild(out.iter().map(|f| &f.span));
        for (span, rule) in self.memory_found.drain(..) {
            if !self.span_index.overlaps(&span) {
                out.push(Finding { rule, span });
            }
        }
    }

    /// Did a keyword occur in the last line scanned? (Only such lines are looked at by rules;
    /// remembered secrets are looked for on every line.)
    pub fn saw_keyword(&self) -> bool {
        self.keyword_seen
    }

    /// Look at a line scanned earlier again with what the memory holds now: secrets found
    /// after it (a bounded batch is read twice, see `tokenscrub_report::cloudwatch::redact_payload`) are
    /// added to its `findings`, which stay sorted and non-overlapping. Only for lines where
    /// [`Scanner::saw_keyword`] was true.
    pub fn recall(&mut self, line: &[u8], findings: &mut Vec<Finding>) {
        self.add_remembered(line, findings);
        merge_overlaps(findings);
    }
}

/// Sort by start and merge overlapping spans (the earlier finding's rule names the union).
pub(crate) fn merge_overlaps(findings: &mut Vec<Finding>) {
    if findings.len() < 2 {
        return;
    }
    findings.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    let mut w = 0;
    for r in 1..findings.len() {
        if findings[r].span.start < findings[w].span.end {
            let end = findings[r].span.end.max(findings[w].span.end);
            findings[w].span.end = end;
        } else {
            w += 1;
            findings.swap(w, r);
        }
    }
    findings.truncate(w + 1);
}

/// Check every rule's examples and counterexamples: each example line yields a finding of
/// its rule, each counterexample none. Returns the failures, each naming the rule and the
/// example's number, never its text (a user's example may be a real secret).
pub fn self_check(engine: &Engine) -> Vec<String> {
    check_examples(engine, |_| true)
}

/// [`self_check`] for the rules `which` picks.
fn check_examples(engine: &Engine, which: impl Fn(&RuleInfo) -> bool) -> Vec<String> {
    let mut failures = Vec::new();
    let mut found = Vec::new();
    for (idx, info) in engine.rules().iter().enumerate() {
        if !which(info) {
            continue;
        }
        let (examples, counterexamples) = engine.rule_examples(idx);
        let mut finds = |line: &str| {
            engine.scanner().scan_line(line.as_bytes(), &mut found);
            found.iter().any(|f| f.rule == idx)
        };
        for (n, ex) in examples.iter().enumerate() {
            if !finds(ex) {
                failures.push(format!(
                    "rule {}: example {} is not found by the rule",
                    info.id,
                    n + 1
                ));
            }
        }
        for (n, cx) in counterexamples.iter().enumerate() {
            if finds(cx) {
                failures.push(format!(
                    "rule {}: counterexample {} is found by the rule",
                    info.id,
                    n + 1
                ));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(line: &str) -> Vec<(String, String)> {
        let e = Engine::builtin();
        let mut sc = e.scanner();
        let mut out = Vec::new();
        sc.scan_line(line.as_bytes(), &mut out);
        out.iter()
            .map(|f| (e.rule(f.rule).id.clone(), line[f.span.clone()].to_string()))
            .collect()
    }

    /// Structures of outbound-client, task-queue and GraphQL logs (corpus16 and corpus17):
    /// header lists of bytes pairs, Redis session keys, records and comparisons in prose, and
    /// GraphQL's variables, which are names, not values.
    #[test]
    fn header_pairs_session_keys_and_graphql_variables() {
        use crate::dynamo::tests::assert_masked;
        let sid = "FAKEq3Lr8TnW4yBc7HdJZk3qP9vX2m";
        assert_masked(&[
            // httpcore's response headers: the cookie, not its attributes.
            (
                &format!(
                    "return_value=(b'HTTP/1.1', 401, [(b'Content-Length', b'380'), (b'Set-Cookie', b'prt_sess={sid}; Path=/; HttpOnly; SameSite=Lax')])"
                ),
                sid,
            ),
            // A Set-Cookie value under a key of its own, one a line (OpenTelemetry's span).
            (r#"  "http.response.header.set_cookie": ["#, ""),
            (
                &format!(r#"    "prt_sess={sid}; Path=/; HttpOnly; SameSite=Lax""#),
                sid,
            ),
            ("  ],", ""),
            // connect-redis keys its sessions `sess:<id>`.
            (
                &format!("ioredis write command: 0 -> del([ 'sess:{sid}' ])"),
                sid,
            ),
            // GraphQL: a variable's definition gives its type, an argument names its variable.
            (
                r#"query="mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }""#,
                "",
            ),
            (
                r#"query="mutation Reset($newPassword: String!) { reset(newPassword: $newPassword) }""#,
                "",
            ),
            (
                "[gql] error in Refresh: GraphQLError: Refresh token revoked or unknown",
                "",
            ),
            // A record below a secret noun: its fields are its own, not the secret.
            ("[auth] password reset complete {", ""),
            ("  email: 'jonas.moreau28@mail.example.io',", ""),
            ("  tenant: 'tnt_rqrqolh4dbgf',", ""),
            ("}", ""),
            // An API key's record: its id is public, its key is not.
            ("  apiKeys: [", ""),
            ("    {", ""),
            ("      id: 'key_84c16ecb048f',", ""),
            ("      key: 'FAKEq3Lr8TnW4yBc7HdJZk3qP9vX2m',", sid),
            ("    }", ""),
            ("  ]", ""),
            // A decoded token's claims are public.
            (
                "extra={'id_token': {'iss': 'http://127.0.0.1:5000', 'aud': '830685847247-FAKE82gkg9egff15dzcf8phi528iozdo.apps.googleusercontent.com'}}",
                "",
            ),
            // A session's id is its secret.
            (
                &format!(r#"session loaded {{"session": {{"id": "{sid}", "user": 7}}}}"#),
                sid,
            ),
            // Values compared, and what a failed login tried.
            (
                "passwords differ ('FAKE!pw1x' != 'FAKE*pw2y')",
                "FAKE!pw1x,FAKE*pw2y",
            ),
            (
                r#"failed login for a@example.com from 127.0.0.1 (tried 'FAKE"pw=x')"#,
                r#"FAKE"pw=x"#,
            ),
            // A tag names its message's subject; a library's name ends in its noun.
            (
                "[csrf] mismatch: header=FAKEPPTxqpPnyPaNkEy424TB expected=FAKEWagN5GDcHjZeiqpUMXFlu",
                "FAKEPPTxqpPnyPaNkEy424TB,FAKEWagN5GDcHjZeiqpUMXFlu",
            ),
            (
                "Mon, 07 Dec 2026 23:49:05 GMT express-session saving FAKEeH0nQ90PUTxAPFDCVJtC8r-yP",
                "FAKEeH0nQ90PUTxAPFDCVJtC8r-yP",
            ),
            // A generated password right after its noun, bare.
            (
                "[reset] unknown token (new password j6P_k^~5Y)",
                "j6P_k^~5Y",
            ),
            ("[reset] password reset-link sent", ""),
            (
                "password rejected for ann@example.com: 'FAKEpw9' -> ['This password is too short.']",
                "FAKEpw9",
            ),
            (
                "CREATE TABLE login_attempts (id INT, password_tried VARCHAR(255), ok BOOLEAN)",
                "",
            ),
            ("[auth] accepting alg=none token in dev mode", ""),
            // An object's short id in prose is no credential.
            (
                "[keys] stored twilio key key_c28dd9b49676 for mem_as2dw51g745sbd: {",
                "",
            ),
            // A namespaced name is no key and value; a session's data is no session id.
            (
                r#"socket.io-parser decoded 2["password:forgot",{"email":"a@example.com"}]"#,
                "",
            ),
            (
                r#"INSERT INTO `sessions` (`sid`,`data`) VALUES (?,?); "FAKEeH0nQ90PUTxAPFDCVJtC8r-yP", "{\"email\":\"a@example.com\",\"n\":42}""#,
                "FAKEeH0nQ90PUTxAPFDCVJtC8r-yP",
            ),
            // Another redactor's placeholders stay as they are.
            (
                "- ** ---------- .> transport:   redis://:**@127.0.0.1:6379/0",
                "",
            ),
            ("postgres://app:[FILTERED]@db:5432/app", ""),
        ]);
    }

    /// Keys qualified by which copy of the value they hold, session ids and pass-phrases in
    /// prose are secrets; routes and source locations under secret keys are not.
    #[test]
    fn qualified_keys_prose_and_what_is_no_secret() {
        let masked =
            |line: &str| -> Vec<String> { findings(line).into_iter().map(|(_, v)| v).collect() };
        assert_eq!(
            masked("form={'password_confirm': 'FAKEpw9!x', 'token_old': 'FAKEtok0123456789ab'}"),
            ["FAKEpw9!x", "FAKEtok0123456789ab"]
        );
        assert_eq!(
            masked("user 87898 logged in, session vgpkoc5XOZJGFhz2MuS69abA_xANBzKT"),
            ["vgpkoc5XOZJGFhz2MuS69abA_xANBzKT"]
        );
        assert_eq!(
            masked("invalid password 'Nectar meadow orchid 24!' for user 14375"),
            ["Nectar meadow orchid 24!"]
        );
        assert!(masked("invalid password 'too short' for user 14375").is_empty());
        assert!(masked("router session  : /admin/setup").is_empty());
        assert!(masked("12:18:21 | INFO | botocore.credentials:load:1263 - Found").is_empty());
        // A path with a random-looking segment is no route.
        let found = masked("session : /reset/FAKEx8Kq2LmZ7pR4tY9w");
        assert!(
            found.iter().any(|v| v.contains("FAKEx8Kq2LmZ7pR4tY9w")),
            "{found:?}"
        );
    }

    #[test]
    fn a_secret_noun_in_prose_owns_the_random_values_of_its_clause() {
        let masked =
            |line: &str| -> Vec<String> { findings(line).into_iter().map(|(_, v)| v).collect() };
        let (a, b) = (
            "FAKEb7751f398aa104443a949a429f4e6990b8b2",
            "FAKE912a535740e1ff5c313719731fa7f4a02daa",
        );
        assert_eq!(
            masked(&format!("CSRF mismatch: header={a} expected={b}")),
            [a, b]
        );
        let t = "FAKE9wbJXMgwXJr4M33ckEt9NCuu8o2Vh7QVn_ZkZ0ig";
        assert_eq!(
            masked(&format!("Error: refresh token not found or revoked: {t}")),
            [t]
        );
        assert_eq!(
            masked("bad password for x@example.com { tried: 'FAKE5Kv+3*?/tw+R' }"),
            ["FAKE5Kv+3*?/tw+R"]
        );
        // The clause ends: at a sentence, at a quote around no secret, at a bracket it did not
        // open; ids, digests and names in it stay.
        for kept in [
            format!("token expired. retry with id {t}"),
            format!("{{\"msg\": \"csrf failed for x\", \"trace\": \"{t}\"}}"),
            format!("(csrf check failed) next={t}"),
            format!("session expired for request_id={t}"),
            format!(r#"password reset requested "payload_hash": "{t}""#),
            "token refreshed for user 4e3f1a2b-1c2d-4e5f-8a9b-0c1d2e3f4a5b".into(),
            "password reset: sent to User 42 (ok)".into(),
            "password reset requested for 'alice' by admin".into(),
            // A key some rule owns keeps its value to that rule.
            "password reset requested Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/s3/aws4_request".into(),
            // An escaped line break ends it; a camelCase name is a word.
            format!(r#"{{"stack":"Error: refresh token not active\n    at x {t}"}}"#),
            "refresh token not active: process.processTicksAndRejections".into(),
            // Our mask is no value, and what follows it is read as before.
            "refresh token [REDACTED:token] is not active (rotated or revoked)".into(),
        ] {
            assert!(masked(&kept).is_empty(), "{kept}: {:?}", masked(&kept));
        }
    }

    #[test]
    fn every_rule_passes_its_examples() {
        let failures = self_check(&Engine::builtin());
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A user's rule is checked on load: an example it misses or a counterexample it finds is
    /// a config error naming the rule and the example's number, never the example's text.
    #[test]
    fn a_users_rule_must_pass_its_own_examples() {
        let rule = |examples: &str, counterexamples: &str| {
            let text = format!(
                "[[rule]]\nid = \"acme-key\"\ndescription = \"d\"\nseverity = \"high\"\n\
                 keywords = [\"acme_\"]\nanchored = true\n\
                 pattern = '\\bacme_(?P<secret>[A-Za-z0-9]{{32}})\\b'\n\
                 examples = [{examples}]\ncounterexamples = [{counterexamples}]\n"
            );
            Engine::new(&Config::from_toml(&text, "c").unwrap())
        };
        let good = "\"k=acme_FAKEexampleFAKEexampleFAKEexampl\"";
        let long = "\"k=acme_FAKEexampleFAKEexampleFAKEexample0\"";
        assert!(rule(good, "\"acme_short\"").is_ok());
        let err = rule(&format!("{good}, {long}"), "").unwrap_err().0;
        assert_eq!(err, "rule acme-key: example 2 is not found by the rule");
        let err = rule(good, &format!("\"x\", {good}")).unwrap_err().0;
        assert_eq!(err, "rule acme-key: counterexample 2 is found by the rule");
        assert!(!err.contains("FAKE"));
    }

    /// `anchored = true` is checked against the pattern: a rule whose matches may start before
    /// its keyword (quadratic, and silently missing secrets) is refused.
    #[test]
    fn an_anchored_rule_must_start_at_its_keyword() {
        let text = "[[rule]]\nid = \"acme\"\ndescription = \"d\"\nseverity = \"high\"\n\
                    keywords = [\"q\"]\nanchored = true\npattern = 'acme_(?P<secret>[a-z_]*)Q'\n";
        let err = Engine::new(&Config::from_toml(text, "c").unwrap())
            .unwrap_err()
            .0;
        assert!(err.starts_with("rule acme: anchored = true, but"), "{err}");
    }

    /// A value read up to a quote escaped by a string layer (JSON in JSON) leaves the escape's
    /// backslash alone: the line stays JSON.
    #[test]
    fn a_value_before_an_escaped_quote_keeps_the_escape() {
        let line = r#"{"m": "{\"msg\": \"cli: using auth token 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\"}"}"#;
        let engine = Engine::builtin();
        let mut found = Vec::new();
        engine.scanner().scan_line(line.as_bytes(), &mut found);
        assert!(!found.is_empty());
        for f in &found {
            assert!(
                !line[f.span.clone()].ends_with('\\'),
                "{:?}",
                &line[f.span.clone()]
            );
        }
    }

    /// A quote that a deeper layer escapes is part of the value of the layer above: JSON in a
    /// JavaScript string (`'{"password": "ab\\"cd"}'`), JSON in JSON, and a bare value with a
    /// quote and `&` in it are masked whole, and each line stays valid in its layer.
    #[test]
    fn a_quote_escaped_by_a_deeper_layer_does_not_end_the_value() {
        let engine = Engine::builtin();
        for (line, tail) in [
            (
                r#"body: '{"password": "x3^M\\"Uhb9qaw@!p4c"}'"#,
                "Uhb9qaw@!p4c",
            ),
            (
                r#"{"m": "{\"password\": \"x3^M\\\"Uhb9qaw@!p4c\"}"}"#,
                "Uhb9qaw@!p4c",
            ),
            (
                r#"bad admin credentials user=ops password=wSG2"&hGokZ9262qP08q"#,
                "hGokZ9262qP08q",
            ),
        ] {
            let masker =
                crate::Masker::new(crate::MaskStyle::Label, crate::FingerprintKey::new(b"k"));
            let masked = crate::redact_text(&engine, &masker, line.as_bytes());
            let masked = String::from_utf8(masked).unwrap();
            assert!(!masked.contains(tail), "{masked}");
            if line.starts_with('{') {
                serde_json::from_str::<serde_json::Value>(&masked).expect("still JSON");
            }
        }
    }

    /// A token run longer than its format's length is masked whole: a mask that stops inside
    /// it leaves its end in clear (`/bot<id>:AA…45/` kept `45`).
    #[test]
    fn a_longer_token_run_is_masked_whole() {
        let engine = Engine::builtin();
        let masker = crate::Masker::new(crate::MaskStyle::Label, crate::FingerprintKey::new(b"k"));
        let line = b"GET /bot5555555555:AAF-abcdefghijklmnopqrstuvwxyz_012345/getUpdates";
        let out = crate::redact_text(&engine, &masker, line);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /bot5555555555:[REDACTED:telegram-bot-token]/getUpdates"
        );
    }

    /// A prose clause whose value was read (taken, or already masked) opens no members at a
    /// bracket ending its line: masking the value must not make the lines below a value
    /// (the cloudwatch fuzzer found `issued token <JWT> EVENT {` masked twice differently).
    /// A key may be the value of a naming field, its value in the `value` field after it
    /// (ECS and Kubernetes environments, tags, HAR headers, CloudFormation parameters, an SSM
    /// parameter whose name is a path); the other pairs stay.
    #[test]
    fn a_key_named_by_its_field_owns_the_value_field() {
        let masked = |line: &str| {
            findings(line)
                .into_iter()
                .map(|(_, s)| s)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            masked(
                r#"{"environment": [{"name": "DB_PASSWORD", "value": "Xk8mQ2vLp9zR4wTq"}, {"name": "PORT", "value": "8080"}]}"#
            ),
            ["Xk8mQ2vLp9zR4wTq"]
        );
        assert_eq!(
            masked(
                "{'Parameter': {'Name': '/prod/db/password', 'Type': 'SecureString', 'Value': 'Xk8#mQ2vLp9zR4wT', 'Version': 1}}"
            ),
            ["Xk8#mQ2vLp9zR4wT"]
        );
        assert_eq!(
            masked(
                "{'Tags': [{'Key': 'api_key', 'Value': 'FAKEk8mQ2vLp9zR4wTq0'}, {'Key': 'team', 'Value': 'core'}]}"
            ),
            ["FAKEk8mQ2vLp9zR4wTq0"]
        );
        assert_eq!(
            masked(r#"{"ParameterKey": "DbPassword", "ParameterValue": "Xk8mQ2vLp9zR4wTq"}"#),
            ["Xk8mQ2vLp9zR4wTq"]
        );
        for kept in [
            r#"{"name": "password_reset_required", "value": false}"#,
            r#"{"name": "password", "value": "[FILTERED]"}"#,
            r#"{"label": "password", "value": "Xk8mQ2vLp9zR4wTq"}"#,
            r#"{"name": "DB_PASSWORD", "type": "a", "kind": "b", "mode": "c", "value": "Xk8mQ2vLp9zR4wTq"}"#,
        ] {
            assert_eq!(masked(kept), Vec::<String>::new(), "{kept}");
        }
    }

    /// An OAuth flow's `state` (and an OpenID `nonce`) in a clause about a token is a
    /// round-trip value, not the token.
    #[test]
    fn an_oauth_state_is_not_the_clauses_token() {
        let line = "WARNING token exchange failed, using stub token set for att_upl0xo5so9 state=2f9b968e4c0f8f8285b2ae4ff74c4a8662a9dfa5 nonce=9b7bcf87ed400b5865386a93270d8a2a0903cfea";
        assert_eq!(findings(line), Vec::<(String, String)>::new());
    }

    /// A clause in a quoted string ends with the string (`event="… (tried '…')" logger='…'`),
    /// and an error's CamelCase class name after a clause about a token is no token (taken once,
    /// it was remembered and masked at the head of the stack below).
    #[test]
    fn a_clause_ends_with_its_string_and_takes_no_class_name() {
        let line = r#"level='warning' event="password mismatch for j@example.org (tried 'Hl*amLM3c%3!MfSDL')" logger='lockers.api'"#;
        let found: Vec<String> = findings(line).into_iter().map(|(_, s)| s).collect();
        assert_eq!(found, ["Hl*amLM3c%3!MfSDL"]);
        let line = r#"unknown or revoked refresh token 'rt_KH5ZPIRzLMhezOWlKfK_PQm1dI_MFAJO5_pb8L1dwvk' {"name":"RefreshTokenError","status":500}"#;
        let found: Vec<String> = findings(line).into_iter().map(|(_, s)| s).collect();
        assert_eq!(found, ["rt_KH5ZPIRzLMhezOWlKfK_PQm1dI_MFAJO5_pb8L1dwvk"]);
    }

    /// A record's time is no secret, whatever clause a message before it opened (taken once,
    /// it was remembered and masked the hour of every later line).
    #[test]
    fn a_timestamp_is_no_secret() {
        for line in [
            r#"{"message": "password reset link for a@example.com: https://x.example/a/", "time": "2026-12-07T11:10:14.808880+00:00"}"#,
            r#"{"message": "password reset for bob", "time": "2026-12-07T11:10:14.808880+00:00"}"#,
        ] {
            assert_eq!(findings(line), Vec::<(String, String)>::new(), "{line}");
        }
    }

    #[test]
    fn a_clause_with_its_value_opens_no_members() {
        let engine = Engine::builtin();
        let masker = crate::Masker::new(crate::MaskStyle::Label, crate::FingerprintKey::new(b"k"));
        let text = "issued token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIx4NzAtMmQyMTQ4YjkxOTdlIn0.NklNJtlrLPLBPQ55fZsVYEkpn_7Nweqv5SYEJ6HGEf9-8d8f-05d8e269d028\tINFO\tEVENT {\n x: 1\nciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzODk4OCIsImVtYWlsIjoiZW1pbC5rb3dhbHNraTg3QGV4YW1nA\n";
        let once = crate::redact_text(&engine, &masker, text.as_bytes());
        let twice = crate::redact_text(&engine, &masker, &once);
        assert_eq!(
            String::from_utf8_lossy(&once),
            String::from_utf8_lossy(&twice)
        );
        assert!(String::from_utf8_lossy(&once).contains("issued token [REDACTED:"));
    }

    /// An allowlisted value is the secret or the whole token, public prefix included.
    #[test]
    fn an_allowlisted_value_may_be_the_whole_token() {
        let masked = |values: &str, line: &str| {
            let text = format!("[allowlist]\nvalues = [{values}]\n");
            let engine = Engine::new(&Config::from_toml(&text, "c").unwrap()).unwrap();
            let mut found = Vec::new();
            engine.scanner().scan_line(line.as_bytes(), &mut found);
            found.len()
        };
        let line = "key=AKIAFAKEEXAMPLE2KEYX region=eu-west-1";
        assert_eq!(masked("", line), 1);
        assert_eq!(masked("\"AKIAFAKEEXAMPLE2KEYX\"", line), 0);
        assert_eq!(masked("\"FAKEEXAMPLE2KEYX\"", line), 0);
        // Not a longer or another token that ends the same.
        assert_eq!(masked("\"XAKIAFAKEEXAMPLE2KEYX\"", line), 1);
        assert_eq!(masked("\"ASIAFAKEEXAMPLE2KEYX\"", line), 1);
    }

    #[test]
    fn span_index_answers_as_a_pairwise_test() {
        let spans = [3..9, 0..2, 20..21, 4..6, 12..12, 30..50];
        let mut index = SpanIndex::default();
        index.rebuild(spans.iter());
        for start in 0..55 {
            for end in start + 1..56 {
                let q = start..end;
                let pairwise = spans.iter().any(|s| s.start < q.end && q.start < s.end);
                assert_eq!(index.overlaps(&q), pairwise, "{q:?}");
            }
        }
    }

    #[test]
    fn span_union_gaps_are_what_no_span_covers() {
        let spans = [3..9, 0..2, 20..21, 4..6, 12..12, 30..50, 8..11];
        let mut union = SpanUnion::default();
        union.rebuild(spans.iter().cloned());
        for start in 0..55 {
            for end in start..56 {
                let uncovered: Vec<usize> = (start..end)
                    .filter(|&i| !spans.iter().any(|s| s.contains(&i)))
                    .collect();
                let gaps: Vec<Range<usize>> = union.gaps(start..end).collect();
                let from_gaps: Vec<usize> = gaps.iter().flat_map(|g| g.clone()).collect();
                assert_eq!(from_gaps, uncovered, "{start}..{end}");
                assert!(gaps.iter().all(|g| !g.is_empty()));
                assert!(gaps.windows(2).all(|w| w[0].end < w[1].start), "{gaps:?}");
            }
        }
    }

    /// A second pass over the output finds nothing new: the fuzzer's idempotence invariant, on
    /// the shapes it broke. A keyed value that runs past a token's match keeps its rest
    /// masked; a column whose name we masked owns no parameter; keys between the values
    /// found in a long read are parsed the first time.
    #[test]
    fn redacting_twice_is_redacting_once() {
        let e = Engine::builtin();
        let m = crate::Masker::new(crate::MaskStyle::Label, crate::FingerprintKey::new(b"k"));
        for text in [
            &b"{\"authorization\":\"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0\xceNfNTgyMyIsInR5cCI6IkpXVCJ9Ytoken=leGFtcGxlLmNvbSJ9.PpD4i1fjErBmt2D-Y62Hmk_FZWEA7uKQnYaYxqcFS6k\",\"x\":1}\n"[..],
            b"  cookie: 'koa.ses8bd3ec0d3c08c06bc4b82cca11\",\"refresh_token\":\"Uy0yFruC_bf3I090aKZtMCLwDYM-W43p\",\"apiKey\":\"Z7to6pfxhLk6BjNKL4o2_M3YsSXY7xDweTplnrGfgc8\", alias=default\n",
            b"  'x-req\xf5est-id':VG9fSFdHTl9VQnB2XzJvaWQYRZjn\x1b[REDACTED:authorization:77c86a9e] [REDACTED:authorization:763eca4d]\n",
            b"INFO sqlalchemy.engine.Engine: INSERT INTO oauth_tokens (user_id, provider, [REDACTED:session-id], [REDACTED:session-id], scope) VALUES (?, ?, ?, ?, ?)\nINFO sqlalchemy.engine.Engine: [generated in 0.1s] (7, 'google', 'openid email profile')\n",
        ] {
            let once = crate::redact_text(&e, &m, text);
            let twice = crate::redact_text(&e, &m, &once);
            assert_eq!(
                String::from_utf8_lossy(&twice),
                String::from_utf8_lossy(&once)
            );
        }
        let once = crate::redact_text(
            &e,
            &m,
            b"\"authorization\":\"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0\xceNfNTgyMyIsInR5cCI6IkpXVCJ9Ytoken=leGFtcGxlLmNvbSJ9.PpD4i1fjErBmt2D\"",
        );
        assert!(!String::from_utf8_lossy(&once).contains("NfNTgy"));
        // Keys between the pairs of a cookie header read to the line's end are keys.
        let got = findings(
            "cookie: 'koa.ses8bd3ec0d3c08c\",\"refresh_token\":\"Uy0yFruC_bf3I090aKZtMCLw\", alias=default",
        );
        assert!(
            got.iter().any(|(_, v)| v == "Uy0yFruC_bf3I090aKZtMCLw"),
            "{got:?}"
        );
    }

    #[test]
    fn merge_joins_overlaps() {
        let mut f = vec![
            Finding {
                rule: 1,
                span: 5..9,
            },
            Finding {
                rule: 0,
                span: 0..6,
            },
            Finding {
                rule: 2,
                span: 12..14,
            },
        ];
        merge_overlaps(&mut f);
        assert_eq!(
            f,
            vec![
                Finding {
                    rule: 0,
                    span: 0..9
                },
                Finding {
                    rule: 2,
                    span: 12..14
                }
            ]
        );
    }

    #[test]
    fn shaped_token_wins_over_its_key() {
        let f = findings("'GITHUB_TOKEN': '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'");
        assert_eq!(
            f,
            vec![(
                "github-token".into(),
                "FAKEtokenFORtestsONLY0123456784MD06A".into()
            )]
        );
    }

    #[test]
    fn value_on_the_next_line() {
        let e = Engine::builtin();
        let mut sc = e.scanner();
        let mut out = Vec::new();
        sc.scan_line(b"DEBUG:botocore.auth:Signature:", &mut out);
        assert!(out.is_empty());
        let hex = b"8113be6185d578d0c7f11d2188d9499ba32226fcdfc513e450712a54d4d04806";
        sc.scan_line(hex, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].span, 0..hex.len());
    }

    #[test]
    fn remembered_secret_is_found_without_context() {
        let e = Engine::builtin();
        let mut sc = e.scanner();
        let mut out = Vec::new();
        sc.scan_line(
            b"{\"refresh_token\": \"FAKEexampleFAKEexample0123\"}",
            &mut out,
        );
        assert_eq!(out.len(), 1);
        sc.scan_line(
            b"ExpressionAttributeValues: {':r': 'FAKEexampleFAKEexample0123'}",
            &mut out,
        );
        assert_eq!(out.len(), 1);
    }

    /// A scanner started over is a new scanner: no block, pending key or remembered secret
    /// from before changes what it finds.
    #[test]
    fn a_scanner_started_over_is_new() {
        let e = Engine::builtin();
        let before: [&[u8]; 3] = [
            b"{\"refresh_token\": \"FAKEexampleFAKEexample0123\"}",
            b"-----BEGIN EC PRIVATE KEY-----",
            b"password:",
        ];
        let after: [&[u8]; 3] = [
            b"MHcCAQEEIFAKEexampleFAKEexampleFAKEexample",
            b"Key: {':r': 'FAKEexampleFAKEexample0123'}",
            b"apikey=FAKEapikeyFAKEapikey99",
        ];
        let scan_after = |sc: &mut Scanner<'_>| {
            after
                .iter()
                .map(|l| {
                    let mut out = Vec::new();
                    sc.scan_line(l, &mut out);
                    out
                })
                .collect::<Vec<_>>()
        };
        let mut used = e.scanner();
        for l in before {
            used.scan_line(l, &mut Vec::new());
        }
        // Still in the block, remembering the token: it finds more than a new one would.
        let mut carried = e.scanner();
        for l in before {
            carried.scan_line(l, &mut Vec::new());
        }
        let fresh = scan_after(&mut e.scanner());
        assert_ne!(scan_after(&mut carried), fresh);
        used.start_over();
        assert_eq!(scan_after(&mut used), fresh);
        assert_eq!(fresh.iter().filter(|f| !f.is_empty()).count(), 1);
    }

    #[test]
    fn raw_pem_block_is_masked_line_by_line() {
        let e = Engine::builtin();
        let mut sc = e.scanner();
        let mut out = Vec::new();
        sc.scan_line(b"-----BEGIN EC PRIVATE KEY-----", &mut out);
        assert!(out.is_empty());
        sc.scan_line(b"MHcCAQEEIFAKEexampleFAKEexampleFAKEexample", &mut out);
        assert_eq!(out.len(), 1);
        sc.scan_line(b"-----END EC PRIVATE KEY-----", &mut out);
        // The block is over: base64 in prose is not key body.
        sc.scan_line(b"MIIBOgIBAAJBAKj34GkxFhD9 but prose", &mut out);
        assert!(out.is_empty());
        // The key's own text, seen again, is still a secret.
        sc.scan_line(
            b"MHcCAQEEIFAKEexampleFAKEexampleFAKEexample but prose",
            &mut out,
        );
        assert_eq!(out.len(), 1);
    }

    /// A stray BEGIN line (a header value, a form field, a truncated escaped PEM) never hides
    /// Values too long to check are masked unread; an XML element with children is no value.
    #[test]
    fn long_values_and_xml_children() {
        let e = Engine::builtin();
        let masker = crate::Masker::new(crate::MaskStyle::Label, crate::FingerprintKey::random());
        let long = "x".repeat(crate::keyed::MAX_VALUE + 1);
        let line = format!("{{\"password\": \"{long} and more\n");
        let out = crate::redact::redact_text(&e, &masker, line.as_bytes());
        assert_eq!(out, b"{\"password\": \"[REDACTED:password]\n");
        let xml = b"<Password><Value>FAKEpw0rdFAKE</Value></Password> <token>FAKEtok3nFAKEtok3n</token>\n";
        let out = crate::redact::redact_text(&e, &masker, xml);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<Password><Value>FAKEpw0rdFAKE</Value></Password> <token>[REDACTED:token]</token>\n"
        );
    }

    /// the lines after it: every line that is not key body finds what it finds without it.
    #[test]
    fn a_stray_begin_hides_no_line() {
        let e = Engine::builtin();
        let openers: [&[u8]; 7] = [
            b"GET / user-agent=\"-----BEGIN RSA PRIVATE KEY-----\"",
            b"-----BEGIN RSA PRIVATE KEY-----",
            b"{\"msg\": \"-----BEGIN PRIVATE KEY-----\\n",
            b"form field key=-----BEGIN EC PRIVATE KEY-----",
            b"  privateKey: '-----BEGIN RSA PRIVATE KEY-----\\n' +",
            b"Proc-Type: 4,ENCRYPTED",
            b"-----BEGIN OPENSSH PRIVATE KEY----- truncated",
        ];
        let secret_lines: [&[u8]; 8] = [
            b"Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
            b"Cookie: session_id=Zk3qP9vX2mLr8TnW4yBc7HdJ",
            b"X-Api-Key: FAKEapikeyFAKEapikey0123",
            b"Version: 1 token=FAKEtokenFAKEtoken0123456",
            b"Comment: password=FAKEpassFAKEpass",
            b"{\"refresh_token\": \"FAKEexampleFAKEexample0123\"}",
            b"\\\"Authorization\\\": \\\"Bearer abcdefghijklmnopqrstuvwxyz0123456789\\\"",
            b"'password': 'FAKEpassFAKEpass'",
        ];
        let found = |sc: &mut Scanner<'_>, l: &[u8]| {
            let mut out = Vec::new();
            sc.scan_line(l, &mut out);
            out
        };
        for opener in openers {
            for header in [
                &b"Proc-Type: 4,ENCRYPTED"[..],
                b"",
                b"DEK-Info: AES-128-CBC,00",
            ] {
                for secret in secret_lines {
                    let fresh = found(&mut e.scanner(), secret);
                    assert!(!fresh.is_empty(), "{}", String::from_utf8_lossy(secret));
                    let mut sc = e.scanner();
                    found(&mut sc, opener);
                    // A header line is scanned too: it may hold a secret of its own.
                    assert_eq!(found(&mut sc, header), found(&mut e.scanner(), header));
                    assert_eq!(
                        found(&mut sc, secret),
                        fresh,
                        "after {:?} and {:?}: {:?}",
                        String::from_utf8_lossy(opener),
                        String::from_utf8_lossy(header),
                        String::from_utf8_lossy(secret)
                    );
                }
            }
        }
    }

    /// Escaped text reads as raw text: a record inside a JSON string (a key on one escaped
    /// line and its value on the next), nested escapes, colour codes raw and escaped. Only the
    /// secret is masked, on escape boundaries, so the JSON stays JSON.
    #[test]
    fn layered_lines_are_read_as_raw_text() {
        let hex = "fa9a2351d299a108f1e3e4707ac329ba5530d98f366a9b79034df276b210104d";
        let cases = [
            (format!(r#"{{"event": "Signature:\n{hex}", "level": "debug"}}"#), hex),
            (format!(r#"{{"msg": "Signature:\r\n{hex}\r\nnext"}}"#), hex),
            (
                r#"{"m": "{\"note\": \"Signature:\\n0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\"}"}"#.to_string(),
                "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
            ),
            (
                r"password: \u001b[32m'FAKEpassFAKEpass9'\u001b[39m".to_string(),
                "FAKEpassFAKEpass9",
            ),
            (
                r#"{"m": "password: \x1b[32m'FAKEpassFAKEpass9'\x1b[39m"}"#.to_string(),
                "FAKEpassFAKEpass9",
            ),
            (
                "password: \x1b[32mFAKEpassFAKEpass9\x1b[39m".to_string(),
                "FAKEpassFAKEpass9",
            ),
            // URL-encoded JSON in a query string; a redirect URL carrying an OAuth code.
            (
                "GET /t?d=%7B%22password%22%3A%22FAKEpass%2FFAKEpass9%22%7D HTTP/1.1".to_string(),
                "FAKEpass%2FFAKEpass9",
            ),
            (
                r#"{"uri": "/login?next=%2Fcb%3Fcode%3DFAKEc0deFAKEc0de9x%26state%3D1"}"#.to_string(),
                "FAKEc0deFAKEc0de9x",
            ),
            // An HTML page logged: a repr escaped by a template engine.
            (
                "<pre>{&#x27;api_key&#x27;: &#x27;FAKEkeyFAKEkey99&#x27;}</pre>".to_string(),
                "FAKEkeyFAKEkey99",
            ),
        ];
        let e = Engine::builtin();
        for (line, secret) in &cases {
            let mut out = Vec::new();
            e.scanner().scan_line(line.as_bytes(), &mut out);
            let masked: Vec<&str> = out.iter().map(|f| &line[f.span.clone()]).collect();
            assert!(
                masked.iter().any(|m| m.contains(secret)),
                "{line}: {masked:?}"
            );
            for m in masked {
                assert!(!m.ends_with('\\') && !m.contains('"'), "{line}: {m}");
            }
        }
        // SQL doubles a quote inside a string: the value reads on over it.
        let line = b"UPDATE users SET password = 'FAKE''pass''FAKE9' WHERE id = 4";
        let mut out = Vec::new();
        e.scanner().scan_line(line, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&line[out[0].span.clone()], b"FAKE''pass''FAKE9");
        // Raw colour codes: the value between them is the secret, not the codes.
        let line = b"password: \x1b[32m'FAKEpassFAKEpass9'\x1b[39m";
        let mut out = Vec::new();
        e.scanner().scan_line(line, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(&line[out[0].span.clone()], b"FAKEpassFAKEpass9");
    }

    /// A secret found once is masked wherever it shows up again: on lines without any
    /// keyword (through the quiet path too), later on the same line, and cut short.
    #[test]
    fn remembered_secrets_are_found_on_every_line() {
        let e = Engine::builtin();
        let text = b"{\"refresh_token\": \"FAKE0123456789abcdefFAKE01\"} again FAKE0123456789abcdefFAKE01\n\
            plain line\nlookup FAKE0123456789abcdefFAKE01 failed\nerror: 'FAKE0123456789abcd'+8\nok\n";
        let mut sc = e.scanner();
        let quiet = sc.quiet_prefix(text);
        assert_eq!(quiet.len, 0);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let mut out = Vec::new();
        sc.scan_next_line(lines[0], quiet, &mut out);
        assert_eq!(out.len(), 2, "the value and its repeat on the same line");
        // The next keyword-free lines are quiet only up to the one holding the secret.
        let rest = &text[lines[0].len() + 1..];
        let quiet = sc.quiet_prefix(rest);
        assert_eq!((quiet.len, quiet.lines), (lines[1].len() + 1, 1));
        for (line, secret) in [
            (lines[2], "FAKE0123456789abcdefFAKE01"),
            (lines[3], "FAKE0123456789abcd"),
        ] {
            sc.scan_line(line, &mut out);
            assert_eq!(out.len(), 1);
            assert_eq!(&line[out[0].span.clone()], secret.as_bytes());
        }
        sc.scan_line(lines[4], &mut out);
        assert!(out.is_empty());
    }

    /// The findings of every line of `text` (terminator removed), in order.
    fn by_lines(text: &[u8], mut scan: impl FnMut(&[u8]) -> Vec<Finding>) -> Vec<Vec<Finding>> {
        text.split(|&b| b == b'\n')
            .map(|l| scan(l.strip_suffix(b"\r").unwrap_or(l)))
            .collect()
    }

    #[test]
    fn the_quiet_path_finds_what_a_line_by_line_scan_finds() {
        let engine = Engine::builtin();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");
        let mut texts: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        assert!(texts.len() >= 8);
        // A keyword first on a line, CRLF, a key whose value is on the next line, no final
        // line end.
        texts.push(b"x\r\ntoken\r\nplain\r\nsecret:\nFAKEsecretFAKEsecret1\nok\nAuthorization: Basic dXNlcjpGQUtFcGFzcw==".to_vec());
        for text in &texts {
            let mut sc = engine.scanner();
            let expected = by_lines(text, |l| {
                let mut out = Vec::new();
                sc.scan_line(l, &mut out);
                out
            });
            let mut sc = engine.scanner();
            let mut got = vec![Vec::new(); expected.len()];
            let (mut start, mut index) = (0, 0);
            loop {
                let quiet = sc.quiet_prefix(&text[start..]);
                let quiet_lines = &text[start..start + quiet.len];
                assert_eq!(
                    quiet.lines as usize,
                    memchr::memchr_iter(b'\n', quiet_lines).count()
                );
                index += quiet.lines as usize;
                start += quiet.len;
                let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |n| start + n);
                let line = &text[start..end];
                sc.scan_next_line(
                    line.strip_suffix(b"\r").unwrap_or(line),
                    quiet,
                    &mut got[index],
                );
                if end == text.len() {
                    break;
                }
                (start, index) = (end + 1, index + 1);
            }
            assert!(expected.iter().any(|f| !f.is_empty()));
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_rule_runs_only_on_lines_holding_what_it_requires() {
        let config = Config::from_toml(
            r##"
[[rule]]
id = "acme-key"
description = "test"
severity = "high"
keywords = ["acme_"]
requires = ["#"]
pattern = 'acme_(?P<secret>[a-z0-9]{16})'
examples = ["#1 acme_0123456789abcdef"]
"##,
            "t.toml",
        )
        .unwrap();
        let e = Engine::new(&config).unwrap();
        let rule = e.rules().iter().position(|r| r.id == "acme-key").unwrap();
        let found = |line: &[u8]| {
            let mut out = Vec::new();
            e.scanner().scan_line(line, &mut out);
            out.iter().any(|f| f.rule == rule)
        };
        assert!(found(b"#1 acme_0123456789abcdef"));
        assert!(found(b"acme_0123456789abcdef #"));
        assert!(!found(b"acme_0123456789abcdef"));
    }

    /// Anchored attempts, which also find the secret without a capture pass where the pattern
    /// allows (the token walk, `token`, else `split`), and searches of the line that find the
    /// secret with a split, find what searches of the line with captures find.
    #[test]
    fn anchored_rules_find_what_a_search_of_the_line_finds() {
        let anchored = Engine::builtin();
        let n = anchored.shaped.iter().filter(|r| r.anchored).count();
        assert!(n >= 30, "{n} anchored rules");
        let derived = (anchored.shaped.iter())
            .filter(|r| r.anchored && (r.token.is_some() || r.split().is_some()))
            .count();
        assert!(derived >= 30, "{derived} rules without a capture pass");
        // The split is there wherever the token walk may leave an attempt open.
        let open = (anchored.shaped.iter())
            .filter(|r| r.anchored && r.token.as_ref().is_none_or(|t| t.may_be_unknown()))
            .count();
        let split = (anchored.shaped.iter())
            .filter(|r| r.anchored && r.split().is_some())
            .count();
        assert!(
            split >= 10 && open - split <= 1,
            "{split} splits, {open} open"
        );
        let unanchored: Vec<String> = (BUILTIN_CATALOG.iter())
            .map(|f| f.text.replace("anchored = true", "anchored = false"))
            .collect();
        let unanchored: Vec<CatalogSource<'_>> = (BUILTIN_CATALOG.iter().zip(&unanchored))
            .map(|(f, text)| CatalogSource {
                family: f.family,
                text,
            })
            .collect();
        // Searches of the line that find the secret with a split where the pattern allows
        // (most do), and searches with a capture pass only: the reference.
        let searching = Engine::with_catalog(&unanchored, &Config::default()).unwrap();
        assert!(searching.shaped.iter().all(|r| !r.anchored));
        assert!(
            searching
                .shaped
                .iter()
                .filter(|r| r.split().is_some())
                .count()
                >= 30
        );
        let mut capturing = Engine::with_catalog(&unanchored, &Config::default()).unwrap();
        capturing.shaped.iter_mut().for_each(|r| r.without_split());

        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");
        let mut text: Vec<u8> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .flat_map(|p| std::fs::read(p).unwrap())
            .collect();
        // Every rule's examples and counterexamples, twice on a line (a second match starts
        // after the first), and glued to a word (`\b` is looked for before the keyword).
        // And after more keyword hits than a scan holds at once (`HIT_BATCH`): the anchors of
        // a batch are tried before the next batch is read, and a rule that searches the line
        // from a later batch finds again what they found.
        let filler = |kw: &str| format!("{kw} ").repeat(HIT_BATCH / 2 + 7);
        for r in &anchored.shaped {
            for ex in r.examples.iter().chain(&r.counterexamples) {
                text.extend_from_slice(format!("{ex} {ex}\nx{ex}\n").as_bytes());
                for kw in ["eyJ", "AKIA", &r.keywords[0]] {
                    let f = filler(kw);
                    text.extend_from_slice(format!("{f}{ex} {f}{f}{ex} {ex}\n").as_bytes());
                }
            }
        }
        let scan = |e: &Engine| {
            let mut sc = e.scanner();
            by_lines(&text, |l| {
                let mut out = Vec::new();
                sc.scan_line(l, &mut out);
                out
            })
        };
        let expected = scan(&capturing);
        assert!(expected.iter().filter(|f| !f.is_empty()).count() > 500);
        assert_eq!(scan(&anchored), expected);
        assert_eq!(scan(&searching), expected);
    }
}
