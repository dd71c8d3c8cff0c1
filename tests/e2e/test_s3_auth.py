"""S3 authentication and tenancy: bad signatures and keys, anonymous requests, presigned URLs (curl),
aws-chunked bodies, key administration, and isolation of one tenant's buckets from another's."""
import subprocess
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from conftest import cli, create_tenant
from s3_support import (assert_xml_error, create_s3_key, etag_of, parse_error, random_bytes, read_body, s3_error,
                        sign, signed_streaming_put, unique_bucket, unsigned_trailer_put)


@pytest.fixture(scope="module")
def owned(s3):
    """A bucket of the default tenant holding one object."""
    name = unique_bucket("owned")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="secret.txt", Body=b"tenant one only", Metadata={"m": "1"})
    return name


@pytest.fixture(scope="module")
def intruder(server, s3_endpoint):
    """A boto3 client of a second tenant on the same appliance."""
    create_tenant(server.data_dir, "intruder")
    key_id, secret = create_s3_key(server.data_dir, "intruder", name="intruder key")
    return s3_endpoint.client(key_id, secret)


def bucket_names(client):
    return [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]


# --- signatures and keys -----------------------------------------------------------------------

def test_a_wrong_secret_is_signature_does_not_match(s3_endpoint, owned):
    client = s3_endpoint.client(secret="x" * 40)
    with s3_error("SignatureDoesNotMatch", 403):
        client.list_buckets()
    with s3_error("SignatureDoesNotMatch", 403):
        client.get_object(Bucket=owned, Key="secret.txt")
    with s3_error("SignatureDoesNotMatch", 403):
        client.put_object(Bucket=owned, Key="forged.txt", Body=b"x")
    with s3_error("NoSuchKey", 404):
        s3_endpoint.client().get_object(Bucket=owned, Key="forged.txt")


def test_an_unknown_access_key_is_invalid_access_key_id(s3_endpoint, owned):
    client = s3_endpoint.client(key_id="AKIANOSUCHKEY0000000", secret="x" * 40)
    with s3_error("InvalidAccessKeyId", 403):
        client.list_buckets()
    with s3_error("InvalidAccessKeyId", 403):
        client.get_object(Bucket=owned, Key="secret.txt")


def test_anonymous_requests_are_access_denied(s3, s3_endpoint, owned):
    for method, path in [("GET", "/"), ("GET", f"/{owned}"), ("GET", f"/{owned}/secret.txt"), ("PUT", f"/{owned}/anon.txt"),
                         ("DELETE", f"/{owned}/secret.txt"), ("PUT", f"/{unique_bucket('anon')}")]:
        response = requests.request(method, s3_endpoint.url + path, data=b"anonymous" if method == "PUT" else None, timeout=30)
        assert_xml_error(response, 403, "AccessDenied")
    assert read_body(s3, owned, "secret.txt")[0] == b"tenant one only"
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=owned, Key="anon.txt")


def test_a_body_other_than_the_signed_one_is_refused(s3, s3_endpoint, owned):
    """The body must hash to the x-amz-content-sha256 the request was signed with."""
    signed_for, sent = b"the body that was signed", b"a forged body, same size"
    assert len(signed_for) == len(sent)
    headers = sign("PUT", f"http://{s3_endpoint.netloc}/{owned}/swapped.txt", s3_endpoint.key_id, s3_endpoint.secret,
                   s3_endpoint.region, body=signed_for)
    headers["Host"] = s3_endpoint.netloc
    response = requests.put(s3_endpoint.url + f"/{owned}/swapped.txt", data=sent, headers=headers, timeout=30)
    assert response.status_code in (400, 403), response.text
    assert parse_error(response.content)["Code"] in ("XAmzContentSHA256Mismatch", "SignatureDoesNotMatch", "BadDigest")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=owned, Key="swapped.txt")


