//! `tokenscrub scan`: report leaks in files, directories, `.gz` archives, stdin and CloudWatch
//! subscription payload files, without rewriting anything.
//!
//! Inputs are read here; finding secrets is the engine's job. Findings are printed as a human
//! summary, JSON lines (the same record as `--report` and the Lambda's findings) or SARIF.

use crate::sarif;
use crate::verify;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokenscrub::jwt::TokenStatus;
use tokenscrub::{
    Engine, FingerprintKey, MaskStyle, Masker, Redactor, Severity, StreamOptions, redact_stream,
};
use tokenscrub_report::cloudwatch;
use tokenscrub_report::record::{EventTime, FindingRecord};

/// Payload files larger than this are scanned as text.
const MAX_PAYLOAD_FILE: u64 = 64 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Format {
    /// A summary by rule: counts, distinct secrets, first and last seen, one masked example
    Human,
    /// One JSON finding per line (never the secret)
    Jsonl,
    /// SARIF 2.1.0, for code-scanning UIs
    Sarif,
}

pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// CloudWatch log groups to read, if any.
    pub logs: crate::logs::LogQuery,
    pub format: Format,
    pub min_severity: Severity,
    pub progress: bool,
    /// Check AWS key pairs found in files with STS (see [`crate::verify`]).
    pub verify: bool,
    /// Files in directories that are not read (`--exclude`).
    pub exclude: globset::GlobSet,
    /// Fingerprints not to report (`--baseline`, the ignore file).
    pub known: HashSet<String>,
}

/// `--exclude` patterns, matched against a file's path below the scanned directory and its name.
pub fn exclude_set(patterns: &[String]) -> Result<globset::GlobSet, String> {
    let mut set = globset::GlobSetBuilder::new();
    for p in patterns {
        let glob = globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("--exclude {p}: {}", e.kind()))?;
        set.add(glob);
    }
    set.build().map_err(|e| format!("--exclude: {e}"))
}

/// The fingerprints of an earlier `--format jsonl` output. A line that is no finding is an
/// error naming the file and line (never its text).
pub fn read_baseline(path: &Path) -> Result<HashSet<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    let mut out = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fingerprint = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("fingerprint")?.as_str().map(str::to_string))
            .ok_or_else(|| {
                format!(
                    "--baseline {}: line {}: not a finding of `scan --format jsonl`",
                    path.display(),
                    n + 1
                )
            })?;
        out.insert(fingerprint);
    }
    Ok(out)
}

/// The fingerprints of an ignore file: one a line, `#` starts a comment, blank lines skipped.
pub fn read_ignore_file(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let fingerprint = line.split('#').next().unwrap_or_default().trim();
        if fingerprint.is_empty() {
            continue;
        }
        if fingerprint.len() != 16 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{}: line {}: not a fingerprint (16 hex digits, as a finding's `fingerprint`)",
                path.display(),
                n + 1
            ));
        }
        out.insert(fingerprint.to_ascii_lowercase());
    }
    Ok(out)
}

/// What a scan found, and what it could not read.
pub struct Outcome {
    pub findings: usize,
    pub errors: usize,
}

struct Scan<'a, W: Write> {
    engine: &'a Engine,
    key: FingerprintKey,
    opts: &'a ScanOptions,
    out: W,
    records: Vec<FindingRecord>,
    findings: usize,
    /// Findings not reported: their fingerprint is known.
    known: usize,
    errors: usize,
    files: usize,
    bytes: u64,
    progress: Option<Progress>,
}

