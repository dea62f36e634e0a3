/**
 * Governance calls of a credits budget, encoded with the client ABI: what a Governor proposal or a Safe batch
 * carries (issuer caps and grants on the ledger, the paymaster's configuration), and `propose` on a viem wallet
 * client.
 */
import { encodeFunctionData, toFunctionSignature } from "viem";
import type { Abi, AbiFunction, Address, Hash, Hex } from "viem";
import { simulateContract, writeContract } from "viem/actions";

import { creditLedgerAbi, creditPaymasterAbi, creditsGovernorAbi } from "./abi";
import type { PaymasterConfig } from "./credits";
import { configStruct } from "./paymasterAdmin";
import type { CreditWallet } from "./writes";

/** One encoded call: its calldata and the function's signature (`name(types)`). */
export interface EncodedCall {
  data: Hex;
  function: string;
}

/** `name(types)` of the function `name` in `abi`. */
function signature(abi: Abi, name: string): string {
  const item = abi.find((i): i is AbiFunction => i.type === "function" && i.name === name);
  if (item === undefined) throw new Error(`the client ABI has no function ${name}`);
  return toFunctionSignature(item);
}

/** `CreditLedger.setIssuerCap(issuer, capPerEpoch, epochLength)`. */
export function encodeSetIssuerCap(issuer: Address, cap: bigint, epochLength: bigint): EncodedCall {
  return {
    data: encodeFunctionData({
      abi: creditLedgerAbi,
      functionName: "setIssuerCap",
      args: [issuer, cap, Number(epochLength)],
    }),
    function: signature(creditLedgerAbi, "setIssuerCap"),
  };
}

/** `CreditLedger.grant(account, amount, expiresAt)`. */
export function encodeGrant(account: Address, amount: bigint, expiresAt: bigint): EncodedCall {
  return {
    data: encodeFunctionData({
      abi: creditLedgerAbi,
      functionName: "grant",
      args: [account, amount, expiresAt],
    }),
    function: signature(creditLedgerAbi, "grant"),
  };
}

/** `CreditPaymaster.setConfig(config)`. */
export function encodeSetPaymasterConfig(config: PaymasterConfig): EncodedCall {
  return {
    data: encodeFunctionData({
      abi: creditPaymasterAbi,
      functionName: "setConfig",
      args: [configStruct(config)],
    }),
    function: signature(creditPaymasterAbi, "setConfig"),
  };
}

/** `Governor.propose(targets, values, calldatas, description)`, simulated first. */
export async function propose(
  wallet: CreditWallet,
  args: {
    governor: Address;
    targets: readonly Address[];
    values: readonly bigint[];
    calldatas: readonly Hex[];
    description: string;
  },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.governor,
    abi: creditsGovernorAbi,
    functionName: "propose",
    args: [args.targets, args.values, args.calldatas, args.description],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}
