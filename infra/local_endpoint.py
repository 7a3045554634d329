"""The local AWS endpoint: moto's server, with DynamoDB's guarantee that writes to an item are atomic.

moto serves every request on its own thread and checks a write's condition and applies it without
a lock (a transaction even deep-copies whole tables to roll back), so concurrent writers to one
item can both pass the same condition, or a transaction can fail with a 500: DynamoDB does
neither. Here DynamoDB requests (``X-Amz-Target: DynamoDB_…``) run one at a time, which gives
per-item atomicity and more; every other service stays concurrent, so a request that makes moto
call back into itself (an S3 event to SQS, an SNS delivery) cannot wait on a lock it holds.

``make run`` and the page audit start it as ``python -m infra.local_endpoint -H HOST -p PORT``
(the options of ``moto_server``); the tests start it in-process with :class:`ThreadedEndpoint`.
"""

import argparse
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DynamoDBOneAtATime:
    """WSGI middleware: DynamoDB (and DynamoDB Streams) requests never overlap."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self.app(environ, start_response)
        with self.lock:
            # The body is produced inside the lock too: moto may build it lazily.
            return list(self.app(environ, start_response))


class S3PreflightByBucket:
    """WSGI middleware: a browser's CORS preflight of an S3 object is answered from the bucket's
    CORS rules, as S3 does. moto checks an unsigned request against the object's ACL first, so
    the preflight of a GetObject or DeleteObject of any private object gets a 403 and the browser
    never sends the request (the web app's attachments, clients/web/). The answer of a preflight
    depends on the bucket only, so it is asked of the bucket (path style, as the app uses here)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        is_preflight = environ.get("REQUEST_METHOD") == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        if is_preflight and "HTTP_X_AMZ_TARGET" not in environ and path.count("/") > 1:
            bucket = path.lstrip("/").split("/", 1)[0]
            environ = {**environ, "PATH_INFO": f"/{bucket}/", "QUERY_STRING": ""}
        return self.app(environ, start_response)


def application() -> WsgiApp:
    return S3PreflightByBucket(DynamoDBOneAtATime(DomainDispatcherApplication(create_backend_app)))


def serve(host: str, port: int) -> BaseWSGIServer:
    """A threaded server of the endpoint on host:port (0: a free port); not started yet."""
    return make_server(host, port, application(), threaded=True, request_handler=MotoRequestHandler)


class ThreadedEndpoint:
    """The endpoint in a background thread of this process (for tests), like moto's ThreadedMotoServer."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = serve(host, port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args(argv)
    server = serve(args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
