/**
 * Name resolution for targets created with a name and no coordinates (docs/harvesters.md): the Gaia
 * Alerts index for names like `Gaia22bpl`, then CDS Sesame (SIMBAD, NED, VizieR). Answers are cached in
 * name_resolutions: a position for good, "not known" for a day (a new transient gets its name late).
 * The resolved object's other identifiers become the target's aliases, one per alias source.
 */
import { eq } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { nameResolutions } from "../../db/schema/index.ts";
import {
  GAIA_ALERT_NAME,
  SourceError,
  type HarvesterSet,
  type NameResolver,
} from "../../harvesters/index.ts";
import type { AliasSource } from "../../vocabulary.ts";
import { UnavailableError, ValidationError } from "../errors.ts";

export interface ResolvedName {
  raDeg: number;
  decDeg: number;
  identifiers: string[];
  /** "Sesame" or "GaiaAlertsIndex". */
  resolver: string;
}

/** How long "no resolver knows this name" is believed, ms. */
export const NOT_FOUND_TTL_MS = 24 * 3600 * 1000;

/** The cache key of a name: lower case, runs of spaces as one. */
export const nameKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase().slice(0, 200);

/** Identifier patterns → alias sources (vocabulary ALIAS_SOURCES); the first identifier per source wins. */
const ALIAS_PATTERNS: [RegExp, AliasSource, (m: RegExpExecArray) => string][] = [
  [/^(Gaia\d{2}[a-z]{2,4})$/, "GAIA_ALERTS", (m) => m[1]],
  [/^(?:AT|SN|TDE)\s?(\d{4}[a-z]{1,3})$/, "TNS", (m) => m[1]],
  [/^(ZTF\d{2}[a-z]{7})$/, "ZTF", (m) => m[1]],
  [/^(ASASSN-\d{2}[a-z]{1,3})$/i, "ASASSN", (m) => m[1]],
  [/^(ATLAS\d{2}[a-z]{2,4})$/, "ATLAS", (m) => m[1]],
  [/^Gaia DR3 (\d+)$/, "GAIA_DR3", (m) => m[1]],
  [/^Gaia DR2 (\d+)$/, "GAIA_DR2", (m) => m[1]],
  [/^(OGLE-\d{4}-[A-Z]{3}-\d{3,5})$/, "OGLE_EWS", (m) => m[1]],
  [/^2MASS (J\d{8}[+-]\d{7})$/, "twomass", (m) => m[1]],
];

/** The aliases a resolved object's identifiers give a target named `targetName`. */
export function aliasesFromIdentifiers(
  targetName: string,
  identifiers: readonly string[],
): { sourceName: AliasSource; name: string }[] {
  const out = new Map<AliasSource, string>();
  for (const id of identifiers) {
    const text = id.replace(/\s+/g, " ").trim();
    for (const [pattern, source, value] of ALIAS_PATTERNS) {
      const m = pattern.exec(text);
      if (!m || out.has(source)) continue;
      const name = value(m).slice(0, 100);
      if (name.toLowerCase() !== targetName.toLowerCase()) out.set(source, name);
    }
  }
  return [...out].map(([sourceName, name]) => ({ sourceName, name }));
}

async function cached(db: Executor, key: string, now: Date) {
  const [row] = await db.select().from(nameResolutions).where(eq(nameResolutions.query, key));
  if (!row) return undefined;
  if (row.resolver === "" && now.getTime() - row.created.getTime() > NOT_FOUND_TTL_MS) return undefined;
  return row;
}

async function remember(db: Executor, key: string, found: ResolvedName | null): Promise<void> {
  const values = {
    query: key,
    resolver: found?.resolver ?? "",
    raDeg: found?.raDeg ?? null,
    decDeg: found?.decDeg ?? null,
    identifiers: found?.identifiers ?? [],
    created: new Date(),
  };
  await db
    .insert(nameResolutions)
    .values(values)
    .onConflictDoUpdate({ target: nameResolutions.query, set: values });
}

const unknownName = (name: string, asked: readonly NameResolver[]) =>
  new ValidationError({
    name: [
      `No coordinates given and ${asked.map((r) => r.title).join(" nor ")} know${asked.length > 1 ? "" : "s"} ` +
        `the name ${JSON.stringify(name)}: give ra and dec.`,
    ],
  });

/**
 * The position and identifiers of `name`: from the cache, else from the resolvers (never inside a
 * transaction). Unknown → ValidationError on `name` (400); resolvers unreachable → UnavailableError
 * (503); offline and not cached → ValidationError saying so.
 */
export async function resolveTargetName(
  db: Db,
  set: HarvesterSet,
  name: string,
  now = new Date(),
): Promise<ResolvedName> {
  const key = nameKey(name);
  const resolvers = GAIA_ALERT_NAME.test(name.trim()) ? [set.gaiaAlertsIndex, set.sesame] : [set.sesame];
  const hit = await cached(db, key, now);
  if (hit) {
    if (hit.resolver === "" || hit.raDeg === null || hit.decDeg === null) throw unknownName(name, resolvers);
    return { raDeg: hit.raDeg, decDeg: hit.decDeg, identifiers: hit.identifiers, resolver: hit.resolver };
  }
  if (set.offline) {
    throw new ValidationError({
      name: [
        `No coordinates given, and this server is offline (SKYTOM_OFFLINE=1): ${JSON.stringify(name)} is not ` +
          "among the names resolved before. Give ra and dec.",
      ],
    });
  }
  const failures: string[] = [];
  for (const resolver of resolvers) {
    try {
      const found = await resolver.resolve(name.trim());
      if (found) {
        const resolved = { ...found, resolver: resolver.name };
        await remember(db, key, resolved);
        return resolved;
      }
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      failures.push(`${resolver.title}: ${err.message}`);
    }
  }
  if (failures.length) {
    throw new UnavailableError(
      `No coordinates given and the name resolver could not be asked (${failures.join("; ")}); give ra and dec, or try again later.`,
    );
  }
  await remember(db, key, null);
  throw unknownName(name, resolvers);
}
