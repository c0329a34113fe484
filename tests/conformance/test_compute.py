"""Compute Engine v1 through google-cloud-compute (REST) and google-api-python-client.

google-cloud-compute gives typed objects (int64 become Python ints); where the
JSON itself matters (int64 as strings) the test reads it through
google-api-python-client, which returns the parsed JSON unchanged.
"""

from __future__ import annotations

import gzip
import io
import uuid
from types import SimpleNamespace

import pytest
from google.api_core import exceptions as gexc
from googleapiclient.errors import HttpError

from support import CHUNK, PROJECT, REGION, ZONE, unique, wait_for

pytestmark = pytest.mark.plane

KERNEL_LINE = "SORTIE-TEST-KERNEL cmdline=[/boot/kernel hang sortie-conformance]"


@pytest.fixture(scope="module")
def gapi(plane):
    return plane.discovery("compute")


def upload(plane, data: bytes, name: str) -> SimpleNamespace:
    """Upload bytes to a fresh bucket on the plane (resumable, 256 KiB chunks)."""
    client = plane.storage_client()
    bucket = client.create_bucket(unique("conf-images"))
    blob = bucket.blob(name)
    blob.chunk_size = CHUNK
    blob.upload_from_file(io.BytesIO(data), content_type="application/gzip")
    return SimpleNamespace(
        bucket=bucket.name, name=name, size=len(data),
        source=f"https://storage.googleapis.com/{bucket.name}/{name}",
    )


@pytest.fixture(scope="module")
def archive(plane, image_bytes):
    return upload(plane, image_bytes, "images/test-kernel.tar.gz")


def image_body(name, source, family=None):
    from google.cloud import compute_v1

    return compute_v1.Image(name=name, family=family, raw_disk=compute_v1.RawDisk(source=source))


def wait_image(compute, name, timeout=300):
    def settled():
        img = compute.images.get(project=PROJECT, image=name)
        return img if img.status != "PENDING" else None

    return wait_for(settled, timeout, 1, f"image {name} to leave PENDING")


def create_image(compute, name, source, family=None):
    op = compute.images.insert(project=PROJECT, image_resource=image_body(name, source, family))
    compute.wait_ok(op)
    img = wait_image(compute, name)
    assert img.status == "READY", f"image {name} is {img.status}"
    return img


def delete_image(compute, name):
    try:
        compute.wait_ok(compute.images.delete(project=PROJECT, image=name))
    except gexc.NotFound:
        pass


@pytest.fixture(scope="module")
def ready_image(compute, archive):
    name = unique("conf-img")
    create_image(compute, name, archive.source, family=unique("conf-fam"))
    yield name
    delete_image(compute, name)


# --- zones, regions, machine types, networks ------------------------------------------


def test_zones_regions_machine_types_networks(compute, gapi):
    zones = {z.name: z for z in compute.zones.list(project=PROJECT)}
    assert ZONE in zones, list(zones)
    assert zones[ZONE].status == "UP"
    assert zones[ZONE].region.endswith(f"/regions/{REGION}")
    assert compute.zones.get(project=PROJECT, zone=ZONE).name == ZONE

    regions = {r.name: r for r in compute.regions.list(project=PROJECT)}
    assert REGION in regions, list(regions)
    assert any(z.endswith(f"/zones/{ZONE}") for z in regions[REGION].zones)
    assert compute.regions.get(project=PROJECT, region=REGION).name == REGION

    mts = {m.name: m for m in compute.machine_types.list(project=PROJECT, zone=ZONE)}
    for name in ("e2-micro", "e2-small", "e2-medium", "n1-standard-1"):
        assert name in mts, f"machine type {name} missing: {sorted(mts)}"
    assert (mts["e2-medium"].guest_cpus, mts["e2-medium"].memory_mb) == (2, 4096)
    assert (mts["n1-standard-1"].guest_cpus, mts["n1-standard-1"].memory_mb) == (1, 3840)
    raw = gapi.machineTypes().get(project=PROJECT, zone=ZONE, machineType="e2-small").execute()
    assert raw["kind"] == "compute#machineType"
    assert raw["guestCpus"] == 2 and raw["memoryMb"] == 2048  # int32: JSON numbers
    assert raw["zone"] == ZONE  # MachineType.zone is the zone name, not a URL

    assert "default" in [n.name for n in compute.networks.list(project=PROJECT)]
    assert compute.networks.get(project=PROJECT, network="default").name == "default"

    with pytest.raises(gexc.NotFound):
        compute.zones.get(project=PROJECT, zone="nowhere1-z")
    with pytest.raises(gexc.NotFound):
        compute.machine_types.get(project=PROJECT, zone=ZONE, machine_type="e2-colossal")


