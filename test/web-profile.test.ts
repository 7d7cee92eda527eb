import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as users from "../src/domain/users/service.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.each(ENGINES)("web registration and profile on %s", (engine) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(engine);
    // an existing account, for the duplicate-username case
    await t.user("alice");
  });
  afterAll(async () => t.close());

  describe("registration", () => {
    it("empty form → 400 with a message next to each required field", async () => {
      const web = new WebClient(t.app);
      await web.get("/accounts/register/");
      const res = await web.post("/accounts/register/", {
        username: "",
        email: "",
        password: "",
        password2: "",
      });
      expect(res.statusCode).toBe(400);
      for (const f of ["username", "email", "password"])
        expect(res.body).toMatch(new RegExp(`id="f-${f}-error">\\s*<li>This field is required\\.</li>`));
      expect(res.body).toMatch(/id="f-username"[^>]*aria-invalid="true"/);
    });

    it("bad values → the domain's messages per field; values kept, passwords not echoed", async () => {
      const web = new WebClient(t.app);
      await web.get("/accounts/register/");
      const cases: [Record<string, string>, string, string][] = [
        [{ username: "bad name!" }, "username", "Use only letters, digits and @ . + - _ (no spaces)."],
        [{ email: "not-an-email" }, "email", "Enter a valid email address."],
        [
          { password: "short", password2: "short" },
          "password",
          "Ensure this field has at least 8 characters.",
        ],
        [{ password2: "different-pass" }, "password2", "The two passwords do not match."],
        [{ username: "alice" }, "username", "A user with that username already exists."],
      ];
      for (const [patch, field, message] of cases) {
        const form = {
          username: "newcomer",
          email: "new@example.org",
          first_name: "Nina",
          password: "long-enough-pw",
          password2: "long-enough-pw",
          ...patch,
        };
        const res = await web.post("/accounts/register/", form);
        expect(res.statusCode, JSON.stringify(patch)).toBe(400);
        expect(res.body).toMatch(new RegExp(`id="f-${field}-error">\\s*<li>${escapeRe(message)}</li>`));
        expect(res.body).toContain('value="Nina"');
        expect(res.body).not.toContain(form.password);
      }
      expect(await users.findUser(t.tdb.database.db, "newcomer").catch(() => null)).toBeNull();
    });

    it("valid sign-up → inactive, non-staff account, a clear message; it cannot log in until approved", async () => {
      const web = new WebClient(t.app);
      await web.get("/accounts/register/");
      const res = await web.post("/accounts/register/", {
        username: "carol",
        email: "carol@example.org",
        first_name: "Carol",
        last_name: "Shoe",
        password: "carol-password",
        password2: "carol-password",
        is_staff: "true",
        is_active: "true",
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/accounts/login/");
      const carol = await users.findUser(t.tdb.database.db, "carol");
      expect(carol).toMatchObject({
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        email: "carol@example.org",
      });
      const page = pageText((await web.get("/accounts/login/")).body);
      expect(page).toContain("Thank you for registering, carol. A staff member will review your account");
      const login = await web.login("carol", "carol-password");
      expect(login.statusCode).toBe(400);
      expect(pageText(login.body)).toContain(
        "This account is not active yet: a staff member has to approve it first.",
      );
      // the API keeps its one message for every failed login
      const api = await t.call("POST", "/api/token-auth/", { username: "carol", password: "carol-password" });
      expect(api.json()).toEqual({ non_field_errors: ["Unable to log in with provided credentials."] });
      await users.updateUser(t.tdb.database.db, SYSTEM, "carol", { is_active: true });
      expect((await web.login("carol", "carol-password")).statusCode).toBe(303);
    });
  });

  describe("profile", () => {
    it("anonymous → 303 to the login page with next", async () => {
      const res = await new WebClient(t.app).get("/profile/");
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/accounts/login/?next=%2Fprofile%2F");
    });

    it("create a token (shown once, works with the API), then revoke all", async () => {
      await t.user("dora");
      const web = new WebClient(t.app);
      await web.login("dora", "dora-password");
      const before = pageText((await web.get("/profile/")).body);
      expect(before).toContain("You have 1 active token.");
      expect(before).toContain("dora");
      const created = await web.post("/profile/tokens/create/");
      expect(created.statusCode).toBe(200);
      expect(created.headers["cache-control"]).toBe("no-store");
      const token = /id="new-token"[^>]*value="([0-9a-f]{40})"/.exec(created.body)?.[1];
      expect(token).toMatch(/^[0-9a-f]{40}$/);
      expect(pageText(created.body)).toContain("You have 2 active tokens.");
      const apiList = await t.call("POST", "/common/api/data/", {}, token);
      expect(apiList.statusCode).toBe(200);
      expect((await web.get("/profile/")).body).not.toContain(token!);
      const revoked = await web.post("/profile/tokens/revoke/");
      expect(revoked.statusCode).toBe(303);
      const after = pageText((await web.get("/profile/")).body);
      expect(after).toContain("2 API tokens revoked.");
      expect(after).toContain("You have 0 active tokens.");
      expect((await t.call("POST", "/common/api/data/", {}, token)).statusCode).toBe(401);
    });

    it("change password: wrong old / short / mismatch → 400 per field; success ends other sessions", async () => {
      await t.user("erin");
      const web = new WebClient(t.app);
      const other = new WebClient(t.app);
      await web.login("erin", "erin-password");
      await other.login("erin", "erin-password");
      await web.get("/profile/");
      const cases: [Record<string, string>, string, string][] = [
        [{ old_password: "nope-nope" }, "old_password", "Your old password was entered incorrectly."],
        [
          { new_password: "short", new_password2: "short" },
          "new_password",
          "Ensure this field has at least 8 characters.",
        ],
        [{ new_password2: "something-else" }, "new_password2", "The two passwords do not match."],
        [{ old_password: "" }, "old_password", "This field is required."],
      ];
      for (const [patch, field, message] of cases) {
        const res = await web.post("/profile/password/", {
          old_password: "erin-password",
          new_password: "erin-new-password",
          new_password2: "erin-new-password",
          ...patch,
        });
        expect(res.statusCode, JSON.stringify(patch)).toBe(400);
        expect(res.body).toMatch(new RegExp(`id="f-${field}-error">\\s*<li>${escapeRe(message)}</li>`));
      }
      const ok = await web.post("/profile/password/", {
        old_password: "erin-password",
        new_password: "erin-new-password",
        new_password2: "erin-new-password",
      });
      expect(ok.statusCode).toBe(303);
      expect(pageText((await web.get("/profile/")).body)).toContain(
        "Password changed. Logged out 1 other session.",
      );
      expect((await other.get("/profile/")).statusCode).toBe(303);
      const api = await t.call("POST", "/api/token-auth/", {
        username: "erin",
        password: "erin-new-password",
      });
      expect(api.statusCode).toBe(200);
    });
  });
});
