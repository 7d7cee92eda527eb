/** The `skytom` command. One sub-command per file; errors set the exit code, nothing calls process.exit. */
import { Command } from "commander";
import { loadConfig } from "../config.ts";
import { VERSION } from "../version.ts";
import { reportError } from "./output.ts";
import { observatoryCommand } from "./observatory.ts";
import { userCommand } from "./user.ts";
import { fitsCommand } from "./fits.ts";
import { catalogCommand } from "./catalog.ts";
import { demoCommand } from "./demo.ts";
import { withDatabase } from "./db.ts";
import { EXIT_CODES_HELP } from "./output.ts";
import { loginCommand, logoutCommand } from "./remote/login.ts";
import { uploadCommand } from "./remote/upload.ts";
import { targetCommand, targetsCommand } from "./remote/targets.ts";
import { downloadCommand } from "./remote/download.ts";
import { harvestCommand } from "./remote/harvest.ts";
import { calibCommand } from "./remote/calib.ts";
import { observatoriesCommand } from "./remote/observatories.ts";
import { planCommand } from "./remote/plan.ts";

const program = new Command("skytom")
  .description("skytom: a BHTOM-compatible Target and Observation Manager")
  .version(VERSION)
  .showHelpAfterError();

program
  .command("serve")
  .description("serve the API, web UI and background workers (env: PORT, HOST, SKYTOM_DATA, DATABASE_URL, …)")
  .action(async () => {
    const { startServer, stopOnSignals } = await import("../server.ts");
    const server = await startServer(loadConfig());
    stopOnSignals(server, (msg) => server.app.log.info(msg));
    server.app.log.info(`skytom ${VERSION} serving on ${server.url} (database: ${server.database.engine})`);
  });

program
  .command("worker")
  .description("run background workers only (calibration, FITS processing, daily refresh); no HTTP")
  .option("--concurrency <n>", "jobs processed at once", "1")
  .action(async (o: { concurrency: string }) => {
    const n = Number(o.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new Error("--concurrency must be an integer from 1 to 64");
    const { startWorkerProcess } = await import("../server.ts");
    const worker = await startWorkerProcess(loadConfig(), n);
    const stop = () => void worker.stop().then(() => console.error("worker stopped"));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });

program
  .command("migrate")
  .description("apply database migrations and exit")
  .action(async () => {
    await withDatabase(async (database) => {
      console.log(`migrations applied (${database.engine})`);
    });
  });

program.addCommand(userCommand());
program.addCommand(fitsCommand());
program.addCommand(observatoryCommand());
program.addCommand(catalogCommand());
program.addCommand(demoCommand());
// Observer commands: talk to any BHTOM-compatible server through src/client.
program.addCommand(loginCommand());
program.addCommand(logoutCommand());
program.addCommand(uploadCommand());
program.addCommand(targetsCommand());
program.addCommand(targetCommand());
program.addCommand(downloadCommand());
program.addCommand(harvestCommand());
program.addCommand(calibCommand());
program.addCommand(observatoriesCommand());
program.addCommand(planCommand());
program.addHelpText("after", EXIT_CODES_HELP);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err);
});
