"""GCE's rules that the plane enforces (docs/serve.md, "GCE rules the plane enforces"), through
google-cloud-compute: what a user of the real API sees for each request GCE refuses or rewrites.
No test here boots a VM: refused requests fail before any instance is created, and groups have
targetSize 0.

Most tests use the session's plane (one zone, local1-a); the regional and cross-region rules use
a plane serving three zones of region local1 and one of local2.
"""

from __future__ import annotations

import os

import pytest
import requests
from google.api_core import exceptions as gexc

import support
from support import PROJECT, REGION, ZONE, free_port, unique

pytestmark = pytest.mark.plane

C = f"/compute/v1/projects/{PROJECT}"


def refused(call, status=400, reason="invalid"):
    """Runs ``call``, which must fail with ``status`` and ``reason``; returns the error message."""
    with pytest.raises(gexc.GoogleAPICallError) as caught:
        call()
    error = caught.value
    assert (error.code, error.errors[0]["reason"] if error.errors else None) == (status, reason), error
    return error.message


def upload_image(plane, compute, image_archive) -> str:
    from google.cloud import compute_v1

    bucket = plane.storage_client().create_bucket(unique("conf-rules"))
    blob = bucket.blob("kernel.tar.gz")
    blob.upload_from_filename(image_archive, content_type="application/gzip")
    name = unique("rules-img")
    compute.wait_ok(compute.images.insert(project=PROJECT, image_resource=compute_v1.Image(
        name=name, raw_disk=compute_v1.RawDisk(source=f"https://storage.googleapis.com/{bucket.name}/{blob.name}"))))
    support.wait_for(lambda: compute.images.get(project=PROJECT, image=name).status == "READY", 120, 0.5, "image READY")
    return name


def template_resource(name, image, machine_type="e2-small", disk=None, nics=None):
    from google.cloud import compute_v1

    params = compute_v1.AttachedDiskInitializeParams(source_image=f"global/images/{image}", **(disk or {}))
    return compute_v1.InstanceTemplate(name=name, properties=compute_v1.InstanceProperties(
        machine_type=machine_type, disks=[compute_v1.AttachedDisk(boot=True, auto_delete=True, initialize_params=params)],
        network_interfaces=nics if nics is not None else [compute_v1.NetworkInterface(network="global/networks/default")]))


@pytest.fixture(scope="module")
def image(plane, compute, image_archive):
    return upload_image(plane, compute, image_archive)


@pytest.fixture(scope="module")
def template(compute, image):
    name = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(name, image)))
    return f"projects/{PROJECT}/global/instanceTemplates/{name}"


@pytest.fixture(scope="module")
def group(compute, template):
    """A zonal group of size 0 with named port http:80; the manager as GCE returns it."""
    from google.cloud import compute_v1

    name = unique("rules-mig")
    compute.wait_ok(compute.groups.insert(project=PROJECT, zone=ZONE, instance_group_manager_resource=compute_v1.InstanceGroupManager(
        name=name, base_instance_name="rules", target_size=0, instance_template=template,
        named_ports=[compute_v1.NamedPort(name="http", port=80)])))
    return compute.groups.get(project=PROJECT, zone=ZONE, instance_group_manager=name)


@pytest.fixture(scope="module")
def check(compute):
    from google.cloud import compute_v1

    name = unique("rules-hc")
    compute.wait_ok(compute.health_checks.insert(project=PROJECT, health_check_resource=compute_v1.HealthCheck(
        name=name, type_="HTTP", http_health_check=compute_v1.HTTPHealthCheck(port=80, request_path="/health"))))
    return f"global/healthChecks/{name}"


def backend_service(name, check, group_url):
    from google.cloud import compute_v1

    return compute_v1.BackendService(name=name, protocol="HTTP", port_name="http", health_checks=[check],
                                     load_balancing_scheme="EXTERNAL", backends=[compute_v1.Backend(group=group_url)])


