"""The CPU autoscaler end to end, through google-cloud-compute, with real guests (the Swift
unikernel, TCG).

A group of 1 (f1-micro: one vCPU) behind the load balancer, an autoscaler with min 1, max 2, a
CPU target of 0.3 and a 10 s cool-down (the unikernel is ready in well under a second): while idle
(its boot included) the group stays at 1. Two clients calling ``/burn?ms=300`` back to back
through the balancer keep its vCPU busy (short burns: the unikernel answers nothing else while it
spins, and its health check must still pass):
the autoscaler scales the group out (its recommendation is capped at max 2, even though the load
asks for more), and once the load stops it scales back in to 1 after the stabilisation window,
which this plane shortens to 20 s (GCE: 10 minutes). The group is never outside [1, 2].
"""

from __future__ import annotations

import os
import time

import pytest

import fleet
import support
from support import PROJECT, ZONE, unique

pytestmark = [pytest.mark.plane, pytest.mark.vm]

STABILIZATION = 20
# The initialization period (GCE's default: 60 s) must cover a boot, or the autoscaler reads a
# booting guest's CPU as load; the unikernel boots in about half a second under TCG.
COOLDOWN = 10


@pytest.fixture(scope="module")
def scaling_plane(work_root):
    plane = support.Plane(os.path.join(work_root, "autoscaling-plane"),
                          extra_args=["--autoscaler-stabilization", str(STABILIZATION)]).start()
    yield plane
    plane.stop()


def test_cpu_load_scales_out_then_in_within_min_and_max(scaling_plane, work_root):
    from google.cloud import compute_v1

    compute = scaling_plane.compute()
    templates = fleet.make_templates(scaling_plane, compute, work_root, [("1", "")], machine_type="f1-micro")
    # Lenient: a guest whose only vCPU burns answers /health late (after the burn in progress),
    # and must not be autohealed.
    check = fleet.http_health_check(compute, interval=3, healthy=1, unhealthy=5)
    created = time.monotonic()
    group = fleet.create_group(compute, templates["1"], 1, check)
    chain = fleet.create_chain(compute, group, check)
    autoscaler = unique("conf-as")
    compute.wait_ok(compute.autoscalers.insert(project=PROJECT, zone=ZONE, autoscaler_resource=compute_v1.Autoscaler(
        name=autoscaler, target=f"projects/{PROJECT}/zones/{ZONE}/instanceGroupManagers/{group}",
        autoscaling_policy=compute_v1.AutoscalingPolicy(
            min_num_replicas=1, max_num_replicas=2, cool_down_period_sec=COOLDOWN, mode="ON",
            cpu_utilization=compute_v1.AutoscalingPolicyCpuUtilization(utilization_target=0.3)))))
    fleet.wait_stable(compute, group, templates["1"], 1)
    support.wait_for(lambda: fleet.get(chain.address)[0] == 200, timeout=60, what="the load balancer to answer")

    sizes: list[int] = []

    def size() -> int:
        n = compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=group).target_size
        sizes.append(n)
        return n

    # Idle, the boot included: the autoscaler keeps the minimum.
    while time.monotonic() < created + COOLDOWN + 15:
        assert size() == 1, f"the group grew without load (a booting guest's CPU counted?): {sizes}"
        time.sleep(1)

    # Two clients keep a vCPU busy through the balancer.
    with fleet.Load(chain.address, workers=2, pause=0.0, path="/burn?ms=300", expect="burned ", timeout=60) as burn:
        support.wait_for(lambda: size() == 2, timeout=COOLDOWN + 90, interval=1, what="the autoscaler to scale out to 2")
        recommended = compute.autoscalers.get(project=PROJECT, zone=ZONE, autoscaler=autoscaler).recommended_size
        assert recommended == 2, f"the recommendation is capped at maxNumReplicas: {recommended}"
        # The load stays: the group stays at its maximum.
        end = time.monotonic() + 15
        while time.monotonic() < end:
            assert size() == 2
            time.sleep(1)
        fleet.wait_stable(compute, group, templates["1"], 2)
    assert not burn.failures, burn.failures[:5]

    # No load: back to 1 once the stabilisation window has passed, and not below the minimum;
    # and it stays there (the instance leaving the group must not make it grow back).
    support.wait_for(lambda: size() == 1, timeout=STABILIZATION + 90, interval=1, what="the autoscaler to scale in to 1")
    end = time.monotonic() + STABILIZATION
    while time.monotonic() < end:
        assert size() == 1, f"the group grew back without load: {sizes}"
        time.sleep(1)
    fleet.wait_stable(compute, group, templates["1"], 1)
    assert set(sizes) <= {1, 2}, sizes

    compute.wait_ok(compute.autoscalers.delete(project=PROJECT, zone=ZONE, autoscaler=autoscaler))
    fleet.delete_chain(compute, chain)
    fleet.delete_group(compute, group)
