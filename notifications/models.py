import secrets

from django.db import models
from django.db.models.functions import Lower


def new_unsubscribe_token() -> str:
    """256 random bits, URL-safe: the only key to a subscriber's unsubscribe page."""
    return secrets.token_urlsafe(32)


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def confirmed(self) -> "SubscriberQuerySet":
        """The only subscribers who may get anything but the one welcome-and-confirm email."""
        return self.filter(status=Subscriber.Status.CONFIRMED)


class Subscriber(models.Model):
    class Status(models.TextChoices):
        # Subscribed through the form or the API; got (or is getting) the one welcome email that
        # asks to confirm, and nothing else until the link in it is followed.
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    # Stored lower-cased (a check constraint holds it), so the plain unique index is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the link of the welcome email was followed. Empty for a confirmed subscriber who
    # subscribed before confirmation existed (migration 0003: welcomed under single opt-in).
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Signed into every confirmation link and raised when the address leaves (unsubscribed,
    # bounced, complained), so a link issued before that can never confirm it again.
    confirm_version = models.PositiveIntegerField(default=0, editable=False)
    # Set by the one conditional UPDATE that claims the welcome email, cleared when it is sent
    # or the send fails; a claim older than WELCOME_CLAIM_TIMEOUT_SECONDS counts as abandoned.
    welcome_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    welcome_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SubscriberQuerySet.as_manager()

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
        """May get posts (and any email other than the welcome): confirmed, and only then."""
        return self.status == self.Status.CONFIRMED

    @property
    def welcome_state(self) -> str:
        if self.welcome_sent_at:
            return "sent"
        if self.status != self.Status.PENDING:
            return "not sent"
        return "sending" if self.welcome_claimed_at else "pending"