@pytest.fixture(scope="module")
def service(compute, check, group):
    name = unique("rules-bs")
    compute.wait_ok(compute.backend_services.insert(project=PROJECT, backend_service_resource=backend_service(name, check, group.instance_group)))
    return name


@pytest.fixture(scope="module")
def proxy(compute, service):
    from google.cloud import compute_v1

    url_map = unique("rules-um")
    compute.wait_ok(compute.url_maps.insert(project=PROJECT, url_map_resource=compute_v1.UrlMap(
        name=url_map, default_service=f"global/backendServices/{service}")))
    name = unique("rules-px")
    compute.wait_ok(compute.http_proxies.insert(project=PROJECT, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        name=name, url_map=f"global/urlMaps/{url_map}")))
    return name


# --- forwarding rules --------------------------------------------------------------------


def forwarding_rule(name, proxy, port_range, address="127.0.0.1", scheme="EXTERNAL"):
    from google.cloud import compute_v1

    return compute_v1.ForwardingRule(name=name, target=f"global/targetHttpProxies/{proxy}", I_p_protocol="TCP",
                                     I_p_address=address, port_range=port_range, load_balancing_scheme=scheme)


def test_single_port_is_stored_as_a_range_and_served(compute, proxy):
    port = free_port()
    name = unique("rules-fr")
    compute.wait_ok(compute.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=forwarding_rule(name, proxy, str(port))))
    try:
        assert compute.forwarding_rules.get(project=PROJECT, forwarding_rule=name).port_range == f"{port}-{port}"
        # The balancer listens on that port (no instance serves yet: 503).
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 503
    finally:
        compute.wait_ok(compute.forwarding_rules.delete(project=PROJECT, forwarding_rule=name))


def test_classic_http_proxy_takes_only_ports_80_and_8080(compute, proxy):
    # Not loopback: the classic scheme refuses any port but 80 and 8080 (checked before any listener opens).
    message = refused(lambda: compute.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=forwarding_rule(
        unique("rules-fr"), proxy, "8081", address="192.0.2.10")))
    assert "'resource.portRange'" in message and "80 and 8080" in message
    # A target HTTP proxy listens on one port; malformed ranges are refused.
    for bad in ("8080-8081", "0", "70000", "90-80", "http"):
        refused(lambda: compute.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=forwarding_rule(
            unique("rules-fr"), proxy, bad)))
    # The loopback extension: the classic scheme on a loopback address takes any port.
    port, name = free_port(), unique("rules-fr")
    compute.wait_ok(compute.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=forwarding_rule(name, proxy, str(port))))
    compute.wait_ok(compute.forwarding_rules.delete(project=PROJECT, forwarding_rule=name))


# --- backend services ----------------------------------------------------------------------


def test_backend_group_must_be_a_fully_qualified_url(compute, check, group):
    from google.cloud import compute_v1

    zone_path = f"zones/{ZONE}/instanceGroups/{group.name}"
    for partial in (f"projects/{PROJECT}/{zone_path}", zone_path, group.name):
        message = refused(lambda: compute.backend_services.insert(project=PROJECT, backend_service_resource=backend_service(
            unique("rules-bs"), check, partial)))
        assert f"'resource.backends[0].group': '{partial}'" in message and "Partial URLs are not supported" in message

    # GCE's own URL forms are accepted, and the one the group manager returns.
    name = unique("rules-bs")
    google_url = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/{zone_path}"
    compute.wait_ok(compute.backend_services.insert(project=PROJECT, backend_service_resource=backend_service(name, check, google_url)))
    current = compute.backend_services.get(project=PROJECT, backend_service=name)
    assert current.backends[0].group == group.instance_group

    # Patch and update are checked too.
    patch = compute_v1.BackendService(fingerprint=current.fingerprint, backends=[compute_v1.Backend(group=zone_path)])
    refused(lambda: compute.backend_services.patch(project=PROJECT, backend_service=name, backend_service_resource=patch))
    update = backend_service(name, check, zone_path)
    update.fingerprint = current.fingerprint
    refused(lambda: compute.backend_services.update(project=PROJECT, backend_service=name, backend_service_resource=update))
    compute.wait_ok(compute.backend_services.delete(project=PROJECT, backend_service=name))


