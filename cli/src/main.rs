//! `tokenscrub`: a stdin/stdout filter that masks leaked credentials in logs.
//!
//! This binary is thin: it parses arguments, opens files, and prints reports. Everything that
//! decides what a secret is lives in the `tokenscrub` engine crate.

mod logs;
mod payloads;
mod sarif;
mod scan;
mod verify;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokenscrub::{
    Config, Engine, FingerprintKey, MaskStyle, Masker, Redactor, Severity, StreamError,
    StreamOptions, redact_stream,
};
use tokenscrub_report::record::{EventTime, FindingRecord};

const EXAMPLES: &str = "\
Examples:
  app 2>&1 | tokenscrub | vector --config vector.toml
  tail -f /var/log/app.log | tokenscrub --mask hash
  tokenscrub --stats --report leaks.jsonl app.log > app.redacted.log
  tokenscrub --fail-on-leak < build.log > /dev/null    # exit 1 if anything leaked
  tokenscrub rules                                     # list the rule catalog
  tokenscrub scan /var/log/app/ archive.log.gz         # report leaks, rewrite nothing

Config: the first of --config FILE, TOKENSCRUB_CONFIG (a TOML file's path, or the TOML
itself), ./.tokenscrub.toml, $XDG_CONFIG_HOME/tokenscrub/config.toml (~/.config/...).

Environment:
  TOKENSCRUB_HMAC_KEY   key of the --mask hash fingerprints (else `hmac_key` in the config;
                        else a random key per run, and fingerprints only correlate within it)
  TOKENSCRUB_CONFIG     the config, when --config is not given";

const SCAN_EXAMPLES: &str = "\
Examples:
  tokenscrub scan /var/log/app/ archive.log.gz        # a summary by rule
  tokenscrub scan --format jsonl app.log > findings.jsonl
  tokenscrub scan --baseline findings.jsonl app.log   # only leaks not reported before
  tokenscrub scan --exclude '*.gz' --exclude 'debug/**' /var/log/app/
  tokenscrub scan --format sarif . > tokenscrub.sarif
  tokenscrub scan --log-group-prefix /aws/lambda/ --since 24h
  kubectl logs deploy/api | tokenscrub scan

Exit code: 0 no findings, 1 findings, 2 errors (an unreadable path is named and skipped).
Fingerprints are keyed with TOKENSCRUB_HMAC_KEY (or the config's hmac_key): set one to
compare runs, as --baseline and .tokenscrubignore do.";

const RULES_EXAMPLES: &str = "\
Examples:
  tokenscrub rules                         # id, severity, kind, family, description
  tokenscrub rules --format json | jq '.[] | select(.severity == \"critical\") | .id'
  tokenscrub rules --check --config my-rules.toml";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  tokenscrub completions bash > ~/.local/share/bash-completion/completions/tokenscrub
  tokenscrub completions zsh > ~/.zfunc/_tokenscrub      # with fpath+=~/.zfunc
  tokenscrub completions fish > ~/.config/fish/completions/tokenscrub.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  tokenscrub man | man -l -
  tokenscrub man > /usr/local/share/man/man1/tokenscrub.1";

#[derive(Parser)]
#[command(
    name = "tokenscrub",
    version,
    about = "Mask leaked credentials (tokens, keys, passwords, cookies) in log streams.",
    long_about = "Reads logs on stdin (or FILEs) and writes them to stdout with every secret \
                  masked. Everything else is copied byte for byte: same lines, same line \
                  endings, invalid UTF-8 and binary passed through.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Files to read instead of stdin (`-` is stdin).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,

    /// How secrets are replaced.
    #[arg(long, value_enum, default_value_t = MaskArg::Label)]
    mask: MaskArg,

    /// TOML config: extra rules, disabled rules, allowlists, extra key names, HMAC key.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Disable a rule by id (repeatable); see `tokenscrub rules`.
    #[arg(long, value_name = "RULE")]
    disable: Vec<String>,

    /// Print counts by rule on stderr at the end.
    #[arg(long)]
    stats: bool,

    /// Write one JSON line per finding (rule, severity, line, column, fingerprint, masked
    /// excerpt; never the secret) to FILE; `-` writes them to stdout instead of the masked
    /// text.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Exit 1 when anything was masked (2 is kept for errors).
    #[arg(long)]
    fail_on_leak: bool,

    /// What the input is: log text, or CloudWatch Logs subscription payloads (one JSON
    /// document or one per line), written back in the same form with every message masked.
    #[arg(long, value_enum, default_value_t = InputArg::Text)]
    input: InputArg,

    /// Lines longer than this many bytes are scanned in overlapping windows (64 KiB to
    /// 64 MiB: the window is held in memory).
    #[arg(long, value_name = "BYTES", default_value_t = tokenscrub::stream::DEFAULT_MAX_LINE,
          value_parser = max_line_bytes)]
    max_line: usize,

    /// Scan on N threads; the output keeps the input's order. Default: one per core when
    /// every input is a regular file, else 1 (a pipe keeps line-by-line latency: with N > 1
    /// it is read in 1 MiB chunks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// What the filter keeps of each finding: the whole record when a report is written, else
