//! The built `bootstrap` binary, run as Lambda runs it: against a local Runtime API (a small
//! HTTP server in this test), with its CloudWatch Logs client pointed at a moto server that the
//! test starts. Findings are read back with GetLogEvents. A fault-injecting proxy in front of
//! moto shows that a failed PutLogEvents fails the invocation and that, once Lambda delivers the
//! payload again, no finding is lost.
//!
//! Needs `moto_server` on PATH (`pip install "moto[server]"`; `scripts/test.sh` installs it).

use aws_sdk_cloudwatchlogs::Client;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child process killed when dropped.
struct Proc(Child);

impl Proc {
    /// Stop the process (if it still runs) and return what it printed on stdout.
    fn stop_and_read_stdout(&mut self) -> String {
        let _ = self.0.kill();
        let mut out = String::new();
        if let Some(mut stdout) = self.0.stdout.take() {
            let _ = stdout.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto() -> (Proc, u16) {
    let port = free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server not found: pip install \"moto[server]\" (scripts/test.sh does)");
    wait_for_port(port, "moto_server");
    (Proc(child), port)
}

/// One HTTP/1.1 request: method, path, body. `None` when the peer closed.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

/// What the Runtime API saw for each invocation.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Response(Value),
    Error(String),
}

/// A minimal Lambda Runtime API: hands out queued events, records responses and errors.
struct RuntimeApi {
    port: u16,
    queue: Arc<Mutex<VecDeque<(String, Value)>>>,
    outcomes: Arc<Mutex<Vec<(String, Outcome)>>>,
}

impl RuntimeApi {
    fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let queue: Arc<Mutex<VecDeque<(String, Value)>>> = Arc::default();
        let outcomes: Arc<Mutex<Vec<(String, Outcome)>>> = Arc::default();
        let (q, o) = (queue.clone(), outcomes.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (q, o) = (q.clone(), o.clone());
                std::thread::spawn(move || serve(conn, q, o));
            }
        });
        RuntimeApi {
            port,
            queue,
            outcomes,
        }
    }

    fn push(&self, id: &str, event: Value) {
        self.queue
            .lock()
            .unwrap()
            .push_back((id.to_string(), event));
    }

    /// Wait until `n` invocations have an outcome.
    fn wait_outcomes(&self, n: usize) -> Vec<(String, Outcome)> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let got = self.outcomes.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} invocations finished",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(
    conn: TcpStream,
    queue: Arc<Mutex<VecDeque<(String, Value)>>>,
    outcomes: Arc<Mutex<Vec<(String, Outcome)>>>,
) {
    let mut writer = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    while let Some((method, path, body)) = read_request(&mut reader) {
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Long poll: wait for an event.
            let (id, event) = loop {
                if let Some(next) = queue.lock().unwrap().pop_front() {
                    break next;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let body = serde_json::to_vec(&event).unwrap();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:tokenscrub\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\r\n",
                body.len()
            );
            if writer
                .write_all(head.as_bytes())
                .and_then(|_| writer.write_all(&body))
                .is_err()
            {
                return;
            }
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let id = parts.get(4).copied().unwrap_or_default().to_string();
        let text = String::from_utf8_lossy(&body).into_owned();
        let outcome = if path.ends_with("/response") {
            Outcome::Response(serde_json::from_str(&text).unwrap_or(Value::Null))
        } else {
            Outcome::Error(text)
        };
        outcomes.lock().unwrap().push((id, outcome));
        let _ = writer.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}");
    }
}

/// A TCP proxy in front of moto that answers 503 to every request while `failing` is set.
struct FaultProxy {
    port: u16,
    failing: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl FaultProxy {
    fn start(upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let failing = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let (f, r) = (failing.clone(), refused.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                if f.load(Ordering::SeqCst) {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut w = client;
                    if read_request(&mut reader).is_some() {
                        r.fetch_add(1, Ordering::SeqCst);
                        let body =
                            r#"{"__type":"ServiceUnavailableException","message":"injected"}"#;
                        let _ = write!(
                            w,
                            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    let _ = w.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut c, mut s) = (client, server);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c2, &mut s2);
                    let _ = s2.shutdown(Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s, &mut c);
                    let _ = c.shutdown(Shutdown::Write);
                });
            }
        });
        FaultProxy {
            port,
            failing,
            refused,
        }
    }
}

