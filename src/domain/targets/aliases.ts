/**
 * Target aliases (BHTOM TargetName, §4.2): at most one per source (GAIA_ALERTS, ZTF, TNS, …). Aliases are
 * found by coneSearchTarget and by uploads naming a target. Changes: the target's creator or staff.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { targetAliases } from "../../db/schema/index.ts";
import { ALIAS_SOURCES } from "../../vocabulary.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { requireOwnerOrStaff, type Actor } from "../permissions.ts";
import { nameProblems } from "./rules.ts";
import * as repo from "./repo.ts";

type AliasRow = typeof targetAliases.$inferSelect;
const aliasItem = (a: AliasRow) => ({
  source_name: a.sourceName,
  name: a.name,
  url: a.url,
  created: a.created.toISOString(),
});

export async function listAliases(db: Executor, targetName: string) {
  const target = await repo.findByName(db, targetName);
  if (!target) throw new NotFoundError(`Target ${targetName} does not exist.`);
  const rows = await db
    .select()
    .from(targetAliases)
    .where(eq(targetAliases.targetId, target.id))
    .orderBy(asc(targetAliases.id));
  return rows.map(aliasItem);
}

/** Set the alias of one source (replacing that source's previous alias). */
export async function setAlias(
  db: Db,
  actor: Actor,
  targetName: string,
  input: { source_name: string; name: string; url?: string | null },
) {
  const sourceName = input.source_name.trim();
  const name = input.name.trim();
  const errors: Record<string, string[]> = {};
  if (!(ALIAS_SOURCES as readonly string[]).includes(sourceName)) {
    errors.source_name = [`Not a valid choice. One of: ${ALIAS_SOURCES.join(", ")}.`];
  }
  const problems = nameProblems(name);
  if (problems.length) errors.name = problems;
  if (input.url && !/^https?:\/\/\S+$/.test(input.url)) errors.url = ["Enter a valid URL."];
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return db.transaction(async (tx) => {
    const target = await repo.findByName(tx, targetName);
    if (!target) throw new NotFoundError(`Target ${targetName} does not exist.`);
    requireOwnerOrStaff(actor, target.createdBy, "this target");
    const [row] = await tx
      .insert(targetAliases)
      .values({ targetId: target.id, sourceName, name, url: input.url ?? null })
      .onConflictDoUpdate({
        target: [targetAliases.sourceName, targetAliases.targetId],
        set: { name, url: input.url ?? null, modified: new Date() },
      })
      .returning();
    return aliasItem(row);
  });
}

export async function deleteAlias(
  db: Db,
  actor: Actor,
  targetName: string,
  sourceName: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await repo.findByName(tx, targetName);
    if (!target) throw new NotFoundError(`Target ${targetName} does not exist.`);
    requireOwnerOrStaff(actor, target.createdBy, "this target");
    const gone = await tx
      .delete(targetAliases)
      .where(and(eq(targetAliases.targetId, target.id), eq(targetAliases.sourceName, sourceName)))
      .returning();
    if (!gone.length) throw new NotFoundError(`${targetName} has no ${sourceName} alias.`);
  });
}
