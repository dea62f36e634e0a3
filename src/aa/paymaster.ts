/**
 * CreditPaymaster helpers for ethers callers: the `paymasterData` of each mode and the charges of a bundle (the
 * ledger's `CreditsSpent` events settled by the paymaster). No Hardhat import: usable against any JSON-RPC node.
 */
import { concat, getAddress, toBeHex, zeroPadValue } from "ethers";

import { decodePaymasterSpendData, PaymasterMode } from "../client/encoding";
import { CreditLedger__factory } from "../../typechain-types";
import type { CreditPaymaster } from "../../typechain-types";
import type { HandleOpsResult } from "./userop";

/** `CreditPaymaster.Mode`. */
export const Mode = { SELF: 0, SPONSORED: 1 } as const;

/** `CreditPaymaster.GasField`, in declaration order (the names of `GAS_FIELDS` in src/client, as enum keys). */
export const GasField = {
  CALL_GAS_LIMIT: 0,
  VERIFICATION_GAS_LIMIT: 1,
  PRE_VERIFICATION_GAS: 2,
  PAYMASTER_VERIFICATION_GAS_LIMIT: 3,
  PAYMASTER_POST_OP_GAS_LIMIT: 4,
  MAX_FEE_PER_GAS: 5,
  MAX_PRIORITY_FEE_PER_GAS: 6,
} as const;

/** Paymaster data (after offset 52) for SELF mode: mode ‖ uint64 maxCredits (0 = no user limit). */
export function selfPaymasterData(maxCredits = 0n): string {
  return concat([toBeHex(Mode.SELF, 1), zeroPadValue(toBeHex(maxCredits), 8)]);
}

/** Paymaster data for SPONSORED mode: mode ‖ sponsor ‖ uint64 maxCredits. */
export function sponsoredPaymasterData(sponsor: string, maxCredits = 0n): string {
  return concat([toBeHex(Mode.SPONSORED, 1), getAddress(sponsor), zeroPadValue(toBeHex(maxCredits), 8)]);
}

/** A charge of the paymaster: one `CreditsSpent` event of the ledger whose spender is the paymaster. */
export interface ChargedEvent {
  userOpHash: string;
  sender: string;
  payer: string;
  creditsCharged: bigint;
  gasCostWei: bigint;
  priceWad: bigint;
  /** 0 self-pay, 1 sponsored by allowance, 2 policy. */
  mode: number;
  /** The policy id in POLICY mode, 0 otherwise. */
  policyId: bigint;
}

const ledgerInterface = CreditLedger__factory.createInterface();
const creditsSpentTopic = ledgerInterface.getEvent("CreditsSpent").topicHash;

/**
 * The paymaster's charges in a bundle, in order: the `CreditsSpent` events (of any ledger) whose spender is the
 * paymaster, with `spenderData` decoded (`mode << 248 | policyId << 192 | priceWad << 96 | gasCostWei`).
 */
export function chargedEvents(paymaster: CreditPaymaster | string, result: HandleOpsResult): ChargedEvent[] {
  const spender = zeroPadValue(typeof paymaster === "string" ? paymaster : paymaster.target.toString(), 32);
  const out: ChargedEvent[] = [];
  for (const log of result.receipt.logs) {
    if (log.topics[0] !== creditsSpentTopic || log.topics[3]?.toLowerCase() !== spender.toLowerCase())
      continue;
    const parsed = ledgerInterface.parseLog(log);
    if (parsed === null) continue;
    const data = decodePaymasterSpendData(parsed.args.spenderData as bigint);
    out.push({
      userOpHash: parsed.args.ref,
      sender: parsed.args.beneficiary,
      payer: parsed.args.account,
      creditsCharged: parsed.args.amount,
      gasCostWei: data.gasCostWei,
      priceWad: data.priceWad,
      mode: PaymasterMode[data.mode],
      policyId: data.policyId,
    });
  }
  return out;
}
