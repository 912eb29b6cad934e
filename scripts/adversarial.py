#!/usr/bin/env python3
"""Adversarial suite: whole-process throughput and memory of tokenscrub on hostile one-line input.

    python3 scripts/adversarial.py [--bin PATH] [--size 1M|64M|both] [--only NAME,...]
                                   [--cloudwatch/--no-cloudwatch] [--runs N] [--out DIR] [--keep]
    python3 scripts/adversarial.py --list

Issue 18, item 2. Every case is ONE line (no newline inside, a final newline) of 1 MiB or 64 MiB,
generated deterministically (fixed seed) from the rule catalog (`src/rules/catalog/*.toml`: every
keyword, every keyed syntax's opening) and from shapes that hurt parsers: unterminated quotes and
brackets, backslash storms, `eyJ`/`ghp_`/`AKIA` runs, deep JSON nesting, NUL and invalid UTF-8,
unterminated PEM blocks, huge single values. `--list` prints them.

What is measured, per case, in the same run as a clean reference:

* `BIN --threads 1 < case > /dev/null`, median of `--runs` runs (5 at least when start-up is
  most of the time), after one untimed run whose output is kept and checked.
  MB/s = input bytes / 1e6 / seconds.
* The clean reference: a clean log (the generated no-secret log of scripts/bench.py, 64 MiB by
  default, many ordinary lines) through the same binary, `--threads 1`, timed (3 runs at least)
  before and after the cases; its MB/s comes from the median of all those runs.
* Seconds are the process's CPU time (user + system, from its rusage) by default: on a shared
  2-core machine wall time on a 1 MiB input varies by tens of ms with the other load, CPU time by
  about 1 ms; for one thread they are the same work (`--clock wall` for wall time).
* Process start-up (engine build) is not input work: the median time of the same command on
  empty input, measured in the same run, is subtracted from every time (`--gross` keeps it). On a
  1 MiB input start-up is most of the wall time; on 32 or 64 MiB it hardly matters.
* For 1 MiB cases, also through `--input cloudwatch`: the line as the one event of a CloudWatch
  Logs subscription payload (`{"awslogs":{"data":<base64 gzip of the DATA_MESSAGE JSON>}}`, as
  README documents; invalid UTF-8 becomes U+FFFD, as CloudWatch would store it). Its reference is
  the same clean log cut into ~1 MiB payloads (one event per line) through `--input cloudwatch`.
  MB/s counts log-text bytes (the plain line), not payload bytes. `--cloudwatch-reference filter`
  holds payload rows to the filter's clean MB/s instead (the stricter reading of the issue).
* Peak RSS of the process (`/usr/bin/time -f %M` when present, else the child's rusage, which on
  Linux also counts this script's own size when it forked: an upper bound); for a run killed at
  the timeout, its VmHWM just before the kill.

Verdicts (thresholds from the issue):

* `SLOW (<1/10)`: MB/s below 1/10 of the clean MB/s of the same path in the same run;
* `RSS>32MiB` (filter) / `RSS>128MiB` (cloudwatch: the smallest Lambda memory size);
* `TIMEOUT` (per run, `--timeout`, default 120 s), `EXIT n`, `LINES-CHANGED` (the output does
  not have the input's line count, or a payload does not come back with its one event);
* `LEAK`: the fake AWS key id planted in every line (`AKIAFAKECANARYKEY234`) is in the output.

Prints a Markdown table; exit status 1 if any verdict is not `ok`. Generated files live under
`--out` (default a temporary directory) and are deleted unless `--keep`. Every token here is fake.
"""

import argparse
import base64
import fnmatch
import functools
import glob
import gzip
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import bench  # noqa: E402  (the clean log generator, so "clean" means the same as in bench.py)

SEED = 18
MIB = 1 << 20
SIZES = {"1M": MIB, "64M": 64 * MIB}
SLOW_RATIO = 0.10
RSS_LIMIT_MIB = {"filter": 32, "cloudwatch": 128}
CLOCK = "cpu"  # "cpu" (user + system time of the process) or "wall"; set by --clock
MIN_NET_SECONDS = 1e-3  # below this, the time left after start-up is noise
TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# A fake, correctly shaped AWS access key id planted at the end of every line: it must be masked.
CANARY = b"AKIAFAKECANARYKEY234"
TAIL = b" " + CANARY
KEYS = ["token", "password", "api_key", "session", "secret", "authorization", "cookie"]

ALNUM = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64 = ALNUM + b"+/"
B64URL = ALNUM + b"_-"
BASE32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


