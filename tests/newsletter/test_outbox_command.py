"""`manage.py newsletter_outbox`: the emails the local SES accepted, and what it says when it cannot list them."""

import pytest
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command


def send(subject: str) -> None:
    EmailMessage(subject, f"The text of {subject}.", to=["reader@example.com"]).send()


def test_it_lists_the_accepted_emails_and_shows_the_text_of_one(local_aws, capsys) -> None:
    send("First")
    send("Second")

    call_command("newsletter_outbox", "--show", "2")

    out = capsys.readouterr().out
    assert "  1  reader@example.com  First" in out and "  2  reader@example.com  Second" in out
    assert "The text of Second." in out and "The text of First." not in out
    assert out.rstrip().endswith("2 email(s) sent on the local endpoint.")


@pytest.mark.parametrize("show", ["0", "2", "-1"])
def test_showing_an_email_that_is_not_listed_is_refused(show, local_aws) -> None:
    send("Only")

    with pytest.raises(CommandError, match=rf"--show {show}: the list has 1 email\(s\); give 1 to 1"):
        call_command("newsletter_outbox", "--show", show)


def test_a_negative_count_of_emails_to_list_is_refused() -> None:
    with pytest.raises(CommandError, match="argument --last: must be 0 or more, got '-3'"):
        call_command("newsletter_outbox", "--last", "-3")


def test_with_the_local_endpoint_down_it_says_to_start_it_not_a_traceback() -> None:
    # Without the aws marker the endpoint is a closed port (tests/conftest.py).
    with pytest.raises(CommandError, match=r"The local endpoint http://127.0.0.1:9 does not answer \(.*\): start it"):
        call_command("newsletter_outbox")
