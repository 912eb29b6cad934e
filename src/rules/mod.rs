//! The rule catalog: what a secret looks like, as data.
//!
//! Rules live in `catalog/*.toml`, one file per family of services (compiled into the binary),
//! and may be extended by a user config. There are two kinds, mirroring how secrets leak into
//! logs:
//!
//! * **shaped** rules (`[[rule]]`): the token identifies itself (`ghp_…`, `AKIA…`, a JWT). A regex
//!   with a named group `secret` marks the part to mask; a validator may confirm the match.
//! * **keyed** rules (`[[keyed]]`): the value is a secret only because of the key in front of it
//!   (`refresh_token`, `Authorization`, `Cookie`). The syntax around the key (JSON, repr, query
//!   strings, headers…) is parsed once for all keyed rules by [`crate::keyed`]; a keyed rule only
//!   says which key names it owns and what a plausible value looks like.
//!
//! Every rule carries `examples` and `counterexamples`; the test suite runs them all.

mod anchor;
pub(crate) mod token;
pub(crate) mod validators;

use regex::bytes::{Regex, RegexBuilder};
use regex_automata::util::syntax;
use regex_automata::{Input, meta};
use regex_syntax::hir::Hir;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// One file of the built-in catalog: the rules of a family of services.
#[derive(Debug, Clone, Copy)]
pub struct CatalogSource<'a> {
    /// The family of services its rules are for (its file name).
    pub family: &'a str,
    /// The file's TOML.
    pub text: &'a str,
}

macro_rules! catalog_files {
    ($($family:literal),* $(,)?) => {
        &[$(CatalogSource { family: $family, text: include_str!(concat!("catalog/", $family, ".toml")) }),*]
    };
}

/// The built-in catalog, compiled in, in the order its rules take (shaped rules of a family in
/// file order; the generic `http` rules yield to every specific one wherever they stand).
pub const BUILTIN_CATALOG: &[CatalogSource<'static>] = catalog_files![
    "cloud",
    "sessions",
    "vcs-ci",
    "payments-messaging",
    "ai-auth-apps",
    "monitoring-data",
    "http",
    "keys-hashes",
    "keyed",
];

/// The family of the rules a user's config adds.
pub const CONFIG_FAMILY: &str = "config";

/// How bad a leak of this kind is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Little or no harm alone (an expired token).
    #[default]
    Low,
    /// Limited harm (a credential of narrow reach).
    Medium,
    /// A working credential (a live token, a password, an API key).
    High,
    /// A credential of wide or lasting reach (cloud keys, private keys, unsigned tokens).
    Critical,
}

impl Severity {
    /// The name reports and flags use (`low`...`critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How the value after a secret key is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ValueSyntax {
    /// The whole value is the secret.
    #[default]
    Plain,
    /// `Bearer xyz`, `Basic xyz`, `token xyz`: the scheme stays, the credential is masked;
    /// `AWS4-HMAC-SHA256 …` is left to the SigV4 rules (its scope and header list are public).
    Authorization,
    /// `a=1; b=2`: every cookie value is masked, names stay.
    Cookie,
    /// `name=value; Path=/; HttpOnly`: the first value is masked, attributes stay.
    SetCookie,
}

/// A catalog file: shaped and keyed rules.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    #[serde(default)]
    pub rule: Vec<ShapedSpec>,
    #[serde(default)]
    pub keyed: Vec<KeyedSpec>,
}

/// A shaped rule as written in the catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapedSpec {
    /// The rule's id: lower-case words joined by `-`, unique in the catalog.
    pub id: String,
    /// The catalog file it comes from (or [`CONFIG_FAMILY`]); not written in the file.
    #[serde(skip)]
    pub family: String,
    /// One line for people.
    pub description: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// Literal strings (ASCII case-insensitive) of which one must occur near a match.
    pub keywords: Vec<String>,
    /// A regex with a named group `secret` (the bytes to mask).
    pub pattern: String,
    /// A check of the match beyond the pattern (`github-crc32`...), by name.
    #[serde(default)]
    pub validator: Option<String>,
    /// Every match starts where one of the keywords starts: the regex then only runs there,
    /// anchored, instead of searching the line (one pass instead of three for long tokens).
    #[serde(default)]
    pub anchored: bool,
    /// The body of a byte class (`A-Za-z0-9_.-`) that the byte before a match must not be in
    /// (a match glued to one is skipped). A left boundary that `\b` cannot say; written in the
    /// pattern instead, it would make the match start before the keyword, and the rule could
    /// not run anchored.
    #[serde(default)]
    pub not_after: Option<String>,
    /// The body of a byte class that the byte after a match must not be in (a match followed
    /// by one is no match). A right boundary that `\b` cannot say; written in the pattern as
    /// `(?:[^…]|$)`, it gives the match two lengths, and its secret then needs a capture pass.
    #[serde(default)]
    pub not_before: Option<String>,
    /// Literal strings (case-sensitive) that every match contains: the regex only runs on
    /// lines that hold them all (`@` for credentials in a URL: most `://` lines have none).
    #[serde(default)]
    pub requires: Vec<String>,
    /// A generic rule (`Bearer …`) yields to any specific rule whose token it overlaps.
    #[serde(default)]
    pub generic: bool,
    /// Regexes matched against the secret: a match means "not a secret".
    #[serde(default)]
    pub allowlist: Vec<String>,
    /// Lines the rule must mask (checked when the rule loads).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Lines the rule must leave alone (checked when the rule loads).
    #[serde(default)]
    pub counterexamples: Vec<String>,
}

