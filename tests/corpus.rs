//! The corpus bars, checked by the project itself: every log in the corpora under `testdata/`
//! (real Flask, Express and Lambda output with planted secrets and a ground truth per file:
//! `corpus`, and `corpus2` with other log formats, structlog, pino, winston, Lambda JSON) is
//! redacted with the default settings, and
//!
//! * recall (no fragment of a secret survives), overall and averaged over kinds, and the share
//!   of keep strings (non-secret look-alikes) that survive, meet each corpus's bar,
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

/// A corpus folder and the bar it is held to.
struct Corpus {
    dir: &'static str,
    /// The fewest secrets its truth lists (a folder copied half-way fails loudly).
    min_secrets: usize,
    recall: f64,
    macro_recall: f64,
    keep: f64,
}

const CORPORA: [Corpus; 2] = [
    Corpus {
        dir: "corpus",
        min_secrets: 600,
        recall: 1.0,
        macro_recall: 1.0,
        keep: 0.995,
    },
    Corpus {
        dir: "corpus2",
        min_secrets: 700,
        recall: 0.995,
        macro_recall: 0.99,
        keep: 0.995,
    },
];

/// The logs of one corpus folder with their truth.
fn logs(corpus: &Corpus) -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(corpus.dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the corpus folder exists") {
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
        dir.display()
    );
    out
}

/// Every log of every corpus.
fn all_logs() -> Vec<(PathBuf, Value)> {
    CORPORA.iter().flat_map(logs).collect()
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

fn score(corpus: &Corpus, style: MaskStyle) -> Score {
    let engine = Engine::builtin();
    let mut s = Score::default();
    for (path, truth) in logs(corpus) {
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

impl Score {
    fn recall(&self) -> f64 {
        1.0 - self.leaked as f64 / self.present as f64
    }

    fn macro_recall(&self) -> f64 {
        self.by_kind
            .values()
            .map(|(p, l)| 1.0 - *l as f64 / *p as f64)
            .sum::<f64>()
            / self.by_kind.len() as f64
    }

    fn keep(&self) -> f64 {
        1.0 - self.keep_lost as f64 / self.keep_total as f64
    }
}

#[test]
fn corpus_recall_keep_and_lines_meet_the_bar() {
    for corpus in &CORPORA {
        let s = score(corpus, MaskStyle::Label);
        let (recall, macro_recall, keep) = (s.recall(), s.macro_recall(), s.keep());
        let name = corpus.dir;
        eprintln!(
            "{name}: {} secrets, {} leaked, recall {recall:.4}, macro {macro_recall:.4}, keep {keep:.4}",
            s.present, s.leaked
        );
        let problems = s.problems.join("\n");
        assert!(
            s.present >= corpus.min_secrets,
            "{name}: the truth lists {} secrets",
            s.present
        );
        assert!(
            recall >= corpus.recall,
            "{name}: recall {recall:.4}\n{problems}"
        );
        assert!(
            macro_recall >= corpus.macro_recall,
            "{name}: macro recall {macro_recall:.4}\n{problems}"
        );
        assert!(keep >= corpus.keep, "{name}: keep {keep:.4}\n{problems}");
        assert!(!problems.contains("line count"), "{name}: {problems}");
    }
}

#[test]
fn every_mask_style_meets_the_recall_bar() {
    for corpus in &CORPORA {
        for style in [MaskStyle::Partial, MaskStyle::Hash, MaskStyle::Stars] {
            let s = score(corpus, style);
            assert!(
                s.recall() >= corpus.recall,
                "{}, {style}: recall {:.4}\n{}",
                corpus.dir,
                s.recall(),
                s.problems.join("\n")
            );
        }
    }
}

#[test]
fn json_lines_stay_json() {
    let engine = Engine::builtin();
    let mut checked = 0;
    for (path, _) in all_logs() {
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
    for (path, _) in all_logs() {
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