/// only the rule (for --stats).
enum Found {
    Record(Box<FindingRecord>),
    Rule(tokenscrub::RuleIndex),
}

#[derive(Subcommand)]
enum Command {
    /// Report leaks in files, directories (recursive), .gz files, stdin (`-`) and CloudWatch
    /// subscription payload files. Nothing is rewritten. Exit code: 0 no findings, 1
    /// findings, 2 errors.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// List the rule catalog (with --config: as configured), or check it.
    #[command(after_help = RULES_EXAMPLES)]
    Rules {
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Run every rule's examples and counterexamples (the built-in catalog's and the
        /// config's): each example must be found by its rule, no counterexample may be.
        /// Exit code: 0 all pass, 1 a failure (named by rule and example number).
        #[arg(long)]
        check: bool,
        /// `table`, or `json` (an array of rules; with --check, the check's result).
        #[arg(long, value_enum, default_value = "table")]
        format: RulesFormat,
    },
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    #[command(after_help = MAN_EXAMPLES)]
    Man,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RulesFormat {
    Table,
    Json,
}

/// `tokenscrub scan` arguments.
#[derive(clap::Args)]
struct ScanArgs {
    /// What to scan (default: stdin).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = scan::Format::Human)]
    format: scan::Format,
    /// Report only findings of at least this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    min_severity: SeverityArg,
    /// TOML config, as for the filter.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Disable a rule by id (repeatable).
    #[arg(long, value_name = "RULE")]
    disable: Vec<String>,
    /// Never show the progress line (it is only shown when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Report only findings whose fingerprint is not in FILE, an earlier `--format jsonl`
    /// output: a leak already known (rotated, or being dealt with) is not reported again.
    /// Needs a fixed fingerprint key (TOKENSCRUB_HMAC_KEY or the config's hmac_key).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Fingerprints not to report, one a line, each with a comment
    /// (`1a2b3c4d5e6f7a8b  # rotated 2026-12-01, INC-42`); default: ./.tokenscrubignore
    /// when there is one. Needs a fixed fingerprint key, as --baseline.
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// In directories, skip files whose path below the directory, or whose name, matches
    /// GLOB (repeatable: `*.gz`, `debug/**`, `**/fixtures/*`).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Read this CloudWatch log group (repeatable); credentials and region come from the
    /// standard AWS chain (environment, profile, instance role).
    #[arg(long, value_name = "NAME")]
    log_group: Vec<String>,
    /// Read every log group whose name starts with P (repeatable).
    #[arg(long, value_name = "P")]
    log_group_prefix: Vec<String>,
    /// Log groups: from this long ago (90s, 30m, 24h, 7d) or this UTC time
    /// (2026-11-22, 2026-11-22T14:00:00Z).
    #[arg(long, value_name = "WHEN", default_value = "24h")]
    since: String,
    /// Log groups: up to this time (same forms as --since; default now).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// Log groups: a CloudWatch filter pattern, applied by the service.
    #[arg(long, value_name = "PATTERN")]
    filter_pattern: Option<String>,
    /// The AWS endpoint for log groups and --verify (LocalStack, moto, VPC endpoints).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Ask AWS STS (GetCallerIdentity, which changes nothing) whether each AWS access key
    /// found with its secret access key (nearby lines or events) is live; each key once. Off
    /// by default: this sends the keys found to AWS (or to --endpoint-url).
    #[arg(long)]
    verify: bool,
    /// Log groups: events per FilterLogEvents page (1 to 10000; default: the service's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=10000))]
    page_size: Option<i32>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InputArg {
    /// Log lines
    Text,
    /// CloudWatch Logs subscription payloads ({"awslogs":{"data":…}} or decoded)
    Cloudwatch,
}

#[derive(Clone, Copy, ValueEnum)]
enum MaskArg {
    /// [REDACTED:rule-id]
    Label,
    /// **** and the last 4 characters; public prefixes stay
    Partial,
    /// [REDACTED:rule-id:1a2b3c4d], a keyed HMAC-SHA256 fingerprint
    Hash,
    /// one * per byte
    Stars,
}

impl From<MaskArg> for MaskStyle {
    fn from(m: MaskArg) -> MaskStyle {
        match m {
            MaskArg::Label => MaskStyle::Label,
            MaskArg::Partial => MaskStyle::Partial,
            MaskArg::Hash => MaskStyle::Hash,
            MaskArg::Stars => MaskStyle::Stars,
        }
    }
}

/// An error for the user: printed as `tokenscrub: …`, exit code 2.
struct Fail(String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(e.to_string())
    }
}

/// `--max-line`: bounded, since a window of that many bytes is held in memory (an unbounded
/// value let one 300 MB line take 623 MB).
fn max_line_bytes(s: &str) -> Result<usize, String> {
    const RANGE: std::ops::RangeInclusive<usize> = (64 << 10)..=(64 << 20);
    let n: usize = s
        .parse()
        .map_err(|_| format!("not a number of bytes: {s:?}"))?;
    if RANGE.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is outside {}..={} (64 KiB to 64 MiB)",
            RANGE.start(),
            RANGE.end()
        ))
    }
}

