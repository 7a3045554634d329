"""Fan-out of one new post to 10,000 confirmed subscribers on the local endpoint, in one run.

    python -m benchmarks.newsletter_fanout [--subscribers 10000]

The product's own path: newsletter.services.mailing_start queues the plan message, and a loop
does what Lambda's SQS event source does (one message per invocation of
newsletter.events.on_queue_message, deleted when it returned) until the queue is empty. The local
endpoint (moto) runs in its own process, so the memory measured here is the consumer's only.

Measured, in the same run:
  - SES API calls per recipient (a botocore hook on the SES v2 client);
  - the consumer's wall time per recipient against a bare SES v2 SendEmail of the same message
    (the floor: what one call costs on this endpoint), as a ratio;
  - the consumer's peak traced memory (tracemalloc) for the whole list against its peak for a
    small one (SMALL subscribers): memory must not grow with the list, batches are bounded.

SES calls per recipient is 1.0 by design, against the 0.02 SES v2 SendBulkEmail would give (50
destinations per call): every message carries its recipient's own List-Unsubscribe header and
link, SES counts each destination of a bulk call against the send rate all the same, and neither
the local endpoint (moto 5.2.5 has no SendBulkEmail and no v2 templates) nor the tests could run a
bulk path (README "New posts by email").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from benchmarks.common import CREDENTIALS, REGION, RESULTS_DIR, ROOT, load_average, machine, write_results

RESULTS = RESULTS_DIR / "newsletter_fanout.json"
SMALL = 500
BARE_SENDS = 1000
TARGETS = {
    "SES calls per recipient (bulk would be 1/50)": (0.02, "lower"),
    "consumer per recipient / bare SES send": (2.0, "lower"),
    "consumer peak memory: full list / small list": (1.5, "lower"),
}


def start_endpoint(port: int) -> subprocess.Popen[bytes]:
    endpoint = subprocess.Popen(  # noqa: S603 - this interpreter, the project's own module
        [sys.executable, "-m", "infra.local_endpoint", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return endpoint


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def drain(sqs: Any, url: str, arn: str) -> int:
    """Lambda's SQS event source with batch_size 1 (zappa_settings.json), until the queue is empty."""
    from newsletter import events

    invocations = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            record = {"messageId": message["MessageId"], "body": message["Body"], "eventSourceARN": arn}
            events.on_queue_message({"Records": [record]}, None)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            invocations += 1
    return invocations


def fan_out(recipients: int, sqs: Any, url: str, arn: str, ses_calls: list[int]) -> dict[str, Any]:
    from django.utils import timezone

    from myblog.blog.models import Post
    from newsletter.services import mailing_start
    from notifications.models import Subscriber
    from tests.factories import PostFactory

    have = Subscriber.objects.count()
    Subscriber.objects.bulk_create(
        [
            Subscriber(email=f"reader{n}@example.com", status=Subscriber.Status.CONFIRMED)
            for n in range(have, recipients)
        ]
    )
    post = PostFactory(status=Post.Status.DRAFT, publish_at=None)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED, publish_at=timezone.now())
    calls_before = ses_calls[0]
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    mailing_start(post_id=post.pk)
    invocations = drain(sqs, url, arn)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "recipients": recipients,
        "ses_calls": ses_calls[0] - calls_before,
        "invocations": invocations,
        "seconds": seconds,
        "per_recipient_ms": seconds / recipients * 1000,
        "peak_traced_mib": peak / 2**20,
    }


def bare_sends(count: int) -> dict[str, Any]:
    """The floor: the same raw message sent with SES v2 SendEmail, nothing else."""
    from myblog.blog.models import Post
    from newsletter import sending
    from newsletter.emails import post_content, post_email
    from notifications.models import Subscriber

    message = post_email(post_content(Post.objects.first()), Subscriber.objects.first())  # type: ignore[arg-type]
    tracemalloc.start()
    started = time.perf_counter()
    for _ in range(count):
        sending.send_raw(message)
    seconds = time.perf_counter() - started
    tracemalloc.stop()
    return {"sends": count, "seconds": seconds, "per_send_ms": seconds / count * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args(argv)
    load_at_start = load_average()
    port = free_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": REGION,
            # In memory: a file's fsync per commit here (~10 ms) would be measured, not the consumer;
            # Aurora commits in a millisecond or two.
            "DATABASE_URL": "sqlite://:memory:",
            "DJANGO_SETTINGS_MODULE": "myblog.settings",
            "NEWSLETTER_SEND_RATE": "0",  # the local endpoint has no send rate to keep
        }
    )
    endpoint = start_endpoint(port)
    try:
        subprocess.run([sys.executable, "-m", "infra.bootstrap"], cwd=ROOT, check=True, capture_output=True)  # noqa: S603
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from myblog.core.aws import client

        call_command("migrate", verbosity=0)
        ses_calls = [0]

        def count(**kwargs: Any) -> None:
            ses_calls[0] += 1

        client("sesv2").meta.events.register("before-call.sesv2.SendEmail", count)
        sqs = client("sqs")
        url = settings.NEWSLETTER_QUEUE_URL
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        small = fan_out(SMALL, sqs, url, arn, ses_calls)
        print(f"{SMALL} subscribers: {small['seconds']:.1f} s, peak {small['peak_traced_mib']:.1f} MiB")
        full = fan_out(args.subscribers, sqs, url, arn, ses_calls)
        print(f"{args.subscribers} subscribers: {full['seconds']:.1f} s, peak {full['peak_traced_mib']:.1f} MiB")
        bare = bare_sends(BARE_SENDS)
        print(f"bare SES v2 SendEmail: {bare['per_send_ms']:.2f} ms a call")
    finally:
        endpoint.terminate()
        endpoint.wait(timeout=10)

    ratios = {
        "SES calls per recipient (bulk would be 1/50)": full["ses_calls"] / full["recipients"],
        "consumer per recipient / bare SES send": full["per_recipient_ms"] / bare["per_send_ms"],
        "consumer peak memory: full list / small list": full["peak_traced_mib"] / small["peak_traced_mib"],
    }
    checks = []
    for name, ratio in ratios.items():
        target, better = TARGETS[name]
        checks.append({"name": name, "ratio": ratio, "target": target, "better": better, "met": ratio <= target})
    for check in checks:
        print(
            f"  {check['name']:48} {check['ratio']:8.3f}  target <= {check['target']:g}  {'met' if check['met'] else 'NOT met'}"
        )
    import django as django_module

    write_results(
        RESULTS,
        {
            "machine": machine(load_at_start, django=django_module.get_version()),
            "small": small,
            "full": full,
            "bare_ses_send": bare,
            "ratios": ratios,
            "why_one_call_per_recipient": (
                "each message has its recipient's own List-Unsubscribe header and link; SES counts every destination "
                "of a bulk call against the send rate too; moto 5.2.5 has no SES v2 SendBulkEmail or templates, so a "
                "bulk path could run neither in make run nor in the tests (README 'New posts by email')"
            ),
            "checks": checks,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
