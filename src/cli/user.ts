/** `skytom user add|list|token|activate`: manage accounts from the shell. */
import { Command } from "commander";
import { withDatabase } from "./db.ts";
import { printTable } from "./output.ts";
import { SYSTEM } from "../domain/permissions.ts";

/** The users' domain, loaded when a command runs (not at every start of the CLI). */
const usersDomain = () => import("../domain/users/service.ts");

export function userCommand(): Command {
  const cmd = new Command("user").description("manage user accounts");

  cmd
    .command("add")
    .description("create a user")
    .argument("<username>")
    .requiredOption("--password <password>", "initial password (8 characters or more)")
    .option("--email <email>", "e-mail address")
    .option("--first-name <name>")
    .option("--last-name <name>")
    .option("--staff", "staff rights (admin endpoints)")
    .option("--superuser", "every right")
    .option("--inactive", "create the account inactive (awaiting approval)")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  $ skytom user add alice --password 's3cret-pass' --staff")
    .action(async (username: string, o) => {
      if (String(o.password).length < 8) throw new Error("--password must have at least 8 characters");
      const user = await withDatabase(async ({ db }) =>
        (await usersDomain()).createUser(db, SYSTEM, {
          username,
          password: o.password,
          email: o.email,
          first_name: o.firstName,
          last_name: o.lastName,
          is_staff: Boolean(o.staff),
          is_superuser: Boolean(o.superuser),
          is_active: !o.inactive,
        }),
      );
      if (o.json) console.log(JSON.stringify(user));
      else console.log(`created user ${user.username} (id ${user.id})`);
    });

  cmd
    .command("list")
    .description("list users")
    .option("--json", "print JSON")
    .action(async (o) => {
      const list = await withDatabase(async ({ db }) => (await usersDomain()).listUsers(db, SYSTEM, {}));
      if (o.json) console.log(JSON.stringify(list));
      else
        printTable(list, ["id", "username", "email", "is_active", "is_staff", "is_superuser", "date_joined"]);
    });

  cmd
    .command("token")
    .description("issue a new API token for a user (printed once), or revoke all of the user's tokens")
    .argument("<username>")
    .option("--revoke-all", "revoke every token of the user instead")
    .addHelpText(
      "after",
      "\nExamples:\n  $ skytom user token alice\n  $ skytom user token alice --revoke-all",
    )
    .action(async (username: string, o) => {
      if (o.revokeAll) {
        const n = await withDatabase(async ({ db }) => (await usersDomain()).revokeAllTokens(db, username));
        console.log(`revoked ${n} token(s) of ${username}`);
      } else {
        console.log(await withDatabase(async ({ db }) => (await usersDomain()).tokenForUser(db, username)));
      }
    });

  cmd
    .command("activate")
    .description("activate an account (e.g. a registration awaiting approval)")
    .argument("<username>")
    .action(async (username: string) => {
      await withDatabase(async ({ db }) =>
        (await usersDomain()).updateUser(db, SYSTEM, username, { is_active: true }),
      );
      console.log(`activated ${username}`);
    });

  return cmd;
}
