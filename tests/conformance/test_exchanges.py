"""Every request the suite sent to sortie serve, checked against Google's discovery documents.

conftest.py moves this module to the end of the session, so the exchanges file
holds the traffic of all the other tests (google-cloud-storage,
google-cloud-compute, google-api-python-client and plain requests).
"""

from __future__ import annotations

import collections
import os

import pytest

from discovery import DiscoveryValidator, load_exchanges, validate_exchanges
from support import PROJECT

pytestmark = pytest.mark.plane

CONTRACT_KEYS = {"method", "path", "query", "requestBody", "status", "responseBody"}


def test_recorded_exchanges_conform_to_discovery(plane):
    # A little traffic of our own, so the file is not empty when this test runs alone.
    s = plane.session()
    s.get(plane.base + f"/compute/v1/projects/{PROJECT}/zones")
    s.get(plane.base + "/storage/v1/b", params={"project": PROJECT})
    s.get(plane.base + f"/compute/v1/projects/{PROJECT}/global/images/no-such-image")

    assert os.path.exists(plane.exchanges), f"--record-exchanges wrote nothing to {plane.exchanges}"
    exchanges, problems = load_exchanges(plane.exchanges)
    # Only API requests are in the contract; a recorded health check is not an API exchange.
    exchanges = [e for e in exchanges if e.get("path") != "/healthz"]
    assert exchanges, "no exchanges recorded"
    for i, ex in enumerate(exchanges, 1):
        missing = CONTRACT_KEYS - set(ex)
        if missing:
            problems.append(f"#{i} {ex.get('method')} {ex.get('path')}: lacks {sorted(missing)}")
        if not isinstance(ex.get("query", {}), dict):
            problems.append(f"#{i} {ex.get('method')} {ex.get('path')}: query is not an object")
    # The beta API only where the plane serves it (a group's updatePolicy.minReadySec).
    problems += validate_exchanges(exchanges, DiscoveryValidator(apis=("compute.v1", "compute.beta", "storage.v1")))
    paths = collections.Counter(e.get("path", "").split("/")[1] for e in exchanges)
    assert not problems, (
        f"{len(problems)} problems in {len(exchanges)} exchanges ({dict(paths)}) recorded in {plane.exchanges}:\n"
        + "\n".join(problems[:300])
        + ("\n..." if len(problems) > 300 else "")
    )
