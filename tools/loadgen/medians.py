#!/usr/bin/env python3
"""Prints, per scenario and server, the median of every numeric field over the rounds in a
compare.sh results file (JSON lines), and ours/1.36 for the headline fields.
usage: python3 tools/loadgen/medians.py RESULTS.jsonl"""
import json
import statistics
import sys
from collections import defaultdict

HEADLINE = {"proxy": "req_per_s", "hold": "holds_per_s", "fanout": "deliveries_per_s", "fanout-zmq": "deliveries_per_s",
            "manychan": "deliveries_per_s", "longpoll": "cycles_per_s", "wsoverhttp": "round_trips_per_s",
            "wsraw": "round_trips_per_s", "idle-partial": "bytes_per_conn"}

groups = defaultdict(list)
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        r = json.loads(line)
        groups[(r["scenario"], r["target"])].append(r)

for (scenario, target), rounds in sorted(groups.items()):
    if scenario == "idle-partial":
        continue  # one line per connection count, not rounds: read those from the file
    keys = sorted({k for r in rounds for k, v in r.items() if isinstance(v, (int, float))})
    medians = {k: statistics.median([r[k] for r in rounds if k in r]) for k in keys}
    print(f"{scenario} {target} ({len(rounds)} rounds): " + " ".join(f"{k}={round(v, 2)}" for k, v in medians.items()))

for scenario, field in HEADLINE.items():
    ours = [r[field] for r in groups.get((scenario, "ours"), []) if field in r]
    theirs = [r[field] for r in groups.get((scenario, "pushpin-1.36"), []) if field in r]
    if ours and theirs:
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"ratio {scenario} {field}: ours {round(o, 1)} / 1.36 {round(t, 1)} = {round(o / t, 2)}")