# --- images ---------------------------------------------------------------------------


def test_image_insert_from_uploaded_archive(compute, gapi, archive):
    name, family = unique("conf-img"), unique("conf-fam")
    op = compute.images.insert(project=PROJECT, image_resource=image_body(name, archive.source, family))
    assert op.operation_type == "insert"
    assert op.target_link.endswith(f"/global/images/{name}")
    assert not op.zone and not op.region, "images.insert is a global operation"
    done = compute.wait_ok(op)
    assert done.name == op.name
    img = wait_image(compute, name)
    assert img.status == "READY"
    raw = gapi.images().get(project=PROJECT, image=name).execute()
    assert raw["kind"] == "compute#image"
    assert raw["name"] == name and raw["family"] == family
    assert raw["status"] == "READY"
    assert raw["diskSizeGb"] == "1", "diskSizeGb: int64 as a JSON string, the disk.raw size in GB"
    assert raw["archiveSizeBytes"] == str(archive.size)
    assert raw["rawDisk"]["source"] == archive.source
    assert raw["selfLink"].endswith(f"/projects/{PROJECT}/global/images/{name}")
    assert raw["id"].isdigit() and raw["creationTimestamp"]
    assert name in [i.name for i in compute.images.list(project=PROJECT)]
    compute.wait_ok(compute.images.delete(project=PROJECT, image=name))
    with pytest.raises(gexc.NotFound):
        compute.images.get(project=PROJECT, image=name)


def test_image_family_deprecate_filter_delete(compute, archive):
    from google.cloud import compute_v1

    family = unique("conf-fam")
    older, newer = unique("conf-old"), unique("conf-new")
    try:
        create_image(compute, older, archive.source, family)
        create_image(compute, newer, archive.source, family)
        assert compute.images.get_from_family(project=PROJECT, family=family).name == newer

        listed = compute.images.list(request=compute_v1.ListImagesRequest(project=PROJECT, filter=f"family = {family}"))
        assert sorted(i.name for i in listed) == sorted([older, newer])
        none = compute.images.list(request=compute_v1.ListImagesRequest(project=PROJECT, filter=f"family = {family}-none"))
        assert list(none) == []

        # deprecating the newest makes getFromFamily fall back to the older one
        op = compute.images.deprecate(project=PROJECT, image=newer,
                                      deprecation_status_resource=compute_v1.DeprecationStatus(state="DEPRECATED"))
        compute.wait_ok(op)
        assert compute.images.get(project=PROJECT, image=newer).deprecated.state == "DEPRECATED"
        assert compute.images.get_from_family(project=PROJECT, family=family).name == older

        # an empty DeprecationStatus clears it
        compute.wait_ok(compute.images.deprecate(project=PROJECT, image=newer,
                                                 deprecation_status_resource=compute_v1.DeprecationStatus()))
        assert not compute.images.get(project=PROJECT, image=newer).deprecated.state
        assert compute.images.get_from_family(project=PROJECT, family=family).name == newer
    finally:
        delete_image(compute, newer)
        delete_image(compute, older)
    with pytest.raises(gexc.NotFound):
        compute.images.get_from_family(project=PROJECT, family=family)