# --- fingerprints ----------------------------------------------------------------------------


def test_backend_service_updates_need_the_current_fingerprint(compute, check, group):
    from google.cloud import compute_v1

    name = unique("rules-bs")
    compute.wait_ok(compute.backend_services.insert(project=PROJECT, backend_service_resource=backend_service(name, check, group.instance_group)))
    first = compute.backend_services.get(project=PROJECT, backend_service=name)
    change = compute_v1.BackendService(timeout_sec=45)
    refused(lambda: compute.backend_services.patch(project=PROJECT, backend_service=name, backend_service_resource=change),
            412, "conditionNotMet")
    stale = compute_v1.BackendService(timeout_sec=45, fingerprint="c3RhbGU=")
    refused(lambda: compute.backend_services.patch(project=PROJECT, backend_service=name, backend_service_resource=stale),
            412, "conditionNotMet")
    refused(lambda: compute.backend_services.update(project=PROJECT, backend_service=name,
                                                    backend_service_resource=backend_service(name, check, group.instance_group)),
            412, "conditionNotMet")
    compute.wait_ok(compute.backend_services.patch(project=PROJECT, backend_service=name, backend_service_resource=compute_v1.BackendService(
        timeout_sec=45, fingerprint=first.fingerprint)))
    second = compute.backend_services.get(project=PROJECT, backend_service=name)
    assert second.timeout_sec == 45 and second.fingerprint != first.fingerprint
    # The fingerprint the first patch used is stale now.
    refused(lambda: compute.backend_services.patch(project=PROJECT, backend_service=name, backend_service_resource=compute_v1.BackendService(
        timeout_sec=50, fingerprint=first.fingerprint)), 412, "conditionNotMet")
    update = backend_service(name, check, group.instance_group)
    update.fingerprint = second.fingerprint
    compute.wait_ok(compute.backend_services.update(project=PROJECT, backend_service=name, backend_service_resource=update))
    assert compute.backend_services.get(project=PROJECT, backend_service=name).fingerprint != second.fingerprint
    compute.wait_ok(compute.backend_services.delete(project=PROJECT, backend_service=name))


def test_url_map_and_proxy_updates_need_the_current_fingerprint(compute, service):
    from google.cloud import compute_v1

    name = unique("rules-um")
    compute.wait_ok(compute.url_maps.insert(project=PROJECT, url_map_resource=compute_v1.UrlMap(
        name=name, default_service=f"global/backendServices/{service}")))
    first = compute.url_maps.get(project=PROJECT, url_map=name)
    refused(lambda: compute.url_maps.patch(project=PROJECT, url_map=name, url_map_resource=compute_v1.UrlMap(
        description="no fingerprint")), 412, "conditionNotMet")
    refused(lambda: compute.url_maps.update(project=PROJECT, url_map=name, url_map_resource=compute_v1.UrlMap(
        name=name, default_service=f"global/backendServices/{service}")), 412, "conditionNotMet")
    compute.wait_ok(compute.url_maps.patch(project=PROJECT, url_map=name, url_map_resource=compute_v1.UrlMap(
        description="with fingerprint", fingerprint=first.fingerprint)))
    assert compute.url_maps.get(project=PROJECT, url_map=name).fingerprint != first.fingerprint

    proxy = unique("rules-px")
    compute.wait_ok(compute.http_proxies.insert(project=PROJECT, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        name=proxy, url_map=f"global/urlMaps/{name}")))
    refused(lambda: compute.http_proxies.patch(project=PROJECT, target_http_proxy=proxy, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        description="no fingerprint")), 412, "conditionNotMet")
    current = compute.http_proxies.get(project=PROJECT, target_http_proxy=proxy)
    compute.wait_ok(compute.http_proxies.patch(project=PROJECT, target_http_proxy=proxy, target_http_proxy_resource=compute_v1.TargetHttpProxy(
        description="with fingerprint", fingerprint=current.fingerprint)))
    compute.wait_ok(compute.http_proxies.delete(project=PROJECT, target_http_proxy=proxy))
    compute.wait_ok(compute.url_maps.delete(project=PROJECT, url_map=name))


