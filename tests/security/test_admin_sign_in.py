"""Admin sign-in (issue 12): lockout after failed sign-ins, and a TOTP second factor for staff.

Requests carry what Zappa's handler gives Django on Lambda: the API Gateway event in
environ["lambda.event"] (its requestContext.identity.sourceIp is the address AWS saw), and a
REMOTE_ADDR that Zappa takes from X-Forwarded-For, which the client writes.
"""

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"


@pytest.fixture
def staff() -> Any:
    user = StaffFactory()
    user.set_password(PASSWORD)
    user.save()
    return user


def on_lambda(source_ip: str, forwarded_for: str | None = None) -> dict[str, Any]:
    """The request attributes Zappa's handler sets for a caller at source_ip sending forwarded_for."""
    forwarded = f"{forwarded_for}, {source_ip}" if forwarded_for else source_ip
    return {
        "lambda.event": {"requestContext": {"identity": {"sourceIp": source_ip}}},
        "HTTP_X_FORWARDED_FOR": forwarded,
        # Zappa: the second-to-last X-Forwarded-For entry, i.e. whatever the client wrote.
        "REMOTE_ADDR": forwarded_for or source_ip,
    }


def sign_in(client: Client, username: str, password: str, token: str = "", **extra: Any) -> Any:
    data = {"username": username, "password": password, "otp_token": token, "next": "/admin/"}
    return client.post(LOGIN, data, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_five_wrong_passwords_lock_the_account_out_and_then_even_the_right_password_is_refused(
    client: Client, staff: Any
) -> None:
    attempts = [sign_in(client, staff.username, f"wrong {n}", **on_lambda("198.51.100.7")) for n in range(5)]

    locked = sign_in(client, staff.username, PASSWORD, **on_lambda("198.51.100.7"))

    assert [answer.status_code for answer in attempts[:4]] == [200] * 4  # the form again, with its error
    assert attempts[4].status_code == 429  # the fifth failure reaches the limit
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in locked" in page and "15 minutes" in page
    assert locked["Cache-Control"] == "private, no-store"
    assert not signed_in(client)


def test_a_forged_x_forwarded_for_on_each_attempt_does_not_reset_the_count(client: Client, staff: Any) -> None:
    for n in range(5):
        sign_in(client, staff.username, "wrong", **on_lambda("198.51.100.7", forwarded_for=f"203.0.113.{n}"))

    locked = sign_in(client, staff.username, PASSWORD, **on_lambda("198.51.100.7", forwarded_for="192.0.2.99"))

    assert locked.status_code == 429 and not signed_in(client)
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [("198.51.100.7", 6)]


def test_an_ipv6_client_counts_as_its_64_whatever_address_it_picks_inside_it(client: Client, staff: Any) -> None:
    for n in range(5):
        sign_in(client, staff.username, "wrong", **on_lambda(f"2001:db8:1:2::{n + 1:x}"))

    locked = sign_in(client, staff.username, PASSWORD, **on_lambda("2001:db8:1:2:ffff::1"))

    assert locked.status_code == 429 and not signed_in(client)


def test_the_lockout_holds_for_that_account_from_that_address_only(client: Client, staff: Any) -> None:
    for _ in range(5):
        sign_in(client, staff.username, "wrong", **on_lambda("198.51.100.7"))

    elsewhere = sign_in(client, staff.username, PASSWORD, **on_lambda("192.0.2.10"))

    assert elsewhere.status_code == 302 and signed_in(client)


def test_the_right_password_is_accepted_again_after_the_cool_off(client: Client, staff: Any) -> None:
    for _ in range(5):
        sign_in(client, staff.username, "wrong", **on_lambda("198.51.100.7"))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    answer = sign_in(client, staff.username, PASSWORD, **on_lambda("198.51.100.7"))

    assert answer.status_code == 302 and signed_in(client)


# --- The second factor --------------------------------------------------------------------------


@pytest.fixture
def device(staff: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def test_staff_with_a_device_are_refused_with_their_password_alone(client: Client, staff: Any, device: Any) -> None:
    answer = sign_in(client, staff.username, PASSWORD)

    assert answer.status_code == 200 and not signed_in(client)
    assert "Enter the 6-digit code" in answer.content.decode()


def test_staff_with_a_device_sign_in_with_its_current_code(client: Client, staff: Any, device: Any) -> None:
    answer = sign_in(client, staff.username, PASSWORD, current_code(device))

    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_that_was_used_once_is_refused_the_second_time(client: Client, staff: Any, device: Any) -> None:
    code = current_code(device)
    assert sign_in(client, staff.username, PASSWORD, code).status_code == 302
    client.post("/admin/logout/")

    replayed = sign_in(Client(), staff.username, PASSWORD, code)

    assert replayed.status_code == 200
    assert "not valid (or was used already)" in replayed.content.decode()


def test_a_wrong_code_counts_as_a_failed_sign_in(client: Client, staff: Any, device: Any) -> None:
    sign_in(client, staff.username, PASSWORD, "000000", **on_lambda("198.51.100.7"))

    assert AccessAttempt.objects.get().failures_since_start == 1


def test_a_session_that_gave_no_code_does_not_open_the_admin_for_staff_with_a_device(
    client: Client, staff: Any, device: Any
) -> None:
    client.force_login(staff)  # a password-only session, e.g. from before the device was added

    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_with_totp_required_staff_without_a_device_reach_only_the_enrolment_page(
    client: Client, staff: Any, settings: Any
) -> None:
    settings.ADMIN_REQUIRE_TOTP = True

    answer = sign_in(client, staff.username, PASSWORD)

    assert answer.status_code == 302 and answer["Location"] == "/admin/two-factor/"
    assert client.get("/admin/auth/user/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/")["Location"] == "/admin/two-factor/"


def test_staff_enrol_by_scanning_the_qr_code_and_confirming_a_code(client: Client, staff: Any, settings: Any) -> None:
    settings.ADMIN_REQUIRE_TOTP = True
    sign_in(client, staff.username, PASSWORD)

    page = client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=staff)
    wrong = client.post("/admin/two-factor/", {"otp_token": "000000"})
    device.throttle_reset()  # the wrong code's back-off, not what this test is about
    confirmed = client.post("/admin/two-factor/", {"otp_token": current_code(device)})

    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    qr = html.partition('class="totp-qr"')[2].partition("</div>")[0]
    assert "<svg" in qr and "<path" in qr and "style=" not in html and "<script>" not in html
    assert not device.confirmed and wrong.status_code == 200
    assert confirmed.status_code == 302 and confirmed["Location"] == "/admin/"
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert client.get("/admin/auth/user/").status_code == 200  # this session gave a code


def test_a_password_alone_cannot_add_a_second_device_to_an_account_that_has_one(
    client: Client, staff: Any, device: Any
) -> None:
    client.force_login(staff)

    page = client.get("/admin/two-factor/")
    client.post("/admin/two-factor/", {"otp_token": current_code(device)})

    assert "Two-factor sign-in is on" in page.content.decode() and "totp-qr" not in page.content.decode()
    assert list(TOTPDevice.objects.filter(user=staff)) == [device]


def test_behind_cloudfront_the_lockout_counts_the_viewer_and_not_the_edge(
    client: Client, staff: Any, settings: Any
) -> None:
    settings.THROTTLE_VIEWER_ADDRESS_HEADER = "CloudFront-Viewer-Address"
    edge = on_lambda("130.176.0.1")  # every viewer reaches the origin from a CloudFront edge address

    for port in range(5):
        sign_in(client, staff.username, "wrong", HTTP_CLOUDFRONT_VIEWER_ADDRESS=f"198.51.100.7:{40000 + port}", **edge)
    same_viewer = sign_in(client, staff.username, PASSWORD, HTTP_CLOUDFRONT_VIEWER_ADDRESS="198.51.100.7:50000", **edge)
    other_viewer = sign_in(Client(), staff.username, PASSWORD, HTTP_CLOUDFRONT_VIEWER_ADDRESS="192.0.2.1:50000", **edge)

    assert same_viewer.status_code == 429 and other_viewer.status_code == 302
