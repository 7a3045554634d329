"""HTML pages of the subscription: the form's answers, the confirmation and the unsubscribe page.

The form sits in every public, cached blog page, so it carries no CSRF token (docs/architecture.md, decision 9): these
views are CSRF-exempt. Subscribing acts for no signed-in user and is throttled per client; the
unsubscribe page is authorised by its unguessable token, and mail clients POST to it with no
cookies at all (RFC 8058); the confirmation page by its signed link. None of these answers is
publicly cached.

GET never changes a subscription, neither confirming nor unsubscribing: mail scanners and link
checkers open every link of an email (so would confirm an address a stranger subscribed). Each
page asks with one button, a POST.
"""

import base64
import binascii
import math
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ses.views import SESEventWebhookView

from myblog.core.parsers import json_loads_untrusted
from notifications.forms import SubscribeForm
from notifications.selectors import (
    ConfirmLinkExpired,
    ConfirmLinkInvalid,
    subscriber_get_by_confirm_token,
    subscriber_get_by_token,
)
from notifications.services import (
    SubscriberNotFound,
    subscriber_confirm,
    subscriber_resubscribe,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from notifications.throttling import SubscribeThrottle

FORM_PAGE = "notifications/subscribe.html"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, FORM_PAGE, {"form": SubscribeForm()})
    throttle = SubscribeThrottle()
    # A plain Django view, not DRF's: this throttle reads only request.META (get_cache_key).
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        wait = max(1, math.ceil(throttle.wait() or 1))
        response = render(request, FORM_PAGE, {"form": SubscribeForm(), "retry_after": wait}, status=429)
        response.headers["Retry-After"] = str(wait)
        return response
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, FORM_PAGE, {"form": form}, status=400)
    subscriber_subscribe(email=form.cleaned_data["email"])
    # 303: the browser shows the confirmation with a GET, so reloading it posts nothing again.
    response = HttpResponseRedirect(reverse("subscribe-done"))
    response.status_code = 303
    return response


@require_http_methods(["GET", "HEAD"])
def subscribe_done(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/subscribed.html")


CONFIRM_PAGE = "notifications/confirm.html"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the welcome email: GET shows a "Confirm" button, its POST confirms."""
    try:
        if request.method == "POST":
            subscriber = subscriber_confirm(token=token)
        else:
            subscriber = subscriber_get_by_confirm_token(token=token)
    except ConfirmLinkExpired as exc:
        context = {"state": "expired", "subscriber": exc.subscriber, "form": SubscribeForm()}
        return render(request, CONFIRM_PAGE, context, status=410)
    except ConfirmLinkInvalid:
        return render(request, CONFIRM_PAGE, {"state": "invalid", "form": SubscribeForm()}, status=404)
    state = "confirmed" if subscriber.can_be_emailed else "ask"
    return render(request, CONFIRM_PAGE, {"state": state, "subscriber": subscriber, "token": token})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            subscriber = subscriber_unsubscribe(token=token)
        except SubscriberNotFound:
            raise Http404("No such subscription.") from None
        return render(request, "notifications/unsubscribed.html", {"subscriber": subscriber})
    # GET only asks: link checkers and mail scanners open links without meaning to unsubscribe.
    found = subscriber_get_by_token(token=token)
    if found is None:
        raise Http404("No such subscription.")
    return render(request, "notifications/unsubscribe.html", {"subscriber": found})


@csrf_exempt
@require_http_methods(["POST"])
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The "subscribe again" button of the unsubscribed page, authorised by the same token."""
    try:
        subscriber = subscriber_resubscribe(token=token)
    except SubscriberNotFound:
        raise Http404("No such subscription.") from None
    if subscriber.can_be_emailed:
        return render(request, CONFIRM_PAGE, {"state": "confirmed", "subscriber": subscriber})
    return render(request, "notifications/unsubscribe.html", {"subscriber": subscriber})  # bounced, complained


# The fields of an SNS message that django-ses reads (signs, verifies, dispatches on).
SNS_STRING_FIELDS = (
    "Type",
    "Message",
    "MessageId",
    "Subject",
    "Timestamp",
    "TopicArn",
    "Token",
    "SubscribeURL",
    "Signature",
    "SigningCertURL",
)


class SesEventsView(SESEventWebhookView):
    """django-ses's SNS endpoint (CSRF-exempt, signature and topic checked), behind a check of
    the body's shape: it trusts that a body it can parse is an object of strings with a base64
    signature, and answers a deeply nested body, a JSON array, a lone surrogate or a number as
    the signature with a 500."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            notification = json_loads_untrusted(request.body.decode("utf-8"))
            fields = (
                [notification.get(name, "") for name in SNS_STRING_FIELDS] if isinstance(notification, dict) else []
            )
            if not fields or not all(isinstance(value, str) for value in fields):
                raise ValueError("a JSON object with string fields is expected.")
            "".join(fields).encode()  # a lone surrogate (a \ud800 escape) raises UnicodeEncodeError
            base64.b64decode(notification.get("Signature", ""), validate=True)
        except (ValueError, binascii.Error) as exc:
            return HttpResponseBadRequest(f"Not an SNS message: {exc}", content_type="text/plain")
        return super().post(request, *args, **kwargs)
