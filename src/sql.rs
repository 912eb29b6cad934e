//! Positional SQL contexts: a value with no key beside it, whose column says it is a secret.
//!
//! ORMs log statements (`INSERT INTO "core_apikey" ("key", "label") VALUES ('…', 'ci')`; a
//! WHERE clause on a line of its own, as SQLAlchemy writes a query, is read as one) and,
//! on the same or the next line, the parameters bound to their placeholders (Django's
//! `args=(…)`, SQLAlchemy's `[generated in 0.0003s] ('…', 5)`). The secret's name is the
//! column, found by position: the n-th value of a VALUES tuple belongs to the n-th column, the
//! n-th parameter to the n-th placeholder (`?`, `%s`, `$1`; a named one, `%(pk_1)s`, by its
//! name in an echoed dict), whose column is the INSERT column
//! at its place or the one compared with it (`WHERE "token" = ?`, `SET password = %s`).
//! Column names are asked of the keyed rules, as any key is.
//!
//! Work: one pass over the statement from its keyword (every row of it), and one over the
//! echo (every row of it), each item read once; an echo left open at a line's end takes the
//! first items of the next lines, one placeholder at least a line. At most
//! [`MAX_COLUMNS`] columns and [`MAX_PLACEHOLDERS`] placeholders are kept.

use crate::byteclass::{self, byte_set};
use crate::keyed::{KeyScratch, KeyedHit, KeyedMatcher};
use std::ops::Range;

/// The most columns or parameters read from one statement or tuple.
pub(crate) const MAX_COLUMNS: usize = 64;
/// The most placeholders of a statement followed into its echo (rows of a multi-row insert:
/// the memory a hostile statement can take is bounded).
pub(crate) const MAX_PLACEHOLDERS: usize = 16 * MAX_COLUMNS;
/// How many lines after its statement an echo of the parameters is looked for.
pub(crate) const PARAM_LINES: u32 = 3;

/// The keyed rule owning each placeholder of a statement, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholders {
    owners: Vec<Option<usize>>,
    /// The names of the named placeholders a secret column owns (`%(pk_1)s`: psycopg's
    /// pyformat, which SQLAlchemy echoes as a dict, `{'pk_1': '…'}`), at most
    /// [`MAX_COLUMNS`].
    named: Vec<(Box<[u8]>, usize)>,
    lines_left: u32,
    /// An echo whose items go on on the next line (knex's debug output writes one a line):
    /// the placeholder its next item is for.
    open_echo: Option<usize>,
}

impl Placeholders {
    /// Whether an echo is open at the end of the line, and for which placeholder: kept by
    /// a scan that must not change it (a line's layered view).
    pub(crate) fn open_echo(&self) -> Option<usize> {
        self.open_echo
    }

    pub(crate) fn set_open_echo(&mut self, open: Option<usize>) {
        self.open_echo = open;
    }

    /// One line later; false when the echo is no longer looked for. An echo open at the end
    /// of the line is looked for on the next (each of its lines takes an item: at most
    /// [`MAX_COLUMNS`] lines).
    pub(crate) fn age(&mut self) -> bool {
        if self.open_echo.is_some() {
            return true;
        }
        self.lines_left = self.lines_left.saturating_sub(1);
        self.lines_left > 0
    }
}

fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace()
}

fn skip_spaces(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && is_space(line[i]) {
        i += 1;
    }
    i
}

fn is_ident_byte(b: u8) -> bool {
    byteclass::is(&IDENT_BYTE, b)
}

