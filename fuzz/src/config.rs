//! The config parser: `Config::from_toml`, then `Engine::new` on what parses.
//!
//! Invariants: no panic. `from_toml`'s error never quotes a value of the text: for every string
//! of 6 or more characters (found by parsing the text as TOML, or, when it does not parse, by
//! reading its quoted strings and bare words), and every number of 6 or more characters, that
//! the message holds, the text is parsed again with that value changed (letters and digits
//! rotated): if the new message holds the changed value, the message quotes the value. (A
//! value that merely equals words of a message, `invalid basic string`, is not held against
//! it; keys may be named, `unknown field`.) `Engine::new`'s error may name rule ids, key names
//! and patterns (they locate the problem), never a secret of the config: the HMAC key, an
//! allowlisted value, a rule's examples and counterexamples, checked the same way. An engine
//! that builds scans the user rules' examples and counterexamples and the text's lines, with
//! findings that hold to the scanner's contract.
use crate::{check_findings, line_bodies};
use std::collections::BTreeSet;
use tokenscrub::{Config, Engine};

/// What a TOML text holds: values (strings, and numbers as written), and keys.
#[derive(Default)]
struct Held {
    values: BTreeSet<String>,
    keys: BTreeSet<String>,
}

fn collect(v: &toml::Value, held: &mut Held) {
    match v {
        toml::Value::String(s) => {
            held.values.insert(s.clone());
        }
        toml::Value::Integer(i) => {
            held.values.insert(i.to_string());
        }
        toml::Value::Float(f) => {
            held.values.insert(f.to_string());
        }
        toml::Value::Datetime(d) => {
            held.values.insert(d.to_string());
        }
        toml::Value::Boolean(_) => {}
        toml::Value::Array(a) => a.iter().for_each(|v| collect(v, held)),
        toml::Value::Table(t) => {
            for (k, v) in t {
                held.keys.insert(k.clone());
                collect(v, held);
            }
        }
    }
}

/// The quoted strings of a text that may not be TOML, as written (escapes left in), each
/// with whether it is a key (followed by `=`, `.` or `]`, or after a `.`), and the bare words
/// before an `=` or in a table header, as keys.
fn lexical(text: &str, held: &mut Held) {
    let b = text.as_bytes();
    let mut i = 0;
    let mut after_dot = false;
    while i < b.len() {
        let q = b[i];
        if q == b'"' || q == b'\'' {
            let triple = b[i..].starts_with(&[q, q, q]);
            let open = if triple { 3 } else { 1 };
            let start = i + open;
            let mut j = start;
            let end = loop {
                if j >= b.len() {
                    break b.len();
                }
                if triple {
                    if b[j..].starts_with(&[q, q, q]) {
                        break j;
                    }
                } else if b[j] == q || b[j] == b'\n' {
                    break j;
                }
                if q == b'"' && b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            };
            let end = end.min(b.len());
            let s = String::from_utf8_lossy(&b[start..end]).into_owned();
            i = (end + open).min(b.len());
            let next = b[i..].iter().find(|c| !matches!(c, b' ' | b'\t'));
            if after_dot || matches!(next, Some(b'=' | b'.' | b']')) {
                held.keys.insert(s);
            } else {
                held.values.insert(s);
            }
            after_dot = false;
            continue;
        }
        if q.is_ascii_alphanumeric() || q == b'_' || q == b'-' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            let word = &text[start..i];
            let next = b[i..].iter().find(|c| !matches!(c, b' ' | b'\t'));
            if after_dot || matches!(next, Some(b'=' | b'.' | b']')) {
                held.keys.insert(word.to_owned());
            } else {
                // A bare number, date or word as a value.
                held.values.insert(word.to_owned());
            }
            after_dot = false;
            continue;
        }
        after_dot = q == b'.';
        i += 1;
    }
}

/// Letters and digits rotated (`a` to `b`, `9` to `0`), except the character after a
/// backslash and the hex digits of a `\u`/`\U` escape: the text keeps its syntax.
fn rotate(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut skip = 0;
    let mut escaped = false;
    for c in v.chars() {
        if escaped {
            escaped = false;
            skip = match c {
                'u' => 4,
                'U' => 8,
                _ => 0,
            };
            out.push(c);
            continue;
        }
        if c == '\\' {
            escaped = true;
            out.push(c);
            continue;
        }
        if skip > 0 {
            skip -= 1;
            out.push(c);
            continue;
        }
        out.push(match c {
            'a'..='y' | 'A'..='Y' | '0'..='8' => char::from(c as u8 + 1),
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            c => c,
        });
    }
    out
}

