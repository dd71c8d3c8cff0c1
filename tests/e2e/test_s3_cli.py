"""The aws CLI (v1) against the S3 listener: mb, cp (multipart up, ranged down), ls, sync, rm, rb, s3api."""
import json

import pytest

from s3_support import MiB, etag_of, file_sha256, multipart_etag, random_bytes, read_body, run_aws, split_parts, unique_bucket


@pytest.fixture
def aws(s3_endpoint, tmp_path):
    """aws(*args) → CompletedProcess, with only the listener's key and region configured."""
    home = tmp_path / "home"
    home.mkdir()
    return lambda *args: run_aws(s3_endpoint, home, *args)


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def listed_buckets(aws):
    return [line.split()[-1] for line in ok(aws("s3", "ls")).splitlines() if line.strip()]


def test_mb_ls_rb(aws):
    bucket = unique_bucket("cli-mb")
    assert f"make_bucket: {bucket}" in ok(aws("s3", "mb", f"s3://{bucket}"))
    assert bucket in listed_buckets(aws)
    assert ok(aws("s3", "ls", f"s3://{bucket}")) == ""
    assert f"remove_bucket: {bucket}" in ok(aws("s3", "rb", f"s3://{bucket}"))
    assert bucket not in listed_buckets(aws)


def test_cp_of_64_mib_is_a_multipart_upload_and_round_trips(aws, s3, tmp_path):
    """The CLI uploads in 8 MiB parts above its 8 MiB threshold and downloads with ranged GETs."""
    bucket = unique_bucket("cli-cp")
    ok(aws("s3", "mb", f"s3://{bucket}"))
    data = random_bytes(64 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    ok(aws("s3", "cp", str(source), f"s3://{bucket}/data/big.bin"))

    head = json.loads(ok(aws("s3api", "head-object", "--bucket", bucket, "--key", "data/big.bin")))
    assert head["ContentLength"] == 64 * MiB
    assert head["ETag"] == multipart_etag(split_parts(data, 8 * MiB))
    assert head["ETag"].endswith('-8"')

    lines = [line.split() for line in ok(aws("s3", "ls", f"s3://{bucket}/data/")).splitlines() if line.strip()]
    assert [(fields[-2], fields[-1]) for fields in lines] == [(str(64 * MiB), "big.bin")]
    prefixes = ok(aws("s3", "ls", f"s3://{bucket}/")).split()
    assert prefixes == ["PRE", "data/"]

    target = tmp_path / "down.bin"
    ok(aws("s3", "cp", f"s3://{bucket}/data/big.bin", str(target)))
    assert file_sha256(target) == file_sha256(source)
    del data


def test_rb_of_a_non_empty_bucket_fails_until_rm(aws, s3, tmp_path):
    bucket = unique_bucket("cli-rm")
    ok(aws("s3", "mb", f"s3://{bucket}"))
    small = tmp_path / "small.txt"
    small.write_bytes(b"small file\n")
    ok(aws("s3", "cp", str(small), f"s3://{bucket}/small.txt"))
    refused = aws("s3", "rb", f"s3://{bucket}")
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr + refused.stdout
    assert bucket in listed_buckets(aws)
    assert f"delete: s3://{bucket}/small.txt" in ok(aws("s3", "rm", f"s3://{bucket}/small.txt"))
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    ok(aws("s3", "rb", f"s3://{bucket}"))
    assert bucket not in listed_buckets(aws)


def test_s3api_put_object_of_a_small_file(aws, s3, tmp_path):
    bucket = unique_bucket("cli-api")
    s3.create_bucket(Bucket=bucket)
    data = b"put through s3api\n" * 100
    source = tmp_path / "api.txt"
    source.write_bytes(data)
    put = json.loads(ok(aws("s3api", "put-object", "--bucket", bucket, "--key", "api/put.txt", "--body", str(source),
                            "--content-type", "text/plain", "--metadata", "origin=cli")))
    assert put["ETag"] == etag_of(data)
    body, got = read_body(s3, bucket, "api/put.txt")
    assert body == data and got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "cli"}
    listed = json.loads(ok(aws("s3api", "list-objects-v2", "--bucket", bucket)))
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed["Contents"]] == [("api/put.txt", len(data), etag_of(data))]


def test_sync_uploads_a_tree_once(aws, s3, tmp_path):
    """sync uploads every file; a second sync finds nothing to do (sizes and times agree)."""
    bucket = unique_bucket("cli-sync")
    ok(aws("s3", "mb", f"s3://{bucket}"))
    tree = tmp_path / "tree"
    files = {"a.txt": b"a", "sub/b.bin": random_bytes(70_000), "sub/deeper/c with space.txt": b"c", "empty": b""}
    for name, data in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    ok(aws("s3", "sync", str(tree), f"s3://{bucket}/tree"))
    for name, data in files.items():
        assert read_body(s3, bucket, f"tree/{name}")[0] == data, name
    assert ok(aws("s3", "sync", str(tree), f"s3://{bucket}/tree")) == "", "nothing changed, nothing uploaded"
    recursive = ok(aws("s3", "ls", "--recursive", f"s3://{bucket}"))
    assert sorted(line.split(None, 3)[3] for line in recursive.splitlines() if line.strip()) == sorted(f"tree/{n}" for n in files)
