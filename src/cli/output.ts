/** Printing for people (aligned tables) or scripts (`--json`), and errors with exit codes. */
import { DomainError, ValidationError } from "../domain/errors.ts";
import { ConfigError } from "../config.ts";
import { DataDirInUseError } from "../db/embedded.ts";

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

/** Exit codes: 1 = the request was refused (validation, not found, permission), 2 = usage/config, 3 = other failure. */
export function reportError(err: unknown): number {
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
