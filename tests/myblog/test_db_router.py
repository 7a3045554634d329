"""Public pages read from the replica; the admin and everything that writes use the primary.

Each case runs Django in a fresh process with DATABASE_URL and DATABASE_REPLICA_URL pointing at
two real databases (SQLite files, or PostgreSQL databases when the suite runs on PostgreSQL), where
the "replica" is a copy taken before the last write: what a lagging replica looks like.
"""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from myblog.blog.models import Post
from myblog.core.db_router import PrimaryReplicaRouter, public_reads

REPO_ROOT = Path(__file__).resolve().parents[2]

CREATE_POST = """
import sys
import django; django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from myblog.blog.models import Post
title, slug = sys.argv[1:]
author, _ = get_user_model().objects.get_or_create(username="writer", defaults={"is_staff": True, "is_superuser": True})
Post.objects.create(title=title, slug=slug, body="Body.", author=author, status="published",
                    publish_at=timezone.now() - timezone.timedelta(minutes=1))
"""

READ_PAGES = """
import django; django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
print("INDEX", client.get("/").content.decode())
print("API", client.get("/api/blog/posts/").content.decode())
client.force_login(get_user_model().objects.get(username="writer"))
print("ADMIN", client.get("/admin/myblog/post/").content.decode())
"""


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[str, str, object]]:
    """(primary URL, replica URL, copy primary → replica) on the suite's database engine."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
        yield f"sqlite:///{primary}", f"sqlite:///{replica}", lambda: shutil.copyfile(primary, replica)
        return

    import psycopg

    names = [f"router_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("primary", "replica")]
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{names[0]}"')

    def copy() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')

    try:
        yield (*(base.rsplit("/", 1)[0] + f"/{name}" for name in names), copy)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.django_db
def test_public_pages_read_the_replica_while_the_admin_reads_the_primary(databases) -> None:
    primary_url, replica_url, replicate = databases
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "myblog.settings", "DATABASE_URL": primary_url}
    run(env, sys.executable, "manage.py", "migrate", "--noinput")
    run(env, sys.executable, "-c", CREATE_POST, "Replicated post", "replicated")
    replicate()
    run(env, sys.executable, "-c", CREATE_POST, "Not yet replicated", "fresh")

    out = run({**env, "DATABASE_REPLICA_URL": replica_url}, sys.executable, "-c", READ_PAGES)
    index, api, admin = out.split("\nAPI ")[0], out.split("\nAPI ")[1].split("\nADMIN ")[0], out.split("\nADMIN ")[1]

    assert "Replicated post" in index and "Not yet replicated" not in index
    assert "Replicated post" in api and "Not yet replicated" not in api
    # The admin sees its own latest write, and logging in worked (sessions are on the primary).
    assert "Not yet replicated" in admin and "Replicated post" in admin


def test_without_a_replica_every_read_uses_the_primary() -> None:
    router = PrimaryReplicaRouter()
    with public_reads():
        assert router.db_for_read(Post) == "default"
    assert router.db_for_write(Post) == "default"
    assert router.allow_migrate("replica", "myblog") is False and router.allow_migrate("default", "myblog") is True
