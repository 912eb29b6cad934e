//! `tokenscrub scan` on the corpus copy in `testdata/`: every planted secret is reported at
//! its file and line, no output format ever carries a secret, `.gz` and payload files work,
//! SARIF validates against the SARIF 2.1.0 schema.

use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus")
}

fn scan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .arg("scan")
        .args(args)
        .env("TOKENSCRUB_HMAC_KEY", "scan-tests")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn records(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (log path, truth) for every corpus log, and (payload path, truth) for every payload.
fn corpus_files(ext: &str) -> Vec<(PathBuf, Value)> {
    let dir = if ext == "log" {
        corpus()
    } else {
        corpus().join("cloudwatch")
    };
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(&format!(".{ext}")) && !n.ends_with(".truth.json")
        })
        .map(|p| {
            let stem = p
                .to_string_lossy()
                .trim_end_matches(&format!(".{ext}"))
                .to_string();
            let truth =
                serde_json::from_slice(&std::fs::read(format!("{stem}.truth.json")).unwrap())
                    .unwrap();
            (p, truth)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn fragments(truth: &Value) -> Vec<String> {
    truth["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["fragments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn every_truth_secret_is_reported_at_its_file_and_line() {
    let logs = corpus_files("log");
    assert_eq!(logs.len(), 8);
    for (path, truth) in logs {
        let p = path.to_str().unwrap();
        let (code, out, err) = scan(&["--format", "jsonl", p]);
        assert_eq!(code, 1, "{err}");
        let at: HashSet<(String, u64)> = records(&out)
            .iter()
            .map(|r| {
                (
                    r["file"].as_str().unwrap().to_string(),
                    r["line"].as_u64().unwrap(),
                )
            })
            .collect();
        let text = std::fs::read(&path).unwrap();
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        for secret in truth["secrets"].as_array().unwrap() {
            for frag in secret["fragments"].as_array().unwrap() {
                let frag = frag.as_str().unwrap().as_bytes();
                for (i, line) in lines.iter().enumerate() {
                    if memchr::memmem::find(line, frag).is_some() {
                        assert!(
                            at.contains(&(p.to_string(), i as u64 + 1)),
                            "{p}:{}: a {} is not reported",
                            i + 1,
                            secret["kind"]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn no_output_format_carries_a_secret() {
    let mut all_fragments = Vec::new();
    let mut paths = Vec::new();
    for (p, t) in corpus_files("log").into_iter().chain(corpus_files("json")) {
        all_fragments.extend(fragments(&t));
        paths.push(p.to_string_lossy().into_owned());
    }
    let path_args: Vec<&str> = paths.iter().map(String::as_str).collect();
    for format in ["human", "jsonl", "sarif"] {
        let mut args = vec!["--format", format];
        args.extend(&path_args);
        let (code, out, err) = scan(&args);
        assert_eq!(code, 1, "{err}");
        for f in &all_fragments {
            assert!(
                !out.contains(f.as_str()),
                "{format} output carries a secret fragment"
            );
            assert!(
                !err.contains(f.as_str()),
                "stderr carries a secret fragment"
            );
        }
    }
}

#[test]
fn gz_gives_the_same_findings_as_the_plain_file() {
    let plain = corpus().join("express_orders_combined.log");
    let dir = std::env::temp_dir().join(format!("tokenscrub-scan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = dir.join("express_orders_combined.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let strip = |out: &str| -> Vec<Value> {
        records(out)
            .into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("file");
                r
            })
            .collect()
    };
    let (_, a, _) = scan(&["--format", "jsonl", plain.to_str().unwrap()]);
    let (code, b, err) = scan(&["--format", "jsonl", gz.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(!a.is_empty());
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn payload_files_report_every_secret_event() {
    for (path, truth) in corpus_files("json") {
        let (code, out, err) = scan(&["--format", "jsonl", path.to_str().unwrap()]);
        let recs = records(&out);
        let events: HashSet<&str> = recs
            .iter()
            .map(|r| r["event_id"].as_str().unwrap())
            .collect();
        if truth["messageType"] == "CONTROL_MESSAGE" {
            assert_eq!((code, recs.len()), (0, 0), "{err}");
            continue;
        }
        assert_eq!(code, 1, "{err}");
        for ev in truth["events"].as_array().unwrap() {
            let id = ev["id"].as_str().unwrap();
            assert!(
                events.contains(id),
                "{}: event {id} has no finding",
                path.display()
            );
        }
        for r in &recs {
            assert!(r["log_group"].as_str().unwrap().starts_with("/aws/lambda/"));
            assert!(r["timestamp"].as_i64().unwrap() > 0 && r["offset"].is_u64());
        }
    }
}

/// A file that says it is a payload and does not decode is an error named by what is wrong
/// (exit 2), not text whose base64 would hide its secrets; in a file of one payload per line,
/// the good lines are still scanned.
#[test]
fn undecodable_payload_files_are_errors_not_text() {
    let dir = std::env::temp_dir().join(format!("tokenscrub-scan-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, payload) = corpus_files("json")
        .into_iter()
        .find(|(_, t)| t["messageType"] != "CONTROL_MESSAGE")
        .map(|(p, t)| (t, std::fs::read_to_string(p).unwrap()))
        .unwrap();
    let one_line: Value = serde_json::from_str(&payload).unwrap();
    let one_line = one_line.to_string();
    let cases = [
        (
            "bad-base64.json",
            "{\"awslogs\": {\"data\": \"!!!FAKEpw0rdInBase64\"}}".to_string(),
            "base64",
        ),
        (
            "truncated.json",
            format!("{{\"awslogs\": {{\"data\": \"{}", "QUFB".repeat(10)),
            "JSON",
        ),
        (
            "no-events.json",
            "{\"messageType\": \"DATA_MESSAGE\", \"logEvents\": 3, \"x\": \"FAKEpw0rdInJSON\"}"
                .to_string(),
            "payload",
        ),
        (
            "lines.json",
            format!("{one_line}\n{{\"awslogs\": {{\"data\": \"!!FAKEpw0rd\"}}}}\n"),
            "line 2",
        ),
    ];
    for (name, text, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &text).unwrap();
        let (code, out, err) = scan(&["--format", "jsonl", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(
            !err.contains("FAKEpw0rd") && !out.contains("FAKEpw0rd"),
            "{err}{out}"
        );
        if name == "lines.json" {
            assert!(!records(&out).is_empty(), "the good line is scanned");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let mut schema: Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sarif-2.1.0-rtm.5.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // The published rtm.5 schema has one malformed regex (an unbalanced `]` in the `language`
    // patterns), which a strict validator rejects when it checks the schema itself.
    fix_language_pattern(&mut schema);
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let log = corpus().join("flask_integrations.log");
    let (code, out, err) = scan(&["--format", "sarif", log.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let (_, jsonl, _) = scan(&["--format", "jsonl", log.to_str().unwrap()]);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), records(&jsonl).len());
    assert!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(
        results[0]["partialFingerprints"]["secretFingerprint/v1"]
            .as_str()
            .unwrap()
            .len(),
        16
    );
    // Each rule has GitHub code scanning's `security-severity`, a score that agrees with its
    // severity.
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let band = match rule["properties"]["severity"].as_str().unwrap() {
            "critical" => 9.0..=10.0,
            "high" => 7.0..=8.9,
            "medium" => 4.0..=6.9,
            _ => 0.1..=3.9,
        };
        assert!(band.contains(&score), "{rule}");
    }
}

#[test]
fn exit_codes_severity_and_directories() {
    let dir = std::env::temp_dir().join(format!("tokenscrub-scan-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("clean.log"), "nothing here\n").unwrap();
    let (code, out, err) = scan(&[dir.join("clean.log").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        err.is_empty(),
        "no progress line when stderr is not a terminal: {err}"
    );
    assert!(out.starts_with("tokenscrub scan: 0 finding(s)"), "{out}");

    std::fs::write(
        dir.join("sub/app.log"),
        "x\npassword=FAKEpw0rd\nAKIAFAKEEXAMPLE2KEYX\n",
    )
    .unwrap();
    let (code, out, _) = scan(&["--format", "jsonl", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    let recs = records(&out);
    assert_eq!(recs.len(), 2);
    assert!(recs[0]["file"].as_str().unwrap().ends_with("sub/app.log"));
    assert_eq!(
        (recs[0]["line"].as_u64(), recs[1]["line"].as_u64()),
        (Some(2), Some(3))
    );

    let (code, out, _) = scan(&[
        "--format",
        "jsonl",
        "--min-severity",
        "critical",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "password and key ids are below critical");
    assert!(out.is_empty());

    let missing = dir.join("missing.log");
    let (code, _, err) = scan(&[
        missing.to_str().unwrap(),
        dir.join("clean.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.log"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stdin_is_scanned() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .args(["scan", "--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a\napi_key=FAKEexampleFAKE0123\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["rule"], "api-key");
    assert_eq!(recs[0]["file"], "-");
}

fn fix_language_pattern(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str)
                == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
            {
                map.insert("pattern".into(), "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into());
            }
            map.values_mut().for_each(fix_language_pattern);
        }
        Value::Array(items) => items.iter_mut().for_each(fix_language_pattern),
        _ => {}
    }
}

/// A compact JWS of the given header and payload JSON, with a fake signature.
fn jwt(header: &str, payload: &str, signature: &str) -> String {
    use base64::Engine as _;
    let part = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.{signature}", part(header), part(payload))
}

#[test]
fn tokens_carry_their_claims_and_status_and_their_severity_follows_it() {
    let signed = r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#;
    let sig = "FAKEsignatureFAKEsignatureFAKEsig";
    // Expiring at 2030-01-01, at 2023-11-14, never; the lines' own times are 2026-12-03.
    let live = jwt(
        signed,
        r#"{"sub":"user-42","email":"mei@example.com","iss":"auth.example","exp":1893456000}"#,
        sig,
    );
    let expired = jwt(signed, r#"{"sub":"user-42","exp":1700000000}"#, sig);
    let forever = jwt(signed, r#"{"sub":"user-42","name":"Mei Berg"}"#, sig);
    let unsigned = jwt(
        r#"{"alg":"none"}"#,
        r#"{"sub":"admin","exp":1893456000}"#,
        "",
    );
    // Live when the line was written (exp 2026-12-03T12:13:20Z), expired at any later scan:
    // the line's time decides.
    let was_live = jwt(signed, r#"{"sub":"user-42","exp":1796300000}"#, sig);
    let text = format!(
        "2026-12-03 08:50:39,123 INFO api: Authorization: Bearer {live}\n\
         2026-12-03T08:50:40Z session refreshed, old jwt {expired}\n\
         {{\"time\":1796287839000,\"msg\":\"issued\",\"id_token\":\"{forever}\"}}\n\
         127.0.0.1 - - [03/Dec/2026:08:50:39 +0000] \"GET /?access_token={unsigned} HTTP/1.1\" 200 2\n\
         [2026-12-03 09:50:39,000] INFO app: bearer {was_live}\n"
    );
    let dir = std::env::temp_dir().join(format!("tokenscrub-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("jwt.log");
    std::fs::write(&log, &text).unwrap();
    let log = log.to_str().unwrap();

    let (code, out, err) = scan(&["--format", "jsonl", log]);
    assert_eq!(code, 1, "{err}");
    let found = records(&out);
    let by_line = |line: u64| -> Vec<&Value> {
        found
            .iter()
            .filter(|r| r["line"] == line && r.get("status").is_some())
            .collect()
    };
    for (line, status, severity) in [
        (1, "live", "high"),
        (2, "expired", "low"),
        (3, "no-expiry", "high"),
        (4, "unsigned", "critical"),
        (5, "live", "high"),
    ] {
        let recs = by_line(line);
        assert!(!recs.is_empty(), "line {line}: no token record in {out}");
        for r in recs {
            assert_eq!(r["status"], status, "line {line}: {r}");
            assert_eq!(r["severity"], severity, "line {line}: {r}");
        }
    }
    let claims = &by_line(1)[0]["jwt"];
    assert_eq!(claims["alg"], "HS256");
    assert_eq!(claims["kid"], "k1");
    assert_eq!(claims["iss"], "auth.example");
    assert_eq!(claims["exp"], 1893456000);
    assert_eq!(by_line(4)[0]["jwt"]["alg"], "none");
    // Personal claims, payloads and signatures are never printed, in any format.
    for format in ["jsonl", "sarif", "human"] {
        let (_, out, _) = scan(&["--format", format, log]);
        for private in [
            "user-42",
            "mei@example.com",
            "Mei Berg",
            "FAKEsignature",
            &live[live.len() - 40..],
        ] {
            assert!(!out.contains(private), "{format} printed {private}");
        }
    }

    // `--min-severity` acts on the token's severity: expired tokens are recorded, not raised.
    let (_, out, _) = scan(&["--format", "jsonl", "--min-severity", "high", log]);
    let high = records(&out);
    assert!(high.iter().all(|r| r["status"] != "expired"), "{out}");
    assert!(high.iter().any(|r| r["status"] == "unsigned"), "{out}");

    let (_, human, _) = scan(&[log]);
    assert!(
        human.contains("tokens: 1 unsigned, 2 live, 1 no-expiry, 1 expired"),
        "{human}"
    );
    let (_, sarif, _) = scan(&["--format", "sarif", log]);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["properties"]["status"] == "unsigned"
                && r["properties"]["jwt"]["alg"] == "none"
                && r["level"] == "error")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
