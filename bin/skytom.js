#!/usr/bin/env node
// The skytom command. Runs the compiled JavaScript in dist/ when it is there and not older than the
// sources (`npm ci` builds it through the `prepare` script; `npm run build` does too), else the
// TypeScript sources through tsx — so it works right after `npm ci` and while the sources are edited.
// SKYTOM_RUN_SOURCES=1 always runs the sources. Compiled, a start is faster and lighter (no esbuild):
// see docs/performance.md.
import { root, runCompiled } from "./compiled.js";

const compiled = `${root}dist/cli/main.js`;

if (runCompiled()) {
  await import(compiled);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
