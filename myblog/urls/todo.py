"""The to-do service (SERVICE=todo): the to-do API, its schema and docs, the health check."""

from myblog.urls import API_NOT_FOUND, URLs, handler400, handler404, handler500, service_urlpatterns

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

urlpatterns: URLs = [*service_urlpatterns("todo.urls"), API_NOT_FOUND]