def test_invalid_archive_fails(plane, compute):
    bad = upload(plane, gzip.compress(b"this is not a disk image\n" * 100), "images/not-an-image.tar.gz")
    name = unique("conf-bad")
    try:
        try:
            op = compute.images.insert(project=PROJECT, image_resource=image_body(name, bad.source))
        except gexc.BadRequest:
            return  # refused at once: also what a user notices
        done = compute.wait(op)
        if done.error and done.error.errors:
            # ExtendedOperation.result() raises only when these are set, as GCE sets them
            assert done.http_error_status_code >= 400 and done.http_error_message, done
            with pytest.raises(gexc.GoogleAPICallError):
                op.result(timeout=30)
            return
        img = wait_image(compute, name)
        assert img.status == "FAILED", f"image from a gzipped text file is {img.status}"
    finally:
        delete_image(compute, name)


# --- instance templates -------------------------------------------------------------------


def template_body(name, image):
    from google.cloud import compute_v1

    return compute_v1.InstanceTemplate(
        name=name,
        description="conformance",
        properties=compute_v1.InstanceProperties(
            machine_type="e2-micro",
            disks=[compute_v1.AttachedDisk(
                boot=True, auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(
                    source_image=f"projects/{PROJECT}/global/images/{image}"),
            )],
            network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")],
            metadata=compute_v1.Metadata(items=[compute_v1.Items(key="app-config", value="hello")]),
            labels={"app": "conformance"},
        ),
    )


def test_instance_template_insert_get_list_delete(compute, ready_image):
    name = unique("conf-tmpl")
    op = compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_body(name, ready_image))
    op.result(timeout=120)  # ExtendedOperation polling through globalOperations.get
    t = compute.instance_templates.get(project=PROJECT, instance_template=name)
    assert t.name == name
    assert t.properties.machine_type == "e2-micro"
    assert t.properties.disks[0].initialize_params.source_image.endswith(f"/global/images/{ready_image}")
    assert t.properties.disks[0].boot
    assert [(i.key, i.value) for i in t.properties.metadata.items] == [("app-config", "hello")]
    assert dict(t.properties.labels) == {"app": "conformance"}
    assert t.self_link.endswith(f"/global/instanceTemplates/{name}")
    assert name in [x.name for x in compute.instance_templates.list(project=PROJECT)]
    compute.instance_templates.delete(project=PROJECT, instance_template=name).result(timeout=120)
    with pytest.raises(gexc.NotFound):
        compute.instance_templates.get(project=PROJECT, instance_template=name)


def template_json(name, image):
    return {
        "name": name,
        "properties": {
            "machineType": "e2-micro",
            "disks": [{"boot": True, "autoDelete": True,
                       "initializeParams": {"sourceImage": f"projects/{PROJECT}/global/images/{image}"}}],
            "networkInterfaces": [{"network": "global/networks/default"}],
        },
    }


def test_request_id_makes_insert_idempotent(gapi, ready_image):
    name = unique("conf-tmpl")
    body = template_json(name, ready_image)
    request_id = str(uuid.uuid4())
    first = gapi.instanceTemplates().insert(project=PROJECT, body=body, requestId=request_id).execute()
    assert first["clientOperationId"] == request_id
    again = gapi.instanceTemplates().insert(project=PROJECT, body=body, requestId=request_id).execute()
    assert again["name"] == first["name"], "a retried insert with the same requestId returns the same operation"
    gapi.globalOperations().wait(project=PROJECT, operation=first["name"]).execute()
    gapi.instanceTemplates().delete(project=PROJECT, instanceTemplate=name).execute()


# --- firewalls and health checks ---------------------------------------------------------------


