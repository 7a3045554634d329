// The client against a running API (tests/test_sdk_typescript.py serves the app with a real
// Cognito token from the local endpoint): TODO_API_URL, TODO_API_TOKEN.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, createTodoClient, NotFound, PreconditionFailed, Unauthorized, type Todo } from "../src/index.js";

const baseUrl = process.env.TODO_API_URL;
const token = process.env.TODO_API_TOKEN;
if (!baseUrl || !token) throw new Error("Set TODO_API_URL and TODO_API_TOKEN (tests/test_sdk_typescript.py does).");
const client = createTodoClient({ baseUrl, token });

test("to-dos are created, read, changed and deleted, each write with the ETag it was given", async () => {
  const created = await client.createTodo({ title: "Buy milk", order: 1 });
  assert.equal(created.value.title, "Buy milk");
  assert.equal(created.value.completed, false);
  assert.equal(created.etag, `"${created.value.version}"`);

  const read = await client.getTodo(created.value.id);
  assert.deepEqual(read, created);

  const changed = await client.updateTodo(created.value.id, { completed: true }, read.etag);
  assert.equal(changed.value.completed, true);
  assert.equal(changed.value.version, created.value.version + 1);
  assert.notEqual(changed.etag, read.etag);

  const replaced = await client.replaceTodo(created.value.id, { title: "Buy oat milk" }, changed.etag);
  assert.equal(replaced.value.title, "Buy oat milk");
  assert.equal(replaced.value.completed, false);

  await client.deleteTodo(created.value.id, replaced.etag);
  await assert.rejects(client.getTodo(created.value.id), (error: unknown) => {
    assert.ok(error instanceof NotFound);
    assert.equal(error.code, "not_found");
    return true;
  });
});

test("a write with a stale ETag is refused with PreconditionFailed and changes nothing", async () => {
  const { value, etag } = await client.createTodo({ title: "Shared" });
  const theirs = await client.updateTodo(value.id, { title: "Their edit" }, etag);

  const stale = client.updateTodo(value.id, { title: "My edit" }, etag);

  await assert.rejects(stale, (error: unknown) => {
    assert.ok(error instanceof PreconditionFailed);
    assert.equal(error.status, 412);
    assert.equal(error.code, "precondition_failed");
    return true;
  });
  assert.deepEqual(await client.getTodo(value.id), theirs);
  await assert.rejects(client.deleteTodo(value.id, etag), PreconditionFailed);
  await client.deleteTodo(value.id, theirs.etag);
});

test("paging follows the Link header until the last page", async () => {
  await client.deleteAllTodos();
  const titles = ["a", "b", "c", "d", "e"];
  for (const [order, title] of titles.entries()) await client.createTodo({ title, order });

  const first = await client.listTodos({ limit: 2 });
  const seen: Todo[] = [];
  for await (const todo of client.allTodos(2)) seen.push(todo);

  assert.deepEqual(
    first.items.map((todo) => todo.title),
    ["a", "b"],
  );
  assert.ok(first.next);
  assert.deepEqual(
    seen.map((todo) => todo.title),
    titles,
  );
  const last = await client.listTodos({ limit: 2, cursor: (await client.listTodos({ limit: 4 })).next ?? "" });
  assert.deepEqual(
    last.items.map((todo) => todo.title),
    ["e"],
  );
  assert.equal(last.next, null);
  await client.deleteAllTodos();
  assert.deepEqual((await client.listTodos()).items, []);
});

test("a bad field is an ApiError with the API's message per field", async () => {
  await assert.rejects(client.createTodo({ title: "" }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, "invalid");
    assert.deepEqual(Object.keys(error.fields), ["title"]);
    return true;
  });
});

test("a token the API does not accept is refused with Unauthorized", async () => {
  const stranger = createTodoClient({ baseUrl, token: "not-a-token" });

  await assert.rejects(stranger.listTodos(), (error: unknown) => {
    assert.ok(error instanceof Unauthorized);
    assert.equal(error.status, 401);
    return true;
  });
});

test("me names the user's folder, and the file listing starts empty", async () => {
  const me = await client.me();

  assert.equal(me.storage.prefix, `users/${me.sub}/`);
  assert.deepEqual((await client.listFiles()).items, []);
});
