"""Logs, traces and metrics: JSON log lines with the request ids, X-Ray subsegments around AWS
calls only when tracing is on, and a CloudWatch embedded metric for every count."""

import copy
import io
import json
import logging
import logging.config
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.stub import Stubber
from django.conf import settings as django_settings
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import path
from django_ses import SESBackend
from PIL import Image

from media.models import Photo
from media.services import photo_from_upload_event, photo_render
from notifications.services import WelcomeEmailFailed, subscriber_send_welcome
from tests.factories import SubscriberFactory

# The settings module Zappa generates for the blog_dev stage, as test_lambda.py makes it.
from tests.myblog.test_lambda import API_HOST, rest_api_event, zappa_settings  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[1]

# --- Log lines --------------------------------------------------------------------------------


def view_that_logs(request: HttpRequest) -> JsonResponse:
    logging.getLogger("myblog.blog.views").info("listing %s", "posts")
    return JsonResponse({"ok": True})


urlpatterns = [path("logs/", view_that_logs)]


@pytest.fixture
def json_lines(settings: Any) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The project's LOGGING with LOG_FORMAT=json, writing into a buffer; each line parsed."""
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = [API_HOST, "testserver"]
    buffer = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["formatters"]["console"] = {"()": "myblog.core.observability.json_formatter"}
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logging.config.dictConfig(django_settings.LOGGING)


def test_every_log_line_of_a_request_is_json_with_its_request_id(json_lines: Callable[[], list[dict[str, Any]]]):
    response = Client().get("/logs/")

    request_id = response.headers["X-Request-Id"]
    [line] = [line for line in json_lines() if line["logger"] == "myblog.blog.views"]
    assert line["message"] == "listing posts"
    assert line["level"] == "INFO"
    assert line["request_id"] == request_id
    assert "lambda_request_id" not in line  # not on Lambda
    assert line["timestamp"].endswith("+00:00")
    assert line["service"] == django_settings.SERVICE


