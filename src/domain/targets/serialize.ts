/** BHTOM's target representations: the createTarget serializer and the getTargetList item (§F.1, §F.3). */
import type { TargetRow } from "./repo.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** NaN/Infinity cannot be JSON: null, as getTargetList does. */
const num = (v: number | null) => (v === null || Number.isFinite(v) ? v : null);

/** createTarget / targets-from-group serializer fields (plus `id`, which BHTOM2 leaves out). */
export function targetSummary(t: TargetRow) {
  return {
    id: t.id,
    name: t.name,
    ra: num(t.ra),
    dec: num(t.dec),
    epoch: num(t.epoch),
    description: t.description,
    classification: t.classification,
    discovery_date: iso(t.discoveryDate),
    importance: t.importance,
    cadence: t.cadence,
    has_optical: t.hasOptical,
    has_infrared: t.hasInfrared,
    has_radio: t.hasRadio,
    has_xray: t.hasXray,
    has_gamma: t.hasGamma,
    has_polarimetry: t.hasPolarimetry,
  };
}

/** getTargetList item: every column in BHTOM's order, plus `id`, `aliases`, `groups`. */
export function targetListItem(t: TargetRow, aliases: [string, string][], groups: [string, number][]) {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    has_optical: t.hasOptical,
    has_infrared: t.hasInfrared,
    has_radio: t.hasRadio,
    has_xray: t.hasXray,
    has_gamma: t.hasGamma,
    has_polarimetry: t.hasPolarimetry,
    created: iso(t.created),
    modified: iso(t.modified),
    ra: num(t.ra),
    dec: num(t.dec),
    epoch: num(t.epoch),
    parallax: num(t.parallax),
    pm_ra: num(t.pmRa),
    pm_dec: num(t.pmDec),
    galactic_lng: num(t.galacticLng),
    galactic_lat: num(t.galacticLat),
    distance: num(t.distance),
    distance_err: num(t.distanceErr),
    scheme: t.scheme,
    epoch_of_elements: num(t.epochOfElements),
    mean_anomaly: num(t.meanAnomaly),
    arg_of_perihelion: num(t.argOfPerihelion),
    eccentricity: num(t.eccentricity),
    lng_asc_node: num(t.lngAscNode),
    inclination: num(t.inclination),
    mean_daily_motion: num(t.meanDailyMotion),
    semimajor_axis: num(t.semimajorAxis),
    epoch_of_perihelion: num(t.epochOfPerihelion),
    ephemeris_period: num(t.ephemerisPeriod),
    ephemeris_period_err: num(t.ephemerisPeriodErr),
    ephemeris_epoch: num(t.ephemerisEpoch),
    ephemeris_epoch_err: num(t.ephemerisEpochErr),
    perihdist: num(t.perihdist),
    classification: t.classification,
    discovery_date: iso(t.discoveryDate),
    mjd_last: num(t.mjdLast),
    mag_last: num(t.magLast),
    importance: num(t.importance),
    cadence: num(t.cadence),
    priority: num(t.priority),
    sun_separation: num(t.sunSeparation),
    creation_date: iso(t.creationDate),
    constellation: t.constellation,
    dont_update_me: t.dontUpdateMe,
    phot_class: t.photClass,
    photometry_plot: "",
    photometry_plot_obs: "",
    photometry_plot_highenergy: "",
    photometry_icon_plot: "",
    spectroscopy_plot: "",
    data_plot: iso(t.dataPlot),
    filter_last: t.filterLast,
    cadence_priority: num(t.cadencePriority),
    description: t.description,
    aliases,
    groups,
  };
}
