from django.urls import path

from notifications import api, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_done, name="subscribe-done"),
    # A django.core.signing token: URL-safe base64 and colons.
    path("subscribe/confirm/<str:token>/", views.confirm, name="subscribe-confirm"),
    path("unsubscribe/<slug:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<slug:token>/resubscribe/", views.resubscribe, name="resubscribe"),
    path("api/blog/subscribers/", api.SubscriberCreateApi.as_view(), name="api-subscriber-create"),
    # SES -> SNS -> here: django-ses checks the SNS signature and the topic, confirms the
    # subscription, and signals bounces and complaints (notifications.receivers).
    path("notifications/ses-events/", views.SesEventsView.as_view(), name="ses-events"),
]
