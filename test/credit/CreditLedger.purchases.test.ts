import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { TestReentrantToken__factory } from "../../typechain-types";
import {
  CREDIT,
  DAY,
  PRICE_WAD,
  UINT64_MAX,
  atNextBlock,
  breakdown,
  creditsForWei,
  deployLedgerFixture,
  now,
  tokenIdOf,
} from "../helpers/ledger";

describe("CreditLedger: purchases", function () {
  describe("#buyCredits", function () {
    it("credits the buyer at the adapter's live price, opens the account and pays the treasury", async function () {
      const { ledger, alice, treasury } = await loadFixture(deployLedgerFixture);
      const value = ethers.parseEther("0.01");
      const credits = creditsForWei(value); // 0.01 ETH * 3000 = 30 units
      expect(credits).to.equal(30n * CREDIT);
      const tx = ledger.connect(alice).buyCredits(alice, { value });
      await expect(tx)
        .to.emit(ledger, "CreditsPurchased")
        .withArgs(alice.address, alice.address, ethers.ZeroAddress, value, credits)
        .and.to.emit(ledger, "Locked")
        .withArgs(tokenIdOf(alice.address));
      await expect(tx).to.changeEtherBalances([alice, treasury, ledger], [-value, value, 0n]);
      expect(await ledger.balanceOfCredits(alice)).to.equal(credits);
      expect(await ledger.totalIssued()).to.equal(credits);
      expect(await ledger.ownerOf(tokenIdOf(alice.address))).to.equal(alice.address);
    });

    it("returns the credits bought", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      expect(await ledger.connect(alice).buyCredits.staticCall(alice, { value: 10n ** 15n })).to.equal(
        3n * CREDIT,
      );
    });

    it("lets a dApp buy for a user, adding to an existing account without minting again", async function () {
      const { ledger, alice, bob } = await loadFixture(deployLedgerFixture);
      await ledger.connect(bob).openAccount();
      const value = ethers.parseEther("0.002");
      await expect(ledger.connect(alice).buyCredits(bob, { value }))
        .to.emit(ledger, "CreditsPurchased")
        .withArgs(bob.address, alice.address, ethers.ZeroAddress, value, 6n * CREDIT)
        .and.not.to.emit(ledger, "Locked");
      await ledger.connect(alice).buyCredits(bob, { value });
      expect(await breakdown(ledger, bob)).to.deep.equal({
        purchased: 12n * CREDIT,
        grants: [],
        held: 0n,
        expiredUnswept: 0n,
      });
      expect(await ledger.balanceOfCredits(alice)).to.equal(0n);
    });

    it("deposits the ETH to the paymaster's EntryPoint deposit in deposit mode", async function () {
      const { ledger, alice, admin, entryPoint, outsider } = await loadFixture(deployLedgerFixture);
      await ledger.connect(admin).setEthDestination(entryPoint, outsider);
      const value = ethers.parseEther("0.5");
      const tx = ledger.connect(alice).buyCredits(alice, { value });
      await expect(tx).to.emit(entryPoint, "Deposited").withArgs(outsider.address, value);
      await expect(tx).to.changeEtherBalances([alice, entryPoint], [-value, value]);
      expect(await entryPoint.balanceOf(outsider)).to.equal(value);
      expect(await ledger.balanceOfCredits(alice)).to.equal(1_500n * CREDIT);
    });

    it("uses the price at the time of purchase", async function () {
      const { ledger, adapter, alice } = await loadFixture(deployLedgerFixture);
      await adapter.setPrice(PRICE_WAD / 2n);
      await ledger.connect(alice).buyCredits(alice, { value: ethers.parseEther("0.01") });
      expect(await ledger.balanceOfCredits(alice)).to.equal(15n * CREDIT);
    });

    it("fails closed with the adapter's error when the price is stale", async function () {
      const { ledger, adapter, alice } = await loadFixture(deployLedgerFixture);
      await adapter.setStale(true);
      await expect(ledger.connect(alice).buyCredits(alice, { value: 10n ** 18n }))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await adapter.getAddress(), 1n, 3600n);
      expect(await ledger.totalIssued()).to.equal(0n);
    });

    it("reverts below the minimum purchase, and for zero credits", async function () {
      const { ledger, alice, admin } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(alice).buyCredits(alice, { value: 0n }))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPurchaseTooSmall")
        .withArgs(0n, 0n);
      await expect(ledger.connect(alice).buyCredits(alice, { value: 10n ** 8n })) // 0.3 raw credits: rounds down to 0
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPurchaseTooSmall")
        .withArgs(0n, 0n);
      await ledger.connect(admin).setMinPurchase(5n * CREDIT);
      await expect(ledger.connect(alice).buyCredits(alice, { value: ethers.parseEther("0.001") }))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPurchaseTooSmall")
        .withArgs(3n * CREDIT, 5n * CREDIT);
      await expect(ledger.connect(alice).buyCredits(alice, { value: ethers.parseEther("0.002") })).to.emit(
        ledger,
        "CreditsPurchased",
      );
    });

    it("reverts while paused", async function () {
      const { ledger, alice, guardian } = await loadFixture(deployLedgerFixture);
      await ledger.connect(guardian).pause();
      await expect(
        ledger.connect(alice).buyCredits(alice, { value: 10n ** 18n }),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPaused");
    });

    it("reverts for the zero account", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      await expect(ledger.connect(alice).buyCredits(ethers.ZeroAddress, { value: 10n ** 18n }))
        .to.be.revertedWithCustomError(ledger, "ERC721InvalidReceiver")
        .withArgs(ethers.ZeroAddress);
    });

    it("reverts when the purchased balance would exceed uint64", async function () {
      const { ledger, adapter, alice } = await loadFixture(deployLedgerFixture);
      await adapter.setPrice(UINT64_MAX * 10n ** 30n); // 1 wei buys type(uint64).max credits
      await ledger.connect(alice).buyCredits(alice, { value: 1n });
      await expect(ledger.connect(alice).buyCredits(alice, { value: 1n }))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerBalanceOverflow")
        .withArgs(alice.address, UINT64_MAX, UINT64_MAX);
    });

    it("sweeps the account's expired grants", async function () {
      const { ledger, issuer, alice } = await loadFixture(deployLedgerFixture);
      const t = await now();
      await ledger.connect(issuer).grant(alice, 7n * CREDIT, t + DAY);
      await atNextBlock(t + DAY);
      await expect(ledger.connect(alice).buyCredits(alice, { value: 10n ** 15n }))
        .to.emit(ledger, "CreditsExpired")
        .withArgs(alice.address, t + DAY, 7n * CREDIT);
      expect(await ledger.totalExpired()).to.equal(7n * CREDIT);
      expect((await breakdown(ledger, alice)).expiredUnswept).to.equal(0n);
    });
  });

  describe("#buyCreditsWithToken", function () {
    it("credits a 6-decimal stablecoin 1:1 and sends the tokens to the treasury", async function () {
      const { ledger, usdc, alice, treasury } = await loadFixture(deployLedgerFixture);
      await usdc.mint(alice, 100n * CREDIT);
      await usdc.connect(alice).approve(ledger, 100n * CREDIT);
      const tx = ledger.connect(alice).buyCreditsWithToken(alice, usdc, 100n * CREDIT);
      await expect(tx)
        .to.emit(ledger, "CreditsPurchased")
        .withArgs(alice.address, alice.address, await usdc.getAddress(), 100n * CREDIT, 100n * CREDIT);
      await expect(tx).to.changeTokenBalances(
        usdc,
        [alice, treasury, ledger],
        [-100n * CREDIT, 100n * CREDIT, 0n],
      );
      expect(await ledger.balanceOfCredits(alice)).to.equal(100n * CREDIT);
      expect(await ledger.totalIssued()).to.equal(100n * CREDIT);
    });

    it("scales an 18-decimal stablecoin and buys for another account", async function () {
      const { ledger, dai, alice, bob } = await loadFixture(deployLedgerFixture);
      const amount = ethers.parseEther("2.5");
      await dai.mint(alice, amount);
      await dai.connect(alice).approve(ledger, amount);
      expect(await ledger.connect(alice).buyCreditsWithToken.staticCall(bob, dai, amount)).to.equal(
        2_500_000n,
      );
      await expect(ledger.connect(alice).buyCreditsWithToken(bob, dai, amount))
        .to.emit(ledger, "CreditsPurchased")
        .withArgs(bob.address, alice.address, await dai.getAddress(), amount, 2_500_000n);
      expect(await ledger.balanceOfCredits(bob)).to.equal(2_500_000n);
    });

    it("credits a fee-on-transfer token by the amount the treasury received", async function () {
      const { ledger, feeToken, alice, treasury } = await loadFixture(deployLedgerFixture);
      await feeToken.mint(alice, 100n * CREDIT);
      await feeToken.connect(alice).approve(ledger, 100n * CREDIT);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, feeToken, 100n * CREDIT))
        .to.emit(ledger, "CreditsPurchased")
        .withArgs(alice.address, alice.address, await feeToken.getAddress(), 99n * CREDIT, 99n * CREDIT);
      expect(await feeToken.balanceOf(treasury)).to.equal(99n * CREDIT);
      expect(await ledger.balanceOfCredits(alice)).to.equal(99n * CREDIT);
    });

    it("values a stablecoin above its peg at the peg and below its peg at its price", async function () {
      const { ledger, adapter, usdc, alice } = await loadFixture(deployLedgerFixture);
      await usdc.mint(alice, 200n * CREDIT);
      await usdc.connect(alice).approve(ledger, 200n * CREDIT);
      await adapter.setStablecoin(usdc, 6, 105n * 10n ** 16n); // 1.05
      await ledger.connect(alice).buyCreditsWithToken(alice, usdc, 100n * CREDIT);
      await adapter.setStablecoin(usdc, 6, 98n * 10n ** 16n); // 0.98
      await ledger.connect(alice).buyCreditsWithToken(alice, usdc, 100n * CREDIT);
      expect(await ledger.balanceOfCredits(alice)).to.equal(198n * CREDIT);
    });

    it("reverts for a token that is not an allowlisted stablecoin", async function () {
      const { ledger, adapter, usdc, alice } = await loadFixture(deployLedgerFixture);
      await adapter.removeStablecoin(usdc);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, 1n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnsupportedToken")
        .withArgs(await usdc.getAddress());
    });

    it("fails closed with the adapter's error when the price is stale", async function () {
      const { ledger, adapter, usdc, alice } = await loadFixture(deployLedgerFixture);
      await usdc.mint(alice, CREDIT);
      await usdc.connect(alice).approve(ledger, CREDIT);
      await adapter.setStale(true);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, CREDIT))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await adapter.getAddress(), 1n, 3600n);
      expect(await usdc.balanceOf(alice)).to.equal(CREDIT);
    });

    it("reverts below the minimum purchase", async function () {
      const { ledger, usdc, alice, admin } = await loadFixture(deployLedgerFixture);
      await ledger.connect(admin).setMinPurchase(5n * CREDIT);
      await usdc.mint(alice, 4n * CREDIT);
      await usdc.connect(alice).approve(ledger, 4n * CREDIT);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, 4n * CREDIT))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPurchaseTooSmall")
        .withArgs(4n * CREDIT, 5n * CREDIT);
    });

    it("reverts when the buyer has not approved the ledger", async function () {
      const { ledger, usdc, alice } = await loadFixture(deployLedgerFixture);
      await usdc.mint(alice, CREDIT);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, CREDIT))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
        .withArgs(await ledger.getAddress(), 0n, CREDIT);
    });

    it("reverts while paused", async function () {
      const { ledger, usdc, alice, guardian } = await loadFixture(deployLedgerFixture);
      await ledger.connect(guardian).pause();
      await expect(
        ledger.connect(alice).buyCreditsWithToken(alice, usdc, CREDIT),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPaused");
    });

    for (const reenterWithToken of [false, true]) {
      it(`blocks re-entry from the token into ${reenterWithToken ? "buyCreditsWithToken" : "buyCredits"}`, async function () {
        const { ledger, adapter, alice, admin } = await loadFixture(deployLedgerFixture);
        const token = await new TestReentrantToken__factory(admin).deploy(ledger);
        await token.setReenterWithToken(reenterWithToken);
        await adapter.setStablecoin(token, 6, 10n ** 18n);
        await token.mint(alice, CREDIT);
        await token.connect(alice).approve(ledger, CREDIT);
        await expect(
          ledger.connect(alice).buyCreditsWithToken(alice, token, CREDIT),
        ).to.be.revertedWithCustomError(ledger, "ReentrancyGuardReentrantCall");
      });
    }
  });
});
