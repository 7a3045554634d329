"""The rehearsal's machinery: a local AWS with IAM enforced, the stages' packages, and each
stage's Lambda function run from its unpacked zip the way the Lambda runtime runs it.

Sequence (``Rehearsal.start``), as an operator's first deploy and Lambda's cold start would go:
the roles and network stacks of infra/ deployed through CloudFormation, the other resources
(buckets, table, user pool, SES identity...) made by ``infra.bootstrap``'s creators for Env=dev; the
stages' ``FROM_STACK`` values filled from them (as ``infra.stage_env write`` would); the blog's
database migrated and static files collected (the manifest goes to build/static-manifest/, as
README says); ``infra.packaging`` building each stage's zip;
each stage's role assumed through STS (as Lambda does); then IAM enforcement switched on, and
from there every request is checked against the role's policies and the session token.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
ENV = "dev"
STAGES = {"blog": "blog_dev", "todo": "todo_dev"}
API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
BLOG_HOST = "blog.example.com"  # the blog's custom domain; notifications.yaml's default MailDomain
CDN_DOMAIN = "d111111abcdef8.cloudfront.net"  # what cdn.yaml's DistributionDomainName looks like
INVOKE_TIMEOUT_SECONDS = 60


def function_name(stage: str) -> str:
    """Zappa's Lambda function name: slugified ``<project_name>-<stage>``."""
    return f"myblog-{stage.replace('_', '-')}"


# --- The local AWS endpoint ------------------------------------------------------------------


@dataclass
class LocalAws:
    """moto (tests/rehearsal/moto_iam.py) in its own process, with an administrator's keys that
    keep working once IAM is enforced (the harness's own setup and checks use them)."""

    process: subprocess.Popen[str]
    endpoint: str
    admin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, log: Path) -> LocalAws:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "moto_iam.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            cwd=ROOT,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            process.kill()
            raise RuntimeError(f"the rehearsal's moto server did not start: {line!r}")
        endpoint = f"http://127.0.0.1:{int(line.split()[1])}"
        # No Docker here: Lambda functions exist and answer invocations without running.
        requests.post(
            f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=5
        ).raise_for_status()
        return cls(process, endpoint)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def client(self, service: str, credentials: dict[str, str] | None = None) -> Any:
        credentials = credentials if credentials is not None else self.admin or _DUMMY
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            config=Config(signature_version="s3v4" if service == "s3" else None, retries={"max_attempts": 1}),
            **{_BOTO_NAMES[name]: value for name, value in credentials.items()},
        )

    def enforce_iam(self) -> None:
        """From the next request on, moto checks every request's credentials and permissions."""
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()

    def state(self) -> dict[str, Any]:
        return requests.get(f"{self.endpoint}/moto-api/data.json", timeout=10).json()

    def sent_emails(self) -> list[str]:
        """The raw messages SES accepted (django-ses sends raw)."""
        messages = self.state().get("ses", {}).get("RawMessage", [])
        found = [json.dumps(message) for message in messages]
        return found


_DUMMY = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
_BOTO_NAMES = {
    "AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
    "AWS_SESSION_TOKEN": "aws_session_token",
}


# --- Lambda's asynchronous invocations -------------------------------------------------------


class InvokeRecorder:
    """Forwards Lambda API requests to moto unchanged (so moto authorises them) and keeps each
    Invoke's payload: moto cannot run a function without Docker, so the harness delivers the
    payload to the function itself, as Lambda would."""

    def __init__(self, upstream: str) -> None:
        self.invocations: list[dict[str, Any]] = []
        recorder = self
        target = urlsplit(upstream)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                # The Host header stays as signed: moto checks the request's SigV4 signature.
                connection.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                answer = connection.getresponse()
                data = answer.read()
                if self.path.endswith("/invocations"):
                    recorder.invocations.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "payload": body,
                            "status": answer.status,
                        }
                    )
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


# --- A stage's Lambda function ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)  # from every Set-Cookie

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode()