fn payload(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/corpus/cloudwatch")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn fragments(name: &str) -> Vec<String> {
    let t = payload(&name.replace(".json", ".truth.json"));
    t["secrets"]
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

/// The SDK config of a test client talking to moto on `port`.
macro_rules! moto_client {
    ($sdk:ident, $port:expr) => {{
        let conf = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", $port))
            .credentials_provider($sdk::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        $sdk::Client::from_conf(conf)
    }};
}

fn logs_client(port: u16) -> Client {
    moto_client!(aws_sdk_cloudwatchlogs, port)
}

const FINDINGS_GROUP: &str = "/tokenscrub/findings";

fn bootstrap(runtime: u16, logs_port: u16) -> Proc {
    bootstrap_with(runtime, logs_port, &[])
}

fn bootstrap_with(runtime: u16, logs_port: u16, extra_env: &[(&str, &str)]) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{runtime}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "tokenscrub")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{logs_port}"))
        .env("FINDINGS_LOG_GROUP", FINDINGS_GROUP)
        .env("TOKENSCRUB_HMAC_KEY", "runtime-test")
        // After the defaults, so that a test can override one (or unset it with "").
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Proc(child)
}

fn read_findings(rt: &tokio::runtime::Runtime, logs: &Client) -> Vec<Value> {
    read_stream(rt, logs, "tokenscrub-findings")
}

fn read_stream(rt: &tokio::runtime::Runtime, logs: &Client, stream: &str) -> Vec<Value> {
    rt.block_on(async {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = logs
                .get_log_events()
                .log_group_name(FINDINGS_GROUP)
                .log_stream_name(stream)
                .start_from_head(true)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            let before = out.len();
            out.extend(
                resp.events()
                    .iter()
                    .map(|e| serde_json::from_str::<Value>(e.message().unwrap()).unwrap()),
            );
            let next = resp.next_forward_token().map(str::to_string);
            if out.len() == before || next == token {
                break;
            }
            token = next;
        }
        out
    })
}

