import pytest

from myblog.blog.models import Post
from tests.factories import PostFactory, StaffFactory, UserFactory, draft, offered_actions, staff_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_the_post_list_searches_and_filters(staff_client):
    PostFactory(title="About DynamoDB")
    draft(title="About email")
    found = staff_client.get("/admin/myblog/post/?q=dynamodb").content.decode()
    drafts = staff_client.get("/admin/myblog/post/?visibility=draft").content.decode()
    assert "About DynamoDB" in found and "About email" not in found
    assert "About email" in drafts and "About DynamoDB" not in drafts


def test_the_add_form_prepopulates_the_slug_and_creates_a_post(staff_client):
    form = staff_client.get("/admin/myblog/post/add/").content.decode()
    assert "prepopulated_fields" in form or "data-prepopulated-field" in form or "prepopulate" in form
    author = UserFactory()
    response = staff_client.post(
        "/admin/myblog/post/add/",
        {
            "title": "From the admin",
            "slug": "from-the-admin",
            "summary": "",
            "body": "Hello **admin**",
            "tags": "aws, admin",
            "status": "published",
            "publish_at_0": "",
            "publish_at_1": "",
            "author": author.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(slug="from-the-admin")
    assert post.is_visible()
    assert post.body_html == "<p>Hello <strong>admin</strong></p>"
    assert sorted(post.tags.names()) == ["admin", "aws"]


def test_the_admin_rejects_a_duplicate_slug_with_a_form_error(staff_client):
    existing = PostFactory()
    response = staff_client.post(
        "/admin/myblog/post/add/",
        {"title": "Again", "slug": existing.slug, "body": "x", "status": "draft", "author": existing.author.pk},
    )
    assert response.status_code == 200
    assert "Post with this Slug already exists." in response.content.decode()


def test_publish_and_unpublish_actions(staff_client):
    post = draft()
    staff_client.post("/admin/myblog/post/", {"action": "publish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.is_visible()
    staff_client.post("/admin/myblog/post/", {"action": "unpublish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_the_preview_shows_a_draft_to_staff_only(client):
    post = draft(title="Hidden draft")
    url = f"/admin/myblog/post/{post.pk}/preview/"
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(UserFactory())
    assert client.get(url).status_code == 302
    client.force_login(StaffFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "Hidden draft" in response.content.decode()
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_view_only_staff_are_not_offered_publishing_and_a_forged_action_changes_nothing(client):
    hidden, live = draft(), PostFactory()
    client.force_login(staff_with("myblog", "view_post"))
    client.post("/admin/myblog/post/", {"action": "publish", "_selected_action": [hidden.pk]})
    client.post("/admin/myblog/post/", {"action": "unpublish", "_selected_action": [live.pk]})
    hidden.refresh_from_db()
    live.refresh_from_db()
    assert hidden.status == Post.Status.DRAFT and live.is_visible()
    page = client.get("/admin/myblog/post/")
    assert page.status_code == 200 and offered_actions(page) == []


def test_staff_who_may_change_posts_can_publish_and_unpublish_them(client):
    post = draft()
    client.force_login(staff_with("myblog", "view_post", "change_post"))
    # (and the newsletter's test email, which needs the change permission too: tests/newsletter/test_admin.py)
    assert offered_actions(client.get("/admin/myblog/post/")) == ["publish", "unpublish", "send_test_to_me"]
    client.post("/admin/myblog/post/", {"action": "publish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.is_visible()
    client.post("/admin/myblog/post/", {"action": "unpublish", "_selected_action": [post.pk]})
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
