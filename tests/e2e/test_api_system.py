"""Operational routes: health, readiness, Prometheus metrics, and the OpenAPI document."""
import re
import time

import pytest
import requests

from api_assertions import assert_error, missing_core_id, tag
from conftest import API, MINIMAL_IR

CORES = API + "/cores"
CORE = API + "/cores/{id}"
AUDIT = API + "/audit"
ACTIONS = ["start", "stop", "pause", "resume", "restart"]
STATUSES = ["created", "starting", "running", "paused", "stopping", "stopped", "error", "crashed", "restarting"]

# Every (method, path template) the test_api_*.py suites call.
USED_OPERATIONS = [
    ("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("get", "/openapi.json"),
    ("post", CORES), ("get", CORES), ("get", CORE), ("patch", CORE), ("delete", CORE), ("get", AUDIT),
] + [("post", f"{CORE}/{action}") for action in ACTIONS]
CONDITIONAL = [("patch", CORE), ("delete", CORE)] + [("post", f"{CORE}/{action}") for action in ACTIONS]


def plain_get(server, path, **kwargs):
    return requests.get(server.url + path, timeout=30, **kwargs)


# Prometheus text format

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, labels dict, value)] of every sample; asserts each non-comment line parses."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"unparsable metrics line {line!r}"
        name, labels, value = match.groups()
        samples.append((name, dict(LABEL.findall(labels or "")), float(value)))
    return samples


def metric(samples, name, **labels):
    """The value of the one sample of `name` with (at least) these labels; 0 when absent."""
    found = [value for sample_name, sample_labels, value in samples
             if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items())]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def scrape(server):
    response = plain_get(server, "/metrics")
    assert response.status_code == 200
    return response.text, parse_metrics(response.text)


# Health and readiness


def test_healthz(server):
    response = plain_get(server, "/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "ok"
    assert set(body) <= {"status", "version"} and isinstance(body.get("version", ""), str)
    assert response.headers.get("x-request-id")


def test_readyz(server):
    response = plain_get(server, "/readyz")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "storage", "failing", "data_dir_free_bytes"}, body
    assert body["status"] == "ready" and body["storage"] == "ok" and body["failing"] == [], body
    assert isinstance(body["data_dir_free_bytes"], int) and body["data_dir_free_bytes"] > 0, body
    assert response.headers.get("x-request-id")


# Metrics


