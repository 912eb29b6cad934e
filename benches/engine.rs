//! Engine benchmarks: `cargo bench --bench engine` (add `-- <filter>` for one group).
//!
//! Throughput is in bytes of input. Groups:
//! * `build`: compiling the catalog (what every CLI run and Lambda cold start pays);
//! * `shape/*`: one log shape each (the bundled corpus: Flask + botocore DEBUG, Express,
//!   Lambda), streamed through the redactor;
//! * `density/*`: the same line mix with no secret, 1 % and 10 % of lines with one;
//! * `family/*`: lines that only shaped tokens (`ghp_…`, JWT) or only keyed values wake.
//!
//! The Lambda's work on a subscription payload is `report/benches/payload.rs`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tokenscrub::{
    Engine, FingerprintKey, MaskStyle, Masker, Redactor, StreamOptions, redact_stream,
};

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn masker() -> Masker {
    Masker::new(MaskStyle::Label, FingerprintKey::new(b"bench"))
}

fn redact(engine: &Engine, masker: &Masker, text: &[u8], out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut r = Redactor::new(engine, masker.clone());
    redact_stream(&mut r, text, out, StreamOptions::default(), &mut |_| {})
        .expect("in-memory streams do not fail")
        .findings
}

/// Deterministic lines (no randomness crate needed): werkzeug / pino / botocore lines, and a
/// secret-bearing line every `every` lines (0: never).
fn mixed_lines(total: usize, every: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + 512);
    let mut i = 0u64;
    while out.len() < total {
        i += 1;
        let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let line = match h % 5 {
            0 => format!(
                "10.0.{}.{} - - [22/Nov/2026 14:00:{:02}] \"GET /api/items/{} HTTP/1.1\" 200 -\n",
                h % 7,
                h % 251,
                i % 60,
                h % 99991
            ),
            1 => format!(
                "{{\"level\":30,\"time\":{},\"pid\":4242,\"msg\":\"request completed\",\"res\":{{\"statusCode\":200}},\"responseTime\":{}}}\n",
                1_795_356_013_143u64 + i,
                h % 900
            ),
            2 => format!(
                "2026-11-22 14:00:{:02},{:03} botocore.hooks [DEBUG] Event before-call.dynamodb.Query: calling handler <function inject_api_version_header_if_needed at 0x7ff6{:08x}>\n",
                i % 60,
                i % 1000,
                h as u32
            ),
            3 => format!(
                "[2026-11-22T14:00:09.838Z] warn: slow query ({}ms) sql=\"SELECT * FROM items WHERE owner_id = $1\" commit={:016x}\n",
                h % 5000,
                h
            ),
            _ => "  connection: 'keep-alive'\n".to_string(),
        };
        out.extend_from_slice(line.as_bytes());
        if every > 0 && i.is_multiple_of(every as u64) {
            let secret = format!(
                "{{\"level\":40,\"msg\":\"login\",\"refresh_token\":\"FAKE{:032x}\"}}\n",
                h
            );
            out.extend_from_slice(secret.as_bytes());
        }
    }
    out
}

fn build(c: &mut Criterion) {
    c.bench_function("build", |b| b.iter(|| black_box(Engine::builtin())));
}

fn shapes(c: &mut Criterion) {
    let engine = Engine::builtin();
    let masker = masker();
    let mut group = c.benchmark_group("shape");
    let mut out = Vec::new();
    for name in [
        "flask_accounts_debug.log",
        "express_orders_combined.log",
        "lambda_python_text.log",
    ] {
        let text = corpus(name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| redact(&engine, &masker, text, &mut out))
        });
    }
    group.finish();
}

fn density(c: &mut Criterion) {
    let engine = Engine::builtin();
    let masker = masker();
    let mut group = c.benchmark_group("density");
    let mut out = Vec::new();
    for (name, every) in [("clean", 0), ("1pct", 100), ("10pct", 10)] {
        let text = mixed_lines(4 << 20, every);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| redact(&engine, &masker, text, &mut out))
        });
    }
    group.finish();
}

fn families(c: &mut Criterion) {
    let engine = Engine::builtin();
    let masker = masker();
    let mut group = c.benchmark_group("family");
    let mut out = Vec::new();
    let shaped = "deploy ok using 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 and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJGQUtFIn0.FAKEsigFAKEsigFAKEsig\n";
    let keyed = "{\"user\":\"u-1\",\"api_key\":\"FAKEkey0123456789abcdef\",\"session_id\":\"FAKEsess0123456789\"}\n";
    for (name, line) in [("shaped", shaped), ("keyed", keyed)] {
        let text = line.repeat((1 << 20) / line.len()).into_bytes();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| redact(&engine, &masker, text, &mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, build, shapes, density, families);
criterion_main!(benches);
