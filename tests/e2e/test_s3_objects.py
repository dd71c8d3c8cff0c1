"""S3 objects over boto3: round trips, ETags, ranges, conditions, metadata, copy, deletes, errors, addressing."""
import datetime
import time
from urllib.parse import quote

import pytest
import requests

from s3_support import (EMPTY_MD5, MiB, assert_xml_error, content_md5, error_status, etag_of, random_bytes, read_body,
                        s3_error, sha256_hex, sign, signed_request, status_of, unique_bucket)
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("objects")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def other_bucket(s3):
    name = unique_bucket("objects-other")
    s3.create_bucket(Bucket=name)
    return name


THOUSAND = bytes(range(250)) * 4  # 1000 bytes whose every offset is recognisable


@pytest.fixture(scope="module")
def thousand(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ranges/thousand.bin", Body=THOUSAND)
    return "ranges/thousand.bin"


def test_empty_object_round_trip(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == f'"{EMPTY_MD5}"'
    body, got = read_body(s3, bucket, "empty")
    assert body == b"" and got["ContentLength"] == 0 and got["ETag"] == f'"{EMPTY_MD5}"'
    head = s3.head_object(Bucket=bucket, Key="empty")
    assert head["ContentLength"] == 0 and head["ETag"] == f'"{EMPTY_MD5}"'


def test_20_mib_object_round_trip(s3, bucket):
    """A single 20 MiB PUT: ETag is the MD5; the download has the same SHA-256."""
    data = random_bytes(20 * MiB)
    put = s3.put_object(Bucket=bucket, Key="big/20mib.bin", Body=data)
    assert put["ETag"] == etag_of(data)
    body, got = read_body(s3, bucket, "big/20mib.bin")
    assert got["ContentLength"] == 20 * MiB and got["ETag"] == etag_of(data)
    assert sha256_hex(body) == sha256_hex(data)
    assert s3.head_object(Bucket=bucket, Key="big/20mib.bin")["ContentLength"] == 20 * MiB


def test_an_overwrite_replaces_content_and_etag(s3, bucket):
    s3.put_object(Bucket=bucket, Key="overwrite", Body=b"first version", Metadata={"v": "1"})
    second = b"second, longer version"
    assert s3.put_object(Bucket=bucket, Key="overwrite", Body=second)["ETag"] == etag_of(second)
    body, got = read_body(s3, bucket, "overwrite")
    assert body == second and got["ETag"] == etag_of(second)
    assert got["Metadata"] == {}, "an overwrite does not inherit the old metadata"


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-0", 0, 0),
    ("bytes=10-19", 10, 19),
    ("bytes=0-999", 0, 999),
    ("bytes=990-", 990, 999),
    ("bytes=-25", 975, 999),
    ("bytes=900-5000", 900, 999),
])
def test_satisfiable_ranges_are_206_with_content_range(s3, bucket, thousand, header, first, last):
    body, got = read_body(s3, bucket, thousand, Range=header)
    assert status_of(got) == 206
    assert got["ContentRange"] == f"bytes {first}-{last}/1000"
    assert got["ContentLength"] == last - first + 1
    assert body == THOUSAND[first:last + 1]
    assert got["ETag"] == etag_of(THOUSAND), "a part carries the whole object's ETag"


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000"])
def test_unsatisfiable_ranges_are_416(s3, bucket, thousand, header):
    with s3_error("InvalidRange", 416):
        s3.get_object(Bucket=bucket, Key=thousand, Range=header)


