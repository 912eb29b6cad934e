//! Positional SQL contexts: a value with no key beside it, whose column says it is a secret.
//!
//! ORMs log statements (`INSERT INTO "core_apikey" ("key", "label") VALUES ('…', 'ci')`; a
//! WHERE clause on a line of its own, as SQLAlchemy writes a query, is read as one) and,
//! on the same or the next line, the parameters bound to their placeholders (Django's
//! `args=(…)`, SQLAlchemy's `[generated in 0.0003s] ('…', 5)`). The secret's name is the
//! column, found by position: the n-th value of a VALUES tuple belongs to the n-th column, the
//! n-th parameter to the n-th placeholder (`?`, `%s`, `$1`), whose column is the INSERT column
//! at its place or the one compared with it (`WHERE "token" = ?`, `SET password = %s`).
//! Column names are asked of the keyed rules, as any key is.
//!
//! Work: one pass over the statement from its keyword, and one over an echoed tuple, each
//! reading at most [`MAX_COLUMNS`] items; nothing is read twice.

use crate::byteclass::{self, byte_set};
use crate::keyed::{KeyScratch, KeyedHit, KeyedMatcher};
use std::ops::Range;

/// The most columns or parameters read from one statement or tuple.
pub(crate) const MAX_COLUMNS: usize = 64;
/// How many lines after its statement an echo of the parameters is looked for.
pub(crate) const PARAM_LINES: u32 = 3;

/// The keyed rule owning each placeholder of a statement, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholders {
    owners: Vec<Option<usize>>,
    lines_left: u32,
}

