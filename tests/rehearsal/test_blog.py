"""The blog stage (blog_dev) as Lambda runs it, with its role's temporary credentials under IAM
enforcement: pages, the API, the feed, the health check, subscribing (the async task and the
email) and a photo's renditions (the S3 event)."""

import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
import requests
from django_otp.oath import totp
from PIL import Image

from tests.rehearsal.harness import (
    BLOG_HOST,
    CDN_DOMAIN,
    EDITOR,
    EDITOR_TOTP_KEY,
    ENV,
    ORIGIN_SECRET,
    STAGES,
    LambdaFunction,
    Rehearsal,
    function_name,
)

# Slow (one local AWS and two packaged functions per session): `make rehearse`, not `make test`.
pytestmark = pytest.mark.rehearse

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA_BUCKET = f"myblog-{ENV}-media"
# CloudFront passes the viewer's host as X-Forwarded-Host, appends to X-Forwarded-For and proves
# itself with the origin secret (cdn.yaml), without which the blog answers 403.
VIA_CDN = {
    "X-Forwarded-Host": BLOG_HOST,
    "X-Forwarded-For": "203.0.113.9, 130.176.0.10",
    "X-Origin-Verify": ORIGIN_SECRET,
}


def query(rehearsal: Rehearsal, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(rehearsal.database) as connection:
        return connection.execute(sql, args).fetchall()


def test_the_health_check_reaches_the_database_and_the_media_bucket(blog: LambdaFunction) -> None:
    # As `zappa deploy` touches it (touch_path): straight to the execute-api host, no CDN headers.
    answer = blog.request("GET", "/healthz")

    assert answer.status == 200, answer.body
    checks = answer.json()["checks"]
    assert checks == {"database": "ok", "aws": "ok"}, checks
    assert MEDIA_BUCKET not in answer.text()  # the public answer names no bucket (the log does)


@pytest.mark.parametrize("path", ["/", "/posts/first-deploy/", "/tags/aws/"])
def test_pages_render_with_static_files_on_the_cdn(path: str, blog: LambdaFunction) -> None:
    answer = blog.request("GET", path, headers=VIA_CDN | {"Accept": "text/html"})

    assert answer.status == 200, answer.text()[:2000]
    assert answer.headers["content-type"].startswith("text/html")
    assert "The first deploy" in answer.text()
    # The manifest of collectstatic shipped in the package: hashed names on the CDN.
    assert f"https://{CDN_DOMAIN}/static/" in answer.text()
    assert f'href="/{STAGES["blog"]}/' not in answer.text()  # the CDN serves the root, not the stage


def test_the_blog_api_lists_the_published_post(blog: LambdaFunction) -> None:
    answer = blog.request("GET", "/api/blog/posts/", headers=VIA_CDN | {"Accept": "application/json"})

    assert answer.status == 200, answer.body
    body = answer.json()
    posts = body["results"] if isinstance(body, dict) else body
    assert [post["slug"] for post in posts] == ["first-deploy"]
    assert "etag" in answer.headers


def test_the_feed_links_the_post_on_the_public_origin(blog: LambdaFunction) -> None:
    answer = blog.request("GET", "/feed/", headers=VIA_CDN)

    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(answer.body).findall(f"{ATOM}entry")
    assert [entry.find(f"{ATOM}title").text for entry in entries] == ["The first deploy"]
    assert entries[0].find(f"{ATOM}link").get("href") == f"https://{BLOG_HOST}/posts/first-deploy/"


def test_subscribing_invokes_the_function_and_the_task_sends_the_welcome_email(
    rehearsal: Rehearsal, blog: LambdaFunction
) -> None:
    address = "reader@example.net"
    before = len(rehearsal.recorder.invocations)

    answer = blog.request("POST", "/api/blog/subscribers/", headers=VIA_CDN, json_body={"email": address})

    assert answer.status == 202, answer.body
    invocations = rehearsal.recorder.invocations[before:]
    assert len(invocations) == 1, f"no Lambda invocation for the welcome email\n{blog.log_tail()}"
    (invocation,) = invocations
    assert invocation["path"] == f"/2015-03-31/functions/{function_name(STAGES['blog'])}/invocations"
    assert invocation["headers"].get("X-Amz-Invocation-Type") == "Event"
    assert (
        invocation["headers"].get("X-Amz-Security-Token") == rehearsal.credentials[STAGES["blog"]]["AWS_SESSION_TOKEN"]
    )
    assert invocation["status"] == 202  # moto authorised lambda:InvokeFunction for the blog role
    payload = json.loads(invocation["payload"])
    assert payload["task_path"] == "notifications.tasks.send_welcome_email"

    # Lambda delivers the payload to the function: the task runs there and sends through SES.
    blog.invoke(payload)

    emails = [raw for raw in rehearsal.aws.sent_emails() if address in raw]
    assert len(emails) == 1, f"SES has no welcome email for {address}\n{blog.log_tail()}"
    assert f"newsletter@{BLOG_HOST}" in emails[0]
    (sent_at,) = query(rehearsal, "SELECT welcome_sent_at FROM notifications_subscriber WHERE email = ?", address)
    assert sent_at[0] is not None


def test_an_editor_uploads_a_photo_through_the_admin_and_the_s3_event_makes_its_renditions(
    rehearsal: Rehearsal, blog: LambdaFunction
) -> None:
    image = io.BytesIO()
    Image.new("RGB", (1600, 1000), (40, 120, 200)).save(image, "JPEG")
    origin = VIA_CDN | {"Origin": f"https://{BLOG_HOST}"}
    login_page = blog.request("GET", "/admin/login/", headers=VIA_CDN)
    assert login_page.status == 200 and "csrftoken" in login_page.cookies, login_page.headers
    csrf = login_page.cookies["csrftoken"]
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text())
    assert form_token, login_page.text()[:2000]
    logged_in = blog.request(
        "POST",
        "/admin/login/",
        headers=origin | {"Cookie": f"csrftoken={csrf}"},
        form={
            "csrfmiddlewaretoken": form_token[1],
            "username": EDITOR[0],
            "password": EDITOR[1],
            "otp_token": f"{totp(bytes.fromhex(EDITOR_TOTP_KEY)):06d}",  # the code of the editor's app now
            "next": "/admin/",
        },
    )
    assert logged_in.status == 302, logged_in.text()[:2000]
    cookie = f"csrftoken={csrf}; sessionid={logged_in.cookies['sessionid']}"

    # The admin's upload form asks for a presigned POST, signed with the role's credentials...
    presign = blog.request(
        "POST",
        "/admin/media/photo/add/presign/",
        headers=origin | {"Cookie": cookie, "X-CSRFToken": csrf},
        json_body={"filename": "harbour.jpg", "content_type": "image/jpeg", "size": len(image.getvalue())},
    )
    assert presign.status == 200, presign.body
    upload = presign.json()
    # ...which S3 accepts only with the session token among the form's fields.
    assert upload["fields"].get("x-amz-security-token") == rehearsal.credentials[STAGES["blog"]]["AWS_SESSION_TOKEN"]
    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("harbour.jpg", image.getvalue())}, timeout=10
    )
    assert posted.status_code == 204, posted.text

    # S3 notifies the function of the new object under uploads/.
    handled = blog.invoke(s3_created_event(upload["key"], len(image.getvalue())))

    assert isinstance(handled, list) and len(handled) == 1, handled
    ((status, renditions, reason),) = query(
        rehearsal, "SELECT status, renditions, failure_reason FROM media_photo WHERE id = ?", handled[0]
    )
    assert status == "ready", f"{reason}\n{blog.log_tail()}"
    keys = [rendition["key"] for rendition in json.loads(renditions)]
    s3 = rehearsal.aws.client("s3")
    stored = {item["Key"] for item in s3.list_objects_v2(Bucket=MEDIA_BUCKET, Prefix="renditions/")["Contents"]}
    assert keys and set(keys) <= stored


