/**
 * Night planning in chromium: the Observe panel loads on the target page with its finder chart drawn
 * (the PNG really decodes in the browser), the home page's Tonight panel and the observatory's Tonight.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo, type DemoResult } from "../src/demo/run.ts";
import {
  HAVE_CHROMIUM,
  login,
  screenshot,
  startBrowserHarness,
  type BrowserHarness,
} from "./helpers/browser.ts";

const NOW = new Date("2025-03-20T12:00:00Z");

/** Runs in the page: the finder chart image, decoded (the test is compiled without DOM types). */
const finderSize = () => {
  const img = (
    globalThis as unknown as { document: { getElementById(id: string): unknown } }
  ).document.getElementById("finder-chart") as {
    complete: boolean;
    naturalWidth: number;
    naturalHeight: number;
  } | null;
  return img && img.complete ? { w: img.naturalWidth, h: img.naturalHeight } : null;
};

describe.skipIf(!HAVE_CHROMIUM)("planning pages in chromium (pglite)", () => {
  let b: BrowserHarness;
  let demo: DemoResult;

  beforeAll(async () => {
    b = await startBrowserHarness();
    demo = await runDemo(b.t.tdb.database, b.t.tdb.dataDir, { frames: 3, catalogues: 0, now: NOW });
  }, 240_000);
  afterAll(async () => b?.close());

  it("the target page's Observe panel shows the camera's row and a finder chart that renders", async () => {
    const page = await b.newPage();
    await login(page, { username: demo.user.username, password: demo.user.password });
    await page.goto("/targets/DemoVar-1/");
    await expect.poll(() => page.locator("#observe-panel").count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator("#observe-panel").textContent()).toContain("skytom-demo_CCD1");
    await expect.poll(() => page.evaluate(finderSize), { timeout: 20_000 }).toEqual({ w: 1246, h: 698 });
    await page.locator("#finder-chart").scrollIntoViewIfNeeded();
    await screenshot(page, "planning-observe");
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 60_000);

  it("home and observatory pages load their Tonight panels", async () => {
    const page = await b.newPage();
    await login(page, { username: demo.user.username, password: demo.user.password });
    await page.goto("/");
    await expect.poll(() => page.locator(".tonight").count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator(".tonight").textContent()).toContain("skytom-demo_CCD1");
    expect(await page.getByRole("heading", { name: "Your recent uploads" }).count()).toBe(1);
    await screenshot(page, "planning-home");
    await page.goto("/observatory/");
    await page.getByRole("link", { name: "skytom-demo", exact: true }).first().click();
    await expect.poll(() => page.locator(".tonight").count(), { timeout: 20_000 }).toBe(1);
    await screenshot(page, "planning-observatory-tonight");
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 60_000);
});
