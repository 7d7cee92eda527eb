/**
 * `skytom calib ID…`: calibration results of data products, and their calibration plots; `skytom calib runs`
 * and `skytom calib recalibrate` (calib-runs.ts).
 */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { CalibrationResult } from "../../client/index.ts";
import { UsageError } from "../output.ts";
import { connect, fixed, observerCommand, printJson, table } from "./common.ts";
import type { RemoteFlags } from "./config.ts";
import { addRunCommands } from "./calib-runs.ts";

/** Where the plot of `id` goes: FILE for one id, FILE with `_<id>` before the extension for several. */
export function plotPath(file: string, id: number, several: boolean): string {
  if (!several) return file;
  const ext = extname(file);
  return `${file.slice(0, file.length - ext.length)}_${id}${ext || ".png"}`;
}

/** The band a result was standardised to, as BHTOM writes it on light curves: `V(GaiaSP)`. */
export function bandLabel(r: Pick<CalibrationResult, "survey" | "best_filter" | "filter_request">): string {
  if (r.survey && r.best_filter) return `${r.best_filter}(${r.survey})`;
  return r.filter_request ?? "";
}

export function calibCommand() {
  const cmd = observerCommand(
    "calib",
    "calibration results of data products (the ids `skytom upload` prints)",
    [
      "skytom calib 42",
      "skytom calib 42 43 44 --json",
      "skytom calib 42 --plot calib42.png",
      "skytom calib runs 42",
      "skytom calib recalibrate --target Gaia24abc --filter GaiaSP/V",
    ],
  )
    .argument("<ids...>", "data product ids")
    .option("--plot <file>", "save the calibration plot (PNG); with several ids, FILE_<id>.png each")
    .option("--json", "print the results as JSON (with the per-band zero points)")
    .action(async (rawIds: string[], o: RemoteFlags & { plot?: string; json?: boolean }) => {
      const ids = rawIds.map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`not a data product id: ${s}`);
        return n;
      });
      const results = await connect(o).calibrationResults(ids, { plot: Boolean(o.plot) });
      const written: string[] = [];
      if (o.plot) {
        for (const [i, r] of results.entries()) {
          const m = typeof r.plot === "string" ? /^data:image\/png;base64,(.*)$/.exec(r.plot) : null;
          if (!m) continue;
          const id = r.dataproduct ?? ids[i];
          const path = plotPath(o.plot, id, ids.length > 1);
          await writeFile(path, Buffer.from(m[1], "base64"));
          written.push(path);
        }
      }
      if (o.json) {
        // The plots are in the files; keep the JSON small.
        return printJson(results.map((r) => ({ ...r, plot: r.plot ? "(saved with --plot)" : null })));
      }
      const t = table([
        "id",
        "status",
        "mag",
        "err",
        "band",
        "zp",
        "scatter",
        "N",
        "match_arcsec",
        "message",
      ]);
      for (const [i, r] of results.entries()) {
        if (r.Error || r["calib-res"]) {
          t.push([String(ids[i] ?? ""), "", "", "", "", "", "", "", "", r.Error ?? r["calib-res"] ?? ""]);
          continue;
        }
        t.push([
          String(r.dataproduct ?? ""),
          r.status ?? "",
          fixed(r.mag, 3),
          fixed(r.mag_error, 3),
          bandLabel(r),
          fixed(r.zeropoint, 3),
          fixed(r.scatter, 3),
          String(r.npoints ?? ""),
          fixed(r.match_distans, 1),
          r.status_message ?? "",
        ]);
      }
      console.log(t.toString());
      for (const p of written) console.log(`plot saved: ${p}`);
      if (o.plot && written.length === 0) console.log("no calibration plot available");
    });
  addRunCommands(cmd);
  return cmd;
}
