/**
 * Request shapes of the targets domain (API guide section F). TypeBox checks types and sizes; the rules
 * that need more than a type (sexagesimal coordinates, name rules, uniqueness, the 3″ duplicate rule)
 * are in rules.ts and service.ts.
 */
import { Type, type Static } from "@sinclair/typebox";
import { CLASSIFICATION_ALIASES, CLASSIFICATIONS } from "../../vocabulary.ts";
import { DATETIME_MESSAGE, PageField } from "../input.ts";

/** A nullable string; its maxLength is repeated on the union so that the 400 names the limit. */

/**
 * A value of several JSON types with a length cap on its string form, as one `type: [...]` schema
 * rather than an anyOf, so that a too-long string gets the maxLength message naming the limit.
 */
const Capped = <T>(types: string[], maxLength: number, extra: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: types, maxLength, ...extra });

/** Degrees as a number, or a string: decimal degrees or sexagesimal (RA in hours: "17:45:40.04"). */
const Angle = (what: string) =>
  Type.Union([Type.Number(), Type.String({ maxLength: 40 })], {
    description: `${what}: degrees, or a sexagesimal string`,
    errorMessage: "A valid number or sexagesimal string is required.",
  });

export const ClassificationValue = Type.Union(
  [...CLASSIFICATIONS, ...Object.keys(CLASSIFICATION_ALIASES)].map((c) => Type.Literal(c)),
  { errorMessage: "Not a valid choice." },
);

const Flag = Type.Union([Type.Boolean(), Type.Null()]);

const targetFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  ra: Angle("Right ascension (ICRS/J2000), 0 ≤ ra < 360 deg, or hours as 'hh:mm:ss.s'"),
  dec: Angle("Declination (ICRS/J2000), −90 ≤ dec ≤ 90 deg, or 'dd:mm:ss.s'"),
  epoch: Type.Union([Type.Number(), Type.String({ maxLength: 20 })], {
    description: "Julian epoch of the coordinates in years (2000.0, or 'J2000')",
    errorMessage: "A valid number is required.",
  }),
  description: Capped<string | null>(["string", "null"], 200),
  classification: Type.Union([ClassificationValue, Type.Null()], { errorMessage: "Not a valid choice." }),
  discovery_date: Type.Union([Type.String({ format: "django-datetime", maxLength: 64 }), Type.Null()], {
    errorMessage: DATETIME_MESSAGE,
    description:
      "UTC unless an offset is given. Read as Django reads it: 2023-09-28T10:00:00Z, 2023-09-28 10:00, " +
      "2023-01-01T0:00:01Z, 2023-09-28T10:00:00.123456+02:00, a date alone (midnight), …",
  }),
  importance: Type.Number({ minimum: 0, maximum: 10, description: "0 = no follow-up … 10 = observe now" }),
  cadence: Type.Number({ minimum: 0, description: "Requested time between observations, days (0 = none)" }),
  has_optical: Flag,
  has_infrared: Flag,
  has_radio: Flag,
  has_xray: Flag,
  has_gamma: Flag,
  has_polarimetry: Flag,
};

/**
 * createTarget's fields with a default also take null for it (create_target.py sends None for options not
 * given): one `type: [..., "null"]` rather than a union, so that the validator's coercion never turns a
 * null into 0 (nor an importance of 0 into null).
 */
const orDefault = <T>(types: string[], field: { description?: string }, extra: Record<string, unknown>) =>
  Type.Optional(
    Type.Unsafe<T | null>({ type: [...types, "null"], description: field.description, ...extra }),
  );

