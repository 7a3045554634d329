"""What the notifications code uses is declared in infra/notifications.yaml and wired in Zappa."""

from email.utils import parseaddr
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.urls import reverse

from infra.templates import load
from infra.zappa_stages import stage_config

ROOT = Path(__file__).resolve().parents[2]


def template(env):
    return load("notifications.yaml", Env=env, MailDomain="myblog.localhost")


def test_locally_mail_goes_from_the_declared_identity_with_the_declared_configuration_set():
    local = template("local")
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].split("@")[1]

    assert local.properties("SenderIdentity")["EmailIdentity"] == domain
    assert local.properties("MailConfigurationSet")["Name"] == settings.AWS_SES_CONFIGURATION_SET
    assert settings.SES_EVENTS_TOPIC_ARN.split(":")[-1] == local.physical_name("MailEventsTopic")
    assert settings.AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS == [settings.SES_EVENTS_TOPIC_ARN]


def test_the_bootstrap_verifies_the_identity_and_creates_the_configuration_set(local_aws):
    sesv2 = boto3.client("sesv2", endpoint_url=local_aws, region_name="us-east-1")

    identity = sesv2.get_email_identity(EmailIdentity="myblog.localhost")
    sesv2.get_configuration_set(ConfigurationSetName="myblog-local-mail")

    assert identity["VerificationStatus"] == "SUCCESS"


def test_the_bounce_topic_calls_the_events_endpoint_and_ses_publishes_only_bounces_and_complaints():
    body = template("production").body["Resources"]
    path = reverse("ses-events")

    assert body["MailEventsSubscription"]["Properties"]["Protocol"] == "https"
    assert load("notifications.yaml").body["Parameters"]["EventsEndpoint"]["AllowedPattern"].endswith(path)
    destination = body["MailEventsDestination"]["Properties"]["EventDestination"]
    assert sorted(destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "MailEventsTopic"}


@pytest.mark.parametrize("env", ["dev", "production"])
def test_each_blog_stage_names_the_declared_configuration_set_and_sends_failed_tasks_to_a_dead_letter_queue(env):
    merged = stage_config(f"blog_{env}")
    declared = template(env)

    # Filled from this stack's TaskDeadLetterQueueArn by `python -m infra.stage_env write`.
    assert "dead_letter_arn" in merged
    assert "TaskDeadLetterQueueArn" in declared.body["Outputs"]
    configuration_set = merged["environment_variables"]["SES_CONFIGURATION_SET"]
    assert configuration_set == declared.properties("MailConfigurationSet")["Name"]
