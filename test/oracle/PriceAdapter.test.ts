import { expect } from "chai";
import hre, { ethers, network } from "hardhat";
import { loadFixture, setCode, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Interface } from "ethers";

import { AggregatorV3Interface__factory, IPriceAdapter__factory } from "../../typechain-types";
import type { MockV3Aggregator, PriceAdapter, TestFeed } from "../../typechain-types";
import { answer, deployMockFeed, deployTestFeed, FeedMode, feedConfig, WAD } from "../helpers/priceFeeds";

const DESCRIPTION = "ETH / USD (Compute Credits)";
const HEARTBEAT = 3600;
const FALLBACK_HEARTBEAT = 7200;
const DAY = 86_400;
const GRACE_PERIOD = 3600;
const MAX_DEVIATION_BPS = 200; // 2%
const MIN_GAS_FOR_FEED_CALL = 50_000n;

// Primary ETH/USD feed: 8 decimals, $3000, bounds [$100, $100,000].
const ETH_USD = answer("3000", 8);
const ETH_USD_MIN = answer("100", 8);
const ETH_USD_MAX = answer("100000", 8);
const PRICE_3000 = 3000n * WAD;

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

describe("PriceAdapter", function () {
  async function deployAdapterFixture() {
    const [admin, stranger] = await ethers.getSigners();

    const ethUsd = await deployMockFeed(8, ETH_USD);
    const primary = feedConfig(ethUsd, HEARTBEAT, ETH_USD_MIN, ETH_USD_MAX);
    const adapter = await ethers.deployContract("PriceAdapter", [admin.address, primary, DESCRIPTION]);
    await adapter.waitForDeployment();

    // Fallback ETH/USD feed with 18 decimals, to exercise normalisation as well.
    const fallbackUsd = await deployMockFeed(18, answer("3000", 18));
    const fallback = feedConfig(fallbackUsd, FALLBACK_HEARTBEAT, answer("100", 18), answer("100000", 18));

    const eurUsd = await deployMockFeed(8, answer("1.08", 8));
    const unit = feedConfig(eurUsd, DAY, answer("0.5", 8), answer("2", 8));

    // Sequencer uptime feed: answer 0 = up; the round data is set per test.
    const sequencer = await deployMockFeed(0, 0);

    const testFeed = await deployTestFeed(8);
    const now = await time.latest();
    await testFeed.setRoundData(7, ETH_USD, now, now);

    const usdc = await ethers.deployContract("TestStablecoin", ["USD Coin", "USDC", 6]);
    const dai = await ethers.deployContract("TestStablecoin", ["Dai Stablecoin", "DAI", 18]);
    const usdcUsd = await deployMockFeed(8, answer("1", 8));
    const daiUsd = await deployMockFeed(18, answer("1", 18));
    const usdcConfig = feedConfig(usdcUsd, DAY, answer("0.5", 8), answer("2", 8));
    const daiConfig = feedConfig(daiUsd, DAY, answer("0.5", 18), answer("2", 18));

    return {
      adapter,
      admin,
      stranger,
      ethUsd,
      primary,
      fallbackUsd,
      fallback,
      eurUsd,
      unit,
      sequencer,
      testFeed,
      usdc,
      dai,
      usdcUsd,
      daiUsd,
      usdcConfig,
      daiConfig,
    };
  }

  /** Sets the next block's timestamp to a known value and returns it. */
  async function nextBlockTimestamp(): Promise<number> {
    const timestamp = (await time.latest()) + 10;
    await time.setNextBlockTimestamp(timestamp);
    return timestamp;
  }

  /** Makes `feed` answer `value` with `updatedAt` (and startedAt) in round `roundId`. */
  async function setRound(
    feed: MockV3Aggregator,
    roundId: number,
    value: bigint,
    updatedAt: number,
    startedAt: number = updatedAt,
  ): Promise<void> {
    await feed.updateRoundData(roundId, value, updatedAt, startedAt);
  }

  /** Uses `testFeed` (in Normal mode) as the primary feed, then switches it to `mode`. */
  async function primaryTestFeedIn(adapter: PriceAdapter, testFeed: TestFeed, mode: number): Promise<void> {
    await adapter.setPrimaryFeed(feedConfig(testFeed, HEARTBEAT, ETH_USD_MIN, ETH_USD_MAX));
    await testFeed.setMode(mode);
  }

  describe("#constructor", function () {
    it("grants DEFAULT_ADMIN_ROLE to the admin and nobody else", async function () {
      const { adapter, admin, stranger } = await loadFixture(deployAdapterFixture);
      expect(await adapter.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await adapter.hasRole(DEFAULT_ADMIN_ROLE, stranger.address)).to.equal(false);
    });

    it("stores the primary feed and the description, and emits both settings", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const config = await adapter.primaryFeed();
      expect(config.feed).to.equal(await ethUsd.getAddress());
      expect(config.heartbeat).to.equal(HEARTBEAT);
      expect(config.minAnswer).to.equal(ETH_USD_MIN);
      expect(config.maxAnswer).to.equal(ETH_USD_MAX);
      expect(await adapter.description()).to.equal(DESCRIPTION);
      const deployment = adapter.deploymentTransaction();
      await expect(deployment)
        .to.emit(adapter, "PrimaryFeedSet")
        .withArgs(await ethUsd.getAddress(), HEARTBEAT, ETH_USD_MIN, ETH_USD_MAX);
      await expect(deployment).to.emit(adapter, "DescriptionSet").withArgs(DESCRIPTION);
    });

    it("reverts when the admin is the zero address", async function () {
      const { adapter, primary } = await loadFixture(deployAdapterFixture);
      await expect(ethers.deployContract("PriceAdapter", [ethers.ZeroAddress, primary, DESCRIPTION]))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
        .withArgs("admin");
    });

    it("reverts when the primary feed is invalid", async function () {
      const { adapter, admin } = await loadFixture(deployAdapterFixture);
      const config = feedConfig(ethers.ZeroAddress, HEARTBEAT, ETH_USD_MIN, ETH_USD_MAX);
      await expect(ethers.deployContract("PriceAdapter", [admin.address, config, DESCRIPTION]))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
        .withArgs("feed");
    });
  });

  describe("#nativePrice", function () {
    it("normalises a feed with 8 decimals to 18", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(answer("3000.12345678", 8));
      expect(await adapter.nativePrice()).to.equal(3000_12345678n * 10n ** 10n);
    });

    it("normalises a feed with 6 decimals to 18", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      const feed = await deployMockFeed(6, answer("3000.123456", 6));
      await adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, answer("100", 6), answer("100000", 6)));
      expect(await adapter.nativePrice()).to.equal(3000_123456n * 10n ** 12n);
    });

    it("keeps a feed with 18 decimals as is", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      const feed = await deployMockFeed(18, answer("3000.123456789012345678", 18));
      await adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, answer("100", 18), answer("100000", 18)));
      expect(await adapter.nativePrice()).to.equal(3000_123456789012345678n);
    });

    it("reverts when the answer is zero", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(0);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });

    it("reverts when the answer is negative", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(-1);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), -1);
    });

    it("reverts when updatedAt is zero", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await setRound(ethUsd, 2, ETH_USD, 0);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidTimestamp")
        .withArgs(await ethUsd.getAddress(), 0);
    });

    it("reverts when updatedAt is in the future", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const future = (await time.latest()) + 1000;
      await setRound(ethUsd, 2, ETH_USD, future);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidTimestamp")
        .withArgs(await ethUsd.getAddress(), future);
    });

    it("accepts an answer exactly one heartbeat old", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const updatedAt = await time.latest();
      await setRound(ethUsd, 2, ETH_USD, updatedAt);
      await time.increaseTo(updatedAt + HEARTBEAT);
      expect(await adapter.nativePrice()).to.equal(PRICE_3000);
    });

    it("reverts when the answer is older than the heartbeat", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const updatedAt = await time.latest();
      await setRound(ethUsd, 2, ETH_USD, updatedAt);
      await time.increaseTo(updatedAt + HEARTBEAT + 1);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await ethUsd.getAddress(), updatedAt, HEARTBEAT);
    });

    it("accepts answers exactly at the bounds", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(ETH_USD_MIN);
      expect(await adapter.nativePrice()).to.equal(100n * WAD);
      await ethUsd.updateAnswer(ETH_USD_MAX);
      expect(await adapter.nativePrice()).to.equal(100_000n * WAD);
    });

    it("reverts when the answer is below minAnswer (a clamped aggregator)", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(ETH_USD_MIN - 1n);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterAnswerOutOfBounds")
        .withArgs(await ethUsd.getAddress(), ETH_USD_MIN - 1n, ETH_USD_MIN, ETH_USD_MAX);
    });

    it("reverts when the answer is above maxAnswer", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(ETH_USD_MAX + 1n);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterAnswerOutOfBounds")
        .withArgs(await ethUsd.getAddress(), ETH_USD_MAX + 1n, ETH_USD_MIN, ETH_USD_MAX);
    });

    it("reverts with FeedUnavailable when the feed reverts", async function () {
      const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.Revert);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
        .withArgs(await testFeed.getAddress());
    });

    it("reverts with FeedUnavailable when the feed is shut down (no code)", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await setCode(await ethUsd.getAddress(), "0x");
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
        .withArgs(await ethUsd.getAddress());
    });

    it("reverts with FeedUnavailable when the feed returns short data", async function () {
      const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.ShortData);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
        .withArgs(await testFeed.getAddress());
    });

    it("reverts with FeedUnavailable when the feed returns a round id above uint80", async function () {
      const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.Malformed);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
        .withArgs(await testFeed.getAddress());
    });

    it("reads a well-behaved TestFeed like any other feed", async function () {
      const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.Normal);
      expect(await adapter.nativePrice()).to.equal(PRICE_3000);
    });

    it("reverts with InsufficientGas when a failed feed call left at most 1/64 of the gas", async function () {
      const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.BurnGas);
      const gasLimit = 1_000_000n;
      await expect(adapter.nativePrice({ gasLimit }))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInsufficientGas")
        .withArgs(
          (gasLeft: bigint) => gasLeft < gasLimit / 64n,
          (required: bigint) => required > 14_000n && required < gasLimit / 64n,
        );
    });

    it("reverts with InsufficientGas when less than the minimum is left before a feed call", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      await expect(adapter.nativePrice({ gasLimit: 60_000 }))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInsufficientGas")
        .withArgs((gasLeft: bigint) => gasLeft < MIN_GAS_FOR_FEED_CALL, MIN_GAS_FOR_FEED_CALL);
    });
  });

  describe("sequencer uptime feed", function () {
    async function withSequencerFixture() {
      const fixture = await deployAdapterFixture();
      await fixture.adapter.setSequencerFeed(fixture.sequencer, GRACE_PERIOD);
      return fixture;
    }

    it("allows quotes once the sequencer has been up for longer than the grace period", async function () {
      const { adapter, sequencer, ethUsd } = await loadFixture(withSequencerFixture);
      const startedAt = await time.latest();
      await setRound(sequencer, 2, 0n, startedAt, startedAt);
      await time.increaseTo(startedAt + GRACE_PERIOD);
      await ethUsd.updateAnswer(ETH_USD); // mined at startedAt + GRACE_PERIOD + 1
      expect(await adapter.nativePrice()).to.equal(PRICE_3000);
    });

    it("reverts when the sequencer is down", async function () {
      const { adapter, sequencer } = await loadFixture(withSequencerFixture);
      const startedAt = (await time.latest()) - 2 * GRACE_PERIOD;
      await setRound(sequencer, 2, 1n, startedAt, startedAt);
      await expect(adapter.nativePrice()).to.be.revertedWithCustomError(adapter, "PriceAdapterSequencerDown");
    });

    it("reverts when startedAt is zero (invalid round)", async function () {
      const { adapter, sequencer } = await loadFixture(withSequencerFixture);
      await setRound(sequencer, 2, 0n, await time.latest(), 0);
      await expect(adapter.nativePrice()).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterSequencerInvalidRound",
      );
    });

    it("reverts while the sequencer has been up for exactly the grace period", async function () {
      const { adapter, sequencer } = await loadFixture(withSequencerFixture);
      const startedAt = await time.latest();
      await setRound(sequencer, 2, 0n, startedAt, startedAt);
      await time.increaseTo(startedAt + GRACE_PERIOD);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterSequencerGracePeriod")
        .withArgs(startedAt, GRACE_PERIOD);
    });

    it("reverts when startedAt is in the future", async function () {
      const { adapter, sequencer } = await loadFixture(withSequencerFixture);
      const startedAt = (await time.latest()) + 1000;
      await setRound(sequencer, 2, 0n, startedAt, startedAt);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterSequencerGracePeriod")
        .withArgs(startedAt, GRACE_PERIOD);
    });

    it("reverts with FeedUnavailable when the sequencer feed reverts", async function () {
      const { adapter, testFeed } = await loadFixture(withSequencerFixture);
      await adapter.setSequencerFeed(testFeed, GRACE_PERIOD);
      await testFeed.setMode(FeedMode.Revert);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
        .withArgs(await testFeed.getAddress());
    });

    it("gates stablecoin quotes too", async function () {
      const { adapter, sequencer, usdc, usdcConfig } = await loadFixture(withSequencerFixture);
      await adapter.setStablecoinFeed(usdc, usdcConfig);
      await setRound(sequencer, 2, 1n, (await time.latest()) - 2 * GRACE_PERIOD);
      await expect(adapter.creditsForStablecoin(usdc, 1_000_000n)).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterSequencerDown",
      );
    });
  });

  describe("fallback feed", function () {
    /** Fallback configured and a reference recorded at $3000; the primary is healthy. */
    async function withFallbackFixture() {
      const fixture = await deployAdapterFixture();
      await fixture.adapter.setFallbackFeed(fixture.fallback, MAX_DEVIATION_BPS);
      await fixture.adapter.refreshCachedPrice();
      return fixture;
    }

    /** Makes the primary stale and the fallback answer `fallbackAnswer` (18 decimals) freshly. */
    async function failPrimary(
      fixture: Awaited<ReturnType<typeof withFallbackFixture>>,
      fallbackAnswer: bigint,
    ) {
      await time.increase(HEARTBEAT + 1);
      await fixture.fallbackUsd.updateAnswer(fallbackAnswer);
    }

    it("is ignored while the primary is healthy", async function () {
      const { adapter, fallbackUsd } = await loadFixture(withFallbackFixture);
      await fallbackUsd.updateAnswer(answer("2000", 18));
      expect(await adapter.nativePrice()).to.equal(PRICE_3000);
    });

    it("is used when the primary fails and it is within the maximum deviation", async function () {
      const fixture = await loadFixture(withFallbackFixture);
      await failPrimary(fixture, answer("3050", 18));
      expect(await fixture.adapter.nativePrice()).to.equal(3050n * WAD);
    });

    it("accepts a deviation of exactly maxDeviationBps (above and below)", async function () {
      const fixture = await loadFixture(withFallbackFixture);
      await failPrimary(fixture, answer("3060", 18));
      expect(await fixture.adapter.nativePrice()).to.equal(3060n * WAD);
      await fixture.fallbackUsd.updateAnswer(answer("2940", 18));
      expect(await fixture.adapter.nativePrice()).to.equal(2940n * WAD);
    });

    it("reverts when the fallback is above the reference by more than maxDeviationBps", async function () {
      const fixture = await loadFixture(withFallbackFixture);
      const tooHigh = 3060n * WAD + 1n;
      await failPrimary(fixture, tooHigh);
      await expect(fixture.adapter.nativePrice())
        .to.be.revertedWithCustomError(fixture.adapter, "PriceAdapterFallbackDeviation")
        .withArgs(tooHigh, PRICE_3000, MAX_DEVIATION_BPS);
    });

    it("reverts when the fallback is below the reference by more than maxDeviationBps", async function () {
      const fixture = await loadFixture(withFallbackFixture);
      const tooLow = 2940n * WAD - 1n;
      await failPrimary(fixture, tooLow);
      await expect(fixture.adapter.nativePrice())
        .to.be.revertedWithCustomError(fixture.adapter, "PriceAdapterFallbackDeviation")
        .withArgs(tooLow, PRICE_3000, MAX_DEVIATION_BPS);
    });

    it("reverts with NoReferencePrice when no primary price was ever recorded", async function () {
      const { adapter, ethUsd, fallback } = await loadFixture(deployAdapterFixture);
      await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
      await ethUsd.updateAnswer(0);
      await expect(adapter.nativePrice()).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterNoReferencePrice",
      );
    });

    it("reverts with the primary's error when the fallback fails too", async function () {
      const { adapter, ethUsd, fallbackUsd } = await loadFixture(withFallbackFixture);
      const primaryUpdatedAt = await ethUsd.latestTimestamp();
      await fallbackUsd.updateAnswer(0);
      await time.increase(HEARTBEAT + 1);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await ethUsd.getAddress(), primaryUpdatedAt, HEARTBEAT);
    });

    it("reverts with the primary's error when no fallback is configured", async function () {
      const { adapter, ethUsd } = await loadFixture(withFallbackFixture);
      await adapter.setFallbackFeed(feedConfig(ethers.ZeroAddress, 0, 0, 0), 0);
      await ethUsd.updateAnswer(0);
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });

    it("does not fall back when the primary call was starved of gas", async function () {
      const { adapter, testFeed } = await loadFixture(withFallbackFixture);
      await primaryTestFeedIn(adapter, testFeed, FeedMode.BurnGas);
      await expect(adapter.nativePrice({ gasLimit: 1_000_000 })).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterInsufficientGas",
      );
    });

    it("reports the fallback's round in latestRoundData", async function () {
      const fixture = await loadFixture(withFallbackFixture);
      await time.increase(HEARTBEAT + 1);
      const updatedAt = await time.latest();
      await setRound(fixture.fallbackUsd, 77, answer("3010", 18), updatedAt);
      const round = await fixture.adapter.latestRoundData();
      expect(round.roundId).to.equal(77);
      expect(round.answer).to.equal(3010n * WAD);
      expect(round.startedAt).to.equal(updatedAt);
      expect(round.updatedAt).to.equal(updatedAt);
      expect(round.answeredInRound).to.equal(77);
    });
  });

  describe("unit feed (peg to a unit other than USD)", function () {
    const PRICE_EUR = 2777_777777777777777777n; // floor(3000e18 * 1e18 / 1.08e18)

    async function withEurFixture() {
      const fixture = await deployAdapterFixture();
      await fixture.adapter.setUnitFeed(fixture.unit);
      return fixture;
    }

    it("prices 1 ETH at $3000 with EUR/USD 1.08 at 2777.777... EUR, rounded down", async function () {
      const { adapter } = await loadFixture(withEurFixture);
      expect(await adapter.nativePrice()).to.equal(PRICE_EUR);
      expect(await adapter.creditsForWei(WAD)).to.equal(2777_777777n);
    });

    it("rounds weiForCredits up against the rounded-down EUR price", async function () {
      const { adapter } = await loadFixture(withEurFixture);
      // 1e6 * 1e30 / PRICE_EUR = 360000000000000.00000000000000036...
      expect(await adapter.weiForCredits(1_000_000n)).to.equal(360_000_000_000_001n);
    });

    it("reverts with the unit feed's own error when it fails", async function () {
      const { adapter, eurUsd } = await loadFixture(withEurFixture);
      await eurUsd.updateAnswer(answer("2.5", 8));
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterAnswerOutOfBounds")
        .withArgs(await eurUsd.getAddress(), answer("2.5", 8), answer("0.5", 8), answer("2", 8));
    });

    it("reverts with ZeroPrice when the division rounds down to zero", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      const huge = await deployMockFeed(18, 4000n * 10n ** 36n);
      await adapter.setUnitFeed(feedConfig(huge, DAY, 1, 10n ** 45n));
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterZeroPrice")
        .withArgs(PRICE_3000, 4000n * 10n ** 36n);
    });

    it("reports the oldest updatedAt of the feeds used in latestRoundData", async function () {
      const { adapter, ethUsd, eurUsd } = await loadFixture(withEurFixture);
      const now = await time.latest();
      await setRound(eurUsd, 3, answer("1.08", 8), now - 5000, now - 6000);
      await setRound(ethUsd, 9, ETH_USD, now - 100, now - 200);
      let round = await adapter.latestRoundData();
      expect(round.roundId).to.equal(9);
      expect(round.answer).to.equal(PRICE_EUR);
      expect(round.startedAt).to.equal(now - 5000);
      expect(round.updatedAt).to.equal(now - 5000);
      await setRound(eurUsd, 4, answer("1.08", 8), now - 50);
      round = await adapter.latestRoundData();
      expect(round.updatedAt).to.equal(now - 100);
    });
  });

  describe("decimals changed after configuration (O11)", function () {
    /** An 8-decimal TestFeed answering `value` now, with bounds wide enough for the same price in 10 decimals. */
    async function testFeedAnswering(value: string, testFeed?: TestFeed): Promise<TestFeed> {
      const feed = testFeed ?? (await deployTestFeed(8));
      const now = await time.latest();
      await feed.setRoundData(1, answer(value, 8), now, now);
      return feed;
    }

    /** Repoints `feed` to "an aggregator" with 10 decimals answering `value` now: inside 8-decimal bounds ×100. */
    async function repointTo10Decimals(feed: TestFeed, value: string): Promise<void> {
      await feed.setDecimals(10);
      const now = await time.latest();
      await feed.setRoundData(2, answer(value, 10), now, now);
    }

    /** The primary is an 8-decimal TestFeed at $3000 with bounds [$100, $10,000,000] (room for 100× mis-scaling). */
    async function withTestPrimaryFixture() {
      const fixture = await deployAdapterFixture();
      const feed = await testFeedAnswering("3000", fixture.testFeed);
      await fixture.adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, ETH_USD_MIN, answer("10000000", 8)));
      await fixture.adapter.refreshCachedPrice();
      return fixture;
    }

    it("reverts with DecimalsChanged when the primary's decimals() went from 8 to 10, leaving the cache unchanged", async function () {
      const { adapter, testFeed } = await loadFixture(withTestPrimaryFixture);
      const cached = await adapter.cachedPrice();
      await repointTo10Decimals(testFeed, "3000"); // read with the stored 8 decimals: $300,000, inside the bounds
      const feed = await testFeed.getAddress();
      for (const read of [
        () => adapter.nativePrice(),
        () => adapter.creditsForWei(WAD),
        () => adapter.latestRoundData(),
        () => adapter.refreshCachedPrice(),
        () => adapter.refreshAndQuoteWei(WAD),
      ]) {
        await expect(read())
          .to.be.revertedWithCustomError(adapter, "PriceAdapterDecimalsChanged")
          .withArgs(feed, 8, 10);
      }
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
    });

    it("prices again once the primary is configured with its new decimals", async function () {
      const { adapter, testFeed } = await loadFixture(withTestPrimaryFixture);
      await repointTo10Decimals(testFeed, "3000");
      await adapter.setPrimaryFeed(feedConfig(testFeed, HEARTBEAT, answer("100", 10), answer("100000", 10)));
      expect(await adapter.nativePrice()).to.equal(PRICE_3000);
    });

    it("treats the primary's changed decimals as a failure: a valid fallback serves", async function () {
      const { adapter, testFeed, fallback } = await loadFixture(withTestPrimaryFixture);
      await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
      await repointTo10Decimals(testFeed, "3000");
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.refreshAndQuoteWei(WAD))
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(PRICE_3000, timestamp, true);
    });

    it("reverts with the primary's DecimalsChanged when the fallback fails too", async function () {
      const { adapter, testFeed, fallback, fallbackUsd } = await loadFixture(withTestPrimaryFixture);
      await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
      await fallbackUsd.updateAnswer(0);
      await repointTo10Decimals(testFeed, "3000");
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterDecimalsChanged")
        .withArgs(await testFeed.getAddress(), 8, 10);
    });

    it("does not use a fallback whose decimals() changed: the primary's error", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const fallbackFeed = await testFeedAnswering("3000");
      const config = feedConfig(fallbackFeed, FALLBACK_HEARTBEAT, ETH_USD_MIN, answer("10000000", 8));
      await adapter.setFallbackFeed(config, MAX_DEVIATION_BPS);
      await adapter.refreshCachedPrice(); // reference $3000
      await ethUsd.updateAnswer(0);
      expect(await adapter.nativePrice()).to.equal(PRICE_3000); // the fallback serves
      // Now 10 decimals answering $30 (30e10): read with the stored 8 decimals, $3000, within the deviation.
      await repointTo10Decimals(fallbackFeed, "30");
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });

    it("reverts with the unit feed's DecimalsChanged", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      const eurUsd = await testFeedAnswering("1.08");
      await adapter.setUnitFeed(feedConfig(eurUsd, DAY, answer("0.5", 8), answer("200", 8)));
      expect(await adapter.nativePrice()).to.equal(2777_777777777777777777n);
      await repointTo10Decimals(eurUsd, "1.08");
      await expect(adapter.refreshAndQuoteWei(WAD))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterDecimalsChanged")
        .withArgs(await eurUsd.getAddress(), 8, 10);
    });

    it("reverts with the stablecoin feed's DecimalsChanged", async function () {
      const { adapter, usdc } = await loadFixture(deployAdapterFixture);
      const usdcUsd = await testFeedAnswering("1");
      await adapter.setStablecoinFeed(usdc, feedConfig(usdcUsd, DAY, answer("0.5", 8), answer("200", 8)));
      await adapter.refreshCachedPrice();
      const cached = await adapter.cachedPrice();
      await repointTo10Decimals(usdcUsd, "0.98");
      for (const read of [
        () => adapter.creditsForStablecoin(usdc, 1_000000n),
        () => adapter.refreshAndQuoteStablecoin(usdc, 1_000000n),
      ]) {
        await expect(read())
          .to.be.revertedWithCustomError(adapter, "PriceAdapterDecimalsChanged")
          .withArgs(await usdcUsd.getAddress(), 8, 10);
      }
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
    });

    for (const [name, mode] of [
      ["reverts", FeedMode.Revert],
      ["returns short data", FeedMode.ShortData],
      ["returns a value above uint8", FeedMode.Malformed],
    ] as const) {
      it(`reverts with FeedUnavailable when decimals() ${name} while latestRoundData answers`, async function () {
        const { adapter, testFeed } = await loadFixture(withTestPrimaryFixture);
        await testFeed.setDecimalsMode(mode);
        await expect(adapter.nativePrice())
          .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
          .withArgs(await testFeed.getAddress());
      });
    }

    it("does not fall back when the primary's decimals() call was starved of gas", async function () {
      const { adapter, testFeed, fallback } = await loadFixture(withTestPrimaryFixture);
      await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
      await testFeed.setDecimalsMode(FeedMode.BurnGas);
      const gasLimit = 1_000_000n;
      await expect(adapter.refreshAndQuoteWei(WAD, { gasLimit }))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInsufficientGas")
        .withArgs(
          (gasLeft: bigint) => gasLeft < gasLimit / 64n,
          (required: bigint) => required < gasLimit / 64n,
        );
    });
  });

  describe("#creditsForWei", function () {
    it("gives 3000 stable units of credits for 1 ETH at $3000", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      expect(await adapter.creditsForWei(WAD)).to.equal(3000_000000n);
    });

    it("rounds down (a buyer never gets more than paid for)", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      // 333333333333334 wei * 3000 = 1.000000000000002 USD
      expect(await adapter.creditsForWei(333_333_333_333_334n)).to.equal(1_000_000n);
      expect(await adapter.creditsForWei(333_333_333_333n)).to.equal(999n); // 999.999999999 credits
    });

    it("reverts when the live path fails", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(0);
      await expect(adapter.creditsForWei(WAD))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });
  });

  describe("#weiForCredits", function () {
    it("is exact when the division is exact", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      expect(await adapter.weiForCredits(3000_000000n)).to.equal(WAD);
    });

    it("rounds up (a buyer never pays less than the value)", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      // 1e6 * 1e30 / 3000e18 = 333333333333333.33...
      expect(await adapter.weiForCredits(1_000_000n)).to.equal(333_333_333_333_334n);
    });

    it("reverts when the live path fails", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(0);
      await expect(adapter.weiForCredits(1_000_000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });
  });

  describe("#creditsForStablecoin", function () {
    async function withStablecoinsFixture() {
      const fixture = await deployAdapterFixture();
      await fixture.adapter.setStablecoinFeed(fixture.usdc, fixture.usdcConfig);
      await fixture.adapter.setStablecoinFeed(fixture.dai, fixture.daiConfig);
      return fixture;
    }

    it("credits a 6-decimal stablecoin at $0.98 at 0.98", async function () {
      const { adapter, usdc, usdcUsd } = await loadFixture(withStablecoinsFixture);
      await usdcUsd.updateAnswer(answer("0.98", 8));
      expect(await adapter.creditsForStablecoin(usdc, 100_000000n)).to.equal(98_000000n);
    });

    it("credits an 18-decimal stablecoin at $0.98 at 0.98", async function () {
      const { adapter, dai, daiUsd } = await loadFixture(withStablecoinsFixture);
      await daiUsd.updateAnswer(answer("0.98", 18));
      expect(await adapter.creditsForStablecoin(dai, 100n * WAD)).to.equal(98_000000n);
    });

    it("credits a stablecoin at $1.03 at 1.00 (capped at the peg)", async function () {
      const { adapter, usdc, usdcUsd } = await loadFixture(withStablecoinsFixture);
      await usdcUsd.updateAnswer(answer("1.03", 8));
      expect(await adapter.creditsForStablecoin(usdc, 100_000000n)).to.equal(100_000000n);
    });

    it("rounds down", async function () {
      const { adapter, dai, daiUsd } = await loadFixture(withStablecoinsFixture);
      await daiUsd.updateAnswer(answer("0.99", 18));
      // 1010101010101 DAI-wei * 0.99 = 0.99999999999999 credits
      expect(await adapter.creditsForStablecoin(dai, 1_010_101_010_101n)).to.equal(0n);
      expect(await adapter.creditsForStablecoin(dai, 1_010_101_010_101_010n)).to.equal(999n); // 999.99999...
    });

    it("values the stablecoin in the unit (TOKEN/USD / UNIT/USD) when a unit feed is set", async function () {
      const { adapter, usdc, unit } = await loadFixture(withStablecoinsFixture);
      await adapter.setUnitFeed(unit);
      // 1 USDC = 1 / 1.08 EUR = 0.925925925925925925 EUR (rounded down)
      expect(await adapter.creditsForStablecoin(usdc, 1_000000n)).to.equal(925_925n);
    });

    it("caps the value at one unit per token when the unit is worth less than USD", async function () {
      const { adapter, usdc, eurUsd, unit } = await loadFixture(withStablecoinsFixture);
      await adapter.setUnitFeed(unit);
      await eurUsd.updateAnswer(answer("0.95", 8));
      expect(await adapter.creditsForStablecoin(usdc, 1_000000n)).to.equal(1_000000n);
    });

    it("reverts for an unlisted token", async function () {
      const { adapter, stranger } = await loadFixture(withStablecoinsFixture);
      await expect(adapter.creditsForStablecoin(stranger.address, 1_000000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedStablecoin")
        .withArgs(stranger.address);
    });

    it("reverts when the stablecoin feed fails", async function () {
      const { adapter, usdc, usdcUsd } = await loadFixture(withStablecoinsFixture);
      const updatedAt = await usdcUsd.latestTimestamp();
      await time.increase(DAY + 1);
      await expect(adapter.creditsForStablecoin(usdc, 1_000000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await usdcUsd.getAddress(), updatedAt, DAY);
    });
  });

  describe("#refreshCachedPrice", function () {
    it("stores the live price and the block timestamp, and records the reference", async function () {
      const { adapter, stranger } = await loadFixture(deployAdapterFixture);
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.connect(stranger).refreshCachedPrice())
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(PRICE_3000, timestamp, false)
        .and.to.emit(adapter, "ReferencePriceRecorded")
        .withArgs(PRICE_3000, timestamp);
      const [priceWad, updatedAt] = await adapter.cachedPrice();
      expect(priceWad).to.equal(PRICE_3000);
      expect(updatedAt).to.equal(timestamp);
      const [reference, recordedAt] = await adapter.referencePrice();
      expect(reference).to.equal(PRICE_3000);
      expect(recordedAt).to.equal(timestamp);
    });

    it("returns the price and the time it stored", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      const [priceWad, updatedAt] = await adapter.refreshCachedPrice.staticCall();
      expect(priceWad).to.equal(PRICE_3000);
      expect(updatedAt).to.equal(await time.latest());
    });

    it("caches the unit price and records the USD price as the reference", async function () {
      const { adapter, unit } = await loadFixture(deployAdapterFixture);
      await adapter.setUnitFeed(unit);
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.refreshCachedPrice())
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(2777_777777777777777777n, timestamp, false)
        .and.to.emit(adapter, "ReferencePriceRecorded")
        .withArgs(PRICE_3000, timestamp);
    });

    it("keeps the reference unchanged when the fallback was used", async function () {
      const { adapter, fallback, fallbackUsd } = await loadFixture(deployAdapterFixture);
      await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
      await adapter.refreshCachedPrice();
      const reference = await adapter.referencePrice();
      await time.increase(HEARTBEAT + 1);
      await fallbackUsd.updateAnswer(answer("3030", 18));
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.refreshCachedPrice())
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(3030n * WAD, timestamp, true)
        .and.not.to.emit(adapter, "ReferencePriceRecorded");
      expect(await adapter.referencePrice()).to.deep.equal(reference);
      expect(await adapter.cachedPrice()).to.deep.equal([3030n * WAD, BigInt(timestamp)]);
    });

    it("reverts when the live path fails, leaving the cache unchanged", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await adapter.refreshCachedPrice();
      const cached = await adapter.cachedPrice();
      await time.increase(HEARTBEAT + 1);
      await expect(adapter.refreshCachedPrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await ethUsd.getAddress(), await ethUsd.latestTimestamp(), HEARTBEAT);
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
    });
  });

  describe("#refreshAndQuoteWei", function () {
    it("refreshes the cache to the live price and quotes floor(wei × price / 1e30) at it, for anyone", async function () {
      const { adapter, ethUsd, stranger } = await loadFixture(deployAdapterFixture);
      await adapter.refreshCachedPrice();
      await ethUsd.updateAnswer(answer("3300", 8)); // +10%: the cache still says $3000
      const price = 3300n * WAD;
      const wei = 123_456_789_012_345n;
      const credits = (wei * price) / 10n ** 30n; // 407_407 (407,407.4037... rounded down)
      expect(await adapter.connect(stranger).refreshAndQuoteWei.staticCall(wei)).to.deep.equal([
        credits,
        price,
      ]);
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.connect(stranger).refreshAndQuoteWei(wei))
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(price, timestamp, false)
        .and.to.emit(adapter, "ReferencePriceRecorded")
        .withArgs(price, timestamp);
      expect(await adapter.cachedPrice()).to.deep.equal([price, BigInt(timestamp)]);
    });

    it("quotes exactly what creditsForWei quotes in the same block (one formula, rounded down)", async function () {
      const { adapter, unit } = await loadFixture(deployAdapterFixture);
      await adapter.setUnitFeed(unit); // EUR: a price with a rounded-down last digit
      for (const wei of [1n, 359_999_999_999_999n, WAD, 7n * WAD + 3n]) {
        const [credits, price] = await adapter.refreshAndQuoteWei.staticCall(wei);
        expect(price).to.equal(await adapter.nativePrice());
        expect(credits).to.equal(await adapter.creditsForWei(wei));
      }
      expect((await adapter.refreshAndQuoteWei.staticCall(WAD))[0]).to.equal(2777_777777n);
    });

    it("reverts with the live path's error, leaving the cache unchanged", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await adapter.refreshCachedPrice();
      const cached = await adapter.cachedPrice();
      const reference = await adapter.referencePrice();
      await ethUsd.updateAnswer(0);
      await expect(adapter.refreshAndQuoteWei(WAD))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
      expect(await adapter.referencePrice()).to.deep.equal(reference);
    });
  });

  describe("#refreshAndQuoteStablecoin", function () {
    async function withUsdcFixture() {
      const fixture = await deployAdapterFixture();
      await fixture.adapter.setStablecoinFeed(fixture.usdc, fixture.usdcConfig);
      await fixture.adapter.refreshCachedPrice();
      return fixture;
    }

    it("refreshes the cached native price to the live price, then quotes as creditsForStablecoin", async function () {
      const { adapter, ethUsd, usdc, usdcUsd, stranger } = await loadFixture(withUsdcFixture);
      await ethUsd.updateAnswer(answer("3300", 8));
      await usdcUsd.updateAnswer(answer("0.98", 8));
      expect(
        await adapter.connect(stranger).refreshAndQuoteStablecoin.staticCall(usdc, 100_000000n),
      ).to.equal(await adapter.creditsForStablecoin(usdc, 100_000000n));
      const timestamp = await nextBlockTimestamp();
      await expect(adapter.connect(stranger).refreshAndQuoteStablecoin(usdc, 100_000000n))
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(3300n * WAD, timestamp, false);
      expect(await adapter.cachedPrice()).to.deep.equal([3300n * WAD, BigInt(timestamp)]);
      expect(await adapter.refreshAndQuoteStablecoin.staticCall(usdc, 100_000000n)).to.equal(98_000000n);
    });

    it("caps the value at the peg and values it in the unit, like creditsForStablecoin", async function () {
      const { adapter, usdc, usdcUsd, unit } = await loadFixture(withUsdcFixture);
      await usdcUsd.updateAnswer(answer("1.03", 8));
      expect(await adapter.refreshAndQuoteStablecoin.staticCall(usdc, 100_000000n)).to.equal(100_000000n);
      await adapter.setUnitFeed(unit);
      expect(await adapter.refreshAndQuoteStablecoin.staticCall(usdc, 1_000000n)).to.equal(
        await adapter.creditsForStablecoin(usdc, 1_000000n),
      );
    });

    it("reverts for an unlisted token without refreshing", async function () {
      const { adapter, stranger } = await loadFixture(withUsdcFixture);
      await expect(adapter.refreshAndQuoteStablecoin(stranger.address, 1_000000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedStablecoin")
        .withArgs(stranger.address);
    });

    it("reverts with the native feed's error when the native price fails, leaving the cache unchanged", async function () {
      const { adapter, ethUsd, usdc } = await loadFixture(withUsdcFixture);
      const cached = await adapter.cachedPrice();
      await time.increase(HEARTBEAT + 1); // the USDC feed (1-day heartbeat) is still fresh
      expect(await adapter.creditsForStablecoin(usdc, 1_000000n)).to.equal(1_000000n);
      await expect(adapter.refreshAndQuoteStablecoin(usdc, 1_000000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(await ethUsd.getAddress(), await ethUsd.latestTimestamp(), HEARTBEAT);
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
    });

    it("reverts with the stablecoin feed's error, leaving the cache unchanged", async function () {
      const { adapter, usdc, usdcUsd } = await loadFixture(withUsdcFixture);
      const cached = await adapter.cachedPrice();
      await usdcUsd.updateAnswer(answer("0.4", 8));
      await expect(adapter.refreshAndQuoteStablecoin(usdc, 1_000000n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterAnswerOutOfBounds")
        .withArgs(await usdcUsd.getAddress(), answer("0.4", 8), answer("0.5", 8), answer("2", 8));
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
    });

    it("is gated by the sequencer like every live read", async function () {
      const { adapter, sequencer, usdc } = await loadFixture(withUsdcFixture);
      await adapter.setSequencerFeed(sequencer, GRACE_PERIOD);
      await setRound(sequencer, 1, 1n, (await time.latest()) - DAY);
      await expect(adapter.refreshAndQuoteStablecoin(usdc, 1_000000n)).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterSequencerDown",
      );
    });
  });

  describe("#cachedPrice", function () {
    it("reverts before the first refresh", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      await expect(adapter.cachedPrice()).to.be.revertedWithCustomError(adapter, "PriceAdapterNoCachedPrice");
    });

    it("keeps returning the stored values while the feed and time move on", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const timestamp = await nextBlockTimestamp();
      await adapter.refreshCachedPrice();
      await ethUsd.updateAnswer(answer("2500", 8));
      await time.increase(10 * DAY);
      expect(await adapter.cachedPrice()).to.deep.equal([PRICE_3000, BigInt(timestamp)]);
    });

    it("executes one SLOAD, no call and no TIMESTAMP or NUMBER (ERC-7562), in under 2,600 gas", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      await adapter.refreshCachedPrice();
      const data = adapter.interface.encodeFunctionData("cachedPrice");
      const trace = (await network.provider.send("debug_traceCall", [
        { to: await adapter.getAddress(), data },
        "latest",
      ])) as { gas: number; failed: boolean; structLogs: { op: string }[] };
      expect(trace.failed).to.equal(false);
      const ops = trace.structLogs.map((log) => log.op);
      expect(ops.filter((op) => op === "SLOAD")).to.have.length(1);
      for (const banned of ["TIMESTAMP", "NUMBER", "CALL", "STATICCALL", "DELEGATECALL", "SSTORE", "TLOAD"]) {
        expect(ops, banned).to.not.include(banned);
      }
      if (!isCoverageRun()) {
        // 21,000 intrinsic + 64 calldata + execution (a cold SLOAD is 2,100 of it).
        expect(trace.gas - 21_064).to.be.lessThan(2_600);
      }
    });
  });

  describe("AggregatorV3Interface facade", function () {
    it("has 18 decimals and version 1", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      expect(await adapter.decimals()).to.equal(18);
      expect(await adapter.version()).to.equal(1);
    });

    it("returns the live price with the primary's round from latestRoundData", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      const updatedAt = (await time.latest()) - 60;
      await setRound(ethUsd, 42, answer("3100", 8), updatedAt, updatedAt - 30);
      const round = await adapter.latestRoundData();
      expect(round.roundId).to.equal(42);
      expect(round.answer).to.equal(3100n * WAD);
      expect(round.startedAt).to.equal(updatedAt);
      expect(round.updatedAt).to.equal(updatedAt);
      expect(round.answeredInRound).to.equal(42);
    });

    it("reverts from latestRoundData when the live path fails", async function () {
      const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
      await ethUsd.updateAnswer(0);
      await expect(adapter.latestRoundData())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidAnswer")
        .withArgs(await ethUsd.getAddress(), 0);
    });

    it("reverts from getRoundData: a derived price has no historical rounds", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      await expect(adapter.getRoundData(5))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterRoundDataUnsupported")
        .withArgs(5);
    });

    it("supports the IPriceAdapter, AggregatorV3Interface, AccessControl and ERC-165 interface ids", async function () {
      const { adapter } = await loadFixture(deployAdapterFixture);
      expect(await adapter.supportsInterface(interfaceId(ownFunctionSelectors()))).to.equal(true);
      const aggregatorSelectors = functionSelectors(AggregatorV3Interface__factory.createInterface());
      expect(await adapter.supportsInterface(interfaceId(aggregatorSelectors))).to.equal(true);
      expect(await adapter.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await adapter.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await adapter.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("configuration", function () {
    describe("#setPrimaryFeed", function () {
      it("sets the feed and emits PrimaryFeedSet", async function () {
        const { adapter } = await loadFixture(deployAdapterFixture);
        const feed = await deployMockFeed(18, answer("2000", 18));
        const config = feedConfig(feed, 60, answer("1", 18), answer("5000", 18));
        await expect(adapter.setPrimaryFeed(config))
          .to.emit(adapter, "PrimaryFeedSet")
          .withArgs(await feed.getAddress(), 60, answer("1", 18), answer("5000", 18));
        expect(await adapter.primaryFeed()).to.deep.equal([
          await feed.getAddress(),
          60n,
          answer("1", 18),
          answer("5000", 18),
        ]);
        expect(await adapter.nativePrice()).to.equal(2000n * WAD);
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, primary } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setPrimaryFeed(primary))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts when the feed is the zero address", async function () {
        const { adapter } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setPrimaryFeed(feedConfig(ethers.ZeroAddress, HEARTBEAT, 1, 2)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("feed");
      });

      it("reverts when the feed has no code", async function () {
        const { adapter, stranger } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setPrimaryFeed(feedConfig(stranger.address, HEARTBEAT, 1, 2)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("feed");
      });

      it("reverts when the heartbeat is zero", async function () {
        const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setPrimaryFeed(feedConfig(ethUsd, 0, ETH_USD_MIN, ETH_USD_MAX)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("heartbeat");
      });

      it("reverts when minAnswer is zero or negative", async function () {
        const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
        for (const minAnswer of [0n, -1n]) {
          await expect(adapter.setPrimaryFeed(feedConfig(ethUsd, HEARTBEAT, minAnswer, ETH_USD_MAX)))
            .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
            .withArgs("minAnswer");
        }
      });

      it("reverts when maxAnswer is not above minAnswer", async function () {
        const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setPrimaryFeed(feedConfig(ethUsd, HEARTBEAT, ETH_USD_MIN, ETH_USD_MIN)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("maxAnswer");
      });

      it("reverts when maxAnswer normalised to 18 decimals does not fit in uint208", async function () {
        const { adapter, ethUsd } = await loadFixture(deployAdapterFixture);
        const limit = (2n ** 208n - 1n) / 10n ** 10n; // 8-decimal feed
        await expect(adapter.setPrimaryFeed(feedConfig(ethUsd, HEARTBEAT, ETH_USD_MIN, limit + 1n)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("maxAnswer");
        await expect(adapter.setPrimaryFeed(feedConfig(ethUsd, HEARTBEAT, ETH_USD_MIN, limit))).to.emit(
          adapter,
          "PrimaryFeedSet",
        );
      });

      it("reverts when the feed has more than 18 decimals", async function () {
        const { adapter } = await loadFixture(deployAdapterFixture);
        const feed = await deployMockFeed(19, answer("3000", 19));
        await expect(adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, 1, answer("100000", 19))))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedDecimals")
          .withArgs(await feed.getAddress(), 19);
      });

      for (const [name, mode] of [
        ["reverts", FeedMode.Revert],
        ["returns short data", FeedMode.ShortData],
        ["returns a value above uint8", FeedMode.Malformed],
      ] as const) {
        it(`reverts with FeedUnavailable when decimals() ${name}`, async function () {
          const { adapter, testFeed } = await loadFixture(deployAdapterFixture);
          await testFeed.setMode(mode);
          await expect(adapter.setPrimaryFeed(feedConfig(testFeed, HEARTBEAT, ETH_USD_MIN, ETH_USD_MAX)))
            .to.be.revertedWithCustomError(adapter, "PriceAdapterFeedUnavailable")
            .withArgs(await testFeed.getAddress());
        });
      }
    });

    describe("#setFallbackFeed", function () {
      it("sets the feed and the deviation, and emits FallbackFeedSet", async function () {
        const { adapter, fallback, fallbackUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS))
          .to.emit(adapter, "FallbackFeedSet")
          .withArgs(
            await fallbackUsd.getAddress(),
            FALLBACK_HEARTBEAT,
            answer("100", 18),
            answer("100000", 18),
            MAX_DEVIATION_BPS,
          );
        const [config, maxDeviationBps] = await adapter.fallbackFeed();
        expect(config).to.deep.equal([
          await fallbackUsd.getAddress(),
          BigInt(FALLBACK_HEARTBEAT),
          answer("100", 18),
          answer("100000", 18),
        ]);
        expect(maxDeviationBps).to.equal(MAX_DEVIATION_BPS);
      });

      it("accepts maxDeviationBps of 1 and 10000", async function () {
        const { adapter, fallback, fallbackUsd } = await loadFixture(deployAdapterFixture);
        const feed = await fallbackUsd.getAddress();
        for (const bps of [1, 10_000]) {
          await expect(adapter.setFallbackFeed(fallback, bps))
            .to.emit(adapter, "FallbackFeedSet")
            .withArgs(feed, FALLBACK_HEARTBEAT, answer("100", 18), answer("100000", 18), bps);
          expect((await adapter.fallbackFeed()).maxDeviationBps).to.equal(BigInt(bps));
        }
      });

      it("removes the fallback with the zero address, ignoring the other fields", async function () {
        const { adapter, fallback } = await loadFixture(deployAdapterFixture);
        await adapter.setFallbackFeed(fallback, MAX_DEVIATION_BPS);
        await expect(adapter.setFallbackFeed(feedConfig(ethers.ZeroAddress, 5, 6, 7), 8))
          .to.emit(adapter, "FallbackFeedSet")
          .withArgs(ethers.ZeroAddress, 0, 0, 0, 0);
        const [config, maxDeviationBps] = await adapter.fallbackFeed();
        expect(config).to.deep.equal([ethers.ZeroAddress, 0n, 0n, 0n]);
        expect(maxDeviationBps).to.equal(0);
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, fallback } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setFallbackFeed(fallback, MAX_DEVIATION_BPS))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts when maxDeviationBps is 0 or above 10000", async function () {
        const { adapter, fallback } = await loadFixture(deployAdapterFixture);
        for (const bps of [0, 10_001]) {
          await expect(adapter.setFallbackFeed(fallback, bps))
            .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
            .withArgs("maxDeviationBps");
        }
      });

      it("validates the feed configuration", async function () {
        const { adapter, fallbackUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setFallbackFeed(feedConfig(fallbackUsd, 0, 1, 2), MAX_DEVIATION_BPS))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("heartbeat");
      });
    });

    describe("#setSequencerFeed", function () {
      it("sets the feed and the grace period, and emits SequencerFeedSet", async function () {
        const { adapter, sequencer } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setSequencerFeed(sequencer, GRACE_PERIOD))
          .to.emit(adapter, "SequencerFeedSet")
          .withArgs(await sequencer.getAddress(), GRACE_PERIOD);
        expect(await adapter.sequencerFeed()).to.deep.equal([
          await sequencer.getAddress(),
          BigInt(GRACE_PERIOD),
        ]);
      });

      it("removes the sequencer check with the zero address, ignoring the grace period", async function () {
        const { adapter, sequencer } = await loadFixture(deployAdapterFixture);
        await adapter.setSequencerFeed(sequencer, GRACE_PERIOD);
        await expect(adapter.setSequencerFeed(ethers.ZeroAddress, 99))
          .to.emit(adapter, "SequencerFeedSet")
          .withArgs(ethers.ZeroAddress, 0);
        expect(await adapter.sequencerFeed()).to.deep.equal([ethers.ZeroAddress, 0n]);
        expect(await adapter.nativePrice()).to.equal(PRICE_3000);
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, sequencer } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setSequencerFeed(sequencer, GRACE_PERIOD))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts when the feed has no code", async function () {
        const { adapter, stranger } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setSequencerFeed(stranger.address, GRACE_PERIOD))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("feed");
      });

      it("reverts when the grace period is zero", async function () {
        const { adapter, sequencer } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setSequencerFeed(sequencer, 0))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("gracePeriod");
      });
    });

    describe("#setUnitFeed", function () {
      it("sets the feed and emits UnitFeedSet", async function () {
        const { adapter, unit, eurUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setUnitFeed(unit))
          .to.emit(adapter, "UnitFeedSet")
          .withArgs(await eurUsd.getAddress(), DAY, answer("0.5", 8), answer("2", 8));
        expect(await adapter.unitFeed()).to.deep.equal([
          await eurUsd.getAddress(),
          BigInt(DAY),
          answer("0.5", 8),
          answer("2", 8),
        ]);
      });

      it("pegs credits back to USD with the zero address", async function () {
        const { adapter, unit } = await loadFixture(deployAdapterFixture);
        await adapter.setUnitFeed(unit);
        await expect(adapter.setUnitFeed(feedConfig(ethers.ZeroAddress, 1, 2, 3)))
          .to.emit(adapter, "UnitFeedSet")
          .withArgs(ethers.ZeroAddress, 0, 0, 0);
        expect(await adapter.unitFeed()).to.deep.equal([ethers.ZeroAddress, 0n, 0n, 0n]);
        expect(await adapter.nativePrice()).to.equal(PRICE_3000);
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, unit } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setUnitFeed(unit))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("validates the feed configuration", async function () {
        const { adapter, eurUsd } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setUnitFeed(feedConfig(eurUsd, DAY, 0, 2)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("minAnswer");
      });
    });

    describe("#setStablecoinFeed", function () {
      it("allowlists the token and emits StablecoinFeedSet", async function () {
        const { adapter, usdc, usdcUsd, usdcConfig } = await loadFixture(deployAdapterFixture);
        expect(await adapter.isStablecoin(usdc)).to.equal(false);
        await expect(adapter.setStablecoinFeed(usdc, usdcConfig))
          .to.emit(adapter, "StablecoinFeedSet")
          .withArgs(
            await usdc.getAddress(),
            await usdcUsd.getAddress(),
            DAY,
            answer("0.5", 8),
            answer("2", 8),
          );
        expect(await adapter.isStablecoin(usdc)).to.equal(true);
        expect(await adapter.stablecoinFeed(usdc)).to.deep.equal([
          await usdcUsd.getAddress(),
          BigInt(DAY),
          answer("0.5", 8),
          answer("2", 8),
        ]);
      });

      it("replaces the feed of a listed token", async function () {
        const { adapter, usdc, usdcConfig, daiUsd, daiConfig } = await loadFixture(deployAdapterFixture);
        await adapter.setStablecoinFeed(usdc, usdcConfig);
        await adapter.setStablecoinFeed(usdc, daiConfig);
        expect((await adapter.stablecoinFeed(usdc)).feed).to.equal(await daiUsd.getAddress());
        await daiUsd.updateAnswer(answer("0.9", 18));
        expect(await adapter.creditsForStablecoin(usdc, 1_000000n)).to.equal(900_000n);
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, usdc, usdcConfig } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setStablecoinFeed(usdc, usdcConfig))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts when the token is the zero address or has no code", async function () {
        const { adapter, stranger, usdcConfig } = await loadFixture(deployAdapterFixture);
        for (const token of [ethers.ZeroAddress, stranger.address]) {
          await expect(adapter.setStablecoinFeed(token, usdcConfig))
            .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
            .withArgs("token");
        }
      });

      it("reverts when the token's decimals() fails", async function () {
        const { adapter, testFeed, usdcConfig } = await loadFixture(deployAdapterFixture);
        await testFeed.setMode(FeedMode.Revert);
        await expect(adapter.setStablecoinFeed(testFeed, usdcConfig))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("token");
      });

      it("reverts when the token has more than 18 decimals", async function () {
        const { adapter, usdcConfig } = await loadFixture(deployAdapterFixture);
        const token = await ethers.deployContract("TestStablecoin", ["Odd", "ODD", 19]);
        await expect(adapter.setStablecoinFeed(token, usdcConfig))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedTokenDecimals")
          .withArgs(await token.getAddress(), 19);
      });

      it("validates the feed configuration", async function () {
        const { adapter, usdc } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setStablecoinFeed(usdc, feedConfig(ethers.ZeroAddress, DAY, 1, 2)))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterInvalidConfig")
          .withArgs("feed");
      });
    });

    describe("#removeStablecoin", function () {
      it("removes the token and emits StablecoinRemoved", async function () {
        const { adapter, usdc, usdcConfig } = await loadFixture(deployAdapterFixture);
        await adapter.setStablecoinFeed(usdc, usdcConfig);
        await expect(adapter.removeStablecoin(usdc))
          .to.emit(adapter, "StablecoinRemoved")
          .withArgs(await usdc.getAddress());
        expect(await adapter.isStablecoin(usdc)).to.equal(false);
        expect(await adapter.stablecoinFeed(usdc)).to.deep.equal([ethers.ZeroAddress, 0n, 0n, 0n]);
        await expect(adapter.creditsForStablecoin(usdc, 1))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedStablecoin")
          .withArgs(await usdc.getAddress());
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger, usdc, usdcConfig } = await loadFixture(deployAdapterFixture);
        await adapter.setStablecoinFeed(usdc, usdcConfig);
        await expect(adapter.connect(stranger).removeStablecoin(usdc))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts when the token is not listed", async function () {
        const { adapter, usdc } = await loadFixture(deployAdapterFixture);
        await expect(adapter.removeStablecoin(usdc))
          .to.be.revertedWithCustomError(adapter, "PriceAdapterUnsupportedStablecoin")
          .withArgs(await usdc.getAddress());
      });
    });

    describe("#setDescription", function () {
      it("sets the description and emits DescriptionSet", async function () {
        const { adapter } = await loadFixture(deployAdapterFixture);
        await expect(adapter.setDescription("ETH / EUR"))
          .to.emit(adapter, "DescriptionSet")
          .withArgs("ETH / EUR");
        expect(await adapter.description()).to.equal("ETH / EUR");
      });

      it("reverts when the caller is not the admin", async function () {
        const { adapter, stranger } = await loadFixture(deployAdapterFixture);
        await expect(adapter.connect(stranger).setDescription("x"))
          .to.be.revertedWithCustomError(adapter, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, DEFAULT_ADMIN_ROLE);
      });
    });
  });
});

/** Selectors of the functions declared in IPriceAdapter itself (not inherited), as ERC-165 counts them. */
function ownFunctionSelectors(): string[] {
  const inherited = new Set(functionSelectors(AggregatorV3Interface__factory.createInterface()));
  return functionSelectors(IPriceAdapter__factory.createInterface()).filter(
    (selector) => !inherited.has(selector),
  );
}

/** Every function selector of an ABI. */
function functionSelectors(abi: Interface): string[] {
  const selectors: string[] = [];
  abi.forEachFunction((fragment) => selectors.push(fragment.selector));
  return selectors;
}

/** The ERC-165 id of a set of selectors (their XOR). */
function interfaceId(selectors: string[]): string {
  const id = selectors.reduce((acc, selector) => acc ^ BigInt(selector), 0n);
  return ethers.toBeHex(id, 4);
}

/** True under `hardhat coverage`, whose instrumentation changes gas costs. */
function isCoverageRun(): boolean {
  return (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
}