/// A keyed rule as written in the catalog.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyedSpec {
    /// The rule's id: lower-case words joined by `-`, unique in the catalog.
    pub id: String,
    /// The catalog file it comes from (or [`CONFIG_FAMILY`]); not written in the file.
    #[serde(skip)]
    pub family: String,
    /// One line for people.
    pub description: String,
    /// How bad a leak of this kind is.
    pub severity: Severity,
    /// Literal strings that find candidate keys (ASCII case-insensitive).
    pub keywords: Vec<String>,
    /// A key is owned by this rule if its normalized form (lowercase, without `_ - .` and
    /// spaces) ends with one of these…
    #[serde(default)]
    pub suffixes: Vec<String>,
    /// …or equals one of these.
    #[serde(default)]
    pub names: Vec<String>,
    /// Keys owned only in prose (`caller key X`), where an assignment (`key=…`) is too
    /// ambiguous (cache keys, S3 keys).
    #[serde(default)]
    pub prose_names: Vec<String>,
    /// Keys owned only as query-string parameters (`?key=…`, `&key=…`).
    #[serde(default)]
    pub query_names: Vec<String>,
    /// Normalized keys that end with a suffix but are not secrets (`nexttoken`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Endings of normalized keys that are not secrets whatever comes before them
    /// (`accountsid`: `twilio_account_sid` too).
    #[serde(default)]
    pub exclude_suffixes: Vec<String>,
    /// How the value after the key is read.
    #[serde(default)]
    pub value: ValueSyntax,
    /// Shortest value taken as a secret.
    #[serde(default = "default_min_len")]
    pub min_len: usize,
    /// Require a random-looking value (letters and digits, no spaces), not just any value.
    #[serde(default)]
    pub token_like: bool,
    /// Require a value that looks generated (letters with digits, or both cases), for keys
    /// that also name ordinary values (`code`: an OAuth code, or `ERR_BAD_REQUEST`).
    #[serde(default)]
    pub random: bool,
    /// Also accept prose, `key value` with a space, when the value is random-looking.
    #[serde(default)]
    pub prose: bool,
    /// An object under the key is a record whose own `id` is the secret (a session:
    /// `{"session": {"id": "…"}}`). Under other keys an `id` member is the record's public
    /// id (`apiKeys: [{ id: 'key_…', key: '…' }]`).
    #[serde(default)]
    pub record_id: bool,
    /// Regexes matched against the value: a match means "not a secret".
    #[serde(default)]
    pub allowlist: Vec<String>,
    /// Lines the rule must mask (checked when the rule loads).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Lines the rule must leave alone (checked when the rule loads).
    #[serde(default)]
    pub counterexamples: Vec<String>,
}

fn default_min_len() -> usize {
    6
}

/// Why a catalog or config could not be compiled. Never contains a secret (only rule ids,
/// field names and regex errors of the catalog's own patterns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError(pub String);

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleError {}

/// A compiled shaped rule.
#[derive(Debug)]
pub(crate) struct ShapedRule {
    pub id: String,
    pub family: String,
    pub description: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    /// The pattern's parse; its automata are built from it when the rule first runs.
    hir: Hir,
    /// The regex and the split, built on first use: most rules of a catalog of hundreds
    /// never run on a given log, and building every automaton up front was most of the
    /// engine's build time.
    compiled: OnceLock<CompiledShape>,
    /// Whether a split is wanted (see [`ShapedRule::split`]).
    wants_split: bool,
    /// Index of the `secret` capture group.
    pub secret_group: usize,
    /// Capture slots a search of the regex fills.
    pub slot_len: usize,
    /// Where the pattern allows it, how an anchored match and its secret are found by one walk
    /// with no automaton.
    pub token: Option<token::TokenProgram>,
    /// See [`ShapedSpec::anchored`].
    pub anchored: bool,
    /// See [`ShapedSpec::not_after`]: the bytes that may not come before a match.
    pub not_after: Option<Box<[bool; 256]>>,
    /// See [`ShapedSpec::not_before`]: the bytes that may not come after a match.
    pub not_before: Option<Box<[bool; 256]>>,
    pub validator: Option<validators::Validator>,
    /// See [`ShapedSpec::requires`].
    pub requires: Vec<memchr::memmem::Finder<'static>>,
    pub generic: bool,
    pub allowlist: Vec<Regex>,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
}

/// In which syntaxes a keyed rule owns a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ownership {
    Any,
    /// Only as a query-string parameter and/or in prose.
    Limited {
        query: bool,
        prose: bool,
    },
}

/// A compiled keyed rule.
#[derive(Debug)]
pub(crate) struct KeyedRule {
    pub id: String,
    pub family: String,
    pub description: String,
    pub severity: Severity,
    pub keywords: Vec<String>,
    pub suffixes: Vec<String>,
    pub names: Vec<String>,
    pub prose_names: Vec<String>,
    pub query_names: Vec<String>,
    pub exclude: Vec<String>,
    pub exclude_suffixes: Vec<String>,
    pub value: ValueSyntax,
    pub min_len: usize,
    pub token_like: bool,
    pub random: bool,
    pub prose: bool,
    pub record_id: bool,
    pub allowlist: Vec<Regex>,
    pub examples: Vec<String>,
    pub counterexamples: Vec<String>,
}

/// Trailing words of a key that say which copy of a value it is, not what it is (normalized).
const SAME_VALUE_QUALIFIERS: &[&str] = &[
    "confirmation",
    "confirm",
    "again",
    "repeat",
    "retype",
    "new",
    "old",
    "current",
    "previous",
    "prev",
    "value",
    "plaintext",
    "plain",
    "raw",
    "cleartext",
    "input",
    "attempt",
    "tried",
    "given",
    "provided",
    "submitted",
    "received",
    "expected",
    "actual",
];