def test_signed_aws_chunked_upload(s3, s3_endpoint, owned):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD: the decoded bytes are stored, not the chunk framing."""
    data = random_bytes(200_000)
    response = signed_streaming_put(s3_endpoint, owned, "chunked/signed.bin", data)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == etag_of(data)
    body, got = read_body(s3, owned, "chunked/signed.bin")
    assert body == data and got["ContentLength"] == len(data)


def test_a_bad_chunk_signature_is_refused(s3, s3_endpoint, owned):
    response = signed_streaming_put(s3_endpoint, owned, "chunked/corrupt.bin", random_bytes(200_000), corrupt_chunk=1)
    assert_xml_error(response, 403, "SignatureDoesNotMatch")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=owned, Key="chunked/corrupt.bin")


def test_unsigned_payload_with_checksum_trailer(s3, s3_endpoint, owned):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER, framed by botocore's own encoder, as current SDKs upload."""
    data = random_bytes(150_000)
    response = unsigned_trailer_put(s3_endpoint, owned, "chunked/trailer.bin", data)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == etag_of(data)
    assert read_body(s3, owned, "chunked/trailer.bin")[0] == data


# --- presigned URLs through curl -------------------------------------------------------------------

def curl(*args):
    result = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


def curl_get(url, path):
    return curl("-o", str(path), "-w", "%{http_code}", url)


def test_presigned_get_with_curl(s3, owned, tmp_path):
    data = random_bytes(123_457)
    s3.put_object(Bucket=owned, Key="presigned/get me.bin", Body=data)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": owned, "Key": "presigned/get me.bin"}, ExpiresIn=300)
    out = tmp_path / "out.bin"
    assert curl_get(url, out) == 200
    assert out.read_bytes() == data


def test_presigned_put_with_curl(s3, owned, tmp_path):
    data = random_bytes(50_000)
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    url = s3.generate_presigned_url("put_object", Params={"Bucket": owned, "Key": "presigned/put.bin"}, ExpiresIn=300)
    assert curl("-T", str(source), "-o", str(tmp_path / "response"), "-w", "%{http_code}", url) == 200
    body, got = read_body(s3, owned, "presigned/put.bin")
    assert body == data and got["ETag"] == etag_of(data)


def test_an_expired_presigned_url_is_403(s3, owned, tmp_path):
    s3.put_object(Bucket=owned, Key="presigned/short-lived", Body=b"soon gone")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": owned, "Key": "presigned/short-lived"}, ExpiresIn=1)
    time.sleep(2.5)
    out = tmp_path / "expired.xml"
    assert curl_get(url, out) == 403
    error = parse_error(out.read_bytes())
    assert error["Code"] == "AccessDenied" and "Request has expired" in error["Message"]


def test_a_tampered_presigned_url_is_signature_does_not_match(s3, owned, tmp_path):
    s3.put_object(Bucket=owned, Key="presigned/guarded", Body=b"guarded")
    s3.put_object(Bucket=owned, Key="presigned/other", Body=b"other")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": owned, "Key": "presigned/guarded"}, ExpiresIn=300)
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert "X-Amz-Expires=300&" in url
    attempts = {
        "signature": url.replace(f"X-Amz-Signature={signature}", f"X-Amz-Signature={flipped}"),
        "key": url.replace("/presigned/guarded?", "/presigned/other?"),
        "expiry": url.replace("X-Amz-Expires=300&", "X-Amz-Expires=604800&"),
    }
    assert all(tampered != url for tampered in attempts.values())
    for what, tampered in attempts.items():
        out = tmp_path / f"{what}.xml"
        assert curl_get(tampered, out) == 403, what
        assert parse_error(out.read_bytes())["Code"] == "SignatureDoesNotMatch", what


# --- key administration -----------------------------------------------------------------------------

def test_s3_key_create_list_and_revoke(server, s3_endpoint, owned):
    key_id, secret = create_s3_key(server.data_dir, "default", name="deploy-bot")
    second = s3_endpoint.client(key_id, secret)
    assert owned in bucket_names(second), "a second key of the tenant sees the tenant's buckets"
    assert second.get_object(Bucket=owned, Key="secret.txt")["Body"].read() == b"tenant one only"

    listed = cli("admin", "s3-key", "list", "--data-dir", server.data_dir, "--tenant", "default", check=True).stdout
    lines = [line for line in listed.splitlines() if line.strip()]
    by_id = {line.split()[0]: line for line in lines}
    assert s3_endpoint.key_id in by_id and key_id in by_id, listed
    assert "deploy-bot" in by_id[key_id]
    assert secret not in listed and s3_endpoint.secret not in listed, "list never shows a secret"

    cli("admin", "s3-key", "revoke", "--data-dir", server.data_dir, key_id, check=True)
    with s3_error("InvalidAccessKeyId", 403):
        second.list_buckets()
    with s3_error("InvalidAccessKeyId", 403):
        second.get_object(Bucket=owned, Key="secret.txt")
    assert owned in bucket_names(s3_endpoint.client()), "the tenant's other key keeps working"


