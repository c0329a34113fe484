"""Cloud Storage JSON API through google-cloud-storage and google-resumable-media.

Each test runs against sortie serve and against gcp-storage-emulator (ids
``[sortie]``/``[emulator]``), so the plane is shown to behave like the emulator
where the emulator is known to behave like GCS (reference §13.2). Where the
emulator is known to differ from GCS (no preconditions, 404 on a status query
after completion) the emulator case is skipped with the reason.
"""

from __future__ import annotations

import io
import json
import os
import urllib.parse

import pytest
from google.api_core import exceptions as gexc
from google.resumable_media import common as rm_common
from google.resumable_media.requests import MultipartUpload, ResumableUpload, SimpleUpload

import support
from support import CHUNK, attach_resumable, crc32c_b64, md5_b64, resumable_upload_url, unique

def skip_on_emulator(backend, why):
    if backend.name == "emulator":
        pytest.skip(f"gcp-storage-emulator: {why}")


def counting_client(backend):
    """A storage client whose HTTP session records (method, status, Content-Range) of each response."""
    from google.cloud import storage

    session = backend.authorized_session()
    seen = []
    session.hooks["response"].append(
        lambda r, *a, **k: seen.append((r.request.method, r.status_code, r.request.headers.get("Content-Range")))
    )
    client = storage.Client(project=support.PROJECT, credentials=backend.credentials(),
                            client_options={"api_endpoint": backend.base}, _http=session)
    return client, seen


# --- buckets -------------------------------------------------------------------------


def test_bucket_insert_get_list_delete(storage_backend):
    client = storage_backend.storage_client()
    name = unique("conf-bkt")
    created = client.create_bucket(name)
    assert created.name == name
    got = client.get_bucket(name)
    assert got.name == name
    assert got.metageneration is not None
    assert name in [b.name for b in client.list_buckets()]
    got.delete()
    with pytest.raises(gexc.NotFound):
        client.get_bucket(name)
    assert name not in [b.name for b in client.list_buckets()]


# --- uploads ---------------------------------------------------------------------------


def assert_object(obj: dict, name: str, data: bytes):
    assert obj["name"] == name
    assert obj["size"] == str(len(data)), "size is a uint64 JSON string"
    assert obj["md5Hash"] == md5_b64(data)
    assert obj["crc32c"] == crc32c_b64(data)
    assert isinstance(obj["generation"], str) and int(obj["generation"]) > 0
    assert isinstance(obj["metageneration"], str) and int(obj["metageneration"]) >= 1


def test_media_upload(storage_backend, bucket):
    data = b"simple media upload\n" * 100
    name = "media/simple.txt"
    url = (f"{storage_backend.base}/upload/storage/v1/b/{bucket.name}/o?uploadType=media&name="
           + urllib.parse.quote(name, safe=""))
    resp = SimpleUpload(url).transmit(storage_backend.authorized_session(), data, "text/plain")
    assert resp.status_code == 200
    obj = resp.json()
    assert_object(obj, name, data)
    assert obj["contentType"] == "text/plain"
    assert bucket.blob(name).download_as_bytes() == data


def test_multipart_upload(storage_backend, bucket):
    data = os.urandom(100_000)
    blob = bucket.blob("multi/part.bin")
    blob.metadata = {"build": "1a2b3c"}
    blob.upload_from_string(data, content_type="application/octet-stream")  # < 8 MiB: multipart
    assert blob.size == len(data)
    assert blob.md5_hash == md5_b64(data)
    assert blob.crc32c == crc32c_b64(data)
    assert blob.generation and blob.generation > 0
    got = bucket.get_blob("multi/part.bin")
    assert got.metadata == {"build": "1a2b3c"}
    assert got.content_type == "application/octet-stream"
    assert got.download_as_bytes() == data


