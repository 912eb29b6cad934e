//! The Lambda's work on a CloudWatch subscription payload of 1 MB of log text:
//! `cargo bench -p tokenscrub-report`. `payload/decode-1MB` is base64, gzip and JSON decode;
//! `payload/decode-scan-findings-1MB` adds the scan of the batch, the second look at its keyword
//! lines and the finding records, as an alert needs them. Throughput is in bytes of log text.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;
use tokenscrub::{Engine, FingerprintKey, MaskStyle, Masker};
use tokenscrub_report::cloudwatch;

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/../testdata/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn masker() -> Masker {
    Masker::new(MaskStyle::Label, FingerprintKey::new(b"bench"))
}

/// A subscription event as the Lambda receives it, holding `size` bytes of log text (one
/// event per corpus line) from the bundled Lambda and Express logs.
fn subscription_event(size: usize) -> (serde_json::Value, usize) {
    let mut lines = Vec::new();
    for name in [
        "lambda_node_text.log",
        "lambda_python_text.log",
        "express_orders_dev.log",
    ] {
        let text = String::from_utf8(corpus(name)).expect("corpus logs are UTF-8");
        lines.extend(text.lines().map(str::to_owned).collect::<Vec<_>>());
    }
    let mut events = Vec::new();
    let mut text_bytes = 0;
    for (i, line) in lines.iter().cycle().enumerate() {
        if text_bytes >= size {
            break;
        }
        text_bytes += line.len();
        events.push(serde_json::json!({
            "id": format!("{:056}", i),
            "timestamp": 1_795_356_013_143u64 + i as u64,
            "message": line,
        }));
    }
    let doc = serde_json::json!({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/orders",
        "logStream": "2026/11/22/[$LATEST]0123456789abcdef",
        "subscriptionFilters": ["tokenscrub"],
        "logEvents": events,
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(doc.to_string().as_bytes()).unwrap();
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    (
        serde_json::json!({ "awslogs": { "data": data } }),
        text_bytes,
    )
}

fn payload(c: &mut Criterion) {
    let engine = Engine::builtin();
    let masker = masker();
    let (event, text_bytes) = subscription_event(1_000_000);
    let mut group = c.benchmark_group("payload");
    group.throughput(Throughput::Bytes(text_bytes as u64));
    group.bench_function("decode-1MB", |b| {
        b.iter(|| cloudwatch::decode_value(black_box(&event)).unwrap())
    });
    group.bench_function("decode-scan-findings-1MB", |b| {
        b.iter(|| {
            let p = cloudwatch::decode_value(black_box(&event)).unwrap();
            cloudwatch::payload_findings(&engine, &masker, &p).len()
        })
    });
    group.finish();
}

criterion_group!(benches, payload);
criterion_main!(benches);
