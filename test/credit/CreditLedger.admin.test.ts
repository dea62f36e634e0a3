import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { MockPriceAdapter__factory, TestSpender__factory } from "../../typechain-types";
import {
  CREDIT,
  DEFAULT_ADMIN_ROLE,
  GUARDIAN_ROLE,
  buyWithUsdc,
  callStep,
  deployLedgerFixture,
  holdStep,
  nestedRunStep,
  now,
  runSteps,
  settleStep,
} from "../helpers/ledger";

describe("CreditLedger: administration", function () {
  describe("#addSpender", function () {
    it("registers spenders in a ring of at most four", async function () {
      const { ledger, admin, spender, spender2 } = await loadFixture(deployLedgerFixture);
      const s3 = await new TestSpender__factory(admin).deploy(ledger);
      const s4 = await new TestSpender__factory(admin).deploy(ledger);
      const s5 = await new TestSpender__factory(admin).deploy(ledger);
      await expect(ledger.addSpender(spender2))
        .to.emit(ledger, "SpenderAdded")
        .withArgs(await spender2.getAddress());
      await ledger.addSpender(s3);
      await ledger.addSpender(s4);
      expect(await ledger.isSpender(s4)).to.equal(true);
      expect(new Set(await ledger.spenders())).to.deep.equal(
        new Set([spender, spender2, s3, s4].map((s) => s.target.toString())),
      );
      await expect(ledger.addSpender(s5))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTooManySpenders")
        .withArgs(4n);
      expect(await ledger.isSpender(s5)).to.equal(false);
    });

    it("reverts for a spender already registered or the zero address", async function () {
      const { ledger, spender } = await loadFixture(deployLedgerFixture);
      await expect(ledger.addSpender(spender))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerSpenderAlreadyAdded")
        .withArgs(await spender.getAddress());
      await expect(ledger.addSpender(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
    });

    it("reverts for a caller without DEFAULT_ADMIN_ROLE", async function () {
      const { ledger, outsider, spender2 } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).addSpender(spender2))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });
  });

  describe("#removeSpender", function () {
    it("removes the head, a middle and the last spender, keeping the ring intact", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { ledger, admin, spender, spender2, alice } = f;
      const s3 = await new TestSpender__factory(admin).deploy(ledger);
      await ledger.addSpender(spender2);
      await ledger.addSpender(s3);
      await buyWithUsdc(f, alice, alice, 10n * CREDIT);
      await expect(ledger.removeSpender(spender))
        .to.emit(ledger, "SpenderRemoved")
        .withArgs(await spender.getAddress());
      expect(await ledger.isSpender(spender)).to.equal(false);
      expect(new Set(await ledger.spenders())).to.deep.equal(new Set([spender2.target, s3.target]));
      await expect(spender.run([await holdStep(alice, 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(await spender.getAddress());
      // The two remaining spenders still see each other's holds.
      await expect(
        spender2.run([
          await holdStep(alice, 6n * CREDIT, await now()),
          await nestedRunStep(s3, [await holdStep(alice, 5n * CREDIT, await now())]),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(alice.address, 4n * CREDIT, 5n * CREDIT);
      await ledger.removeSpender(s3);
      expect(await ledger.spenders()).to.deep.equal([spender2.target]);
      await ledger.removeSpender(spender2);
      expect(await ledger.spenders()).to.deep.equal([]);
      await ledger.addSpender(spender);
      expect(await ledger.spenders()).to.deep.equal([spender.target]);
      await runSteps(spender, [await holdStep(alice, 10n * CREDIT, await now())]);
    });

    it("keeps what a removed spender burned in totalBurned, so the conservation equation still holds", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { ledger, spender, spender2, alice } = f;
      await ledger.addSpender(spender2);
      await buyWithUsdc(f, alice, alice, 100n * CREDIT);
      await runSteps(spender, [
        await holdStep(alice, 40n * CREDIT, await now()),
        await settleStep(alice, 40n * CREDIT, 30n * CREDIT),
      ]);
      await runSteps(spender2, [
        await holdStep(alice, 20n * CREDIT, await now()),
        await settleStep(alice, 20n * CREDIT, 20n * CREDIT),
      ]);
      const conserved = async () => {
        const [issued, burned, expired, revoked, balance] = await Promise.all([
          ledger.totalIssued(),
          ledger.totalBurned(),
          ledger.totalExpired(),
          ledger.totalRevoked(),
          ledger.balanceOfCredits(alice),
        ]);
        expect(issued).to.equal(balance + burned + expired + revoked, "conservation");
        return burned;
      };
      expect(await conserved()).to.equal(50n * CREDIT);
      await ledger.removeSpender(spender);
      expect(await conserved()).to.equal(50n * CREDIT, "the removed spender's 30 credits stay burned");
      await ledger.removeSpender(spender2);
      expect(await conserved()).to.equal(50n * CREDIT, "and so do the last spender's 20");
      // A spender added again starts from nothing: nothing is counted twice.
      await ledger.addSpender(spender);
      await runSteps(spender, [
        await holdStep(alice, 5n * CREDIT, await now()),
        await settleStep(alice, 5n * CREDIT, 5n * CREDIT),
      ]);
      expect(await conserved()).to.equal(55n * CREDIT);
    });

    it("removes a spender that is not the head of the ring", async function () {
      const { ledger, spender, spender2 } = await loadFixture(deployLedgerFixture);
      await ledger.addSpender(spender2);
      await ledger.removeSpender(spender2);
      expect(await ledger.spenders()).to.deep.equal([spender.target]);
    });

    it("reverts when the spender placed a hold in the same transaction", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { ledger, spender, alice } = f;
      await buyWithUsdc(f, alice, alice, 10n * CREDIT);
      await ledger.grantRole(DEFAULT_ADMIN_ROLE, spender);
      const remove = ledger.interface.encodeFunctionData("removeSpender", [await spender.getAddress()]);
      await expect(
        spender.run([
          await holdStep(alice, 1n, await now()),
          await settleStep(alice, 1n, 1n),
          await callStep(ledger, remove),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerSpenderHasHolds")
        .withArgs(await spender.getAddress());
      // In a transaction without holds it can be removed.
      await runSteps(spender, [await callStep(ledger, remove)]);
      expect(await ledger.isSpender(spender)).to.equal(false);
    });

    it("reverts for an unknown spender", async function () {
      const { ledger, spender2 } = await loadFixture(deployLedgerFixture);
      await expect(ledger.removeSpender(spender2))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerSpenderNotFound")
        .withArgs(await spender2.getAddress());
    });

    it("reverts for a caller without DEFAULT_ADMIN_ROLE", async function () {
      const { ledger, outsider, spender } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(outsider).removeSpender(spender))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });
  });

  describe("#pause / #unpause", function () {
    it("the guardian pauses and the admin unpauses, with events", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { ledger, guardian, admin, spender, alice } = f;
      await buyWithUsdc(f, alice, alice, 10n * CREDIT);
      await expect(ledger.connect(guardian).pause())
        .to.emit(ledger, "LedgerPaused")
        .withArgs(guardian.address);
      expect(await ledger.paused()).to.equal(true);
      await expect(spender.run([await holdStep(alice, 1n, await now())])).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerPaused",
      );
      await expect(ledger.connect(admin).unpause()).to.emit(ledger, "LedgerUnpaused").withArgs(admin.address);
      expect(await ledger.paused()).to.equal(false);
      await runSteps(spender, [await holdStep(alice, 1n, await now())]);
    });

    it("a spender added while paused is paused too", async function () {
      const f = await loadFixture(deployLedgerFixture);
      const { ledger, guardian, admin, spender2, alice } = f;
      await buyWithUsdc(f, alice, alice, 10n * CREDIT);
      await ledger.connect(guardian).pause();
      await ledger.connect(admin).addSpender(spender2);
      await expect(spender2.run([await holdStep(alice, 1n, await now())])).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerPaused",
      );
      await ledger.connect(admin).unpause();
      await runSteps(spender2, [await holdStep(alice, 1n, await now())]);
    });

    it("pause reverts when already paused, unpause when not paused", async function () {
      const { ledger, guardian, admin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(admin).unpause()).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerNotPaused",
      );
      await ledger.connect(guardian).pause();
      await expect(ledger.connect(guardian).pause()).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerPaused",
      );
    });

    it("pause needs GUARDIAN_ROLE and unpause DEFAULT_ADMIN_ROLE", async function () {
      const { ledger, guardian, admin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(admin).pause())
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, GUARDIAN_ROLE);
      await ledger.connect(guardian).pause();
      await expect(ledger.connect(guardian).unpause())
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(guardian.address, DEFAULT_ADMIN_ROLE);
    });
  });

  describe("configuration", function () {
    it("#setAdapter sets the adapter with an event; rejects zero and non-admins", async function () {
      const { ledger, admin, outsider } = await loadFixture(deployLedgerFixture);
      const adapter2 = await new MockPriceAdapter__factory(admin).deploy(1n);
      await expect(ledger.setAdapter(adapter2))
        .to.emit(ledger, "AdapterSet")
        .withArgs(await adapter2.getAddress());
      expect(await ledger.adapter()).to.equal(await adapter2.getAddress());
      await expect(ledger.setAdapter(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
      await expect(ledger.connect(outsider).setAdapter(adapter2))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });

    it("#setTreasury sets the treasury with an event; rejects zero and non-admins", async function () {
      const { ledger, outsider, bob } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setTreasury(bob)).to.emit(ledger, "TreasurySet").withArgs(bob.address);
      expect(await ledger.treasury()).to.equal(bob.address);
      await expect(ledger.setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
      await expect(ledger.connect(outsider).setTreasury(bob))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });

    it("#setEthDestination switches between deposit and treasury modes; rejects half-set pairs and non-admins", async function () {
      const { ledger, entryPoint, outsider, bob, alice, treasury } = await loadFixture(deployLedgerFixture);
      const ep = await entryPoint.getAddress();
      expect(await ledger.ethDestination()).to.deep.equal([ethers.ZeroAddress, ethers.ZeroAddress]);
      await expect(ledger.setEthDestination(ep, bob))
        .to.emit(ledger, "EthDestinationSet")
        .withArgs(ep, bob.address);
      expect(await ledger.ethDestination()).to.deep.equal([ep, bob.address]);
      await expect(ledger.setEthDestination(ethers.ZeroAddress, ethers.ZeroAddress))
        .to.emit(ledger, "EthDestinationSet")
        .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
      await expect(ledger.connect(alice).buyCredits(alice, { value: 10n ** 15n })).to.changeEtherBalance(
        treasury,
        10n ** 15n,
      );
      await expect(ledger.setEthDestination(ep, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidEthDestination")
        .withArgs(ep, ethers.ZeroAddress);
      await expect(ledger.setEthDestination(ethers.ZeroAddress, bob))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInvalidEthDestination")
        .withArgs(ethers.ZeroAddress, bob.address);
      await expect(ledger.connect(outsider).setEthDestination(ep, bob))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });

    it("#setMinPurchase sets the minimum with an event; rejects non-admins", async function () {
      const { ledger, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setMinPurchase(7n)).to.emit(ledger, "MinPurchaseSet").withArgs(7n);
      expect(await ledger.minPurchase()).to.equal(7n);
      await expect(ledger.connect(outsider).setMinPurchase(1n))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });

    it("#setRecoveryDelay sets the delay with an event; rejects non-admins", async function () {
      const { ledger, outsider } = await loadFixture(deployLedgerFixture);
      await expect(ledger.setRecoveryDelay(3600)).to.emit(ledger, "RecoveryDelaySet").withArgs(3600n);
      expect(await ledger.recoveryDelay()).to.equal(3600n);
      await expect(ledger.connect(outsider).setRecoveryDelay(1))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
    });
  });
});
