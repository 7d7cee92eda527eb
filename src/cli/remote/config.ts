/**
 * Where the observer commands find their server and token: `--server`/`--token`, else SKYTOM_SERVER /
 * SKYTOM_TOKEN, else the saved config ($XDG_CONFIG_HOME/skytom/config.json or ~/.config/skytom/config.json,
 * mode 0600 in a 0700 directory). Tokens are saved per server, so a token is only ever sent to the server
 * that issued it.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";

export const DEFAULT_SERVER = "http://127.0.0.1:8000";

export interface SavedLogin {
  token: string;
  username?: string;
  /** ISO time of the login. */
  saved: string;
}

export interface CliConfig {
  /** The server used when neither --server nor SKYTOM_SERVER says. */
  server?: string;
  tokens?: Record<string, SavedLogin>;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "skytom", "config.json");
}

export function readConfig(path = configPath()): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as CliConfig) : {};
  } catch {
    throw new Error(`${path} is not valid JSON; fix or delete it`);
  }
}

/** Write the config atomically with mode 0600 (its directory 0700). */
export function writeConfig(config: CliConfig, path = configPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** A server URL as the config keys it: no trailing slash; http:// added when no scheme is given. */
export function normalizeServer(url: string): string {
  let u = url.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `http://${u}`;
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new Error(`--server: not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new Error(`--server: only http:// and https:// URLs: ${url}`);
  return parsed.href.replace(/\/+$/, "");
}

export interface RemoteFlags {
  server?: string;
  token?: string;
}

export interface Remote {
  server: string;
  token?: string;
  /** Where the token came from (for messages). */
  tokenFrom: "--token" | "SKYTOM_TOKEN" | "config" | "none";
}

/** Server and token, from the flags, then the environment, then the saved config. */
export function resolveRemote(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): Remote {
  const config = readConfig(configPath(env));
  const server = normalizeServer(flags.server || env.SKYTOM_SERVER || config.server || DEFAULT_SERVER);
  if (flags.token) return { server, token: flags.token, tokenFrom: "--token" };
  if (env.SKYTOM_TOKEN) return { server, token: env.SKYTOM_TOKEN, tokenFrom: "SKYTOM_TOKEN" };
  const saved = config.tokens?.[server];
  if (saved) return { server, token: saved.token, tokenFrom: "config" };
  return { server, tokenFrom: "none" };
}

/** Add --server and --token to an observer command. */
export function remoteOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--server <url>",
        `server root (env SKYTOM_SERVER, else the saved one, else ${DEFAULT_SERVER})`,
      ),
    )
    .addOption(
      new Option("--token <key>", "API token (env SKYTOM_TOKEN, else the one saved by `skytom login`)"),
    );
}