pub fn run<W: Write>(engine: &Engine, opts: &ScanOptions, out: W) -> io::Result<Outcome> {
    // Every output format carries fingerprints: a random key is said on stderr.
    let key = crate::fingerprint_key(engine, true);
    let progress = (opts.progress && io::stderr().is_terminal())
        .then(|| Progress::new(total_size(&opts.paths, &opts.exclude)));
    let mut scan = Scan {
        engine,
        key,
        opts,
        out,
        records: Vec::new(),
        findings: 0,
        known: 0,
        errors: 0,
        files: 0,
        bytes: 0,
        progress,
    };
    let paths = if opts.paths.is_empty() && opts.logs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        opts.paths.clone()
    };
    for p in &paths {
        scan.path(p, None)?;
    }
    if !opts.logs.is_empty() {
        scan.log_groups()?;
    }
    if let Some(p) = scan.progress.as_mut() {
        p.clear();
    }
    if scan.known > 0 {
        eprintln!(
            "tokenscrub: {} finding(s) not reported: their fingerprint is in the baseline or \
             the ignore file",
            scan.known
        );
    }
    match opts.format {
        Format::Jsonl => {}
        Format::Human => write_summary(&mut scan.out, &scan.records, scan.files, scan.bytes)?,
        Format::Sarif => sarif::write(&mut scan.out, engine, &scan.records)?,
    }
    scan.out.flush()?;
    Ok(Outcome {
        findings: scan.findings,
        errors: scan.errors,
    })
}

