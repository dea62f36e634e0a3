/**
 * The paymaster's administration on a viem wallet client: fund and drain its EntryPoint deposit, pause it, set its
 * configuration and its guardians. Each call is simulated first (a revert surfaces as viem's
 * `ContractFunctionExecutionError` naming the paymaster's custom error before anything is sent) and returns the
 * transaction hash. Only `depositToPaymaster` is open to anyone; `setPaused(true)` is open to a guardian; the rest are
 * owner-only (the DAO timelock in production, where governance proposals carry these calls instead).
 */
import type { Address, Hash } from "viem";
import { readContract, simulateContract, writeContract } from "viem/actions";

import { creditPaymasterAbi } from "./abi";
import type { AnyClient, PaymasterConfig } from "./credits";
import type { CreditWallet } from "./writes";

/** `CreditPaymaster.deposit()` paying `value` wei: adds to the paymaster's EntryPoint deposit (anyone may). */
export async function depositToPaymaster(
  wallet: CreditWallet,
  args: { paymaster: Address; value: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.paymaster,
    abi: creditPaymasterAbi,
    functionName: "deposit",
    value: args.value,
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditPaymaster.withdrawTo(to, amount)`: sends `amount` wei of the EntryPoint deposit to `to` (owner only). */
export async function withdrawFromPaymaster(
  wallet: CreditWallet,
  args: { paymaster: Address; to: Address; amount: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.paymaster,
    abi: creditPaymasterAbi,
    functionName: "withdrawTo",
    args: [args.to, args.amount],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditPaymaster.setPaused(paused)`: the owner pauses or resumes; a guardian may only pause. */
export async function setPaymasterPaused(
  wallet: CreditWallet,
  args: { paymaster: Address; paused: boolean },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.paymaster,
    abi: creditPaymasterAbi,
    functionName: "setPaused",
    args: [args.paused],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** The config as the ABI encodes it: every field is at most 48 bits wide, so viem types it as a number. */
export function configStruct(c: PaymasterConfig) {
  return {
    maxCallGasLimit: Number(c.maxCallGasLimit),
    maxPreVerificationGas: Number(c.maxPreVerificationGas),
    maxVerificationGasLimit: Number(c.maxVerificationGasLimit),
    maxPaymasterVerificationGasLimit: Number(c.maxPaymasterVerificationGasLimit),
    maxPaymasterPostOpGasLimit: Number(c.maxPaymasterPostOpGasLimit),
    maxFeePerGas: Number(c.maxFeePerGas),
    maxCreditsPerOp: Number(c.maxCreditsPerOp),
    markupBps: Number(c.markupBps),
    maxPriceAge: Number(c.maxPriceAge),
    paused: c.paused,
    maxPriorityFeePerGas: Number(c.maxPriorityFeePerGas),
    postOpGasMargin: Number(c.postOpGasMargin),
  } as const;
}

/** `CreditPaymaster.setConfig(config)` (owner only; the `paused` field of `config` is ignored: see setPaused). */
export async function setPaymasterConfig(
  wallet: CreditWallet,
  args: { paymaster: Address; config: PaymasterConfig },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.paymaster,
    abi: creditPaymasterAbi,
    functionName: "setConfig",
    args: [configStruct(args.config)],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditPaymaster.setGuardian(guardian, allowed)`: who may pause without being the owner (owner only). */
export async function setPaymasterGuardian(
  wallet: CreditWallet,
  args: { paymaster: Address; guardian: Address; allowed: boolean },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.paymaster,
    abi: creditPaymasterAbi,
    functionName: "setGuardian",
    args: [args.guardian, args.allowed],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditPaymaster.config()`, every number as a bigint. */
export async function readPaymasterConfig(client: AnyClient, paymaster: Address): Promise<PaymasterConfig> {
  const c = await readContract(client, {
    address: paymaster,
    abi: creditPaymasterAbi,
    functionName: "config",
  });
  return {
    maxCallGasLimit: BigInt(c.maxCallGasLimit),
    maxPreVerificationGas: BigInt(c.maxPreVerificationGas),
    maxVerificationGasLimit: BigInt(c.maxVerificationGasLimit),
    maxPaymasterVerificationGasLimit: BigInt(c.maxPaymasterVerificationGasLimit),
    maxPaymasterPostOpGasLimit: BigInt(c.maxPaymasterPostOpGasLimit),
    maxFeePerGas: BigInt(c.maxFeePerGas),
    maxCreditsPerOp: BigInt(c.maxCreditsPerOp),
    markupBps: BigInt(c.markupBps),
    maxPriceAge: BigInt(c.maxPriceAge),
    paused: c.paused,
    maxPriorityFeePerGas: BigInt(c.maxPriorityFeePerGas),
    postOpGasMargin: BigInt(c.postOpGasMargin),
  };
}