@pytest.mark.parametrize("payload", ["image-archive", "random-5-chunks"])
def test_resumable_upload_in_256k_chunks(storage_backend, bucket, payload, image_bytes):
    data = image_bytes if payload == "image-archive" else os.urandom(4 * CHUNK + 12_345)
    client, seen = counting_client(storage_backend)
    blob = client.bucket(bucket.name).blob(f"images/{payload}.tar.gz")
    blob.chunk_size = CHUNK
    # No size: the client cannot choose multipart and sends 256 KiB chunks, the
    # total ("bytes a-b/*") known only with the last one.
    blob.upload_from_file(io.BytesIO(data), content_type="application/gzip")
    chunks = -(-len(data) // CHUNK)
    puts = [s for s in seen if s[0] == "PUT"]
    assert [s[1] for s in puts] == [308] * (chunks - 1) + [200], puts
    assert blob.size == len(data)
    assert blob.md5_hash == md5_b64(data)
    assert blob.crc32c == crc32c_b64(data)
    assert blob.content_type == "application/gzip"
    got = bucket.get_blob(blob.name)
    assert (got.size, got.md5_hash, got.crc32c) == (len(data), md5_b64(data), crc32c_b64(data))
    assert got.download_as_bytes() == data


def test_interrupted_resumable_upload_is_resumed(storage_backend, bucket):
    data = os.urandom(3 * CHUNK + 777)
    session = storage_backend.authorized_session()
    url = resumable_upload_url(storage_backend.base, bucket.name)
    first = ResumableUpload(url, CHUNK)
    first.initiate(session, io.BytesIO(data), {"name": "resumed.bin"}, "application/octet-stream", total_bytes=len(data))
    session_url = first.resumable_url
    assert "upload_id=" in session_url
    for _ in range(2):
        r = first.transmit_next_chunk(session)
        assert r.status_code == 308
    assert first.bytes_uploaded == 2 * CHUNK
    del first  # the uploading process "dies"

    stream = io.BytesIO(data)
    again = attach_resumable(session_url, stream, len(data), "application/octet-stream")
    r = again.recover(session)  # PUT, empty body, Content-Range: bytes */*
    assert r.status_code == 308
    assert r.headers.get("Range") == f"bytes=0-{2 * CHUNK - 1}"
    assert again.bytes_uploaded == 2 * CHUNK and stream.tell() == 2 * CHUNK
    while not again.finished:
        r = again.transmit_next_chunk(session)
    assert r.status_code in (200, 201)
    assert_object(r.json(), "resumed.bin", data)
    assert bucket.blob("resumed.bin").download_as_bytes() == data


def test_status_query_with_total_keeps_session(storage_backend, bucket):
    """``Content-Range: bytes */TOTAL`` asks for progress without finishing the upload."""
    data = os.urandom(2 * CHUNK + 10)
    session = storage_backend.authorized_session()
    up = ResumableUpload(resumable_upload_url(storage_backend.base, bucket.name), CHUNK)
    up.initiate(session, io.BytesIO(data), {"name": "status.bin"}, "application/octet-stream", total_bytes=len(data))
    up.transmit_next_chunk(session)
    r = session.put(up.resumable_url, data=b"", headers={"Content-Range": f"bytes */{len(data)}"})
    assert r.status_code == 308
    assert r.headers.get("Range") == f"bytes=0-{CHUNK - 1}"
    while not up.finished:
        r = up.transmit_next_chunk(session)
    assert r.json()["md5Hash"] == md5_b64(data)


def test_status_query_after_completion_returns_object(storage_backend, bucket):
    skip_on_emulator(storage_backend, "answers 404 to a status query on a finished session (reference §13.2)")
    data = os.urandom(CHUNK + 5)
    session = storage_backend.authorized_session()
    up = ResumableUpload(resumable_upload_url(storage_backend.base, bucket.name), CHUNK)
    up.initiate(session, io.BytesIO(data), {"name": "done.bin"}, "application/octet-stream", total_bytes=len(data))
    while not up.finished:
        up.transmit_next_chunk(session)
    r = session.put(up.resumable_url, data=b"", headers={"Content-Range": "bytes */*"})
    assert r.status_code in (200, 201)
    assert_object(r.json(), "done.bin", data)


def test_wrong_md5_in_metadata_is_refused(storage_backend, bucket):
    data = b"checked data"
    url = f"{storage_backend.base}/upload/storage/v1/b/{bucket.name}/o?uploadType=multipart"
    up = MultipartUpload(url)
    with pytest.raises(rm_common.InvalidResponse) as e:
        up.transmit(storage_backend.authorized_session(), data,
                    {"name": "bad-md5.bin", "md5Hash": md5_b64(b"other data")}, "application/octet-stream")
    assert e.value.response.status_code == 400
    assert bucket.get_blob("bad-md5.bin") is None


def test_if_generation_match_0_refuses_to_overwrite(storage_backend, bucket):
    skip_on_emulator(storage_backend, "ignores ifGenerationMatch (reference §13.2)")
    blob = bucket.blob("once.txt")
    blob.upload_from_string(b"first", if_generation_match=0)
    first_generation = blob.generation
    with pytest.raises(gexc.PreconditionFailed):  # 412
        bucket.blob("once.txt").upload_from_string(b"second", if_generation_match=0)
    # also when the upload is resumable (where GCS checks it is not documented: initiation or finish)
    resumable = bucket.blob("once.txt")
    resumable.chunk_size = CHUNK
    with pytest.raises(gexc.PreconditionFailed):
        resumable.upload_from_file(io.BytesIO(b"third" * 1000), if_generation_match=0)
    assert bucket.get_blob("once.txt").generation == first_generation
    assert bucket.blob("once.txt").download_as_bytes() == b"first"
    # matching the live generation overwrites, and gives a new generation
    bucket.blob("once.txt").upload_from_string(b"fourth", if_generation_match=first_generation)
    assert bucket.get_blob("once.txt").generation != first_generation
    assert bucket.blob("once.txt").download_as_bytes() == b"fourth"
    with pytest.raises(gexc.PreconditionFailed):  # a stale generation
        bucket.blob("once.txt").upload_from_string(b"fifth", if_generation_match=first_generation)


# --- downloads, listing, names, delete ---------------------------------------------------


def test_download_equals_upload(storage_backend, bucket):
    data = os.urandom(CHUNK * 2 + 99)
    bucket.blob("dl.bin").upload_from_string(data)
    blob = bucket.get_blob("dl.bin")
    assert blob.download_as_bytes() == data
    assert blob.download_as_bytes(start=10, end=99) == data[10:100]  # Range: bytes=10-99
    # without the metadata round trip (the client builds /download/storage/v1/... itself)
    assert bucket.blob("dl.bin").download_as_bytes() == data
    # alt=media on the object URL
    r = storage_backend.session().get(
        f"{storage_backend.base}/storage/v1/b/{bucket.name}/o/dl.bin", params={"alt": "media"})
    assert r.status_code == 200 and r.content == data
    assert "md5=" + md5_b64(data) in r.headers.get("X-Goog-Hash", "")


def test_download_keeps_blob_metadata(storage_backend, bucket):
    """google-cloud-storage refreshes a Blob's generation, metageneration, hashes, type and
    etag from the download's headers (X-Goog-Generation, X-Goog-Metageneration,
    X-Goog-Hash, Content-Type, ETag); without them it forgets what it knew."""
    skip_on_emulator(storage_backend, "sends no X-Goog-Generation/X-Goog-Metageneration/ETag on downloads")
    data = b"metadata after download"
    bucket.blob("meta.txt").upload_from_string(data, content_type="text/plain")
    blob = bucket.get_blob("meta.txt")
    before = (blob.generation, blob.metageneration, blob.md5_hash, blob.crc32c, blob.content_type)
    assert blob.download_as_bytes() == data
    after = (blob.generation, blob.metageneration, blob.md5_hash, blob.crc32c, blob.content_type)
    assert after == before, "(generation, metageneration, md5Hash, crc32c, contentType) before and after download"
    assert blob.etag, "no ETag header on the download"


def test_list_with_prefix_and_delimiter(storage_backend, bucket):
    names = ["a/1", "a/2", "a/b/3", "b/1", "ab"]
    for n in names:
        bucket.blob(n).upload_from_string(n.encode())
    client = storage_backend.storage_client()
    assert sorted(b.name for b in client.list_blobs(bucket.name)) == sorted(names)
    assert sorted(b.name for b in client.list_blobs(bucket.name, prefix="a/")) == ["a/1", "a/2", "a/b/3"]
    assert sorted(b.name for b in client.list_blobs(bucket.name, prefix="a")) == ["a/1", "a/2", "a/b/3", "ab"]
    it = client.list_blobs(bucket.name, prefix="a/", delimiter="/")
    assert sorted(b.name for b in it) == ["a/1", "a/2"]
    assert sorted(it.prefixes) == ["a/b/"]


ODD_NAMES = [
    "dir with spaces/file name.txt",
    "ünïcödé/日本語-ファイル.bin",
    "percent%2Fencoded%41%zz",
    "%",
    "y/trailing..",
    "plus+and&equals=question?hash#",
]
DOT_SEGMENT_NAMES = [
    "x/./y/dot-segment-conformance",
    "a/../../escape-attempt-conformance",
    "../escape-too-conformance",
]
# Pieces of the names above that must never show up as file names on disk.
NAME_PIECES = ["file name.txt", "日本語", "escape-attempt-conformance", "escape-too-conformance", "dot-segment-conformance",
               "percent%2Fencoded", "trailing..", "plus+and"]


def assert_names_not_on_disk(backend):
    if not backend.data_dir:
        return
    root = os.path.dirname(backend.data_dir)  # data dir, logs, exchanges
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.join(dirpath, n) for n in dirnames + filenames if any(p in n for p in NAME_PIECES)]
    outside = os.path.dirname(root)  # where a '..' escape from the data dir would land first
    found += [os.path.join(outside, n) for n in os.listdir(outside) if any(p in n for p in NAME_PIECES)]
    assert not found, f"object names became file names: {found}"


