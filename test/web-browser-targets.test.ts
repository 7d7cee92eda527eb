/** Target pages in chromium: create through the form, the light curve drawn by plotly, htmx filters. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestUser } from "./helpers/app.ts";
import {
  HAVE_CHROMIUM,
  login,
  screenshot,
  startBrowserHarness,
  type BrowserHarness,
} from "./helpers/browser.ts";
import { multipart } from "./helpers/multipart.ts";

/** What the test reads from plotly's graph div (the test is compiled without DOM types). */
interface PlotDiv {
  data: { name: string; x: (number | string)[] }[];
  layout: { xaxis: { type: string; title: { text: string } } };
}
const plotState = () => {
  const el = (
    globalThis as unknown as { document: { getElementById(id: string): unknown } }
  ).document.getElementById("lightcurve") as PlotDiv;
  return {
    traces: el.data.map((t) => ({ name: t.name, x: t.x })),
    xType: el.layout.xaxis.type,
    xTitle: el.layout.xaxis.title.text,
  };
};

// 4 V points, 2 r points, 1 V upper limit.
const CSV =
  "time,filter,magnitude,error\n" +
  "60000.10,V,15.10,0.02\n60001.20,V,15.30,0.03\n60003.40,V,15.60,0.03\n60005.00,V,15.90,0.04\n" +
  "60000.50,r,14.80,0.02\n60004.10,r,15.00,0.02\n60006.00,V,18.90,-1\n";

