/**
 * Request and answer shapes of night planning: visibility, exposure time, a camera's plan, the network
 * view and finder charts. One schema serves validation, the OpenAPI document, the web forms and the CLI.
 * Times are ISO 8601 UTC strings; angles in degrees; magnitudes in mag; exposures in seconds.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: "date-time", description: "ISO 8601, UTC" });
const NullableTime = Nullable(Time);
const Reasons = Type.Record(Type.String(), Type.String(), {
  description: "Why a field is null: field name → reason (circumpolar, never rises, polar day, …)",
});

export const DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$";
const DateField = Type.String({
  pattern: DATE_PATTERN,
  description: "Local date the night starts on, YYYY-MM-DD (default: tonight at the site)",
  errorMessage: "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
});
const MinAltitude = Type.Number({
  minimum: 0,
  maximum: 89,
  default: 30,
  description: "Lowest useful altitude, deg (geometric); default 30",
});
const Snr = Type.Number({
  exclusiveMinimum: 0,
  maximum: 10000,
  default: 50,
  description: "Wanted S/N; default 50",
});

export const FORMATS = ["json", "csv", "txt"] as const;
export type PlanFormat = (typeof FORMATS)[number];

// ---------------------------------------------------------------- visibility

export const VisibilityBody = Type.Object(
  {
    target: Type.String({ minLength: 1, maxLength: 100, description: "Target name (or alias)" }),
    observatory: Type.String({
      minLength: 1,
      maxLength: 255,
      description: "Observatory name (a camera's ONAME is accepted too)",
    }),
    date: Type.Optional(DateField),
    min_altitude: Type.Optional(MinAltitude),
  },
  { additionalProperties: false },
);
export type VisibilityInput = Static<typeof VisibilityBody>;

export const Window = Type.Object({ start: Time, end: Time });

export const MagnitudeOut = Type.Object({
  filter: Type.String({ description: "Light-curve filter, e.g. `V(GaiaSP)`" }),
  predicted_mag: Type.Number(),
  predicted_mag_error: Nullable(Type.Number()),
  method: Type.String({
    description:
      "`trend` (weighted line over the last 30 days, extrapolated no further than the points span), `mean` " +
      "(weighted mean of those points), `latest` (one point), `mag_last` (the target's last magnitude, no points)",
  }),
  last_mjd: Nullable(Type.Number()),
  last_mag: Nullable(Type.Number()),
  last_mag_error: Nullable(Type.Number()),
  age_days: Nullable(Type.Number({ description: "Days from the last point to the prediction time" })),
  points: Type.Integer({ description: "Points behind the prediction" }),
  trend_mag_per_day: Nullable(Type.Number()),
  trend_error_mag_per_day: Nullable(Type.Number()),
});
export type MagnitudeView = Static<typeof MagnitudeOut>;

export const NightOut = Type.Object({
  start: Time,
  end: Time,
  sunset: NullableTime,
  sunrise: NullableTime,
  civil_dusk: NullableTime,
  civil_dawn: NullableTime,
  nautical_dusk: NullableTime,
  nautical_dawn: NullableTime,
  astronomical_dusk: NullableTime,
  astronomical_dawn: NullableTime,
  reasons: Reasons,
});
export type NightView = Static<typeof NightOut>;

export const VisibilityOut = Type.Object({
  date: Type.String(),
  min_altitude: Type.Number(),
  observatory: Type.Object({
    name: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    altitude: Type.Number(),
  }),
  night: NightOut,
  target: Type.Object({
    name: Type.String(),
    ra: Type.Number(),
    dec: Type.Number(),
    rise: NullableTime,
    transit: NullableTime,
    set: NullableTime,
    max_altitude_deg: Type.Number({ description: "Highest altitude between sunset and sunrise, deg" }),
    culmination_altitude_deg: Type.Number(),
    hours_observable: Type.Number({ description: "Hours above min_altitude in astronomical darkness" }),
    windows: Type.Array(Window),
    circumpolar: Type.Boolean(),
    never_rises: Type.Boolean(),
    reasons: Reasons,
  }),
  moon: Type.Object({
    illumination: Type.Number({ description: "Illuminated fraction, 0–1, mid-darkness" }),
    min_separation_deg: Nullable(Type.Number({ description: "Closest approach in darkness, deg" })),
  }),
  samples: Type.Array(
    Type.Object({
      time: Time,
      altitude_deg: Type.Number(),
      airmass: Nullable(Type.Number()),
      moon_altitude_deg: Type.Number(),
      moon_separation_deg: Type.Number(),
      sun_altitude_deg: Type.Number(),
    }),
  ),
  magnitudes: Type.Array(MagnitudeOut),
});
export type VisibilityView = Static<typeof VisibilityOut>;

// ---------------------------------------------------------------- exposure time

export const ExposureTimeBody = Type.Object(
  {
    oname: Type.String({ minLength: 1, maxLength: 255, description: "Camera ONAME" }),
    target: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "Target (its predicted mag)" }),
    ),
    mag: Type.Optional(
      Type.Number({ minimum: -30, maximum: 40, description: "Source magnitude (instead of a target)" }),
    ),
    filter: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "e.g. `V(GaiaSP)`; default: the camera's usual one",
      }),
    ),
    date: Type.Optional(DateField),
    airmass: Type.Optional(
      Type.Number({ minimum: 1, maximum: 40, description: "Default: the best tonight, else 1" }),
    ),
    snr: Type.Optional(Snr),
    exposure_s: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 86400, description: "Also give the S/N of this exposure" }),
    ),
  },
  { additionalProperties: false },
);
export type ExposureTimeInput = Static<typeof ExposureTimeBody>;

export const CameraModelOut = Type.Object({
  filter: Type.String(),
  frames: Type.Integer({ description: "Calibrated FITS frames behind the model" }),
  last_frame_mjd: Type.Number(),
  zero_point_mag: Type.Number({
    description: "Mag of a source giving 1 ADU/s above the atmosphere (median)",
  }),
  zero_point_scatter_mag: Type.Number({ description: "Spread of the frames' zero points (1.4826 MAD), mag" }),
  extinction_mag_per_airmass: Type.Number(),
  extinction_source: Type.String({
    description: "`fitted` (Bouguer, from the frames) or `typical` (a good site's)",
  }),
  sky_adu_per_px_per_s: Type.Number(),
  fwhm_px: Type.Number(),
  fwhm_arcsec: Nullable(Type.Number()),
  aperture_radius_px: Type.Number(),
  aperture_correction_mag: Type.Number(),
  gain: Type.Number({ description: "e⁻/ADU (camera)" }),
  read_noise: Type.Number({ description: "e⁻ (camera)" }),
  saturation_level: Type.Number({ description: "ADU (camera)" }),
});
export type CameraModelView = Static<typeof CameraModelOut>;

export const ExposureTimeOut = Type.Object({
  oname: Type.String(),
  filter: Type.String(),
  mag: Type.Number(),
  magnitude: Nullable(MagnitudeOut),
  airmass: Type.Number(),
  airmass_source: Type.String({ description: "`given`, `best tonight` or `default` (1.0)" }),
  snr: Type.Number({ description: "The wanted S/N" }),
  exposure_s: Type.Number({ description: "Exposure reaching `snr`" }),
  saturation_exposure_s: Type.Number({
    description: "Longest exposure before the peak reaches 80 % of saturation",
  }),
  saturated: Type.Boolean({ description: "`exposure_s` would saturate the target" }),
  limiting_mag_5sigma: Type.Number({ description: "5σ limit in `exposure_s`, mag" }),
  given_exposure: Nullable(
    Type.Object({
      exposure_s: Type.Number(),
      snr: Type.Number(),
      mag_error: Type.Number(),
      saturated: Type.Boolean(),
    }),
  ),
  model: CameraModelOut,
});
export type ExposureTimeView = Static<typeof ExposureTimeOut>;

// ---------------------------------------------------------------- plan

export const PlanBody = Type.Object(
  {
    oname: Type.String({ minLength: 1, maxLength: 255, description: "Camera ONAME" }),
    date: Type.Optional(DateField),
    min_altitude: Type.Optional(MinAltitude),
    snr: Type.Optional(Snr),
    max_exposure_s: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 7200,
        default: 600,
        description: "Longest single exposure; default 600",
      }),
    ),
    n_exposures: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 1, description: "Exposures per visit" }),
    ),
    slew_s: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3600,
        default: 60,
        description: "Slew and settle per target; default 60",
      }),
    ),
    readout_s: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 3600,
        description: "Readout per exposure; default from the camera, else 10",
      }),
    ),
    min_importance: Type.Optional(Type.Number({ minimum: 0, maximum: 10, default: 0 })),
    min_moon_separation_deg: Type.Optional(Type.Number({ minimum: 0, maximum: 180, default: 15 })),
    format: Type.Optional(
      Type.Union(
        FORMATS.map((f) => Type.Literal(f)),
        {
          default: "json",
          description: "`json`, `csv`, or `txt` (one `name ra dec exposure` line per target)",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PlanInput = Static<typeof PlanBody>;

export const PlanEntryOut = Type.Object({
  name: Type.String(),
  ra: Type.Number(),
  dec: Type.Number(),
  priority: Type.Number(),
  importance: Type.Number(),
  cadence_priority: Type.Number(),
  filter: Type.String(),
  mag: Type.Number({ description: "Predicted magnitude in `filter`" }),
  mag_method: Type.String(),
  exposure_s: Type.Number(),
  n_exposures: Type.Integer(),
  snr: Nullable(
    Type.Number({ description: "Predicted S/N per exposure (null without calibration history)" }),
  ),
  start: Time,
  end: Time,
  window: Window,
  airmass: Type.Number({ description: "At the middle of the scheduled block" }),
  altitude_deg: Type.Number(),
  moon_separation_deg: Type.Number(),
});
export type PlanEntry = Static<typeof PlanEntryOut>;

export const PlanOut = Type.Object({
  oname: Type.String(),
  observatory: Type.String(),
  date: Type.String(),
  night: NightOut,
  darkness: Type.Object({
    start: NullableTime,
    end: NullableTime,
    kind: Type.String({ description: "`astronomical`, `nautical` (no astronomical darkness) or `none`" }),
    hours: Type.Number(),
  }),
  settings: Type.Object({
    min_altitude: Type.Number(),
    snr: Type.Number(),
    max_exposure_s: Type.Number(),
    n_exposures: Type.Integer(),
    slew_s: Type.Number(),
    readout_s: Type.Number(),
    min_importance: Type.Number(),
    min_moon_separation_deg: Type.Number(),
  }),
  model: Nullable(CameraModelOut),
  notes: Type.Array(Type.String()),
  scheduled: Type.Array(PlanEntryOut),
  unscheduled: Type.Array(
    Type.Object({ name: Type.String(), priority: Type.Number(), reason: Type.String() }),
  ),
  summary: Type.Object({
    targets: Type.Integer({
      description: "Targets considered (importance ≥ min_importance, with a position)",
    }),
    observable: Type.Integer(),
    scheduled: Type.Integer(),
    hours_used: Type.Number(),
  }),
});
export type PlanView = Static<typeof PlanOut>;

// ---------------------------------------------------------------- network

export const NetworkPlanBody = Type.Object(
  {
    date: Type.Optional(
      Type.String({
        pattern: DATE_PATTERN,
        description: "Local date of the night at each site, YYYY-MM-DD (default: today, UTC)",
      }),
    ),
    min_importance: Type.Optional(
      Type.Number({ minimum: 0, maximum: 10, default: 5, description: "Default 5" }),
    ),
    min_altitude: Type.Optional(MinAltitude),
    snr: Type.Optional(Snr),
    max_exposure_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7200, default: 600 })),
  },
  { additionalProperties: false },
);
export type NetworkPlanInput = Static<typeof NetworkPlanBody>;

export const NetworkPlanOut = Type.Object({
  date: Type.String(),
  min_importance: Type.Number(),
  targets: Type.Array(
    Type.Object({
      name: Type.String(),
      ra: Type.Number(),
      dec: Type.Number(),
      importance: Type.Number(),
      priority: Type.Number(),
      cameras: Type.Array(
        Type.Object({
          oname: Type.String(),
          observatory: Type.String(),
          window: Window,
          hours_observable: Type.Number(),
          best_airmass: Type.Number(),
          filter: Nullable(Type.String()),
          mag: Nullable(Type.Number()),
          exposure_s: Nullable(Type.Number({ description: "For `snr`, at most max_exposure_s" })),
          snr: Nullable(
            Type.Number({
              description: "S/N of `exposure_s` (null: no calibration history or no magnitude)",
            }),
          ),
        }),
      ),
    }),
  ),
});
export type NetworkPlanView = Static<typeof NetworkPlanOut>;

// ---------------------------------------------------------------- finder

export const FinderQuery = Type.Object(
  {
    oname: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: "Camera: its field of view and limit" }),
    ),
    fov_arcmin: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 600,
        description: "Chart width, arcmin (default: 1.5 × the camera's field, else 20)",
      }),
    ),
    mag_limit: Type.Optional(
      Type.Number({ minimum: 0, maximum: 30, description: "Faintest star drawn, mag" }),
    ),
  },
  { additionalProperties: false },
);
export type FinderInput = Static<typeof FinderQuery>;
