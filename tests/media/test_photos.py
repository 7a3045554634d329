import io
import json
from urllib.parse import quote_plus

import boto3
import pytest
import requests
from botocore.exceptions import EndpointConnectionError
from django.core.management import CommandError, call_command
from PIL import Image

from media import bucket as media_bucket
from media.events import on_upload
from media.models import Photo
from media.services import UploadRejected, photo_create_from_upload, photo_render, photo_upload_presign
from tests.factories import PostFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.aws]


def jpeg_bytes(width=1600, height=1000, color=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def upload(data, filename="holiday photo.jpg", content_type="image/jpeg"):
    """Upload like a browser: ask for a presigned POST, then POST the file to S3."""
    post = photo_upload_presign(filename=filename, content_type=content_type, size=len(data))
    response = requests.post(
        post["url"], data=post["fields"], files={"file": (filename, data, content_type)}, timeout=10
    )
    assert response.status_code in (200, 204), response.text
    return post["key"]


def s3_keys(local_aws, prefix):
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    listing = s3.list_objects_v2(Bucket="myblog-local-media", Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_an_upload_through_a_presigned_post_becomes_a_ready_photo_with_renditions(local_aws):
    key = upload(jpeg_bytes())
    photo = photo_create_from_upload(key=key, title="Holiday", alt_text="A red square")
    photo.refresh_from_db()
    assert key.startswith("uploads/") and key.endswith(".jpg")
    assert (photo.status, photo.width, photo.height, photo.content_type) == ("ready", 1600, 1000, "image/jpeg")
    assert sorted((r["width"], r["format"]) for r in photo.renditions) == [
        (w, f) for w in (320, 640, 1280) for f in ("jpeg", "webp")
    ]
    assert s3_keys(local_aws, "renditions/") == sorted(r["key"] for r in photo.renditions)
    assert all(r["key"].startswith(f"renditions/{photo.pk}/") for r in photo.renditions)
    served = requests.get(photo.fallback()["url"], timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_presigned_post_is_limited_in_type_and_size(settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(UploadRejected, match="not accepted"):
        photo_upload_presign(filename="x.exe", content_type="application/x-msdownload", size=10)
    with pytest.raises(UploadRejected, match="between 1 byte"):
        photo_upload_presign(filename="big.jpg", content_type="image/jpeg", size=1001)
    post = photo_upload_presign(filename="../../etc/passwd.jpg", content_type="image/jpeg", size=10)
    assert post["key"].startswith("uploads/") and ".." not in post["key"]
    policy = json.loads(__import__("base64").b64decode(post["fields"]["policy"]))
    assert ["content-length-range", 1, 1000] in policy["conditions"]


def test_the_server_checks_the_stored_object_not_what_the_client_claimed(settings):
    key = upload(b"this is not an image at all", filename="fake.jpg")
    with pytest.raises(UploadRejected):
        photo_create_from_upload(key=key, title="Fake", alt_text="Fake")
    big_key = upload(jpeg_bytes())
    settings.PHOTO_MAX_UPLOAD_BYTES = 100  # S3 accepted it (moto enforces no policy); we must not
    with pytest.raises(UploadRejected, match="limit"):
        photo_create_from_upload(key=big_key, title="Big", alt_text="Big")
    assert not Photo.objects.exists()


def test_rendering_twice_leaves_the_same_objects(local_aws):
    key = upload(jpeg_bytes())
    photo = photo_create_from_upload(key=key, title="Twice", alt_text="Twice")
    first = s3_keys(local_aws, "renditions/")
    photo_render(photo_id=photo.pk)
    assert s3_keys(local_aws, "renditions/") == first
    assert Photo.objects.get(pk=photo.pk).status == "ready"


def test_a_corrupt_upload_seen_by_the_s3_event_marks_the_photo_failed_without_retrying():
    key = upload(jpeg_bytes()[:400], filename="broken.jpg")
    event = {"Records": [{"s3": {"object": {"key": quote_plus(key), "size": 400}}}]}
    [photo_id] = on_upload(event, None)  # returns normally: Lambda will not retry
    photo = Photo.objects.get(pk=photo_id)
    assert photo.status == "failed" and photo.failure_reason


def test_the_s3_event_decodes_keys_and_never_acts_on_renditions(local_aws):
    key = upload(jpeg_bytes(), filename="summer day+sun.jpg")
    event = {
        "Records": [
            {"eventName": "ObjectCreated:Post", "s3": {"object": {"key": quote_plus(key), "size": 1}}},
            {"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "renditions/1/w320.webp", "size": 1}}},
        ]
    }
    [photo_id] = on_upload(event, None)
    photo = Photo.objects.get(pk=photo_id)
    assert photo.original.name == key
    assert photo.status == "ready"
    assert on_upload(event, None) == [photo_id]  # a second delivery: same row, same objects
    assert Photo.objects.count() == 1


def test_a_post_with_a_cover_photo_shows_a_responsive_image_and_the_api_returns_its_renditions(client):
    photo = photo_create_from_upload(key=upload(jpeg_bytes()), title="Cover", alt_text="A red square")
    post = PostFactory(cover_photo=photo)
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'alt="A red square"' in html
    assert 'srcset="' in html and " 1280w" in html and 'sizes="' in html
    assert 'width="640" height="400"' in html
    assert 'loading="lazy"' in client.get("/").content.decode()
    api = client.get(f"/api/blog/posts/{post.slug}/").json()
    urls = [r["url"] for r in api["cover_photo"]["renditions"]]
    assert len(urls) == 6 and all(requests.get(u, timeout=10).status_code == 200 for u in urls)


def test_the_admin_presign_endpoint_is_for_staff_and_answers_bad_input_with_json(client):
    url = "/admin/media/photo/add/presign/"
    assert client.post(url, "{}", content_type="application/json").status_code == 302  # to login
    client.force_login(StaffFactory())
    bad = client.post(url, "not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    wrong = client.post(
        url,
        json.dumps({"filename": "a.pdf", "content_type": "application/pdf", "size": 5}),
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "upload_rejected"
    ok = client.post(
        url, json.dumps({"filename": "a.jpg", "content_type": "image/jpeg", "size": 5}), content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["key"].startswith("uploads/")


def test_the_admin_add_form_rejects_a_missing_upload_with_a_form_error(client):
    client.force_login(StaffFactory())
    response = client.post("/admin/media/photo/add/", {"title": "T", "alt_text": "A", "upload_key": "uploads/nope.jpg"})
    assert response.status_code == 200
    assert "The upload was not found" in response.content.decode()


def test_photo_import_uploads_files_and_prints_rendition_urls(tmp_path, capsys):
    path = tmp_path / "beach.jpg"
    path.write_bytes(jpeg_bytes(800, 600))
    call_command("photo_import", str(path), "--title", "Beach")
    out = capsys.readouterr().out
    photo = Photo.objects.get()
    assert photo.title == "Beach" and photo.status == "ready"
    assert f"photo {photo.pk} ready" in out
    assert photo.rendition_urls()[0]["url"] in out


def test_importing_the_same_file_again_makes_no_second_photo_and_prints_the_first(local_aws, tmp_path, capsys):
    path, renamed = tmp_path / "beach.jpg", tmp_path / "beach copy.jpg"
    path.write_bytes(jpeg_bytes(800, 600))
    renamed.write_bytes(path.read_bytes())
    call_command("photo_import", str(path), "--title", "Beach")
    uploads = s3_keys(local_aws, "uploads/")
    capsys.readouterr()

    call_command("photo_import", str(path), str(renamed))

    photo = Photo.objects.get()
    out = capsys.readouterr().out
    assert out.count(f"photo {photo.pk} ready, imported before: skipped") == 2
    assert photo.rendition_urls()[0]["url"] in out
    assert photo.title == "Beach"
    assert s3_keys(local_aws, "uploads/") == uploads  # nothing uploaded again


def test_a_different_file_of_the_same_size_is_imported(tmp_path):
    first, second = tmp_path / "red.png", tmp_path / "blue.png"
    for path, color in ((first, (255, 0, 0)), (second, (0, 0, 255))):
        Image.new("RGB", (64, 64), color).save(path, "PNG", compress_level=0)  # the same size
    assert first.stat().st_size == second.stat().st_size

    call_command("photo_import", str(first), str(second))

    assert Photo.objects.count() == 2


def test_regenerating_renditions_of_an_id_that_is_no_photo_is_refused_before_any_work(monkeypatch):
    photo = photo_create_from_upload(key=upload(jpeg_bytes()), title="Kept", alt_text="Kept")
    enqueued: list[int] = []
    monkeypatch.setattr(
        "media.management.commands.regenerate_renditions.photo_enqueue_renditions",
        lambda *, photo_id: enqueued.append(photo_id),
    )

    with pytest.raises(CommandError, match=r"No photo with id 9999 \(nothing was done\)"):
        call_command("regenerate_renditions", str(photo.pk), "9999")

    assert enqueued == []


def test_regenerating_renditions_while_s3_fails_says_which_photos_failed_and_to_run_again(monkeypatch, capsys):
    first = photo_create_from_upload(key=upload(jpeg_bytes()), title="One", alt_text="One")
    second = photo_create_from_upload(key=upload(jpeg_bytes()), title="Two", alt_text="Two")
    read = media_bucket.read

    def read_failing_for_the_first(key: str) -> bytes:
        if key == first.original.name:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
        return read(key)

    monkeypatch.setattr(media_bucket, "read", read_failing_for_the_first)

    with pytest.raises(CommandError, match=r"1 of 2 photo\(s\) failed \(.*\); run the command again for them"):
        call_command("regenerate_renditions")

    out, err = capsys.readouterr()
    assert f"photo {first.pk}: Could not connect to the endpoint URL" in err
    assert "1 photo(s) queued; 1 ready, 0 not (yet)." in out
    assert Photo.objects.get(pk=second.pk).status == "ready"


def test_a_photo_embedded_in_a_post_body_shows_as_a_lazy_responsive_image_with_its_caption(client):
    photo = photo_create_from_upload(key=upload(jpeg_bytes()), title="Inline", alt_text="A red square")
    photo.refresh_from_db()  # renditions were made after the upload committed
    post = PostFactory(body=f"Before.\n\n![Seen from the *pier*](photo:{photo.pk})\n\nAfter.")

    html = client.get(post.get_absolute_url()).content.decode()
    body = html.split('<div class="post-body">', 1)[1]
    assert body.index("Before.") < body.index("<picture>") < body.index("After.")
    assert 'alt="A red square"' in body and 'loading="lazy"' in body
    assert " 320w" in body and " 1280w" in body and 'width="640" height="400"' in body
    assert "<figcaption>Seen from the *pier*</figcaption>" in body
    api_body = client.get(f"/api/blog/posts/{post.slug}/").json()["body_html"]
    assert photo.fallback()["url"] in api_body
    assert photo.fallback()["url"] in client.get("/feed/").content.decode()


def test_an_embedded_photo_still_rendering_shows_nothing_until_it_is_ready_and_then_the_page_changes(client):
    photo = photo_create_from_upload(key=upload(jpeg_bytes()), title="Later", alt_text="A red square")
    photo.refresh_from_db()
    ready_renditions = photo.renditions
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PENDING, renditions=[])
    post = PostFactory(body=f"![](photo:{photo.pk})")
    first = client.get(post.get_absolute_url())
    assert "<picture>" not in first.content.decode() and "photo:" not in first.content.decode()

    photo.refresh_from_db()
    photo.status, photo.renditions = Photo.Status.READY, ready_renditions
    photo.save()

    # The ETag moves with the photo, so caches that revalidate get the page with the image.
    again = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "<picture>" in again.content.decode()


def test_a_post_cannot_embed_a_photo_that_does_not_exist(client):
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    photo = photo_create_from_upload(key=upload(jpeg_bytes()), title="Real", alt_text="A red square")
    form = {"title": "Embeds", "slug": "embeds", "status": "draft", "author": admin.pk, "tags": ""}

    missing = client.post("/admin/myblog/post/add/", {**form, "body": f"![](photo:{photo.pk + 100})"})
    assert missing.status_code == 200
    assert f"No photo with id {photo.pk + 100}" in missing.content.decode()

    # The photo's admin page gives the line to paste.
    code = f"![Real](photo:{photo.pk})"
    assert code in client.get(f"/admin/media/photo/{photo.pk}/change/").content.decode()
    saved = client.post("/admin/myblog/post/add/", {**form, "body": code})
    assert saved.status_code == 302
