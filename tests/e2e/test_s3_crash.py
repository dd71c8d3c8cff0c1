"""Crash safety of the S3 listener: SIGKILL under concurrent PUTs loses no acknowledged object and leaves
no partial one; a restart cleans the temporary files away. Three kill cycles on one data directory."""
import collections
import concurrent.futures
import os
import random
import threading

from botocore.exceptions import ClientError

from s3_support import KiB, PersistentS3Server, md5_hex, random_bytes

WRITERS = 4
CYCLES = 3
MAX_SIZE = 256 * KiB


class Ledger:
    """What one writer sent: every attempt per key in order, and which of them were acknowledged (200)."""

    def __init__(self):
        self.attempts = collections.defaultdict(list)  # key → [(md5, acknowledged)]
        self.http_errors = []

    def attempt(self, key, digest):
        self.attempts[key].append([digest, False])
        return self.attempts[key][-1]

    def allowed(self, key):
        """The contents `key` may have after a crash: the last acknowledged one or anything sent after it."""
        history = self.attempts[key]
        acked = [i for i, (_, ok) in enumerate(history) if ok]
        start = acked[-1] if acked else 0
        return {digest for digest, _ in history[start:]}, bool(acked)

    def acknowledged(self):
        return {key: [d for d, ok in history if ok][-1] for key, history in self.attempts.items() if any(ok for _, ok in history)}


def write_until_stopped(client, bucket, worker, ledger, stop):
    """PUTs new keys of random size (0 to 256 KiB) and, every fourth time, overwrites this writer's hot key."""
    rng = random.Random(worker)
    n = 0
    while not stop.is_set():
        n += 1
        key = f"hot/w{worker}" if n % 4 == 0 else f"w{worker}/obj{n:06d}"
        size = rng.choice([0, 1, MAX_SIZE, rng.randrange(MAX_SIZE), rng.randrange(MAX_SIZE)])
        data = random_bytes(size)
        entry = ledger.attempt(key, md5_hex(data))
        try:
            response = client.put_object(Bucket=bucket, Key=key, Body=data)
        except ClientError as error:  # an HTTP answer that is an error: never acceptable
            ledger.http_errors.append((key, error.response["Error"]))
            continue
        except Exception:  # the connection died with the server; the PUT is unacknowledged
            continue
        if response["ETag"] != f'"{entry[0]}"':
            ledger.http_errors.append((key, f"ETag {response['ETag']} for md5 {entry[0]}"))
        entry[1] = True


def leftover_temporary_files(data_dir):
    """Files named like temporary files anywhere in the data directory, and anything inside a folder for
    uploads in progress (`tmp`, `staging`; either may be absent)."""
    found = []
    for root, dirs, files in os.walk(data_dir):
        if os.path.basename(root) in ("tmp", "staging") and (dirs or files):
            found += [os.path.join(root, name) for name in dirs + files]
        found += [os.path.join(root, name) for name in files + dirs if ".tmp" in name]
    return sorted(set(found))


def listed_etags(client, bucket):
    """{key: ETag} of every object ListObjectsV2 shows."""
    etags, token = {}, None
    while True:
        page = client.list_objects_v2(Bucket=bucket, **({"ContinuationToken": token} if token else {}))
        etags.update({item["Key"]: item["ETag"] for item in page.get("Contents", [])})
        if not page["IsTruncated"]:
            return etags
        token = page["NextContinuationToken"]


def verify_bucket(client, bucket, ledgers):
    """Every acknowledged object is there with its acknowledged bytes; every listed object is whole.
    Answers {key: ETag} as listed."""
    etags = listed_etags(client, bucket)
    listed = set(etags)
    allowed_by_key = {}
    for ledger in ledgers:
        for key in ledger.attempts:
            allowed_by_key[key] = ledger.allowed(key)
    unknown = listed - set(allowed_by_key)
    assert not unknown, f"objects nobody wrote: {sorted(unknown)[:5]}"
    missing = {key for key, (_, acked) in allowed_by_key.items() if acked} - listed
    assert not missing, f"{len(missing)} acknowledged objects lost, e.g. {sorted(missing)[:5]}"

    def check(key):
        response = client.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
        digest = md5_hex(body)
        assert response["ETag"] == f'"{digest}"', f"{key}: ETag {response['ETag']} but the bytes hash to {digest}"
        assert response["ContentLength"] == len(body), key
        allowed, _ = allowed_by_key[key]
        assert digest in allowed, f"{key}: content is neither the acknowledged one nor one sent after it"
        assert etags[key] == response["ETag"], f"{key}: the listing and the object disagree on the ETag"
        return key

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(check, listed)) == sorted(listed)
    return etags


def test_sigkill_under_concurrent_puts_loses_nothing_acknowledged(tmp_path):
    node = PersistentS3Server(tmp_path / "data")
    node.start()
    history = []  # (bucket, {key: ETag} verified after its restart)
    try:
        for cycle in range(CYCLES):
            client = node.endpoint.client(connect_timeout=2, read_timeout=20)
            bucket = f"crash-cycle-{cycle}"
            client.create_bucket(Bucket=bucket)
            ledgers = [Ledger() for _ in range(WRITERS)]
            stop = threading.Event()
            threads = [threading.Thread(target=write_until_stopped, args=(client, bucket, w, ledgers[w], stop))
                       for w in range(WRITERS)]
            for thread in threads:
                thread.start()
            stop.wait(1.5)
            node.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
                assert not thread.is_alive(), "a writer hung after the server died"
            errors = [e for ledger in ledgers for e in ledger.http_errors]
            assert errors == [], f"cycle {cycle}: PUTs answered with errors before the kill: {errors[:5]}"
            acknowledged = sum(len(ledger.acknowledged()) for ledger in ledgers)
            assert acknowledged >= WRITERS, f"cycle {cycle}: the load hardly ran ({acknowledged} acknowledged)"

            node.start()
            assert leftover_temporary_files(node.data_dir) == [], "a restart removes the temporary files of a crash"
            client = node.endpoint.client()
            verified = verify_bucket(client, bucket, ledgers)
            # Earlier cycles' objects survive this crash too, unchanged.
            for old_bucket, old_verified in history:
                assert listed_etags(client, old_bucket) == old_verified, f"{old_bucket} changed in a later crash"
            history.append((bucket, verified))
        assert sorted(b["Name"] for b in client.list_buckets()["Buckets"]) == [f"crash-cycle-{c}" for c in range(CYCLES)]
    finally:
        node.stop()
