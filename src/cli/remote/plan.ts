/** `skytom plan ONAME`: a camera's plan for tonight (or --date) from the server, as a table, JSON or CSV. */
import { printTable, UsageError } from "../output.ts";
import { connect, fixed, numberOption, observerCommand, printJson } from "./common.ts";
import type { RemoteFlags } from "./config.ts";

interface PlanFlags extends RemoteFlags {
  date?: string;
  minAltitude?: string;
  snr?: string;
  maxExposure?: string;
  exposures?: string;
  minImportance?: string;
  json?: boolean;
  csv?: boolean;
  txt?: boolean;
}

/** `HH:MM` of an ISO time. */
const hm = (iso: string) => iso.slice(11, 16);

export function planCommand() {
  return observerCommand(
    "plan",
    "tonight's plan for a camera: targets, times, exposures (POST /observatory/plan/)",
    [
      'skytom plan "skytom-demo_CCD1"',
      "skytom plan MyObs_CCD --date 2025-03-20 --snr 100",
      "skytom plan MyObs_CCD --csv > tonight.csv",
      "skytom plan MyObs_CCD --txt > tonight.txt   # name ra dec exposure, for NINA / ACP",
      "skytom plan MyObs_CCD --json | jq '.scheduled[].name'",
    ],
  )
    .argument("<oname>", "the camera's ONAME: <observatory>_<camera>")
    .option("--date <YYYY-MM-DD>", "local date the night starts on (default: tonight at the site)")
    .option("--min-altitude <deg>", "lowest useful altitude, degrees (default 30)")
    .option("--snr <n>", "wanted signal-to-noise ratio (default 50)")
    .option("--max-exposure <s>", "longest single exposure, seconds (default 600)")
    .option("--exposures <n>", "exposures per visit (default 1)")
    .option("--min-importance <n>", "only targets at least this important, 0–10 (default 0)")
    .option("--json", "print the whole plan as JSON")
    .option("--csv", "print the plan as CSV (one row per visit)")
    .option("--txt", "print `name ra dec exposure` lines for telescope control software")
    .action(async (oname: string, o: PlanFlags) => {
      if ([o.json, o.csv, o.txt].filter(Boolean).length > 1)
        throw new UsageError("choose one of --json, --csv, --txt");
      if (o.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(o.date))
        throw new UsageError(`--date: expected YYYY-MM-DD, got ${o.date}`);
      const exposures = numberOption(o.exposures, "--exposures");
      if (exposures !== undefined && (!Number.isInteger(exposures) || exposures < 1))
        throw new UsageError("--exposures: a whole number from 1");
      const body = {
        oname,
        date: o.date,
        min_altitude: numberOption(o.minAltitude, "--min-altitude"),
        snr: numberOption(o.snr, "--snr"),
        max_exposure_s: numberOption(o.maxExposure, "--max-exposure"),
        n_exposures: exposures,
        min_importance: numberOption(o.minImportance, "--min-importance"),
      };
      const client = connect(o);
      if (o.csv || o.txt) {
        process.stdout.write(await client.planExport(body, o.csv ? "csv" : "txt"));
        return;
      }
      const plan = await client.plan(body);
      if (o.json) return printJson(plan);
      const dark = plan.darkness.start
        ? `${plan.darkness.kind} darkness ${hm(plan.darkness.start)}–${hm(plan.darkness.end ?? "")} UTC (${fixed(plan.darkness.hours, 1)} h)`
        : "no darkness";
      console.log(`${plan.oname} (${plan.observatory}), night of ${plan.date}: ${dark}`);
      for (const note of plan.notes) console.log(`  ${note}`);
      printTable(
        plan.scheduled.map((e) => ({
          start_utc: hm(e.start),
          end_utc: hm(e.end),
          target: e.name,
          mag: `${fixed(e.mag, 2)} ${e.filter}`,
          exposure_s: e.n_exposures > 1 ? `${e.n_exposures} × ${e.exposure_s}` : e.exposure_s,
          snr: e.snr === null ? "" : fixed(e.snr, 0),
          airmass: fixed(e.airmass, 2),
          priority: fixed(e.priority, 1),
        })),
        ["start_utc", "end_utc", "target", "mag", "exposure_s", "snr", "airmass", "priority"],
      );
      const s = plan.summary;
      console.log(
        `${s.scheduled} scheduled of ${s.observable} observable (${s.targets} considered), ${fixed(s.hours_used, 1)} h used`,
      );
      if (plan.unscheduled.length) {
        console.log("Not scheduled:");
        for (const u of plan.unscheduled.slice(0, 20)) console.log(`  ${u.name}: ${u.reason}`);
        if (plan.unscheduled.length > 20)
          console.log(`  … and ${plan.unscheduled.length - 20} more (--json)`);
      }
    });
}
