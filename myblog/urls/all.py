"""Both services in one process (SERVICE=all): local development and the tests."""

from django.urls import include, path

from myblog.urls import API_NOT_FOUND, URLs, handler400, handler404, handler500
from myblog.urls.blog import routes as blog_routes
from todo import web_app

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]

# The web app (clients/web/) lives in S3 behind CloudFront in AWS (infra/app.yaml); here, next to the API.
web_app_routes: URLs = [
    path("app/config.json", web_app.config, name="web-app-config"),
    path("app/", web_app.asset, name="web-app"),
    path("app/<path:path>", web_app.asset, name="web-app-asset"),
]

urlpatterns: URLs = [*blog_routes, path("", include("todo.urls")), *web_app_routes, API_NOT_FOUND]
