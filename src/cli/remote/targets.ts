/** `skytom targets` (list with filters) and `skytom target create|update|delete NAME` against a server. */
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { JsonBody, TargetListItem } from "../../client/index.ts";
import { printTable, UsageError } from "../output.ts";
import { connect, fixed, numberOption, observerCommand, observerSubcommand, printJson } from "./common.ts";
import type { RemoteFlags } from "./config.ts";

interface ListFlags extends RemoteFlags {
  name?: string;
  cone?: string;
  classification?: string;
  page?: string;
  all?: boolean;
  json?: boolean;
}

/** "RA,DEC,R" in degrees, checked here so a typo is a usage error (exit 2), not a server round trip. */
export function parseCone(text: string): string {
  const parts = text.split(",").map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === "") || nums.some((n) => !Number.isFinite(n)))
    throw new UsageError(`--cone: expected RA,DEC,RADIUS in degrees (e.g. 266.4,-29.0,0.5), got ${text}`);
  if (!(nums[2] > 0 && nums[2] <= 180))
    throw new UsageError("--cone: the radius must be in (0, 180] degrees");
  return nums.join(",");
}

export function targetsCommand(): Command {
  return observerCommand("targets", "list targets (200 per page; filters are AND-ed)", [
    "skytom targets",
    "skytom targets --cone 266.4,-29.0,0.5",
    'skytom targets --classification "Microlensing Event" --json',
    "skytom targets --name Gaia22bpl --json | jq '.[0].mag_last'",
  ])
    .option("--name <name>", "exact target name")
    .option("--cone <ra,dec,r>", "cone search: centre RA and Dec and radius, degrees")
    .option("--classification <c>", "exact classification, e.g. 'Microlensing Event'")
    .option("--page <n>", "page number, from 1 (default 1)")
    .option("--all", "every page")
    .option("--json", "print the items as JSON (every column the server gives)")
    .action(async (o: ListFlags) => {
      const client = connect(o);
      const filters: JsonBody<"/targets/getTargetList/", "post"> = {};
      if (o.name) filters.name = o.name;
      if (o.classification) filters.classification = o.classification;
      if (o.cone) filters.coneSearchRaDecRadius = parseCone(o.cone);
      const first = numberOption(o.page, "--page") ?? 1;
      if (!Number.isInteger(first) || first < 1) throw new UsageError("--page: a whole number from 1");
      const items: TargetListItem[] = [];
      let page = await client.listTargets({ ...filters, page: first });
      items.push(...page.data);
      while (o.all && page.current_page < page.num_pages) {
        page = await client.listTargets({ ...filters, page: page.current_page + 1 });
        items.push(...page.data);
      }
      if (o.json) return printJson(items);
      printTable(
        items.map((t) => ({
          name: t.name,
          ra_deg: fixed(t.ra, 5),
          dec_deg: fixed(t.dec, 5),
          classification: t.classification,
          mag_last: fixed(t.mag_last, 3),
          importance: t.importance,
        })),
        ["name", "ra_deg", "dec_deg", "classification", "mag_last", "importance"],
      );
      const shown = o.all ? `all pages` : `page ${page.current_page} of ${Math.max(page.num_pages, 1)}`;
      console.log(`${page.count} target(s); ${shown}`);
    });
}

interface FieldFlags extends RemoteFlags {
  ra?: string;
  dec?: string;
  epoch?: string;
  classification?: string;
  importance?: string;
  cadence?: string;
  description?: string;
  discoveryDate?: string;
  rename?: string;
  json?: boolean;
}

/** An angle option: decimal degrees as a number, a sexagesimal string as given (the server parses it). */
const angle = (v: string) => (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(v.trim()) ? Number(v) : v);

function fieldsOf(o: FieldFlags): JsonBody<"/targets/updateTarget/{name}/", "patch"> {
  const body: JsonBody<"/targets/updateTarget/{name}/", "patch"> = {};
  if (o.ra !== undefined) body.ra = angle(o.ra);
  if (o.dec !== undefined) body.dec = angle(o.dec);
  if (o.epoch !== undefined) body.epoch = angle(o.epoch);
  if (o.classification !== undefined) body.classification = o.classification as never;
  if (o.importance !== undefined) body.importance = numberOption(o.importance, "--importance");
  if (o.cadence !== undefined) body.cadence = numberOption(o.cadence, "--cadence");
  if (o.description !== undefined) body.description = o.description;
  if (o.discoveryDate !== undefined) body.discovery_date = o.discoveryDate;
  if (o.rename !== undefined) body.name = o.rename;
  return body;
}

