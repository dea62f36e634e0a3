/**
 * A paymaster's EntryPoint deposit against what could be spent through it.
 *
 * Every paymaster of a ledger pays bundlers from its own EntryPoint deposit, and any holder's credits may be spent
 * through any of them. Purchases with the native token fund one deposit only (the ledger's `ethDestination`, the
 * v0.8 paymaster in the deploy module), so the other one runs dry while credits are plentiful. The figures here
 * tell an operator how much gas a deposit pays for, in credits at the current charge, and how much ETH all
 * outstanding credits could draw through one paymaster.
 */
import { parseAbi } from "viem";
import type { Address } from "viem";
import { readContract } from "viem/actions";

import type { AnyClient } from "./credits";

/** The ledger's supply counters (ICreditLedger). */
const LEDGER_TOTALS_ABI = parseAbi([
  "function totalIssued() view returns (uint256)",
  "function totalBurned() view returns (uint256)",
  "function totalExpired() view returns (uint256)",
  "function totalRevoked() view returns (uint256)",
]);

/** Scale of the paymaster's charge, `credits = wei × priceWad × markupBps / CREDIT_SCALE` (CreditPaymaster.sol). */
export const CREDIT_SCALE = 10n ** 34n;

/**
 * Credits issued and not yet burned, swept after expiry or revoked: what holders could still spend through the
 * paymasters. An upper bound: expired grants not yet swept still count.
 */
export async function outstandingCredits(client: AnyClient, ledger: Address): Promise<bigint> {
  const read = (functionName: "totalIssued" | "totalBurned" | "totalExpired" | "totalRevoked") =>
    readContract(client, { address: ledger, abi: LEDGER_TOTALS_ABI, functionName });
  const [issued, burned, expired, revoked] = await Promise.all([
    read("totalIssued"),
    read("totalBurned"),
    read("totalExpired"),
    read("totalRevoked"),
  ]);
  const gone = burned + expired + revoked;
  return issued > gone ? issued - gone : 0n;
}

/** The wei of gas that `credits` pay for at `priceWad` and `markupBps`: the paymaster's charge inverted (rounded down). */
export function weiForCharge(credits: bigint, priceWad: bigint, markupBps: bigint): bigint {
  const divisor = priceWad * markupBps;
  return divisor === 0n ? 0n : (credits * CREDIT_SCALE) / divisor;
}

/** The credits a paymaster charges for `wei` of gas at `priceWad` and `markupBps` (rounded down). */
export function creditsForCharge(wei: bigint, priceWad: bigint, markupBps: bigint): bigint {
  return (wei * priceWad * markupBps) / CREDIT_SCALE;
}

/** A deposit against the credits that could be spent through its paymaster. */
export interface DepositCoverage {
  depositWei: bigint;
  /** Credits the deposit pays gas for at the current charge (cached price × markup). */
  depositCredits: bigint;
  /** Outstanding credits of the ledger (see {@link outstandingCredits}). */
  outstandingCredits: bigint;
  /** The wei of gas all outstanding credits would draw from this deposit if all were spent through it. */
  spendableWei: bigint;
  /** `depositWei / spendableWei` in basis points (10,000 = fully covered; null when nothing is outstanding). */
  coverageBps: bigint | null;
  /** The wei one operation at the paymaster's `maxCreditsPerOp` may draw. */
  maxOpWei: bigint;
}

/** See {@link DepositCoverage}. */
export function depositCoverage(args: {
  depositWei: bigint;
  outstandingCredits: bigint;
  priceWad: bigint;
  markupBps: bigint;
  maxCreditsPerOp: bigint;
}): DepositCoverage {
  const spendableWei = weiForCharge(args.outstandingCredits, args.priceWad, args.markupBps);
  return {
    depositWei: args.depositWei,
    depositCredits: creditsForCharge(args.depositWei, args.priceWad, args.markupBps),
    outstandingCredits: args.outstandingCredits,
    spendableWei,
    coverageBps: spendableWei === 0n ? null : (args.depositWei * 10_000n) / spendableWei,
    maxOpWei: weiForCharge(args.maxCreditsPerOp, args.priceWad, args.markupBps),
  };
}

/** "37.5 %" of {@link DepositCoverage.coverageBps} (or "no credits outstanding"). */
export function formatCoverage(coverageBps: bigint | null): string {
  if (coverageBps === null) return "no credits outstanding";
  const whole = coverageBps / 100n;
  const fraction = (coverageBps % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return `${whole}${fraction === "" ? "" : `.${fraction}`} %`;
}
