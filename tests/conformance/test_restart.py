"""kill -9 the plane and start it again: nothing is lost.

The plane keeps its state on disk, so after a crash (SIGKILL, no shutdown code
runs) a restart on the same data dir still has the buckets, objects, half-done
resumable upload sessions and resources, and adopts or restarts its VMs.
"""

from __future__ import annotations

import io
import os
import signal

import pytest
from google.api_core import exceptions as gexc
from google.resumable_media.requests import ResumableUpload

from support import CHUNK, PROJECT, ZONE, attach_resumable, crc32c_b64, md5_b64, resumable_upload_url, unique, wait_for

pytestmark = pytest.mark.plane

KERNEL_LINE = "SORTIE-TEST-KERNEL cmdline=[/boot/kernel hang sortie-conformance]"


def start_half_done_upload(plane, bucket_name, data, chunks_sent=2):
    session = plane.authorized_session()
    up = ResumableUpload(resumable_upload_url(plane.base, bucket_name), CHUNK)
    up.initiate(session, io.BytesIO(data), {"name": "half-done.bin", "contentType": "application/octet-stream"},
                "application/octet-stream", total_bytes=len(data))
    for _ in range(chunks_sent):
        assert up.transmit_next_chunk(session).status_code == 308
    return up.resumable_url


def finish_upload(plane, session_url, data, sent):
    """A fresh upload object adopts the session: status query (bytes */*), then the rest."""
    session = plane.authorized_session()
    r = session.put(session_url, data=b"", headers={"Content-Range": "bytes */*"})
    assert r.status_code == 308, f"status query after restart: {r.status_code} {r.text[:300]}"
    rng = r.headers.get("Range")
    assert rng and rng.startswith("bytes=0-"), f"Range after restart: {rng!r}"
    persisted = int(rng.split("-")[1]) + 1
    assert persisted == sent, (
        f"before the crash the server acknowledged {sent} bytes as persisted (308 Range); now it says {persisted}")
    stream = io.BytesIO(data)
    up = attach_resumable(session_url, stream, len(data), "application/octet-stream")
    up.recover(session)
    assert up.bytes_uploaded == persisted and stream.tell() == persisted
    while not up.finished:
        r = up.transmit_next_chunk(session)
    assert r.status_code in (200, 201)
    obj = r.json()
    assert obj["size"] == str(len(data))
    assert obj["md5Hash"] == md5_b64(data)
    assert obj["crc32c"] == crc32c_b64(data)
    return obj


def test_restart_keeps_storage_and_resumes_upload(plane, restart):
    client = plane.storage_client()
    bucket = client.create_bucket(unique("conf-restart"))
    kept = os.urandom(1000)
    bucket.blob("kept.bin").upload_from_string(kept)
    data = os.urandom(4 * CHUNK + 4321)
    session_url = start_half_done_upload(plane, bucket.name, data)
    token = plane.token

    restart()

    assert plane.token == token, "the token survives a restart"
    client = plane.storage_client()
    b = client.get_bucket(bucket.name)
    assert b.get_blob("kept.bin").download_as_bytes() == kept
    finish_upload(plane, session_url, data, 2 * CHUNK)
    assert b.blob("half-done.bin").download_as_bytes() == data


