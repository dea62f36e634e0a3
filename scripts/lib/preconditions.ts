/**
 * What the deploy script checks before it sends a single transaction: each check prints one line as it runs,
 * and every failure says what is wrong and how to fix it. All failures are collected (not just the first), so
 * one run lists everything to fix.
 */
import { ZeroAddress, formatEther, formatUnits, getAddress } from "ethers";
import type { Provider } from "ethers";

import { AggregatorV3Interface__factory } from "../../typechain-types";
import type { SystemParameters, Variant } from "./parameters";

/**
 * Gas budget of a full-system deployment per variant: the system module's gas as `npm run deploy` measures and
 * prints it on a local chain (DAO 27,879,620 gas in 23 transactions, admin 18,919,361 in 17; the EntryPoints and
 * the local mock feed excluded) plus ~20%. The funding check asks for this much gas at the network's current max
 * fee; on rollups the L1 data fee comes on top (the margin and the paymasters' values dominate the total there).
 */
export const DEPLOYMENT_GAS_BUDGET: Readonly<Record<Variant, bigint>> = {
  dao: 33_500_000n,
  admin: 23_000_000n,
};

/** Where the feeds' addresses come from, quoted in the messages. */
const FEED_LIST_URL = "https://docs.chain.link/data-feeds/price-feeds/addresses";
const SEQUENCER_LIST_URL = "https://docs.chain.link/data-feeds/l2-sequencer-feeds";

/** One failed check: what is wrong, and how to fix it. */
export interface Failure {
  readonly check: string;
  readonly problem: string;
  readonly fix: string;
}

/** Thrown by {@link checkPreconditions} when any check failed; the message lists every failure. */
export class PreconditionError extends Error {
  constructor(readonly failures: readonly Failure[]) {
    super(
      `${failures.length} deployment precondition(s) failed:\n` +
        failures.map((f) => `  ✗ ${f.check}: ${f.problem}\n      fix: ${f.fix}`).join("\n"),
    );
    this.name = "PreconditionError";
  }
}

export interface PreconditionInput {
  readonly provider: Provider;
  readonly network: string;
  readonly variant: Variant;
  readonly params: SystemParameters;
  /** The parameter file, named in the fixes. */
  readonly parametersFile: string;
  /** The deployer (first account), or undefined when the network has no account configured. */
  readonly deployer: string | undefined;
  /** The message to show when there is no deployer account (how to configure the key). */
  readonly missingDeployerMessage: string;
  /** Progress output; one line per check. */
  readonly log?: (line: string) => void;
}

/** What the checks measured, for the summary printed before deploying. */
export interface PreconditionReport {
  readonly ethUsdAnswer: bigint;
  readonly ethUsdDecimals: number;
  readonly ethUsdAgeSec: number;
  readonly requiredWei: bigint;
  readonly deployerBalanceWei: bigint;
}

function isEmptyCode(code: string): boolean {
  return code === "0x" || code === "0x0" || code === "";
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}

/**
 * Runs every precondition of deploying `variant` with `params` and throws {@link PreconditionError} listing
 * all failures. Checks: deployer account and funds (two paymasters' stake + deposit, plus gas), roles not
 * pointing at the deployer, EntryPoint code, the ETH/USD feed (code, fresh in-bounds answer), the L2 sequencer
 * uptime feed (up, grace period over), and the admin/guardian/token holder addresses.
 */