def test_firewall_insert_get_list_delete(compute):
    from google.cloud import compute_v1

    name = unique("conf-fw")
    fw = compute_v1.Firewall(
        name=name, network="global/networks/default", direction="INGRESS", priority=1000,
        allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["8080"])],
        source_ranges=["130.211.0.0/22", "35.191.0.0/16"], target_tags=["app-http"],
    )
    compute.firewalls.insert(project=PROJECT, firewall_resource=fw).result(timeout=120)
    got = compute.firewalls.get(project=PROJECT, firewall=name)
    assert got.network.endswith(f"/projects/{PROJECT}/global/networks/default"), \
        f"GCE answers with the network's full URL, got {got.network!r}"
    assert [(a.I_p_protocol, list(a.ports)) for a in got.allowed] == [("tcp", ["8080"])]
    assert sorted(got.source_ranges) == ["130.211.0.0/22", "35.191.0.0/16"]
    assert list(got.target_tags) == ["app-http"]
    assert name in [f.name for f in compute.firewalls.list(project=PROJECT)]
    compute.firewalls.delete(project=PROJECT, firewall=name).result(timeout=120)
    with pytest.raises(gexc.NotFound):
        compute.firewalls.get(project=PROJECT, firewall=name)


def test_health_check_insert_get_delete(compute):
    from google.cloud import compute_v1

    name = unique("conf-hc")
    hc = compute_v1.HealthCheck(
        name=name, type_="HTTP", check_interval_sec=5, timeout_sec=5, healthy_threshold=2, unhealthy_threshold=3,
        http_health_check=compute_v1.HTTPHealthCheck(port=8080, request_path="/healthz"),
    )
    compute.health_checks.insert(project=PROJECT, health_check_resource=hc).result(timeout=120)
    got = compute.health_checks.get(project=PROJECT, health_check=name)
    assert got.type_ == "HTTP"
    assert (got.http_health_check.port, got.http_health_check.request_path) == (8080, "/healthz")
    assert (got.check_interval_sec, got.unhealthy_threshold) == (5, 3)
    assert name in [h.name for h in compute.health_checks.list(project=PROJECT)]
    compute.health_checks.delete(project=PROJECT, health_check=name).result(timeout=120)
    with pytest.raises(gexc.NotFound):
        compute.health_checks.get(project=PROJECT, health_check=name)


# --- instances (QEMU) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(compute, ready_image):
    name = unique("conf-tmpl")
    compute.wait_ok(compute.instance_templates.insert(project=PROJECT, instance_template_resource=template_body(name, ready_image)))
    yield name
    try:
        compute.wait_ok(compute.instance_templates.delete(project=PROJECT, instance_template=name))
    except gexc.NotFound:
        pass


def wait_status(compute, name, status, timeout=180):
    return wait_for(
        lambda: (i := compute.instances.get(project=PROJECT, zone=ZONE, instance=name)).status == status and i,
        timeout, 1, f"instance {name} to be {status}")


def serial(compute, name, start=None):
    from google.cloud import compute_v1

    req = compute_v1.GetSerialPortOutputInstanceRequest(project=PROJECT, zone=ZONE, instance=name, port=1)
    if start is not None:
        req.start = start
    return compute.instances.get_serial_port_output(request=req)


def wait_serial(compute, name, text, timeout=60):
    return wait_for(lambda: (o := serial(compute, name, 0)).contents.count(text) and o,
                    timeout, 1, f"{text!r} on the serial console of {name}")


def delete_instance(compute, name):
    try:
        compute.wait_ok(compute.instances.delete(project=PROJECT, zone=ZONE, instance=name))
    except gexc.NotFound:
        pass


