/**
 * Login throttling, for both ways to log in with a password (`POST /api/token-auth/`, the web's
 * `/accounts/login/`): per client address, at most `maxPerIp` attempts (whatever their outcome: each
 * costs a 32 MiB scrypt) and per username at most `maxFailuresPerUser` failed ones within a sliding
 * window of `windowSeconds`; a success clears the username's failures. Over a limit the attempt is
 * refused before any password is checked, with the seconds until the oldest counted attempt leaves the
 * window (429 + Retry-After over HTTP).
 *
 * The counts live in this process (several API processes each count their own: the limits hold per
 * process), bounded in memory: at most {@link MAX_KEYS} addresses and usernames are tracked, the least
 * recently seen forgotten first.
 */
import { DomainError } from "../errors.ts";

export interface LoginLimits {
  /** Sliding window, s (SKYTOM_LOGIN_WINDOW_SECONDS). */
  windowSeconds: number;
  /** Attempts per client address per window; 0 = no limit (SKYTOM_LOGIN_MAX_PER_IP). */
  maxPerIp: number;
  /** Failed attempts per username per window; 0 = no limit (SKYTOM_LOGIN_MAX_FAILURES_PER_USER). */
  maxFailuresPerUser: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowSeconds: 900,
  maxPerIp: 100,
  maxFailuresPerUser: 10,
};

/** Tracked addresses and usernames, each. */
export const MAX_KEYS = 10_000;

export class TooManyLoginAttemptsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many login attempts; try again in ${retryAfterSeconds} seconds.`);
  }
}

/** Times (ms) of the counted events per key, oldest first; Map order = least recently touched first. */
class SlidingCounts {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  private current(key: string, now: number): number[] {
    const times = (this.events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.events.delete(key); // re-inserted by the caller when still needed: most recent last
    return times;
  }

  /** Ms until an event may be added without going over the limit (0 = now). */
  waitMs(key: string, now: number): number {
    if (this.limit <= 0) return 0;
    const times = this.current(key, now);
    if (times.length) this.events.set(key, times);
    return times.length < this.limit ? 0 : times[times.length - this.limit] + this.windowMs - now;
  }

  add(key: string, now: number): void {
    if (this.limit <= 0) return;
    const times = this.current(key, now);
    times.push(now);
    this.events.set(key, times.slice(-this.limit));
    if (this.events.size > MAX_KEYS) this.events.delete(this.events.keys().next().value as string);
  }

  clear(key: string): void {
    this.events.delete(key);
  }
}

export class LoginThrottle {
  private readonly perIp: SlidingCounts;
  private readonly failures: SlidingCounts;

  constructor(
    readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    const windowMs = limits.windowSeconds * 1000;
    this.perIp = new SlidingCounts(limits.maxPerIp, windowMs);
    this.failures = new SlidingCounts(limits.maxFailuresPerUser, windowMs);
  }

  /**
   * Run a password check for (ip, username) within the limits: refused with TooManyLoginAttemptsError
   * when over one (the check does not run), else counted; a failure (the check throws `isFailure`) counts
   * against the username, a success clears its failures.
   */
  async attempt<T>(
    ip: string,
    username: string,
    check: () => Promise<T>,
    isFailure: (err: unknown) => boolean,
  ): Promise<T> {
    const now = this.now();
    const user = username.trim();
    const waitMs = Math.max(this.perIp.waitMs(ip, now), this.failures.waitMs(user, now));
    if (waitMs > 0) throw new TooManyLoginAttemptsError(Math.max(1, Math.ceil(waitMs / 1000)));
    this.perIp.add(ip, now);
    try {
      const result = await check();
      this.failures.clear(user);
      return result;
    } catch (err) {
      if (isFailure(err)) this.failures.add(user, this.now());
      throw err;
    }
  }
}