# --- networks ------------------------------------------------------------------------------


def test_default_network_is_auto_mode_with_a_subnetwork_per_region(compute):
    from google.cloud import compute_v1

    default = compute.networks.get(project=PROJECT, network="default")
    assert default.auto_create_subnetworks is True
    subnets = compute.client(compute_v1.SubnetworksClient)
    default_subnet = subnets.get(project=PROJECT, region=REGION, subnetwork="default")
    assert default_subnet.network == default.self_link and default_subnet.ip_cidr_range == "10.128.0.0/20"
    assert default_subnet.self_link in list(default.subnetworks)


def test_custom_mode_network_needs_a_subnetwork_of_its_own(compute, image):
    from google.cloud import compute_v1

    subnets = compute.client(compute_v1.SubnetworksClient)
    custom = unique("rules-net")
    compute.wait_ok(compute.networks.insert(project=PROJECT, network_resource=compute_v1.Network(name=custom, auto_create_subnetworks=False)))
    assert compute.networks.get(project=PROJECT, network=custom).auto_create_subnetworks is False

    # No subnetwork on a custom-mode network: GCE's 400.
    message = refused(lambda: compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        unique("rules-t"), image, nics=[compute_v1.NetworkInterface(network=f"global/networks/{custom}")])))
    assert "'resource.properties.networkInterfaces[0]'" in message
    assert "Subnetwork should be specified for custom subnetmode network" in message
    # Same for an instance (refused before any VM is created).
    message = refused(lambda: compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(
        name=unique("rules-vm"), machine_type=f"zones/{ZONE}/machineTypes/e2-small",
        disks=[compute_v1.AttachedDisk(boot=True, initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=f"global/images/{image}"))],
        network_interfaces=[compute_v1.NetworkInterface(network=f"projects/{PROJECT}/global/networks/{custom}")])))
    assert "Subnetwork should be specified for custom subnetmode network" in message

    subnet = unique("rules-sub")
    compute.wait_ok(subnets.insert(project=PROJECT, region=REGION, subnetwork_resource=compute_v1.Subnetwork(
        name=subnet, network=f"global/networks/{custom}", ip_cidr_range="10.20.0.0/24")))
    got = subnets.get(project=PROJECT, region=REGION, subnetwork=subnet)
    assert got.network == compute.networks.get(project=PROJECT, network=custom).self_link
    assert got.gateway_address == "10.20.0.1" and got.region.endswith(f"/regions/{REGION}")
    # Ranges must not overlap within a network.
    refused(lambda: subnets.insert(project=PROJECT, region=REGION, subnetwork_resource=compute_v1.Subnetwork(
        name=unique("rules-sub"), network=f"global/networks/{custom}", ip_cidr_range="10.20.0.128/25")))

    # With its subnetwork the template is accepted; both references come back as full URLs.
    name = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        name, image, nics=[compute_v1.NetworkInterface(network=f"global/networks/{custom}", subnetwork=f"regions/{REGION}/subnetworks/{subnet}")])))
    nic = compute.instance_templates.get(project=PROJECT, instance_template=name).properties.network_interfaces[0]
    assert nic.network == got.network and nic.subnetwork == got.self_link

    # A subnetwork of another network is refused; so is a network still in use.
    message = refused(lambda: compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        unique("rules-t"), image, nics=[compute_v1.NetworkInterface(network="global/networks/default",
                                                                     subnetwork=f"regions/{REGION}/subnetworks/{subnet}")])))
    assert "subnetwork" in message
    refused(lambda: compute.networks.delete(project=PROJECT, network=custom), 400, "resourceInUseByAnotherResource")
    refused(lambda: subnets.delete(project=PROJECT, region=REGION, subnetwork=subnet), 400, "resourceInUseByAnotherResource")
    compute.wait_ok(compute.instance_templates.delete(project=PROJECT, instance_template=name))
    compute.wait_ok(subnets.delete(project=PROJECT, region=REGION, subnetwork=subnet))
    compute.wait_ok(compute.networks.delete(project=PROJECT, network=custom))


