import { expect } from "chai";
import hre from "hardhat";
import { concat, getAddress, toBeHex, zeroPadValue } from "ethers";

import { creditsForGasCost } from "../../src/client";
import type { CreditPaymaster } from "../../typechain-types";
import { requiredPrefund } from "./userop";
import type { HandleOpsResult, PackedUserOperation } from "./userop";

/** `CreditPaymaster.Mode`. */
export const Mode = { SELF: 0, SPONSORED: 1 } as const;

/** `CreditPaymaster.GasField`, in declaration order. */
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

/** `credits = ceil(wei × priceWad × markupBps / 1e34)`, as the paymaster computes charges and holds (the client's). */
export { creditsForGasCost };

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

/**
 * Whether the suite runs under solidity-coverage, whose instrumentation makes contracts use more gas than the
 * deployed bytecode: gas-accounting assertions (what postOp prices vs what the EntryPoint bills) only hold for the
 * real bytecode, so they are checked in `npm test` and skipped under `npm run coverage`.
 */
export function underCoverage(): boolean {
  return (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
}

/**
 * Invariant 2 (solvency), checked per operation of a bundle, on every path the EntryPoint can take:
 * - no operation ended in `UserOperationPrefundTooLow` or `PostOpRevertReason`: on both, the EntryPoint rolled back
 *   the settlement and still took ETH from the deposit, so credits worth nothing paid for it;
 * - one `UserOperationCharged` per operation, and the paymaster priced at least what the EntryPoint took from its
 *   deposit (`gasCostWei >= actualGasCost`), the credits burned are worth at least that ETH at the price used (with
 *   the markup, rounded up), and never more than the hold (the worst case of the op).
 * Returns the charged events.
 */
export function expectSolvent(
  paymaster: CreditPaymaster,
  result: HandleOpsResult,
  ops: readonly PackedUserOperation[],
  markupBps: bigint,
): ChargedEvent[] {
  for (const low of result.prefundTooLow) {
    const ev = result.userOperationEvents.find((e) => e.userOpHash === low.userOpHash);
    expect.fail(
      `op ${low.userOpHash} ended in UserOperationPrefundTooLow: the deposit paid ${ev?.actualGasCost} wei ` +
        "(the whole prefund) and the settlement was rolled back (0 credits burned)",
    );
  }
  for (const reverted of result.postOpRevertReasons) {
    expect.fail(
      `op ${reverted.userOpHash}: postOp reverted (${reverted.revertReason}), so no credits were burned`,
    );
  }
  const charged = chargedEvents(paymaster, result);
  expect(charged.length).to.equal(
    result.userOperationEvents.length,
    "one UserOperationCharged per operation",
  );
  result.userOperationEvents.forEach((ev, i) => {
    const c = charged[i];
    expect(c.userOpHash).to.equal(ev.userOpHash);
    if (!underCoverage()) {
      expect(c.gasCostWei, `op ${i}: priced wei >= wei taken from the deposit`).to.be.gte(ev.actualGasCost);
      expect(c.creditsCharged, `op ${i}: credits burned cover the ETH taken`).to.be.gte(
        creditsForGasCost(ev.actualGasCost, c.priceWad, markupBps),
      );
    }
    expect(c.creditsCharged, `op ${i}: never more than the hold`).to.be.lte(
      creditsForGasCost(requiredPrefund(ops[i]), c.priceWad, markupBps),
    );
  });
  return charged;
}
