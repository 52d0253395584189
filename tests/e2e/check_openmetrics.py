#!/usr/bin/env python3
"""Strict checker of an OpenMetrics 1.0 text exposition read from stdin (promtool only
parses text 0.0.4). Exits 1 with the first problem and its line number.

Checks: every line is `# HELP`, `# TYPE`, `# EOF` or a sample; the body ends with exactly
one `# EOF` line; TYPE values are OpenMetrics types; metadata comes before the family's
samples and families are not interleaved; sample names belong to the current family;
counter samples end in `_total` (KSM names its counter families with the suffix, which
strict OpenMetrics parsers tolerate and Prometheus accepts); label names and values are
well formed (escapes \\ \" \\n only, valid UTF-8); values parse as floats."""
import re
import sys

TYPES = {"counter", "gauge", "info", "stateset", "histogram", "gaugehistogram", "summary", "unknown"}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))


def fail(n, msg):
    print("line %d: %s" % (n, msg), file=sys.stderr)
    sys.exit(1)


def main():
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(0, "invalid UTF-8: %s" % e)
    if not text.endswith("# EOF\n"):
        fail(0, "body does not end with '# EOF\\n'")
    lines = text[:-1].split("\n")
    family, ftype, seen, samples = None, None, set(), 0
    for n, line in enumerate(lines, 1):
        if line == "# EOF":
            if n != len(lines):
                fail(n, "data after # EOF")
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line[7:].split(" ", 1)[0]
            if not re.fullmatch(NAME, name):
                fail(n, "bad metric name %r" % name)
            if name != family:
                if name in seen:
                    fail(n, "family %s interleaved" % name)
                seen.add(name)
                family, ftype = name, None
            if line.startswith("# TYPE "):
                t = line[7:].split(" ", 1)[1] if " " in line[7:] else ""
                if t not in TYPES:
                    fail(n, "unknown type %r" % t)
                ftype = t
            continue
        if line.startswith("#"):
            fail(n, "comment lines are not allowed in OpenMetrics")
        m = SAMPLE.match(line)
        if not m:
            fail(n, "malformed sample: %r" % line[:200])
        name, value = m.group(1), m.group(3)
        if family is None or not (name == family or name.startswith(family + "_")):
            fail(n, "sample %s outside its family %s" % (name, family))
        if ftype == "counter" and not name.endswith("_total"):
            fail(n, "counter sample %s does not end in _total" % name)
        if value not in ("NaN", "+Inf", "-Inf"):
            float(value)
        samples += 1
    if samples == 0:
        fail(0, "no samples")
    print("openmetrics ok: %d families, %d samples" % (len(seen), samples))


main()
