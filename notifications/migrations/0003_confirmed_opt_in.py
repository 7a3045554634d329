"""Confirmed (double) opt-in: "active" splits into "pending" and "confirmed".

How the subscribers of the single opt-in era are treated (README, "Subscribers and email"):
- active, welcome email sent: confirmed. They subscribed through the form, got the welcome
  email (with its one-click unsubscribe link and "if that was not you, unsubscribe") and stayed.
  Asking all of them again would be one more email to every address, the very thing confirmed
  opt-in prevents, and would drop the readers who miss it. Their confirmed_at stays empty: the
  admin tells them apart from addresses confirmed by the link.
- active, welcome email never sent (SES failed, the task was lost): pending. Nothing reached
  them, so nothing shows that the address wants mail; `send_pending_welcome_emails` (or the
  admin's resend) sends them the welcome email that asks to confirm.
- unsubscribed, bounced, complained: unchanged.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def split_active(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    subscribers = apps.get_model("notifications", "Subscriber").objects.using(schema_editor.connection.alias)
    subscribers.filter(status="active", welcome_sent_at__isnull=False).update(status="confirmed")
    subscribers.filter(status="active").update(status="pending")


def merge_into_active(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    subscribers = apps.get_model("notifications", "Subscriber").objects.using(schema_editor.connection.alias)
    subscribers.filter(status__in=["pending", "confirmed"]).update(status="active")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_subscriber_export_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="confirm_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="subscriber",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("confirmed", "Confirmed"),
                    ("unsubscribed", "Unsubscribed"),
                    ("bounced", "Bounced"),
                    ("complained", "Complained"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.RunPython(split_active, merge_into_active, elidable=False),
    ]
