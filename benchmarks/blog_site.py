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

import secrets
import subprocess
import sys
from pathlib import Path

from benchmarks.common import ROOT, aws_environment, base_environment, boto_args

HOST = "blog.example.com"
STAGE = "blog_production"
POSTS = 30
HELLO_BODY = "Hello, world!"
# What CloudFront sends as X-Origin-Verify (myblog/core/origin.py): the blog refuses requests without it.
ORIGIN_SECRET = "benchmark-origin-secret-0123456789abcdef"  # noqa: S105 - a stand-in, local only

SEED = """
from datetime import timedelta
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from myblog.blog.models import Post

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
        "NEWSLETTER_QUEUE_URL": f"{endpoint}/123456789012/myblog-bench-newsletter",
        "CDN_ORIGIN_SECRET": ORIGIN_SECRET,
        "STATIC_MANIFEST_ROOT": str(folder / "static-manifest"),
        "USE_X_FORWARDED_HOST": "true",
        "LOG_LEVEL": "WARNING",
        **aws_environment(endpoint),
    }


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
    s3 = boto3.client("s3", **boto_args(endpoint))
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
