"""The MyToDoList web app (clients/web/) in Chromium against the served API and the local AWS
endpoint: sign-up and sign-in with Cognito, to-dos through the TypeScript SDK, conflicts between
two tabs, changes made offline, and attachments in the user's own S3 folder.

The app is built by `make web` (make test and make run do it first) into clients/web/dist/.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.db import connections
from playwright.sync_api import BrowserContext, Page, Route, expect, sync_playwright

from tests.myblog.test_browser import CHROMIUM, CHROMIUM_ARGS
from todo import cognito, tokens

pytestmark = [pytest.mark.browser, pytest.mark.aws, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DIST = Path(__file__).resolve().parents[2] / "clients" / "web" / "dist"
PASSWORD = "Passw0rd-Web-App"
# Before any script of the page: every refusal of the Content-Security-Policy.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""


@pytest.fixture
def context(monkeypatch: pytest.MonkeyPatch, local_aws: str) -> Iterator[BrowserContext]:
    assert (DIST / "index.html").exists(), "The web app is not built: run `make web`."
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The endpoint was reset for this test: pools have new ids and keys.
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()
    # A sync is several requests through two local servers; on a busy 2-core machine that can
    # take longer than expect's default 5 s.
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_init_script(COLLECT_VIOLATIONS)
            yield context
        finally:
            browser.close()
            expect.set_options(timeout=5_000)
            connections.close_all()
            cognito.forget_resolved_ids()
            tokens.key_set.cache_clear()


def open_app(context: BrowserContext, base: str, errors: list[str]) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"{base}/app/")
    return page


def sign_up_and_in(page: Page, email: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # moto never emails a code and confirms whatever code is given; AWS checks the emailed one.
    page.get_by_label("Confirmation code").fill("123456")
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_label("New to-do")).to_be_visible()


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("New to-do")).to_be_visible()


def add(page: Page, title: str) -> None:
    page.get_by_label("New to-do").fill(title)
    page.get_by_role("button", name="Add").click()


def titles(page: Page) -> Any:
    return page.locator("#todos .title")


def saved(page: Page) -> None:
    expect(page.locator("#pending")).to_have_text("All changes saved.")


def api_token(endpoint: str, email: str) -> str:
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1")
    result = idp.initiate_auth(
        ClientId=cognito.app_client_id(),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def server_todos(base: str, token: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{base}/api/todos/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


# How many entries the app keeps in IndexedDB (its to-dos and its outbox), whoever signed in.
KEPT_ON_DEVICE = """(async () => {
  const names = (await indexedDB.databases()).map((db) => db.name).filter((name) => name.startsWith("mytodolist-"));
  let count = 0;
  for (const name of names) {
    count += await new Promise((resolve) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => {
        const counted = open.result.transaction("state").objectStore("state").count();
        counted.onsuccess = () => resolve(counted.result);
      };
    });
  }
  return count;
})()"""


def answer_revoke_token(context: BrowserContext, endpoint: str, revoked: list[str]) -> None:
    """moto has no RevokeToken (its answer is an error without CORS headers); answer as Cognito does."""

    def handle(route: Route) -> None:
        if route.request.headers.get("x-amz-target") != "AWSCognitoIdentityProviderService.RevokeToken":
            route.continue_()
            return
        revoked.append(json.loads(route.request.post_data or "{}")["Token"])
        cors = {"Access-Control-Allow-Origin": "*"}
        route.fulfill(status=200, body="{}", content_type="application/x-amz-json-1.1", headers=cors)

    context.route(f"{endpoint}/", handle)


def test_a_new_user_signs_up_and_keeps_a_list_that_the_api_sees(context, live_server, local_aws):
    errors: list[str] = []
    revoked: list[str] = []
    answer_revoke_token(context, local_aws, revoked)
    page = open_app(context, live_server.url, errors)

    sign_up_and_in(page, "web@example.com")
    add(page, "Buy milk")
    add(page, "Call mum")
    add(page, "Water plants")
    saved(page)
    expect(titles(page)).to_have_text(["Buy milk", "Call mum", "Water plants"])

    # Edit, complete, reorder, delete: each shows at once and reaches the API.
    page.get_by_role("button", name="Edit Buy milk").click()
    page.get_by_label("New title for Buy milk").fill("Buy oat milk")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("checkbox", name="Call mum").check()
    page.get_by_role("button", name="Move Water plants up").click()
    saved(page)
    page.get_by_role("button", name="Delete Buy oat milk").click()
    expect(titles(page)).to_have_text(["Water plants", "Call mum"])
    saved(page)
    assert page.evaluate(KEPT_ON_DEVICE) == 1  # what the app shows offline

    token = api_token(local_aws, "web@example.com")
    on_server = server_todos(live_server.url, token)
    assert [(t["title"], t["completed"]) for t in on_server] == [("Water plants", False), ("Call mum", True)]

    # Signed out, then in again: the same list.
    refresh_token = page.evaluate("Object.entries(localStorage).find(([key]) => key.endsWith('.refreshToken'))[1]")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert (
        page.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('CognitoIdentityServiceProvider'))")
        == []
    )
    assert revoked == [refresh_token]
    # Nor are the to-dos kept on the device for the next person who uses it.
    assert page.evaluate(KEPT_ON_DEVICE) == 0
    sign_in(page, "web@example.com")
    expect(titles(page)).to_have_text(["Water plants", "Call mum"])
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_a_change_made_offline_waits_and_is_sent_when_back_online(context, live_server, local_aws):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "offline@example.com")
    add(page, "Pack bags")
    saved(page)
    # The service worker keeps the shell once it controls the page.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()  # the app itself comes from the service worker's copy
    expect(titles(page)).to_have_text(["Pack bags"])
    page.get_by_role("button", name="Edit Pack bags").click()
    page.get_by_label("New title for Pack bags").fill("Pack bags and passports")
    page.get_by_role("button", name="Save").click()
    add(page, "Lock the door")
    expect(page.locator("#pending")).to_have_text("2 changes waiting to be sent.")
    token = api_token(local_aws, "offline@example.com")
    assert [t["title"] for t in server_todos(live_server.url, token)] == ["Pack bags"]

    context.set_offline(False)
    saved(page)
    assert [t["title"] for t in server_todos(live_server.url, token)] == ["Pack bags and passports", "Lock the door"]
    assert all("ERR_INTERNET_DISCONNECTED" in error or "Failed to fetch" in error for error in errors), errors


def test_two_tabs_editing_one_todo_show_both_versions_and_the_user_chooses(context, live_server, local_aws):
    errors: list[str] = []
    first = open_app(context, live_server.url, errors)
    sign_up_and_in(first, "tabs@example.com")
    add(first, "Book flights")
    add(first, "Rent a car")
    saved(first)
    second = open_app(context, live_server.url, errors)
    expect(titles(second)).to_have_text(["Book flights", "Rent a car"])

    first.get_by_role("button", name="Edit Book flights").click()
    first.get_by_label("New title for Book flights").fill("Book flights to Lisbon")
    first.get_by_role("button", name="Save").click()
    saved(first)
    # The second tab still shows the old version and edits it: the API refuses (412).
    second.get_by_role("button", name="Edit Book flights").click()
    second.get_by_label("New title for Book flights").fill("Book flights to Porto")
    second.get_by_role("button", name="Save").click()

    dialog = second.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#conflict-mine")).to_have_text("Book flights to Porto")
    expect(dialog.locator("#conflict-theirs")).to_have_text("Book flights to Lisbon")
    dialog.get_by_role("button", name="Keep mine").click()
    saved(second)
    token = api_token(local_aws, "tabs@example.com")
    assert [t["title"] for t in server_todos(live_server.url, token)][0] == "Book flights to Porto"

    # And the other way: the first tab, now stale, completes it; its user takes the other version.
    first.get_by_role("checkbox", name="Book flights to Lisbon").check()
    expect(first.get_by_role("dialog")).to_be_visible()
    first.get_by_role("button", name="Take theirs").click()
    saved(first)
    expect(titles(first)).to_have_text(["Book flights to Porto", "Rent a car"])
    assert [t["completed"] for t in server_todos(live_server.url, token)] == [False, False]
    assert errors == [] or all("412" in error for error in errors), errors


def test_a_file_attached_to_a_todo_goes_to_the_users_folder_and_the_api_lists_it(
    context, live_server, local_aws, tmp_path
):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "files@example.com")
    add(page, "Tax return")
    saved(page)
    receipt = tmp_path / "receipt 2026.txt"
    receipt.write_text("12.50 EUR\n")

    todo = page.locator("#todos li.todo").first
    todo.get_by_text("Files").click()
    expect(todo.locator(".files")).to_have_text("No files.")
    todo.get_by_label("Attach a file to Tax return").set_input_files(str(receipt))
    expect(todo.locator(".files")).to_contain_text("receipt 2026.txt")

    token = api_token(local_aws, "files@example.com")
    todo_id = server_todos(live_server.url, token)[0]["id"]
    answer = requests.get(f"{live_server.url}/api/files/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert [(f["path"], f["size"]) for f in answer.json()] == [(f"todos/{todo_id}/receipt 2026.txt", 10)]

    # Read directly from S3 with the identity pool's credentials.
    with page.expect_download() as download:
        todo.get_by_role("button", name="receipt 2026.txt", exact=True).click()
    assert Path(download.value.path()).read_text() == "12.50 EUR\n"
    # And deleted there too.
    todo.get_by_role("button", name="Delete file receipt 2026.txt").click()
    expect(todo.locator(".files")).to_have_text("No files.")
    answer = requests.get(f"{live_server.url}/api/files/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.json() == []
    assert page.evaluate("window.__csp") == []
    assert errors == []


AXE = Path(__file__).resolve().parents[2] / "clients" / "web" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 412, "height": 823}, "desktop": {"width": 1350, "height": 940}}


def test_the_app_is_installable_and_axe_finds_nothing_signed_out_or_in(context, live_server):
    assert AXE.exists(), "axe-core is missing: run `make web` (npm ci in clients/web/)."
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # What Chromium checks before it offers to install: manifest, icons, service worker, scope.
    session = context.new_cdp_session(page)
    found = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's contexts are incognito windows, where Chromium never offers to install.
    assert [error["errorId"] for error in found if error["errorId"] != "in-incognito"] == []
    manifest = session.send("Page.getAppManifest")
    assert manifest["errors"] == [] and manifest["url"].endswith("/app/manifest.webmanifest")

    def violations() -> list[str]:
        # Evaluated through the DevTools protocol: the page's CSP refuses an inline <script>.
        page.evaluate(AXE.read_text() + ";0")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result["violations"]]

    for size in VIEWPORTS.values():
        page.set_viewport_size(size)
        assert violations() == [], size
    sign_up_and_in(page, "axe@example.com")
    add(page, "Check contrast")
    saved(page)
    page.locator("#todos details").first.get_by_text("Files").click()
    expect(page.locator("#todos .files")).to_have_text("No files.")
    for size in VIEWPORTS.values():
        page.set_viewport_size(size)
        assert violations() == [], size
        assert not page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert errors == []


def test_a_wrong_password_is_refused(context, live_server):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "careful@example.com")
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("Email", exact=True).fill("careful@example.com")
    page.get_by_label("Password", exact=True).fill("Wrong-Passw0rd")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#status")).to_contain_text("Incorrect username or password")
    expect(page.get_by_label("New to-do")).to_have_count(0)


def test_an_expired_access_token_is_refreshed_with_the_refresh_token_before_a_call(context, live_server, local_aws):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    page.clock.install()
    sign_up_and_in(page, "refresh@example.com")
    first_token = page.evaluate("Object.entries(localStorage).find(([key]) => key.endsWith('.accessToken'))[1]")
    flows: list[str] = []
    page.on(
        "request",
        lambda request: (
            request.headers.get("x-amz-target", "").endswith(".InitiateAuth")
            and flows.append(json.loads(request.post_data or "{}")["AuthFlow"])
        ),
    )

    page.clock.fast_forward("02:00:00")  # the access token lives 60 minutes (todo.yaml)
    add(page, "After lunch")
    saved(page)

    assert flows == ["REFRESH_TOKEN_AUTH"]
    second_token = page.evaluate("Object.entries(localStorage).find(([key]) => key.endsWith('.accessToken'))[1]")
    assert second_token != first_token
    assert [t["title"] for t in server_todos(live_server.url, second_token)] == ["After lunch"]
    assert errors == []


def test_a_create_whose_answer_was_lost_is_not_made_twice(context, live_server, local_aws):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "lost@example.com")
    lost: list[int] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        lost.append(route.fetch().status)  # the server made it ...
        route.abort("connectionreset")  # ... and the answer never arrived

    page.route("**/api/todos/", lose_the_answer)
    with page.expect_event("requestfailed"):
        add(page, "Renew passport")
    expect(page.locator("#pending")).to_have_text("1 change waiting to be sent.")
    assert lost == [201]
    context.set_offline(True)
    context.set_offline(False)  # `online`: the outbox is sent again
    saved(page)

    token = api_token(local_aws, "lost@example.com")
    assert [t["title"] for t in server_todos(live_server.url, token)] == ["Renew passport"]
    expect(titles(page)).to_have_text(["Renew passport"])


def test_a_todo_edited_while_its_create_is_on_its_way_keeps_the_edit_and_the_typing(context, live_server, local_aws):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "slow@example.com")
    held: list[Route] = []

    def hold_the_create(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # answered below, once the user is editing (a slow network)
        else:
            route.continue_()

    page.route("**/api/todos/", hold_the_create)
    with page.expect_request(lambda request: request.method == "POST"):
        add(page, "Buy milk")
    page.get_by_role("button", name="Edit Buy milk").click()
    page.get_by_label("New title for Buy milk").fill("Buy oat milk")
    assert len(held) == 1  # the create is on its way ...
    held[0].continue_()  # ... and arrives while the user types: the list is drawn again
    saved(page)

    # The open form and the typing in it survive the redraw, and Save edits the created to-do.
    expect(page.get_by_label("New title for Buy milk")).to_be_focused()
    page.keyboard.type(" today")
    page.get_by_role("button", name="Save").click()
    expect(titles(page)).to_have_text(["Buy oat milk today"])
    saved(page)
    token = api_token(local_aws, "slow@example.com")
    assert [t["title"] for t in server_todos(live_server.url, token)] == ["Buy oat milk today"]
    assert errors == []


def test_a_change_from_another_device_drawn_while_the_user_types_an_edit_keeps_the_typing(
    context, live_server, local_aws
):
    errors: list[str] = []
    page = open_app(context, live_server.url, errors)
    sign_up_and_in(page, "typing@example.com")
    add(page, "Buy milk")
    add(page, "Call mum")
    saved(page)
    page.get_by_role("button", name="Edit Buy milk").click()
    expect(page.get_by_label("New title for Buy milk")).to_be_focused()

    # Another device renames the other to-do; this one draws it when it next syncs (back online).
    token = api_token(local_aws, "typing@example.com")
    other = next(t for t in server_todos(live_server.url, token) if t["title"] == "Call mum")
    answer = requests.patch(
        f"{live_server.url}/api/todos/{other['id']}/",
        json={"title": "Call mum back"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    context.set_offline(True)
    context.set_offline(False)
    expect(titles(page)).to_have_text(["Call mum back"])  # the row being edited shows its form

    # The user was typing all along: the keys still reach the open form, and Save keeps them.
    page.keyboard.press("End")
    page.keyboard.type(" and eggs")
    page.get_by_role("button", name="Save").click()
    expect(titles(page)).to_have_text(["Buy milk and eggs", "Call mum back"])
    saved(page)
    assert [t["title"] for t in server_todos(live_server.url, token)] == ["Buy milk and eggs", "Call mum back"]
    assert errors == []
