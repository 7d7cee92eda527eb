/**
 * Browser tests: a real server (buildApp on a test database, listening on 127.0.0.1 at a free port) and
 * Debian's chromium driven by playwright-core (never `npx playwright install`). Each `newPage()` gets a
 * fresh browser context (its own cookies). Screenshots go to test-artifacts/screenshots/<name>.png.
 *
 *   const describeBrowser = describe.skipIf(!HAVE_CHROMIUM);
 *   describeBrowser("…", () => {
 *     let b: BrowserHarness;
 *     beforeAll(async () => { b = await startBrowserHarness(); });
 *     afterAll(async () => b?.close());
 *     it("…", async () => { const page = await b.newPage(); await login(page, user); … });
 *   });
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./app.ts";
import { CHROMIUM } from "./chromium.ts";

export { CHROMIUM, HAVE_CHROMIUM } from "./chromium.ts";
export const SCREENSHOT_DIR = join(process.cwd(), "test-artifacts", "screenshots");

export interface BrowserHarness {
  /** The app and database (make users with `t.user(name, flags)`). */
  t: TestApp;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  browser: Browser;
  /**
   * A page in a fresh context (no cookies) with `baseURL` set, so `page.goto("/profile/")` works.
   * Requests to any other host fail the test (`externalRequests`).
   */
  newPage(opts?: { width?: number; height?: number }): Promise<Page>;
  /** URLs a page asked for that were not on this server (must stay empty). */
  externalRequests: string[];
  /** Console errors and page errors seen (CSP violations, script errors; 4xx page loads are left out). */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function startBrowserHarness(opts: { queue?: boolean } = {}): Promise<BrowserHarness> {
  const t = await createTestApp("pglite", { queue: opts.queue });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = t.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const contexts: BrowserContext[] = [];
  const externalRequests: string[] = [];
  const consoleErrors: string[] = [];
  return {
    t,
    baseUrl,
    browser,
    externalRequests,
    consoleErrors,
    async newPage({ width = 1280, height = 800 } = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: { width, height } });
      contexts.push(context);
      // Fail fast: a missing element is a failed test within seconds, not a 30 s timeout.
      context.setDefaultTimeout(5000);
      // A navigation may wait on the server's work (a login is a 32 MiB scrypt), slower with test files
      // running side by side: more time for page loads only.
      context.setDefaultNavigationTimeout(15_000);
      const page = await context.newPage();
      page.on("request", (r) => {
        if (!r.url().startsWith(baseUrl) && !r.url().startsWith("data:")) externalRequests.push(r.url());
      });
      page.on("console", (m) => {
        // A form answered 400/403 on purpose is logged by chromium as a failed load: not an error here.
        if (m.type() === "error" && !/status of 4\d\d/.test(m.text()))
          consoleErrors.push(`${page.url()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await t.close();
    },
  };
}

/** Full-page screenshot into test-artifacts/screenshots/<name>.png; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Log in through the login form; ends on the page after the redirect, with the user shown in the nav. */
export async function login(page: Page, user: Pick<TestUser, "username" | "password">): Promise<void> {
  await page.goto("/accounts/login/");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith("/accounts/login/")),
    page.getByRole("button", { name: "Log in" }).click(),
  ]);
  await expect
    .poll(() => page.getByRole("navigation", { name: "Account" }).textContent())
    .toContain(user.username);
}
