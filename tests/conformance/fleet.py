"""Shared pieces of the group and load-balancer tests: the guest images and templates,
the load balancer chain created through google-cloud-compute, a bounded request load that
records every failure, and waits on group state.

The guest is the Swift unikernel (examples/hello-unikernel, built by scripts/build-guests into
.build/guests/unikernel; ready in about half a second under TCG). It serves ``/version`` (and any
path ending in ``/version``) with ``V`` and a newline (``version=V`` on its command line),
``/health`` (503 with ``health=fail``, ``fleet.UNHEALTHY``, on its command line) and ``/burn?ms=N`` (spins N ms, at most
10 s, answering nothing else meanwhile). The Linux micro-VM (examples/hello-microvm,
.build/guests/linux) is still built by ``build_linux_image`` where Linux itself is the point.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest

import support
from support import PROJECT, ZONE, unique

UNIKERNEL = os.path.join(support.REPO, ".build", "guests", "unikernel", "hello-unikernel.elf")
LINUX = os.path.join(support.REPO, ".build", "guests", "linux")
#: The unikernel's command-line word for a guest whose /health fails.
UNHEALTHY = "health=fail"
#: Where the guest answers its version (strip the body: the unikernel ends it with a newline).
VERSION_PATH = "/version"


def served_version(address: str) -> str:
    """The version a GET of ``/version`` through ``address`` answers (or ``status N``)."""
    status, body = get(address, VERSION_PATH)
    return body.strip() if status == 200 else f"status {status}"


def _image_path(work_root: str, name: str, version: str, extra: str) -> str:
    suffix = "-" + extra.replace(".", "-").replace("=", "-").replace(" ", "-") if extra else ""
    return os.path.join(work_root, f"{name}-{version}{suffix}.tar.gz")


def _sortie_image_build(args: list[str], out: str) -> str:
    r = subprocess.run([support.sortie_bin(), "image", "build", *args, "-o", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def build_image(work_root: str, version: str, extra: str = "") -> str:
    """The unikernel's GCE archive for ``version`` (extra words go on its kernel command line)."""
    out = _image_path(work_root, "unikernel", version, extra)
    if os.path.exists(out):
        return out
    return _sortie_image_build([UNIKERNEL, "--cmdline", f"version={version} {extra}".strip()], out)


def build_linux_image(work_root: str, version: str, extra: str = "") -> str:
    """The Linux micro-VM's GCE archive for ``version`` (``sortie.unhealthy`` and the like in ``extra``)."""
    out = _image_path(work_root, "linux", version, extra)
    if os.path.exists(out):
        return out
    return _sortie_image_build([os.path.join(LINUX, "vmlinuz"), "--initrd", os.path.join(LINUX, "initrd.img"),
                                "--cmdline", f"sortie.version={version} {extra}".strip()], out)


def make_templates(plane, compute, work_root: str, versions, machine_type: str = "e2-micro") -> dict[str, str]:
    """Uploads, registers and templates each (version, extra) pair; returns version → template URL."""
    from google.cloud import compute_v1

    bucket = plane.storage_client().create_bucket(unique("conf-fleet"))
    names = {}
    for version, extra in versions:
        path = build_image(work_root, version, extra)
        blob = bucket.blob(os.path.basename(path))
        blob.upload_from_filename(path, content_type="application/gzip")
        image = unique(f"uk-v{version}")
        compute.wait_ok(compute.images.insert(project=PROJECT, image_resource=compute_v1.Image(
            name=image, family="hello-unikernel", raw_disk=compute_v1.RawDisk(source=f"https://storage.googleapis.com/{bucket.name}/{blob.name}"))))
        template = unique(f"uk-t{version}")
        compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=compute_v1.InstanceTemplate(
            name=template, properties=compute_v1.InstanceProperties(machine_type=machine_type, disks=[compute_v1.AttachedDisk(
                boot=True, auto_delete=True, initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=f"global/images/{image}"))]))))
        names[version] = f"projects/{PROJECT}/global/instanceTemplates/{template}"
    return names


