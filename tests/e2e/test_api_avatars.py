"""Core avatars: images kept in the object store, served back with their type, gone with the Core."""
import pathlib

import pytest

from api_assertions import assert_error
from conftest import issue_token

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
GIF = b"GIF89a" + b"\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 32


def put_avatar(api, core_id, body, content_type):
    return api.request("PUT", f"/cores/{core_id}/avatar", data=body, headers={"Content-Type": content_type})


def test_set_read_replace_and_delete_an_avatar(server):
    api = server.api()
    core = api.create_core("avatar core")
    assert core["avatar_url"] is None
    response = put_avatar(api, core["id"], PNG, "image/png")
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["avatar_url"] == f"/v1/modules/scaicore/cores/{core['id']}/avatar"
    assert changed["version"] == core["version"] + 1

    image = api.get(f"/cores/{core['id']}/avatar")
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png" and image.content == PNG
    assert api.get(f"/cores/{core['id']}/avatar", headers={"If-None-Match": image.headers["ETag"]}).status_code == 304

    assert put_avatar(api, core["id"], GIF, "image/gif").status_code == 200
    replaced = api.get(f"/cores/{core['id']}/avatar")
    assert replaced.headers["Content-Type"] == "image/gif" and replaced.content == GIF
    assert replaced.headers["ETag"] != image.headers["ETag"]

    assert api.delete(f"/cores/{core['id']}/avatar").status_code == 204
    assert_error(api.get(f"/cores/{core['id']}/avatar"), 404, "avatar_not_found")
    assert api.get(f"/cores/{core['id']}").json()["avatar_url"] is None
    assert_error(api.delete(f"/cores/{core['id']}/avatar"), 404, "avatar_not_found")


@pytest.mark.parametrize("body, content_type, status, code", [
    (PNG, "text/html", 415, "unsupported_avatar_type"),
    (b"<html>not an image</html>", "image/png", 415, "avatar_type_mismatch"),
    (b"", "image/png", 400, "empty_avatar"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1 << 20), "image/png", 413, "avatar_too_large"),
])
def test_bad_avatars_are_refused_and_change_nothing(server, body, content_type, status, code):
    api = server.api()
    core = api.create_core("bad avatar core")
    assert_error(put_avatar(api, core["id"], body, content_type), status, code)
    after = api.get(f"/cores/{core['id']}").json()
    assert after["avatar_url"] is None and after["version"] == core["version"]
    assert_error(api.get(f"/cores/{core['id']}/avatar"), 404, "avatar_not_found")


def test_avatars_need_write_permission_and_respect_tenancy(server):
    api = server.api()
    core = api.create_core("guarded avatar core")
    assert put_avatar(api, core["id"], PNG, "image/png").status_code == 200
    _, viewer = issue_token(server.data_dir, "viewer")
    viewer_api = server.api(viewer)
    assert viewer_api.get(f"/cores/{core['id']}/avatar").status_code == 200
    assert_error(put_avatar(viewer_api, core["id"], GIF, "image/gif"), 403, "forbidden")
    assert_error(viewer_api.delete(f"/cores/{core['id']}/avatar"), 403, "forbidden")
    assert_error(api.get("/cores/core_01ZZZZZZZZZZZZZZZZZZZZZZZZ/avatar"), 404, "not_found")


def blob_files(server):
    return {path.name for path in (pathlib.Path(server.data_dir) / "objects" / "blobs").iterdir()}


@pytest.mark.parametrize("image, files", [
    (PNG, 0),  # up to 16 KiB: kept inside the object index, no file
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 80, 1),  # 20 KiB: a blob file
])
def test_the_image_is_an_object_and_leaves_with_the_core(server, image, files):
    api = server.api()
    core = api.create_core("short-lived core")
    before = blob_files(server)
    assert put_avatar(api, core["id"], image, "image/png").status_code == 200
    added = blob_files(server) - before
    assert len(added) == files
    if files:
        stored = pathlib.Path(server.data_dir) / "objects" / "blobs" / added.pop()
        assert stored.read_bytes() == image
    assert api.get(f"/cores/{core['id']}/avatar").content == image
    assert api.delete(f"/cores/{core['id']}").status_code == 204
    assert_error(api.get(f"/cores/{core['id']}/avatar"), 404, "not_found")
    assert blob_files(server) == before
