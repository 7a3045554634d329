"""Both services in one process (SERVICE=all): local development and the tests."""

from django.urls import include, path

from myblog.urls import URLs, handler400, handler404, handler500
from myblog.urls.blog import urlpatterns as blog_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

urlpatterns: URLs = [*blog_urlpatterns, path("", include("todo.urls"))]
