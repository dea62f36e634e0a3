/**
 * `npm run dashboard -- --network localhost [--deployment id] [--port n]`: builds the dashboard's bundle
 * (dashboard/build.ts), then starts the usage indexer (the `indexer` task, Ponder) whose API server serves the
 * dashboard beside `/api/*`, and prints the dashboard's URL once the API answers.
 */
import { task, types } from "hardhat/config";

import { buildDashboard } from "../dashboard/build";
import { DEFAULT_INDEXER_PORT } from "../scripts/lib/indexer-process";
import { print } from "./lib/chain";
import { checkPort } from "./lib/args";
import { taskError } from "./lib/errors";

/** Polls `/api/status` until it answers, then prints the dashboard's URL (never keeps the process alive). */
function announceWhenReady(base: string): void {
  const poll = async (): Promise<void> => {
    try {
      const response = await fetch(`${base}/api/status`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        const status = (await response.json()) as { indexedBlock: { number: string } | null };
        const block =
          status.indexedBlock === null
            ? "indexing from the deployment's first block"
            : `indexed to block ${status.indexedBlock.number}`;
        print(`Dashboard: ${base}/dashboard/ (${block}; views: #/sponsor, #/dao, #/user/<address>)`);
        return;
      }
    } catch {
      // Not listening yet.
    }
    setTimeout(() => void poll(), 500).unref();
  };
  setTimeout(() => void poll(), 500).unref();
}

interface DashboardArgs {
  deployment?: string;
  port: number;
  pgliteDir?: string;
}

task(
  "dashboard",
  "Build the usage dashboard and start the indexer that serves it; prints the dashboard's URL",
)
  .addOptionalParam(
    "deployment",
    "Ignition deployment directory or id (default: chain-<chainId>, or the chain's only one)",
  )
  .addOptionalParam("port", "Port of the indexer's API and the dashboard", DEFAULT_INDEXER_PORT, types.int)
  .addOptionalParam(
    "pgliteDir",
    "PGlite directory (default: indexer/.ponder/pglite; ignored with DATABASE_URL)",
  )
  .setAction(async (args: DashboardArgs, hre) => {
    checkPort(args.port);
    try {
      await buildDashboard(hre.config.paths.root);
    } catch (error) {
      throw taskError(
        `The dashboard's bundle did not build: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    announceWhenReady(`http://127.0.0.1:${args.port}`);
    await hre.run("indexer", {
      deployment: args.deployment,
      port: args.port,
      pgliteDir: args.pgliteDir,
      dbSchema: "public",
      serve: false,
    });
  });
