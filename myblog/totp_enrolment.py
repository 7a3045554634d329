"""The admin's page where a staff member adds their TOTP device (authenticator app).

It shows a QR code of the device's otpauth:// URL (an SVG drawn by qrcode, inline markup with no
script or style, so the Content-Security-Policy holds) and the key for typing in; the device is
confirmed only by a valid current code, which also verifies the session. A staff member who
already has a confirmed device cannot add another here: whoever holds only their password must
not get a second factor of their own. A superuser removes a lost device in the admin.
"""

from base64 import b32encode
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from myblog.admin_auth import confirmed_device

DEVICE_NAME = "Authenticator app"


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code shown by the app",
        max_length=10,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def qr_svg(data: str) -> str:
    """The QR code as inline SVG markup: one <path>, with no style attribute or script."""
    # Imported here: qrcode loads Pillow's drawing modules, and only this page draws (cold start, issue 14).
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    markup = image.to_string(encoding="unicode")
    return markup.partition("?>")[2] if markup.startswith("<?xml") else markup


@never_cache
@csrf_protect
def enrol(request: HttpRequest, site: AdminSite) -> HttpResponse:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=site.name))
    context: dict[str, Any] = {**site.each_context(request), "title": "Two-factor sign-in"}
    if confirmed_device(user) is not None:
        context["enrolled"] = True
        return render(request, "admin/totp_enrol.html", context)

    form = TokenForm(request.POST or None)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["otp_token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                otp_login(request, device)
                messages.success(request, "Two-factor sign-in is on: from now on, sign in with a code of your app.")
                return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
            form.add_error("otp_token", "That code is not valid. Enter the code the app shows now.")

    context |= {
        "form": form,
        "qr_code": mark_safe(qr_svg(device.config_url)),  # noqa: S308  # qrcode's own markup, no user input
        "secret": b32encode(device.bin_key).decode(),
    }
    return render(request, "admin/totp_enrol.html", context)
