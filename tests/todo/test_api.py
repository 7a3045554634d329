"""The to-do endpoints, called as the mobile app calls them: with a real Cognito access token."""

import json
import re

import pytest

LIST = "/api/todos/"


def detail(todo_id: str) -> str:
    return f"/api/todos/{todo_id}/"


def test_a_new_user_has_no_todos(alice_api):
    response = alice_api.get(LIST)

    assert response.status_code == 200
    assert response.json() == []
    assert "Link" not in response.headers


def test_creating_a_todo_answers_201_with_location_etag_and_the_full_representation(alice_api):
    response = alice_api.post(LIST, {"title": "Buy milk"})

    assert response.status_code == 201
    todo = response.json()
    assert set(todo) == {"id", "url", "title", "completed", "order", "created_at", "updated_at", "version"}
    assert todo["title"] == "Buy milk"
    assert todo["completed"] is False
    assert todo["order"] == 0
    assert todo["version"] == 1
    assert todo["url"] == f"http://testserver/api/todos/{todo['id']}/"
    assert response.headers["Location"] == todo["url"]
    assert response.headers["ETag"] == '"1"'
    assert alice_api.get(detail(todo["id"])).json() == todo


def test_the_list_is_ordered_by_order_then_creation(alice_api):
    titles = [("c", 2), ("a", 0), ("b", 1), ("a2", 0), ("z", -5)]
    for title, order in titles:
        assert alice_api.post(LIST, {"title": title, "order": order}).status_code == 201

    assert [todo["title"] for todo in alice_api.get(LIST).json()] == ["z", "a", "a2", "b", "c"]


def test_patch_changes_only_the_fields_sent_and_increments_the_version(alice_api):
    todo = alice_api.post(LIST, {"title": "Write report", "order": 3}).json()

    response = alice_api.patch(detail(todo["id"]), {"completed": True})

    assert response.status_code == 200
    changed = response.json()
    assert changed["completed"] is True
    assert changed["title"] == "Write report"
    assert changed["order"] == 3
    assert changed["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert changed["updated_at"] >= todo["updated_at"]
    assert changed["created_at"] == todo["created_at"]


def test_patch_of_order_moves_the_todo_in_the_list(alice_api):
    first = alice_api.post(LIST, {"title": "first"}).json()
    alice_api.post(LIST, {"title": "second"})

    alice_api.patch(detail(first["id"]), {"order": 10})

    assert [todo["title"] for todo in alice_api.get(LIST).json()] == ["second", "first"]


def test_put_replaces_every_field_and_defaults_what_is_missing(alice_api):
    todo = alice_api.post(LIST, {"title": "Old", "completed": True, "order": 7}).json()

    response = alice_api.put(detail(todo["id"]), {"title": "New"})

    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("title", "completed", "order", "version")} == {
        "title": "New",
        "completed": False,
        "order": 0,
        "version": 2,
    }


def test_put_accepts_the_representation_it_read_back(alice_api):
    todo = alice_api.post(LIST, {"title": "Round trip"}).json()

    response = alice_api.put(detail(todo["id"]), {**todo, "title": "Round trip, edited"})

    assert response.status_code == 200
    assert response.json()["title"] == "Round trip, edited"


def test_delete_removes_one_todo(alice_api):
    keep = alice_api.post(LIST, {"title": "keep"}).json()
    drop = alice_api.post(LIST, {"title": "drop"}).json()

    assert alice_api.delete(detail(drop["id"])).status_code == 204

    assert alice_api.get(detail(drop["id"])).status_code == 404
    assert alice_api.delete(detail(drop["id"])).status_code == 404
    assert [todo["id"] for todo in alice_api.get(LIST).json()] == [keep["id"]]


def test_delete_of_the_collection_removes_all_of_the_callers_todos_only(alice_api, bob_api):
    for i in range(5):
        alice_api.post(LIST, {"title": f"alice {i}"})
    bobs = bob_api.post(LIST, {"title": "bob's"}).json()

    assert alice_api.delete(LIST).status_code == 204

    assert alice_api.get(LIST).json() == []
    assert [todo["id"] for todo in bob_api.get(LIST).json()] == [bobs["id"]]


