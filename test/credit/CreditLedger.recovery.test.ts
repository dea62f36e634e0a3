import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  atNextBlock,
  breakdown,
  buyWithUsdc,
  callStep,
  CREDIT,
  DAY,
  deployLedgerFixture,
  holdSponsoredStep,
  holdStep,
  now,
  RECOVERY_ROLE,
  runSteps,
  settleSponsoredStep,
  settleStep,
  stepData,
  stepRef,
  tokenIdOf,
} from "../helpers/ledger";

/** alice: 40 purchased, 10 granted until t + 1 day, 20 granted until t + 10 days. */
async function recoveryFixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.alice, f.alice, 40n * CREDIT);
  const t = await now();
  await f.ledger.connect(f.issuer).grant(f.alice, 10n * CREDIT, t + DAY);
  await f.ledger.connect(f.issuer).grant(f.alice, 20n * CREDIT, t + 10n * DAY);
  return { ...f, t };
}

describe("CreditLedger: recovery", function () {
  describe("#initiateRecovery", function () {
    it("starts a recovery executable after the delay (RECOVERY_ROLE)", async function () {
      const { ledger, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      const at = (await now()) + 7n;
      await atNextBlock(at);
      await expect(ledger.connect(recoverer).initiateRecovery(alice, bob))
        .to.emit(ledger, "RecoveryInitiated")
        .withArgs(alice.address, bob.address, at + 3n * DAY, recoverer.address);
      expect(await ledger.pendingRecovery(alice)).to.deep.equal([bob.address, at + 3n * DAY]);
    });

    it("is also open to the admin, and a new initiation replaces the pending one", async function () {
      const { ledger, admin, recoverer, alice, bob, carol } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      const at = (await now()) + 5n;
      await atNextBlock(at);
      await expect(ledger.connect(admin).initiateRecovery(alice, carol))
        .to.emit(ledger, "RecoveryInitiated")
        .withArgs(alice.address, carol.address, at + 3n * DAY, admin.address);
      expect((await ledger.pendingRecovery(alice))[0]).to.equal(carol.address);
    });

    it("reverts for a caller with neither RECOVERY_ROLE nor DEFAULT_ADMIN_ROLE", async function () {
      const { ledger, issuer, alice, bob } = await loadFixture(recoveryFixture);
      await expect(ledger.connect(issuer).initiateRecovery(alice, bob))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(issuer.address, RECOVERY_ROLE);
    });

    it("reverts for the zero target or the account itself", async function () {
      const { ledger, recoverer, alice } = await loadFixture(recoveryFixture);
      await expect(ledger.connect(recoverer).initiateRecovery(alice, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidRecoveryTarget")
        .withArgs(alice.address, ethers.ZeroAddress);
      await expect(ledger.connect(recoverer).initiateRecovery(alice, alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidRecoveryTarget")
        .withArgs(alice.address, alice.address);
    });

    it("reverts when the account does not exist", async function () {
      const { ledger, recoverer, dave, bob } = await loadFixture(recoveryFixture);
      await expect(ledger.connect(recoverer).initiateRecovery(dave, bob))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoAccount")
        .withArgs(dave.address);
    });

    it("reverts when the target was itself recovered (a recovered address is retired)", async function () {
      const { ledger, recoverer, alice, bob, carol } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      await ledger.executeRecovery(alice);
      await expect(ledger.connect(recoverer).initiateRecovery(bob, alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAccountRecovered")
        .withArgs(alice.address, bob.address);
      // bob may still be recovered to a fresh address.
      await expect(ledger.connect(recoverer).initiateRecovery(bob, carol)).to.emit(
        ledger,
        "RecoveryInitiated",
      );
    });

    it("reverts when the target has credits", async function () {
      const f = await loadFixture(recoveryFixture);
      await buyWithUsdc(f, f.bob, f.bob, 1n);
      await expect(f.ledger.connect(f.recoverer).initiateRecovery(f.alice, f.bob))
        .to.be.revertedWithCustomError(f.ledger, "CreditLedgerRecoveryTargetNotEmpty")
        .withArgs(f.bob.address);
    });
  });

  describe("#cancelRecovery", function () {
    it("lets the old key cancel during the delay", async function () {
      const { ledger, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await expect(ledger.connect(alice).cancelRecovery())
        .to.emit(ledger, "RecoveryCancelled")
        .withArgs(alice.address, bob.address);
      expect(await ledger.pendingRecovery(alice)).to.deep.equal([ethers.ZeroAddress, 0n]);
      await time.increase(3n * DAY);
      await expect(ledger.executeRecovery(alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoRecovery")
        .withArgs(alice.address);
    });

    it("reverts when no recovery of the caller is pending", async function () {
      const { ledger, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await expect(ledger.connect(bob).cancelRecovery())
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoRecovery")
        .withArgs(bob.address);
    });
  });

  describe("#executeRecovery", function () {
    it("moves every credit to the new address after the delay: old token burned, new one minted locked", async function () {
      const { ledger, recoverer, alice, bob, outsider, t } = await loadFixture(recoveryFixture);
      const before = await breakdown(ledger, alice);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      const readyAt = (await ledger.pendingRecovery(alice))[1];
      await atNextBlock(readyAt);
      // The 1-day grant expired meanwhile: it is swept, not moved.
      await expect(ledger.connect(outsider).executeRecovery(alice))
        .to.emit(ledger, "RecoveryExecuted")
        .withArgs(alice.address, bob.address, 40n * CREDIT, 20n * CREDIT)
        .and.to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + DAY, 10n * CREDIT)
        .and.to.emit(ledger, "Transfer")
        .withArgs(alice.address, ethers.ZeroAddress, tokenIdOf(alice.address))
        .and.to.emit(ledger, "Transfer")
        .withArgs(ethers.ZeroAddress, bob.address, tokenIdOf(bob.address))
        .and.to.emit(ledger, "Locked")
        .withArgs(tokenIdOf(bob.address));
      expect(before.grants.length).to.equal(2);
      expect(await breakdown(ledger, bob)).to.deep.equal({
        purchased: 40n * CREDIT,
        grants: [{ amount: 20n * CREDIT, expiresAt: t + 10n * DAY }],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await breakdown(ledger, alice)).to.deep.equal({
        purchased: 0n,
        grants: [],
        held: 0n,
        expiredUnswept: 0n,
      });
      await expect(ledger.ownerOf(tokenIdOf(alice.address)))
        .to.be.revertedWithCustomError(ledger, "ERC721NonexistentToken")
        .withArgs(tokenIdOf(alice.address));
      expect(await ledger.ownerOf(tokenIdOf(bob.address))).to.equal(bob.address);
      expect(await ledger.pendingRecovery(alice)).to.deep.equal([ethers.ZeroAddress, 0n]);
      expect(await ledger.totalExpired()).to.equal(10n * CREDIT);
      expect(await ledger.totalIssued()).to.equal(70n * CREDIT);
    });

    it("keeps the target's existing (empty) token and moves all four buckets", async function () {
      const { ledger, issuer, recoverer, alice, bob, t } = await loadFixture(recoveryFixture);
      await ledger.connect(issuer).grant(alice, 1n, t + 11n * DAY);
      await ledger.connect(issuer).grant(alice, 2n, t + 12n * DAY);
      await time.increaseTo(t + DAY); // the 1-day bucket expires and is swept by the next grant
      await ledger.connect(issuer).grant(alice, 3n, t + 13n * DAY);
      await ledger.connect(bob).openAccount();
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      await expect(ledger.executeRecovery(alice)).not.to.emit(ledger, "Locked");
      expect((await breakdown(ledger, bob)).grants).to.deep.equal([
        { amount: 20n * CREDIT, expiresAt: t + 10n * DAY },
        { amount: 1n, expiresAt: t + 11n * DAY },
        { amount: 2n, expiresAt: t + 12n * DAY },
        { amount: 3n, expiresAt: t + 13n * DAY },
      ]);
      expect(await ledger.balanceOf(bob)).to.equal(1n);
    });

    it("recovers an account without credits", async function () {
      const { ledger, recoverer, dave, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(dave).openAccount();
      await ledger.connect(recoverer).initiateRecovery(dave, bob);
      await time.increase(3n * DAY);
      await expect(ledger.executeRecovery(dave))
        .to.emit(ledger, "RecoveryExecuted")
        .withArgs(dave.address, bob.address, 0n, 0n);
      expect(await ledger.ownerOf(tokenIdOf(bob.address))).to.equal(bob.address);
    });

    it("reverts before the delay has passed", async function () {
      const { ledger, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      const readyAt = (await ledger.pendingRecovery(alice))[1];
      await atNextBlock(readyAt - 1n);
      await expect(ledger.executeRecovery(alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerRecoveryNotReady")
        .withArgs(alice.address, readyAt);
    });

    it("reverts when nothing is pending", async function () {
      const { ledger, alice } = await loadFixture(recoveryFixture);
      await expect(ledger.executeRecovery(alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoRecovery")
        .withArgs(alice.address);
    });

    it("reverts when the target received credits during the delay", async function () {
      const f = await loadFixture(recoveryFixture);
      await f.ledger.connect(f.recoverer).initiateRecovery(f.alice, f.bob);
      await f.ledger.connect(f.issuer).grant(f.bob, 1n, (await now()) + 30n * DAY);
      await time.increase(3n * DAY);
      await expect(f.ledger.executeRecovery(f.alice))
        .to.be.revertedWithCustomError(f.ledger, "CreditLedgerRecoveryTargetNotEmpty")
        .withArgs(f.bob.address);
    });

    it("ends every allowance given to the old address: holdSponsored reverts with CreditLedgerAccountRecovered", async function () {
      const f = await loadFixture(recoveryFixture);
      const { ledger, spender, recoverer, alice, bob, carol, dave } = f;
      // Two sponsors gave alice an allowance; carol's was used once before the recovery.
      await buyWithUsdc(f, carol, carol, 100n * CREDIT);
      await buyWithUsdc(f, dave, dave, 100n * CREDIT);
      const expiry = (await now()) + 30n * DAY;
      await ledger.connect(carol).setAllowance(alice, 10n * CREDIT, Number(DAY), expiry);
      await ledger.connect(dave).setAllowance(alice, 10n * CREDIT, Number(DAY), expiry);
      await runSteps(spender, [await holdSponsoredStep(carol, alice, CREDIT, await now())]);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      await ledger.executeRecovery(alice);

      for (const sponsor of [carol, dave]) {
        await expect(spender.run([await holdSponsoredStep(sponsor, alice, CREDIT, await now())]))
          .to.be.revertedWithCustomError(ledger, "CreditLedgerAccountRecovered")
          .withArgs(alice.address, bob.address);
        expect(await ledger.remainingAllowance(sponsor, alice)).to.equal(0n);
      }
      // The sponsor's credits are untouched; a new allowance for the new address works at once.
      expect(await ledger.balanceOfCredits(carol)).to.equal(100n * CREDIT);
      await ledger.connect(carol).setAllowance(bob, 10n * CREDIT, Number(DAY), expiry);
      await runSteps(spender, [await holdSponsoredStep(carol, bob, CREDIT, await now())]);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(10n * CREDIT);
    });

    it("lets no sponsor give the old address a new allowance: setAllowance reverts with CreditLedgerAccountRecovered", async function () {
      const { ledger, recoverer, alice, bob, carol } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      await ledger.executeRecovery(alice);
      await expect(ledger.connect(carol).setAllowance(alice, 10n * CREDIT, Number(DAY), (await now()) + DAY))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAccountRecovered")
        .withArgs(alice.address, bob.address);
      // Revoking what is left stays possible (a no-op for spending).
      await ledger.connect(carol).setAllowance(bob, 10n * CREDIT, Number(DAY), (await now()) + DAY);
      await expect(ledger.connect(carol).revokeAllowance(bob))
        .to.emit(ledger, "AllowanceRevoked")
        .withArgs(carol.address, bob.address);
      expect(await ledger.remainingAllowance(carol, bob)).to.equal(0n);
    });

    it("records where the account went (recoveredTo), and nothing before the execution", async function () {
      const { ledger, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      expect(await ledger.recoveredTo(alice)).to.equal(ethers.ZeroAddress);
      await time.increase(3n * DAY);
      await ledger.executeRecovery(alice);
      expect(await ledger.recoveredTo(alice)).to.equal(bob.address);
      expect(await ledger.recoveredTo(bob)).to.equal(ethers.ZeroAddress);
    });

    it("reverts when the target was recovered itself during the delay", async function () {
      const { ledger, recoverer, alice, bob, carol } = await loadFixture(recoveryFixture);
      await ledger.connect(bob).openAccount();
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await ledger.connect(recoverer).initiateRecovery(bob, carol);
      await time.increase(3n * DAY);
      await ledger.executeRecovery(bob);
      await expect(ledger.executeRecovery(alice))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAccountRecovered")
        .withArgs(bob.address, carol.address);
    });

    it("still settles a sponsored hold placed before the recovery in the same transaction", async function () {
      const f = await loadFixture(recoveryFixture);
      const { ledger, spender, recoverer, alice, bob, carol } = f;
      await buyWithUsdc(f, carol, carol, 100n * CREDIT);
      await ledger.connect(carol).setAllowance(alice, 10n * CREDIT, Number(DAY), (await now()) + 30n * DAY);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      const execute = ledger.interface.encodeFunctionData("executeRecovery", [alice.address]);
      // As in a bundle: validation holds, the user's call executes the recovery, postOp settles.
      await expect(
        spender.run([
          await holdSponsoredStep(carol, alice, 2n * CREDIT, await now()),
          await callStep(ledger, execute),
          await settleSponsoredStep(carol, alice, 2n * CREDIT, CREDIT),
        ]),
      )
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          carol.address,
          alice.address,
          await spender.getAddress(),
          CREDIT,
          0n,
          stepRef(2),
          stepData(2),
        );
      expect(await ledger.recoveredTo(alice)).to.equal(bob.address);
      expect((await ledger.allowance(carol, alice)).used).to.equal(CREDIT);
    });

    it("cannot take credits held in the same transaction", async function () {
      const { ledger, spender, recoverer, alice, bob } = await loadFixture(recoveryFixture);
      await ledger.connect(recoverer).initiateRecovery(alice, bob);
      await time.increase(3n * DAY);
      const execute = ledger.interface.encodeFunctionData("executeRecovery", [alice.address]);
      await expect(
        spender.run([await holdStep(alice, 5n * CREDIT, await now()), await callStep(ledger, execute)]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerRecoveryBlockedByHolds")
        .withArgs(alice.address, 5n * CREDIT);
      // Once the hold is settled (same transaction), the recovery goes through with what is left.
      await runSteps(spender, [
        await holdStep(alice, 5n * CREDIT, await now()),
        await settleStep(alice, 5n * CREDIT, 5n * CREDIT),
        await callStep(ledger, execute),
      ]);
      expect(await ledger.balanceOfCredits(bob)).to.equal(55n * CREDIT);
    });
  });
});
