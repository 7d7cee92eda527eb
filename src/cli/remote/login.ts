/** `skytom login` and `skytom logout`: get an API token with username and password, save or revoke it. */
import { createInterface } from "node:readline";
import { Option } from "commander";
import { createClient } from "../../client/index.ts";
import { UsageError } from "../output.ts";
import { configPath, readConfig, resolveRemote, writeConfig } from "./config.ts";
import { connect, observerCommand } from "./common.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Ask on the terminal; with `hidden`, nothing typed is echoed. */
function ask(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (hidden) {
      // readline echoes through _writeToOutput; print the prompt only.
      const r = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
      r._writeToOutput = (s: string) => {
        if (s.startsWith(question)) r.output.write(question);
      };
    }
    rl.on("SIGINT", () => {
      rl.close();
      reject(new UsageError("login cancelled"));
    });
    rl.question(question, (answer) => {
      if (hidden) process.stderr.write("\n");
      rl.close();
      resolve(answer);
    });
  });
}

export function loginCommand() {
  return observerCommand("login", "log in to a server and save the API token (config file mode 0600)", [
    "skytom login --server https://bhtom.example.org --username alice",
    "printf '%s' \"$PASSWORD\" | skytom login --username alice --password-stdin",
  ])
    .option("--username <name>", "account name (asked for when not given)")
    .addOption(new Option("--password-stdin", "read the password from standard input (for scripts)"))
    .action(async (o: { server?: string; token?: string; username?: string; passwordStdin?: boolean }) => {
      const remote = resolveRemote({ server: o.server });
      const tty = process.stdin.isTTY === true;
      let username = o.username;
      let password: string;
      if (o.passwordStdin) {
        if (!username) throw new UsageError("--username is required with --password-stdin");
        password = (await readStdin()).replace(/\r?\n$/, "");
      } else {
        if (!tty) throw new UsageError("no terminal to ask for the password: use --password-stdin");
        username ||= (await ask("Username: ", false)).trim();
        password = await ask("Password: ", true);
      }
      if (!username) throw new UsageError("a username is required");
      if (!password) throw new UsageError("an empty password");
      const client = createClient({ server: remote.server });
      const token = await client.login(username, password);
      const path = configPath();
      const config = readConfig(path);
      config.server = remote.server;
      config.tokens = {
        ...config.tokens,
        [remote.server]: { token, username, saved: new Date().toISOString() },
      };
      writeConfig(config, path);
      console.log(`logged in to ${remote.server} as ${username}; token saved in ${path}`);
    });
}

export function logoutCommand() {
  return observerCommand("logout", "revoke the saved token on the server and forget it", [
    "skytom logout",
    "skytom logout --server https://bhtom.example.org",
  ])
    .option("--keep-on-server", "only forget the token locally (do not revoke it)")
    .action(async (o: { server?: string; token?: string; keepOnServer?: boolean }) => {
      const remote = resolveRemote({ server: o.server, token: o.token });
      const path = configPath();
      const config = readConfig(path);
      const saved = config.tokens?.[remote.server];
      const token = o.token ?? saved?.token;
      if (!token) throw new UsageError(`not logged in to ${remote.server}`);
      let note = "";
      if (!o.keepOnServer) {
        try {
          await connect({ server: remote.server, token }).logout();
          note = "token revoked";
        } catch (err) {
          note = `token not revoked on the server (${err instanceof Error ? err.message : String(err)})`;
        }
      }
      if (saved && saved.token === token) {
        delete config.tokens![remote.server];
        writeConfig(config, path);
        note = note ? `${note}; removed from ${path}` : `removed from ${path}`;
      }
      console.log(`logged out of ${remote.server}: ${note}`);
    });
}
