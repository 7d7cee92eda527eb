#!/usr/bin/env node
// The skytom command. Runs the compiled JavaScript in dist/ when it is there and not older than the
// sources (`npm ci` builds it through the `prepare` script; `npm run build` does too), else the
// TypeScript sources through tsx — so it works right after `npm ci` and while the sources are edited.
// SKYTOM_RUN_SOURCES=1 always runs the sources. Compiled, a start is faster and lighter (no esbuild):
// see docs/performance.md.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const compiled = `${root}dist/cli/main.js`;

/** True when dist/ was built from the sources as they are (its stamp is not older than any of them). */
function compiledIsCurrent() {
  let built;
  try {
    built = statSync(`${root}dist/.built`).mtimeMs;
  } catch {
    return false;
  }
  for (const name of readdirSync(`${root}src`, { recursive: true })) {
    if (statSync(`${root}src/${name}`).mtimeMs > built) return false;
  }
  return true;
}

if (process.env.SKYTOM_RUN_SOURCES !== "1" && compiledIsCurrent()) {
  await import(compiled);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
