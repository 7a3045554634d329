import json
import logging
import os

import pytest
import requests
from django.core.cache import caches

from infra.bootstrap import bootstrap
from infra.local_endpoint import ThreadedEndpoint

# Records every AWS call of the session and evaluates it against its production role (tests/iam/).
pytest_plugins = ["tests.iam.plugin"]

# Modules that build boto3 clients at import (zappa.asynchronous, imported with the task modules
# that some test files import at collection) need a region then, as on Lambda, where it is set.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

# The moto server logs every request it serves; keep test output readable.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def aws_endpoint():
    """One local endpoint (moto, as make run serves it) on a free loopback port for the session."""
    server = ThreadedEndpoint()
    with pytest.MonkeyPatch.context() as patch:
        _parse_the_cognito_signing_key_once(patch)
        yield server.url
    server.stop()


def _parse_the_cognito_signing_key_once(patch: pytest.MonkeyPatch) -> None:
    """moto parses and validates the same RSA signing key for every user pool it creates
    (~0.3 s), and the bootstrap creates one per test: keep the parsed key for the session.
    The server runs in this process; what it does with the key is unchanged."""
    from joserfc import jwk

    parsed: dict[str, object] = {}
    import_key = jwk.RSAKey.import_key

    def import_once(value, *args, **kwargs):
        if args or kwargs or not isinstance(value, dict):
            return import_key(value, *args, **kwargs)
        cache_key = json.dumps(value, sort_keys=True)
        if cache_key not in parsed:
            parsed[cache_key] = import_key(value)
        return parsed[cache_key]

    patch.setattr(jwk.RSAKey, "import_key", import_once)


@pytest.fixture(autouse=True)
def local_aws(aws_endpoint, settings, monkeypatch):
    """Point the code at the test moto server, with the resources of infra/ created fresh."""
    requests.post(f"{aws_endpoint}/moto-api/reset", timeout=5)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.AWS_ENDPOINT_URL = aws_endpoint
    settings.AWS_SES_REGION_ENDPOINT_URL = aws_endpoint  # django-ses reads its own setting
    # pytest-django swaps in the in-memory email backend; mail goes to the local SES instead.
    settings.EMAIL_BACKEND = "django_ses.SESBackend"
    # django-storages reads its own settings when a storage is built; assigning STORAGES rebuilds it.
    settings.AWS_S3_ENDPOINT_URL = aws_endpoint
    settings.AWS_S3_CUSTOM_DOMAIN = f"{aws_endpoint.split('://', 1)[1]}/{settings.MEDIA_BUCKET}"
    settings.STORAGES = {**settings.STORAGES}
    bootstrap("local", out=lambda line: None)
    return aws_endpoint


@pytest.fixture(autouse=True)
def _caching_settings(settings):
    # Pages rendered by an earlier test (another database, other settings) are not this test's.
    caches["default"].clear()
    settings.CACHE_MAX_AGE = 60
    settings.CACHE_S_MAXAGE = 600
    settings.RELEASE = "test"
