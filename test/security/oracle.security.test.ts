/**
 * Oracle pitfalls against the real PriceAdapter: O7 (`roundId - 1` is not the previous round across aggregator
 * phases) and O8 (relying on the deprecated `answeredInRound`): it reads only `latestRoundData`, validates the
 * answer and its `updatedAt`, and ignores `answeredInRound`; O10 (buying at the live price and spending at a
 * lagging cached one): every purchase refreshes the cache; O11 (a feed whose `decimals()` changes after
 * configuration): every live read checks the feed's decimals against the configured ones.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setCode, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, parseEther, toBeHex, zeroPadValue } from "ethers";

import { CreditLedger__factory } from "../../typechain-types";
import { creditsForGasCost, expectSolvent } from "../helpers/paymaster";
import { answer, deployMockFeed, deployTestFeed, feedConfig, WAD } from "../helpers/priceFeeds";
import { CREDIT, creditOp, defaultPaymasterConfig, deploySystem, newUser } from "../helpers/system";
import { handleOps } from "../helpers/userop";

const HEARTBEAT = 3_600;
const MIN = answer("100", 8);
const MAX = answer("100000", 8);
/** Phase 2, round 1 of a Chainlink proxy: `phaseId << 64 | aggregatorRoundId`. Round id - 1 is no round at all. */
const PHASE_2_FIRST_ROUND = (2n << 64n) | 1n;

/**
 * Runtime code answering every call with the same five words (a feed whose `latestRoundData` is fixed). Its
 * `decimals()` reads the first word: with round id 8 the feed has 8 decimals.
 */
function constantFeedCode(words: readonly bigint[]): string {
  const parts: string[] = [];
  for (const [i, w] of words.entries()) {
    parts.push("0x7f", zeroPadValue(toBeHex(w), 32), "0x60", toBeHex(i * 32, 1), "0x52"); // PUSH32 w PUSH1 i MSTORE
  }
  parts.push("0x60a05ff3"); // PUSH1 0xa0 PUSH0 RETURN
  return concat(parts);
}

