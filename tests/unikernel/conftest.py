"""Fixtures for the hello-unikernel tests: the kernel is built once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from guest import build_kernel, sortie_binary


@pytest.fixture(scope="session")
def kernel(tmp_path_factory) -> Path:
    for tool in ("as", "ld", "objcopy", "gcc", "qemu-system-x86_64"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (scripts/install-deps installs it)")
    return build_kernel(tmp_path_factory.mktemp("kernel") / "hello-unikernel.elf")


@pytest.fixture(scope="session")
def sortie() -> Path:
    path = sortie_binary()
    if not path.exists():
        pytest.fail(f"{path} is missing: run `swift build` first (or set SORTIE_BIN)")
    return path
