import logging

import pytest
import requests
from moto.server import ThreadedMotoServer

from infra.bootstrap import bootstrap

# The moto server logs every request it serves; keep test output readable.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def aws_endpoint():
    """One moto server on a free loopback port for the whole test session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def local_aws(aws_endpoint, settings, monkeypatch):
    """Point the code at the test moto server, with the resources of infra/ created fresh."""
    requests.post(f"{aws_endpoint}/moto-api/reset", timeout=5)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.AWS_ENDPOINT_URL = aws_endpoint
    # django-storages reads its own settings when a storage is built; assigning STORAGES rebuilds it.
    settings.AWS_S3_ENDPOINT_URL = aws_endpoint
    settings.AWS_S3_CUSTOM_DOMAIN = f"{aws_endpoint.split('://', 1)[1]}/{settings.MEDIA_BUCKET}"
    settings.STORAGES = {**settings.STORAGES}
    bootstrap("local", out=lambda line: None)
    return aws_endpoint


@pytest.fixture(autouse=True)
def _caching_settings(settings):
    settings.CACHE_MAX_AGE = 60
    settings.CACHE_S_MAXAGE = 600
    settings.RELEASE = "test"
