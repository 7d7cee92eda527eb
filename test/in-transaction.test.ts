/**
 * inTransaction's answer when COMMIT fails: refused by the server → the error as it came (rolled back);
 * no answer (the connection broke) → CommitOutcomeUnknownError, still a "database unavailable" error.
 */
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { CommitOutcomeUnknownError, inTransaction, isDatabaseUnavailable } from "../src/db/connection.ts";

function poolFailingCommitWith(error: Error) {
  const released: unknown[] = [];
  const client = {
    query: async (text: string) => {
      if (text === "COMMIT") throw error;
      return { rows: [], rowCount: 0 };
    },
    release: (destroy?: unknown) => released.push(destroy),
  };
  return { pool: { connect: async () => client } as unknown as pg.Pool, released };
}

describe("inTransaction when COMMIT fails", () => {
  it("a broken connection during COMMIT → CommitOutcomeUnknownError (503-worthy), the client destroyed", async () => {
    const lost = Object.assign(new Error("Connection terminated unexpectedly"), { code: "ECONNRESET" });
    const { pool, released } = poolFailingCommitWith(lost);
    const err = await inTransaction({ pool }, async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError);
    expect((err as Error).cause).toBe(lost);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(released).toEqual([true]);
  });

  it("a COMMIT the server refuses (serialization failure) → that error: it rolled back", async () => {
    const refused = Object.assign(new Error("could not serialize access"), { code: "40001" });
    const { pool } = poolFailingCommitWith(refused);
    const err = await inTransaction({ pool }, async () => 1).catch((e: unknown) => e);
    expect(err).toBe(refused);
  });
});
