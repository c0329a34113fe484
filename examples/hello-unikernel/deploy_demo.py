#!/usr/bin/env python3
"""The main job: the Swift unikernel deployed continuously to the local plane, in four phases.

Starts `sortie serve` in a temporary data directory (its autoscaler's stabilisation window
shortened to --stabilization seconds; GCE's is 10 minutes), copies examples/hello-unikernel's
sortie.yml into a temporary project (free loopback ports), then:

  1. deploy   `sortie deploy` of version 1 from nothing: build, image, smoke test, setup, a
              group of 3 behind the load balancer.
  2. rollout  `HELLO_VERSION=2 sortie deploy` while clients loop GET /version through the load
              balancer: a health-gated surge rollout, 0 failed requests.
  3. heal     `kill -9` of one instance's QEMU (a crash) while the clients go on: the load
              balancer stops sending it requests, autohealing recreates it, 0 failed requests.
  4. scale    clients calling /burn (CPU) through the load balancer: the autoscaler (CPU target
              50%) adds instances; when the load stops, the group shrinks back to 3.

Each phase prints one line of result; the end is a table of the phases and the address to open.
Exit status 0 only if every phase did what it says. Standard library only.

Usage: deploy_demo.py [--sortie PATH] [--stabilization SECONDS] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from localplane import Load, Sandbox, default_sortie, qemu_pids  # noqa: E402


class PhaseFailed(Exception):
    pass


class Demo:
    def __init__(self, sortie: str, sandbox: Sandbox):
        self.sortie, self.project, self.plane, self.address = sortie, sandbox.project, sandbox.plane, sandbox.address
        self.env = sandbox.env
        self.results: list[tuple[str, float, str]] = []

    # sortie commands

    def deploy(self, version: str) -> None:
        print(f"\n==> HELLO_VERSION={version} sortie deploy --yes", flush=True)
        r = subprocess.run([self.sortie, "deploy", "--yes"], cwd=self.project, env=dict(self.env, HELLO_VERSION=version),
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise PhaseFailed(f"sortie deploy of version {version} failed (exit status {r.returncode})")

    def status(self) -> dict:
        r = subprocess.run([self.sortie, "status", "--json"], cwd=self.project, env=self.env, capture_output=True, text=True)
        if r.returncode != 0:
            raise PhaseFailed(f"sortie status failed: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def healthy(self, status: dict) -> int:
        return sum(1 for i in status["instances"] if i["row"]["health"] == "HEALTHY" and i["row"]["action"] == "NONE")

    def wait(self, what: str, predicate, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        status = self.status()
        while not predicate(status):
            if time.monotonic() > deadline:
                rows = ", ".join(f"{i['row']['name']} {i['row']['status']}/{i['row']['action']}/{i['row']['health']}"
                                 for i in status["instances"])
                raise PhaseFailed(f"timed out after {timeout:.0f} s waiting for {what} (target size {status['targetSize']}: {rows})")
            time.sleep(1)
            status = self.status()
        return status

    def restarted(self, row: dict, killed: int) -> bool:
        """Whether the instance in `row` runs again, on a QEMU other than the `killed` one."""
        try:
            instance = self.plane.get(f"projects/local/zones/{row['zone']}/instances/{row['name']}")
        except OSError:  # recreated under the same name: briefly not there
            return False
        pids = qemu_pids(instance["id"])
        return instance["status"] == "RUNNING" and bool(pids) and killed not in pids

    def record(self, phase: str, started: float, result: str) -> None:
        seconds = time.monotonic() - started
        self.results.append((phase, seconds, result))
        print(f"\n[{phase}] {result} ({seconds:.1f} s)", flush=True)

    @staticmethod
    def counted(load: Load) -> str:
        versions = ", ".join(f"v{k}: {v}" for k, v in sorted(load.counts.items()))
        return f"{load.total} requests ({versions}), {len(load.failures)} failed"

    def check(self, load: Load) -> None:
        if load.failures:
            raise PhaseFailed(f"{len(load.failures)} failed requests, first: {load.failures[:3]}")

    # The phases

    def first_deploy(self) -> None:
        started = time.monotonic()
        self.deploy("1")
        status = self.status()
        self.record("deploy", started, f"version 1 live on {self.healthy(status)} healthy instances at http://{self.address}/")

    def rollout(self) -> None:
        started = time.monotonic()
        with Load(self.address, workers=2) as load:
            self.deploy("2")
            time.sleep(1)
        self.check(load)
        self.record("rollout", started, f"version 2 rolled out under load: {self.counted(load)}")

    def heal(self) -> None:
        status = self.status()
        size = status["targetSize"]
        victim = status["instances"][0]["row"]
        instance = self.plane.get(f"projects/local/zones/{victim['zone']}/instances/{victim['name']}")
        pids = qemu_pids(instance["id"])
        if len(pids) != 1:
            raise PhaseFailed(f"expected one QEMU for {victim['name']} (id {instance['id']}), found {pids}")
        started = time.monotonic()
        with Load(self.address, workers=2) as load:
            time.sleep(1)
            print(f"\n==> kill -9 {pids[0]} (the QEMU of instance {victim['name']}): a crash", flush=True)
            os.kill(pids[0], signal.SIGKILL)
            self.wait(f"{victim['name']} to be recreated and the group whole again",
                      lambda s: len(s["instances"]) == size and self.healthy(s) == size and s["isStable"]
                      and self.restarted(victim, pids[0]), timeout=120)
            time.sleep(1)
        self.check(load)
        self.record("heal", started, f"{victim['name']} crashed and was recreated by autohealing while serving: "
                                     f"{self.counted(load)}")

    def scale(self, workers: int) -> None:
        base = self.status()["targetSize"]
        started = time.monotonic()
        print(f"\n==> {workers} clients calling /burn?ms=100 through the load balancer (CPU load)", flush=True)
        with Load(self.address, workers=workers, path="/burn?ms=100", pause=0, key=lambda body: "burn") as load:
            grown = self.wait("the autoscaler to add an instance (it needs the instances' CPU above the 50% target on "
                              "average: about 1.5 free host cores for 3 guests under TCG; other work on this machine "
                              "leaves them less)", lambda s: s["targetSize"] > base, timeout=180)
            self.wait("the new instances to be healthy",
                      lambda s: self.healthy(s) >= grown["targetSize"], timeout=120)
        self.check(load)
        out = time.monotonic()
        self.record("scale out", started, f"CPU load: the autoscaler grew the group from {base} to {grown['targetSize']} "
                                          f"instances ({load.total} requests, {len(load.failures)} failed)")
        print("\n==> load stopped; waiting for the group to shrink back "
              "(after the autoscaler's stabilisation window)", flush=True)
        self.wait(f"the group to shrink back to {base}", lambda s: s["targetSize"] == base and len(s["instances"]) == base,
                  timeout=300)
        self.record("scale in", out, f"no load: the group shrank back to {base} instances")

    def summary(self) -> None:
        print("\nPHASE       SECONDS  RESULT")
        for phase, seconds, result in self.results:
            print(f"{phase:<11} {seconds:>7.1f}  {result}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sortie", default=default_sortie(), help="the sortie binary")
    parser.add_argument("--stabilization", type=int, default=20,
                        help="the plane's autoscaler stabilisation window, seconds (GCE: 600; default 20)")
    parser.add_argument("--burn-clients", type=int, default=4, help="clients calling /burn in the scale phase (default 4)")
    parser.add_argument("--keep", action="store_true", help="leave the plane running at the end (Ctrl-C to stop)")
    args = parser.parse_args()
    sortie = os.path.abspath(args.sortie)

    sandbox = Sandbox(sortie, HERE, "sortie-unikernel-demo-",
                      extra_args=("--autoscaler-stabilization", str(args.stabilization)))
    demo = Demo(sortie, sandbox)
    started = time.monotonic()
    with sandbox:
        try:
            demo.first_deploy()
            demo.rollout()
            demo.heal()
            demo.scale(args.burn_clients)
        except PhaseFailed as e:
            demo.summary()
            sandbox.keep = True
            print(f"\nerror: {e}\nhint: the plane's log is {sandbox.plane.log_path} (kept); `sortie logs` in "
                  f"{sandbox.project} shows the instances' consoles", file=sys.stderr)
            return 1
        demo.summary()
        print(f"\nAll phases passed in {time.monotonic() - started:.0f} s. "
              f"Open http://{sandbox.address}/ (a page from one of the instances).")
        if args.keep:
            sandbox.keep = True
            print(f"The plane keeps running (data in {sandbox.data}); try, in {sandbox.project}:\n"
                  f"  SORTIE_SERVE_DATA={sandbox.data} {sortie} status\nCtrl-C to stop.")
            signal.sigwait([signal.SIGINT, signal.SIGTERM])
        return 0


if __name__ == "__main__":
    sys.exit(main())
