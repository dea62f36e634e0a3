/**
 * `npm run demo` (embedded Hardhat network) or `npm run demo -- --network localhost` (a running
 * `npx hardhat node`): the whole story of Compute Credits, printed step by step.
 *
 *   1. deploy the full system, DAO variant, through its Ignition module (EntryPoints + mock $3,000 ETH/USD feed
 *      on the local chain first);
 *   2. the DAO votes a credit budget for a dApp: Governor proposal `ledger.grant(dApp, amount, expiresAt)`,
 *      vote, queue, execute by the TimelockController (an issuer with a cap);
 *   3. the dApp sets an allowance for a user's (counterfactual) SimpleAccount;
 *   4. the user, holding 0 ETH, sends a UserOperation through EntryPoint v0.8 `handleOps` (sent by a bundler EOA)
 *      that creates the SimpleAccount and opens the user's credit account, sponsored by the dApp's credits;
 *   5. a summary in words and USD (what the user and the dApp paid, why the charge exceeds the gas's value, who paid
 *      the bundler), also written to reports/demo-summary.json (or DEMO_SUMMARY_PATH) with base units.
 *
 * Environment: DEPLOYMENT_ID (Ignition deployment id on localhost, default "demo"), DEMO_SUMMARY_PATH.
 */
import hre from "hardhat";
import { Wallet, formatEther, formatUnits } from "ethers";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import {
  buildUserOp,
  chargedEvents,
  counterfactualAccount,
  deploySimpleAccountFactory,
  encodeExecute,
  entryPointAt,
  handleOps,
  packPaymasterAndData,
  runProposal,
  signUserOp,
  sponsoredPaymasterData,
} from "../src/aa";
import { demoSummary, demoSummaryProblems } from "./lib/demo-summary";
import type { DemoMeasurements } from "./lib/demo-summary";
import { deploySystem } from "./lib/deploy-system";
import { LOCAL_NETWORKS } from "./lib/networks";

/** Credits have 6 decimals: 1_000_000 = one USD. */
const CREDIT = 1_000_000n;
/** The budget the DAO grants the dApp, and how long it lasts. */
const DAPP_BUDGET = 1_000n * CREDIT;
const BUDGET_LIFETIME_SEC = 90n * 86_400n;
/** The dApp's allowance for the user: 50 credits per day, never expiring (uint32 max). */
const USER_ALLOWANCE_PER_DAY = 50n * CREDIT;
const NEVER = 2n ** 32n - 1n;
/** Gas limits of the user's first operation (account creation + credit account opening). */
const OP_GAS = {
  verificationGasLimit: 500_000n,
  callGasLimit: 300_000n,
  preVerificationGas: 60_000n,
  paymasterVerificationGasLimit: 150_000n,
  paymasterPostOpGasLimit: 80_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
};

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

async function main(): Promise<void> {
  if (!LOCAL_NETWORKS.includes(hre.network.name)) {
    throw new Error(
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

  step("3. The dApp sets an allowance for a new user's SimpleAccount");
  const entryPoint = entryPointAt("0.8", bundler);
  const factory = await deploySimpleAccountFactory("0.8", await entryPoint.getAddress(), bundler);
  const owner = Wallet.createRandom().connect(hre.ethers.provider);
  const account = await counterfactualAccount(factory, owner.address);
  await (
    await system.ledger.connect(dapp).setAllowance(account.address, USER_ALLOWANCE_PER_DAY, 86_400, NEVER)
  ).wait();
  detail(`user key ${owner.address}, SimpleAccount ${account.address} (not deployed yet)`);
  detail(`allowance ${credits(USER_ALLOWANCE_PER_DAY)} per day, never expiring`);

  step("4. The user (0 ETH) sends a sponsored UserOperation through EntryPoint v0.8 handleOps");
  const paymaster = system.paymasterV08;
  const paymasterAddress = await paymaster.getAddress();
  const ledgerAddress = await system.ledger.getAddress();
  const baseFee = (await hre.ethers.provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
  const maxFeePerGas = 2n * baseFee + OP_GAS.maxPriorityFeePerGas;
  const unsigned = buildUserOp({
    sender: account.address,
    nonce: 0n,
    initCode: account.initCode,
    callData: encodeExecute(ledgerAddress, 0n, system.ledger.interface.encodeFunctionData("openAccount")),
    verificationGasLimit: OP_GAS.verificationGasLimit,
    callGasLimit: OP_GAS.callGasLimit,
    preVerificationGas: OP_GAS.preVerificationGas,
    maxFeePerGas,
    maxPriorityFeePerGas: OP_GAS.maxPriorityFeePerGas,
    paymasterAndData: packPaymasterAndData(
      paymasterAddress,
      OP_GAS.paymasterVerificationGasLimit,
      OP_GAS.paymasterPostOpGasLimit,
      sponsoredPaymasterData(dapp.address),
    ),
  });
  const op = await signUserOp(unsigned, owner, entryPoint, "0.8");

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
  detail(`user's credit account opened: ${(await system.ledger.balanceOf(account.address)) === 1n}`);
  detail(`dApp charged ${credits(charged.creditsCharged)} for ${event.actualGasUsed} gas`);

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
  writeFileSync(file, `${JSON.stringify(summary.json, null, 2)}\n`);
  console.log(
    `\nWrote ${file} (base units: wei, 1e-6 credits; USD in "usd") in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
