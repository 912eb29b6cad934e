//! The `tokenscrub` binary as a user runs it: pipes, files, flags, exit codes, errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tokenscrub"));
    // No key and no config of the user's (config discovery reads the environment).
    c.env_remove("TOKENSCRUB_HMAC_KEY")
        .env_remove("TOKENSCRUB_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent/tokenscrub-tests");
    c
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}

fn run(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SECRET: &str = "FAKE0123456789abcdefRT";
const LINE: &str = "{\"refresh_token\": \"FAKE0123456789abcdefRT\", \"user_id\": \"42\"}\r\n";

#[test]
fn filters_stdin_to_stdout() {
    let input = format!("start\n{LINE}\u{ff}bytes \u{1} end");
    let (code, out, err) = run(&[], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains(SECRET));
    assert_eq!(
        out,
        "start\n{\"refresh_token\": \"[REDACTED:token]\", \"user_id\": \"42\"}\r\n\u{ff}bytes \u{1} end"
    );
    assert!(err.is_empty(), "nothing on stderr by default: {err}");
}

#[test]
fn invalid_utf8_passes_through() {
    let input = b"ok \xff\xfe\x00 binary\npassword=FAKEpw0rd \xc3\x28\n";
    let (code, out, _) = run(&[], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        b"ok \xff\xfe\x00 binary\npassword=[REDACTED:password] \xc3\x28\n"
    );
}

#[test]
fn reads_files_in_order() {
    let (code, out, err) = run(
        &[testdata("sample.log").to_str().unwrap(), "-"],
        LINE.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    let sample = std::fs::read(testdata("sample.log")).unwrap();
    let lines_in = sample.iter().filter(|&&b| b == b'\n').count() + 1;
    let lines_out = out.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines_in, lines_out);
    assert!(
        String::from_utf8_lossy(&out).ends_with("\"[REDACTED:token]\", \"user_id\": \"42\"}\r\n")
    );
}

#[test]
fn an_unreadable_file_is_named_and_the_others_still_filtered() {
    let dir = tempdir();
    let log = dir.0.join("app.log");
    std::fs::write(&log, LINE).unwrap();
    let missing = dir.0.join("missing.log");
    let (code, out, err) = run(
        &[
            dir.0.to_str().unwrap(),
            missing.to_str().unwrap(),
            log.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is a directory") && err.contains("missing.log"),
        "{err}"
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        LINE.replace(SECRET, "[REDACTED:token]")
    );
}

#[test]
fn max_line_is_bounded() {
    for bad in ["18446744073709551615", "1000", "x"] {
        let (code, out, err) = run(&["--max-line", bad], LINE.as_bytes());
        assert_eq!(code, 2, "--max-line {bad}: {err}");
        assert!(out.is_empty() && err.contains("--max-line"), "{err}");
    }
    let (code, _, err) = run(&["--max-line", "65536"], LINE.as_bytes());
    assert_eq!(code, 0, "{err}");
}

#[test]
fn sample_secrets_are_all_masked() {
    // testdata/sample.log lists its fake secrets in testdata/sample.secrets, one per line.
    let (code, out, _) = run(&[testdata("sample.log").to_str().unwrap()], b"");
    assert_eq!(code, 0);
    let out = String::from_utf8(out).unwrap();
    let secrets = std::fs::read_to_string(testdata("sample.secrets")).unwrap();
    for s in secrets.lines().filter(|l| !l.is_empty()) {
        assert!(!out.contains(s), "a planted secret survived: {s}");
    }
}

#[test]
fn mask_styles() {
    let (_, out, _) = run(&["--mask", "stars"], LINE.as_bytes());
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains(&"*".repeat(SECRET.len()))
    );
    let (_, out, err) = run(&["--mask", "hash"], LINE.as_bytes());
    assert!(String::from_utf8(out).unwrap().contains("[REDACTED:token:"));
    assert!(
        err.contains("random key"),
        "a random fingerprint key is announced: {err}"
    );
    let mut with_key = bin();
    with_key.env("TOKENSCRUB_HMAC_KEY", "test-key");
    let a = with_key
        .args(["--mask", "hash", testdata("sample.log").to_str().unwrap()])
        .output()
        .unwrap();
    let b = bin()
        .env("TOKENSCRUB_HMAC_KEY", "test-key")
        .args(["--mask", "hash", testdata("sample.log").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout, "same key, same fingerprints");
    assert!(a.stderr.is_empty());
    let (code, _, err) = run(&["--mask", "bogus"], b"");
    assert_eq!(code, 2, "{err}");
}

#[test]
fn report_has_one_record_per_finding_and_no_secret() {
    let dir = tempdir();
    let report = dir.join("report.jsonl");
    let input = format!("a\n{LINE}password=FAKEpw0rd\n");
    let (code, _, err) = run(&["--report", report.to_str().unwrap()], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains(SECRET) && !text.contains("FAKEpw0rd"));
    let recs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["rule"], "token");
    assert_eq!(recs[0]["line"], 2);
    assert_eq!(recs[0]["column"], 20);
    assert_eq!(recs[0]["severity"], "high");
    assert_eq!(recs[0]["fingerprint"].as_str().unwrap().len(), 16);
    assert!(
        recs[0]["excerpt"]
            .as_str()
            .unwrap()
            .contains("[REDACTED:token]")
    );
    assert_eq!(recs[1]["rule"], "password");
    assert_eq!(recs[1]["line"], 3);
}

#[test]
fn stats_and_fail_on_leak() {
    let (code, _, err) = run(&["--stats", "--fail-on-leak"], LINE.as_bytes());
    assert_eq!(code, 1);
    assert!(
        err.contains("1 secret(s) masked") && err.contains("token"),
        "{err}"
    );
    let (code, out, _) = run(&["--fail-on-leak"], b"nothing to see\n");
    assert_eq!(code, 0);
    assert_eq!(out, b"nothing to see\n");
}

#[test]
fn bad_config_fails_before_reading_input() {
    let dir = tempdir();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "hmac_key = \"SUPERSECRETKEYVALUE\nnot toml").unwrap();
    // stdin is never closed: the error must come before any read.
    let mut child = bin()
        .args(["--config", cfg.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, err) = finish(&mut child);
    assert_eq!(status, 2, "exits without reading input: {err}");
    assert!(err.contains("bad.toml") && err.contains("line 1"), "{err}");
    assert!(
        !err.contains("SUPERSECRET"),
        "config text is never quoted: {err}"
    );

    let (code, _, err) = run(&["--disable", "no-such-rule"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rule"), "{err}");
    let (code, _, err) = run(&["/no/such/file.log"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.log"), "{err}");
}

#[test]
fn config_adds_keys_and_allowlists() {
    let dir = tempdir();
    let cfg = dir.join("cfg.toml");
    std::fs::write(
        &cfg,
        "disable = [\"jwt\"]\n[allowlist]\nvalues = [\"FAKEallowed0123456789\"]\n[extra_keys]\npassword = [\"pin_code\"]\n",
    )
    .unwrap();
    let input = "pin_code=FAKE9876\napi_key=FAKEallowed0123456789\n";
    let (code, out, err) = run(&["--config", cfg.to_str().unwrap()], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "pin_code=[REDACTED:password]\napi_key=FAKEallowed0123456789\n"
    );
}

#[test]
fn closed_stdout_ends_quietly() {
    let mut child = bin()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let sout = child.stdout.take().unwrap();
    let mut first = String::new();
    sin.write_all(b"first line\n").unwrap();
    BufReader::new(sout).read_line(&mut first).unwrap(); // drops the reader: stdout closed
    assert_eq!(first, "first line\n");
    write_until_closed(sin);
    let (status, err) = finish(&mut child);
    assert_eq!(status, 0, "{err}");
    assert!(err.is_empty(), "a closed pipe is not an error: {err}");
}

/// No path of ours prints a secret it handled: config errors, malformed payloads, unreadable
/// and directory FILEs, `--report`, `--stats`, `scan` in every format, a closed stdout, and
/// a panic. Each run gets planted secrets; none appears on stdout, stderr or in a report.
#[test]
fn no_secret_in_our_own_output() {
    const PW: &str = "FAKEpw0rdOwnOutput1";
    let dir = tempdir();
    let log = dir.join("app.log");
    std::fs::write(
        &log,
        format!("login password={PW}\nx-api-key: FAKEapiKeyOwnOutput0123\nok\n"),
    )
    .unwrap();
    let report = dir.join("report.jsonl");
    let sarif = dir.join("scan.sarif");
    let bad_cfg = dir.join("bad.toml");
    std::fs::write(&bad_cfg, format!("disable = \"{PW}\"\n")).unwrap();
    let bad_rule = dir.join("rule.toml");
    std::fs::write(
        &bad_rule,
        format!("[[rule]]\nid = \"x\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"x\"]\npattern = '({PW}'\n"),
    )
    .unwrap();
    let log_s = log.to_str().unwrap();
    let runs: Vec<(Vec<&str>, Vec<u8>)> = vec![
        (vec!["--config", bad_cfg.to_str().unwrap()], vec![]),
        (vec!["--config", bad_rule.to_str().unwrap()], vec![]),
        (
            vec!["--input", "cloudwatch"],
            format!("{{\"awslogs\":{{\"data\":\"!{PW}\"}}}}").into_bytes(),
        ),
        (
            vec!["--input", "cloudwatch"],
            format!("{{\"messageType\":\"DATA_MESSAGE\",\"x\":\"{PW}\"}}").into_bytes(),
        ),
        (
            vec![
                "--stats",
                "--report",
                report.to_str().unwrap(),
                "/no/such",
                dir.0.to_str().unwrap(),
                log_s,
            ],
            vec![],
        ),
        (
            vec!["--stats", "--mask", "hash"],
            std::fs::read(&log).unwrap(),
        ),
        (vec!["scan", "--format", "human", log_s], vec![]),
        (vec!["scan", "--format", "jsonl", log_s], vec![]),
        (vec!["scan", "--format", "sarif", log_s], vec![]),
        (
            vec!["scan", "--format", "jsonl", "-"],
            std::fs::read(&log).unwrap(),
        ),
    ];
    let leaked = |what: &str, text: &[u8]| {
        let text = String::from_utf8_lossy(text);
        assert!(
            !text.contains("FAKEpw0rdOwn") && !text.contains("FAKEapiKeyOwn"),
            "{what}: {text}"
        );
    };
    for (args, input) in &runs {
        let (_, out, err) = run(args, input);
        leaked(&format!("{args:?} stdout"), &out);
        leaked(&format!("{args:?} stderr"), err.as_bytes());
    }
    leaked("report", &std::fs::read(&report).unwrap());
    let out = bin()
        .args(["scan", "--format", "sarif", log_s])
        .output()
        .unwrap();
    std::fs::write(&sarif, &out.stdout).unwrap();
    leaked("sarif", &std::fs::read(&sarif).unwrap());
    // A panic's formatted message (which may quote input) is withheld.
    let out = bin()
        .env("TOKENSCRUB_TEST_PANIC", PW)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("internal error"), "{err}");
    leaked("panic", &out.stderr);
    // A closed stdout, with a report and stats.
    let mut child = bin()
        .args(["--stats", "--report", report.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    drop(child.stdout.take());
    for _ in 0..2000 {
        if sin
            .write_all(format!("password={PW}\n").as_bytes())
            .is_err()
        {
            break;
        }
    }
    drop(sin);
    let (_, err) = finish(&mut child);
    leaked("closed stdout stderr", err.as_bytes());
    leaked("closed stdout report", &std::fs::read(&report).unwrap());
}

/// When our reader goes away early, `--stats` counts what was done and `--fail-on-leak` still
/// says a leak was masked.
#[test]
fn stats_and_fail_on_leak_survive_a_closed_stdout() {
    let mut child = bin()
        .args(["--stats", "--fail-on-leak"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let sout = child.stdout.take().unwrap();
    let mut first = String::new();
    sin.write_all(b"login password=FAKEpw0rdClosed1\n").unwrap();
    BufReader::new(sout).read_line(&mut first).unwrap();
    assert_eq!(first, "login password=[REDACTED:password]\n");
    write_until_closed(sin);
    let (status, err) = finish(&mut child);
    assert_eq!(status, 1, "a leak was masked: {err}");
    let stats = err.lines().next().unwrap_or_default();
    assert!(
        stats.starts_with("tokenscrub: 1 secret(s) masked in "),
        "{err}"
    );
    assert!(
        !stats.contains(" in 0 line(s)") && !stats.ends_with(" 0 byte(s)"),
        "{err}"
    );
}

#[test]
fn each_line_is_written_as_soon_as_it_is_complete() {
    let mut child = bin()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let mut sout = BufReader::new(child.stdout.take().unwrap());
    for i in 0..3 {
        writeln!(sin, "line {i} password=FAKEpw0rd{i}").unwrap();
        sin.flush().unwrap();
        let mut got = String::new();
        sout.read_line(&mut got).unwrap(); // blocks until the filter flushes the line
        assert_eq!(got, format!("line {i} password=[REDACTED:password]\n"));
    }
    drop(sin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn rules_lists_the_catalog_and_help_shows_pipes() {
    let out = bin().arg("rules").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in [
        "aws-access-key-id",
        "jwt",
        "github-token",
        "private-key",
        "password",
        "cookie",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{text}"
        );
    }
    let help = bin().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("| tokenscrub |") && help.contains("--mask"),
        "{help}"
    );
}

/// Keep writing lines to a filter whose stdout was closed until it notices and exits (or 10 s
/// pass), then close its stdin.
fn write_until_closed(mut sin: std::process::ChildStdin) {
    let chunk = vec![b'x'; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if sin
            .write_all(&chunk)
            .and_then(|_| sin.write_all(b"\n"))
            .is_err()
        {
            break;
        }
    }
}

/// A scratch directory, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "tokenscrub-cli-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// Wait (at most 10 s, else kill and fail) for the child; its exit code and stderr.
fn finish(child: &mut std::process::Child) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tokenscrub did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

fn decode_payload(out: &[u8]) -> serde_json::Value {
    use base64::Engine as _;
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    let data = v["awslogs"]["data"]
        .as_str()
        .expect("an envelope comes back");
    let gz = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut json)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
fn cloudwatch_payloads_come_back_masked_in_the_same_form() {
    let dir = testdata("corpus/cloudwatch");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".truth.json") {
            continue;
        }
        let truth: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join(name.replace(".json", ".truth.json"))).unwrap(),
        )
        .unwrap();
        let (code, out, err) = run(&["--input", "cloudwatch"], &std::fs::read(&path).unwrap());
        assert_eq!(code, 0, "{name}: {err}");
        let payload = decode_payload(&out);
        assert_eq!(payload["messageType"], truth["messageType"]);
        let ids: Vec<&serde_json::Value> = payload["logEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["id"])
            .collect();
        let want: Vec<&serde_json::Value> = truth["event_ids"].as_array().unwrap().iter().collect();
        assert_eq!(ids, want, "{name}: same events in the same order");
        let messages: String = payload["logEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        for s in truth["secrets"].as_array().unwrap() {
            for f in s["fragments"].as_array().unwrap() {
                assert!(
                    !messages.contains(f.as_str().unwrap()),
                    "{name}: a {} survived",
                    s["kind"]
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn cloudwatch_input_keeps_decoded_json_and_one_payload_per_line() {
    let decoded = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/a","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"password=FAKEpw0rd1"}]}"#;
    let input = format!("{decoded}\n{decoded}\n");
    let (code, out, err) = run(&["--input", "cloudwatch"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 2);
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["logEvents"][0]["message"], "password=[REDACTED:password]");
        assert_eq!(v["logEvents"][0]["id"], "1");
    }
}

/// Payloads are read one at a time: a bad one is named by its number and left out, the good
/// ones after it still come back masked; a pretty-printed payload is read as one.
#[test]
fn payloads_are_streamed_and_a_bad_one_does_not_stop_the_others() {
    let decoded = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/a","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"password=FAKEpw0rd1"}]}"#;
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(decoded).unwrap())
            .unwrap();
    let input = format!("{decoded}\n{{\"awslogs\":{{\"data\":\"!!FAKEpw0rd2\"}}}}\n{pretty}\n");
    let (code, out, err) = run(&["--input", "cloudwatch"], input.as_bytes());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("payload 2") && !err.contains("FAKEpw0rd"),
        "{err}"
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(!out.contains("FAKEpw0rd"));
}

#[test]
fn a_bad_payload_is_an_error_that_quotes_nothing() {
    let (code, out, err) = run(
        &["--input", "cloudwatch"],
        br#"{"awslogs":{"data":"FAKEpw0rd!!"}}"#,
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("base64") && !err.contains("FAKEpw0rd"),
        "{err}"
    );
}

/// What `tokenscrub ARGS` writes for `file`, given as a FILE argument or as stdin.
fn filter_file(args: &[&str], file: &Path, as_stdin: bool) -> Vec<u8> {
    let mut cmd = bin();
    cmd.args(args);
    if as_stdin {
        cmd.stdin(std::fs::File::open(file).unwrap());
    } else {
        cmd.arg(file).stdin(Stdio::null());
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?} {}", file.display());
    out.stdout
}

/// Secrets found once, then repeated megabytes later (several chunks of the threaded reader):
/// bare, on lines with a keyword, and cut short.
fn repeats_megabytes_later() -> Vec<u8> {
    let pw = "FAKEpwRemembered0123456789";
    let tok = "FAKEtokAAAAbbbbCCCCdddd9999";
    let mut text = format!("login password={pw}\nx-api-key: {tok}\n").into_bytes();
    for round in 0..3 {
        for i in 0..40_000 {
            text.extend(format!("{round} GET /items/{i} 200 OK in 3 ms\n").as_bytes());
        }
        text.extend(format!("echo {pw} again\nuser=bob token=x {tok} code\n").as_bytes());
        text.extend(format!("cut {}...\nrepr '{}'+9\n", &pw[..20], &tok[..17]).as_bytes());
    }
    text
}

/// The threaded reader of a FILE writes what a pipe gets, byte for byte: on every corpus
/// file, and on a file whose secrets repeat megabytes later.
#[test]
fn a_file_and_a_pipe_give_the_same_bytes_whatever_the_threads() {
    let dir = tempdir();
    let generated = dir.join("repeats.log");
    std::fs::write(&generated, repeats_megabytes_later()).unwrap();
    let through_pipe = |file: &Path| run(&[], &std::fs::read(file).unwrap()).1;
    let expect = through_pipe(&generated);
    let shown = String::from_utf8_lossy(&expect);
    assert!(expect.len() > 3 << 20);
    assert!(!shown.contains("FAKEpwRemem") && !shown.contains("FAKEtokAAAA"));
    for (args, as_stdin) in [
        (&[][..], false),
        (&[][..], true),
        (&["--threads", "1"][..], false),
        (&["--threads", "2"][..], false),
        (&["--threads", "4"][..], false),
    ] {
        let out = filter_file(args, &generated, as_stdin);
        assert!(
            out == expect,
            "{args:?} stdin={as_stdin}: output differs from a pipe's"
        );
    }
    let mut corpus_files = Vec::new();
    for corpus in [
        "corpus", "corpus2", "corpus3", "corpus4", "corpus5", "corpus6", "corpus7", "corpus8",
    ] {
        for entry in std::fs::read_dir(testdata(corpus)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "log") {
                corpus_files.push(path);
            }
        }
    }
    assert!(corpus_files.len() > 20);
    for file in &corpus_files {
        let expect = through_pipe(file);
        for (args, as_stdin) in [(&[][..], false), (&["--threads", "4"][..], true)] {
            let out = filter_file(args, file, as_stdin);
            assert!(
                out == expect,
                "{}: {args:?} differs from a pipe",
                file.display()
            );
        }
    }
}

/// `--threads 2` on a file of several chunks: the same output, report and stats as one
/// thread, in the input's order; a regular file on stdin gets threads by default.
#[test]
fn threads_keep_the_output_and_report_of_one_thread() {
    let dir = tempdir();
    let mut big = Vec::new();
    for name in [
        "corpus/flask_accounts_debug.log",
        "corpus/express_orders_combined.log",
        "corpus/lambda_node_text.log",
    ] {
        big.extend(std::fs::read(testdata(name)).unwrap());
    }
    let one_copy = big.clone();
    while big.len() < 3 << 20 {
        big.extend_from_slice(&one_copy);
    }
    let input = dir.join("big.log");
    std::fs::write(&input, &big).unwrap();
    let mut results = Vec::new();
    for threads in [Some("1"), Some("2"), None] {
        let report = dir.join(&format!("report-{}.jsonl", threads.unwrap_or("auto")));
        let mut args = vec!["--stats", "--report", report.to_str().unwrap()];
        if let Some(t) = threads {
            args.extend(["--threads", t]);
        }
        let out = bin()
            .args(&args)
            .env("TOKENSCRUB_HMAC_KEY", "test-key")
            .stdin(std::fs::File::open(&input).unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let report = std::fs::read_to_string(&report).unwrap();
        results.push((out.stdout, report, String::from_utf8(out.stderr).unwrap()));
    }
    assert!(results[0].1.lines().count() > 100);
    assert_ne!(results[0].0, big, "something was masked");
    for other in &results[1..] {
        assert!(other.0 == results[0].0, "output differs");
        assert_eq!(other.1, results[0].1, "report differs");
        assert_eq!(other.2, results[0].2, "stats differ");
    }
    let (code, _, err) = run(&["--threads", "0"], b"");
    assert_eq!(code, 2, "{err}");
}

/// One line holding a stray BEGIN armour (a header value) must not hide the lines after it.
#[test]
fn a_stray_private_key_header_hides_nothing() {
    let input = "GET / user-agent=\"-----BEGIN RSA PRIVATE KEY-----\"\n\
                 Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789\n\
                 Cookie: session_id=Zk3qP9vX2mLr8TnW4yBc7HdJ\n";
    let (code, out, err) = run(&["--threads", "1"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 3);
    assert!(out.starts_with("GET / user-agent=\"-----BEGIN RSA PRIVATE KEY-----\"\n"));
    for secret in [
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "Zk3qP9vX2mLr8TnW4yBc7HdJ",
    ] {
        assert!(!out.contains(secret), "{out}");
    }
}

/// Other redactors' placeholders and our own masks come through byte-identical.
#[test]
fn placeholders_stay_byte_identical() {
    let input = "Authorization: Bearer [FILTERED]\n\
                 password: '[REDACTED]'\n\
                 token=<redacted>\n\
                 password=SecretStr('**********')\n\
                 api_key: ***\n\
                 {\"password\": \"[FILTERED]\"}\n\
                 Authorization: Bearer xxxxxxxxxxxx\n\
                 {\"refresh_token\": \"[REDACTED:token]\", \"url\": \"https://[REDACTED:url-token-user]@o1.ingest.sentry.io/2\"}\n";
    let (code, out, err) = run(&["--threads", "1"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8(out).unwrap(), input);
}

/// The README's config example, as a user copies it.
fn readme_config() -> String {
    let readme = std::fs::read_to_string(testdata("../README.md")).unwrap();
    let at = readme.find("## Configuration").unwrap();
    let block = &readme[at..];
    let start = block.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + block[start..].find("```").unwrap();
    block[start..end].to_string()
}

#[test]
fn rules_check_runs_every_example_and_the_readme_config_passes() {
    let dir = tempdir();
    let config = dir.join("tokenscrub.toml");
    std::fs::write(&config, readme_config()).unwrap();
    let config = config.to_str().unwrap();
    let (code, out, err) = run(&["rules", "--check", "--config", config], b"");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("ok: ") && out.contains(" 0 failures"),
        "{out}"
    );
    // Its allowlisted value is the whole token, public prefix included.
    let line = "key=AKIAFAKEALLOWED2KEYX other=AKIAFAKEEXAMPLE3KEYZ\n";
    let (code, out, _) = run(&["--config", config], line.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "key=AKIAFAKEALLOWED2KEYX other=AKIA[REDACTED:aws-access-key-id]\n"
    );
    // The rule finds what its example shows.
    let (_, out, _) = run(
        &["--config", config],
        b"ACME_KEY=acme_FAKEexampleFAKEexampleFAKEexampl\n",
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "ACME_KEY=acme_[REDACTED:acme-api-key]\n"
    );
}

#[test]
fn a_rule_that_misses_its_example_is_a_config_error_that_quotes_nothing() {
    let dir = tempdir();
    let config = dir.join("bad.toml");
    let secret = "acme_LIVEsecretLIVEsecretLIVEsecret99";
    std::fs::write(
        &config,
        format!(
            "[[rule]]\nid = \"acme\"\ndescription = \"d\"\nseverity = \"high\"\n\
             keywords = [\"acme_\"]\npattern = '\\bacme_(?P<secret>[a-z]{{32}})\\b'\n\
             examples = [\"x\", \"k={secret}\"]\n"
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    for args in [
        vec!["rules", "--check", "--config", config],
        vec!["--config", config],
    ] {
        let (code, out, err) = run(&args, b"line\n");
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(
            err.contains(
                "bad.toml: rule acme: example 1 is not found by the rule; rule acme: example 2"
            ),
            "{err}"
        );
        assert!(!err.contains("LIVEsecret"), "{err}");
    }
}

#[test]
fn rules_as_json_carry_family_kind_and_keywords() {
    let (code, out, _) = run(&["rules", "--format", "json"], b"");
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rules = rules.as_array().unwrap();
    let github = rules.iter().find(|r| r["id"] == "github-token").unwrap();
    assert_eq!(github["family"], "vcs-ci");
    assert_eq!(github["kind"], "shaped");
    assert!(
        github["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "ghp_")
    );
    let password = rules.iter().find(|r| r["id"] == "password").unwrap();
    assert_eq!(
        (&password["family"], &password["kind"]),
        (&"keyed".into(), &"keyed".into())
    );
    assert!(rules.iter().all(|r| r["examples"].as_u64().unwrap() >= 1));
    let (code, out, _) = run(&["rules", "--check", "--format", "json"], b"");
    assert_eq!(code, 0);
    let check: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(check["failures"], serde_json::json!([]));
    assert_eq!(check["rules"].as_u64().unwrap() as usize, rules.len());
}