def test_metrics_is_prometheus_text_without_auth(server):
    response = plain_get(server, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "version=0.0.4" in response.headers["content-type"]
    assert parse_metrics(response.text)


def test_http_requests_total_counts_by_route_method_status(server, admin):
    _, before = scrape(server)
    for _ in range(3):
        assert admin.get("/cores").status_code == 200
    created = admin.post("/cores", json={"name": f"Metrics {tag()}", "ir": MINIMAL_IR})
    assert created.status_code == 201
    missing = missing_core_id()
    assert admin.get(f"/cores/{missing}").status_code == 404
    assert requests.get(server.url + CORES, timeout=30).status_code == 401
    text, after = scrape(server)

    assert "# TYPE http_requests_total counter" in text

    def delta(**labels):
        return metric(after, "http_requests_total", **labels) - metric(before, "http_requests_total", **labels)

    assert delta(route=CORES, method="GET", status="200") == 3
    assert delta(route=CORES, method="POST", status="201") == 1
    assert delta(route=CORE, method="GET", status="404") == 1
    assert delta(route=CORES, method="GET", status="401") == 1
    # Labels carry route templates, never raw ids.
    assert missing not in text and created.json()["id"] not in text
    for name, labels, _ in after:
        if name == "http_requests_total":
            assert {"route", "method", "status"} <= set(labels), labels
            assert re.fullmatch(r"[1-5][0-9][0-9]", labels["status"]), labels


def test_unknown_paths_do_not_grow_label_cardinality(server, admin):
    marker = f"zz-{tag()}"
    for index in range(3):
        assert admin.get(f"/{marker}-{index}").status_code == 404
        assert requests.get(f"{server.url}/{marker}/{index}", timeout=30).status_code == 404
    text, _ = scrape(server)
    assert marker not in text


def test_request_duration_histogram(server, admin):
    _, before = scrape(server)
    for _ in range(4):
        assert admin.get("/cores").status_code == 200
    text, after = scrape(server)
    assert "# TYPE http_request_duration_seconds histogram" in text
    labels = {"route": CORES, "method": "GET"}
    count = metric(after, "http_request_duration_seconds_count", **labels)
    assert count - metric(before, "http_request_duration_seconds_count", **labels) == 4
    assert metric(after, "http_request_duration_seconds_sum", **labels) > 0
    buckets = sorted(
        ((float(l["le"]), value) for name, l, value in after
         if name == "http_request_duration_seconds_bucket" and l.get("route") == CORES and l.get("method") == "GET"),
        key=lambda pair: pair[0])
    assert len(buckets) >= 5 and buckets[-1][0] == float("inf")
    values = [value for _, value in buckets]
    assert values == sorted(values), "histogram buckets are cumulative"
    assert values[-1] == count, "the +Inf bucket equals the count"


def test_scaicore_cores_gauge_follows_status(server, admin):
    _, samples = scrape(server)
    for status in STATUSES:
        assert any(n == "scaicore_cores" and l.get("status") == status for n, l, _ in samples), status
    running_before = metric(samples, "scaicore_cores", status="running")
    created_before = metric(samples, "scaicore_cores", status="created")

    core = admin.create_core(f"Gauge {tag()}")
    _, samples = scrape(server)
    assert metric(samples, "scaicore_cores", status="created") == created_before + 1
    assert metric(samples, "scaicore_cores", status="running") == running_before

    assert admin.post(f"/cores/{core['id']}/start").status_code == 200
    _, samples = scrape(server)
    assert metric(samples, "scaicore_cores", status="running") == running_before + 1
    assert metric(samples, "scaicore_cores", status="created") == created_before

    assert admin.post(f"/cores/{core['id']}/pause").status_code == 200
    _, samples = scrape(server)
    assert metric(samples, "scaicore_cores", status="running") == running_before
    paused = metric(samples, "scaicore_cores", status="paused")
    assert paused >= 1

    assert admin.delete(f"/cores/{core['id']}").status_code == 204
    _, samples = scrape(server)
    assert metric(samples, "scaicore_cores", status="paused") == paused - 1


# OpenAPI


@pytest.fixture(scope="module")
def document(server):
    response = plain_get(server, "/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_openapi_is_3_1(document):
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"]), document["openapi"]
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


@pytest.mark.parametrize("method, path", USED_OPERATIONS)
def test_openapi_documents_every_operation_used(document, method, path):
    assert path in document["paths"], f"{path} is not documented"
    operation = document["paths"][path].get(method)
    assert operation, f"{method.upper()} {path} is not documented"
    assert operation.get("operationId") and operation.get("responses")
    parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    if "{id}" in path:
        assert ("path", "id") in parameters
    if path.startswith(API):
        assert operation["security"] == [{"bearer": []}], "module routes need a bearer token"
        assert "401" in operation["responses"]
    else:
        assert operation["security"] == []
    if (method, path) in CONDITIONAL:
        assert ("header", "If-Match") in parameters
    if (method, path) == ("get", CORES):
        assert {("query", "limit"), ("query", "cursor"), ("query", "status")} <= parameters
    if (method, path) == ("get", AUDIT):
        assert {("query", "limit"), ("query", "cursor"), ("query", "target_id")} <= parameters


def test_every_documented_operation_is_served(document, admin):
    """No documented operation is a 404 route_not_found or a 405 (requests chosen to change nothing)."""
    missing = missing_core_id()
    for path, operations in document["paths"].items():
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            target = path.replace("{id}", missing)
            # Streamed, so that an endless answer (the event stream) is only opened, not read.
            kwargs = {"json": {}} if method in ("post", "patch") else {"stream": True}
            with admin.request(method.upper(), target, **kwargs) as response:
                assert response.status_code not in (405, 501), (method, path)
                if response.status_code == 404:
                    assert response.json()["error"]["code"] == "not_found", (method, path, response.text)


def test_openapi_validates(document):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


@pytest.mark.parametrize("operation, status, make", [
    ("getCore 304", 304, lambda admin, core: admin.get(f"/cores/{core['id']}", headers={"If-None-Match": f'"{core["version"]}"'})),
    ("deleteCore 400", 400, lambda admin, core: admin.delete(f"/cores/{core['id']}", headers={"If-Match": "nonsense"})),
    ("startCore 413", 413, lambda admin, core: admin.post(f"/cores/{core['id']}/start", data=b"{}" + b" " * (2 * 1024 * 1024))),
    ("updateCore 412", 412, lambda admin, core: admin.patch(f"/cores/{core['id']}", json={"name": "x"}, headers={"If-Match": '"99"'})),
    ("updateCore 409", 409, lambda admin, core: admin.patch(f"/cores/{core['id']}", json={"name": "x", "version": 99})),
    ("createCore 413", 413, lambda admin, core: admin.post("/cores", json={"name": "x", "ir": {"pad": "x" * (1024 * 1024)}})),
    ("stopCore 409", 409, lambda admin, core: admin.post(f"/cores/{core['id']}/stop")),
    ("listCores 400", 400, lambda admin, core: admin.get("/cores", params={"limit": 0})),
    ("listAudit 400", 400, lambda admin, core: admin.get("/audit", params={"cursor": "!"})),
])
def test_openapi_documents_the_statuses_served(document, admin, operation, status, make):
    """A status the API serves for an operation appears among that operation's documented responses."""
    core = admin.create_core(f"Documented {tag()}")
    response = make(admin, core)
    assert response.status_code == status, response.text
    operation_id = operation.split()[0]
    documented = [op for ops in document["paths"].values() for op in ops.values() if op.get("operationId") == operation_id]
    assert len(documented) == 1, operation_id
    assert str(status) in documented[0]["responses"], \
        f"{operation_id} serves {status} but documents only {sorted(documented[0]['responses'])}"


def test_responses_match_documented_schemas(document, admin, role_client):
    jsonschema = pytest.importorskip("jsonschema")

    def check(schema_name, instance):
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
        jsonschema.Draft202012Validator(schema).validate(instance)

    core = admin.create_core(f"Schema {tag()}", plugins=["p"], runtime_config={"default_assignee": "role:approver"})
    check("Core", core)
    check("Core", admin.post(f"/cores/{core['id']}/start", json={"reason": "schema"}).json())
    check("CoreList", admin.get("/cores", params={"limit": 2}).json())
    check("AuditList", admin.get("/audit", params={"target_id": core["id"]}).json())
    not_found = admin.get(f"/cores/{missing_core_id()}")
    assert_error(not_found, 404, "not_found")
    check("Error", not_found.json())
    check("Error", admin.post("/cores", json={}).json())
    check("Error", role_client("viewer").delete(f"/cores/{core['id']}").json())
    check("Error", requests.get(admin.url + CORES, timeout=30).json())
    # The documented request schemas accept what the API accepts and refuse unknown fields, like the API.
    body = {"name": "n", "ir": MINIMAL_IR, "slug": f"s-{tag()}", "plugins": ["a"], "runtime_config": {}, "identity_mode": "service"}
    check("CoreCreate", body)
    assert admin.post("/cores", json=body).status_code == 201
    with pytest.raises(jsonschema.ValidationError):
        check("CoreCreate", {**body, "colour": "red"})


def test_head_is_served_wherever_get_is(admin):
    core = admin.create_core(f"Head {tag()}")
    for path in ["/healthz", "/readyz", f"/cores/{core['id']}", "/cores"]:
        get = admin.get(path)
        head = admin.request("HEAD", path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
    assert admin.request("HEAD", f"/cores/{core['id']}").headers["etag"] == '"1"'


def test_runs_waiting_gauge_counts_the_runs_a_paused_core_holds(server, admin):
    ir = {"ir_version": "1.0", "name": "gauge", "version": "0.1.0",
          "flows": {"f": {"triggers": [{"type": "event", "event": "gauge.tick"}],
                          "steps": [{"id": "done", "op": "return", "value": "{{ input }}"}]}}}
    core = admin.create_core(f"Runs gauge {tag()}", ir=ir)
    assert admin.post(f"/cores/{core['id']}/start").status_code == 200
    assert admin.post(f"/cores/{core['id']}/pause").status_code == 200
    _, samples = scrape(server)
    before = metric(samples, "scaicore_runs_waiting")
    for n in range(3):
        assert admin.post(f"/cores/{core['id']}/events", json={"event_name": "gauge.tick", "data": {"n": n}}).status_code == 202
    _, samples = scrape(server)
    assert metric(samples, "scaicore_runs_waiting") == before + 3
    assert any(name == "scaicore_runs_executing" for name, _, _ in samples)
    assert admin.post(f"/cores/{core['id']}/resume").status_code == 200
    deadline = time.time() + 20
    while time.time() < deadline and metric(scrape(server)[1], "scaicore_runs_waiting") != before:
        time.sleep(0.1)
    assert metric(scrape(server)[1], "scaicore_runs_waiting") == before, "the held runs ran once the Core resumed"