/// Does the (normalized) key say that its value is public (`public_token`, `publishableKey`,
/// `NEXT_PUBLIC_MAPBOX_TOKEN`)? A token made to be published (a Mapbox `pk.…`, a Stripe
/// `pk_live_…`, a public key) is no secret, whatever else the key says.
pub(crate) fn names_a_public_value(normalized_key: &[u8]) -> bool {
    memchr::memmem::find(normalized_key, b"public").is_some()
        || memchr::memmem::find(normalized_key, b"publishable").is_some()
}

/// The forms of a (normalized) key that a rule may own, in the order they are tried: the key
/// without a number (`new_password1`, `api_key_2`), without a qualifier that says which copy
/// of a value it is (`password_confirm`, `token_old`, `api_key_value`), and the key itself.
/// The same for every rule, so an index of the rules' names finds their owners by these forms.
pub(crate) fn key_forms(normalized_key: &[u8]) -> [Option<&[u8]>; 3] {
    let digits = normalized_key
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let numbered = (digits > 0 && digits <= 2 && digits < normalized_key.len())
        .then(|| &normalized_key[..normalized_key.len() - digits]);
    let qualified = SAME_VALUE_QUALIFIERS.iter().find_map(|q| {
        normalized_key
            .strip_suffix(q.as_bytes())
            .filter(|base| !base.is_empty())
    });
    [numbered, qualified, Some(normalized_key)]
}

impl KeyedRule {
    /// Does this rule own the (normalized) key? Some keys only in prose.
    pub(crate) fn owns(&self, normalized_key: &[u8]) -> Option<Ownership> {
        if names_a_public_value(normalized_key) {
            return None;
        }
        key_forms(normalized_key)
            .into_iter()
            .flatten()
            .find_map(|form| self.owns_exactly(form))
    }

    /// Does this rule name the (normalized) key as a look-alike it does not own (`nexttoken`)?
    pub(crate) fn excludes(&self, normalized_key: &[u8]) -> bool {
        self.exclude.iter().any(|e| e.as_bytes() == normalized_key)
            || (self.exclude_suffixes.iter()).any(|e| normalized_key.ends_with(e.as_bytes()))
    }

    fn owns_exactly(&self, normalized_key: &[u8]) -> Option<Ownership> {
        if self.excludes(normalized_key) {
            return None;
        }
        let full = self.names.iter().any(|n| n.as_bytes() == normalized_key)
            || self
                .suffixes
                .iter()
                .any(|s| normalized_key.ends_with(s.as_bytes()));
        let named = |list: &[String]| list.iter().any(|n| n.as_bytes() == normalized_key);
        if full {
            Some(Ownership::Any)
        } else if named(&self.query_names) || named(&self.prose_names) {
            Some(Ownership::Limited {
                query: named(&self.query_names),
                prose: named(&self.prose_names),
            })
        } else {
            None
        }
    }
}

/// Parse a catalog from TOML text; its rules are of `family`.
pub(crate) fn parse_catalog(text: &str, family: &str) -> Result<CatalogFile, RuleError> {
    let mut file: CatalogFile =
        toml::from_str(text).map_err(|e| RuleError(format!("{family}: {e}")))?;
    for r in &mut file.rule {
        r.family = family.to_string();
    }
    for r in &mut file.keyed {
        r.family = family.to_string();
    }
    Ok(file)
}

/// Parse catalog files into one catalog, in their order.
pub(crate) fn parse_catalogs(sources: &[CatalogSource<'_>]) -> Result<CatalogFile, RuleError> {
    let mut all = CatalogFile::default();
    for source in sources {
        let file = parse_catalog(source.text, source.family)?;
        all.rule.extend(file.rule);
        all.keyed.extend(file.keyed);
    }
    Ok(all)
}

pub(crate) fn compile_regex(pattern: &str, what: &str) -> Result<Regex, RuleError> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(8 << 20)
        .build()
        .map_err(|e| bad_regex(what, &e))
}

/// A regex error without the pattern (the regex crate quotes it, and a config's pattern or
/// allowlist may hold a secret): the column and what is wrong there.
fn bad_regex(what: &str, e: &dyn fmt::Display) -> RuleError {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let why = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .filter(|_| lines.len() > 1);
    let column = lines
        .iter()
        .find(|l| l.trim_start().starts_with('^') && l.trim().bytes().all(|b| b == b'^'))
        .map(|l| l.len() - l.trim_start().len() - 3);
    RuleError(match (why, column) {
        (Some(why), Some(col)) => format!("{what}: bad regex at character {col}: {why}"),
        (Some(why), None) => format!("{what}: bad regex: {why}"),
        // One-line messages (a size limit) say nothing of the pattern.
        _ if lines.len() == 1 => format!("{what}: bad regex: {text}"),
        _ => format!("{what}: bad regex"),
    })
}

/// A shaped rule's pattern, parsed with the same syntax as [`compile_regex`] (bytes, not
/// Unicode); its automata are built from the parse when the rule first runs.
fn parse_shaped_pattern(pattern: &str, what: &str) -> Result<Hir, RuleError> {
    syntax::parse_with(pattern, &syntax::Config::new().unicode(false).utf8(false))
        .map_err(|e| bad_regex(what, &e))
}

