/** `skytom harvest TARGET`: ask the survey sources (Gaia Alerts, ZTF) for the target's light curve now. */
import { connect, observerCommand, printJson } from "./common.ts";
import type { RemoteFlags } from "./config.ts";

export function harvestCommand() {
  return observerCommand(
    "harvest",
    "ask the survey sources for a target's light curve now; prints each source's outcome",
    ["skytom harvest Gaia22bpl", "skytom harvest SN2023ixf --source ZTF --json"],
  )
    .argument("<target>", "target name or alias")
    .option("--source <name...>", "only these sources (GaiaAlerts, ZTF, GaiaDR3); default all")
    .option("--json", "print the answer as JSON")
    .action(async (target: string, o: RemoteFlags & { source?: string[]; json?: boolean }) => {
      const answer = await connect(o).harvest(target, o.source);
      if (o.json) return printJson(answer);
      for (const r of answer.results) console.log(`${r.source}: ${r.status}: ${r.message}`);
      if (answer.results.some((r) => r.status === "error")) process.exitCode = 1;
    });
}
