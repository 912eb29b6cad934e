//! The shipper recipes of `docs/shippers/`, run where the shipper installs here: rsyslog
//! (`omprog`) and syslog-ng (`program()`) are started with the documented config (its port,
//! paths and binary pointed at this test's), sent syslog over TCP with planted secrets, and their
//! far end read back masked; a real journal file is read with `journalctl -o cat` and `-o json`
//! through the binary; Docker's json-file lines go through and stay JSON. The recipes for
//! shippers that do not install here (Vector, Fluent Bit, Fluentd, Kubernetes) are parsed and
//! checked to run `tokenscrub` on every path in.
//!
//! `scripts/install-shippers.sh` installs rsyslog, syslog-ng and systemd-journal-remote (the
//! test script runs it); where it cannot, `TOKENSCRUB_SKIP_SHIPPERS=1` skips the daemons, loudly.

mod common;

use common::Dir;
use serde_json::Value;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn recipe(name: &str) -> String {
    std::fs::read_to_string(repo().join("docs/shippers").join(name)).unwrap()
}

const BIN: &str = env!("CARGO_BIN_EXE_tokenscrub");

/// The secrets planted in the messages, and the message lines.
const SECRETS: [&str; 3] = [
    "FAKEpw0rdShipper01",
    "ghp_FAKEshipperToken0123456789abcdefABCD",
    "FAKEsessionShipper0123456789",
];

