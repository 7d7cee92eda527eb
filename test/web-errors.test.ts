import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../src/domain/errors.ts";
import { installAuth } from "../src/http/auth.ts";
import { installConventions } from "../src/http-kit/conventions.ts";
import { installErrorHandlers } from "../src/http/errors.ts";
import { requireStaff, type WebOptions } from "../src/web/context.ts";
import { webRoutes } from "../src/web/index.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { pageText, WebClient } from "./helpers/web.ts";

describe("web error pages and access helpers (pglite)", () => {
  let t: TestApp;
  let app: FastifyInstance;

  // A page plugin like the ones other engineers add, exercising the helpers.
  const testPages: FastifyPluginAsync<WebOptions> = async (page) => {
    page.get("/test/staff/", async (request) => {
      requireStaff(request);
      return "staff only";
    });
    page.get("/test/missing/", async () => {
      throw new NotFoundError("Target Foo does not exist.");
    });
    page.get("/test/invalid/", async () => {
      throw new ValidationError({ ra: ["Ensure this value is less than or equal to 360."] });
    });
    page.get("/test/crash/", async () => {
      throw new Error("database password is hunter2");
    });
  };

  beforeAll(async () => {
    t = await createTestApp("pglite");
    await t.user("olga");
    await t.user("sam", { staff: true });
    // The web plugin alone, on the same conventions as buildApp, with the test pages.
    app = Fastify({ logger: false });
    installErrorHandlers(app);
    await installConventions(app, { maxBufferedFileBytes: 1e6, maxUploadFileBytes: 1e6 });
    installAuth(app, t.tdb.database.db);
    await app.register(webRoutes, {
      database: t.tdb.database,
      dataDir: t.tdb.dataDir,
      extraPages: [testPages],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it("requireStaff: anonymous → login, a user → 403 page, staff → 200", async () => {
    const anon = await new WebClient(app).get("/test/staff/");
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe("/accounts/login/?next=%2Ftest%2Fstaff%2F");
    const user = new WebClient(app);
    await user.login("olga", "olga-password");
    const denied = await user.get("/test/staff/");
    expect(denied.statusCode).toBe(403);
    expect(pageText(denied.body)).toContain("This page is for staff only.");
    const staff = new WebClient(app);
    await staff.login("sam", "sam-password");
    expect((await staff.get("/test/staff/")).body).toBe("staff only");
  });

  it("domain errors become HTML pages: 404 with the message, 400 with field messages", async () => {
    const web = new WebClient(app);
    const missing = await web.get("/test/missing/");
    expect(missing.statusCode).toBe(404);
    expect(pageText(missing.body)).toContain("Target Foo does not exist.");
    const invalid = await web.get("/test/invalid/");
    expect(invalid.statusCode).toBe(400);
    expect(pageText(invalid.body)).toContain("ra: Ensure this value is less than or equal to 360.");
  });

  it("an unexpected error → 500 page with the request id, no message or stack trace", async () => {
    const res = await new WebClient(app).get("/test/crash/");
    expect(res.statusCode).toBe(500);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const text = pageText(res.body);
    expect(text).toContain("Something went wrong");
    expect(text).toContain("Request id:");
    expect(res.body).not.toContain("hunter2");
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });
});
