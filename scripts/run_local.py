"""`make run`: the whole product on this machine.

Starts the local AWS endpoint (moto, infra/local_endpoint.py) (unless one already answers there), creates the
local AWS resources from infra/, migrates, seeds demo content, prints what a newcomer needs and
serves the site. Ctrl-C stops everything this script started.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENDPOINT = os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")


def endpoint_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback only
            return True
    except (urllib.error.URLError, OSError):
        return False


def start_moto() -> subprocess.Popen[bytes] | None:
    if endpoint_up(ENDPOINT):
        print(f"Local AWS endpoint already running at {ENDPOINT}; reusing it.")
        return None
    parts = urlsplit(ENDPOINT)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"AWS_ENDPOINT_URL={ENDPOINT} does not answer, and only a loopback endpoint is started here.")
    print(f"Starting the local AWS endpoint (moto) on {ENDPOINT} ...")
    moto = subprocess.Popen(
        [PYTHON, "-m", "infra.local_endpoint", "-H", parts.hostname, "-p", str(parts.port or 80)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if endpoint_up(ENDPOINT):
            return moto
        if moto.poll() is not None:
            sys.exit(f"The local endpoint exited with status {moto.returncode}; is port {parts.port} taken?")
        time.sleep(0.1)
    moto.terminate()
    sys.exit("The local endpoint did not answer within 10 seconds.")


def step(*args: str) -> None:
    subprocess.run([PYTHON, *args], cwd=ROOT, check=True)


def newsletter_worker(stop: threading.Event) -> None:
    """What Lambda does with the blog stage's newsletter events (zappa_settings.json ``events``),
    done here because nothing runs them locally: the SQS event source of the fan-out queue (one
    message per invocation, deleted when the function returned, left on the queue for a retry when
    it raised) and the ``rate(...)`` sweep for posts whose publish time came. Local development
    only; the functions called are the product's own."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myblog.settings")
    sys.path.insert(0, str(ROOT))  # the project's packages, as manage.py has them
    import django

    django.setup()
    from django.conf import settings

    from myblog.core.aws import client
    from newsletter import events

    sqs = client("sqs")
    url = settings.NEWSLETTER_QUEUE_URL
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    next_sweep = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_sweep:
                events.publish_due_posts({}, None)
                next_sweep = time.monotonic() + 60
            received = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1, AttributeNames=["All"]
            )
            for message in received.get("Messages", []):
                record = {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                }
                events.on_queue_message({"Records": [record]}, None)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        except Exception as exc:  # as on Lambda: the message stays, visible again after its timeout
            print(f"newsletter worker: {exc}", file=sys.stderr, flush=True)
            stop.wait(1)


def banner() -> None:
    site = f"http://{HOST}:{PORT}"
    python = os.path.relpath(PYTHON, ROOT)
    print(
        f"""
  MyBlog is running.

    Blog          {site}/
    Admin         {site}/admin/      user: admin   password: admin
    API docs      {site}/api/docs/   (schema: {site}/api/schema/)
    Public API    {site}/api/blog/posts/
    Feed          {site}/feed/
    Health        {site}/healthz
    Local AWS     {ENDPOINT}   (moto; state lasts until Ctrl-C)
    New posts     emailed to confirmed subscribers through the local queue and SES; read them with
                  {python} manage.py newsletter_outbox
    To-do API     {site}/api/todos/   (docs: {site}/api/todos/docs/)
    To-do app     {site}/app/   (the web app of clients/web/, built by make web; sign up there)

  The to-do API wants a Cognito access token. Make a confirmed user in the local pool and
  keep their token (run it again any time: it reuses the user and prints fresh tokens):

    TOKEN=$({python} manage.py cognito_user --email dev@example.com --password 'Passw0rd-Dev' \\
            | {python} -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
    curl -H "Authorization: Bearer $TOKEN" {site}/api/todos/
    curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
         -d '{{"title": "Buy milk"}}' {site}/api/todos/
    curl -H "Authorization: Bearer $TOKEN" {site}/api/me/

  Press Ctrl-C to stop everything.
""",
        flush=True,
    )


def main() -> int:
    # `make` may be stopped with SIGTERM; treat it like Ctrl-C so children are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    children: list[subprocess.Popen[bytes]] = []
    try:
        moto = start_moto()
        if moto:
            children.append(moto)
        step("-m", "infra.bootstrap")
        step("manage.py", "migrate", "--noinput", "-v", "0")
        # The shared (database) cache of the subscribe throttle; `migrate` does not create it.
        step("manage.py", "createcachetable")
        step("manage.py", "seed_demo")
        banner()
        stop = threading.Event()
        threading.Thread(target=newsletter_worker, args=(stop,), name="newsletter", daemon=True).start()
        server = subprocess.Popen([PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"], cwd=ROOT)
        children.append(server)
        return server.wait()
    except KeyboardInterrupt:
        print("\nStopping ...")
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"A set-up step failed: {' '.join(map(str, exc.cmd))}", file=sys.stderr)
        return exc.returncode
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()


if __name__ == "__main__":
    sys.exit(main())
