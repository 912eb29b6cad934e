#!/usr/bin/env python3
"""Whole-process throughput of tokenscrub next to a do-nothing line copy and ripgrep.

    python3 scripts/bench.py [--size 256M] [--runs 3] [--data DIR]

Generates (once, deterministic) log files with no secret, 1 % and 10 % of lines carrying one
(Flask/botocore DEBUG, Werkzeug, pino, morgan, util.inspect; obviously fake tokens), builds the
release binary and the line-copy ceiling (`examples/linecopy.rs`), then times each command as
`CMD < file > /dev/null` and prints MB/s (1 MB = 10^6 bytes, median of the runs, the commands'
runs interleaved) and our ratios against the line copy, ripgrep and our own single thread
measured in the same run: the machine is noisy, compare ratios.
ripgrep (`rg`, 15+ recommended) is used as a redaction filter with the regexes in
scripts/bench_patterns.txt, as `rg --passthru -r '[REDACTED]'`; it is skipped when absent.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRACTIONS = [("clean", 0.0), ("1pct", 0.01), ("10pct", 0.10)]


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def fake(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"


def secret_line(rng, ts):
    kind = rng.randrange(6)
    if kind == 0:
        return f'{{"level":40,"time":{ts},"msg":"login","user":{{"id":"u-{rng.randrange(10**6)}","refresh_token":"FAKE{fake(rng, ALNUM, 36)}"}}}}'
    if kind == 1:
        return f"  authorization: 'Bearer FAKE{fake(rng, ALNUM, 40)}',"
    if kind == 2:
        return f"2026-11-22 14:00:00,000 botocore.endpoint [DEBUG] headers={{'X-Amz-Security-Token': b'FAKE{fake(rng, ALNUM, 120)}'}}"
    if kind == 3:
        return f"[2026-11-22T14:00:00.000Z] deploy with ghp_FAKE{fake(rng, ALNUM, 32)} done"
    if kind == 4:
        return f"INFO:app:connecting to postgres://app:FAKEpw{fake(rng, ALNUM, 12)}@db.internal:5432/orders"
    return f"{{'Item': {{'api_key': {{'S': 'FAKE{fake(rng, HEX, 32)}'}}, 'user_id': {{'S': '{rng.randrange(10**6)}'}}}}}}"


def clean_line(rng, ts):
    kind = rng.randrange(7)
    ip = f"10.0.{rng.randrange(8)}.{rng.randrange(255)}"
    if kind == 0:
        return f'{ip} - - [22/Nov/2026 14:00:{rng.randrange(60):02d}] "GET /api/items/{rng.randrange(10**5)} HTTP/1.1" 200 -'
    if kind == 1:
        return f'{{"level":30,"time":{ts},"pid":4242,"hostname":"ip-10-0-1-23","req":{{"method":"GET","url":"/api/cart"}},"res":{{"statusCode":200}},"responseTime":{rng.randrange(900)}}}'
    if kind == 2:
        return f"2026-11-22 14:00:{rng.randrange(60):02d},{rng.randrange(1000):03d} botocore.hooks [DEBUG] Event before-call.dynamodb.Query: calling handler <function inject_api_version_header_if_needed at 0x7ff6{fake(rng, HEX, 8)}>"
    if kind == 3:
        return f"::ffff:{ip} - - [22/Nov/2026:13:59:07 +0000] \"GET /api/cart HTTP/1.1\" 200 {rng.randrange(30000)} \"-\" \"kube-probe/1.30\""
    if kind == 4:
        return f"[2026-11-22T14:00:09.838Z] warn: slow query ({rng.randrange(5000)}ms) sql=\"SELECT * FROM items WHERE owner_id = $1 AND token_count > $2\" commit={fake(rng, HEX, 40)}"
    if kind == 5:
        return "  connection: 'keep-alive',"
    return f"2026-11-22 14:00:10,434 botocore.regions [DEBUG] Calling endpoint provider with parameters: {{'Region': 'us-east-1', 'UseDualStack': False, 'UseFIPS': False, 'Endpoint': 'https://dynamodb.us-east-1.amazonaws.com'}}"


def make_log(path, size, fraction, seed):
    rng = random.Random(seed)
    written = 0
    ts = 1795356013143
    with open(path + ".tmp", "w") as f:
        while written < size:
            ts += rng.randrange(50)
            line = secret_line(rng, ts) if rng.random() < fraction else clean_line(rng, ts)
            f.write(line + "\n")
            written += len(line) + 1
    os.replace(path + ".tmp", path)


def time_once(cmd, path):
    with open(path, "rb") as stdin, open(os.devnull, "wb") as out:
        t = time.perf_counter()
        # ripgrep exits 1 when nothing matched.
        rc = subprocess.run(cmd, stdin=stdin, stdout=out).returncode
        if rc not in (0, 1):
            sys.exit(f"{cmd[0]} failed with exit code {rc}")
        return time.perf_counter() - t


def time_rows(rows, path, runs):
    """Median seconds of each command. Runs are interleaved (one of each, `runs` times, after a
    round that warms the page cache), so that the machine's drift hits every row alike."""
    times = {label: [] for label, _ in rows}
    for round in range(runs + 1):
        for label, cmd in rows:
            secs = time_once(cmd, path)
            if round > 0:
                times[label].append(secs)
    return {label: statistics.median(t) for label, t in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="256M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", default=os.path.join(ROOT, "target", "bench-data"))
    args = ap.parse_args()
    size = parse_size(args.size)
    os.makedirs(args.data, exist_ok=True)

    print("== building (release)", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "tokenscrub-cli", "-p", "tokenscrub", "--bin", "tokenscrub", "--example", "linecopy"], cwd=ROOT, check=True)
    ours = os.path.join(ROOT, "target", "release", "tokenscrub")
    linecopy = os.path.join(ROOT, "target", "release", "examples", "linecopy")
    rg = shutil.which("rg")
    patterns = os.path.join(ROOT, "scripts", "bench_patterns.txt")

    rows = [
        ("tokenscrub --threads 1", [ours, "--threads", "1"]),
        ("tokenscrub (threads: one per core)", [ours]),
        ("line copy (memchr + slices)", [linecopy]),
    ]
    if rg:
        rows.append(("ripgrep --passthru -r", [rg, "--passthru", "--no-config", "-f", patterns, "-r", "[REDACTED]"]))
    else:
        print("ripgrep not found: its row is skipped", file=sys.stderr)

    results = {}
    for name, frac in FRACTIONS:
        path = os.path.join(args.data, f"mixed_{name}_{args.size}.log")
        if not os.path.exists(path):
            print(f"== generating {path}", file=sys.stderr)
            make_log(path, size, frac, seed=7)
        nbytes = os.path.getsize(path)
        for label, secs in time_rows(rows, path, args.runs).items():
            results[(label, name)] = nbytes / secs / 1e6
            print(f"   {label:38} {name:6} {results[(label, name)]:8.0f} MB/s", file=sys.stderr)

    print(f"\nMB/s of input, median of {args.runs} runs, {args.size} files, {os.cpu_count()} cores\n")
    print("| command | clean | 1 % | 10 % |")
    print("|---|---|---|---|")
    for label, _ in rows:
        print(f"| {label} | " + " | ".join(f"{results[(label, n)]:.0f}" for n, _ in FRACTIONS) + " |")
    print()
    for label in ("tokenscrub --threads 1", "tokenscrub (threads: one per core)"):
        line = " / ".join(f"{results[(label, n)] / results[('line copy (memchr + slices)', n)]:.2f}" for n, _ in FRACTIONS)
        print(f"{label}: x line copy (clean / 1 % / 10 %): {line}")
        if rg:
            line = " / ".join(f"{results[(label, n)] / results[('ripgrep --passthru -r', n)]:.2f}" for n, _ in FRACTIONS)
            print(f"{label}: x ripgrep   (clean / 1 % / 10 %): {line}")
    line = " / ".join(
        f"{results[('tokenscrub (threads: one per core)', n)] / results[('tokenscrub --threads 1', n)]:.2f}"
        for n, _ in FRACTIONS
    )
    print(f"one thread per core ({os.cpu_count()}): x one thread (clean / 1 % / 10 %): {line}")


if __name__ == "__main__":
    main()
