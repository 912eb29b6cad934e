#!/usr/bin/env bash
# Seed corpora and dictionaries for the fuzz targets, cut from testdata/ and the rule catalog
# at run time (nothing of it is committed): fuzz/corpus/seed/<target>/ and
# fuzz/corpus/<target>.dict. Small slices only: libFuzzer grows inputs from there.
#
#   stream, line  slices of the corpus logs (12 lines, at most 3 KiB), behind header bytes that
#                 vary the options; line also gets keyword sets for its prefilter mode
#   cloudwatch    the corpus payload envelopes, their decoded documents (cut to a few events)
#                 and broken variants, with the marker ZQXJZQXJ planted in values
#   config        the README's and the docs' example configs, each catalog rule as a user rule
#                 (renamed), and broken variants, with the marker planted in values
set -euo pipefail
cd "$(dirname "$0")"
root=..
out=corpus/seed
rm -rf "$out"
mkdir -p "$out"/{stream,line,cloudwatch,config}

python3 - "$root" "$out" <<'PY'
import base64, glob, gzip, hashlib, json, os, sys, tomllib

root, out = sys.argv[1], sys.argv[2]
MARK = "ZQXJZQXJ"

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

# --- stream and line: slices of the logs ---------------------------------------------------
logs = sorted(glob.glob(f"{root}/testdata/corpus*/*.log")) + [f"{root}/testdata/sample.log"]
n = 0
for path in logs:
    lines = open(path, "rb").read().splitlines(keepends=True)
    step = max(12, len(lines) // 25)
    for start in range(0, len(lines), step):
        piece = b"".join(lines[start:start + 12])[:3072]
        if not piece:
            continue
        n += 1
        # stream: byte 0 cycles threads, styles and readers; byte 1 asks for the long-line
        # mode on every 16th slice.
        h = (n * 37) & 0xFF
        l = 0x0F | ((n % 5) << 4) if n % 16 == 0 else 0
        put("stream", bytes([h, l]) + piece)
        # line: scanner mode (bit 0 clear), styles vary; every 4th: the built-in prefilter.
        put("line", bytes([(n * 2) & 0xFE if n % 4 else 1]) + piece)
secrets = open(f"{root}/testdata/sample.secrets", "rb").read()
put("stream", b"\x00\x00" + secrets)
put("line", b"\x00" + secrets)

# line, prefilter mode with the input's keywords: keywords \x01-separated, \x00, text.
rules = []
for path in sorted(glob.glob(f"{root}/src/rules/catalog/*.toml")):
    catalog = tomllib.load(open(path, "rb"))
    rules += catalog.get("rule", []) + catalog.get("keyed", [])
keywords = sorted({k.lower() for r in rules for k in r["keywords"]})
for i in range(0, len(keywords), 6):
    kws = keywords[i:i + 6]
    hay = " ".join(k.upper() if j % 2 else k for j, k in enumerate(kws)) + "\nx\n"
    put("line", b"\x03" + "\x01".join(kws).encode() + b"\x00" + hay.encode() * 3)

# Dictionaries: the catalog's keywords and a few syntax pieces.
def dict_file(name, words):
    with open(f"corpus/{name}.dict", "w") as f:
        for w in sorted(set(words)):
            f.write('"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else
                                  "\\x%02x" % ord(c) for c in w) + '"\n')

syntax = ["=", ": ", "\":\"", "\\\"", "\r\n", "\n", "Bearer ", "Basic ", "[REDACTED:",
          "[REDACTED:password]", "****", "-----BEGIN RSA PRIVATE KEY-----",
          "-----END RSA PRIVATE KEY-----", "\x1b[31m", "\\u003d", "%3D", "password=",
          "token=", "Authorization: ", "eyJhbGciOiJIUzI1NiJ9.", "AKIA", "ghp_", "xoxb-",
          "sk_live_", "FAKE0123456789abcdefFAKE",
          # Validation errors and SQL echoes.
          "input_value='", "'loc': ('body', 'password'), 'msg': 'x', 'input': '",
          "value: 'x', path: 'password'", "path: [ 'password' ],", " - 'password'\"",
          "On instance['password']:", "-- PARAMETERS: [", "Params: [", "knex:bindings [",
          "VALUES (?,?): [", "values: [ '", "[generated in 0.0001s] [("]
