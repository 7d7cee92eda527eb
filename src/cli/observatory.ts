/** `skytom observatory list|activate|deactivate`: look at observatories and approve cameras from the shell. */
import { Command } from "commander";
import { withDatabase } from "./db.ts";
import { printTable } from "./output.ts";
import { SYSTEM } from "../domain/permissions.ts";

/** The observatories' domain, loaded when a command runs (not at every start of the CLI). */
const observatoriesDomain = () => import("../domain/observatories/service.ts");

export function observatoryCommand(): Command {
  const cmd = new Command("observatory").description("observatories and their cameras (ONAMEs)");

  cmd
    .command("list")
    .description("list observatories with their cameras, one line per camera")
    .option("--json", "print JSON (observatories with their cameras, as the API returns them)")
    .action(async (o) => {
      const list = await withDatabase(async ({ db }) => (await observatoriesDomain()).allObservatories(db));
      if (o.json) {
        console.log(JSON.stringify(list));
        return;
      }
      const rows = list.flatMap((obs) =>
        (obs.cameras.length ? obs.cameras : [null]).map((c) => ({
          observatory: obs.name,
          lon_deg: obs.lon,
          lat_deg: obs.lat,
          oname: c?.prefix ?? "",
          active: c ? (c.active_flg ? "yes" : "no") : "",
          created: obs.created,
        })),
      );
      printTable(rows, ["oname", "active", "observatory", "lon_deg", "lat_deg", "created"]);
    });

  cmd
    .command("activate")
    .description("activate a camera, so that uploads and favourites accept it")
    .argument("<oname>", "the camera's ONAME: <observatory>_<camera>")
    .addHelpText("after", '\nExample:\n  $ skytom observatory activate "My Observatory_Camera1"')
    .action(async (oname: string) => {
      await withDatabase(async ({ db }) =>
        (await observatoriesDomain()).setCameraActive(db, SYSTEM, oname, true),
      );
      console.log(`activated ${oname}`);
    });

  cmd
    .command("deactivate")
    .description("deactivate a camera (uploads and new favourites refuse it)")
    .argument("<oname>", "the camera's ONAME: <observatory>_<camera>")
    .action(async (oname: string) => {
      await withDatabase(async ({ db }) =>
        (await observatoriesDomain()).setCameraActive(db, SYSTEM, oname, false),
      );
      console.log(`deactivated ${oname}`);
    });

  return cmd;
}
