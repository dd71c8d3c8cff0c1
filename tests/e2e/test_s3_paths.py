"""Object keys are names, never paths: hostile keys round-trip exactly and write nothing outside the data directory.

The appliance runs on a data directory three levels below a folder of its own, so that a key joined
onto a file path would show up there; keys that would climb to the filesystem root aim at /tmp markers.
"""
import os
import uuid

import pytest

from s3_support import PersistentS3Server, etag_of, list_keys_v2, random_bytes, read_body

MARKER = f"s3-escape-{uuid.uuid4().hex[:12]}"

HOSTILE_KEYS = [
    "../../etc/passwd",
    "/abs/path",
    "a/../../b",
    "../../../" + MARKER + "-three-up",
    "../" * 40 + f"tmp/{MARKER}-deep",
    f"/tmp/{MARKER}-absolute",
    "..\\..\\backslash\\escape",
    "./dot/./segments/.",
    "double//slash",
    "trailing/",
    "with space/and more spaces ",
    "ünïcødé/日本語/😀.txt",
    "100%/%2e%2e/%2F%00",
    "a+b=c&d",
    "question?mark=1",
    "hash#fragment",
    "semi;colon,comma:colon",
    "~tilde'quote\"",
    "<xml>&amp;</xml>",
    "long/" + "k" * 1019,  # 1,024 bytes: S3's longest key
]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    outer = tmp_path_factory.mktemp("s3-paths")
    data = outer / "l1" / "l2" / "data"
    data.parent.mkdir(parents=True)
    running = PersistentS3Server(data)
    running.start()
    yield outer, running
    running.stop()


def entries_outside(outer, data_dir):
    """Every file and folder below `outer` that is not inside `data_dir`."""
    found = set()
    for root, dirs, files in os.walk(outer):
        if os.path.realpath(root) == os.path.realpath(data_dir):
            dirs[:] = []
            continue
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.realpath(path) != os.path.realpath(data_dir):
                found.add(os.path.relpath(path, outer))
    return found


def test_hostile_keys_round_trip_and_stay_inside_the_data_dir(node):
    outer, running = node
    client = running.endpoint.client()
    bucket = "hostile-keys"
    client.create_bucket(Bucket=bucket)
    absolute_existed = os.path.exists("/abs")
    before = entries_outside(outer, running.data_dir)
    assert before == {"l1", os.path.join("l1", "l2")}

    payloads = {key: key.encode() + random_bytes(100) for key in HOSTILE_KEYS}
    for key, data in payloads.items():
        assert client.put_object(Bucket=bucket, Key=key, Body=data)["ETag"] == etag_of(data), key
    for key, data in payloads.items():
        body, got = read_body(client, bucket, key)
        assert body == data, key
        assert client.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data), key
    assert list_keys_v2(client, bucket) == sorted(HOSTILE_KEYS)
    assert [item["Key"] for item in client.list_objects(Bucket=bucket)["Contents"]] == sorted(HOSTILE_KEYS)

    assert entries_outside(outer, running.data_dir) == before, "nothing may appear beside the data directory"
    for escaped in (f"/tmp/{MARKER}-deep", f"/tmp/{MARKER}-absolute", f"/{MARKER}-three-up", f"/tmp/{MARKER}-three-up"):
        assert not os.path.exists(escaped), escaped
    assert os.path.exists("/abs") == absolute_existed

    # Deleting by the same names removes exactly those objects, again without touching the filesystem outside.
    for key in HOSTILE_KEYS[:6]:
        client.delete_object(Bucket=bucket, Key=key)
    assert list_keys_v2(client, bucket) == sorted(HOSTILE_KEYS[6:])
    assert entries_outside(outer, running.data_dir) == before
