import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reducedDatums, targets, users as usersTable } from "../src/db/schema/index.ts";
import * as users from "../src/domain/users/service.ts";
import {
  HAVE_CHROMIUM,
  login,
  screenshot,
  startBrowserHarness,
  type BrowserHarness,
} from "./helpers/browser.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

describe.skipIf(!HAVE_CHROMIUM)("observatories and admin in chromium", () => {
  let b: BrowserHarness;
  beforeAll(async () => {
    b = await startBrowserHarness();
  }, 60_000);
  afterAll(async () => b?.close());

  it("an observer creates an observatory (after a form error), sees it listed and in detail", async () => {
    const alice = await b.t.user("alice");
    const page = await b.newPage();
    await login(page, alice);
    await page.goto("/observatory/");
    await expect.poll(() => page.getByText("No observatories yet.").isVisible()).toBe(true);
    await screenshot(page, "observatory-list-empty");

    await page.getByRole("link", { name: "New observatory" }).click();
    await page.getByLabel("Observatory name").fill("Ondrejov");
    await page.getByLabel("Longitude (deg, east positive)").fill("14.78");
    await page.getByLabel("Latitude (deg)").fill("ninety");
    await page.getByLabel("Altitude (m above sea level)").fill("528");
    await page.getByLabel("Camera name").fill("G4");
    await page.getByRole("button", { name: "Create observatory" }).click();
    await expect
      .poll(() => page.locator("#f-lat-error").textContent())
      .toContain("A valid number is required.");
    await expect.poll(() => page.getByLabel("Latitude (deg)").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "observatory-create-error");

    await page.getByLabel("Latitude (deg)").fill("49.91");
    await page.getByLabel("Telescope", { exact: true }).fill("Mayer 0.65 m");
    await Promise.all([
      page.waitForURL(/\/observatory\/\d+\/$/),
      page.getByRole("button", { name: "Create observatory" }).click(),
    ]);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Ondrejov");
    await expect
      .poll(() => page.locator(".flash-success").textContent())
      .toContain("Observatory Ondrejov created.");
    await expect.poll(() => page.getByText("49.91000° N").isVisible()).toBe(true);
    await screenshot(page, "observatory-detail");

    // staff activate the camera from the admin page, then the star works through htmx
    const staff = await b.t.user("stella", { staff: true });
    const admin = await b.newPage();
    await login(admin, staff);
    await admin.goto("/admin/cameras/");
    await admin.getByRole("button", { name: "Activate Ondrejov_G4" }).click();
    await expect
      .poll(() => admin.locator(".flash-success").textContent())
      .toContain("Camera Ondrejov_G4 activated.");
    await screenshot(admin, "admin-cameras");

    await page.goto("/observatory/");
    await page.getByRole("button", { name: /^Add to favourites\W+Ondrejov_G4/ }).click();
    await expect
      .poll(() =>
        page.getByRole("button", { name: /^Favourite\W+Ondrejov_G4 \(remove\)/ }).getAttribute("class"),
      )
      .toContain("is-on");
    await expect
      .poll(() => page.locator(".star-message").textContent())
      .toContain("added to your favourites");
    await screenshot(page, "observatory-list");

    const phone = await b.newPage({ width: 390, height: 844 });
    await login(phone, alice);
    await phone.goto("/observatory/");
    await expect.poll(() => phone.getByRole("link", { name: "Ondrejov" }).isVisible()).toBe(true);
    await screenshot(phone, "observatory-list-phone");
    await phone.getByRole("link", { name: "Ondrejov" }).click();
    await expect.poll(() => phone.getByText("Ondrejov_G4").first().isVisible()).toBe(true);
    await screenshot(phone, "observatory-detail-phone");

    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 40_000);

  it("staff approve a sign-up from the dashboard; the other admin pages render", async () => {
    const db = b.t.tdb.database.db;
    await users.createUser(db, SYSTEM, {
      username: "newbie",
      password: "newbie-password",
      email: "newbie@example.org",
      first_name: "Nora",
      last_name: "Novak",
      is_active: false,
    });
    const [tg] = await db
      .insert(targets)
      .values({ name: "Gaia21bcv", ra: 100.5, dec: -20.25 } as typeof targets.$inferInsert)
      .returning();
    await db.insert(reducedDatums).values(
      [60000.1, 60001.2, 60002.3].map((mjd, i) => ({
        targetId: tg.id,
        mjd,
        value: 15 + i / 10,
        error: 0.05,
        filter: "V",
        observer: "alice",
      })),
    );
    const page = await b.newPage();
    await login(page, { username: "stella", password: "stella-password" });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
    await expect.poll(() => page.locator("#count-users").textContent()).toBe("1");
    await screenshot(page, "admin-dashboard");
    await page.getByRole("button", { name: /^Approve\W+newbie/ }).click();
    await expect.poll(() => page.locator(".flash-success").textContent()).toContain("newbie approved");
    await expect.poll(() => page.locator("#count-users").textContent()).toBe("0");
    const [row] = await db.select().from(usersTable).where(eq(usersTable.username, "newbie"));
    expect(row.isActive).toBe(true);
    await screenshot(page, "admin-dashboard-approved");

    await page.goto("/admin/dataproducts/");
    await expect.poll(() => page.getByText("No data products are in error.").isVisible()).toBe(true);
    await screenshot(page, "admin-dataproducts");
    await page.goto("/admin/points/");
    await page.getByLabel("Target name (exact)").fill("Gaia21bcv");
    await page.getByRole("button", { name: "Show points" }).click();
    const first = page.getByRole("button", { name: /^Deactivate point/ }).first();
    await first.click();
    await expect.poll(() => page.locator(".flash-success").textContent()).toContain("deactivated");
    await expect.poll(() => page.getByRole("button", { name: /^Reactivate point/ }).count()).toBe(1);
    await screenshot(page, "admin-points");

    const phone = await b.newPage({ width: 390, height: 844 });
    await login(phone, { username: "stella", password: "stella-password" });
    await phone.goto("/admin/");
    await screenshot(phone, "admin-dashboard-phone");

    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  }, 40_000);
});
