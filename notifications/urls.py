from django.urls import path

from notifications import api, views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.subscribe_done, name="subscribe-done"),
    path("unsubscribe/<slug:token>/", views.unsubscribe, name="unsubscribe"),
    path("api/blog/subscribers/", api.SubscriberCreateApi.as_view(), name="api-subscriber-create"),
    # SES -> SNS -> here: django-ses checks the SNS signature and the topic, confirms the
    # subscription, and signals bounces and complaints (notifications.receivers).
    path("notifications/ses-events/", views.SesEventsView.as_view(), name="ses-events"),
]