describe.skipIf(!HAVE_CHROMIUM)("target pages in chromium (pglite)", () => {
  let b: BrowserHarness;
  let alice: TestUser;

  beforeAll(async () => {
    b = await startBrowserHarness();
    alice = await b.t.user("alice");
    for (let i = 1; i <= 30; i++) {
      const res = await b.t.call(
        "POST",
        "/targets/createTarget/",
        {
          name: `Field star ${i}`,
          ra: 20 + i * 3,
          dec: -10 + i,
          importance: (i % 10) + 0.5,
          classification: "Star",
        },
        alice.token,
      );
      expect(res.statusCode).toBe(201);
    }
  }, 60_000);
  afterAll(async () => b?.close());

  it("create a target through the form, upload points, see them plotted, switch the axis to dates", async () => {
    const page = await b.newPage();
    await login(page, alice);
    await page.goto("/targets/create/");
    await page.getByLabel("Name").fill("Gaia24abc");
    await page.getByLabel("RA (deg or hh:mm:ss)").fill("05:34:31.94");
    await page.getByLabel("Dec (deg or ±dd:mm:ss)").fill("+22:00:52.2");
    await page.getByLabel("Classification").selectOption("Microlensing Event");
    await page.getByLabel("Importance (0–10)").fill("11");
    await page.getByRole("button", { name: "Create target" }).click();
    // the domain's message next to the field, values kept
    await expect
      .poll(() => page.locator("#f-importance-error").textContent())
      .toContain("less than or equal to 10");
    expect(await page.getByLabel("RA (deg or hh:mm:ss)").inputValue()).toBe("05:34:31.94");
    await screenshot(page, "targets-create-errors");
    await page.getByLabel("Importance (0–10)").fill("8");
    await Promise.all([
      page.waitForURL("**/targets/Gaia24abc/"),
      page.getByRole("button", { name: "Create target" }).click(),
    ]);
    expect(await page.locator(".flash-success").textContent()).toContain("Target Gaia24abc created.");
    expect(await page.locator("main").textContent()).toContain("05:34:31.94");

    // points arrive through the API's upload, as a script would send them
    const { payload, contentType } = multipart(
      { target: "Gaia24abc", data_product_type: "photometry_csv", observatory: "ROAD", dry_run: "False" },
      [{ name: "lc.csv", content: CSV }],
    );
    const up = await b.t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
      payload,
    });
    expect(up.statusCode, up.body).toBe(201);

    await page.goto("/targets/Gaia24abc/");
    await page.locator("#lightcurve .main-svg").first().waitFor();
    const drawn = await page.evaluate(plotState);
    const points = Object.fromEntries(drawn.traces.map((t) => [t.name, t.x.length]));
    expect(points).toEqual({ V: 4, "V limit": 1, r: 2 });
    expect(drawn.xType).toBe("linear");
    // every point is a rendered marker
    expect(await page.locator("#lightcurve .scatterlayer .point").count()).toBe(7);
    expect(await page.locator("main").textContent()).toContain("15.900 mag in V");
    await screenshot(page, "targets-detail");

    await page.getByLabel("Date (UTC)").check();
    await expect.poll(() => page.locator("#lightcurve").getAttribute("data-axis")).toBe("date");
    const dated = await page.evaluate(plotState);
    expect(dated.xType).toBe("date");
    expect(dated.xTitle).toBe("Date (UTC)");
    const v = dated.traces.find((t) => t.name === "V")!;
    expect(v.x[0]).toBe("2023-02-25 02:24:00.000"); // MJD 60000.1
    await screenshot(page, "targets-detail-dates");
    await page.getByLabel("MJD").check();
    await expect.poll(() => page.locator("#lightcurve").getAttribute("data-axis")).toBe("mjd");

    // the CSV link downloads the light curve
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download photometry CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("target_Gaia24abc_photometry.csv");
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 30_000);

  it("the list: htmx search and sort update the results and the address", async () => {
    const page = await b.newPage();
    await login(page, alice);
    await page.goto("/targets/");
    await expect.poll(() => page.locator("#result-count").textContent()).toBe("1–25 of 31 targets");
    await screenshot(page, "targets-list");
    await page.getByLabel("Name or alias contains").fill("star 1");
    await expect.poll(() => page.locator("#result-count").textContent()).toBe("1–11 of 11 targets");
    expect(new URL(page.url()).searchParams.get("q")).toBe("star 1");
    await page.getByRole("link", { name: "Name", exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("sort")).toBe("name");
    await expect
      .poll(() => page.locator(".target-table tbody tr td:first-child strong").first().textContent())
      .toBe("Field star 1");
    // the filter form now carries the sort: a filter change keeps it
    await page.getByLabel("Classification").selectOption("Star");
    await expect.poll(() => new URL(page.url()).searchParams.get("classification")).toBe("Star");
    expect(new URL(page.url()).searchParams.get("sort")).toBe("name");
    expect(await page.locator("#result-count").textContent()).toBe("1–11 of 11 targets");
    // the other filters, and a cone search that matches nothing: the empty state
    await page.getByText("More filters").click();
    await page.getByLabel("Cone: RA, Dec, radius").fill("00:00:00, +89:00:00, 0.5");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => page.locator("#target-results").textContent()).toContain("No target matches");
    expect(new URL(page.url()).searchParams.get("cone")).toBe("00:00:00, +89:00:00, 0.5");
    await screenshot(page, "targets-list-filters");
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 20_000);

  it("phone width: list, target page and form fit", async () => {
    const page = await b.newPage({ width: 390, height: 844 });
    await login(page, alice);
    const noSideScroll = () =>
      page.evaluate(() => {
        const d = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document.documentElement;
        return d.scrollWidth <= d.clientWidth;
      });
    await page.goto("/targets/");
    expect(await noSideScroll()).toBe(true);
    await screenshot(page, "targets-list-phone");
    await page.goto("/targets/Gaia24abc/");
    await page.locator("#lightcurve .main-svg").first().waitFor();
    expect(await noSideScroll()).toBe(true);
    await screenshot(page, "targets-detail-phone");
    await page.goto("/targets/create/");
    expect(await noSideScroll()).toBe(true);
    await screenshot(page, "targets-create-phone");
    await page.goto("/targets/Gaia24abc/edit/");
    await screenshot(page, "targets-edit-phone");
    expect(b.consoleErrors).toEqual([]);
  }, 20_000);
});
