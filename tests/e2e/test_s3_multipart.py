"""S3 multipart uploads over boto3: parts, listings, completion rules, abort, UploadPartCopy."""
import pytest

from s3_support import MiB, etag_of, multipart_etag, random_bytes, read_body, s3_error, sha256_hex, unique_bucket


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique_bucket("multipart")
    s3.create_bucket(Bucket=name)
    return name


def upload_parts(s3, bucket, key, upload_id, parts, first=1):
    return [{"PartNumber": number, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                                          PartNumber=number, Body=data)["ETag"]}
            for number, data in enumerate(parts, start=first)]


def upload_ids(s3, bucket, key):
    return [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) if u["Key"] == key]


def test_three_part_upload(s3, bucket):
    """5 MiB + 5 MiB + 1 MiB: listed while open, completed with the multipart ETag, then gone from the lists."""
    key = "mp/three parts.bin"
    parts = [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(1 * MiB)]
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, Metadata={"kind": "multipart"}, ContentType="application/x-parts")
    upload_id = created["UploadId"]
    assert created["Bucket"] == bucket and created["Key"] == key and upload_id

    # Part 2 first, then replaced: the last upload of a part number wins.
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=random_bytes(5 * MiB))
    done = upload_parts(s3, bucket, key, upload_id, parts)
    assert [p["ETag"] for p in done] == [etag_of(p) for p in parts]

    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == \
        [(n, etag_of(p), len(p)) for n, p in enumerate(parts, start=1)]
    assert listed["UploadId"] == upload_id
    assert upload_ids(s3, bucket, key) == [upload_id]
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)

    completed = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ETag"] == multipart_etag(parts) and completed["ETag"].endswith('-3"')
    body, got = read_body(s3, bucket, key)
    assert sha256_hex(body) == sha256_hex(b"".join(parts))
    assert got["ContentLength"] == 11 * MiB and got["ETag"] == multipart_etag(parts)
    assert got["Metadata"] == {"kind": "multipart"} and got["ContentType"] == "application/x-parts"
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listing] == [(key, 11 * MiB, multipart_etag(parts))]
    assert upload_ids(s3, bucket, key) == []
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)


def test_a_ranged_get_across_part_boundaries(s3, bucket):
    key = "mp/ranged.bin"
    parts = [random_bytes(5 * MiB), random_bytes(100)]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, parts)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    whole = b"".join(parts)
    first, last = 5 * MiB - 10, 5 * MiB + 9
    body, got = read_body(s3, bucket, key, Range=f"bytes={first}-{last}")
    assert body == whole[first:last + 1] and got["ContentRange"] == f"bytes {first}-{last}/{len(whole)}"


def test_a_single_small_part_is_a_valid_upload(s3, bucket):
    """The last part may be smaller than 5 MiB, also when it is the only one."""
    key = "mp/one-part"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, [b"x"])
    completed = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ETag"] == multipart_etag([b"x"])
    assert read_body(s3, bucket, key)[0] == b"x"


def test_a_small_part_before_the_last_is_entity_too_small(s3, bucket):
    key = "mp/too-small"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, [random_bytes(1 * MiB), random_bytes(1 * MiB)])
    with s3_error("EntityTooSmall", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)
    assert upload_ids(s3, bucket, key) == [upload_id], "a refused completion leaves the upload open"
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_a_wrong_part_etag_is_invalid_part(s3, bucket):
    key = "mp/wrong-etag"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, [random_bytes(5 * MiB), b"tail"])
    done[1]["ETag"] = etag_of(b"not the tail")
    with s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    with s3_error("InvalidPart", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": done[:1] + [{"PartNumber": 7, "ETag": etag_of(b"tail")}]})
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_parts_out_of_order_are_refused(s3, bucket):
    key = "mp/out-of-order"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    # Both parts are 5 MiB, so that either order passes the size rule: only the order is wrong.
    done = upload_parts(s3, bucket, key, upload_id, [random_bytes(5 * MiB), random_bytes(5 * MiB)])
    with s3_error("InvalidPartOrder", 400):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done[::-1]})
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_abort_ends_the_upload(s3, bucket):
    key = "mp/aborted"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, [b"part one"])
    assert s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"late")
    with s3_error("NoSuchUpload", 404):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert upload_ids(s3, bucket, key) == []
    with s3_error("NoSuchKey", 404):
        s3.get_object(Bucket=bucket, Key=key)