# ---------------------------------------------------------------------------------------------
# The catalog


def load_catalog():
    """Keywords of the built-in catalog: all of them, and those of shaped rules that are not
    anchored (their regex searches the whole line)."""
    shaped, keyed = [], []
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "rules", "catalog", "*.toml"))):
        with open(path, "rb") as f:
            cat = tomllib.load(f)
        shaped += cat.get("rule", [])
        keyed += cat.get("keyed", [])
    keywords = list(dict.fromkeys(k for r in shaped + keyed for k in r.get("keywords", [])))
    unanchored = list(dict.fromkeys(k for r in shaped if not r.get("anchored") for k in r["keywords"]))
    return {"keywords": [k.encode() for k in keywords], "unanchored": [k.encode() for k in unanchored]}


# ---------------------------------------------------------------------------------------------
# Building lines: each builder returns exactly `size` bytes, no newline, the canary included.


@functools.cache
def byte_table(alphabet):
    return bytes(alphabet[i % len(alphabet)] for i in range(256))


def rand_text(rng, n, alphabet):
    """`n` random bytes of `alphabet` (deterministic for a seeded `rng`)."""
    return rng.randbytes(n).translate(byte_table(alphabet))


def tile(unit, size, end=b""):
    """`unit` repeated, then `end` and the canary, cut to exactly `size` bytes."""
    n = size - len(end) - len(TAIL)
    return (unit * (n // len(unit) + 1))[:n] + end + TAIL


def pieces(make_piece, size, end=b""):
    """Pieces from `make_piece(i)` (distinct values) up to `size` bytes, then `end` and the canary."""
    n = size - len(end) - len(TAIL)
    out, total, i = [], 0, 0
    while total < n:
        p = make_piece(i)
        out.append(p)
        total += len(p)
        i += 1
    return b"".join(out)[:n] + end + TAIL


def one_value(prefix, size, rng, alphabet):
    """`prefix` then a single value running to the canary."""
    return prefix + rand_text(rng, size - len(prefix) - len(TAIL), alphabet) + TAIL


def json_deep(size):
    """Valid JSON nested as deep as fits: objects and arrays, secret keys among them; the canary
    is the innermost value; padded with spaces to `size`."""
    opens = [b'{"a":', b'{"token":', b"[", b'{"data":']
    closes = [b"}", b"}", b"]", b"}"]
    inner = b'"' + CANARY + b'"'
    n_open = n_close = 0
    depth = 0
    while True:
        o, c = opens[depth % 4], closes[depth % 4]
        if n_open + n_close + len(o) + len(c) + len(inner) > size:
            break
        n_open += len(o)
        n_close += len(c)
        depth += 1
    head = b"".join(opens[d % 4] for d in range(depth))
    tail = b"".join(closes[d % 4] for d in reversed(range(depth)))
    line = head + inner + tail
    return line + b" " * (size - len(line))


def json_escaped_deep(size):
    """A secret key/value JSON-encoded inside a string again and again until it fills the line
    (each level doubles the backslashes), cut to `size`."""
    s = '{"token":"' + CANARY.decode() + '"}'
    while len(s) < size:
        s = json.dumps({"msg": s, "level": "info"})
    b = s.encode()
    n = size - len(TAIL)
    return b[:n] + TAIL


def fake_jwt(rng, i):
    header = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    payload = base64.urlsafe_b64encode(json.dumps({"sub": f"user-{i}", "iat": 1764750000 + i}).encode()).rstrip(b"=")
    return header + b"." + payload + b"." + rand_text(rng, 43, B64URL) + b" "


def clean_joined(size, rng):
    """Control: ordinary clean log lines (scripts/bench.py) joined by spaces into one line."""
    ts = 1795356013143
    return pieces(lambda i: bench.clean_line(rng, ts + i).encode() + b" ", size)


def keyed_openings(fmt):
    return b"".join(fmt.format(k=k, K=k.capitalize()).encode() for k in KEYS)


SQL_ROWS_HEAD = b"INSERT INTO t (password, k) VALUES (?, ?) [generated in 0s] ["

# Name, what it is, builder(size, rng, catalog).
CASES = [
    ("clean-joined", "control: clean log lines joined into one line", lambda s, r, c: clean_joined(s, r)),
    # From the catalog.
    ("keywords-spaced", "every catalog keyword, as written and upper-cased, space separated",
     lambda s, r, c: tile(b" ".join(c["keywords"] + [k.upper() for k in c["keywords"]]) + b" ", s)),
    ("keywords-packed", "every catalog keyword, no separator", lambda s, r, c: tile(b"".join(c["keywords"]), s)),
    ("keywords-tails", "every catalog keyword followed by 40 token bytes, space separated",
     lambda s, r, c: pieces(lambda i: c["keywords"][i % len(c["keywords"])] + rand_text(r, 40, B64URL) + b" ", s)),
    ("keywords-unanchored", "keywords of rules whose regex searches the line, packed, with `@`",
     lambda s, r, c: tile(b"".join(c["unanchored"]) + b"@", s)),
    # Keyed syntaxes' openings, cycling through the keys.
    ("open-eq", "`k=` repeated", lambda s, r, c: tile(keyed_openings("{k}="), s)),
    ("open-json", '`"k":"` repeated', lambda s, r, c: tile(keyed_openings('"{k}":"'), s)),
    ("open-repr", "`'k': '` repeated", lambda s, r, c: tile(keyed_openings("'{k}': '"), s)),
    ("open-colon", "`k: ` repeated", lambda s, r, c: tile(keyed_openings("{k}: "), s)),
    ("open-xml", "`<K>` repeated", lambda s, r, c: tile(keyed_openings("<{K}>"), s)),
    ("open-cookie", "`Cookie: a=` repeated", lambda s, r, c: tile(b"Cookie: a=", s)),
    ("open-bearer", "`Bearer ` repeated", lambda s, r, c: tile(b"Bearer ", s)),
    ("token-eq", "`token=` repeated", lambda s, r, c: tile(b"token=", s)),
    ("authorization-bearer", "`Authorization: Bearer ` repeated", lambda s, r, c: tile(b"Authorization: Bearer ", s)),
    ("amz-security-token", "`x-amz-security-token:` repeated", lambda s, r, c: tile(b"x-amz-security-token:", s)),
    ("json-escaped-key", '`\\"token\\":\\"` repeated', lambda s, r, c: tile(b'\\"token\\":\\"', s)),
    ("escaped-quote-storm", '`\\\\\\"` repeated', lambda s, r, c: tile(b'\\\\\\"', s)),
    ("ansi-escaped", "`\\u001b[32m` (JSON-escaped colour) repeated", lambda s, r, c: tile(b"\\u001b[32m", s)),
    ("ansi-raw", "ESC[32m repeated", lambda s, r, c: tile(b"\x1b[32m", s)),
    ("sql-insert-open", "`INSERT INTO t (password) VALUES (` repeated",
     lambda s, r, c: tile(b"INSERT INTO t (password) VALUES (", s)),
    ("sql-echo-rows", "`INSERT INTO t (password, k) VALUES (?, ?)` then `[generated in 0s] [('…', 1), …` rows",
     lambda s, r, c: SQL_ROWS_HEAD + pieces(lambda i: b"('" + rand_text(r, 16, ALNUM) + b"', 1), ", s - len(SQL_ROWS_HEAD))),
    ("sql-placeholder-glue", '`WHERE "token"=?: [` repeated (Tortoise\'s echo glued to its statement)',
     lambda s, r, c: tile(b'WHERE "token"=?: [', s)),
    ("named-value-before", "`value: '…', msg: 'x', path: 'password', ` with distinct values",
     lambda s, r, c: pieces(lambda i: b"value: '" + rand_text(r, 14, ALNUM) + b"', msg: 'x', path: 'password', ", s)),
    ("validation-loc", "`{'loc': ('body', 'password'), 'input': '` repeated",
     lambda s, r, c: tile(b"{'loc': ('body', 'password'), 'input': '", s)),
    ("schema-error-path", "` - 'password'\"` repeated (a JSON-schema message's path)",
     lambda s, r, c: tile(b" - 'password'\"", s)),
    ("subscript-keys", "`data['password'] = ` repeated", lambda s, r, c: tile(b"data['password'] = ", s)),
    ("dynamo-bindings", "`SET refresh_token = :tN, ` with distinct placeholders",
     lambda s, r, c: pieces(lambda i: b"SET refresh_token = :t%d, " % i, s)),
    ("prose-token", "`rotated refresh token ` repeated", lambda s, r, c: tile(b"rotated refresh token ", s)),
    ("keyed-many-values", "`token=FAKE<28 random>` with distinct values (remembered secrets)",
     lambda s, r, c: pieces(lambda i: b"token=FAKE" + rand_text(r, 28, ALNUM) + b" ", s)),
    ("password-long-value", "`password=` and one value to the end of the line",
     lambda s, r, c: one_value(b"password=", s, r, ALNUM)),
    ("bearer-long-value", "`Authorization: Bearer ` and one token to the end of the line",
     lambda s, r, c: one_value(b"Authorization: Bearer ", s, r, B64URL)),
    ("base64-run", "one huge base64 run", lambda s, r, c: one_value(b"", s, r, B64)),
    # Parser stress.
    ("quotes-storm", "unterminated quotes `\"'`` repeated", lambda s, r, c: tile(b"\"'`", s)),
    ("brackets-open", "unterminated brackets `{[(<` repeated", lambda s, r, c: tile(b"{[(<", s)),
    ("backslash-storm", "`\\` repeated", lambda s, r, c: tile(b"\\", s)),
    ("bad-escapes", "incomplete escapes `\\u12\\x` repeated", lambda s, r, c: tile(b"\\u12\\x", s)),
    ("json-deep", "valid JSON nested as deep as the line allows", lambda s, r, c: json_deep(s)),
    ("json-escaped-deep", "JSON in a JSON string, repeatedly (backslashes double per level)",
     lambda s, r, c: json_escaped_deep(s)),
    ("nul-storm", "NUL bytes", lambda s, r, c: tile(b"\x00", s)),
    ("binary-random", "random bytes (invalid UTF-8), no \\n or \\r",
     lambda s, r, c: one_value(b"", s, r, bytes(b for b in range(256) if b not in (10, 13)))),
    ("invalid-utf8-keyed", "`password=` with invalid UTF-8 and NUL, repeated",
     lambda s, r, c: tile(b"password=\xff\xfe\x00\xc3", s)),
    # Token runs.
    ("eyj-packed", "`eyJ` repeated", lambda s, r, c: tile(b"eyJ", s)),
    ("jwt-chain", "`eyJhbGciOiJIUzI1NiJ9.` repeated (one endless dotted token)",
     lambda s, r, c: tile(b"eyJhbGciOiJIUzI1NiJ9.", s)),
    ("jwt-many", "distinct fake JWTs, space separated", lambda s, r, c: pieces(lambda i: fake_jwt(r, i), s)),
    ("ghp-packed", "`ghp_` repeated", lambda s, r, c: tile(b"ghp_", s)),
    ("ghp-tokens", "`ghp_` + 36 random characters (bad CRC), space separated",
     lambda s, r, c: pieces(lambda i: b"ghp_" + rand_text(r, 36, ALNUM) + b" ", s)),
    ("akia-packed", "`AKIA` repeated", lambda s, r, c: tile(b"AKIA", s)),
    ("akia-keys", "distinct fake AWS key ids, space separated",
     lambda s, r, c: pieces(lambda i: b"AKIA" + rand_text(r, 16, BASE32) + b" ", s)),
    ("pem-begin-repeated", "`-----BEGIN RSA PRIVATE KEY-----` repeated",
     lambda s, r, c: tile(b"-----BEGIN RSA PRIVATE KEY-----", s)),
    ("pem-unterminated-escaped", "one-line PEM with `\\n` escapes and no END",
     lambda s, r, c: b"-----BEGIN PRIVATE KEY-----\\n"
     + pieces(lambda i: rand_text(r, 64, B64) + b"\\n", s - len(b"-----BEGIN PRIVATE KEY-----\\n"))),
    ("pem-unterminated-raw", "BEGIN armour and a base64 body to the end of the line",
     lambda s, r, c: one_value(b"-----BEGIN OPENSSH PRIVATE KEY----- ", s, r, B64)),
    ("colon-keys", "`:tokens` repeated (keys glued by colons, as in an ARN)",
     lambda s, r, c: tile(b":tokens", s)),
    ("url-storm", "`https://user:` repeated, one `@` at the end",
     lambda s, r, c: tile(b"https://user:", s, end=b"@db.internal.example.com")),
]


def build_case(name, builder, size, catalog, path):
    rng = random.Random(f"{SEED}:{name}:{size}")
    line = builder(size, rng, catalog)
    assert len(line) == size and b"\n" not in line and CANARY in line, name
    with open(path, "wb") as f:
        f.write(line + b"\n")
    return line


# ---------------------------------------------------------------------------------------------
# CloudWatch Logs subscription payloads


def cloudwatch_payload(messages, first_id=1):
    """One `{"awslogs":{"data":...}}` line holding `messages` as events."""
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/app",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": str(first_id + i), "timestamp": 1764750000000 + i, "message": m} for i, m in enumerate(messages)
        ],
    }
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    data = base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode()
    return json.dumps({"awslogs": {"data": data}}).encode() + b"\n"


