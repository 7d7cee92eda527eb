import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, users as usersTable } from "../src/db/schema/index.ts";
import * as users from "../src/domain/users/service.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe.each(ENGINES)("web accounts on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    staff = await t.user("stella", { staff: true });
  });
  afterAll(async () => t.close());

  const sessionRows = (userId?: number) =>
    userId === undefined
      ? t.tdb.database.db.select().from(sessions)
      : t.tdb.database.db.select().from(sessions).where(eq(sessions.userId, userId));

  describe("pages, assets and the API side by side", () => {
    it("GET / anonymous → 200 HTML with counts, nav, login links, a CSP and only local URLs", async () => {
      const web = new WebClient(t.app);
      const res = await web.get("/");
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
      const text = pageText(res.body);
      expect(text).toContain("0 targets");
      expect(text).toContain("0 data products");
      for (const label of ["Targets", "Data products", "Upload", "Observatories", "Log in", "Register"])
        expect(text).toContain(label);
      expect(text).not.toContain("Admin");
      expect(text).not.toContain("Latest data products");
      // no external requests: every src/href is a local path
      const urls = [...res.body.matchAll(/(?:src|href|action)="([^"]*)"/g)].map((m) => m[1]);
      expect(urls.length).toBeGreaterThan(8);
      for (const u of urls) expect(u).toMatch(/^(\/|#)/);
      expect(res.body).toMatch(/<script src="\/static\/htmx\.min\.js\?v=[0-9a-f]{10}" defer><\/script>/);
    });

    it("GET /static/… → vendor and own files, long-cached, gzip when accepted; unknown → 404", async () => {
      const htmx = await t.app.inject({ method: "GET", url: "/static/htmx.min.js" });
      expect(htmx.statusCode).toBe(200);
      expect(htmx.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      expect(htmx.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(htmx.body).toContain("htmx");
      const plotly = await t.app.inject({
        method: "GET",
        url: "/static/plotly.min.js",
        headers: { "accept-encoding": "gzip, br" },
      });
      expect(plotly.statusCode).toBe(200);
      expect(plotly.headers["content-encoding"]).toBe("gzip");
      expect(Number(plotly.headers["content-length"])).toBeLessThan(plotly.rawPayload.length + 1);
      const css = await t.app.inject({ method: "GET", url: "/static/app.css" });
      expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
      expect(css.body).toContain(":focus-visible");
      expect((await t.app.inject({ method: "GET", url: "/static/nope.js" })).statusCode).toBe(404);
    });

    it("unknown GET: browsers get the 404 page, API clients keep JSON 404", async () => {
      const html = await new WebClient(t.app).get("/no/such/page/");
      expect(html.statusCode).toBe(404);
      expect(pageText(html.body)).toContain("Page not found");
      const json = await t.call("GET", "/no/such/page/");
      expect(json.statusCode).toBe(404);
      expect(json.json()).toEqual({ detail: "Not found." });
    });

    it("API routes answer as before: 405 JSON, 401 JSON, no web paths in the OpenAPI document", async () => {
      const getList = await new WebClient(t.app).get("/targets/getTargetList/");
      expect(getList.statusCode).toBe(405);
      expect(getList.json()).toEqual({ detail: 'Method "GET" not allowed.' });
      const anon = await t.app.inject({
        method: "POST",
        url: "/targets/getTargetList/",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: "name=x",
      });
      expect(anon.statusCode).toBe(401);
      expect(anon.json()).toEqual({ detail: "Authentication credentials were not provided." });
      const paths = Object.keys((await t.call("GET", "/api/openapi.json")).json().paths);
      expect(paths).toContain("/api/token-auth/");
      for (const p of ["/", "/accounts/login/", "/accounts/register/", "/profile/", "/static/{name}", "/*"])
        expect(paths).not.toContain(p);
    });

    it("an API token does not sign a browser in: /profile/ with a token only → login page", async () => {
      const res = await t.app.inject({
        method: "GET",
        url: "/profile/",
        headers: { authorization: `Token ${alice.token}` },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/accounts/login/?next=%2Fprofile%2F");
    });
  });

  describe("login and sessions", () => {
    it("wrong password → 400 with the message on the form; empty fields → per-field messages", async () => {
      const web = new WebClient(t.app);
      const bad = await web.login("alice", "wrong-password");
      expect(bad.statusCode).toBe(400);
      expect(pageText(bad.body)).toContain("Unable to log in with provided credentials.");
      expect(bad.body).toContain('value="alice"');
      expect(web.cookies.has("skytom_session")).toBe(false);
      const empty = await web.post("/accounts/login/", { username: "", password: "" });
      expect(empty.statusCode).toBe(400);
      expect(empty.body).toMatch(/id="f-username-error">\s*<li>This field is required\.<\/li>/);
      expect(empty.body).toMatch(/id="f-password-error">\s*<li>This field is required\.<\/li>/);
    });

    it("right password → 303 to next, an HttpOnly Lax cookie, only the SHA-256 stored", async () => {
      const web = new WebClient(t.app);
      const res = await web.login("alice", alice.password, "/profile/?tab=tokens");
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/profile/?tab=tokens");
      const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
      const session = setCookie.find((c) => c.startsWith("skytom_session="));
      expect(session).toMatch(
        /^skytom_session=[0-9a-f]{64}; Max-Age=1209600; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      const id = web.cookies.get("skytom_session") as string;
      const [user] = await t.tdb.database.db
        .select()
        .from(usersTable)
        .where(eq(usersTable.username, "alice"));
      const rows = await sessionRows(user.id);
      expect(rows.map((r) => r.idHash)).toContain(sha256(id));
      expect(rows.map((r) => r.idHash)).not.toContain(id);
      const row = rows.find((r) => r.idHash === sha256(id));
      const days = (row!.expires.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(13.99);
      expect(days).toBeLessThanOrEqual(14);
      expect(user.lastLogin).not.toBeNull();
      // the next page shows the user, the welcome flash once, and the staff-only link stays hidden
      const home = await web.get("/");
      expect(pageText(home.body)).toContain("Welcome, alice.");
      expect(pageText(home.body)).toContain("alice Log out");
      expect(pageText(home.body)).not.toContain("Admin");
      expect(pageText((await web.get("/")).body)).not.toContain("Welcome, alice.");
    });

    it("next is honoured only for local paths", async () => {
      for (const [next, expected] of [
        ["//evil.example/x", "/"],
        ["https://evil.example/", "/"],
        ["/\\evil.example", "/"],
        ["javascript:alert(1)", "/"],
        ["/targets/?page=2", "/targets/?page=2"],
      ]) {
        const res = await new WebClient(t.app).login("alice", alice.password, next);
        expect(res.headers.location, next).toBe(expected);
      }
    });

    it("staff see the Admin link", async () => {
      const web = new WebClient(t.app);
      await web.login("stella", staff.password);
      const text = pageText((await web.get("/")).body);
      expect(text).toContain("Admin");
      expect(text).toContain("Latest data products");
    });

    it("logout: GET confirms, POST deletes the row and the cookie; the old cookie is dead", async () => {
      const web = new WebClient(t.app);
      await web.login("alice", alice.password);
      const id = web.cookies.get("skytom_session") as string;
      const confirm = await web.get("/accounts/logout/");
      expect(confirm.statusCode).toBe(200);
      expect(pageText(confirm.body)).toContain("You are logged in as alice");
      const out = await web.post("/accounts/logout/");
      expect(out.statusCode).toBe(303);
      expect(out.headers.location).toBe("/");
      expect(web.cookies.has("skytom_session")).toBe(false);
      expect((await sessionRows()).map((r) => r.idHash)).not.toContain(sha256(id));
      expect(pageText((await web.get("/")).body)).toContain("You have logged out.");
      const replay = await t.app.inject({ method: "GET", url: "/profile/", cookies: { skytom_session: id } });
      expect(replay.statusCode).toBe(303);
    });

    it("a deactivated user's session stops working; an expired session too", async () => {
      await t.user("bob");
      const web = new WebClient(t.app);
      await web.login("bob", "bob-password");
      expect((await web.get("/profile/")).statusCode).toBe(200);
      await users.updateUser(t.tdb.database.db, SYSTEM, "bob", { is_active: false });
      const res = await web.get("/profile/");
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/accounts/login/?next=%2Fprofile%2F");
      await users.updateUser(t.tdb.database.db, SYSTEM, "bob", { is_active: true });
      // the stale cookie was cleared with that answer; log in again, then expire the session
      await web.login("bob", "bob-password");
      expect((await web.get("/profile/")).statusCode).toBe(200);
      const id = web.cookies.get("skytom_session") as string;
      await t.tdb.database.db
        .update(sessions)
        .set({ expires: new Date(Date.now() - 1000) })
        .where(eq(sessions.idHash, sha256(id)));
      expect((await web.get("/profile/")).statusCode).toBe(303);
    });

    it("a made-up session cookie is ignored and cleared", async () => {
      const res = await t.app.inject({
        method: "GET",
        url: "/",
        headers: { accept: "text/html" },
        cookies: { skytom_session: "f".repeat(64) },
      });
      expect(res.statusCode).toBe(200);
      expect(pageText(res.body)).toContain("Log in");
      expect(String(res.headers["set-cookie"])).toMatch(/skytom_session=;/);
    });
  });

  describe("CSRF", () => {
    it("a form POST without a token, with a wrong one, or without the secret cookie → 403 page", async () => {
      const web = new WebClient(t.app);
      await web.get("/accounts/login/");
      const none = await web.post("/accounts/login/", {
        username: "alice",
        password: alice.password,
        _csrf: "",
      });
      expect(none.statusCode).toBe(403);
      expect(none.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(pageText(none.body)).toContain("This form has expired or did not come from this site.");
      const wrong = await web.post("/accounts/login/", {
        username: "alice",
        password: alice.password,
        _csrf: "abc-def",
      });
      expect(wrong.statusCode).toBe(403);
      // a token from another browser's page (its own secret cookie) does not work here
      const other = new WebClient(t.app);
      await other.get("/accounts/login/");
      const foreign = await web.post("/accounts/login/", {
        username: "alice",
        password: alice.password,
        _csrf: other.csrf,
      });
      expect(foreign.statusCode).toBe(403);
      const noCookie = await t.app.inject({
        method: "POST",
        url: "/accounts/login/",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: new URLSearchParams({
          username: "alice",
          password: alice.password,
          _csrf: web.csrf,
        }).toString(),
      });
      expect(noCookie.statusCode).toBe(403);
      expect(web.cookies.has("skytom_session")).toBe(false);
    });

    it("logout without the token → 403 and the session stays; htmx's X-CSRF-Token header is accepted", async () => {
      const web = new WebClient(t.app);
      await web.login("alice", alice.password);
      await web.get("/");
      const forged = await web.post("/accounts/logout/", { _csrf: "" });
      expect(forged.statusCode).toBe(403);
      expect((await web.get("/profile/")).statusCode).toBe(200);
      // <body hx-headers> carries the same token for htmx requests
      const home = await web.get("/");
      const hx = /hx-headers="([^"]+)"/.exec(home.body)![1].replace(/&quot;/g, '"');
      const header = JSON.parse(hx)["X-CSRF-Token"] as string;
      const ok = await web.post(
        "/accounts/logout/",
        { _csrf: "" },
        { "x-csrf-token": header, "hx-request": "true" },
      );
      expect(ok.statusCode).toBe(303);
      expect((await web.get("/profile/")).statusCode).toBe(303);
    });
  });
});
