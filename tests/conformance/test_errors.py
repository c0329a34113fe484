"""Bad requests with plain ``requests``: HTTP status, GCE's error body and ``errors[0].reason``.

Reasons are the ones GCE/GCS use (reference §11): notFound, alreadyExists,
invalid, required, conditionNotMet; GCS's conflict for bucket name clashes and
non-empty buckets. For 401 GCE answers ``required`` (no credentials) or
``authError`` (bad credentials); both are accepted for either case.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

import pytest
import requests

from discovery import DiscoveryValidator
from support import PROJECT, ZONE, unique

pytestmark = pytest.mark.plane

C = f"/compute/v1/projects/{PROJECT}"
AUTH_REASONS = {"required", "authError"}


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    reasons: set
    json: object = None
    data: bytes | None = None
    headers: dict = field(default_factory=dict)
    auth: str | None = "token"  # "token" | None | a literal token
    params: dict | None = None


@pytest.fixture(scope="module")
def existing(plane):
    """A firewall, a bucket with an object, for the conflict cases."""
    s = plane.session()
    fw = unique("conf-dup")
    r = s.post(plane.base + f"{C}/global/firewalls",
               json={"name": fw, "network": "global/networks/default", "allowed": [{"IPProtocol": "tcp", "ports": ["80"]}]})
    assert r.status_code == 200, r.text
    op = r.json()["name"]
    s.post(plane.base + f"{C}/global/operations/{op}/wait")
    bucket = unique("conf-err")
    r = s.post(plane.base + "/storage/v1/b", params={"project": PROJECT}, json={"name": bucket})
    assert r.status_code == 200, r.text
    r = s.post(plane.base + f"/upload/storage/v1/b/{bucket}/o", params={"uploadType": "media", "name": "obj"},
               data=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    yield {"firewall": fw, "bucket": bucket}
    s.delete(plane.base + f"{C}/global/firewalls/{fw}")
    s.delete(plane.base + f"/storage/v1/b/{bucket}/o/obj")
    s.delete(plane.base + f"/storage/v1/b/{bucket}")


FW = {"network": "global/networks/default", "allowed": [{"IPProtocol": "tcp", "ports": ["80"]}]}
IMG_SRC = {"rawDisk": {"source": "https://storage.googleapis.com/nobucket/none.tar.gz"}}

CASES = [
    # authentication
    Case("no-token", "GET", f"{C}/global/images", 401, AUTH_REASONS, auth=None),
    Case("wrong-token", "GET", f"{C}/global/images", 401, AUTH_REASONS, auth="not-the-token"),
    Case("empty-bearer", "GET", f"{C}/zones", 401, AUTH_REASONS, headers={"Authorization": "Bearer "}, auth=None),
    Case("basic-auth", "GET", f"{C}/zones", 401, AUTH_REASONS, headers={"Authorization": "Basic dXNlcjpwYXNz"}, auth=None),
    Case("storage-no-token", "GET", "/storage/v1/b", 401, AUTH_REASONS, auth=None, params={"project": PROJECT}),
    Case("upload-no-token", "POST", "/upload/storage/v1/b/{bucket}/o", 401, AUTH_REASONS, auth=None,
         params={"uploadType": "media", "name": "x"}, data=b"x"),
    Case("download-wrong-token", "GET", "/storage/v1/b/{bucket}/o/obj", 401, AUTH_REASONS, auth="nope",
         params={"alt": "media"}),
    # malformed and mistyped bodies
    Case("malformed-json", "POST", f"{C}/global/firewalls", 400, {"parseError", "invalid"},
         data=b'{"name": "x",', headers={"Content-Type": "application/json"}),
    Case("body-not-an-object", "POST", f"{C}/global/firewalls", 400, {"parseError", "invalid"}, json=["x"]),
    Case("wrong-type-name", "POST", f"{C}/global/firewalls", 400, {"invalid"}, json={"name": 5, **FW}),
    Case("wrong-type-allowed", "POST", f"{C}/global/firewalls", 400, {"invalid"},
         json={"name": "conf-wrong-type", "network": "global/networks/default", "allowed": "tcp:80"}),
    Case("wrong-type-disk-size", "POST", f"{C}/global/instanceTemplates", 400, {"invalid"},
         json={"name": "conf-wrong-size", "properties": {"machineType": "e2-micro", "disks": [
             {"boot": True, "initializeParams": {"diskSizeGb": "ten",
                                                 "sourceImage": f"projects/{PROJECT}/global/images/any"}}]}}),
    Case("wrong-type-boolean", "POST", f"{C}/global/firewalls", 400, {"invalid"},
         json={"name": "conf-wrong-bool", "disabled": "maybe", **FW}),
    Case("unknown-field", "POST", f"{C}/global/firewalls", 400, {"invalid"},
         json={"name": "conf-unknown-field", "allowedd": [{"IPProtocol": "tcp"}], **FW}),
    # names (RFC 1035)
    Case("name-uppercase-underscore", "POST", f"{C}/global/firewalls", 400, {"invalid"}, json={"name": "Bad_Name", **FW}),
    Case("name-leading-digit", "POST", f"{C}/global/images", 400, {"invalid"}, json={"name": "1abc", **IMG_SRC}),
    Case("name-trailing-dash", "POST", f"{C}/global/instanceTemplates", 400, {"invalid"},
         json={"name": "abc-", "properties": {"machineType": "e2-micro"}}),
    Case("name-64-chars", "POST", f"{C}/global/firewalls", 400, {"invalid"}, json={"name": "a" * 64, **FW}),
    Case("bucket-name-invalid", "POST", "/storage/v1/b", 400, {"invalid"}, params={"project": PROJECT},
         json={"name": "Not A Bucket!"}),
    # missing required fields
    Case("image-without-name", "POST", f"{C}/global/images", 400, {"required"}, json=IMG_SRC),
    Case("template-without-name", "POST", f"{C}/global/instanceTemplates", 400, {"required"},
         json={"properties": {"machineType": "e2-micro"}}),
    Case("firewall-without-name", "POST", f"{C}/global/firewalls", 400, {"required"}, json=FW),
    # unknown resources
    Case("image-not-found", "GET", f"{C}/global/images/no-such-image-conformance", 404, {"notFound"}),
    Case("image-delete-not-found", "DELETE", f"{C}/global/images/no-such-image-conformance", 404, {"notFound"}),
    Case("family-not-found", "GET", f"{C}/global/images/family/no-such-family-conformance", 404, {"notFound"}),
    Case("template-not-found", "GET", f"{C}/global/instanceTemplates/no-such-template", 404, {"notFound"}),
    Case("zone-not-found", "GET", f"{C}/zones/nowhere1-z", 404, {"notFound"}),
    Case("instance-not-found", "GET", f"{C}/zones/{ZONE}/instances/no-such-instance", 404, {"notFound"}),
    Case("global-operation-not-found", "GET", f"{C}/global/operations/operation-no-such", 404, {"notFound"}),
    Case("zone-operation-not-found", "POST", f"{C}/zones/{ZONE}/operations/operation-no-such/wait", 404, {"notFound"}),
    Case("firewall-not-found", "DELETE", f"{C}/global/firewalls/no-such-firewall", 404, {"notFound"}),
    Case("health-check-not-found", "GET", f"{C}/global/healthChecks/no-such-hc", 404, {"notFound"}),
    Case("bucket-not-found", "GET", "/storage/v1/b/no-such-bucket-conformance", 404, {"notFound"}),
    Case("object-not-found", "GET", "/storage/v1/b/{bucket}/o/no-such-object", 404, {"notFound"}),
    Case("object-media-not-found", "GET", "/storage/v1/b/{bucket}/o/no-such-object", 404, {"notFound"},
         params={"alt": "media"}),
    Case("upload-to-missing-bucket", "POST", "/upload/storage/v1/b/no-such-bucket-conformance/o", 404, {"notFound"},
         params={"uploadType": "media", "name": "x"}, data=b"x"),
    # conflicts and preconditions
    Case("duplicate-firewall", "POST", f"{C}/global/firewalls", 409, {"alreadyExists"}, json={"name": "{firewall}", **FW}),
    Case("duplicate-bucket", "POST", "/storage/v1/b", 409, {"conflict"}, params={"project": PROJECT},
         json={"name": "{bucket}"}),
    Case("delete-non-empty-bucket", "DELETE", "/storage/v1/b/{bucket}", 409, {"conflict"}),
    Case("if-generation-match-0-existing", "POST", "/upload/storage/v1/b/{bucket}/o", 412, {"conditionNotMet"},
         params={"uploadType": "media", "name": "obj", "ifGenerationMatch": "0"}, data=b"y"),
]


def fill(value, names):
    if isinstance(value, str):
        return names.get(value[1:-1], value) if value.startswith("{") and value.endswith("}") else value
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_request(plane, existing, case):
    headers = dict(case.headers)
    if case.auth == "token":
        headers["Authorization"] = f"Bearer {plane.token}"
    elif case.auth is not None:
        headers["Authorization"] = f"Bearer {case.auth}"
    path = case.path.format(**existing)
    kwargs = {"headers": headers, "params": case.params, "timeout": 60}
    if case.json is not None:
        kwargs["json"] = fill(case.json, existing)
    elif case.data is not None:
        kwargs["data"] = case.data
    r = requests.request(case.method, plane.base + path, **kwargs)
    assert r.status_code == case.status, f"{case.method} {path}: {r.status_code} {r.text[:500]}"
    try:
        body = r.json()
    except ValueError:
        pytest.fail(f"error response is not JSON: {r.headers.get('Content-Type')} {r.text[:300]!r}")
    assert DiscoveryValidator.validate_error_body(body, case.status) == [], body
    reason = body["error"]["errors"][0]["reason"]
    assert reason in case.reasons, f"reason {reason!r}, expected one of {sorted(case.reasons)}: {body}"


def test_healthz_needs_no_token(plane):
    r = requests.get(plane.base + "/healthz", timeout=10)
    assert r.status_code == 200


def test_token_file_is_private(plane):
    path = os.path.join(plane.data_dir, "token")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, f"{path} has mode {oct(mode)}"
    assert len(plane.token) >= 16, "the token should not be guessable"


def test_token_works_for_both_apis(plane):
    s = plane.session()
    assert s.get(plane.base + f"{C}/zones").status_code == 200
    assert s.get(plane.base + "/storage/v1/b", params={"project": PROJECT}).status_code == 200
