"""The newsletter's AWS calls against the production blog role (infra/roles.yaml), evaluated by the
IAM simulator of tests/iam/ (moto enforces no policy)."""

import pytest

from newsletter import services
from tests.iam.actions import ACCOUNT, REGION, IamRequest
from tests.iam.conftest import denials, described, iam_calls  # noqa: F401 - the fixture
from tests.iam.roles import production_roles
from tests.iam.simulator import simulate

from .conftest import confirmed_subscribers, visible_post

QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:myblog-production-newsletter"


@pytest.mark.django_db
def test_queueing_and_sending_a_post_needs_only_what_the_blog_role_allows(queue, iam_calls):  # noqa: F811
    confirmed_subscribers(3)
    services.mailing_start(post_id=visible_post().pk)
    queue.drain()

    found = denials(iam_calls)
    assert not found, described(found)
    actions = {(role, request.action) for role, request in iam_calls.checks}
    assert {("blog", "sqs:SendMessage"), ("blog", "ses:SendEmail")} <= actions


def test_lambdas_event_source_may_poll_the_queue_with_the_blog_role_and_nothing_else():
    """Lambda polls an SQS event source with the function's role: ReceiveMessage, DeleteMessage and
    GetQueueAttributes (it refuses to create the mapping without them), ChangeMessageVisibility."""
    blog = production_roles()["blog"]
    polling = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    allowed = [IamRequest(action, QUEUE) for action in [*polling, "sqs:SendMessage"]]
    denied = [
        IamRequest("sqs:PurgeQueue", QUEUE),
        IamRequest("sqs:SetQueueAttributes", QUEUE),
        IamRequest("sqs:DeleteQueue", QUEUE),
        IamRequest("sqs:ReceiveMessage", f"{QUEUE}-dead-letters"),
        IamRequest("sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:myblog-production-task-dead-letters"),
    ]

    verdicts = simulate([(blog, request) for request in allowed + denied])

    assert [v.allowed for v in verdicts] == [True] * len(allowed) + [False] * len(denied)