class LambdaFunction:
    """One execution environment of a stage: a process started from the unpacked zip with
    Lambda's environment, its task root read-only and only its temporary directory writable
    (a mount namespace: we run as root, so file modes alone would not stop a write)."""

    def __init__(
        self, *, stage: str, task_root: Path, tmp: Path, environment: dict[str, str], timeout: int, log_name: str = ""
    ) -> None:
        self.stage = stage
        self.task_root = task_root
        self.tmp = tmp
        self.log_path = tmp.parent / f"{log_name or stage}.log"
        read_fd, write_fd = os.pipe()
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro / && shift && exec "$@"'
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(tmp)]
        command += [sys.executable, "-I", "-S", str(HERE / "lambda_runtime.py"), str(write_fd), str(timeout)]
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=task_root,
            pass_fds=(write_fd,),
            text=True,
        )
        os.close(write_fd)
        self._results: queue.Queue[str] = queue.Queue()
        reader = os.fdopen(read_fd, "r")
        threading.Thread(target=lambda: [self._results.put(line) for line in reader], daemon=True).start()

    def invoke(self, event: dict[str, Any]) -> Any:
        """Deliver one event; the handler's return value (an exception is raised as AssertionError)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(event) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + INVOKE_TIMEOUT_SECONDS
        while True:
            try:
                result = json.loads(self._results.get(timeout=0.2))
                break
            except queue.Empty:
                # E.g. `unshare` refused (the sandbox needs root or CAP_SYS_ADMIN): say so at once.
                if self.process.poll() is not None or time.monotonic() > deadline:
                    state = f"exited with {self.process.returncode}" if self.process.poll() is not None else "no answer"
                    raise AssertionError(f"{self.stage}: {state}\n{self.log_tail()}") from None
        if "error" in result:
            raise AssertionError(f"{self.stage}: the invocation failed: {result['trace']}\n{self.log_tail()}")
        return result["ok"]

    def request(
        self,
        method: str,
        path: str,
        *,
        host: str = API_HOST,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        json_body: Any = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        """An HTTP request through API Gateway (REST API, payload 1.0) to Zappa's handler."""
        response = self.invoke(rest_api_event(method, path, stage=self.stage, host=host, headers=headers,
                                              query=query, json_body=json_body, form=form))  # fmt: skip
        assert isinstance(response, dict) and "statusCode" in response, f"not an API Gateway answer: {response!r}"
        body = response.get("body") or ""
        raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
        headers = {name.lower(): str(value) for name, value in (response.get("headers") or {}).items()}
        cookies = {}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            if name.lower() == "set-cookie":
                for value in values:
                    cookies |= {name: morsel.value for name, morsel in SimpleCookie(value).items()}
        return Answer(int(response["statusCode"]), headers, raw, cookies)

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def rest_api_event(
    method: str,
    path: str,
    *,
    stage: str,
    host: str,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0), as Zappa's integration passes it."""
    sent = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Accept": "*/*", **(headers or {})}
    body = None
    if json_body is not None:
        sent["Content-Type"], body = "application/json", json.dumps(json_body)
    if form is not None:
        sent["Content-Type"], body = "application/x-www-form-urlencoded", urlencode(form)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "stage": stage,
            "httpMethod": method,
            "path": f"/{stage}{path}" + (f"?{urlencode(query)}" if query else ""),
            "domainName": host,
            "requestId": secrets.token_hex(8),
            "identity": {"sourceIp": "198.51.100.7"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


# --- Setting the stage -----------------------------------------------------------------------


@contextmanager
def admin_environment(aws: LocalAws) -> Iterator[None]:
    """Environment for code of this repository that builds its own clients (infra.bootstrap)."""
    values = {"AWS_ENDPOINT_URL": aws.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, **aws.admin}
    with mock.patch.dict(os.environ, values):
        os.environ.pop("AWS_SESSION_TOKEN", None)
        yield


def create_admin(aws: LocalAws) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="rehearsal-admin")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="rehearsal-admin", PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="rehearsal-admin")["AccessKey"]
    aws.admin = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def deploy_stack(aws: LocalAws, template: str) -> dict[str, str]:
    """infra/<template>.yaml through CloudFormation, as README's deploy sequence does; its outputs."""
    cloudformation = aws.client("cloudformation")
    name = f"myblog-{ENV}-{template}"
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=(ROOT / "infra" / f"{template}.yaml").read_text(),
        Parameters=[{"ParameterKey": "Env", "ParameterValue": ENV}],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def create_resources(aws: LocalAws, roles: dict[str, str]) -> dict[str, str]:
    """Everything else of infra/ the stages use, and the values that fill their FROM_STACK."""
    from infra.bootstrap import CREATORS
    from infra.templates import all_templates

    # infra.bootstrap's creators, with the parameters an operator passes for Env=dev.
    templates = all_templates(Env=ENV, MediaBucketName=f"myblog-{ENV}-media", MailDomain=BLOG_HOST)
    with admin_environment(aws):
        for resource_type, creator in CREATORS.items():
            for template in templates:
                for logical_id, resource in template.resources.items():
                    if resource["Type"] == resource_type:
                        creator(template, logical_id)
    idp = aws.client("cognito-idp")
    (pool,) = idp.list_user_pools(MaxResults=10)["UserPools"]
    (app,) = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)["UserPoolClients"]
    (identity_pool,) = aws.client("cognito-identity").list_identity_pools(MaxResults=10)["IdentityPools"]
    topic = aws.client("sns").create_topic(Name=f"myblog-{ENV}-mail-events")["TopicArn"]
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"myblog-{ENV}-task-dead-letters")["QueueUrl"]
    dead_letters = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    newsletter_url = sqs.get_queue_url(QueueName=f"myblog-{ENV}-newsletter")["QueueUrl"]
    # The blog's function itself is not created: moto's /moto-api/data.json (where the sent
    # emails are read) fails on any Lambda function without Docker, and moto's Docker-less
    # Lambda answers invocations of any name. The recorder checks the name instead.
    return {
        "CDN_DOMAIN": CDN_DOMAIN,
        "SES_EVENTS_TOPIC_ARN": topic,
        "COGNITO_USER_POOL_ID": pool["Id"],
        "COGNITO_APP_CLIENT_ID": app["ClientId"],
        "COGNITO_IDENTITY_POOL_ID": identity_pool["IdentityPoolId"],
        # newsletter.yaml's fan-out queue, made by infra.bootstrap's create_queue above.
        "NEWSLETTER_QUEUE_URL": newsletter_url,
        "newsletter_queue_arn": sqs.get_queue_attributes(QueueUrl=newsletter_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"],
        "dead_letter_arn": dead_letters,
        "user_pool_arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool['Id']}",
    }


def filled_settings(roles: dict[str, str], values: dict[str, str], out: Path) -> Path:
    """zappa_settings.json with the two stages' FROM_STACK values filled, as `stage_env write` does."""
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    for service, stage in STAGES.items():
        config = settings[stage]
        variables = config["environment_variables"]
        for name, value in variables.items():
            if value == "FROM_STACK":
                variables[name] = values[name]
        config["role_arn"] = roles["BlogRoleArn" if service == "blog" else "TodoRoleArn"]
        if "dead_letter_arn" in config:
            config["dead_letter_arn"] = values["dead_letter_arn"]
        for event in config.get("events", []):  # the newsletter queue's event source (stage_env write)
            if event.get("event_source", {}).get("arn") == "FROM_STACK":
                event["event_source"]["arn"] = values["newsletter_queue_arn"]
        if "authorizer" in config:
            config["authorizer"]["provider_arns"] = [values["user_pool_arn"]]
        if "vpc_config" in config:
            config["vpc_config"] = {
                "SubnetIds": roles["PrivateSubnetIds"].split(","),
                "SecurityGroupIds": [roles["LambdaSecurityGroupId"]],
            }
        leftover = [key for key, value in config.items() if "FROM_STACK" in json.dumps(value)]
        assert not leftover, f"{stage}: FROM_STACK left in {leftover}"
    out.write_text(json.dumps(settings, indent=4))
    return out


def remote_env(service: str, database: Path) -> dict[str, str]:
    """The secrets the operator keeps in the stage's remote_env file."""
    values = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": f"{API_HOST},{BLOG_HOST}"}
    if service == "blog":
        values |= {
            "CDN_ORIGIN_SECRET": ORIGIN_SECRET,
            "DATABASE_URL": f"sqlite:///{database}",
            "SITE_URL": f"https://{BLOG_HOST}",
            "EMAIL_FROM": f"MyBlog <newsletter@{BLOG_HOST}>",
        }
    return values


def put_remote_env(aws: LocalAws, stage_config: dict[str, Any], values: dict[str, str]) -> None:
    location = urlsplit(stage_config["remote_env"])
    aws.client("s3").put_object(Bucket=location.netloc, Key=location.path.lstrip("/"), Body=json.dumps(values))


# What CloudFront sends the blog as X-Origin-Verify (cdn.yaml OriginSecret); the stage refuses the rest.
ORIGIN_SECRET = secrets.token_urlsafe(32)
EDITOR = ("editor", "Rehearsal-Editor-Passw0rd")
# The editor's authenticator app: production requires a TOTP code of staff (ADMIN_REQUIRE_TOTP).
EDITOR_TOTP_KEY = "3132333435363738393031323334353637383930"
SEED = """
import django
django.setup()
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from myblog.blog.models import Post

author = get_user_model().objects.create_superuser("editor", "editor@example.com", "{password}")
from django_otp.plugins.otp_totp.models import TOTPDevice
TOTPDevice.objects.create(user=author, name="phone", key="{totp_key}", confirmed=True)
post = Post.objects.create(
    slug="first-deploy", title="The first deploy", summary="What the rehearsal proves.",
    body="## Rehearsed\\n\\nEvery *flow* ran with the role's credentials.", author=author,
    status=Post.Status.PUBLISHED, publish_at=timezone.now() - timedelta(hours=1),
)
post.tags.set(["aws"])
"""


def manage_environment(aws: LocalAws, database: Path) -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "HOME") if name in os.environ}
    return keep | {
        "DJANGO_SETTINGS_MODULE": "myblog.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "AWS_ENDPOINT_URL": aws.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "MEDIA_BUCKET": f"myblog-{ENV}-media",
        "CDN_DOMAIN": CDN_DOMAIN,
        **aws.admin,
    }


def prepare_database(aws: LocalAws, database: Path) -> None:
    """Migrate the blog's SQLite database (and its cache table) and publish one post."""
    env = manage_environment(aws, database)
    for args in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
        _run([sys.executable, "manage.py", *args], env)
    _run([sys.executable, "-c", SEED.format(password=EDITOR[1], totp_key=EDITOR_TOTP_KEY)], env)


def collect_static(aws: LocalAws, database: Path) -> None:
    """README: collectstatic before `make package`, so the manifest ships in the zip."""
    _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], manage_environment(aws, database))


def build_packages(settings_file: Path, out_dir: Path) -> dict[str, Path]:
    """`make package STAGES="blog_dev todo_dev"` with the filled settings: infra.packaging."""
    stages = " ".join(STAGES.values())
    command = [sys.executable, "-m", "infra.packaging", "--settings", str(settings_file), "--out-dir", str(out_dir)]
    _run([*command, "--stages", stages], {**os.environ})
    return {stage: out_dir / f"{stage}.zip" for stage in STAGES.values()}


def unpack(zip_path: Path, task_root: Path) -> None:
    # Read-only once the function runs: LambdaFunction mounts everything but its TMPDIR read-only.
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task_root)


def assume_role(aws: LocalAws, role_arn: str, stage: str) -> dict[str, str]:
    """The temporary credentials Lambda gets for the function's role."""
    credentials = aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=function_name(stage))["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def lambda_environment(
    *, stage: str, config: dict[str, Any], credentials: dict[str, str], task_root: Path, tmp: Path, aws: LocalAws
) -> dict[str, str]:
    """What the Lambda runtime sets (reserved variables), the stage's variables (Zappa's handler sets
    environment_variables from zappa_settings.py; aws_environment_variables are the function's own)
    and the endpoint of the local AWS."""
    name = function_name(stage)
    return {
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "_HANDLER": "handler.lambda_handler",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config['runtime']}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config["memory_size"]),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/01/01/[$LATEST]{secrets.token_hex(16)}",
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(runtime_dir(task_root.parent.parent)),
        "TMPDIR": str(tmp),
        **credentials,
        **config.get("environment_variables", {}),
        **config.get("aws_environment_variables", {}),
        # How this rehearsal reaches the local endpoint instead of AWS's.
        "AWS_ENDPOINT_URL": aws.endpoint,
    }


def runtime_dir(folder: Path) -> Path:
    """The runtime's own modules (/var/runtime on Lambda): snapshot_restore_py, which the managed
    python3.12+ runtimes provide and the package therefore does not carry."""
    import snapshot_restore_py

    runtime = folder / "runtime"
    runtime.mkdir(exist_ok=True)
    shutil.copy2(snapshot_restore_py.__file__, runtime / "snapshot_restore_py.py")
    return runtime


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


@dataclass
class Rehearsal:
    aws: LocalAws
    recorder: InvokeRecorder
    folder: Path
    database: Path
    roles: dict[str, str]
    values: dict[str, str]
    stage_configs: dict[str, dict[str, Any]]
    credentials: dict[str, dict[str, str]]
    functions: dict[str, LambdaFunction] = field(default_factory=dict)

    @classmethod
    def start(cls, folder: Path) -> Rehearsal:
        from infra.zappa_stages import SETTINGS_FILE

        running = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        runtimes = {_load_stages(SETTINGS_FILE)[stage]["runtime"] for stage in STAGES.values()}
        if runtimes != {running}:  # the package's wheels are for the runtime's CPython only
            raise RuntimeError(f"the stages run {', '.join(sorted(runtimes))}; the rehearsal runs {running}")
        aws = LocalAws.start(folder / "moto.log")
        try:
            create_admin(aws)
            # The roles the functions run with; the network only for the stages' vpc_config values.
            roles = deploy_stack(aws, "roles") | deploy_stack(aws, "network")
            values = create_resources(aws, roles)
            settings_file = filled_settings(roles, values, folder / "zappa_settings.json")
            stage_configs = {
                stage: config for stage, config in _load_stages(settings_file).items() if stage in STAGES.values()
            }
            blog_tmp = folder / STAGES["blog"] / "tmp"
            blog_tmp.mkdir(parents=True)
            database = blog_tmp / "blog.sqlite3"
            for service, stage in STAGES.items():
                put_remote_env(aws, stage_configs[stage], remote_env(service, database))
            prepare_database(aws, database)
            collect_static(aws, database)
            zips = build_packages(settings_file, folder / "build")
            credentials = {
                stage: assume_role(aws, stage_configs[stage]["role_arn"], stage) for stage in STAGES.values()
            }
        except BaseException:
            aws.stop()
            raise
        recorder = InvokeRecorder(aws.endpoint)
        rehearsal = cls(aws, recorder, folder, database, roles, values, stage_configs, credentials)
        for stage, zip_path in zips.items():
            task_root = folder / stage / "task"
            unpack(zip_path, task_root)
            (folder / stage / "tmp").mkdir(parents=True, exist_ok=True)
        aws.enforce_iam()
        return rehearsal

    def iam_enforced(self) -> bool:
        """Whether moto refuses a role's keys without their session token (as AWS always does)."""
        stage = STAGES["blog"]
        location = urlsplit(self.stage_configs[stage]["remote_env"])
        keys = {name: value for name, value in self.credentials[stage].items() if name != "AWS_SESSION_TOKEN"}
        try:
            self.aws.client("s3", keys).head_object(Bucket=location.netloc, Key=location.path.lstrip("/"))
        except ClientError as error:
            return error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        return False

    def function(self, stage: str, snap_start: bool = False) -> LambdaFunction:
        """The stage's execution environment, started on first use (the cold start happens with
        the first event, inside it). ``snap_start``: another one, started as a SnapStart function
        (as production's stages: Django loaded during init, the hooks of myblog/snapstart.py run)."""
        key = f"{stage}:snapstart" if snap_start else stage
        if key not in self.functions:
            task_root, tmp = self.folder / stage / "task", self.folder / stage / "tmp"
            config = self.stage_configs[stage]
            if snap_start:  # the same task root and TMPDIR (the blog's SQLite database is there)
                config = {**config, "aws_environment_variables": {"INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT": "1"}}
            env = lambda_environment(
                stage=stage, config=config, credentials=self.credentials[stage], task_root=task_root, tmp=tmp,
                aws=self.aws,
            )  # fmt: skip
            if snap_start:
                env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
            # The async tasks' Lambda API calls go through the recorder, which forwards them to moto.
            env["AWS_ENDPOINT_URL_LAMBDA"] = self.recorder.endpoint
            self.functions[key] = LambdaFunction(
                stage=stage, task_root=task_root, tmp=tmp, environment=env, timeout=int(config["timeout_seconds"]),
                log_name=key.replace(":", "-"),
            )  # fmt: skip
        return self.functions[key]

    def stop(self) -> None:
        for function in self.functions.values():
            function.stop()
        self.recorder.stop()
        self.aws.stop()
        # The zips and unpacked packages (~75 MiB each); the logs and the database stay.
        shutil.rmtree(self.folder / "build", ignore_errors=True)
        for stage in STAGES.values():
            shutil.rmtree(self.folder / stage / "task", ignore_errors=True)


def _load_stages(settings_file: Path) -> dict[str, dict[str, Any]]:
    """Every stage with `extends` applied, as the package builder (and Zappa) reads them."""
    from infra.zappa_stages import all_stages

    return all_stages(settings_file)
