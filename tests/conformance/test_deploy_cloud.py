"""`sortie deploy` to *cloud* targets (a project, a zone or a region, a bucket, and `endpoint:`
pointing at `sortie serve`), the way it would talk to Google Cloud: credentials from gcloud (a
stand-in `gcloud` on PATH prints the plane's token), no address for the forwarding rule (GCE
assigns it; the plane takes loopback), a regional group over three zones.

What it proves (issue "What real GCE would reject"): a second deploy of the same release changes
nothing (the forwarding rule that GCE returns as "80-80" is not a change); a regional target
surges by its zone count; changing only `service.metadata` is a new template that rolls out; gc
keeps a release that another target's group still runs.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

import fleet
import support

pytestmark = [pytest.mark.plane, pytest.mark.vm]

PROJECT = "sortie-cloud-e2e"

CONFIG = """\
app: {app}
build:
  kernel: {kernel}
  cmdline: "version=${{HELLO_VERSION:-1}}"
service:
  port: 80
  health: {{ path: /health, interval: 1s, timeout: 1s, healthy: 1, unhealthy: 2, initial-delay: 30s }}
  instances: {{ min: 1 }}
  rollout: {{ max-unavailable: 0, timeout: 300s, drain: 2s }}
  metadata: {{ mode: "${{MODE:-a}}" }}
targets:
  zonal:
    project: {project}
    zone: local1-a
    bucket: {app}-releases
    endpoint: {endpoint}
    http-port: {port}
  regional:
    project: {project}
    region: local1
    bucket: {app}-releases
    endpoint: {endpoint}
    http-port: {port}
