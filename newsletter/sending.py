"""SES v2 SendEmail, one raw message per recipient (why not SendBulkEmail: README "New posts by email")."""

from django.conf import settings
from django.core.mail import EmailMessage

from myblog.core.aws import client

# SES's answers that mean "not now, slow down": the message goes back to the queue with a delay.
# (v2 says TooManyRequestsException for the send rate, LimitExceededException for the daily quota.)
THROTTLED = frozenset({"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"})
# Answers that will not change on a retry: this recipient's delivery fails, the others go on.
REJECTED = frozenset({"MessageRejected", "BadRequestException", "MailFromDomainNotVerifiedException"})


def send_raw(message: EmailMessage) -> str:
    """Send one message; returns SES's message id (what its bounce notifications name)."""
    params = {
        "FromEmailAddress": message.from_email,
        "Destination": {"ToAddresses": list(message.to)},
        "Content": {"Raw": {"Data": message.message().as_bytes(linesep="\r\n")}},
    }
    if settings.AWS_SES_CONFIGURATION_SET:
        params["ConfigurationSetName"] = settings.AWS_SES_CONFIGURATION_SET
    return str(client("sesv2").send_email(**params)["MessageId"])