def test_conditional_gets(s3, bucket):
    data = b"conditional content"
    etag = s3.put_object(Bucket=bucket, Key="conditional", Body=data)["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="conditional")["LastModified"]
    day = datetime.timedelta(days=1)
    later = modified + datetime.timedelta(seconds=1)
    # A date in the future may be ignored as invalid: wait until `later` is in the past.
    time.sleep(max(0.0, later.timestamp() - time.time() + 0.05))

    def get(**conditions):
        return s3.get_object(Bucket=bucket, Key="conditional", **conditions)

    assert get(IfMatch=etag)["Body"].read() == data
    with s3_error("PreconditionFailed", 412):
        get(IfMatch='"00000000000000000000000000000000"')
    with s3_error("304", 304):
        get(IfNoneMatch=etag)
    assert get(IfNoneMatch='"00000000000000000000000000000000"')["Body"].read() == data
    assert get(IfModifiedSince=modified - day)["Body"].read() == data
    with s3_error("304", 304):
        get(IfModifiedSince=later)
    assert get(IfUnmodifiedSince=later)["Body"].read() == data
    with s3_error("PreconditionFailed", 412):
        get(IfUnmodifiedSince=modified - day)
    # HEAD follows the same rules, without a body.
    with s3_error("304", 304):
        s3.head_object(Bucket=bucket, Key="conditional", IfNoneMatch=etag)
    with s3_error("412", 412):
        s3.head_object(Bucket=bucket, Key="conditional", IfMatch='"00000000000000000000000000000000"')


def test_metadata_and_content_type_round_trip(s3, bucket):
    metadata = {"color": "blue", "owner-id": "42", "with-spaces": "a b c"}
    s3.put_object(Bucket=bucket, Key="meta.txt", Body=b"{}", Metadata=metadata, ContentType="application/x-test; charset=utf-8")
    body, got = read_body(s3, bucket, "meta.txt")
    assert body == b"{}"
    assert got["Metadata"] == metadata
    assert got["ContentType"] == "application/x-test; charset=utf-8"
    head = s3.head_object(Bucket=bucket, Key="meta.txt")
    assert head["Metadata"] == metadata and head["ContentType"] == "application/x-test; charset=utf-8"
    assert head["ContentLength"] == 2 and head["ETag"] == etag_of(b"{}")


def test_content_md5_is_checked(s3, bucket):
    data = b"checked bytes"
    assert s3.put_object(Bucket=bucket, Key="md5-good", Body=data, ContentMD5=content_md5(data))["ETag"] == etag_of(data)
    with s3_error("BadDigest", 400):
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=data, ContentMD5=content_md5(b"other bytes"))
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="md5-bad")


def test_copy_in_the_same_bucket_keeps_content_and_metadata(s3, bucket):
    data = random_bytes(300_000)
    source = "copy/src dir/ü+ñ #1.bin"
    etag = s3.put_object(Bucket=bucket, Key=source, Body=data, Metadata={"origin": "source"}, ContentType="image/png")["ETag"]
    copied = s3.copy_object(Bucket=bucket, Key="copy/dest.bin", CopySource={"Bucket": bucket, "Key": source})
    assert copied["CopyObjectResult"]["ETag"] == etag
    body, got = read_body(s3, bucket, "copy/dest.bin")
    assert body == data and got["ETag"] == etag
    assert got["Metadata"] == {"origin": "source"} and got["ContentType"] == "image/png"
    assert read_body(s3, bucket, source)[0] == data, "the source is untouched"


def test_copy_to_another_bucket_with_replaced_metadata(s3, bucket, other_bucket):
    data = b"copy me across"
    s3.put_object(Bucket=bucket, Key="copy/across", Body=data, Metadata={"old": "1"}, ContentType="text/plain")
    s3.copy_object(Bucket=other_bucket, Key="landed", CopySource={"Bucket": bucket, "Key": "copy/across"},
                   MetadataDirective="REPLACE", Metadata={"new": "2"}, ContentType="application/json")
    body, got = read_body(s3, other_bucket, "landed")
    assert body == data and got["ETag"] == etag_of(data)
    assert got["Metadata"] == {"new": "2"} and got["ContentType"] == "application/json"
    assert s3.head_object(Bucket=bucket, Key="copy/across")["Metadata"] == {"old": "1"}


def test_copy_onto_itself_replaces_metadata(s3, bucket):
    data = b"same bytes, new metadata"
    s3.put_object(Bucket=bucket, Key="copy/self", Body=data, Metadata={"v": "1"})
    s3.copy_object(Bucket=bucket, Key="copy/self", CopySource={"Bucket": bucket, "Key": "copy/self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    body, got = read_body(s3, bucket, "copy/self")
    assert body == data and got["Metadata"] == {"v": "2"}


def test_copy_from_a_missing_source(s3, bucket):
    with s3_error("NoSuchKey", 404):
        s3.copy_object(Bucket=bucket, Key="copy/never", CopySource={"Bucket": bucket, "Key": "copy/no-such-source"})
    with s3_error("NoSuchBucket", 404):
        s3.copy_object(Bucket=bucket, Key="copy/never", CopySource={"Bucket": unique_bucket("absent"), "Key": "k"})
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="copy/never")


def test_delete_object_is_204_also_when_absent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="delete/me", Body=b"x")
    assert status_of(s3.delete_object(Bucket=bucket, Key="delete/me")) == 204
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="delete/me")
    assert status_of(s3.delete_object(Bucket=bucket, Key="delete/me")) == 204
    assert status_of(s3.delete_object(Bucket=bucket, Key="delete/never-existed")) == 204


def test_delete_objects_reports_each_key_including_missing_ones(s3, bucket):
    for key in ("batch/a", "batch/b", "batch/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "batch/a"}, {"Key": "batch/b"}, {"Key": "batch/missing"}]})
    assert sorted(item["Key"] for item in result["Deleted"]) == ["batch/a", "batch/b", "batch/missing"]
    assert result.get("Errors", []) == []
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="batch/").get("Contents", [])] == ["batch/c"]


