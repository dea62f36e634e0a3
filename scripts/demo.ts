/**
 * `npm run demo` (embedded Hardhat network) or `npm run demo -- --network localhost` (a running
 * `npx hardhat node`): the whole story of Compute Credits, printed step by step.
 *
 *   1. deploy the full system, DAO variant, through its Ignition module (EntryPoints + mock $3,000 ETH/USD feed
 *      on the local chain first);
 *   2. the DAO votes a credit budget for a dApp: Governor proposal `ledger.grant(dApp, amount, expiresAt)`,
 *      vote, queue, execute by the TimelockController (an issuer with a cap);
 *   3. the dApp creates ONE policy (any user, 5 credits and 20 operations per day, only calls to the dApp's
 *      contract, approvals signed by the paymaster service, run in-process): no per-user transaction, ever
 *      (scripts/lib/demo-policy.ts);
 *   4. a user the chain has never seen, holding 0 ETH, sends its first UserOperation through EntryPoint v0.8
 *      `handleOps` (sent by a bundler EOA), which creates its SimpleAccount and calls the dApp's contract, sponsored
 *      under the policy by the dApp's credits; its second operation, calling a contract outside the policy, is
 *      refused by the service with the rule's message;
 *   5. a summary in words and USD (what the user and the dApp paid, why the charge exceeds the gas's value, who paid
 *      the bundler), also written to reports/demo-summary.json (or DEMO_SUMMARY_PATH) with base units.
 *
 * Environment: DEPLOYMENT_ID (Ignition deployment id on localhost, default "demo"), DEMO_SUMMARY_PATH.
 */
import hre from "hardhat";
import { Wallet, formatEther, formatUnits } from "ethers";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { chargedEvents, deploySimpleAccountFactory, entryPointAt, handleOps, runProposal } from "../src/aa";
import { preparePolicyDemo } from "./lib/demo-policy";
import { demoSummary, demoSummaryProblems } from "./lib/demo-summary";
import type { DemoMeasurements } from "./lib/demo-summary";
import { deploySystem } from "./lib/deploy-system";
import { LOCAL_NETWORKS } from "./lib/networks";
import { ParameterError } from "./lib/parameters";
import { PreconditionError } from "./lib/preconditions";
import { scriptFailureMessage } from "./lib/script-errors";
import { renewLocalFeedIfDue } from "../tasks/lib/localFeed";

/** Credits have 6 decimals: 1_000_000 = one USD. */
const CREDIT = 1_000_000n;
/** The budget the DAO grants the dApp, and how long it lasts. */
const DAPP_BUDGET = 1_000n * CREDIT;
const BUDGET_LIFETIME_SEC = 90n * 86_400n;
const started = Date.now();
function step(title: string): void {
  console.log(`\n[${((Date.now() - started) / 1000).toFixed(1)}s] ${title}`);
}
function detail(line: string): void {
  console.log(`    ${line}`);
}
function credits(amount: bigint): string {
  return `${formatUnits(amount, 6)} credits`;
}

/** A refusal of the demo itself (printed without a stack). */
class DemoError extends Error {}

