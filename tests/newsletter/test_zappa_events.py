"""How Zappa 0.63 wires the newsletter's two events, read from Zappa's own code: the SQS event
source of the fan-out queue and the scheduled sweep."""

import inspect
import json
import runpy
from types import SimpleNamespace
from typing import Any

import pytest
from zappa.core import Zappa
from zappa.handler import LambdaHandler
from zappa.utilities import SqsEventSource

from infra import stage_env, zappa_stages
from infra.packaging.stages import zappa_settings_module
from newsletter import events

BLOG_STAGES = [stage for stage in zappa_stages.all_stages() if stage.startswith("blog_")]
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:myblog-production-newsletter"
CONSUMER = "newsletter.events.on_queue_message"
SWEEP = "newsletter.events.publish_due_posts"


def newsletter_events(stage: str) -> dict[str, dict[str, Any]]:
    config = zappa_stages.resolve(stage, zappa_stages.read())
    return {event["function"]: event for event in config["events"] if event["function"].startswith("newsletter.")}


class _RecordingLambda:
    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []

    def create_event_source_mapping(self, **kwargs: Any) -> dict[str, Any]:
        self.created.append(kwargs)
        return {"UUID": "1"}


def test_zappa_creates_the_queue_mapping_without_partial_batch_responses_so_a_batch_holds_one_message():
    """Zappa 0.63 never sets FunctionResponseTypes=[ReportBatchItemFailures]: Lambda would ignore a
    batchItemFailures answer and delete every message of a batch that returned. With one message
    per batch, a failed message is a failed invocation, which Lambda leaves on the queue."""
    lambda_client = _RecordingLambda()
    session = SimpleNamespace(client=lambda service: lambda_client)
    for stage in BLOG_STAGES:
        source = {**newsletter_events(stage)[CONSUMER]["event_source"], "arn": QUEUE_ARN}
        SqsEventSource(session, source).add("arn:aws:lambda:us-east-1:123456789012:function:myblog-blog-production")

    for created in lambda_client.created:
        assert "FunctionResponseTypes" not in created
        assert created["BatchSize"] == 1
        assert created["EventSourceArn"] == QUEUE_ARN


@pytest.mark.parametrize("stage", BLOG_STAGES)
def test_each_blog_stage_consumes_the_queue_and_sweeps_for_due_posts_on_a_schedule(stage):
    found = newsletter_events(stage)

    assert found[CONSUMER]["event_source"]["arn"] == stage_env.FROM_STACK  # filled by `stage_env write`
    assert found[SWEEP]["expression"].startswith("rate(")
    for function in (events.on_queue_message, events.publish_due_posts):
        # Zappa calls function(event, context), and with fewer arguments after a TypeError: two
        # required parameters make sure a TypeError raised inside is never a second run.
        parameters = inspect.signature(function).parameters.values()
        assert [p.default for p in parameters] == [inspect.Parameter.empty] * 2


def test_stage_env_fills_the_queue_arn_of_the_event_source_and_nothing_else():
    config = zappa_stages.resolve("blog_production", zappa_stages.read())

    filled = [stage_env._with_queue_arn(event, QUEUE_ARN) for event in config["events"]]

    assert [event.get("event_source", {}).get("arn") for event in filled if event["function"] == CONSUMER] == [
        QUEUE_ARN
    ]
    assert [e for e in filled if e["function"] != CONSUMER] == [
        e for e in config["events"] if e["function"] != CONSUMER
    ]


@pytest.mark.django_db
def test_zappas_handler_routes_the_queues_records_and_the_schedule_to_the_newsletter(tmp_path, monkeypatch):
    settings = zappa_stages.read()
    config = settings["blog_production"]
    config["events"] = [stage_env._with_queue_arn(event, QUEUE_ARN) for event in config["events"]]
    filled = tmp_path / "zappa_settings.json"
    filled.write_text(json.dumps(settings))
    module = tmp_path / "zappa_settings.py"
    module.write_text(zappa_settings_module("blog_production", filled))
    generated = SimpleNamespace(**runpy.run_path(str(module)))
    assert generated.AWS_EVENT_MAPPING[QUEUE_ARN] == [CONSUMER]

    handler = SimpleNamespace(
        settings=generated,
        get_function_for_aws_event=lambda record: LambdaHandler.get_function_for_aws_event(handler, record),
        import_module_and_get_function=LambdaHandler.import_module_and_get_function,
        run_function=LambdaHandler.run_function,
    )
    record = {"eventSource": "aws:sqs", "eventSourceARN": QUEUE_ARN, "messageId": "m", "body": "{}"}
    assert LambdaHandler.get_function_for_aws_event(handler, record) == [CONSUMER]

    # The rule Zappa schedules for the sweep, and the function its handler finds from the rule's name.
    zappa = Zappa.__new__(Zappa)
    sweep = newsletter_events("blog_production")[SWEEP]
    rule = zappa.get_scheduled_event_name(sweep, SWEEP, "myblog-blog-production")
    scheduled = {"detail-type": "Scheduled Event", "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"]}
    assert LambdaHandler.handler(handler, scheduled, None) == {"mailings_started": 0}
