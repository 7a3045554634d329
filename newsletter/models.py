"""The record of each post's mailing and of every (post, subscriber) delivery.

A Delivery row is created once per (post, subscriber) and moves forward only, by conditional
UPDATEs: pending → sending → sent (→ bounced) or failed. That is what keeps a duplicate queue
message, a retry, a re-publish or two consumers at once from sending twice, and what lets a
consumer that died halfway resume where it stopped.
"""

from django.db import models


class PostMailing(models.Model):
    class State(models.TextChoices):
        SENDING = "sending", "Sending"  # queued in batches; consumers send
        SKIPPED = "skipped", "Not emailed"  # published without emailing, or visible before the newsletter existed

    post = models.OneToOneField("myblog.Post", on_delete=models.CASCADE, related_name="mailing")
    state = models.CharField(max_length=10, choices=State.choices)
    # Confirmed subscribers when the post became visible: the recipients queued.
    queued = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"mailing of post {self.post_id}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"

    post = models.ForeignKey("myblog.Post", on_delete=models.CASCADE, related_name="newsletter_deliveries")
    subscriber = models.ForeignKey("notifications.Subscriber", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a consumer claims the send; a claim left by a consumer that died is never re-sent.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    ses_message_id = models.CharField(max_length=100, blank=True, db_index=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "subscriber"], name="delivery_once_per_subscriber")]
        indexes = [models.Index(fields=["post", "status"], name="delivery_post_status_idx")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"post {self.post_id} to subscriber {self.subscriber_id}: {self.status}"


def delivery_counts(post_id: int) -> dict[str, int]:
    """How many of the post's deliveries are in each status (one query)."""
    rows = Delivery.objects.filter(post_id=post_id).values_list("status").annotate(count=models.Count("pk"))
    return {status: 0 for status in Delivery.Status.values} | dict(rows)
