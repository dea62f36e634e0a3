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

/** `IGovernor.ProposalState`, in order. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;
export type ProposalStateName = (typeof PROPOSAL_STATES)[number];

/** `GovernorCountingSimple`'s support values. */
export const VOTE_SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

/** The calls of a proposal and its description's hash: what `queue` and `execute` take. */
export interface ProposalCalls {
  targets: readonly Address[];
  values: readonly bigint[];
  calldatas: readonly Hex[];
  descriptionHash: Hex;
}

/** `Governor.castVote(proposalId, support)`, or `castVoteWithReason` with a reason. Simulated first. */
export async function castVote(
  wallet: CreditWallet,
  args: { governor: Address; proposalId: bigint; support: 0 | 1 | 2; reason?: string },
): Promise<Hash> {
  const base = { address: args.governor, abi: creditsGovernorAbi, account: wallet.account } as const;
  if (args.reason === undefined) {
    const { request } = await simulateContract(wallet, {
      ...base,
      functionName: "castVote",
      args: [args.proposalId, args.support],
    });
    return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
  }
  const { request } = await simulateContract(wallet, {
    ...base,
    functionName: "castVoteWithReason",
    args: [args.proposalId, args.support, args.reason],
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `Governor.queue(targets, values, calldatas, descriptionHash)`: schedules a succeeded proposal on the timelock. */
export async function queueProposal(
  wallet: CreditWallet,
  args: { governor: Address } & ProposalCalls,
): Promise<Hash> {
  return proposalCall(wallet, "queue", args);
}

/** `Governor.execute(targets, values, calldatas, descriptionHash)`: runs a queued proposal whose delay passed. */
export async function executeProposal(
  wallet: CreditWallet,
  args: { governor: Address } & ProposalCalls,
): Promise<Hash> {
  return proposalCall(wallet, "execute", args);
}

/** `queue` or `execute` of the proposal's calls, simulated first. */
async function proposalCall(
  wallet: CreditWallet,
  functionName: "queue" | "execute",
  args: { governor: Address } & ProposalCalls,
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.governor,
    abi: creditsGovernorAbi,
    functionName,
    args: [args.targets, args.values, args.calldatas, args.descriptionHash],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}
