"""A stand-in for the Lambda Python runtime's bootstrap, run inside the rehearsal's sandbox.

    python -I -S lambda_runtime.py <result fd> <timeout seconds>

As the runtime does: the working directory and the first entry of sys.path are LAMBDA_TASK_ROOT
(the unpacked package), then LAMBDA_RUNTIME_DIR (the runtime's own modules: snapshot_restore_py),
nothing else is importable but the standard library, and the handler named by _HANDLER
(``handler.lambda_handler``, Zappa's) is imported once and called with each event and a context
object. A SnapStart start (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) imports the handler before
any event (the init Lambda snapshots), runs the before-snapshot hooks, then, standing in for a
restored copy, the after-restore hooks; the counts go to the log. Events arrive one JSON document per line on standard input; each
result (or the exception, as the runtime would report it) goes as one JSON line to <result fd>,
so whatever the application prints stays out of the way. Only the standard library is used here.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class LambdaContext:
    """The attributes of the runtime's context object that Zappa and Powertools read."""

    def __init__(self, timeout_seconds: int) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        region = os.environ["AWS_REGION"]
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    results = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    os.chdir(task_root)
    sys.path[:0] = [task_root, os.environ["LAMBDA_RUNTIME_DIR"]]
    module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
    timeout = int(sys.argv[2])
    handler = None
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
        handler = getattr(importlib.import_module(module_name), function_name)
        import snapshot_restore_py as hooks

        before, after = hooks.get_before_snapshot(), hooks.get_after_restore()
        for hook, args, kwargs in reversed(before):  # the runtime runs them last registered first
            hook(*args, **kwargs)
        for hook, args, kwargs in after:
            hook(*args, **kwargs)
        print(f"SnapStart: ran {len(before)} before-snapshot and {len(after)} after-restore hooks", flush=True)
    for line in sys.stdin:
        event = json.loads(line)
        try:
            if handler is None:  # the init phase: on the first event, as a cold start
                handler = getattr(importlib.import_module(module_name), function_name)
            result = {"ok": handler(event, LambdaContext(timeout))}
        except Exception as exc:  # the runtime reports it as the invocation's error
            result = {"error": type(exc).__name__, "message": str(exc), "trace": traceback.format_exc()}
        results.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