def write_cloudwatch_case(line, path):
    """The line as the one event of a payload; returns the message's bytes (and a newline)."""
    message = line.decode("utf-8", "replace")
    with open(path, "wb") as f:
        f.write(cloudwatch_payload([message]))
    return len(message.encode()) + 1


def write_cloudwatch_clean(clean_path, path, chunk=MIB):
    """The clean log cut into payloads of ~`chunk` bytes of log text, one event per line."""
    n_payloads, n_events = 0, 0
    with open(clean_path, "rb") as src, open(path, "wb") as out:
        batch, size = [], 0
        for raw in src:
            batch.append(raw.rstrip(b"\n").decode("utf-8", "replace"))
            size += len(raw)
            if size >= chunk:
                out.write(cloudwatch_payload(batch, n_events + 1))
                n_payloads, n_events, batch, size = n_payloads + 1, n_events + len(batch), [], 0
        if batch:
            out.write(cloudwatch_payload(batch, n_events + 1))
            n_payloads, n_events = n_payloads + 1, n_events + len(batch)
    return n_payloads, n_events


# ---------------------------------------------------------------------------------------------
# Running the binary


def peak_rss_alive(pid):
    """VmHWM (KiB) of a live process and of its children (the binary under /usr/bin/time): the
    peak so far of a run about to be killed. None if /proc does not say."""
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    peak = None
    for q in pids:
        try:
            with open(f"/proc/{q}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak or 0, int(line.split()[1]))
        except OSError:
            pass
    return peak


def run_once(cmd, stdin_path, stdout_path, timeout, scratch):
    """Runs `cmd < stdin_path > stdout_path` in its own process group, killed after `timeout`.
    Returns (seconds by CLOCK, exit code or None on timeout, peak RSS KiB or None, stderr tail);
    on a timeout the RSS is the peak up to the kill."""
    rss_file = os.path.join(scratch, "rss.txt")
    err_file = os.path.join(scratch, "stderr.txt")
    full = [TIME_BIN, "-f", "%M", "-o", rss_file, *cmd] if TIME_BIN else cmd
    killed = threading.Event()
    rss_at_kill = []

    with open(stdin_path, "rb") as fin, open(stdout_path, "wb") as fout, open(err_file, "wb") as ferr:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdin=fin, stdout=fout, stderr=ferr, start_new_session=True)

        def kill():
            killed.set()
            rss_at_kill.append(peak_rss_alive(p.pid))
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again

    with open(err_file, "rb") as f:
        err = f.read()[-300:].decode("utf-8", "replace").strip()
    if killed.is_set():
        return wall, None, rss_at_kill[0] if rss_at_kill else None, err
    # The child's rusage covers what it waited for: through /usr/bin/time, the binary itself.
    secs = usage.ru_utime + usage.ru_stime if CLOCK == "cpu" else wall
    rss = usage.ru_maxrss  # without /usr/bin/time: also this script's size when it forked
    if TIME_BIN:
        with open(rss_file) as f:
            lines = [x for x in f.read().split() if x.isdigit()]
        rss = int(lines[-1]) if lines else rss
    return secs, p.returncode, rss, err


