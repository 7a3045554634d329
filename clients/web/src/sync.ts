// The to-dos on this device and the changes not yet sent. Every change shows at once (optimistic)
// and waits in an outbox kept in IndexedDB, so it survives a reload while offline; the outbox is
// sent in order whenever the API can be reached, each write with the If-Match of the version the
// change was made to. A 412 means someone else changed it first: the user picks a version.
import { clear, createStore, get, set, type UseStore } from "idb-keyval";
import {
  ApiError,
  NotFound,
  PreconditionFailed,
  type Tagged,
  type Todo,
  type TodoChanges,
  type TodoClient,
  type TodoInput,
} from "mytodolist-client";

export interface Item {
  todo: Todo;
  /** The version's ETag; null until a to-do made here is created on the server. */
  etag: string | null;
}

/** A change to send. Updates and deletes are sent with the If-Match of the version this device
 * last had from the server (the item's, or the deleted item's), read when the change is sent. */
export type Op =
  | { kind: "create"; id: string; input: TodoInput; triedAt?: string }
  | { kind: "update"; id: string; changes: TodoChanges }
  | { kind: "delete"; id: string };

/** What the user chose when their change met someone else's: send theirs again over it, or keep the other. */
export type Choice = "mine" | "theirs";

/** Asks the user: `mine` is their own version (null when they deleted it), `theirs` the server's. */
export type Resolver = (mine: Todo | null, theirs: Todo) => Promise<Choice>;

interface Saved {
  items: Item[];
  removed: Item[];
  outbox: Op[];
}

const LOCAL = "local-";
const CLOCK_MARGIN_MS = 5 * 60 * 1000;

function byOrder(a: Item, b: Item): number {
  return a.todo.order - b.todo.order || a.todo.created_at.localeCompare(b.todo.created_at);
}

/** A request that never reached the API (offline, DNS, connection refused): try again later. */
function unreachable(error: unknown): boolean {
  return error instanceof TypeError;
}

export class TodoSync {
  private items = new Map<string, Item>();
  /** Deleted here, the delete not sent yet: the version it was deleted at. */
  private removed = new Map<string, Item>();
  private outbox: Op[] = [];
  /** The change being sent: nothing merges into it any more. */
  private sending: Op | null = null;
  private flushing: Promise<void> | null = null;
  /** The server's id of each to-do created from here: a screen drawn before the create's answer
   * still names the local id, and a change made there must reach the created to-do. */
  private created = new Map<string, string>();
  private again = false;
  private readonly db: UseStore;

  constructor(
    private readonly api: TodoClient,
    owner: string,
    private readonly resolve: Resolver,
    private readonly changed: () => void,
    private readonly failed: (message: string) => void,
  ) {
    this.db = createStore(`mytodolist-${owner}`, "state");
  }

  list(): Item[] {
    return [...this.items.values()].sort(byOrder);
  }

  /** The id a to-do has now: the server's once a to-do made here is created. edit, remove and
   * move take the id the screen shows, which may be the local one it was drawn with. */
  idOf(id: string): string {
    return this.created.get(id) ?? id;
  }

  get waiting(): number {
    return this.outbox.length;
  }

  /** What this device kept (to-dos and unsent changes), shown before the API answers. */
  async restore(): Promise<void> {
    const saved = await get<Saved>("saved", this.db);
    if (saved) {
      this.items = new Map(saved.items.map((item) => [item.todo.id, item]));
      this.removed = new Map((saved.removed ?? []).map((item) => [item.todo.id, item]));
      this.outbox = saved.outbox;
    }
    this.changed();
  }

  private async save(): Promise<void> {
    const saved: Saved = { items: [...this.items.values()], removed: [...this.removed.values()], outbox: this.outbox };
    await set("saved", saved, this.db);
    this.changed();
  }

  /** Forgets this user's to-dos and unsent changes on this device (sign-out: the device may be shared). */
  async forget(): Promise<void> {
    this.items.clear();
    this.removed.clear();
    this.created.clear();
    this.outbox = [];
    await clear(this.db);
  }

