import secrets

from django.db import models
from django.db.models.functions import Lower


def new_unsubscribe_token() -> str:
    """256 random bits, URL-safe: the only key to a subscriber's unsubscribe page."""
    return secrets.token_urlsafe(32)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    # Stored lower-cased (a check constraint holds it), so the plain unique index is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the one conditional UPDATE that claims the welcome email, cleared when it is sent
    # or the send fails; a claim older than WELCOME_CLAIM_TIMEOUT_SECONDS counts as abandoned.
    welcome_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    welcome_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="subscriber_email_lower_case"),
        ]
        indexes = [models.Index(fields=["status", "welcome_sent_at"], name="subscriber_welcome_idx")]
        permissions = [("export_subscriber", "Can export subscribers as CSV")]

    def __str__(self) -> str:
        return self.email

    @property
    def can_be_emailed(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def welcome_state(self) -> str:
        if self.welcome_sent_at:
            return "sent"
        if not self.can_be_emailed:
            return "not sent"
        return "sending" if self.welcome_claimed_at else "pending"