def startup_seconds(cmd, runs, timeout, scratch):
    """Median time (by CLOCK) of `cmd` on empty input: process start and engine build."""
    times = [run_once(cmd, os.devnull, os.devnull, timeout, scratch)[0] for _ in range(runs)]
    return statistics.median(times)


def count_newlines(path):
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            n += chunk.count(b"\n")
    return n


def check_filter_output(out_path, in_lines):
    """A filter output's problems (line count, the canary) and its size in bytes."""
    problems = []
    if count_newlines(out_path) != in_lines:
        problems.append("LINES-CHANGED")
    with open(out_path, "rb") as f:
        if CANARY in f.read():
            problems.append("LEAK")
    return problems, os.path.getsize(out_path)


def check_cloudwatch_output(out_path, in_lines, in_events):
    """An `--input cloudwatch` output's problems (payload and event counts, the canary) and the
    size of its log text (messages, one newline each) in bytes."""
    problems, events, text_bytes, leaked = [], 0, 0, False
    with open(out_path, "rb") as f:
        lines = f.read().splitlines()
    try:
        for line in lines:
            doc = json.loads(line)
            if "awslogs" in doc:
                doc = json.loads(gzip.decompress(base64.b64decode(doc["awslogs"]["data"])))
            for ev in doc.get("logEvents", []):
                events += 1
                text_bytes += len(ev["message"].encode("utf-8", "surrogatepass")) + 1
                leaked |= CANARY.decode() in ev["message"]
    except (ValueError, KeyError, OSError):
        return ["LINES-CHANGED"], 0
    if len(lines) != in_lines or events != in_events:
        problems.append("LINES-CHANGED")
    if leaked:
        problems.append("LEAK")
    return problems, text_bytes


