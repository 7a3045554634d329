import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_it_reports_every_dependency_up(client, local_aws):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["aws"] == {"ok": True, "endpoint": local_aws, "bucket": "myblog-local-media"}


def test_it_answers_503_when_the_aws_endpoint_is_down(client, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.AWS_TIMEOUT_SECONDS = 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["checks"]["aws"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_it_answers_503_when_the_bucket_is_missing(client, settings):
    settings.MEDIA_BUCKET = "no-such-bucket"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no-such-bucket" in response.json()["checks"]["aws"]["error"]


def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken(self, *args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "connection refused"}


@pytest.mark.aws
def test_the_todo_service_checks_its_table_and_not_the_blogs_dependencies(client, settings):
    settings.SERVES_BLOG, settings.SERVES_TODO = False, True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"todos"}

    settings.TODO_TABLE = "no-such-table"
    missing = client.get("/healthz")
    assert missing.status_code == 503 and missing["Retry-After"]
    assert missing.json()["checks"]["todos"]["ok"] is False
