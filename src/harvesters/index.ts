/** The survey sources skytom harvests, made from the settings (src/config.ts → here). */
import { SourceFetcher } from "./fetcher.ts";
import { GaiaAlertsHarvester, GaiaAlertsIndex } from "./gaia-alerts.ts";
import { GaiaDr3Harvester } from "./gaia-dr3.ts";
import { ZtfHarvester } from "./ztf.ts";
import { SesameResolver, type Resolution } from "./sesame.ts";
import type { HarvestSettings } from "./settings.ts";
import type { Harvester } from "./types.ts";

export type { HarvestSettings } from "./settings.ts";
export { OFFLINE_HARVESTS } from "./settings.ts";
export * from "./types.ts";
export type { Resolution } from "./sesame.ts";
export { GAIA_ALERT_NAME } from "./gaia-alerts.ts";

/** A name resolver: a position and identifiers for a name, null when it does not know the name. */
export interface NameResolver {
  readonly name: "Sesame" | "GaiaAlertsIndex";
  readonly title: string;
  resolve(name: string): Promise<Resolution | null>;
}

/** The harvesters, one per source, with their settings; `offline` travels with them. */
export interface HarvesterSet {
  harvesters: readonly Harvester[];
  /** Name resolvers for targets created with a name only. */
  sesame: NameResolver;
  gaiaAlertsIndex: NameResolver;
  offline: boolean;
}

export function makeHarvesters(settings: HarvestSettings): HarvesterSet {
  const sesame = new SesameResolver(settings.sesameUrl, new SourceFetcher("Sesame", settings));
  const index = new GaiaAlertsIndex(settings.gaiaAlertsUrl, new SourceFetcher("GaiaAlertsIndex", settings));
  return {
    harvesters: [
      new GaiaAlertsHarvester(settings.gaiaAlertsUrl, new SourceFetcher("GaiaAlerts", settings)),
      new ZtfHarvester(settings.irsaUrl, new SourceFetcher("ZTF", settings)),
      // One fetcher (one rate limit) for the archive's TAP and DataLink services: both are gea.esac.esa.int.
      new GaiaDr3Harvester(
        settings.gaiaTapUrl,
        settings.gaiaDatalinkUrl,
        new SourceFetcher("GaiaDR3", settings),
      ),
    ],
    sesame: { name: "Sesame", title: sesame.title, resolve: (n) => sesame.resolve(n) },
    gaiaAlertsIndex: { name: "GaiaAlertsIndex", title: index.title, resolve: (n) => index.resolve(n) },
    offline: settings.offline,
  };
}