def s3_created_event(key: str, size: int) -> dict[str, object]:
    """An S3 ObjectCreated notification, as S3 delivers it to the function (keys URL-encoded)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": function_name(STAGES["blog"]),
                    "bucket": {"name": MEDIA_BUCKET, "arn": f"arn:aws:s3:::{MEDIA_BUCKET}"},
                    "object": {"key": key, "size": size, "sequencer": "0065A1B2C3D4E5F6"},
                },
            }
        ]
    }


def test_a_post_whose_time_comes_is_emailed_through_the_queue_with_the_blog_roles_credentials_only(
    rehearsal: Rehearsal, blog: LambdaFunction
) -> None:
    """New posts by email (issue 13): the scheduled sweep queues the post, Lambda's SQS event source
    polls the queue with the function's role (ReceiveMessage, DeleteMessage, GetQueueAttributes:
    done here with the role's own credentials) and the function sends through SES."""
    address = "newsletter-reader@example.net"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    with sqlite3.connect(rehearsal.database) as connection:
        author = connection.execute("SELECT id FROM auth_user WHERE username = ?", (EDITOR[0],)).fetchone()[0]
        connection.execute(
            "INSERT INTO myblog_post (title, slug, summary, body, body_html, author_id, status, publish_at,"
            " email_subscribers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'published', ?, 1, ?, ?)",
            ("Rehearsed mail", "rehearsed-mail", "By email.", "Hello.", "<p>Hello.</p>", author, now, now, now),
        )
    columns = {row[1]: row for row in query(rehearsal, "PRAGMA table_info(notifications_subscriber)")}
    row = {"email": address, "status": "confirmed", "unsubscribe_token": "rehearsal-token", "created_at": now}
    row |= {"updated_at": now} | {name: 0 for name in ("confirm_version",) if name in columns}
    with sqlite3.connect(rehearsal.database) as connection:
        connection.execute(
            f"INSERT INTO notifications_subscriber ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608
            tuple(row.values()),
        )

    rule = f"arn:aws:events:us-east-1:123456789012:rule/{function_name(STAGES['blog'])}-newsletter.events.publish_due_posts"
    assert blog.invoke({"detail-type": "Scheduled Event", "source": "aws.events", "resources": [rule]}) == {
        "mailings_started": 1
    }

    sqs = rehearsal.aws.client("sqs", credentials=rehearsal.credentials[STAGES["blog"]])
    url = rehearsal.values["NEWSLETTER_QUEUE_URL"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            break
        (message,) = messages
        record = {"messageId": message["MessageId"], "body": message["Body"], "eventSource": "aws:sqs"}
        blog.invoke({"Records": [record | {"eventSourceARN": arn, "receiptHandle": message["ReceiptHandle"]}]})
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    emails = [raw for raw in rehearsal.aws.sent_emails() if address in raw and "Rehearsed mail" in raw]
    assert len(emails) == 1, f"SES has no post email for {address}\n{blog.log_tail()}"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in json.loads(emails[0])["raw_data"]