@pytest.mark.vm
def test_restart_keeps_instance_running_and_upload_resumable(plane, restart, request):
    from google.cloud import compute_v1

    compute = plane.compute()
    image_bytes = request.getfixturevalue("image_bytes")
    client = plane.storage_client()
    bucket = client.create_bucket(unique("conf-restart"))
    blob = bucket.blob("images/k.tar.gz")
    blob.upload_from_string(image_bytes, content_type="application/gzip")
    image = unique("conf-rimg")
    vm = unique("conf-rvm")
    try:
        compute.wait_ok(compute.images.insert(project=PROJECT, image_resource=compute_v1.Image(
            name=image, raw_disk=compute_v1.RawDisk(source=f"https://storage.googleapis.com/{bucket.name}/{blob.name}"))))
        wait_for(lambda: compute.images.get(project=PROJECT, image=image).status == "READY", 300, 1, "image READY")
        compute.wait_ok(compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(
            name=vm, machine_type=f"zones/{ZONE}/machineTypes/e2-micro",
            disks=[compute_v1.AttachedDisk(boot=True, auto_delete=True, initialize_params=compute_v1.AttachedDiskInitializeParams(
                source_image=f"projects/{PROJECT}/global/images/{image}"))],
            network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")])))
        wait_for(lambda: compute.instances.get(project=PROJECT, zone=ZONE, instance=vm).status == "RUNNING", 180, 1, "RUNNING")
        wait_for(lambda: KERNEL_LINE in compute.instances.get_serial_port_output(project=PROJECT, zone=ZONE, instance=vm).contents,
                 60, 1, "kernel line on the serial console")
        data = os.urandom(3 * CHUNK + 99)
        session_url = start_half_done_upload(plane, bucket.name, data)

        restart()

        compute = plane.compute()
        listed = {i.name: i.status for i in compute.instances.list(project=PROJECT, zone=ZONE)}
        assert vm in listed, f"instance lost in the restart: {listed}"
        # adopted (stays RUNNING) or restarted (back to RUNNING shortly)
        wait_for(lambda: compute.instances.get(project=PROJECT, zone=ZONE, instance=vm).status == "RUNNING", 120, 1,
                 "instance RUNNING after restart")
        out = wait_for(lambda: (o := compute.instances.get_serial_port_output(project=PROJECT, zone=ZONE, instance=vm))
                       and KERNEL_LINE in o.contents and o, 60, 1, "serial output after restart")
        assert int(out.next_) >= len(KERNEL_LINE)
        finish_upload(plane, session_url, data, 2 * CHUNK)
        assert client.bucket(bucket.name).blob("half-done.bin").download_as_bytes() == data
    finally:
        for delete in (
            lambda: compute.wait_ok(compute.instances.delete(project=PROJECT, zone=ZONE, instance=vm)),
            lambda: compute.wait_ok(compute.images.delete(project=PROJECT, image=image)),
        ):
            try:
                delete()
            except gexc.NotFound:
                pass


POWER_BUTTON_LINE = "KERNEL: ACPI power button pressed, powering off"
READY_LINE = "HELLO-UNIKERNEL READY"


def test_graceful_stop_presses_each_guests_power_button(work_root):
    """SIGTERM to `sortie serve` powers its guests off through ACPI (each kernel sees the button and
    shuts down cleanly, as on a host maintenance stop), not by killing QEMU after the grace period;
    the next start boots them again, since their instances are still RUNNING."""
    import fleet
    from google.cloud import compute_v1
    from support import Plane

    root = os.path.join(work_root, "plane-graceful-stop")
    # A grace longer than the harness waits for SIGTERM: a guest that missed the button would be
    # killed only after the test had failed.
    plane = Plane(root, extra_args=["--shutdown-grace", "120"]).start()
    try:
        compute = plane.compute()
        bucket = plane.storage_client().create_bucket(unique("conf-stop"))
        blob = bucket.blob("uk.tar.gz")
        blob.upload_from_filename(fleet.build_image(work_root, "1"), content_type="application/gzip")
        compute.wait_ok(compute.images.insert(project=PROJECT, image_resource=compute_v1.Image(
            name="stop-img", raw_disk=compute_v1.RawDisk(source=f"https://storage.googleapis.com/{bucket.name}/{blob.name}"))))
        names = ["stop-vm-a", "stop-vm-b", "stop-vm-c"]
        for name in names:
            compute.wait_ok(compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(
                name=name, machine_type=f"zones/{ZONE}/machineTypes/e2-micro",
                disks=[compute_v1.AttachedDisk(boot=True, auto_delete=True, initialize_params=compute_v1.AttachedDiskInitializeParams(
                    source_image=f"projects/{PROJECT}/global/images/stop-img"))],
                network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")])))

        def console(name):
            return compute.instances.get_serial_port_output(project=PROJECT, zone=ZONE, instance=name).contents

        for name in names:
            wait_for(lambda: READY_LINE in console(name), 60, 0.5, f"{name} ready")
        ids = {name: compute.instances.get(project=PROJECT, zone=ZONE, instance=name).id for name in names}

        plane.proc.send_signal(signal.SIGTERM)
        assert plane.proc.wait(timeout=60) == 0, "sortie serve did not exit 0 on SIGTERM"
        for name in names:
            with open(os.path.join(plane.data_dir, "instances", str(ids[name]), "serial.log"), errors="replace") as f:
                log = f.read()
            assert POWER_BUTTON_LINE in log, f"{name} was not powered off through ACPI; its console:\n{log[-600:]}"

        plane.start()
        compute = plane.compute()
        for name in names:
            wait_for(lambda: compute.instances.get(project=PROJECT, zone=ZONE, instance=name).status == "RUNNING",
                     60, 0.5, f"{name} RUNNING again")
            wait_for(lambda: console(name).count(READY_LINE) == 2, 60, 0.5, f"{name} booted again")

        # instances.reset is a hardware reset: the guest boots again from its disk.
        compute.wait_ok(compute.instances.reset(project=PROJECT, zone=ZONE, instance=names[1]))
        wait_for(lambda: console(names[1]).count(READY_LINE) == 3, 60, 0.5, f"{names[1]} booted after the reset")

        # A deletion is graceful too (GCE runs a deleted VM's shutdown scripts). The console file
        # goes with the instance, so it is held open to read what the guest printed last.
        with open(os.path.join(plane.data_dir, "instances", str(ids[names[0]]), "serial.log"), errors="replace") as f:
            compute.wait_ok(compute.instances.delete(project=PROJECT, zone=ZONE, instance=names[0]))
            log = f.read()
        assert log.count(POWER_BUTTON_LINE) == 2, f"the deleted guest was not powered off through ACPI:\n{log[-600:]}"
    finally:
        plane.stop()