export const CreateTargetBody = Type.Object(
  {
    ...targetFields,
    ra: Type.Optional(
      Type.Union([Type.Number(), Type.String({ maxLength: 40 })], {
        description:
          "Right ascension (ICRS/J2000), 0 ≤ ra < 360 deg, or hours as 'hh:mm:ss.s'. Without ra and dec the name " +
          "is resolved (Gaia Alerts index for Gaia.. names, CDS Sesame).",
        errorMessage: "A valid number or sexagesimal string is required.",
      }),
    ),
    dec: Type.Optional(targetFields.dec),
    epoch: orDefault<number | string>(["number", "string"], targetFields.epoch, {
      maxLength: 20,
      errorMessage: "A valid number is required.",
    }),
    description: Type.Optional(targetFields.description),
    classification: Type.Optional(targetFields.classification),
    discovery_date: Type.Optional(targetFields.discovery_date),
    importance: orDefault<number>(["number"], targetFields.importance, { minimum: 0, maximum: 10 }),
    cadence: orDefault<number>(["number"], targetFields.cadence, { minimum: 0 }),
    has_optical: Type.Optional(Flag),
    has_infrared: Type.Optional(Flag),
    has_radio: Type.Optional(Flag),
    has_xray: Type.Optional(Flag),
    has_gamma: Type.Optional(Flag),
    has_polarimetry: Type.Optional(Flag),
  },
  { additionalProperties: false },
);
export type CreateTargetInput = Static<typeof CreateTargetBody>;

export const UpdateTargetBody = Type.Partial(Type.Object(targetFields), { additionalProperties: false });
export type UpdateTargetInput = Static<typeof UpdateTargetBody>;

/**
 * getTargetList filters: numbers may arrive as strings (converted like Python float(); bad → 400).
 * Text filters are capped at 200 characters and numeric strings at 64 (differs from BHTOM2, which has no
 * cap: a megabyte ILIKE pattern costs every row of the table).
 */
// maxLength on the union (it applies to strings only) so that the 400 names the limit.
const Num = Capped<number | string | null>(["number", "string", "null"], 64);
const Bool = Capped<boolean | string | number | null>(["boolean", "string", "number", "null"], 64);
const Text = Capped<string | null>(["string", "null"], 200);
export const TargetListBody = Type.Object({
  name: Type.Optional(Text),
  type: Type.Optional(Text),
  raMin: Type.Optional(Num),
  raMax: Type.Optional(Num),
  decMin: Type.Optional(Num),
  decMax: Type.Optional(Num),
  importanceMin: Type.Optional(Num),
  importanceMax: Type.Optional(Num),
  priority: Type.Optional(Num),
  lastMagMin: Type.Optional(Num),
  lastMagMax: Type.Optional(Num),
  sunSeparationMin: Type.Optional(Num),
  sunSeparationMax: Type.Optional(Num),
  galacticLatMin: Type.Optional(Num),
  galacticLatMax: Type.Optional(Num),
  galacticLonMin: Type.Optional(Num),
  galacticLonMax: Type.Optional(Num),
  description: Type.Optional(Text),
  classification: Type.Optional(Text),
  targetGroup: Type.Optional(Text),
  hasOptical: Type.Optional(Bool),
  hasInfrared: Type.Optional(Bool),
  hasRadio: Type.Optional(Bool),
  hasXray: Type.Optional(Bool),
  hasGamma: Type.Optional(Bool),
  hasPolarimetry: Type.Optional(Bool),
  coneSearchRaDecRadius: Type.Optional(
    Capped<string | null>(["string", "null"], 200, {
      description:
        '"RA,Dec,Radius" in degrees; radius in (0, 180] (differs from BHTOM2: any radius, bad ones ignored)',
    }),
  ),
  coneSearchTarget: Type.Optional(
    Capped<string | null>(["string", "null"], 200, {
      description: '"Name,Radius": name or alias, radius in degrees, in (0, 180]',
    }),
  ),
  page: PageField(),
});
export type TargetListInput = Static<typeof TargetListBody>;

export const DeleteTargetBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

const N = Type.Union([Type.Number(), Type.Null()]);
const S = Type.Union([Type.String(), Type.Null()]);
const B = Type.Union([Type.Boolean(), Type.Null()]);
/** createTarget's answer: BHTOM's serializer fields plus `id`. */
export const TargetSummary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  ra: N,
  dec: N,
  epoch: N,
  description: S,
  classification: S,
  discovery_date: S,
  importance: Type.Number(),
  cadence: Type.Number(),
  has_optical: B,
  has_infrared: B,
  has_radio: B,
  has_xray: B,
  has_gamma: B,
  has_polarimetry: B,
});
