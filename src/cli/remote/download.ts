/** `skytom download TARGET`: a target's light curve CSV, streamed to a file or to standard output. */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { Option } from "commander";
import type { DownloadKind } from "../../client/index.ts";
import { connect, observerCommand } from "./common.ts";
import type { RemoteFlags } from "./config.ts";

export function downloadCommand() {
  return observerCommand(
    "download",
    "download a target's photometry (or radio / high-energy) CSV: ';'-separated, sorted by MJD",
    [
      "skytom download Gaia22bpl -o Gaia22bpl.csv",
      "skytom download Gaia22bpl | head",
      "skytom download SgrA --radio -o sgra_radio.csv",
    ],
  )
    .argument("<target>", "exact target name")
    .option("--radio", "the radio fluxes (mJy) instead of magnitudes")
    .addOption(new Option("--high-energy", "the high-energy counts and fluxes").conflicts("radio"))
    .option("-o, --output <file>", "write to this file (default: standard output)")
    .action(
      async (target: string, o: RemoteFlags & { radio?: boolean; highEnergy?: boolean; output?: string }) => {
        const kind: DownloadKind = o.radio ? "radio" : o.highEnergy ? "high-energy" : "photometry";
        const stream = await connect(o).downloadCsv(kind, target);
        const body = Readable.fromWeb(stream as WebReadableStream<Uint8Array>);
        if (!o.output) {
          await pipeline(body, process.stdout, { end: false });
          return;
        }
        // Written next to the target name, renamed when complete: an interrupted download leaves no CSV.
        const part = `${o.output}.part`;
        let bytes = 0;
        body.on("data", (c: Buffer) => (bytes += c.length));
        try {
          await pipeline(body, createWriteStream(part));
          await rename(part, o.output);
        } catch (err) {
          await rm(part, { force: true });
          throw err;
        }
        console.error(`wrote ${o.output} (${bytes} bytes)`);
      },
    );
}
