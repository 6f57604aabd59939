#!/usr/bin/env python3
"""tests/integration/jq.py, but "validate" leaves out the events that match
every filter listed (one a line) in the file $AM_JQ_EXCEPT: for a known
limit whose events break the SPEC, which the test asserts on its own.  The
real jq.py is $AM_JQ.  Used by stop_collector_except (tests/evasion/lib.sh).
usage: as jq.py"""
import importlib.util
import json
import os
import sys
import tempfile

spec = importlib.util.spec_from_file_location("jq", os.environ["AM_JQ"])
jq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jq)
with open(os.environ["AM_JQ_EXCEPT"]) as f:
    filters = [jq.parse_filter(l.rstrip("\n")) for l in f if l.strip()]
argv = sys.argv
if len(argv) > 2 and argv[2] == "validate" and filters:
    kept = tempfile.NamedTemporaryFile("wb", delete=False, suffix=".jsonl")
    with open(argv[1], "rb") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                ev = None
            if not (isinstance(ev, dict) and jq.match(ev, filters)):
                kept.write(line)
    kept.close()
    argv = [argv[0], kept.name] + argv[2:]
try:
    rc = jq.main(argv)
finally:
    if argv is not sys.argv:
        os.unlink(argv[1])
sys.exit(rc)
