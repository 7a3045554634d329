"""Posts already visible when the newsletter arrives were never new to subscribers: they are
recorded as not emailed, so the first sweep does not send the whole archive."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def record_visible_posts(apps, schema_editor):
    Post = apps.get_model("myblog", "Post")
    PostMailing = apps.get_model("newsletter", "PostMailing")
    visible = Post.objects.filter(Q(status="published") & Q(publish_at__lte=timezone.now()))
    PostMailing.objects.bulk_create(
        [PostMailing(post_id=pk, state="skipped") for pk in visible.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [migrations.RunPython(record_visible_posts, migrations.RunPython.noop)]
