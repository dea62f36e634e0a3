/**
 * Ignition's progress for `npm run deploy`: its own display on a terminal, plain lines elsewhere (a CI or server
 * log, where the display's redraws became ~250 lines), and "Resuming existing deployment" only when the system's
 * module was started before: on a local chain the mock ETH/USD feed is deployed into the same Ignition deployment
 * just before the system, so Ignition alone would call every first local deploy a resumption.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { PrettyEventHandler } from "@nomicfoundation/hardhat-ignition/helpers";
import type {
  DeploymentStartEvent,
  ExecutionEventListener,
  ExecutionEventResult,
} from "@nomicfoundation/ignition-core";

/** The module whose futures do not count as the system's (deployed first on local chains). */
const LOCAL_FEED_MODULE = "LocalEthUsdFeed";

/**
 * Whether the Ignition journal of `deploymentDir` records futures of a module other than the local feed's: a
 * system deployment that was started before (and that Ignition will resume).
 */
export function systemDeploymentStarted(deploymentDir: string | undefined): boolean {
  if (deploymentDir === undefined) return false;
  const journal = path.join(deploymentDir, "journal.jsonl");
  if (!existsSync(journal)) return false;
  for (const match of readFileSync(journal, "utf8").matchAll(/"futureId":"([^"#]+)#/g)) {
    if (match[1] !== LOCAL_FEED_MODULE) return true;
  }
  return false;
}

/** Ignition's terminal display, saying "Resuming existing deployment" only when the system's module was started. */
export class SystemPrettyEventHandler extends PrettyEventHandler {
  constructor(private readonly resumed: boolean) {
    super();
  }

  override deploymentStart(event: DeploymentStartEvent): void {
    super.deploymentStart({ ...event, isResumed: event.isResumed && this.resumed });
  }
}

function outcome(result: ExecutionEventResult | undefined): string {
  if (result === undefined) return "done";
  switch (result.type) {
    case "SUCCESS":
      return "done";
    case "ERROR":
      return `FAILED: ${result.error}`;
    default:
      return "held";
  }
}

/**
 * Ignition's progress as plain lines, one per event worth reading: the start (new or resumed), the batches, each
 * future once completed, and the end. Every other event of the listener interface is ignored.
 */
export function plainProgressListener(log: (line: string) => void, resumed: boolean): ExecutionEventListener {
  let batch = 0;
  const handlers: Record<string, (event: never) => void> = {
    deploymentStart: (event: DeploymentStartEvent) =>
      log(
        `  ${resumed && event.isResumed ? "Resuming" : "Starting"} deployment of ${event.moduleName}` +
          (event.deploymentDir === undefined ? "" : ` (journal ${event.deploymentDir})`),
      ),
    batchInitialize: (event: { batches: string[][] }) =>
      log(`  ${event.batches.flat().length} futures in ${event.batches.length} batches`),
    beginNextBatch: () => {
      batch += 1;
      log(`  Batch #${batch}`);
    },
    deploymentComplete: () => log("  Ignition: deployment complete"),
  };
  const completion = (event: { futureId: string; result?: ExecutionEventResult }) =>
    log(`    ${event.futureId} ${outcome(event.result)}`);
  return new Proxy({} as ExecutionEventListener, {
    get: (_target, property) => {
      if (typeof property !== "string") return undefined;
      const handler = handlers[property];
      if (handler !== undefined) return handler;
      if (property.endsWith("ExecutionStateComplete")) return completion;
      return () => undefined;
    },
  });
}