def test_s3_key_create_for_an_unknown_tenant_fails(server):
    result = cli("admin", "s3-key", "create", "--data-dir", server.data_dir, "--tenant", "no-such-tenant")
    assert result.returncode != 0
    assert "\t" not in result.stdout


# --- tenancy ------------------------------------------------------------------------------------------

def test_another_tenant_gets_403_on_every_operation(s3, intruder, owned):
    with s3_error("AccessDenied", 403):
        intruder.list_objects_v2(Bucket=owned)
    with s3_error("AccessDenied", 403):
        intruder.list_objects(Bucket=owned)
    with s3_error("AccessDenied", 403):
        intruder.get_object(Bucket=owned, Key="secret.txt")
    with s3_error("403", 403):
        intruder.head_object(Bucket=owned, Key="secret.txt")
    with s3_error("403", 403):
        intruder.head_bucket(Bucket=owned)
    with s3_error("AccessDenied", 403):
        intruder.put_object(Bucket=owned, Key="secret.txt", Body=b"overwritten")
    with s3_error("AccessDenied", 403):
        intruder.put_object(Bucket=owned, Key="planted.txt", Body=b"planted")
    with s3_error("AccessDenied", 403):
        intruder.delete_object(Bucket=owned, Key="secret.txt")
    with s3_error("AccessDenied", 403):
        intruder.delete_objects(Bucket=owned, Delete={"Objects": [{"Key": "secret.txt"}]})
    with s3_error("AccessDenied", 403):
        intruder.delete_bucket(Bucket=owned)
    with s3_error("AccessDenied", 403):
        intruder.get_bucket_location(Bucket=owned)
    with s3_error("AccessDenied", 403):
        intruder.create_multipart_upload(Bucket=owned, Key="mp")
    with s3_error("AccessDenied", 403):
        intruder.list_multipart_uploads(Bucket=owned)

    body, got = read_body(s3, owned, "secret.txt")
    assert body == b"tenant one only" and got["Metadata"] == {"m": "1"}, "the owner's object is unchanged"
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=owned).get("Contents", []) if item["Key"] == "planted.txt"] == []


def test_another_tenant_cannot_copy_out_of_or_into_a_foreign_bucket(s3, intruder, owned):
    theirs = unique_bucket("theirs")
    intruder.create_bucket(Bucket=theirs)
    intruder.put_object(Bucket=theirs, Key="mine.txt", Body=b"intruder data")
    with s3_error("AccessDenied", 403):
        intruder.copy_object(Bucket=theirs, Key="stolen.txt", CopySource={"Bucket": owned, "Key": "secret.txt"})
    with s3_error("AccessDenied", 403):
        intruder.copy_object(Bucket=owned, Key="pushed.txt", CopySource={"Bucket": theirs, "Key": "mine.txt"})
    upload_id = intruder.create_multipart_upload(Bucket=theirs, Key="assembled")["UploadId"]
    with s3_error("AccessDenied", 403):
        intruder.upload_part_copy(Bucket=theirs, Key="assembled", UploadId=upload_id, PartNumber=1,
                                  CopySource={"Bucket": owned, "Key": "secret.txt"})
    intruder.abort_multipart_upload(Bucket=theirs, Key="assembled", UploadId=upload_id)
    with s3_error("NoSuchKey", 404):
        intruder.get_object(Bucket=theirs, Key="stolen.txt")
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=owned, Key="pushed.txt")


def test_list_buckets_shows_only_the_tenants_buckets(s3, intruder, owned):
    theirs = unique_bucket("theirs")
    intruder.create_bucket(Bucket=theirs)
    mine, their_names = set(bucket_names(s3)), set(bucket_names(intruder))
    assert owned in mine and owned not in their_names
    assert theirs in their_names and theirs not in mine
    assert not mine & their_names
    with s3_error("AccessDenied", 403):
        s3.list_objects_v2(Bucket=theirs)


def test_bucket_names_are_global(s3, intruder, owned):
    with s3_error("BucketAlreadyExists", 409):
        intruder.create_bucket(Bucket=owned)
    with s3_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=owned)
    assert owned not in bucket_names(intruder)
    assert read_body(s3, owned, "secret.txt")[0] == b"tenant one only"
