// Whether dist/ can run instead of the TypeScript sources: shared by bin/skytom.js and the test suite's
// slow worker (test/helpers/slow-worker.mjs), which start skytom code the same way.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";

/** The package's root directory, with a trailing slash. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * True when dist/ was built from the sources as they are (its stamp is not older than any of them) and
 * SKYTOM_RUN_SOURCES=1 does not ask for the sources.
 */
export function runCompiled() {
  if (process.env.SKYTOM_RUN_SOURCES === "1") return false;
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