export async function checkPreconditions(input: PreconditionInput): Promise<PreconditionReport> {
  const { provider, params, parametersFile: file } = input;
  const log = input.log ?? (() => undefined);
  const failures: Failure[] = [];
  const pass = (line: string) => log(`  ✓ ${line}`);
  const fail = (f: Failure) => {
    failures.push(f);
    log(`  ✗ ${f.check}: ${f.problem}`);
  };
  const warn = (line: string) => log(`  ! ${line}`);

  const block = await provider.getBlock("latest");
  if (block === null) throw new Error("the node returned no latest block");
  const now = BigInt(block.timestamp);

  // --- deployer and roles
  const deployer = input.deployer === undefined ? undefined : getAddress(input.deployer);
  if (deployer === undefined) {
    fail({
      check: "deployer",
      problem: "no deployer account is configured",
      fix: input.missingDeployerMessage,
    });
  } else {
    pass(`deployer ${deployer}`);
  }
  const notDeployer = (role: string, parameter: string, value: string | undefined) => {
    if (deployer !== undefined && value !== undefined && getAddress(value) === deployer) {
      fail({
        check: role,
        problem: `${parameter} is the deployer ${deployer}, but the deployer renounces every role at the end`,
        fix: `set ${parameter} in ${file} to another address (a Safe, a TimelockController, a separate key)`,
      });
    }
  };
  notDeployer("guardian", "guardian", params.guardian);
  if (input.variant === "admin") {
    notDeployer("admin", "AdminSystem.admin", params.admin);
    if (params.admin !== undefined) {
      const code = await provider.getCode(params.admin);
      if (isEmptyCode(code)) {
        warn(
          `admin ${params.admin} has no code: an EOA will administer the system (fine on a testnet; use a ` +
            `TimelockController or a Safe in production)`,
        );
      } else {
        pass(`admin ${params.admin} is a contract`);
      }
    }
  }

  // --- EntryPoints
  for (const [version, address, parameter] of [
    ["v0.7", params.entryPointV07, "entryPointV07"],
    ["v0.8", params.entryPointV08, "entryPointV08"],
  ] as const) {
    if (isEmptyCode(await provider.getCode(address))) {
      fail({
        check: `EntryPoint ${version}`,
        problem: `no code at ${address} on ${input.network}`,
        fix:
          `set ${parameter} in ${file} to the canonical EntryPoint ${version} address, or deploy the ` +
          `EntryPoint there first (the canonical one goes through the deterministic CREATE2 deployer)`,
      });
    } else {
      pass(`EntryPoint ${version} has code at ${address}`);
    }
  }

  // --- ETH/USD feed
  let ethUsdAnswer = 0n;
  let ethUsdDecimals = 0;
  let ethUsdAgeSec = 0;
  if (isEmptyCode(await provider.getCode(params.ethUsdFeed))) {
    fail({
      check: "ETH/USD feed",
      problem: `no contract at ${params.ethUsdFeed} on ${input.network}`,
      fix: `set PriceAdapter.ethUsdFeed in ${file} to the network's ETH / USD proxy from ${FEED_LIST_URL}`,
    });
  } else {
    const feed = AggregatorV3Interface__factory.connect(params.ethUsdFeed, provider);
    try {
      const [decimals, round] = await Promise.all([feed.decimals(), feed.latestRoundData()]);
      ethUsdDecimals = Number(decimals);
      ethUsdAnswer = round.answer;
      const updatedAt = round.updatedAt;
      ethUsdAgeSec = Number(now - updatedAt);
      const price = formatUnits(ethUsdAnswer, ethUsdDecimals);
      if (ethUsdAnswer <= 0n || updatedAt === 0n) {
        fail({
          check: "ETH/USD feed",
          problem: `invalid latest round (answer ${ethUsdAnswer}, updatedAt ${updatedAt})`,
          fix: `use a live ETH / USD feed from ${FEED_LIST_URL} (PriceAdapter.ethUsdFeed in ${file})`,
        });
      } else if (ethUsdAgeSec > params.heartbeat) {
        fail({
          check: "ETH/USD feed",
          problem: `latest answer is ${ethUsdAgeSec} s old, older than the heartbeat of ${params.heartbeat} s`,
          fix:
            `check that PriceAdapter.ethUsdFeed is the live proxy (${FEED_LIST_URL}) and that ` +
            `PriceAdapter.heartbeat in ${file} is at least the feed's published heartbeat`,
        });
      } else if (ethUsdAnswer < params.minAnswer || ethUsdAnswer > params.maxAnswer) {
        fail({
          check: "ETH/USD feed",
          problem: `answer ${price} is outside the bounds [${formatUnits(params.minAnswer, ethUsdDecimals)}, ${formatUnits(params.maxAnswer, ethUsdDecimals)}]`,
          fix: `adjust PriceAdapter.minAnswer / maxAnswer in ${file} (values in the feed's ${ethUsdDecimals} decimals)`,
        });
      } else {
        pass(
          `ETH/USD feed ${params.ethUsdFeed}: $${price}, updated ${ethUsdAgeSec} s ago (heartbeat ${params.heartbeat} s)`,
        );
      }
    } catch (error) {
      fail({
        check: "ETH/USD feed",
        problem: `latestRoundData() failed at ${params.ethUsdFeed}: ${errorText(error)}`,
        fix: `set PriceAdapter.ethUsdFeed in ${file} to an AggregatorV3Interface proxy from ${FEED_LIST_URL}`,
      });
    }
  }

  // --- L2 sequencer uptime feed
  if (params.sequencerUptimeFeed !== ZeroAddress) {
    const sequencer = AggregatorV3Interface__factory.connect(params.sequencerUptimeFeed, provider);
    try {
      const round = await sequencer.latestRoundData();
      const since = Number(now - round.startedAt);
      if (round.answer !== 0n) {
        fail({
          check: "sequencer uptime feed",
          problem: `the sequencer is reported DOWN (answer ${round.answer}) by ${params.sequencerUptimeFeed}`,
          fix: "wait until the L2 sequencer is back up and its grace period has passed, then run the deploy again",
        });
      } else if (round.startedAt === 0n || since <= params.sequencerGracePeriod) {
        fail({
          check: "sequencer uptime feed",
          problem: `the sequencer came back up ${since} s ago, within the grace period of ${params.sequencerGracePeriod} s`,
          fix: `wait ${Math.max(params.sequencerGracePeriod - since + 1, 1)} s and run the deploy again`,
        });
      } else {
        pass(
          `sequencer uptime feed ${params.sequencerUptimeFeed}: up for ${since} s (grace ${params.sequencerGracePeriod} s)`,
        );
      }
    } catch (error) {
      fail({
        check: "sequencer uptime feed",
        problem: `latestRoundData() failed at ${params.sequencerUptimeFeed}: ${errorText(error)}`,
        fix: `set PriceAdapter.sequencerUptimeFeed in ${file} to the network's feed from ${SEQUENCER_LIST_URL}`,
      });
    }
  }

  // --- funds: two paymasters (stake + deposit each) and the deployment's gas
  const fees = await provider.getFeeData();
  const feePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
  const gasBudget = DEPLOYMENT_GAS_BUDGET[input.variant];
  const requiredWei = 2n * params.paymasterValueWei + gasBudget * feePerGas;
  let deployerBalanceWei = 0n;
  if (deployer !== undefined) {
    deployerBalanceWei = await provider.getBalance(deployer);
    const need =
      `${formatEther(requiredWei)} ETH = 2 × paymasterValueWei ${formatEther(params.paymasterValueWei)} ` +
      `(stake ${formatEther(params.paymasterStakeWei)} + deposit, per paymaster) + ~${gasBudget} gas ` +
      `at ${formatUnits(feePerGas, "gwei")} gwei`;
    if (deployerBalanceWei < requiredWei) {
      fail({
        check: "deployer funds",
        problem: `deployer ${deployer} holds ${formatEther(deployerBalanceWei)} ETH; the deployment needs ${need}`,
        fix: `send at least ${formatEther(requiredWei - deployerBalanceWei)} ETH to ${deployer}, or lower paymasterValueWei in ${file}`,
      });
    } else {
      pass(`deployer holds ${formatEther(deployerBalanceWei)} ETH (needs ${need})`);
    }
  }

  if (failures.length > 0) throw new PreconditionError(failures);
  return { ethUsdAnswer, ethUsdDecimals, ethUsdAgeSec, requiredWei, deployerBalanceWei };
}
