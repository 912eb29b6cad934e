//! What a user of a command-line tool expects of it: completions and a man page, help with
//! examples, config discovery, `-` for stdout, suggestions for typos, a hint when stdin is a
//! terminal; and the triage workflow of `scan`: a baseline, an ignore file, excluded paths.

mod common;

use common::Dir;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The binary run in `cwd`, with no config of the user's and no key unless given.
fn tokenscrub(
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .current_dir(cwd)
        .args(args)
        .env_remove("TOKENSCRUB_HMAC_KEY")
        .env_remove("TOKENSCRUB_CONFIG")
        .env("XDG_CONFIG_HOME", cwd.join("no-such-xdg"))
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The binary may stop before reading (a config error): a closed pipe is its answer.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const LEAK: &str = "login ok password=FAKEpw0rdConvention1 user=bob\n";

#[test]
fn completions_and_man_page() {
    let d = Dir::new("completions");
    let (code, bash, _) = tokenscrub(&d.0, &["completions", "bash"], &[], "");
    assert_eq!(code, 0);
    assert!(
        bash.contains("_tokenscrub()") && bash.contains("complete -F"),
        "{bash}"
    );
    assert!(
        bash.contains("--baseline"),
        "subcommand flags are completed"
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let (code, out, _) = tokenscrub(&d.0, &["completions", shell], &[], "");
        assert_eq!(code, 0, "{shell}");
        assert!(out.contains("tokenscrub"), "{shell}");
    }
    let (code, man, _) = tokenscrub(&d.0, &["man"], &[], "");
    assert_eq!(code, 0);
    assert!(man.contains(".TH tokenscrub 1"), "{man}");
    assert!(
        man.contains("\\-\\-fail\\-on\\-leak"),
        "the flags are in the page"
    );
}

#[test]
fn every_help_shows_examples() {
    let d = Dir::new("help");
    for args in [
        vec!["--help"],
        vec!["scan", "--help"],
        vec!["rules", "--help"],
        vec!["completions", "--help"],
        vec!["man", "--help"],
    ] {
        let (code, out, _) = tokenscrub(&d.0, &args, &[], "");
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Examples:\n  "), "{args:?}: {out}");
    }
}

#[test]
fn report_dash_is_stdout() {
    let d = Dir::new("report-dash");
    let (code, out, err) = tokenscrub(
        &d.0,
        &["--report", "-"],
        &[("TOKENSCRUB_HMAC_KEY", "k")],
        LEAK,
    );
    assert_eq!(code, 0, "{err}");
    assert!(!d.0.join("-").exists(), "no file named -");
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{out}");
    assert_eq!(records[0]["rule"], "password");
    assert!(!out.contains("FAKEpw0rd"));
}

#[test]
fn config_is_discovered_flag_then_environment_then_directory_then_user() {
    let d = Dir::new("discovery");
    let masked = |out: &str| !out.contains("FAKEpw0rd");
    // No config anywhere: the password is masked.
    let (_, out, _) = tokenscrub(&d.0, &[], &[], LEAK);
    assert!(masked(&out));
    // The user's config ($XDG_CONFIG_HOME/tokenscrub/config.toml) disables the password rule.
    let xdg = d.0.join("xdg");
    d.file("xdg/tokenscrub/config.toml", "disable = [\"password\"]\n");
    let xdg_env = ("XDG_CONFIG_HOME", xdg.to_str().unwrap());
    let (code, out, err) = tokenscrub(&d.0, &[], &[xdg_env], LEAK);
    assert_eq!(code, 0, "{err}");
    assert!(!masked(&out), "the user's config is read");
    // ./.tokenscrub.toml comes first (here: an allowlist, so the password is masked again).
    let project = Dir::new("discovery-project");
    project.file(".tokenscrub.toml", "disable = [\"jwt\"]\n");
    let (_, out, _) = tokenscrub(&project.0, &[], &[xdg_env], LEAK);
    assert!(masked(&out), "./.tokenscrub.toml is read before the user's");
    // TOKENSCRUB_CONFIG (the TOML itself, or a path) before both.
    let (_, out, _) = tokenscrub(
        &project.0,
        &[],
        &[xdg_env, ("TOKENSCRUB_CONFIG", "disable = [\"password\"]")],
        LEAK,
    );
    assert!(!masked(&out), "TOKENSCRUB_CONFIG holds the TOML");
    let path = d.file("env.toml", "disable = [\"password\"]\n");
    let (_, out, _) = tokenscrub(
        &project.0,
        &[],
        &[("TOKENSCRUB_CONFIG", path.to_str().unwrap())],
        LEAK,
    );
    assert!(!masked(&out), "TOKENSCRUB_CONFIG names a file");
    // --config before everything.
    let flag = d.file("flag.toml", "disable = [\"jwt\"]\n");
    let (_, out, _) = tokenscrub(
        &project.0,
        &["--config", flag.to_str().unwrap()],
        &[("TOKENSCRUB_CONFIG", path.to_str().unwrap())],
        LEAK,
    );
    assert!(masked(&out), "--config wins");
    // A config that is wrong is named, and nothing is read.
    let (code, out, err) = tokenscrub(
        &d.0,
        &[],
        &[("TOKENSCRUB_CONFIG", "hmac_key = \"SUPERSECRETKEY\"\nnope")],
        LEAK,
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with("tokenscrub: TOKENSCRUB_CONFIG") && !err.contains("SUPERSECRETKEY"),
        "{err}"
    );
}

#[test]
fn typos_get_a_suggestion() {
    let d = Dir::new("typos");
    let (code, _, err) = tokenscrub(&d.0, &["--disable", "pasword"], &[], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("no such rule; did you mean password?"),
        "{err}"
    );
    let (code, _, err) = tokenscrub(&d.0, &["scna", "app.log"], &[], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot open scna") && err.contains("did you mean `tokenscrub scan`?"),
        "{err}"
    );
    // A real file that is not there gets no such guess.
    let (_, _, err) = tokenscrub(&d.0, &["app.log"], &[], "");
    assert!(
        err.contains("cannot open app.log") && !err.contains("did you mean"),
        "{err}"
    );
}

/// On a terminal, a filter that waits for stdin says so (Python's pty gives it one).
#[test]
fn a_terminal_on_stdin_gets_a_hint() {
    let script = r#"
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1]])
out = b""
deadline = time.time() + 20
while b"Ctrl-D" not in out and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
os.write(fd, b"\x04")
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
"#;
    let out = Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_tokenscrub")])
        .env_remove("TOKENSCRUB_CONFIG")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reading log lines from the terminal") && text.contains("Ctrl-D ends"),
        "{text}"
    );
    // Piped stdin: no hint (the other tests' stderr is empty).
    let d = Dir::new("no-tty");
    let (_, _, err) = tokenscrub(&d.0, &[], &[], "hello\n");
    assert!(err.is_empty(), "{err}");
}

