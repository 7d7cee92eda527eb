// `npm run build` (and `prepare`, so `npm ci` builds): compile src/ to dist/ with tsc, copy the web
// templates and assets next to the compiled pages, and stamp dist/.built with the time the build began,
// which bin/skytom.js compares with the sources' times. Without TypeScript (an install without dev
// dependencies) nothing is built and bin/skytom.js runs the sources through tsx.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, URL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  console.log("skytom build: TypeScript is not installed; skytom will run its sources through tsx");
  process.exit(0);
}
const began = new Date();
rmSync(`${root}dist`, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", `${root}tsconfig.build.json`], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const dir of ["web/templates", "web/assets"]) {
  mkdirSync(`${root}dist/${dir}`, { recursive: true });
  cpSync(`${root}src/${dir}`, `${root}dist/${dir}`, { recursive: true });
}
writeFileSync(`${root}dist/.built`, `${began.toISOString()}\n`);
utimesSync(`${root}dist/.built`, began, began);