dict_file("stream", keywords + syntax)
dict_file("line", keywords + syntax)

# --- cloudwatch ----------------------------------------------------------------------------
def mark(v):
    """Plant the marker in every string of a JSON value."""
    if isinstance(v, str):
        return v + " " + MARK
    if isinstance(v, list):
        return [mark(x) for x in v]
    if isinstance(v, dict):
        return {k: mark(x) for k, x in v.items()}
    return v

def envelope(doc_bytes):
    data = base64.b64encode(gzip.compress(doc_bytes)).decode()
    return json.dumps({"awslogs": {"data": data}}).encode()

for path in sorted(glob.glob(f"{root}/testdata/corpus*/cloudwatch/*.json")):
    if path.endswith(".truth.json"):
        continue
    raw = open(path, "rb").read()
    doc = json.loads(gzip.decompress(base64.b64decode(json.loads(raw)["awslogs"]["data"])))
    events = doc.get("logEvents", [])
    for k in range(0, max(len(events), 1), 3):
        d = dict(doc, logEvents=events[k:k + 3])
        text = json.dumps(d).encode()
        if len(text) > 3500:
            d["logEvents"] = events[k:k + 1]
            text = json.dumps(d).encode()
        put("cloudwatch", b"\x01" + text)                    # decode_json
        put("cloudwatch", b"\x02" + text)                    # through an envelope
        put("cloudwatch", b"\x00" + text)                    # a decoded document
        if k == 0:
            put("cloudwatch", b"\x00" + envelope(text))      # an envelope, small
        # Broken shapes, every string marked: the error must name the field, not the value.
        m = mark(d)
        for key, bad in [("owner", 7), ("logGroup", [MARK]), ("logStream", {"k": MARK}),
                         ("subscriptionFilters", MARK), ("logEvents", {"k": MARK}),
                         ("messageType", None)]:
            put("cloudwatch", b"\x01" + json.dumps(dict(m, **{key: bad})).encode())
        if m.get("logEvents"):
            ev = dict(m["logEvents"][0])
            for key, bad in [("id", 1), ("timestamp", MARK), ("message", [MARK]),
                             ("timestamp", 1.5)]:
                put("cloudwatch", b"\x01" + json.dumps(
                    dict(m, logEvents=[dict(ev, **{key: bad})])).encode())
            put("cloudwatch", b"\x01" + json.dumps(dict(m, logEvents=[MARK])).encode())
        put("cloudwatch", b"\x01" + json.dumps(m).encode()[:-7] + b" " + MARK.encode())
# Codec errors: bad base64, bad gzip, not JSON; each with the marker.
for body in [b'{"awslogs":{"data":"!!' + MARK.encode() + b'"}}',
             b'{"awslogs":{"data":"' + base64.b64encode(MARK.encode() * 3) + b'"}}',
             b'{"awslogs":{"data":' + json.dumps(MARK).encode() + b'}}',
             b'{"awslogs":' + json.dumps(MARK).encode() + b'}',
             b'{"awslogs":{"data":7}, "x": "' + MARK.encode() + b'"}',
             b'{not json ' + MARK.encode(), b'"' + MARK.encode() + b'"', b'[1, "' + MARK.encode() + b'"]']:
    put("cloudwatch", b"\x00" + body)
