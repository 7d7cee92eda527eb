/**
 * Uploads in chromium: choose two light-curve CSVs, watch each file's progress bar, see the data products
 * listed below; upload an instrumental catalogue and watch its status go Waiting/In progress → Done
 * without a reload (the worker calibrates it); the data products list, the result page, and the
 * target's light curve with the uploaded points. Screenshots at desktop and phone widths.
 */
import pino from "pino";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame, type SynthFrame } from "../src/astro/synth/catalog.ts";
import { cameras, observatories } from "../src/db/schema/index.ts";
import { addFavourite } from "../src/domain/observatories/favourites.ts";
import { findUser, toActor } from "../src/domain/users/service.ts";
import { startWorkers } from "../src/jobs/index.ts";
import type { TestUser } from "./helpers/app.ts";
import {
  HAVE_CHROMIUM,
  login,
  screenshot,
  startBrowserHarness,
  type BrowserHarness,
} from "./helpers/browser.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";

/** The few browser globals the page functions below use (this file is type-checked without the DOM lib). */
interface Win {
  marker?: string;
  innerWidth: number;
  document: {
    querySelector(selector: string): unknown;
    getElementById(id: string): unknown;
    documentElement: { scrollWidth: number };
  };
}

const TARGET = { raDeg: 150.02, decDeg: 2.01, mag: 16.2 };

function catalogueText(frame: SynthFrame): string {
  const c = frame.catalogue;
  return ccdphotCatalogue(c);
}

/** A light curve of `n` V points from `mjd0`, about 27 bytes a row. */
function lightCurve(mjd0: number, n: number): string {
  const rows = Array.from({ length: n }, (_, i) =>
    [(mjd0 + i * 0.001).toFixed(5), "V", (15 + 0.3 * Math.sin(i / 50)).toFixed(3), "0.050"].join(","),
  );
  return `time,filter,magnitude,error\n${rows.join("\n")}\n`;
}

