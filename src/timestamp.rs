//! The time a log line says it was written, when it starts the way common loggers start one:
//! the event time a leaked token's expiry is compared with, when no CloudWatch event gives it.
//!
//! Read, in seconds since the epoch (UTC when the line gives no offset):
//! * ISO 8601 / RFC 3339 (`2026-12-03T08:50:39.123Z`, `+01:00`), and Python logging's
//!   `2026-12-03 08:50:39,123`, at the start of the line or after `[`;
//! * Apache / nginx `[03/Dec/2026:08:50:39 +0000]` within the line's first 120 bytes;
//! * syslog `Dec  3 08:50:39` at the start (its year: the one that puts it in the past);
//! * a JSON line's `time` / `timestamp` / `ts` member: epoch seconds or milliseconds, or an
//!   ISO 8601 string.
//!
//! Only the line's first bytes are read (a bounded prefix), so the cost is constant per line.

/// Bytes of a line looked at.
const PREFIX: usize = 160;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The line's own time, if it starts with one of the formats above. `now` (seconds) gives
/// syslog lines their year.
pub fn line_time(line: &[u8], now: i64) -> Option<i64> {
    let line = &line[..line.len().min(PREFIX)];
    let start = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'['))
        .unwrap_or(line.len());
    let head = &line[start..];
    if head.first() == Some(&b'{') {
        return json_time(head);
    }
    iso8601(head)
        .or_else(|| syslog(head, now))
        .or_else(|| clf_anywhere(line))
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.,fraction][Z|±HH:MM|±HHMM]` at the start of `s`.
fn iso8601(s: &[u8]) -> Option<i64> {
    let year = digits(s, 0, 4)?;
    if s.get(4) != Some(&b'-')
        || s.get(7) != Some(&b'-')
        || !matches!(s.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (month, day) = (digits(s, 5, 2)?, digits(s, 8, 2)?);
    let secs = clock(s, 11)?;
    let mut i = 19;
    if matches!(s.get(i), Some(b'.' | b',')) {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match s.get(i) {
        Some(b'+' | b'-') => {
            let sign = if s[i] == b'+' { 1 } else { -1 };
            let h = digits(s, i + 1, 2)?;
            let m = match s.get(i + 3) {
                Some(b':') => digits(s, i + 4, 2)?,
                _ => digits(s, i + 3, 2).unwrap_or(0),
            };
            sign * (h * 3600 + m * 60)
        }
        _ => 0,
    };
    Some(epoch(year, month, day)? + secs - offset)
}

/// `Mon DD HH:MM:SS` (the day padded with a space or not).
fn syslog(s: &[u8], now: i64) -> Option<i64> {
    let month = month(s.get(..3)?)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let (day, at) = match (s.get(4), s.get(5)) {
        (Some(b' '), _) => (digits(s, 5, 1)?, 6),
        (_, Some(b' ')) => (digits(s, 4, 1)?, 5),
        _ => (digits(s, 4, 2)?, 6),
    };
    if s.get(at) != Some(&b' ') {
        return None;
    }
    let secs = clock(s, at + 1)?;
    let year = civil_year(now);
    let t = epoch(year, month, day)? + secs;
    // A line from late December read in January is last year's.
    if t > now + 86_400 {
        Some(epoch(year - 1, month, day)? + secs)
    } else {
        Some(t)
    }
}

/// `[DD/Mon/YYYY:HH:MM:SS ±HHMM]` anywhere in `line` (after the client and user fields).
fn clf_anywhere(line: &[u8]) -> Option<i64> {
    line.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'[')
        .find_map(|(i, _)| clf(&line[i + 1..]))
}

fn clf(s: &[u8]) -> Option<i64> {
    let day = digits(s, 0, 2)?;
    if s.get(2) != Some(&b'/') || s.get(6) != Some(&b'/') || s.get(11) != Some(&b':') {
        return None;
    }
    let month = month(s.get(3..6)?)?;
    let year = digits(s, 7, 4)?;
    let secs = clock(s, 12)?;
    let offset = match (s.get(20), s.get(21)) {
        (Some(b' '), Some(&sign @ (b'+' | b'-'))) => {
            let v = digits(s, 22, 2)? * 3600 + digits(s, 24, 2)? * 60;
            if sign == b'+' { v } else { -v }
        }
        _ => 0,
    };
    Some(epoch(year, month, day)? + secs - offset)
}

/// The `time`, `timestamp` or `ts` member near the start of a JSON line.
fn json_time(s: &[u8]) -> Option<i64> {
    for key in [&b"\"time\""[..], b"\"timestamp\"", b"\"ts\""] {
        let Some(at) = memchr::memmem::find(s, key) else {
            continue;
        };
        let mut i = at + key.len();
        while matches!(s.get(i), Some(b' ')) {
            i += 1;
        }
        if s.get(i) != Some(&b':') {
            continue;
        }
        i += 1;
        while matches!(s.get(i), Some(b' ')) {
            i += 1;
        }
        let v = &s[i.min(s.len())..];
        if let Some(text) = v.strip_prefix(b"\"") {
            return iso8601(text);
        }
        let n = v.iter().take_while(|b| b.is_ascii_digit()).count();
        let number: i64 = std::str::from_utf8(&v[..n]).ok()?.parse().ok()?;
        // Milliseconds from 1973 on are more than 10^11; seconds are less until 5138.
        return Some(if number >= 100_000_000_000 {
            number / 1000
        } else {
            number
        });
    }
    None
}

/// `HH:MM:SS` at `at`, as seconds of the day.
fn clock(s: &[u8], at: usize) -> Option<i64> {
    if s.get(at + 2) != Some(&b':') || s.get(at + 5) != Some(&b':') {
        return None;
    }
    let (h, m, sec) = (
        digits(s, at, 2)?,
        digits(s, at + 3, 2)?,
        digits(s, at + 6, 2)?,
    );
    (h < 24 && m < 60 && sec <= 60).then_some(h * 3600 + m * 60 + sec)
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<i64> {
    let d = s.get(at..at + n)?;
    d.iter().try_fold(0i64, |v, &b| {
        b.is_ascii_digit().then(|| v * 10 + i64::from(b - b'0'))
    })
}

fn month(s: &[u8]) -> Option<i64> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as i64 + 1)
}

/// Seconds at midnight UTC of a civil date; `None` for a month or day out of range.
fn epoch(year: i64, month: i64, day: i64) -> Option<i64> {
    ((1..=12).contains(&month) && (1..=31).contains(&day))
        .then(|| days_from_civil(year, month, day) * 86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day counted from 1970-01-01 (the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The civil year of a time in seconds.
fn civil_year(t: i64) -> i64 {
    civil_from_days(t.div_euclid(86_400)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03T08:50:39Z.
    const T: i64 = 1_796_287_839;

    #[test]
    fn every_format_gives_the_same_instant() {
        let now = T + 3600;
        for line in [
            "2026-12-03T08:50:39Z INFO token issued",
            "2026-12-03T08:50:39.123456+00:00 token issued",
            "2026-12-03T09:50:39+01:00 token issued",
            "2026-12-03T03:50:39.5-0500 token issued",
            "2026-12-03 08:50:39,123 INFO werkzeug: token issued",
            "[2026-12-03 08:50:39,123] INFO in app: token issued",
            "127.0.0.1 - - [03/Dec/2026:08:50:39 +0000] \"GET /?token=x HTTP/1.1\" 200 2",
            "10.0.0.1 - alice [03/Dec/2026:09:50:39 +0100] \"GET / HTTP/1.1\" 200 2",
            "Dec  3 08:50:39 web1 app[42]: token issued",
            r#"{"level":30,"time":1796287839000,"msg":"token issued"}"#,
            r#"{"timestamp": 1796287839, "message": "token issued"}"#,
            r#"{"ts":"2026-12-03T08:50:39.000Z","event":"token issued"}"#,
        ] {
            assert_eq!(line_time(line.as_bytes(), now), Some(T), "{line}");
        }
    }

    #[test]
    fn lines_without_a_time_have_none() {
        for line in [
            "token issued at startup",
            "GET /health 200",
            "2026-13-03 08:50:39 month thirteen",
            "2026-12-03 25:50:39 hour twenty-five",
            r#"{"msg":"no time here"}"#,
            "Decimal 3 08:50:39",
            "",
        ] {
            assert_eq!(line_time(line.as_bytes(), T), None, "{line}");
        }
    }

    #[test]
    fn syslog_lines_take_the_year_that_puts_them_in_the_past() {
        let jan_2027 = epoch(2027, 1, 2).unwrap();
        let got = line_time(b"Dec 31 23:00:00 host app: x", jan_2027).unwrap();
        assert_eq!(got, epoch(2026, 12, 31).unwrap() + 23 * 3600);
        assert_eq!(civil_year(T), 2026);
        assert_eq!(civil_year(epoch(2000, 2, 29).unwrap()), 2000);
    }
}
