#!/usr/bin/env python3
"""Cold start of the Lambda's `bootstrap`, as the Lambda service would see it.

Runs the binary against a local Runtime API (this script) many times and reports, per run:
  * init: process start to its first `GET /runtime/invocation/next` (Lambda's Init duration);
  * first: process start to the answer of the first invocation (a corpus payload).
and the binary's size. A measurement, not a test: the machine is noisy, so it prints the
median and the minimum of the runs.

    scripts/build-lambda.sh && scripts/lambda-coldstart.py [--bin target/lambda/bootstrap/bootstrap] [--runs 20]

No AWS is needed: FINDINGS_LOG_GROUP is unset, so the first invocation scans its payload and
answers with the error that findings cannot be delivered (the scan is what is measured).
"""

import argparse
import json
import os
import statistics
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure_once(binary, event):
    marks = {}
    done = threading.Event()

    class RuntimeApi(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if "next" in marks:  # the second poll: nothing more to hand out
                done.wait(30)
                self.send_response(410)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            marks["next"] = time.perf_counter()
            body = json.dumps(event).encode()
            self.send_response(200)
            for k, v in {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "Lambda-Runtime-Aws-Request-Id": "cold-start",
                "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60000),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:tokenscrub",
            }.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            marks["answer"] = time.perf_counter()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # the function's next poll, cut when it is killed

    server = Server(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "tokenscrub",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TOKENSCRUB_HMAC_KEY": "cold-start",
    }
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = done.wait(60)
    proc.kill()
    proc.wait()
    server.shutdown()
    if not ok:
        raise SystemExit("the function never answered")
    return (marks["next"] - start) * 1000, (marks["answer"] - start) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", default=str(ROOT / "target/lambda/bootstrap/bootstrap"))
    p.add_argument("--runs", type=int, default=20)
    p.add_argument(
        "--event", default=str(ROOT / "testdata/corpus/cloudwatch/lambda_node_text_1.json")
    )
    args = p.parse_args()
    event = json.loads(Path(args.event).read_text())
    runs = [measure_once(args.bin, event) for _ in range(args.runs)]
    init = [r[0] for r in runs]
    first = [r[1] for r in runs]
    size = os.path.getsize(args.bin)
    print(f"binary: {args.bin}: {size / 1e6:.1f} MB")
    print(f"init (start to first poll):   median {statistics.median(init):.1f} ms, min {min(init):.1f} ms")
    print(f"first invocation answered:    median {statistics.median(first):.1f} ms, min {min(first):.1f} ms")


if __name__ == "__main__":
    main()
