//! A key named by a sibling field: the key is the value of a naming field, and its value is in
//! a `value` field beside it, after it or before it.
//!
//! `{"name": "DB_PASSWORD", "value": "…"}` (ECS and Kubernetes environments, HAR headers),
//! `{'Key': 'api_key', 'Value': '…'}` (tags), `"ParameterKey": "DbPassword", "ParameterValue":
//! "…"` (CloudFormation), and in prose `Setting key: code to value: …` (Robyn's query parser).
//! Validation errors echo the value they reject the same way, the field named by its path:
//! pydantic's `{'loc': ('body', 'password'), 'msg': …, 'input': '…'}` (the name is the last
//! element of the path), express-validator's `{ value: '…', msg: …, path: 'password' }`,
//! class-validator's `value: '…', property: 'password'` (the value before the name), and
//! a JSON-schema message with its path after it, as Connexion writes it (`'…' does not match
//! '^\\S+$' - 'password'`).
//!
//! Work: from the end of the key, at most the spaces, a bounded path, one separator and
//! [`MAX_BETWEEN`] + 1 fields of bounded length on either side are read before the value is
//! parsed as any key's: constant beside the value's own parse.

use super::lex::{skip_spaces, trim};
use super::open::{Open, Pending};
use super::{KeyedHit, KeyedMatcher, ValueEnds};

/// What [`KeyedMatcher::parse_named_value`] found.
pub(super) enum Named {
    /// Not the syntax, or no value in it.
    No,
    /// The value, added to the findings.
    Found,
    /// The line ended after the name's comma: the value field may open the next line.
    NextLine(Pending),
}

impl Named {
    /// Was the syntax there (a value found, or one left for the next line)?
    pub(super) fn is_there(&self) -> bool {
        !matches!(self, Named::No)
    }

    /// What the line leaves open for the next one.
    pub(super) fn pending(self) -> Option<Pending> {
        match self {
            Named::NextLine(p) => Some(p),
            _ => None,
        }
    }
}

/// How a quote may be written: itself, or HTML-escaped (a template's dump of a record).
const QUOTES: [&[u8]; 6] = [b"\"", b"'", b"&quot;", b"&#x27;", b"&#39;", b"&#34;"];

/// The quote written right before `end`, if any.
fn quote_ending_at(line: &[u8], end: usize) -> Option<&'static [u8]> {
    QUOTES.into_iter().find(|q| line[..end].ends_with(q))
}

/// The quote written at `at`, if any.
fn quote_starting_at(line: &[u8], at: usize) -> Option<&'static [u8]> {
    let rest = line.get(at..)?;
    QUOTES.into_iter().find(|q| rest.starts_with(q))
}

/// The longest field name read (`parameterValue`, `attributeName`): a longer one is another
/// thing.
const MAX_FIELD: usize = 24;

/// Is `field` (as written) a name that names a key: `name`, `key`, `Name`, `ParameterKey`,
/// `headerName`, `field`?
fn names_a_key(field: &[u8]) -> bool {
    const WHOLE: [&[u8]; 12] = [
        b"field",
        b"param",
        b"parameter",
        b"header",
        b"var",
        b"variable",
        b"setting",
        b"option",
        b"attribute",
        b"property",
        // A validation error's path to the field (pydantic, express-validator, yup).
        b"loc",
        b"path",
    ];
    ends_with_ignoring_case(field, b"name")
        || ends_with_ignoring_case(field, b"key")
        || WHOLE.iter().any(|w| w.eq_ignore_ascii_case(field))
}

fn ends_with_ignoring_case(field: &[u8], tail: &[u8]) -> bool {
    field.len() >= tail.len() && field[field.len() - tail.len()..].eq_ignore_ascii_case(tail)
}

/// Does `field` hold the named key's value: `value`, `Value`, `ParameterValue`, or the
/// `input` a validation error rejected (pydantic)?
fn holds_the_value(field: &[u8]) -> bool {
    ends_with_ignoring_case(field, b"value") || field.eq_ignore_ascii_case(b"input")
}