/// [`parse_shaped_pattern`], and the regex built (for tests of the parse's use).
#[cfg(test)]
fn compile_shaped_regex(pattern: &str, what: &str) -> Result<(meta::Regex, Hir), RuleError> {
    let hir = parse_shaped_pattern(pattern, what)?;
    let regex = meta_builder()
        .build_from_hir(&hir)
        .map_err(|e| bad_regex(what, &e))?;
    Ok((regex, hir))
}

/// How a shaped pattern's regex (or a part of one) is built from its parse.
fn meta_builder() -> meta::Builder {
    let mut builder = meta::Builder::new();
    // No one-pass DFA: most secrets are found without a capture pass (the token walk, the
    // split), and each rule's one-pass DFA was about 35 KB, 6.7 MB when a line wakes every rule
    // (heaptrack); the capture passes left run as fast without it on the density logs.
    builder.configure(
        meta::Config::new()
            .nfa_size_limit(Some(8 << 20))
            .onepass(false),
    );
    builder
}

/// No literal is a prefix of another: at most one of them matches at a given position.
pub(crate) fn prefix_free<L: AsRef<[u8]>>(literals: &[L]) -> bool {
    literals.iter().enumerate().all(|(i, a)| {
        (literals.iter().enumerate()).all(|(j, b)| i == j || !b.as_ref().starts_with(a.as_ref()))
    })
}

/// The bytes in the class `[body]`, as a table.
/// Does every match of `hir` start with `\b` and then an ASCII word byte (`\beyJ`,
/// `\b(?:AKIA|ASIA)`, `\b[rs]k_`)? Then no match starts right after an ASCII word byte, which
/// the rule's `not_after` can say before any regex runs: an anchored attempt at each of a
/// million `eyJ` glued together costs a byte look-up instead of a search.
fn starts_at_word_boundary(hir: &Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind, Look};
    fn word(b: u32) -> bool {
        u8::try_from(b).is_ok_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
    // Whether every match of `hir` starts with an ASCII word byte (`false` when unsure).
    fn starts_with_word(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Literal(l) => l.0.first().is_some_and(|&b| word(u32::from(b))),
            HirKind::Class(Class::Bytes(c)) => c
                .ranges()
                .iter()
                .all(|r| (r.start()..=r.end()).all(|b| word(u32::from(b)))),
            HirKind::Class(Class::Unicode(c)) => c
                .ranges()
                .iter()
                .all(|r| (u32::from(r.start())..=u32::from(r.end())).all(word)),
            HirKind::Capture(c) => starts_with_word(&c.sub),
            HirKind::Repetition(r) => r.min >= 1 && starts_with_word(&r.sub),
            HirKind::Alternation(alts) => alts.iter().all(starts_with_word),
            HirKind::Concat(parts) => parts.first().is_some_and(starts_with_word),
            HirKind::Empty | HirKind::Look(_) => false,
        }
    }
    let HirKind::Concat(parts) = hir.kind() else {
        return false;
    };
    matches!(
        parts.first().map(Hir::kind),
        Some(HirKind::Look(Look::WordUnicode | Look::WordAscii))
    ) && parts.get(1).is_some_and(starts_with_word)
}

/// The bytes of the bracket class `[body]`, as the rule's regexes read it (bytes, not
/// Unicode). Read off the parsed class: a regex compiled and run on each of 256 bytes cost a
/// sixth of the engine's build.
fn byte_class(body: &str, what: &str) -> Result<Box<[bool; 256]>, RuleError> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(&format!("[{body}]"))
        .map_err(|e| bad_regex(what, &e))?;
    if let HirKind::Class(Class::Bytes(class)) = hir.kind() {
        let mut bytes = Box::new([false; 256]);
        for r in class.ranges() {
            bytes[usize::from(r.start())..=usize::from(r.end())].fill(true);
        }
        return Ok(bytes);
    }
    // A class of one byte is parsed as a literal: ask a regex.
    byte_class_by_regex(body, what)
}

fn byte_class_by_regex(body: &str, what: &str) -> Result<Box<[bool; 256]>, RuleError> {
    let class = compile_regex(&format!("^[{body}]$"), what)?;
    Ok(Box::new(std::array::from_fn(|b| {
        class.is_match(&[b as u8])
    })))
}

/// How a match's secret is found from the match's start without a capture pass (which walks
/// the token again, several times slower than a DFA), for a pattern of the shape
/// `before(?P<secret>…)after` where `after` is assertions (`\b`), literals and one-byte classes
/// (so, of one length): `before`'s
/// first match from the start, in the pattern's order of preference, ends where the secret
/// starts if the rest of the pattern matches from there, and the secret then runs to the end
/// of the match less `after`'s fixed length.
#[derive(Debug)]
pub(crate) struct SecretSplit {
    /// `before`, `None` if empty (the whole match is the secret).
    pub before: Option<meta::Regex>,
    /// The group's pattern and the assertions after it.
    pub secret: meta::Regex,
    /// `before` matches at most one way (one of a few literals, none a prefix of another: the
    /// `\bgh[pousr]_` or `(?:AKIA|ASIA)` of most token rules), so when the secret does not
    /// match after it, the pattern does not match at all.
    pub before_unique: bool,
    /// The bytes `after` takes at the end of every match.
    pub after_len: usize,
}

/// The caches a [`SecretSplit`] searches with.
#[derive(Debug)]
pub(crate) struct SplitCache {
    before: Option<meta::Cache>,
    secret: meta::Cache,
}

/// What a [`SecretSplit`] says of an anchored attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitMatch {
    /// The pattern matches from the attempt's start to `end`, with its secret here.
    Found {
        end: usize,
        secret: std::ops::Range<usize>,
    },
    NoMatch,
    /// `before` matched but the rest did not after it; the pattern may still match another
    /// way: ask the whole regex.
    Unknown,
}

