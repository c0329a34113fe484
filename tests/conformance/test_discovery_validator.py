"""Unit tests for the discovery-document validator (no server needed)."""

import copy
import json

import pytest

from discovery import DiscoveryValidator, load_exchanges, validate_exchanges

P = "/compute/v1/projects/sortie-conformance"

IMAGE = {
    "kind": "compute#image",
    "id": "8251843227474749184",
    "creationTimestamp": "2026-11-27T10:00:00.000-08:00",
    "name": "app-20261127-1a2b3c",
    "family": "app",
    "description": "git 1a2b3c",
    "sourceType": "RAW",
    "rawDisk": {"source": "https://storage.googleapis.com/bkt/app.tar.gz", "containerType": "TAR"},
    "status": "READY",
    "archiveSizeBytes": "157612",
    "diskSizeGb": "1",
    "guestOsFeatures": [{"type": "UEFI_COMPATIBLE"}],
    "labels": {"app": "demo"},
    "storageLocations": ["local1"],
    "selfLink": "http://127.0.0.1:1/compute/v1/projects/sortie-conformance/global/images/app-20261127-1a2b3c",
}

OPERATION = {
    "kind": "compute#operation",
    "id": "123",
    "name": "operation-1",
    "operationType": "insert",
    "targetLink": IMAGE["selfLink"],
    "targetId": "8251843227474749184",
    "status": "DONE",
    "progress": 100,
    "insertTime": "2026-11-27T10:00:00.000-08:00",
    "clientOperationId": "6c1b5a2e-0000-4000-8000-000000000001",
    "selfLink": "http://127.0.0.1:1/compute/v1/projects/sortie-conformance/global/operations/operation-1",
}

OBJECT = {
    "kind": "storage#object",
    "id": "bkt/dir/a b.txt/1795803302319226337",
    "selfLink": "http://127.0.0.1:1/storage/v1/b/bkt/o/dir%2Fa%20b.txt",
    "mediaLink": "http://127.0.0.1:1/download/storage/v1/b/bkt/o/dir%2Fa%20b.txt?generation=1795803302319226337&alt=media",
    "name": "dir/a b.txt",
    "bucket": "bkt",
    "generation": "1795803302319226337",
    "metageneration": "1",
    "contentType": "text/plain",
    "size": "5",
    "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==",
    "crc32c": "mnG7TA==",
    "etag": "CKih16GjycICEAE=",
    "timeCreated": "2026-11-27T18:15:02.319Z",
    "updated": "2026-11-27T18:15:02.319Z",
    "storageClass": "STANDARD",
    "metadata": {"k": "v"},
}


@pytest.fixture(scope="module")
def v():
    return DiscoveryValidator()


def ex(method, path, status=200, request=None, response=None, query=None):
    return {
        "method": method,
        "path": path,
        "query": query or {},
        "requestBody": request,
        "status": status,
        "responseBody": response,
    }


# --- path matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,method_id",
    [
        ("GET", f"{P}/global/images/app-1", "compute.images.get"),
        ("GET", f"{P}/global/images/family/app", "compute.images.getFromFamily"),
        ("POST", f"{P}/global/images/app-1/deprecate", "compute.images.deprecate"),
        ("POST", f"{P}/global/images", "compute.images.insert"),
        ("GET", f"{P}/global/images", "compute.images.list"),
        ("DELETE", f"{P}/global/images/app-1", "compute.images.delete"),
        ("POST", f"{P}/global/operations/operation-1/wait", "compute.globalOperations.wait"),
        ("GET", f"{P}/zones/local1-a/operations/operation-2", "compute.zoneOperations.get"),
        ("GET", f"{P}/zones/local1-a/instances/vm-1/serialPort", "compute.instances.getSerialPortOutput"),
        ("POST", f"{P}/zones/local1-a/instances/vm-1/stop", "compute.instances.stop"),
        ("GET", f"{P}/zones/local1-a/machineTypes", "compute.machineTypes.list"),
        ("GET", f"{P}/regions/local1", "compute.regions.get"),
        ("POST", f"{P}/global/instanceTemplates", "compute.instanceTemplates.insert"),
        ("GET", "/storage/v1/b", "storage.buckets.list"),
        ("GET", "/storage/v1/b/bkt/o/dir%2Fa%20b.txt", "storage.objects.get"),
        ("DELETE", "/storage/v1/b/bkt/o/dir%2Fa%20b.txt", "storage.objects.delete"),
        ("POST", "/upload/storage/v1/b/bkt/o", "storage.objects.insert"),
        ("GET", "/download/storage/v1/b/bkt/o/x.tar.gz", "storage.objects.get"),
    ],
)
def test_paths_map_to_methods(v, method, path, method_id):
    m, problem = v.match(method, path)
    assert problem is None
    assert m.method_id == method_id