impl<W: Write> Scan<'_, W> {
    fn fail(&mut self, what: &Path, msg: impl std::fmt::Display) {
        self.errors += 1;
        eprintln!("tokenscrub: {}: {msg}", what.display());
    }

    /// One path: given (`root` None), or found in the directory `root`.
    fn path(&mut self, path: &Path, root: Option<&Path>) -> io::Result<()> {
        if let Some(root) = root {
            let below = path.strip_prefix(root).unwrap_or(path);
            let name = path.file_name().map(Path::new).unwrap_or(below);
            if self.opts.exclude.is_match(below) || self.opts.exclude.is_match(name) {
                return Ok(());
            }
        }
        if path.as_os_str() == "-" {
            return self.input(path, Box::new(io::stdin().lock()));
        }
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.fail(path, e);
                return Ok(());
            }
        };
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    self.fail(path, e);
                    return Ok(());
                }
            };
            entries.sort();
            for e in entries {
                self.path(&e, Some(root.unwrap_or(path)))?;
            }
            return Ok(());
        }
        if meta.file_type().is_symlink() && path.is_dir() {
            return Ok(()); // a directory link could loop; files behind links are read
        }
        match File::open(path) {
            Ok(f) => {
                if path.extension().is_some_and(|e| e == "gz") {
                    self.input(path, Box::new(flate2::read::MultiGzDecoder::new(f)))
                } else {
                    self.input(path, Box::new(f))
                }
            }
            Err(e) => {
                self.fail(path, e);
                Ok(())
            }
        }
    }

    /// One input: a CloudWatch payload document (or one per line), else text.
    fn input(&mut self, path: &Path, reader: Box<dyn Read + '_>) -> io::Result<()> {
        self.files += 1;
        let name = path.display().to_string();
        let mut r = BufReader::with_capacity(256 * 1024, reader);
        let starts_json = match r.fill_buf() {
            Ok(head) => head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
            Err(e) => {
                self.fail(path, e);
                return Ok(());
            }
        };
        if starts_json {
            let mut whole = Vec::new();
            if let Err(e) = r
                .by_ref()
                .take(MAX_PAYLOAD_FILE + 1)
                .read_to_end(&mut whole)
            {
                self.fail(path, e);
                return Ok(());
            }
            if whole.len() as u64 <= MAX_PAYLOAD_FILE && self.payloads(&name, &whole)? {
                self.bytes += whole.len() as u64;
                return Ok(());
            }
            return self.text(path, &name, Box::new(io::Cursor::new(whole).chain(r)));
        }
        self.text(path, &name, Box::new(r))
    }

    /// Scan `bytes` as one payload document or as one payload per line; false if it is neither.
    /// A document (or a line) that says it is a payload and does not decode is an error,
    /// reported by what is wrong (never its content); the file counts as done.
    fn payloads(&mut self, name: &str, bytes: &[u8]) -> io::Result<bool> {
        let docs: Vec<cloudwatch::LogsPayload> = match cloudwatch::decode(bytes) {
            Ok(p) => vec![p],
            // One document that parses and says it is a payload (a file of several lines,
            // one payload each, is read line by line below).
            Err(e)
                if serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
                    && cloudwatch::claims_to_be_payload(bytes) =>
            {
                self.fail(
                    Path::new(name),
                    format_args!("not a readable CloudWatch Logs payload: {e}"),
                );
                return Ok(true);
            }
            Err(_) => {
                // One payload per line: once a line is one (or says it is), every line must
                // be; the others are reported, the good ones still scanned.
                let mut docs = Vec::new();
                let mut bad = Vec::new();
                for (n, line) in bytes
                    .split(|&b| b == b'\n')
                    .enumerate()
                    .filter(|(_, l)| !l.trim_ascii().is_empty())
                {
                    match cloudwatch::decode(line) {
                        Ok(p) => docs.push(p),
                        Err(e)
                            if !docs.is_empty()
                                || !bad.is_empty()
                                || cloudwatch::claims_to_be_payload(line) =>
                        {
                            bad.push((n + 1, e));
                        }
                        Err(_) => return Ok(false),
                    }
                }
                for (n, e) in bad {
                    self.fail(
                        Path::new(name),
                        format_args!("line {n}: not a readable CloudWatch Logs payload: {e}"),
                    );
                }
                docs
            }
        };
        let masker = Masker::new(MaskStyle::Label, self.key.clone());
        for doc in &docs {
            let mut parts = verify::EventParts::default();
            let mut records = if self.opts.verify {
                cloudwatch::payload_findings_with_secrets(self.engine, &masker, doc, &mut |r, s| {
                    parts.add(r, s)
                })
            } else {
                cloudwatch::payload_findings(self.engine, &masker, doc)
            };
            self.verify(name, &parts.found, &mut records);
            for mut rec in records {
                rec.file = Some(name.to_string());
                self.record(rec)?;
            }
        }
        Ok(true)
    }

    fn text(&mut self, path: &Path, name: &str, reader: Box<dyn Read + '_>) -> io::Result<()> {
        let engine = self.engine;
        let mut redactor = Redactor::new(engine, Masker::new(MaskStyle::Label, self.key.clone()));
        let key = self.key.clone();
        let when = EventTime::of_line_now();
        let mut found: Vec<FindingRecord> = Vec::new();
        let mut aws_parts: Vec<verify::Found> = Vec::new();
        let verifying = self.opts.verify;
        let live = std::cell::Cell::new(self.findings);
        let mut counted = CountingReader {
            inner: reader,
            bytes: 0,
            progress: self.progress.as_mut(),
            base: self.bytes,
            findings: &live,
        };
        let result = redact_stream(
            &mut redactor,
            &mut counted,
            &mut io::sink(),
            StreamOptions::default(),
            &mut |f| {
                let mut rec = FindingRecord::from_stream(engine, &key, f, when);
                rec.file = Some(name.to_string());
                if verifying && let Some(part) = verify::Part::of_rule(&rec.rule) {
                    aws_parts.push(verify::Found {
                        part,
                        line: f.line_number,
                        value: String::from_utf8_lossy(f.secret).into_owned(),
                        record: found.len(),
                    });
                }
                found.push(rec);
                live.set(live.get() + 1);
            },
        );
        self.bytes += counted.bytes;
        if let Err(e) = result {
            self.fail(path, e);
        }
        self.verify(name, &aws_parts, &mut found);
        for rec in found {
            self.record(rec)?;
        }
        Ok(())
    }

    /// Events from CloudWatch log groups, scanned as they arrive.
    fn log_groups(&mut self) -> io::Result<()> {
        let mut scanner = self.engine.scanner();
        let masker = Masker::new(MaskStyle::Label, self.key.clone());
        let mut records = Vec::new();
        let mut events = 0u64;
        // With --verify, the records wait for the end of the read: a key's secret may come in a
        // later event.
        let verifying = self.opts.verify;
        let mut parts = verify::EventParts::default();
        let mut held = Vec::new();
        let result = crate::logs::fetch(&self.opts.logs, &mut |group, stream, event| {
            let source = cloudwatch::EventSource {
                log_group: group,
                log_stream: stream,
                event: &event,
            };
            if verifying {
                cloudwatch::redact_event_with_secrets(
                    &mut scanner,
                    &masker,
                    &source,
                    &mut held,
                    &mut |r, s| parts.add(r, s),
                );
            } else {
                cloudwatch::redact_event(&mut scanner, &masker, &source, &mut records);
            }
            self.bytes += event.message.len() as u64;
            events += 1;
            for rec in records.drain(..) {
                self.record(rec)?;
            }
            if let Some(p) = self.progress.as_mut() {
                p.update_events(events, self.bytes, self.findings);
            }
            Ok(())
        });
        match result {
            Ok(n) => self.files += usize::from(n > 0),
            Err(e) => {
                self.errors += 1;
                eprintln!("tokenscrub: {e}");
            }
        }
        if verifying {
            self.verify("log groups", &parts.found, &mut held);
            for rec in held {
                self.record(rec)?;
            }
        }
        Ok(())
    }

    /// Ask STS about the AWS key pairs among an input's findings and mark their records.
    fn verify(&mut self, name: &str, parts: &[verify::Found], records: &mut [FindingRecord]) {
        let pairs = verify::pairs(parts);
        if pairs.is_empty() {
            return;
        }
        let keys: Vec<verify::Pair> = pairs.iter().map(|(p, _)| p.clone()).collect();
        match verify::check(&keys, self.opts.logs.endpoint_url.as_deref()) {
            Ok(verdicts) => {
                let errors = verdicts
                    .iter()
                    .filter(|v| **v == verify::Verdict::Error)
                    .count();
                if errors > 0 {
                    eprintln!(
                        "tokenscrub: {name}: {errors} of {} AWS key(s) could not be verified \
                         (STS did not answer): marked \"error\"",
                        verdicts.len()
                    );
                }
                for ((_, indices), verdict) in pairs.iter().zip(&verdicts) {
                    for &i in indices {
                        verify::mark(&mut records[i], verdict);
                    }
                }
            }
            Err(e) => {
                self.errors += 1;
                eprintln!("tokenscrub: {name}: AWS keys not verified: {e}");
            }
        }
    }

    fn record(&mut self, rec: FindingRecord) -> io::Result<()> {
        // The record's own severity: a token's follows its status.
        if rec.severity < self.opts.min_severity {
            return Ok(());
        }
        if self.opts.known.contains(&rec.fingerprint) {
            self.known += 1;
            return Ok(());
        }
        self.findings += 1;
        match self.opts.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, &rec)?;
                self.out.write_all(b"\n")?;
            }
            Format::Human | Format::Sarif => self.records.push(rec),
        }
        Ok(())
    }
}