/// A panic's message may quote what it was handling (log text): only a fixed message (a
/// literal, an `expect`) is printed, with the place; a formatted one is withheld.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<&'static str>()
            .copied()
            .unwrap_or("(message withheld: it may quote the input)");
        eprintln!("tokenscrub: internal error{place}: {message}; please report it");
    }));
    // For the test of this hook only: a panic whose message quotes its "input".
    if let Some(v) = std::env::var_os("TOKENSCRUB_TEST_PANIC") {
        panic!("test panic with {}", v.to_string_lossy());
    }
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "tokenscrub", &mut text);
            write_stdout(&text)
        }
        Some(Command::Man) => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut text)
                .expect("rendering into memory");
            write_stdout(&text)
        }
        Some(Command::Rules {
            config,
            check,
            format,
        }) => {
            let config = config.as_ref().or(cli.config.as_ref());
            if *check {
                check_rules(config, *format)
            } else {
                list_rules(config, *format)
            }
        }
        Some(Command::Scan(args)) => log_query(args).and_then(|logs| {
            let opts = scan::ScanOptions {
                paths: args.paths.clone(),
                logs,
                format: args.format,
                min_severity: args.min_severity.into(),
                progress: !args.no_progress,
                verify: args.verify,
                exclude: scan::exclude_set(&args.exclude)?,
                known: Default::default(),
            };
            run_scan(opts, args, args.config.as_ref(), &args.disable)
        }),
        None => filter(&cli),
    };
    match result {
        Ok(code) => code,
        Err(Fail(msg)) => {
            eprintln!("tokenscrub: {msg}");
            ExitCode::from(2)
        }
    }
}