function fieldOptions(cmd: Command): Command {
  return cmd
    .option("--ra <ra>", "right ascension: degrees, or hours as hh:mm:ss.s")
    .option("--dec <dec>", "declination: degrees, or dd:mm:ss.s")
    .option("--epoch <years>", "epoch of the coordinates (default 2000.0)")
    .option("--classification <c>", "e.g. 'Microlensing Event', 'Unknown'")
    .option("--importance <0-10>", "follow-up importance, 0–10 (default 9.98)")
    .option("--cadence <days>", "requested time between observations, days (default 1)")
    .option("--description <text>", "free text, up to 200 characters")
    .option("--discovery-date <iso>", "discovery date, ISO 8601")
    .option("--json", "print the server's answer as JSON");
}

function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    rl.question(question, (a) => {
      rl.close();
      resolve(/^y(es)?$/i.test(a.trim()));
    });
  });
}

export function targetCommand(): Command {
  const cmd = new Command("target")
    .description("create, update or delete one target on the server")
    .exitOverride()
    .showHelpAfterError("(add --help for usage and examples)");

  const create = cmd
    .command("create")
    .description("create a sidereal target (refused within 3 arcsec of an existing one)")
    .argument("<name>", "target name");
  observerSubcommand(fieldOptions(create), [
    'skytom target create Gaia22bpl --ra 17:45:40.04 --dec -29:00:28.2 --classification "Microlensing Event"',
    "skytom target create MyStar --ra 150.1 --dec 2.2 --importance 5 --json",
    "skytom target create 'SN 2023ixf'   # no --ra/--dec: the server resolves the name (CDS Sesame, Gaia Alerts)",
  ]);
  create.action(async (name: string, o: FieldFlags) => {
    if ((o.ra === undefined) !== (o.dec === undefined))
      throw new UsageError("give both --ra and --dec, or neither (the server resolves the name)");
    const body = { ...fieldsOf(o), name } as JsonBody<"/targets/createTarget/", "post">;
    const t = await connect(o).createTarget(body);
    if (o.json) return printJson(t);
    console.log(
      `created target ${t.name} (id ${t.id}) at ra ${fixed(t.ra, 5)} deg, dec ${fixed(t.dec, 5)} deg`,
    );
  });

  const update = cmd
    .command("update")
    .description("change fields of a target (its creator or staff); --rename changes the name")
    .argument("<name>", "target name");
  observerSubcommand(fieldOptions(update).option("--rename <new>", "new name"), [
    "skytom target update Gaia22bpl --importance 8 --description 'rising'",
    "skytom target update MyStar --rename MyStar2",
  ]);
  update.action(async (name: string, o: FieldFlags) => {
    const body = fieldsOf(o);
    if (Object.keys(body).length === 0)
      throw new UsageError("nothing to update: give at least one field option");
    const r = await connect(o).updateTarget(name, body);
    if (o.json) return printJson(r);
    console.log(`updated ${name}${o.rename ? ` (now ${o.rename})` : ""}: ${Object.keys(body).join(", ")}`);
  });

  const del = cmd
    .command("delete")
    .description("delete a target with all its data (its creator or staff)")
    .argument("<name>", "target name")
    .option("--yes", "do not ask for confirmation")
    .option("--json", "print the server's answer as JSON");
  observerSubcommand(del, ["skytom target delete MyStar --yes"]);
  del.action(async (name: string, o: RemoteFlags & { yes?: boolean; json?: boolean }) => {
    const client = connect(o);
    if (!o.yes) {
      if (!process.stdin.isTTY) throw new UsageError("deleting needs --yes when not run from a terminal");
      if (!(await confirm(`Delete ${name} with all its data products and light curve? [y/N] `))) {
        console.log("not deleted");
        return;
      }
    }
    const r = await client.deleteTarget(name);
    if (o.json) return printJson(r);
    console.log(`deleted ${name}`);
  });
  return cmd;
}
