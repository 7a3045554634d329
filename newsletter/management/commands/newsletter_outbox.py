"""The emails the local SES accepted (`make run`): who got what, newest last.

Local development only: it reads the local endpoint's record of sent mail (moto's
``/moto-api/data.json``), which AWS does not have; on AWS, SES's sending statistics and the
admin's counts per post say what went out.
"""

import argparse
import email
import json
import urllib.request
from email.message import EmailMessage
from email.policy import default
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


class Command(BaseCommand):
    help = "List the emails the local SES accepted (make run): recipient, subject, unsubscribe link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--last", type=_count, default=20, help="how many of the newest to show (0: all)")
        parser.add_argument("--show", type=int, help="print the whole text part of the n-th listed email")

    def handle(self, *args: Any, last: int, show: int | None, **options: Any) -> None:
        endpoint = settings.AWS_ENDPOINT_URL
        if not endpoint or not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
            raise CommandError("Only the local endpoint (make run) keeps the emails it sent.")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=10) as answer:  # noqa: S310 - loopback
                data = json.load(answer)
        except OSError as exc:  # URLError: refused, timed out
            raise CommandError(
                f"The local endpoint {endpoint} does not answer ({getattr(exc, 'reason', exc)}): start it (make run)."
            ) from exc
        raw = [item["raw_data"] for item in data.get("ses", {}).get("RawMessage", [])]
        messages: list[EmailMessage] = [email.message_from_string(text, policy=default) for text in raw]
        shown = messages[-last:] if last else messages
        if show is not None and not 1 <= show <= len(shown):
            choice = f"; give 1 to {len(shown)}" if shown else ""
            raise CommandError(f"--show {show}: the list has {len(shown)} email(s){choice}.")
        for number, message in enumerate(shown, start=1):
            unsubscribe = " ".join(str(message.get("List-Unsubscribe", "")).split()).split(",")[0]
            self.stdout.write(f"{number:3}  {message['To']}  {message['Subject']}  {unsubscribe}")
            if show == number:
                text = message.get_body(preferencelist=("plain",))
                self.stdout.write(text.get_content() if text is not None else "(no text part)")
        self.stdout.write(f"{len(messages)} email(s) sent on the local endpoint.")
