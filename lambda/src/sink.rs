//! Where findings go: one JSON event each in the findings log group (`PutLogEvents`).
//!
//! Batches stay within the API's limits (1,048,576 bytes counting 26 bytes per event, 10,000
//! events, chronological order); the log stream is created on demand; throttling and 5xx are
//! retried with backoff by the SDK's standard retry mode. A batch that still fails fails the
//! invocation, so that Lambda delivers the payload again: findings are at-least-once, and their
//! ids are stable, so a reader can deduplicate.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use std::ops::Range;

/// PutLogEvents limits.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const EVENT_OVERHEAD: usize = 26;
pub const MAX_BATCH_EVENTS: usize = 10_000;

/// A finding, ready to be sent: its JSON and the time it is logged at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingEvent {
    pub timestamp: i64,
    pub message: String,
}

/// Something that stores findings.
pub trait FindingSink {
    /// Store all of `events` (in chronological order), or fail.
    fn put(&self, events: &[FindingEvent])
    -> impl std::future::Future<Output = Result<(), String>>;
}

/// Split `events` (chronological) into batches PutLogEvents accepts.
pub fn batches(events: &[FindingEvent]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, e) in events.iter().enumerate() {
        let size = e.message.len() + EVENT_OVERHEAD;
        if i > start && (bytes + size > MAX_BATCH_BYTES || i - start == MAX_BATCH_EVENTS) {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < events.len() {
        out.push(start..events.len());
    }
    out
}

/// The findings log group.
pub struct CloudWatchLogsSink {
    client: Client,
    group: String,
    stream: String,
}

impl CloudWatchLogsSink {
    pub fn new(client: Client, group: String, stream: String) -> Self {
        CloudWatchLogsSink {
            client,
            group,
            stream,
        }
    }

    async fn create_stream(&self) -> Result<(), String> {
        match self
            .client
            .create_log_stream()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceAlreadyExistsException") => Ok(()),
            Err(e) => Err(format!(
                "creating log stream {} in {}: {}",
                self.stream,
                self.group,
                DisplayErrorContext(&e)
            )),
        }
    }

    async fn put_batch(
        &self,
        events: &[FindingEvent],
    ) -> Result<
        (),
        aws_sdk_cloudwatchlogs::error::SdkError<
            aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError,
        >,
    > {
        let input: Vec<InputLogEvent> = events
            .iter()
            .map(|e| {
                InputLogEvent::builder()
                    .timestamp(e.timestamp)
                    .message(&e.message)
                    .build()
                    .expect("timestamp and message are set")
            })
            .collect();
        self.client
            .put_log_events()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .set_log_events(Some(input))
            .send()
            .await
            .map(|_| ())
    }
}

impl FindingSink for CloudWatchLogsSink {
    async fn put(&self, events: &[FindingEvent]) -> Result<(), String> {
        for range in batches(events) {
            let batch = &events[range];
            let result = match self.put_batch(batch).await {
                Err(e) if e.code() == Some("ResourceNotFoundException") => {
                    self.create_stream().await?;
                    self.put_batch(batch).await
                }
                other => other,
            };
            // The error names the API, group and stream; never a finding's text.
            result.map_err(|e| {
                format!(
                    "PutLogEvents to {} / {} failed: {}",
                    self.group,
                    self.stream,
                    e.code().unwrap_or("no response")
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(len: usize) -> FindingEvent {
        FindingEvent {
            timestamp: 1,
            message: "x".repeat(len),
        }
    }

    #[test]
    fn batches_respect_bytes_and_counts() {
        assert!(batches(&[]).is_empty());
        let small: Vec<_> = (0..25_000).map(|_| ev(10)).collect();
        let b = batches(&small);
        assert_eq!(
            b.iter().map(|r| r.len()).collect::<Vec<_>>(),
            vec![10_000, 10_000, 5_000]
        );
        let big: Vec<_> = (0..5).map(|_| ev(400_000)).collect();
        let b = batches(&big);
        assert_eq!(b.iter().map(|r| r.len()).collect::<Vec<_>>(), vec![2, 2, 1]);
        for r in b {
            let bytes: usize = big[r]
                .iter()
                .map(|e| e.message.len() + EVENT_OVERHEAD)
                .sum();
            assert!(bytes <= MAX_BATCH_BYTES);
        }
    }
}
