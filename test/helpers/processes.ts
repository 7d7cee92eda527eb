/**
 * skytom processes (`node bin/skytom.js …`) started by a test: output kept line by line, waits on log
 * lines, and a kill-all for afterAll — also registered on process exit, so a failed or interrupted run
 * leaves no orphans.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/skytom.js", import.meta.url));
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface SkytomProcess {
  name: string;
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the first line (already seen or coming) matching `re`; rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export function startSkytom(name: string, args: string[], env: Record<string, string>): SkytomProcess {
  return startNode(name, [BIN, ...args], env);
}

/** `node <argv…>` (e.g. a test's own entry point, `["--import", "tsx", script]`), kept as startSkytom keeps it. */
export function startNode(name: string, argv: string[], env: Record<string, string>): SkytomProcess {
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (buffered: { text: string }) => (chunk: Buffer) => {
    buffered.text += chunk.toString("utf8");
    const parts = buffered.text.split("\n");
    buffered.text = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on("data", onData({ text: "" }));
  child.stderr!.on("data", onData({ text: "" }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    name,
    child,
    lines,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitFor(re, timeoutMs = 60_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `${name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n` +
                lines.slice(-15).join("\n"),
            ),
          );
        }, timeoutMs);
        const entry = {
          re,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        waiters.push(entry);
        void exited.then(({ code, signal }) => {
          if (!waiters.includes(entry)) return;
          clearTimeout(timer);
          reject(
            new Error(
              `${name} exited (${code ?? signal}) before ${re}; last lines:\n` + lines.slice(-15).join("\n"),
            ),
          );
        });
      });
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopSkytom(
  p: SkytomProcess,
  graceMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!p.alive()) return p.exited;
  p.child.kill("SIGCONT");
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  const result = await p.exited;
  clearTimeout(timer);
  return result;
}
