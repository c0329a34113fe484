"""The examples' demos as a newcomer runs them (each starts its own `sortie serve`):

* examples/hello-unikernel/deploy_demo.py, the main job scripts/quickstart runs: deploy from
  nothing, a rollout under load, a crash healed under load, CPU autoscaling out and back in;
* examples/hello-microvm/deploy_demo.py, the second example: the same `sortie deploy` of a Linux
  guest (bzImage + initrd), version 1 then version 2 under load.

Each must exit 0 and print what its README shows: every phase's result with 0 failed requests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import support

pytestmark = [pytest.mark.plane, pytest.mark.vm]

EXAMPLES = os.path.join(support.REPO, "examples")


def run_demo(path: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, path, "--sortie", support.sortie_bin(), *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{os.path.relpath(path, support.REPO)} failed ({r.returncode}):\n{r.stdout[-5000:]}\n{r.stderr[-5000:]}"
    return r


def test_the_main_job_deploys_rolls_out_heals_and_scales_the_unikernel():
    r = run_demo(os.path.join(EXAMPLES, "hello-unikernel", "deploy_demo.py"))
    out = r.stdout
    assert re.search(r"\[deploy\] version 1 live on 3 healthy instances at http://127\.0\.0\.1:\d+/", out), out[-3000:]
    rollout = re.search(r"\[rollout\] version 2 rolled out under load: (\d+) requests \(v1: \d+, v2: \d+\), 0 failed", out)
    assert rollout and int(rollout.group(1)) > 0, out[-3000:]
    assert re.search(r"\[heal\] \S+ crashed and was recreated by autohealing while serving: \d+ requests \(v2: \d+\), 0 failed", out), out[-3000:]
    grown = re.search(r"\[scale out\] CPU load: the autoscaler grew the group from 3 to (\d) instances", out)
    assert grown and 3 < int(grown.group(1)) <= 6, out[-3000:]
    assert "[scale in] no load: the group shrank back to 3 instances" in out, out[-3000:]
    assert re.search(r"All phases passed in \d+ s\. Open http://127\.0\.0\.1:\d+/", out), out[-3000:]


def test_the_linux_example_deploys_twice_with_no_failed_request():
    r = run_demo(os.path.join(EXAMPLES, "hello-microvm", "deploy_demo.py"))
    out = r.stdout
    requests = re.search(r"requests during the second deploy: (\d+) \(v1: \d+, v2: \d+\), failed: 0", out)
    assert requests and int(requests.group(1)) > 0, out[-3000:]
    assert "now answering at http://127.0.0.1:" in out
