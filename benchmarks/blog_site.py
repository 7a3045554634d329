"""What the cold-start and read-throughput benchmarks share: the blog with production-like
settings on a local SQLite database, and a bare Django hello-world project to compare it with.

The blog side is the `blog` service as its Lambda stage runs it (DJANGO_ENV=production,
SERVICE=blog, every variable that infra/stage_env.py lists for it), with SQLite instead of
PostgreSQL and the local moto endpoint instead of AWS. The database is migrated, static files are
collected (the manifest is what pages link through) and posts are seeded before anything is
measured. The hello-world side is a settings module with one view and nothing else (no apps, no
middleware, no database), generated in a temporary folder: the floor any Django project stands on.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
HOST = "blog.example.com"
STAGE = "blog_production"
POSTS = 30
HELLO_BODY = "Hello, world!"

SEED = """
from datetime import timedelta
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from myblog.models import Post

author, _ = get_user_model().objects.get_or_create(username="bench", defaults={{"email": "bench@example.com"}})
now = timezone.now()
for n in range({posts}):
    post, created = Post.objects.get_or_create(
        slug=f"benchmark-post-{{n}}",
        defaults=dict(
            title=f"Benchmark post {{n}}",
            summary=f"Summary of benchmark post {{n}}.",
            body="## A heading\\n\\nSome *text* with `code` and [a link](https://example.com/).\\n\\n- one\\n- two\\n",
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=now - timedelta(hours=n + 1),
        ),
    )
    if created:
        post.tags.set(["python", "aws"] if n % 2 else ["django"])
print(Post.objects.count())
"""


def start_moto() -> tuple[Any, str]:
    from infra.local_endpoint import ThreadedEndpoint

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedEndpoint()
    return server, server.url


def aws_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def blog_environment(folder: Path, endpoint: str) -> dict[str, str]:
    """The blog stage's variables (zappa_settings.json + its remote_env secrets), locally."""
    return {
        "DJANGO_ENV": "production",
        "SERVICE": "blog",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{folder / 'blog.sqlite3'}",
        "MEDIA_BUCKET": "myblog-bench-media",
        "CDN_DOMAIN": "d111111abcdef8.cloudfront.net",
        "SITE_URL": f"https://{HOST}",
        "EMAIL_FROM": f"MyBlog <newsletter@{HOST}>",
        "SES_CONFIGURATION_SET": "myblog-bench-mail",
        "SES_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:myblog-bench-mail-events",
        "STATIC_MANIFEST_ROOT": str(folder / "static-manifest"),
        "USE_X_FORWARDED_HOST": "true",
        "THROTTLE_PROXY_COUNT": "2",
        "LOG_LEVEL": "WARNING",
        **aws_environment(endpoint),
    }


def base_environment() -> dict[str, str]:
    """A clean process environment: nothing inherited from the shell but PATH and the locale."""
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter, the project's manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_environment(), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare_blog(folder: Path, endpoint: str) -> dict[str, str]:
    """Migrate the SQLite database, collect static files to the local bucket, seed posts."""
    import boto3

    env = blog_environment(folder, endpoint)
    s3 = boto3.client("s3", **_boto_args(endpoint))
    s3.create_bucket(Bucket=env["MEDIA_BUCKET"])
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SEED.format(posts=POSTS)],
        cwd=ROOT,
        env={**base_environment(), **env, "DJANGO_SETTINGS_MODULE": "myblog.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"seeding posts failed:\n{done.stderr}")
    return env


def _boto_args(endpoint: str) -> dict[str, str]:
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


HELLO_SETTINGS = '''"""A bare Django project: one view, no apps, no middleware, no database."""

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "hello-world-benchmark-only-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def hello(request):
    return HttpResponse(%(body)r, content_type="text/plain")


urlpatterns = [path("hello/", hello)]
'''

HELLO_WSGI = """import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hello_settings")
application = get_wsgi_application()
"""


def write_hello_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello_settings.py").write_text(HELLO_SETTINGS % {"body": HELLO_BODY})
    (folder / "hello_wsgi.py").write_text(HELLO_WSGI)
    return folder


def zappa_settings_text(stage: str = STAGE) -> str:
    """The zappa_settings.py `zappa deploy` would package for the stage, made by Zappa itself."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "zappa_settings.py"
        done = subprocess.run(  # noqa: S603 - the venv's own zappa
            [str(Path(sys.executable).with_name("zappa")), "save-python-settings-file", stage, "-o", str(out)],
            cwd=ROOT,
            env={**os.environ, "VIRTUAL_ENV": sys.prefix},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"zappa save-python-settings-file failed: {done.stdout}{done.stderr}")
        return out.read_text()


def apigw_event(
    path: str,
    *,
    host: str,
    stage: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (payload 1.0) proxy event for a JSON request, as Zappa's handler gets it."""
    headers = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Accept": "application/json"} | (
        headers or {}
    )
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "stage": stage,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "domainName": host,
            "identity": {"sourceIp": "198.51.100.7"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def machine() -> dict[str, Any]:
    import django

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "django": django.get_version(),
        "note": "a shared machine, loaded by other work while this ran: compare the ratios, not absolute figures",
    }


def write_results(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), **document}
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten to {path}")