def test_auto_mode_network_works_without_a_subnetwork(compute, image):
    from google.cloud import compute_v1

    auto = unique("rules-auto")
    compute.wait_ok(compute.networks.insert(project=PROJECT, network_resource=compute_v1.Network(name=auto, auto_create_subnetworks=True)))
    network = compute.networks.get(project=PROJECT, network=auto)
    assert [s.rsplit("/", 1)[-1] for s in network.subnetworks] == [auto]
    name = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        name, image, nics=[compute_v1.NetworkInterface(network=f"global/networks/{auto}")])))
    assert compute.instance_templates.get(project=PROJECT, instance_template=name).properties.network_interfaces[0].network == network.self_link
    refused(lambda: compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        unique("rules-t"), image, nics=[compute_v1.NetworkInterface(network="global/networks/missing")])), 404, "notFound")
    compute.wait_ok(compute.instance_templates.delete(project=PROJECT, instance_template=name))
    compute.wait_ok(compute.networks.delete(project=PROJECT, network=auto))
    refused(lambda: compute.networks.get(project=PROJECT, network=auto), 404, "notFound")


# --- boot disks -----------------------------------------------------------------------------


@pytest.mark.parametrize("machine_type, disk, words", [
    ("e2-small", {"disk_type": "pd-balanced", "disk_size_gb": 5}, ["'5'", "10 GB"]),
    ("e2-small", {"disk_type": "hyperdisk-balanced", "disk_size_gb": 10}, ["E2", "hyperdisk-balanced"]),
    ("c3-standard-4", {"disk_type": "pd-standard", "disk_size_gb": 10}, ["C3", "pd-standard"]),
    ("c3d-standard-4", {"disk_type": "pd-standard", "disk_size_gb": 10}, ["C3D", "pd-standard"]),
    ("n4-standard-2", {"disk_type": "pd-balanced", "disk_size_gb": 10}, ["N4", "pd-balanced"]),
    ("c4-standard-2", {"disk_type": "pd-ssd", "disk_size_gb": 10}, ["C4", "pd-ssd"]),
    ("c4a-standard-1", {"disk_type": "pd-balanced", "disk_size_gb": 10}, ["C4A"]),
    ("c4d-standard-2", {"disk_type": "pd-balanced", "disk_size_gb": 10}, ["C4D"]),
    ("n4-standard-2", {"disk_type": "hyperdisk-balanced", "disk_size_gb": 3}, ["'3'", "4 GB"]),
    ("c3-standard-4", {"disk_type": "hyperdisk-extreme", "disk_size_gb": 100}, ["boot disk"]),
    ("e2-small", {"disk_type": "pd-fast", "disk_size_gb": 10}, ["does not exist"]),
    ("e2-small", {"disk_type": f"zones/{ZONE}/diskTypes/pd-balanced", "disk_size_gb": 10}, ["without a URL"]),
])
def test_template_boot_disk_type_and_size(compute, image, machine_type, disk, words):
    message = refused(lambda: compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        unique("rules-t"), image, machine_type=machine_type, disk=disk)))
    assert "'resource.properties.disks[0].initializeParams." in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("machine_type, disk", [
    ("e2-small", {"disk_type": "pd-balanced", "disk_size_gb": 10}),
    ("e2-small", {"disk_type": "pd-standard", "disk_size_gb": 20}),
    ("c3-standard-4", {"disk_type": "pd-balanced", "disk_size_gb": 10}),
    ("n4-standard-2", {"disk_type": "hyperdisk-balanced", "disk_size_gb": 4}),
    ("c4-standard-2", {"disk_type": "hyperdisk-balanced", "disk_size_gb": 10}),
])
def test_template_boot_disk_accepted(compute, image, machine_type, disk):
    name = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(
        name, image, machine_type=machine_type, disk=disk)))
    params = compute.instance_templates.get(project=PROJECT, instance_template=name).properties.disks[0].initialize_params
    assert (params.disk_type, params.disk_size_gb) == (disk["disk_type"], disk["disk_size_gb"])
    compute.wait_ok(compute.instance_templates.delete(project=PROJECT, instance_template=name))