def round_trip(backend, bucket, names):
    for i, name in enumerate(names):
        bucket.blob(name).upload_from_string(f"{i}:{name}".encode())
    client = backend.storage_client()
    assert sorted(b.name for b in client.list_blobs(bucket.name)) == sorted(names)
    for i, name in enumerate(names):
        got = bucket.get_blob(name)
        assert got is not None, name
        assert got.name == name
        if backend.name != "emulator":  # the emulator's mediaLink does not percent-encode the name
            assert got.download_as_bytes() == f"{i}:{name}".encode(), name  # via its mediaLink
        assert bucket.blob(name).download_as_bytes() == f"{i}:{name}".encode(), name  # client-built URL
    assert_names_not_on_disk(backend)
    for name in names:
        bucket.blob(name).delete()
    assert list(client.list_blobs(bucket.name)) == []


def test_odd_object_names_round_trip(storage_backend, bucket):
    round_trip(storage_backend, bucket, ODD_NAMES)


def test_dot_segment_object_names_round_trip(storage_backend, bucket):
    skip_on_emulator(storage_backend, "drops the connection on names with '..' segments (ValueError: invalid path), "
                     "and its mediaLink does not percent-encode '/', so '/./' is normalized away")
    round_trip(storage_backend, bucket, DOT_SEGMENT_NAMES)


