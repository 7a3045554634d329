"""Migration 0003 (confirmed opt-in) keeps the subscribers of the single opt-in era working.

Welcomed active subscribers become confirmed (they keep getting what they subscribed to), active
ones the welcome never reached become pending (they are asked first), the others keep their
status. Run the way Django migrates: back to 0002, rows written with that schema, forward again.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0002_subscriber_export_permission")]
AFTER = [("notifications", "0003_confirmed_opt_in")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_0002():
    old_apps = migrate(BEFORE)
    yield old_apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # back to the latest for the next test


def test_existing_subscribers_are_mapped_to_the_new_statuses(at_0002):
    old = at_0002.get_model("notifications", "Subscriber")
    welcomed = timezone.now() - timedelta(days=40)
    for email, status, welcome_sent_at in [
        ("welcomed@example.com", "active", welcomed),
        ("never-welcomed@example.com", "active", None),
        ("left@example.com", "unsubscribed", welcomed),
        ("bounced@example.com", "bounced", None),
        ("complained@example.com", "complained", welcomed),
    ]:
        old.objects.create(email=email, status=status, welcome_sent_at=welcome_sent_at)

    new_apps = migrate(AFTER)

    new = new_apps.get_model("notifications", "Subscriber")
    rows = {row.email: row for row in new.objects.all()}
    assert {email: row.status for email, row in rows.items()} == {
        "welcomed@example.com": "confirmed",
        "never-welcomed@example.com": "pending",
        "left@example.com": "unsubscribed",
        "bounced@example.com": "bounced",
        "complained@example.com": "complained",
    }
    # Confirmed by the migration, not by a link: confirmed_at stays empty, and nothing else moves.
    assert {row.confirmed_at for row in rows.values()} == {None}
    assert {row.confirm_version for row in rows.values()} == {0}
    assert rows["welcomed@example.com"].welcome_sent_at == welcomed


def test_the_migrated_subscribers_behave_as_new_ones_of_their_status(at_0002, client):
    from notifications.links import confirm_url
    from notifications.models import Subscriber
    from notifications.selectors import subscriber_list_pending_welcome

    old = at_0002.get_model("notifications", "Subscriber")
    old.objects.create(email="welcomed@example.com", status="active", welcome_sent_at=timezone.now())
    old.objects.create(email="never-welcomed@example.com", status="active")
    migrate(AFTER)

    assert [s.email for s in Subscriber.objects.confirmed()] == ["welcomed@example.com"]
    # The one the welcome never reached is what `send_pending_welcome_emails` sends to.
    [pending] = subscriber_list_pending_welcome()
    assert pending.email == "never-welcomed@example.com"
    assert client.post(urlsplit(confirm_url(pending)).path).status_code == 200
    assert Subscriber.objects.confirmed().count() == 2


def test_migrating_back_turns_pending_and_confirmed_into_active(at_0002):
    migrate(AFTER)
    from notifications.models import Subscriber

    Subscriber.objects.create(email="pending@example.com", status=Subscriber.Status.PENDING)
    Subscriber.objects.create(email="confirmed@example.com", status=Subscriber.Status.CONFIRMED)
    Subscriber.objects.create(email="left@example.com", status=Subscriber.Status.UNSUBSCRIBED)

    old_apps = migrate(BEFORE)

    old = old_apps.get_model("notifications", "Subscriber")
    assert dict(old.objects.values_list("email", "status")) == {
        "pending@example.com": "active",
        "confirmed@example.com": "active",
        "left@example.com": "unsubscribed",
    }