#[test]
fn bootstrap_writes_findings_and_survives_putlogevents_failures() {
    let (_moto, moto_port) = moto();
    let proxy = FaultProxy::start(moto_port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let logs = logs_client(moto_port);
    rt.block_on(
        logs.create_log_group()
            .log_group_name(FINDINGS_GROUP)
            .send(),
    )
    .unwrap();

    let api = RuntimeApi::start();
    let mut function = bootstrap(api.port, proxy.port);
    api.push("inv-1", payload("lambda_node_text_1.json"));
    api.push("inv-2", payload("control_message_public.json"));
    api.push(
        "inv-3",
        serde_json::json!({"awslogs": {"data": "!!not a payload"}}),
    );
    let outcomes = api.wait_outcomes(3);
    for (id, outcome) in &outcomes {
        assert!(matches!(outcome, Outcome::Response(_)), "{id}: {outcome:?}");
    }
    let first = read_findings(&rt, &logs);
    assert!(
        !first.is_empty(),
        "findings of the first payload were written"
    );
    let frags = fragments("lambda_node_text_1.json");
    for f in &first {
        let text = f.to_string();
        assert!(
            frags.iter().all(|x| !text.contains(x.as_str())),
            "a finding holds a secret"
        );
        assert!(f["id"].is_string() && f["event_id"].is_string() && f["rule"].is_string());
    }

    // PutLogEvents now fails (503 after every retry): the invocation must fail.
    proxy.failing.store(true, Ordering::SeqCst);
    api.push("inv-4", payload("lambda_python_text_1.json"));
    let outcomes = api.wait_outcomes(4);
    assert!(
        matches!(outcomes[3].1, Outcome::Error(_)),
        "{:?}",
        outcomes[3]
    );
    assert!(proxy.refused.load(Ordering::SeqCst) >= 2, "the SDK retried");

    // Lambda delivers the payload again once the service is back: nothing is lost.
    proxy.failing.store(false, Ordering::SeqCst);
    api.push("inv-4-retry", payload("lambda_python_text_1.json"));
    let outcomes = api.wait_outcomes(5);
    assert!(
        matches!(outcomes[4].1, Outcome::Response(_)),
        "{:?}",
        outcomes[4]
    );
    let all = read_findings(&rt, &logs);
    let second: Vec<&Value> = all[first.len()..].iter().collect();
    let truth = payload("lambda_python_text_1.truth.json");
    for ev in truth["events"].as_array().unwrap() {
        assert!(
            second.iter().any(|f| f["event_id"] == ev["id"]),
            "event {} lost its finding",
            ev["id"]
        );
    }

    // The function's own stdout: counts, ids and EMF lines, never message text.
    let stdout = function.stop_and_read_stdout();
    assert!(
        stdout.contains("\"CloudWatchMetrics\""),
        "an EMF line per invocation"
    );
    for f in frags
        .iter()
        .chain(fragments("lambda_python_text_1.json").iter())
    {
        assert!(!stdout.contains(f.as_str()), "the function logged a secret");
    }
}

/// A panic in the function reports neither its message (which may quote the payload) to the
/// Runtime API nor to the function's log: the place and a fixed message only. (A release build
/// aborts on a panic, and Lambda sees the runtime exit; a test build unwinds, and the function
/// fails the invocation with a fixed message.)
#[test]
fn a_panic_reports_no_payload_text() {
    const SECRET: &str = "FAKEpw0rdInAPanic123";
    let api = RuntimeApi::start();
    let mut function = bootstrap_with(api.port, free_port(), &[("TOKENSCRUB_TEST_PANIC", SECRET)]);
    api.push("inv-1", serde_json::json!({"awslogs": {"data": "x"}}));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let exited = function.0.try_wait().unwrap().is_some();
        let outcomes = api.outcomes.lock().unwrap().clone();
        if let Some((_, outcome)) = outcomes.first() {
            match outcome {
                Outcome::Error(body) => assert!(!body.contains(SECRET), "{body}"),
                other => panic!("a panic must fail the invocation: {other:?}"),
            }
            break;
        }
        if exited {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the panic neither failed nor ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = function.stop_and_read_stdout();
    assert!(log.contains("internal error (panic)"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
}

/// The peak memory of a process (VmHWM), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kib >> 10
}

/// The function's memory in the template (`MemorySize`), in MB.
fn template_memory_mb() -> u64 {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml"))
            .unwrap();
    template
        .lines()
        .find_map(|l| l.trim().strip_prefix("MemorySize:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("MemorySize in template.yaml")
}

/// A payload that decompresses to just under the cap (`MAX_DECOMPRESSED`, far above what
/// CloudWatch batches) is masked within the function's memory, and a gzip bomb past the cap
/// is counted malformed instead of filling it: the template's `MemorySize` holds the worst
/// payload the decoder takes.
#[test]
fn the_largest_payload_fits_the_function_memory() {
    use tokenscrub_report::cloudwatch::{MAX_DECOMPRESSED, decode_json, encode};
    let api = RuntimeApi::start();
    let function = bootstrap(api.port, free_port());
    // 10,000 events (CloudWatch's most) of ordinary lines, a few with a key and a value, to
    // within 64 KiB of the cap.
    let line = "2026-12-03 08:50:39,123 INFO app.views GET /api/items?page=2 200 in 12 ms; ";
    let payload = |chars: usize| {
        let events: Vec<Value> = (0..10_000u64)
            .map(|i| {
                let mut m = line.repeat(chars.div_ceil(line.len()));
                m.truncate(chars);
                if i % 100 == 0 {
                    m.push_str(" token=FAKEvalue0123456789abcdef");
                }
                serde_json::json!({"id": format!("{i:056}"), "timestamp": 1_764_750_000_000u64 + i, "message": m})
            })
            .collect();
        let doc = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/app",
            "logStream": "s", "subscriptionFilters": ["f"], "logEvents": events,
        });
        serde_json::to_vec(&doc).unwrap()
    };
    let overhead = payload(0).len();
    let json = payload((MAX_DECOMPRESSED as usize - (64 << 10) - overhead) / 10_000);
    assert!(
        json.len() as u64 > MAX_DECOMPRESSED - (128 << 10) && json.len() as u64 <= MAX_DECOMPRESSED
    );
    let envelope = encode(&decode_json(&json).unwrap());
    api.push("largest", serde_json::from_slice(&envelope).unwrap());
    // A bomb: the cap and a byte more of one byte, a few KB of gzip.
    let bomb = serde_json::json!({"awslogs": {"data": base64_of_gzip(&vec![b' '; MAX_DECOMPRESSED as usize + 1])}});
    api.push("bomb", bomb);
    let outcomes = api.wait_outcomes(2);
    let peak = peak_mib(function.0.id());
    eprintln!(
        "the largest payload: peak {peak} MiB; first outcome {:?}",
        outcomes[0].1
    );
    let memory = template_memory_mb();
    assert!(
        matches!(&outcomes[1].1, Outcome::Response(v) if v["malformed"] == 1),
        "{:?}",
        outcomes[1]
    );
    // The findings log group is not there (no moto): the first invocation fails on
    // PutLogEvents after masking, which is the memory measured.
    assert!(
        peak < memory * 1_000_000 / (1 << 20),
        "peak {peak} MiB, the function has {memory} MB"
    );
}

fn base64_of_gzip(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(tokenscrub_report::cloudwatch::gzip(bytes))
}

/// The fingerprint key read from SSM Parameter Store (SecureString) or Secrets Manager at cold
/// start, with no key in the environment, gives the fingerprints that the same key given in
/// `TOKENSCRUB_HMAC_KEY` gives; another key gives others (they do depend on the key). A
/// parameter that is not there fails the cold start, naming it and not the key.
#[test]
fn the_key_from_ssm_or_secrets_manager_fingerprints_as_the_key_itself() {
    const KEY: &str = "FAKE-fingerprint-key-0123456789";
    let (_moto, port) = moto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let logs = logs_client(port);
    rt.block_on(async {
        logs.create_log_group()
            .log_group_name(FINDINGS_GROUP)
            .send()
            .await
            .unwrap();
        moto_client!(aws_sdk_ssm, port)
            .put_parameter()
            .name("/tokenscrub/hmac-key")
            .value(KEY)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
        moto_client!(aws_sdk_secretsmanager, port)
            .create_secret()
            .name("tokenscrub/hmac-key")
            .secret_string(KEY)
            .send()
            .await
            .unwrap();
    });
    let fingerprints_with = |stream: &str, env: &[(&str, &str)]| -> Vec<String> {
        let api = RuntimeApi::start();
        let mut all_env = vec![("FINDINGS_LOG_STREAM", stream)];
        all_env.extend_from_slice(env);
        let mut function = bootstrap_with(api.port, port, &all_env);
        api.push("inv", payload("lambda_node_text_1.json"));
        let outcomes = api.wait_outcomes(1);
        assert!(
            matches!(outcomes[0].1, Outcome::Response(_)),
            "{stream}: {:?}",
            outcomes[0]
        );
        let stdout = function.stop_and_read_stdout();
        assert!(!stdout.contains(KEY), "the function logged its key");
        read_stream(&rt, &logs, stream)
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let direct = fingerprints_with("direct", &[("TOKENSCRUB_HMAC_KEY", KEY)]);
    assert!(!direct.is_empty());
    let from_ssm = fingerprints_with(
        "ssm",
        &[
            ("TOKENSCRUB_HMAC_KEY", ""),
            ("TOKENSCRUB_HMAC_KEY_PARAMETER", "/tokenscrub/hmac-key"),
        ],
    );
    assert_eq!(from_ssm, direct);
    let from_secret = fingerprints_with(
        "secret",
        &[
            ("TOKENSCRUB_HMAC_KEY", ""),
            ("TOKENSCRUB_HMAC_KEY_SECRET", "tokenscrub/hmac-key"),
        ],
    );
    assert_eq!(from_secret, direct);
    let other = fingerprints_with("other", &[("TOKENSCRUB_HMAC_KEY", "another-key")]);
    assert_eq!(other.len(), direct.len());
    assert!(other.iter().all(|f| !direct.contains(f)));

    // A parameter that is not there: the cold start fails and says which.
    let api = RuntimeApi::start();
    let mut function = bootstrap_with(
        api.port,
        port,
        &[
            ("TOKENSCRUB_HMAC_KEY", ""),
            ("TOKENSCRUB_HMAC_KEY_PARAMETER", "/tokenscrub/missing"),
        ],
    );
    let status = function.0.wait().unwrap();
    assert!(!status.success());
    let stdout = function.stop_and_read_stdout();
    assert!(
        stdout.contains("bad configuration")
            && stdout.contains("/tokenscrub/missing")
            && stdout.contains("ParameterNotFound"),
        "{stdout}"
    );
}

/// A Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`) in front of the
/// Runtime API: what boto3's `invoke` sends becomes an invocation of the running bootstrap, and
/// its outcome the answer (an error as `X-Amz-Function-Error`).
fn invoke_bridge(api: &RuntimeApi) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (queue, outcomes) = (api.queue.clone(), api.outcomes.clone());
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let (queue, outcomes, next) = (queue.clone(), outcomes.clone(), next.clone());
            std::thread::spawn(move || {
                let mut writer = conn.try_clone().unwrap();
                let mut reader = BufReader::new(conn);
                while let Some((_, path, body)) = read_request(&mut reader) {
                    assert!(path.ends_with("/invocations"), "{path}");
                    let id = format!("replay-{}", next.fetch_add(1, Ordering::SeqCst));
                    let event: Value = serde_json::from_slice(&body).unwrap();
                    queue.lock().unwrap().push_back((id.clone(), event));
                    let outcome = loop {
                        let done = outcomes.lock().unwrap().clone();
                        if let Some((_, o)) = done.into_iter().find(|(i, _)| *i == id) {
                            break o;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    };
                    let (extra, body) = match outcome {
                        Outcome::Response(v) => (String::new(), v.to_string()),
                        Outcome::Error(e) => ("X-Amz-Function-Error: Unhandled\r\n".into(), e),
                    };
                    let _ = write!(
                        writer,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
        }
    });
    port
}

/// The failure queue, as Lambda fills it (a direct event's on-failure record with the whole
/// event; a Kinesis batch's, which points into the stream; one that is neither), is replayed
/// by `scripts/replay-failures.py` into the function: the two batches are delivered again and
/// their leaks reach the findings log group, the third message is kept and reported, and
/// nothing of the log text is printed.
#[test]
fn the_failure_queue_is_replayed_into_the_function() {
    let (_moto, port) = moto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let logs = logs_client(port);
    rt.block_on(
        logs.create_log_group()
            .log_group_name(FINDINGS_GROUP)
            .send(),
    )
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = dir.join("../testdata/corpus/cloudwatch");
    let (direct, streamed) = ("lambda_node_text_1.json", "lambda_python_text_1.json");
    let aws_env = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ];
    let setup = Command::new("python3")
        .arg(dir.join("tests/failure_queue_setup.py"))
        .arg(corpus.join(direct))
        .arg(corpus.join(streamed))
        .arg(corpus.join(direct))
        .envs(aws_env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let made: Value = serde_json::from_slice(&setup.stdout).unwrap();

    let api = RuntimeApi::start();
    let mut function = bootstrap(api.port, port);
    let bridge = invoke_bridge(&api);
    let replay = Command::new("python3")
        .arg(dir.join("../scripts/replay-failures.py"))
        .args(["--queue-url", made["queue_url"].as_str().unwrap()])
        .args(["--function", "tokenscrub"])
        .envs(aws_env.iter().map(|(k, v)| (k, v)))
        .env(
            "AWS_ENDPOINT_URL_LAMBDA",
            format!("http://127.0.0.1:{bridge}"),
        )
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr),
    );
    assert_eq!(
        replay.status.code(),
        Some(1),
        "one message kept: {out}{err}"
    );
    assert!(out.contains("replayed 2, kept 1"), "{out}{err}");
    assert!(out.contains("event invoked again"), "{out}");
    assert!(out.contains("2 Kinesis records delivered again"), "{out}");
    assert!(err.contains("not an on-failure record"), "{err}");

    let findings = read_findings(&rt, &logs);
    for name in [direct, streamed] {
        let truth = payload(&name.replace(".json", ".truth.json"));
        for ev in truth["events"].as_array().unwrap() {
            assert!(
                findings.iter().any(|f| f["event_id"] == ev["id"]),
                "{name}: event {} has no finding after the replay",
                ev["id"]
            );
        }
        for f in fragments(name) {
            assert!(
                !out.contains(&f) && !err.contains(&f),
                "the replay printed a secret"
            );
        }
    }
    let _ = function.0.kill();
}
