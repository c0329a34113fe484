#!/usr/bin/env python3
"""The second example: `sortie deploy` of hello-microvm (a Linux guest) to the local plane.

Starts `sortie serve` in a temporary data directory, copies examples/hello-microvm/sortie.yml
into a temporary project (with free loopback ports), runs `sortie deploy` of version 1 from
nothing, then `HELLO_VERSION=2 sortie deploy` while two clients loop requests through the load
balancer, and prints both summaries and the request count (failed: 0). Standard library only.

Usage: deploy_demo.py [--sortie PATH] [--keep]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from localplane import Load, Sandbox, default_sortie  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sortie", default=default_sortie(), help="the sortie binary")
    parser.add_argument("--keep", action="store_true", help="leave the plane running (Ctrl-C to stop)")
    args = parser.parse_args()
    sortie = os.path.abspath(args.sortie)

    with Sandbox(sortie, HERE, "sortie-deploy-demo-") as sandbox:
        sandbox.keep = args.keep
        return demo(sortie, sandbox, args.keep)


def demo(sortie: str, sandbox: Sandbox, keep: bool) -> int:
    project, data, env, address = sandbox.project, sandbox.data, sandbox.env, sandbox.address

    def deploy(version: str) -> subprocess.CompletedProcess:
        print(f"\n==> sortie deploy (HELLO_VERSION={version}) in {project}", flush=True)
        return subprocess.run([sortie, "deploy", "--yes"], cwd=project, env=dict(env, HELLO_VERSION=version),
                              stdin=subprocess.DEVNULL)

    if deploy("1").returncode != 0:
        return 1
    with Load(address) as load:
        second = deploy("2")
        time.sleep(2)
    if second.returncode != 0:
        return 1
    print(f"\nrequests during the second deploy: {load.total} "
          f"({', '.join(f'v{k}: {v}' for k, v in sorted(load.counts.items()))}), failed: {len(load.failures)}")
    for failure in load.failures[:5]:
        print("  failed:", failure)
    print(f"now answering at http://{address}/")
    if keep:
        print(f"\nThe plane keeps running (data in {data}); try, in {project}:\n"
              f"  SORTIE_SERVE_DATA={data} {sortie} status\nCtrl-C to stop.")
        signal.sigwait([signal.SIGINT, signal.SIGTERM])
    return 0 if not load.failures else 1


if __name__ == "__main__":
    sys.exit(main())
