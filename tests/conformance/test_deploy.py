"""`sortie deploy` and the operating commands, end to end against `sortie serve` with real
guests (the Swift unikernel of examples/hello-unikernel, TCG): the user's view — exit status, output, and what the
load balancer answers while it happens.

The tests of the main flow run in order on one app: plan, first deploy, second deploy under load,
a kernel that crashes at the smoke test, a release that never becomes healthy (rolled back under
load), logs, rollback, gc. The fault test has its own plane with injected faults.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import fleet
import support

pytestmark = [pytest.mark.plane, pytest.mark.vm]

CONFIG = """\
app: {app}
build:
  kernel: {kernel}
  cmdline: "version=${{HELLO_VERSION:-1}} ${{HELLO_FLAGS:-}}"
image:
  smoke-test: {{ expect: "HELLO-UNIKERNEL READY", timeout: 30s }}
service:
  port: 80
  health: {{ path: /health, interval: 1s, timeout: 1s, healthy: 1, unhealthy: 2, initial-delay: 30s }}
  instances: {{ min: 1 }}
  rollout: {{ max-surge: 1, max-unavailable: 0, timeout: {timeout}s, drain: 2s }}
targets:
  local:
    project: {project}
    endpoint: {endpoint}
    http-port: {port}
"""


class Project:
    """A directory with a sortie.yml for the local plane, and the sortie command run in it."""

    def __init__(self, root: str, plane, app: str, timeout: int = 300):
        os.makedirs(root, exist_ok=True)
        self.root = root
        self.plane = plane
        self.app = app
        self.port = support.free_port()
        with open(os.path.join(root, "sortie.yml"), "w") as f:
            f.write(CONFIG.format(app=app, kernel=fleet.UNIKERNEL, endpoint=plane.base, port=self.port, timeout=timeout, project=support.PROJECT))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def run(self, *args: str, version: str = "1", flags: str = "", timeout: float = 600) -> subprocess.CompletedProcess:
        env = dict(os.environ, SORTIE_SERVE_DATA=self.plane.data_dir, HELLO_VERSION=version, HELLO_FLAGS=flags)
        return subprocess.run([support.sortie_bin(), *args], cwd=self.root, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"sortie {' '.join(args)} failed:\n{r.stdout}\n{r.stderr[-4000:]}"
        return r

    def releases(self) -> list[dict]:
        return json.loads(self.ok("releases", "--json").stdout)

    def status(self) -> dict:
        return json.loads(self.ok("status", "--json").stdout)


@pytest.fixture(scope="module")
def project(plane, work_root):
    return Project(os.path.join(work_root, "deploy-project"), plane, support.unique("hello"))


def test_plan_shows_the_setup_and_changes_nothing(project):
    r = project.ok("deploy", "--plan")
    assert "+ create instance group manager " + project.app in r.stdout
    assert "+ create forwarding rule " + project.app + "-http" in r.stdout
    assert "Nothing was changed (--plan)." in r.stdout
    assert project.releases() == []


def test_on_a_terminal_deploy_shows_the_plan_and_asks_first(project):
    """Without --yes on a terminal, the plan is shown and a "no" changes nothing (exit 1)."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.chdir(project.root)
        os.environ.update(SORTIE_SERVE_DATA=project.plane.data_dir, HELLO_VERSION="1", HELLO_FLAGS="")
        os.execv(support.sortie_bin(), [support.sortie_bin(), "deploy"])
    output, answered, deadline = b"", False, time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(fd, b"n\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert answered, text[-3000:]
    assert "+ create instance group manager " + project.app in text
    assert os.waitstatus_to_exitcode(status) == 1, text[-3000:]
    assert "not confirmed; nothing was changed" in text
    assert project.releases() == []


def test_first_deploy_from_nothing_serves_through_the_load_balancer(project):
    r = project.ok("deploy", "--json")
    summary = json.loads(r.stdout)
    assert summary["outcome"] == "deployed"
    assert summary["address"] == project.address
    assert [i["health"] for i in summary["instances"]] == ["HEALTHY"]
    assert [s["step"] for s in summary["steps"]] == ["build", "image", "smoke test", "plan", "upload", "register image",
                                                    "template", "setup", "rollout", "serving"]
    assert fleet.served_version(project.address) == "1"
    releases = project.releases()
    assert [r["id"] for r in releases] == [summary["release"]] and releases[0]["isLive"]
    assert releases[0]["provenance"]["imageSHA256"].startswith(summary["release"][1:])


def test_deploying_the_same_release_again_changes_nothing(project):
    r = project.ok("deploy", "--json")
    summary = json.loads(r.stdout)
    assert summary["outcome"] == "already deployed"
    assert all(line.startswith("  keep") for line in summary["plan"]), summary["plan"]
    assert "reused" in next(s["outcome"] for s in summary["steps"] if s["step"] == "upload")
    smoke = next(s for s in summary["steps"] if s["step"] == "smoke test")
    assert smoke["outcome"].startswith("skipped:") and "already live" in smoke["outcome"], smoke
    assert smoke["seconds"] == 0


def test_second_deploy_under_load_fails_no_request(project):
    with fleet.Load(project.address, workers=3) as load:
        r = project.ok("deploy", version="2")
        time.sleep(2)
    assert "Deployed " + project.app in r.stdout and "previous" in r.stdout
    assert not load.failures, load.summary()
    assert load.versions.get("1") and load.versions.get("2"), load.summary()
    assert set(load.last_versions) == {"2"}, load.summary()
    assert len(project.releases()) == 2


def test_kernel_that_crashes_at_boot_stops_at_the_smoke_test(project):
    r = project.run("deploy", version="9", flags="crash=boot")
    assert r.returncode == 1
    assert "error: smoke test failed" in r.stderr, r.stderr[-3000:]
    assert "last console lines:" in r.stderr and "KERNEL PANIC" in r.stderr, r.stderr[-3000:]
    assert "[upload]" not in r.stderr
    assert len(project.releases()) == 2
    assert fleet.served_version(project.address) == "2"


def test_release_that_never_becomes_healthy_is_rolled_back_under_load(project, plane):
    # A rollout timeout far above the unikernel's boot and health threshold (about 2 s), short
    # enough not to wait long for a release that never becomes healthy.
    slow = Project(project.root + "-rollback", plane, project.app, timeout=20)
    slow.port = project.port  # same app, same load balancer: only the rollout timeout differs
    with open(os.path.join(slow.root, "sortie.yml"), "w") as f:
        f.write(CONFIG.format(app=project.app, kernel=fleet.UNIKERNEL, endpoint=plane.base, port=project.port, timeout=20,
                              project=support.PROJECT))
    with fleet.Load(project.address, workers=3) as load:
        r = slow.run("deploy", version="3", flags=fleet.UNHEALTHY)
        time.sleep(2)
    assert r.returncode == 1, r.stdout
    assert "error: rollout failed" in r.stderr and "Rolled back" in r.stderr, r.stderr[-3000:]
    assert "HELLO-UNIKERNEL READY version=3" in r.stderr  # the failing instance's console tail
    assert not load.failures, load.summary()
    assert set(load.versions) == {"2"}, load.summary()
    status = project.status()
    assert {i["row"]["health"] for i in status["instances"]} == {"HEALTHY"}
    v3, v2, _ = project.releases()
    assert v2["isLive"] and not v3["isLive"] and status["releases"] == [v2["id"]]
    assert fleet.served_version(project.address) == "2"


def test_logs_show_the_serial_console(project):
    r = project.ok("logs")
    assert "HELLO-UNIKERNEL READY version=2" in r.stdout


def test_rollback_returns_to_the_previous_release(project):
    before = project.status()["releases"]
    r = project.ok("rollback")
    assert "Rolled back" in r.stdout
    after = project.status()["releases"]
    assert after != before
    assert fleet.served_version(project.address) == "1"


def test_gc_keeps_what_is_referenced(project):
    releases = project.releases()
    assert len(releases) == 3  # v3 (never healthy), v2, v1 (live after the rollback)
    live = [r["id"] for r in releases if r["isLive"]]
    dry = json.loads(project.ok("gc", "--keep", "1", "--dry-run", "--json").stdout)
    doomed = [r["release"] for r in dry["removed"]]
    assert doomed == [releases[1]["id"]], dry
    assert len(project.releases()) == 3  # a dry run deletes nothing
    done = json.loads(project.ok("gc", "--keep", "1", "--json").stdout)
    assert [r["release"] for r in done["removed"]] == doomed
    remaining = [r["id"] for r in project.releases()]
    assert remaining == [releases[0]["id"], releases[2]["id"]]
    assert live[0] in remaining
    assert fleet.served_version(project.address) == "1"


FAULTS = ",".join([
    "POST:/global/instanceTemplates=drop",      # created, answer lost: the retry must not create it twice
    "POST:/global/healthChecks=503x2",
    "GET:/instanceGroupManagers/=429x2",
    "POST:/global/images=operation-error",      # the first run fails here, cleanly
    "PUT:/upload/=drop",                        # an upload chunk's answer lost: resumed
])

# A group of 2 with an autoscaler and a canary of 1.
CANARY = {"instances: { min: 1 }": "instances: { min: 2, max: 3 }\n  autoscale: { cpu: 0.9, cooldown: 60s }",
          "rollout: { max-surge: 1, max-unavailable: 0,": "rollout: { canary: 1, max-surge: 1, max-unavailable: 0,"}


@pytest.fixture(scope="module")
def faulty_plane(work_root):
    plane = support.Plane(os.path.join(work_root, "faulty-plane"), extra_args=["--inject-faults", FAULTS]).start()
    yield plane
    plane.stop()


@pytest.fixture(scope="module")
def canary_project(faulty_plane, work_root):
    project = Project(os.path.join(work_root, "canary-project"), faulty_plane, support.unique("canary"))
    path = os.path.join(project.root, "sortie.yml")
    with open(path) as f:
        text = f.read()
    for old, new in CANARY.items():
        assert old in text
        text = text.replace(old, new)
    with open(path, "w") as f:
        f.write(text)
    return project


def test_deploy_through_injected_faults_fails_cleanly_then_converges(canary_project, faulty_plane):
    project = canary_project
    first = project.run("deploy")
    assert first.returncode == 1
    assert "error: register image failed" in first.stderr and "Injected fault" in first.stderr, first.stderr[-3000:]
    assert "hint: run the command again" in first.stderr
    second = project.ok("deploy", "--json")
    summary = json.loads(second.stdout)
    assert summary["outcome"] == "deployed"
    assert "reused" in next(s["outcome"] for s in summary["steps"] if s["step"] == "upload")
    assert [i["health"] for i in summary["instances"]] == ["HEALTHY", "HEALTHY"]
    assert fleet.served_version(project.address) == "1"
    assert len(project.releases()) == 1
    compute = faulty_plane.compute()
    templates = [t.name for t in compute.instance_templates.list(project=support.PROJECT) if t.name.startswith(project.app)]
    assert templates == [summary["template"]]
    assert [g.name for g in compute.groups.list(project=support.PROJECT, zone=support.ZONE)] == [project.app]
    scalers = list(compute.autoscalers.list(project=support.PROJECT, zone=support.ZONE))
    assert [(a.name, a.autoscaling_policy.min_num_replicas, a.autoscaling_policy.max_num_replicas) for a in scalers] == [
        (project.app + "-autoscaler", 2, 3)]


def test_canary_deploy_killed_mid_rollout_resumes_with_no_failed_request(canary_project):
    project = canary_project
    env = dict(os.environ, SORTIE_SERVE_DATA=project.plane.data_dir, HELLO_VERSION="2", HELLO_FLAGS="")
    with fleet.Load(project.address, workers=2) as load:
        proc = subprocess.Popen([support.sortie_bin(), "deploy"], cwd=project.root, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = ""
        for line in proc.stderr:
            seen += line
            if "[rollout] canary: 1 instance(s) on" in line:
                proc.kill()  # kill -9 in the middle of the canary
                break
        proc.wait(30)
        assert proc.returncode == -9, seen[-3000:]
        resumed = project.ok("deploy", version="2")
        time.sleep(2)
    assert "canary healthy; promoting" in resumed.stderr, resumed.stderr[-3000:]
    assert not load.failures, load.summary()
    assert set(load.last_versions) == {"2"}, load.summary()
    status = project.status()
    # 2, or 3 if the autoscaler read the load as more than 90% of a CPU.
    assert {i["row"]["health"] for i in status["instances"]} == {"HEALTHY"} and len(status["instances"]) in (2, 3)
    assert {i["row"]["release"] for i in status["instances"]} == {project.releases()[0]["id"]}
    assert len(project.releases()) == 2
