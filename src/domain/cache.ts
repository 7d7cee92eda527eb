/**
 * Result caches that stay true across processes: entries are tagged with the cache generation read
 * from `cache_versions` before the query ran (see src/db/schema/cache.ts); a changed generation is a miss.
 * Least-recently-used eviction keeps memory bounded.
 */
import { eq, sql } from "drizzle-orm";
import type { Executor } from "../db/connection.ts";
import { cacheVersions } from "../db/schema/index.ts";

export type CacheName = "targets" | "plots";

export async function cacheGeneration(db: Executor, name: CacheName): Promise<number> {
  const [row] = await db
    .select({ v: cacheVersions.version })
    .from(cacheVersions)
    .where(eq(cacheVersions.name, name));
  return row?.v ?? 0;
}

/** Make every process drop its entries of this cache. */
export async function bumpGeneration(db: Executor, name: CacheName): Promise<void> {
  await db
    .insert(cacheVersions)
    .values({ name, version: 1 })
    .onConflictDoUpdate({ target: cacheVersions.name, set: { version: sql`${cacheVersions.version} + 1` } });
}

export class GenerationCache<V> {
  private readonly entries = new Map<string, { generation: number; value: V }>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries: number) {}

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
    this.entries.delete(key);
    this.entries.set(key, { generation, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
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
