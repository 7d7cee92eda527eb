/**
 * How skytom reaches the archives (DESIGN §7): base URLs, offline mode, time limits, concurrency and
 * retries — read from the environment by src/config.ts (README: configuration), passed down from there.
 */

/** The ESA Gaia archive's TAP service. */
export const DEFAULT_GAIA_TAP_URL = "https://gea.esac.esa.int/tap-server/tap";
/** CDS VizieR's TAP service. */
export const DEFAULT_VIZIER_TAP_URL = "http://tapvizier.cds.unistra.fr/TAPVizieR/tap";

export interface ArchiveSettings {
  /** SKYTOM_GAIA_TAP_URL. */
  gaiaTapUrl: string;
  /** SKYTOM_VIZIER_TAP_URL. */
  vizierTapUrl: string;
  /** SKYTOM_OFFLINE=1: never ask an archive; the cache and imported catalogues only. */
  offline: boolean;
  /** SKYTOM_ARCHIVE_CONNECT_TIMEOUT_MS: time to open a connection. */
  connectTimeoutMs: number;
  /** SKYTOM_ARCHIVE_QUERY_TIMEOUT_MS: time for a whole query, the archive's work included. */
  queryTimeoutMs: number;
  /** SKYTOM_ARCHIVE_CONCURRENCY: archive queries at once in one process. */
  concurrency: number;
  /** SKYTOM_ARCHIVE_RETRIES: retries of a query after its first attempt (timeouts, 5xx). */
  retries: number;
  /** SKYTOM_ARCHIVE_RETRY_WAIT_SECONDS: pause after a failed query before asking again (doubling, ≤ 1 h). */
  retryWaitSeconds: number;
}

/** The defaults, offline: what tests and library callers get when they configure nothing. */
export const OFFLINE_ARCHIVES: ArchiveSettings = {
  gaiaTapUrl: DEFAULT_GAIA_TAP_URL,
  vizierTapUrl: DEFAULT_VIZIER_TAP_URL,
  offline: true,
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 120_000,
  concurrency: 2,
  retries: 3,
  retryWaitSeconds: 300,
};
