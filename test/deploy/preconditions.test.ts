/**
 * The deploy script's preconditions: each failure must say what is wrong and how to fix it, and nothing may be
 * sent when one fails. Runs on the in-process network with real EntryPoints and Chainlink MockV3Aggregators.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { Wallet, ZeroAddress, formatEther, parseEther } from "ethers";
import hre from "hardhat";

import { deployerKeyMessage } from "../../scripts/lib/networks";
import type { SystemParameters } from "../../scripts/lib/parameters";
import {
  DEPLOYMENT_GAS_BUDGET,
  PreconditionError,
  checkPreconditions,
} from "../../scripts/lib/preconditions";
import type { Failure, PreconditionInput } from "../../scripts/lib/preconditions";
import { ENTRY_POINT_ADDRESSES, deployEntryPoints } from "../helpers/entrypoint";

const FILE = "ignition/parameters/test.json";
const ETH_USD = 3_000n * 10n ** 8n;
const GRACE = 3_600;

async function deployInputs() {
  const [deployer, guardian, admin] = await hre.ethers.getSigners();
  await deployEntryPoints(deployer);
  const sequencer = await hre.ethers.deployContract("MockV3Aggregator", [0, 0]);
  await time.increase(GRACE + 60);
  const feed = await hre.ethers.deployContract("MockV3Aggregator", [8, ETH_USD]);
  const params: SystemParameters = {
    ethUsdFeed: await feed.getAddress(),
    heartbeat: 3_600,
    minAnswer: 100n * 10n ** 8n,
    maxAnswer: 100_000n * 10n ** 8n,
    sequencerUptimeFeed: await sequencer.getAddress(),
    sequencerGracePeriod: GRACE,
    entryPointV07: ENTRY_POINT_ADDRESSES["0.7"],
    entryPointV08: ENTRY_POINT_ADDRESSES["0.8"],
    paymasterStakeWei: parseEther("1"),
    paymasterValueWei: parseEther("2"),
    guardian: guardian.address,
    admin: admin.address,
  };
  const input: PreconditionInput = {
    provider: hre.ethers.provider,
    network: "sepolia",
    variant: "dao",
    params,
    parametersFile: FILE,
    deployer: deployer.address,
    missingDeployerMessage: deployerKeyMessage("sepolia"),
  };
  return { input, feed, sequencer, deployer, guardian, admin };
}

/** The failures `checkPreconditions` reports for `input` (fails the test if it passes). */
async function failuresOf(input: PreconditionInput): Promise<readonly Failure[]> {
  try {
    await checkPreconditions(input);
  } catch (error) {
    if (error instanceof PreconditionError) return error.failures;
    throw error;
  }
  return expect.fail("the preconditions passed");
}

