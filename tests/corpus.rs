//! The corpus bar, checked by the project itself: every log in `testdata/corpus` (real Flask,
//! Express and Lambda output with planted secrets and a ground truth per file) is redacted with
//! the default settings, and
//!
//! * recall (no fragment of a secret survives) is at least 0.99 overall and averaged over kinds,
//! * at least 0.99 of the keep strings (non-secret look-alikes) survive,
//! * every file keeps its line count,
//! * every line that was JSON before is JSON after.
//!
//! The truth format is described in `testdata/corpus/README.md`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokenscrub::{
    Engine, FingerprintKey, MaskStyle, Masker, Redactor, StreamOptions, redact_stream,
};

const BAR: f64 = 0.99;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

fn logs() -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir()).expect("testdata/corpus exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") {
            let truth_path = path.with_extension("truth.json");
            let truth: Value =
                serde_json::from_slice(&std::fs::read(&truth_path).expect("truth file")).unwrap();
            out.push((path, truth));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 8,
        "expected the corpus logs in {}",
        corpus_dir().display()
    );
    out
}

fn redact(engine: &Engine, input: &[u8], style: MaskStyle) -> Vec<u8> {
    let mut r = Redactor::new(
        engine,
        Masker::new(style, FingerprintKey::new(b"corpus-test")),
    );
    let mut out = Vec::new();
    redact_stream(
        &mut r,
        input,
        &mut out,
        StreamOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    memchr::memmem::find(hay, needle.as_bytes()).is_some()
}

fn count_lines(b: &[u8]) -> usize {
    if b.is_empty() {
        return 0;
    }
    b.iter().filter(|&&c| c == b'\n').count() + usize::from(!b.ends_with(b"\n"))
}

#[derive(Default)]
struct Score {
    present: usize,
    leaked: usize,
    keep_total: usize,
    keep_lost: usize,
    by_kind: BTreeMap<String, (usize, usize)>,
    problems: Vec<String>,
}

fn score(style: MaskStyle) -> Score {
    let engine = Engine::builtin();
    let mut s = Score::default();
    for (path, truth) in logs() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(&path).unwrap();
        let out = redact(&engine, &input, style);
        if count_lines(&input) != count_lines(&out) {
            s.problems.push(format!("{name}: line count changed"));
        }
        for secret in truth["secrets"].as_array().unwrap() {
            let kind = secret["kind"].as_str().unwrap().to_string();
            let leaked = secret["fragments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| contains(&out, f.as_str().unwrap()));
            let k = s.by_kind.entry(kind.clone()).or_default();
            k.0 += 1;
            s.present += 1;
            if leaked {
                k.1 += 1;
                s.leaked += 1;
                // Say which kind leaked where, never the secret itself.
                s.problems.push(format!("{name}: a {kind} leaked"));
            }
        }
        for keep in truth["keep"].as_array().unwrap() {
            s.keep_total += 1;
            if !contains(&out, keep.as_str().unwrap()) {
                s.keep_lost += 1;
                s.problems.push(format!(
                    "{name}: keep string lost: {}",
                    keep.as_str().unwrap()
                ));
            }
        }
    }
    s
}

#[test]
fn corpus_recall_keep_and_lines_meet_the_bar() {
    let s = score(MaskStyle::Label);
    let recall = 1.0 - s.leaked as f64 / s.present as f64;
    let keep = 1.0 - s.keep_lost as f64 / s.keep_total as f64;
    let macro_recall = s
        .by_kind
        .values()
        .map(|(p, l)| 1.0 - *l as f64 / *p as f64)
        .sum::<f64>()
        / s.by_kind.len() as f64;
    eprintln!(
        "corpus: {} secrets, {} leaked, recall {recall:.4}, macro {macro_recall:.4}, keep {keep:.4}",
        s.present, s.leaked
    );
    assert!(
        s.present > 600,
        "the corpus truth lists {} secrets",
        s.present
    );
    assert!(
        recall >= BAR,
        "recall {recall:.4}\n{}",
        s.problems.join("\n")
    );
    assert!(
        macro_recall >= BAR,
        "macro recall {macro_recall:.4}\n{}",
        s.problems.join("\n")
    );
    assert!(keep >= BAR, "keep {keep:.4}\n{}", s.problems.join("\n"));
    assert!(
        !s.problems.iter().any(|p| p.contains("line count")),
        "{}",
        s.problems.join("\n")
    );
}

#[test]
fn every_mask_style_meets_the_recall_bar() {
    for style in [MaskStyle::Partial, MaskStyle::Hash, MaskStyle::Stars] {
        let s = score(style);
        let recall = 1.0 - s.leaked as f64 / s.present as f64;
        assert!(
            recall >= BAR,
            "{style}: recall {recall:.4}\n{}",
            s.problems.join("\n")
        );
    }
}

#[test]
fn json_lines_stay_json() {
    let engine = Engine::builtin();
    let mut checked = 0;
    for (path, _) in logs() {
        let input = std::fs::read(&path).unwrap();
        let out = redact(&engine, &input, MaskStyle::Label);
        let before = input.split(|&b| b == b'\n');
        let after = out.split(|&b| b == b'\n');
        for (n, (a, b)) in before.zip(after).enumerate() {
            if serde_json::from_slice::<Value>(a).is_ok() {
                checked += 1;
                assert!(
                    serde_json::from_slice::<Value>(b).is_ok(),
                    "{}:{} was JSON and is not after redaction",
                    path.display(),
                    n + 1
                );
            }
        }
    }
    assert!(checked >= 10, "only {checked} JSON lines in the corpus");
}

#[test]
fn redaction_is_idempotent_on_the_corpus() {
    let engine = Engine::builtin();
    for (path, _) in logs() {
        let input = std::fs::read(&path).unwrap();
        for style in [
            MaskStyle::Label,
            MaskStyle::Hash,
            MaskStyle::Partial,
            MaskStyle::Stars,
        ] {
            let once = redact(&engine, &input, style);
            let twice = redact(&engine, &once, style);
            assert!(
                once == twice,
                "{}: scrubbing twice changed the output ({style})",
                path.display()
            );
        }
    }
}