fn messages() -> Vec<String> {
    vec![
        format!("login ok user=bob password={}", SECRETS[0]),
        "GET /health 200 in 3 ms".to_string(),
        format!("calling github with Authorization: token {}", SECRETS[1]),
        format!("set-cookie: session_id={}; HttpOnly", SECRETS[2]),
    ]
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A shipper's executable, or None (and a loud line) when the tests are told to skip it.
fn shipper(name: &str, candidates: &[PathBuf]) -> Option<PathBuf> {
    if let Some(p) = candidates.iter().find(|p| p.is_file()) {
        return Some(p.clone());
    }
    if std::env::var_os("TOKENSCRUB_SKIP_SHIPPERS").is_some() {
        eprintln!("SKIPPED: {name} is not installed (TOKENSCRUB_SKIP_SHIPPERS is set)");
        return None;
    }
    panic!(
        "{name} is not installed: run scripts/install-shippers.sh (or set TOKENSCRUB_SKIP_SHIPPERS=1)"
    );
}

/// Send syslog lines over TCP to `port`, once it listens.
fn send_syslog(port: u16, lines: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut conn = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(e) => {
                assert!(Instant::now() < deadline, "the shipper never listened: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    for l in lines {
        writeln!(conn, "<14>Dec  7 05:40:00 web api[42]: {l}").unwrap();
    }
}

/// Wait until `path` holds `n` lines; returns them.
fn wait_lines(path: &Path, n: usize, what: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {n} lines reached the far end: {text}",
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every message arrived, in order, each secret masked and each clean message as it was.
fn assert_masked(lines: &[String], what: &str) {
    let msgs = messages();
    assert_eq!(lines.len(), msgs.len(), "{what}: {lines:?}");
    for (line, msg) in lines.iter().zip(&msgs) {
        for s in SECRETS {
            assert!(!line.contains(s), "{what}: a secret passed: {line}");
        }
        if msg.contains("FAKE") || msg.contains("ghp_") {
            assert!(line.contains("[REDACTED:"), "{what}: {line}");
        } else {
            assert!(line.ends_with(msg.as_str()), "{what}: {line}");
        }
    }
}

#[test]
fn rsyslog_omprog_masks_every_message() {
    let local = repo().join("target/shippers/rsyslog/usr/sbin/rsyslogd");
    let Some(rsyslogd) = shipper("rsyslogd", &[local.clone(), "/usr/sbin/rsyslogd".into()]) else {
        return;
    };
    let d = Dir::new("rsyslog");
    let port = free_port();
    let out = d.0.join("masked.log");
    let conf = recipe("rsyslog.conf")
        .replace("/var/lib/rsyslog", d.0.to_str().unwrap())
        .replace("10514", &port.to_string())
        .replace("/usr/local/bin/tokenscrub", BIN)
        .replace("/var/log/tokenscrub/masked.log", out.to_str().unwrap());
    std::fs::write(d.0.join("rsyslog.conf"), conf).unwrap();
    let mut cmd = Command::new(&rsyslogd);
    cmd.arg("-n")
        .arg("-f")
        .arg(d.0.join("rsyslog.conf"))
        .arg("-i")
        .arg(d.0.join("rsyslogd.pid"));
    if rsyslogd == local {
        // Unpacked, not installed: its modules are beside it.
        cmd.arg("-M")
            .arg(repo().join("target/shippers/rsyslog/usr/lib/x86_64-linux-gnu/rsyslog"));
    }
    let _daemon = Daemon(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    send_syslog(port, &messages());
    let lines = wait_lines(&out, messages().len(), "rsyslog");
    assert_masked(&lines, "rsyslog");
    assert!(
        lines[1].contains(" web api[42]:"),
        "the template's fields: {}",
        lines[1]
    );
}

#[test]
fn syslog_ng_program_masks_every_message() {
    let Some(syslog_ng) = shipper("syslog-ng", &["/usr/sbin/syslog-ng".into()]) else {
        return;
    };
    let d = Dir::new("syslog-ng");
    let port = free_port();
    let out = d.0.join("masked.log");
    let conf = recipe("syslog-ng.conf")
        .replace("10515", &port.to_string())
        .replace("/usr/local/bin/tokenscrub", BIN)
        .replace("/var/log/tokenscrub/masked.log", out.to_str().unwrap());
    std::fs::write(d.0.join("syslog-ng.conf"), conf).unwrap();
    let _daemon = Daemon(
        Command::new(syslog_ng)
            .arg("-F")
            .arg("-f")
            .arg(d.0.join("syslog-ng.conf"))
            .arg("-R")
            .arg(d.0.join("persist"))
            .arg("-p")
            .arg(d.0.join("pid"))
            .arg("-c")
            .arg(d.0.join("ctl"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    send_syslog(port, &messages());
    let lines = wait_lines(&out, messages().len(), "syslog-ng");
    assert_masked(&lines, "syslog-ng");
    assert!(
        lines[1].contains(" api[42]: "),
        "the template's fields: {}",
        lines[1]
    );
}

/// `cmd | tokenscrub`: its output lines.
fn through_tokenscrub(cmd: &mut Command) -> Vec<String> {
    let mut src = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let out = Command::new(BIN)
        .stdin(src.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(src.wait().unwrap().success());
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn journalctl_cat_and_json_through_the_filter() {
    let Some(remote) = shipper(
        "systemd-journal-remote",
        &["/lib/systemd/systemd-journal-remote".into()],
    ) else {
        return;
    };
    // A real journal file, written from the export format.
    let d = Dir::new("journal");
    let journal = d.0.join("app.journal");
    let mut export = String::new();
    for (i, m) in messages().iter().enumerate() {
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={}\n_HOSTNAME=web\nSYSLOG_IDENTIFIER=api\nMESSAGE={m}\n\n",
            1_796_000_000_000_000u64 + i as u64
        ));
    }
    let mut w = Command::new(remote)
        .arg("-o")
        .arg(&journal)
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    w.stdin
        .take()
        .unwrap()
        .write_all(export.as_bytes())
        .unwrap();
    assert!(w.wait().unwrap().success());

    let cat = through_tokenscrub(
        Command::new("journalctl")
            .arg("--file")
            .arg(&journal)
            .args(["-o", "cat", "--no-pager"]),
    );
    assert_masked(&cat, "journalctl -o cat");
    let json = through_tokenscrub(
        Command::new("journalctl")
            .arg("--file")
            .arg(&journal)
            .args(["-o", "json", "--no-pager"]),
    );
    let messages: Vec<String> = json
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line stays JSON");
            assert_eq!(v["SYSLOG_IDENTIFIER"], "api");
            v["MESSAGE"].as_str().unwrap().to_string()
        })
        .collect();
    assert_masked(&messages, "journalctl -o json");
}

#[test]
fn docker_json_file_lines_stay_json_and_lose_their_secrets() {
    // What Docker's json-file driver writes (/var/lib/docker/containers/<id>/<id>-json.log).
    let input: String = messages()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "{}\n",
                serde_json::json!({"log": format!("{m}\n"), "stream": "stdout", "time": format!("2026-12-07T05:40:0{i}.123456789Z")})
            )
        })
        .collect();
    let mut child = Command::new(BIN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let logs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("each line stays JSON");
            assert_eq!(v["stream"], "stdout");
            v["log"]
                .as_str()
                .unwrap()
                .trim_end_matches('\n')
                .to_string()
        })
        .collect();
    assert_masked(&logs, "docker json-file");
}

/// A YAML file (every document) as JSON, read by Python's YAML parser.
fn yaml(name: &str) -> Vec<Value> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(repo().join("docs/shippers").join(name))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn recipes_of_shippers_that_do_not_install_here_parse_and_run_tokenscrub() {
    // Vector: TOML, a stdin source fed by tokenscrub, an exec alternative that runs it.
    let vector: toml::Value = toml::from_str(&recipe("vector.toml")).unwrap();
    assert_eq!(vector["sources"]["app"]["type"].as_str(), Some("stdin"));
    assert_eq!(
        vector["sinks"]["out"]["inputs"].as_array().unwrap()[0].as_str(),
        Some("app")
    );
    assert!(recipe("vector.toml").contains("app 2>&1 | tokenscrub | vector"));
    // Fluent Bit: YAML, the stdin input fed by tokenscrub.
    let fb = &yaml("fluent-bit.yaml")[0];
    assert_eq!(fb["pipeline"]["inputs"][0]["name"], "stdin");
    assert!(recipe("fluent-bit.yaml").contains("| tokenscrub | fluent-bit"));
    // Fluentd: an exec_filter whose command is tokenscrub, one value a line in and out.
    let fluentd = recipe("fluentd.conf");
    for needle in [
        "@type exec_filter",
        "command /usr/local/bin/tokenscrub",
        "@type single_value",
    ] {
        assert!(fluentd.contains(needle), "fluentd.conf: {needle}");
    }
    // Kubernetes: the sidecar pipes the shared file through tokenscrub; the DaemonSet copies
    // the binary where its Fluentd exec_filter runs it.
    let pod = &yaml("kubernetes-sidecar.yaml")[0];
    let scrub = &pod["spec"]["containers"][1];
    assert_eq!(scrub["name"], "scrub");
    assert!(
        scrub["command"][2]
            .as_str()
            .unwrap()
            .ends_with("/var/log/app/app.log | tokenscrub")
    );
    let docs = yaml("kubernetes-daemonset.yaml");
    let config = docs[0]["data"]["fluent.conf"].as_str().unwrap();
    assert!(config.contains("command /opt/tokenscrub/tokenscrub"));
    let pod = &docs[1]["spec"]["template"]["spec"];
    assert_eq!(
        pod["initContainers"][0]["command"][2],
        "/opt/tokenscrub/tokenscrub"
    );
    assert_eq!(docs[1]["kind"], "DaemonSet");
}
