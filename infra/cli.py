"""How the operator's commands of infra/ end when AWS fails: one line, not a traceback.

The commands (infra.stacks, infra.publish_app, infra.remote_env, infra.stage_env,
infra.apigw_cache) run their AWS calls inside :func:`aws_failures_reported`, which turns what
botocore raises into ``SystemExit`` with a message that says what failed and what to do; the
exit status is 1. Failures a command can explain better (a stack or a file not there yet) it
catches itself first.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from botocore import exceptions as boto


@contextmanager
def aws_failures_reported() -> Iterator[None]:
    try:
        yield
    except boto.NoCredentialsError as exc:
        raise SystemExit(
            "error: no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from exc
    except boto.NoRegionError as exc:
        raise SystemExit("error: no AWS region: set AWS_REGION") from exc
    except boto.ConnectionError as exc:  # the endpoint refused or did not answer
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        where = f"AWS_ENDPOINT_URL is {endpoint}" if endpoint else "AWS_ENDPOINT_URL is not set (AWS itself)"
        raise SystemExit(
            f"error: {exc}. Check the network and the endpoint ({where}); "
            "for the local endpoint, start it first (make run)."
        ) from exc
    except boto.ClientError as exc:  # AWS answered: its code and message say what it refused
        raise SystemExit(f"error: {exc}") from exc
    except boto.BotoCoreError as exc:  # e.g. a value botocore refuses before sending
        raise SystemExit(f"error: {exc}") from exc
