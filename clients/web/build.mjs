// Builds the app into dist/: src/main.ts -> app.js and src/sw.ts -> sw.js (bundled and minified
// by esbuild, no CDN at run time), and public/ copied as is. The service worker's cache name
// carries a hash of the build, so a new build replaces the cached shell.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

import { build } from "esbuild";

const dist = new URL("dist/", import.meta.url).pathname;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
cpSync(new URL("public/", import.meta.url).pathname, dist, { recursive: true });

const common = { bundle: true, minify: true, sourcemap: false, target: "es2022", legalComments: "none", logLevel: "warning" };
await build({
  ...common,
  entryPoints: { app: "src/main.ts" },
  outdir: dist,
  // The AWS SDK (attachments) loads only once signed in: the sign-in page stays small.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "browser",
  // amazon-cognito-identity-js reads `global` (a Node name) in places.
  define: { global: "globalThis" },
});
// Everything built so far is the shell the service worker keeps (the page is "./").
const shell = readdirSync(dist, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name !== "index.html")
  .map((entry) => `${entry.parentPath.slice(dist.length)}${entry.parentPath === dist ? "" : "/"}${entry.name}`.replace(/^\//, ""))
  .sort();
const hash = createHash("sha256");
for (const file of shell) hash.update(file).update(readFileSync(dist + file));
hash.update(readFileSync(`${dist}index.html`));
await build({
  ...common,
  entryPoints: ["src/sw.ts"],
  outfile: `${dist}sw.js`,
  format: "iife",
  platform: "browser",
  define: {
    BUILD: JSON.stringify(hash.digest("hex").slice(0, 12)),
    SHELL: JSON.stringify(["./", "config.json", ...shell]),
  },
});
