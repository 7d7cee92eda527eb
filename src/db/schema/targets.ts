/**
 * Targets (bhtom-behaviour.md §4.1–4.5, §4.13). Positions carry their unit vector (cx, cy, cz) with a
 * btree on (cz, cx, cy) for cone searches on any PostgreSQL: box pre-filter, then the exact dot product.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  serial,
  text,
  unique,
  varchar,
} from "drizzle-orm/pg-core";
import { created, modified, tstz } from "./common.ts";
import { users } from "./users.ts";

const float = () => doublePrecision();

/** The has-data flag columns getTargetList filters on. */
const HAS_FLAGS = ["has_optical", "has_infrared", "has_radio", "has_xray", "has_gamma", "has_polarimetry"];

export const targets = pgTable(
  "targets",
  {
    id: serial().primaryKey(),
    name: varchar({ length: 100 }).notNull().unique(),
    type: varchar({ length: 100 }).notNull().default("SIDEREAL"),
    hasOptical: boolean().default(false),
    hasInfrared: boolean().default(false),
    hasRadio: boolean().default(false),
    hasXray: boolean().default(false),
    hasGamma: boolean().default(false),
    hasPolarimetry: boolean().default(false),
    created: created(),
    modified: modified(),
    ra: float(),
    dec: float(),
    /** Unit vector of (ra, dec): cone search columns. */
    cx: float(),
    cy: float(),
    cz: float(),
    epoch: float(),
    parallax: float(),
    pmRa: float(),
    pmDec: float(),
    galacticLng: float(),
    galacticLat: float(),
    distance: float(),
    distanceErr: float(),
    scheme: varchar({ length: 50 }).notNull().default(""),
    epochOfElements: float(),
    meanAnomaly: float(),
    argOfPerihelion: float(),
    eccentricity: float(),
    lngAscNode: float(),
    inclination: float(),
    meanDailyMotion: float(),
    semimajorAxis: float(),
    epochOfPerihelion: float(),
    ephemerisPeriod: float(),
    ephemerisPeriodErr: float(),
    ephemerisEpoch: float(),
    ephemerisEpochErr: float(),
    perihdist: float(),
    classification: varchar({ length: 50 }),
    discoveryDate: tstz(),
    mjdLast: float().notNull().default(0),
    magLast: float().notNull().default(100),
    filterLast: varchar({ length: 100 }).notNull().default(""),
    importance: float().notNull().default(0),
    cadence: float().notNull().default(0),
    priority: float().notNull().default(0),
    cadencePriority: float().notNull().default(0),
    sunSeparation: float(),
    creationDate: tstz(),
    constellation: varchar({ length: 50 }),
    dontUpdateMe: boolean(),
    photClass: varchar({ length: 50 }),
    dataPlot: tstz(),
    description: varchar({ length: 200 }),
    createdBy: integer().references(() => users.id, { onDelete: "set null" }),
    /**
     * Version of the target's light-curve points: bumped by triggers on every statement that inserts,
     * updates or deletes its reduced_datums (migration 0006); keys the download file cache.
     */
    datumsVersion: bigint({ mode: "number" }).notNull().default(0),
  },
  (t) => [
    index("targets_cone_idx").on(t.cz, t.cx, t.cy),
    index("targets_created_idx").on(t.created, t.id),
    index("targets_classification_idx").on(t.classification),
    index("targets_importance_idx").on(t.importance),
    index("targets_lower_name_idx").on(sql`lower(${t.name})`),
    // getTargetList filters: classification with an importance range is counted from this index alone.
    index("targets_classification_importance_idx").on(t.classification, t.importance),
    // has-data flags (hasOptical = true, …): the flagged targets in the list's default order, counted and
    // paged without reading the other targets.
    ...HAS_FLAGS.map((flag) => index(`targets_${flag}_created_idx`).on(t.created, t.id).where(sql.raw(flag))),
  ],
);

/** Aliases: at most one per source (unique (source_name, target)). */
export const targetAliases = pgTable(
  "target_aliases",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    sourceName: varchar({ length: 100 }).notNull(),
    name: varchar({ length: 100 }).notNull(),
    url: varchar({ length: 250 }),
    created: created(),
    modified: modified(),
  },
  (t) => [
    unique().on(t.sourceName, t.targetId),
    index("target_aliases_lower_name_idx").on(sql`lower(${t.name})`),
  ],
);

/** Target groups (BHTOM TargetList): names are not unique. */
export const targetGroups = pgTable("target_groups", {
  id: serial().primaryKey(),
  name: varchar({ length: 200 }).notNull(),
  createdBy: integer().references(() => users.id, { onDelete: "set null" }),
  created: created(),
  modified: modified(),
});

export const targetGroupMembers = pgTable(
  "target_group_members",
  {
    groupId: integer()
      .notNull()
      .references(() => targetGroups.id, { onDelete: "cascade" }),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.targetId] }), index().on(t.targetId)],
);

/** Comments on targets (django_comments). */
export const comments = pgTable(
  "comments",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    userId: integer().references(() => users.id, { onDelete: "set null" }),
    userName: varchar({ length: 150 }).notNull().default(""),
    comment: text().notNull(),
    submitDate: created(),
    isPublic: boolean().notNull().default(true),
    isRemoved: boolean().notNull().default(false),
  },
  (t) => [index().on(t.targetId), index().on(t.submitDate)],
);

/** Each CSV download (P photometry, R radio, H high energy), with the caller's address. */
export const downloadedTargets = pgTable(
  "downloaded_targets",
  {
    id: serial().primaryKey(),
    targetId: integer()
      .notNull()
      .references(() => targets.id, { onDelete: "cascade" }),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    downloadType: char({ length: 1 }).notNull().default("P"),
    ipAddress: varchar({ length: 45 }).notNull().default(""),
    created: created(),
    modified: modified(),
  },
  (t) => [index().on(t.created)],
);
