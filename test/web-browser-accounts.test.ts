import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as users from "../src/domain/users/service.ts";
import {
  HAVE_CHROMIUM,
  login,
  screenshot,
  startBrowserHarness,
  type BrowserHarness,
} from "./helpers/browser.ts";
import type { TestUser } from "./helpers/app.ts";

/** The part of the browser's window this test calls (the test is compiled without DOM types). */
interface StyleWindow {
  getComputedStyle(e: unknown): { backgroundColor: string };
}

describe.skipIf(!HAVE_CHROMIUM)("web accounts in chromium (pglite)", () => {
  let b: BrowserHarness;
  let alice: TestUser;

  beforeAll(async () => {
    b = await startBrowserHarness();
    alice = await b.t.user("alice");
  }, 60_000);
  afterAll(async () => b?.close());

  it("home and login pages render; log in, see the nav, create a token, log out", async () => {
    const page = await b.newPage();
    await page.goto("/");
    await expect.poll(() => page.title()).toBe("Home · skytom");
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const name of ["Targets", "Data products", "Upload", "Observatories"])
      expect(await nav.getByRole("link", { name, exact: true }).count()).toBe(1);
    expect(await nav.getByRole("link", { name: "Admin" }).count()).toBe(0);
    // htmx and the CSS came from this server
    expect(await page.evaluate(() => typeof (globalThis as unknown as { htmx?: unknown }).htmx)).toBe(
      "object",
    );
    expect(
      await page
        .locator(".site-header")
        .evaluate((e) => (globalThis as unknown as StyleWindow).getComputedStyle(e).backgroundColor),
    ).toBe("rgb(20, 33, 61)");
    await screenshot(page, "home-anonymous");

    await page.goto("/accounts/login/");
    await page.getByLabel("Username").fill("alice");
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.locator(".form-errors").textContent()).toContain("Unable to log in");
    await screenshot(page, "login-error");

    await login(page, alice);
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.locator(".flash-success").textContent()).toContain("Welcome, alice.");
    expect(await page.getByRole("heading", { name: "Latest data products" }).count()).toBe(1);
    await screenshot(page, "home-signed-in");

    // keyboard: the account link is reachable and opens the profile
    await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "alice" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL("**/profile/");
    await page.getByRole("button", { name: "Create a token" }).click();
    const token = await page.getByLabel("New API token").inputValue();
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    await expect.poll(() => page.locator("#tokens-heading + p").textContent()).toContain("2 active tokens");
    await screenshot(page, "profile-new-token");
    // the token works against the API
    const res = await fetch(`${b.baseUrl}/common/api/data/`, {
      method: "POST",
      headers: { authorization: `Token ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(200);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${b.baseUrl}/`);
    expect(await page.locator(".flash-info").textContent()).toContain("You have logged out.");
    expect(
      await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Log in" }).count(),
    ).toBe(1);
    await page.goto("/profile/");
    expect(new URL(page.url()).pathname).toBe("/accounts/login/");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/profile/");
  });

  it("register: field errors, then an inactive account and a clear message (phone width)", async () => {
    const page = await b.newPage({ width: 390, height: 844 });
    await page.goto("/accounts/register/");
    await page.getByLabel("Username").fill("new observer");
    await page.getByLabel("Email").fill("nina@example.org");
    await page.locator("#f-password").fill("nina-password");
    await page.getByLabel("Password again").fill("nina-passw0rd");
    await page.getByRole("button", { name: "Register" }).click();
    await expect.poll(() => page.locator("#f-password2-error").textContent()).toContain("do not match");
    expect(await page.locator("#f-username").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Email").inputValue()).toBe("nina@example.org");
    await screenshot(page, "register-errors-phone");

    await page.getByLabel("Username").fill("nina");
    await page.locator("#f-password").fill("nina-password");
    await page.getByLabel("Password again").fill("nina-password");
    await page.getByRole("button", { name: "Register" }).click();
    await page.waitForURL("**/accounts/login/");
    expect(await page.locator(".flash-success").textContent()).toContain(
      "A staff member will review your account",
    );
    await screenshot(page, "login-after-register-phone");
    const nina = await users.findUser(b.t.tdb.database.db, "nina");
    expect(nina.isActive).toBe(false);

    await page.goto("/accounts/register/");
    await screenshot(page, "register");
    // no page asked for anything outside this server, and nothing failed in the console
    expect(b.externalRequests).toEqual([]);
    expect(b.consoleErrors).toEqual([]);
  });
});
