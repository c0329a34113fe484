"""Rollouts, canaries and crashes under a bounded load of requests through the load balancer,
all driven through google-cloud-compute, with real guests (the Swift unikernel, TCG):

* a surge rollout of a group of 3 completes with zero failed requests, every instance on v2;
* a canary of a version that never becomes healthy is rolled back with zero failed requests;
* ``kill -9`` of one guest's QEMU during load fails no request and the instance is recreated.

The load: 3 clients sending GET /version back to back (0.1 s apart) over keep-alive connections
to the forwarding rule's listener. A failed request is any error, timeout, or answer other than
200 with the version.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

import fleet
import support
from support import PROJECT, ZONE

pytestmark = [pytest.mark.plane, pytest.mark.vm]

SIZE = 3


@pytest.fixture(scope="module")
def templates(plane, compute, work_root):
    return fleet.make_templates(plane, compute, work_root, [("1", ""), ("2", ""), ("3", fleet.UNHEALTHY)])


@pytest.fixture(scope="module")
def web(plane, compute, templates):
    """A group of 3 on v1 behind the load balancer chain; yields (group, chain)."""
    check = fleet.http_health_check(compute)
    group = fleet.create_group(compute, templates["1"], SIZE, check, policy=fleet.surge_policy(max_surge=1, max_unavailable=0))
    # What keeps a rollout from outrunning the balancer's own probes (docs/deploy.md): interval 1 s
    # × (healthy threshold 1 + 1) + one pass of the balancer.
    fleet.set_min_ready(plane, group, 3)
    chain = fleet.create_chain(compute, group, check)
    fleet.wait_stable(compute, group, templates["1"], SIZE)
    # The balancer follows the group every half second: wait until it answers.
    support.wait_for(lambda: fleet.get(chain.address)[0] == 200, timeout=60, what="the load balancer to answer")
    yield group, chain
    fleet.delete_chain(compute, chain)
    fleet.delete_group(compute, group)


def test_surge_rollout_under_load_fails_no_request(compute, templates, web):
    group, chain = web
    with fleet.Load(chain.address) as load:
        time.sleep(2)
        fleet.patch_versions(compute, group, [("v2", templates["2"], None)])
        members = fleet.wait_stable(compute, group, templates["2"], SIZE)
        time.sleep(2)
    assert not load.failures, load.summary()
    assert load.versions.get("1") and load.versions.get("2"), f"both versions should have answered: {load.summary()}"
    assert set(load.last_versions) == {"2"}, f"after the rollout only v2 answers: {load.last_versions}"
    assert all(fleet.on_template(m, templates["2"]) for m in members)


def test_unhealthy_canary_is_rolled_back_under_load(compute, templates, web):
    group, chain = web
    stable = templates["2"] if fleet.on_template(fleet.managed(compute, group)[0], templates["2"]) else templates["1"]
    fleet.wait_stable(compute, group, stable, SIZE)
    with fleet.Load(chain.address) as load:
        fleet.patch_versions(compute, group, [("stable", stable, None), ("canary", templates["3"], 1)])
        # The canary boots and fails its health check; it never takes capacity nor traffic.
        support.wait_for(lambda: [m for m in fleet.managed(compute, group) if fleet.on_template(m, templates["3"])
                                  and m.instance_status == "RUNNING"], timeout=120, what="the canary to run")
        time.sleep(8)
        healthy_stable = [m for m in fleet.managed(compute, group) if fleet.on_template(m, stable) and fleet.is_healthy(m)]
        assert len(healthy_stable) == SIZE, "the canary took capacity away"
        g = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group)
        assert not g.status.version_target.is_reached
        fleet.patch_versions(compute, group, [("stable", stable, None)])
        fleet.wait_stable(compute, group, stable, SIZE)
    assert not load.failures, load.summary()
    served = {f"{v}" for v in load.versions}
    assert "3" not in served, f"the unhealthy canary answered: {load.summary()}"


def test_killed_guest_fails_no_request_and_is_recreated(compute, templates, web):
    group, chain = web
    members = fleet.managed(compute, group)
    template = members[0].version.instance_template
    fleet.wait_stable(compute, group, template, SIZE)
    victim = members[0]
    instance = compute.instances.get(project=PROJECT, zone=ZONE, instance=victim.instance.split("/")[-1])
    pids = support._pids_referencing(f"-name sortie-{instance.id} ")
    assert len(pids) == 1, f"expected one QEMU for instance {instance.name} ({instance.id}): {pids}"
    with fleet.Load(chain.address) as load:
        time.sleep(2)
        os.kill(pids[0], signal.SIGKILL)
        # Autohealing recreates it (same name, new VM) and the group is whole again.
        support.wait_for(lambda: not support._pids_referencing(f"-name sortie-{instance.id} "), timeout=30,
                         what="the killed QEMU to be gone")
        fleet.wait_stable(compute, group, template, SIZE)
        time.sleep(2)
    assert not load.failures, load.summary()
    after = compute.instances.get(project=PROJECT, zone=ZONE, instance=instance.name)
    assert after.status == "RUNNING"
    assert support._pids_referencing(f"-name sortie-{after.id} "), "the recreated instance has no QEMU"