/// The config: `--config FILE`, else `TOKENSCRUB_CONFIG` (a file's path or the TOML itself, as
/// the Lambda reads it), else `./.tokenscrub.toml`, else
/// `$XDG_CONFIG_HOME/tokenscrub/config.toml` (`~/.config/tokenscrub/config.toml`), else the
/// built-in catalog alone. Returns the config and the name errors give it.
fn discover_config(flag: Option<&PathBuf>) -> Result<(Config, String), Fail> {
    let from_file = |p: &Path| -> Result<(Config, String), Fail> {
        let text = std::fs::read_to_string(p)
            .map_err(|e| Fail(format!("cannot read config {}: {e}", p.display())))?;
        let name = p.display().to_string();
        Ok((Config::from_toml(&text, &name)?, name))
    };
    if let Some(p) = flag {
        return from_file(p);
    }
    if let Some(v) = std::env::var("TOKENSCRUB_CONFIG")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return Ok((
            Config::from_setting(&v, "TOKENSCRUB_CONFIG")?,
            "TOKENSCRUB_CONFIG".into(),
        ));
    }
    let local = PathBuf::from(".tokenscrub.toml");
    if local.is_file() {
        return from_file(&local);
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(user) = xdg.map(|d| d.join("tokenscrub/config.toml"))
        && user.is_file()
    {
        return from_file(&user);
    }
    Ok((Config::default(), String::new()))
}

/// The closest of `candidates` to `typed`, if it is close enough to be a typo.
fn did_you_mean<'a>(typed: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(typed, c), c))
        .filter(|&(d, c)| d <= (c.len() / 4).clamp(1, 3))
        .min()
        .map(|(_, c)| c)
}

fn load_engine(config_path: Option<&PathBuf>, disable: &[String]) -> Result<Engine, Fail> {
    let (mut config, origin) = discover_config(config_path)?;
    if !disable.is_empty() {
        // Ids typed on the command line are named back (the config's are not: its text may
        // hold secrets); checked against every rule the config defines.
        let all = Engine::new(&config)?;
        if let Some(id) = disable
            .iter()
            .find(|id| !all.rules().iter().any(|r| &r.id == *id))
        {
            let hint = did_you_mean(id, all.rules().iter().map(|r| r.id.as_str()))
                .map(|c| format!("; did you mean {c}?"))
                .unwrap_or_default();
            return Err(Fail(format!(
                "--disable {id}: no such rule{hint} (see `tokenscrub rules`)"
            )));
        }
    }
    config.disable.extend(disable.iter().cloned());
    config.disable.sort();
    config.disable.dedup();
    Engine::new(&config).map_err(|e| {
        if origin.is_empty() {
            Fail(e.to_string())
        } else {
            Fail(format!("{origin}: {e}"))
        }
    })
}

