//! `bootstrap`: tokenscrub as an AWS Lambda function (`provided.al2023`).
//!
//! `main` only wires things: settings from the environment and from SSM Parameter Store or
//! Secrets Manager where the environment names them (read and validated before the runtime
//! starts, so a bad setting fails the cold start with a clear error), the engine, the findings
//! sink, and the Lambda runtime. The work is in `handler::handle`.

mod config;
mod handler;
mod metrics;
mod remote;
mod sink;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use futures_util::FutureExt;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use std::panic::AssertUnwindSafe;

/// A panic's message may quote what it was handling (a payload): the function's log gets the
/// place and a fixed message only (a literal, an `expect`), never a formatted one.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<&'static str>()
            .copied()
            .unwrap_or("(message withheld: it may quote the payload)");
        println!(
            "{}",
            serde_json::json!({"level": "error", "msg": "internal error (panic)", "at": place, "panic": message})
        );
    }));
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    install_panic_hook();
    let bad_configuration = |e: String| {
        println!(
            "{}",
            serde_json::json!({"level": "error", "msg": "bad configuration", "error": e})
        );
        Error::from(e)
    };
    // The SDK reads its region, credentials and AWS_ENDPOINT_URL from the environment.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await;
    let env = |k: &str| std::env::var(k).ok();
    let remote = remote::RemoteSettings::from_vars(env).map_err(bad_configuration)?;
    let fetched = remote.fetch(&sdk).await.map_err(bad_configuration)?;
    let settings = config::Settings::from_vars(|k| fetched.get(k).cloned().or_else(|| env(k)))
        .map_err(bad_configuration)?;
    if settings.random_key {
        println!(
            "{}",
            serde_json::json!({"level": "warn", "msg": "no fingerprint key (TOKENSCRUB_HMAC_KEY, _PARAMETER or _SECRET): fingerprints use a random key and only correlate within this instance"})
        );
    }
    let sink = sink::CloudWatchLogsSink::new(
        aws_sdk_cloudwatchlogs::Client::new(&sdk),
        settings.findings_log_group.clone().unwrap_or_default(),
        settings.findings_log_stream.clone(),
    );
    let (settings, sink) = (&settings, &sink);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // Where a panic unwinds (test builds; release builds abort, after the hook), the
        // runtime would send its message to the Runtime API (and so to the logs and the
        // invocation's result): it is caught here and replaced by a fixed one.
        let handled = AssertUnwindSafe(async {
            // For the test of this path only: a panic whose message quotes its "input".
            if let Some(v) = std::env::var_os("TOKENSCRUB_TEST_PANIC") {
                panic!("test panic with {}", v.to_string_lossy());
            }
            handler::handle(settings, sink, event.payload).await
        })
        .catch_unwind()
        .await;
        match handled {
            Ok(result) => result.map_err(Error::from),
            Err(_) => Err(Error::from(
                "internal error: the function panicked (its message is withheld: it may quote \
                 the payload)",
            )),
        }
    }))
    .await
}
