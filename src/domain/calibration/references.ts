/**
 * What staff see of the reference stars (the admin page "Reference stars"): every catalogue — imported, or
 * an archive's cache with the cones it covers — and the data products waiting for an archive.
 */
import { and, asc, eq, like } from "drizzle-orm";
import { listCatalogues, type CatalogueInfo } from "../../catalog/info.ts";
import type { Executor } from "../../db/connection.ts";
import { dataProducts, targets } from "../../db/schema/index.ts";
import { requireStaff, type Actor } from "../permissions.ts";

export interface WaitingProduct {
  id: number;
  targetName: string;
  statusMessage: string;
  modified: Date;
}

export interface ReferenceStarsOverview {
  catalogues: CatalogueInfo[];
  /** Data products waiting for reference stars (status C, "Waiting for reference stars: …"), oldest first. */
  waiting: WaitingProduct[];
}

export async function referenceStarsOverview(
  db: Executor,
  actor: Actor,
  limit = 200,
): Promise<ReferenceStarsOverview> {
  requireStaff(actor);
  const waiting = await db
    .select({
      id: dataProducts.id,
      targetName: targets.name,
      statusMessage: dataProducts.statusMessage,
      modified: dataProducts.modified,
    })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .where(
      and(eq(dataProducts.status, "C"), like(dataProducts.statusMessage, "Waiting for reference stars%")),
    )
    .orderBy(asc(dataProducts.modified))
    .limit(limit);
  return { catalogues: await listCatalogues(db), waiting };
}
