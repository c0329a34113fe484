#!/usr/bin/env python3
"""scripts/stress rollout: is a rollout's zero failed requests a property or luck?

For each group size (2 and 3 by default), on a fresh `sortie serve`: `sortie deploy` of
examples/hello-microvm in version 1, then N more deploys alternating versions 2 and 1, each a
health-gated surge rollout of the whole group, each under 3 clients looping GET /version through
the load balancer. Prints one line per rollout (requests, failed, seconds) and a table at the end; the
exit status is 1 if any request failed. Bounded: N rollouts per size, each with the deploy's own
timeout. Usage: stress_rollout.py SORTIE_BINARY [--sizes 2,3] [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "hello-microvm")

sys.path.insert(0, os.path.join(REPO, "examples"))
import localplane as demo  # noqa: E402


def stress(sortie: str, size: int, runs: int) -> list[tuple[int, int, float]]:
    edit = lambda config: (config.replace("instances: { min: 2 }", f"instances: {{ min: {size} }}")  # noqa: E731
                                 .replace("  smoke-test:", "  # smoke-test:"))
    with demo.Sandbox(sortie, EXAMPLE, f"sortie-stress-{size}-", edit) as sandbox:
        return rollouts(sortie, sandbox.project, sandbox.env, sandbox.address, size, runs)


def rollouts(sortie: str, project: str, env: dict, address: str, size: int, runs: int) -> list[tuple[int, int, float]]:
    def deploy(version: str) -> subprocess.CompletedProcess:
        return subprocess.run([sortie, "deploy", "--yes"], cwd=project, env=dict(env, HELLO_VERSION=version),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)

    first = deploy("1")
    if first.returncode != 0:
        sys.exit(f"stress rollout: the first deploy failed:\n{first.stdout[-2000:]}\n{first.stderr[-2000:]}")
    results: list[tuple[int, int, float]] = []
    for run in range(runs):
        version = "2" if run % 2 == 0 else "1"
        started = time.monotonic()
        with demo.Load(address, workers=3) as load:
            r = deploy(version)
            time.sleep(1)
        seconds = time.monotonic() - started
        if r.returncode != 0:
            sys.exit(f"stress rollout: deploy {run + 1} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        total = load.total
        results.append((total, len(load.failures), seconds))
        detail = f"; first failures: {load.failures[:3]}" if load.failures else ""
        print(f"size {size}, rollout {run + 1}/{runs} to v{version}: {total} requests, {len(load.failures)} failed, "
              f"{seconds:.1f} s{detail}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("sortie")
    parser.add_argument("--sizes", default="2,3")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    table = []
    for size in [int(s) for s in args.sizes.split(",")]:
        results = stress(os.path.abspath(args.sortie), size, args.runs)
        table.append((size, results))
    print("\n| group size | rollouts | requests | failed | runs with a failure | median rollout |")
    print("|---:|---:|---:|---:|---:|---:|")
    failed_any = False
    for size, results in table:
        requests = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        bad_runs = sum(1 for r in results if r[1])
        failed_any |= failed > 0
        median = sorted(r[2] for r in results)[len(results) // 2]
        print(f"| {size} | {len(results)} | {requests} | {failed} | {bad_runs} | {median:.1f} s |")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