static IDENT_BYTE: [bool; 256] =
    byte_set!(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$'));

/// An identifier at `i`: bare, `"quoted"`, `` `quoted` `` or `[quoted]`, possibly dotted
/// (`"t"."col"`): returns the last part and the index after it.
fn identifier(line: &[u8], i: usize) -> Option<(Range<usize>, usize)> {
    qualified_identifier(line, i).map(|(_, last, next)| (last, next))
}

/// [`identifier`], with the part before the last (`t` of `"t"."col"`, the table).
fn qualified_identifier(
    line: &[u8],
    mut i: usize,
) -> Option<(Option<Range<usize>>, Range<usize>, usize)> {
    let mut last: Option<(Option<Range<usize>>, Range<usize>, usize)> = None;
    loop {
        let (part, next) = match line.get(i)? {
            &q @ (b'"' | b'`' | b'[') => {
                let close = if q == b'[' { b']' } else { q };
                let end = i + 1 + memchr::memchr(close, &line[i + 1..])?;
                (i + 1..end, end + 1)
            }
            b if is_ident_byte(*b) => {
                let end = i + line[i..].iter().take_while(|b| is_ident_byte(**b)).count();
                (i..end, end)
            }
            _ => return last,
        };
        last = Some((last.map(|(_, part, _)| part), part, next));
        if line.get(next) != Some(&b'.') {
            return last;
        }
        i = next + 1;
    }
}

/// A placeholder at `i` (`?`, `%s`, `$1`, `%(name)s`): its length.
fn placeholder(line: &[u8], i: usize) -> Option<usize> {
    match line.get(i)? {
        b'?' => Some(1),
        b'%' if line.get(i + 1) == Some(&b's') => Some(2),
        b'%' if line.get(i + 1) == Some(&b'(') => {
            let name = placeholder_name(line, i)?;
            (line.get(name.end..name.end + 2) == Some(b")s")).then(|| name.end + 2 - i)
        }
        b'$' => {
            let digits = line[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            (digits > 0).then_some(1 + digits)
        }
        _ => None,
    }
}

/// The name of a named placeholder at `i` (`%(name)s`), at most [`MAX_NAME`] bytes.
fn placeholder_name(line: &[u8], i: usize) -> Option<Range<usize>> {
    const MAX_NAME: usize = 64;
    let from = i + 2;
    let n = line[from.min(line.len())..]
        .iter()
        .take(MAX_NAME)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    (n > 0).then_some(from..from + n)
}

/// A value of a tuple at `i`: a quoted string (its body, and the index after it) or a bare
/// item (empty body) up to the next `,` or `)`.
fn item(line: &[u8], i: usize) -> Option<(Option<Range<usize>>, usize)> {
    let q = *line.get(i)?;
    if q == b'\'' || q == b'"' {
        let mut j = i + 1;
        while j < line.len() {
            match line[j] {
                b'\\' => j += 2,
                // SQL doubles a quote inside a string.
                b if b == q && line.get(j + 1) == Some(&q) => j += 2,
                b if b == q => return Some((Some(i + 1..j), j + 1)),
                _ => j += 1,
            }
        }
        return None;
    }
    let mut j = i;
    let mut depth = 0usize;
    while j < line.len() {
        match line[j] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => break,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => break,
            _ => {}
        }
        j += 1;
    }
    Some((None, j))
}

fn starts_with_word(line: &[u8], i: usize, word: &[u8]) -> bool {
    line.len() >= i + word.len() && line[i..i + word.len()].eq_ignore_ascii_case(word)
}

/// Read the statement whose keyword (`insert into`, `update`, `select`, `delete from`) starts
/// at `at`: the literal values of secret columns go to `out`; the placeholders' owners come
/// back when there are any.
pub(crate) fn read_statement(
    line: &[u8],
    at: usize,
    keyed: &KeyedMatcher,
    keys: &mut KeyScratch,
    out: &mut Vec<KeyedHit>,
) -> Option<Placeholders> {
    crate::work::read(line.len() - at);
    let mut owners = Vec::new();
    let mut named = Vec::new();
    if starts_with_word(line, at, b"insert into") {
        read_insert(line, at + 11, keyed, keys, out, &mut owners);
    } else {
        read_comparisons(line, at, keyed, keys, &mut owners, &mut named);
    }
    (!owners.is_empty() && owners.iter().any(Option::is_some)).then_some(Placeholders {
        owners,
        named,
        lines_left: PARAM_LINES,
        open_echo: None,
    })
}

/// The keyed rule that owns a column: by its own name, or, for a column that only says it
/// holds the row's value (`key`, `value`, `hash`…), by its table's (`core_apikey`.`key`).
fn column_owner(
    line: &[u8],
    table: Range<usize>,
    column: Range<usize>,
    keyed: &KeyedMatcher,
    keys: &mut KeyScratch,
) -> Option<usize> {
    const GENERIC: [&[u8]; 7] = [
        b"key", b"value", b"hash", b"digest", b"data", b"secret", b"token",
    ];
    let name = &line[column];
    keyed.owner(name, keys).or_else(|| {
        GENERIC
            .iter()
            .any(|g| g.eq_ignore_ascii_case(name))
            .then(|| {
                // Tables are often plural (`api_keys`).
                let table = &line[table];
                keyed
                    .owner(table, keys)
                    .or_else(|| keyed.owner(table.strip_suffix(b"s")?, keys))
            })
            .flatten()
    })
}

/// `INSERT INTO t (c1, c2, …) VALUES (v1, v2, …)` from after `INTO`.
fn read_insert(
    line: &[u8],
    from: usize,
    keyed: &KeyedMatcher,
    keys: &mut KeyScratch,
    out: &mut Vec<KeyedHit>,
    placeholders: &mut Vec<Option<usize>>,
) -> Option<()> {
    let (table, mut i) = identifier(line, skip_spaces(line, from))?;
    i = skip_spaces(line, i);
    if line.get(i) != Some(&b'(') {
        return None;
    }
    let mut columns = Vec::new();
    loop {
        let (name, next) = identifier(line, skip_spaces(line, i + 1))?;
        columns.push(column_owner(line, table.clone(), name, keyed, keys));
        i = skip_spaces(line, next);
        match line.get(i)? {
            b',' if columns.len() < MAX_COLUMNS => {}
            b')' => break,
            _ => return None,
        }
    }
    i = skip_spaces(line, i + 1);
    if !starts_with_word(line, i, b"values") {
        return None;
    }
    i = skip_spaces(line, i + 6);
    if line.get(i) != Some(&b'(') {
        return None;
    }
    // A statement logged with its parameters written in (Django's `last_executed_query`) is
    // echoed as a tuple of those same values (`VALUES ('a', 'b'); args=('a', 'b')`): when no
    // item is a placeholder, each item stands for one. Every row of a multi-row insert
    // (Sequelize's `bulkCreate`: `VALUES (…),(…)`) belongs to the columns; the first row's
    // placeholders are the statement's.
    let mut items = Vec::new();
    let mut first_row = true;
    loop {
        for &owner in &columns {
            let v = skip_spaces(line, i + 1);
            if let Some(len) = placeholder(line, v) {
                // Every row's placeholders: the echo lists them all (knex's bindings).
                if placeholders.len() < MAX_PLACEHOLDERS {
                    placeholders.push(owner);
                }
                i = skip_spaces(line, v + len);
            } else {
                let (body, next) = item(line, v)?;
                if let (Some(rule), Some(body)) = (owner, body) {
                    keyed.emit_value(line, rule, body, out);
                }
                if first_row {
                    items.push(owner);
                }
                i = skip_spaces(line, next);
            }
            if line.get(i) != Some(&b',') {
                break;
            }
        }
        if first_row && placeholders.is_empty() {
            *placeholders = std::mem::take(&mut items);
        }
        first_row = false;
        // `), (` opens the next row.
        if line.get(i) != Some(&b')') {
            break;
        }
        let comma = skip_spaces(line, i + 1);
        if line.get(comma) != Some(&b',') {
            break;
        }
        i = skip_spaces(line, comma + 1);
        if line.get(i) != Some(&b'(') {
            break;
        }
    }
    Some(())
}

/// The placeholders of an UPDATE, SELECT or DELETE, each owned by the column it is compared
/// with or assigned to (`"t"."token" = ?`), in order.
fn read_comparisons(
    line: &[u8],
    from: usize,
    keyed: &KeyedMatcher,
    keys: &mut KeyScratch,
    owners: &mut Vec<Option<usize>>,
    named: &mut Vec<(Box<[u8]>, usize)>,
) {
    // The last identifier read (its table, when qualified) and whether an `=` followed it.
    let mut column: Option<(Option<Range<usize>>, Range<usize>)> = None;
    let mut compared = false;
    let mut i = from;
    while i < line.len() && owners.len() < MAX_COLUMNS {
        let b = line[i];
        if let Some(len) = placeholder(line, i) {
            let owner = match (&column, compared) {
                (Some((Some(table), c)), true) => {
                    column_owner(line, table.clone(), c.clone(), keyed, keys)
                }
                (Some((None, c)), true) => keyed.owner(&line[c.clone()], keys),
                _ => None,
            };
            owners.push(owner);
            if let (Some(rule), Some(name)) = (owner, placeholder_name(line, i))
                && line[i + 1] == b'('
            {
                named.push((line[name].into(), rule));
            }
            (column, compared) = (None, false);
            i += len;
        } else if b == b'=' {
            compared = true;
            i += 1;
        } else if b == b'\'' {
            // A literal: skip it whole (a `?` inside is no placeholder).
            i = item(line, i).map_or(line.len(), |(_, next)| next);
            (column, compared) = (None, false);
        } else if let Some((table, name, next)) =
            qualified_identifier(line, i).filter(|_| !is_space(b))
        {
            (column, compared) = (Some((table, name)), false);
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// The parameters echoed after a statement (`args=(…)`, `params=(…)`, `[generated in …] (…)`,
/// `[cached since …] (…)`, and the Node ORMs' forms below): each quoted one whose placeholder
/// a secret column owns goes to `out`. A list of tuples (SQLAlchemy's `executemany`) holds a
/// row of them each; a list left open at the end of the line goes on on the next
/// (`knex:bindings [` and one item a line).
pub(crate) fn find_params(
    line: &[u8],
    placeholders: &mut Placeholders,
    keyed: &KeyedMatcher,
    out: &mut Vec<KeyedHit>,
) {
    crate::work::read(line.len());
    if let Some(next) = placeholders.open_echo.take() {
        let v = skip_spaces(line, 0);
        // A line that does not go on with items closes the list.
        if line.get(v).is_some_and(|&b| b != b']' && b != b')') {
            placeholders.open_echo = echo_items(line, v, next, &placeholders.owners, keyed, out);
        }
        return;
    }
    // On the statement's own line, the parameters may follow it glued (Tortoise's
    // `VALUES (?,?): [...]`, Sequelize's `; "…", "…"`).
    let same_line = placeholders.lines_left == PARAM_LINES;
    let Some(open) = echo_start(line).or_else(|| same_line.then(|| trailing_list(line)).flatten())
    else {
        return;
    };
    let first = skip_spaces(line, open + 1);
    if line[open] == b'{' {
        read_dict(line, first, &placeholders.named, keyed, out);
        return;
    }
    if matches!(line.get(first), None | Some(b'\r')) {
        placeholders.open_echo = Some(0);
        return;
    }
    // Rows: `[(…), (…)]` (SQLAlchemy's `executemany`), `[[…], […]]` (Tortoise's bulk insert),
    // each read from its first placeholder.
    if line[open] == b'[' && matches!(line.get(first), Some(b'(' | b'[')) {
        let mut row = first;
        loop {
            let end = read_row(line, row, &placeholders.owners, keyed, out);
            let Some(end) = end else { return };
            let comma = skip_spaces(line, end + 1);
            if line.get(comma) != Some(&b',') {
                return;
            }
            row = skip_spaces(line, comma + 1);
            if line.get(row) != Some(&line[first]) {
                return;
            }
        }
    }
    placeholders.open_echo = echo_items(line, first, 0, &placeholders.owners, keyed, out);
}

/// The parameters of named placeholders echoed as a dict from `i` on (`{'pk_1': '…', 'id_1':
/// 4}`): each quoted value whose name a secret column owns to `out`. At most [`MAX_COLUMNS`]
/// items, each name compared with at most as many.
fn read_dict(
    line: &[u8],
    mut i: usize,
    named: &[(Box<[u8]>, usize)],
    keyed: &KeyedMatcher,
    out: &mut Vec<KeyedHit>,
) -> Option<()> {
    for _ in 0..MAX_COLUMNS {
        let (Some(name), next) = item(line, i)? else {
            return None;
        };
        let colon = skip_spaces(line, next);
        if line.get(colon) != Some(&b':') {
            return None;
        }
        let (body, next) = item(line, skip_spaces(line, colon + 1))?;
        let owner = named.iter().find(|(n, _)| **n == line[name.clone()]);
        if let (Some(&(_, rule)), Some(body)) = (owner, body) {
            keyed.emit_value(line, rule, body, out);
        }
        i = skip_spaces(line, next);
        if line.get(i) != Some(&b',') {
            return None;
        }
        i = skip_spaces(line, i + 1);
    }
    None
}

/// One row of an echo, the tuple opening at `open`: its items to their placeholders' rules.
/// Returns where it closes.
fn read_row(
    line: &[u8],
    open: usize,
    owners: &[Option<usize>],
    keyed: &KeyedMatcher,
    out: &mut Vec<KeyedHit>,
) -> Option<usize> {
    let mut i = open;
    for owner in owners {
        let v = skip_spaces(line, i + 1);
        let (body, next) = item(line, v)?;
        if let (Some(rule), Some(body)) = (owner, body) {
            keyed.emit_value(line, *rule, body, out);
        }
        i = skip_spaces(line, next);
        if line.get(i) != Some(&b',') {
            break;
        }
    }
    let close = if line[open] == b'[' { b']' } else { b')' };
    (line.get(i) == Some(&close)).then_some(i)
}

/// The items of an echo from `v` on, the first for placeholder `next`: each quoted one a
/// secret column owns to `out`. Returns the placeholder the next line's first item is for,
/// when the line ends after a comma (the list goes on).
fn echo_items(
    line: &[u8],
    mut v: usize,
    next: usize,
    owners: &[Option<usize>],
    keyed: &KeyedMatcher,
    out: &mut Vec<KeyedHit>,
) -> Option<usize> {
    for (k, owner) in owners.iter().enumerate().skip(next) {
        let (body, end) = item(line, v)?;
        if let (Some(rule), Some(body)) = (owner, body) {
            keyed.emit_value(line, *rule, body, out);
        }
        let i = skip_spaces(line, end);
        if line.get(i) != Some(&b',') {
            return None;
        }
        v = skip_spaces(line, i + 1);
        if matches!(line.get(v), None | Some(b'\r')) {
            return (k + 1 < owners.len()).then_some(k + 1);
        }
    }
    None
}

/// Where the parameters start that follow their statement on its line: Tortoise's list glued
/// after the last placeholder (`VALUES (?,?): [`, `WHERE "k"=?: [`: the bracket), Sequelize's
/// after the statement (`VALUES ($1,$2) RETURNING "id"; "ann@example.com", "…"`: the `;`
/// before a JSON string, after a placeholder).
fn trailing_list(line: &[u8]) -> Option<usize> {
    for glue in [&b": ["[..], b": ("] {
        for at in memchr::memmem::find_iter(line, glue) {
            let before = &line[..at];
            let before = before.strip_suffix(b")").unwrap_or(before);
            if ends_with_placeholder(before) {
                return Some(at + glue.len() - 1);
            }
        }
    }
    let at = memchr::memmem::rfind(line, b"; \"")?;
    // A placeholder before it: the statement is on this line.
    (memchr::memchr2(b'$', b'?', &line[..at]).is_some()).then_some(at)
}

/// Does `text` end with a placeholder (`?`, `%s`, `$1`)?
fn ends_with_placeholder(text: &[u8]) -> bool {
    let digits = text.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    match text[..text.len() - digits].last() {
        Some(b'$') => digits > 0,
        Some(b'?') => digits == 0,
        Some(b's') => digits == 0 && text.ends_with(b"%s"),
        _ => false,
    }
}

/// Where an echoed parameter tuple opens: after `args=`, `params=`, `parameters=`, TypeORM's
/// `-- PARAMETERS: [`, Prisma's query event (`Params: [`, `params: '[`), knex's
/// `knex:bindings [`, a query object's `values: [` (node-postgres, mysql2), or a `] ` that closes SQLAlchemy's `[generated in …]` / `[cached since …]`.
fn echo_start(line: &[u8]) -> Option<usize> {
    // A tuple, or a list when a structured logger renders the record's parameters
    // (django-structlog: `args=['…', '…']`).
    for marker in [
        &b"args=("[..],
        b"params=(",
        b"parameters=(",
        b"args=[",
        b"params=[",
        b"parameters=[",
        b"PARAMETERS: [",
        b"Params: [",
        b"params: [",
        b"params: '[",
        b"bindings [",
        // node-postgres's and mysql2's query objects (`{ text: '…', values: [ … ] }`).
        b"values: [",
        b"\"values\":[",
        b"\"values\": [",
    ] {
        if let Some(at) = memchr::memmem::find(line, marker) {
            return Some(at + marker.len() - 1);
        }
    }
    for marker in [&b"[generated in "[..], b"[cached since "] {
        if let Some(at) = memchr::memmem::find(line, marker) {
            let close = at + memchr::memchr(b']', &line[at..])?;
            let open = skip_spaces(line, close + 1);
            // A tuple, a list of them (`executemany`), or a dict of named parameters.
            return matches!(line.get(open), Some(b'(' | b'[' | b'{')).then_some(open);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::dynamo::tests::masked;

    #[test]
    fn insert_values_belong_to_their_columns() {
        let got = masked(&[
            r#"(0.001) INSERT INTO "core_apikey" ("key", "label", "user_id") VALUES ('FAKEapiKEY0123456789ab', 'ci', 7); args=('FAKEapiKEY0123456789ab', 'ci', 7)"#,
            r#"INSERT INTO "django_session" ("session_key", "session_data") VALUES ('FAKEsessionkey0123456', 'e30:1xZ4wY:FAKEsignatureFAKEsig')"#,
        ]);
        assert_eq!(
            got,
            [
                "FAKEapiKEY0123456789ab,FAKEapiKEY0123456789ab",
                "FAKEsessionkey0123456,e30:1xZ4wY:FAKEsignatureFAKEsig"
            ]
        );
    }

    /// Django logs the statement with its parameters written in, then the parameters: the
    /// echo's items follow the VALUES items (a password with symbols is no token run, so the
    /// memory of the first would not find the second).
    #[test]
    fn parameters_written_in_are_echoed_in_order() {
        let got = masked(&[
            r#"(0.001) INSERT INTO "fleet_loginattempt" ("email", "password_tried", "ok") VALUES ('ann@example.com', 'pw^Q7!zK#2m', 0) RETURNING "fleet_loginattempt"."id"; args=('ann@example.com', 'pw^Q7!zK#2m', False); alias=default"#,
        ]);
        assert_eq!(got, ["pw^Q7!zK#2m,pw^Q7!zK#2m"]);
    }

    /// django-structlog renders the parameters as a list.
    #[test]
    fn echoed_parameters_may_be_a_list() {
        let got = masked(&[
            r#"event='(0.001) INSERT INTO "t_login" ("email", "password_tried", "ok") VALUES ('ann@example.com', 'pw^Q7!zK#2m', 1); args=['ann@example.com', 'pw^Q7!zK#2m', True]; alias=default' logger='django.db.backends'"#,
        ]);
        assert_eq!(got, ["pw^Q7!zK#2m,pw^Q7!zK#2m"]);
    }

    #[test]
    fn echoed_parameters_follow_their_placeholders() {
        let got = masked(&[
            "INFO sqlalchemy.engine.Engine: INSERT INTO api_keys (key, user_id, label) VALUES (?, ?, ?)",
            "INFO sqlalchemy.engine.Engine: [generated in 0.00031s] ('FAKEapiKEY0123456789ab', 5, 'ci')",
            "SELECT refresh_tokens.user_id FROM refresh_tokens WHERE refresh_tokens.token = ? AND refresh_tokens.revoked = ?",
            "[cached since 1.2s ago] ('FAKErefresh0123456789ab', 0)",
            "UPDATE users SET password = %s, name = %s WHERE id = %s",
            "params=('FAKEpassword01', 'Ann', 3)",
            // SQLAlchemy writes an ORM query on several lines: the WHERE clause on its own.
            "INFO sqlalchemy.engine.Engine: SELECT users.id, users.email ",
            "FROM users ",
            "WHERE users.refresh_token = ?",
            "INFO sqlalchemy.engine.Engine: [cached since 0.41s ago] ('FAKErefresh9876543210zy',)",
        ]);
        assert_eq!(
            got,
            [
                "",
                "FAKEapiKEY0123456789ab",
                "",
                "FAKErefresh0123456789ab",
                "",
                "FAKEpassword01",
                "",
                "",
                "",
                "FAKErefresh9876543210zy"
            ]
        );
    }

    /// psycopg's named placeholders (`%(pk_1)s`, with PostgreSQL's cast after them, as
    /// SQLAlchemy writes them) are echoed as a dict, by name; a generic column of a qualified
    /// name takes its table's (`api_keys.key`). The placeholders themselves stay.
    #[test]
    fn named_placeholders_are_echoed_by_name() {
        crate::dynamo::tests::assert_masked(&[
            (
                "SELECT users.id, users.password_hash FROM refresh_tokens WHERE refresh_tokens.token = %(pk_1)s::VARCHAR AND users.id = %(id_1)s::INTEGER",
                "",
            ),
            (
                "INFO sqlalchemy.engine.Engine [generated in 0.0003s] {'id_1': 4, 'pk_1': 'FAKE9a6199f941bd697f4224440510'}",
                "FAKE9a6199f941bd697f4224440510",
            ),
            (
                "UPDATE users SET password_hash=%(password_hash)s::VARCHAR WHERE users.id = %(id_1)s::INTEGER",
                "",
            ),
            (
                "[cached since 2s ago] {'password_hash': 'FAKEpbkdf2sha256600000abc', 'id_1': 4}",
                "FAKEpbkdf2sha256600000abc",
            ),
            (
                "SELECT api_keys.id FROM api_keys WHERE api_keys.key = %(key_1)s::VARCHAR",
                "",
            ),
            (
                "[cached since 1.6s ago] {'key_1': 'FAKE199f941bd697f422444051082a484ec146'}",
                "FAKE199f941bd697f422444051082a484ec146",
            ),
            // Later mentions of the column are its name, not a remembered value.
            (
                "SELECT users.password_hash AS users_password_hash FROM users",
                "",
            ),
        ]);
    }

    /// The ORMs of Node write the parameters their own way: TypeORM after `-- PARAMETERS:`,
    /// Prisma's query event on the next line, Sequelize after the statement on its line,
    /// knex's debug output on the next line; a query object holds them in `values`.
    #[test]
    fn node_orms_echo_the_parameters_their_way() {
        let got = masked(&[
            r#"query: INSERT INTO "user"("email", "password") VALUES ($1, $2) RETURNING "id" -- PARAMETERS: ["ann@example.com","pw^Q7!zK#2m"]"#,
            r#"prisma:query UPDATE "public"."Session" SET "token" = $1 WHERE "id" = $2"#,
            r#"Params: ["FAKEsession0123456789ab",7]"#,
            r#"Executing (default): INSERT INTO "Users" ("id","email","password") VALUES (DEFAULT,$1,$2) RETURNING "id"; "ann@example.com", "pw^Q7!zK#2n""#,
            "  knex:query insert into `api_keys` (`label`, `key`) values (?, ?) undefined +0ms",
            "  knex:bindings [ 'ci', 'FAKEapiKEY0123456789ab' ] undefined +0ms",
            "query { text: 'INSERT INTO users(email, password) VALUES($1, $2)', values: [ 'ann@example.com', 'pw^Q7!zK#2p' ] }",
            r#"{"text":"UPDATE sessions SET token = $1 WHERE id = $2","values":["FAKEsession0123456789cd",7]}"#,
            // Not after a statement's placeholders: no echo.
            r#"GET /x; "FAKEnotAsecret0123""#,
        ]);
        assert_eq!(
            got,
            [
                "pw^Q7!zK#2m",
                "",
                "FAKEsession0123456789ab",
                "pw^Q7!zK#2n",
                "",
                "FAKEapiKEY0123456789ab",
                "pw^Q7!zK#2p",
                "FAKEsession0123456789cd",
                ""
            ]
        );
    }

    /// Rows: a multi-row insert (Sequelize's `bulkCreate`), SQLAlchemy's `executemany` echo
    /// (a list of tuples), Tortoise's echo glued to the statement (a list of lists for a bulk
    /// insert), knex's bindings one a line under a statement of several rows.
    #[test]
    fn every_row_belongs_to_the_columns() {
        let got = masked(&[
            r#"INSERT INTO "members" ("id","refresh_token") VALUES ('m1','FAKErefresh0123456789ab'),('m2','FAKErefresh0123456789cd')"#,
            "INSERT INTO sessions (sid, member_id) VALUES (?, ?)",
            "[generated in 0.00029s] [('FAKEsession0123456789ab', 'm1'), ('FAKEsession0123456789cd', 'm2')]",
            r#"tortoise.db_client: INSERT INTO "keys" ("api_key","label") VALUES (?,?): [['FAKEapiKEY0123456789ab', 'ci'], ['FAKEapiKEY0123456789cd', 'cd']]"#,
            r#"tortoise.db_client: UPDATE "resets" SET "used"=? WHERE "reset_token"=?: [1, 'FAKEreset0123456789abcd']"#,
            "  knex:query insert into `tokens` (`refresh_token`, `label`) values (?, ?), (?, ?) undefined +0ms",
            "  knex:bindings [",
            "  'FAKErefresh9876543210ab',",
            "  'web',",
            "  'FAKErefresh9876543210cd',",
            "  'cli'",
            "] undefined +0ms",
            "  'FAKEnotAsecret01234567'",
        ]);
        assert_eq!(
            got,
            [
                "FAKErefresh0123456789ab,FAKErefresh0123456789cd",
                "",
                "FAKEsession0123456789ab,FAKEsession0123456789cd",
                "FAKEapiKEY0123456789ab,FAKEapiKEY0123456789cd",
                "FAKEreset0123456789abcd",
                "",
                "",
                "FAKErefresh9876543210ab",
                "",
                "FAKErefresh9876543210cd",
                "",
                "",
                ""
            ]
        );
    }

    /// A statement's echo is its own: the next statement, even with no secret column,
    /// takes the place of the one before (its ids were masked by the columns before).
    #[test]
    fn a_statement_replaces_the_one_before() {
        let got = masked(&[
            r#"query: INSERT INTO "keys"("label", "api_key") VALUES ($1, $2) -- PARAMETERS: ["ci","FAKEapiKEY0123456789ab"]"#,
            r#"query: INSERT INTO "bookings"("id", "potter") VALUES ($1, $2) -- PARAMETERS: ["bkg_01JABCDEF","ptr_abcdef123456"]"#,
            r#"(0.001) INSERT INTO "refresh_tokens" ("potter_id", "token") VALUES ('ptr_abcdef123456', 'FAKErefresh0123456789ab'); args=('ptr_abcdef123456', 'FAKErefresh0123456789ab')"#,
            r#"(0.001) UPDATE "potters" SET "name" = 'Ann' WHERE "potters"."potter_id" = 'ptr_abcdef123456'; args=('Ann', 'ptr_abcdef123456')"#,
        ]);
        assert_eq!(
            got,
            [
                "FAKEapiKEY0123456789ab",
                "",
                "FAKErefresh0123456789ab,FAKErefresh0123456789ab",
                ""
            ]
        );
    }

    #[test]
    fn public_columns_and_strangers_stay() {
        let got = masked(&[
            "INSERT INTO users (email, name) VALUES (?, ?)",
            "[generated in 0.0002s] ('a@example.com', 'Ann')",
            "select the best update from the list where it = ? said nobody",
            "(5, 'FAKEnotAsecret0123')",
        ]);
        assert_eq!(got, ["", "", "", ""]);
    }
}
