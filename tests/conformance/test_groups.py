"""Managed instance groups through google-cloud-compute, with real guests (the Swift unikernel, TCG):
a group of 2 behind an HTTP autohealing health check, a health-gated surge rollout that never
drops below the target size, and a canary of a release that never becomes healthy, which takes no
capacity away and is rolled back by PATCHing versions.
"""

from __future__ import annotations

import time

import pytest

import fleet
from support import PROJECT, ZONE, unique

pytestmark = [pytest.mark.plane, pytest.mark.vm]

@pytest.fixture(scope="module")
def templates(plane, compute, work_root):
    """Instance templates for versions 1 and 2 and a broken version 3 (its /health fails)."""
    return fleet.make_templates(plane, compute, work_root, [("1", ""), ("2", ""), ("3", fleet.UNHEALTHY)])


def managed(compute, group):
    return fleet.managed(compute, group)


def healthy_on(instances, template):
    return [m for m in instances if fleet.on_template(m, template) and fleet.is_healthy(m)]


def test_group_rollout_canary_and_rollback(plane, compute, templates):
    from google.cloud import compute_v1

    check = unique("conf-hc")
    compute.wait_ok(compute.health_checks.insert(project=PROJECT, health_check_resource=compute_v1.HealthCheck(
        name=check, type_="HTTP", check_interval_sec=2, timeout_sec=2, healthy_threshold=1, unhealthy_threshold=2,
        http_health_check=compute_v1.HTTPHealthCheck(port=80, request_path="/health"))))
    group = unique("conf-mig")
    policy = compute_v1.InstanceGroupManagerUpdatePolicy(
        type_="PROACTIVE", minimal_action="REPLACE", replacement_method="SUBSTITUTE",
        max_surge=compute_v1.FixedOrPercent(fixed=1), max_unavailable=compute_v1.FixedOrPercent(fixed=0))
    compute.wait_ok(compute.groups.insert(project=PROJECT, zone=ZONE, instance_group_manager_resource=compute_v1.InstanceGroupManager(
        name=group, base_instance_name="web", target_size=2, instance_template=templates["1"],
        named_ports=[compute_v1.NamedPort(name="http", port=80)],
        auto_healing_policies=[compute_v1.InstanceGroupManagerAutoHealingPolicy(
            health_check=f"global/healthChecks/{check}", initial_delay_sec=120)],
        update_policy=policy)))

    def wait_stable(template, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
            members = managed(compute, group)
            if g.status.is_stable and g.status.version_target.is_reached and len(healthy_on(members, template)) == 2:
                return members
            time.sleep(2)
        pytest.fail(f"group not stable on {template} after {timeout} s: {managed(compute, group)}")

    first = wait_stable(templates["1"])
    assert {m.current_action for m in first} == {"NONE"}
    assert all(m.instance.split("/")[-1].startswith("web-") for m in first)

    # Surge rollout to version 2: never fewer than 2 healthy instances, never more than 3 in all.
    g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
    compute.wait_ok(compute.groups.patch(project=PROJECT, zone=ZONE, instance_group_manager=group,
                                         instance_group_manager_resource=compute_v1.InstanceGroupManager(
                                             fingerprint=g.fingerprint,
                                             versions=[compute_v1.InstanceGroupManagerVersion(name="v2", instance_template=templates["2"])])))
    deadline = time.monotonic() + 300
    while True:
        members = managed(compute, group)
        healthy = [m for m in members if m.instance_health and m.instance_health[0].detailed_health_state == "HEALTHY"
                   and m.instance_status == "RUNNING"]
        assert len(healthy) >= 2, f"capacity dropped during the rollout: {members}"
        # Instances that are leaving (draining, then deleted) do not count towards the surge.
        staying = [m for m in members if m.current_action not in ("DELETING", "ABANDONING")]
        assert len(staying) <= 3, f"more than targetSize + maxSurge instances: {members}"
        if len(healthy_on(members, templates["2"])) == 2 and len(members) == 2:
            break
        assert time.monotonic() < deadline, f"rollout to v2 did not finish: {members}"
        time.sleep(1)
    wait_stable(templates["2"])

    # A canary of version 3, whose health check never passes: the two v2 instances keep serving.
    g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
    compute.wait_ok(compute.groups.patch(project=PROJECT, zone=ZONE, instance_group_manager=group,
                                         instance_group_manager_resource=compute_v1.InstanceGroupManager(
                                             fingerprint=g.fingerprint, versions=[
                                                 compute_v1.InstanceGroupManagerVersion(name="stable", instance_template=templates["2"]),
                                                 compute_v1.InstanceGroupManagerVersion(name="canary", instance_template=templates["3"],
                                                                                        target_size=compute_v1.FixedOrPercent(fixed=1))])))
    seen_canary = False
    # Long enough for the canary to boot (half a second) and fail its check several times (2 s apart).
    end = time.monotonic() + 15
    while time.monotonic() < end:
        members = managed(compute, group)
        assert len(healthy_on(members, templates["2"])) >= 2, f"the canary took capacity away: {members}"
        canary = [m for m in members if m.version.instance_template.endswith(templates["3"].split("/")[-1])]
        seen_canary = seen_canary or bool(canary)
        time.sleep(2)
    assert seen_canary, "no canary instance was created"
    g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
    assert not g.status.version_target.is_reached, "a canary that never became healthy cannot have reached its target"
    unhealthy = [m for m in managed(compute, group) if m.version.instance_template.endswith(templates["3"].split("/")[-1])]
    assert unhealthy and all(m.current_action in ("VERIFYING", "CREATING", "RECREATING") for m in unhealthy), unhealthy

    # Roll back: versions = only v2 again; the canary goes away, the group is stable on v2.
    compute.wait_ok(compute.groups.patch(project=PROJECT, zone=ZONE, instance_group_manager=group,
                                         instance_group_manager_resource=compute_v1.InstanceGroupManager(
                                             fingerprint=g.fingerprint,
                                             versions=[compute_v1.InstanceGroupManagerVersion(name="v2", instance_template=templates["2"])])))
    final = wait_stable(templates["2"])
    assert len(final) == 2

    compute.wait_ok(compute.groups.delete(project=PROJECT, zone=ZONE, instance_group_manager=group))