"""


@pytest.fixture(scope="module")
def cloud(work_root):
    """A plane with three zones in region local1, and a project directory whose targets are cloud targets."""
    plane = support.Plane(os.path.join(work_root, "cloud-plane"), extra_args=["--zones", "local1-a,local1-b,local1-c"])
    plane.start()
    root = os.path.join(work_root, "cloud-project")
    os.makedirs(root)
    app = support.unique("cloud")
    # One port for both targets: they share the app's global load balancer chain.
    port = support.free_port()
    with open(os.path.join(root, "sortie.yml"), "w") as f:
        f.write(CONFIG.format(app=app, kernel=fleet.UNIKERNEL, project=PROJECT, endpoint=plane.base, port=port))
    # gcloud as Sortie runs it (`gcloud auth print-access-token`), answering with the plane's token.
    bin_dir = os.path.join(work_root, "cloud-bin")
    os.makedirs(bin_dir)
    gcloud = os.path.join(bin_dir, "gcloud")
    with open(gcloud, "w") as f:
        f.write(f'#!/bin/sh\n[ "$1 $2" = "auth print-access-token" ] || exit 2\nexec cat {os.path.join(plane.data_dir, "token")}\n')
    os.chmod(gcloud, os.stat(gcloud).st_mode | stat.S_IXUSR)
    yield CloudProject(root, app, plane, bin_dir, port)
    plane.stop()


class CloudProject:
    def __init__(self, root: str, app: str, plane, bin_dir: str, port: int):
        self.root, self.app, self.plane, self.bin_dir, self.port = root, app, plane, bin_dir, port

    def run(self, *args: str, version: str = "1", mode: str = "a") -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST")}
        env.update(PATH=self.bin_dir + os.pathsep + env.get("PATH", ""), HELLO_VERSION=version, MODE=mode)
        return subprocess.run([support.sortie_bin(), *args, "--yes"] if args[0] == "deploy" else [support.sortie_bin(), *args],
                              cwd=self.root, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        r = self.run(*args, **kw)
        assert r.returncode == 0, f"sortie {' '.join(args)} failed:\n{r.stdout}\n{r.stderr[-4000:]}"
        return r

    def deploy(self, target: str, **kw) -> dict:
        return json.loads(self.ok("deploy", "--target", target, "--json", **kw).stdout)

    def group(self, scope: str):
        compute = self.plane.compute()
        if scope.startswith("zones/"):
            return compute.groups.get(project=PROJECT, zone=scope[6:], instance_group_manager=self.app)
        regional = compute.client(compute.v1.RegionInstanceGroupManagersClient)
        return regional.get(project=PROJECT, region=scope[8:], instance_group_manager=self.app)


def test_a_cloud_target_deploys_twice_in_a_row(cloud):
    first = cloud.deploy("zonal")
    assert first["outcome"] == "deployed", first
    assert first["address"] == f"127.0.0.1:{cloud.port}"
    assert fleet.served_version(first["address"]) == "1"
    # GCE answers portRange "80-80", the backend's group as a full URL, the firewall's ranges in its
    # own order: none of it is a change, and the second deploy touches nothing.
    again = cloud.deploy("zonal")
    assert again["outcome"] == "already deployed", again
    assert all(line.startswith("  keep") for line in again["plan"]), again["plan"]


def test_the_forwarding_rule_and_backend_are_stored_as_gce_stores_them(cloud):
    compute = cloud.plane.compute()
    rule = compute.forwarding_rules.get(project=PROJECT, forwarding_rule=cloud.app + "-http")
    assert rule.port_range == f"{cloud.port}-{cloud.port}"
    service = compute.backend_services.get(project=PROJECT, backend_service=cloud.app + "-backend")
    assert service.backends[0].group.startswith("http"), service.backends[0].group
    template = compute.instance_templates.get(project=PROJECT, instance_template=cloud.group("zones/local1-a").versions[0]
                                              .instance_template.split("/")[-1])
    disk = template.properties.disks[0].initialize_params
    assert (disk.disk_size_gb, disk.disk_type) == (10, "pd-balanced")


def test_a_regional_target_surges_by_its_zone_count(cloud):
    summary = cloud.deploy("regional")
    assert summary["outcome"] == "deployed", summary
    group = cloud.group("regions/local1")
    assert group.update_policy.max_surge.fixed == 3
    assert sorted(z.zone.split("/")[-1] for z in group.distribution_policy.zones) == ["local1-a", "local1-b", "local1-c"]
    assert cloud.deploy("regional")["outcome"] == "already deployed"


def test_changing_only_metadata_rolls_out_a_new_template(cloud):
    before = cloud.group("zones/local1-a").versions[0].instance_template.split("/")[-1]
    summary = cloud.deploy("zonal", mode="b")
    assert summary["outcome"] == "deployed", summary
    assert summary["template"] != before
    assert summary["release"] in summary["template"], "the same kernel: the same release, another template"
    group = cloud.group("zones/local1-a")
    assert [v.instance_template.split("/")[-1] for v in group.versions] == [summary["template"]]
    instances = cloud.plane.compute().groups.list_managed_instances(project=PROJECT, zone="local1-a", instance_group_manager=cloud.app)
    assert {i.version.instance_template.split("/")[-1] for i in instances} == {summary["template"]}


def test_gc_keeps_a_release_another_targets_group_runs(cloud):
    v1 = cloud.deploy("regional")["release"]
    v2 = cloud.deploy("zonal", version="2", mode="b")
    assert v2["outcome"] == "deployed" and v2["release"] != v1
    r = cloud.ok("gc", "--keep", "1", "--target", "zonal", "--json")
    removed = json.loads(r.stdout)
    assert v1 not in [x["release"] for x in removed.get("removed", [])], removed
    releases = json.loads(cloud.ok("releases", "--target", "zonal", "--json").stdout)
    assert {v1, v2["release"]} <= {x["id"] for x in releases}
    # The regional group's template is still there, and its instances still serve v1.
    template = cloud.group("regions/local1").versions[0].instance_template.split("/")[-1]
    cloud.plane.compute().instance_templates.get(project=PROJECT, instance_template=template)