/// Two leaks in a log; a first scan is the baseline; a second log holds one of them and a new
/// one: only the new one is reported, and the ignore file silences the rest.
#[test]
fn baseline_and_ignore_file_report_only_new_leaks() {
    let d = Dir::new("baseline");
    let key = [("TOKENSCRUB_HMAC_KEY", "triage-key")];
    let old = d.file(
        "old.log",
        "password=FAKEoldLeak000001\napi_key=FAKEoldLeak000002abcd\n",
    );
    let (code, first, err) = tokenscrub(
        &d.0,
        &["scan", "--format", "jsonl", old.to_str().unwrap()],
        &key,
        "",
    );
    assert_eq!(code, 1, "{err}");
    let baseline = d.file("baseline.jsonl", &first);
    let new = d.file(
        "new.log",
        "password=FAKEoldLeak000001\ntoken=FAKEnewLeak000003xyz\n",
    );
    let scan_new = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["scan", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push(new.to_str().unwrap());
        tokenscrub(&d.0, &args, env, "")
    };
    let (code, out, err) = scan_new(&["--baseline", baseline.to_str().unwrap()], &key);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["line"], 2, "only the new leak");
    assert!(err.contains("1 finding(s) not reported"), "{err}");

    // The new leak's fingerprint in .tokenscrubignore (found in the working directory).
    d.file(
        ".tokenscrubignore",
        &format!(
            "# rotated leaks\n{}  # rotated 2026-12-07, INC-42\n\n",
            lines[0]["fingerprint"].as_str().unwrap()
        ),
    );
    let (code, out, err) = scan_new(&["--baseline", baseline.to_str().unwrap()], &key);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");

    // Without a fixed key no fingerprint could match: said, and nothing is scanned.
    let (code, out, err) = scan_new(&["--baseline", baseline.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--baseline needs a fixed fingerprint key"),
        "{err}"
    );
    // A damaged ignore file is named by line, its text is not quoted.
    d.file(".tokenscrubignore", "FAKEnotAFingerprint\n");
    let (code, _, err) = scan_new(&[], &key);
    assert_eq!(code, 2);
    assert!(
        err.contains(".tokenscrubignore: line 1: not a fingerprint") && !err.contains("FAKEnot"),
        "{err}"
    );
}

#[test]
fn a_random_key_is_said() {
    let d = Dir::new("random-key");
    let log = d.file("a.log", LEAK);
    let (_, _, err) = tokenscrub(&d.0, &["scan", log.to_str().unwrap()], &[], "");
    assert!(err.contains("using a random key"), "{err}");
    let (_, _, err) = tokenscrub(
        &d.0,
        &["scan", log.to_str().unwrap()],
        &[("TOKENSCRUB_HMAC_KEY", "k")],
        "",
    );
    assert!(!err.contains("random"), "{err}");
}

#[test]
fn excluded_paths_are_not_read_in_directories() {
    let d = Dir::new("exclude");
    d.file("logs/app.log", "password=FAKEkeptLeak00001\n");
    d.file("logs/debug/trace.log", "password=FAKEskipLeak0002\n");
    d.file("logs/old.txt", "password=FAKEskipLeak0003\n");
    let key = [("TOKENSCRUB_HMAC_KEY", "k")];
    let (code, out, err) = tokenscrub(
        &d.0,
        &[
            "scan",
            "--format",
            "jsonl",
            "--exclude",
            "debug/**",
            "--exclude",
            "*.txt",
            "logs",
        ],
        &key,
        "",
    );
    assert_eq!(code, 1, "{err}");
    let files: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["file"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(files, ["logs/app.log"], "{out}");
    let (_, _, err) = tokenscrub(&d.0, &["scan", "--exclude", "[", "logs"], &key, "");
    assert!(err.contains("--exclude ["), "{err}");
}
