/**
 * `skytom catalog fetch --ra --dec --radius --survey`: prefetch a region's reference stars from the archive
 * into the database cache, for sites that calibrate offline (SKYTOM_OFFLINE=1) or to warm a field.
 *
 * The region is fetched in tiles (src/astro/tiling.ts), each stored with its covered cone as it arrives, so
 * an interrupted run (Ctrl-C, a lost connection) keeps what it got and the same command resumes at the
 * first tile not yet covered. Progress: a bar on a terminal, else one line per tenth of the tiles.
 */
import cliProgress from "cli-progress";
import { Command } from "commander";
import { parseSurvey, SURVEYS } from "../astro/calibrate/bands.ts";
import type { TileProgress } from "../catalog/archive.ts";
import { loadConfig } from "../config.ts";
import { ValidationError } from "../domain/errors.ts";
import { withDatabase } from "./db.ts";
import { UsageError } from "./output.ts";

function degrees(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < min || v > max) {
    throw ValidationError.field(name, `"${text}" is not a number of degrees from ${min} to ${max}`);
  }
  return v;
}

interface Progress {
  tile(p: TileProgress, done: number, total: number): void;
  stop(): void;
}

function progress(survey: string): Progress {
  let stars = 0;
  let skipped = 0;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: ` ${survey} |{bar}| {value}/{total} tiles, {stars} stars, {skipped} already cached`,
        hideCursor: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      tile(p, done, total) {
        stars += p.rows;
        skipped += p.skipped ? 1 : 0;
        if (!started) bar.start(total, 0, { stars, skipped });
        started = true;
        bar.update(done, { stars, skipped });
      },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    tile(p, done, total) {
      stars += p.rows;
      skipped += p.skipped ? 1 : 0;
      const tenth = Math.floor((10 * done) / total);
      if (tenth > lastTenth || done === total) {
        process.stderr.write(
          `${survey}: ${done}/${total} tiles, ${stars} stars, ${skipped} already cached\n`,
        );
        lastTenth = tenth;
      }
    },
    stop() {},
  };
}

export function catalogFetchCommand(): Command {
  return new Command("fetch")
    .description("prefetch a region's reference stars from the archive into the cache (resumable)")
    .requiredOption("--ra <deg>", "centre RA, deg")
    .requiredOption("--dec <deg>", "centre Dec, deg")
    .requiredOption("--radius <deg>", "radius of the region, deg (≤ 15)")
    .option("--survey <survey>", `${SURVEYS.join(" | ")}`, "GaiaSP")
    .option("--tile <deg>", "radius of one archive query, deg (dense tiles are split further)", "0.5")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nThe archive is SKYTOM_GAIA_TAP_URL (GaiaSP, GaiaDR3) or SKYTOM_VIZIER_TAP_URL (2MASS). Each tile is\n" +
        "stored as it arrives: run the same command again to resume an interrupted fetch.\n\nExample:\n" +
        "  $ skytom catalog fetch --ra 150 --dec 2 --radius 1 --survey GaiaSP",
    )
    .action(async (o) => {
      const survey = parseSurvey(String(o.survey));
      if (!survey) {
        throw ValidationError.field(
          "--survey",
          `unknown survey "${o.survey}" (known: ${SURVEYS.join(", ")})`,
        );
      }
      const raDeg = degrees("--ra", o.ra, -360, 720);
      const decDeg = degrees("--dec", o.dec, -90, 90);
      const radiusDeg = degrees("--radius", o.radius, 0.001, 15);
      const tileRadiusDeg = degrees("--tile", o.tile, 0.01, 5);
      const config = loadConfig();
      if (config.archives.offline) {
        throw new UsageError(
          "SKYTOM_OFFLINE=1: the archives are out of reach; fetch where they can be reached",
        );
      }
      // Loaded here, not at start: every other skytom command starts without the TAP client.
      const { ArchiveProvider } = await import("../catalog/archive.ts");
      const bar = progress(survey);
      const t0 = performance.now();
      let tiles = 0;
      let skipped = 0;
      const rows = await withDatabase((database) =>
        new ArchiveProvider(database, config.archives).fetchRegion(survey, raDeg, decDeg, radiusDeg, {
          tileRadiusDeg,
          onTile(p, done, total) {
            tiles = total;
            skipped += p.skipped ? 1 : 0;
            bar.tile(p, done, total);
          },
        }),
      ).finally(() => bar.stop());
      const seconds = +((performance.now() - t0) / 1000).toFixed(1);
      const result = {
        survey,
        raDeg,
        decDeg,
        radiusDeg,
        tiles,
        alreadyCached: skipped,
        stars: rows,
        seconds,
      };
      if (o.json) console.log(JSON.stringify(result));
      else {
        console.log(
          `${survey}: ${radiusDeg}° around (${raDeg}, ${decDeg}) is cached — ${tiles} tile${tiles === 1 ? "" : "s"} ` +
            `(${skipped} already there), ${rows} stars answered, ${seconds} s`,
        );
      }
    });
}
