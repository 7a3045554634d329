import argparse

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from notifications.selectors import subscriber_list_pending_welcome
from notifications.services import WelcomeEmailFailed, subscriber_send_welcome


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:  # 0 would send nothing and say so as if all were done; a negative slice raises
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Send the welcome email (which asks to confirm) to every pending subscriber who has not had "
        "it (the async task failed even after Lambda's retries). Safe to repeat and to run while "
        "tasks run: each send is claimed first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=_positive, default=None, help="send at most this many")

    def handle(self, *args: object, limit: int | None, **options: object) -> None:
        ids = list(subscriber_list_pending_welcome().values_list("pk", flat=True)[:limit])
        sent, skipped, failed = 0, 0, []
        for subscriber_id in tqdm(ids, desc="Welcome emails", unit="email", file=self.stderr):
            try:
                if subscriber_send_welcome(subscriber_id=subscriber_id):
                    sent += 1
                else:
                    skipped += 1  # sent, claimed or suppressed meanwhile
            except WelcomeEmailFailed as exc:
                failed.append(subscriber_id)
                self.stderr.write(f"subscriber {subscriber_id}: {exc.__cause__ or exc}")
        self.stdout.write(f"{len(ids)} pending: {sent} sent, {skipped} skipped, {len(failed)} failed.")
        if failed:
            raise CommandError(f"{len(failed)} welcome email(s) failed; they stay pending. Run again later.")
