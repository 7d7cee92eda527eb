/**
 * `npm run bench`: run every bench/*.bench.ts (or those named on the command line) in turn. Each prints
 * one JSON line per measurement. Benchmarks compare within one run; they are never test assertions.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
for (const f of files) {
  await import(pathToFileURL(join(dir, f)).href);
}
