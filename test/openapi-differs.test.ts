/**
 * Where skytom's error bodies differ in shape from BHTOM2's (bhtom-behaviour.md), the OpenAPI document says
 * so in the operation's "Differs from BHTOM2" note, naming BHTOM2's shape; and the body really has the
 * shape the note gives. Each case: a request that makes the error, the body's keys, the note's wording.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";

interface Case {
  /** What BHTOM2 answered (for the test's name). */
  bhtom: string;
  method: "POST" | "PATCH" | "DELETE";
  url: string;
  /** The operation in the OpenAPI document. */
  operation: [string, string];
  body: unknown;
  status: number;
  /** The answer's shape: its keys, or "string" for a bare JSON string. */
  keys: string[];
  /** The note must contain this (BHTOM2's shape as the note names it). */
  note: RegExp;
}

const CASES: Case[] = [
  {
    bhtom: 'createTarget duplicate position: 400 bare list ["Source found already …"]',
    method: "POST",
    url: "/targets/createTarget/",
    operation: ["/targets/createTarget/", "post"],
    body: { name: "Twin", ra: 10.0001, dec: 20 },
    status: 400,
    keys: ["non_field_errors"],
    note: /a bare list/,
  },
  {
    bhtom: 'createTarget unknown fields: 404 {"non_field_errors": ["Unknown field(s): …"]}',
    method: "POST",
    url: "/targets/createTarget/",
    operation: ["/targets/createTarget/", "post"],
    body: { name: "Odd", ra: 50, dec: 20, colour: "red" },
    status: 400,
    keys: ["colour"],
    note: /Unknown field\(s\)/,
  },
  {
    bhtom: "updateTarget unknown fields: 404 non_field_errors",
    method: "PATCH",
    url: "/targets/updateTarget/Original/",
    operation: ["/targets/updateTarget/{name}/", "patch"],
    body: { colour: "red" },
    status: 400,
    keys: ["colour"],
    note: /Unknown field\(s\)/,
  },
  {
    bhtom: 'getTargetList: 400 bare string "Wrong format: …"',
    method: "POST",
    url: "/targets/getTargetList/",
    operation: ["/targets/getTargetList/", "post"],
    body: { raMin: "abc" },
    status: 400,
    keys: ["detail"],
    note: /bare string/,
  },
  {
    bhtom: 'deleteDataProduct: 400 {"Error": "Missing required parameter \'id\'."}',
    method: "DELETE",
    url: "/common/api/deleteDataProduct/",
    operation: ["/common/api/deleteDataProduct/", "delete"],
    body: {},
    status: 400,
    keys: ["detail"],
    note: /\{"Error": …\}/,
  },
  {
    bhtom: 'changeObservers: 400 {"error": …}',
    method: "POST",
    url: "/common/api/changeObservers/",
    operation: ["/common/api/changeObservers/", "post"],
    body: { id: 1 },
    status: 400,
    keys: ["detail"],
    note: /\{"error": …\}/,
  },
  {
    bhtom: 'downloadPhotometryFile: bare strings ("ID not provided")',
    method: "POST",
    url: "/common/api/downloadPhotometryFile/",
    operation: ["/common/api/downloadPhotometryFile/", "post"],
    body: {},
    status: 400,
    keys: ["detail"],
    note: /bare strings/,
  },
  {
    bhtom: 'comments unknown target: 404 {"error": "Target not found"}',
    method: "POST",
    url: "/common/api/comments/",
    operation: ["/common/api/comments/", "post"],
    body: { target: "Nowhere" },
    status: 404,
    keys: ["detail"],
    note: /\{"error": …\}/,
  },
  {
    bhtom: 'comments bad date: 400 {"error": "Invalid date format. Use YYYY-MM-DD."}',
    method: "POST",
    url: "/common/api/comments/",
    operation: ["/common/api/comments/", "post"],
    body: { created_start: "soon" },
    status: 400,
    keys: ["created_start"],
    note: /Invalid date format/,
  },
  {
    bhtom: 'restart-calib-by-target: {"Error": "Oops.. something went wrong. …"}',
    method: "POST",
    url: "/calibration/restart-calib-by-target/",
    operation: ["/calibration/restart-calib-by-target/", "post"],
    body: {},
    status: 400,
    keys: ["detail"],
    note: /\{"Error": "Oops\.\./,
  },
  {
    bhtom:
      "download-photometry: no columns field (skytom's opt-in extension: a bad value is a 400 naming it)",
    method: "POST",
    url: "/targets/download-photometry/",
    operation: ["/targets/download-photometry/", "post"],
    body: { name: "Original", columns: "wide" },
    status: 400,
    keys: ["columns"],
    note: /`columns` is skytom's: "extended" adds the columns quality_flag;calibration_run;calibration_version/,
  },
];

describe("error bodies that differ from BHTOM2 are marked in the OpenAPI document", () => {
  let t: TestApp;
  let staff: TestUser;
  let doc: { paths: Record<string, Record<string, { description?: string }>> };

  beforeAll(async () => {
    t = await createTestApp("pglite", { queue: true });
    staff = await t.user("staffer", { staff: true, superuser: true });
    await t.call("POST", "/targets/createTarget/", { name: "Original", ra: 10, dec: 20 }, staff.token);
    doc = (await t.call("GET", "/api/openapi.json")).json();
  });
  afterAll(async () => t.close());

  it.each(CASES)("$bhtom", async (c) => {
    const res = await t.call(c.method, c.url, c.body, staff.token);
    expect(res.statusCode, res.body).toBe(c.status);
    const body = res.json();
    expect(typeof body === "string" ? ["string"] : Object.keys(body)).toEqual(c.keys);
    const description = doc.paths[c.operation[0]]?.[c.operation[1]]?.description ?? "";
    const note = description.slice(description.indexOf("Differs from BHTOM2"));
    expect(description).toContain("Differs from BHTOM2");
    expect(note).toMatch(c.note);
  });
});