def test_decoded_object_name_with_slashes_still_matches(v):
    m, problem = v.match("GET", "/storage/v1/b/bkt/o/dir/sub/file.txt")
    assert problem is None
    assert m.method_id == "storage.objects.get"
    assert m.path_params == {"bucket": "bkt", "object": "dir/sub/file.txt"}


def test_upload_session_put_maps_to_objects_insert(v):
    m, problem = v.match("PUT", "/upload/storage/v1/b/bkt/o", {"uploadType": "resumable", "upload_id": "x"})
    assert problem is None and m.method_id == "storage.objects.insert" and m.variant == "upload"


def test_unknown_path_is_reported(v):
    problems = v.validate_exchange(ex("GET", f"{P}/global/flyingSaucers/x", 200, response={}))
    assert len(problems) == 1
    assert "no discovery method matches GET" in problems[0]


def test_unknown_service_root_is_reported(v):
    problems = v.validate_exchange(ex("GET", "/sql/v1/projects/p/instances", 200, response={}))
    assert problems and "no discovery service root" in problems[0]


def test_wrong_http_method_is_reported(v):
    problems = v.validate_exchange(ex("PUT", f"{P}/global/images", 200, response={}))
    assert problems and "allows only" in problems[0]


# --- bodies ---------------------------------------------------------------------------


def test_valid_image_response_passes(v):
    assert v.validate_exchange(ex("GET", f"{P}/global/images/app-20261127-1a2b3c", 200, response=IMAGE)) == []


def test_disk_size_gb_as_number_fails(v):
    bad = dict(IMAGE, diskSizeGb=10)
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1
    assert "response.diskSizeGb" in problems[0]
    assert "JSON string holding an int64" in problems[0]


def test_int64_string_must_hold_an_integer(v):
    bad = dict(IMAGE, archiveSizeBytes="12.5")
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1 and "archiveSizeBytes" in problems[0]


def test_unknown_field_fails(v):
    bad = dict(IMAGE, diskSizeGB="1")  # wrong case: not declared by Image
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1
    assert "response.diskSizeGB: unknown field" in problems[0]


def test_nested_unknown_field_and_ref_resolution(v):
    bad = copy.deepcopy(IMAGE)
    bad["rawDisk"]["sourceUrl"] = "x"
    bad["guestOsFeatures"][0]["flavor"] = "x"
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 2
    assert any("response.rawDisk.sourceUrl: unknown field" in p for p in problems)
    assert any("response.guestOsFeatures[0].flavor: unknown field" in p for p in problems)


def test_enum_value_checked(v):
    bad = dict(IMAGE, status="BOOTING")
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1 and "not one of the enum values" in problems[0]


def test_types_checked(v):
    bad = dict(IMAGE, labels=["app"], guestOsFeatures={"type": "UEFI_COMPATIBLE"}, name=7)
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    text = "\n".join(problems)
    assert "response.labels: expected object" in text
    assert "response.guestOsFeatures: expected array" in text
    assert "response.name: expected string" in text


def test_boolean_and_int32_checked(v):
    op = dict(OPERATION, progress="100")  # int32 is a JSON number
    problems = v.validate_exchange(ex("POST", f"{P}/global/images", 200, request={"name": "x"}, response=op))
    assert len(problems) == 1 and "response.progress" in problems[0]
    tmpl = {"name": "t", "properties": {"canIpForward": "yes"}}
    problems = v.validate_exchange(ex("POST", f"{P}/global/instanceTemplates", 200, request=tmpl, response=OPERATION))
    assert len(problems) == 1 and "request.properties.canIpForward: expected boolean" in problems[0]