impl SecretSplit {
    /// The split of `hir`, if it has the shape.
    pub(crate) fn of(hir: &Hir) -> Option<SecretSplit> {
        use regex_syntax::hir::{Class, HirKind};
        let items = match hir.kind() {
            HirKind::Concat(items) => items.as_slice(),
            // The group alone.
            _ => std::slice::from_ref(hir),
        };
        let (group, capture) = items.iter().enumerate().find_map(|(i, h)| match h.kind() {
            HirKind::Capture(c) if c.name.as_deref() == Some("secret") => Some((i, c)),
            _ => None,
        })?;
        let mut after_len = 0;
        for h in &items[group + 1..] {
            match h.kind() {
                HirKind::Look(_) => {}
                HirKind::Literal(l) => after_len += l.0.len(),
                // One byte: a class of bytes, or of ASCII characters (`@[A-Za-z0-9.-]`).
                HirKind::Class(Class::Bytes(_)) => after_len += 1,
                HirKind::Class(Class::Unicode(c))
                    if c.ranges().last().is_some_and(|r| r.end() <= '\x7f') =>
                {
                    after_len += 1
                }
                _ => return None,
            }
        }
        let compile = |items: Vec<Hir>| meta_builder().build_from_hir(&Hir::concat(items)).ok();
        let mut secret = vec![(*capture.sub).clone()];
        secret.extend_from_slice(&items[group + 1..]);
        let before = &items[..group];
        Some(SecretSplit {
            before: match before.is_empty() {
                true => None,
                false => Some(compile(before.to_vec())?),
            },
            secret: compile(secret)?,
            before_unique: matches_one_way(before),
            after_len,
        })
    }

    pub(crate) fn create_cache(&self) -> SplitCache {
        SplitCache {
            before: self.before.as_ref().map(|r| r.create_cache()),
            secret: self.secret.create_cache(),
        }
    }

    /// The attempt `input` (anchored) of the whole pattern, in two DFA searches.
    pub(crate) fn find(&self, input: &Input<'_>, cache: &mut SplitCache) -> SplitMatch {
        let from = match (&self.before, &mut cache.before) {
            (Some(before), Some(c)) => match before.search_half_with(c, input) {
                Some(end) => end.offset(),
                None => return SplitMatch::NoMatch,
            },
            _ => input.start(),
        };
        let rest = input.clone().span(from..input.end());
        match self.secret.search_half_with(&mut cache.secret, &rest) {
            Some(end) => SplitMatch::Found {
                end: end.offset(),
                secret: from..end.offset() - self.after_len,
            },
            None if self.before_unique => SplitMatch::NoMatch,
            None => SplitMatch::Unknown,
        }
    }
}

/// Can a concatenation match from a given start in one way only? Yes when, assertions aside,
/// it is a set of exact literals none of which starts another.
fn matches_one_way(items: &[Hir]) -> bool {
    use regex_syntax::hir::HirKind;
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let consuming: Vec<Hir> = items
        .iter()
        .filter(|h| !matches!(h.kind(), HirKind::Look(_)))
        .cloned()
        .collect();
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .extract(&Hir::concat(consuming));
    let Some(literals) = seq.literals() else {
        return false;
    };
    literals.iter().all(|l| l.is_exact())
        && prefix_free(&literals.iter().map(|l| l.as_bytes()).collect::<Vec<_>>())
}

fn compile_allowlist(list: &[String], id: &str) -> Result<Vec<Regex>, RuleError> {
    list.iter()
        .map(|p| compile_regex(p, &format!("rule {id}: allowlist")))
        .collect()
}

fn check_id(id: &str) -> Result<(), RuleError> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        // The id failed the check: it may be anything, so it is not quoted.
        Err(RuleError(
            "a rule id: use lowercase letters, digits and '-' only".into(),
        ))
    }
}

impl ShapedSpec {
    pub(crate) fn compile(&self) -> Result<ShapedRule, RuleError> {
        check_id(&self.id)?;
        if self.keywords.is_empty() || self.keywords.iter().any(|k| k.is_empty()) {
            return Err(RuleError(format!(
                "rule {}: needs at least one non-empty keyword",
                self.id
            )));
        }
        let what = format!("rule {}", self.id);
        let hir = parse_shaped_pattern(&self.pattern, &what)?;
        if self.anchored && !anchor::starts_with_a_keyword(&hir, &self.keywords) {
            return Err(RuleError(format!(
                "rule {}: anchored = true, but a match of its pattern may start elsewhere than \
                 at one of its keywords (write the keyword literally at the start of the \
                 pattern, or leave `anchored` out)",
                self.id
            )));
        }
        let secret_group = capture_index(&hir, "secret").ok_or_else(|| {
            RuleError(format!(
                "rule {}: pattern has no (?P<secret>...) group",
                self.id
            ))
        })?;
        let slot_len = 2 * (1 + hir.properties().explicit_captures_len());
        let validator = match &self.validator {
            None => None,
            Some(name) => Some(validators::Validator::from_name(name).ok_or_else(|| {
                RuleError(format!(
                    "rule {}: unknown validator (known: {})",
                    self.id,
                    validators::Validator::NAMES.join(", ")
                ))
            })?),
        };
        let token = token::TokenProgram::of(&hir);
        // The split serves anchored attempts the token walk cannot decide: compiling its two
        // regexes for nothing would be most of the engine's build time.
        let wants_split = !matches!(&token, Some(t) if self.anchored && !t.may_be_unknown());
        let word_boundary_first = starts_at_word_boundary(&hir);
        let rule = ShapedRule {
            id: self.id.clone(),
            family: self.family.clone(),
            description: self.description.clone(),
            severity: self.severity,
            keywords: self.keywords.clone(),
            token,
            hir,
            compiled: OnceLock::new(),
            wants_split,
            secret_group,
            slot_len,
            anchored: self.anchored,
            not_after: {
                let mut class = match &self.not_after {
                    None => None,
                    Some(class) => {
                        Some(byte_class(class, &format!("rule {}: not_after", self.id))?)
                    }
                };
                if word_boundary_first {
                    let class = class.get_or_insert_with(|| Box::new([false; 256]));
                    for b in 0..=255u8 {
                        class[usize::from(b)] |= b.is_ascii_alphanumeric() || b == b'_';
                    }
                }
                class
            },
            not_before: match &self.not_before {
                None => None,
                Some(class) => Some(byte_class(class, &format!("rule {}: not_before", self.id))?),
            },
            validator,
            requires: self
                .requires
                .iter()
                .map(|r| memchr::memmem::Finder::new(r.as_bytes()).into_owned())
                .collect(),
            generic: self.generic,
            allowlist: compile_allowlist(&self.allowlist, &self.id)?,
            examples: self.examples.clone(),
            counterexamples: self.counterexamples.clone(),
        };
        // A user's rule is built now, so that an automaton too big to build is a config
        // error; the built-in ones are all built by the test suite.
        if self.family == CONFIG_FAMILY {
            rule.build().map_err(|e| bad_regex(&what, &e))?;
        }
        Ok(rule)
    }
}

