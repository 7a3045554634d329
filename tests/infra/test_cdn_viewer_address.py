"""Behind CloudFront the blog counts each reader, not each edge (issue 12).

API Gateway's sourceIp is then a CloudFront edge address, shared by every reader of that edge, and
the blog behaviour's origin request policy (AllViewerExceptHostHeader) forwards the viewer's own
headers, not CloudFront-Viewer-Address. The viewer-request function writes the viewer's address
into X-Viewer-Address, overwriting whatever the viewer sent, and the blog stages name that header
for the subscribe throttle and the sign-in lockout.
"""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.test_cdn import cdn, distribution_config, logical_id

ROOT = Path(__file__).resolve().parents[2]


def run_viewer_request_function(event: dict[str, Any]) -> dict[str, Any]:
    """The distribution's viewer-request function, run by Node as CloudFront Functions run it."""
    template = cdn()
    config = distribution_config(template)
    function_id = logical_id(template, "AWS::CloudFront::Function")
    association = config["DefaultCacheBehavior"]["FunctionAssociations"][0]
    assert association["EventType"] == "viewer-request"
    assert association["FunctionARN"] == {"Fn::GetAtt": [function_id, "FunctionARN"]}
    code = template.body["Resources"][function_id]["Properties"]["FunctionCode"]
    script = f"{code}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the CloudFront function (make node-deps installs it)")
    return json.loads(subprocess.run([node, "-e", script], check=True, capture_output=True, text=True).stdout)


def viewer_request(ip: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": ip},
        "request": {
            "method": "POST",
            "uri": "/api/blog/subscribers/",
            "querystring": {},
            "headers": {name: {"value": value} for name, value in headers.items()},
            "cookies": {},
        },
    }


def test_the_function_writes_the_viewers_address_over_one_the_viewer_forged() -> None:
    request = run_viewer_request_function(
        viewer_request("2001:db8:1:2::7", {"host": "blog.example.com", "x-viewer-address": "203.0.113.9"})
    )

    assert request["headers"]["x-viewer-address"] == {"value": "2001:db8:1:2::7"}
    assert request["headers"]["x-forwarded-host"] == {"value": "blog.example.com"}


def test_every_blog_stage_counts_the_header_the_function_writes() -> None:
    stages = json.loads((ROOT / "zappa_settings.json").read_text())
    written = run_viewer_request_function(viewer_request("198.51.100.1", {"host": "blog.example.com"}))["headers"]
    blog_stages = {name: stage for name, stage in stages.items() if stage["environment_variables"]["SERVICE"] == "blog"}

    assert blog_stages
    for name, stage in blog_stages.items():
        header = stage["environment_variables"].get("THROTTLE_VIEWER_ADDRESS_HEADER", "")
        assert header.lower() in written, name
        assert written[header.lower()] == {"value": "198.51.100.1"}, name