def test_kind_must_equal_schema_default(v):
    bad = dict(IMAGE, kind="compute#images")
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1 and "response.kind" in problems[0]


def test_null_field_in_response_fails(v):
    bad = dict(IMAGE, description=None)
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1 and "null" in problems[0]


def test_name_pattern_checked(v):
    bad = dict(IMAGE, name="Bad_Name")
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=bad))
    assert len(problems) == 1 and "pattern" in problems[0]


def test_list_response_items_validated(v):
    lst = {
        "kind": "compute#imageList",
        "id": "projects/sortie-conformance/global/images",
        "items": [IMAGE, dict(IMAGE, diskSizeGb=1)],
        "selfLink": "http://127.0.0.1:1/compute/v1/projects/sortie-conformance/global/images",
    }
    problems = v.validate_exchange(ex("GET", f"{P}/global/images", 200, response=lst, query={"filter": "family = app"}))
    assert len(problems) == 1 and "response.items[1].diskSizeGb" in problems[0]


def test_request_body_validated_only_when_accepted(v):
    body = {"name": "x", "rawDisk": {"source": "https://storage.googleapis.com/b/o"}, "bogus": 1}
    accepted = v.validate_exchange(ex("POST", f"{P}/global/images", 200, request=body, response=OPERATION))
    assert len(accepted) == 1 and "request.bogus: unknown field" in accepted[0]
    err = {"error": {"code": 400, "message": "Unknown name bogus", "errors": [{"reason": "invalid", "message": "Unknown name bogus", "domain": "global"}]}}
    refused = v.validate_exchange(ex("POST", f"{P}/global/images", 400, request=body, response=err))
    assert refused == []


def test_int64_number_in_request_tolerated_unless_strict(v):
    body = {"name": "t", "properties": {"disks": [{"initializeParams": {"diskSizeGb": 10}}]}}
    assert v.validate_exchange(ex("POST", f"{P}/global/instanceTemplates", 200, request=body, response=OPERATION)) == []
    strict = DiscoveryValidator(strict_requests=True)
    problems = strict.validate_exchange(ex("POST", f"{P}/global/instanceTemplates", 200, request=body, response=OPERATION))
    assert len(problems) == 1 and "diskSizeGb" in problems[0]


def test_query_parameters_checked(v):
    ok = ex("GET", f"{P}/zones/local1-a/instances/vm-1/serialPort", 200,
            response={"kind": "compute#serialPortOutput", "contents": "hi", "start": "0", "next": "2"},
            query={"port": "1", "start": "0", "alt": "json", "prettyPrint": "false"})
    assert v.validate_exchange(ok) == []
    bad = dict(ok, query={"port": "9", "start": "x", "bogus": "1"})
    text = "\n".join(v.validate_exchange(bad))
    assert "query parameter port" in text
    assert "query parameter start" in text
    assert "'bogus' is not declared" in text


def test_path_parameter_pattern_checked_when_accepted(v):
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/Bad_Name", 200, response=IMAGE))
    assert len(problems) == 1 and "path parameter image" in problems[0]


def test_required_query_parameter(v):
    bucket = {"kind": "storage#bucket", "id": "bkt", "name": "bkt", "projectNumber": "1", "metageneration": "1"}
    problems = v.validate_exchange(ex("POST", "/storage/v1/b", 200, request={"name": "bkt"}, response=bucket))
    assert len(problems) == 1 and "'project' missing" in problems[0]
    assert v.validate_exchange(ex("POST", "/storage/v1/b", 200, request={"name": "bkt"}, response=bucket, query={"project": "p"})) == []


# --- storage ----------------------------------------------------------------------------


