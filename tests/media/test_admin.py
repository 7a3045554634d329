"""Who may do what with photos in the admin: regenerating renditions and asking for an upload URL."""

import json

import pytest

from media.models import Photo
from tests.factories import offered_actions, staff_with

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/media/photo/"
PRESIGN = "/admin/media/photo/add/presign/"
JPEG = json.dumps({"filename": "a.jpg", "content_type": "image/jpeg", "size": 5})


@pytest.fixture
def enqueued(monkeypatch):
    """The photo ids whose renditions the admin queued (the queue itself is Lambda's)."""
    ids: list[int] = []
    monkeypatch.setattr("media.admin.photo_enqueue_renditions", lambda *, photo_id: ids.append(photo_id))
    return ids


def test_view_only_staff_cannot_regenerate_renditions(client, enqueued):
    photo = Photo.objects.create(title="T", alt_text="A", original="uploads/a.jpg")
    client.force_login(staff_with("media", "view_photo"))
    client.post(CHANGELIST, {"action": "regenerate_renditions", "_selected_action": [photo.pk]})
    assert enqueued == []
    assert offered_actions(client.get(CHANGELIST)) == []


def test_staff_who_may_change_photos_can_regenerate_their_renditions(client, enqueued):
    photo = Photo.objects.create(title="T", alt_text="A", original="uploads/a.jpg")
    client.force_login(staff_with("media", "view_photo", "change_photo"))
    assert offered_actions(client.get(CHANGELIST)) == ["regenerate_renditions"]
    client.post(CHANGELIST, {"action": "regenerate_renditions", "_selected_action": [photo.pk]})
    assert enqueued == [photo.pk]


def test_staff_who_may_not_add_photos_get_a_json_403_from_the_upload_url_endpoint(client):
    client.force_login(staff_with("media", "view_photo", "change_photo"))
    response = client.post(PRESIGN, JPEG, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "add photos" in response.json()["error"]["message"]


@pytest.mark.aws
def test_staff_who_may_add_photos_get_an_upload_url(client):
    client.force_login(staff_with("media", "add_photo"))
    response = client.post(PRESIGN, JPEG, content_type="application/json")
    assert response.status_code == 200 and response.json()["key"].startswith("uploads/")
