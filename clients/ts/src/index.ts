// The MyToDoList API for TypeScript apps. The request and answer types are generated from the
// API's OpenAPI schema (src/generated/schema.ts, `make sdk`); openapi-fetch checks every call
// against them. This wrapper adds what a schema cannot say: errors as typed exceptions, the
// ETag a write must send back in If-Match, and paging by the Link header.
import createClient, { type Client } from "openapi-fetch";

import type { components, paths } from "./generated/schema.js";

export type { components, paths };
type Schemas = components["schemas"];
export type Todo = Schemas["TodoOutput"];
export type TodoInput = Schemas["TodoInput"];
export type TodoChanges = Schemas["PatchedTodoInput"];
export type StoredFile = Schemas["FileOutput"];
export type UploadInput = Schemas["UploadInput"];
export type PresignedUpload = Schemas["PresignedUpload"];
export type Me = Schemas["Me"];
export type ErrorBody = Schemas["Error"];

/** Any answer that is not a success: `status`, and the API's `code`, `message` and `fields`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string[]>;

  constructor(status: number, code: string, message: string, fields: Record<string, string[]> = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** 401: no token, or one the API does not accept (expired, revoked, another pool's): sign in again. */
export class Unauthorized extends ApiError {}

/** 404: no such to-do or file, or another user's (the API never says which). */
export class NotFound extends ApiError {}

/** 412: the to-do changed since its ETag was read; read it again and decide. */
export class PreconditionFailed extends ApiError {}

/** 503: a dependency is busy or down; try again after `retryAfterSeconds`. */
export class ServiceUnavailable extends ApiError {
  readonly retryAfterSeconds: number | null;