/// Does `message` (what `message_of` gives for `text`) quote `value`? It holds the value, and,
/// `value` changed in the text, the new message holds the changed value.
fn quotes(
    text: &str,
    message: &str,
    value: &str,
    message_of: &dyn Fn(&str) -> Option<String>,
) -> bool {
    if value.chars().count() < 6 || !message.contains(value) {
        return false;
    }
    let changed = rotate(value);
    if changed == value || !text.contains(value) {
        return false;
    }
    message_of(&text.replace(value, &changed)).is_some_and(|m| m.contains(&changed))
}

/// `from_toml`'s message for `text`, without its origin and place.
fn parse_message(text: &str) -> Option<String> {
    let e = Config::from_toml(text, "fuzz.toml").err()?.to_string();
    let body = e.split_once(": ").map_or(&e[..], |(_, m)| m);
    Some(body.to_owned())
}

fn check_parse_error(text: &str) {
    let Some(message) = parse_message(text) else {
        return;
    };
    let mut held = Held::default();
    match toml::from_str::<toml::Table>(text) {
        Ok(t) => collect(&toml::Value::Table(t), &mut held),
        Err(_) => lexical(text, &mut held),
    }
    for v in &held.values {
        if !held.keys.iter().any(|k| k.contains(v.as_str()))
            && quotes(text, &message, v, &parse_message)
        {
            panic!(
                "from_toml: the error quotes a value of the text ({} chars)",
                v.chars().count()
            );
        }
    }
}

/// `Engine::new`'s message for the config `text`, if it parses and the engine fails.
fn engine_message(text: &str) -> Option<String> {
    let config = Config::from_toml(text, "fuzz.toml").ok()?;
    Engine::new(&config).err().map(|e| e.to_string())
}

/// The config's secrets must not be in the engine's error; names may (a secret that is part
/// of one is not held against it).
fn check_engine_error(text: &str, config: &Config, message: &str) {
    let mut secrets: Vec<&str> = Vec::new();
    secrets.extend(config.hmac_key.as_deref());
    secrets.extend(config.allowlist.values.iter().map(String::as_str));
    let mut names: Vec<&str> = Vec::new();
    names.extend(config.disable.iter().map(String::as_str));
    names.extend(config.allowlist.regexes.iter().map(String::as_str));
    for (k, v) in &config.extra_keys {
        names.push(k);
        names.extend(v.iter().map(String::as_str));
    }
    for r in &config.rule {
        secrets.extend(
            r.examples
                .iter()
                .chain(&r.counterexamples)
                .map(String::as_str),
        );
        names.extend([r.id.as_str(), r.pattern.as_str()]);
        names.extend(
            r.keywords
                .iter()
                .chain(&r.requires)
                .chain(&r.allowlist)
                .map(String::as_str),
        );
        names.extend(r.validator.as_deref());
        names.extend(r.not_after.as_deref());
    }
    for r in &config.keyed {
        secrets.extend(
            r.examples
                .iter()
                .chain(&r.counterexamples)
                .map(String::as_str),
        );
        names.push(r.id.as_str());
        names.extend(
            r.keywords
                .iter()
                .chain(&r.suffixes)
                .chain(&r.names)
                .chain(&r.prose_names)
                .chain(&r.query_names)
                .chain(&r.exclude)
                .chain(&r.allowlist)
                .map(String::as_str),
        );
    }
    for v in secrets {
        if !names.iter().any(|n| n.contains(v)) && quotes(text, message, v, &engine_message) {
            panic!(
                "Engine::new: the error quotes a secret of the config ({} chars)",
                v.chars().count()
            );
        }
    }
}

/// Nothing but the built-in catalog: the engine every other target has.
fn is_builtin(c: &Config) -> bool {
    c.disable.is_empty()
        && c.allowlist.values.is_empty()
        && c.allowlist.regexes.is_empty()
        && c.extra_keys.is_empty()
        && c.rule.is_empty()
        && c.keyed.is_empty()
}

fn scan_with(engine: &Engine, config: &Config, text: &str) {
    let mut scanner = engine.scanner();
    let mut found = Vec::new();
    let lines = config
        .rule
        .iter()
        .flat_map(|r| r.examples.iter().chain(&r.counterexamples))
        .chain(
            config
                .keyed
                .iter()
                .flat_map(|r| r.examples.iter().chain(&r.counterexamples)),
        )
        .map(|s| s.as_bytes())
        .chain(line_bodies(text.as_bytes()));
    for (n, line) in lines.enumerate() {
        scanner.scan_line(line, &mut found);
        check_findings(
            engine,
            &found,
            line.len(),
            "a user-configured engine",
            n + 1,
        );
    }
}

/// One fuzz input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::from_toml(text, "fuzz.toml") {
        Err(_) => check_parse_error(text),
        Ok(config) if is_builtin(&config) => {}
        Ok(config) => match Engine::new(&config) {
            Err(e) => check_engine_error(text, &config, &e.to_string()),
            Ok(engine) => scan_with(&engine, &config, text),
        },
    }
}
