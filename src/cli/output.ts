/** Printing for people (aligned tables) or scripts (`--json`), and errors with exit codes. */
import { DomainError, ValidationError } from "../domain/errors.ts";
import { ConfigError } from "../config.ts";
import { DataDirInUseError } from "../db/embedded.ts";
import { CommanderError } from "commander";
import { ApiError, ConnectionError } from "../client/index.ts";

/** Exit codes of every skytom command (also in `skytom --help`). */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, uploadsFailed: 4 } as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  refused: the server (or the database) said no — validation, not found, permission, bad token (4xx)
  2  bad arguments or configuration (unknown option, missing value, no token saved, …)
  3  cannot reach the server, it failed (5xx), or another failure
  4  some uploads failed (skytom upload), some files could not be measured (skytom fits extract)
`;

/** A usage mistake found after commander's own checks (exit 2). */
export class UsageError extends Error {}

/** A failure whose details were already printed; only the exit code and a one-line reason are left. */
export class ExitCodeError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    console.log("(none)");
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))));
}

/** Exit codes: see EXIT. One line on stderr, never a stack trace. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
  if (err instanceof ApiError) {
    console.error(
      `error: ${err.detail} (HTTP ${err.status}, ${[err.method, err.url].filter(Boolean).join(" ")})`,
    );
    return err.serverFault ? EXIT.unreachable : EXIT.refused;
  }
  if (err instanceof ConnectionError) {
    console.error(`error: ${err.message} (is the server running? check --server / SKYTOM_SERVER)`);
    return EXIT.unreachable;
  }
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}`);
    return EXIT.usage;
  }
  if (err instanceof ExitCodeError) {
    console.error(`error: ${err.message}`);
    return err.exitCode;
  }
  if (err instanceof ValidationError) {
    for (const [field, msgs] of Object.entries(err.fields))
      console.error(`error: ${field}: ${msgs.join(" ")}`);
    return 1;
  }
  if (err instanceof DomainError) {
    console.error(`error: ${err.message}`);
    return 1;
  }
  if (err instanceof ConfigError || err instanceof DataDirInUseError) {
    console.error(`error: ${err.message}`);
    return 2;
  }
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  return 3;
}
