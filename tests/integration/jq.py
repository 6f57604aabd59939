#!/usr/bin/env python3
"""Query agentmon JSON Lines output for the integration tests.

usage: jq.py FILE COMMAND [ARGS] [FILTER...]

COMMAND
  count               number of matching events
  sum FIELD           sum of FIELD over matching events
  get FIELD           FIELD of the first match (strings raw, others as JSON);
                      exit 1 when nothing matches
  values FIELD        FIELD of every match, one per line
  dump                matching events, one JSON object per line
  wait SECONDS        exit 0 as soon as an event matches, 1 after SECONDS
  validate            every line is UTF-8 JSON with the fields SPEC.md
                      promises (types included); exit 1 listing problems

FILTER (all must hold)
  key=value     equal: compared as text when the field is a string, else the
                value is parsed as JSON (pid=42, argv='["a","b"]', write=true)
  key!=value    not equal (same comparison)
  key~regex     re.search on the field (strings raw, others as JSON)
  key!~regex    no match
  key>=N key<=N key>N key<N   numeric comparisons
  key?          the field is present and not null
  key!?         the field is absent or null

A last line without its newline (being written) is ignored, except by
validate.
"""
import json
import re
import sys
import time

COMMON = {"ts": str, "type": str, "pid": int, "tid": int, "ppid": int,
          "uid": int, "comm": str, "agent": str, "agent_pid": int}
PER_TYPE = {
    "exec": {"filename": str, "argv": list, "cwd": (str, type(None))},
    "exit": {"exit_code": int},
    "open": {"path": str, "flags": str, "write": bool, "ret": int},
    "unlink": {"path": str, "ret": int},
    "rename": {"path": str, "new_path": str, "ret": int},
    "chmod": {"path": str, "ret": int},
    "connect": {"proto": str, "daddr": str, "dport": int},
    "accept": {"proto": str, "daddr": str, "dport": int},
    "send": {"proto": str, "daddr": str, "dport": int, "bytes": int},
    "dns": {"query": str, "answers": list},
    "drop": {"lost": int},
    "syscall": {"syscall": str, "compat": bool, "nr": int, "ret": int},
    "tag": {"how": str, "since": str, "unwatched": bool},
    "llm": {"host": str, "model": str, "prompt": str, "tools": list},
}
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
OPS = ("!=", "!~", ">=", "<=", "=", "~", ">", "<")


def parse_filter(s):
    if s.endswith("!?"):
        return (s[:-2], "!?", None)
    if s.endswith("?"):
        return (s[:-1], "?", None)
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(!=|!~|>=|<=|=|~|>|<)(.*)$", s, re.S)
    if not m:
        sys.exit("jq.py: bad filter %r" % s)
    return m.group(1), m.group(2), m.group(3)


def as_text(v):
    return v if isinstance(v, str) else json.dumps(v)


def equal(v, want):
    if isinstance(v, str):
        return v == want
    try:
        w = json.loads(want)
    except ValueError:
        return False
    if isinstance(v, bool) or isinstance(w, bool):
        return v is w
    return v == w


def match(ev, filters):
    for key, op, want in filters:
        present = key in ev and ev[key] is not None
        v = ev.get(key)
        if op == "?":
            ok = present
        elif op == "!?":
            ok = not present
        elif op == "=":
            ok = present and equal(v, want)
        elif op == "!=":
            ok = not (present and equal(v, want))
        elif op == "~":
            ok = present and re.search(want, as_text(v)) is not None
        elif op == "!~":
            ok = not (present and re.search(want, as_text(v)) is not None)
        else:
            if not present or isinstance(v, bool) or not isinstance(v, (int, float)):
                return False
            n = float(want)
            ok = {">=": v >= n, "<=": v <= n, ">": v > n, "<": v < n}[op]
        if not ok:
            return False
    return True


def read_events(path, strict=False):
    """(events, problems); lenient mode skips undecodable lines."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    if tail and strict:
        lines.append(tail)
    events, problems = [], []
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            if strict:
                problems.append("line %d: empty line" % n)
            continue
        try:
            ev = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            problems.append("line %d: not UTF-8 JSON (%s): %r" % (n, e, raw[:200]))
            continue
        if not isinstance(ev, dict):
            problems.append("line %d: not an object" % n)
            continue
        events.append(ev)
    if tail and strict:
        problems.append("output does not end with a newline")
    return events, problems


def check_types(n, ev, spec, problems):
    for k, t in spec.items():
        if k not in ev:
            problems.append("event %d (%s): missing %r" % (n, ev.get("type"), k))
            continue
        v = ev[k]
        ok = isinstance(v, t) and not (t is int and isinstance(v, bool))
        if not ok:
            problems.append("event %d (%s): %r is %r, wants %s"
                            % (n, ev.get("type"), k, v, t))


def validate(events, problems):
    for n, ev in enumerate(events, 1):
        typ = ev.get("type")
        if not isinstance(typ, str):
            problems.append("event %d: no type" % n)
            continue
        if not isinstance(ev.get("ts"), str) or not TS_RE.match(ev["ts"]):
            problems.append("event %d (%s): bad ts %r" % (n, typ, ev.get("ts")))
        system = typ == "alert" and ev.get("cause") == "alert"  # about agentmon itself
        if system and ev.get("agent") is not None:
            problems.append("event %d (alert about agentmon): agent %r" % (n, ev["agent"]))
        if typ != "drop":
            check_types(n, ev, {k: v for k, v in COMMON.items()
                                if not (system and k == "agent")}, problems)
            if "exe" not in ev:
                problems.append("event %d (%s): missing 'exe'" % (n, typ))
        check_types(n, ev, PER_TYPE.get(typ, {}), problems)
        if typ == "open" and isinstance(ev.get("path"), str) \
                and not ev["path"].startswith("/"):
            problems.append("event %d (open): path not absolute: %r" % (n, ev["path"]))
    return problems


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    path, cmd, rest = argv[1], argv[2], argv[3:]
    arg = None
    if cmd in ("sum", "get", "values", "wait"):
        if not rest:
            sys.exit("jq.py: %s needs an argument" % cmd)
        arg, rest = rest[0], rest[1:]
    filters = [parse_filter(s) for s in rest]

    if cmd == "validate":
        events, problems = read_events(path, strict=True)
        validate(events, problems)
        for p in problems[:20]:
            print(p)
        if len(problems) > 20:
            print("... %d problems in all" % len(problems))
        return 1 if problems else 0

    if cmd == "wait":
        deadline = time.monotonic() + float(arg)
        while True:
            events, _ = read_events(path)
            if any(match(ev, filters) for ev in events):
                return 0
            if time.monotonic() >= deadline:
                return 1
            time.sleep(0.1)

    events, _ = read_events(path)
    hits = [ev for ev in events if match(ev, filters)]
    if cmd == "count":
        print(len(hits))
    elif cmd == "sum":
        print(sum(ev.get(arg, 0) or 0 for ev in hits))
    elif cmd == "get":
        if not hits or arg not in hits[0]:
            return 1
        print(as_text(hits[0][arg]))
    elif cmd == "values":
        for ev in hits:
            if arg in ev:
                print(as_text(ev[arg]))
    elif cmd == "dump":
        for ev in hits:
            print(json.dumps(ev))
    else:
        sys.exit("jq.py: unknown command %r" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
