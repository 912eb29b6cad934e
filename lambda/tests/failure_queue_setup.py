"""Fill a failure queue in moto as Lambda would (for tests/runtime.rs).

argv: the direct event (a corpus subscription event, JSON file), then the subscription events
whose payloads go on a Kinesis stream. Prints {"queue_url": …, "stream_arn": …} as JSON.
Messages: the direct event's on-failure record (`requestPayload`), the Kinesis batch's
(`KinesisBatchInfo` over the stream records), and one that is neither.
"""

import base64
import json
import sys

import boto3

direct, streamed = sys.argv[1], sys.argv[2:]
sqs, kinesis = boto3.client("sqs"), boto3.client("kinesis")
queue_url = sqs.create_queue(QueueName="tokenscrub-failures")["QueueUrl"]
kinesis.create_stream(StreamName="tokenscrub-logs", ShardCount=1)
stream = kinesis.describe_stream(StreamName="tokenscrub-logs")["StreamDescription"]
arn, shard = stream["StreamARN"], stream["Shards"][0]["ShardId"]
# Noise before and after the failed batch: the replay reads exactly its range.
kinesis.put_record(StreamName="tokenscrub-logs", Data=b"before", PartitionKey="p")
seqs = []
for path in streamed:
    gz = base64.b64decode(json.load(open(path))["awslogs"]["data"])
    seqs.append(kinesis.put_record(StreamName="tokenscrub-logs", Data=gz, PartitionKey="p")["SequenceNumber"])
kinesis.put_record(StreamName="tokenscrub-logs", Data=b"after", PartitionKey="p")

context = {
    "requestId": "00000000-0000-0000-0000-000000000000",
    "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:tokenscrub:$LATEST",
    "approximateInvokeCount": 3,
}
sqs.send_message(
    QueueUrl=queue_url,
    MessageBody=json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-12-07T05:00:00.000Z",
            "requestContext": dict(context, condition="RetriesExhausted"),
            "requestPayload": json.load(open(direct)),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "findings not delivered"},
        }
    ),
)
sqs.send_message(
    QueueUrl=queue_url,
    MessageBody=json.dumps(
        {
            "requestContext": dict(context, condition="RetryAttemptsExhausted"),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": "2026-12-07T05:00:00.000Z",
            "KinesisBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": seqs[0],
                "endSequenceNumber": seqs[-1],
                "approximateArrivalOfFirstRecord": "2026-12-07T04:59:00.000Z",
                "approximateArrivalOfLastRecord": "2026-12-07T04:59:01.000Z",
                "batchSize": len(seqs),
                "streamArn": arn,
            },
        }
    ),
)
sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"hello": "not a failure record"}))
json.dump({"queue_url": queue_url, "stream_arn": arn}, sys.stdout)