def test_a_django_request_log_line_carries_the_request_id_too(json_lines: Callable[[], list[dict[str, Any]]]):
    # Django logs a 404 after the middleware chain has returned.
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    [line] = [line for line in json_lines() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING" and line["message"].startswith("Not Found")
    assert line["request_id"] == response.headers["X-Request-Id"]


def test_each_request_gets_its_own_id_and_lines_outside_a_request_get_none(
    json_lines: Callable[[], list[dict[str, Any]]],
):
    first = Client().get("/logs/").headers["X-Request-Id"]
    second = Client().get("/logs/").headers["X-Request-Id"]
    logging.getLogger("myblog.tasks").info("between requests")

    assert first != second
    *requests, outside = json_lines()
    assert [line["request_id"] for line in requests if line["logger"] == "myblog.blog.views"] == [first, second]
    assert outside["message"] == "between requests" and "request_id" not in outside


# A fresh process, as on Lambda: LambdaHandler is a process-wide singleton that test_lambda.py's
# cold start must build first, and production settings must be read from the start.
LAMBDA_PROBE = textwrap.dedent(
    """
    import json, sys
    from types import SimpleNamespace

    from zappa.handler import LambdaHandler, lambda_handler

    event, aws_request_id = json.loads(sys.argv[1]), sys.argv[2]
    LambdaHandler()  # the cold start: Zappa logs before Django has configured logging
    print("--- request ---", file=sys.stderr, flush=True)
    result = lambda_handler(event, SimpleNamespace(aws_request_id=aws_request_id, function_name="myblog-blog_dev"))
    print(json.dumps({"status": result["statusCode"], "headers": result["headers"]}))
    """
)


@pytest.mark.slow
def test_through_lambda_every_line_is_json_with_api_gateways_request_id_and_lambdas(
    zappa_settings: ModuleType,  # noqa: F811
    aws_endpoint: str,
    local_aws: str,
    tmp_path: Path,
):
    remote_env = {
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOWED_HOSTS": API_HOST,
        "SITE_URL": f"https://{API_HOST}",
        "EMAIL_FROM": "MyBlog <newsletter@example.com>",
        "CDN_ORIGIN_SECRET": "o" * 32,
    }
    location = urlsplit(zappa_settings.REMOTE_ENV)
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    s3.create_bucket(Bucket=location.netloc)
    s3.put_object(Bucket=location.netloc, Key=location.path.lstrip("/"), Body=json.dumps(remote_env))
    event = rest_api_event("/api/blog/no-such-thing/", host=API_HOST, headers={"X-Origin-Verify": "o" * 32})
    event["requestContext"]["requestId"] = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    environ = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "LOG_"))}
    environ |= {
        "PYTHONPATH": f"{Path(zappa_settings.__file__).parent}{os.pathsep}{REPO_ROOT}",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    result = subprocess.run(
        [sys.executable, "-c", LAMBDA_PROBE, json.dumps(event), "5a1a2b3c-0000-4000-8000-00000000abcd"],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[-1])
    assert answer["status"] == 404
    assert answer["headers"]["X-Request-Id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    _, request_lines = result.stderr.split("--- request ---\n")
    lines = [json.loads(line) for line in request_lines.splitlines()]  # JSON, or this fails
    # Django's "Not Found" (logged after the middleware) and Zappa's access line (after Django).
    assert {line["logger"] for line in lines} >= {"django.request", "zappa.wsgi"}
    for line in lines:
        assert line["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", line
        assert line["lambda_request_id"] == "5a1a2b3c-0000-4000-8000-00000000abcd", line
        assert line["service"] == "blog"


def test_locally_log_lines_are_text_with_the_request_id(settings: Any):
    settings.ROOT_URLCONF = __name__
    buffer = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["formatters"]["console"] = {"()": "myblog.core.observability.TextFormatter"}
    config["handlers"]["console"]["stream"] = buffer
    logging.config.dictConfig(config)
    try:
        request_id = Client().get("/logs/").headers["X-Request-Id"]
        logging.getLogger("myblog.tasks").info("between requests")
    finally:
        logging.config.dictConfig(django_settings.LOGGING)

    app_line, outside = buffer.getvalue().splitlines()
    assert app_line.endswith(f"INFO myblog.blog.views [{request_id}] listing posts")
    assert outside.endswith("INFO myblog.tasks [-] between requests")


# --- Embedded metrics -------------------------------------------------------------------------


@pytest.fixture
def metrics(settings: Any, capsys: pytest.CaptureFixture[str]) -> Callable[[], dict[str, list[float]]]:
    """The EMF documents printed since the test began: metric name -> values, each checked for
    the namespace and the service dimension."""
    settings.METRICS = True
    capsys.readouterr()

    def read() -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for line in capsys.readouterr().out.splitlines():
            if not line.startswith('{"_aws"'):
                continue
            document = json.loads(line)
            [directive] = document["_aws"]["CloudWatchMetrics"]
            assert directive["Namespace"] == "MyBlog"
            assert directive["Dimensions"] == [["service"]]
            assert document["service"] == django_settings.SERVICE
            for metric in directive["Metrics"]:
                assert metric["Unit"] == "Count"
                value = document[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
        return found

    return read


@pytest.fixture
def ses_throttling(local_aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    client = boto3.client("sesv2", region_name="us-east-1", endpoint_url=local_aws)
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        monkeypatch.setattr(SESBackend, "create_session", lambda self: SimpleNamespace(client=lambda *a, **kw: client))
        yield


@pytest.mark.aws
@pytest.mark.django_db(transaction=True)
def test_a_welcome_email_sent_counts_one_email_sent(metrics: Callable[[], dict[str, list[float]]]):
    subscriber = SubscriberFactory()

    assert subscriber_send_welcome(subscriber_id=subscriber.pk) is True

    assert metrics() == {"WelcomeEmailsSent": [1.0]}


@pytest.mark.django_db(transaction=True)
def test_a_welcome_email_that_ses_refuses_counts_one_email_failed(
    metrics: Callable[[], dict[str, list[float]]], ses_throttling: None
):
    subscriber = SubscriberFactory()

    with pytest.raises(WelcomeEmailFailed):
        subscriber_send_welcome(subscriber_id=subscriber.pk)

    assert metrics() == {"WelcomeEmailsFailed": [1.0]}


def upload(local_aws: str, key: str, data: bytes) -> None:
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    s3.put_object(Bucket=django_settings.MEDIA_BUCKET, Key=key, Body=data, ContentType="image/jpeg")


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (20, 90, 160)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_rendition_run_counts_the_renditions_made(local_aws: str, metrics: Callable[[], dict[str, list[float]]]):
    upload(local_aws, "uploads/a/sea.jpg", jpeg_bytes())

    photo = photo_from_upload_event(key="uploads/a/sea.jpg", size=1)

    assert photo is not None and photo.status == Photo.Status.READY
    assert metrics() == {"RenditionsMade": [float(len(photo.renditions))]}
    assert len(photo.renditions) > 1


@pytest.mark.django_db(transaction=True)
def test_a_rejected_image_counts_one_rendition_failure(local_aws: str, metrics: Callable[[], dict[str, list[float]]]):
    upload(local_aws, "uploads/b/broken.jpg", jpeg_bytes()[:400])

    photo = photo_from_upload_event(key="uploads/b/broken.jpg", size=400)

    assert photo is not None and photo.status == Photo.Status.FAILED
    assert metrics() == {"RenditionsFailed": [1.0]}


@pytest.mark.django_db(transaction=True)
def test_a_rendition_run_that_s3_fails_counts_one_failure_and_is_retried(
    metrics: Callable[[], dict[str, list[float]]],
):
    photo = Photo.objects.create(original="uploads/c/gone.jpg", title="Gone", alt_text="Gone")

    with pytest.raises(Exception):  # noqa: B017 (whatever S3 raises goes on, so that Lambda retries)
        photo_render(photo_id=photo.pk)

    assert metrics() == {"RenditionsFailed": [1.0]}


@pytest.mark.aws
@pytest.mark.django_db(transaction=True)
def test_no_metric_is_printed_when_metrics_are_off(settings: Any, capsys: pytest.CaptureFixture[str]):
    settings.METRICS = False

    subscriber_send_welcome(subscriber_id=SubscriberFactory().pk)

    assert '"_aws"' not in capsys.readouterr().out


# --- Tracing ----------------------------------------------------------------------------------

# Runs in a fresh process: patching botocore is for the life of a process, and other tests may
# have imported the X-Ray SDK already (moto does).
TRACE_PROBE = textwrap.dedent(
    """
    import json, sys
    import django

    django.setup()
    import botocore.client
    from myblog.core.aws import client

    sent = []
    traced = "aws_xray_sdk" in sys.modules  # imported by django.setup() only when tracing is on
    if traced:
        from aws_xray_sdk.core import xray_recorder

        class Capture:  # instead of the UDP emitter: nothing leaves the process
            def send_entity(self, entity):
                sent.append(json.loads(entity.serialize()))

            def set_daemon_address(self, address):
                pass

        xray_recorder.configure(emitter=Capture(), sampling=False)
        xray_recorder.begin_segment("probe")
    client("s3").list_buckets()
    if traced:
        xray_recorder.end_segment()
    subsegments = [entity for entity in sent if entity.get("type") == "subsegment"]
    for entity in sent:
        subsegments += entity.get("subsegments", [])
    print(json.dumps({
        "xray_imported": sorted(name for name in sys.modules if name.startswith("aws_xray_sdk")) != [],
        "patched": hasattr(botocore.client, "_xray_enabled"),
        "subsegments": [
            {"name": s["name"], "namespace": s.get("namespace"), "operation": s.get("aws", {}).get("operation")}
            for s in subsegments
        ],
    }))
    """
)


def trace_probe(aws_endpoint: str, **env: str) -> dict[str, Any]:
    environ = {name: value for name, value in os.environ.items() if name not in ("TRACING", "DJANGO_ENV")}
    environ |= {
        "DJANGO_SETTINGS_MODULE": "myblog.settings",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", TRACE_PROBE], cwd=REPO_ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow
def test_with_tracing_off_the_xray_sdk_is_not_even_imported(aws_endpoint: str):
    probe = trace_probe(aws_endpoint)

    assert probe == {"xray_imported": False, "patched": False, "subsegments": []}


@pytest.mark.slow
def test_with_tracing_on_an_aws_call_records_a_subsegment(aws_endpoint: str):
    probe = trace_probe(aws_endpoint, TRACING="true")

    assert probe["xray_imported"] and probe["patched"]
    assert {"name": "s3", "namespace": "aws", "operation": "ListBuckets"} in probe["subsegments"]
