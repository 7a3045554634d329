"""The admin sign-in lockout through Zappa's real Lambda handler (issue 12).

API Gateway appends the caller's address to whatever X-Forwarded-For the client sent, and Zappa
makes REMOTE_ADDR of that header's second-to-last entry, which the client chose; the lockout must
count requestContext.identity.sourceIp whatever the client writes.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.factories import StaffFactory
from tests.myblog import test_lambda as on_lambda
from tests.myblog.test_lambda import API_HOST, Answer, Event, rest_api_event
from tests.notifications import test_spam_limits

# Zappa's handler as a cold start builds it (see tests/notifications/test_spam_limits.py).
zappa_settings = on_lambda.zappa_settings
remote_env = on_lambda.remote_env
invoke = on_lambda.invoke
_served_hosts = on_lambda._served_hosts
cold_start = test_spam_limits.cold_start

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
# Django accepts its CSRF secret itself as the form's token when it matches the cookie.
CSRF = "h1CsrfSecretForTheLambdaTest0123"


def sign_in_event(username: str, password: str, *, source_ip: str, forwarded_for: str) -> Event:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={CSRF}",
        "Origin": f"https://{API_HOST}",
        "X-Forwarded-For": f"{forwarded_for}, {source_ip}",
    }
    event = rest_api_event("/admin/login/", host=API_HOST, headers=headers)
    event["httpMethod"] = event["requestContext"]["httpMethod"] = "POST"
    event["requestContext"]["identity"]["sourceIp"] = source_ip
    form = {"csrfmiddlewaretoken": CSRF, "username": username, "password": password, "next": "/admin/"}
    event["body"] = urlencode(form)
    return event


def test_a_client_forging_a_new_forwarded_for_on_every_attempt_is_still_locked_out(
    invoke: Callable[[Event], Answer], settings: Any
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [f"https://{API_HOST}"]
    staff = StaffFactory()
    staff.set_password(PASSWORD)
    staff.save()

    failures = [
        invoke(sign_in_event(staff.username, "wrong", source_ip="198.51.100.7", forwarded_for=f"203.0.113.{n}"))
        for n in range(5)
    ]
    right = invoke(sign_in_event(staff.username, PASSWORD, source_ip="198.51.100.7", forwarded_for="192.0.2.50"))
    elsewhere = invoke(sign_in_event(staff.username, PASSWORD, source_ip="192.0.2.10", forwarded_for="198.51.100.7"))

    assert [answer.status for answer in failures] == [200, 200, 200, 200, 429]
    assert right.status == 429 and "Sign-in locked" in right.text()
    assert elsewhere.status == 302  # another client, even one naming the locked-out address