def test_instance_disk_type_is_a_url_in_its_zone(compute, image):
    from google.cloud import compute_v1

    def instance(disk_type):
        return compute_v1.Instance(name=unique("rules-vm"), machine_type=f"zones/{ZONE}/machineTypes/e2-small", disks=[
            compute_v1.AttachedDisk(boot=True, initialize_params=compute_v1.AttachedDiskInitializeParams(
                source_image=f"global/images/{image}", disk_type=disk_type, disk_size_gb=10))])

    assert "URL" in refused(lambda: compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance("pd-balanced")))
    refused(lambda: compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance("zones/other-a/diskTypes/pd-balanced")))
    refused(lambda: compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance(f"zones/{ZONE}/diskTypes/hyperdisk-balanced")))


# --- a plane with several zones and two regions ------------------------------------------------

ZONES = ["local1-a", "local1-b", "local1-c", "local2-a"]


@pytest.fixture(scope="module")
def wide(work_root, image_archive):
    """A plane serving three zones in local1 and one in local2, its compute clients and an image."""
    plane = support.Plane(os.path.join(work_root, "wide-plane"), extra_args=["--zones", ",".join(ZONES)]).start()
    compute = plane.compute()
    image = upload_image(plane, compute, image_archive)
    template = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(template, image)))
    yield plane, compute, image, f"global/instanceTemplates/{template}"
    plane.stop()


def regional_groups(compute):
    from google.cloud import compute_v1

    return compute.client(compute_v1.RegionInstanceGroupManagersClient)


def fixed(n):
    from google.cloud import compute_v1

    return compute_v1.FixedOrPercent(fixed=n)


def test_regional_group_defaults_to_all_zones_of_its_region(wide):
    from google.cloud import compute_v1

    _, compute, _, template = wide
    groups = regional_groups(compute)
    name = unique("rules-rmig")
    compute.wait_ok(groups.insert(project=PROJECT, region="local1", instance_group_manager_resource=compute_v1.InstanceGroupManager(
        name=name, base_instance_name="r", target_size=0, instance_template=template)))
    got = groups.get(project=PROJECT, region="local1", instance_group_manager=name)
    assert sorted(z.zone.rsplit("/", 1)[-1] for z in got.distribution_policy.zones) == ["local1-a", "local1-b", "local1-c"]
    assert (got.update_policy.max_surge.fixed, got.update_policy.max_unavailable.fixed) == (3, 3)
    compute.wait_ok(groups.delete(project=PROJECT, region="local1", instance_group_manager=name))


