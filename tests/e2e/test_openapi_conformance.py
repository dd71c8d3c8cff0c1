"""/openapi.json is the server's contract (docs/api.md, "OpenAPI"): Schemathesis generates requests
from it — every operation, its examples, boundary values, random data, and stateful sequences
that follow the document's links (create a Core → its routes, an event → its run, a run → its
checkpoint) — and checks each answer against it: no server error, no status or body the document
does not declare, no schema-valid request refused (tests/e2e/schemathesis.toml lists the few
refusals the data's meaning can cause). The budget is bounded: SCHEMATHESIS_SECONDS (default 150)
and SCHEMATHESIS_EXAMPLES per operation (default 15).

The event stream (GET /events/stream) is left out: it never ends by design.
"""
import os
import pathlib
import subprocess
import sys

from conftest import Server

CONFIG = pathlib.Path(__file__).parent / "schemathesis.toml"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance"


def test_every_operation_keeps_to_the_openapi_document(tmp_path):
    server = Server(["--ephemeral", "--port", "0"])
    try:
        seconds = os.environ.get("SCHEMATHESIS_SECONDS", "150")
        examples = os.environ.get("SCHEMATHESIS_EXAMPLES", "15")
        command = [str(pathlib.Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "run",
                   server.url + "/openapi.json", "-H", f"Authorization: Bearer {server.token}", "--checks", CHECKS,
                   "--exclude-operation-id", "eventStream", "--max-examples", examples, "--max-time", seconds,
                   "--request-timeout", "70", "--seed", os.environ.get("SCHEMATHESIS_SEED", "20261204")]
        # Run in a scratch directory: Schemathesis keeps a cache (.schemathesis/) where it runs.
        result = subprocess.run(command, capture_output=True, text=True, timeout=int(seconds) + 240, cwd=tmp_path)
        report = result.stdout[-20000:] + result.stderr[-4000:]
        assert result.returncode == 0, f"Schemathesis found failures:\n{report}"
        assert "server exited" not in report
    finally:
        server.stop()
    errors = [line for line in server.stderr_text().splitlines() if " error " in line and "request failed" in line]
    assert not errors, "\n".join(errors[:20])
