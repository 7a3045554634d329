"""The MyToDoList web app (clients/web/) served next to the API by ``make run`` and the tests.

In AWS the app is static files in its own bucket behind CloudFront (infra/app.yaml), with a
``config.json`` written at deploy time; here Django serves the built files (``make web``) under
``/app/`` and answers ``/app/config.json`` from the settings in force, so the app always points at
this process's API and the local AWS endpoint. Only the ``all`` URLconf (local, tests) routes here.
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.utils._os import safe_join

from todo import cognito

APP_DIR = Path(settings.BASE_DIR) / "clients" / "web" / "dist"


def config(_request: HttpRequest) -> JsonResponse:
    """What the app needs to sign in and reach its folder: ids and origins, never a secret."""
    endpoint = settings.AWS_ENDPOINT_URL or None
    answer = JsonResponse(
        {
            "region": settings.AWS_REGION,
            "userPoolId": cognito.user_pool_id(),
            "clientId": cognito.app_client_id(),
            "identityPoolId": cognito.identity_pool_id(),
            "bucket": settings.USER_FILES_BUCKET,
            # Empty: the API is served by the same origin as the app here.
            "apiOrigin": "",
            "awsEndpoint": endpoint,
            # moto's USER_SRP_AUTH answers any password (it never checks the SRP proof), so against
            # the local endpoint the app sends the password (USER_PASSWORD_AUTH), which moto checks.
            "authFlow": "USER_PASSWORD_AUTH" if endpoint else "USER_SRP_AUTH",
        }
    )
    answer["Cache-Control"] = "no-cache"
    return answer


def asset(request: HttpRequest, path: str = "") -> FileResponse:
    """A built file of the app; ``/app/`` is its page. Always revalidated: the service worker
    keeps the offline copy, and a new build must reach it on the next load."""
    try:
        file = Path(safe_join(APP_DIR, path or "index.html"))
    except ValueError:  # outside APP_DIR
        raise Http404(path) from None
    if not file.is_file():
        raise Http404(path)
    answer = FileResponse(file.open("rb"))
    answer["Cache-Control"] = "no-cache"
    return answer
