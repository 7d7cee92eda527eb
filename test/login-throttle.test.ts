/**
 * Login throttling (issue #15): `/api/token-auth/` and `/accounts/login/` share one throttle — attempts
 * per client address, failures per username, in a sliding window — answering 429 `{"detail": …}` with
 * Retry-After; and an unknown username costs the same scrypt as a wrong password.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../src/domain/errors.ts";
import { checkCredentials } from "../src/domain/users/service.ts";
import { LoginThrottle, TooManyLoginAttemptsError } from "../src/domain/users/throttle.ts";
import { createTestApp, type TestApp } from "./helpers/app.ts";
import { WebClient } from "./helpers/web.ts";

describe("LoginThrottle (a clock of our own)", () => {
  const make = (maxPerIp: number, maxFailuresPerUser: number) => {
    const clock = { ms: 1_000_000 };
    const throttle = new LoginThrottle({ windowSeconds: 60, maxPerIp, maxFailuresPerUser }, () => clock.ms);
    const bad = () => Promise.reject(new ValidationError({ non_field_errors: ["no"] }));
    const good = () => Promise.resolve("token");
    const isFailure = (err: unknown) => err instanceof ValidationError;
    const attempt = (ip: string, user: string, check: () => Promise<string>) =>
      throttle.attempt(ip, user, check, isFailure);
    return { clock, attempt, bad, good };
  };
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => "admitted",
      (err: unknown) =>
        err instanceof TooManyLoginAttemptsError ? `429 after ${err.retryAfterSeconds} s` : "checked",
    );

  it("per address: `maxPerIp` attempts of any outcome per window, then 429 until the oldest leaves it", async () => {
    const { clock, attempt, good, bad } = make(3, 100);
    expect(await refusal(attempt("1.1.1.1", "a", good))).toBe("admitted");
    clock.ms += 10_000;
    expect(await refusal(attempt("1.1.1.1", "b", bad))).toBe("checked");
    expect(await refusal(attempt("1.1.1.1", "c", good))).toBe("admitted");
    clock.ms += 5_000; // 15 s after the first attempt
    expect(await refusal(attempt("1.1.1.1", "d", good))).toBe("429 after 45 s");
    expect(await refusal(attempt("2.2.2.2", "d", good))).toBe("admitted"); // another address
    clock.ms += 45_000; // the first attempt left the window
    expect(await refusal(attempt("1.1.1.1", "d", good))).toBe("admitted");
    expect(await refusal(attempt("1.1.1.1", "d", good))).toBe("429 after 10 s");
  });

  it("per username: `maxFailuresPerUser` failures from any address, then 429 — even with the right password; a success clears them", async () => {
    const { clock, attempt, good, bad } = make(100, 3);
    expect(await refusal(attempt("1.1.1.1", "alice", bad))).toBe("checked");
    expect(await refusal(attempt("1.1.1.1", "alice", good))).toBe("admitted"); // clears
    for (const ip of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) {
      expect(await refusal(attempt(ip, "alice", bad))).toBe("checked");
      clock.ms += 1000;
    }
    expect(await refusal(attempt("4.4.4.4", "alice", good))).toBe("429 after 57 s");
    expect(await refusal(attempt("4.4.4.4", "bob", good))).toBe("admitted");
    // Errors that are not refused credentials (the database down) do not count against the user.
    const down = () => Promise.reject(new Error("database unavailable"));
    clock.ms += 60_000;
    for (let i = 0; i < 5; i++) expect(await refusal(attempt("1.1.1.1", "carol", down))).toBe("checked");
    expect(await refusal(attempt("1.1.1.1", "carol", good))).toBe("admitted");
  });
});

describe("login throttling over HTTP (pglite)", () => {
  let t: TestApp;
  const tokenAuth = (username: string, password: string, remoteAddress = "10.0.0.1", headers = {}) =>
    t.app.inject({
      method: "POST",
      url: "/api/token-auth/",
      remoteAddress,
      headers,
      payload: { username, password },
    });

  beforeAll(async () => {
    t = await createTestApp("pglite", {
      loginLimits: { windowSeconds: 600, maxPerIp: 6, maxFailuresPerUser: 3 },
    });
    for (const name of ["alice", "bob", "carol"]) await t.user(name);
  });
  afterAll(async () => t.close());

  it("token-auth: three wrong passwords for alice → the right one is refused with 429 JSON and Retry-After", async () => {
    for (const ip of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) {
      const res = await tokenAuth("alice", "wrong", ip);
      expect(res.statusCode).toBe(400);
    }
    const res = await tokenAuth("alice", "alice-password", "10.0.0.5");
    expect(res.statusCode).toBe(429);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      detail: expect.stringMatching(/^Too many login attempts; try again in \d+ seconds\.$/),
    });
    const retryAfter = Number(res.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(590);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(res.json().detail).toContain(`${retryAfter} seconds`);
    // bob is not affected
    expect((await tokenAuth("bob", "bob-password", "10.0.0.5")).statusCode).toBe(200);
  });

  it("the web login shares the throttle: alice's browser gets the login page with 429, other clients JSON", async () => {
    const browser = new WebClient(t.app);
    const page = await browser.login("alice", "alice-password");
    expect(page.statusCode).toBe(429);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["retry-after"]).toMatch(/^\d+$/);
    expect(page.body).toContain("Too many login attempts");
    const api = await browser.post(
      "/accounts/login/",
      { username: "alice", password: "alice-password" },
      { accept: "*/*" },
    );
    expect(api.statusCode).toBe(429);
    expect(api.json()).toEqual({ detail: expect.stringMatching(/^Too many login attempts/) });
  });

  it("per address: the 7th attempt from one address is refused whatever the username; behind a local proxy X-Forwarded-For counts", async () => {
    const from = "10.9.9.9";
    for (let i = 0; i < 6; i++)
      expect((await tokenAuth("carol", "carol-password", from)).statusCode).toBe(200);
    expect((await tokenAuth("bob", "bob-password", from)).statusCode).toBe(429);
    // A client cannot escape by sending X-Forwarded-For itself…
    const spoofed = await tokenAuth("bob", "bob-password", from, { "x-forwarded-for": "1.2.3.4" });
    expect(spoofed.statusCode).toBe(429);
    // …but a reverse proxy on this machine (loopback peer) relays the real address in it.
    for (let i = 0; i < 6; i++) {
      const viaProxy = await tokenAuth("carol", "carol-password", "127.0.0.1", {
        "x-forwarded-for": `10.1.1.${i}`,
      });
      expect(viaProxy.statusCode).toBe(200);
    }
  });
});

describe("unknown usernames cost as much as wrong passwords (pglite)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite");
    await t.user("dora");
  });
  afterAll(async () => t.close());

  it("median time of a login with an unknown username is at least half that of a wrong password", async () => {
    const time = async (username: string) => {
      const t0 = performance.now();
      await checkCredentials(t.tdb.database.db, username, "wrong-password").catch(() => undefined);
      return performance.now() - t0;
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      wrong.push(await time("dora"));
      unknown.push(await time(`nobody-${i}`));
    }
    // Each is one scrypt (N = 2^15, ~30–100 ms); without the decoy an unknown name took ~1 ms.
    const ratio = median(unknown) / median(wrong);
    console.log(
      JSON.stringify({
        measure: "login.unknown-vs-wrong",
        wrong_ms: median(wrong),
        unknown_ms: median(unknown),
        ratio,
      }),
    );
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});