async function main(): Promise<void> {
  if (!LOCAL_NETWORKS.includes(hre.network.name)) {
    throw new DemoError(
      `the demo runs on a local chain only (it mines blocks and moves time to pass the vote): use the ` +
        `embedded network or --network localhost, not ${hre.network.name}`,
    );
  }
  const [, voter, dapp, bundler] = await hre.ethers.getSigners();

  step("1. Deploy the full system (DAO variant) through its Ignition module");
  const system = await deploySystem(hre, {
    variant: "dao",
    deploymentId: process.env.DEPLOYMENT_ID ?? "demo",
    log: detail,
  });
  const governance = system.governance;
  if (governance === undefined) throw new Error("the DAO variant deployed no governance");
  for (const [key, address] of Object.entries(system.addresses)) detail(`${key.padEnd(30)} ${address}`);

  step("2. The DAO votes a credit budget for the dApp (Governor → Timelock → ledger.grant)");
  const { token, timelock, governor } = governance;
  await (await token.connect(voter).delegate(voter.address)).wait();
  detail(
    `voter ${voter.address} delegated its ${formatEther(await token.balanceOf(voter.address))} votes to itself`,
  );
  const now = BigInt((await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  const expiresAt = now + BUDGET_LIFETIME_SEC;
  const grantCall = {
    target: await system.ledger.getAddress(),
    data: system.ledger.interface.encodeFunctionData("grant", [dapp.address, DAPP_BUDGET, expiresAt]),
  };
  const description = `Grant ${credits(DAPP_BUDGET)} to dApp ${dapp.address} (demo ${Date.now()})`;
  const proposal = await runProposal(governor, timelock, voter, [voter], [grantCall], description);
  detail(`proposal ${proposal.proposalId.toString().slice(0, 12)}… proposed, voted For, queued, executed`);
  detail(`dApp ${dapp.address} now holds ${credits(await system.ledger.balanceOfCredits(dapp.address))}`);

  step("3. The dApp creates one policy: any user, 5 credits and 20 operations per day, only its contract");
  const entryPoint = entryPointAt("0.8", bundler);
  const factory = await deploySimpleAccountFactory("0.8", await entryPoint.getAddress(), bundler);
  const owner = Wallet.createRandom().connect(hre.ethers.provider);
  const paymaster = system.paymasterV08;
  const paymasterAddress = await paymaster.getAddress();
  const demoPolicy = await preparePolicyDemo(hre, {
    ledger: system.ledger,
    paymaster: paymasterAddress as `0x${string}`,
    entryPoint,
    factory,
    dapp,
    owner,
    log: detail,
  });
  const { account, op } = demoPolicy;
  // A node left running (and a resumed "demo" deployment) has a mock feed older than its heartbeat: renew it and the
  // cached price the paymaster charges at, as price:refresh does on a local chain.
  const renewed = await renewLocalFeedIfDue(
    hre,
    (await system.adapter.getAddress()) as `0x${string}`,
    dapp.address,
    detail,
  );
  if (renewed !== undefined) {
    await (await system.adapter.connect(dapp).refreshCachedPrice()).wait();
    detail("cached price refreshed from the renewed feed");
  }
  detail(`user key ${owner.address}, SimpleAccount ${account.address} (never seen by the chain, 0 ETH)`);

  step(
    "4. The user (0 ETH) sends its first UserOperation, sponsored under the policy, through EntryPoint v0.8",
  );
  const userEth = async () =>
    (await hre.ethers.provider.getBalance(account.address)) +
    (await hre.ethers.provider.getBalance(owner.address));
  const userEthBeforeWei = await userEth();
  const sponsorCreditsBefore = await system.ledger.balanceOfCredits(dapp.address);
  const depositBefore = await entryPoint.balanceOf(paymasterAddress);

  const result = await handleOps(entryPoint, [op], bundler.address, bundler);

  const userEthAfterWei = await userEth();
  const sponsorCreditsAfter = await system.ledger.balanceOfCredits(dapp.address);
  const depositAfter = await entryPoint.balanceOf(paymasterAddress);
  const [event] = result.userOperationEvents;
  const [charged] = chargedEvents(paymaster, result);
  if (event === undefined || charged === undefined || !event.success) {
    throw new Error(
      `the UserOperation did not succeed: ${JSON.stringify(result.userOperationRevertReasons)}`,
    );
  }
  detail(`bundle ${result.receipt.hash} by bundler ${bundler.address}`);
  detail(`SimpleAccount deployed: ${(await hre.ethers.provider.getCode(account.address)) !== "0x"}`);
  detail(`dApp charged ${credits(charged.creditsCharged)} for ${event.actualGasUsed} gas`);
  detail("per-user set-up transactions: 0 (no allowance, no registration: the policy serves any sender)");
  const refusal = await demoPolicy.refusedOutsidePolicy();
  detail(
    `second operation, calling the ledger (outside the policy): refused by the service (${refusal.code})`,
  );
  detail(`  "${refusal.message}"`);

  step("5. Summary");
  const measurements: DemoMeasurements = {
    network: system.network,
    chainId: system.chainId,
    userAccount: account.address,
    userOwner: owner.address,
    sponsor: dapp.address,
    bundler: bundler.address,
    userOpHash: event.userOpHash,
    userEthBeforeWei,
    userEthAfterWei,
    sponsorCreditsBefore,
    sponsorCreditsAfter,
    creditsCharged: charged.creditsCharged,
    chargeBasisWei: charged.gasCostWei,
    priceWad: charged.priceWad,
    markupBps: (await paymaster.config()).markupBps,
    gasUsed: event.actualGasUsed,
    actualGasCostWei: event.actualGasCost,
    depositBeforeWei: depositBefore,
    depositAfterWei: depositAfter,
    addresses: system.addresses,
  };
  const problems = demoSummaryProblems(measurements);
  if (problems.length > 0) throw new Error(`the demo's figures do not add up: ${problems.join("; ")}`);
  const summary = demoSummary(measurements);
  for (const line of summary.lines) detail(line);
  const file =
    process.env.DEMO_SUMMARY_PATH ?? path.join(hre.config.paths.root, "reports", "demo-summary.json");
  mkdirSync(path.dirname(file), { recursive: true });
  const json = { ...summary.json, ...demoPolicy.figures, refusedOutsidePolicy: refusal };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(
    `\nWrote ${file} (base units: wei, 1e-6 credits; USD in "usd") in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
}

main().catch((error: unknown) => {
  const failure =
    error instanceof DemoError || error instanceof ParameterError || error instanceof PreconditionError
      ? { message: error.message }
      : scriptFailureMessage(hre, error);
  console.error(failure === undefined ? error : `\n${failure.message}`);
  process.exitCode = 1;
});