def http_health_check(compute, interval: int = 1, healthy: int = 1, unhealthy: int = 2) -> str:
    """An HTTP health check on /health, port 80; returns its relative URL."""
    from google.cloud import compute_v1

    name = unique("conf-hc")
    compute.wait_ok(compute.health_checks.insert(project=PROJECT, health_check_resource=compute_v1.HealthCheck(
        name=name, type_="HTTP", check_interval_sec=interval, timeout_sec=interval, healthy_threshold=healthy,
        unhealthy_threshold=unhealthy, http_health_check=compute_v1.HTTPHealthCheck(port=80, request_path="/health"))))
    return f"global/healthChecks/{name}"


def surge_policy(max_surge: int = 1, max_unavailable: int = 0):
    from google.cloud import compute_v1

    return compute_v1.InstanceGroupManagerUpdatePolicy(
        type_="PROACTIVE", minimal_action="REPLACE", replacement_method="SUBSTITUTE",
        max_surge=compute_v1.FixedOrPercent(fixed=max_surge), max_unavailable=compute_v1.FixedOrPercent(fixed=max_unavailable))


def set_min_ready(plane, group: str, seconds: int):
    """updatePolicy.minReadySec through the beta API (google-api-python-client), as sortie deploy sets it."""
    beta = plane.discovery("compute", "beta")
    op = beta.instanceGroupManagers().patch(project=PROJECT, zone=ZONE, instanceGroupManager=group,
                                              body={"updatePolicy": {"minReadySec": seconds}}).execute()
    assert op["status"] == "DONE" and "error" not in op, op


def create_group(compute, template: str, size: int, health_check: str, initial_delay: int = 120, policy=None) -> str:
    """A zonal managed instance group with named port http:80 and autohealing; returns its name."""
    from google.cloud import compute_v1

    group = unique("conf-mig")
    compute.wait_ok(compute.groups.insert(project=PROJECT, zone=ZONE, instance_group_manager_resource=compute_v1.InstanceGroupManager(
        name=group, base_instance_name="web", target_size=size, instance_template=template,
        named_ports=[compute_v1.NamedPort(name="http", port=80)],
        auto_healing_policies=[compute_v1.InstanceGroupManagerAutoHealingPolicy(health_check=health_check, initial_delay_sec=initial_delay)],
        update_policy=policy or surge_policy())))
    return group


@dataclass
class Chain:
    """Backend service → URL map → target HTTP proxy → forwarding rule on a loopback port."""

    service: str
    url_map: str
    proxy: str
    rule: str
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def create_chain(compute, group: str, health_check: str, draining_sec: int = 2) -> Chain:
    from google.cloud import compute_v1

    services, url_maps, proxies, rules = compute.backend_services, compute.url_maps, compute.http_proxies, compute.forwarding_rules
    service, url_map, proxy, rule = unique("conf-bs"), unique("conf-um"), unique("conf-px"), unique("conf-fr")
    port = support.free_port()
    compute.wait_ok(services.insert(project=PROJECT, backend_service_resource=compute_v1.BackendService(
        name=service, protocol="HTTP", port_name="http", timeout_sec=30, health_checks=[health_check],
        load_balancing_scheme="EXTERNAL_MANAGED",
        connection_draining=compute_v1.ConnectionDraining(draining_timeout_sec=draining_sec),
        # GCE takes only the group's fully-qualified URL, as the manager returns it.
        backends=[compute_v1.Backend(group=compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group).instance_group)])))
    compute.wait_ok(url_maps.insert(project=PROJECT, url_map_resource=compute_v1.UrlMap(
        name=url_map, default_service=f"global/backendServices/{service}")))
    compute.wait_ok(proxies.insert(project=PROJECT, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        name=proxy, url_map=f"global/urlMaps/{url_map}")))
    compute.wait_ok(rules.insert(project=PROJECT, forwarding_rule_resource=compute_v1.ForwardingRule(
        name=rule, target=f"global/targetHttpProxies/{proxy}", I_p_address="127.0.0.1", port_range=str(port),
        I_p_protocol="TCP", load_balancing_scheme="EXTERNAL_MANAGED")))
    return Chain(service, url_map, proxy, rule, port)