def measure(cmd, in_path, nbytes, runs, timeout, startup, scratch, check, text_bytes=None):
    """One checked run (output kept, `check(out_path)` gives problems and output log bytes), then
    `runs` timed runs to /dev/null (at least 5 when start-up is most of the time). Returns a result
    dict: mbps (None if it could not be timed; `clamped` when the time was within start-up noise),
    rss_mib, problems, out_ratio (output log bytes / `text_bytes`, by default `nbytes`), err."""
    out_path = os.path.join(scratch, "out.bin")
    secs, rc, rss, err = run_once(cmd, in_path, out_path, timeout, scratch)
    res = {"rss_mib": None if rss is None else rss / 1024, "problems": [], "mbps": None, "clamped": False,
           "err": err, "out_ratio": None}
    if rc is None:
        res["problems"].append("TIMEOUT")
        return res
    if rc != 0:
        res["problems"].append(f"EXIT {rc}")
    problems, out_bytes = check(out_path)
    res["problems"] += problems
    res["out_ratio"] = out_bytes / (text_bytes or nbytes)
    os.remove(out_path)
    if secs < 10 * startup:
        runs = max(runs, 5)
    times = []
    for _ in range(runs):
        secs, rc, rss, _ = run_once(cmd, in_path, os.devnull, timeout, scratch)
        if rss is not None:
            res["rss_mib"] = max(res["rss_mib"] or 0, rss / 1024)
        if rc is None:
            res["problems"].append("TIMEOUT")
            return res
        times.append(secs)
    res["times"] = times
    res["secs"] = statistics.median(times)
    net = res["secs"] - startup
    res["clamped"] = net < MIN_NET_SECONDS
    res["mbps"] = nbytes / 1e6 / max(net, MIN_NET_SECONDS)
    return res


