"""Storage faults (docs/operations.md, "When the disk fills or fails"): a full data directory
answers 507 `insufficient_storage` (S3: 503 `SlowDown`), an I/O error 503 `storage_unavailable`
with `Retry-After` (S3: 503 `ServiceUnavailable`); `/readyz` answers 503 naming the store and the
free space while it lasts; a metric counts refused writes; runs wait for space instead of
failing. Once space returns (or the disk heals), writes resume without a restart and everything
acknowledged before is intact.

The full disk is a small tmpfs in a private mount namespace (`unshare -m`, or `unshare -rm` for an
unprivileged user); the failing disk an LD_PRELOAD shim (shims/failing_fsync.c, built here with
the system C compiler) that makes fsync fail with EIO while a flag file exists. Either test skips
on a machine that cannot do that, but never when CI=true.
"""
import errno
import hashlib
import os
import pathlib
import shutil
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from api_assertions import assert_error, tag
from conftest import Server, cli
from runtime_load_support import bundle, config_env, events_of, get_run, live_core, on_event, wait_run
from s3_support import S3Endpoint, wait_for_s3
from test_listener_limits import metric

SHIM = pathlib.Path(__file__).parent / "shims" / "failing_fsync.c"
JOB = "job.in"


def unavailable(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def namespace_prefix():
    """The command that runs the server in a private mount namespace with a tmpfs at $TEST_DISK_MOUNT."""
    for base in (["unshare", "-m", "--propagation", "private"], ["unshare", "-r", "-m", "--propagation", "private"]):
        if shutil.which("unshare") and subprocess.run([*base, "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                                                      capture_output=True).returncode == 0:
            script = ('mount -t tmpfs -o size="$TEST_DISK_SIZE" tmpfs "$TEST_DISK_MOUNT" '
                      '&& export TMPDIR="$TEST_DISK_MOUNT" && exec "$0" "$@"')
            return [*base, "sh", "-c", script]
    unavailable("cannot mount a tmpfs in a private mount namespace (unshare -m / -rm)")


def worker_ir():
    """A flow that waits a moment, then writes its input's blob into memory and returns."""
    return bundle({"work": on_event(
        JOB,
        {"id": "nap", "op": "sleep", "duration": "PT2S", "when": "input.nap == true"},
        {"id": "keep", "op": "memory.put", "key": "job:{{ input.n }}", "value": "{{ input.blob }}"},
        {"id": "done", "op": "return", "value": "{{ input.n }}"})})


def post(api, core_id, n, size=1000, nap=False):
    return api.post(f"/cores/{core_id}/events", json={"event_name": JOB, "data": {"n": n, "blob": "x" * size, "nap": nap}})


def accept(api, core_id, numbers, accepted):
    """Posts an event for each number; each must be acknowledged (202), and is noted in `accepted`."""
    for n in numbers:
        response = post(api, core_id, n)
        assert response.status_code == 202, response.text
        accepted[response.json()["event_id"]] = n


def put(s3, bucket, key, data):
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    return hashlib.md5(data).hexdigest()


def assert_intact(api, core_id, accepted, s3, bucket, objects):
    stored = {event["id"]: event for event in events_of(api, core_id)}
    for event_id, n in accepted.items():
        assert event_id in stored and stored[event_id]["data"]["n"] == n, f"acknowledged event {event_id} is missing"
    for key, digest in objects.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.md5(body).hexdigest() == digest, f"object {key} changed"


def wait_for(probe, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = probe()
        if answer:
            return answer
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def serve_on_small_disk(tmp_path, **settings):
    """An ephemeral appliance whose data directory is on a 48 MiB tmpfs of its own; answers the
    server and the tmpfs as seen from outside its mount namespace (through its /proc root)."""
    prefix = namespace_prefix()
    mount = tmp_path / "disk"
    mount.mkdir()
    server = Server(["--ephemeral", "--port", "0"], prefix=prefix,
                    env={"TEST_DISK_MOUNT": str(mount), "TEST_DISK_SIZE": "48m",
                         **config_env({"storage.lmdb.map_size_bytes": 16 << 20, **settings})})
    inside = pathlib.Path(f"/proc/{server.process.pid}/root") / str(mount).lstrip("/")
    assert (inside / pathlib.Path(server.data_dir).name).is_dir(), "the data directory is not on the small disk"
    return server, inside


@pytest.fixture
def small_disk(tmp_path):
    server, inside = serve_on_small_disk(tmp_path)
    yield server, inside
    server.stop()


def fill(directory):
    """Writes a filler file until the filesystem refuses another byte; answers its path."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as file:
        for chunk in (1 << 20, 64 << 10, 4 << 10, 512):
            try:
                while True:
                    file.write(b"\0" * chunk)
            except OSError as error:
                assert error.errno in (errno.ENOSPC, errno.EDQUOT), error
    return filler


def test_a_full_disk_refuses_writes_clearly_keeps_what_was_acknowledged_and_recovers(small_disk):
    server, inside = small_disk
    api = server.api()
    endpoint = S3Endpoint.from_ephemeral(server)
    wait_for_s3(endpoint.url)
    s3 = endpoint.client()
    bucket = f"full-{tag()}"
    s3.create_bucket(Bucket=bucket)
    core = live_core(api, worker_ir())

    accepted, objects = {}, {}
    accept(api, core["id"], range(10), accepted)
    for n in range(3):
        objects[f"before-{n}"] = put(s3, bucket, f"before-{n}", os.urandom(200 << 10))
    # A run that will wake up on a full disk.
    waiting = post(api, core["id"], 1000, size=200 << 10, nap=True)
    assert waiting.status_code == 202
    accepted[waiting.json()["event_id"]] = 1000

    filler = fill(inside)

    # Writes are refused as "full", not as a server error; what was accepted meanwhile counts.
    refused = None
    for n in range(100, 400):
        response = post(api, core["id"], n, size=64 << 10)
        if response.status_code == 202:
            accepted[response.json()["event_id"]] = n
            continue
        refused = response
        break
    assert refused is not None, "the full disk took 300 more events"
    error = assert_error(refused, 507, "insufficient_storage")
    assert "full" in error["message"] and "data directory" in error["message"], error
    with pytest.raises(ClientError) as caught:
        for n in range(20):
            put(s3, bucket, f"during-{n}", os.urandom(256 << 10))
    assert caught.value.response["Error"]["Code"] == "SlowDown", caught.value.response
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "full" in caught.value.response["Error"]["Message"]

    ready = api.get("/readyz")
    assert ready.status_code == 503, ready.text
    body = ready.json()
    assert body["status"] == "unavailable" and isinstance(body["data_dir_free_bytes"], int), body
    assert {item["reason"] for item in body["failing"]} == {"full"}, body
    assert {item["store"] for item in body["failing"]} <= {"relational", "lmdb", "objects"}, body
    assert metric(server, "scaicore_storage_refused_writes_total", reason="full") >= 2

    # The run that woke up on the full disk waits; it has not failed.
    time.sleep(5)
    assert get_run(api, waiting.json()["run_id"])["status"] in {"queued", "running", "sleeping"}
    assert server.process.poll() is None

    filler.unlink()
    response = wait_for(lambda: (r := post(api, core["id"], 9999)).status_code == 202 and r, what="a write after freeing space")
    accepted[response.json()["event_id"]] = 9999
    objects["after"] = put(s3, bucket, "after", os.urandom(200 << 10))
    wait_for(lambda: api.get("/readyz").status_code == 200, what="/readyz to be ready again")
    assert wait_run(api, waiting.json()["run_id"], timeout=60)["status"] == "completed"
    assert_intact(api, core["id"], accepted, s3, bucket, objects)
    assert "Fatal error" not in server.stderr_text()


def test_a_run_fails_with_storage_full_only_past_its_configured_patience(tmp_path):
    server, inside = serve_on_small_disk(tmp_path, **{"runtime.storage_full_retry_seconds": 3})
    try:
        api = server.api()
        core = live_core(api, worker_ir())
        accepted = post(api, core["id"], 1, size=512 << 10, nap=True)
        assert accepted.status_code == 202
        filler = fill(inside)
        time.sleep(8)  # past the patience of 3 s: the run has given up, but cannot write that yet
        filler.unlink()
        # Once its failure can be written, the run ends failed (it does not run on).
        run_id = accepted.json()["run_id"]
        run = wait_for(lambda: (r := get_run(api, run_id))["status"] in {"failed", "completed"} and r, timeout=90,
                       what="the run to end")
        assert run["status"] == "failed", (run["status"], run["error"], [l for l in server.stderr_text().splitlines() if "run" in l][-20:])
        assert run["error"]["code"] == "storage_full", run["error"]
        assert "runtime.storage_full_retry_seconds" in run["error"]["message"], run["error"]
    finally:
        server.stop()


# --- a failing disk ------------------------------------------------------------------------------------

@pytest.fixture
def failing_fsync(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        unavailable("no C compiler for the fsync shim")
    library = tmp_path / "failing_fsync.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(SHIM), "-ldl"], check=True)
    return library, tmp_path / "fail-fsync-now"


def start_on(data_dir, library, flag):
    env = {"LD_PRELOAD": str(library), "TEST_FAIL_FSYNC_IF_EXISTS": str(flag)}
    return Server(["--data-dir", str(data_dir), "--port", "0"], ephemeral=False, env=env)


def test_failing_fsync_answers_503_with_retry_after_and_writes_resume_when_it_heals(tmp_path, failing_fsync):
    library, flag = failing_fsync
    data_dir = tmp_path / "data"
    server = start_on(data_dir, library, flag)
    token = server.token
    try:
        api = server.api()
        key_id, secret = cli("admin", "s3-key", "create", "--data-dir", str(data_dir), "--tenant", "default",
                             check=True).stdout.strip().split("\t")
        s3 = S3Endpoint(server.s3_url, "garage", key_id, secret, str(data_dir)).client()
        bucket = f"eio-{tag()}"
        s3.create_bucket(Bucket=bucket)
        core = live_core(api, worker_ir())
        accepted, objects = {}, {}
        accept(api, core["id"], range(5), accepted)
        objects["before"] = put(s3, bucket, "before", os.urandom(100 << 10))

        flag.write_text("on")
        response = post(api, core["id"], 100)
        error = assert_error(response, 503, "storage_unavailable")
        assert response.headers.get("retry-after"), response.headers
        assert "I/O error" in error["message"], error
        with pytest.raises(ClientError) as caught:
            put(s3, bucket, "during", os.urandom(100 << 10))
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
        ready = api.get("/readyz")
        assert ready.status_code == 503 and {item["reason"] for item in ready.json()["failing"]} == {"io_error"}, ready.text
        assert metric(server, "scaicore_storage_refused_writes_total", reason="io_error") >= 2
        assert "internal_error" not in response.text

        flag.unlink()
        wait_for(lambda: api.get("/readyz").status_code == 200, what="/readyz to heal")
        response = post(api, core["id"], 200)
        assert response.status_code == 202, response.text
        accepted[response.json()["event_id"]] = 200
        assert_intact(api, core["id"], accepted, s3, bucket, objects)
    finally:
        server.stop()
    # After a restart everything acknowledged is still there.
    server = start_on(data_dir, library, flag)
    try:
        api = server.api(token)
        s3 = S3Endpoint(server.s3_url, "garage", key_id, secret, str(data_dir)).client()
        assert_intact(api, core["id"], accepted, s3, bucket, objects)
        assert "during" not in [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    finally:
        server.stop()
