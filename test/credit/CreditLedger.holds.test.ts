import { expect } from "chai";
import { ZeroHash } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { network } from "hardhat";
import { TestSpender__factory } from "../../typechain-types";
import {
  atNextBlock,
  breakdown,
  buyWithUsdc,
  callResultUint,
  callStep,
  CREDIT,
  DAY,
  deployLedgerFixture,
  grantsTakenWord,
  GUARDIAN_ROLE,
  heldValidUntils,
  holdSponsoredStep,
  holdStep,
  nestedRunStep,
  now,
  runSteps,
  settleSponsoredStep,
  settleStep,
  stepData,
  stepRef,
  UINT48_MAX,
} from "../helpers/ledger";

/**
 * alice: 50 purchased credits, 30 granted expiring at E1 and 40 granted expiring at E2 (E1 < E2).
 * carol (a sponsor): 1,000 purchased credits; allowance for bob of 100 per day until T0 + 30 days.
 */
async function holdsFixture() {
  const f = await deployLedgerFixture();
  const { ledger, issuer, alice, bob, carol } = f;
  await buyWithUsdc(f, alice, alice, 50n * CREDIT);
  const T0 = await now();
  const E1 = T0 + DAY;
  const E2 = T0 + 2n * DAY;
  await ledger.connect(issuer).grant(alice, 30n * CREDIT, E1);
  await ledger.connect(issuer).grant(alice, 40n * CREDIT, E2);
  await buyWithUsdc(f, carol, carol, 1_000n * CREDIT);
  const allowanceExpiry = T0 + 30n * DAY;
  await ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), allowanceExpiry);
  const anchor = await now();
  return { ...f, T0, E1, E2, allowanceExpiry, anchor };
}

