/**
 * Result caches that stay true across processes: entries are tagged with the cache generation read
 * from `cache_versions` before the query ran (see src/db/schema/cache.ts); a changed generation is a miss.
 * Least-recently-used eviction keeps memory bounded (by entries, and by bytes when a size is given).
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../db/connection.ts";
import { rawClient } from "../db/raw.ts";
import { cacheVersions } from "../db/schema/index.ts";

export type CacheName = "targets" | "plots";
/** Every cache's generation, as read in one go (see `authenticateToken`). */
export type Generations = Partial<Record<CacheName, number>>;

/**
 * SQL expression: every cache generation as a JSON object {name: version}. Folded into another query
 * (the token lookup) so that a cached answer costs one round trip.
 */
export const GENERATIONS_JSON = `(select json_object_agg(name, version) from cache_versions)`;

export async function cacheGeneration(db: Executor, name: CacheName): Promise<number> {
  const res = await rawClient(db).query<{ v: number }>({
    text: "select version as v from cache_versions where name = $1",
    values: [name],
  });
  return res.rows[0]?.v ?? 0;
}

/** Make every process drop its entries of this cache. */
export async function bumpGeneration(db: Executor, name: CacheName): Promise<void> {
  await db
    .insert(cacheVersions)
    .values({ name, version: 1 })
    .onConflictDoUpdate({ target: cacheVersions.name, set: { version: sql`${cacheVersions.version} + 1` } });
}

export class GenerationCache<V> {
  private readonly entries = new Map<string, { generation: number; value: V; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  /** `sizeOf` and `maxBytes` bound the total size of the values too (e.g. serialised answers). */
  constructor(
    private readonly maxEntries: number,
    private readonly sizeOf: (value: V) => number = () => 0,
    private readonly maxBytes = Infinity,
  ) {}

  get(key: string, generation: number): V | undefined {
    const e = this.entries.get(key);
    if (!e || e.generation !== generation) {
      this.misses++;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    return e.value;
  }

  set(key: string, generation: number, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { generation, value, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      this.delete(this.entries.keys().next().value as string);
    }
  }

  private delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.bytes;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}

/** A stable cache key for a JSON request body (key order does not matter). */
export function bodyKey(body: unknown): string {
  const norm = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
        )
      : v;
  return JSON.stringify(norm(body));
}
