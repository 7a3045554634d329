"""The to-do service's URLconf (SERVICE=todo): the to-do API, its schema and docs, the health check."""

from django.urls import include, path

from myblog import views

handler400 = "myblog.errors.bad_request"
handler404 = "myblog.errors.page_not_found"
handler500 = "myblog.errors.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", include("todo.urls")),
]