def delete_chain(compute, chain: Chain):
    compute.wait_ok(compute.forwarding_rules.delete(project=PROJECT, forwarding_rule=chain.rule))
    compute.wait_ok(compute.http_proxies.delete(project=PROJECT, target_http_proxy=chain.proxy))
    compute.wait_ok(compute.url_maps.delete(project=PROJECT, url_map=chain.url_map))
    compute.wait_ok(compute.backend_services.delete(project=PROJECT, backend_service=chain.service))


def get(address: str, path: str = "/", timeout: float = 10.0) -> tuple[int, str]:
    """One GET on a new connection: (status, body)."""
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


@dataclass
class Load:
    """``workers`` clients, each sending GET ``path`` in a loop with ``pause`` seconds between
    requests, over keep-alive connections (reopened after an error). Every answer is recorded:
    a failure is anything but a 200 whose body starts with ``expect``; what follows it is
    counted in ``versions``."""

    address: str
    workers: int = 3
    pause: float = 0.1
    path: str = VERSION_PATH
    expect: str = ""
    timeout: float = 15.0
    ok: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    last_versions: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> "Load":
        self._started = time.monotonic()
        for i in range(self.workers):
            t = threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        self._threads.clear()

    @property
    def total(self) -> int:
        return self.ok + len(self.failures)

    def summary(self) -> str:
        return (f"{self.total} requests, {self.ok} ok, {len(self.failures)} failed, versions {self.versions}; "
                f"first failures: {self.failures[:5]}")

    def _record(self, failure: str | None, version: str | None = None):
        with self._lock:
            if failure is None:
                self.ok += 1
                self.versions[version] = self.versions.get(version, 0) + 1
                self.last_versions = (self.last_versions + [version])[-20:]
            else:
                self.failures.append(f"t+{time.monotonic() - self._started:.1f}s {failure}")

    def _run(self):
        host, port = self.address.rsplit(":", 1)
        conn = None
        while not self._stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
            started = time.monotonic()
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                if response.status == 200 and body.startswith(self.expect):
                    self._record(None, body.removeprefix(self.expect).strip())
                else:
                    self._record(f"status {response.status} after {time.monotonic() - started:.2f}s: {body[:120]!r}")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                self._record(f"{type(e).__name__} after {time.monotonic() - started:.2f}s: {e}")
                conn.close()
                conn = None
            self._stop.wait(self.pause)
        if conn is not None:
            conn.close()


def managed(compute, group: str):
    return list(compute.groups.list_managed_instances(project=PROJECT, zone=ZONE, instance_group_manager=group))


def on_template(instance, template: str) -> bool:
    return instance.version.instance_template.endswith("/" + template.split("/")[-1])


def is_healthy(instance) -> bool:
    return (instance.instance_status == "RUNNING" and bool(instance.instance_health)
            and instance.instance_health[0].detailed_health_state == "HEALTHY")


def wait_stable(compute, group: str, template: str, size: int, timeout: float = 300):
    """Waits until the group is stable, its version target reached and ``size`` instances of
    ``template`` are RUNNING and HEALTHY (and no others exist); returns the instances."""
    deadline = time.monotonic() + timeout
    members = []
    while time.monotonic() < deadline:
        g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
        members = managed(compute, group)
        healthy = [m for m in members if on_template(m, template) and is_healthy(m)]
        if g.status.is_stable and g.status.version_target.is_reached and len(healthy) == size == len(members):
            return members
        time.sleep(1)
    pytest.fail(f"group {group} not stable on {template} with {size} healthy after {timeout:.0f} s: {members}")


def patch_versions(compute, group: str, versions):
    """PATCHes the group's versions: a list of (name, template URL, fixed target size or None)."""
    from google.cloud import compute_v1

    g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
    compute.wait_ok(compute.groups.patch(project=PROJECT, zone=ZONE, instance_group_manager=group,
                                         instance_group_manager_resource=compute_v1.InstanceGroupManager(
                                             fingerprint=g.fingerprint, versions=[
                                                 compute_v1.InstanceGroupManagerVersion(
                                                     name=name, instance_template=template,
                                                     target_size=compute_v1.FixedOrPercent(fixed=size) if size is not None else None)
                                                 for name, template, size in versions])))


def delete_group(compute, group: str):
    compute.wait_ok(compute.groups.delete(project=PROJECT, zone=ZONE, instance_group_manager=group))
