"""Who may enter the admin: password, lockout after failed sign-ins, and a TOTP second factor.

- django-axes counts failed sign-ins per username and client address in the database (every
  Lambda instance shares the count) and refuses both after AXES_FAILURE_LIMIT, for
  AXES_COOLOFF_TIME; the client address is the one AWS saw (sign_in_address).
- Staff with a confirmed TOTP device (django-otp) must give its current code with their
  password; with ADMIN_REQUIRE_TOTP every staff member must, and one without a device gets only
  the enrolment page (myblog/totp_enrolment.py) until they have added one.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.throttling import client_address, client_bucket


def sign_in_address(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address AWS saw, an IPv6 client as its /64's first address.

    Never X-Forwarded-For or Zappa's REMOTE_ADDR, which a client can write (throttling.py). Axes
    stores an IP address, so a /64 is kept as its network address; None when there is none.
    """
    bucket = client_bucket(client_address(request)).partition("/")[0]
    try:
        return str(forms.GenericIPAddressField().clean(bucket))
    except forms.ValidationError:
        return None


def confirmed_device(user: Any) -> TOTPDevice | None:
    """The user's TOTP device; enrolment lets each user confirm one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_verified(user: Any) -> bool:
    """Whether this session's user gave a TOTP code (OTPMiddleware, or the sign-in just now)."""
    return getattr(user, "otp_device", None) is not None


def needs_enrolment(request: HttpRequest) -> bool:
    """A staff member signed in with a password, who must add a device before anything else."""
    user = request.user
    return bool(
        settings.ADMIN_REQUIRE_TOTP
        and user.is_active
        and user.is_staff
        and not is_verified(user)
        and confirmed_device(user) is None
    )


class StaffLoginForm(AdminAuthenticationForm):
    """The admin's sign-in: username, password and, for staff with a device, its current code."""

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=10,
        strip=True,
        help_text="The 6-digit code of your authenticator app, if you have set one up.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "token_required": "Enter the 6-digit code of your authenticator app as well.",
        "invalid_token": "That code is not valid (or was used already). Enter the current code of your app.",
        "token_throttled": "Too many wrong codes: wait %(seconds)d seconds, then try the current code.",
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # password (through axes), active, staff
        user = self.get_user()
        device = confirmed_device(user)
        if device is None:
            return cleaned
        token = cleaned.get("otp_token") or ""
        if not token:
            raise forms.ValidationError(self.error_messages["token_required"], code="token_required")
        with transaction.atomic():
            # Locked: two instances given the same code at once must not both accept it.
            device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            allowed, extra = device.verify_is_allowed()
            if not allowed:
                seconds = max(1, int((extra["locked_until"] - timezone.now()).total_seconds()))
                raise forms.ValidationError(
                    self.error_messages["token_throttled"], code="token_throttled", params={"seconds": seconds}
                )
            # verify_token refuses a code of a time step it accepted before (last_t): no replays.
            verified = device.verify_token(token)
        if not verified:
            # A wrong code counts as a failed sign-in for axes too, like a wrong password.
            user_login_failed.send(
                sender=type(self), credentials={"username": user.get_username()}, request=self.request
            )
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        # django-otp's user_logged_in receiver marks the session verified.
        user.otp_device = device  # type: ignore[attr-defined]  # django-otp's attribute of a user
        return cleaned


class StaffAdminSite(AdminSite):
    """admin.site (StaffAdminConfig): the second factor is part of having the admin's permission."""

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if is_verified(request.user):
            return True
        return not settings.ADMIN_REQUIRE_TOTP and confirmed_device(request.user) is None

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated and needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:totp_enrol", current_app=self.name))
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated and needs_enrolment(request):
            return HttpResponseRedirect(reverse("admin:totp_enrol", current_app=self.name))
        return response

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from myblog.totp_enrolment import enrol

        return [path("two-factor/", enrol, {"site": self}, name="totp_enrol"), *super().get_urls()]


def locked_out(request: HttpRequest, original_response: HttpResponseBase | None, credentials: Any) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin's page saying why sign-in is refused and for how long."""
    from django.contrib import admin

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {**admin.site.each_context(request), "title": "Sign-in locked", "minutes": minutes}
    return render(request, "admin/locked_out.html", context, status=429)