/// Where the spaces that end right before `i` start.
fn spaces_before(line: &[u8], i: usize) -> usize {
    i - line[..i].iter().rev().take_while(|&&b| b == b' ').count()
}

/// The field name that ends right before `end` (its quote, the separator and spaces before
/// `end` skipped): where it starts and ends.
fn field_before(line: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut i = end;
    i = spaces_before(line, i);
    if i == 0 || !matches!(line[i - 1], b':' | b'=') {
        return None;
    }
    i -= 1;
    i = spaces_before(line, i);
    let quote = quote_ending_at(line, i);
    let fe = i - quote.map_or(0, <[u8]>::len);
    let floor = fe.saturating_sub(MAX_FIELD);
    let mut fs = fe;
    while fs > floor && line[fs - 1].is_ascii_alphabetic() {
        fs -= 1;
    }
    if fs == fe {
        return None;
    }
    if let Some(q) = quote
        && !line[..fs].ends_with(q)
    {
        return None;
    }
    Some((fs, fe))
}

impl KeyedMatcher {
    /// The key written at `name` (which `rule` owns; a path whose last segment it is), as the
    /// value of a naming field: the value of the `value` field after it goes to `out`.
    pub(super) fn parse_named_value(
        &self,
        line: &[u8],
        rule: usize,
        name: std::ops::Range<usize>,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Named {
        let (ks, ke) = (name.start, name.end);
        // The key, quoted as a value is, or bare.
        let quote = quote_ending_at(line, ks);
        let mut i = ke;
        if let Some(q) = quote {
            if !line[i..].starts_with(q) {
                return Named::No;
            }
            i += q.len();
        }
        let mut name_start = ks - quote.map_or(0, <[u8]>::len);
        // The last element of a path, a list or tuple (`'loc': ('body', 'password')`,
        // `path: [ 'password' ]`).
        let after = skip_spaces(line, i);
        if let Some(&close @ (b')' | b']')) = line.get(after) {
            let Some(open) = list_start(line, name_start, close) else {
                return Named::No;
            };
            name_start = open;
            i = after + 1;
        }
        let Some((fs, fe)) = field_before(line, name_start) else {
            return Named::No;
        };
        if !names_a_key(&line[fs..fe]) {
            return Named::No;
        }
        // `, "value":` in a record (after at most [`MAX_BETWEEN`] other fields: SSM's
        // `'Type': 'SecureString'`), ` to value:` in prose; else a value field before the
        // name.
        i = skip_spaces(line, i);
        match line.get(i) {
            Some(b',') => i = skip_spaces(line, i + 1),
            Some(b't') if line[i..].starts_with(b"to ") => i = skip_spaces(line, i + 3),
            _ => return self.named_value_before(line, rule, fs, ends, out),
        }
        if matches!(line.get(i), None | Some(b'\r')) {
            return Named::NextLine(Pending::new(rule, Open::NamedValue { depth: 0 }));
        }
        for _ in 0..=MAX_BETWEEN {
            let (vs, ve, after) = field_at(line, i);
            if holds_the_value(&line[vs..ve]) {
                return self.value_of_field(line, rule, vs..ve, ends, out);
            }
            // Another field, with a short simple value: skipped.
            let Some(next) = after.and_then(|a| past_simple_value(line, a)) else {
                return self.named_value_before(line, rule, fs, ends, out);
            };
            i = next;
        }
        self.named_value_before(line, rule, fs, ends, out)
    }

    /// A JSON-schema error's path (`'password'` at `name`, `rule`'s key) after its message,
    /// which opens a string with the value it rejects (Connexion's `detail="'…' does not
    /// match '^\\S+$' - 'password'"`): the value, if the message is one of those that start
    /// with it.
    pub(super) fn schema_error_value(
        &self,
        line: &[u8],
        rule: usize,
        name: std::ops::Range<usize>,
        out: &mut Vec<KeyedHit>,
    ) -> bool {
        // What jsonschema says after the instance it quotes (not `is a required property`,
        // whose quoted word is the field's name).
        const SAYS: [&[u8]; 6] = [
            b"' does not match ",
            b"' is too ",
            b"' is not ",
            b"' is less than",
            b"' is greater than",
            b"' should be ",
        ];
        let Some(path_start) = name.start.checked_sub(1) else {
            return false;
        };
        if line[path_start] != b'\''
            || line.get(name.end) != Some(&b'\'')
            || !line[..path_start].ends_with(b" - ")
            || !matches!(line.get(name.end + 1), None | Some(b'"' | b'\\' | b'\r'))
        {
            return false;
        }
        let dash = path_start - 3;
        let floor = dash.saturating_sub(LONGEST_MESSAGE);
        // The message opens its string (the nearest `"` before it: the message holds none
        // unescaped) with the quoted value.
        let Some(open) = memchr::memrchr(b'"', &line[floor..dash]).map(|o| floor + o + 1) else {
            return false;
        };
        if line.get(open) != Some(&b'\'') {
            return false;
        }
        let vs = open + 1;
        let Some(ve) = memchr::memchr(b'\'', &line[vs..dash]).map(|o| vs + o) else {
            return false;
        };
        if ve == vs || !SAYS.iter().any(|s| line[ve..dash].starts_with(s)) {
            return false;
        }
        let found = out.len();
        self.emit_value(line, rule, vs..ve, out);
        out.len() > found
    }

    /// The value of the value field at `field`, parsed as the named key's.
    fn value_of_field(
        &self,
        line: &[u8],
        rule: usize,
        field: std::ops::Range<usize>,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Named {
        let found = out.len();
        self.parse_after_key(line, rule, field.start, field.end, ends, out);
        if out.len() > found {
            Named::Found
        } else {
            Named::No
        }
    }

    /// The value field before the naming field whose name starts at `fs`, with at most
    /// [`MAX_BETWEEN`] other fields of short simple values between (`{ value: '…', msg:
    /// 'Invalid value', path: 'password' }`).
    fn named_value_before(
        &self,
        line: &[u8],
        rule: usize,
        fs: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Named {
        let mut at = fs - quote_ending_at(line, fs).map_or(0, <[u8]>::len);
        for _ in 0..=MAX_BETWEEN {
            let mut j = at;
            j = spaces_before(line, j);
            if j == 0 || line[j - 1] != b',' {
                return Named::No;
            }
            j -= 1;
            j = spaces_before(line, j);
            // The member before: its value (the secret itself, if its field holds the value),
            // then its field.
            let Some(vs) = value_start_before(line, j, LONGEST_VALUE) else {
                return Named::No;
            };
            let Some((f, e)) = field_before(line, vs) else {
                return Named::No;
            };
            if holds_the_value(&line[f..e]) {
                return self.value_of_field(line, rule, f..e, ends, out);
            }
            if j - vs > LONGEST_SIMPLE {
                return Named::No;
            }
            at = f - quote_ending_at(line, f).map_or(0, <[u8]>::len);
        }
        Named::No
    }

    /// A line after a name that ended its line ([`Open::NamedValue`]), its content from `v`:
    /// a value field holds the key's value. Pretty printers write one member a line, and a
    /// validation error's value may sit in an object a few members on (Joi's `path: [
    /// 'password' ],` then `context: {` and its `value: '…'`, yup's `params: {`): other
    /// members are passed, objects they open are entered, for at most [`MAX_NAMED_LINES`]
    /// lines and not past the bracket that closes the name's own object.
    pub(super) fn named_value_line(
        &self,
        line: &[u8],
        p: Pending,
        v: usize,
        ends: &mut ValueEnds,
        out: &mut Vec<KeyedHit>,
    ) -> Option<Pending> {
        let Open::NamedValue { depth } = p.open else {
            return None;
        };
        if matches!(line[v], b'}' | b']' | b')') {
            let depth = depth.checked_sub(1)?;
            return p.read_on_within(Open::NamedValue { depth }, MAX_NAMED_LINES);
        }
        let (vs, ve, after) = field_at(line, v);
        if holds_the_value(&line[vs..ve]) {
            // The value as given and as read may follow (yup's `value`, `originalValue`).
            return self
                .parse_after_key(line, p.rule, vs, ve, ends, out)
                .or_else(|| p.read_on_within(p.open, MAX_NAMED_LINES));
        }
        // Another member: passed, or entered if it opens an object or a list.
        after?;
        let opens = matches!(
            trim(line, v..line.len())
                .end
                .checked_sub(1)
                .map(|e| line[e]),
            Some(b'{' | b'[')
        );
        p.read_on_within(
            Open::NamedValue {
                depth: depth + u8::from(opens),
            },
            MAX_NAMED_LINES,
        )
    }
}

/// Fields skipped between a name and its value.
const MAX_BETWEEN: usize = 2;

/// Lines read after a name that ended its line for its value field.
const MAX_NAMED_LINES: u8 = 8;

/// The longest simple value skipped between a name and its value (a validation message:
/// `"String should match pattern '^\\S+$'"`).
const LONGEST_SIMPLE: usize = 128;

/// The longest JSON-schema message read back from its path (the value and the pattern or
/// limit it failed).
const LONGEST_MESSAGE: usize = 256;

/// The longest value read back from a naming field.
const LONGEST_VALUE: usize = 1024;

/// The most elements of a path before its last (`('body', 'items', 0, 'password')`).
const MAX_PATH: usize = 8;

/// Where the quoted string or bare word ending at `end` starts (at most `longest` bytes,
/// a quoted one without escapes).
fn value_start_before(line: &[u8], end: usize, longest: usize) -> Option<usize> {
    match quote_ending_at(line, end) {
        Some(q) => {
            let body_end = end - q.len();
            let floor = body_end.saturating_sub(longest);
            let open = floor + memchr::memmem::rfind(&line[floor..body_end], q)?;
            let body = &line[open + q.len()..body_end];
            (!body.contains(&b'\\')).then_some(open)
        }
        None => {
            let floor = end.saturating_sub(longest);
            let mut k = end;
            while k > floor
                && (line[k - 1].is_ascii_alphanumeric()
                    || matches!(line[k - 1], b'.' | b'-' | b'_'))
            {
                k -= 1;
            }
            (k < end).then_some(k)
        }
    }
}

/// The opening bracket of the list or tuple, closed by `close`, whose last element starts at
/// `last`: its elements before are quoted names and numbers.
fn list_start(line: &[u8], last: usize, close: u8) -> Option<usize> {
    let open = if close == b')' { b'(' } else { b'[' };
    let mut j = last;
    for _ in 0..=MAX_PATH {
        j = spaces_before(line, j);
        match *line.get(j.checked_sub(1)?)? {
            b if b == open => return Some(j - 1),
            b',' => {
                j -= 1;
                j = spaces_before(line, j);
                j = value_start_before(line, j, MAX_FIELD * 2)?;
            }
            _ => return None,
        }
    }
    None
}

/// The field name at `i` (maybe quoted): its bounds, and where its value starts if a
/// separator follows.
fn field_at(line: &[u8], i: usize) -> (usize, usize, Option<usize>) {
    let quote = quote_starting_at(line, i);
    let fs = (i + quote.map_or(0, <[u8]>::len)).min(line.len());
    let fe = fs
        + line[fs..line.len().min(fs + MAX_FIELD)]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
    let mut j = fe;
    if let Some(q) = quote {
        if !line[j..].starts_with(q) {
            return (fs, fe, None);
        }
        j += q.len();
    }
    j = skip_spaces(line, j);
    let after = matches!(line.get(j), Some(b':' | b'=')).then(|| skip_spaces(line, j + 1));
    (fs, fe, after)
}

/// Past a short value with no nesting (`'SecureString'`, `1`, `null`) and the comma after
/// it: where the next field starts.
fn past_simple_value(line: &[u8], v: usize) -> Option<usize> {
    const LONGEST: usize = LONGEST_SIMPLE;
    let end = match quote_starting_at(line, v) {
        Some(q) => {
            let body = v + q.len();
            let window = &line[body..line.len().min(body + LONGEST)];
            body + memchr::memmem::find(window, q)? + q.len()
        }
        None => {
            v + line[v..line.len().min(v + LONGEST)]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                .count()
        }
    };
    let j = skip_spaces(line, end);
    (line.get(j) == Some(&b',')).then(|| skip_spaces(line, j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pretty-printed JSON puts the value field on the line after the name.
    #[test]
    fn the_value_field_may_open_the_next_line() {
        let got = crate::dynamo::tests::masked(&[
            "  \"env\": [",
            "    {",
            "      \"name\": \"SECRET_KEY\",",
            "      \"value\": \"Xk8mQ2vLp9zR4wTq-FAKE\"",
            "    },",
            "    {",
            "      \"name\": \"PORT\",",
            "      \"value\": \"8080\"",
        ]);
        assert_eq!(got, ["", "", "", "Xk8mQ2vLp9zR4wTq-FAKE", "", "", "", ""]);
    }

    /// Validation errors name the field by its path and echo the value they reject, before
    /// or after the name; other fields between are skipped, a path of other fields is not a
    /// secret's, and a value that is no secret stays.
    #[test]
    fn a_validation_error_names_the_value_it_rejects() {
        let got = crate::dynamo::tests::masked(&[
            "[{'type': 'string_too_short', 'loc': ('body', 'user', 0, 'password'), 'msg': \"String should match pattern '^\\\\S+$'\", 'input': 'Tr0ub4dor and 3'}]",
            r#"{"loc":["body","password"],"msg":"Value error, too weak","input":"Tr0ub4dorAnd3x"}"#,
            "[ { type: 'field', value: 'Tr0ub4dorAnd3x', msg: 'Invalid value', path: 'password', location: 'body' } ]",
            "ValidationError { target: LoginDto {}, value: 'Tr0ub4dorAnd3x', property: 'password', children: [] }",
            "{'loc': ('query', 'page'), 'msg': 'Input should be a valid integer', 'input': 'abcdefghijklmnop'}",
            r#"{"path": "/api/items", "value": 3}"#,
            "[ { value: 'Quay7harbour9z', msg: 'Invalid value', path: 'email' } ]",
        ]);
        assert_eq!(
            got,
            [
                "Tr0ub4dor and 3",
                "Tr0ub4dorAnd3x",
                "Tr0ub4dorAnd3x",
                "Tr0ub4dorAnd3x",
                "",
                "",
                ""
            ]
        );
    }

    /// Connexion writes a JSON-schema message, which opens with the value it rejects, then
    /// the field's path; a message that quotes the field's name, or a path that is no
    /// secret's, is not a value.
    #[test]
    fn a_schema_error_names_its_value_after_it() {
        let got = crate::dynamo::tests::masked(&[
            r#"BadRequestProblem(status_code=400, detail="'Tr0ub4dor and 3' does not match '^\\S+$' - 'password'")"#,
            r#"{"detail":"'Zk3qP9vX2mLr8TnW' is too short - 'api_key'","status":400}"#,
            r#"BadRequestProblem(status_code=400, detail="'password' is a required property - 'password'")"#,
            r#"{"detail":"'Quay7harbour9z' is not of type 'integer' - 'page'"}"#,
        ]);
        assert_eq!(got, ["Tr0ub4dor and 3", "Zk3qP9vX2mLr8TnW", "", ""]);
    }

    /// Pretty-printed validation errors: the value a few members after the name, in an
    /// object entered on the way (Joi's `context`, yup's `params`, which also gives the value
    /// as first given); not past the name's own object.
    #[test]
    fn a_named_value_may_come_members_later() {
        crate::dynamo::tests::assert_masked(&[
            ("      path: [ 'refresh_token' ],", ""),
            ("      type: 'string.pattern.name',", ""),
            ("      context: {", ""),
            ("        name: 'refresh token',", ""),
            (
                "        value: 'FAKErefresh0123456789ab',",
                "FAKErefresh0123456789ab",
            ),
            ("        label: 'refresh_token',", ""),
            ("  path: 'new_password1',", ""),
            ("  type: 'min',", ""),
            ("  params: {", ""),
            ("    value: 'WDJ3-Znn',", "WDJ3-Znn"),
            ("    originalValue: 'WDJ3-Znn',", "WDJ3-Znn"),
            ("  path: 'password',", ""),
            ("  type: 'min'", ""),
            ("}", ""),
            ("{ value: 'Quay7harbour9z' }", ""),
        ]);
    }

    /// zod writes a path one element a line: its last names the `input` after the list.
    #[test]
    fn a_path_element_alone_names_the_value_after_its_list() {
        crate::dynamo::tests::assert_masked(&[
            (r#"    "path": ["#, ""),
            (r#"      "refresh_token""#, ""),
            (r#"    ],"#, ""),
            (r#"    "message": "not a valid refresh token","#, ""),
            (
                r#"    "input": "FAKErefresh0123456789ab""#,
                "FAKErefresh0123456789ab",
            ),
            (r#"  }"#, ""),
            (r#"    "fields": ["#, ""),
            (r#"      "password","#, ""),
            (r#"      "email""#, ""),
            (r#"    ],"#, ""),
            (r#"    "value": "Quay7harbour9z""#, ""),
        ]);
    }

    /// Joi's message names the key, then the value: `"refresh_token" with value "…"`.
    #[test]
    fn a_quoted_key_with_value() {
        let got = crate::dynamo::tests::masked(&[
            r#"message: '"refresh_token" with value "FAKErefresh0123456789ab" fails to match the refresh token pattern',"#,
            r#""page" with value "abcdefghijklmnop" fails to match"#,
            r#"the password with value "Quay7harbour9z""#,
        ]);
        assert_eq!(got, ["FAKErefresh0123456789ab", "", ""]);
    }

    #[test]
    fn a_path_list_ends_with_its_name() {
        let line = b"x = {'loc': ('body', 3, \"password\"), 'y': ['a' , 'b']}";
        let at = |s: &str| {
            line.windows(s.len())
                .position(|w| w == s.as_bytes())
                .unwrap()
        };
        assert_eq!(list_start(line, at("\"password"), b')'), Some(at("('body")));
        assert_eq!(list_start(line, at("'b'"), b']'), Some(at("['a")));
        // Not a list: an opener of the other kind, or none.
        assert_eq!(list_start(line, at("'b'"), b')'), None);
        assert_eq!(list_start(b"password", 0, b']'), None);
    }

    #[test]
    fn naming_and_value_fields() {
        for f in [
            "name",
            "Name",
            "key",
            "ParameterKey",
            "headerName",
            "field",
            "loc",
            "path",
        ] {
            assert!(names_a_key(f.as_bytes()), "{f}");
        }
        for f in ["type", "label", "id"] {
            assert!(!names_a_key(f.as_bytes()), "{f}");
        }
        assert!(holds_the_value(b"Value") && holds_the_value(b"ParameterValue"));
        assert!(holds_the_value(b"input") && holds_the_value(b"input_value"));
        assert!(!holds_the_value(b"val") && !holds_the_value(b"values_count"));
    }

    #[test]
    fn the_field_before_a_value() {
        let line = br#"{"name": "DB_PASSWORD", 'Key'='x', key: y"#;
        let at = |s: &str| {
            line.windows(s.len())
                .position(|w| w == s.as_bytes())
                .unwrap()
        };
        let (fs, fe) = field_before(line, at("\"DB_")).unwrap();
        assert_eq!(&line[fs..fe], b"name");
        let (fs, fe) = field_before(line, at("'x'")).unwrap();
        assert_eq!(&line[fs..fe], b"Key");
        let (fs, fe) = field_before(line, at(" y") + 1).unwrap();
        assert_eq!(&line[fs..fe], b"key");
        assert_eq!(field_before(b"{ DB_PASSWORD", 2), None);
    }
}
