/**
 * How skytom reaches the survey sources and name resolvers (DESIGN §7): base URLs, offline mode, time
 * limits, concurrency, rate limits and retries — read from the environment by src/config.ts and passed
 * down from there (README: configuration, what leaves the machine).
 */
import { DEFAULT_GAIA_TAP_URL } from "../catalog/settings.ts";

/** Gaia Science Alerts (Cambridge): `{base}/alert/<name>/lightcurve.csv`, `{base}/alerts.csv`. */
export const DEFAULT_GAIA_ALERTS_URL = "https://gsaweb.ast.cam.ac.uk/alerts";

/** IRSA (ZTF light curves: `{base}/cgi-bin/ZTF/nph_light_curves`). */
export const DEFAULT_IRSA_URL = "https://irsa.ipac.caltech.edu";

/** The ESA Gaia archive's DataLink data service (Gaia DR3 epoch photometry): `{base}?RETRIEVAL_TYPE=…`. */
export const DEFAULT_GAIA_DATALINK_URL = "https://gea.esac.esa.int/data-server/data";

/** CDS Sesame's plain-text service: `{base}/-oI/A?<name>`. */
export const DEFAULT_SESAME_URL = "https://cds.unistra.fr/cgi-bin/nph-sesame";

export interface HarvestSettings {
  /** SKYTOM_GAIA_ALERTS_URL. */
  gaiaAlertsUrl: string;
  /** SKYTOM_SESAME_URL. */
  sesameUrl: string;
  /** SKYTOM_IRSA_URL. */
  irsaUrl: string;
  /** SKYTOM_GAIA_DATALINK_URL. */
  gaiaDatalinkUrl: string;
  /** SKYTOM_GAIA_TAP_URL (shared with the reference-star catalogues). */
  gaiaTapUrl: string;
  /** SKYTOM_OFFLINE=1: never ask a source; harvests report "offline" and store nothing. */
  offline: boolean;
  /** SKYTOM_HARVEST_CONNECT_TIMEOUT_MS: time to open a connection. */
  connectTimeoutMs: number;
  /** SKYTOM_HARVEST_TIMEOUT_MS: time for one whole request. */
  queryTimeoutMs: number;
  /** SKYTOM_HARVEST_RETRIES: retries of a request after its first attempt (network errors, 429, 5xx). */
  retries: number;
  /** SKYTOM_HARVEST_RETRY_WAIT_MS: pause before the first retry, doubled for each further one. */
  retryWaitMs: number;
  /** SKYTOM_HARVEST_INTERVAL_MS: least time between two requests to one source (its rate limit). */
  minIntervalMs: number;
}

/** The defaults, offline: what tests and library callers get when they configure nothing. */
export const OFFLINE_HARVESTS: HarvestSettings = {
  gaiaAlertsUrl: DEFAULT_GAIA_ALERTS_URL,
  sesameUrl: DEFAULT_SESAME_URL,
  irsaUrl: DEFAULT_IRSA_URL,
  gaiaDatalinkUrl: DEFAULT_GAIA_DATALINK_URL,
  gaiaTapUrl: DEFAULT_GAIA_TAP_URL,
  offline: true,
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 60_000,
  retries: 2,
  retryWaitMs: 2000,
  minIntervalMs: 1000,
};
