"""schemathesis over the blog and to-do OpenAPI schemas, through the WSGI app in this process.

Every generated request, valid or not, must get an answer the schema documents: no 5xx, a
documented status code, a body and a content type that match it. Examples are bounded and
derandomized, so the same requests run on every machine. (schemathesis' own pytest loader does
not run on pytest 9.2, so each operation is a Hypothesis test run as a subtest here.)
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from myblog.wsgi import application
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _keep_the_test_transactions_connection():
    """Django's WSGI handler closes "obsolete" connections around every request; inside the test's
    transaction (autocommit off) that closes it on PostgreSQL. Django's test client disconnects
    the same handlers for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(subtests: Any, schema_path: str, headers: dict[str, str] | None = None) -> None:
    schema = schemathesis.openapi.from_wsgi(schema_path, application)
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @BOUNDED
        @given(case=cases)
        def answered_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        with subtests.test(operation.label):
            answered_as_documented()


def test_the_blog_api_answers_every_request_as_its_schema_says(subtests, settings):
    settings.SUBSCRIBE_THROTTLE_RATE = "10000/hour"  # reach the subscribe code, not only its 429
    PostFactory(slug="hello-world")
    fuzz(subtests, "/api/schema/")


@pytest.mark.slow
def test_the_todo_api_answers_every_request_as_its_schema_says(subtests, alice):
    fuzz(subtests, "/api/todos/schema/", {"Authorization": f"Bearer {alice.access_token}"})
