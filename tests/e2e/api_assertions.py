"""Assertions shared by the test_api_*.py end-to-end tests (not a test module itself)."""
import secrets
import string

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def assert_error(response, status, code):
    """`response` is a JSON error {"error": {"code", "message", "details"}} with `status` and `code`;
    answers the error object."""
    assert response.status_code == status, f"expected {status} {code}, got {response.status_code}: {response.text}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    assert response.headers.get("x-request-id"), "error response without x-request-id"
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "details"} <= set(error), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error
    if status == 401:
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), response.headers
    return error


def problem_paths(error):
    """The `path` of every problem of an invalid_request error."""
    problems = error["details"]["problems"]
    assert problems and all(isinstance(p.get("path"), str) and isinstance(p.get("problem"), str) for p in problems), problems
    return [p["path"] for p in problems]


def missing_core_id():
    """A well-formed Core id that no Core has."""
    return "core_" + "".join(secrets.choice(CROCKFORD) for _ in range(26))


def tag():
    """A short lowercase word that makes names and slugs unique across tests sharing a server."""
    return "t" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


def etag_version(response):
    etag = response.headers.get("etag")
    assert etag and etag.startswith('"') and etag.endswith('"'), f"bad ETag {etag!r}"
    return int(etag.strip('"'))


# How to bring a new Core into each status with lifecycle actions.
SETUP = {"created": [], "running": ["start"], "paused": ["start", "pause"], "stopped": ["start", "stop"]}


def core_in(api, status, name=None):
    """A new Core of the caller's tenant, brought into `status`."""
    core = api.create_core(name or f"Core {status} {tag()}")
    for action in SETUP[status]:
        response = api.post(f"/cores/{core['id']}/{action}")
        assert response.status_code == 200, response.text
        core = response.json()
    assert core["status"] == status
    return core
