import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  CREDIT,
  DAY,
  DEFAULT_ADMIN_ROLE,
  ISSUER_ROLE,
  UINT32_MAX,
  UINT64_MAX,
  atNextBlock,
  breakdown,
  buyWithUsdc,
  callStep,
  deployLedgerFixture,
  holdStep,
  now,
  runSteps,
  settleStep,
  tokenIdOf,
} from "../helpers/ledger";

describe("CreditLedger: grants", function () {
  describe("#grant", function () {
    it("grants expiring credits, opening the account, and counts them as issued", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const expiresAt = (await now()) + 30n * DAY;
      await expect(ledger.connect(issuer).grant(alice, 25n * CREDIT, expiresAt))
        .to.emit(ledger, "CreditsGranted")
        .withArgs(alice.address, issuer.address, 25n * CREDIT, expiresAt)
        .and.to.emit(ledger, "Locked")
        .withArgs(tokenIdOf(alice.address));
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [{ amount: 25n * CREDIT, expiresAt }],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalIssued()).to.equal(25n * CREDIT);
      expect(await ledger.balanceOfCredits(alice)).to.equal(25n * CREDIT);
    });

    it("merges a grant with the same expiry and keeps buckets sorted by expiry", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const t = await now();
      await ledger.connect(issuer).grant(alice, 3n, t + 30n * DAY);
      await ledger.connect(issuer).grant(alice, 1n, t + 10n * DAY);
      await ledger.connect(issuer).grant(alice, 2n, t + 20n * DAY);
      await ledger.connect(issuer).grant(alice, 5n, t + 20n * DAY);
      await ledger.connect(issuer).grant(alice, 4n, t + 40n * DAY);
      expect((await breakdown(ledger, alice)).grants).to.deep.equal([
        { amount: 1n, expiresAt: t + 10n * DAY },
        { amount: 7n, expiresAt: t + 20n * DAY },
        { amount: 3n, expiresAt: t + 30n * DAY },
        { amount: 4n, expiresAt: t + 40n * DAY },
      ]);
      // A fifth expiry earlier than all others has no bucket.
      await expect(ledger.connect(issuer).grant(alice, 1n, t + 5n * DAY))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTooManyGrantBuckets")
        .withArgs(alice.address);
      // ... nor one later than all others; but an existing expiry still merges.
      await expect(ledger.connect(issuer).grant(alice, 1n, t + 50n * DAY))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTooManyGrantBuckets")
        .withArgs(alice.address);
      await ledger.connect(issuer).grant(alice, 6n, t + 40n * DAY);
      expect((await breakdown(ledger, alice)).grants[3]).to.deep.equal({
        amount: 10n,
        expiresAt: t + 40n * DAY,
      });
    });

    it("reuses the bucket of an expired grant after sweeping it", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const t = await now();
      for (const d of [10n, 20n, 30n, 40n]) await ledger.connect(issuer).grant(alice, d, t + d * DAY);
      await atNextBlock(t + 20n * DAY);
      await expect(ledger.connect(issuer).grant(alice, 50n, t + 50n * DAY))
        .to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + 10n * DAY, 10n)
        .and.to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + 20n * DAY, 20n);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [
          { amount: 30n, expiresAt: t + 30n * DAY },
          { amount: 40n, expiresAt: t + 40n * DAY },
          { amount: 50n, expiresAt: t + 50n * DAY },
        ],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalExpired()).to.equal(30n);
      expect(await ledger.totalIssued()).to.equal(150n);
    });

    it("reverts for a zero amount", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      await expect(
        ledger.connect(issuer).grant(alice, 0n, (await now()) + DAY),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
    });

    it("reverts for an expiry at or before now, or beyond uint32", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const t = (await now()) + 100n;
      await atNextBlock(t);
      await expect(ledger.connect(issuer).grant(alice, 1n, t))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidExpiry")
        .withArgs(t, t);
      await atNextBlock(t + 1n);
      await expect(ledger.connect(issuer).grant(alice, 1n, UINT32_MAX + 1n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidExpiry")
        .withArgs(UINT32_MAX + 1n, t + 1n);
      await expect(ledger.connect(issuer).grant(alice, 1n, UINT32_MAX))
        .to.emit(ledger, "CreditsGranted")
        .withArgs(alice.address, issuer.address, 1n, UINT32_MAX);
    });

    it("reverts for a caller without ISSUER_ROLE", async function () {
      const { ledger, outsider, alice } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).grant(alice, 1n, (await now()) + DAY))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ISSUER_ROLE);
    });

    it("reverts while paused", async function () {
      const { ledger, issuer, guardian, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(guardian).pause();
      await expect(
        ledger.connect(issuer).grant(alice, 1n, (await now()) + DAY),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPaused");
    });

    it("reverts for the zero account", async function () {
      const { ledger, issuer } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(issuer).grant(ethers.ZeroAddress, 1n, (await now()) + DAY))
        .to.be.revertedWithCustomError(ledger, "ERC721InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });

    it("enforces the issuer's cap per epoch, with the remaining and requested amounts", async function () {
      const { ledger, admin, outsider, alice } = await loadFixture(deployLedgerFixture);
      await ledger.grantRole(ISSUER_ROLE, outsider);
      const expiresAt = (await now()) + 90n * DAY;
      // Without a cap an issuer cannot grant at all.
      await expect(ledger.connect(outsider).grant(alice, 1n, expiresAt))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerIssuerCapExceeded")
        .withArgs(outsider.address, 0n, 1n);
      await ledger.connect(admin).setIssuerCap(outsider, 100n, Number(7n * DAY));
      const anchor = await now();
      await ledger.connect(outsider).grant(alice, 60n, expiresAt);
      expect(await ledger.remainingIssuance(outsider)).to.equal(40n);
      await expect(ledger.connect(outsider).grant(alice, 41n, expiresAt))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerIssuerCapExceeded")
        .withArgs(outsider.address, 40n, 41n);
      await ledger.connect(outsider).grant(alice, 40n, expiresAt);
      expect(await ledger.remainingIssuance(outsider)).to.equal(0n);
      // The next epoch starts fresh.
      await time.increaseTo(anchor + 7n * DAY);
      expect(await ledger.remainingIssuance(outsider)).to.equal(100n);
      await ledger.connect(outsider).grant(alice, 100n, expiresAt);
      const cap = await ledger.issuerCap(outsider);
      expect([cap.limit, cap.used, cap.epochLength, cap.anchor, cap.usedEpoch, cap.expiresAt]).to.deep.equal([
        100n,
        100n,
        7n * DAY,
        anchor,
        1n,
        UINT32_MAX,
      ]);
    });

    it("reverts when a merged bucket would exceed uint64", async function () {
      const { ledger, admin, issuer, outsider, alice } = await loadFixture(deployLedgerFixture);
      await ledger.grantRole(ISSUER_ROLE, outsider);
      await ledger.connect(admin).setIssuerCap(issuer, UINT64_MAX, Number(DAY));
      await ledger.connect(admin).setIssuerCap(outsider, UINT64_MAX, Number(DAY));
      const expiresAt = (await now()) + DAY;
      await ledger.connect(issuer).grant(alice, UINT64_MAX, expiresAt);
      await expect(ledger.connect(outsider).grant(alice, 1n, expiresAt))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerBalanceOverflow")
        .withArgs(alice.address, UINT64_MAX, 1n);
    });
  });

  describe("#setIssuerCap", function () {
    it("sets the cap, carrying what the issuer already issued in the current epoch", async function () {
      const { ledger, admin, issuer, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(admin).setIssuerCap(issuer, 1_000n, Number(DAY));
      await ledger.connect(issuer).grant(alice, 600n, (await now()) + 10n * DAY);
      const t = (await now()) + 10n;
      await atNextBlock(t);
      await expect(ledger.connect(admin).setIssuerCap(issuer, 800n, Number(2n * DAY)))
        .to.emit(ledger, "IssuerCapSet")
        .withArgs(issuer.address, 800n, 2n * DAY, 600n);
      expect(await ledger.remainingIssuance(issuer)).to.equal(200n);
      const cap = await ledger.issuerCap(issuer);
      expect([cap.limit, cap.used, cap.epochLength, cap.anchor, cap.usedEpoch]).to.deep.equal([
        800n,
        600n,
        2n * DAY,
        t,
        0n,
      ]);
      // Lowering the cap below what was issued leaves nothing this epoch (and never underflows).
      await ledger.connect(admin).setIssuerCap(issuer, 100n, Number(DAY));
      expect(await ledger.remainingIssuance(issuer)).to.equal(0n);
      // A zero cap stops the issuer.
      await time.increase(2n * DAY);
      await ledger.connect(admin).setIssuerCap(issuer, 0n, Number(DAY));
      await expect(ledger.connect(issuer).grant(alice, 1n, (await now()) + DAY))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerIssuerCapExceeded")
        .withArgs(issuer.address, 0n, 1n);
    });

    it("reverts for the zero issuer or a zero epoch length", async function () {
      const { ledger, admin, issuer } = await loadFixture(deployLedgerFixture);
      await expect(
        ledger.connect(admin).setIssuerCap(ethers.ZeroAddress, 1n, 1),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAddress");
      await expect(ledger.connect(admin).setIssuerCap(issuer, 1n, 0)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroEpochLength",
      );
    });

    it("reverts for a caller without DEFAULT_ADMIN_ROLE", async function () {
      const { ledger, issuer } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(issuer).setIssuerCap(issuer, 1n, 1))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(issuer.address, DEFAULT_ADMIN_ROLE);
    });

    it("reports zero remaining issuance for an issuer without a cap", async function () {
      const { ledger, outsider } = await loadFixture(deployLedgerFixture);
      expect(await ledger.remainingIssuance(outsider)).to.equal(0n);
    });
  });

  describe("#revokeGrant", function () {
    async function revokeFixture() {
      const f = await deployLedgerFixture();
      const t = await now();
      for (const d of [10n, 20n, 30n])
        await f.ledger.connect(f.issuer).grant(f.alice, d * CREDIT, t + d * DAY);
      await buyWithUsdc(f, f.alice, f.alice, 5n * CREDIT);
      return { ...f, t };
    }

    it("revokes exactly the amount from the bucket with that expiry, recording the reason", async function () {
      const { ledger, issuer, alice, t } = await loadFixture(revokeFixture);
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 20n * DAY, 5n * CREDIT, 7))
        .to.emit(ledger, "GrantRevoked")
        .withArgs(alice.address, issuer.address, t + 20n * DAY, 5n * CREDIT, 7);
      expect((await breakdown(ledger, alice)).grants).to.deep.equal([
        { amount: 10n * CREDIT, expiresAt: t + 10n * DAY },
        { amount: 15n * CREDIT, expiresAt: t + 20n * DAY },
        { amount: 30n * CREDIT, expiresAt: t + 30n * DAY },
      ]);
      expect(await ledger.totalRevoked()).to.equal(5n * CREDIT);
    });

    it("removes an emptied bucket and keeps the others in order", async function () {
      const { ledger, issuer, alice, t } = await loadFixture(revokeFixture);
      await ledger.connect(issuer).revokeGrant(alice, t + 20n * DAY, 20n * CREDIT, 1);
      await ledger.connect(issuer).revokeGrant(alice, t + 10n * DAY, 10n * CREDIT, 1);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 5n * CREDIT,
        grants: [{ amount: 30n * CREDIT, expiresAt: t + 30n * DAY }],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalRevoked()).to.equal(30n * CREDIT);
    });

    it("reverts when the bucket holds less than the amount, or does not exist", async function () {
      const { ledger, issuer, alice, t } = await loadFixture(revokeFixture);
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 20n * DAY, 20n * CREDIT + 1n, 1))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerGrantTooSmall")
        .withArgs(alice.address, t + 20n * DAY, 20n * CREDIT, 20n * CREDIT + 1n);
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 25n * DAY, 1n, 1))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerGrantTooSmall")
        .withArgs(alice.address, t + 25n * DAY, 0n, 1n);
    });

    it("treats an expired bucket as gone (it is swept, not revoked)", async function () {
      const { ledger, issuer, alice, t } = await loadFixture(revokeFixture);
      await time.increaseTo(t + 10n * DAY);
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 10n * DAY, 1n, 1))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerGrantTooSmall")
        .withArgs(alice.address, t + 10n * DAY, 0n, 1n);
      // A revocation that succeeds also sweeps.
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 20n * DAY, 1n, 1))
        .to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + 10n * DAY, 10n * CREDIT);
      expect(await ledger.totalExpired()).to.equal(10n * CREDIT);
    });

    it("cannot take credits held in the same transaction", async function () {
      const { ledger, spender, alice, t } = await loadFixture(revokeFixture);
      await ledger.grantRole(ISSUER_ROLE, spender);
      const revoke = (amount: bigint) =>
        ledger.interface.encodeFunctionData("revokeGrant", [alice.address, t + 30n * DAY, amount, 9]);
      // 65 credits live; 50 held: only 15 of the 30-credit bucket are revocable.
      await expect(
        spender.run([
          await holdStep(alice, 50n * CREDIT, await now()),
          await callStep(ledger, revoke(16n * CREDIT)),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerGrantTooSmall")
        .withArgs(alice.address, t + 30n * DAY, 15n * CREDIT, 16n * CREDIT);
      // Revoking 15 leaves exactly the held 50, and the settlement still finds them.
      await runSteps(spender, [
        await holdStep(alice, 50n * CREDIT, await now()),
        await callStep(ledger, revoke(15n * CREDIT)),
        await settleStep(alice, 50n * CREDIT, 50n * CREDIT),
      ]);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [],
        held: 0n,
        expiredUnswept: 0n,
      });
    });

    it("reverts for a zero amount", async function () {
      const { ledger, issuer, alice, t } = await loadFixture(revokeFixture);
      await expect(
        ledger.connect(issuer).revokeGrant(alice, t + 10n * DAY, 0n, 1),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
    });

    it("reverts for a caller without ISSUER_ROLE", async function () {
      const { ledger, outsider, alice, t } = await loadFixture(revokeFixture);
      await expect(ledger.connect(outsider).revokeGrant(alice, t + 10n * DAY, 1n, 1))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ISSUER_ROLE);
    });

    it("works while paused", async function () {
      const { ledger, issuer, guardian, alice, t } = await loadFixture(revokeFixture);
      await ledger.connect(guardian).pause();
      await expect(ledger.connect(issuer).revokeGrant(alice, t + 10n * DAY, 1n, 1)).to.emit(
        ledger,
        "GrantRevoked",
      );
    });
  });

  describe("#sweepExpired", function () {
    it("moves expired grants to totalExpired, callable by anyone, and returns the amount", async function () {
      const { ledger, issuer, alice, outsider } = await loadFixture(deployLedgerFixture);
      const t = await now();
      await ledger.connect(issuer).grant(alice, 10n, t + DAY);
      await ledger.connect(issuer).grant(alice, 20n, t + 2n * DAY);
      await ledger.connect(issuer).grant(alice, 30n, t + 3n * DAY);
      await time.increaseTo(t + 2n * DAY);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [{ amount: 30n, expiresAt: t + 3n * DAY }],
        held: 0n,
        expiredUnswept: 30n,
      });
      expect(await ledger.connect(outsider).sweepExpired.staticCall(alice)).to.equal(30n);
      await expect(ledger.connect(outsider).sweepExpired(alice))
        .to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + DAY, 10n)
        .and.to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + 2n * DAY, 20n);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [{ amount: 30n, expiresAt: t + 3n * DAY }],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalExpired()).to.equal(30n);
    });

    it("sweeps all four buckets", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const t = await now();
      for (const d of [1n, 2n, 3n, 4n]) await ledger.connect(issuer).grant(alice, d, t + d * DAY);
      await time.increaseTo(t + 4n * DAY);
      await ledger.sweepExpired(alice);
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.totalExpired()).to.equal(10n);
    });

    it("does nothing when nothing expired", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(issuer).grant(alice, 10n, (await now()) + DAY);
      await expect(ledger.sweepExpired(alice)).not.to.emit(ledger, "CreditsExpired");
      expect(await ledger.sweepExpired.staticCall(alice)).to.equal(0n);
      expect(await ledger.totalExpired()).to.equal(0n);
    });
  });
});
