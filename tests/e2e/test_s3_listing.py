"""S3 listings over 2,000 keys: delimiters, prefixes, pagination (v2 tokens, v1 markers), start-after, URL encoding."""
import concurrent.futures
from urllib.parse import unquote_plus

import pytest

from s3_support import etag_of, list_keys_v2, unique_bucket

KEYS = [f"dir{i % 10}/file{i:05d}" for i in range(2000)]
SORTED = sorted(KEYS)
PREFIXES = [f"dir{d}/" for d in range(10)]


@pytest.fixture(scope="module")
def listing(s3):
    """A bucket holding the 2,000 KEYS, each object's body being its key."""
    name = unique_bucket("listing")
    s3.create_bucket(Bucket=name)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        etags = list(pool.map(lambda key: s3.put_object(Bucket=name, Key=key, Body=key.encode())["ETag"], KEYS))
    assert etags == [etag_of(key.encode()) for key in KEYS]
    return name


def test_delimiter_rolls_keys_up_into_ten_common_prefixes(s3, listing):
    page = s3.list_objects_v2(Bucket=listing, Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == PREFIXES
    assert page.get("Contents", []) == []
    assert page["KeyCount"] == 10 and page["IsTruncated"] is False


def test_v2_pages_of_250_yield_every_key_once_in_order(s3, listing):
    seen, token, pages = [], None, 0
    while True:
        page = s3.list_objects_v2(Bucket=listing, MaxKeys=250, **({"ContinuationToken": token} if token else {}))
        pages += 1
        contents = page["Contents"]
        assert page["KeyCount"] == len(contents) == 250
        for item in contents:
            assert item["Size"] == len(item["Key"]) and item["ETag"] == etag_of(item["Key"].encode()), item
        seen += [item["Key"] for item in contents]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        token = page["NextContinuationToken"]
        assert token
    assert pages == 8
    assert seen == SORTED


def test_max_keys_is_capped_at_1000(s3, listing):
    for kwargs in ({}, {"MaxKeys": 5000}):
        page = s3.list_objects_v2(Bucket=listing, **kwargs)
        assert page["KeyCount"] == 1000 and page["IsTruncated"] is True, kwargs
        assert [item["Key"] for item in page["Contents"]] == SORTED[:1000]


def test_prefix_selects_one_directory(s3, listing):
    expected = [key for key in SORTED if key.startswith("dir3/")]
    assert len(expected) == 200
    assert list_keys_v2(s3, listing, Prefix="dir3/") == expected
    page = s3.list_objects_v2(Bucket=listing, Prefix="dir3/", Delimiter="/")
    assert [item["Key"] for item in page["Contents"]] == expected and page.get("CommonPrefixes", []) == []
    page = s3.list_objects_v2(Bucket=listing, Prefix="dir", Delimiter="/")
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == PREFIXES
    assert s3.list_objects_v2(Bucket=listing, Prefix="nothing-here/")["KeyCount"] == 0


@pytest.mark.parametrize("start_after", ["dir4/file01004", "dir4/m", "dir9/file01999", "a", "zzz"])
def test_start_after(s3, listing, start_after):
    assert list_keys_v2(s3, listing, StartAfter=start_after) == [key for key in SORTED if key > start_after]


def test_v2_delimiter_pagination_yields_each_prefix_once(s3, listing):
    prefixes, token, pages = [], None, 0
    while True:
        page = s3.list_objects_v2(Bucket=listing, Delimiter="/", MaxKeys=3, **({"ContinuationToken": token} if token else {}))
        pages += 1
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert prefixes == PREFIXES
    assert pages == 4


def test_v1_marker_pagination(s3, listing):
    seen, marker, pages = [], "", 0
    while True:
        page = s3.list_objects(Bucket=listing, MaxKeys=300, Marker=marker)
        pages += 1
        keys = [item["Key"] for item in page["Contents"]]
        seen += keys
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker", keys[-1])
    assert seen == SORTED
    assert pages == 7


def test_v1_delimiter_gives_next_marker(s3, listing):
    page = s3.list_objects(Bucket=listing, Delimiter="/", MaxKeys=3)
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == PREFIXES[:3]
    assert page["IsTruncated"] is True and page["NextMarker"] == "dir2/"
    prefixes = [p["Prefix"] for p in page["CommonPrefixes"]]
    while page["IsTruncated"]:
        page = s3.list_objects(Bucket=listing, Delimiter="/", MaxKeys=3, Marker=page["NextMarker"])
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert prefixes == PREFIXES


def test_fetch_owner_is_accepted(s3, listing):
    page = s3.list_objects_v2(Bucket=listing, FetchOwner=True, MaxKeys=5)
    assert [item["Key"] for item in page["Contents"]] == SORTED[:5]


def test_an_empty_bucket_lists_nothing(s3):
    name = unique_bucket("empty")
    s3.create_bucket(Bucket=name)
    page = s3.list_objects_v2(Bucket=name)
    assert page["KeyCount"] == 0 and page.get("Contents", []) == [] and page["IsTruncated"] is False
    assert s3.list_objects(Bucket=name).get("Contents", []) == []


ODD_KEYS = ["enc/a b.txt", "enc/ünïcødé 日本.txt", "enc/plus+sign", "enc/percent%41", "enc/what?x=1#frag", "enc/tab\there"]


@pytest.fixture(scope="module")
def odd_bucket(s3):
    name = unique_bucket("encoding")
    s3.create_bucket(Bucket=name)
    for key in ODD_KEYS:
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_encoding_type_url_encodes_keys(s3, odd_bucket):
    """With encoding-type=url each key comes back percent-encoded (ASCII, no spaces) and decodes to itself."""
    for page in (s3.list_objects_v2(Bucket=odd_bucket, EncodingType="url"), s3.list_objects(Bucket=odd_bucket, EncodingType="url")):
        assert page["EncodingType"] == "url"
        raw = [item["Key"] for item in page["Contents"]]
        for key in raw:
            assert key.isascii() and " " not in key and "\t" not in key, key
        assert sorted(unquote_plus(key) for key in raw) == sorted(ODD_KEYS)


def test_odd_keys_list_in_byte_order_and_round_trip(s3, odd_bucket):
    """boto3 asks for url encoding itself and decodes; the keys come back exactly, sorted by UTF-8 bytes."""
    assert list_keys_v2(s3, odd_bucket) == sorted(ODD_KEYS, key=lambda k: k.encode())
    for key in ODD_KEYS:
        assert s3.get_object(Bucket=odd_bucket, Key=key)["Body"].read() == key.encode()
