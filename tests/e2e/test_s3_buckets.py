"""S3 buckets over boto3: lifecycle, naming rules, missing buckets, unsupported bucket operations."""
import pytest

from s3_support import assert_xml_error, s3_error, signed_request, status_of, unique_bucket


def bucket_names(client):
    return [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]


def test_bucket_lifecycle(s3, s3_endpoint):
    """Create, head, list, locate; a non-empty bucket refuses deletion; an empty one goes away."""
    name = unique_bucket("life")
    assert status_of(s3.create_bucket(Bucket=name)) == 200
    assert status_of(s3.head_bucket(Bucket=name)) == 200
    listed = [bucket for bucket in s3.list_buckets()["Buckets"] if bucket["Name"] == name]
    assert len(listed) == 1 and listed[0]["CreationDate"] is not None
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == s3_endpoint.region

    s3.put_object(Bucket=name, Key="keep/me.txt", Body=b"content")
    with s3_error("BucketNotEmpty", 409):
        s3.delete_bucket(Bucket=name)
    assert status_of(s3.head_bucket(Bucket=name)) == 200, "a refused delete leaves the bucket"
    assert s3.get_object(Bucket=name, Key="keep/me.txt")["Body"].read() == b"content"

    assert status_of(s3.delete_object(Bucket=name, Key="keep/me.txt")) == 204
    assert status_of(s3.delete_bucket(Bucket=name)) == 204
    with s3_error("404", 404):
        s3.head_bucket(Bucket=name)
    assert name not in bucket_names(s3)
    with s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=name)


def test_a_deleted_bucket_name_can_be_created_again(s3):
    name = unique_bucket("again")
    s3.create_bucket(Bucket=name)
    s3.delete_bucket(Bucket=name)
    assert status_of(s3.create_bucket(Bucket=name)) == 200
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0


def test_creating_your_own_bucket_again_is_409_owned_by_you(s3):
    name = unique_bucket("owned")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    with s3_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=name)
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"v", "the repeated create leaves the contents"


def test_list_buckets_lists_every_bucket_created(s3):
    names = [unique_bucket("many") for _ in range(5)]
    for name in names:
        s3.create_bucket(Bucket=name)
    listed = bucket_names(s3)
    assert set(names) <= set(listed)
    assert len(listed) == len(set(listed)), "each bucket once"


@pytest.mark.parametrize("name", ["ab", "a" * 64, "UpperCase-bucket", "under_score"],
                         ids=["too-short", "too-long", "uppercase", "underscore"])
def test_invalid_bucket_names_are_400(s3, name):
    """Names must be 3–63 characters of lowercase letters, digits, hyphens and dots."""
    with s3_error("InvalidBucketName", 400):
        s3.create_bucket(Bucket=name)
    assert name not in bucket_names(s3)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "with.dots.and-hyphens-9", "0123456789"],
                         ids=["3-chars", "63-chars", "dots-hyphens", "digits"])
def test_valid_bucket_names_at_the_limits(s3, name):
    s3.create_bucket(Bucket=name)
    try:
        assert status_of(s3.head_bucket(Bucket=name)) == 200
        assert name in bucket_names(s3)
    finally:
        s3.delete_bucket(Bucket=name)


def test_a_missing_bucket_is_404_no_such_bucket_everywhere(s3):
    name = unique_bucket("absent")
    with s3_error("NoSuchBucket", 404):
        s3.list_objects_v2(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.list_objects(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.get_object(Bucket=name, Key="k")
    with s3_error("NoSuchBucket", 404):
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    with s3_error("NoSuchBucket", 404):
        s3.delete_bucket(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.get_bucket_location(Bucket=name)
    with s3_error("NoSuchBucket", 404):
        s3.create_multipart_upload(Bucket=name, Key="k")
    with s3_error("404", 404):
        s3.head_bucket(Bucket=name)
    assert name not in bucket_names(s3), "a PUT into a missing bucket does not create it"


def test_a_missing_bucket_is_an_s3_xml_error(s3_endpoint):
    name = unique_bucket("absent")
    fields = assert_xml_error(signed_request(s3_endpoint, "GET", f"/{name}", query="list-type=2"), 404, "NoSuchBucket")
    assert fields["Message"]


@pytest.fixture(scope="module")
def plain_bucket(s3):
    name = unique_bucket("plain")
    s3.create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize("call", [
    lambda s3, b: s3.get_bucket_acl(Bucket=b),
    lambda s3, b: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"}),
    lambda s3, b: s3.get_bucket_tagging(Bucket=b),
    lambda s3, b: s3.get_bucket_policy(Bucket=b),
    lambda s3, b: s3.get_bucket_lifecycle_configuration(Bucket=b),
], ids=["get-acl", "put-versioning", "get-tagging", "get-policy", "get-lifecycle"])
def test_unsupported_bucket_operations_are_501(s3, plain_bucket, call):
    with s3_error("NotImplemented", 501):
        call(s3, plain_bucket)
    assert s3.list_objects_v2(Bucket=plain_bucket)["KeyCount"] == 0


@pytest.mark.parametrize("method, query", [("GET", "acl="), ("PUT", "versioning="), ("GET", "tagging=")])
def test_unsupported_operations_answer_not_implemented_xml(s3_endpoint, plain_bucket, method, query):
    body = b'<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>' if method == "PUT" else b""
    response = signed_request(s3_endpoint, method, f"/{plain_bucket}", query=query, body=body)
    assert_xml_error(response, 501, "NotImplemented")
