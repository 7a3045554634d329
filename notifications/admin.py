import csv

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from notifications.models import Subscriber
from notifications.services import subscriber_resend_welcome

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class WelcomeFilter(admin.SimpleListFilter):
    title = "welcome email"
    parameter_name = "welcome"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("sent", "Sent"), ("pending", "Pending (not sent yet)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
        if self.value() == "sent":
            return queryset.filter(welcome_sent_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(status=Subscriber.Status.PENDING, welcome_sent_at__isnull=True)
        return queryset


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "welcome", "created_at", "confirmed_at", "welcome_sent_at"]
    # The status filter with its counts (pending, confirmed, unsubscribed, bounced, complained),
    # counted within the other filters and the search.
    list_filter = ["status", WelcomeFilter, "created_at"]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["email"]
    date_hierarchy = "created_at"
    _times = ["created_at", "updated_at", "confirmed_at", "unsubscribed_at", "welcome_sent_at"]
    fields = ["email", "status", *_times, "welcome"]
    readonly_fields = ["email", *_times, "welcome"]
    actions = ["resend_welcome_email", "export_csv"]

    def save_model(self, request: HttpRequest, obj: Subscriber, form: ModelForm, change: bool) -> None:
        if "status" in form.changed_data and obj.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
            # As when the address leaves by itself: its confirmation links stop working.
            obj.confirm_version += 1
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Addresses come in through the subscribe form and API, which check and normalize them.
        return False

    @admin.display(description="Welcome email")
    def welcome(self, subscriber: Subscriber) -> str:
        return subscriber.welcome_state

    @admin.action(
        description="Resend the welcome email (with its confirmation link) to the selected pending subscribers",
        permissions=["change"],
    )
    def resend_welcome_email(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        count = subscriber_resend_welcome(subscribers=queryset)
        skipped = queryset.count() - count
        self.message_user(request, f"Welcome email queued for {count} subscriber(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: not pending (confirmed, unsubscribed, bounced or complained) or being sent "
                "right now.",
                messages.WARNING,
            )

    def has_export_permission(self, request: HttpRequest) -> bool:
        # A bulk copy of personal data leaving the admin: its own grant, neither view nor change.
        return request.user.has_perm("notifications.export_subscriber")

    @admin.action(description="Export the selected subscribers as CSV", permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> HttpResponse:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(["email", "status", "created_at", "confirmed_at", "welcome_sent_at", "unsubscribed_at"])
        for subscriber in queryset.order_by("created_at", "pk").iterator():
            writer.writerow(
                [
                    _csv_cell(subscriber.email),
                    subscriber.status,
                    subscriber.created_at.isoformat(),
                    subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else "",
                    subscriber.welcome_sent_at.isoformat() if subscriber.welcome_sent_at else "",
                    subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else "",
                ]
            )
        return response
