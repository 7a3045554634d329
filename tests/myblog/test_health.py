import logging

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_it_reports_every_dependency_up(client, local_aws):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == body["checks"]["aws"] == "ok"
    assert set(body["checks"].values()) == {"ok"}  # a status per dependency and nothing else


def test_it_answers_503_when_the_aws_endpoint_is_down(client, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.AWS_TIMEOUT_SECONDS = 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["aws"] == "unavailable"
    assert "127.0.0.1" not in response.content.decode()


def test_a_missing_bucket_is_named_in_the_log_and_not_in_the_public_answer(client, settings, caplog):
    settings.MEDIA_BUCKET = "no-such-bucket"
    with caplog.at_level(logging.WARNING, logger="myblog.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["aws"] == "unavailable"
    assert "no-such-bucket" not in response.content.decode()
    assert "no-such-bucket" in caplog.text


def test_a_database_error_is_logged_and_not_shown(client, monkeypatch, caplog):
    def broken(self, *args, **kwargs):
        raise DatabaseError('could not connect to server: host "db.internal.example" refused')

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    with caplog.at_level(logging.WARNING, logger="myblog.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"
    assert "db.internal.example" not in response.content.decode()
    assert "db.internal.example" in caplog.text


@pytest.mark.aws
def test_the_todo_service_checks_its_table_and_not_the_blogs_dependencies(client, settings, caplog):
    settings.SERVES_BLOG, settings.SERVES_TODO = False, True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"todos": "ok"}

    settings.TODO_TABLE = "no-such-table"
    with caplog.at_level(logging.WARNING, logger="myblog.health"):
        missing = client.get("/healthz")
    assert missing.status_code == 503 and missing["Retry-After"]
    assert missing.json()["checks"] == {"todos": "unavailable"}
    assert "no-such-table" not in missing.content.decode()
    assert "no-such-table" in caplog.text