  /** The server's to-dos, keeping this device's version of any with a change still to send. */
  async refresh(): Promise<void> {
    const fresh = new Map<string, Item>();
    for await (const todo of this.api.allTodos(100)) fresh.set(todo.id, { todo, etag: null });
    // The list carries no ETags; each to-do's version is its `version`, and its ETag is read
    // when it is first written (below, `etagOf`).
    for (const op of this.outbox) {
      const local = this.items.get(op.id);
      if (op.kind === "delete") fresh.delete(op.id);
      else if (local) fresh.set(op.id, local);
    }
    for (const [id, item] of fresh) {
      const known = this.items.get(id);
      if (known && known.todo.version === item.todo.version) item.etag = known.etag;
    }
    this.items = fresh;
    await this.save();
  }

  /** The ETag of the version this device shows: known, or read (only if the server still has that version). */
  private async etagOf(id: string): Promise<string> {
    const item = this.items.get(id) ?? this.removed.get(id);
    if (!item) throw new Error(`No to-do ${id}.`);
    if (item.etag) return item.etag;
    const read = await this.api.getTodo(id);
    // A newer version on the server is a conflict: keep an ETag that will be refused (412), so
    // the user sees both versions rather than overwriting one they never saw.
    item.etag = read.value.version === item.todo.version ? read.etag : `"stale-${item.todo.version}"`;
    return item.etag;
  }

  add(title: string): void {
    const now = new Date().toISOString();
    const order = Math.max(0, ...this.list().map((item) => item.todo.order + 1));
    const id = LOCAL + crypto.randomUUID();
    const todo: Todo = { id, url: "", title, completed: false, order, created_at: now, updated_at: now, version: 0 };
    this.items.set(id, { todo, etag: null });
    this.queue({ kind: "create", id, input: { title, completed: false, order } });
  }

  edit(shownId: string, changes: TodoChanges): void {
    const id = this.idOf(shownId);
    const item = this.items.get(id);
    if (!item) return;
    item.todo = { ...item.todo, ...changes };
    this.queue({ kind: "update", id, changes });
  }

  remove(shownId: string): void {
    const id = this.idOf(shownId);
    const item = this.items.get(id);
    if (!item) return;
    this.items.delete(id);
    this.removed.set(id, item);
    this.queue({ kind: "delete", id });
  }

  /** Moves a to-do one place up (-1) or down (+1), renumbering only what changes. */
  move(shownId: string, step: -1 | 1): void {
    const id = this.idOf(shownId);
    const list = this.list();
    const from = list.findIndex((item) => item.todo.id === id);
    const to = from + step;
    if (from < 0 || to < 0 || to >= list.length) return;
    const [moved] = list.splice(from, 1);
    if (moved) list.splice(to, 0, moved);
    list.forEach((item, position) => {
      if (item.todo.order !== position) this.edit(item.todo.id, { order: position });
    });
  }

  /** One change per to-do in the outbox: a later change merges into the one still waiting. */
  private queue(op: Op): void {
    const index = this.outbox.findIndex((waiting) => waiting.id === op.id && waiting !== this.sending);
    const waiting = this.outbox[index];
    if (waiting === undefined) {
      this.outbox.push(op);
    } else if (op.kind === "update" && waiting.kind === "create") {
      waiting.input = { ...waiting.input, ...op.changes } as TodoInput;
    } else if (op.kind === "update" && waiting.kind === "update") {
      waiting.changes = { ...waiting.changes, ...op.changes };
    } else if (op.kind === "delete" && waiting.kind === "create") {
      this.outbox.splice(index, 1);
      this.removed.delete(op.id);
    } else if (op.kind === "delete" && waiting.kind === "update") {
      this.outbox[index] = op;
    }
    this.changed(); // shown at once; kept on the device, then sent
    void this.save().then(() => this.flush());
  }

