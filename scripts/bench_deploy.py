#!/usr/bin/env python3
"""scripts/bench deploy: time per step of `sortie deploy` to a fresh local plane, and the bytes
uploaded, for each example: hello-unikernel (the Swift unikernel, built by its build.command, a
group of 3) and hello-microvm (Debian's cloud kernel + busybox initrd, a group of 2):

  1. the first deploy (everything created, version 1),
  2. a second deploy of a new version (version 2, surge rollout of the group),
  3. the same release again (nothing to do: no smoke test, no rollout),

beside the reference: the same upload and image registration done the way hand-written pipelines
do it, `curl` of the archive to the plane's simple-upload endpoint and an `images.insert` with
`curl` (no checksum check, no resume), measured in the same run on the same plane.

Usage: bench_deploy.py SORTIE_BINARY
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
from localplane import Sandbox  # noqa: E402

EXAMPLES = ["hello-unikernel", "hello-microvm"]


def main() -> int:
    sortie = os.path.abspath(sys.argv[1])
    for example in EXAMPLES:
        if bench(sortie, example) != 0:
            return 1
        print()
    return 0


def bench(sortie: str, example: str) -> int:
    sandbox = Sandbox(sortie, os.path.join(REPO, "examples", example), "sortie-bench-deploy-")
    project, data = sandbox.project, sandbox.data
    app = re.search(r"^app: (\S+)", sandbox.config(), re.M).group(1)
    runs = []
    with sandbox:
        for label, version in [("first deploy (v1, from nothing)", "1"), ("second deploy (v2, rollout)", "2"),
                               ("same release again", "2")]:
            started = time.monotonic()
            r = subprocess.run([sortie, "deploy", "--yes", "--json"], cwd=project, env=dict(sandbox.env, HELLO_VERSION=version),
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            wall = time.monotonic() - started
            if r.returncode != 0:
                sys.stderr.write(r.stderr[-3000:])
                return 1
            runs.append((label, wall, json.loads(r.stdout)))
        token = open(os.path.join(data, "token")).read().strip()
        archive = max((os.path.join(project, ".sortie", "releases", n) for n in os.listdir(os.path.join(project, ".sortie", "releases"))),
                      key=os.path.getmtime)
        size = os.path.getsize(archive)
        auth = ["-H", f"Authorization: Bearer {token}"]
        base = f"http://127.0.0.1:{sandbox.plane.port}"
        started = time.monotonic()
        subprocess.run(["curl", "-sf", "-o", "/dev/null", *auth, "-H", "Content-Type: application/gzip", "--data-binary", f"@{archive}",
                        f"{base}/upload/storage/v1/b/{app}-releases/o?uploadType=media&name=bench/curl.tar.gz"], check=True)
        upload = time.monotonic() - started
        started = time.monotonic()
        body = json.dumps({"name": "bench-curl", "rawDisk": {"source": f"https://storage.googleapis.com/{app}-releases/bench/curl.tar.gz"}})
        subprocess.run(["curl", "-sf", "-o", "/dev/null", *auth, "-H", "Content-Type: application/json", "-d", body,
                        f"{base}/compute/v1/projects/local/global/images"], check=True)
        while True:
            out = subprocess.run(["curl", "-sf", *auth, f"{base}/compute/v1/projects/local/global/images/bench-curl"],
                                 capture_output=True, text=True).stdout
            if '"READY"' in out:
                break
            time.sleep(0.2)
        register = time.monotonic() - started

    steps = [s["step"] for s in runs[0][2]["steps"]]
    print(f"sortie deploy of {example} to a fresh local plane (archive {size / 1e6:.2f} MB; seconds per step)\n")
    print("| step | " + " | ".join(label for label, _, _ in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for step in steps:
        cells = []
        for _, _, summary in runs:
            found = next((s for s in summary["steps"] if s["step"] == step), None)
            cells.append(f"{found['seconds']:.2f}" if found else "-")
        print(f"| {step} | " + " | ".join(cells) + " |")
    print("| **total (wall clock)** | " + " | ".join(f"**{wall:.1f}**" for _, wall, _ in runs) + " |")
    uploaded = ["uploaded" in next(s["outcome"] for s in summary["steps"] if s["step"] == "upload") for _, _, summary in runs]
    print("| bytes uploaded | " + " | ".join(f"{size:,}" if u else "0 (reused)" for u in uploaded) + " |")
    print(f"\nReference, same plane: curl simple upload of the archive {upload:.2f} s (no checksum check, no resume), "
          f"curl images.insert until READY {register:.2f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
