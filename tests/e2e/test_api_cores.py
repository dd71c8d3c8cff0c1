"""The Core registry over HTTP: CRUD, slugs, pagination, filters, query validation, optimistic concurrency."""
import re
import threading

import pytest

from api_assertions import assert_error, etag_version, missing_core_id, tag
from conftest import API, MINIMAL_IR, create_tenant, issue_token, snapshot

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def tenant_admin(server):
    """An admin client of a tenant of its own, so that lists hold exactly what the test created."""
    slug = tag()
    create_tenant(server.data_dir, slug)
    _, token = issue_token(server.data_dir, "admin", tenant=slug)
    return server.api(token)


def list_all(api, limit, **params):
    """Follows next_cursor to the end; answers (pages, items)."""
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/cores", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}, page
        pages.append(page)
        assert len(pages) < 100, "pagination does not end"
        cursor = page["next_cursor"]
        if cursor is None:
            return pages, [item for p in pages for item in p["items"]]


# CRUD


def test_crud_round_trip(admin):
    name = f"Round Trip {tag()}"
    created = admin.post("/cores", json={"name": name, "ir": MINIMAL_IR, "plugins": ["mail"], "runtime_config": {"default_assignee": "role:approver"}})
    assert created.status_code == 201, created.text
    core = created.json()
    assert created.headers["location"] == f"{API}/cores/{core['id']}"
    assert etag_version(created) == core["version"] == 1
    assert re.fullmatch(r"core_[0-9A-HJKMNP-TV-Z]{26}", core["id"]), core["id"]
    assert core["name"] == name
    assert core["status"] == "created" and core["legal_actions"] == ["start"]
    assert core["ir"] == MINIMAL_IR and core["ir_version"] == "1.0" and core["ir_revision"] == 1
    assert core["plugins"] == ["mail"] and core["runtime_config"] == {"default_assignee": "role:approver"}
    assert core["identity_mode"] == "service" and core["status_reason"] is None
    assert core["created_at"] == core["updated_at"]

    # The Location header leads to the same Core.
    fetched = admin.get(created.headers["location"])
    assert fetched.status_code == 200 and fetched.json() == core
    assert etag_version(fetched) == 1

    # It is listed, without its IR.
    listed = [item for item in admin.get("/cores", params={"limit": 200}).json()["items"] if item["id"] == core["id"]]
    assert len(listed) == 1
    assert "ir" not in listed[0]
    assert listed[0] == {k: v for k, v in core.items() if k != "ir"}

    deleted = admin.delete(f"/cores/{core['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(admin.get(f"/cores/{core['id']}"), 404, "not_found")
    assert_error(admin.delete(f"/cores/{core['id']}"), 404, "not_found")
    assert core["id"] not in {item["id"] for item in admin.get("/cores", params={"limit": 200}).json()["items"]}


def test_patch_fields_and_ir_revision(admin):
    core = admin.create_core(f"Patch {tag()}")
    url = f"/cores/{core['id']}"

    renamed = admin.patch(url, json={"name": "Renamed", "plugins": ["a", "b-2"], "runtime_config": {"default_assignee": "role:operator"}})
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert body["name"] == "Renamed" and body["plugins"] == ["a", "b-2"] and body["runtime_config"] == {"default_assignee": "role:operator"}
    assert body["version"] == 2 and etag_version(renamed) == 2
    assert body["ir_revision"] == 1, "a change without IR must not bump ir_revision"
    assert body["slug"] == core["slug"], "renaming must not change the slug"
    assert body["updated_at"] >= core["updated_at"] and body["created_at"] == core["created_at"]

    new_ir = {**MINIMAL_IR, "description": "second revision"}
    changed = admin.patch(url, json={"ir": new_ir})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["ir"] == new_ir and body["ir_revision"] == 2 and body["ir_version"] == "1.0" and body["version"] == 3

    # The same IR again changes nothing: no new revision, no new version.
    same = admin.patch(url, json={"ir": new_ir})
    assert same.status_code == 200 and same.json()["ir_revision"] == 2 and same.json()["version"] == 3
    assert etag_version(same) == 3

    # An IR that cannot run is refused with every problem; nothing changes.
    refused = admin.patch(url, json={"ir": {**MINIMAL_IR, "ir_version": "1.1"}})
    error = assert_error(refused, 422, "invalid_ir")
    assert error["details"]["problems"] == [{"path": "ir_version", "message": "unsupported ir_version '1.1': this engine reads 1.x up to 1.0"}]
    assert admin.get(url).json()["ir"] == new_ir

    third = {**MINIMAL_IR, "description": "third"}
    assert admin.patch(url, json={"ir": third}).json()["ir_revision"] == 3

    # identity_mode and slug can change too; everything persists.
    admin.patch(url, json={"identity_mode": "delegated", "slug": f"re-{tag()}"}).raise_for_status()
    stored = admin.get(url).json()
    assert stored["name"] == "Renamed" and stored["plugins"] == ["a", "b-2"] and stored["ir"] == third
    assert stored["identity_mode"] == "delegated" and stored["slug"].startswith("re-") and stored["version"] == 5


def test_patch_empty_object_changes_nothing(admin):
    core = admin.create_core(f"Noop {tag()}")
    response = admin.patch(f"/cores/{core['id']}", json={})
    assert response.status_code == 200
    assert response.json() == core


# Slugs


@pytest.mark.parametrize("name, expected", [
    ("Invoice Approval! {t}", "invoice-approval-{t}"),
    ("  Leading and   trailing  {t}  ", "leading-and-trailing-{t}"),
    ("{t} Ünïcödé", "{t}-n-c-d"),
    ("UPPER_case.and.dots {t}", "upper-case-and-dots-{t}"),
])
def test_slug_derived_from_name(admin, name, expected):
    t = tag()
    core = admin.create_core(name.format(t=t))
    assert core["slug"] == expected.format(t=t)


def test_slug_of_long_name_is_truncated(admin):
    core = admin.create_core(tag() + "x" * 190)
    assert SLUG.match(core["slug"]) and len(core["slug"]) == 63


def test_explicit_duplicate_slug_is_409(admin):
    slug = f"dup-{tag()}"
    first = admin.create_core("First", slug=slug)
    assert first["slug"] == slug
    before = admin.get("/cores", params={"limit": 200}).json()["items"]
    error = assert_error(admin.post("/cores", json={"name": "Second", "slug": slug, "ir": MINIMAL_IR}), 409, "slug_taken")
    assert slug in error["message"]
    assert admin.get("/cores", params={"limit": 200}).json()["items"] == before, "a refused create must not add a Core"

    # Changing another Core's slug onto a taken one is refused as well, and changes nothing.
    other = admin.create_core("Other")
    assert_error(admin.patch(f"/cores/{other['id']}", json={"slug": slug}), 409, "slug_taken")
    assert admin.get(f"/cores/{other['id']}").json() == other


def test_derived_duplicates_get_unique_slugs(admin):
    name = f"Same Name {tag()}"
    cores = [admin.create_core(name) for _ in range(4)]
    slugs = [core["slug"] for core in cores]
    assert len(set(slugs)) == 4, slugs
    assert slugs[0] == derived_slug(name)
    for slug in slugs:
        assert SLUG.match(slug), slug
        assert slug.startswith(derived_slug(name)), slug
    assert all(core["name"] == name for core in cores), "the name is kept even when the slug is adjusted"


def derived_slug(name):
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", name.lower())).strip("-")


# Pagination and filters


def test_pagination_returns_every_core_once_in_stable_order(server):
    api = tenant_admin(server)
    created = {api.create_core(f"Page {i}")["id"] for i in range(7)}

    pages, items = list_all(api, 3)
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert all(page["next_cursor"] for page in pages[:-1]) and pages[-1]["next_cursor"] is None
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 7
    assert set(ids) == created
    assert all("ir" not in item for item in items)

    # The same order again, page by page, and in a single page.
    _, again = list_all(api, 3)
    assert [item["id"] for item in again] == ids
    single = api.get("/cores", params={"limit": 200}).json()
    assert [item["id"] for item in single["items"]] == ids and single["next_cursor"] is None
    default = api.get("/cores").json()
    assert [item["id"] for item in default["items"]] == ids and default["next_cursor"] is None

    # An exact multiple of the page size ends without an empty trailing page.
    pages, _ = list_all(api, 7)
    assert len(pages) == 1 and len(pages[0]["items"]) == 7


def test_pagination_survives_deleting_the_cursor_core(server):
    api = tenant_admin(server)
    for i in range(5):
        api.create_core(f"Gone {i}")
    first = api.get("/cores", params={"limit": 2}).json()
    seen = [item["id"] for item in first["items"]]
    assert api.delete(f"/cores/{seen[-1]}").status_code == 204
    rest = api.get("/cores", params={"limit": 200, "cursor": first["next_cursor"]})
    assert rest.status_code == 200, rest.text
    rest_ids = [item["id"] for item in rest.json()["items"]]
    assert len(rest_ids) == 3 and not set(rest_ids) & set(seen)


def test_paging_while_another_client_writes(server):
    """Items that existed when paging began are seen exactly once, whatever is created meanwhile."""
    api = tenant_admin(server)
    existing = {api.create_core(f"Existing {i}")["id"] for i in range(10)}
    writer = server.api(api.session.headers["Authorization"].split(" ", 1)[1])
    stop = threading.Event()
    written = []

    def write():
        while not stop.is_set() and len(written) < 40:
            written.append(writer.create_core(f"Concurrent {len(written)}")["id"])

    thread = threading.Thread(target=write)
    thread.start()
    try:
        seen, cursor = [], None
        while True:
            page = api.get("/cores", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
            assert len(seen) < 200
    finally:
        stop.set()
        thread.join(30)
    assert len(seen) == len(set(seen)), "an item was repeated"
    assert existing <= set(seen), "an existing item was skipped"
    assert set(seen) <= existing | set(written)
    assert seen == sorted(seen), "pages come in one order"


def test_status_filters(server):
    api = tenant_admin(server)
    created = api.create_core("Created")
    running = api.create_core("Running")
    paused = api.create_core("Paused")
    stopped = api.create_core("Stopped")
    for core, actions in ((running, ["start"]), (paused, ["start", "pause"]), (stopped, ["start", "stop"])):
        for action in actions:
            assert api.post(f"/cores/{core['id']}/{action}").status_code == 200

    def ids(status, **extra):
        response = api.get("/cores", params={"status": status, **extra})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids("running") == {running["id"]}
    assert ids("created") == {created["id"]}
    assert ids("paused,stopped") == {paused["id"], stopped["id"]}
    assert ids("running,created,paused,stopped") == {c["id"] for c in (created, running, paused, stopped)}
    assert ids("error") == set()
    # Filters combine with pagination.
    pages, items = list_all(api, 1, status="created,running")
    assert len(pages) == 2 and {item["id"] for item in items} == {created["id"], running["id"]}
    assert all(item["status"] in ("created", "running") for item in items)

    for bad in ("bogus", "running,bogus", "RUNNING"):
        error = assert_error(api.get("/cores", params={"status": bad}), 400, "invalid_query")
        assert "status" in error["message"]


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-1", "1.5", "", "99999999999999999999"])
def test_bad_limit_is_400(admin, limit):
    assert_error(admin.get("/cores", params={"limit": limit}), 400, "invalid_query")


@pytest.mark.parametrize("limit", ["1", "200"])
def test_limit_bounds_are_accepted(admin, limit):
    admin.create_core(f"Limit {tag()}")
    admin.create_core(f"Limit {tag()}")
    response = admin.get("/cores", params={"limit": limit})
    assert response.status_code == 200, response.text
    assert 1 <= len(response.json()["items"]) <= int(limit)


@pytest.mark.parametrize("cursor", ["!!!", "not base64 at all", "A", "AAAAA", "eA" * 100, "%00", "Zm9v=="])
def test_a_cursor_that_is_not_base64url_of_at_most_96_bytes_is_400(admin, cursor):
    assert_error(admin.get("/cores", params={"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("cursor", ["AAAA", "Zm9vCmJhcg", "_-_-"])
def test_any_base64url_cursor_is_a_position(admin, cursor):
    # docs/api.md, "OpenAPI": the document's cursor pattern, and the server, take any such text.
    response = admin.get("/cores", params={"cursor": cursor})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "next_cursor"}


@pytest.mark.parametrize("path", ["/cores", "/audit"])
def test_unknown_query_parameter_is_400(admin, path):
    error = assert_error(admin.get(path, params={"sort": "name"}), 400, "invalid_query")
    assert "sort" in error["message"]


# Optimistic concurrency


def test_stale_if_match_is_412_and_changes_nothing(admin):
    core = admin.create_core(f"Stale {tag()}")
    url = f"/cores/{core['id']}"
    assert admin.patch(url, json={"name": "v2"}).status_code == 200
    before = admin.get(url).json()
    error = assert_error(admin.patch(url, json={"name": "lost update"}, headers={"If-Match": '"1"'}), 412, "precondition_failed")
    assert error["details"]["current_version"] == 2
    assert admin.get(url).json() == before
    # A stale If-Match also guards DELETE.
    assert_error(admin.delete(url, headers={"If-Match": '"1"'}), 412, "precondition_failed")
    assert admin.get(url).json() == before


def test_stale_body_version_is_409_and_changes_nothing(admin):
    core = admin.create_core(f"Body version {tag()}")
    url = f"/cores/{core['id']}"
    assert admin.patch(url, json={"name": "v2", "version": 1}).status_code == 200
    before = admin.get(url).json()
    error = assert_error(admin.patch(url, json={"name": "lost update", "version": 1}), 409, "version_conflict")
    assert error["details"]["current_version"] == 2
    assert admin.get(url).json() == before


def test_matching_if_match_and_body_version_succeed(admin):
    core = admin.create_core(f"Match {tag()}")
    url = f"/cores/{core['id']}"
    first = admin.patch(url, json={"name": "v2"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2 and etag_version(first) == 2
    # The ETag a response served is the If-Match of the next change; the weak form works too.
    second = admin.patch(url, json={"name": "v3"}, headers={"If-Match": "W/" + first.headers["etag"]})
    assert second.status_code == 200 and second.json()["name"] == "v3"
    third = admin.patch(url, json={"name": "v4", "version": 3})
    assert third.status_code == 200 and third.json()["version"] == 4
    deleted = admin.delete(url, headers={"If-Match": third.headers["etag"]})
    assert deleted.status_code == 204
    assert_error(admin.get(url), 404, "not_found")


@pytest.mark.parametrize("header", ["1", '"abc"', '""', 'W/"x"', '"1'])
def test_malformed_if_match_is_400(admin, header):
    core = admin.create_core(f"Bad if-match {tag()}")
    assert_error(admin.patch(f"/cores/{core['id']}", json={"name": "x"}, headers={"If-Match": header}), 400, "invalid_if_match")
    assert admin.get(f"/cores/{core['id']}").json() == core


def test_concurrent_patches_with_same_if_match_one_wins(server, admin):
    core = admin.create_core(f"Race {tag()}")
    url = f"/cores/{core['id']}"
    workers = 8
    barrier = threading.Barrier(workers)
    results = [None] * workers

    def patch(index):
        client = server.api()  # a session of its own: requests sessions are not thread-safe
        barrier.wait()
        response = client.patch(url, json={"name": f"writer {index}"}, headers={"If-Match": '"1"'})
        results[index] = (response.status_code, response.json())

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * (workers - 1), results
    winner = next(body for status, body in results if status == 200)
    for status, body in results:
        if status == 412:
            assert body["error"]["code"] == "precondition_failed"
    stored = admin.get(url).json()
    assert stored["version"] == 2 and stored["name"] == winner["name"]


def test_if_none_match_on_get(admin):
    core = admin.create_core(f"Conditional {tag()}")
    url = f"/cores/{core['id']}"
    fresh = admin.get(url, headers={"If-None-Match": '"1"'})
    assert fresh.status_code == 304 and fresh.content == b""
    assert fresh.headers["etag"] == '"1"'
    admin.patch(url, json={"name": "changed"}).raise_for_status()
    stale = admin.get(url, headers={"If-None-Match": '"1"'})
    assert stale.status_code == 200 and stale.json()["name"] == "changed" and etag_version(stale) == 2


def test_unknown_core_in_every_core_route_is_404(admin):
    missing = missing_core_id()
    assert_error(admin.get(f"/cores/{missing}"), 404, "not_found")
    assert_error(admin.patch(f"/cores/{missing}", json={"name": "x"}), 404, "not_found")
    assert_error(admin.delete(f"/cores/{missing}"), 404, "not_found")


def test_an_ir_that_cannot_run_is_refused_with_every_problem(admin):
    before = snapshot(admin)
    broken = {**MINIMAL_IR, "flows": {"main": {"triggers": [{"type": "api"}], "steps": [
        {"id": "a", "op": "set", "var": "x", "value": "{{ missing }}"},
        {"id": "a", "op": "teleport"},
        {"id": "c", "op": "if", "cond": "x >", "then": [{"id": "d", "op": "log", "message": "hi"}]},
    ]}}}
    error = assert_error(admin.post("/cores", json={"name": "broken", "ir": broken}), 422, "invalid_ir")
    problems = {(p["path"], p["message"].split(":")[0]) for p in error["details"]["problems"]}
    assert ("flows.main.steps[0].value", "undefined variable 'missing'") in problems
    assert ("flows.main.steps[1].op", "unknown op 'teleport'") in problems
    assert ("flows.main.steps[2].cond", "bad expression") in problems
    assert snapshot(admin) == before