describe("Security: oracle pitfalls (O7, O8, O10, O11)", function () {
  async function adapterFixture() {
    const [admin] = await ethers.getSigners();
    const primary = await deployMockFeed(8, answer("3000", 8));
    const adapter = await ethers.deployContract("PriceAdapter", [
      admin.address,
      feedConfig(primary, HEARTBEAT, MIN, MAX),
      "ETH / USD",
    ]);
    await adapter.waitForDeployment();
    return { adapter };
  }

  describe("O7: previous rounds", function () {
    it("prices the first round of a new aggregator phase from a feed that has no historical rounds at all", async function () {
      const { adapter } = await loadFixture(adapterFixture);
      // TestFeed implements latestRoundData and decimals only: any getRoundData(roundId - 1) would revert.
      const feed = await deployTestFeed(8);
      const now = await time.latest();
      await (await feed.setRoundData(PHASE_2_FIRST_ROUND, answer("2500", 8), now, now)).wait();
      await (await adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, MIN, MAX))).wait();
      expect(await adapter.nativePrice()).to.equal(2_500n * WAD);
      const refresh = await adapter.refreshCachedPrice();
      const refreshedAt = (await ethers.provider.getBlock((await refresh.wait())!.blockNumber))!.timestamp;
      await expect(refresh)
        .to.emit(adapter, "CachedPriceRefreshed")
        .withArgs(2_500n * WAD, refreshedAt, false);
      expect((await adapter.latestRoundData()).roundId).to.equal(PHASE_2_FIRST_ROUND);
    });

    it("offers no historical rounds itself (getRoundData reverts) so consumers cannot walk back", async function () {
      const { adapter } = await loadFixture(adapterFixture);
      await expect(adapter.getRoundData(PHASE_2_FIRST_ROUND - 1n))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterRoundDataUnsupported")
        .withArgs(PHASE_2_FIRST_ROUND - 1n);
    });
  });

  describe("O8: answeredInRound", function () {
    it("ignores answeredInRound: a fresh, in-bounds answer with answeredInRound = 0 prices normally", async function () {
      const { adapter } = await loadFixture(adapterFixture);
      const now = BigInt(await time.latest());
      const feed = "0x00000000000000000000000000000000000f33d8";
      // (roundId 8, answer $2,750, startedAt, updatedAt, answeredInRound 0)
      await setCode(feed, constantFeedCode([8n, answer("2750", 8), now, now, 0n]));
      await (await adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, MIN, MAX))).wait();
      expect((await adapter.primaryFeed()).feed).to.equal(ethers.getAddress(feed));
      expect(await adapter.nativePrice()).to.equal(2_750n * WAD);
    });

    it("still rejects that feed once its updatedAt is older than the heartbeat (staleness comes from updatedAt)", async function () {
      const { adapter } = await loadFixture(adapterFixture);
      const now = BigInt(await time.latest());
      const feed = "0x00000000000000000000000000000000000f33d8";
      const updatedAt = now - BigInt(HEARTBEAT) - 10n;
      await setCode(feed, constantFeedCode([8n, answer("2750", 8), updatedAt, updatedAt, 8n]));
      await (await adapter.setPrimaryFeed(feedConfig(feed, HEARTBEAT, MIN, MAX))).wait();
      await expect(adapter.nativePrice())
        .to.be.revertedWithCustomError(adapter, "PriceAdapterStalePrice")
        .withArgs(ethers.getAddress(feed), updatedAt, HEARTBEAT);
    });
  });

  describe("O10: buy at the live price, spend at the cached price", function () {
    const systemFixture = () => deploySystem("0.8");

    it("a purchase after a +10% move refreshes the cache: the next operation is charged at the purchase's price, so buying then spending nets nothing", async function () {
      const sys = await loadFixture(systemFixture);
      const user = await newUser(sys, 1n);
      const markupBps = defaultPaymasterConfig().markupBps;
      await (await sys.feed.updateAnswer(answer("3300", 8))).wait(); // +10%; the cache still says $3000
      expect((await sys.adapter.cachedPrice())[0]).to.equal(3_000n * WAD);
      const live = 3_300n * WAD;
      const value = parseEther("0.01");
      const bought = 33n * CREDIT; // 0.01 ETH × $3,300
      await expect(sys.ledger.connect(sys.dapp).buyCredits(user.account.address, { value }))
        .to.emit(sys.adapter, "CachedPriceRefreshed")
        .withArgs(live, (t: bigint) => t > 0n, false)
        .and.to.emit(sys.ledger, "CreditsPurchased")
        .withArgs(user.account.address, await sys.dapp.getAddress(), ethers.ZeroAddress, value, bought);
      expect((await sys.adapter.cachedPrice())[0]).to.equal(live);

      const op = await creditOp(sys, user);
      const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
      const [charge] = expectSolvent(sys.paymaster, result, [op], markupBps);
      // The operation is charged at the price the credits were bought at, not at a lagging cache: the credits
      // `value` wei bought pay for exactly `value` wei of gas before the markup (zero spread).
      expect(charge.priceWad).to.equal(live);
      expect(creditsForGasCost(value, charge.priceWad, 10_000n)).to.equal(bought);
      expect(await sys.ledger.balanceOfCredits(user.account.address)).to.equal(
        bought - charge.creditsCharged,
      );
    });
  });

  describe("O11: a feed whose decimals() changes after configuration", function () {
    it("a primary feed repointed from 8 to 10 decimals inside its bounds stops purchases instead of minting 100× the credits", async function () {
      const [admin, treasury, buyer] = await ethers.getSigners();
      const feed = await deployTestFeed(8);
      const now = await time.latest();
      await (await feed.setRoundData(1, answer("3000", 8), now, now)).wait();
      // Bounds [$100, $10,000,000] in 8 decimals: $3,000 in 10 decimals read as 8 ($300,000) lies inside them.
      const adapter = await ethers.deployContract("PriceAdapter", [
        admin.address,
        feedConfig(feed, HEARTBEAT, MIN, answer("10000000", 8)),
        "ETH / USD",
      ]);
      await (await adapter.refreshCachedPrice()).wait();
      const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
      const value = parseEther("0.01");
      await (await ledger.connect(buyer).buyCredits(buyer, { value })).wait();
      expect(await ledger.balanceOfCredits(buyer)).to.equal(30n * CREDIT);

      // The proxy now points at an aggregator with 10 decimals, still answering $3,000.
      await (await feed.setDecimals(10)).wait();
      const later = await time.latest();
      await (await feed.setRoundData(2, answer("3000", 10), later, later)).wait();
      const cached = await adapter.cachedPrice();
      await expect(ledger.connect(buyer).buyCredits(buyer, { value }))
        .to.be.revertedWithCustomError(adapter, "PriceAdapterDecimalsChanged")
        .withArgs(await feed.getAddress(), 8, 10);
      expect(await ledger.balanceOfCredits(buyer)).to.equal(30n * CREDIT);
      expect(await adapter.cachedPrice()).to.deep.equal(cached);
      await expect(adapter.refreshCachedPrice()).to.be.revertedWithCustomError(
        adapter,
        "PriceAdapterDecimalsChanged",
      );
    });
  });
});
