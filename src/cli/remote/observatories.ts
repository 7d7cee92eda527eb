/** `skytom observatories`: observatories and their cameras (ONAMEs to upload with) on the server. */
import { connect, observerCommand, printJson } from "./common.ts";
import type { RemoteFlags } from "./config.ts";
import { printTable } from "../output.ts";

export function observatoriesCommand() {
  return observerCommand("observatories", "list observatories and their cameras, one line per camera", [
    "skytom observatories",
    "skytom observatories --active",
    "skytom observatories --json | jq -r '.[].cameras[].prefix'",
  ])
    .option("--name <name>", "exact observatory name")
    .option("--active", "only active cameras (the ones uploads accept)")
    .option("--json", "print the observatories with their cameras as JSON")
    .action(async (o: RemoteFlags & { name?: string; active?: boolean; json?: boolean }) => {
      const client = connect(o);
      const list = [];
      for (let page = 1; ; page++) {
        const r = await client.listObservatories({
          page,
          ...(o.name ? { name: o.name } : {}),
          ...(o.active ? { active_flg: true } : {}),
        });
        list.push(...r.data);
        if (page >= r.num_pages) break;
      }
      if (o.json) return printJson(list);
      const rows = list.flatMap((obs) =>
        (obs.cameras.length ? obs.cameras : [null]).map((c) => ({
          oname: c?.prefix ?? "",
          active: c ? (c.active_flg ? "yes" : "no") : "",
          observatory: obs.name,
          lon_deg: obs.lon,
          lat_deg: obs.lat,
          altitude_m: obs.altitude,
          lim_mag: obs.approx_lim_mag,
        })),
      );
      printTable(rows, ["oname", "active", "observatory", "lon_deg", "lat_deg", "altitude_m", "lim_mag"]);
    });
}