/// Counts bytes for the totals and the progress line.
struct CountingReader<'p, R> {
    inner: R,
    bytes: u64,
    progress: Option<&'p mut Progress>,
    base: u64,
    /// Findings so far, counted as they are found.
    findings: &'p std::cell::Cell<usize>,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if let Some(p) = self.progress.as_mut() {
            p.update(self.base + self.bytes, self.findings.get());
        }
        Ok(n)
    }
}

/// The bytes the paths hold, when that is what a scan reads: regular files and directories
/// only (stdin, a log group, a `.gz` file, whose size is not what is read, leave it unknown).
fn total_size(paths: &[PathBuf], exclude: &globset::GlobSet) -> Option<u64> {
    fn walk(path: &Path, root: Option<&Path>, exclude: &globset::GlobSet) -> Option<u64> {
        if let Some(root) = root {
            let below = path.strip_prefix(root).unwrap_or(path);
            let name = path.file_name().map(Path::new).unwrap_or(below);
            if exclude.is_match(below) || exclude.is_match(name) {
                return Some(0);
            }
        }
        let meta = std::fs::symlink_metadata(path).ok()?;
        if meta.is_dir() {
            let mut sum = 0;
            for e in std::fs::read_dir(path).ok()? {
                sum += walk(&e.ok()?.path(), Some(root.unwrap_or(path)), exclude)?;
            }
            Some(sum)
        } else if meta.is_file() && path.extension().is_none_or(|e| e != "gz") {
            Some(meta.len())
        } else {
            None
        }
    }
    if paths.is_empty() {
        return None;
    }
    paths.iter().map(|p| walk(p, None, exclude)).sum()
}