def test_delete_object(storage_backend, bucket):
    bucket.blob("gone.txt").upload_from_string(b"bye")
    bucket.blob("kept.txt").upload_from_string(b"stay")
    bucket.blob("gone.txt").delete()
    assert bucket.get_blob("gone.txt") is None
    with pytest.raises(gexc.NotFound):
        bucket.blob("gone.txt").download_as_bytes()
    with pytest.raises(gexc.NotFound):
        bucket.blob("gone.txt").delete()
    assert [b.name for b in storage_backend.storage_client().list_blobs(bucket.name)] == ["kept.txt"]


def test_object_json_fields(storage_backend, bucket):
    """Raw JSON of an object: int64s as strings, base64 hashes, and a mediaLink that works."""
    data = b"fields"
    bucket.blob("f.txt").upload_from_string(data, content_type="text/plain")
    s = storage_backend.session()
    r = s.get(f"{storage_backend.base}/storage/v1/b/{bucket.name}/o/f.txt")
    assert r.status_code == 200
    obj = r.json()
    assert obj["kind"] == "storage#object"
    assert obj["bucket"] == bucket.name
    assert_object(obj, "f.txt", data)
    media = s.get(obj["mediaLink"])
    assert media.status_code == 200 and media.content == data
    r = s.get(f"{storage_backend.base}/storage/v1/b/{bucket.name}")
    assert r.status_code == 200 and r.json()["kind"] == "storage#bucket"
    assert json.loads(r.text)["name"] == bucket.name
