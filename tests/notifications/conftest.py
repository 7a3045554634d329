import email
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
import requests
from django.core.cache import caches
from django_ses.utils import clear_cert_cache


@pytest.fixture(autouse=True)
def _fresh_shared_state(request, settings):
    # The throttle's table is not a model table, so flushing the test database keeps its rows;
    # django-ses caches certificates per process.
    uses_db = request.node.get_closest_marker("django_db") is not None
    clear_cert_cache()
    if uses_db:
        caches[settings.THROTTLE_CACHE].clear()
    yield
    clear_cert_cache()
    if uses_db:
        caches[settings.THROTTLE_CACHE].clear()


@pytest.fixture
def sent_mail(local_aws):
    """Read back what the local SES accepted: one parsed message per send, oldest first."""

    def read() -> list[EmailMessage]:
        data = requests.get(f"{local_aws}/moto-api/data.json", timeout=5).json()
        return [
            # typeshed's overloads do not see that the default policy makes an EmailMessage.
            email.message_from_string(raw["raw_data"], policy=default_policy)  # type: ignore[misc]
            for raw in data["ses"]["RawMessage"]
        ]

    return read
