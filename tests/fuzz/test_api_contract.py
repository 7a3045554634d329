"""The APIs' contract for what a consumer gets wrong: one rule for query parameters, JSON errors everywhere.

The rule (README "MyToDoList API"): a known query parameter with an invalid value, or given more
than once, is refused with a 400 in the JSON error shape naming it in ``fields``; an unknown
parameter is ignored. Any path under /api/ that no route matches answers the JSON 404 shape.
Both hold whatever DEBUG is: Django's debug pages are HTML, which no API client can read.
"""

import pytest
from django.test import Client

from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
POSTS = "/api/blog/posts/"


@pytest.fixture(params=[False, True], ids=["DEBUG off", "DEBUG on"])
def debug(request, settings) -> bool:
    settings.DEBUG = request.param
    return request.param


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The answer is ``status`` in the error shape of both schemas (the Error model)."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == JSON
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in error["fields"].values())
    if code:
        assert error["code"] == code
    return error


@pytest.mark.parametrize(
    "query, field",
    [
        ("page_size=null&page_size=null", "page_size"),
        ("page_size=5&page_size=5", "page_size"),
        ("page=1&page=2", "page"),
        ("tag=aws&tag=email", "tag"),
        ("search=a&search=b", "search"),
    ],
)
def test_a_blog_list_parameter_given_twice_is_refused_with_a_json_400(client, debug, query, field):
    PostFactory()
    error = assert_error(client.get(f"{POSTS}?{query}"), 400, "invalid")
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize(
    "query, field",
    [
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1.5", "page_size"),
        ("page=x", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("search=a%00b", "search"),
        ("tag=a%00b", "tag"),
        ("search=" + "x" * 201, "search"),
    ],
)
def test_an_invalid_blog_list_parameter_is_refused_with_a_json_400(client, debug, query, field):
    PostFactory()
    error = assert_error(client.get(f"{POSTS}?{query}"), 400, "invalid")
    assert list(error["fields"]) == [field]


def test_valid_and_unknown_blog_list_parameters_are_answered(client, debug):
    PostFactory.create_batch(3, tags=["aws"])
    response = client.get(f"{POSTS}?page_size=2&page=2&tag=aws&search=&utm_source=mail")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 1


def test_a_page_past_the_last_is_a_json_404(client, debug):
    PostFactory()
    assert_error(client.get(f"{POSTS}?page=9"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing",
        "/api/nothing/",
        "/api/blog/posts/a%20slug/",
        "/api/blog/posts/%C3%A9t%C3%A9/",
        "/api/blog/posts/a/b/",
        "/api/blog/",
        "/api/todos/not-an-id/",
        "/api/todos/schema/x",
    ],
)
def test_an_unmatched_path_under_api_answers_the_json_404(debug, path):
    client = Client(enforce_csrf_checks=True)  # as a browser's request is checked, not a test's
    assert_error(client.get(path), 404, "not_found")
    for method in ("post", "put", "patch", "delete"):
        assert_error(getattr(client, method)(path, {}, content_type=JSON), 404, "not_found")


def test_an_api_path_without_its_trailing_slash_still_redirects_to_it(client, debug):
    response = client.get("/api/blog/posts?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/api/blog/posts/?page=2"


def test_a_page_outside_the_api_keeps_its_html_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=1&limit=2", "limit"),
        ("cursor=a&cursor=b", "cursor"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("limit=null", "limit"),
        ("cursor=", "cursor"),
    ],
)
@pytest.mark.parametrize("path", ["/api/todos/", "/api/files/"])
def test_an_invalid_or_repeated_todo_list_parameter_is_refused_with_a_json_400(alice_api, debug, path, query, field):
    error = assert_error(alice_api.get(f"{path}?{query}"), 400, "invalid")
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "Milk", "completed": 0}, "completed"),
        ({"title": "Milk", "completed": "true"}, "completed"),
        ({"title": "Milk", "order": "3"}, "order"),
        ({"title": "Milk", "order": 3.0}, "order"),
        ({"title": "Milk", "order": True}, "order"),
        ({"title": 5}, "title"),
    ],
)
def test_a_todo_field_of_the_wrong_json_type_is_refused(alice_api, body, field):
    error = assert_error(alice_api.post("/api/todos/", body), 400, "invalid")
    assert list(error["fields"]) == [field]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "nothing/at-all"])
