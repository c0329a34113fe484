"""Resource limits: a plane started with --max-instances 1 refuses a second instance with GCE's
quota error in the operation, and never starts its VM."""

from __future__ import annotations

import os

import pytest

import support
from support import PROJECT, ZONE, unique

pytestmark = [pytest.mark.plane, pytest.mark.vm]


@pytest.fixture(scope="module")
def small_plane(work_root, image_archive):
    plane = support.Plane(os.path.join(work_root, "small-plane"), extra_args=["--max-instances", "1"]).start()
    yield plane
    plane.stop()


def test_instance_quota(small_plane, image_archive):
    from google.cloud import compute_v1

    compute = small_plane.compute()
    bucket = small_plane.storage_client().create_bucket(unique("conf-quota"))
    blob = bucket.blob("kernel.tar.gz")
    blob.upload_from_filename(image_archive, content_type="application/gzip")
    image = unique("quota-img")
    compute.wait_ok(compute.images.insert(project=PROJECT, image_resource=compute_v1.Image(
        name=image, raw_disk=compute_v1.RawDisk(source=f"https://storage.googleapis.com/{bucket.name}/{blob.name}"))))

    def instance(name):
        return compute_v1.Instance(name=name, machine_type=f"zones/{ZONE}/machineTypes/e2-micro", disks=[compute_v1.AttachedDisk(
            boot=True, initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=f"global/images/{image}"))])

    first, second = unique("quota-a"), unique("quota-b")
    compute.wait_ok(compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance(first)))
    done = compute.wait(compute.instances.insert(project=PROJECT, zone=ZONE, instance_resource=instance(second)))
    errors = list(done.error.errors)
    assert errors and errors[0].code == "QUOTA_EXCEEDED", done
    assert "INSTANCES" in errors[0].message and "--max-instances" in errors[0].message
    assert done.http_error_status_code == 403
    names = [i.name for i in compute.instances.list(project=PROJECT, zone=ZONE)]
    assert first in names and second not in names, names
    compute.wait_ok(compute.instances.delete(project=PROJECT, zone=ZONE, instance=first))
