/** The survey sources skytom harvests, made from the settings (src/config.ts → here). */
import { SourceFetcher } from "./fetcher.ts";
import { GaiaAlertsHarvester } from "./gaia-alerts.ts";
import type { HarvestSettings } from "./settings.ts";
import type { Harvester } from "./types.ts";

export type { HarvestSettings } from "./settings.ts";
export { OFFLINE_HARVESTS } from "./settings.ts";
export * from "./types.ts";

/** The harvesters, one per source, with their settings; `offline` travels with them. */
export interface HarvesterSet {
  harvesters: readonly Harvester[];
  offline: boolean;
}

export function makeHarvesters(settings: HarvestSettings): HarvesterSet {
  return {
    harvesters: [new GaiaAlertsHarvester(settings.gaiaAlertsUrl, new SourceFetcher("GaiaAlerts", settings))],
    offline: settings.offline,
  };
}
