import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { FIRST_COMPILE_NOTICE, firstCompileNotice } from "../../scripts/lib/first-compile";
import {
  SystemPrettyEventHandler,
  plainProgressListener,
  systemDeploymentStarted,
} from "../../scripts/lib/ignition-progress";
import { tempDir } from "../helpers/tasks";

/** A journal line as Ignition writes them (one JSON message per line). */
const line = (futureId: string) =>
  JSON.stringify({ type: "DEPLOYMENT_EXECUTION_STATE_INITIALIZE", futureId });

function journal(lines: string[]): string {
  const dir = tempDir("journal");
  writeFileSync(path.join(dir, "journal.jsonl"), `${lines.join("\n")}\n`);
  return dir;
}

const start = (isResumed: boolean) =>
  ({
    type: "DEPLOYMENT_START",
    moduleName: "DaoSystem",
    deploymentDir: "ignition/deployments/chain-31337",
    isResumed,
    maxFeeBumps: 4,
    disableFeeBumping: false,
  }) as never;

describe("Deploy progress and the first compile (issue 17, item 8)", function () {
  describe("a first local deploy is not a resumption", function () {
    it("counts only the system's futures, not the local feed recorded just before", function () {
      expect(systemDeploymentStarted(undefined)).to.equal(false);
      expect(systemDeploymentStarted(tempDir("empty"))).to.equal(false);
      expect(systemDeploymentStarted(journal([line("LocalEthUsdFeed#EthUsdFeed")]))).to.equal(false);
      expect(
        systemDeploymentStarted(
          journal([line("LocalEthUsdFeed#EthUsdFeed"), line("Governance#CreditsVotesToken")]),
        ),
      ).to.equal(true);
    });

    it("Ignition's display says 'Resuming' only when the system was started before", function () {
      // The display writes its starting message to stdout: keep it out of the test report.
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (() => true) as typeof process.stdout.write;
      try {
        const fresh = new SystemPrettyEventHandler(false);
        fresh.deploymentStart(start(true));
        expect(fresh.state.isResumed).to.equal(false);
        const resumed = new SystemPrettyEventHandler(true);
        resumed.deploymentStart(start(true));
        expect(resumed.state.isResumed).to.equal(true);
      } finally {
        process.stdout.write = write;
      }
    });
  });

  it("prints Ignition's progress as plain lines (one per batch and per completed future)", function () {
    const lines: string[] = [];
    const listener = plainProgressListener((l) => lines.push(l), false);
    listener.deploymentStart(start(true));
    listener.batchInitialize({ type: "BATCH_INITIALIZE", batches: [["A#a", "A#b"], ["A#c"]] } as never);
    listener.runStart({ type: "RUN_START" } as never);
    listener.beginNextBatch({ type: "BEGIN_NEXT_BATCH" } as never);
    listener.deploymentExecutionStateComplete({
      type: "DEPLOYMENT_EXECUTION_STATE_COMPLETE",
      futureId: "A#a",
      result: { type: "SUCCESS", result: { address: "0x1" } },
    } as never);
    listener.callExecutionStateComplete({
      type: "CALL_EXECUTION_STATE_COMPLETE",
      futureId: "A#b",
      result: { type: "ERROR", error: "reverted" },
    } as never);
    listener.deploymentComplete({ type: "DEPLOYMENT_COMPLETE" } as never);
    expect(lines).to.deep.equal([
      "  Starting deployment of DaoSystem (journal ignition/deployments/chain-31337)",
      "  3 futures in 2 batches",
      "  Batch #1",
      "    A#a done",
      "    A#b FAILED: reverted",
      "  Ignition: deployment complete",
    ]);
    const resumedLines: string[] = [];
    plainProgressListener((l) => resumedLines.push(l), true).deploymentStart(start(true));
    expect(resumedLines[0]).to.match(/^ {2}Resuming deployment of DaoSystem/);
  });

  it("announces the first compilation of a checkout, and only that one", function () {
    const root = tempDir("checkout");
    const paths = { cache: path.join(root, "cache"), artifacts: path.join(root, "artifacts") };
    expect(firstCompileNotice(paths)).to.equal(FIRST_COMPILE_NOTICE);
    expect(FIRST_COMPILE_NOTICE).to.match(/about 2 minutes/);
    mkdirSync(paths.cache, { recursive: true });
    writeFileSync(path.join(paths.cache, "solidity-files-cache.json"), "{}");
    expect(firstCompileNotice(paths)).to.equal(FIRST_COMPILE_NOTICE);
    const ledger = path.join(paths.artifacts, "contracts", "credit", "CreditLedger.sol");
    mkdirSync(ledger, { recursive: true });
    writeFileSync(path.join(ledger, "CreditLedger.json"), "{}");
    expect(firstCompileNotice(paths)).to.equal(undefined);
  });
});