/// A one-line progress display on stderr (only when it is a terminal).
struct Progress {
    start: Instant,
    last: Instant,
    /// The bytes to read, when known: the line then says how far, and how long is left.
    total: Option<u64>,
}

impl Progress {
    fn new(total: Option<u64>) -> Progress {
        let now = Instant::now();
        Progress {
            start: now,
            last: now,
            total,
        }
    }

    /// Redraw the line, at most five times a second; `text` gets the seconds elapsed.
    fn show(&mut self, text: impl FnOnce(f64) -> String) {
        if self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        eprint!(
            "\r\x1b[K{}",
            text(self.start.elapsed().as_secs_f64().max(1e-3))
        );
    }

    fn update(&mut self, bytes: u64, findings: usize) {
        let total = self.total;
        self.show(|secs| progress_text(bytes, total, secs, findings));
    }

    fn update_events(&mut self, events: u64, bytes: u64, findings: usize) {
        let mb = bytes as f64 / 1e6;
        self.show(|secs| {
            format!(
                "{events} event(s), {mb:.1} MB at {:.0} events/s, {findings} finding(s) so far",
                events as f64 / secs
            )
        });
    }

    fn clear(&mut self) {
        eprint!("\r\x1b[K");
    }
}

/// The progress line: how much was read, how fast, and with a known total how far along and
/// how long is left.
fn progress_text(bytes: u64, total: Option<u64>, secs: f64, findings: usize) -> String {
    let mb = bytes as f64 / 1e6;
    let rate = mb / secs;
    match total {
        Some(t) if t > 0 && bytes <= t => {
            let left = (t - bytes) as f64 / 1e6 / rate.max(1e-9);
            format!(
                "scanned {mb:.1} of {:.1} MB ({:.0}%) at {rate:.0} MB/s, about {left:.0} s left, \
                 {findings} finding(s) so far",
                t as f64 / 1e6,
                bytes as f64 * 100.0 / t as f64
            )
        }
        _ => format!("scanned {mb:.1} MB at {rate:.0} MB/s, {findings} finding(s) so far"),
    }
}

/// Where a finding is, for people: `file:line`, and for a CloudWatch event its time, group
/// and event id.
fn place(r: &FindingRecord) -> String {
    let mut s = format!("{}:{}", r.file.as_deref().unwrap_or("-"), r.line);
    if let (Some(group), Some(ts)) = (&r.log_group, r.timestamp) {
        s = format!("{} {group}", iso8601(ts));
        if let Some(id) = &r.event_id {
            s.push_str(&format!(" event {id} line {}", r.line));
        }
        if let Some(file) = &r.file {
            s.push_str(&format!(" (in {file})"));
        }
    }
    s
}

/// `2026-11-22T14:19:41.736Z` from milliseconds since the epoch (proleptic Gregorian, UTC).
fn iso8601(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = tokenscrub::timestamp::civil_from_days(days);
    let secs = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms_of_day % 1000
    )
}