describe("CreditLedger: holds and settlement", function () {
  describe("#hold", function () {
    it("reverts when the caller is not a registered spender", async function () {
      const { ledger, outsider, alice } = await loadFixture(holdsFixture);
      await expect(ledger.connect(outsider).hold(alice, 1n, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(outsider.address);
    });

    it("reverts while the ledger is paused", async function () {
      const { ledger, spender, guardian, alice } = await loadFixture(holdsFixture);
      await ledger.connect(guardian).pause();
      await expect(spender.run([await holdStep(alice, 1n, await now())])).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerPaused",
      );
    });

    it("reverts for a zero amount, so that every settlement pairs with a real hold", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(alice, 0n, await now())])).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAmount",
      );
    });

    it("holds purchased credits for the transaction only and returns type(uint48).max when they cover it", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      const receipt = await runSteps(spender, [
        await holdStep(alice, 50n * CREDIT, await now()),
        await callStep(ledger, ledger.interface.encodeFunctionData("heldCredits", [alice.address])),
        await callStep(ledger, ledger.interface.encodeFunctionData("spendableCredits", [alice.address])),
        await settleStep(alice, 50n * CREDIT, 0n),
      ]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(UINT48_MAX);
      expect(callResultUint(spender, receipt, 1)).to.equal(50n * CREDIT);
      expect(callResultUint(spender, receipt, 2)).to.equal(70n * CREDIT);
      expect(await ledger.heldCredits(alice)).to.equal(0n);
      expect(await ledger.spendableCredits(alice)).to.equal(120n * CREDIT);
    });

    it("returns expiry - 1 of the first bucket that cannot be dropped, soonest-expiring dropped first", async function () {
      const { spender, alice, E1, E2 } = await loadFixture(holdsFixture);
      const asOf = await now();
      // live = 50 purchased + 30 (E1) + 40 (E2) = 120
      const receipt = await runSteps(spender, [
        await holdStep(alice, 40n * CREDIT, asOf), // need 40: both buckets can go -> purchased alone covers
        await holdStep(alice, 20n * CREDIT, asOf), // need 60: E1 can go (90 left), E2 cannot (50 < 60)
        await holdStep(alice, 40n * CREDIT, asOf), // need 100: E1 cannot go (90 < 100)
        await holdStep(alice, 1n, asOf), // a small hold relies on what the earlier holds rely on
        await holdStep(alice, 20n * CREDIT - 1n, asOf), // need 120: everything
      ]);
      const v = heldValidUntils(spender, receipt);
      expect([v.get(0), v.get(1), v.get(2), v.get(3), v.get(4)]).to.deep.equal([
        UINT48_MAX,
        E2 - 1n,
        E1 - 1n,
        E1 - 1n,
        E1 - 1n,
      ]);
    });

    it("reverts with the remaining available credits when holds in the transaction already use them", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      const asOf = await now();
      await expect(
        spender.run([await holdStep(alice, 100n * CREDIT, asOf), await holdStep(alice, 21n * CREDIT, asOf)]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 20n * CREDIT, 21n * CREDIT);
      await expect(spender.run([await holdStep(alice, 120n * CREDIT, asOf), await holdStep(alice, 1n, asOf)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 0n, 1n);
    });

    it("does not count grants that expired at or before asOf", async function () {
      const { ledger, spender, alice, E1 } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(alice, 91n * CREDIT, E1)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 90n * CREDIT, 91n * CREDIT);
      const receipt = await runSteps(spender, [await holdStep(alice, 91n * CREDIT, E1 - 1n)]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(E1 - 1n);
    });

    it("reverts for an account without credits", async function () {
      const { ledger, spender, dave } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(dave, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(dave.address, 0n, 1n);
    });

    it("sees the holds of every other registered spender in the same transaction", async function () {
      const { ledger, spender, spender2, alice, E1, E2 } = await loadFixture(holdsFixture);
      await ledger.addSpender(spender2);
      const asOf = await now();
      // spender A holds 80, then (nested, same transaction) spender B tries to hold 41 of the remaining 40.
      await expect(
        spender.run([
          await holdStep(alice, 80n * CREDIT, asOf),
          await nestedRunStep(spender2, [await holdStep(alice, 41n * CREDIT, asOf)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 40n * CREDIT, 41n * CREDIT);
      // B holds 40, then A cannot hold more; both settle; the view in the middle sees both holds.
      const receipt = await runSteps(spender, [
        await holdStep(alice, 80n * CREDIT, asOf),
        await nestedRunStep(spender2, [
          await holdStep(alice, 40n * CREDIT, asOf),
          await callStep(ledger, ledger.interface.encodeFunctionData("heldCredits", [alice.address])),
        ]),
        await callStep(ledger, ledger.interface.encodeFunctionData("spendableCredits", [alice.address])),
        await nestedRunStep(spender2, [await settleStep(alice, 40n * CREDIT, 40n * CREDIT)]),
        await settleStep(alice, 80n * CREDIT, 10n * CREDIT),
      ]);
      expect(callResultUint(spender2, receipt, 1)).to.equal(120n * CREDIT);
      expect(callResultUint(spender, receipt, 2)).to.equal(0n);
      // A's 80 relied on the E2 bucket (purchased 50 < 80); B's 40 made the need 120, relying on E1 too.
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(E2 - 1n);
      expect(heldValidUntils(spender2, receipt).get(0)).to.equal(E1 - 1n);
      expect(await ledger.balanceOfCredits(alice)).to.equal(70n * CREDIT);
    });

    it("walks a ring of four spenders", async function () {
      const { ledger, spender, spender2, alice, admin } = await loadFixture(holdsFixture);
      const spender3 = await new TestSpender__factory(admin).deploy(ledger);
      const spender4 = await new TestSpender__factory(admin).deploy(ledger);
      await ledger.addSpender(spender2);
      await ledger.addSpender(spender3);
      await ledger.addSpender(spender4);
      const asOf = await now();
      await expect(
        spender.run([
          await holdStep(alice, 30n * CREDIT, asOf),
          await nestedRunStep(spender2, [await holdStep(alice, 30n * CREDIT, asOf)]),
          await nestedRunStep(spender3, [await holdStep(alice, 30n * CREDIT, asOf)]),
          await nestedRunStep(spender4, [await holdStep(alice, 31n * CREDIT, asOf)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 30n * CREDIT, 31n * CREDIT);
      await expect(
        spender4.run([
          await holdStep(alice, 30n * CREDIT, asOf),
          await nestedRunStep(spender3, [await holdStep(alice, 30n * CREDIT, asOf)]),
          await nestedRunStep(spender2, [await holdStep(alice, 30n * CREDIT, asOf)]),
          await nestedRunStep(spender, [await holdStep(alice, 31n * CREDIT, asOf)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 30n * CREDIT, 31n * CREDIT);
    });
  });

  describe("word 1: read by the hold whenever settlement may need it (postOp must read no cold slot)", function () {
    /** The cold SLOADs (2,100 gas) in the ledger frame of each ledger call of `hash` (TestSpender.run's steps). */
    async function coldSloadsPerLedgerCall(hash: string): Promise<number[]> {
      const trace = (await network.provider.send("debug_traceTransaction", [
        hash,
        { disableMemory: true, disableStorage: true, disableStack: true },
      ])) as { structLogs: { op: string; gasCost: number; depth: number }[] };
      const counts: number[] = [];
      let previousDepth = 1;
      for (const log of trace.structLogs) {
        if (log.depth === 2 && previousDepth === 1) counts.push(0);
        if (log.depth === 2 && log.op === "SLOAD" && log.gasCost >= 2_100) counts[counts.length - 1]++;
        previousDepth = log.depth;
      }
      return counts;
    }

    /** alice as in the fixture (50 purchased, 30 at E1, 40 at E2) plus 10 at E3: bucket 2, in word 1. */
    async function threeBuckets() {
      const f = await loadFixture(holdsFixture);
      const E3 = f.T0 + 3n * DAY;
      await f.ledger.connect(f.issuer).grant(f.alice, 10n * CREDIT, E3);
      return { ...f, E3 };
    }

    it("a hold the soonest live bucket of word 0 covers relies on it alone, lasts no longer than it, and settles from it without reading word 1", async function () {
      const { spender, alice, E1 } = await threeBuckets();
      // need 10 < 30 (bucket 0): without the bound, the purchased credits alone would give type(uint48).max
      const receipt = await runSteps(spender, [
        await holdStep(alice, 10n * CREDIT, await now()),
        await settleStep(alice, 10n * CREDIT, 10n * CREDIT),
      ]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(E1 - 1n);
      expect(await coldSloadsPerLedgerCall(receipt.hash)).to.deep.equal([2, 0]); // hold: spender info, word 0
    });

    it("a soonest bucket expiring within WORD0_HORIZON of asOf is counted with the others, unbounded: a block past its expiry still settles, from word 0, with no cold read", async function () {
      const { spender, alice, E1 } = await threeBuckets();
      // asOf a minute before E1 (a paymaster's cached price time), the block 10 s after E1: bucket 0 has expired
      await time.setNextBlockTimestamp(E1 + 10n);
      const receipt = await runSteps(spender, [
        await holdStep(alice, 10n * CREDIT, E1 - 60n),
        await settleStep(alice, 10n * CREDIT, 10n * CREDIT),
      ]);
      // 50 purchased + 40 (E2) + 10 (E3) cover 10 without bucket 0: no bound, as the paymaster's price bounds it
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(UINT48_MAX);
      expect(await coldSloadsPerLedgerCall(receipt.hash)).to.deep.equal([3, 0]); // hold: spender info, words 0 and 1
    });

    it("a hold whose charge may empty that bucket reads word 1, so that settlement finds it warm", async function () {
      const { ledger, spender, alice, E2, E3 } = await threeBuckets();
      // need 30: bucket 0 (30) may be emptied, and compacting the buckets reads word 1
      const receipt = await runSteps(spender, [
        await holdStep(alice, 30n * CREDIT, await now()),
        await settleStep(alice, 30n * CREDIT, 30n * CREDIT),
      ]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(UINT48_MAX);
      expect(await coldSloadsPerLedgerCall(receipt.hash)).to.deep.equal([3, 0]); // hold: spender info, words 0 and 1
      expect((await breakdown(ledger, alice)).grants).to.deep.equal([
        { amount: 40n * CREDIT, expiresAt: E2 },
        { amount: 10n * CREDIT, expiresAt: E3 },
      ]);
    });
  });

  describe("#holdSponsored", function () {
    it("reverts when the caller is not a registered spender", async function () {
      const { ledger, outsider, carol, bob } = await loadFixture(holdsFixture);
      await expect(ledger.connect(outsider).holdSponsored(carol, bob, 1n, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(outsider.address);
    });

    it("reverts while the ledger is paused", async function () {
      const { ledger, spender, guardian, carol, bob } = await loadFixture(holdsFixture);
      await ledger.connect(guardian).pause();
      await expect(
        spender.run([await holdSponsoredStep(carol, bob, 1n, await now())]),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPaused");
    });

    it("reverts for a zero amount", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([await holdSponsoredStep(carol, bob, 0n, await now())]),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
    });

    it("reverts when the sponsor set no allowance for the beneficiary", async function () {
      const { ledger, spender, carol, dave } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdSponsoredStep(carol, dave, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoAllowance")
        .withArgs(carol.address, dave.address);
    });

    it("reverts when the allowance expired at or before asOf", async function () {
      const { ledger, spender, carol, bob, allowanceExpiry } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdSponsoredStep(carol, bob, 1n, allowanceExpiry)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExpired")
        .withArgs(carol.address, bob.address, allowanceExpiry);
    });

    it("holds within the allowance, accumulating holds, and returns min(credit validity, expiry - 1)", async function () {
      const { ledger, spender, carol, bob, allowanceExpiry } = await loadFixture(holdsFixture);
      const asOf = await now();
      const receipt = await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 60n * CREDIT, asOf),
        await callStep(
          ledger,
          ledger.interface.encodeFunctionData("remainingAllowance", [carol.address, bob.address]),
        ),
        await callStep(ledger, ledger.interface.encodeFunctionData("heldCredits", [carol.address])),
        await holdSponsoredStep(carol, bob, 40n * CREDIT, asOf),
      ]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(allowanceExpiry - 1n);
      expect(callResultUint(spender, receipt, 1)).to.equal(40n * CREDIT);
      expect(callResultUint(spender, receipt, 2)).to.equal(60n * CREDIT);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 60n * CREDIT, asOf),
          await holdSponsoredStep(carol, bob, 41n * CREDIT, asOf),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 40n * CREDIT, 41n * CREDIT);
    });

    it("returns the sponsor's credit validity when a grant it relies on expires before the allowance", async function () {
      const { ledger, spender, issuer, dave, bob } = await loadFixture(holdsFixture);
      const t = await now();
      await ledger.connect(issuer).grant(dave, 10n * CREDIT, t + 5n * DAY);
      await ledger.connect(dave).setAllowance(bob, 10n * CREDIT, Number(DAY), t + 10n * DAY);
      const receipt = await runSteps(spender, [
        await holdSponsoredStep(dave, bob, 10n * CREDIT, await now()),
      ]);
      expect(heldValidUntils(spender, receipt).get(0)).to.equal(t + 5n * DAY - 1n);
    });

    it("reverts when the sponsor's credits do not cover the hold", async function () {
      const { ledger, spender, dave, bob } = await loadFixture(holdsFixture);
      await ledger.connect(dave).setAllowance(bob, 10n * CREDIT, Number(DAY), (await now()) + DAY);
      await expect(spender.run([await holdSponsoredStep(dave, bob, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(dave.address, 0n, 1n);
    });

    it("counts what was spent in the epoch of asOf, and not what was spent in an earlier epoch", async function () {
      const { ledger, spender, carol, bob, anchor } = await loadFixture(holdsFixture);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 70n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 70n * CREDIT, 70n * CREDIT),
      ]);
      await expect(spender.run([await holdSponsoredStep(carol, bob, 31n * CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 30n * CREDIT, 31n * CREDIT);
      // asOf before the anchor counts as epoch 0 (conservative).
      await expect(spender.run([await holdSponsoredStep(carol, bob, 31n * CREDIT, anchor - 100n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 30n * CREDIT, 31n * CREDIT);
      // In the next epoch the spending no longer counts.
      await time.increaseTo(anchor + DAY);
      await runSteps(spender, [await holdSponsoredStep(carol, bob, 100n * CREDIT, anchor + DAY)]);
    });

    it("counts spending recorded in a later epoch than asOf's (a lagging asOf is conservative)", async function () {
      const { ledger, spender, carol, bob, anchor } = await loadFixture(holdsFixture);
      await time.increaseTo(anchor + DAY + 10n); // epoch 1
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 70n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 70n * CREDIT, 70n * CREDIT),
      ]);
      expect((await ledger.allowance(carol, bob)).usedEpoch).to.equal(1n);
      await expect(spender.run([await holdSponsoredStep(carol, bob, 31n * CREDIT, anchor + 5n)])) // asOf in epoch 0
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 30n * CREDIT, 31n * CREDIT);
    });

    it("sees the allowance holds of every other registered spender", async function () {
      const { ledger, spender, spender2, carol, bob } = await loadFixture(holdsFixture);
      await ledger.addSpender(spender2);
      const asOf = await now();
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 70n * CREDIT, asOf),
          await nestedRunStep(spender2, [await holdSponsoredStep(carol, bob, 31n * CREDIT, asOf)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 30n * CREDIT, 31n * CREDIT);
      // Self-pay holds of the other spender on the sponsor's credits count against the sponsored hold too.
      await ledger.connect(carol).setAllowance(bob, 2_000n * CREDIT, Number(DAY), asOf + DAY);
      await expect(
        spender.run([
          await holdStep(carol, 990n * CREDIT, asOf),
          await nestedRunStep(spender2, [await holdSponsoredStep(carol, bob, 11n * CREDIT, asOf)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(carol.address, 10n * CREDIT, 11n * CREDIT);
    });
  });

  describe("#settle", function () {
    it("reverts when the caller is not a registered spender, and emits no CreditsSpent", async function () {
      const { ledger, spender, outsider, alice } = await loadFixture(holdsFixture);
      await expect(ledger.connect(outsider).settle(alice, 0n, 0n, ZeroHash, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(outsider.address);
      // A removed spender is an outsider too.
      await ledger.removeSpender(spender);
      await expect(spender.run([await settleStep(alice, 0n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(await spender.getAddress());
    });

    it("reverts when `held` is zero, with or without a hold of the caller on the account", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await settleStep(alice, 0n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), alice.address);
      await expect(spender.run([await holdStep(alice, 10n, await now()), await settleStep(alice, 0n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), alice.address);
    });

    it("reverts when the caller holds nothing on the account", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await settleStep(alice, 10n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), alice.address);
    });

    it("reverts when the caller holds less than `held` on the account", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(alice, 10n, await now()), await settleStep(alice, 11n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerHoldTooSmall")
        .withArgs(alice.address, 10n, 11n);
    });

    it("reverts when the charge exceeds `held`", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(alice, 10n, await now()), await settleStep(alice, 10n, 11n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerChargeExceedsHold")
        .withArgs(11n, 10n);
    });

    it("cannot settle another spender's hold", async function () {
      const { ledger, spender, spender2, alice } = await loadFixture(holdsFixture);
      await ledger.addSpender(spender2);
      await expect(
        spender.run([
          await holdStep(alice, 10n, await now()),
          await nestedRunStep(spender2, [await settleStep(alice, 10n, 10n)]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender2.getAddress(), alice.address);
    });

    it("burns soonest-expiring grants first, purchased credits last, and releases the whole hold", async function () {
      const { ledger, spender, alice, E1, E2 } = await loadFixture(holdsFixture);
      const steps = [
        await holdStep(alice, 100n * CREDIT, await now()),
        await settleStep(alice, 100n * CREDIT, 45n * CREDIT),
        await callStep(ledger, ledger.interface.encodeFunctionData("heldCredits", [alice.address])),
        await holdStep(alice, 40n * CREDIT, await now()),
        await settleStep(alice, 40n * CREDIT, 40n * CREDIT),
      ];
      const tx = spender.run(steps);
      await expect(tx)
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          alice.address,
          alice.address,
          await spender.getAddress(),
          45n * CREDIT,
          grantsTakenWord(45n * CREDIT, 15n * CREDIT, E1, E2), // E1 emptied, 15 from E2
          stepRef(1),
          stepData(1),
        )
        .and.to.emit(ledger, "CreditsSpent")
        .withArgs(
          alice.address,
          alice.address,
          await spender.getAddress(),
          40n * CREDIT,
          grantsTakenWord(25n * CREDIT, 25n * CREDIT, E2, E2), // what was left of E2, then 15 purchased
          stepRef(4),
          stepData(4),
        );
      const receipt = await (await tx).wait();
      expect(callResultUint(spender, receipt!, 2)).to.equal(0n);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 35n * CREDIT,
        grants: [],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalBurned()).to.equal(85n * CREDIT);
    });

    it("takes part of a bucket and keeps the later buckets in order", async function () {
      const { ledger, spender, alice, E1, E2 } = await loadFixture(holdsFixture);
      await runSteps(spender, [
        await holdStep(alice, 10n * CREDIT, await now()),
        await settleStep(alice, 10n * CREDIT, 10n * CREDIT),
      ]);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 50n * CREDIT,
        grants: [
          { amount: 20n * CREDIT, expiresAt: E1 },
          { amount: 40n * CREDIT, expiresAt: E2 },
        ],
        held: 0n,
        expiredUnswept: 0n,
      });
    });

    it("emits CreditsSpent with a zero charge and changes no balance", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      await expect(spender.run([await holdStep(alice, 10n, await now()), await settleStep(alice, 10n, 0n)]))
        .to.emit(ledger, "CreditsSpent")
        .withArgs(alice.address, alice.address, await spender.getAddress(), 0n, 0n, stepRef(1), stepData(1));
      expect(await ledger.balanceOfCredits(alice)).to.equal(120n * CREDIT);
      expect(await ledger.totalBurned()).to.equal(0n);
    });

    it("keeps working while paused (only new holds stop)", async function () {
      const { ledger, spender, alice, E1 } = await loadFixture(holdsFixture);
      await ledger.grantRole(GUARDIAN_ROLE, spender);
      await expect(
        spender.run([
          await holdStep(alice, 10n * CREDIT, await now()),
          await callStep(ledger, ledger.interface.encodeFunctionData("pause")),
          await settleStep(alice, 10n * CREDIT, 10n * CREDIT),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          alice.address,
          alice.address,
          await spender.getAddress(),
          10n * CREDIT,
          grantsTakenWord(10n * CREDIT, 10n * CREDIT, E1, E1),
          stepRef(2),
          stepData(2),
        );
      expect(await ledger.paused()).to.equal(true);
    });

    it("skips (does not sweep) buckets that expired by block.timestamp; they stay expired-unswept", async function () {
      const { ledger, spender, alice, E1, E2 } = await loadFixture(holdsFixture);
      await atNextBlock(E1 + 10n);
      // asOf lags: the E1 bucket still counts for the hold, but settlement runs at E1 + 10: it burns from the live
      // E2 bucket and leaves the expired E1 bucket for a later sweep (constant settlement gas).
      await expect(
        spender.run([
          await holdStep(alice, 10n * CREDIT, E1 - 10n),
          await settleStep(alice, 10n * CREDIT, 10n * CREDIT),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          alice.address,
          alice.address,
          await spender.getAddress(),
          10n * CREDIT,
          grantsTakenWord(10n * CREDIT, 10n * CREDIT, E2, E2), // the expired E1 bucket is skipped
          stepRef(1),
          stepData(1),
        )
        .and.not.to.emit(ledger, "CreditsExpired");
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 50n * CREDIT,
        grants: [{ amount: 30n * CREDIT, expiresAt: E2 }], // live grants only
        held: 0n,
        expiredUnswept: 30n * CREDIT,
      });
      expect(await ledger.totalExpired()).to.equal(0n);
      await expect(ledger.sweepExpired(alice.address))
        .to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, E1, 30n * CREDIT);
      expect(await ledger.totalExpired()).to.equal(30n * CREDIT);
      expect(await ledger.totalBurned()).to.equal(10n * CREDIT);
    });

    it("reverts when the hold relied on credits that expired before settlement (validUntil ignored)", async function () {
      const { ledger, spender, alice, E1, E2 } = await loadFixture(holdsFixture);
      await atNextBlock(E2);
      await expect(
        spender.run([
          await holdStep(alice, 120n * CREDIT, E1 - 100n),
          await settleStep(alice, 120n * CREDIT, 120n * CREDIT),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 50n * CREDIT, 120n * CREDIT);
    });
  });

  describe("#settleSponsored", function () {
    it("reverts when the caller is not a registered spender, and emits no CreditsSpent", async function () {
      const { ledger, outsider, carol, bob } = await loadFixture(holdsFixture);
      await expect(ledger.connect(outsider).settleSponsored(carol, bob, 0n, 0n, ZeroHash, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(outsider.address);
    });

    it("reverts when `held` is zero or the caller holds nothing for the sponsor and beneficiary", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(spender.run([await settleSponsoredStep(carol, bob, 0n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), carol.address);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 10n, await now()),
          await settleSponsoredStep(carol, bob, 0n, 0n),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), carol.address);
      await expect(spender.run([await settleSponsoredStep(carol, bob, 10n, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), carol.address);
    });

    it("burns the sponsor's credits and records the charge as spent in the current epoch", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 60n * CREDIT, await now()),
          await settleSponsoredStep(carol, bob, 60n * CREDIT, 45n * CREDIT),
          await holdSponsoredStep(carol, bob, 55n * CREDIT, await now()),
          await settleSponsoredStep(carol, bob, 55n * CREDIT, 5n * CREDIT),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          carol.address,
          bob.address,
          await spender.getAddress(),
          45n * CREDIT,
          0n,
          stepRef(1),
          stepData(1),
        );
      const a = await ledger.allowance(carol, bob);
      expect([a.used, a.usedEpoch]).to.deep.equal([50n * CREDIT, 0n]);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(50n * CREDIT);
      expect(await ledger.balanceOfCredits(carol)).to.equal(950n * CREDIT);
      expect(await ledger.totalBurned()).to.equal(50n * CREDIT);
    });

    it("starts a new count in a new epoch", async function () {
      const { ledger, spender, carol, bob, anchor } = await loadFixture(holdsFixture);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 60n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 60n * CREDIT, 60n * CREDIT),
      ]);
      await atNextBlock(anchor + 2n * DAY + 5n);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 30n * CREDIT, anchor + 2n * DAY),
        await settleSponsoredStep(carol, bob, 30n * CREDIT, 30n * CREDIT),
      ]);
      const a = await ledger.allowance(carol, bob);
      expect([a.used, a.usedEpoch]).to.deep.equal([30n * CREDIT, 2n]);
    });

    it("reverts when the caller's allowance hold is smaller than `held`", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 10n, await now()),
          await settleSponsoredStep(carol, bob, 11n, 0n),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerHoldTooSmall")
        .withArgs(carol.address, 10n, 11n);
    });

    it("reverts when the caller's credit hold on the sponsor was already released by a plain settle", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 10n, await now()),
          await settleStep(carol, 10n, 0n),
          await settleSponsoredStep(carol, bob, 10n, 10n),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), carol.address);
    });

    it("reverts when the charge exceeds `held`", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 10n, await now()),
          await settleSponsoredStep(carol, bob, 10n, 11n),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerChargeExceedsHold")
        .withArgs(11n, 10n);
    });

    it("records nothing for a zero charge", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(holdsFixture);
      await expect(
        spender.run([
          await holdSponsoredStep(carol, bob, 10n, await now()),
          await settleSponsoredStep(carol, bob, 10n, 0n),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(carol.address, bob.address, await spender.getAddress(), 0n, 0n, stepRef(1), stepData(1));
      expect((await ledger.allowance(carol, bob)).used).to.equal(0n);
    });

    it("does not revert when the sponsor reduced and revoked the allowance after the hold", async function () {
      const f = await loadFixture(holdsFixture);
      const { ledger, spender, bob } = f;
      // The TestSpender contract is also the sponsor here, so it can change its allowance inside the transaction.
      await buyWithUsdc(f, f.admin, spender, 100n * CREDIT);
      const setData = ledger.interface.encodeFunctionData("setAllowance", [
        bob.address,
        100n * CREDIT,
        Number(DAY),
        (await now()) + DAY,
      ]);
      await runSteps(spender, [await callStep(ledger, setData)]);
      const reduce = ledger.interface.encodeFunctionData("setAllowance", [
        bob.address,
        50n * CREDIT,
        Number(DAY),
        (await now()) + DAY,
      ]);
      const revoke = ledger.interface.encodeFunctionData("revokeAllowance", [bob.address]);
      await expect(
        spender.run([
          await holdSponsoredStep(spender, bob, 80n * CREDIT, await now()),
          await callStep(ledger, reduce),
          await callStep(ledger, revoke),
          await settleSponsoredStep(spender, bob, 80n * CREDIT, 80n * CREDIT),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          await spender.getAddress(),
          bob.address,
          await spender.getAddress(),
          80n * CREDIT,
          0n,
          stepRef(3),
          stepData(3),
        );
      const a = await ledger.allowance(spender, bob);
      expect([a.limit, a.used]).to.deep.equal([0n, 80n * CREDIT]);
      expect(await ledger.remainingAllowance(spender, bob)).to.equal(0n);
    });
  });

  describe("views", function () {
    it("balanceOfCredits excludes expired grants; spendableCredits also excludes holds", async function () {
      const { ledger, alice, E1 } = await loadFixture(holdsFixture);
      expect(await ledger.balanceOfCredits(alice)).to.equal(120n * CREDIT);
      await time.increaseTo(E1);
      expect(await ledger.balanceOfCredits(alice)).to.equal(90n * CREDIT);
      expect(await ledger.spendableCredits(alice)).to.equal(90n * CREDIT);
    });

    it("heldCredits is zero outside a transaction and with no spender registered", async function () {
      const { ledger, spender, alice } = await loadFixture(holdsFixture);
      expect(await ledger.heldCredits(alice)).to.equal(0n);
      await ledger.removeSpender(spender);
      expect(await ledger.heldCredits(alice)).to.equal(0n);
      expect(await ledger.spendableCredits(alice)).to.equal(120n * CREDIT);
    });
  });
});