async function latestTimestamp(): Promise<number> {
  return (await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
}

describe("Deployment preconditions", function () {
  describe("#checkPreconditions", function () {
    it("passes, logging one line per check, and reports the feed's answer and the funds needed", async function () {
      const { input } = await loadFixture(deployInputs);
      const lines: string[] = [];
      const report = await checkPreconditions({ ...input, log: (line) => lines.push(line) });
      expect(report.ethUsdAnswer).to.equal(ETH_USD);
      expect(report.ethUsdDecimals).to.equal(8);
      const fees = await hre.ethers.provider.getFeeData();
      expect(report.requiredWei).to.equal(
        parseEther("4") + DEPLOYMENT_GAS_BUDGET.dao * (fees.maxFeePerGas ?? 0n),
      );
      expect(lines).to.have.length(6);
      for (const line of lines) expect(line).to.match(/^ {2}✓ /);
    });

    it("reports an EntryPoint without code and the parameter to fix", async function () {
      const { input } = await loadFixture(deployInputs);
      const missing = Wallet.createRandom().address;
      const failures = await failuresOf({ ...input, params: { ...input.params, entryPointV08: missing } });
      expect(failures).to.deep.equal([
        {
          check: "EntryPoint v0.8",
          problem: `no code at ${missing} on sepolia`,
          fix:
            `set entryPointV08 in ${FILE} to the canonical EntryPoint v0.8 address, or deploy the EntryPoint there ` +
            `first (the canonical one goes through the deterministic CREATE2 deployer)`,
        },
      ]);
    });

    it("reports a feed address without code", async function () {
      const { input } = await loadFixture(deployInputs);
      const missing = Wallet.createRandom().address;
      const [failure] = await failuresOf({ ...input, params: { ...input.params, ethUsdFeed: missing } });
      expect(failure.check).to.equal("ETH/USD feed");
      expect(failure.problem).to.equal(`no contract at ${missing} on sepolia`);
      expect(failure.fix).to.contain("PriceAdapter.ethUsdFeed");
      expect(failure.fix).to.contain("https://docs.chain.link/data-feeds/price-feeds/addresses");
    });

    it("reports a contract that does not answer latestRoundData", async function () {
      const { input } = await loadFixture(deployInputs);
      const [failure] = await failuresOf({
        ...input,
        params: { ...input.params, ethUsdFeed: ENTRY_POINT_ADDRESSES["0.8"] },
      });
      expect(failure.check).to.equal("ETH/USD feed");
      expect(failure.problem).to.match(
        /^latestRoundData\(\) failed at 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108: /,
      );
    });

    it("reports an answer older than the heartbeat", async function () {
      const { input, feed } = await loadFixture(deployInputs);
      const stale = (await latestTimestamp()) - 7_200;
      await feed.updateRoundData(2, ETH_USD, stale, stale);
      const [failure] = await failuresOf(input);
      expect(failure.check).to.equal("ETH/USD feed");
      expect(failure.problem).to.match(
        /^latest answer is 720[0-9] s old, older than the heartbeat of 3600 s$/,
      );
      expect(failure.fix).to.contain(`PriceAdapter.heartbeat in ${FILE}`);
    });

    it("reports an answer outside the configured bounds", async function () {
      const { input, feed } = await loadFixture(deployInputs);
      await feed.updateAnswer(50n * 10n ** 8n);
      const [failure] = await failuresOf(input);
      expect(failure).to.deep.equal({
        check: "ETH/USD feed",
        problem: "answer 50.0 is outside the bounds [100.0, 100000.0]",
        fix: `adjust PriceAdapter.minAnswer / maxAnswer in ${FILE} (values in the feed's 8 decimals)`,
      });
    });

    it("reports a non-positive answer as an invalid round", async function () {
      const { input, feed } = await loadFixture(deployInputs);
      await feed.updateAnswer(0);
      const [failure] = await failuresOf(input);
      expect(failure.problem).to.match(/^invalid latest round \(answer 0, updatedAt \d+\)$/);
    });

    it("reports a sequencer that is down", async function () {
      const { input, sequencer } = await loadFixture(deployInputs);
      await sequencer.updateAnswer(1);
      const [failure] = await failuresOf(input);
      expect(failure.check).to.equal("sequencer uptime feed");
      expect(failure.problem).to.equal(
        `the sequencer is reported DOWN (answer 1) by ${input.params.sequencerUptimeFeed}`,
      );
      expect(failure.fix).to.contain("wait until the L2 sequencer is back up");
    });

    it("reports a sequencer still within its grace period, with the time to wait", async function () {
      const { input, sequencer } = await loadFixture(deployInputs);
      const now = await latestTimestamp();
      await sequencer.updateRoundData(2, 0, now, now);
      const [failure] = await failuresOf(input);
      expect(failure.problem).to.match(
        /^the sequencer came back up [0-9] s ago, within the grace period of 3600 s$/,
      );
      expect(failure.fix).to.match(/^wait 3[0-9]{3} s and run the deploy again$/);
    });

    it("skips the sequencer check without a sequencer feed", async function () {
      const { input, sequencer } = await loadFixture(deployInputs);
      await sequencer.updateAnswer(1);
      const report = await checkPreconditions({
        ...input,
        params: { ...input.params, sequencerUptimeFeed: ZeroAddress },
      });
      expect(report.ethUsdAnswer).to.equal(ETH_USD);
    });

    it("reports an underfunded deployer with the amount to send", async function () {
      const { input } = await loadFixture(deployInputs);
      const poor = Wallet.createRandom().address;
      const [failure] = await failuresOf({ ...input, deployer: poor });
      const fees = await hre.ethers.provider.getFeeData();
      const required = parseEther("4") + DEPLOYMENT_GAS_BUDGET.dao * (fees.maxFeePerGas ?? 0n);
      expect(failure.check).to.equal("deployer funds");
      expect(failure.problem).to.match(new RegExp(`^deployer ${poor} holds 0.0 ETH; the deployment needs `));
      expect(failure.fix).to.equal(
        `send at least ${formatEther(required)} ETH to ${poor}, or lower paymasterValueWei in ${FILE}`,
      );
    });

    it("explains how to set the deployer key when no account is configured", async function () {
      const { input } = await loadFixture(deployInputs);
      const [failure] = await failuresOf({ ...input, deployer: undefined });
      expect(failure.check).to.equal("deployer");
      expect(failure.problem).to.equal("no deployer account is configured");
      expect(failure.fix).to.contain("DEPLOYER_PRIVATE_KEY");
      expect(failure.fix).to.contain("npx hardhat vars set DEPLOYER_PRIVATE_KEY");
    });

    it("refuses a guardian that is the deployer", async function () {
      const { input, deployer } = await loadFixture(deployInputs);
      const [failure] = await failuresOf({
        ...input,
        params: { ...input.params, guardian: deployer.address },
      });
      expect(failure.check).to.equal("guardian");
      expect(failure.problem).to.equal(
        `guardian is the deployer ${deployer.address}, but the deployer renounces every role at the end`,
      );
    });

    it("refuses an admin that is the deployer in the admin variant", async function () {
      const { input, deployer } = await loadFixture(deployInputs);
      const [failure] = await failuresOf({
        ...input,
        variant: "admin",
        params: { ...input.params, admin: deployer.address },
      });
      expect(failure.check).to.equal("admin");
      expect(failure.fix).to.contain(`set AdminSystem.admin in ${FILE}`);
    });

    it("warns, without failing, about an admin without code", async function () {
      const { input } = await loadFixture(deployInputs);
      const lines: string[] = [];
      await checkPreconditions({ ...input, variant: "admin", log: (line) => lines.push(line) });
      expect(lines.filter((line) => line.startsWith("  ! admin"))).to.have.length(1);
    });

    it("lists every failure at once in the error message", async function () {
      const { input, feed } = await loadFixture(deployInputs);
      await feed.updateAnswer(50n * 10n ** 8n);
      const missing = Wallet.createRandom().address;
      const promise = checkPreconditions({ ...input, params: { ...input.params, entryPointV07: missing } });
      await expect(promise).to.be.rejectedWith(PreconditionError, /^2 deployment precondition\(s\) failed:/);
      const failures = await failuresOf({ ...input, params: { ...input.params, entryPointV07: missing } });
      expect(failures.map((f) => f.check)).to.deep.equal(["EntryPoint v0.7", "ETH/USD feed"]);
    });
  });
});