put("cloudwatch", b"\x03" + base64.b64encode(gzip.compress(MARK.encode() * 4)))
put("cloudwatch", b"\x03" + gzip.compress(b'{"messageType": "' + MARK.encode() + b'"}'))
put("cloudwatch", b"\x01" + b'{"messageType": "DATA_MESSAGE"} ' + MARK.encode())
put("cloudwatch", b"\x01" + b'{"owner": "\xff' + MARK.encode() + b'"}')
dict_file("cloudwatch", ["awslogs", "data", "messageType", "DATA_MESSAGE", "CONTROL_MESSAGE",
                         "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents",
                         "id", "timestamp", "message", MARK, "H4sI", "\\n", "\\u0000",
                         "password=", "Authorization: Bearer ", "{\"", "\":", "\",\"",
                         "[{", "}]", "null", "true", "1e400", "-0", "18446744073709551616"])

# --- config --------------------------------------------------------------------------------
readme = open(f"{root}/README.md").read()
blocks = readme.split("```toml\n")[1:]
examples = [b.split("```")[0] for b in blocks]
config_rs = open(f"{root}/src/config.rs").read()
examples.append("\n".join(l[4:] for l in config_rs.splitlines()
                          if l.startswith("//! ") and "..." not in l and "```" not in l))
examples += [
    'hmac_key = "k"\ndisable = ["jwt"]\n[allowlist]\nvalues = ["x"]\n[extra_keys]\npassword = ["pin"]\n',
    'disable = ["jwt"]\n[allowlist]\nvalues = ["FAKEallowed0123456789"]\n[extra_keys]\npassword = ["pin_code"]\n',
]
for text in examples:
    put("config", text)
    put("config", text.replace('"a long random string"', f'"{MARK}secretkey"')
                      .replace('"AKIAFAKEEXAMPLE2KEYX"', f'"{MARK}allowed"'))

def toml_str(s):
    return json.dumps(s)  # a JSON string is a TOML basic string

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return toml_str(v)

for family in ("rule", "keyed"):
    for r in catalog.get(family, []):
        r = dict(r, id=r["id"] + "-fz")
        body = "".join(f"{k} = {toml_value(v)}\n" for k, v in r.items())
        text = f'hmac_key = "{MARK}key"\n[[{family}]]\n{body}'
        if len(text) < 3500:
            put("config", text)
        # Broken variants, the marker in the value that is wrong.
        put("config", text.replace('severity = "', f'severity = "{MARK}'))
        put("config", f'hmac_key = ["{MARK}"]\n[[{family}]]\nid = "{MARK}"\n')
for bad in [f'hmac_key = "{MARK}\nnot toml', f'disable = "{MARK}"', f'hmac_key = 123456789',
            f'disable = ["{MARK}"]', f'[extra_keys]\n"{MARK}" = ["pin"]',
            f'[extra_keys]\npassword = "{MARK}"', f'[allowlist]\nregexes = ["({MARK}"]',
            f'[allowlist]\nvalues = {MARK}', f'bogus = "{MARK}"', f'hmac_key = """{MARK}',
            f"hmac_key = '{MARK}", f'[[rule]]\nid = "x"\nmin_len = "{MARK}"']:
    put("config", bad)
dict_file("config", ["hmac_key", "disable", "[allowlist]", "values", "regexes",
                     "[extra_keys]", "[[rule]]", "[[keyed]]", "id", "description", "severity",
                     "keywords", "pattern", "validator", "anchored", "not_after", "requires",
                     "generic", "examples", "counterexamples", "suffixes", "names",
                     "prose_names", "query_names", "exclude", "value", "min_len",
                     "token_like", "random", "prose", "allowlist", "(?P<secret>", ")",
                     "[A-Za-z0-9]{16,}", "\\b", "jwt", "jwe", "github-crc32", "basic-auth",
                     "high", "low", "medium", "critical", "authorization", "cookie",
                     "set-cookie", "plain", " = ", "\"", "'", "'''", '"""', "true", "false",
                     MARK, "\n"])
PY

for t in stream line cloudwatch config; do
  echo "seeds: $t $(ls "$out/$t" | wc -l) files, $(du -sk "$out/$t" | cut -f1) KiB"
done
