"""Both stages started as production starts them with SnapStart, from their packages, under IAM.

Production's stages have `snap_start` (tests/infra/test_lambda_runtime.py): Zappa's handler loads
Django while Lambda initialises the function (INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT), the runtime
runs myblog/snapstart.py's before-snapshot hooks, and every copy restored from the snapshot runs the
after-restore hooks before its first request. Here the stand-in runtime does the same inside the
sandbox (tests/rehearsal/lambda_runtime.py), with the role's temporary credentials: the hooks must
work from the zip (snapshot_restore_py comes from the runtime, not the package), and the clients
rebuilt after the restore must sign with the session token moto's IAM enforcement checks.
"""

import pytest

from tests.rehearsal.harness import STAGES, Rehearsal

pytestmark = pytest.mark.rehearse


@pytest.mark.parametrize("service", list(STAGES))
def test_a_snapstart_start_runs_the_hooks_and_the_restored_copy_reaches_aws_with_the_roles_credentials(
    rehearsal: Rehearsal, service: str
) -> None:
    function = rehearsal.function(STAGES[service], snap_start=True)

    # /healthz reads the stage's database, bucket and table through the clients built after the restore.
    answer = function.request("GET", "/healthz")

    assert answer.status == 200, answer.text()
    assert set(answer.json()["checks"].values()) == {"ok"}, answer.text()
    log = function.log_path.read_text()
    assert "SnapStart: ran 1 before-snapshot and 1 after-restore hooks" in log
    # Every step of the hooks (clients, database, key set, warm-up reads, the to-do table) worked
    # under the role: a denied one is only logged, and would leave its work to the first reader.
    unwell = [line for line in log.splitlines() if "SnapStart" in line and ("failed" in line or "answered" in line)]
    assert unwell == [], log[-3000:]