def test_delete_objects_quiet_reports_nothing_and_deletes(s3, bucket):
    keys = [f"quiet/{i}" for i in range(20)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"q")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    assert result.get("Deleted", []) == [] and result.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket=bucket, Prefix="quiet/")["KeyCount"] == 0


def test_a_missing_key_is_404(s3, s3_endpoint, bucket):
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key="no/such/key")
    with s3_error("404", 404):
        s3.head_object(Bucket=bucket, Key="no/such/key")
    fields = assert_xml_error(signed_request(s3_endpoint, "GET", f"/{bucket}/no/such/key"), 404, "NoSuchKey")
    assert fields["Message"]
    head = signed_request(s3_endpoint, "HEAD", f"/{bucket}/no/such/key")
    assert head.status_code == 404


@pytest.mark.parametrize("call", [
    lambda s3, b, k: s3.get_object_tagging(Bucket=b, Key=k),
    lambda s3, b, k: s3.put_object_tagging(Bucket=b, Key=k, Tagging={"TagSet": [{"Key": "t", "Value": "v"}]}),
    lambda s3, b, k: s3.get_object_acl(Bucket=b, Key=k),
], ids=["get-tagging", "put-tagging", "get-acl"])
def test_unsupported_object_operations_are_501(s3, bucket, thousand, call):
    with s3_error("NotImplemented", 501):
        call(s3, bucket, thousand)
    assert read_body(s3, bucket, thousand)[0] == THOUSAND


def test_a_key_with_nul_is_refused(s3, bucket):
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="nul\x00key", Body=b"x")
    assert error_status(raised.value) == 400
    assert s3.list_objects_v2(Bucket=bucket, Prefix="nul")["KeyCount"] == 0


def virtual_request(endpoint, method, bucket, path, host_domain="localhost", body=b"", query=""):
    """A request signed for virtual-hosted style (`http://BUCKET.localhost:PORT/path`), sent to the
    loopback address with that Host header."""
    host = f"{bucket}.{host_domain}:{endpoint.port}"
    suffix = path + (f"?{query}" if query else "")
    headers = sign(method, f"http://{host}{suffix}", endpoint.key_id, endpoint.secret, endpoint.region, body=body)
    headers["Host"] = host
    return requests.request(method, endpoint.url + suffix, data=body or None, headers=headers, timeout=60)


def test_virtual_hosted_style_put_get_list_delete(s3, s3_endpoint, bucket):
    data = random_bytes(10_000)
    key = "virtual/hosted object.bin"
    path = "/" + quote(key)
    put = virtual_request(s3_endpoint, "PUT", bucket, path, body=data)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == etag_of(data)
    got = virtual_request(s3_endpoint, "GET", bucket, path)
    assert got.status_code == 200 and got.content == data
    # The same object, path style through boto3: the Host names the bucket or the path does, not both.
    assert read_body(s3, bucket, key)[0] == data
    listing = virtual_request(s3_endpoint, "GET", bucket, "/", query="list-type=2&prefix=virtual%2F")
    assert listing.status_code == 200
    assert f"<Key>{key}</Key>" in listing.text
    assert virtual_request(s3_endpoint, "DELETE", bucket, path).status_code == 204
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)


def test_localhost_host_is_path_style(s3, s3_endpoint, bucket):
    """`localhost:PORT` (the root domain itself) and `127.0.0.1:PORT` address buckets by path."""
    s3.put_object(Bucket=bucket, Key="pathstyle.txt", Body=b"by path")
    for host in (f"localhost:{s3_endpoint.port}", f"127.0.0.1:{s3_endpoint.port}"):
        response = signed_request(s3_endpoint, "GET", f"/{bucket}/pathstyle.txt", host=host)
        assert response.status_code == 200 and response.content == b"by path", (host, response.text)


def test_virtual_hosted_style_of_a_missing_bucket_is_no_such_bucket(s3_endpoint):
    response = virtual_request(s3_endpoint, "GET", unique_bucket("absent"), "/key")
    assert_xml_error(response, 404, "NoSuchBucket")


def test_conditional_writes_are_refused_not_ignored(s3, bucket):
    """If-None-Match: * (lock files) and If-Match on PUT are not implemented: 501, nothing stored."""
    for headers in ({"If-None-Match": "*"}, {"If-Match": '"0123"'}):
        def add(request, **_):
            for name, value in headers.items():
                request.headers[name] = value
        s3.meta.events.register_first("before-sign.s3.PutObject", add)
        try:
            with pytest.raises(ClientError) as raised:
                s3.put_object(Bucket=bucket, Key="locks/state.tflock", Body=b"lock")
        finally:
            s3.meta.events.unregister("before-sign.s3.PutObject", add)
        assert raised.value.response["Error"]["Code"] == "NotImplemented"
        assert error_status(raised.value) == 501
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="locks/")
