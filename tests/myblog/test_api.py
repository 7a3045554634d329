import pytest

from tests.factories import PostFactory, draft

pytestmark = pytest.mark.django_db


def test_the_list_is_paginated_and_newest_first(client):
    posts = PostFactory.create_batch(12)
    body = client.get("/api/blog/posts/").json()
    assert body["count"] == 12
    assert len(body["results"]) == 10
    newest_first = sorted(posts, key=lambda p: p.publish_at, reverse=True)
    assert [item["slug"] for item in body["results"]] == [p.slug for p in newest_first[:10]]
    assert body["next"] == "http://testserver/api/blog/posts/?page=2"
    second = client.get(body["next"]).json()
    assert [item["slug"] for item in second["results"]] == [p.slug for p in newest_first[10:]]


def test_a_list_item_has_an_absolute_url_author_and_tags(client):
    post = PostFactory(tags=["aws", "django"])
    item = client.get("/api/blog/posts/").json()["results"][0]
    assert item["url"] == f"http://testserver{post.get_absolute_url()}"
    assert item["author"] == "Ada Writer"
    assert sorted(item["tags"]) == ["aws", "django"]
    assert "body_html" not in item


def test_the_list_filters_by_tag_and_by_search(client):
    PostFactory(title="DynamoDB keys", tags=["dynamodb"])
    PostFactory(title="Email that arrives", summary="SES in practice", tags=["email"])
    by_tag = client.get("/api/blog/posts/?tag=dynamodb").json()
    by_search = client.get("/api/blog/posts/?search=ses").json()
    assert [item["title"] for item in by_tag["results"]] == ["DynamoDB keys"]
    assert [item["title"] for item in by_search["results"]] == ["Email that arrives"]
    assert client.get("/api/blog/posts/?tag=unknown").json()["count"] == 0


def test_the_detail_includes_the_rendered_html(client):
    post = PostFactory(body="Some **bold** text")
    body = client.get(f"/api/blog/posts/{post.slug}/").json()
    assert body["body_html"] == "<p>Some <strong>bold</strong> text</p>"
    assert body["body"] == "Some **bold** text"


def test_drafts_are_not_in_the_api(client):
    hidden = draft()
    assert client.get("/api/blog/posts/").json()["count"] == 0
    response = client.get(f"/api/blog/posts/{hidden.slug}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_answer_405_with_a_json_error(client, method):
    post = PostFactory()
    for url in ("/api/blog/posts/", f"/api/blog/posts/{post.slug}/"):
        response = getattr(client, method)(url, data={"title": "x"}, content_type="application/json")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"
        assert response.json()["error"]["message"]


def test_a_page_out_of_range_or_an_unknown_path_is_a_json_404(client):
    PostFactory()
    # ?page=x is not a page number: a 400 (tests/fuzz/test_api_contract.py).
    for url in ("/api/blog/posts/?page=9", "/api/nothing/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"


def test_the_openapi_schema_describes_the_blog_api_and_swagger_ui_is_served_locally(client):
    # JSON by ?format=json, never by Accept, which CloudFront's cache key leaves out.
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/blog/posts/", "/api/blog/posts/{slug}/"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/blog/posts/"]["get"]["parameters"]}
    assert {"tag", "search", "page"} <= params
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "https://" not in docs.split("<body")[0]
