"""The subscribers in the Django admin: filters, search, CSV export, resending the welcome email."""

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from notifications.links import confirm_url
from notifications.models import Subscriber
from tests.factories import StaffFactory, SubscriberFactory, offered_actions, staff_with

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/notifications/subscriber/"


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory())
    return client


def listed(response):
    return [subscriber.email for subscriber in response.context["cl"].result_list]


def test_the_list_filters_by_status_and_welcome_state_and_searches(admin_client):
    SubscriberFactory(email="sent@example.com", welcome_sent_at=timezone.now())
    SubscriberFactory(email="pending@example.com")
    SubscriberFactory(email="bounced@example.com", status=Subscriber.Status.BOUNCED)

    assert listed(admin_client.get(CHANGELIST, {"status__exact": "bounced"})) == ["bounced@example.com"]
    assert listed(admin_client.get(CHANGELIST, {"welcome": "pending"})) == ["pending@example.com"]
    assert listed(admin_client.get(CHANGELIST, {"welcome": "sent"})) == ["sent@example.com"]
    assert listed(admin_client.get(CHANGELIST, {"q": "pend"})) == ["pending@example.com"]
    page = admin_client.get(CHANGELIST)
    assert page.status_code == 200 and b"pending" in page.content


def test_the_list_shows_how_many_subscribers_have_each_status(admin_client):
    counts = {"pending": 3, "confirmed": 2, "unsubscribed": 1, "bounced": 1, "complained": 1}
    for status, count in counts.items():
        SubscriberFactory.create_batch(count, status=status)

    page = admin_client.get(CHANGELIST)

    status_filter = next(spec for spec in page.context["cl"].filter_specs if spec.title == "status")
    shown = {choice["display"] for choice in status_filter.choices(page.context["cl"])}
    assert {f"{label} ({counts[value]})" for value, label in Subscriber.Status.choices} <= shown
    html = page.content.decode()
    assert all(f"{label} ({counts[value]})" in html for value, label in Subscriber.Status.choices)
    # Counted within the other filters too: the 3 pending ones among those never welcomed.
    assert "Pending (3)" in admin_client.get(CHANGELIST, {"welcome": "pending"}).content.decode()


def test_admins_cannot_add_addresses_that_bypass_the_checks(admin_client):
    assert admin_client.get(CHANGELIST + "add/").status_code == 403


def test_the_csv_export_lists_the_selected_subscribers_and_defuses_formulas(admin_client):
    first = SubscriberFactory(email="reader@example.com", welcome_sent_at=timezone.now())
    formula = SubscriberFactory(email="=cmd@example.com", status=Subscriber.Status.UNSUBSCRIBED)

    response = admin_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [first.pk, formula.pk]}, follow=False
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="subscribers-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["email", "status", "created_at", "confirmed_at", "welcome_sent_at", "unsubscribed_at"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("reader@example.com", "pending"),
        ("'=cmd@example.com", "unsubscribed"),
    ]
    assert rows[1][4] != ""


def test_resend_welcome_email_sends_again_to_pending_subscribers_only(admin_client, sent_mail):
    pending = SubscriberFactory(email="reader@example.com", welcome_sent_at=timezone.now())
    confirmed = SubscriberFactory(email="confirmed@example.com", status=Subscriber.Status.CONFIRMED)
    gone = SubscriberFactory(email="gone@example.com", status=Subscriber.Status.COMPLAINED)
    chosen = [pending.pk, confirmed.pk, gone.pk]

    response = admin_client.post(
        CHANGELIST, {"action": "resend_welcome_email", "_selected_action": chosen}, follow=True
    )

    messages = [str(message) for message in response.context["messages"]]
    assert "Welcome email queued for 1 subscriber(s)." in messages
    assert any("2 skipped" in message for message in messages)
    assert [message["To"] for message in sent_mail()] == ["reader@example.com"]
    pending.refresh_from_db()
    assert pending.welcome_state == "sent"


def test_the_change_page_shows_the_subscriber_and_lets_an_admin_change_the_status(admin_client):
    subscriber = SubscriberFactory(email="reader@example.com", status=Subscriber.Status.BOUNCED)

    page = admin_client.get(f"{CHANGELIST}{subscriber.pk}/change/")
    saved = admin_client.post(f"{CHANGELIST}{subscriber.pk}/change/", {"status": "pending"})

    assert page.status_code == 200 and b"reader@example.com" in page.content
    assert saved.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.email == "reader@example.com"


def test_staff_marking_an_address_unsubscribed_makes_its_old_confirmation_link_useless(admin_client):
    subscriber = SubscriberFactory(email="reader@example.com")
    link = urlsplit(confirm_url(subscriber)).path

    admin_client.post(f"{CHANGELIST}{subscriber.pk}/change/", {"status": "unsubscribed"})
    admin_client.post(f"{CHANGELIST}{subscriber.pk}/change/", {"status": "pending"})

    assert admin_client.post(link).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_view_only_staff_can_neither_resend_the_welcome_email_nor_export_the_list(client, sent_mail):
    subscriber = SubscriberFactory(email="reader@example.com")
    client.force_login(staff_with("notifications", "view_subscriber"))

    client.post(CHANGELIST, {"action": "resend_welcome_email", "_selected_action": [subscriber.pk]})
    exported = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [subscriber.pk]})

    assert sent_mail() == []
    subscriber.refresh_from_db()
    assert subscriber.welcome_state != "sent"
    assert not exported.headers["Content-Type"].startswith("text/csv")
    assert offered_actions(client.get(CHANGELIST)) == []


def test_exporting_subscribers_needs_its_own_permission_not_the_right_to_change_them(client):
    subscriber = SubscriberFactory(email="reader@example.com")
    client.force_login(staff_with("notifications", "view_subscriber", "change_subscriber"))
    assert offered_actions(client.get(CHANGELIST)) == ["resend_welcome_email"]
    refused = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [subscriber.pk]})
    assert not refused.headers["Content-Type"].startswith("text/csv")

    client.force_login(staff_with("notifications", "view_subscriber", "export_subscriber"))
    assert offered_actions(client.get(CHANGELIST)) == ["export_csv"]
    exported = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [subscriber.pk]})
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "reader@example.com" in exported.content.decode()
