import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { encodeFunctionData, formatUnits, parseAbi, zeroAddress } from "viem";
import type { Address } from "viem";
import { entryPoint07Abi } from "viem/account-abstraction";
import { readContract } from "viem/actions";

import { creditLedgerAbi, creditPaymasterAbi } from "../src/client/abi";
import { depositCoverage, formatCoverage, outstandingCredits } from "../src/client/deposits";
import type { DepositCoverage } from "../src/client/deposits";
import { depositToPaymaster, readPaymasterConfig, withdrawFromPaymaster } from "../src/client/paymasterAdmin";
import {
  formatCreditAmount,
  formatDuration,
  formatEth,
  formatTime,
  priceValidity,
  toJson,
} from "../src/client/format";
import { FORMS, parseAddress, parseEth } from "./lib/args";
import { buildProposalFile, buildSafeBatchFile } from "./lib/budget";
import type { BudgetAction } from "./lib/budget";
import {
  chainId,
  chainTime,
  print,
  printTable,
  requireFunds,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import { paymasterAddress, readCachedPriceAt } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import { resolveAddress } from "./lib/deployment";
import { taskError } from "./lib/errors";
import { withAddressFlags, withFrom } from "./lib/flags";

// ----------------------------------------------------------------------------------------- paymaster:status

export interface StatusArgs extends DeploymentFlags {
  json: boolean;
}

/** The paymaster's governance configuration; gas values in gas, fees in wei, credits in base units. */
export interface ConfigReport {
  maxCallGasLimit: string;
  maxPreVerificationGas: string;
  maxVerificationGasLimit: string;
  maxPaymasterVerificationGasLimit: string;
  maxPaymasterPostOpGasLimit: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  postOpGasMargin: string;
  maxCreditsPerOp: string;
  markupBps: string;
  maxPriceAge: string;
}

/** The result (and `--json` output) of `paymaster:status`. Wei, credits and seconds as decimal strings. */
export interface StatusReport {
  chainId: string;
  paymaster: string;
  owner: string;
  pendingOwner: string;
  entryPoint: string;
  entryPointVersion: "0.7" | "0.8";
  ledger: string;
  adapter: string;
  paused: boolean;
  depositWei: string;
  stake: { staked: boolean; amountWei: string; unstakeDelaySec: string; withdrawTime: string };
  price: {
    /** null when the cache was never refreshed. */
    priceWad: string | null;
    updatedAt: string | null;
    ageSec: string | null;
    maxPriceAge: string;
    /** Whether operations validated now get a `validUntil` in the future. */
    fresh: boolean;
  };
  config: ConfigReport;
  ledgerSpender: boolean;
  ledgerPaused: boolean;
  /**
   * The deposit against what could be spent through this paymaster: the ledger's outstanding credits and the wei
   * of gas they pay for at the cached price and markup (null when the price was never cached).
   */
  coverage: CoverageReport | null;
  /** The ledger's other spenders that are credit paymasters, with their deposits. */
  otherPaymasters: {
    paymaster: string;
    entryPointVersion: "0.7" | "0.8";
    depositWei: string;
    coverageBps: string | null;
  }[];
  warnings: string[];
}

/** {@link DepositCoverage} as decimal strings. */
export interface CoverageReport {
  depositCredits: string;
  outstandingCredits: string;
  spendableWei: string;
  coverageBps: string | null;
  maxOpWei: string;
}

function coverageReport(c: DepositCoverage): CoverageReport {
  return {
    depositCredits: c.depositCredits.toString(),
    outstandingCredits: c.outstandingCredits.toString(),
    spendableWei: c.spendableWei.toString(),
    coverageBps: c.coverageBps?.toString() ?? null,
    maxOpWei: c.maxOpWei.toString(),
  };
}

const SPENDERS_ABI = parseAbi(["function spenders() view returns (address[])"]);

/** The ledger's spenders other than `self` that answer like credit paymasters, with their EntryPoint deposits. */
async function otherPaymasters(
  hre: HardhatRuntimeEnvironment,
  ledger: Address,
  self: Address,
): Promise<{ paymaster: Address; version: "0.7" | "0.8"; deposit: bigint }[]> {
  const client = viemPublicClient(hre);
  const spenders = await readContract(client, {
    address: ledger,
    abi: SPENDERS_ABI,
    functionName: "spenders",
  });
  const found: { paymaster: Address; version: "0.7" | "0.8"; deposit: bigint }[] = [];
  for (const spender of spenders) {
    if (spender.toLowerCase() === self.toLowerCase()) continue;
    try {
      const pm = { address: spender, abi: creditPaymasterAbi } as const;
      const [version, deposit] = await Promise.all([
        readContract(client, { ...pm, functionName: "entryPointVersion" }),
        readContract(client, { ...pm, functionName: "getDeposit" }),
      ]);
      found.push({ paymaster: spender, version: BigInt(version) === 7n ? "0.7" : "0.8", deposit });
    } catch {
      // A spender that is not a credit paymaster (another holder of the ledger's credits).
    }
  }
  return found;
}

export async function paymasterStatus(
  hre: HardhatRuntimeEnvironment,
  args: StatusArgs,
  log: Log = print,
): Promise<StatusReport> {
  const { address } = await paymasterAddress(hre, args);
  const client = viemPublicClient(hre);
  const pm = { address, abi: creditPaymasterAbi } as const;
  const [owner, pendingOwner, entryPointAddress, version, ledgerAddress, adapterAddress, cfg] =
    await Promise.all([
      readContract(client, { ...pm, functionName: "owner" }),
      readContract(client, { ...pm, functionName: "pendingOwner" }),
      readContract(client, { ...pm, functionName: "entryPoint" }),
      readContract(client, { ...pm, functionName: "entryPointVersion" }),
      readContract(client, { ...pm, functionName: "ledger" }),
      readContract(client, { ...pm, functionName: "priceAdapter" }),
      readPaymasterConfig(client, address),
    ]);
  const ledger = { address: ledgerAddress, abi: creditLedgerAbi } as const;
  // getDepositInfo is the same on EntryPoint v0.7 and v0.8.
  const [deposited, ledgerSpender, ledgerPaused, now] = await Promise.all([
    readContract(client, {
      address: entryPointAddress,
      abi: entryPoint07Abi,
      functionName: "getDepositInfo",
      args: [address],
    }),
    readContract(client, { ...ledger, functionName: "isSpender", args: [address] }),
    readContract(client, { ...ledger, functionName: "paused" }),
    chainTime(hre),
  ]);
  const info = {
    deposit: deposited.deposit,
    staked: deposited.staked,
    stake: BigInt(deposited.stake),
    unstakeDelaySec: BigInt(deposited.unstakeDelaySec),
    withdrawTime: BigInt(deposited.withdrawTime),
  };

  const cached = await readCachedPriceAt(hre, adapterAddress);
  const priceWad = cached?.priceWad;
  const updatedAt = cached?.updatedAt;
  const validity = updatedAt === undefined ? undefined : priceValidity(updatedAt, cfg.maxPriceAge, now);
  const age = validity?.age;
  const fresh = validity !== undefined && !validity.stale;

  const outstanding = await outstandingCredits(client, ledgerAddress);
  const coverageOf = (depositWei: bigint): DepositCoverage | undefined =>
    priceWad === undefined
      ? undefined
      : depositCoverage({
          depositWei,
          outstandingCredits: outstanding,
          priceWad,
          markupBps: cfg.markupBps,
          maxCreditsPerOp: cfg.maxCreditsPerOp,
        });
  const coverage = coverageOf(info.deposit);
  const others = await otherPaymasters(hre, ledgerAddress, address);

  const warnings: string[] = [];
  if (cfg.paused) warnings.push("the paymaster is paused: it refuses every new operation");
  if (updatedAt === undefined) {
    warnings.push(
      "the price cache was never refreshed: every operation is refused; run `npx hardhat price:refresh`",
    );
  } else if (!fresh) {
    warnings.push(
      `the cached price is ${formatDuration(age as bigint)} old, more than maxPriceAge ` +
        `(${formatDuration(cfg.maxPriceAge)}): operations get a validUntil in the past and are refused; run ` +
        "`npx hardhat price:refresh`",
    );
  }
  if (info.deposit === 0n) {
    warnings.push("the EntryPoint deposit is empty: add funds with paymaster:deposit");
  } else if (coverage !== undefined && info.deposit < coverage.maxOpWei) {
    warnings.push(
      `the EntryPoint deposit (${formatEth(info.deposit)} ETH) is below one operation at maxCreditsPerOp ` +
        `(${formatEth(coverage.maxOpWei)} ETH): add funds with paymaster:deposit, or move deposit from another ` +
        "paymaster with paymaster:move-deposit",
    );
  }
  if (!info.staked) {
    // Also after unlockStake(): the EntryPoint clears `staked` at once and sets `withdrawTime`.
    warnings.push(
      "not staked on the EntryPoint: bundlers refuse a paymaster that reads other contracts' storage unless it " +
        "is staked (ERC-7562)",
    );
  }
  if (!ledgerSpender) {
    warnings.push(
      `not a spender of CreditLedger ${ledgerAddress}: every hold reverts; its admin must call addSpender(${address})`,
    );
  }
  if (ledgerPaused) warnings.push(`CreditLedger ${ledgerAddress} is paused: no new holds`);

  const report: StatusReport = {
    chainId: (await chainId(hre)).toString(),
    paymaster: address,
    owner,
    pendingOwner,
    entryPoint: entryPointAddress,
    entryPointVersion: BigInt(version) === 7n ? "0.7" : "0.8",
    ledger: ledgerAddress,
    adapter: adapterAddress,
    paused: cfg.paused,
    depositWei: info.deposit.toString(),
    stake: {
      staked: info.staked,
      amountWei: info.stake.toString(),
      unstakeDelaySec: info.unstakeDelaySec.toString(),
      withdrawTime: info.withdrawTime.toString(),
    },
    price: {
      priceWad: priceWad?.toString() ?? null,
      updatedAt: updatedAt?.toString() ?? null,
      ageSec: age?.toString() ?? null,
      maxPriceAge: cfg.maxPriceAge.toString(),
      fresh,
    },
    config: {
      maxCallGasLimit: cfg.maxCallGasLimit.toString(),
      maxPreVerificationGas: cfg.maxPreVerificationGas.toString(),
      maxVerificationGasLimit: cfg.maxVerificationGasLimit.toString(),
      maxPaymasterVerificationGasLimit: cfg.maxPaymasterVerificationGasLimit.toString(),
      maxPaymasterPostOpGasLimit: cfg.maxPaymasterPostOpGasLimit.toString(),
      maxFeePerGas: cfg.maxFeePerGas.toString(),
      maxPriorityFeePerGas: cfg.maxPriorityFeePerGas.toString(),
      postOpGasMargin: cfg.postOpGasMargin.toString(),
      maxCreditsPerOp: cfg.maxCreditsPerOp.toString(),
      markupBps: cfg.markupBps.toString(),
      maxPriceAge: cfg.maxPriceAge.toString(),
    },
    ledgerSpender,
    ledgerPaused,
    coverage: coverage === undefined ? null : coverageReport(coverage),
    otherPaymasters: others.map((o) => ({
      paymaster: o.paymaster,
      entryPointVersion: o.version,
      depositWei: o.deposit.toString(),
      coverageBps: coverageOf(o.deposit)?.coverageBps?.toString() ?? null,
    })),
    warnings,
  };
  if (args.json) {
    log(toJson(report, 2));
    return report;
  }

  const price =
    priceWad === undefined || updatedAt === undefined
      ? "never refreshed"
      : `${formatUnits(priceWad, 18)} per native token, stored ${formatTime(updatedAt)} ` +
        `(${formatDuration(age as bigint)} ago; maxPriceAge ${formatDuration(cfg.maxPriceAge)}): ` +
        `${fresh ? "fresh" : "STALE"}`;
  const stake = info.staked
    ? `${formatEth(info.stake)} ETH staked, unstake delay ${formatDuration(info.unstakeDelaySec)}`
    : `${formatEth(info.stake)} ETH, not staked` +
      (info.withdrawTime !== 0n ? ` (withdrawable from ${formatTime(info.withdrawTime)})` : "");
  printTable(log, `CreditPaymaster ${address} on chain ${report.chainId}`, [
    ["owner", owner + (pendingOwner !== zeroAddress ? ` (pending owner ${pendingOwner})` : "")],
    ["EntryPoint", `v${report.entryPointVersion} ${entryPointAddress}`],
    ["paused", cfg.paused ? "yes" : "no"],
    ["deposit", `${formatEth(info.deposit)} ETH`],
    ["stake", stake],
    ["cached price", price],
    [
      "ledger",
      `${ledgerAddress} (spender: ${ledgerSpender ? "yes" : "no"}, paused: ${ledgerPaused ? "yes" : "no"})`,
    ],
    ["price adapter", adapterAddress],
    ["maxCallGasLimit", cfg.maxCallGasLimit.toString()],
    ["maxVerificationGasLimit", cfg.maxVerificationGasLimit.toString()],
    ["maxPreVerificationGas", cfg.maxPreVerificationGas.toString()],
    ["maxPaymasterVerificationGasLimit", cfg.maxPaymasterVerificationGasLimit.toString()],
    ["maxPaymasterPostOpGasLimit", cfg.maxPaymasterPostOpGasLimit.toString()],
    ["maxFeePerGas", `${formatUnits(cfg.maxFeePerGas, 9)} gwei`],
    ["maxPriorityFeePerGas", `${formatUnits(cfg.maxPriorityFeePerGas, 9)} gwei`],
    ["postOpGasMargin", cfg.postOpGasMargin.toString()],
    ["maxCreditsPerOp", `${formatCreditAmount(cfg.maxCreditsPerOp)} credits`],
    ["markupBps", `${cfg.markupBps} (${formatUnits(cfg.markupBps, 4)}× the price)`],
    ["maxPriceAge", formatDuration(cfg.maxPriceAge)],
    [
      "deposit coverage",
      coverage === undefined
        ? "unknown (no cached price)"
        : `pays for ${formatCreditAmount(coverage.depositCredits)} credits of gas at the cached price and markup; ` +
          (coverage.coverageBps === null
            ? "no credits outstanding"
            : `${formatCoverage(coverage.coverageBps)} of the ${formatEth(coverage.spendableWei)} ETH the ledger's ` +
              `${formatCreditAmount(outstanding)} outstanding credits could draw through this paymaster`),
    ],
    [
      "other paymasters",
      others.length === 0
        ? "none"
        : others
            .map((o) => {
              const c = coverageOf(o.deposit);
              return (
                `${o.paymaster} (v${o.version}): ${formatEth(o.deposit)} ETH` +
                (c === undefined ? "" : ` (${formatCoverage(c.coverageBps)})`)
              );
            })
            .join("; "),
    ],
  ]);
  for (const warning of warnings) log(`WARNING: ${warning}`);
  return report;
}

withAddressFlags(
  task(
    "paymaster:status",
    "Shows the paymaster's deposit, stake, price cache age, caps, pause state and EntryPoint version",
  ).addFlag("json", "Print JSON (wei, credits in base units, seconds)"),
  ["paymaster"],
).setAction((args: StatusArgs, hre) => paymasterStatus(hre, args));

// ---------------------------------------------------------------------------------------- paymaster:deposit

export interface DepositArgs extends DeploymentFlags {
  amount: string;
  from?: string;
}

/** The result of `paymaster:deposit` and `paymaster:withdraw`. */
export interface DepositResult {
  paymaster: string;
  entryPoint: string;
  amountWei: bigint;
  depositWei: bigint;
  txHash: string;
  blockNumber: number;
}

export async function paymasterDeposit(
  hre: HardhatRuntimeEnvironment,
  args: DepositArgs,
  log: Log = print,
): Promise<DepositResult> {
  const amount = parseEth("amount", args.amount);
  const signer = await resolveAccount(hre, args.from);
  const { address } = await paymasterAddress(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const pm = { address, abi: creditPaymasterAbi } as const;
  const entryPointAddress = await readContract(publicClient, { ...pm, functionName: "entryPoint" });
  await requireFunds(hre, signer, amount, "to deposit", formatEth);
  const receipt = await sendClientTx(
    hre,
    log,
    `Depositing ${formatEth(amount)} ETH for paymaster ${address}`,
    publicClient,
    () => depositToPaymaster(wallet, { paymaster: address, value: amount }),
  );
  const deposit = await readContract(publicClient, { ...pm, functionName: "getDeposit" });
  log(
    `Deposited ${formatEth(amount)} ETH on EntryPoint ${entryPointAddress} for paymaster ${address}; deposit now ` +
      `${formatEth(deposit)} ETH.`,
  );
  return {
    paymaster: address,
    entryPoint: entryPointAddress,
    amountWei: amount,
    depositWei: deposit,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

withFrom(
  withAddressFlags(
    task("paymaster:deposit", "Adds ETH to the paymaster's EntryPoint deposit (anyone may)").addParam(
      "amount",
      `ETH to deposit: ${FORMS.eth}`,
    ),
    ["paymaster"],
  ),
).setAction((args: DepositArgs, hre) => paymasterDeposit(hre, args));

// --------------------------------------------------------------------------------------- paymaster:withdraw

export interface WithdrawArgs extends DeploymentFlags {
  to: string;
  amount: string;
  from?: string;
}

export async function paymasterWithdraw(
  hre: HardhatRuntimeEnvironment,
  args: WithdrawArgs,
  log: Log = print,
): Promise<DepositResult> {
  const to = parseAddress("to", args.to);
  const all = args.amount.trim().toLowerCase() === "all";
  const requested = all ? undefined : parseEth("amount", args.amount);
  const signer = await resolveAccount(hre, args.from);
  const { address } = await paymasterAddress(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const pm = { address, abi: creditPaymasterAbi } as const;
  const [owner, deposit, entryPointAddress] = await Promise.all([
    readContract(publicClient, { ...pm, functionName: "owner" }),
    readContract(publicClient, { ...pm, functionName: "getDeposit" }),
    readContract(publicClient, { ...pm, functionName: "entryPoint" }),
  ]);
  if (owner !== signer.address) {
    throw taskError(
      `${signer.address} is not the owner of paymaster ${address}; its owner ${owner} (the DAO timelock in ` +
        `production) must call withdrawTo(${to}, <wei>): run --from the owner, or have governance execute it`,
    );
  }
  const amount = requested ?? deposit;
  if (amount === 0n) throw taskError(`Paymaster ${address} has no deposit to withdraw`);
  if (amount > deposit) {
    throw taskError(
      `Paymaster ${address} has ${formatEth(deposit)} ETH deposited, less than the ${formatEth(amount)} ETH requested`,
    );
  }
  const receipt = await sendClientTx(
    hre,
    log,
    `Withdrawing ${formatEth(amount)} ETH to ${to}`,
    publicClient,
    () => withdrawFromPaymaster(wallet, { paymaster: address, to: to as Address, amount }),
  );
  const after = await readContract(publicClient, { ...pm, functionName: "getDeposit" });
  log(
    `Withdrew ${formatEth(amount)} ETH from paymaster ${address} to ${to}; deposit now ${formatEth(after)} ETH.`,
  );
  return {
    paymaster: address,
    entryPoint: entryPointAddress,
    amountWei: amount,
    depositWei: after,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

withFrom(
  withAddressFlags(
    task("paymaster:withdraw", "Withdraws ETH from the paymaster's EntryPoint deposit (owner only)")
      .addParam("to", "Recipient of the ETH")
      .addParam("amount", `ETH to withdraw, or "all": ${FORMS.eth}`),
    ["paymaster"],
  ),
).setAction((args: WithdrawArgs, hre) => paymasterWithdraw(hre, args));

// ---------------------------------------------------------------------------------- paymaster:move-deposit

export interface MoveDepositArgs extends DeploymentFlags {
  /** The receiving paymaster: "0.7" / "0.8" (the deployment's) or an address. */
  to: string;
  amount: string;
  from?: string;
  /** Where a timelock-owned move writes proposal.json and safe-batch.json. */
  out?: string;
  description?: string;
}

/** The result of `paymaster:move-deposit`. */
export interface MoveDepositResult {
  source: string;
  target: string;
  amountWei: bigint;
  /** "moved" by the owner's two transactions, or "proposed" as files for the timelock. */
  mode: "moved" | "proposed";
  sourceDepositWei: bigint;
  targetDepositWei: bigint;
  txHashes: string[];
  files?: { proposal: string; safeBatch: string };
}

const OWNER_ACTIONS_ABI = parseAbi([
  "function withdrawTo(address withdrawAddress, uint256 amount)",
  "function deposit() payable",
]);
const TIMELOCK_PROBE = parseAbi(["function getMinDelay() view returns (uint256)"]);
const GOVERNOR_TIMELOCK = parseAbi(["function timelock() view returns (address)"]);

/**
 * The Governor (`--governor`, else the deployment's) whose timelock is `timelock`, for the proposal file; undefined
 * when none is named or it governs another timelock (the file then leaves `governor` null).
 */
async function governorOfTimelock(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
  timelock: Address,
): Promise<{ address: Address } | undefined> {
  const resolved = await resolveAddress(hre, "governor", flags, { optional: true }).catch(() => undefined);
  if (resolved === undefined) return undefined;
  const address = resolved.address as Address;
  const governed = await readContract(viemPublicClient(hre), {
    address,
    abi: GOVERNOR_TIMELOCK,
    functionName: "timelock",
  }).catch(() => undefined);
  return governed?.toLowerCase() === timelock.toLowerCase() ? { address } : undefined;
}

/**
 * Moves EntryPoint deposit from one paymaster of the ledger to another: `withdrawTo(owner, amount)` on the source
 * (owner only: BasePaymaster) and `deposit{value: amount}()` on the target (anyone). An EOA owner sends both; a
 * TimelockController owner gets `proposal.json` (Governor) and `safe-batch.json` (Safe) with both calls, which
 * the timelock executes atomically (it receives the withdrawn ETH and forwards it as the deposit's value).
 */
export async function paymasterMoveDeposit(
  hre: HardhatRuntimeEnvironment,
  args: MoveDepositArgs,
  log: Log = print,
): Promise<MoveDepositResult> {
  const all = args.amount.trim().toLowerCase() === "all";
  const requested = all ? undefined : parseEth("amount", args.amount);
  const signer = await resolveAccount(hre, args.from);
  const { address: source } = await paymasterAddress(hre, args);
  const toVersion = args.to.trim();
  const { address: target } =
    toVersion === "0.7" || toVersion === "0.8"
      ? await paymasterAddress(hre, { ...args, paymaster: undefined, entrypoint: toVersion })
      : await paymasterAddress(hre, { paymaster: parseAddress("to", args.to) });
  if (source.toLowerCase() === target.toLowerCase()) {
    throw taskError(
      `--to names the source paymaster ${source} itself: pick the other paymaster ("0.7" or "0.8")`,
    );
  }
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const src = { address: source, abi: creditPaymasterAbi } as const;
  const dst = { address: target, abi: creditPaymasterAbi } as const;
  const [owner, sourceLedger, targetLedger, deposit, targetDeposit] = await Promise.all([
    readContract(publicClient, { ...src, functionName: "owner" }),
    readContract(publicClient, { ...src, functionName: "ledger" }),
    readContract(publicClient, { ...dst, functionName: "ledger" }),
    readContract(publicClient, { ...src, functionName: "getDeposit" }),
    readContract(publicClient, { ...dst, functionName: "getDeposit" }),
  ]);
  if (sourceLedger !== targetLedger) {
    throw taskError(
      `Paymaster ${target} spends the credits of ledger ${targetLedger}, not ${sourceLedger} like ${source}: ` +
        "deposit moves only between the paymasters of one ledger",
    );
  }
  const amount = requested ?? deposit;
  if (amount === 0n) throw taskError(`Paymaster ${source} has no deposit to move`);
  if (amount > deposit) {
    throw taskError(
      `Paymaster ${source} has ${formatEth(deposit)} ETH deposited, less than the ${formatEth(amount)} ETH requested`,
    );
  }
  const what = `${formatEth(amount)} ETH of EntryPoint deposit from paymaster ${source} to ${target}`;

  if (owner === signer.address) {
    const withdrawal = await sendClientTx(
      hre,
      log,
      `Withdrawing ${formatEth(amount)} ETH to ${owner}`,
      publicClient,
      () => withdrawFromPaymaster(wallet, { paymaster: source, to: owner, amount }),
    );
    const depositTx = await sendClientTx(
      hre,
      log,
      `Depositing ${formatEth(amount)} ETH for paymaster ${target}`,
      publicClient,
      () => depositToPaymaster(wallet, { paymaster: target, value: amount }),
    );
    const [after, targetAfter] = await Promise.all([
      readContract(publicClient, { ...src, functionName: "getDeposit" }),
      readContract(publicClient, { ...dst, functionName: "getDeposit" }),
    ]);
    log(`Moved ${what}; deposits now ${formatEth(after)} ETH and ${formatEth(targetAfter)} ETH.`);
    return {
      source,
      target,
      amountWei: amount,
      mode: "moved",
      sourceDepositWei: after,
      targetDepositWei: targetAfter,
      txHashes: [withdrawal.transactionHash, depositTx.transactionHash],
    };
  }

  const timelock = await readContract(publicClient, {
    address: owner,
    abi: TIMELOCK_PROBE,
    functionName: "getMinDelay",
  }).then(
    () => true,
    () => false,
  );
  if (!timelock) {
    throw taskError(
      `${signer.address} is not the owner of paymaster ${source}; its owner ${owner} must move the deposit: run ` +
        "--from the owner (for a timelock owner this task writes a proposal instead)",
    );
  }
  const actions: BudgetAction[] = [
    {
      target: source,
      value: 0n,
      data: encodeFunctionData({ abi: OWNER_ACTIONS_ABI, functionName: "withdrawTo", args: [owner, amount] }),
      contract: "CreditPaymaster",
      function: "withdrawTo(address,uint256)",
      args: { withdrawAddress: owner, amount: amount.toString() },
      summary: `withdraw ${formatEth(amount)} ETH of paymaster ${source}'s deposit to the timelock ${owner}`,
    },
    {
      target,
      value: amount,
      data: encodeFunctionData({ abi: OWNER_ACTIONS_ABI, functionName: "deposit" }),
      contract: "CreditPaymaster",
      function: "deposit()",
      args: {},
      summary: `deposit ${formatEth(amount)} ETH on the EntryPoint for paymaster ${target}`,
    },
  ];
  const description = args.description ?? `Move ${what}`;
  const chain = await chainId(hre);
  const governor = await governorOfTimelock(hre, args, owner);
  const proposal = buildProposalFile({
    chainId: chain,
    governor: governor?.address,
    executor: owner,
    description,
    actions,
  });
  const safeBatch = buildSafeBatchFile({
    chainId: chain,
    safe: owner,
    name: "Move paymaster deposit",
    description,
    actions,
    createdAt: Date.now(),
  });
  if (args.out === undefined) {
    throw taskError(
      `Paymaster ${source} is owned by the timelock ${owner}: moving its deposit takes a proposal; pass --out <dir> ` +
        "to write it (proposal.json for the Governor, safe-batch.json for a Safe)",
    );
  }
  const outDir = path.resolve(args.out);
  mkdirSync(outDir, { recursive: true });
  const files = {
    proposal: path.join(outDir, "proposal.json"),
    safeBatch: path.join(outDir, "safe-batch.json"),
  };
  writeFileSync(files.proposal, `${toJson(proposal, 2)}\n`);
  writeFileSync(files.safeBatch, `${toJson(safeBatch, 2)}\n`);
  log(
    `Paymaster ${source} is owned by the timelock ${owner}: the move is a proposal (2 calls, executed atomically):`,
  );
  actions.forEach((a, i) => log(`  ${i + 1}. ${a.summary}`));
  log(
    `Wrote ${files.proposal} (Governor.propose arguments) and ${files.safeBatch} (Safe Transaction Builder).`,
  );
  log(
    governor === undefined
      ? "Have the owner execute both calls in one batch."
      : `Propose it on the Governor ${governor.address}: propose(targets, values, calldatas, description) from ` +
          "proposal.json, by an account whose votes reach the proposal threshold.",
  );
  return {
    source,
    target,
    amountWei: amount,
    mode: "proposed",
    sourceDepositWei: deposit,
    targetDepositWei: targetDeposit,
    txHashes: [],
    files,
  };
}

withFrom(
  withAddressFlags(
    task(
      "paymaster:move-deposit",
      "Moves EntryPoint deposit to the ledger's other paymaster (owner: two transactions; timelock: a proposal)",
    )
      .addParam("to", 'The receiving paymaster: "0.7" or "0.8" (of the deployment) or its address')
      .addParam("amount", `ETH to move, or "all": ${FORMS.eth}`)
      .addOptionalParam(
        "out",
        "Directory for proposal.json and safe-batch.json (when the owner is a timelock)",
      )
      .addOptionalParam("description", "The proposal's description (timelock owner)"),
    ["paymaster"],
  ),
).setAction((args: MoveDepositArgs, hre) => paymasterMoveDeposit(hre, args));
