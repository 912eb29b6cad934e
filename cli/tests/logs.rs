//! `tokenscrub scan --log-group-prefix` against a real CloudWatch Logs API, and `scan --verify`
//! against a real STS API: a moto server on 127.0.0.1 that this test starts and stops (and a
//! stub STS that rejects every key). The AWS SDK talks to them over HTTP.
//!
//! Needs `moto_server` on PATH (`pip install "moto[server]"`; `scripts/test.sh` installs it).

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A moto server, stopped when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server not found: pip install \"moto[server]\" (scripts/test.sh does)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
];

fn client(url: &str) -> Client {
    let conf = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    Client::from_conf(conf)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A fake GitHub token with a valid checksum, different for each `n`.
fn github_token(n: usize) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let body = format!("FAKEtestTOKEN{n:017}");
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = B62[(crc % 62) as usize];
        crc /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8(check.to_vec()).unwrap())
}

#[test]
fn scan_reads_log_groups_by_prefix_across_pages() {
    let moto = Moto::start();
    let rt = runtime();
    let logs = client(&moto.url);
    let now = now_ms();

    // Two groups under the prefix, one outside it; 120 events each, every fourth with a token.
    let mut planted: HashMap<String, (String, String)> = HashMap::new(); // message -> (group, stream)
    rt.block_on(async {
        for group in ["/aws/lambda/app-one", "/aws/lambda/app-two", "/other/app"] {
            logs.create_log_group().log_group_name(group).send().await.unwrap();
            logs.create_log_stream()
                .log_group_name(group)
                .log_stream_name("2026/11/22/[$LATEST]abc")
                .send()
                .await
                .unwrap();
            let mut events = Vec::new();
            for i in 0..120 {
                let message = if i % 4 == 0 {
                    let m = format!("{group} {i} calling github with token {}", github_token(i + group.len() * 1000));
                    if group.starts_with("/aws/lambda/") {
                        planted.insert(m.clone(), (group.to_string(), "2026/11/22/[$LATEST]abc".into()));
                    }
                    m
                } else {
                    format!("{group} {i} GET /health 200 request_id=9d9c3540-2778-43be-8f0c-9834a78ff52d")
                };
                events.push(InputLogEvent::builder().timestamp(now - 60_000 + i as i64).message(message).build().unwrap());
            }
            logs.put_log_events()
                .log_group_name(group)
                .log_stream_name("2026/11/22/[$LATEST]abc")
                .set_log_events(Some(events))
                .send()
                .await
                .unwrap();
        }
    });
    assert_eq!(planted.len(), 60);

    // The event ids the service gave the planted events.
    let mut ids: HashMap<String, String> = HashMap::new(); // event id -> message
    rt.block_on(async {
        // 120 events at 25 a page: the scan below must follow next tokens.
        let page = logs
            .filter_log_events()
            .log_group_name("/aws/lambda/app-one")
            .limit(25)
            .send()
            .await
            .unwrap();
        assert_eq!(page.events().len(), 25);
        assert!(page.next_token().is_some(), "the server paginates");
        for group in ["/aws/lambda/app-one", "/aws/lambda/app-two"] {
            let resp = logs
                .filter_log_events()
                .log_group_name(group)
                .send()
                .await
                .unwrap();
            for e in resp.events() {
                ids.insert(
                    e.event_id().unwrap().to_string(),
                    e.message().unwrap().to_string(),
                );
            }
        }
    });

    let out = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .args([
            "scan",
            "--format",
            "jsonl",
            "--log-group-prefix",
            "/aws/lambda/",
            "--since",
            "1h",
            "--page-size",
            "25",
            "--endpoint-url",
            &moto.url,
        ])
        .envs(ENV)
        .env("TOKENSCRUB_HMAC_KEY", "logs-test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        records.len(),
        60,
        "one finding per planted token, none from /other/app"
    );
    for r in &records {
        assert_eq!(r["rule"], "github-token");
        let id = r["event_id"].as_str().unwrap();
        let message = ids
            .get(id)
            .unwrap_or_else(|| panic!("unknown event id {id}"));
        let (group, stream) = &planted[message];
        assert_eq!(r["log_group"].as_str(), Some(group.as_str()));
        assert_eq!(r["log_stream"].as_str(), Some(stream.as_str()));
        assert!(
            !stdout.contains(&message[message.len() - 36..]),
            "a token leaked into the output"
        );
    }

    // A group that does not exist is an error that names it, exit code 2.
    let out = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .args([
            "scan",
            "--log-group",
            "/no/such/group",
            "--endpoint-url",
            &moto.url,
        ])
        .envs(ENV)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/group"));
}

/// An STS that answers every request as AWS does for a key that does not exist; and how many
/// requests it has had.
fn rejecting_sts() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = requests.clone();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 16 << 10];
            let _ = stream.read(&mut buf);
            let body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                <Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token \
                included in the request is invalid.</Message></Error><RequestId>r1</RequestId>\
                </ErrorResponse>";
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, requests)
}

