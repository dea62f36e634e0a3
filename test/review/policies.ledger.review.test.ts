/**
 * Independent review of the ledger's policy holds (issue 13), with the TestSpender harness:
 * - L1 (sound): across an epoch boundary, a hold judged at a stale `asOf` (the cached price's time, in the previous
 *   epoch) never has more room than one judged now, and what is settled in the new epoch never exceeds the policy's
 *   epoch budget nor the user's limits, whatever mix of stale and fresh holds.
 * - L2 (sound): SELF, SPONSORED and POLICY holds on one sponsor's credits add up across both spenders (the v0.7 and
 *   v0.8 paymasters), so the three modes together never hold more than the sponsor has.
 * - L3 (sound): a settlement after the sponsor tightened every limit, paused and closed the policy in the same
 *   transaction still settles (usage saturates above the new limits), so postOp cannot revert for it.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ISponsorPolicies } from "../../typechain-types";
import {
  CREDIT,
  DAY,
  buyWithUsdc,
  callStep,
  deployLedgerFixture,
  holdPolicyStep,
  holdSponsoredStep,
  holdStep,
  nestedRunStep,
  now,
  runSteps,
  settlePolicyStep,
} from "../helpers/ledger";

type Terms = ISponsorPolicies.PolicyTermsStruct;
const EPOCH = 1_000n;

async function terms(over: Partial<Terms> = {}): Promise<Terms> {
  const t = await now();
  return {
    creditsPerUser: 0n,
    opsPerUser: 0n,
    creditsPerEpoch: 0n,
    creditsPerOp: 0n,
    start: t - 10n,
    end: t + 30n * DAY,
    signer: ethers.ZeroAddress,
    ...over,
  };
}

async function fixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.carol, f.carol, 1_000n * CREDIT);
  await f.ledger.addSpender(f.spender2);
  return f;
}

describe("Review: the ledger's policy holds", function () {
  it("L1: a stale asOf (previous epoch) never gives more room than now; an epoch never settles more than its budget", async function () {
    const { ledger, spender, carol, bob, alice } = await loadFixture(fixture);
    await ledger
      .connect(carol)
      .createPolicy(
        await terms({ creditsPerEpoch: 10n * CREDIT, creditsPerUser: 8n * CREDIT }),
        Number(EPOCH),
      );
    const anchor = (await ledger.policy(carol, 1n)).anchor;
    const inEpoch0 = BigInt(anchor) + EPOCH - 5n;
    // Epoch 0: bob spends 6 (recorded in epoch 0).
    await time.setNextBlockTimestamp(inEpoch0);
    await runSteps(spender, [
      await holdPolicyStep(carol, 1n, bob, 6n * CREDIT, inEpoch0),
      await settlePolicyStep(carol, 1n, bob, 6n * CREDIT, 6n * CREDIT),
    ]);
    // Epoch 1, price time still in epoch 0: epoch 0's spending still counts (more conservative than now).
    await time.setNextBlockTimestamp(BigInt(anchor) + EPOCH + 10n);
    await expect(spender.run([await holdPolicyStep(carol, 1n, alice, 4n * CREDIT + 1n, inEpoch0)]))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyBudgetExceeded")
      .withArgs(carol.address, 1n, 4n * CREDIT, 4n * CREDIT + 1n);
    await expect(spender.run([await holdPolicyStep(carol, 1n, bob, 2n * CREDIT + 1n, inEpoch0)]))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyUserCreditsExceeded")
      .withArgs(bob.address, 1n, 2n * CREDIT, 2n * CREDIT + 1n);
    // A stale hold of 4 settles into epoch 1 (block.timestamp's epoch) ...
    await runSteps(spender, [
      await holdPolicyStep(carol, 1n, alice, 4n * CREDIT, inEpoch0),
      await settlePolicyStep(carol, 1n, alice, 4n * CREDIT, 4n * CREDIT),
    ]);
    const v = await ledger.policy(carol, 1n);
    expect([v.used, v.usedEpoch]).to.deep.equal([4n * CREDIT, 1n]);
    // ... and counts against epoch 1 whether the next hold is judged at the stale time or now: 6 left, not 10.
    for (const asOf of [inEpoch0, await now()]) {
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, 6n * CREDIT + 1n, asOf)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyBudgetExceeded")
        .withArgs(carol.address, 1n, 6n * CREDIT, 6n * CREDIT + 1n);
    }
    await runSteps(spender, [
      await holdPolicyStep(carol, 1n, bob, 6n * CREDIT, await now()),
      await settlePolicyStep(carol, 1n, bob, 6n * CREDIT, 6n * CREDIT),
    ]);
    // Epoch 1 settled exactly its budget; nothing more, stale or fresh.
    expect((await ledger.policy(carol, 1n)).used).to.equal(10n * CREDIT);
    for (const asOf of [inEpoch0, await now()]) {
      await expect(
        spender.run([await holdPolicyStep(carol, 1n, alice, 1n, asOf)]),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyBudgetExceeded");
    }
  });

  it("L2: SELF, SPONSORED and POLICY holds of one sponsor add up across both spenders", async function () {
    const { ledger, spender, spender2, carol, bob, alice, dave } = await loadFixture(fixture);
    await ledger.connect(carol).createPolicy(await terms(), Number(DAY));
    await ledger.connect(carol).setAllowance(bob, 1_000n * CREDIT, Number(DAY), (await now()) + 30n * DAY);
    const t = await now();
    const steps = [
      await holdStep(carol, 300n * CREDIT, t),
      await nestedRunStep(spender2, [
        await holdSponsoredStep(carol, bob, 300n * CREDIT, t),
        await holdPolicyStep(carol, 1n, alice, 300n * CREDIT, t),
      ]),
    ];
    await runSteps(spender, [...steps, await holdPolicyStep(carol, 1n, dave, 100n * CREDIT, t)]);
    await expect(spender.run([...steps, await holdPolicyStep(carol, 1n, dave, 100n * CREDIT + 1n, t)]))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
      .withArgs(carol.address, 100n * CREDIT, 100n * CREDIT + 1n);
    // The other order: the policy hold first, on the other spender; then a sponsored hold on the first.
    await expect(
      spender.run([
        await nestedRunStep(spender2, [await holdPolicyStep(carol, 1n, alice, 900n * CREDIT, t)]),
        await holdSponsoredStep(carol, bob, 100n * CREDIT + 1n, t),
      ]),
    )
      .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
      .withArgs(carol.address, 100n * CREDIT, 100n * CREDIT + 1n);
  });

  it("L3: a hold settles after the sponsor tightened every limit, paused and closed the policy in the transaction", async function () {
    const f = await loadFixture(fixture);
    const { ledger, spender, carol } = f;
    // The spender is its own sponsor, so that it can change its policy between the hold and the settlement.
    await buyWithUsdc(f, carol, spender, 100n * CREDIT);
    await runSteps(spender, [
      await callStep(
        ledger,
        ledger.interface.encodeFunctionData("createPolicy", [
          await terms({ creditsPerEpoch: 50n * CREDIT, creditsPerUser: 20n * CREDIT, opsPerUser: 3n }),
          Number(DAY),
        ]),
      ),
    ]);
    const t = await now();
    const user = carol.address;
    const tight = await terms({
      creditsPerEpoch: 1n,
      creditsPerUser: 1n,
      opsPerUser: 1n,
      creditsPerOp: 1n,
      end: t + 100n,
    });
    await runSteps(spender, [
      await holdPolicyStep(spender, 1n, user, 10n * CREDIT, t),
      await holdPolicyStep(spender, 1n, user, 10n * CREDIT, t),
      await callStep(ledger, ledger.interface.encodeFunctionData("updatePolicy", [1n, tight])),
      await callStep(ledger, ledger.interface.encodeFunctionData("setPolicyStatus", [1n, 2n])),
      await callStep(ledger, ledger.interface.encodeFunctionData("setPolicyStatus", [1n, 3n])),
      await settlePolicyStep(spender, 1n, user, 10n * CREDIT, 10n * CREDIT),
      await settlePolicyStep(spender, 1n, user, 10n * CREDIT, 9n * CREDIT),
    ]);
    expect(await ledger.balanceOfCredits(spender)).to.equal(81n * CREDIT);
    const usage = await ledger.policyUsage(spender, 1n, user);
    expect([usage.credits, usage.ops]).to.deep.equal([19n * CREDIT, 2n]);
    expect((await ledger.policy(spender, 1n)).used).to.equal(19n * CREDIT);
  });
});