/// A shaped rule's automata.
#[derive(Debug)]
struct CompiledShape {
    regex: meta::Regex,
    split: Option<SecretSplit>,
}

impl ShapedRule {
    /// The regex, for anchored searches and capture passes.
    pub(crate) fn regex(&self) -> &meta::Regex {
        &self.compiled().regex
    }

    /// Where the pattern allows it and the token walk does not decide every attempt, how a
    /// match's secret is found without a capture pass.
    pub(crate) fn split(&self) -> Option<&SecretSplit> {
        self.compiled().split.as_ref()
    }

    fn compiled(&self) -> &CompiledShape {
        self.compiled.get_or_init(|| {
            self.build()
                .expect("a built-in rule's pattern builds (the test suite builds every one)")
        })
    }

    fn build(&self) -> Result<CompiledShape, Box<regex_automata::meta::BuildError>> {
        Ok(CompiledShape {
            regex: meta_builder().build_from_hir(&self.hir).map_err(Box::new)?,
            split: if self.wants_split {
                SecretSplit::of(&self.hir)
            } else {
                None
            },
        })
    }

    /// Build the automata now (the test suite builds every rule's).
    #[cfg(test)]
    pub(crate) fn build_now(&self) {
        self.compiled();
    }

    /// No split: the secret is always found by a capture pass (the reference in tests).
    #[cfg(test)]
    pub(crate) fn without_split(&mut self) {
        self.wants_split = false;
        self.compiled = OnceLock::new();
    }
}

/// The index of the capture group `name`.
fn capture_index(hir: &Hir, name: &str) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some(name) => Some(c.index as usize),
        HirKind::Capture(c) => capture_index(&c.sub, name),
        HirKind::Repetition(r) => capture_index(&r.sub, name),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().find_map(|h| capture_index(h, name))
        }
        _ => None,
    }
}

/// Lowercase and drop the separators that distinguish `refresh_token`, `refreshToken`,
/// `Refresh-Token` and `REFRESH.TOKEN`.
pub(crate) fn normalize_key(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(
        raw.iter()
            .filter(|b| !matches!(b, b'_' | b'-' | b'.' | b' '))
            .map(|b| b.to_ascii_lowercase()),
    );
}

