"""Tenant isolation: another tenant's admin can neither see nor change a Core, on any route; and back."""
import pytest

from api_assertions import assert_error, core_in, missing_core_id, tag

# Where each action is legal, so that a leak across tenants would show as a 200, not a 409.
LEGAL_FROM = {"start": "created", "stop": "running", "pause": "running", "resume": "paused", "restart": "running"}


def all_ids(api, **params):
    ids, cursor = [], None
    while True:
        page = api.get("/cores", params={"limit": 200, **params, **({"cursor": cursor} if cursor else {})}).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def audit_items(api, **params):
    response = api.get("/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_like_missing(response, core_id):
    """A foreign Core answers exactly as a Core that does not exist (same status, code, details shape)."""
    error = assert_error(response, 404, "not_found")
    assert error["details"] == {"id": core_id}
    assert error["message"] == f"Core '{core_id}' does not exist"


def probes(owner, intruder, core):
    """Every route tried by `intruder` on `core` of `owner`; asserts the owner's view is unchanged."""
    url = f"/cores/{core['id']}"
    before = owner.get(url).json()
    assert_like_missing(intruder.get(url), core["id"])
    assert_like_missing(intruder.get(url, headers={"If-None-Match": f'"{core["version"]}"'}), core["id"])
    assert_like_missing(intruder.patch(url, json={"name": "hijacked"}), core["id"])
    assert_like_missing(intruder.patch(url, json={"name": "hijacked"}, headers={"If-Match": f'"{core["version"]}"'}), core["id"])
    assert_like_missing(intruder.patch(url, json={"name": "hijacked", "version": core["version"]}), core["id"])
    assert_like_missing(intruder.delete(url), core["id"])
    assert_like_missing(intruder.delete(url, headers={"If-Match": f'"{core["version"]}"'}), core["id"])
    for action in LEGAL_FROM:
        assert_like_missing(intruder.post(f"{url}/{action}", json={"reason": "cross-tenant"}), core["id"])
    assert core["id"] not in all_ids(intruder)
    assert core["id"] not in all_ids(intruder, status=",".join(["created", "running", "paused", "stopped"]))
    assert audit_items(intruder, target_id=core["id"]) == []
    assert core["id"] not in {entry["target_id"] for entry in audit_items(intruder)}
    assert owner.get(url).json() == before, "the owner's Core must be unchanged"
    assert core["id"] in all_ids(owner)


def test_other_tenant_cannot_touch_created_core(admin, other_tenant):
    probes(admin, other_tenant, core_in(admin, "created"))


def test_other_tenant_cannot_touch_running_core(admin, other_tenant):
    probes(admin, other_tenant, core_in(admin, "running"))


def test_other_tenant_cannot_touch_paused_core(admin, other_tenant):
    probes(admin, other_tenant, core_in(admin, "paused"))


def test_first_tenant_cannot_touch_second_tenants_core(admin, other_tenant):
    for status in ("created", "running", "paused"):
        probes(other_tenant, admin, core_in(other_tenant, status))


@pytest.mark.parametrize("action", list(LEGAL_FROM))
def test_each_lifecycle_action_is_404_across_tenants(admin, other_tenant, action):
    core = core_in(admin, LEGAL_FROM[action])
    assert_like_missing(other_tenant.post(f"/cores/{core['id']}/{action}"), core["id"])
    after = admin.get(f"/cores/{core['id']}").json()
    assert after == core
    # The owner can still take the action: it was legal all along.
    assert admin.post(f"/cores/{core['id']}/{action}").status_code == 200


def test_foreign_core_is_indistinguishable_from_missing(admin, other_tenant):
    core = core_in(admin, "created")
    missing = missing_core_id()
    foreign = other_tenant.get(f"/cores/{core['id']}")
    absent = other_tenant.get(f"/cores/{missing}")
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json()["error"]["message"].replace(core["id"], "ID") == absent.json()["error"]["message"].replace(missing, "ID")
    assert set(foreign.headers) - {"Date"} == set(absent.headers) - {"Date"}


def test_lists_and_audit_are_disjoint(admin, other_tenant):
    mine = core_in(admin, "running")
    theirs = core_in(other_tenant, "running")
    mine_ids, their_ids = set(all_ids(admin)), set(all_ids(other_tenant))
    assert mine["id"] in mine_ids and theirs["id"] in their_ids
    assert not mine_ids & their_ids
    assert not {e["target_id"] for e in audit_items(admin)} & their_ids
    assert not {e["target_id"] for e in audit_items(other_tenant)} & mine_ids
    assert audit_items(admin, target_id=theirs["id"]) == []
    assert [e["action"] for e in audit_items(other_tenant, target_id=theirs["id"])] == ["core.create", "core.status", "core.status"]


def test_audit_pagination_stays_in_tenant(admin, other_tenant):
    core_in(other_tenant, "running")
    their_ids = set(all_ids(other_tenant))
    seen, cursor = [], None
    while True:
        page = admin.get("/audit", params={"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen and not {e["target_id"] for e in seen} & their_ids
    assert len({e["id"] for e in seen}) == len(seen)


def test_slugs_are_per_tenant(admin, other_tenant):
    slug = f"shared-{tag()}"
    mine = admin.create_core("Mine", slug=slug)
    theirs = other_tenant.create_core("Theirs", slug=slug)
    assert mine["slug"] == theirs["slug"] == slug and mine["id"] != theirs["id"]
    # Each tenant still sees only its own.
    assert admin.get(f"/cores/{mine['id']}").json()["name"] == "Mine"
    assert other_tenant.get(f"/cores/{theirs['id']}").json()["name"] == "Theirs"


def test_cursor_from_other_tenant_leaks_nothing(admin, other_tenant):
    for i in range(3):
        core_in(admin, "created", name=f"Cursor {i} {tag()}")
    page = admin.get("/cores", params={"limit": 1}).json()
    assert page["next_cursor"]
    response = other_tenant.get("/cores", params={"limit": 200, "cursor": page["next_cursor"]})
    assert response.status_code == 200, response.text
    assert not {item["id"] for item in response.json()["items"]} & set(all_ids(admin))
