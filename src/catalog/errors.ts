/**
 * Why reference stars cannot be had now. The calibration does not fail a frame for these: an archive
 * that is unreachable or answers nonsense delays the work (the job is retried at `retryAt`), and the
 * message says what happened and when the next try is.
 */

/** An archive could not give the stars now; `retryAt` is when this process will ask it again. */
export class ArchiveError extends Error {
  constructor(
    /** The archive in words, e.g. "the Gaia archive (https://gea.esac.esa.int/tap-server/tap)". */
    readonly service: string,
    message: string,
    readonly retryAt: Date,
  ) {
    super(message);
  }
}

/** No answer: connection refused, name not found, a timeout, HTTP 5xx — after the retries. */
export class ArchiveUnavailableError extends ArchiveError {}

/**
 * An answer that is not the table asked for: an HTML page, a truncated CSV or VOTable, a VOTable whose
 * QUERY_STATUS is ERROR, missing columns. Nothing of it is stored.
 */
export class ArchiveAnswerError extends ArchiveError {}

/** SKYTOM_OFFLINE=1 and neither the cache nor an imported catalogue has stars of the survey in the cone. */
export class ReferenceStarsOfflineError extends Error {}
