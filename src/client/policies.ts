/**
 * Sponsors' policies on the ledger ({ISponsorPolicies}), on viem clients: the writes a sponsor makes (create,
 * update, set the status), their encodings for a proposal or a Safe batch (the executor is then the sponsor), and
 * the arithmetic of a policy's epochs that the views need (what was spent in the current epoch).
 */
import { encodeFunctionData, toFunctionSignature } from "viem";
import type { AbiFunction, Address, Hash, Hex } from "viem";
import { simulateContract, writeContract } from "viem/actions";

import { creditLedgerAbi } from "./abi";
import type { CreditWallet } from "./writes";

import { POLICY_STATUSES } from "./rejections";
import type { PolicyStatusName } from "./rejections";

/** `ISponsorPolicies.PolicyStatus` by name: one list, in src/client/rejections.ts. */
export { POLICY_STATUSES };
export type { PolicyStatusName };

/** `ISponsorPolicies.PolicyTerms` (0 = no limit, for every limit; the zero address = no signer). */
export interface PolicyTerms {
  creditsPerUser: bigint;
  opsPerUser: number;
  creditsPerEpoch: bigint;
  creditsPerOp: bigint;
  start: number;
  end: number;
  signer: Address;
}

/** `ISponsorPolicies.PolicyView`: terms, epochs, status and the policy-wide spending of epoch `usedEpoch`. */
export interface PolicyView {
  terms: PolicyTerms;
  epochLength: number;
  anchor: number;
  status: number;
  used: bigint;
  usedEpoch: number;
}

/** `ISponsorPolicies.PolicyUsage`: a user's spending in epoch `epoch`. */
export interface PolicyUsage {
  credits: bigint;
  ops: number;
  epoch: number;
}

/** The name of a status number. */
export function policyStatusName(status: number): PolicyStatusName {
  return POLICY_STATUSES[status] ?? "None";
}

/** The policy epoch that contains `time` (as the ledger counts: 0 until `anchor`, then every `epochLength`). */
export function policyEpochOf(policy: Pick<PolicyView, "anchor" | "epochLength">, time: bigint): bigint {
  const anchor = BigInt(policy.anchor);
  return time <= anchor || policy.epochLength === 0 ? 0n : (time - anchor) / BigInt(policy.epochLength);
}

/** When epoch `epoch` of the policy starts and ends (`[start, end)`). */
export function policyEpochBounds(
  policy: Pick<PolicyView, "anchor" | "epochLength">,
  epoch: bigint,
): { start: bigint; end: bigint } {
  const start = BigInt(policy.anchor) + epoch * BigInt(policy.epochLength);
  return { start, end: start + BigInt(policy.epochLength) };
}

/** Credits the whole policy spent in the epoch of `time` (its record counts only for its own epoch). */
export function policyUsedAt(policy: PolicyView, time: bigint): bigint {
  return BigInt(policy.usedEpoch) >= policyEpochOf(policy, time) ? policy.used : 0n;
}

/** A user's credits and operations in the epoch of `time` (a record of an earlier epoch counts as nothing). */
export function userUsageAt(
  policy: PolicyView,
  usage: PolicyUsage,
  time: bigint,
): { credits: bigint; ops: bigint } {
  return BigInt(usage.epoch) >= policyEpochOf(policy, time) && (usage.credits > 0n || usage.ops > 0)
    ? { credits: usage.credits, ops: BigInt(usage.ops) }
    : { credits: 0n, ops: 0n };
}

/** `CreditLedger.createPolicy(terms, epochLength)`: the wallet's account is the sponsor. Simulated first. */
export async function createPolicy(
  wallet: CreditWallet,
  args: { ledger: Address; terms: PolicyTerms; epochLength: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "createPolicy",
    args: [args.terms, Number(args.epochLength)],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditLedger.updatePolicy(policyId, terms)` of the wallet's account. Simulated first. */
export async function updatePolicy(
  wallet: CreditWallet,
  args: { ledger: Address; policyId: bigint; terms: PolicyTerms },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "updatePolicy",
    args: [args.policyId, args.terms],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditLedger.setPolicyStatus(policyId, status)` of the wallet's account. Simulated first. */
export async function setPolicyStatus(
  wallet: CreditWallet,
  args: { ledger: Address; policyId: bigint; status: Exclude<PolicyStatusName, "None"> },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "setPolicyStatus",
    args: [args.policyId, POLICY_STATUSES.indexOf(args.status)],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

function ledgerSignature(name: string): string {
  const item = creditLedgerAbi.find((i) => i.type === "function" && i.name === name) as AbiFunction;
  return toFunctionSignature(item);
}

/** `CreditLedger.createPolicy(terms, epochLength)` encoded, for a proposal whose executor is the sponsor. */
export function encodeCreatePolicy(terms: PolicyTerms, epochLength: bigint): { data: Hex; function: string } {
  return {
    data: encodeFunctionData({
      abi: creditLedgerAbi,
      functionName: "createPolicy",
      args: [terms, Number(epochLength)],
    }),
    function: ledgerSignature("createPolicy"),
  };
}

/** `CreditLedger.setPolicyStatus(policyId, status)` encoded, for a proposal whose executor is the sponsor. */
export function encodeSetPolicyStatus(
  policyId: bigint,
  status: Exclude<PolicyStatusName, "None">,
): { data: Hex; function: string } {
  return {
    data: encodeFunctionData({
      abi: creditLedgerAbi,
      functionName: "setPolicyStatus",
      args: [policyId, POLICY_STATUSES.indexOf(status)],
    }),
    function: ledgerSignature("setPolicyStatus"),
  };
}
