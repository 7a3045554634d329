"""Demo content for a local run: an admin, a dozen published posts, a draft and a scheduled post."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from myblog.blog.models import Post

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "admin"

TOPICS = [
    (
        "Serverless Django on Lambda",
        ["serverless", "django"],
        "Running a Django project as a Lambda function with Zappa.",
    ),
    (
        "Caching at every layer",
        ["caching", "cdn"],
        "CloudFront, API Gateway and conditional requests working together.",
    ),
    ("Conditional requests explained", ["caching", "http"], "ETag, Last-Modified and the humble 304."),
    ("Designing DynamoDB keys", ["dynamodb", "aws"], "Partition keys, sort keys and access patterns."),
    (
        "Why DAX for read-heavy apps",
        ["dynamodb", "performance"],
        "Microsecond reads, and the cache you must invalidate yourself.",
    ),
    ("Signing in with Cognito", ["security", "aws"], "User pools, identity pools and the tokens between them."),
    ("Presigned uploads to S3", ["s3", "aws"], "Let the browser talk to S3 and keep Lambda out of the data path."),
    ("Thumbnails without a server", ["s3", "images"], "Asynchronous image processing on Lambda."),
    ("Email that arrives", ["email", "aws"], "SES identities, bounces, complaints and one-click unsubscribe."),
    ("Infrastructure as plain YAML", ["cloudformation", "aws"], "Why we write CloudFormation by hand and lint it."),
    ("Testing against a local AWS", ["testing", "aws"], "moto as a server: one code path, real protocol."),
    ("Cold starts, measured", ["serverless", "performance"], "Where the first hundred milliseconds go."),
    ("A sitemap and a feed", ["http", "django"], "Small things that help readers and crawlers find you."),
]

BODY = """\
{summary}

## Why it matters

Readers notice **speed** long before they notice features. This post looks at *{title_lower}*
and what it changes for a blog that is written rarely and read often.

### The short version

1. Measure first.
2. Change one thing.
3. Measure again.

- Keep responses cacheable.
- Keep the hot path small.
- Keep [the documentation](https://docs.djangoproject.com/) close.

### An example

```python
def handler(event, context):
    return {{"statusCode": 200, "body": "hello"}}
```

| Layer | What it caches |
|---|---|
| Browser | `max-age` |
| CloudFront | `s-maxage` |

> Good systems are boring in production.

Inline `code`, a [relative link](/) and a final thought.
"""


class Command(BaseCommand):
    help = "Create demo content for a local run (idempotent: existing posts are left alone)."

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates a demo admin with a known password; it refuses to run in production.")
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "first_name": "Demo",
                "last_name": "Admin",
                "email": "admin@example.com",
            },
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        now = timezone.now()
        made = 0
        for index, (title, tags, summary) in enumerate(TOPICS):
            body = BODY.format(summary=summary, title_lower=title.lower())
            made += self._post(
                admin, title, summary, body, tags, Post.Status.PUBLISHED, now - timedelta(days=3 * index + 1)
            )
        made += self._post(
            admin,
            "Notes for a future post",
            "Unfinished thoughts.",
            "Still a *draft*.",
            ["drafts"],
            Post.Status.DRAFT,
            None,
        )
        made += self._post(
            admin,
            "Coming soon: global tables",
            "Replicating to-dos across regions.",
            "This post is **scheduled** and appears on its own when its time comes.",
            ["dynamodb"],
            Post.Status.PUBLISHED,
            now + timedelta(days=7),
        )
        self.stdout.write(f"Demo content: {made} post(s) created, {Post.objects.count()} in all.")

    def _post(
        self,
        author: AbstractBaseUser,
        title: str,
        summary: str,
        body: str,
        tags: list[str],
        status: str,
        publish_at: datetime | None,
    ) -> int:
        from django.utils.text import slugify

        post, created = Post.objects.get_or_create(
            slug=slugify(title),
            defaults={
                "title": title,
                "summary": summary,
                "body": body,
                "author": author,
                "status": status,
                "publish_at": publish_at,
            },
        )
        if created:
            post.tags.set(tags)
        return int(created)
