"""Production mode (DJANGO_ENV=production) starts only with its configuration, and then safely.

Each case runs ``manage.py`` in a fresh process with a controlled environment, because settings
are read once at import and the test process already runs on the local defaults.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "MEDIA_BUCKET",
    "CDN_DOMAIN",
    "SITE_URL",
    "CDN_ORIGIN_SECRET",
    "EMAIL_FROM",
    "SES_CONFIGURATION_SET",
    "SES_EVENTS_TOPIC_ARN",
    "NEWSLETTER_QUEUE_URL",
]
CDN = "d111111abcdef8.cloudfront.net"


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """Everything production mode needs, and nothing inherited from the developer's shell."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV": "production",
        "SERVICE": "blog",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "blog.example.com,abc123.execute-api.us-east-1.amazonaws.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "MEDIA_BUCKET": "myblog-production-media",
        "CDN_DOMAIN": CDN,
        "SITE_URL": "https://blog.example.com",
        "CDN_ORIGIN_SECRET": secrets.token_urlsafe(32),
        "EMAIL_FROM": "MyBlog <newsletter@blog.example.com>",
        "SES_CONFIGURATION_SET": "myblog-production-mail",
        "SES_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:myblog-production-mail-events",
        "NEWSLETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/myblog-production-newsletter",
        "STATIC_MANIFEST_ROOT": str(tmp_path / "manifest"),
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("name", REQUIRED)
def test_production_mode_refuses_to_start_without_a_required_variable(
    production_env: dict[str, str], name: str, value: str | None
) -> None:
    if value is None:
        del production_env[name]
    else:
        production_env[name] = value

    result = manage(production_env, "check")

    assert result.returncode != 0
    # The last line of the traceback is what an operator reads in the Lambda log.
    assert name in result.stderr.strip().splitlines()[-1]
    # The refusal must not leak the secrets that were set.
    if name != "SECRET_KEY":
        assert production_env["SECRET_KEY"] not in result.stdout + result.stderr


@pytest.fixture
def production_on_local_aws(production_env: dict[str, str], local_aws: str, settings: Any) -> dict[str, str]:
    """Production settings whose AWS calls go to the test endpoint, where the media bucket exists."""
    return {
        **production_env,
        "MEDIA_BUCKET": settings.MEDIA_BUCKET,
        "AWS_ENDPOINT_URL": local_aws,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.mark.slow
def test_production_mode_passes_the_deploy_checks_without_a_warning(production_on_local_aws: dict[str, str]) -> None:
    collected = manage(production_on_local_aws, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr

    result = manage(production_on_local_aws, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_the_deploy_checks_fail_until_static_files_are_collected(production_env: dict[str, str]) -> None:
    result = manage(production_env, "check", "--deploy")

    assert result.returncode != 0
    assert "myblog.E001" in result.stderr
    assert "collectstatic" in result.stderr


@pytest.mark.slow
def test_collectstatic_puts_hashed_immutable_files_in_the_bucket_and_pages_link_them_on_the_cdn(
    production_on_local_aws: dict[str, str], settings: Any, tmp_path: Path
) -> None:
    collected = manage(production_on_local_aws, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr

    manifest = json.loads((tmp_path / "manifest" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["myblog/site.css"]
    assert hashed != "myblog/site.css"
    s3 = boto3.client("s3", endpoint_url=production_on_local_aws["AWS_ENDPOINT_URL"])
    stored = s3.get_object(Bucket=settings.MEDIA_BUCKET, Key=f"static/{hashed}")
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert stored["ContentType"] == "text/css"
    assert b"body" in stored["Body"].read()
    # The unhashed copy collectstatic also uploads may change with the next deploy.
    assert s3.head_object(Bucket=settings.MEDIA_BUCKET, Key="static/myblog/site.css")["CacheControl"] == (
        "public, max-age=300"
    )

    # A fresh process renders a page that links the hashed name on the CDN, not on Lambda.
    page = subprocess.run(
        [sys.executable, "-c", RENDER_INDEX],
        cwd=REPO_ROOT,
        env={**production_on_local_aws, "DJANGO_SETTINGS_MODULE": "myblog.settings"},
        capture_output=True,
        text=True,
    )
    assert page.returncode == 0, page.stderr
    assert f'href="https://{CDN}/static/{hashed}"' in page.stdout


RENDER_INDEX = """
import django
django.setup()
from django.template.loader import render_to_string
print(render_to_string("myblog/base.html", {}))
"""


# Each client the code uses sends one request; what matters is how it was signed, not the answer.
SIGNED_REQUESTS = """
import sys
import django
django.setup()
from django.core.files.storage import default_storage
from django.core.mail import get_connection
from myblog.core import aws

def token_of(label, client, call):
    sent = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.headers))
    try:
        call(client)
    except Exception as exc:  # the endpoint's answer does not matter, the signature does
        print(label, "raised", repr(exc), file=sys.stderr)
    print(label, sent[0].get("X-Amz-Security-Token", b"").decode() or "-")

token_of("myblog.core.aws s3", aws.client("s3"), lambda c: c.list_buckets())
token_of("myblog.core.aws dynamodb", aws.client("dynamodb"), lambda c: c.list_tables())
token_of("django-storages", default_storage.connection.meta.client, lambda c: c.list_buckets())
ses = get_connection()
ses.open()
token_of("django-ses", ses.connection, lambda c: c.get_account())
"""


@pytest.mark.slow
def test_every_aws_client_signs_with_the_session_token_lambda_gives_the_function(
    production_on_local_aws: dict[str, str],
) -> None:
    # On Lambda the role's credentials are temporary: key, secret *and* session token. A request
    # signed without the token is refused by AWS (moto accepts it unless IAM is enforced).
    lambda_credentials = {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEROLEKEY01",
        "AWS_SECRET_ACCESS_KEY": "role-secret",
        "AWS_SESSION_TOKEN": "the-role-session-token",
    }
    result = subprocess.run(
        [sys.executable, "-c", SIGNED_REQUESTS],
        cwd=REPO_ROOT,
        env={**production_on_local_aws, **lambda_credentials, "DJANGO_SETTINGS_MODULE": "myblog.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tokens = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert tokens == {
        "myblog.core.aws s3": "the-role-session-token",
        "myblog.core.aws dynamodb": "the-role-session-token",
        "django-storages": "the-role-session-token",
        "django-ses": "the-role-session-token",
    }