fn list_rules(config: Option<&PathBuf>, format: RulesFormat) -> Result<ExitCode, Fail> {
    let engine = load_engine(config, &[])?;
    let text = match format {
        RulesFormat::Table => {
            let width = |f: fn(&tokenscrub::RuleInfo) -> usize| {
                engine.rules().iter().map(f).max().unwrap_or(0)
            };
            let (id_width, family_width) = (width(|r| r.id.len()), width(|r| r.family.len()));
            let mut text = String::new();
            for r in engine.rules() {
                text.push_str(&format!(
                    "{:id_width$}  {:8}  {:6}  {:family_width$}  {}\n",
                    r.id,
                    r.severity,
                    rule_kind(r),
                    r.family,
                    r.description
                ));
            }
            text
        }
        RulesFormat::Json => {
            let rules: Vec<serde_json::Value> = (engine.rules().iter().enumerate())
                .map(|(i, r)| {
                    let (examples, counterexamples) = engine.rule_examples(i);
                    serde_json::json!({
                        "id": r.id,
                        "kind": match r.kind {
                            tokenscrub::RuleKind::Shaped => "shaped",
                            tokenscrub::RuleKind::Keyed => "keyed",
                        },
                        "family": r.family,
                        "severity": r.severity.as_str(),
                        "description": r.description,
                        "keywords": r.keywords,
                        "examples": examples.len(),
                        "counterexamples": counterexamples.len(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rules).expect("JSON of strings and numbers") + "\n"
        }
    };
    write_stdout(text.as_bytes())
}

fn rule_kind(r: &tokenscrub::RuleInfo) -> &'static str {
    match r.kind {
        tokenscrub::RuleKind::Shaped => "token",
        tokenscrub::RuleKind::Keyed => "by key",
    }
}

/// `rules --check`: every rule's examples and counterexamples. A config's own rules are
/// already checked when it loads (a failure is a config error); this also runs the built-in
/// ones, as configured (an allowlist or extra key can change what they find).
fn check_rules(config: Option<&PathBuf>, format: RulesFormat) -> Result<ExitCode, Fail> {
    let engine = load_engine(config, &[])?;
    let failures = tokenscrub::self_check(&engine);
    let (examples, counterexamples) = (0..engine.rules().len())
        .map(|i| engine.rule_examples(i))
        .fold((0, 0), |(e, c), (ex, cx)| (e + ex.len(), c + cx.len()));
    let rules = engine.rules().len();
    let text = match format {
        RulesFormat::Table => {
            let mut text: String = failures.iter().map(|f| format!("{f}\n")).collect();
            text.push_str(&format!(
                "{}: {rules} rules, {examples} examples, {counterexamples} counterexamples, \
                 {} failures\n",
                if failures.is_empty() { "ok" } else { "FAILED" },
                failures.len()
            ));
            text
        }
        RulesFormat::Json => {
            let result = serde_json::json!({
                "rules": rules,
                "examples": examples,
                "counterexamples": counterexamples,
                "failures": failures,
            });
            serde_json::to_string_pretty(&result).expect("JSON of strings and numbers") + "\n"
        }
    };
    match write_stdout(text.as_bytes())? {
        code if code != ExitCode::SUCCESS => Ok(code),
        _ if failures.is_empty() => Ok(ExitCode::SUCCESS),
        _ => Ok(ExitCode::from(1)),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode, Fail> {
    match io::stdout().lock().write_all(bytes) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => quiet_on_broken_pipe(e),
    }
}

fn quiet_on_broken_pipe(e: io::Error) -> Result<ExitCode, Fail> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Fail(format!("writing output: {e}")))
    }
}

fn log_query(args: &ScanArgs) -> Result<logs::LogQuery, Fail> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Ok(logs::LogQuery {
        groups: args.log_group.clone(),
        prefixes: args.log_group_prefix.clone(),
        start_ms: logs::parse_time(&args.since, now).map_err(|e| Fail(format!("--since: {e}")))?,
        end_ms: args
            .until
            .as_deref()
            .map(|u| logs::parse_time(u, now))
            .transpose()
            .map_err(|e| Fail(format!("--until: {e}")))?,
        filter_pattern: args.filter_pattern.clone(),
        endpoint_url: args.endpoint_url.clone(),
        page_size: args.page_size,
    })
}

