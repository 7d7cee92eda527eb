/** What every observer command shares: its options, the client it talks through, and printing. */
import { Command } from "commander";
import Table from "cli-table3";
import { createClient, type SkytomClient } from "../../client/index.ts";
import { UsageError } from "../output.ts";
import { remoteOptions, resolveRemote, type RemoteFlags } from "./config.ts";

/**
 * A new observer command: --server/--token, examples after the help, and commander errors thrown (exit 2)
 * rather than exiting the process.
 */
export function observerCommand(name: string, description: string, examples: string[]): Command {
  const cmd = new Command(name)
    .description(description)
    .exitOverride()
    .showHelpAfterError("(add --help for usage and examples)");
  remoteOptions(cmd);
  cmd.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
  return cmd;
}

/** commander settings for a sub-command created with `.command()` under an observer command. */
export function observerSubcommand(cmd: Command, examples: string[]): Command {
  cmd.exitOverride().showHelpAfterError("(add --help for usage and examples)");
  remoteOptions(cmd);
  cmd.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
  return cmd;
}

/** The client for these flags; `needToken` (the default) refuses to go on without a token. */
export function connect(flags: RemoteFlags, needToken = true): SkytomClient {
  const remote = resolveRemote(flags);
  if (needToken && !remote.token)
    throw new UsageError(
      `no API token for ${remote.server}: run \`skytom login --server ${remote.server}\`, or pass --token / set SKYTOM_TOKEN`,
    );
  const timeout = Number(process.env.SKYTOM_TIMEOUT_S || 30);
  return createClient({
    server: remote.server,
    token: remote.token,
    timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : 30) * 1000,
    retries: process.env.SKYTOM_RETRIES === undefined ? 3 : Number(process.env.SKYTOM_RETRIES) || 0,
  });
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A cli-table3 table without colours (output may be piped). */
export function table(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** A number with a fixed number of decimals, or "" for null/""/undefined. */
export function fixed(value: unknown, digits: number): string {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(digits) : String(value);
}

/** Parse a number option or fail with a usage error naming it. */
export function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${name}: not a number: ${value}`);
  return n;
}