  constructor(code: string, message: string, fields: Record<string, string[]>, retryAfterSeconds: number | null) {
    super(503, code, message, fields);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A value with the ETag to send back (If-Match) when changing or deleting it. */
export interface Tagged<T> {
  value: T;
  etag: string;
}

/** One page, and the cursor of the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

export interface ClientOptions {
  /** Where the API is served, e.g. `https://todo.example.com` (no trailing `/api`). */
  baseUrl: string;
  /** A Cognito access token, or a function that returns a fresh one before each call. */
  token: string | (() => string | Promise<string>);
  /** Another fetch (tests, or a platform without a global one). */
  fetch?: typeof globalThis.fetch;
}

/** The cursor of the `rel="next"` link of an RFC 8288 Link header, or null. */
export function nextCursor(link: string | null | undefined): string | null {
  for (const entry of (link ?? "").split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(entry);
    if (match === null) continue;
    const [, target = "", params = ""] = match;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(params);
    const relation = rels?.[1] ?? rels?.[2] ?? "";
    if (relation.split(/\s+/).includes("next")) {
      return new URL(target, "http://relative.invalid").searchParams.get("cursor");
    }
  }
  return null;
}

/** The typed exception for a failed answer, from the API's JSON error shape when it has one. */
export function errorFor(response: Response, body: unknown): ApiError {
  const detail = isErrorBody(body) ? body.error : null;
  const code = detail?.code ?? `http_${response.status}`;
  const message = detail?.message ?? (typeof body === "string" && body ? body : response.statusText);
  const fields = detail?.fields ?? {};
  switch (response.status) {
    case 401:
      return new Unauthorized(401, code, message, fields);
    case 404:
      return new NotFound(404, code, message, fields);
    case 412:
      return new PreconditionFailed(412, code, message, fields);
    case 503: {
      const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      return new ServiceUnavailable(code, message, fields, Number.isNaN(seconds) ? null : seconds);
    }
    default:
      return new ApiError(response.status, code, message, fields);
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const detail = (body as { error: unknown }).error;
  return typeof detail === "object" && detail !== null && typeof (detail as { code?: unknown }).code === "string";
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful answer; a typed exception otherwise. */
function unwrap<T>({ data, error, response }: Answer<T>): T {
  if (!response.ok || data === undefined) throw errorFor(response, error);
  return data;
}

function tagged<T>(answer: Answer<T>): Tagged<T> {
  const value = unwrap(answer);
  const etag = answer.response.headers.get("ETag");
  if (etag === null) throw new ApiError(answer.response.status, "no_etag", "The answer carried no ETag.");
  return { value, etag };
}

function paged<T>(answer: Answer<T[]>): Page<T> {
  return { items: unwrap(answer), next: nextCursor(answer.response.headers.get("Link")) };
}

/** Every item of every page, one page request at a time. */
async function* everyItem<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
}

export class TodoClient {
  /** The generated client itself, for calls this wrapper does not cover. */
  readonly raw: Client<paths>;

  constructor(options: ClientOptions) {
    const { token } = options;
    this.raw = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/$/, ""), fetch: options.fetch });
    this.raw.use({
      async onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
        return request;
      },
    });
  }

  async listTodos(options: PageOptions = {}): Promise<Page<Todo>> {
    return paged(await this.raw.GET("/api/todos/", { params: { query: options } }));
  }

  /** Every to-do, by `order` then creation, following the Link header page by page. */
  allTodos(limit?: number): AsyncGenerator<Todo> {
    return everyItem((cursor) => this.listTodos({ limit, cursor }));
  }

  async getTodo(id: string): Promise<Tagged<Todo>> {
    return tagged(await this.raw.GET("/api/todos/{todo_id}/", { params: { path: { todo_id: id } } }));
  }

  async createTodo(input: TodoInput): Promise<Tagged<Todo>> {
    return tagged(await this.raw.POST("/api/todos/", { body: input }));
  }

  /** Change some fields, only if the to-do is still the version `ifMatch` names (else PreconditionFailed). */
  async updateTodo(id: string, changes: TodoChanges, ifMatch: string): Promise<Tagged<Todo>> {
    const params = { path: { todo_id: id }, header: { "If-Match": ifMatch } };
    return tagged(await this.raw.PATCH("/api/todos/{todo_id}/", { params, body: changes }));
  }

  /** Set every field (omitted ones to their defaults), only if still the version `ifMatch` names. */
  async replaceTodo(id: string, input: TodoInput, ifMatch: string): Promise<Tagged<Todo>> {
    const params = { path: { todo_id: id }, header: { "If-Match": ifMatch } };
    return tagged(await this.raw.PUT("/api/todos/{todo_id}/", { params, body: input }));
  }

  /** Delete a to-do; with `ifMatch`, only if it is still that version. */
  async deleteTodo(id: string, ifMatch?: string): Promise<void> {
    const header = ifMatch === undefined ? undefined : { "If-Match": ifMatch };
    const { error, response } = await this.raw.DELETE("/api/todos/{todo_id}/", {
      params: { path: { todo_id: id }, header },
    });
    if (!response.ok) throw errorFor(response, error);
  }

  async deleteAllTodos(): Promise<void> {
    const { error, response } = await this.raw.DELETE("/api/todos/");
    if (!response.ok) throw errorFor(response, error);
  }

  /** Who you are, and the bucket, prefix and pools the app needs to use its S3 folder. */
  async me(): Promise<Me> {
    return unwrap(await this.raw.GET("/api/me/"));
  }

  async listFiles(options: PageOptions = {}): Promise<Page<StoredFile>> {
    return paged(await this.raw.GET("/api/files/", { params: { query: options } }));
  }

  allFiles(limit?: number): AsyncGenerator<StoredFile> {
    return everyItem((cursor) => this.listFiles({ limit, cursor }));
  }

  /** A presigned POST into your folder: send `fields` and then the file as form data to `url`. */
  async presignUpload(input: UploadInput = {}): Promise<PresignedUpload> {
    return unwrap(await this.raw.POST("/api/files/uploads", { body: input }));
  }

  async deleteFile(path: string): Promise<void> {
    const { error, response } = await this.raw.DELETE("/api/files/{path}", { params: { path: { path } } });
    if (!response.ok) throw errorFor(response, error);
  }
}

export function createTodoClient(options: ClientOptions): TodoClient {
  return new TodoClient(options);
}
