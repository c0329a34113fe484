#!/usr/bin/env python3
"""scripts/bench rollout: time to roll a group of 3 micro-VMs to a new version behind the load
balancer, and the requests that failed meanwhile, for Sortie's health-gated surge rollout
(maxSurge 1, maxUnavailable 0) beside the blind "recreate everything" update that hand-made
pipelines do (maxSurge 0, maxUnavailable 3), measured in the same run on `sortie serve`.

Each row runs examples/hello-microvm/demo.py --json (a fresh plane each time) and reports its
rollout step. Usage: bench_rollout.py SORTIE_BINARY [--size N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(REPO, "examples", "hello-microvm", "demo.py")


def run(sortie: str, size: int, surge: int, unavailable: int) -> dict:
    r = subprocess.run([sys.executable, DEMO, "--sortie", sortie, "--size", str(size), "--max-surge", str(surge),
                        "--max-unavailable", str(unavailable), "--json"], capture_output=True, text=True)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        sys.exit(f"bench rollout: the demo failed ({r.returncode}):\n{r.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sortie")
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rows = [("Sortie: health-gated surge (maxSurge 1, maxUnavailable 0)", 1, 0),
            (f"blind recreate (maxSurge 0, maxUnavailable {args.size})", 0, args.size)]
    print(f"| update of {args.size} instances | rollout time | requests | failed | failed % |")
    print("|---|---:|---:|---:|---:|")
    for title, surge, unavailable in rows:
        results = [run(args.sortie, args.size, surge, unavailable) for _ in range(args.rounds)]
        seconds = statistics.median(next(s["seconds"] for s in r["steps"] if s["step"].startswith("Rolling out")) for r in results)
        requests = sum(r["requests"] for r in results)
        failed = sum(r["failed"] for r in results)
        print(f"| {title} | {seconds:.1f} s | {requests} | {failed} | {100 * failed / max(1, requests):.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