describe.skipIf(!HAVE_CHROMIUM)("uploads in chromium", () => {
  let b: BrowserHarness;
  let alice: TestUser;
  let catalogueId = 0;
  const field = makeField({ seed: 5, nStars: 400, centerRaDeg: 150, centerDecDeg: 2, halfWidthDeg: 0.1 });

  beforeAll(async () => {
    b = await startBrowserHarness({ queue: true });
    const db = b.t.tdb.database.db;
    alice = await b.t.user("alice");
    await b.t.call(
      "POST",
      "/targets/createTarget/",
      { name: "Browser T", ra: TARGET.raDeg, dec: TARGET.decDeg },
      alice.token,
    );
    const [obs] = await db.insert(observatories).values({ name: "Synth", lon: 20, lat: 50 }).returning();
    await db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Synth_Cam", activeFlg: true });
    await addFavourite(db, toActor(await findUser(db, "alice")), { oname: "Synth_Cam" });
    // The reference catalogue answers after 1.5 s, so each calibration is seen in progress on the page.
    await startWorkers(b.t.queue!, b.t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: b.t.tdb.dataDir,
      provider: {
        cone: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1500));
          return field.reference;
        },
      },
    });
  }, 60_000);
  afterAll(async () => b?.close());

  const rowBadge = (page: Page, id: number) => page.locator(`#upload-results #dp-${id} .badge`);

  it("two CSVs with their own progress bars, then a catalogue whose status turns Done without a reload", async () => {
    const page = await b.newPage();
    await login(page, alice);
    await page.goto("/dataproducts/upload/?target=Browser%20T");
    await expect.poll(() => page.locator("#f-target").inputValue()).toBe("Browser T");
    // MJD is only asked for catalogues and spectra
    expect(await page.locator("#f-mjd").isVisible()).toBe(false);
    await page.evaluate(() => ((globalThis as unknown as Win).marker = "no reload"));

    // Slow uploads down so the progress bars can be seen moving.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 60 * 1024,
    });
    await page.locator("#f-files").setInputFiles([
      { name: "night1.csv", mimeType: "text/csv", buffer: Buffer.from(lightCurve(60100, 3000)) },
      { name: "night2.csv", mimeType: "text/csv", buffer: Buffer.from(lightCurve(60101, 40)) },
    ]);
    await expect.poll(() => page.locator("#file-list .file-item").count()).toBe(2);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await page.waitForFunction(() => {
      const bar = (globalThis as unknown as Win).document.querySelector(
        'progress[aria-label="Upload of night1.csv"]',
      ) as { value: number } | null;
      return !!bar && bar.value > 5 && bar.value < 95;
    });
    await screenshot(page, "upload-progress");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await expect
      .poll(() => page.locator('#file-list .file-item[data-state="done"]').count(), { timeout: 20_000 })
      .toBe(2);
    for (const name of ["night1.csv", "night2.csv"]) {
      expect(
        await page
          .locator(`progress[aria-label="Upload of ${name}"]`)
          .evaluate((e) => (e as unknown as { value: number }).value),
      ).toBe(100);
    }
    await expect.poll(() => page.locator("#upload-results tbody tr").count()).toBe(2);
    expect(await page.locator("#upload-results").textContent()).toContain("night1.csv");
    expect(await page.locator("#upload-results .badge-S").count()).toBe(2);
    expect(await page.locator("#file-list").textContent()).toMatch(
      /Uploaded as data product #\d+, 3000 point\(s\)/,
    );
    await screenshot(page, "upload-done");

    // An instrumental catalogue: queued, calibrated by the worker, shown changing in place.
    await page.locator("#f-data_product_type").selectOption("photometry");
    expect(await page.locator("#f-mjd").isVisible()).toBe(true);
    await page.locator("#f-observatory").selectOption("Synth_Cam");
    await page.locator("#f-filter").selectOption("GaiaSP/V");
    await page.locator("#f-mjd").fill("60102.25");
    const frame = makeFrame(field, { seed: 6, zp: 24.3, target: { ...TARGET, forced: false } });
    await page
      .locator("#f-files")
      .setInputFiles([
        { name: "frame.cat", mimeType: "text/plain", buffer: Buffer.from(catalogueText(frame)) },
      ]);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect.poll(() => page.locator("#upload-results tbody tr").count()).toBe(3);
    catalogueId = Number(
      (await page.locator("#upload-results tbody tr").first().getAttribute("id"))!.slice(3),
    );
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const s = (await rowBadge(page, catalogueId).getAttribute("class")) ?? "";
          seen.add(s);
          return s;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe("badge badge-S");
    expect([...seen].some((s) => s === "badge badge-C" || s === "badge badge-P")).toBe(true);
    expect(await page.locator(`#upload-results #dp-${catalogueId} .band`).textContent()).toBe("GaiaSP/V");
    expect(await page.locator("#upload-results").getAttribute("hx-trigger")).toBeNull();
    expect(await page.evaluate(() => (globalThis as unknown as Win).marker)).toBe("no reload");
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 40_000);

  it("the data products list, the result page and the target's light curve", async () => {
    const page = await b.newPage();
    await login(page, alice);
    await page.goto("/dataproducts/");
    expect(await page.locator("table.dp-table tbody tr").count()).toBe(3);
    expect(await page.locator(`#dp-${catalogueId} .mag`).textContent()).toMatch(/^1[56]\.\d{3} ± 0\.\d{3}$/);
    await screenshot(page, "dataproducts-list");

    await page.getByRole("link", { name: `Data product ${catalogueId}` }).click();
    await page.waitForURL(`**/dataproducts/${catalogueId}/`);
    await expect.poll(() => page.locator("h1").textContent()).toBe(`Data product #${catalogueId}`);
    const plot = page.locator('img[alt^="Calibration plot"]');
    await expect
      .poll(() => plot.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(100);
    expect(await page.locator(".cal-details").textContent()).toContain("GaiaSP/V");
    await screenshot(page, "dataproduct-result");

    const phone = await b.newPage({ width: 390, height: 844 });
    await login(phone, alice);
    for (const [url, name] of [
      ["/dataproducts/upload/?target=Browser%20T", "upload-phone"],
      ["/dataproducts/", "dataproducts-list-phone"],
      [`/dataproducts/${catalogueId}/`, "dataproduct-result-phone"],
    ]) {
      await phone.goto(url);
      const overflow = await phone.evaluate(
        () =>
          (globalThis as unknown as Win).document.documentElement.scrollWidth -
          (globalThis as unknown as Win).innerWidth,
      );
      expect(overflow, url).toBeLessThanOrEqual(0);
      await screenshot(phone, name);
    }

    // The target page (engineer T's) draws the uploaded points: 3000 + 40 CSV points and the calibrated one.
    await page.goto("/targets/Browser%20T/");
    await expect
      .poll(() =>
        page.evaluate(() => {
          const gd = (globalThis as unknown as Win).document.getElementById("lightcurve") as unknown as {
            data?: { x: unknown[] }[];
          } | null;
          return gd?.data ? gd.data.reduce((n, tr) => n + tr.x.length, 0) : -1;
        }),
      )
      .toBe(3041);
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 40_000);
});
