#!/usr/bin/env python3
"""scripts/bench rollout, first table: `sortie deploy` rollouts of 3 instances under load, the Swift
unikernel (examples/hello-unikernel) beside the Linux guest (examples/hello-microvm), each on a
fresh `sortie serve`, against the floor its settings allow.

For each guest: `sortie deploy` of version 1 (its smoke test measures the boot: start of QEMU to
the ready line), then `HELLO_VERSION=2 sortie deploy --json` while 2 clients loop GET /version
through the load balancer. A surge rollout with maxSurge 1 replaces the 3 instances one after the
other, so its floor is 3 x (boot + healthy threshold x check interval + connection draining).
Sortie also sets updatePolicy.minReadySec (interval x (healthy + 1) + 1 s on the local plane, so
the balancer has seen the new instance healthy before an old one leaves): the second floor adds
it. Prints a Markdown table. Usage: bench_rollout_floor.py SORTIE_BINARY
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "examples"))
import localplane  # noqa: E402

SIZE = 3
GUESTS = [("Swift unikernel (hello-unikernel)", "hello-unikernel"), ("Linux guest (hello-microvm)", "hello-microvm")]


def fixed_size(config: str) -> str:
    """The example at a fixed size of 3 (no autoscaler), so only the rollout changes the group."""
    config = re.sub(r"instances: \{[^}]*\}", f"instances: {{ min: {SIZE} }}", config)
    return re.sub(r"\n  autoscale: \{[^}]*\}", "", config)


def seconds(text: str) -> float:
    value = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", text.strip())
    if not value:
        raise ValueError(f"not a duration: {text}")
    return float(value.group(1)) / (1000 if value.group(2) == "ms" else 1)


def measure(sortie: str, example: str) -> dict:
    sandbox = localplane.Sandbox(sortie, os.path.join(REPO, "examples", example), "sortie-bench-floor-", fixed_size)
    config = sandbox.config()
    health = re.search(r"health: \{([^}]*)\}", config).group(1)
    interval = seconds(re.search(r"interval: (\S+?),", health).group(1))
    healthy = int(re.search(r"healthy: (\d+)", health).group(1))
    drain = seconds(re.search(r"drain: (\S+?)\s*[,}]", config).group(1))

    def deploy(version: str) -> dict:
        r = subprocess.run([sortie, "deploy", "--yes", "--json"], cwd=sandbox.project, env=dict(sandbox.env, HELLO_VERSION=version),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
        if r.returncode != 0:
            sys.exit(f"bench rollout: deploy of {example} v{version} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
        return json.loads(r.stdout)

    with sandbox:
        first = deploy("1")
        smoke = next(s for s in first["steps"] if s["step"] == "smoke test")["outcome"]
        boot = float(re.search(r"after (\d+(?:\.\d+)?) s", smoke).group(1))
        with localplane.Load(sandbox.address, workers=2) as load:
            second = deploy("2")
            time.sleep(1)
        rollout = next(s["seconds"] for s in second["steps"] if s["step"] == "rollout")
    floor = SIZE * (boot + healthy * interval + drain)
    min_ready = interval * (healthy + 1) + 1
    return {"boot": boot, "rollout": rollout, "floor": floor, "floor_min_ready": floor + SIZE * min_ready,
            "requests": load.total, "failed": len(load.failures)}


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sortie = os.path.abspath(sys.argv[1])
    print(f"| rollout of {SIZE} under load (maxSurge 1) | boot | rollout | floor (boot + health + drain) | ratio | "
          "floor with minReadySec | ratio | requests | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for title, example in GUESTS:
        m = measure(sortie, example)
        print(f"| {title} | {m['boot']:.1f} s | {m['rollout']:.1f} s | {m['floor']:.1f} s | {m['rollout'] / m['floor']:.2f} | "
              f"{m['floor_min_ready']:.1f} s | {m['rollout'] / m['floor_min_ready']:.2f} | {m['requests']} | {m['failed']} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
