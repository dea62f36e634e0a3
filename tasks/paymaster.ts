import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits, zeroAddress } from "viem";
import type { Address } from "viem";
import { entryPoint07Abi } from "viem/account-abstraction";
import { readContract } from "viem/actions";

import { creditLedgerAbi, creditPaymasterAbi } from "../src/client/abi";
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
  warnings: string[];
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
  if (info.deposit === 0n) warnings.push("the EntryPoint deposit is empty: add funds with paymaster:deposit");
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