def verdict(res, ref_mbps, rss_limit):
    problems = list(res["problems"])
    if res["rss_mib"] is not None and res["rss_mib"] > rss_limit:
        problems.append(f"RSS>{rss_limit}MiB")
    if res["mbps"] is not None and res["mbps"] < SLOW_RATIO * ref_mbps:
        problems.append("SLOW (<1/10)")
    return ", ".join(problems) if problems else "ok"


# ---------------------------------------------------------------------------------------------
# The run


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "tokenscrub"))
    ap.add_argument("--size", choices=["1M", "64M", "both"], default="1M")
    ap.add_argument("--only", help="comma-separated case names (shell patterns allowed)")
    ap.add_argument("--cloudwatch", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the 1 MiB cases through --input cloudwatch (default: yes)")
    ap.add_argument("--cloudwatch-reference", choices=["cloudwatch", "filter"], default="cloudwatch",
                    help="clean MB/s that payload rows are held to: the clean log through --input cloudwatch "
                         "(default) or through the filter (stricter)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run (default 120)")
    ap.add_argument("--clean-size", default="64M", help="size of the clean reference log (default 64M)")
    ap.add_argument("--gross", action="store_true", help="do not subtract start-up time")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="time a run by the process's CPU time (user + system, default) or wall time")
    ap.add_argument("--out", help="directory for generated files (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    return ap.parse_args()


def select_cases(only):
    if not only:
        return CASES
    pats = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [c for c in CASES if any(fnmatch.fnmatchcase(c[0], p) for p in pats)]
    unknown = [p for p in pats if not any(fnmatch.fnmatchcase(c[0], p) for c in CASES)]
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(unknown)}; see --list")
    return chosen


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def log_result(label, res):
    mbps = "—" if res["mbps"] is None else f"{res['mbps']:.1f}"
    rss = "—" if res["rss_mib"] is None else f"{res['rss_mib']:.1f}"
    log(f"   {label:48} {mbps:>9} MB/s {rss:>6} MiB {', '.join(res['problems']) or 'ok'}")


def measure_clean(clean, cmds, args, startups, scratch):
    """One round of clean-reference timings per path (3 runs at least): {path: result}."""
    out, runs = {}, max(args.runs, 3)
    out["filter"] = measure(cmds["filter"], clean["filter"], clean["bytes"], runs, args.timeout,
                            startups["filter"], scratch, lambda o: check_filter_output(o, clean["lines"]))
    if "cloudwatch" in clean:
        out["cloudwatch"] = measure(cmds["cloudwatch"], clean["cloudwatch"], clean["bytes"], runs, args.timeout,
                                    startups["cloudwatch"], scratch,
                                    lambda o: check_cloudwatch_output(o, clean["payloads"], clean["lines"]))
    return out


