"""One decision for every AWS module: does a failed call mean the service cannot serve us now?"""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, ReadTimeoutError

from myblog.core import aws
from myblog.core.errors import ServiceUnavailable


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    "error",
    [
        client_error("ProvisionedThroughputExceededException"),  # DynamoDB
        client_error("SlowDown", 503),  # S3
        client_error("TooManyRequestsException"),  # Cognito
        client_error("ResourceNotFoundException"),  # a table the deployment lacks
        client_error("NoSuchBucket", 404),
        client_error("Anything", 500),
        client_error("Anything", 429),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
    ],
)
def test_throttling_outages_and_missing_deployments_are_the_service_being_unavailable(error):
    assert aws.is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException"),
        client_error("NotAuthorizedException"),
        client_error("NoSuchKey", 404),
        # botocore refused the request before sending it: no retry, no other moment, will take it
        ParamValidationError(report="Invalid length for parameter Password, value: 300, valid max length: 256"),
        ValueError("not an AWS error"),
    ],
)
def test_a_refusal_of_the_request_itself_is_the_callers_to_interpret(error):
    assert not aws.is_unavailable(error)


def test_a_call_to_an_unavailable_service_raises_service_unavailable_with_the_callers_words():
    def throttled(**kwargs):
        raise client_error("ThrottlingException")

    with pytest.raises(ServiceUnavailable, match="The store is busy") as raised:
        aws.call(throttled, unavailable="The store is busy.", Key="k")
    assert isinstance(raised.value.__cause__, ClientError)


def test_a_refused_call_is_raised_unchanged_and_a_successful_one_returns_its_answer():
    def refused(**kwargs):
        raise client_error("ConditionalCheckFailedException")

    with pytest.raises(ClientError):
        aws.call(refused, unavailable="unused")
    assert aws.call(lambda **kwargs: {"Echo": kwargs}, unavailable="unused", Key="k") == {"Echo": {"Key": "k"}}