def test_an_unknown_upload_id_is_no_such_upload(s3, bucket):
    with s3_error("NoSuchUpload", 404):
        s3.upload_part(Bucket=bucket, Key="mp/ghost", UploadId="no-such-upload-id", PartNumber=1, Body=b"x")
    with s3_error("NoSuchUpload", 404):
        s3.list_parts(Bucket=bucket, Key="mp/ghost", UploadId="no-such-upload-id")


def test_list_multipart_uploads_shows_each_open_upload(s3, bucket):
    keys = ["mp/open/a", "mp/open/b", "mp/open/b"]
    ids = [s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"] for key in keys]
    assert len(set(ids)) == 3, "every upload has its own id, also for the same key"
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix="mp/open/")["Uploads"]
    assert sorted((u["Key"], u["UploadId"]) for u in uploads) == sorted(zip(keys, ids))
    for key, upload_id in zip(keys, ids):
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix="mp/open/").get("Uploads", []) == []


def test_upload_part_copy_with_a_range(s3, bucket):
    """A part copied from a range of an existing object, followed by an uploaded part."""
    source = random_bytes(6 * MiB)
    s3.put_object(Bucket=bucket, Key="mp/copy-source", Body=source)
    key = "mp/from-copy"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    first = source[MiB:6 * MiB]  # exactly 5 MiB
    copied = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                                 CopySource={"Bucket": bucket, "Key": "mp/copy-source"},
                                 CopySourceRange=f"bytes={MiB}-{6 * MiB - 1}")
    assert copied["CopyPartResult"]["ETag"] == etag_of(first)
    tail = b"uploaded tail"
    second = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=tail)["ETag"]
    assert [(p["PartNumber"], p["Size"]) for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]] == \
        [(1, 5 * MiB), (2, len(tail))]
    completed = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": second}]})
    assert completed["ETag"] == multipart_etag([first, tail])
    body, _ = read_body(s3, bucket, key)
    assert sha256_hex(body) == sha256_hex(first + tail)


def test_upload_part_copy_of_a_whole_object(s3, bucket):
    source = b"a whole small object"
    s3.put_object(Bucket=bucket, Key="mp/whole-source", Body=source)
    key = "mp/whole-copy"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    copied = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                                 CopySource={"Bucket": bucket, "Key": "mp/whole-source"})
    assert copied["CopyPartResult"]["ETag"] == etag_of(source)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}]})
    assert read_body(s3, bucket, key)[0] == source


def test_a_retried_complete_answers_the_same_object(s3, bucket):
    """A client that timed out and retries CompleteMultipartUpload gets the object, not NoSuchUpload."""
    key = "mp/retried"
    parts = [random_bytes(5 * MiB), random_bytes(1 * MiB)]
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    listed = upload_parts(s3, bucket, key, upload_id, parts)
    first = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed})
    again = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed})
    assert again["ETag"] == first["ETag"] == multipart_etag(parts)
    # Different parts under the finished id are still refused.
    wrong = [dict(listed[0]), {"PartNumber": 2, "ETag": etag_of(b"something else")}]
    with s3_error("NoSuchUpload", 404):
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": wrong})
    assert sha256_hex(read_body(s3, bucket, key)[0]) == sha256_hex(b"".join(parts))


def test_list_multipart_uploads_pages_with_markers_and_prefixes(s3):
    """1,100 open uploads: pages of 400 follow NextKeyMarker/NextUploadIdMarker to every upload
    exactly once, in key order; with a delimiter, folders are common prefixes listed once."""
    name = unique_bucket("mpu-pages")
    s3.create_bucket(Bucket=name)
    expected = []
    for index in range(1100):
        key = f"dir{index % 3}/upload{index:04d}" if index % 2 else f"top{index:04d}"
        expected.append((key, s3.create_multipart_upload(Bucket=name, Key=key)["UploadId"]))
    seen, markers = [], {}
    while True:
        page = s3.list_multipart_uploads(Bucket=name, MaxUploads=400, **markers)
        seen += [(upload["Key"], upload["UploadId"]) for upload in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert seen == sorted(expected)

    folded, markers, pages = [], {}, 0
    while True:
        page = s3.list_multipart_uploads(Bucket=name, Delimiter="/", MaxUploads=200, **markers)
        pages += 1
        folded += [entry["Prefix"] for entry in page.get("CommonPrefixes", [])]
        folded += [upload["Key"] for upload in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        markers = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    tops = sorted(key for key, _ in expected if key.startswith("top"))
    assert sorted(folded) == sorted(["dir0/", "dir1/", "dir2/"] + tops) and len(folded) == len(set(folded))
    assert pages == 3
