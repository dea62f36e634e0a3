/**
 * Test-only paymaster assertions. The paymaster data, `chargedEvents` and `underCoverage` live in src/aa and are
 * re-exported here for the suites.
 */
import { expect } from "chai";

import { creditsForGasCost } from "../../src/client";
import { chargedEvents, requiredPrefund, underCoverage } from "../../src/aa";
import type { ChargedEvent, HandleOpsResult, PackedUserOperation } from "../../src/aa";
import type { CreditPaymaster } from "../../typechain-types";

export * from "../../src/aa/paymaster";
export { underCoverage } from "../../src/aa/system";

/** `credits = ceil(wei × priceWad × markupBps / 1e34)`, as the paymaster computes charges and holds (the client's). */
export { creditsForGasCost };

/**
 * Invariant 2 (solvency), checked per operation of a bundle, on every path the EntryPoint can take:
 * - no operation ended in `UserOperationPrefundTooLow` or `PostOpRevertReason`: on both, the EntryPoint rolled back
 *   the settlement and still took ETH from the deposit, so credits worth nothing paid for it;
 * - one charge (the ledger's `CreditsSpent` by the paymaster) per operation, and the paymaster priced at least what the EntryPoint took from its
 *   deposit (`gasCostWei >= actualGasCost`), the credits burned are worth at least that ETH at the price used (with
 *   the markup, rounded up), and never more than the hold (the worst case of the op).
 * Returns the charged events.
 */
/**
 * The smallest pricing margin seen per mode (gas postOp priced above what the EntryPoint billed), printed at exit
 * when `SOLVENCY_MARGINS=1`: how the POST_OP_OVERHEAD_GAS_* constants' spare is measured (docs/paymaster.md).
 */
const smallestMargins = new Map<number, bigint>();
function recordMargin(mode: number, margin: bigint): void {
  if (process.env.SOLVENCY_MARGINS !== "1") return;
  if (smallestMargins.size === 0) {
    process.on("exit", () => {
      for (const [m, gas] of smallestMargins) console.log(`smallest solvency margin, mode ${m}: ${gas} gas`);
    });
  }
  const seen = smallestMargins.get(mode);
  if (seen === undefined || margin < seen) smallestMargins.set(mode, margin);
}

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
    "one charge (the ledger's CreditsSpent) per operation",
  );
  result.userOperationEvents.forEach((ev, i) => {
    const c = charged[i];
    expect(c.userOpHash).to.equal(ev.userOpHash);
    if (!underCoverage()) {
      expect(c.gasCostWei, `op ${i}: priced wei >= wei taken from the deposit`).to.be.gte(ev.actualGasCost);
      expect(c.creditsCharged, `op ${i}: credits burned cover the ETH taken`).to.be.gte(
        creditsForGasCost(ev.actualGasCost, c.priceWad, markupBps),
      );
      if (ev.actualGasCost > 0n) {
        recordMargin(c.mode, ((c.gasCostWei - ev.actualGasCost) * ev.actualGasUsed) / ev.actualGasCost);
      }
    }
    expect(c.creditsCharged, `op ${i}: never more than the hold`).to.be.lte(
      creditsForGasCost(requiredPrefund(ops[i]), c.priceWad, markupBps),
    );
  });
  return charged;
}