#[test]
fn verify_asks_sts_once_per_key_and_marks_both_halves() {
    let dir = std::env::temp_dir().join(format!("tokenscrub-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("boto.log");
    // Fake, correctly shaped keys; the pair twice (one request), a lone id far away.
    let (id, secret) = (
        "AKIAQ3EGVERIFY7KEY23",
        "wJalrXUtnFEMIxK7MDENGxbPxRfiCYzFAKEKEYQ1",
    );
    let mut text =
        format!("DEBUG botocore: aws_access_key_id={id} aws_secret_access_key={secret}\n");
    text.push_str(&"INFO nothing here\n".repeat(3));
    text.push_str(&format!(
        "env AWS_ACCESS_KEY_ID={id}\nenv AWS_SECRET_ACCESS_KEY={secret}\n"
    ));
    text.push_str(&"INFO nothing here\n".repeat(10));
    text.push_str("lone key AKIAQ3EGLONELYKEY234\n");
    std::fs::write(&log, &text).unwrap();
    let run = |endpoint: &str, verify: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokenscrub"));
        cmd.args(["scan", "--format", "jsonl", "--endpoint-url", endpoint])
            .arg(&log)
            .env("TOKENSCRUB_HMAC_KEY", "verify-tests");
        if verify {
            cmd.arg("--verify");
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        for s in [&stdout, &stderr] {
            assert!(!s.contains(secret), "the secret was printed");
        }
        let records: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (records, stderr)
    };
    let aws = |records: &[Value]| -> Vec<Value> {
        records
            .iter()
            .filter(|r| r["rule"].as_str().unwrap().starts_with("aws-"))
            .cloned()
            .collect()
    };

    let moto = Moto::start();
    let (records, stderr) = run(&moto.url, true);
    assert!(
        stderr.contains("STS GetCallerIdentity") && stderr.contains(&moto.url),
        "the service is named before it is contacted: {stderr}"
    );
    let keys = aws(&records);
    assert_eq!(keys.len(), 5, "{records:?}");
    for r in &keys[..4] {
        assert_eq!(r["verified"], "live", "{r}");
        assert_eq!(r["account"], "123456789012", "{r}");
        assert!(r["arn"].as_str().unwrap().starts_with("arn:aws:"), "{r}");
    }
    // The summary counts the answers; SARIF carries them too.
    let human = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .args(["scan", "--verify", "--endpoint-url", &moto.url])
        .arg(&log)
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.contains("verified: 4 live"), "{human}");
    let sarif = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
        .args([
            "scan",
            "--format",
            "sarif",
            "--verify",
            "--endpoint-url",
            &moto.url,
        ])
        .arg(&log)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["properties"]["verified"] == "live"
            && r["properties"]["account"] == "123456789012"),
        "{doc}"
    );
    // No secret near it: not verified.
    assert_eq!(keys[4]["line"], 17);
    assert!(keys[4].get("verified").is_none(), "{}", keys[4]);

    // Not asked for: nothing is sent and no record says it was.
    let (records, stderr) = run(&moto.url, false);
    assert!(!stderr.contains("STS"), "{stderr}");
    assert!(aws(&records).iter().all(|r| r.get("verified").is_none()));

    // In CloudWatch: a payload file whose key id and secret are in two events, and a log group
    // read event by event; the key's secret may come in a later event.
    let key_event = format!("boto3 session: aws_access_key_id={id}");
    let secret_event = format!("    aws_secret_access_key={secret}");
    let payload = dir.join("payload.json");
    let doc = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/app",
        "logStream": "s", "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": "1", "timestamp": 1796287839000i64, "message": key_event},
            {"id": "2", "timestamp": 1796287839001i64, "message": secret_event},
        ],
    });
    std::fs::write(&payload, doc.to_string()).unwrap();
    let rt = runtime();
    let logs = client(&moto.url);
    let now = now_ms();
    rt.block_on(async {
        let (group, stream) = ("/verify/app", "s1");
        logs.create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
        logs.create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let events = [&key_event, &secret_event]
            .iter()
            .enumerate()
            .map(|(i, m)| {
                InputLogEvent::builder()
                    .timestamp(now - 1000 + i as i64)
                    .message(*m)
                    .build()
                    .unwrap()
            })
            .collect();
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    });
    for input in [
        vec![payload.to_str().unwrap().to_string()],
        vec!["--log-group".into(), "/verify/app".into()],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
            .args([
                "scan",
                "--format",
                "jsonl",
                "--verify",
                "--endpoint-url",
                &moto.url,
            ])
            .args(&input)
            .envs(ENV)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains(secret), "the secret was printed");
        let recs: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let keys = aws(&recs);
        assert_eq!(keys.len(), 2, "{input:?}: {stdout}");
        assert!(
            keys.iter().all(|r| r["verified"] == "live"),
            "{input:?}: {stdout}"
        );
    }

    let (sts, requests) = rejecting_sts();
    let (records, _) = run(&sts, true);
    // The same pair on two places: one request.
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    for r in &aws(&records)[..4] {
        assert_eq!(r["verified"], "invalid", "{r}");
        assert!(r.get("account").is_none() && r.get("arn").is_none(), "{r}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// AWS errors are one line with the hint that fits, not the SDK's nested debug dump: a log
/// group that is not there (the service's code and message, and where to look), and no
/// credentials at all (what to set).
#[test]
fn aws_errors_are_one_line_with_a_hint() {
    let moto = Moto::start();
    let scan = |group: &str, env: &[(&str, &str)]| {
        let home = std::env::temp_dir().join(format!("tokenscrub-nohome-{}", std::process::id()));
        let out = Command::new(env!("CARGO_BIN_EXE_tokenscrub"))
            .args(["scan", "--log-group", group, "--endpoint-url", &moto.url])
            .env_clear()
            .env("HOME", &home)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("TOKENSCRUB_HMAC_KEY", "k")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let keys = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let (code, err) = scan("/no/such/group", &keys);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("reading log group /no/such/group: ResourceNotFoundException")
            && err.contains("(check the name and the region (AWS_REGION))"),
        "{err}"
    );
    let (code, err) = scan("/aws/lambda/app", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no usable AWS credentials: set AWS_PROFILE"),
        "{err}"
    );
    assert!(
        !err.contains("DispatchFailure") && !err.contains("{"),
        "{err}"
    );
}
