"""Fixtures for the sortie serve conformance suite.

* ``plane``    (session): ``sortie serve`` on a free loopback port, fresh temp data
                dir, ``--record-exchanges``; an object with ``base``, ``token``,
                ``data_dir``, ``exchanges`` and client factories. SIGTERM at the end.
* ``compute``  (module): google-cloud-compute clients for it (support.Compute).
* ``restart``  a callable: kill -9 the plane and start it again (same port, data dir).
* ``emulator`` (session): gcp-storage-emulator, in memory, on a free loopback port.
* ``storage_backend``: parametrized over both (ids ``sortie`` and ``emulator``).
* ``image_archive`` (session): the test kernel's GCE archive (``hang`` on its cmdline).

Environment: ``SORTIE_BIN`` (default <repo>/.build/debug/sortie), ``SORTIE_CONFORMANCE_KEEP=1``
keeps the temp dir (logs, exchanges, data) for inspection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import support  # noqa: E402
from support import Emulator, Plane  # noqa: E402

# Never let the storage client be redirected behind our back.
os.environ.pop("STORAGE_EMULATOR_HOST", None)

KERNEL = os.path.join(support.REPO, ".build", "guests", "multiboot", "kernel.elf")
KERNEL_CMDLINE = "hang sortie-conformance"


def pytest_configure(config):
    config.addinivalue_line("markers", "vm: boots QEMU guests through sortie serve (slow)")
    config.addinivalue_line("markers", "plane: needs sortie serve")


def pytest_collection_modifyitems(session, config, items):
    # The exchange audit runs last, after every other test has talked to the plane.
    last = [i for i in items if i.module.__name__.endswith("test_exchanges")]
    items[:] = [i for i in items if i not in last] + last
    if not shutil.which("qemu-system-x86_64"):
        skip = pytest.mark.skip(reason="qemu-system-x86_64 not installed")
        for item in items:
            if "vm" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def work_root():
    root = tempfile.mkdtemp(prefix="sortie-conformance-")
    yield root
    if os.environ.get("SORTIE_CONFORMANCE_KEEP") == "1":
        sys.stderr.write(f"\nconformance files kept in {root}\n")
    else:
        shutil.rmtree(root, ignore_errors=True)


_PLANES: list[Plane] = []


@pytest.fixture(scope="session")
def plane(work_root):
    p = Plane(os.path.join(work_root, "plane"))
    _PLANES.append(p)
    try:
        p.start()
    except Exception:
        p.stop()
        raise
    yield p
    p.stop()


def pytest_runtest_setup(item):
    # Once the plane has died (a crash, a failed restart), fail its tests at once
    # instead of letting every client retry a dead port for two minutes.
    uses_plane = "plane" in item.fixturenames or (
        "storage_backend" in item.fixturenames and "[sortie" in item.nodeid)
    for p in _PLANES:
        if uses_plane and p.proc is not None and p.proc.poll() is not None:
            pytest.fail(f"sortie serve is not running (exit status {p.proc.returncode}); "
                        f"stderr:\n{support._tail(p.stderr_path, 3000)}", pytrace=False)


@pytest.fixture(scope="module")
def compute(plane):
    """google-cloud-compute clients for the session's plane (support.Compute)."""
    return plane.compute()


@pytest.fixture
def restart(plane):
    """kill -9 the plane and start it again on the same port and data dir."""

    def do():
        return plane.restart()

    return do


@pytest.fixture(scope="session")
def emulator(work_root):
    e = Emulator(work_root)
    e.start()
    yield e
    e.stop()


@pytest.fixture(params=["sortie", "emulator"])
def storage_backend(request):
    return request.getfixturevalue("plane" if request.param == "sortie" else "emulator")


@pytest.fixture
def bucket(storage_backend):
    """A fresh bucket on the backend (google-cloud-storage Bucket); emptied and deleted after."""
    client = storage_backend.storage_client()
    b = client.create_bucket(support.unique("conf"))
    yield b
    try:
        for blob in client.list_blobs(b.name):
            blob.delete()
        b.delete()
    except Exception as e:  # noqa: BLE001
        sys.stderr.write(f"cleanup of bucket {b.name} on {storage_backend.name}: {e!r}\n")


@pytest.fixture(scope="session")
def image_archive(work_root):
    """Path of a GCE image archive of the test kernel (cmdline: 'hang sortie-conformance')."""
    binary = support.sortie_bin()
    if not os.path.exists(KERNEL):
        r = subprocess.run([os.path.join(support.REPO, "scripts", "build-guests")], capture_output=True, text=True)
        if r.returncode != 0 or not os.path.exists(KERNEL):
            pytest.fail(f"scripts/build-guests failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    out = os.path.join(work_root, "test-kernel.tar.gz")
    r = subprocess.run(
        [binary, "image", "build", KERNEL, "--cmdline", KERNEL_CMDLINE, "-o", out],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        pytest.fail(f"sortie image build failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return out


@pytest.fixture(scope="session")
def image_bytes(image_archive):
    with open(image_archive, "rb") as f:
        return f.read()
