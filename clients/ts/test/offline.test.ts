// What the wrapper does with answers a local server cannot easily produce: a 503 with
// Retry-After, a gateway's non-JSON error, and Link headers in their several spellings.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, createTodoClient, nextCursor, ServiceUnavailable } from "../src/index.js";

function answering(status: number, body: string, headers: Record<string, string> = {}): typeof fetch {
  return async () => new Response(body, { status, headers });
}

test("a 503 is a ServiceUnavailable with the seconds of Retry-After", async () => {
  const body = JSON.stringify({ error: { code: "service_unavailable", message: "Busy.", fields: {} } });
  const client = createTodoClient({
    baseUrl: "http://api.invalid",
    token: "t",
    fetch: answering(503, body, { "Content-Type": "application/json", "Retry-After": "5" }),
  });

  const failure = await client.listTodos().catch((error: unknown) => error);

  assert.ok(failure instanceof ServiceUnavailable);
  assert.equal(failure.status, 503);
  assert.equal(failure.code, "service_unavailable");
  assert.equal(failure.message, "Busy.");
  assert.equal(failure.retryAfterSeconds, 5);
});

test("an error that is not the API's JSON shape still becomes an ApiError with its status", async () => {
  const client = createTodoClient({
    baseUrl: "http://api.invalid",
    token: "t",
    fetch: answering(502, "Bad Gateway", { "Content-Type": "text/plain" }),
  });

  const failure = await client.getTodo("x").catch((error: unknown) => error);

  assert.ok(failure instanceof ApiError);
  assert.equal(failure.status, 502);
  assert.equal(failure.code, "http_502");
  assert.equal(failure.message, "Bad Gateway");
});

test("the token is sent as a bearer token, fetched again for each call when it is a function", async () => {
  const seen: string[] = [];
  let issued = 0;
  const client = createTodoClient({
    baseUrl: "http://api.invalid/",
    token: async () => `token-${++issued}`,
    fetch: async (input) => {
      const request = input as Request;
      seen.push(`${request.url} ${request.headers.get("Authorization")}`);
      return new Response("[]", { status: 200, headers: { "Content-Type": "application/json" } });
    },
  });

  await client.listTodos({ limit: 2 });
  await client.listTodos();

  assert.deepEqual(seen, [
    "http://api.invalid/api/todos/?limit=2 Bearer token-1",
    "http://api.invalid/api/todos/ Bearer token-2",
  ]);
});

test("the next cursor is read from the rel=next link whatever else the header holds", () => {
  assert.equal(nextCursor('<https://a.example/api/todos/?cursor=abc%3D&limit=2>; rel="next"'), "abc=");
  assert.equal(nextCursor('</api/todos/?cursor=p1>; rel="prev", </api/todos/?cursor=n2>; rel=next'), "n2");
  assert.equal(nextCursor('</x?cursor=a,b>; title="x, y"; rel="first next"'), "a,b");
  assert.equal(nextCursor('</api/todos/?cursor=p1>; rel="prev"'), null);
  assert.equal(nextCursor(null), null);
  assert.equal(nextCursor(""), null);
});
