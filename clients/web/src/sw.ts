// The service worker: keeps the app shell so the app opens offline. Network first (a new build
// shows on the next online load), the cached copy when the network fails. API and AWS requests
// are not touched: the app keeps its own data and outbox in IndexedDB.
declare const BUILD: string; // the build's hash (build.mjs)
declare const SHELL: string[]; // every file of the build, and the config (build.mjs)
const worker = self as unknown as ServiceWorkerGlobalScope;

const CACHE = `mytodolist-shell-${BUILD}`;

worker.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(worker.registration.scope);
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          void caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return answer;
      })
      .catch(async () => (await caches.match(event.request, { ignoreSearch: true })) ?? Response.error()),
  );
});

export {};
