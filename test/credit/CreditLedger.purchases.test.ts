import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setCode, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  CreditLedger__factory,
  MockV3Aggregator__factory,
  TestERC20__factory,
  TestReentrantToken__factory,
} from "../../typechain-types";
import { creditsForGasCost } from "../../src/client";
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
import { deployPriceAdapter } from "../helpers/system";

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

  describe("with the PriceAdapter: every purchase refreshes the cached price (O10)", function () {
    const WAD = 10n ** 18n;
    const HEARTBEAT = 3_600;
    const LIVE = 3_300n * WAD; // the feed after a +10% move; the cache still says $3000

    /**
     * The real PriceAdapter over a Chainlink mock ETH/USD feed ($3,000, heartbeat 1 h, cache refreshed) and a
     * USDC/USD feed ($1, heartbeat 1 day), a ledger over it, and a buyer holding USDC approved to the ledger.
     */
    async function realAdapterFixture() {
      const [admin, treasury, alice] = await ethers.getSigners();
      const { feed, adapter } = await deployPriceAdapter(admin, admin);
      const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
      const usdc = await new TestERC20__factory(admin).deploy("USD Coin", "USDC", 6);
      const usdcUsd = await new MockV3Aggregator__factory(admin).deploy(8, 10n ** 8n);
      await adapter.setStablecoinFeed(usdc, {
        feed: usdcUsd,
        heartbeat: 86_400,
        minAnswer: 5n * 10n ** 7n,
        maxAnswer: 2n * 10n ** 8n,
      });
      await usdc.mint(alice, 1_000n * CREDIT);
      await usdc.connect(alice).approve(ledger, ethers.MaxUint256);
      return { ledger, adapter, feed, usdc, usdcUsd, alice, treasury };
    }

    /** Moves the ETH/USD feed by +10% without refreshing the cache. */
    async function moveUp10(fx: Awaited<ReturnType<typeof realAdapterFixture>>): Promise<void> {
      await fx.feed.updateAnswer(3_300n * 10n ** 8n);
      expect((await fx.adapter.cachedPrice())[0]).to.equal(PRICE_WAD);
      expect(await fx.adapter.nativePrice()).to.equal(LIVE);
    }

    it("#buyCredits after a +10% move refreshes the cache to the live price and credits wei × live / 1e30", async function () {
      const fx = await loadFixture(realAdapterFixture);
      const { ledger, adapter, alice } = fx;
      await moveUp10(fx);
      const value = 123_456_789_012_345n;
      const credits = (value * LIVE) / 10n ** 30n;
      const timestamp = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(timestamp);
      await expect(ledger.connect(alice).buyCredits(alice, { value }))
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(LIVE, timestamp, false)
        .and.to.emit(ledger, "CreditsPurchased")
        .withArgs(alice.address, alice.address, ethers.ZeroAddress, value, credits);
      expect(await adapter.cachedPrice()).to.deep.equal([LIVE, BigInt(timestamp)]);
      expect(await ledger.balanceOfCredits(alice)).to.equal(credits);
    });

    it("#buyCreditsWithToken after a +10% move refreshes the cache to the live ETH price", async function () {
      const fx = await loadFixture(realAdapterFixture);
      const { ledger, adapter, usdc, usdcUsd, alice } = fx;
      await moveUp10(fx);
      await usdcUsd.updateAnswer(99n * 10n ** 6n); // $0.99
      const timestamp = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(timestamp);
      await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, 100n * CREDIT))
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(LIVE, timestamp, false)
        .and.to.emit(ledger, "CreditsPurchased")
        .withArgs(alice.address, alice.address, await usdc.getAddress(), 100n * CREDIT, 99n * CREDIT);
      expect(await adapter.cachedPrice()).to.deep.equal([LIVE, BigInt(timestamp)]);
    });

    it("leaves no buy-at-live/spend-at-cache spread right after a purchase, after moves up and down", async function () {
      const { ledger, adapter, feed, usdc, alice } = await loadFixture(realAdapterFixture);
      const value = ethers.parseEther("0.01");
      for (const [usd, buy] of [
        [3_300n, "eth"],
        [2_700n, "eth"],
        [3_600n, "token"],
        [3_000n, "token"],
      ] as const) {
        await feed.updateAnswer(usd * 10n ** 8n);
        const before = await ledger.balanceOfCredits(alice);
        if (buy === "eth") await ledger.connect(alice).buyCredits(alice, { value });
        else await ledger.connect(alice).buyCreditsWithToken(alice, usdc, CREDIT);
        const [cached] = await adapter.cachedPrice();
        expect(cached, `cache after a ${buy} purchase at $${usd}`).to.equal(await adapter.nativePrice());
        expect(cached).to.equal(usd * WAD);
        if (buy === "eth") {
          // What `value` wei bought equals what `value` wei of gas costs at the paymaster's price (markup aside).
          const bought = (await ledger.balanceOfCredits(alice)) - before;
          expect(bought).to.equal(creditsForGasCost(value, cached, 10_000n));
        }
      }
    });

    for (const [failure, breakFeed, error] of [
      ["a stale", async () => time.increase(HEARTBEAT + 1), "PriceAdapterStalePrice"],
      [
        "an unavailable (shut down)",
        async (feed: string) => setCode(feed, "0x"),
        "PriceAdapterFeedUnavailable",
      ],
    ] as const) {
      it(`${failure} ETH feed makes both purchase kinds revert with the adapter's error, leaving balances and the cache unchanged`, async function () {
        const { ledger, adapter, feed, usdc, alice, treasury } = await loadFixture(realAdapterFixture);
        await ledger.connect(alice).buyCredits(alice, { value: ethers.parseEther("0.01") });
        const feedAddress = await feed.getAddress();
        const updatedAt = await feed.latestTimestamp();
        const cached = await adapter.cachedPrice();
        const credits = await ledger.balanceOfCredits(alice);
        const tokens = await usdc.balanceOf(alice);
        const treasuryEth = await ethers.provider.getBalance(treasury);
        await breakFeed(feedAddress);
        const args = error === "PriceAdapterStalePrice" ? [feedAddress, updatedAt, HEARTBEAT] : [feedAddress];
        await expect(ledger.connect(alice).buyCredits(alice, { value: ethers.parseEther("0.01") }))
          .to.be.revertedWithCustomError(adapter, error)
          .withArgs(...args);
        await expect(ledger.connect(alice).buyCreditsWithToken(alice, usdc, CREDIT))
          .to.be.revertedWithCustomError(adapter, error)
          .withArgs(...args);
        expect(await adapter.cachedPrice()).to.deep.equal(cached);
        expect(await ledger.balanceOfCredits(alice)).to.equal(credits);
        expect(await ledger.totalIssued()).to.equal(credits);
        expect(await usdc.balanceOf(alice)).to.equal(tokens);
        expect(await ethers.provider.getBalance(treasury)).to.equal(treasuryEth);
      });
    }
  });
});
