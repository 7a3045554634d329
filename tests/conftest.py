"""Project-wide fixtures: the local AWS endpoint, only for the tests that use it.

A test gets the local AWS (a moto server in this process, with the resources of infra/) when it
is marked ``aws``, or uses ``local_aws``/``aws_endpoint`` or a fixture built on them (those are
marked ``aws`` at collection). The resources are created once per session; each ``aws`` test then
starts from moto's state as the bootstrap left it (see ``MotoSnapshot``), whatever earlier tests
created, filled, changed or deleted. Every other test has AWS pointed at a closed port: an
unmarked test that calls AWS fails at once ("Could not connect to the endpoint URL:
http://127.0.0.1:9/..."), instead of reaching a developer's ``make run`` endpoint.
"""

import copy
import copyreg
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core.cache import caches
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock
from moto.core.model_instances import reset_model_data

from infra.bootstrap import bootstrap
from infra.local_endpoint import ThreadedEndpoint
from myblog.blog.page_cache import PageCacheMiddleware

# Records every AWS call of the session and evaluates it against its production role (tests/iam/).
pytest_plugins = ["tests.iam.plugin"]

# Modules that build boto3 clients at import (zappa.asynchronous, imported with the task modules
# that some test files import at collection) need a region then, as on Lambda, where it is set.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

# The moto server logs every request it serves; keep test output readable.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

# Fixtures that give a test the local AWS; a test using one (directly or through another
# fixture) is marked ``aws``.
AWS_FIXTURES = frozenset({"local_aws", "aws_endpoint"})
# Where AWS is for a test without the aws marker: nothing listens on the discard port.
NO_AWS = "http://127.0.0.1:9"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if AWS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.aws)


# moto's SQS queues hold a threading.Condition, which deepcopy cannot copy: a copy gets a new one.
copyreg.pickle(threading.Condition, lambda condition: (threading.Condition, ()))


class MotoSnapshot:
    """moto's state in this process (every service backend of every account and region), kept
    once and put back before each ``aws`` test.

    The moto server of ``ThreadedEndpoint`` serves from these backends, so putting back their
    state is what a reset and a new bootstrap would give, in a millisecond instead of seconds,
    with the same ids (pools, clients). Backends a test created (another service or region) are
    reset and dropped, as moto's own reset does. The backend objects and their registries stay
    the same objects (their attributes are replaced), so references between them (SES v2 → SES,
    S3's bucket namespace on its registry) stay right.
    """

    def __init__(self) -> None:
        self._registries: list[BackendDict[Any]] = list(BackendDict._instances)  # moto's registries in use
        self._backends: list[tuple[BackendDict[Any], str, Any, str, BaseBackend]] = [
            (registry, account, per_account, region, backend)
            for registry in self._registries
            for account, per_account in registry.items()
            for region, backend in per_account.items()
        ]
        kept: list[Any] = [*self._registries, *(backend for *_, backend in self._backends)]
        self._state = copy.deepcopy({id(each): each.__dict__ for each in kept}, self._shared())

    def _shared(self) -> dict[int, Any]:
        """deepcopy's memo: the backends and their registries are kept as they are, not copied."""
        shared: dict[int, Any] = {}
        for registry, _, per_account, _, backend in self._backends:
            for each in (registry, per_account, backend):
                shared[id(each)] = each
        return shared

    def restore(self) -> None:
        state = copy.deepcopy(self._state, self._shared())
        with backend_lock:
            for registry in BackendDict._instances:
                for _, _, backend in registry.iter_backends():
                    if id(backend) not in state:
                        backend.reset()  # a test's backend may have state outside itself, as moto's reset knows
                registry.clear()
            BackendDict._instances[:] = self._registries
            # What moto-api/data.json lists: the models made since; the copies below are tracked.
            reset_model_data()
            for registry in self._registries:
                registry.__dict__ = state[id(registry)]
            for _, _, per_account, _, _ in self._backends:
                per_account.clear()
            for registry, account, per_account, region, backend in self._backends:
                backend.__dict__ = state[id(backend)]
                per_account[region] = backend
                dict.__setitem__(registry, account, per_account)


def _point_aws_at(endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AWS client the code builds (boto3's, django-storages', django-ses') uses ``endpoint``."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings.AWS_ENDPOINT_URL = endpoint
    settings.AWS_SES_REGION_ENDPOINT_URL = endpoint  # django-ses reads its own setting
    # pytest-django swaps in the in-memory email backend; mail goes to the local SES instead.
    settings.EMAIL_BACKEND = "django_ses.SESBackend"
    # django-storages reads its own settings when a storage is built; assigning STORAGES rebuilds it.
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.AWS_S3_CUSTOM_DOMAIN = f"{endpoint.split('://', 1)[1]}/{settings.MEDIA_BUCKET}"
    settings.STORAGES = {**settings.STORAGES}


@pytest.fixture(scope="session")
def _local_aws_session() -> Iterator[tuple[str, MotoSnapshot]]:
    """One local endpoint (moto, as make run serves it) on a free loopback port, with the
    resources of infra/ created once (the IAM recording counts the bootstrap's calls as
    infra/'s: not production), and moto's state as the bootstrap left it."""
    server = ThreadedEndpoint()
    requests.post(f"{server.url}/moto-api/reset", timeout=5)  # moto's state is per process
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        bootstrap("local", out=lambda line: None)
    yield server.url, MotoSnapshot()
    server.stop()


@pytest.fixture(scope="session")
def aws_endpoint(_local_aws_session: tuple[str, MotoSnapshot]) -> str:
    """The URL of the session's local endpoint (for subprocesses: the tests using it are marked aws)."""
    return _local_aws_session[0]


@pytest.fixture
def local_aws(_local_aws_session: tuple[str, MotoSnapshot], settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the code at the local endpoint, with the resources of infra/ as the bootstrap made them."""
    url, snapshot = _local_aws_session
    snapshot.restore()
    _point_aws_at(url, settings, monkeypatch)
    return url


@pytest.fixture(autouse=True)
def _aws_only_where_marked(request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("aws") is not None:
        request.getfixturevalue("local_aws")
    else:
        _point_aws_at(NO_AWS, settings, monkeypatch)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Pages rendered by an earlier test (another database, other settings) are not this test's.
    caches["default"].clear()
    PageCacheMiddleware.store.clear()
    settings.CACHE_MAX_AGE = 60
    settings.CACHE_S_MAXAGE = 600
    settings.RELEASE = "test"
    # Absolute URLs are built from the public origin, never the request (myblog/core/origin.py):
    # the test client's host, as most tests request pages from it.
    settings.SITE_URL = "http://testserver"
    # Django's default hasher takes ~0.3 s per password by design (admin_client, logins); the
    # tests check who may log in, not the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