fn normalized(list: &[String]) -> Vec<String> {
    let mut buf = Vec::new();
    list.iter()
        .map(|s| {
            normalize_key(s.as_bytes(), &mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
        .collect()
}

impl KeyedSpec {
    pub(crate) fn compile(&self) -> Result<KeyedRule, RuleError> {
        check_id(&self.id)?;
        if self.keywords.is_empty() || self.keywords.iter().any(|k| k.is_empty()) {
            return Err(RuleError(format!(
                "rule {}: needs at least one non-empty keyword",
                self.id
            )));
        }
        if self.suffixes.is_empty()
            && self.names.is_empty()
            && self.prose_names.is_empty()
            && self.query_names.is_empty()
        {
            return Err(RuleError(format!(
                "rule {}: a keyed rule needs `suffixes`, `names`, `prose_names` or `query_names`",
                self.id
            )));
        }
        Ok(KeyedRule {
            id: self.id.clone(),
            family: self.family.clone(),
            description: self.description.clone(),
            severity: self.severity,
            keywords: self.keywords.clone(),
            suffixes: normalized(&self.suffixes),
            names: normalized(&self.names),
            prose_names: normalized(&self.prose_names),
            query_names: normalized(&self.query_names),
            exclude: normalized(&self.exclude),
            exclude_suffixes: normalized(&self.exclude_suffixes),
            value: self.value,
            min_len: self.min_len.max(1),
            token_like: self.token_like,
            random: self.random,
            prose: self.prose,
            record_id: self.record_id,
            allowlist: compile_allowlist(&self.allowlist, &self.id)?,
            examples: self.examples.clone(),
            counterexamples: self.counterexamples.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_compiles() {
        let cat = parse_catalogs(BUILTIN_CATALOG).unwrap();
        assert!(cat.rule.len() >= 30, "{} shaped rules", cat.rule.len());
        assert!(cat.keyed.len() >= 8);
        assert!(cat.rule.len() >= 250, "{} shaped rules", cat.rule.len());
        for r in &cat.rule {
            // Built as the engine builds them on first use, which must not fail.
            r.compile().unwrap().build_now();
            assert!(!r.examples.is_empty(), "rule {} has no examples", r.id);
        }
        for r in &cat.keyed {
            r.compile().unwrap();
            assert!(!r.examples.is_empty(), "rule {} has no examples", r.id);
        }
    }

    /// The class read off the parse is the class a regex matches, byte for byte.
    #[test]
    fn byte_classes_are_what_a_regex_matches() {
        for body in [
            "A-Za-z0-9_-",
            "A-Za-z0-9+/=",
            "A-Za-z0-9_~.+/-",
            "^A-Za-z0-9",
            r"\w\-",
            r"\d.:",
            r"\s\x00-\x1f\x7f-\xff",
            ".",
            "a",
            "^.",
        ] {
            let parsed = byte_class(body, "test").unwrap();
            let by_regex = byte_class_by_regex(body, "test").unwrap();
            assert_eq!(parsed[..], by_regex[..], "[{body}]");
        }
    }

    #[test]
    fn rule_ids_are_unique() {
        let cat = parse_catalogs(BUILTIN_CATALOG).unwrap();
        let mut ids: Vec<&str> = cat.rule.iter().map(|r| r.id.as_str()).collect();
        ids.extend(cat.keyed.iter().map(|r| r.id.as_str()));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule ids");
    }

    /// `Some(before matches one way)` when the pattern splits around its secret.
    fn split(p: &str) -> Option<bool> {
        let (_, hir) = compile_shaped_regex(p, "test").unwrap();
        SecretSplit::of(&hir).map(|s| s.before_unique)
    }

    #[test]
    fn patterns_split_around_a_secret_at_their_end() {
        assert_eq!(split(r"\bnpm_(?P<secret>[A-Za-z0-9]{36})\b"), Some(true));
        assert_eq!(
            split(r"\b[rs]k_(?:live|test)_(?P<secret>[A-Za-z0-9]{20,})"),
            Some(true)
        );
        // The whole match is the secret.
        assert_eq!(split(r"\b(?P<secret>AKIA[A-Z0-9]{16})"), Some(true));
        assert_eq!(split(r"(?P<secret>(?:eyJ|\.eJ)[a-z]+)"), Some(true));
        // A prefix that repeats, that starts another, or with too many case variants: it
        // may match more than one way.
        assert_eq!(
            split(r"\b[Bb]earer +(?P<secret>[A-Za-z0-9]{16,})"),
            Some(false)
        );
        assert_eq!(split(r"(?:ab|abc)(?P<secret>[a-z]+)"), Some(false));
        assert_eq!(
            split(r"(?i:signature=)(?P<secret>[0-9a-f]{64})"),
            Some(false)
        );
        // Literals and one-byte classes after the group: the secret ends that many bytes
        // before the match does.
        assert_eq!(split(r"ab(?P<secret>[a-z]+?)@x\b"), Some(true));
        assert_eq!(split(r"ab(?P<secret>[a-z]+)[@#]x"), Some(true));
        // Something of several lengths after the group, or the group inside another:
        // captures are needed.
        assert_eq!(split(r"ab(?P<secret>[a-z]+)[@#]+x"), None);
        assert_eq!(split(r"ab(?P<secret>[a-z]+)(?:@|##)"), None);
        assert_eq!(split(r"(?:a(?P<secret>x+)|b)"), None);
    }

    /// The split finds what a capture pass finds, attempt by attempt, including where the
    /// prefix's preferred match leaves the secret nothing and a less preferred one would.
    #[test]
    fn a_split_finds_what_captures_find() {
        let cases: &[(&str, &[&str])] = &[
            (
                r"\b[Bb]earer +(?P<secret>[A-Za-z0-9]{4,})\b",
                &[
                    "Bearer   abcd1234 x",
                    "bearer abc",
                    "Bearer  abcdef-",
                    "Bearerx abcd",
                ],
            ),
            (
                r"(?:ab|abc)(?P<secret>[a-z]{2,})",
                &["abcde", "abcd", "abc", "abxyz", "ab1"],
            ),
            (r"a+?(?P<secret>a[b-z]+)", &["aaab", "ab", "aab", "aa"]),
            (r"x*(?P<secret>x\d)", &["xxx1", "x1", "xx", "1"]),
            (
                r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?P<secret>.+?)-----END",
                &[
                    "-----BEGIN RSA PRIVATE KEY-----abc-----END x-----END",
                    "-----BEGIN PGP PRIVATE KEY BLOCK-----a-----END",
                    "-----BEGIN PRIVATE KEY----------END-----END",
                    "-----BEGIN PRIVATE KEY-----a-----EN",
                ],
            ),
            (
                r"ab(?P<secret>[a-z]+?)@x\b",
                &["abcd@x", "abc@xy", "ab@x", "abz@x@x"],
            ),
            (
                r"\b[a-z]{1,5}://[^\s:@/]*:(?P<secret>[^\s/]+)@[a-z0-9.-]",
                &[
                    "db://u:pw@h",
                    "db://u:p@w@h",
                    "db://u:pw@",
                    "x db://:p:w@h.x@y",
                    "db://u:pw@@h",
                ],
            ),
            (
                r"ab(?P<secret>[a-z]+)[@#]x",
                &["abcd@x", "abc#xy", "ab@x", "abz@x@x", "abzz#x#x"],
            ),
            (
                r"\beyJ[A-Za-z0-9_-]{2,}\.(?P<secret>eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,})",
                &[
                    "eyJab.eyJcd.ef",
                    "eyJab.eyJcd.",
                    "xeyJab.eyJcd.ef",
                    "eyJab.eyJc.ef",
                ],
            ),
        ];
        for &(pattern, texts) in cases {
            let (regex, hir) = compile_shaped_regex(pattern, "test").unwrap();
            let split = SecretSplit::of(&hir).unwrap_or_else(|| panic!("{pattern}"));
            let mut split_cache = split.create_cache();
            let group = regex
                .group_info()
                .to_index(regex_automata::PatternID::ZERO, "secret")
                .unwrap();
            for text in texts {
                for at in 0..text.len() {
                    let input = Input::new(text.as_bytes())
                        .range(at..)
                        .anchored(regex_automata::Anchored::Yes);
                    let mut caps = regex.create_captures();
                    regex.search_captures(&input, &mut caps);
                    let expected = caps.get_group(group).map(|s| s.range());
                    match split.find(&input, &mut split_cache) {
                        SplitMatch::Found { end, secret } => {
                            assert_eq!(Some(secret), expected, "{pattern} on {text:?} at {at}");
                            let whole = caps.get_match().map(|m| m.end());
                            assert_eq!(Some(end), whole, "{pattern} on {text:?} at {at}");
                        }
                        SplitMatch::NoMatch => {
                            assert!(!caps.is_match(), "{pattern} on {text:?} at {at}")
                        }
                        // Left to the whole regex: allowed only where `before` is ambiguous.
                        SplitMatch::Unknown => assert!(!split.before_unique, "{pattern}"),
                    }
                }
            }
        }
    }

    /// A shaped rule of `pattern` on keyword `x`, nothing else set.
    fn spec(pattern: &str) -> ShapedSpec {
        ShapedSpec {
            id: "x".into(),
            family: "test".into(),
            description: "x".into(),
            severity: Severity::Low,
            keywords: vec!["x".into()],
            pattern: pattern.into(),
            validator: None,
            anchored: false,
            not_after: None,
            not_before: None,
            requires: Vec::new(),
            generic: false,
            allowlist: vec![],
            examples: vec![],
            counterexamples: vec![],
        }
    }

    #[test]
    fn pattern_without_secret_group_is_rejected() {
        let spec = spec("x+");
        let err = spec.compile().unwrap_err();
        assert!(err.0.contains("secret"), "{err}");
        let spec = ShapedSpec {
            pattern: "(?P<secret>x+)".into(),
            not_after: Some("a-z".into()),
            ..spec
        };
        let class = spec.compile().unwrap().not_after.unwrap();
        assert!(class[usize::from(b'q')] && !class[usize::from(b'Q')] && !class[0xe1]);
        let spec = ShapedSpec {
            not_after: Some("z-a".into()),
            ..spec
        };
        assert!(spec.compile().unwrap_err().0.contains("not_after"));
        let spec = ShapedSpec {
            not_after: None,
            not_before: Some("0-9".into()),
            ..spec
        };
        let class = spec.compile().unwrap().not_before.unwrap();
        assert!(class[usize::from(b'7')] && !class[usize::from(b'a')]);
    }

    #[test]
    fn a_leading_word_boundary_means_no_word_byte_before() {
        let not_after = |pattern: &str, not_after: Option<&str>| {
            // Not anchored: these patterns do not start with the keyword `x`; the boundary is
            // read whether the rule runs anchored or not.
            let spec = ShapedSpec {
                not_after: not_after.map(Into::into),
                ..spec(pattern)
            };
            let class = spec.compile().unwrap().not_after;
            class.map(|c| {
                (0..=255u8)
                    .filter(|&b| c[usize::from(b)])
                    .collect::<Vec<u8>>()
            })
        };
        let word: Vec<u8> = (0..=255u8)
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .collect();
        for pattern in [
            r"\beyJ[A-Za-z0-9_-]{8,}\.(?P<secret>eyJ[A-Za-z0-9_-]{4,})",
            r"\b(?:AKIA|ASIA)(?P<secret>[A-Z2-7]{16})\b",
            r"\b[rs]k_(?P<secret>[A-Za-z0-9]{20,})",
            r"\b(?P<secret>x{3,})",
        ] {
            assert_eq!(
                not_after(pattern, None).as_deref(),
                Some(&word[..]),
                "{pattern}"
            );
        }
        // What may follow the boundary is not only word bytes, or there is no boundary.
        for pattern in [
            r"\b[A-Za-z.](?P<secret>x+)",
            r"\b(?:x|-)(?P<secret>x+)",
            r"\bx?(?P<secret>y+)",
            r"(?:^|[^0-9])(?P<secret>x+)",
            r"x\b(?P<secret>y+)",
        ] {
            assert_eq!(not_after(pattern, None), None, "{pattern}");
        }
        // A class of the rule's own is kept, and the word bytes join it.
        let both = not_after(r"\bx(?P<secret>x+)", Some(".")).unwrap();
        assert!(both.contains(&b'.') && both.contains(&b'q') && !both.contains(&b'-'));
    }

    #[test]
    fn key_normalization_folds_case_and_separators() {
        let mut out = Vec::new();
        for raw in [
            "refresh_token",
            "refreshToken",
            "Refresh-Token",
            "REFRESH.TOKEN",
        ] {
            normalize_key(raw.as_bytes(), &mut out);
            assert_eq!(out, b"refreshtoken");
        }
    }
}