fn run_scan(
    mut opts: scan::ScanOptions,
    args: &ScanArgs,
    config: Option<&PathBuf>,
    disable: &[String],
) -> Result<ExitCode, Fail> {
    #[cfg(not(feature = "aws"))]
    if !opts.logs.is_empty() || opts.verify {
        return Err(Fail(logs::NO_AWS.into()));
    }
    let engine = load_engine(config, disable)?;
    let default_ignore = PathBuf::from(".tokenscrubignore");
    let ignore_file = args
        .ignore_file
        .as_ref()
        .or(default_ignore.is_file().then_some(&default_ignore));
    if args.baseline.is_some() || ignore_file.is_some() {
        if !fingerprint_key_is_fixed(&engine) {
            return Err(Fail(format!(
                "{} needs a fixed fingerprint key (TOKENSCRUB_HMAC_KEY, or hmac_key in the \
                 config): with a random one no fingerprint matches an earlier run's",
                if args.baseline.is_some() {
                    "--baseline".to_string()
                } else {
                    ignore_file.expect("checked").display().to_string()
                }
            )));
        }
        if let Some(b) = &args.baseline {
            opts.known.extend(scan::read_baseline(b).map_err(Fail)?);
        }
        if let Some(i) = ignore_file {
            opts.known.extend(scan::read_ignore_file(i).map_err(Fail)?);
        }
    }
    let reads_stdin = (opts.paths.is_empty() && opts.logs.is_empty())
        || opts.paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && io::stdin().is_terminal() {
        eprintln!(
            "tokenscrub: scanning log lines from the terminal; pipe logs in \
             (kubectl logs … | tokenscrub scan) or name paths; Ctrl-D ends"
        );
    }
    if opts.verify {
        // Said before anything is sent: --verify sends the keys found to this service.
        eprintln!(
            "tokenscrub: --verify: AWS access keys found with their secret will be \
             checked with AWS STS GetCallerIdentity at {}, each key once; nothing else is contacted",
            opts.logs
                .endpoint_url
                .as_deref()
                .unwrap_or("the AWS STS endpoint (us-east-1)")
        );
    }
    let outcome = match scan::run(&engine, &opts, io::stdout().lock()) {
        Ok(o) => o,
        Err(e) => return quiet_on_broken_pipe(e),
    };
    Ok(if outcome.errors > 0 {
        ExitCode::from(2)
    } else if outcome.findings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether fingerprints have a key that the next run has too.
fn fingerprint_key_is_fixed(engine: &Engine) -> bool {
    std::env::var_os("TOKENSCRUB_HMAC_KEY").is_some_and(|k| !k.is_empty())
        || engine.config_hmac_key().is_some()
}

/// The key of fingerprints: `TOKENSCRUB_HMAC_KEY`, else the config's `hmac_key`, else random
/// (said on stderr when `needed`).
pub(crate) fn fingerprint_key(engine: &Engine, needed: bool) -> FingerprintKey {
    if let Some(k) = std::env::var_os("TOKENSCRUB_HMAC_KEY").filter(|k| !k.is_empty()) {
        return FingerprintKey::new(k.as_encoded_bytes());
    }
    if let Some(k) = engine.config_hmac_key() {
        return FingerprintKey::new(k.as_bytes());
    }
    if needed {
        eprintln!(
            "tokenscrub: no HMAC key set (TOKENSCRUB_HMAC_KEY or hmac_key in --config): \
             using a random key, fingerprints only correlate within this run"
        );
    }
    FingerprintKey::random()
}

/// Whether every input (stdin for none or `-`) is a regular file, so that reading ahead costs
/// no latency.
fn inputs_are_files(files: &[PathBuf]) -> bool {
    let stdin_is_file = || {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .and_then(|fd| File::from(fd).metadata().ok())
                .is_some_and(|m| m.is_file())
        }
        #[cfg(not(unix))]
        false
    };
    if files.is_empty() {
        return stdin_is_file();
    }
    files.iter().all(|p| {
        if p.as_os_str() == "-" {
            stdin_is_file()
        } else {
            std::fs::metadata(p).is_ok_and(|m| m.is_file())
        }
    })
}

fn filter(cli: &Cli) -> Result<ExitCode, Fail> {
    // Everything that can be wrong with the setup is reported before any input is read.
    let engine = load_engine(cli.config.as_ref(), &cli.disable)?;
    let style: MaskStyle = cli.mask.into();
    let key = fingerprint_key(&engine, style == MaskStyle::Hash || cli.report.is_some());
    // `--report -`: the records go to stdout, and the masked text nowhere.
    let report_to_stdout = cli.report.as_ref().is_some_and(|p| p.as_os_str() == "-");
    let mut report: Option<BufWriter<Box<dyn Write>>> = match &cli.report {
        Some(_) if report_to_stdout => Some(BufWriter::new(Box::new(io::stdout()))),
        Some(p) => Some(BufWriter::new(Box::new(File::create(p).map_err(|e| {
            Fail(format!("cannot create report {}: {e}", p.display()))
        })?))),
        None => None,
    };
    let reads_stdin = cli.files.is_empty() || cli.files.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && io::stdin().is_terminal() {
        eprintln!(
            "tokenscrub: reading log lines from the terminal; pipe logs in \
             (app 2>&1 | tokenscrub) or name files (tokenscrub --help); Ctrl-D ends"
        );
    }
    // As `cat` does: a FILE that cannot be read is named on stderr and the others are still
    // filtered; the exit code says so at the end.
    let mut unreadable = false;
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    if cli.files.is_empty() {
        inputs.push(("-".into(), Box::new(io::stdin().lock())));
    } else {
        for p in &cli.files {
            if p.as_os_str() == "-" {
                inputs.push(("-".into(), Box::new(io::stdin().lock())));
                continue;
            }
            match File::open(p).and_then(|f| f.metadata().map(|m| (f, m))) {
                Ok((_, m)) if m.is_dir() => {
                    eprintln!("tokenscrub: {}: is a directory, skipped", p.display());
                    unreadable = true;
                }
                Ok((f, _)) => inputs.push((p.display().to_string(), Box::new(f))),
                Err(e) => {
                    eprintln!(
                        "tokenscrub: cannot open {}: {e}{}",
                        p.display(),
                        subcommand_hint(p)
                    );
                    unreadable = true;
                }
            }
        }
    }

    let opts = StreamOptions {
        max_line: cli.max_line,
        ..StreamOptions::default()
    };
    let mut stdout = Counted::new(if report_to_stdout {
        Output::Discard
    } else {
        Output::Stdout(io::stdout().lock())
    });
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = tokenscrub::StreamSummary::default();
    let mut report_error: Option<io::Error> = None;
    let mut closed = false;
    let wants_records = cli.report.is_some();
    let threads = match cli.threads {
        Some(n) => usize::from(n),
        None if inputs_are_files(&cli.files) => {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
        None => 1,
    };
    for (name, input) in inputs {
        let mut on_record = |mut rec: FindingRecord| {
            *by_rule.entry(rec.rule.clone()).or_default() += 1;
            if let (Some(w), None) = (report.as_mut(), report_error.as_ref()) {
                if name != "-" {
                    rec.file = Some(name.clone());
                }
                let line = serde_json::to_string(&rec).expect("a record serializes");
                if let Err(e) = writeln!(w, "{line}") {
                    report_error = Some(e);
                }
            }
        };
        let masker = Masker::new(style, key.clone());
        if cli.input == InputArg::Cloudwatch {
            let mut found = 0u64;
            let result = payloads::filter(&engine, &masker, input, &mut stdout, &mut |rec| {
                found += 1;
                on_record(rec);
            });
            match result {
                Ok(t) => {
                    // Each log event counts as a line of the stream.
                    total.findings += found;
                    total.lines += t.events;
                    total.bytes_in += t.bytes;
                }
                Err(payloads::PayloadError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                    total.findings += found;
                    closed = true;
                    break;
                }
                Err(payloads::PayloadError::Write(e)) => {
                    return Err(Fail(format!("writing output: {e}")));
                }
                Err(payloads::PayloadError::Read(e)) => {
                    return Err(Fail(format!("reading {name}: {e}")));
                }
                Err(payloads::PayloadError::Bad(e)) => {
                    return Err(Fail(format!("{name}: not a CloudWatch Logs payload: {e}")));
                }
            }
            continue;
        }
        let when = EventTime::of_line_now();
        let make = |f: &tokenscrub::StreamFinding<'_>| {
            // A record costs a fingerprint and an excerpt: only made when it is written.
            if wants_records {
                Found::Record(Box::new(FindingRecord::from_stream(&engine, &key, f, when)))
            } else {
                Found::Rule(f.rule)
            }
        };
        let mut counts: Vec<u64> = vec![0; engine.rules().len()];
        let mut found = 0u64;
        let mut on_found = |f: Found| {
            found += 1;
            match f {
                Found::Record(rec) => on_record(*rec),
                Found::Rule(rule) => counts[rule] += 1,
            }
        };
        let lines_before = stdout.lines;
        let mut input = Counted::new(input);
        let result = if threads > 1 {
            tokenscrub::redact_stream_parallel(
                &engine,
                &masker,
                &mut input,
                &mut stdout,
                opts,
                threads,
                &mut |f| on_found(make(f)),
            )
        } else {
            let mut redactor = Redactor::new(&engine, masker);
            redact_stream(&mut redactor, &mut input, &mut stdout, opts, &mut |f| {
                on_found(make(f))
            })
        };
        for (rule, n) in counts.into_iter().enumerate() {
            if n > 0 {
                *by_rule.entry(engine.rule(rule).id.clone()).or_default() += n;
            }
        }
        match result {
            Ok(s) => {
                total.lines += s.lines;
                total.bytes_in += s.bytes_in;
                total.findings += s.findings;
            }
            Err(StreamError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                // What was done before the reader went away.
                total.lines += stdout.lines - lines_before;
                total.bytes_in += input.bytes;
                total.findings += found;
                closed = true;
                break;
            }
            Err(StreamError::Read(e)) => {
                // What was read before the error is written; the next FILE goes on.
                eprintln!("tokenscrub: reading {name}: {e}");
                unreadable = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(w) = report.as_mut()
        && let Some(e) = report_error.or_else(|| w.flush().err())
    {
        return Err(Fail(format!("writing report: {e}")));
    }
    if cli.stats {
        let unit = if cli.input == InputArg::Cloudwatch {
            "log event(s)"
        } else {
            "line(s)"
        };
        print_stats(&total, &by_rule, unit);
    }
    let _ = closed;
    if unreadable {
        return Ok(ExitCode::from(2));
    }
    if cli.fail_on_leak && total.findings > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the masked text goes: stdout, or nowhere when stdout carries the report.
enum Output {
    Stdout(io::StdoutLock<'static>),
    Discard,
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::Discard => Ok(buf.len()),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.write_all(buf),
            Output::Discard => Ok(()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::Discard => Ok(()),
        }
    }
}

/// A FILE that is not there but is spelled like a subcommand (`tokenscrub scna`) was meant as
/// one: say which.
fn subcommand_hint(path: &Path) -> String {
    if path.exists() || path.components().count() != 1 {
        return String::new();
    }
    let typed = path.to_string_lossy();
    let command = Cli::command();
    did_you_mean(&typed, command.get_subcommands().map(|c| c.get_name()))
        .map(|c| format!(" (did you mean `tokenscrub {c}`?)"))
        .unwrap_or_default()
}

/// Counts the lines that reach the output, and the bytes read: when the reader of our output
/// goes away early (`| head`), `--stats` and `--fail-on-leak` still tell what was done.
struct Counted<T> {
    inner: T,
    lines: u64,
    bytes: u64,
}

impl<T> Counted<T> {
    fn new(inner: T) -> Self {
        Counted {
            inner,
            lines: 0,
            bytes: 0,
        }
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn print_stats(total: &tokenscrub::StreamSummary, by_rule: &BTreeMap<String, u64>, unit: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "tokenscrub: {} secret(s) masked in {} {unit}, {} byte(s)",
        total.findings, total.lines, total.bytes_in
    );
    let mut rows: Vec<_> = by_rule.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (rule, n) in rows {
        let _ = writeln!(err, "  {n:>8}  {rule}");
    }
}
