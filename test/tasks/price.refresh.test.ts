import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { RefreshResult } from "../../tasks/price";
import { MockV3Aggregator__factory, PriceAdapter__factory, TestFeed__factory } from "../../typechain-types";
import { ETH_USD, PRICE_WAD, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("task price:refresh", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    return { sys, flags: await systemFlags(sys) };
  }

  it("refreshes the cached price from the feed and prints the old and new price", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const [, before] = await sys.adapter.cachedPrice();
    await (await sys.feed.updateAnswer(3_100n * 10n ** 8n)).wait();
    await time.setNextBlockTimestamp(before + 754n);
    const { result, lines } = await runTask<RefreshResult>("price:refresh", { adapter: flags.adapter });
    const updatedAt = before + 754n;
    expect(result).to.deep.equal({
      adapter: flags.adapter,
      refreshed: true,
      priceWad: 3_100n * 10n ** 18n,
      updatedAt,
      fromFallback: false,
      previous: { priceWad: PRICE_WAD, updatedAt: before },
      txHash: result.txHash,
      blockNumber: result.blockNumber,
    });
    await expect(result.txHash)
      .to.emit(sys.adapter, "CachedPriceRefreshed")
      .withArgs(3_100n * 10n ** 18n, updatedAt, false);
    expect(await sys.adapter.cachedPrice()).to.deep.equal([3_100n * 10n ** 18n, updatedAt]);
    expect(lines.at(-1)).to.equal(
      `Cached price refreshed: 3100 per native token from the primary feed, stored at ${iso(updatedAt)} (was 3000 ` +
        "per native token, stored 12m 34s earlier).",
    );
  });

  it("skips the refresh while the cache is younger than --if-older", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const [, updatedAt] = await sys.adapter.cachedPrice();
    await time.increaseTo(updatedAt + 90n);
    const { result, lines } = await runTask<RefreshResult>("price:refresh", {
      adapter: flags.adapter,
      ifOlder: "30m",
    });
    expect(result).to.deep.equal({
      adapter: flags.adapter,
      refreshed: false,
      fromFallback: false,
      priceWad: PRICE_WAD,
      updatedAt,
      previous: { priceWad: PRICE_WAD, updatedAt },
    });
    expect(lines).to.deep.equal([
      "Cached price 3000 per native token is 1m 30s old, younger than --if-older 30m: not refreshed.",
    ]);
    expect(await sys.adapter.cachedPrice()).to.deep.equal([PRICE_WAD, updatedAt]);
  });

  it("refreshes a never-refreshed adapter", async function () {
    const { sys } = await loadFixture(fixture);
    const fresh = await new PriceAdapter__factory(sys.admin).deploy(
      sys.admin,
      { feed: sys.feed, heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n },
      "ETH / USD",
    );
    const { result, lines } = await runTask<RefreshResult>("price:refresh", {
      adapter: await fresh.getAddress(),
    });
    expect(result.previous).to.equal(undefined);
    expect(lines.at(-1)).to.equal(
      `Cached price refreshed: 3000 per native token from the primary feed, stored at ${iso(result.updatedAt)} ` +
        "(first refresh).",
    );
  });

  it("says when the price came from the fallback feed", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const fallback = await new MockV3Aggregator__factory(sys.admin).deploy(8, ETH_USD);
    await (
      await sys.adapter.setFallbackFeed(
        { feed: fallback, heartbeat: 86_400, minAnswer: 10n ** 8n, maxAnswer: 10n ** 14n },
        500,
      )
    ).wait();
    // The primary feed now answers 0, below minAnswer. (A stale primary would not do on a local chain: price:refresh
    // renews the local mock feed first.)
    await (await sys.feed.updateAnswer(0)).wait();
    const { result, lines } = await runTask<RefreshResult>("price:refresh", { adapter: flags.adapter });
    expect(result.fromFallback).to.equal(true);
    await expect(result.txHash)
      .to.emit(sys.adapter, "CachedPriceRefreshed")
      .withArgs(PRICE_WAD, result.updatedAt, true);
    expect(lines.at(-1)).to.match(/^Cached price refreshed: 3000 per native token from the FALLBACK feed, /);
  });

  it("explains a stale feed with the decoded custom error and leaves the cache unchanged", async function () {
    const { sys, flags } = await loadFixture(fixture);
    // A feed that is not the local mock (the local mock is renewed before the refresh: price.local-renewal.test.ts).
    const feed = await new TestFeed__factory(sys.admin).deploy(8);
    const updatedAt = BigInt(await time.latest());
    await (await feed.setRoundData(1, ETH_USD, updatedAt, updatedAt)).wait();
    await (
      await sys.adapter.setPrimaryFeed({ feed, heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n })
    ).wait();
    const cached = await sys.adapter.cachedPrice();
    await time.increase(3_601);
    await expectTaskError(
      "price:refresh",
      { adapter: flags.adapter },
      `Refreshing the cached price reverted with PriceAdapterStalePrice(feed=${await feed.getAddress()}, ` +
        `updatedAt=${updatedAt}, heartbeat=3600). The feed's latest answer is older than its heartbeat, and the ` +
        "local mock feed never updates by itself: renew it with `npx hardhat price:set --network localhost` (or " +
        "keep it fresh with `npx hardhat price:keep --network localhost`)",
    );
    expect(await sys.adapter.cachedPrice()).to.deep.equal(cached);
  });

  it("rejects a bad --if-older", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "price:refresh",
      { adapter: flags.adapter, ifOlder: "soon" },
      'Invalid --if-older "soon": expected seconds ("86400") or a number with a unit s, m, h, d or w ("30d")',
    );
  });
});
