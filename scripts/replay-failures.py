#!/usr/bin/env python3
"""Deliver the batches in tokenscrub's failure queue to the function again.

A batch lands in the queue (the template's FailureQueue) when it failed for good:
  * direct delivery: Lambda's on-failure record holds the whole event (`requestPayload`); it is
    invoked again, asynchronously, as CloudWatch Logs invoked it;
  * Kinesis delivery: the record holds only where the batch was (`KinesisBatchInfo`: stream,
    shard, first and last sequence number); those records are read from the stream again (they
    are there for the stream's retention, 24 hours in the template) and handed to the function
    in a Kinesis event, synchronously, and the answer is checked.
A message is deleted once its batch was delivered; a message that cannot be delivered stays in
the queue (it comes back after its visibility timeout) and is reported. Nothing of the log text
is printed: the batches are what leaked.

    scripts/replay-failures.py --queue-url URL --function tokenscrub [--max 100] [--dry-run]

Credentials, region and endpoints come from the usual AWS environment (AWS_PROFILE,
AWS_REGION, AWS_ENDPOINT_URL...). Needs boto3.
"""

import argparse
import base64
import json
import sys

import boto3


def kinesis_records(kinesis, info):
    """The stream's records from startSequenceNumber to endSequenceNumber, as a Lambda event's."""
    it = kinesis.get_shard_iterator(
        StreamARN=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    records = []
    while it:
        page = kinesis.get_records(ShardIterator=it, Limit=1000, StreamARN=info["streamArn"])
        for r in page["Records"]:
            if int(r["SequenceNumber"]) > end:
                return records
            records.append(
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": r["PartitionKey"],
                        "sequenceNumber": r["SequenceNumber"],
                        "data": base64.b64encode(r["Data"]).decode(),
                        "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp(),
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{info['shardId']}:{r['SequenceNumber']}",
                    "eventName": "aws:kinesis:record",
                    "eventSourceARN": info["streamArn"],
                }
            )
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            break
        it = page.get("NextShardIterator")
    return records


def replay(message, lam, kinesis, function, dry_run):
    """Deliver one queue message's batch again; returns what was done, or raises."""
    body = json.loads(message["Body"])
    if "requestPayload" in body:
        if not dry_run:
            lam.invoke(
                FunctionName=function,
                InvocationType="Event",
                Payload=json.dumps(body["requestPayload"]).encode(),
            )
        return "event invoked again"
    info = body.get("KinesisBatchInfo")
    if info:
        records = kinesis_records(kinesis, info)
        if len(records) < int(info.get("batchSize", len(records))):
            raise RuntimeError(
                f"only {len(records)} of {info.get('batchSize')} records are still in the stream"
            )
        if not dry_run:
            out = lam.invoke(
                FunctionName=function,
                InvocationType="RequestResponse",
                Payload=json.dumps({"Records": records}).encode(),
            )
            answer = out["Payload"].read()
            if out.get("FunctionError"):
                raise RuntimeError(f"the function failed ({out['FunctionError']})")
            failures = json.loads(answer or b"{}").get("batchItemFailures") or []
            if failures:
                raise RuntimeError(f"{len(failures)} record(s) still not delivered")
        return f"{len(records)} Kinesis records delivered again"
    raise RuntimeError("not an on-failure record of Lambda (no requestPayload, no KinesisBatchInfo)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--queue-url", required=True, help="the template's FailureQueueUrl output")
    p.add_argument("--function", required=True, help="the function's name or ARN")
    p.add_argument("--max", type=int, default=100, help="messages to replay at most")
    p.add_argument("--dry-run", action="store_true", help="read and check; invoke nothing, delete nothing")
    args = p.parse_args()
    sqs, lam, kinesis = boto3.client("sqs"), boto3.client("lambda"), boto3.client("kinesis")
    done = failed = 0
    while done + failed < args.max:
        batch = sqs.receive_message(
            QueueUrl=args.queue_url,
            MaxNumberOfMessages=min(10, args.max - done - failed),
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not batch:
            break
        for m in batch:
            try:
                what = replay(m, lam, kinesis, args.function, args.dry_run)
            except Exception as e:  # reported, kept in the queue
                failed += 1
                print(f"{m['MessageId']}: kept in the queue: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            if not args.dry_run:
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=m["ReceiptHandle"])
            done += 1
            print(f"{m['MessageId']}: {what}")
    print(f"replayed {done}, kept {failed}" + (" (dry run)" if args.dry_run else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
