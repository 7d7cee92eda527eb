/**
 * The one-machine default as an operator runs it: `skytom serve` on an embedded data directory, as a real
 * process (kill -9, SIGTERM, restarts), seeded with a user, an active camera, a target and the GaiaSP
 * reference catalogue of a synthetic field; big synthetic FITS frames of that field; raw-socket clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SURVEY_BANDS } from "../../src/astro/calibrate/bands.ts";
import { makeField } from "../../src/astro/synth/catalog.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { writeFits } from "../../src/astro/fits/write.ts";
import { importCatalogue } from "../../src/catalog/import.ts";
import { openDatabase, runMigrations } from "../../src/db/connection.ts";
import { cameras, observatories, targets } from "../../src/db/schema/index.ts";
import { unitVector } from "../../src/astro/coords.ts";
import * as users from "../../src/domain/users/service.ts";
import { SYSTEM } from "../../src/domain/permissions.ts";
import { startSkytom, type SkytomProcess } from "./processes.ts";
import { copyTemplate } from "./template.ts";

export const FIELD_TARGET = { name: "CrashT", raDeg: 150.02, decDeg: 2.01, mag: 16.2 };
export const FIELD = makeField({
  seed: 5,
  nStars: 400,
  centerRaDeg: 150,
  centerDecDeg: 2,
  halfWidthDeg: 0.1,
});

/** The reference catalogue of the field as a GaiaSP CSV for `importCatalogue`. */
export function fieldReferenceCsv(): string {
  const bands = SURVEY_BANDS.GaiaSP;
  const ref = FIELD.reference;
  const lines = [["ra", "dec", ...bands.flatMap((b) => [b, `${b}_err`])].join(",")];
  for (let i = 0; i < ref.raDeg.length; i++) {
    const cells = [ref.raDeg[i].toFixed(7), ref.decDeg[i].toFixed(7)];
    for (const b of bands) cells.push(ref.bands[b]!.mag[i].toFixed(4), ref.bands[b]!.err[i].toFixed(4));
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A 16-bit FITS frame of the field with a TAN WCS and the target in it: `sizePx`² pixels at 0.2″/px
 * (4096² ≈ 32 MB; measured in ~3 s on a 2-core machine, long enough to be killed in the middle).
 */
export function fieldFrame(sizePx: number, seed: number): Uint8Array {
  const im = makeSyntheticImage({
    seed,
    width: sizePx,
    height: sizePx,
    field: FIELD,
    centerRaDeg: 150,
    centerDecDeg: 2,
    pixelScaleArcsec: 0.2,
    zeroPointMag: 24.3,
    target: FIELD_TARGET,
  });
  const header = { ...im.header };
  delete header.MAGZP;
  return writeFits({ data: im.data, width: im.width, height: im.height, bitpix: 16, bzero: 32768, header });
}

export interface SeededDir {
  dataDir: string;
  token: string;
  remove(): void;
}

/** A data directory (copied template) with user alice, the camera Synth_Cam, the target and the catalogue. */
export async function seedDataDir(): Promise<SeededDir> {
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-one-"));
  copyTemplate(dataDir);
  const database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
  try {
    await runMigrations(database);
    const db = database.db;
    await users.createUser(db, SYSTEM, { username: "alice", password: "alice-password", is_active: true });
    const token = await users.tokenForUser(db, "alice");
    const [obs] = await db.insert(observatories).values({ name: "Synth", lon: 20, lat: 50 }).returning();
    await db.insert(cameras).values({
      observatoryId: obs.id,
      cameraName: "Cam",
      prefix: "Synth_Cam",
      activeFlg: true,
      pixelScale: 0.2,
    });
    const [cx, cy, cz] = unitVector(FIELD_TARGET.raDeg, FIELD_TARGET.decDeg);
    await db
      .insert(targets)
      .values({ name: FIELD_TARGET.name, ra: FIELD_TARGET.raDeg, dec: FIELD_TARGET.decDeg, cx, cy, cz });
    const refPath = join(dataDir, "reference.csv");
    writeFileSync(refPath, fieldReferenceCsv());
    await importCatalogue(database, refPath, { survey: "GaiaSP", name: "field" });
    rmSync(refPath);
    return { dataDir, token, remove: () => rmSync(dataDir, { recursive: true, force: true }) };
  } finally {
    await database.close();
  }
}

/** `skytom serve` on the directory (any free port); resolves with its URL once it serves. */
export async function serve(
  name: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ p: SkytomProcess; url: string }> {
  const p = startSkytom(name, ["serve"], {
    SKYTOM_DATA: dataDir,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    ...env,
  });
  const line = await p.waitFor(/serving on http/, 90_000);
  return { p, url: /serving on (http:\/\/[^ ]+)/.exec(line)![1] };
}

/** POST /upload/ of one file with these form fields (fields first, as `requests` sends them). */
export async function uploadFile(
  url: string,
  token: string,
  fields: Record<string, string>,
  file: { name: string; content: Uint8Array },
): Promise<{ status: number; body: { data?: { id: number }[]; detail?: string } }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set("files", new Blob([file.content]), file.name);
  const res = await fetch(`${url}/upload/`, {
    method: "POST",
    headers: { authorization: `Token ${token}` },
    body: form,
    signal: AbortSignal.timeout(120_000),
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** A data product's status letter through the API. */
export async function statusOf(url: string, token: string, id: number): Promise<string> {
  const res = await fetch(`${url}/common/api/data/`, {
    method: "POST",
    headers: { authorization: `Token ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ id }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data: { status: string }[] };
  return body.data[0]?.status ?? "?";
}

/** Polls `check` every 100 ms until it returns true; throws after `ms`. Resolves with the ms it took. */
export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}

/**
 * A raw multipart upload over a socket: the head and the first `sendBytes` of the body are written and
 * the socket is left open (a client still sending, or one that stalled). `fields` precede one file of
 * `fileBytes` bytes. Resolves once written; the socket collects what the server answers.
 */
export async function partialUpload(
  url: string,
  token: string,
  fields: Record<string, string>,
  fileBytes: number,
  sendBytes: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const boundary = "----skytompartial";
  const head = Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join("");
  const fileHead =
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.fits"\r\n` +
    "Content-Type: application/octet-stream\r\n\r\n";
  const tail = `\r\n--${boundary}--\r\n`;
  const body = Buffer.concat([Buffer.from(head + fileHead), Buffer.alloc(fileBytes, 7), Buffer.from(tail)]);
  const socket = connect(Number(port), hostname);
  let text = "";
  socket.on("data", (d) => (text += d.toString("latin1")));
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  socket.on("error", () => undefined);
  await new Promise<void>((r) => socket.once("connect", () => r()));
  socket.write(
    `POST /upload/ HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Token ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  await new Promise<void>((r) => socket.write(body.subarray(0, sendBytes), () => r()));
  return { socket, received: () => text, closed };
}