@pytest.mark.vm
def test_instance_from_template_lifecycle(compute, gapi, template):
    from google.cloud import compute_v1

    name = unique("conf-vm")
    try:
        op = compute.instances.insert(request=compute_v1.InsertInstanceRequest(
            project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(name=name),
            source_instance_template=f"global/instanceTemplates/{template}"))
        assert op.zone.endswith(f"/zones/{ZONE}"), "instances.insert is a zonal operation"
        done = compute.wait_ok(op)
        assert done.target_link.endswith(f"/zones/{ZONE}/instances/{name}")
        inst = wait_status(compute, name, "RUNNING")
        assert inst.machine_type.endswith("/machineTypes/e2-micro")
        assert inst.zone.endswith(f"/zones/{ZONE}")
        assert name in [i.name for i in compute.instances.list(project=PROJECT, zone=ZONE)]

        # serial console: the kernel's line, then paging with start/next
        first = wait_serial(compute, name, KERNEL_LINE)
        assert int(first.start) == 0
        assert int(first.next_) == len(first.contents.encode()), "next = start + bytes returned"
        second = serial(compute, name, int(first.next_))
        assert int(second.start) == int(first.next_)
        assert KERNEL_LINE not in second.contents, "start=next returns only new output"
        assert int(second.next_) == int(second.start) + len(second.contents.encode())
        raw = gapi.instances().getSerialPortOutput(project=PROJECT, zone=ZONE, instance=name, start=first.next_).execute()
        assert raw["kind"] == "compute#serialPortOutput"
        assert isinstance(raw["start"], str) and isinstance(raw["next"], str), "int64 as JSON strings"
        tail = serial(compute, name, -10)  # a negative start: the last 10 bytes (reference §10)
        assert len(tail.contents.encode()) <= 10, f"start=-10 returned {tail.contents!r}"
        assert int(tail.next_) - int(tail.start) == len(tail.contents.encode())

        compute.wait_ok(compute.instances.stop(project=PROJECT, zone=ZONE, instance=name))
        wait_status(compute, name, "TERMINATED")
        compute.wait_ok(compute.instances.start(project=PROJECT, zone=ZONE, instance=name))
        wait_status(compute, name, "RUNNING")
        wait_serial(compute, name, KERNEL_LINE)

        compute.wait_ok(compute.instances.delete(project=PROJECT, zone=ZONE, instance=name))
        with pytest.raises(gexc.NotFound):
            compute.instances.get(project=PROJECT, zone=ZONE, instance=name)
    finally:
        delete_instance(compute, name)


@pytest.mark.vm
def test_instance_from_source_image(compute, ready_image):
    from google.cloud import compute_v1

    name = unique("conf-vm")
    instance = compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/e2-small",
        disks=[compute_v1.AttachedDisk(
            boot=True, auto_delete=True,
            initialize_params=compute_v1.AttachedDiskInitializeParams(
                source_image=f"projects/{PROJECT}/global/images/{ready_image}"))],
        network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")],
    )
    try:
        compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance).result(timeout=300)
        inst = wait_status(compute, name, "RUNNING")
        assert inst.machine_type.endswith("/machineTypes/e2-small")
        assert inst.disks[0].boot
        wait_serial(compute, name, KERNEL_LINE)
    finally:
        delete_instance(compute, name)


def test_serial_port_output_of_missing_instance_is_404(compute):
    with pytest.raises(gexc.NotFound):
        serial(compute, "no-such-instance-conformance")


def test_operation_wait_and_get_agree(compute, gapi):
    """globalOperations.get/wait on a finished operation; unknown operations are 404."""
    name = unique("conf-fw")
    from google.cloud import compute_v1

    op = compute.firewalls.insert(project=PROJECT, firewall_resource=compute_v1.Firewall(
        name=name, network="global/networks/default", allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["22"])]))
    try:
        done = compute.wait_ok(op)
        got = gapi.globalOperations().get(project=PROJECT, operation=done.name).execute()
        assert got["status"] == "DONE" and got["kind"] == "compute#operation"
        assert got["targetLink"].endswith(f"/global/firewalls/{name}")
        waited = gapi.globalOperations().wait(project=PROJECT, operation=done.name).execute()
        assert waited["status"] == "DONE" and waited["name"] == done.name
        with pytest.raises(HttpError) as e:
            gapi.globalOperations().get(project=PROJECT, operation="operation-does-not-exist").execute()
        assert e.value.resp.status == 404
    finally:
        try:
            compute.wait_ok(compute.firewalls.delete(project=PROJECT, firewall=name))
        except gexc.NotFound:
            pass
