"""The blog app moved to myblog/blog/ under its old label: a deployed database needs no change."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

# What django_migrations of a database deployed before the move holds for the blog.
DEPLOYED_BLOG_MIGRATIONS = ["0001_initial", "0002_post_cover_photo", "0003_post_body_photo_embeds"]
# Added after the move, each for a new field (0004: the newsletter's "email subscribers" box).
LATER_BLOG_MIGRATIONS = ["0004_post_email_subscribers"]


def test_the_blog_keeps_its_label_tables_and_migration_names():
    blog = apps.get_app_config("myblog")
    assert blog.name == "myblog.blog"
    assert blog.get_model("Post")._meta.db_table == "myblog_post"
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(name for label, name in loader.disk_migrations if label == "myblog")
    assert names == DEPLOYED_BLOG_MIGRATIONS + LATER_BLOG_MIGRATIONS


@pytest.mark.django_db
def test_a_database_migrated_before_the_move_has_nothing_to_apply_or_to_make():
    leaves = MigrationLoader(None).graph.leaf_nodes("myblog")
    assert leaves == [("myblog", (DEPLOYED_BLOG_MIGRATIONS + LATER_BLOG_MIGRATIONS)[-1])]
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # SystemExit(1) on a change


@pytest.mark.django_db
def test_admin_urls_and_permissions_keep_the_blog_label():
    assert reverse("admin:myblog_post_changelist") == "/admin/myblog/post/"
    codenames = set(Permission.objects.filter(content_type__app_label="myblog").values_list("codename", flat=True))
    assert {"add_post", "change_post", "delete_post", "view_post"} <= codenames
