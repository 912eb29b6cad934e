//! `bootstrap`: tokenscrub as an AWS Lambda function (`provided.al2023`).
//!
//! `main` only wires things: settings from the environment (validated before the runtime
//! starts, so a bad setting fails the cold start with a clear error), the engine, the findings
//! sink, and the Lambda runtime. The work is in `handler::handle`.

mod config;
mod handler;
mod metrics;
mod sink;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let settings = config::Settings::from_vars(|k| std::env::var(k).ok()).map_err(|e| {
        println!(
            "{}",
            serde_json::json!({"level": "error", "msg": "bad configuration", "error": e})
        );
        Error::from(e)
    })?;
    if settings.random_key {
        println!(
            "{}",
            serde_json::json!({"level": "warn", "msg": "TOKENSCRUB_HMAC_KEY is not set: fingerprints use a random key and only correlate within this instance"})
        );
    }
    // The SDK reads its region, credentials and AWS_ENDPOINT_URL from the environment.
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await;
    let sink = sink::CloudWatchLogsSink::new(
        aws_sdk_cloudwatchlogs::Client::new(&sdk),
        settings.findings_log_group.clone().unwrap_or_default(),
        settings.findings_log_stream.clone(),
    );
    let (settings, sink) = (&settings, &sink);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::handle(settings, sink, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
