"""The post admin's newsletter part: the checkbox, the counts, a test to oneself; and bounces."""

import pytest
from django_ses import signals as ses_signals

from myblog.blog.models import Post
from newsletter import services
from newsletter.models import Delivery
from tests.factories import PostFactory, StaffFactory, offered_actions, staff_with

from .conftest import confirmed_subscribers, recipients, visible_post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/myblog/post/"


def change_page(post: Post) -> str:
    return f"{CHANGELIST}{post.pk}/change/"


def test_the_post_page_shows_how_many_were_queued_sent_failed_and_bounced(client, queue, sent_mail):
    client.force_login(StaffFactory())
    confirmed_subscribers(3)
    post = visible_post()
    services.mailing_start(post_id=post.pk)
    queue.drain()
    first = Delivery.objects.filter(post=post).order_by("subscriber_id").first()
    ses_signals.bounce_received.send(
        sender=None, mail_obj={"messageId": first.ses_message_id}, bounce_obj={"bounceType": "Permanent"}
    )

    page = client.get(change_page(post))

    assert page.status_code == 200
    assert b"Queued for 3 \xc2\xb7 sent 3 \xc2\xb7 failed 0 \xc2\xb7 bounced 1" in page.content


def test_a_transient_bounce_does_not_count_as_bounced(queue, sent_mail):
    confirmed_subscribers(1)
    post = visible_post()
    services.mailing_start(post_id=post.pk)
    queue.drain()
    delivery = Delivery.objects.get(post=post)

    ses_signals.bounce_received.send(
        sender=None, mail_obj={"messageId": delivery.ses_message_id}, bounce_obj={"bounceType": "Transient"}
    )

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_the_no_email_checkbox_is_on_the_post_form_until_the_post_went_out(client, queue):
    client.force_login(StaffFactory())
    draft = PostFactory(status=Post.Status.DRAFT, publish_at=None)
    assert "email_subscribers" in client.get(change_page(draft)).context["adminform"].form.fields

    confirmed_subscribers(1)
    services.mailing_start(post_id=visible_post().pk)
    sent = Post.objects.get(mailing__isnull=False)
    assert "email_subscribers" not in client.get(change_page(sent)).context["adminform"].form.fields


def test_send_a_test_to_me_sends_the_post_to_the_staff_members_own_address_only(client, queue, sent_mail):
    client.force_login(StaffFactory(email="editor@example.com"))
    confirmed_subscribers(2)
    post = PostFactory(status=Post.Status.DRAFT, publish_at=None, title="Coming soon")

    answer = client.post(CHANGELIST, {"action": "send_test_to_me", "_selected_action": [post.pk]}, follow=True)

    assert answer.status_code == 200
    [message] = sent_mail()
    assert recipients([message]) == ["editor@example.com"]
    assert message["Subject"] == "[Test] Coming soon"
    assert not Delivery.objects.exists()


def test_send_a_test_needs_the_change_permission(client, queue, sent_mail):
    viewer = staff_with("myblog", "view_post")
    viewer.email = "viewer@example.com"
    viewer.save()
    client.force_login(viewer)
    post = PostFactory()

    assert "send_test_to_me" not in offered_actions(client.get(CHANGELIST))
    client.post(CHANGELIST, {"action": "send_test_to_me", "_selected_action": [post.pk]})
    assert sent_mail() == []
