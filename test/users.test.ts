import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "./helpers/db.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ensureSuperuser } from "../src/domain/users/service.ts";

const TOKEN = /^[0-9a-f]{40}$/;

describe.each(ENGINES)("accounts and tokens on %s", (engine) => {
  let t: TestApp;
  let admin: TestUser;
  let staff: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    t = await createTestApp(engine);
    admin = await t.user("admin", { superuser: true });
    staff = await t.user("staffer", { staff: true });
    alice = await t.user("alice");
  });
  afterAll(async () => {
    // No response anywhere in this file contained a password hash or a stored token hash.
    expect(t.bodies.length).toBeGreaterThan(20);
    for (const b of t.bodies) {
      expect(b).not.toMatch(/scrypt\$/);
      expect(b).not.toMatch(/"password"\s*:\s*"/);
      expect(b).not.toMatch(/[0-9a-f]{64}/);
    }
    await t.close();
  });

  describe("POST /api/token-auth/", () => {
    it("JSON credentials → 200 with a new 40-hex token that authenticates", async () => {
      const res = await t.call("POST", "/api/token-auth/", { username: "alice", password: alice.password });
      expect(res.statusCode).toBe(200);
      const { token } = res.json();
      expect(token).toMatch(TOKEN);
      expect(token).not.toBe(alice.token);
      // both the old and the new token are valid
      for (const k of [token, alice.token]) {
        expect((await t.call("DELETE", "/nothing-here/", undefined, k)).statusCode).toBe(404);
      }
    });

    it("form and multipart bodies work too", async () => {
      const form = await t.app.inject({
        method: "POST",
        url: "/api/token-auth/",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: `username=alice&password=${encodeURIComponent(alice.password)}`,
      });
      expect(form.statusCode).toBe(200);
      expect(form.json().token).toMatch(TOKEN);
      const boundary = "----skytomboundary";
      const multipart =
        `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${alice.password}\r\n--${boundary}--\r\n`;
      const mp = await t.app.inject({
        method: "POST",
        url: "/api/token-auth",
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        payload: multipart,
      });
      expect(mp.statusCode).toBe(200);
      expect(mp.json().token).toMatch(TOKEN);
    });

    it("wrong password or unknown user → 400 non_field_errors", async () => {
      for (const body of [
        { username: "alice", password: "wrong-password" },
        { username: "nobody", password: "whatever-pass" },
      ]) {
        const res = await t.call("POST", "/api/token-auth/", body);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ non_field_errors: ["Unable to log in with provided credentials."] });
      }
    });

    it("missing and blank fields → 400 per field", async () => {
      const none = await t.call("POST", "/api/token-auth/");
      expect(none.statusCode).toBe(400);
      expect(none.json()).toEqual({
        username: ["This field is required."],
        password: ["This field is required."],
      });
      const one = await t.call("POST", "/api/token-auth/", { username: "alice" });
      expect(one.json()).toEqual({ password: ["This field is required."] });
      const blank = await t.call("POST", "/api/token-auth/", { username: "", password: "x" });
      expect(blank.json()).toEqual({ username: ["This field may not be blank."] });
    });

    it("an inactive user gets no token (differs from BHTOM2)", async () => {
      await t.user("sleepy", { active: false });
      const res = await t.call("POST", "/api/token-auth/", {
        username: "sleepy",
        password: "sleepy-password",
      });
      expect(res.statusCode).toBe(400);
    });

    it("a malformed token header is a 401 even on token-auth itself", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/token-auth/",
        headers: { authorization: "Token a b" },
        payload: { username: "alice", password: alice.password },
      });
      expect(res.statusCode).toBe(401);
    });

    it("GET → 405 JSON", async () => {
      const res = await t.call("GET", "/api/token-auth/");
      expect(res.statusCode).toBe(405);
      expect(res.json()).toEqual({ detail: 'Method "GET" not allowed.' });
    });
  });

  describe("token authentication errors", () => {
    const cases: Array<[string, string | undefined, string]> = [
      ["no header", undefined, "Authentication credentials were not provided."],
      ["another scheme", "Bearer abc", "Authentication credentials were not provided."],
      ["unknown key", `Token ${"0".repeat(40)}`, "Invalid token."],
      ["keyword only", "Token", "Invalid token header. No credentials provided."],
      ["three parts", "Token a b", "Invalid token header. Token string should not contain spaces."],
    ];
    for (const [name, header, detail] of cases) {
      it(`${name} → 401 ${JSON.stringify(detail)} with WWW-Authenticate: Token`, async () => {
        const res = await t.app.inject({
          method: "POST",
          url: "/common/api/users/",
          headers: header ? { authorization: header } : {},
        });
        expect(res.statusCode).toBe(401);
        expect(res.headers["www-authenticate"]).toBe("Token");
        expect(res.json()).toEqual({ detail });
      });
    }

    it("the keyword is case-insensitive", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/common/api/users/",
        headers: { authorization: `tOkEn ${staff.token}` },
      });
      expect(res.statusCode).toBe(200);
    });

    it("a deactivated user's token → 401 User inactive or deleted.; works again once re-activated", async () => {
      const bob = await t.user("bob");
      await t.call("PATCH", "/api/users/bob/", { is_active: false }, admin.token);
      const res = await t.call("DELETE", "/api/tokens/", undefined, bob.token);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ detail: "User inactive or deleted." });
      await t.call("PATCH", "/api/users/bob/", { is_active: true }, admin.token);
      const again = await t.call("POST", "/common/api/users/", {}, bob.token);
      expect(again.statusCode).toBe(403);
    });

    it("DELETE /api/tokens/ revokes only the presented token", async () => {
      const carol = await t.user("carol");
      const second = (
        await t.call("POST", "/api/token-auth/", { username: "carol", password: carol.password })
      ).json().token as string;
      const res = await t.call("DELETE", "/api/tokens/", undefined, carol.token);
      expect(res.statusCode).toBe(200);
      expect((await t.call("DELETE", "/api/tokens/", undefined, carol.token)).json()).toEqual({
        detail: "Invalid token.",
      });
      expect((await t.call("POST", "/common/api/users/", {}, second)).statusCode).toBe(403);
    });
  });

  describe("POST /api/users/ and PATCH /api/users/{username}/", () => {
    it("staff → 201 with the user and no secret; the new user can log in", async () => {
      const res = await t.call(
        "POST",
        "/api/users/",
        { username: "dave", password: "dave-secret-1", email: "dave@example.org", first_name: "Dave" },
        staff.token,
      );
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        username: "dave",
        email: "dave@example.org",
        first_name: "Dave",
        last_name: "",
        is_active: true,
        is_staff: false,
        is_superuser: false,
        last_login: null,
      });
      expect(body.date_joined).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Object.keys(body).sort()).toEqual(
        [
          "date_joined",
          "email",
          "first_name",
          "id",
          "is_active",
          "is_staff",
          "is_superuser",
          "last_login",
          "last_name",
          "username",
        ].sort(),
      );
      const login = await t.call("POST", "/api/token-auth/", { username: "dave", password: "dave-secret-1" });
      expect(login.statusCode).toBe(200);
    });

    it("a superuser has every staff right", async () => {
      const res = await t.call(
        "POST",
        "/api/users/",
        { username: "erin", password: "erin-secret-1" },
        admin.token,
      );
      expect(res.statusCode).toBe(201);
    });

    it("non-staff → 403 JSON, anonymous → 401", async () => {
      const body = { username: "mallory", password: "mallory-pass" };
      const res = await t.call("POST", "/api/users/", body, alice.token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ detail: "Access denied. You must be an admin." });
      expect((await t.call("POST", "/api/users/", body)).statusCode).toBe(401);
      expect((await t.call("PATCH", "/api/users/alice/", { is_staff: true }, alice.token)).statusCode).toBe(
        403,
      );
    });

    it("validation: duplicate username, short password, bad email, unknown key, bad username", async () => {
      const dup = await t.call(
        "POST",
        "/api/users/",
        { username: "alice", password: "long-enough-1" },
        staff.token,
      );
      expect(dup.statusCode).toBe(400);
      expect(dup.json()).toEqual({ username: ["A user with that username already exists."] });
      const bad = await t.call(
        "POST",
        "/api/users/",
        { username: "fred", password: "short", nickname: "f" },
        staff.token,
      );
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({
        password: ["Ensure this field has at least 8 characters."],
        nickname: ["Unknown field."],
      });
      const email = await t.call(
        "POST",
        "/api/users/",
        { username: "fred", password: "long-enough-1", email: "not-an-email" },
        staff.token,
      );
      expect(email.json()).toEqual({ email: ["Enter a valid email address."] });
      const name = await t.call(
        "POST",
        "/api/users/",
        { username: "a b/c", password: "long-enough-1" },
        staff.token,
      );
      expect(name.statusCode).toBe(400);
      expect(Object.keys(name.json())).toEqual(["username"]);
    });

    it("PATCH changes fields and password; unknown user → 404", async () => {
      await t.user("gina");
      const res = await t.call(
        "PATCH",
        "/api/users/gina/",
        { last_name: "Smith", is_staff: true, password: "new-password-9" },
        staff.token,
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ username: "gina", last_name: "Smith", is_staff: true });
      const old = await t.call("POST", "/api/token-auth/", { username: "gina", password: "gina-password" });
      expect(old.statusCode).toBe(400);
      const fresh = await t.call("POST", "/api/token-auth/", {
        username: "gina",
        password: "new-password-9",
      });
      expect(fresh.statusCode).toBe(200);
      const missing = await t.call("PATCH", "/api/users/nobody/", { is_staff: true }, staff.token);
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ detail: "User nobody does not exist." });
    });

    it("form-encoded booleans in Python spelling are understood", async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/api/users/",
        headers: {
          authorization: `Token ${staff.token}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: "username=hank&password=hank-secret-1&is_staff=True&is_active=False",
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ is_staff: true, is_active: false });
    });
  });

  describe("POST /common/api/users/ (BHTOM)", () => {
    it("staff lists users with BHTOM's fields minus the password", async () => {
      const res = await t.call("POST", "/common/api/users/", {}, staff.token);
      expect(res.statusCode).toBe(200);
      const list = res.json() as Array<Record<string, unknown>>;
      expect(list.map((u) => u.username)).toEqual(expect.arrayContaining(["admin", "staffer", "alice"]));
      for (const u of list) {
        expect(u).not.toHaveProperty("password");
        expect(u.groups).toEqual([]);
        expect(u.user_permissions).toEqual([]);
      }
    });

    it("filters id, username and created; falsy filters are ignored", async () => {
      const byName = (await t.call("POST", "/common/api/users/", { username: "alice" }, staff.token)).json();
      expect(byName).toHaveLength(1);
      const byId = (await t.call("POST", "/common/api/users/", { id: byName[0].id }, staff.token)).json();
      expect(byId.map((u: { username: string }) => u.username)).toEqual(["alice"]);
      const all = (
        await t.call("POST", "/common/api/users/", { username: "", id: null }, staff.token)
      ).json();
      expect(all.length).toBeGreaterThan(3);
      const future = (
        await t.call("POST", "/common/api/users/", { created: "2999-01-01" }, staff.token)
      ).json();
      expect(future).toEqual([]);
      const past = (
        await t.call("POST", "/common/api/users/", { created: "2000-01-01" }, staff.token)
      ).json();
      expect(past.length).toBe(all.length);
      const bad = await t.call("POST", "/common/api/users/", { id: "x" }, staff.token);
      expect(bad.statusCode).toBe(400);
      const badDate = await t.call("POST", "/common/api/users/", { created: "yesterday" }, staff.token);
      expect(badDate.statusCode).toBe(400);
    });

    it("non-staff → 403 JSON (BHTOM2 redirected to the login page)", async () => {
      const res = await t.call("POST", "/common/api/users/", {}, alice.token);
      expect(res.statusCode).toBe(403);
      expect(res.headers["content-type"]).toMatch(/application\/json/);
    });
  });

  describe("restart", () => {
    it("users and tokens survive closing and reopening the database", async () => {
      await ensureSuperuser(t.tdb.database.db, "root", "root-password-1");
      await t.restart();
      expect((await t.call("POST", "/common/api/users/", {}, admin.token)).statusCode).toBe(200);
      const login = await t.call("POST", "/api/token-auth/", {
        username: "root",
        password: "root-password-1",
      });
      expect(login.statusCode).toBe(200);
    });
  });
});
