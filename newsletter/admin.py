"""The post admin, with what the newsletter adds: the "email subscribers" checkbox, the mailing's
counts and a "send a test to me" action. The blog app knows nothing of the newsletter: its admin is
extended here (this app comes after the blog in INSTALLED_APPS)."""

from botocore.exceptions import BotoCoreError, ClientError
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from myblog.blog.admin import PostAdmin
from myblog.blog.models import Post
from newsletter.models import PostMailing, delivery_counts
from newsletter.services import mailing_send_test

TEST_LIMIT = 5  # posts per "send a test" action: a test, not a mailing


class PostWithMailingAdmin(PostAdmin):
    fieldsets = [
        *PostAdmin.fieldsets,
        ("Email to subscribers", {"fields": ["email_subscribers", "mailing_summary"]}),
    ]
    readonly_fields = [*PostAdmin.readonly_fields, "mailing_summary"]
    list_display = [*PostAdmin.list_display, "emailed"]
    list_select_related = [*PostAdmin.list_select_related, "mailing"]
    actions = [*PostAdmin.actions, "send_test_to_me"]

    def get_readonly_fields(self, request: HttpRequest, obj: Post | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and PostMailing.objects.filter(post=obj).exists():
            fields.append("email_subscribers")  # decided when it became visible: changing it changes nothing
        return fields

    @admin.display(description="Emailed")
    def emailed(self, post: Post) -> str:
        mailing = getattr(post, "mailing", None)
        if mailing is None:
            return "when visible" if post.email_subscribers else "no"
        return f"to {mailing.queued}" if mailing.state == PostMailing.State.SENDING else "no"

    @admin.display(description="Mailing")
    def mailing_summary(self, post: Post) -> str:
        mailing = PostMailing.objects.filter(post_id=post.pk).first() if post.pk else None
        if mailing is None:
            return "Not sent yet: it goes to confirmed subscribers when the post becomes visible."
        if mailing.state == PostMailing.State.SKIPPED:
            return "Published without emailing."
        counts = delivery_counts(post.pk)
        return (
            f"Queued for {mailing.queued} · sent {counts['sent'] + counts['bounced']} · "
            f"failed {counts['failed']} · bounced {counts['bounced']} · "
            f"still to send {counts['pending'] + counts['sending']} (started {mailing.created_at:%Y-%m-%d %H:%M} UTC)"
        )

    @admin.action(description="Send a test of the email to me", permissions=["change"])
    def send_test_to_me(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        email = getattr(request.user, "email", "")
        if not email:
            self.message_user(request, "Your user has no email address: add one to get a test.", messages.ERROR)
            return
        posts = list(queryset[: TEST_LIMIT + 1])
        if len(posts) > TEST_LIMIT:
            self.message_user(request, f"Select at most {TEST_LIMIT} posts for a test.", messages.ERROR)
            return
        try:
            for post in posts:
                mailing_send_test(post=post, email=email)
        except (BotoCoreError, ClientError) as exc:
            self.message_user(request, f"The email service did not take the test: {exc}", messages.ERROR)
            return
        self.message_user(request, f"Sent {len(posts)} test email(s) to {email}.", messages.SUCCESS)


admin.site.unregister(Post)
admin.site.register(Post, PostWithMailingAdmin)