def test_storage_object_and_uploads(v):
    assert v.validate_exchange(ex("GET", "/storage/v1/b/bkt/o/dir%2Fa%20b.txt", 200, response=OBJECT)) == []
    # media upload: body is media (null), response an Object
    assert v.validate_exchange(ex("POST", "/upload/storage/v1/b/bkt/o", 200, response=OBJECT,
                                  query={"uploadType": "media", "name": "dir/a b.txt"})) == []
    # resumable initiate: metadata body, empty response with Location
    assert v.validate_exchange(ex("POST", "/upload/storage/v1/b/bkt/o", 200, request={"name": "x", "contentType": "application/gzip"},
                                  query={"uploadType": "resumable"})) == []
    # chunk: 308, final: Object
    q = {"uploadType": "resumable", "upload_id": "abc"}
    assert v.validate_exchange(ex("PUT", "/upload/storage/v1/b/bkt/o", 308, query=q)) == []
    assert v.validate_exchange(ex("PUT", "/upload/storage/v1/b/bkt/o", 200, response=OBJECT, query=q)) == []
    # cancel
    assert v.validate_exchange(ex("DELETE", "/upload/storage/v1/b/bkt/o", 499, query=q)) == []
    # download
    assert v.validate_exchange(ex("GET", "/storage/v1/b/bkt/o/x", 200, query={"alt": "media"})) == []
    assert v.validate_exchange(ex("GET", "/download/storage/v1/b/bkt/o/x", 200, query={"alt": "media"})) == []
    # delete: 204 and no body
    assert v.validate_exchange(ex("DELETE", "/storage/v1/b/bkt/o/x", 204)) == []


def test_storage_size_as_number_fails(v):
    bad = dict(OBJECT, size=5, timeCreated="yesterday")
    text = "\n".join(v.validate_exchange(ex("GET", "/storage/v1/b/bkt/o/x", 200, response=bad)))
    assert "response.size" in text and "uint64" in text
    assert "response.timeCreated" in text and "RFC 3339" in text


def test_storage_metadata_map_values_are_strings(v):
    bad = dict(OBJECT, metadata={"n": 1})
    problems = v.validate_exchange(ex("GET", "/storage/v1/b/bkt/o/x", 200, response=bad))
    assert len(problems) == 1 and "response.metadata.n: expected string" in problems[0]


def test_missing_response_body_reported(v):
    problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 200, response=None))
    assert len(problems) == 1 and "no body" in problems[0]


# --- errors -------------------------------------------------------------------------------


def test_error_body_shape(v):
    good = {"error": {"code": 404, "message": "The resource 'projects/p/global/images/x' was not found",
                      "errors": [{"message": "The resource 'projects/p/global/images/x' was not found",
                                  "domain": "global", "reason": "notFound"}]}}
    assert v.validate_exchange(ex("GET", f"{P}/global/images/x", 404, response=good)) == []
    for bad, what in [
        (None, "expected a JSON error object"),
        ({"error": {"code": 400, "message": "m", "errors": [{"reason": "notFound", "message": "m", "domain": "global"}]}}, "code"),
        ({"error": {"code": 404, "message": "m", "errors": []}}, "errors"),
        ({"error": {"code": 404, "message": "m", "errors": [{"message": "m", "domain": "global"}]}}, "reason"),
        ({"error": {"code": 404, "message": "m", "errors": [{"reason": "notFound", "message": "m", "domain": "global"}]}, "extra": 1}, "unknown top-level"),
    ]:
        problems = v.validate_exchange(ex("GET", f"{P}/global/images/x", 404, response=bad))
        assert problems and what in problems[0], (bad, problems)


# --- files ----------------------------------------------------------------------------------


def test_load_and_validate_file(v, tmp_path):
    f = tmp_path / "exchanges.jsonl"
    lines = [
        json.dumps(ex("GET", f"{P}/global/images/x", 200, response=IMAGE)),
        json.dumps(ex("GET", f"{P}/global/images/x", 200, response=dict(IMAGE, diskSizeGb=10))),
        '{"method": "GET", "path": "/compute/v1/proj',  # torn line (server killed)
    ]
    f.write_text("\n".join(lines) + "\n")
    exchanges, bad_lines = load_exchanges(str(f))
    assert len(exchanges) == 2 and len(bad_lines) == 1
    problems = validate_exchanges(exchanges, v)
    assert len(problems) == 1 and problems[0].startswith("#2 ")