  /** Sends the outbox, one change at a time, until it is empty or the API cannot be reached. */
  flush(): Promise<void> {
    if (this.flushing !== null) {
      this.again = true; // queued while a flush runs, perhaps past its last look at the outbox
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this.sendAll();
      } while (this.again);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async sendAll(): Promise<void> {
    while (this.outbox.length > 0) {
      const op = this.outbox[0] as Op;
      this.sending = op;
      try {
        await this.send(op);
      } catch (error) {
        if (unreachable(error)) {
          console.warn("Not sent now, kept for later:", error);
          this.sending = null;
          return; // offline: the outbox waits for the next `online`
        }
        // Anything else (a refused title, a 404 of a to-do deleted elsewhere): this change cannot
        // be made; drop it and show the server's state.
        this.failed(error instanceof Error ? error.message : String(error));
      }
      this.outbox.shift();
      this.sending = null;
      if (op.kind === "delete") this.removed.delete(op.id);
      await this.save();
    }
    try {
      await this.refresh();
    } catch (error) {
      if (!unreachable(error)) this.failed(error instanceof Error ? error.message : String(error));
    }
  }

  /** The server's answer to a change, with the changes made here since it was sent on top. */
  private settle(id: string, todo: Todo, etag: string): void {
    const later = this.outbox.filter((op) => op.id === id && op !== this.sending);
    const item = { todo, etag };
    for (const op of later) if (op.kind === "update") item.todo = { ...item.todo, ...op.changes };
    if (this.removed.has(id)) this.removed.set(id, item);
    else this.items.set(id, item);
  }

  private async send(op: Op): Promise<void> {
    if (op.kind === "create") {
      // A create whose answer was lost (the connection dropped) may have been made: take that one.
      const made = op.triedAt === undefined ? null : await this.madeBy(op, op.triedAt);
      op.triedAt = new Date().toISOString();
      await this.save();
      const created = made ?? (await this.api.createTodo(op.input));
      const id = created.value.id;
      this.created.set(op.id, id);
      // Changes made while it was being created now name the created to-do.
      for (const later of this.outbox) if (later.id === op.id && later !== op) later.id = id;
      const wasRemoved = this.removed.delete(op.id);
      this.items.delete(op.id);
      if (wasRemoved) this.removed.set(id, { todo: created.value, etag: null });
      this.settle(id, created.value, created.etag);
      return;
    }
    const etag = await this.etagOf(op.id);
    try {
      if (op.kind === "update") {
        const updated = await this.api.updateTodo(op.id, op.changes, etag);
        this.settle(op.id, updated.value, updated.etag);
      } else {
        await this.api.deleteTodo(op.id, etag);
      }
    } catch (error) {
      if (error instanceof NotFound && op.kind === "delete") return; // already gone
      if (!(error instanceof PreconditionFailed)) throw error;
      await this.conflict(op);
    }
  }

  /** The to-do an earlier try of `op` created, if the server has one this device does not know:
   * same title and order, created since that try (less a margin for this device's clock). */
  private async madeBy(op: Extract<Op, { kind: "create" }>, triedAt: string): Promise<Tagged<Todo> | null> {
    const since = Date.parse(triedAt) - CLOCK_MARGIN_MS;
    for await (const todo of this.api.allTodos(100)) {
      const known = this.items.has(todo.id) || this.removed.has(todo.id);
      if (!known && todo.title === op.input.title && todo.order === op.input.order && Date.parse(todo.created_at) >= since) {
        return this.api.getTodo(todo.id);
      }
    }
    return null;
  }

  /** Someone changed the to-do first: show both versions; write mine over theirs, or take theirs. */
  private async conflict(op: Exclude<Op, { kind: "create" }>): Promise<void> {
    let latest;
    try {
      latest = await this.api.getTodo(op.id);
    } catch (error) {
      if (error instanceof NotFound) {
        this.items.delete(op.id); // deleted elsewhere: nothing left to keep
        return;
      }
      throw error;
    }
    const mine = op.kind === "update" ? (this.items.get(op.id)?.todo ?? null) : null;
    const choice = await this.resolve(mine, latest.value);
    if (choice === "theirs") {
      this.removed.delete(op.id);
      this.items.set(op.id, { todo: latest.value, etag: latest.etag });
      return;
    }
    if (op.kind === "update") {
      const updated = await this.api.updateTodo(op.id, op.changes, latest.etag);
      this.settle(op.id, updated.value, updated.etag);
    } else {
      await this.api.deleteTodo(op.id, latest.etag);
    }
  }
}

export { ApiError };
