/**
 * The world of the permission matrix test (test/permissions.test.ts): the principals, fresh objects owned
 * by "user" (made through the API, as a client would), a fingerprint of everything a request could change
 * (every table of the public schema, the job queue and the stored files), and the secret scan.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { calibrationRuns, calibrations, reducedDatums } from "../../src/db/schema/index.ts";
import { eq } from "drizzle-orm";
import type { TestApp, TestUser } from "./app.ts";
import { multipart, type FilePart } from "./multipart.ts";
import { FIELD_DIR } from "./fixtures.ts";

/** Who calls. The first five are the matrix columns; the rest always get 401 (§1.1). */
export const PRINCIPALS = [
  "anonymous",
  "user",
  "other",
  "staff",
  "superuser",
  "inactive",
  "badToken",
  "malformed",
  "noKey",
] as const;
export type Principal = (typeof PRINCIPALS)[number];

/** The 401 messages of DRF's token authentication (§1.1), by caller. */
export const UNAUTHENTICATED: Partial<Record<Principal, string>> = {
  anonymous: "Authentication credentials were not provided.",
  inactive: "User inactive or deleted.",
  badToken: "Invalid token.",
  malformed: "Invalid token header. Token string should not contain spaces.",
  noKey: "Invalid token header. No credentials provided.",
};

export const FIXTURE = FIELD_DIR;

/** What one matrix cell sends. */
export interface Req {
  url: string;
  body?: unknown;
  form?: { fields: Record<string, string>; files: FilePart[] };
  /** Send this token instead of the principal's own (same user: e.g. a token the request revokes). */
  token?: string;
  /** token-auth: the account whose token the answer may carry. */
  tokenOf?: string;
}

export interface Sent {
  res: LightMyRequestResponse;
}

export class World {
  readonly users = new Map<Principal, TestUser>();
  /** Every plaintext token handed out in this test, with its owner. */
  readonly tokens = new Map<string, string>();
  private n = 0;
  private tables: string[] = [];
  badToken = "";

  constructor(readonly t: TestApp) {}

