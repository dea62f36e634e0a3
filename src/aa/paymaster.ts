/**
 * CreditPaymaster helpers for ethers callers: the `paymasterData` of each mode and the `UserOperationCharged`
 * events of a bundle. No Hardhat import: usable against any JSON-RPC node.
 */
import { concat, getAddress, toBeHex, zeroPadValue } from "ethers";

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

/** A parsed `UserOperationCharged` event of the paymaster. */
export interface ChargedEvent {
  userOpHash: string;
  sender: string;
  payer: string;
  creditsCharged: bigint;
  gasCostWei: bigint;
  priceWad: bigint;
}

/** The paymaster's `UserOperationCharged` events of a bundle, in order. */
export function chargedEvents(paymaster: CreditPaymaster, result: HandleOpsResult): ChargedEvent[] {
  const out: ChargedEvent[] = [];
  const address = paymaster.target.toString().toLowerCase();
  for (const log of result.receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = paymaster.interface.parseLog(log);
    if (parsed?.name !== "UserOperationCharged") continue;
    out.push({
      userOpHash: parsed.args.userOpHash,
      sender: parsed.args.sender,
      payer: parsed.args.payer,
      creditsCharged: parsed.args.creditsCharged,
      gasCostWei: parsed.args.gasCostWei,
      priceWad: parsed.args.priceWad,
    });
  }
  return out;
}