def print_table(rows, header):
    print()
    for line in header:
        print(line)
    print()
    print("| case | size | MB/s | × clean | RSS MiB | out/in | verdict |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in rows:
        ge = "≥" if r.get("clamped") else ""
        mbps = f"{ge}{r['mbps']:.1f}" if r["mbps"] is not None else "—"
        ratio = f"{ge}{r['ratio']:.3f}" if r["ratio"] is not None else "—"
        out_ratio = f"{r['out_ratio']:.2f}" if r["out_ratio"] is not None else "—"
        rss = f"{r['rss_mib']:.1f}" if r["rss_mib"] is not None else "—"
        print(f"| {r['case']} | {r['size']} | {mbps} | {ratio} | {rss} | {out_ratio} | {r['verdict']} |")


def prepare_clean(out_dir, clean_size, use_cw):
    """Writes the clean reference log (and its payloads); returns its paths and counts."""
    clean = {"filter": os.path.join(out_dir, "clean.log")}
    bench.make_log(clean["filter"], bench.parse_size(clean_size), 0.0, seed=7)
    clean["bytes"] = os.path.getsize(clean["filter"])
    clean["lines"] = count_newlines(clean["filter"])
    if use_cw:
        clean["cloudwatch"] = os.path.join(out_dir, "clean.cloudwatch")
        clean["payloads"], n_events = write_cloudwatch_clean(clean["filter"], clean["cloudwatch"])
        assert n_events == clean["lines"]
    return clean


def run_cases(cases, sizes, catalog, cmds, args, startups, out_dir, scratch, use_cw):
    """Builds each case (one file at a time), measures it through the filter and, for 1 MiB,
    through --input cloudwatch. Returns [(case, size label, path, result)]."""
    results = []
    for size_label in sizes:
        size = SIZES[size_label]
        for name, _, builder in cases:
            case_path = os.path.join(out_dir, f"{name}.{size_label}.log")
            line = build_case(name, builder, size, catalog, case_path)
            res = measure(cmds["filter"], case_path, size + 1, args.runs, args.timeout, startups["filter"],
                          scratch, lambda o: check_filter_output(o, 1))
            results.append((name, size_label, "filter", res))
            log_result(f"{name} {size_label} filter", res)
            if use_cw and size_label == "1M":
                cw_path = case_path + ".cloudwatch"
                text_bytes = write_cloudwatch_case(line, cw_path)
                res = measure(cmds["cloudwatch"], cw_path, size + 1, args.runs, args.timeout, startups["cloudwatch"],
                              scratch, lambda o: check_cloudwatch_output(o, 1, 1), text_bytes)
                results.append((name, size_label, "cloudwatch", res))
                log_result(f"{name} {size_label} cloudwatch", res)
                if not args.keep:
                    os.remove(cw_path)
            if not args.keep:
                os.remove(case_path)
    return results


def reference_mbps(clean, before, after, startups):
    """Clean MB/s per path, from the median of all clean runs, before and after the cases."""
    ref = {}
    for p in before:
        times = before[p].get("times", []) + after[p].get("times", [])
        ref[p] = clean["bytes"] / 1e6 / max(statistics.median(times) - startups[p], MIN_NET_SECONDS) if times else float("nan")
    return ref


def table_rows(results, before, after, ref, args):
    """Rows for the table, the clean references first; and whether anything failed."""
    rows = []
    for p in before:
        for label, r in (("before", before), ("after", after)):
            rows.append({"case": f"clean reference ({label})" + (" via cloudwatch" if p == "cloudwatch" else ""),
                         "size": args.clean_size, "mbps": r[p]["mbps"],
                         "ratio": None if r[p]["mbps"] is None else r[p]["mbps"] / ref[p],
                         "rss_mib": r[p]["rss_mib"], "out_ratio": r[p]["out_ratio"],
                         "verdict": ", ".join(r[p]["problems"]) or "ref"})
    failed = any(r["verdict"] != "ref" for r in rows)
    for name, size_label, p, res in results:
        base = ref["filter"] if args.cloudwatch_reference == "filter" else ref[p]
        v = verdict(res, base, RSS_LIMIT_MIB[p])
        failed |= v != "ok"
        rows.append({"case": name + (" via cloudwatch" if p == "cloudwatch" else ""),
                     "size": size_label.replace("M", " MiB"), "mbps": res["mbps"],
                     "ratio": None if res["mbps"] is None else res["mbps"] / base,
                     "rss_mib": res["rss_mib"], "out_ratio": res["out_ratio"], "clamped": res["clamped"], "verdict": v})
    return rows, failed


def header_lines(args, clean, ref, startups):
    use_cw = "cloudwatch" in ref
    lines = [
        f"tokenscrub adversarial suite: `{args.bin} --threads 1`, {os.cpu_count()} cores, median of {args.runs} "
        f"run(s) (of 5 when start-up is most of the time), timeout {args.timeout:.0f} s, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- clean reference: {args.clean_size} of clean log, {ref['filter']:.0f} MB/s",
        f"- MB/s: input log bytes / 1e6 / seconds ({'CPU time, user + system' if CLOCK == 'cpu' else 'wall time'}), "
        + ("start-up included" if args.gross else
           "start-up subtracted (" + ", ".join(f"{p} {startups[p] * 1e3:.1f} ms" for p in startups)
           + ", empty input, same run); ≥: the time left was under 1 ms, within start-up noise"),
        "- out/in: output log bytes / input log bytes (for payloads: of the decoded messages)",
        f"- verdict: SLOW below {SLOW_RATIO} × clean"
        + (" of the same path" if args.cloudwatch_reference == "cloudwatch" else " through the filter (payload rows too)")
        + f"; RSS limit {RSS_LIMIT_MIB['filter']} MiB filter, {RSS_LIMIT_MIB['cloudwatch']} MiB cloudwatch; "
        "LEAK when the planted fake key id survives",
    ]
    if use_cw:
        lines[2] += (f"; via `--input cloudwatch` ({clean['payloads']} payloads, {clean['lines']} events) "
                     f"{ref['cloudwatch']:.0f} MB/s ({ref['cloudwatch'] / ref['filter']:.3f} × the filter's)")
    return lines


def main():
    global CLOCK
    args = parse_args()
    CLOCK = args.clock
    if args.list:
        for name, what, _ in CASES:
            print(f"{name:28} {what}")
        return 0
    if not os.access(args.bin, os.X_OK):
        sys.exit(f"{args.bin}: not an executable (build it: cargo build --release -p tokenscrub-cli)")
    cases = select_cases(args.only)
    sizes = ["1M", "64M"] if args.size == "both" else [args.size]
    use_cw = args.cloudwatch and "1M" in sizes
    paths = ["filter"] + (["cloudwatch"] if use_cw else [])
    cmds = {"filter": [args.bin, "--threads", "1"], "cloudwatch": [args.bin, "--input", "cloudwatch", "--threads", "1"]}
    catalog = load_catalog()
    out_dir = args.out or tempfile.mkdtemp(prefix="tokenscrub-adversarial-")
    scratch = os.path.join(out_dir, "scratch")
    os.makedirs(scratch, exist_ok=True)
    if not TIME_BIN:
        log("== /usr/bin/time not found: RSS from rusage, an upper bound (it includes this script's size)")
    log(f"== {len(catalog['keywords'])} catalog keywords, {len(cases)} case(s), sizes {', '.join(sizes)}, out {out_dir}")

    try:
        clean = prepare_clean(out_dir, args.clean_size, use_cw)
        n_start = max(11, args.runs)
        startups = {p: 0.0 if args.gross else startup_seconds(cmds[p], n_start, args.timeout, scratch) for p in paths}
        for p in paths:
            log(f"   start-up ({p}, empty input, median of {n_start}): {startups[p] * 1e3:.1f} ms")
        before = measure_clean(clean, cmds, args, startups, scratch)
        for p in paths:
            log_result(f"clean ({p}) before", before[p])
        results = run_cases(cases, sizes, catalog, cmds, args, startups, out_dir, scratch, use_cw)
        after = measure_clean(clean, cmds, args, startups, scratch)
        for p in paths:
            log_result(f"clean ({p}) after", after[p])
    finally:
        if not args.keep:
            shutil.rmtree(out_dir, ignore_errors=True)

    ref = reference_mbps(clean, before, after, startups)
    rows, failed = table_rows(results, before, after, ref, args)
    print_table(rows, header_lines(args, clean, ref, startups))
    errs = [(n, s, p, res["err"]) for n, s, p, res in results if res["err"] and res["problems"]]
    if errs:
        print()
        for n, s, p, err in errs:
            print(f"- {n} {s} {p}: stderr: {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
