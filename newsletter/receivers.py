"""When a post may have become visible, and what SES says of the messages sent."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django_ses import signals as ses_signals

from myblog.blog.models import Post


def on_post_saved(sender: type[Post], instance: Post, **kwargs: object) -> None:
    """Published now (admin save, the publish action): start the mailing once the save is committed.

    Robust: a queue outage must not undo the author's save; the scheduled sweep starts it then.
    """
    post_id = instance.pk

    def start_mailing() -> None:  # named: Django logs a robust callback's failure by __qualname__
        from newsletter.services import mailing_start

        mailing_start(post_id=post_id)

    if instance.is_visible():
        transaction.on_commit(start_mailing, robust=True)


def on_bounce(sender: object, mail_obj: dict[str, Any], bounce_obj: dict[str, Any], **kwargs: object) -> None:
    # A transient bounce (mailbox full) may still arrive later; a permanent one will not.
    if bounce_obj.get("bounceType") == "Permanent" and mail_obj.get("messageId"):
        from newsletter.services import delivery_bounced

        delivery_bounced(ses_message_id=str(mail_obj["messageId"]))


def connect() -> None:
    post_save.connect(on_post_saved, sender=Post, dispatch_uid="newsletter.on_post_saved")
    ses_signals.bounce_received.connect(on_bounce, dispatch_uid="newsletter.on_bounce")
