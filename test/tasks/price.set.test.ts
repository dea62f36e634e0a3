import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { priceKeep, mockFeedRefusal } from "../../tasks/price";
import type { RefreshResult, SetResult } from "../../tasks/price";
import { LOCAL_STALE_FEED_HINT, hintFor } from "../../tasks/lib/revert";
import { PriceAdapter__factory, TestFeed__factory } from "../../typechain-types";
import { ETH_USD, PRICE_WAD, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, taskFailure } from "../helpers/tasks";

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("tasks price:set and price:keep (a local chain's mock feed, issue 17 item 6)", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    return { sys, flags: await systemFlags(sys) };
  }

  it("sets the mock feed's answer with the chain's time and refreshes the cached price from it", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const [, , , before] = await sys.feed.latestRoundData();
    await time.setNextBlockTimestamp(before + 7_200n);
    const { result, lines } = await runTask<SetResult>("price:set", {
      adapter: flags.adapter,
      answer: "3100.5",
    });
    const answer = 310_050_000_000n;
    const [, feedAnswer, , feedUpdatedAt] = await sys.feed.latestRoundData();
    expect([feedAnswer, feedUpdatedAt]).to.deep.equal([answer, before + 7_200n]);
    expect(result.answer).to.equal(answer);
    expect(result.previousAnswer).to.equal(ETH_USD);
    expect(result.updatedAt).to.equal(before + 7_200n);
    expect(result.refresh?.priceWad).to.equal(3_100_500_000_000_000_000_000n);
    const [priceWad, cachedAt] = await sys.adapter.cachedPrice();
    expect(priceWad).to.equal(3_100_500_000_000_000_000_000n);
    expect(cachedAt).to.be.greaterThan(before + 7_200n);
    expect(lines).to.include(
      `Mock feed ${await sys.feed.getAddress()}: $3100.5 at ${iso(before + 7_200n)} (was $3000 at ${iso(before)}).`,
    );
  });

  it("renews a stale feed with its current answer when --answer is omitted, which price:refresh then accepts", async function () {
    const { sys, flags } = await loadFixture(fixture);
    await time.increase(3_601);
    // Stale: the adapter refuses the feed's answer.
    await expect(sys.adapter.nativePrice()).to.be.revertedWithCustomError(
      sys.adapter,
      "PriceAdapterStalePrice",
    );
    const { result } = await runTask<SetResult>("price:set", { adapter: flags.adapter, noRefresh: true });
    expect(result.answer).to.equal(ETH_USD);
    expect(result.refresh).to.equal(undefined);
    expect(result.updatedAt).to.equal(await time.latest());
    const { result: refreshed, lines } = await runTask<RefreshResult>("price:refresh", {
      adapter: flags.adapter,
    });
    // Already fresh: price:refresh had nothing to renew.
    expect(refreshed.renewedFeed).to.equal(undefined);
    expect(lines.at(-1)).to.match(/^Cached price refreshed: 3000 per native token from the primary feed/);
    expect((await sys.adapter.cachedPrice())[0]).to.equal(PRICE_WAD);
  });

  it("refuses an answer outside the adapter's bounds, changing nothing", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const round = await sys.feed.latestRound();
    await expectTaskError(
      "price:set",
      { adapter: flags.adapter, answer: "0.5" },
      'Invalid --answer "0.5": the adapter accepts answers from $1 to $1000000 (its minAnswer and maxAnswer); ' +
        "outside them every price read fails",
    );
    await expectTaskError(
      "price:set",
      { adapter: flags.adapter, answer: "1.123456789" },
      'Invalid --answer "1.123456789": expected an amount of USD as a decimal number with at most 8 decimals, such as "25"',
    );
    expect(await sys.feed.latestRound()).to.equal(round);
  });

  it("refuses a feed that is not the local MockV3Aggregator", async function () {
    const { sys } = await loadFixture(fixture);
    const [admin] = await hre.ethers.getSigners();
    const feed = await new TestFeed__factory(admin).deploy(8);
    await (await feed.setRoundData(1, ETH_USD, await time.latest(), await time.latest())).wait();
    const adapter = await new PriceAdapter__factory(admin).deploy(
      admin,
      { feed, heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n },
      "ETH / USD",
    );
    const { message } = await taskFailure("price:set", {
      adapter: await adapter.getAddress(),
      answer: "3100",
    });
    expect(message).to.equal(
      "price:set sets the MockV3Aggregator that a local deployment uses as its ETH/USD feed; the adapter's primary " +
        `feed ${await feed.getAddress()} has other code: not set (deploy with \`npm run deploy -- --network ` +
        "localhost`, or pass --adapter with an adapter that reads the mock)",
    );
    expect((await feed.latestRoundData())[1]).to.equal(ETH_USD);
    expect(await sys.feed.latestAnswer()).to.equal(ETH_USD);
  });

  it("refuses every network but a local one: a real network's feed is Chainlink's", function () {
    const feed = "0x694AA1769357215DE4FAC081bf1f309aDC325306";
    expect(mockFeedRefusal("sepolia", 11_155_111n, feed, false)).to.equal(
      "price:set sets the mock ETH/USD feed of a local deployment (chain 31337, --network localhost) only: network " +
        `"sepolia" is chain 11155111, whose feed ${feed} is a Chainlink feed updated by its oracles. A stale price ` +
        "there means the feed stopped updating: wait for it or configure a fallback feed (docs/operations.md)",
    );
    // Even a mock's code on a chain that is not local, or a local chain id under another network name.
    expect(mockFeedRefusal("sepolia", 11_155_111n, feed, true)).to.include(
      'network "sepolia" is chain 11155111',
    );
    expect(mockFeedRefusal("anvilFork", 31_337n, feed, true)).to.include(
      'network "anvilFork" is chain 31337',
    );
    expect(mockFeedRefusal("localhost", 31_337n, feed, true)).to.equal(undefined);
  });

  it("price:keep renews the feed and the cache every --interval for --rounds", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const lines: string[] = [];
    const slept: number[] = [];
    const results = await priceKeep(
      hre,
      { adapter: flags.adapter, interval: "20m", rounds: "3" },
      (l) => lines.push(l),
      async (ms) => {
        slept.push(ms);
        // The chain's clock moves on while the keeper sleeps: without the keeper, the feed would be stale by round 3.
        await time.increase(ms / 1000);
      },
    );
    expect(slept).to.deep.equal([1_200_000, 1_200_000]);
    expect(results).to.have.length(3);
    expect(results.map((r) => r.answer)).to.deep.equal([ETH_USD, ETH_USD, ETH_USD]);
    expect(results[2].updatedAt - results[0].updatedAt).to.be.at.least(2_400n);
    const [, cachedAt] = await sys.adapter.cachedPrice();
    expect(cachedAt).to.equal(results[2].refresh?.updatedAt);
    expect(lines[0]).to.equal("Keeping the local mock ETH/USD feed fresh every 20m for 3 round(s).");
  });

  it("price:keep refuses an interval as long as the heartbeat (the feed would go stale between renewals)", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "price:keep",
      { adapter: flags.adapter, interval: "1h", rounds: "1" },
      'Invalid --interval "1h": the feed goes stale after the adapter\'s heartbeat of 1h; renew it more often than ' +
        "that (default 10m)",
    );
    await expectTaskError(
      "price:keep",
      { adapter: flags.adapter, interval: "0", rounds: "1" },
      'Invalid --interval "0": expected a duration above zero',
    );
  });

  it("the stale-feed hint says what to do on a local chain, and keeps the live networks' advice", function () {
    const decoded = { name: "PriceAdapterStalePrice", args: [], raw: [] };
    expect(hintFor(decoded, { localChain: true })).to.equal(
      `the feed's latest answer is older than its heartbeat, and ${LOCAL_STALE_FEED_HINT}`,
    );
    expect(hintFor(decoded, { localChain: false })).to.equal(
      "the feed's latest answer is older than its heartbeat: wait for the feed to update (or configure a fallback " +
        "feed); purchases and the price cache stay closed meanwhile",
    );
  });
});