impl Placeholders {
    /// One line later; false when the echo is no longer looked for.
    pub(crate) fn age(&mut self) -> bool {
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
fn identifier(line: &[u8], mut i: usize) -> Option<(Range<usize>, usize)> {
    let mut last = None;
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
        last = Some((part, next));
        if line.get(next) != Some(&b'.') {
            return last;
        }
        i = next + 1;
    }
}

/// A placeholder at `i` (`?`, `%s`, `$1`): its length.
fn placeholder(line: &[u8], i: usize) -> Option<usize> {
    match line.get(i)? {
        b'?' => Some(1),
        b'%' if line.get(i + 1) == Some(&b's') => Some(2),
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
            b'(' | b'[' => depth += 1,
            b')' | b']' if depth == 0 => break,
            b')' | b']' => depth -= 1,
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
    if starts_with_word(line, at, b"insert into") {
        read_insert(line, at + 11, keyed, keys, out, &mut owners);
    } else {
        read_comparisons(line, at, keyed, keys, &mut owners);
    }
    (!owners.is_empty() && owners.iter().any(Option::is_some)).then_some(Placeholders {
        owners,
        lines_left: PARAM_LINES,
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
    // item is a placeholder, each item stands for one.
    let mut items = Vec::new();
    for owner in columns {
        let v = skip_spaces(line, i + 1);
        if let Some(len) = placeholder(line, v) {
            placeholders.push(owner);
            i = skip_spaces(line, v + len);
        } else {
            let (body, next) = item(line, v)?;
            if let (Some(rule), Some(body)) = (owner, body) {
                keyed.emit_value(line, rule, body, out);
            }
            items.push(owner);
            i = skip_spaces(line, next);
        }
        if line.get(i) != Some(&b',') {
            break;
        }
    }
    if placeholders.is_empty() {
        *placeholders = items;
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
) {
    // The last identifier read and whether an `=` followed it.
    let mut column: Option<Range<usize>> = None;
    let mut compared = false;
    let mut i = from;
    while i < line.len() && owners.len() < MAX_COLUMNS {
        let b = line[i];
        if let Some(len) = placeholder(line, i) {
            let owner = match (&column, compared) {
                (Some(c), true) => keyed.owner(&line[c.clone()], keys),
                _ => None,
            };
            owners.push(owner);
            (column, compared) = (None, false);
            i += len;
        } else if b == b'=' {
            compared = true;
            i += 1;
        } else if b == b'\'' {
            // A literal: skip it whole (a `?` inside is no placeholder).
            i = item(line, i).map_or(line.len(), |(_, next)| next);
            (column, compared) = (None, false);
        } else if let Some((name, next)) = identifier(line, i).filter(|_| !is_space(b)) {
            (column, compared) = (Some(name), false);
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// The parameters echoed after a statement (`args=(…)`, `params=(…)`, `[generated in …] (…)`,
/// `[cached since …] (…)`): each quoted one whose placeholder a secret column owns goes to
/// `out`.
pub(crate) fn find_params(
    line: &[u8],
    placeholders: &Placeholders,
    keyed: &KeyedMatcher,
    out: &mut Vec<KeyedHit>,
) {
    crate::work::read(line.len());
    // On the statement's own line, Sequelize writes the parameters after it, unbracketed.
    let same_line = placeholders.lines_left == PARAM_LINES;
    let Some(open) = echo_start(line).or_else(|| same_line.then(|| trailing_list(line)).flatten())
    else {
        return;
    };
    let mut i = open;
    for owner in &placeholders.owners {
        let v = skip_spaces(line, i + 1);
        let Some((body, next)) = item(line, v) else {
            return;
        };
        if let (Some(rule), Some(body)) = (owner, body) {
            keyed.emit_value(line, *rule, body, out);
        }
        i = skip_spaces(line, next);
        if line.get(i) != Some(&b',') {
            return;
        }
    }
}

/// Where Sequelize's parameters start after the statement on its line
/// (`Executing (default): INSERT … VALUES ($1,$2); "ann@example.com", "…"`): the `;` before a
/// JSON string that closes the line's last statement.
fn trailing_list(line: &[u8]) -> Option<usize> {
    let at = memchr::memmem::rfind(line, b"; \"")?;
    // A placeholder before it: the statement is on this line.
    (memchr::memchr2(b'$', b'?', &line[..at]).is_some()).then_some(at)
}

/// Where an echoed parameter tuple opens: after `args=`, `params=`, `parameters=`, TypeORM's
/// `-- PARAMETERS: [`, Prisma's query event (`Params: [`, `params: '[`), knex's
/// `knex:bindings [`, or a `] ` that closes SQLAlchemy's `[generated in …]` / `[cached since …]`.
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
    ] {
        if let Some(at) = memchr::memmem::find(line, marker) {
            return Some(at + marker.len() - 1);
        }
    }
    for marker in [&b"[generated in "[..], b"[cached since "] {
        if let Some(at) = memchr::memmem::find(line, marker) {
            let close = at + memchr::memchr(b']', &line[at..])?;
            let open = skip_spaces(line, close + 1);
            return (line.get(open) == Some(&b'(')).then_some(open);
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

    /// The ORMs of Node write the parameters their own way: TypeORM after `-- PARAMETERS:`,
    /// Prisma's query event on the next line, Sequelize after the statement on its line,
    /// knex's debug output on the next line.
    #[test]
    fn node_orms_echo_the_parameters_their_way() {
        let got = masked(&[
            r#"query: INSERT INTO "user"("email", "password") VALUES ($1, $2) RETURNING "id" -- PARAMETERS: ["ann@example.com","pw^Q7!zK#2m"]"#,
            r#"prisma:query UPDATE "public"."Session" SET "token" = $1 WHERE "id" = $2"#,
            r#"Params: ["FAKEsession0123456789ab",7]"#,
            r#"Executing (default): INSERT INTO "Users" ("id","email","password") VALUES (DEFAULT,$1,$2) RETURNING "id"; "ann@example.com", "pw^Q7!zK#2n""#,
            "  knex:query insert into `api_keys` (`label`, `key`) values (?, ?) undefined +0ms",
            "  knex:bindings [ 'ci', 'FAKEapiKEY0123456789ab' ] undefined +0ms",
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
