import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  CREDIT,
  DAY,
  UINT32_MAX,
  atNextBlock,
  buyWithUsdc,
  deployLedgerFixture,
  holdSponsoredStep,
  now,
  runSteps,
  settleSponsoredStep,
} from "../helpers/ledger";

/** carol sponsors: 1,000 purchased credits. */
async function sponsorFixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.carol, f.carol, 1_000n * CREDIT);
  return f;
}

describe("CreditLedger: sponsorship allowances", function () {
  describe("#setAllowance", function () {
    it("sets a per-epoch allowance starting a new epoch now", async function () {
      const { ledger, carol, bob } = await loadFixture(sponsorFixture);
      const t = (await now()) + 5n;
      await atNextBlock(t);
      await expect(ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), t + 30n * DAY))
        .to.emit(ledger, "AllowanceSet")
        .withArgs(carol.address, bob.address, 100n * CREDIT, DAY, t + 30n * DAY, 0n);
      const a = await ledger.allowance(carol, bob);
      expect([a.limit, a.used, a.epochLength, a.anchor, a.usedEpoch, a.expiresAt]).to.deep.equal([
        100n * CREDIT,
        0n,
        DAY,
        t,
        0n,
        t + 30n * DAY,
      ]);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(100n * CREDIT);
    });

    it("never resets what was spent in the current epoch when the allowance changes (carried into the new one)", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(sponsorFixture);
      const expiresAt = (await now()) + 30n * DAY;
      await ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), expiresAt);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 30n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 30n * CREDIT, 30n * CREDIT),
      ]);
      // Raising the allowance keeps the 30 spent.
      await expect(ledger.connect(carol).setAllowance(bob, 200n * CREDIT, Number(DAY), expiresAt))
        .to.emit(ledger, "AllowanceSet")
        .withArgs(carol.address, bob.address, 200n * CREDIT, DAY, expiresAt, 30n * CREDIT);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(170n * CREDIT);
      // Lowering it below what was spent leaves nothing (no underflow), and a hold is refused.
      await ledger.connect(carol).setAllowance(bob, 20n * CREDIT, Number(2n * DAY), expiresAt);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
      await expect(spender.run([await holdSponsoredStep(carol, bob, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAllowanceExceeded")
        .withArgs(carol.address, bob.address, 0n, 1n);
      // Revoking and setting again does not reset it either.
      await ledger.connect(carol).revokeAllowance(bob);
      await expect(ledger.connect(carol).setAllowance(bob, 50n * CREDIT, Number(DAY), expiresAt))
        .to.emit(ledger, "AllowanceSet")
        .withArgs(carol.address, bob.address, 50n * CREDIT, DAY, expiresAt, 30n * CREDIT);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(20n * CREDIT);
    });

    it("carries nothing once the epoch of the spending is over", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(sponsorFixture);
      const expiresAt = (await now()) + 30n * DAY;
      await ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), expiresAt);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 30n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 30n * CREDIT, 30n * CREDIT),
      ]);
      await time.increase(DAY);
      await expect(ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), expiresAt))
        .to.emit(ledger, "AllowanceSet")
        .withArgs(carol.address, bob.address, 100n * CREDIT, DAY, expiresAt, 0n);
    });

    it("reverts for the zero beneficiary, a zero amount or a zero epoch length", async function () {
      const { ledger, carol, bob } = await loadFixture(sponsorFixture);
      const expiresAt = (await now()) + DAY;
      await expect(
        ledger.connect(carol).setAllowance(ethers.ZeroAddress, 1n, 1, expiresAt),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAddress");
      await expect(ledger.connect(carol).setAllowance(bob, 0n, 1, expiresAt)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAmount",
      );
      await expect(ledger.connect(carol).setAllowance(bob, 1n, 0, expiresAt)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroEpochLength",
      );
    });

    it("reverts for an expiry at or before now, or beyond uint32", async function () {
      const { ledger, carol, bob } = await loadFixture(sponsorFixture);
      const t = (await now()) + 10n;
      await atNextBlock(t);
      await expect(ledger.connect(carol).setAllowance(bob, 1n, 1, t))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidExpiry")
        .withArgs(t, t);
      await atNextBlock(t + 1n);
      await expect(ledger.connect(carol).setAllowance(bob, 1n, 1, UINT32_MAX + 1n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidExpiry")
        .withArgs(UINT32_MAX + 1n, t + 1n);
    });
  });

  describe("#revokeAllowance", function () {
    it("revokes at once: holds are refused and nothing remains", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(sponsorFixture);
      await ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), (await now()) + DAY);
      await expect(ledger.connect(carol).revokeAllowance(bob))
        .to.emit(ledger, "AllowanceRevoked")
        .withArgs(carol.address, bob.address);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
      expect((await ledger.allowance(carol, bob)).limit).to.equal(0n);
      await expect(spender.run([await holdSponsoredStep(carol, bob, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoAllowance")
        .withArgs(carol.address, bob.address);
    });

    it("reverts when there is no allowance", async function () {
      const { ledger, carol, bob } = await loadFixture(sponsorFixture);
      await expect(ledger.connect(carol).revokeAllowance(bob))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoAllowance")
        .withArgs(carol.address, bob.address);
    });
  });

  describe("#remainingAllowance", function () {
    it("is zero without an allowance and after expiry, and full again in a new epoch", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(sponsorFixture);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
      const t = await now();
      await ledger.connect(carol).setAllowance(bob, 100n * CREDIT, Number(DAY), t + 3n * DAY);
      await runSteps(spender, [
        await holdSponsoredStep(carol, bob, 100n * CREDIT, await now()),
        await settleSponsoredStep(carol, bob, 100n * CREDIT, 100n * CREDIT),
      ]);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
      await time.increase(DAY);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(100n * CREDIT);
      await time.increaseTo(t + 3n * DAY);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
    });
  });
});
