"""Both services in one process (SERVICE=all): local development and the tests."""

from django.urls import include, path

from myblog.urls import handler400, handler404, handler500
from myblog.urls import urlpatterns as blog_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

urlpatterns = [*blog_urlpatterns, path("", include("todo.urls"))]