  async init(): Promise<void> {
    const names: Array<[Principal, string, Parameters<TestApp["user"]>[1]]> = [
      ["user", "owner", {}],
      ["other", "other", {}],
      ["staff", "staffer", { staff: true }],
      ["superuser", "root", { superuser: true }],
      ["inactive", "sleeper", { active: false }],
    ];
    for (const [p, name, flags] of names) {
      const u = await this.t.user(name, flags);
      this.users.set(p, u);
      this.tokens.set(u.token, name);
    }
    do this.badToken = randomBytes(20).toString("hex");
    while (this.tokens.has(this.badToken));
    const { rows } = await this.t.tdb.database.pool.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    );
    this.tables = rows.map((r) => r.table_name);
    const csv = readFileSync(`${FIXTURE}/gaiasp-reference.csv`);
    const imported = await this.send(
      "POST",
      {
        url: "/api/catalogues/",
        form: { fields: { survey: "GaiaSP" }, files: [{ field: "file", name: "ref.csv", content: csv }] },
      },
      this.header("staff"),
    );
    if (imported.res.statusCode !== 201) throw new Error(`catalogue import: ${imported.res.body}`);
  }

  user(p: Principal): TestUser {
    const u = this.users.get(p);
    if (!u) throw new Error(`no account for ${p}`);
    return u;
  }

  /** The Authorization header a principal sends (undefined = none). */
  header(p: Principal | "otherScheme", token?: string): string | undefined {
    switch (p) {
      case "anonymous":
        return undefined;
      case "badToken":
        return `Token ${this.badToken}`;
      case "malformed":
        return "Token abc def";
      case "noKey":
        return "Token ";
      case "otherScheme":
        return `Bearer ${this.user("user").token}`;
      default:
        return `Token ${token ?? this.user(p).token}`;
    }
  }

  async send(method: InjectOptions["method"], req: Req, authorization: string | undefined): Promise<Sent> {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    let payload: InjectOptions["payload"] | undefined;
    if (req.form) {
      const mp = multipart(req.form.fields, req.form.files);
      headers["content-type"] = mp.contentType;
      payload = mp.payload;
    } else if (req.body !== undefined) {
      payload = req.body as InjectOptions["payload"];
    }
    const res = await this.t.app.inject({
      method,
      url: req.url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    this.t.bodies.push(res.body);
    return { res };
  }

  /** A request by "user" that must succeed (building the world). */
  private async as(method: InjectOptions["method"], req: Req, who: Principal = "user") {
    const { res } = await this.send(method, req, this.header(who));
    if (res.statusCode >= 300) throw new Error(`${method} ${req.url} → ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  }

  next(): number {
    return ++this.n;
  }

  /** createTarget fields of a new target, 36 arcsec from the previous one. */
  targetBody() {
    const n = this.next();
    return { name: `PermT${n}`, ra: 10 + n * 0.01, dec: 5, classification: "Star" };
  }

  /** A fresh target created by "user". */
  async target(): Promise<{ name: string; id: number }> {
    const body = await this.as("POST", { url: "/targets/createTarget/", body: this.targetBody() });
    return { name: String(body.name), id: Number(body.id) };
  }

  /** A fresh observatory of "user" with one camera; active when asked (staff activates it). */
  async observatory(active = false): Promise<{ name: string; oname: string }> {
    const name = `PermObs${this.next()}`;
    await this.as("POST", {
      url: "/observatory/createObservatory/",
      body: { name, lon: 20, lat: 50, camera_name: "CAM" },
    });
    const oname = `${name}_CAM`;
    if (active) await this.as("POST", { url: `/api/cameras/${oname}/activate/` }, "staff");
    return { name, oname };
  }

  /** An active camera in "user"'s favourites. */
  async favourite(): Promise<{ name: string; oname: string }> {
    const obs = await this.observatory(true);
    await this.as("POST", { url: "/observatory/addFavouriteObservatory/", body: { oname: obs.oname } });
    return obs;
  }

  /** A light-curve CSV uploaded by "user" (two points at once). */
  async csvUpload(target?: { name: string; id: number }) {
    const tg = target ?? (await this.target());
    const n = this.next();
    const body = await this.as("POST", {
      url: "/upload/",
      form: {
        fields: { target: tg.name, data_product_type: "photometry_csv", observatory: "GOTO" },
        files: [
          {
            name: `lc${n}.csv`,
            content: `time,filter,magnitude,error\n${60000 + n},V,15.${n % 10},0.1\n${60001 + n},V,15.5,0.1\n`,
          },
        ],
      },
    });
    const id = (body.data as Array<{ id: number }>)[0].id;
    return { target: tg, dpId: id };
  }

  /** One light-curve point of a fresh upload by "user", with the values deleteReducedDatum matches. */
  async datum() {
    const up = await this.csvUpload();
    const [d] = await this.t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, up.dpId))
      .orderBy(reducedDatums.id)
      .limit(1);
    return {
      id: d.id,
      target: up.target,
      match: {
        mjd: d.mjd,
        mag: d.value,
        magerr: d.error,
        filter: d.filter,
        observer: d.observer,
        target_name: up.target.name,
      },
    };
  }

  /** A point of "user" that staff deactivated. */
  async inactiveDatum() {
    const d = await this.datum();
    await this.as("POST", { url: `/api/datums/${d.id}/deactivate/` }, "staff");
    return d;
  }

  /**
   * An instrumental catalogue uploaded by "user" through their favourite camera, with a finished
   * calibration (the worker's result, written here as dataproducts.test.ts does).
   */
  async calibrated() {
    const cam = await this.favourite();
    const tg = await this.target();
    const n = this.next();
    const body = await this.as("POST", {
      url: "/upload/",
      form: {
        fields: {
          target: tg.name,
          data_product_type: "photometry",
          observatory: cam.oname,
          mjd: String(60100 + n),
        },
        files: [
          {
            name: `frame${n}.cat`,
            content: `#   1 NUMBER\n#   2 ALPHA_J2000\n#   3 DELTA_J2000\n#   4 MAG_AUTO\n#   5 MAGERR_AUTO\n 1 10.0 5.0 13.${n % 10} 0.01\n`,
          },
        ],
      },
    });
    const dpId = (body.data as Array<{ id: number }>)[0].id;
    const [cal] = await this.t.tdb.database.db
      .insert(calibrations)
      .values({
        dataProductId: dpId,
        status: "S",
        mjd: 60100 + n,
        mag: 16.25,
        magError: 0.03,
        zeropoint: 0,
        survey: "GaiaSP",
        bestFilter: "V",
        filterRequest: "GaiaSP/any",
        npoints: 40,
        scatter: 0.02,
        outlierFraction: 0.05,
        matchDist: 0.8,
      })
      .returning();
    return { target: tg, dpId, calId: cal.id, oname: cam.oname };
  }

  /** A calibrated upload of "user" whose calibration is a finished calibration run (the current one). */
  async calibrationRun() {
    const c = await this.calibrated();
    const [run] = await this.t.tdb.database.db
      .insert(calibrationRuns)
      .values({
        dataProductId: c.dpId,
        status: "S",
        filterRequest: "GaiaSP/any",
        mag: 16.5,
        magError: 0.04,
        zeropoint: 0.1,
        survey: "GaiaSP",
        bestFilter: "V",
        lightCurveFilter: "V(GaiaSP)",
        npoints: 40,
      })
      .returning();
    await this.t.tdb.database.db
      .update(calibrations)
      .set({ runId: run.id })
      .where(eq(calibrations.id, c.calId));
    return { ...c, runId: run.id };
  }

  /** A target group of "user" holding one fresh target. */
  async group() {
    const tg = await this.target();
    const g = await this.as("POST", { url: "/api/target-groups/", body: { name: `PermG${this.next()}` } });
    await this.as("POST", { url: `/api/target-groups/${g.id}/targets/`, body: { targets: [tg.name] } });
    return { id: Number(g.id), name: String(g.name), target: tg };
  }

  /** A fresh target of "user" with a ZTF alias. */
  async aliased() {
    const tg = await this.target();
    await this.as("POST", {
      url: `/api/targets/${tg.name}/aliases/`,
      body: { source_name: "ZTF", name: `ZTF${tg.name}` },
    });
    return tg;
  }

  /** A fresh user (not a principal), for the user administration endpoints. */
  async victim(): Promise<string> {
    const name = `victim${this.next()}`;
    const u = await this.t.user(name);
    this.tokens.set(u.token, name);
    return name;
  }

  /** A new token of a principal (for requests that revoke the token they use). */
  async freshToken(p: Principal): Promise<string | undefined> {
    if (!["user", "other", "staff", "superuser"].includes(p)) return undefined;
    const u = this.user(p);
    const { res } = await this.send(
      "POST",
      { url: "/api/token-auth/", body: { username: u.username, password: u.password } },
      undefined,
    );
    const token = String(res.json().token);
    this.tokens.set(token, u.username);
    return token;
  }

  /**
   * Everything a request could change: per public table its row count and a hash of its rows, the
   * number of queued jobs, and the list of stored files (the embedded database's own directory left out).
   */
  async fingerprint(): Promise<Record<string, string>> {
    const parts = this.tables.map((t) => {
      const row = `(to_jsonb(x) - '{${(VOLATILE[t] ?? []).join(",")}}'::text[])::text`;
      return `select '${t}' as t, count(*) || ':' || md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as v from "${t}" x`;
    });
    parts.push("select 'pgboss.job', count(*)::text from pgboss.job");
    const { rows } = await this.t.tdb.database.pool.query<{ t: string; v: string }>(
      parts.join(" union all "),
    );
    const out = Object.fromEntries(rows.map((r) => [r.t, r.v]));
    out.files = createHash("sha256").update(listFiles(this.t.tdb.dataDir).join("\n")).digest("hex");
    return out;
  }

  /** The owner (username) of a plaintext token, from what was handed out or from the database. */
  async tokenOwner(key: string): Promise<string | undefined> {
    const known = this.tokens.get(key);
    if (known) return known;
    const { rows } = await this.t.tdb.database.pool.query<{ username: string }>(
      "select u.username from api_tokens k join users u on u.id = k.user_id where k.key_hash = $1",
      [createHash("sha256").update(key).digest("hex")],
    );
    return rows[0]?.username;
  }
}

/** 40-hex strings standing alone (not inside a longer hex string such as a SHA-256). */
export function hex40(body: string): string[] {
  return body.match(/(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])/g) ?? [];
}

/** Columns a request may touch without changing anything (a token's last use is bookkeeping, not a change). */
const VOLATILE: Record<string, string[]> = { api_tokens: ["last_used"] };

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      const rel = relative(dir, full);
      // tmp/: upload scratch space, removed just after an earlier request's answer (a race, not a change).
      if (rel === "pg" || rel === "tmp" || rel === "skytom.pid" || rel.startsWith(".s.PGSQL")) continue;
      if (e.isDirectory()) walk(full);
      else out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}