def test_regional_group_fixed_surge_is_zero_or_at_least_the_zone_count(wide):
    from google.cloud import compute_v1

    _, compute, _, template = wide
    groups = regional_groups(compute)

    def group(name, surge, unavailable, zones=None):
        policy = compute_v1.InstanceGroupManagerUpdatePolicy(type_="PROACTIVE", max_surge=surge, max_unavailable=unavailable)
        distribution = compute_v1.DistributionPolicy(zones=[compute_v1.DistributionPolicyZoneConfiguration(zone=f"zones/{z}") for z in zones]) if zones else None
        return compute_v1.InstanceGroupManager(name=name, base_instance_name="r", target_size=0, instance_template=template,
                                               update_policy=policy, distribution_policy=distribution)

    message = refused(lambda: groups.insert(project=PROJECT, region="local1", instance_group_manager_resource=group(unique("rules-rmig"), fixed(1), fixed(0))))
    assert "Invalid value for field 'resource.updatePolicy.maxSurge.fixed': '1'." in message
    assert "has to be either 0 or at least equal to the number of zones" in message
    refused(lambda: groups.insert(project=PROJECT, region="local1", instance_group_manager_resource=group(unique("rules-rmig"), fixed(3), fixed(2))))
    # Two zones in the distribution policy: 2 is enough.
    two = unique("rules-rmig")
    compute.wait_ok(groups.insert(project=PROJECT, region="local1", instance_group_manager_resource=group(two, fixed(2), fixed(0), ["local1-a", "local1-b"])))
    name = unique("rules-rmig")
    compute.wait_ok(groups.insert(project=PROJECT, region="local1", instance_group_manager_resource=group(name, fixed(3), fixed(0))))
    current = groups.get(project=PROJECT, region="local1", instance_group_manager=name)
    patch = compute_v1.InstanceGroupManager(fingerprint=current.fingerprint, update_policy=compute_v1.InstanceGroupManagerUpdatePolicy(max_surge=fixed(1)))
    assert "maxSurge" in refused(lambda: groups.patch(project=PROJECT, region="local1", instance_group_manager=name, instance_group_manager_resource=patch))
    # A zonal group of the same plane is not subject to the rule.
    zonal = unique("rules-mig")
    compute.wait_ok(compute.groups.insert(project=PROJECT, zone="local1-a", instance_group_manager_resource=group(zonal, fixed(1), fixed(0))))
    for region_group in (two, name):
        compute.wait_ok(groups.delete(project=PROJECT, region="local1", instance_group_manager=region_group))
    compute.wait_ok(compute.groups.delete(project=PROJECT, zone="local1-a", instance_group_manager=zonal))


def test_subnetwork_in_another_region_is_refused(wide):
    from google.cloud import compute_v1

    _, compute, image, _ = wide
    subnets = compute.client(compute_v1.SubnetworksClient)
    network = unique("rules-net")
    compute.wait_ok(compute.networks.insert(project=PROJECT, network_resource=compute_v1.Network(name=network, auto_create_subnetworks=False)))
    subnet = unique("rules-sub")
    compute.wait_ok(subnets.insert(project=PROJECT, region="local2", subnetwork_resource=compute_v1.Subnetwork(
        name=subnet, network=f"global/networks/{network}", ip_cidr_range="10.30.0.0/24")))
    nic = compute_v1.NetworkInterface(network=f"global/networks/{network}", subnetwork=f"regions/local2/subnetworks/{subnet}")
    # An instance in local1 on a local2 subnetwork (refused before any VM is created).
    message = refused(lambda: compute.instances.insert(project=PROJECT, zone="local1-a", instance_resource=compute_v1.Instance(
        name=unique("rules-vm"), machine_type="zones/local1-a/machineTypes/e2-small", network_interfaces=[nic],
        disks=[compute_v1.AttachedDisk(boot=True, initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=f"global/images/{image}"))])))
    assert "'resource.networkInterfaces[0].subnetwork'" in message and "region" in message
    # A template may name it, but a group in local1 may not use that template.
    template = unique("rules-t")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_resource(template, image, nics=[nic])))
    message = refused(lambda: compute.groups.insert(project=PROJECT, zone="local1-a", instance_group_manager_resource=compute_v1.InstanceGroupManager(
        name=unique("rules-mig"), base_instance_name="r", target_size=0, instance_template=f"global/instanceTemplates/{template}")))
    assert "local2" in message and "local1" in message
    compute.wait_ok(compute.instance_templates.delete(project=PROJECT, instance_template=template))
    compute.wait_ok(subnets.delete(project=PROJECT, region="local2", subnetwork=subnet))
    compute.wait_ok(compute.networks.delete(project=PROJECT, network=network))