def test_every_api_answers_json_whatever_accept_asks_for(client, alice_api, settings, accept):
    settings.SUBSCRIBE_THROTTLE_RATE = "10000/hour"
    post = PostFactory()
    answers = [
        client.get(POSTS, HTTP_ACCEPT=accept),
        client.get(f"{POSTS}{post.slug}/", HTTP_ACCEPT=accept),
        client.get(f"{POSTS}?page=0", HTTP_ACCEPT=accept),
        client.post("/api/blog/subscribers/", {"email": "x"}, content_type=JSON, HTTP_ACCEPT=accept),
        alice_api.get("/api/todos/", headers={"Accept": accept}),
        alice_api.get("/api/todos/?limit=0", headers={"Accept": accept}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 400, 400, 200, 400]
    assert {a["Content-Type"] for a in answers} == {JSON}


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"title": "' + b"x" * 3_000_000 + b'"}', JSON, 400),
        (b'{"title": ', JSON, 400),
        (b'{"title": "Milk"}', "text/plain", 415),
    ],
    ids=["a body past DATA_UPLOAD_MAX_MEMORY_SIZE", "broken JSON", "not JSON"],
)
@pytest.mark.parametrize("path", ["/api/todos/", "/api/blog/subscribers/"])
def test_a_bad_body_is_refused_in_the_json_error_shape(alice_api, settings, debug, path, body, content_type, status):
    settings.SUBSCRIBE_THROTTLE_RATE = "10000/hour"
    assert_error(alice_api.client.post(path, body, content_type=content_type, headers=alice_api.headers), status)


@pytest.mark.parametrize("path", [POSTS, f"{POSTS}hello/"])
def test_a_blog_api_precondition_that_fails_is_a_documented_json_412(client, debug, path):
    PostFactory(slug="hello")
    assert_error(client.get(path, HTTP_IF_MATCH='"not-this-one"'), 412, "precondition_failed")
    etag = client.get(path)["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    operation = blog_schema(client)["paths"][path.replace("hello", "{slug}")]["get"]
    assert {"304", "412"} <= set(operation["responses"])
    assert "If-None-Match" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}


def test_a_missing_token_or_an_unoffered_method_is_a_json_error(client, debug):
    post = PostFactory()
    assert_error(client.get("/api/todos/"), 401, "not_authenticated")
    assert_error(client.get("/api/files/x.txt", headers={"Authorization": "Bearer nonsense"}), 401)
    assert_error(client.put(f"{POSTS}{post.slug}/", {}, content_type=JSON), 405, "method_not_allowed")
    assert_error(client.get("/api/blog/subscribers/"), 405, "method_not_allowed")


def blog_schema(client) -> dict:
    return client.get("/api/schema/", {"format": "json"}).json()  # never chosen by Accept (not in CloudFront's key)


def todo_schema(client) -> dict:
    return client.get("/api/todos/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_the_blog_schema_documents_each_list_parameter_and_the_400(client):
    operation = blog_schema(client)["paths"][POSTS]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["page"] == {"type": "integer", "minimum": 1}
    assert params["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["search"]["maxLength"] == 200
    assert "pattern" in params["search"] and "pattern" in params["tag"]
    assert {"400", "404"} <= set(operation["responses"])


def test_the_todo_schema_documents_the_list_parameters_and_closed_bodies(client):
    schema = todo_schema(client)
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/todos/"]["get"]["parameters"] if p["in"] == "query"}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert params["cursor"]["minLength"] == 1
    components = schema["components"]["schemas"]
    assert components["TodoInput"]["additionalProperties"] is False
    assert components["PatchedTodoInput"]["minProperties"] == 1
