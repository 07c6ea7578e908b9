import struct

import pytest


@pytest.mark.django_db
def test_favicon_ico_is_served_as_an_icon_without_logging_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = response.content
    reserved, kind, count = struct.unpack("<HHH", body[:6])
    assert (reserved, kind, count) == (0, 1, 1)  # an ICO directory with one image
    assert body[6] == 32 and body[7] == 32


@pytest.mark.django_db
def test_favicon_refuses_a_post(client):
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
def test_pages_link_the_icon(client, agent):
    client.force_login(agent)
    assert b'rel="icon"' in client.get("/").content