fn write_summary<W: Write>(
    out: &mut W,
    records: &[FindingRecord],
    files: usize,
    bytes: u64,
) -> io::Result<()> {
    struct Row<'a> {
        severity: Severity,
        count: usize,
        distinct: std::collections::BTreeSet<&'a str>,
        first: &'a FindingRecord,
        last: &'a FindingRecord,
    }
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for r in records {
        let row = rows.entry(&r.rule).or_insert_with(|| Row {
            severity: r.severity,
            count: 0,
            distinct: Default::default(),
            first: r,
            last: r,
        });
        // A rule's tokens may differ in severity (a live one, an expired one): the worst.
        row.severity = row.severity.max(r.severity);
        row.count += 1;
        row.distinct.insert(&r.fingerprint);
        row.last = r;
    }
    let distinct: std::collections::BTreeSet<(&str, &str)> = records
        .iter()
        .map(|r| (r.rule.as_str(), r.fingerprint.as_str()))
        .collect();
    writeln!(
        out,
        "tokenscrub scan: {} finding(s) of {} distinct secret(s) in {} input(s), {:.1} MB",
        records.len(),
        distinct.len(),
        files,
        bytes as f64 / 1e6
    )?;
    if let Some(line) = status_line(records) {
        writeln!(out, "{line}")?;
    }
    if let Some(line) = verified_line(records) {
        writeln!(out, "{line}")?;
    }
    let mut ordered: Vec<(&&str, &Row)> = rows.iter().collect();
    ordered.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    for (rule, row) in ordered {
        writeln!(out)?;
        writeln!(
            out,
            "{rule} ({}): {} finding(s), {} distinct",
            row.severity,
            row.count,
            row.distinct.len()
        )?;
        writeln!(out, "  first seen  {}", place(row.first))?;
        writeln!(out, "  last seen   {}", place(row.last))?;
        writeln!(out, "  example     {}", row.first.excerpt.trim())?;
    }
    Ok(())
}

/// `tokens: 3 live, 1 unsigned, 8 expired`: the findings whose token state is known, by state
/// (worst first); `None` when there are none.
fn status_line(records: &[FindingRecord]) -> Option<String> {
    let mut by_status: BTreeMap<TokenStatus, usize> = BTreeMap::new();
    for status in records.iter().filter_map(|r| r.status) {
        *by_status.entry(status).or_default() += 1;
    }
    if by_status.is_empty() {
        return None;
    }
    let order = [
        TokenStatus::Unsigned,
        TokenStatus::Live,
        TokenStatus::NoExpiry,
        TokenStatus::Expired,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|s| by_status.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    Some(format!("tokens: {}", parts.join(", ")))
}

/// `verified: 1 live, 2 invalid`: the findings `--verify` asked about, by answer; `None` when
/// there are none.
fn verified_line(records: &[FindingRecord]) -> Option<String> {
    let mut by_answer: BTreeMap<&str, usize> = BTreeMap::new();
    for answer in records.iter().filter_map(|r| r.verified.as_deref()) {
        *by_answer.entry(answer).or_default() += 1;
    }
    let parts: Vec<String> = ["live", "invalid", "error"]
        .iter()
        .filter_map(|a| by_answer.get(a).map(|n| format!("{n} {a}")))
        .collect();
    (!parts.is_empty()).then(|| format!("verified: {}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::{iso8601, progress_text};

    #[test]
    fn progress_says_how_far_when_the_total_is_known() {
        assert_eq!(
            progress_text(25_000_000, Some(100_000_000), 1.0, 3),
            "scanned 25.0 of 100.0 MB (25%) at 25 MB/s, about 3 s left, 3 finding(s) so far"
        );
        assert_eq!(
            progress_text(25_000_000, None, 1.0, 0),
            "scanned 25.0 MB at 25 MB/s, 0 finding(s) so far"
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_795_357_181_736), "2026-11-22T14:19:41.736Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
