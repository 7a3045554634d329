// The MyToDoList web app: sign-in, the to-do list (through the TypeScript SDK, clients/ts),
// conflicts, offline changes and attachments. Plain DOM; no inline script or style (the CSP).
import { createTodoClient, type Todo } from "mytodolist-client";

import { Auth } from "./auth.js";
import { loadConfig, type AppConfig } from "./config.js";
import type { Attachment, Attachments } from "./files.js";
import { type Choice, TodoSync } from "./sync.js";

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { attrs?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const { attrs, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing from index.html`);
  return found as T;
}

const status = byId<HTMLParagraphElement>("status");
const main = byId<HTMLElement>("main");
const signOutButton = byId<HTMLButtonElement>("sign-out");
const dialog = byId<HTMLDialogElement>("conflict");

function say(message: string): void {
  status.textContent = message;
}

function describe(todo: Todo | null): string {
  if (todo === null) return "Deleted";
  return `${todo.title}${todo.completed ? " (done)" : ""}`;
}

/** Shows both versions of a to-do and waits for the user's choice. */
function askWhichVersion(mine: Todo | null, theirs: Todo): Promise<Choice> {
  byId("conflict-mine").textContent = describe(mine);
  byId("conflict-theirs").textContent = describe(theirs);
  dialog.showModal();
  return new Promise((resolve) => {
    const choose = (choice: Choice) => () => {
      dialog.close();
      resolve(choice);
    };
    byId("keep-mine").onclick = choose("mine");
    byId("take-theirs").onclick = choose("theirs");
    dialog.oncancel = (event) => event.preventDefault(); // a choice is needed
  });
}

function showSignIn(auth: Auth, onSignedIn: () => void): void {
  signOutButton.hidden = true;
  const email = element("input", { type: "email", id: "email", name: "email", required: true, autocomplete: "username" });
  const password = element("input", {
    type: "password",
    id: "password",
    name: "password",
    required: true,
    minLength: 8,
    autocomplete: "current-password",
  });
  const code = element("input", { id: "code", name: "code", inputMode: "numeric", autocomplete: "one-time-code" });
  const codeRow = element("p", { hidden: true }, element("label", { htmlFor: "code" }, "Confirmation code (emailed to you)"), code);
  const signIn = element("button", { type: "submit" }, "Sign in");
  const signUp = element("button", { type: "button", className: "secondary" }, "Create account");
  const form = element(
    "form",
    { className: "card" },
    element("h2", {}, "Sign in"),
    element("p", {}, element("label", { htmlFor: "email" }, "Email"), email),
    element("p", {}, element("label", { htmlFor: "password" }, "Password"), password),
    codeRow,
    element("p", { className: "actions" }, signIn, signUp),
  );
  const run = (work: () => Promise<void>) => () => {
    if (!form.reportValidity()) return;
    work().catch((error: unknown) => say(error instanceof Error ? error.message : String(error)));
  };
  form.onsubmit = (event) => {
    event.preventDefault();
    run(async () => {
      if (!codeRow.hidden) await auth.confirm(email.value, code.value.trim());
      await auth.signIn(email.value, password.value);
      say("Signed in.");
      onSignedIn();
    })();
  };
  signUp.onclick = run(async () => {
    await auth.signUp(email.value, password.value);
    codeRow.hidden = false;
    code.required = true;
    signIn.textContent = "Confirm and sign in";
    say("Account created. Enter the code we emailed you.");
    code.focus();
  });
  main.replaceChildren(form);
}

/** The to-dos whose files are shown: the list is drawn again on every change, and stays as it was. */
const filesShown = new Set<string>();

function attachmentsOf(todo: Todo, files: Attachments): HTMLDetailsElement {
  const list = element("ul", { className: "files" });
  const input = element("input", { type: "file", id: `file-${todo.id}` });
  const details = element(
    "details",
    {},
    element("summary", {}, "Files"),
    list,
    element("label", { htmlFor: input.id }, `Attach a file to ${todo.title}`),
    input,
  );
  const load = async () => {
    const found = await files.list(todo.id);
    list.replaceChildren(...found.map((file) => fileRow(file, files, load)));
    if (found.length === 0) list.append(element("li", {}, "No files."));
  };
  details.ontoggle = () => {
    if (details.open) filesShown.add(todo.id);
    else filesShown.delete(todo.id);
    if (details.open) load().catch((error: unknown) => say(`Files: ${String(error)}`));
  };
  details.open = filesShown.has(todo.id);
  input.onchange = () => {
    const file = input.files?.[0];
    if (!file) return;
    say(`Uploading ${file.name} ...`);
    files
      .upload(todo.id, file)
      .then(load)
      .then(() => say(`Attached ${file.name}.`))
      .catch((error: unknown) => say(`Upload: ${error instanceof Error ? error.message : String(error)}`));
  };
  return details;
}

function fileRow(file: Attachment, files: Attachments, reload: () => Promise<void>): HTMLLIElement {
  const open = element("button", { type: "button", className: "link" }, file.name);
  open.onclick = async () => {
    const blob = await files.download(file);
    const link = element("a", { href: URL.createObjectURL(blob), download: file.name });
    link.click();
    URL.revokeObjectURL(link.href);
  };
  const remove = element("button", { type: "button", className: "secondary" }, "Delete");
  remove.setAttribute("aria-label", `Delete file ${file.name}`);
  remove.onclick = () => void files.remove(file).then(reload);
  return element("li", {}, open, ` ${file.size} bytes `, remove);
}

let stopListening: (() => void) | null = null;

async function showTodos(config: AppConfig, auth: Auth, onSignedOut: () => void): Promise<void> {
  const api = createTodoClient({ baseUrl: config.apiOrigin || location.origin, token: () => auth.accessToken() });
  const session = await auth.session();
  const sub = String(session?.getIdToken().decodePayload()["sub"] ?? "");
  // Loaded here, not at start: the AWS SDK is most of the app's code, and signing in needs none of it.
  const { Attachments } = await import("./files.js");
  const files = new Attachments(config, api, () => auth.idToken(), `users/${sub}/`);
  let editing: string | null = null;
  let editor: { id: string; form: HTMLFormElement } | null = null;
  const editForm = (todo: Todo): HTMLFormElement => {
    const input = element("input", { value: todo.title, id: `edit-${todo.id}`, required: true, maxLength: 500 });
    const form = element(
      "form",
      { className: "edit" },
      element("label", { htmlFor: input.id, className: "visually-hidden" }, `New title for ${todo.title}`),
      input,
      element("button", { type: "submit" }, "Save"),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      editing = null;
      editor = null;
      const title = input.value.trim();
      if (title && title !== todo.title) sync.edit(todo.id, { title });
      else render();
    };
    queueMicrotask(() => input.focus());
    return form;
  };

  const title = element("input", { id: "new-title", name: "title", required: true, maxLength: 500, autocomplete: "off" });
  const addForm = element(
    "form",
    { className: "card add" },
    element("label", { htmlFor: "new-title" }, "New to-do"),
    title,
    element("button", { type: "submit" }, "Add"),
  );
  const list = element("ul", { id: "todos", className: "todos", attrs: { "aria-label": "To-dos" } });
  const pending = element("p", { id: "pending", attrs: { "aria-live": "polite" } });
  main.replaceChildren(addForm, pending, list);

  // The rows as last drawn and what each showed. A sync redraws the list at any moment; a row
  // that did not change stays in place: an input taken out of the page loses its focus, and what
  // the user types next goes nowhere (an open edit then saves the old title), and a button drawn
  // anew is not the one a press began on.
  let rows = new Map<string, { shown: string; node: HTMLLIElement }>();
  const isEditing = (todo: Todo): boolean => editing !== null && sync.idOf(editing) === todo.id;
  const render = () => {
    const waiting = sync.waiting;
    pending.textContent = waiting === 0 ? "All changes saved." : `${waiting} change${waiting === 1 ? "" : "s"} waiting to be sent.`;
    const focused = document.activeElement;
    rows = new Map(
      sync.list().map(({ todo }) => {
        const shown = JSON.stringify([todo.title, todo.completed, isEditing(todo)]);
        const kept = rows.get(todo.id);
        return [todo.id, kept?.shown === shown ? kept : { shown, node: row(todo) }];
      }),
    );
    const nodes = [...rows.values()].map(({ node }) => node);
    nodes.forEach((node, index) => {
      const there = list.children[index];
      if (there !== node) list.insertBefore(node, there ?? null);
    });
    while (list.children.length > nodes.length) list.lastElementChild?.remove();
    // An open edit form moves into its to-do's new row when the to-do changed under it (or was
    // created on the server): the user keeps typing where they were.
    if (focused instanceof HTMLElement && focused.isConnected && focused !== document.activeElement) focused.focus();
  };
  const sync = new TodoSync(api, sub, askWhichVersion, render, (message) => {
    console.error("A change could not be made:", message);
    say(message);
  });

  const row = (todo: Todo): HTMLLIElement => {
    const done = element("input", { type: "checkbox", id: `done-${todo.id}`, checked: todo.completed });
    done.onchange = () => sync.edit(todo.id, { completed: done.checked });
    const actions: HTMLElement[] = [];
    const button = (text: string, label: string, action: () => void) => {
      const made = element("button", { type: "button", className: "secondary" }, text);
      made.setAttribute("aria-label", label);
      made.onclick = action;
      actions.push(made);
    };
    let body: HTMLElement;
    if (isEditing(todo)) {
      // The same form across redraws (a sync may redraw the list while the user types), also
      // when the to-do it was opened on, made here, now has the server's id.
      if (editor === null || sync.idOf(editor.id) !== todo.id) editor = { id: todo.id, form: editForm(todo) };
      body = editor.form;
    } else {
      body = element("label", { htmlFor: done.id, className: todo.completed ? "title done" : "title" }, todo.title);
      button("Edit", `Edit ${todo.title}`, () => {
        editing = todo.id;
        render();
      });
    }
    button("↑", `Move ${todo.title} up`, () => sync.move(todo.id, -1));
    button("↓", `Move ${todo.title} down`, () => sync.move(todo.id, 1));
    button("Delete", `Delete ${todo.title}`, () => sync.remove(todo.id));
    const item = element("li", { className: "todo" }, element("div", { className: "line" }, done, body), element("div", { className: "actions" }, ...actions));
    if (!todo.id.startsWith("local-")) item.append(attachmentsOf(todo, files));
    item.dataset["id"] = todo.id;
    return item;
  };

  addForm.onsubmit = (event) => {
    event.preventDefault();
    const text = title.value.trim();
    if (!text) return;
    sync.add(text);
    title.value = "";
  };
  signOutButton.hidden = false;
  signOutButton.onclick = async () => {
    const waiting = sync.waiting;
    if (waiting > 0 && !confirm(`${waiting} change${waiting === 1 ? " is" : "s are"} not sent yet and will be lost. Sign out?`)) {
      return;
    }
    stopListening?.();
    stopListening = null;
    await sync.forget();
    auth.signOut();
    say("Signed out.");
    onSignedOut();
  };
  const online = () => {
    document.body.classList.toggle("offline", !navigator.onLine);
    say(navigator.onLine ? "" : "Offline: changes are kept and sent when you are back online.");
    if (navigator.onLine) void sync.flush();
  };
  // One signed-in user at a time: the previous one's listeners go with their list.
  stopListening?.();
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  stopListening = () => {
    window.removeEventListener("online", online);
    window.removeEventListener("offline", online);
  };
  await sync.restore();
  online();
  void sync.flush();
}

async function start(): Promise<void> {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch((error: unknown) => console.warn("No offline copy:", error));
  }
  const config = await loadConfig();
  const auth = new Auth(config);
  const signedOut = () => showSignIn(auth, () => void showTodos(config, auth, signedOut));
  if ((await auth.session()) === null) signedOut();
  else await showTodos(config, auth, signedOut);
}

start().catch((error: unknown) => say(`The app could not start: ${String(error)}`));
