/** The archive settings read from the environment (src/config.ts): names, defaults and refusals. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("loadConfig — the archives", () => {
  it("defaults: the ESA Gaia archive and CDS VizieR TAP services, online, 10 s / 120 s, 2 at once, 3 retries", () => {
    expect(loadConfig({}).archives).toEqual({
      gaiaTapUrl: "https://gea.esac.esa.int/tap-server/tap",
      vizierTapUrl: "http://tapvizier.cds.unistra.fr/TAPVizieR/tap",
      offline: false,
      connectTimeoutMs: 10_000,
      queryTimeoutMs: 120_000,
      concurrency: 2,
      retries: 3,
      retryWaitSeconds: 300,
    });
  });

  it("SKYTOM_GAIA_TAP_URL, SKYTOM_VIZIER_TAP_URL (trailing slash dropped), SKYTOM_OFFLINE and the fault settings", () => {
    const a = loadConfig({
      SKYTOM_GAIA_TAP_URL: "http://mirror.example:8080/tap/",
      SKYTOM_VIZIER_TAP_URL: "https://vizier.example/TAPVizieR/tap",
      SKYTOM_OFFLINE: "1",
      SKYTOM_ARCHIVE_CONNECT_TIMEOUT_MS: "2500",
      SKYTOM_ARCHIVE_QUERY_TIMEOUT_MS: "30000",
      SKYTOM_ARCHIVE_CONCURRENCY: "4",
      SKYTOM_ARCHIVE_RETRIES: "0",
      SKYTOM_ARCHIVE_RETRY_WAIT_SECONDS: "60",
    }).archives;
    expect(a).toEqual({
      gaiaTapUrl: "http://mirror.example:8080/tap",
      vizierTapUrl: "https://vizier.example/TAPVizieR/tap",
      offline: true,
      connectTimeoutMs: 2500,
      queryTimeoutMs: 30_000,
      concurrency: 4,
      retries: 0,
      retryWaitSeconds: 60,
    });
    for (const yes of ["true", "YES", "on"])
      expect(loadConfig({ SKYTOM_OFFLINE: yes }).archives.offline).toBe(true);
    for (const no of ["0", "false", "off", ""])
      expect(loadConfig({ SKYTOM_OFFLINE: no }).archives.offline).toBe(false);
  });

  it.each([
    [{ SKYTOM_GAIA_TAP_URL: "gea.esac.esa.int/tap-server/tap" }, /SKYTOM_GAIA_TAP_URL must be an http/],
    [{ SKYTOM_VIZIER_TAP_URL: "ftp://x/tap" }, /SKYTOM_VIZIER_TAP_URL must be an http/],
    [{ SKYTOM_OFFLINE: "maybe" }, /SKYTOM_OFFLINE must be 1 or 0/],
    [{ SKYTOM_ARCHIVE_CONCURRENCY: "0" }, /SKYTOM_ARCHIVE_CONCURRENCY must be an integer from 1 to 64/],
  ])("refuses %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("the Gaia DR3 harvest: SKYTOM_GAIA_DATALINK_URL, and the same SKYTOM_GAIA_TAP_URL as the archives", () => {
    expect(loadConfig({}).harvests).toMatchObject({
      gaiaDatalinkUrl: "https://gea.esac.esa.int/data-server/data",
      gaiaTapUrl: "https://gea.esac.esa.int/tap-server/tap",
    });
    const c = loadConfig({
      SKYTOM_GAIA_DATALINK_URL: "http://mirror.example/data-server/data/",
      SKYTOM_GAIA_TAP_URL: "http://mirror.example/tap",
    });
    expect(c.harvests).toMatchObject({
      gaiaDatalinkUrl: "http://mirror.example/data-server/data",
      gaiaTapUrl: "http://mirror.example/tap",
    });
    expect(c.archives.gaiaTapUrl).toBe("http://mirror.example/tap");
    expect(() => loadConfig({ SKYTOM_GAIA_DATALINK_URL: "ftp://x" })).toThrow(ConfigError);
  });
});