# --- conditional requests ---------------------------------------------------------------------


def test_if_none_match_with_the_current_etag_answers_304(alice_api):
    todo = alice_api.post(LIST, {"title": "cache me"})
    etag = todo.headers["ETag"]

    response = alice_api.get(detail(todo.json()["id"]), headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag


def test_the_list_etag_answers_304_until_the_list_changes(alice_api):
    alice_api.post(LIST, {"title": "one"})
    first = alice_api.get(LIST)

    again = alice_api.get(LIST, headers={"if-none-match": first.headers["ETag"]})
    alice_api.post(LIST, {"title": "two"})
    changed = alice_api.get(LIST, headers={"if-none-match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_if_match_with_the_current_etag_writes(alice_api):
    todo = alice_api.post(LIST, {"title": "v1"})

    response = alice_api.patch(detail(todo.json()["id"]), {"title": "v2"}, headers={"if-match": todo.headers["ETag"]})

    assert response.status_code == 200
    assert response.json()["version"] == 2


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_if_match_with_a_stale_etag_answers_412_and_changes_nothing(alice_api, method):
    created = alice_api.post(LIST, {"title": "v1"})
    todo_id = created.json()["id"]
    alice_api.patch(detail(todo_id), {"title": "v2"})

    send = getattr(alice_api, method)
    args = () if method == "delete" else ({"title": "lost update"},)
    response = send(detail(todo_id), *args, headers={"if-match": created.headers["ETag"]})

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    current = alice_api.get(detail(todo_id)).json()
    assert (current["title"], current["version"]) == ("v2", 2)


@pytest.mark.parametrize("if_match", ['"999"', "garbage", 'W/"x"', '"1'])
def test_an_etag_never_issued_never_matches(alice_api, if_match):
    todo_id = alice_api.post(LIST, {"title": "v1"}).json()["id"]

    response = alice_api.patch(detail(todo_id), {"title": "v2"}, headers={"if-match": if_match})

    assert response.status_code == 412


def test_if_match_star_and_lists_of_etags_are_understood(alice_api):
    todo_id = alice_api.post(LIST, {"title": "v1"}).json()["id"]

    star = alice_api.patch(detail(todo_id), {"title": "v2"}, headers={"if-match": "*"})
    listed = alice_api.patch(detail(todo_id), {"title": "v3"}, headers={"if-match": '"7", "2"'})

    assert star.status_code == 200
    assert listed.status_code == 200
    assert listed.json()["version"] == 3


def test_if_match_on_a_missing_todo_is_404(alice_api):
    response = alice_api.patch(detail("01HZZZZZZZZZZZZZZZZZZZZZZZ"), {"title": "x"}, headers={"if-match": '"1"'})

    assert response.status_code == 404


# --- validation: 400 with per-field messages, never a 500 --------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": None}, "title"),
        ({"title": "ok", "completed": "perhaps"}, "completed"),
        ({"title": "ok", "order": "first"}, "order"),
        ({"title": "ok", "order": 2**31}, "order"),
        ({"title": "ok", "order": 1.5}, "order"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_answer_400_with_a_message_per_field(alice_api, body, field):
    response = alice_api.post(LIST, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["fields"][field]


def test_a_title_of_exactly_500_characters_is_accepted(alice_api):
    assert alice_api.post(LIST, {"title": "x" * 500}).status_code == 201


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"just a string"', b"null"])
def test_bodies_that_are_not_a_json_object_answer_400(alice_api, raw):
    response = alice_api.client.post(LIST, raw, content_type="application/json", headers=alice_api.headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("parse_error", "invalid")


def test_a_form_body_answers_415(alice_api):
    response = alice_api.client.post(LIST, {"title": "x"}, headers=alice_api.headers)

    assert response.status_code == 415


def test_an_empty_patch_answers_400(alice_api):
    todo_id = alice_api.post(LIST, {"title": "x"}).json()["id"]

    response = alice_api.patch(detail(todo_id), {})

    assert response.status_code == 400


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "501"}, {"limit": "ten"}, {"cursor": "forged"}])
def test_bad_paging_parameters_answer_400(alice_api, query):
    response = alice_api.get(LIST, query)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == list(query) or response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("path", ["/api/todos/not-an-id/", "/api/todos/01hzzzzzzzzzzzzzzzzzzzzzzz/", "/api/todos/x/y/"])
def test_malformed_ids_are_404_in_the_json_shape(alice_api, path):
    response = alice_api.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_quota_answers_400_quota_exceeded(alice_api, settings):
    settings.TODO_QUOTA = 3
    for i in range(3):
        assert alice_api.post(LIST, {"title": f"t{i}"}).status_code == 201

    response = alice_api.post(LIST, {"title": "one too many"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "quota_exceeded"
    # Deleting one frees a place.
    first = alice_api.get(LIST).json()[0]
    alice_api.delete(detail(first["id"]))
    assert alice_api.post(LIST, {"title": "fits again"}).status_code == 201


def test_the_quota_counts_per_user(alice_api, bob_api, settings):
    settings.TODO_QUOTA = 1
    assert alice_api.post(LIST, {"title": "alice"}).status_code == 201
    assert bob_api.post(LIST, {"title": "bob"}).status_code == 201


def test_deleting_everything_resets_the_quota(alice_api, settings):
    settings.TODO_QUOTA = 2
    alice_api.post(LIST, {"title": "a"})
    alice_api.post(LIST, {"title": "b"})

    alice_api.delete(LIST)

    assert alice_api.post(LIST, {"title": "c"}).status_code == 201
    assert alice_api.post(LIST, {"title": "d"}).status_code == 201


# --- privacy and isolation --------------------------------------------------------------------


def test_another_users_todo_is_404_through_every_endpoint(alice_api, bob_api):
    todo = alice_api.post(LIST, {"title": "alice's secret"})
    todo_id, etag = todo.json()["id"], todo.headers["ETag"]

    answers = [
        bob_api.get(detail(todo_id)),
        bob_api.patch(detail(todo_id), {"title": "mine now"}),
        bob_api.patch(detail(todo_id), {"title": "mine now"}, headers={"if-match": etag}),
        bob_api.put(detail(todo_id), {"title": "mine now"}),
        bob_api.delete(detail(todo_id)),
        bob_api.delete(detail(todo_id), headers={"if-match": etag}),
    ]

    assert [answer.status_code for answer in answers] == [404] * 6
    assert bob_api.get(LIST).json() == []
    bob_api.delete(LIST)
    assert alice_api.get(detail(todo_id)).json()["title"] == "alice's secret"
    assert alice_api.get(detail(todo_id)).json()["version"] == 1


def test_a_cursor_of_another_user_is_rejected(alice_api, bob_api):
    for i in range(3):
        alice_api.post(LIST, {"title": f"a{i}"})
    link = alice_api.get(LIST, {"limit": "1"}).headers["Link"]
    cursor = re.search(r"cursor=([^&>]+)", link).group(1)

    response = bob_api.get(LIST, {"cursor": cursor.replace("%3A", ":")})

    assert response.status_code == 400


def test_responses_are_private_and_vary_on_authorization(alice_api):
    created = alice_api.post(LIST, {"title": "private"})
    listed = alice_api.get(LIST)

    for response in (created, listed, alice_api.get(detail(created.json()["id"]))):
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "Authorization" in response.headers["Vary"]


def test_json_bodies_use_the_project_error_shape(alice_api):
    body = alice_api.post(LIST, {"title": ""}).json()

    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert json.dumps(body)


def test_a_title_with_a_lone_surrogate_answers_400(alice_api):
    raw = b'{"title": "broken \\ud800 text"}'

    response = alice_api.client.post("/api/todos/", raw, content_type="application/json", headers=alice_api.headers)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["title"]
