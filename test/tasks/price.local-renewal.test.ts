import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { createWalletClient, custom, getAddress } from "viem";
import type { Address, Hex } from "viem";

import { LOCAL_FEED_RENEWAL_MARGIN, renewLocalMockFeed } from "../../src/client/localFeed";
import type { BuyResult } from "../../tasks/credits";
import type { RefreshResult } from "../../tasks/price";
import { mockFeedCode, renewLocalFeedIfDue } from "../../tasks/lib/localFeed";
import { TestFeed__factory } from "../../typechain-types";
import { ETH_USD, PRICE_WAD, deploySystem } from "../helpers/system";
import { runTask, systemFlags, taskFailure } from "../helpers/tasks";

const renewalLine = (feed: string, age: string) =>
  `Local chain: the mock ETH/USD feed ${feed} was ${age} old, renewed at $3000 with a fresh timestamp (it never ` +
  "updates by itself; `npx hardhat price:set --answer <usd>` sets another price).";

describe("a local deployment keeps its mock feed fresh (issue 17 item 6)", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const [, , , feedUpdatedAt] = await sys.feed.latestRoundData();
    return { sys, flags: await systemFlags(sys), feed: await sys.feed.getAddress(), feedUpdatedAt };
  }

  describe("tasks", function () {
    it("price:refresh two hours after the feed's last answer renews the mock (same answer) and refreshes", async function () {
      const { sys, flags, feed, feedUpdatedAt } = await loadFixture(fixture);
      await time.increaseTo(feedUpdatedAt + 7_200n);
      const { result, lines } = await runTask<RefreshResult>("price:refresh", { adapter: flags.adapter });
      // The renewal is the next block's (one second later): the same answer, the chain's time.
      expect(result.renewedFeed).to.deep.equal({
        feed: getAddress(feed),
        answer: ETH_USD,
        previousUpdatedAt: feedUpdatedAt,
        updatedAt: feedUpdatedAt + 7_201n,
        txHash: result.renewedFeed?.txHash,
      });
      const [, answer, , updatedAt] = await sys.feed.latestRoundData();
      expect([answer, updatedAt]).to.deep.equal([ETH_USD, feedUpdatedAt + 7_201n]);
      expect([result.refreshed, result.priceWad, result.fromFallback]).to.deep.equal([
        true,
        PRICE_WAD,
        false,
      ]);
      expect(await sys.adapter.cachedPrice()).to.deep.equal([PRICE_WAD, result.updatedAt]);
      expect(lines[0]).to.equal(renewalLine(getAddress(feed), "2h 1s"));
      expect(lines.at(-1)).to.match(/^Cached price refreshed: 3000 per native token from the primary feed/);
    });

    it("credits:buy --eth and --credits work hours later, each renewing the feed it finds stale", async function () {
      const { sys, flags, feed, feedUpdatedAt } = await loadFixture(fixture);
      await time.increaseTo(feedUpdatedAt + 3n * 3_600n);
      const first = await runTask<BuyResult>("credits:buy", { ledger: flags.ledger, eth: "0.01" });
      expect(first.result.priceWad).to.equal(PRICE_WAD);
      expect(first.result.renewedFeed?.answer).to.equal(ETH_USD);
      expect(first.lines[0]).to.equal(renewalLine(getAddress(feed), "3h 1s"));
      await time.increase(2 * 3_600);
      const second = await runTask<BuyResult>("credits:buy", { ledger: flags.ledger, credits: "40" });
      expect(second.result.credits).to.be.at.least(40n * 10n ** 6n);
      expect(second.result.renewedFeed?.updatedAt).to.equal(
        BigInt((await hre.ethers.provider.getBlock(second.result.blockNumber - 1))!.timestamp),
      );
      expect((await sys.feed.latestRoundData())[3]).to.equal(second.result.renewedFeed?.updatedAt);
    });

    it("leaves a fresh feed alone, and renews one due within the margin", async function () {
      const { sys, flags, feedUpdatedAt } = await loadFixture(fixture);
      const round = await sys.feed.latestRound();
      await time.increaseTo(feedUpdatedAt + 600n);
      const fresh = await runTask<RefreshResult>("price:refresh", { adapter: flags.adapter });
      expect(fresh.result.renewedFeed).to.equal(undefined);
      expect(fresh.lines.some((l) => l.startsWith("Local chain:"))).to.equal(false);
      expect(await sys.feed.latestRound()).to.equal(round);
      // One second inside the margin: the next blocks would find it stale soon, so it is renewed now.
      await time.increaseTo(feedUpdatedAt + 3_600n - LOCAL_FEED_RENEWAL_MARGIN);
      const due = await runTask<RefreshResult>("price:refresh", { adapter: flags.adapter });
      expect(due.result.renewedFeed?.previousUpdatedAt).to.equal(feedUpdatedAt);
      expect(await sys.feed.latestRound()).to.equal(round + 1n);
    });

    it("renews nothing when the arguments are wrong", async function () {
      const { sys, flags } = await loadFixture(fixture);
      const round = await sys.feed.latestRound();
      await time.increase(7_200);
      const { message } = await taskFailure("credits:buy", { ledger: flags.ledger, credits: "lots" });
      expect(message).to.match(/^Invalid --credits "lots"/);
      expect(await sys.feed.latestRound()).to.equal(round);
    });

    it("never renews a feed that is not the local mock: the stale price is explained, the feed untouched", async function () {
      const { sys, flags } = await loadFixture(fixture);
      // A Chainlink-style feed with other code stands for a real one (as on an anvil fork, also chain 31337).
      const other = await new TestFeed__factory(sys.admin).deploy(8);
      const now = BigInt(await time.latest());
      await (await other.setRoundData(7, ETH_USD, now, now)).wait();
      await (
        await sys.adapter.setPrimaryFeed({
          feed: other,
          heartbeat: 3_600,
          minAnswer: 1n,
          maxAnswer: 10n ** 14n,
        })
      ).wait();
      await time.increase(7_200);
      const { message, lines } = await taskFailure("price:refresh", { adapter: flags.adapter });
      expect(message).to.match(/^Refreshing the cached price reverted with PriceAdapterStalePrice\(feed=/);
      expect(lines.some((l) => l.startsWith("Local chain:"))).to.equal(false);
      expect((await other.latestRoundData())[3]).to.equal(now);
      const buy = await taskFailure("credits:buy", { ledger: flags.ledger, eth: "0.01" });
      expect(buy.message).to.include("reverted with PriceAdapterStalePrice(");
      expect(await other.latestRoundData()).to.deep.equal([7n, ETH_USD, now, now, 7n]);
    });

    it("does nothing, without a single RPC call, on a network that is not local", async function () {
      const { flags } = await loadFixture(fixture);
      await time.increase(7_200);
      const calls: string[] = [];
      const provider = {
        request: (args: { method: string }) => {
          calls.push(args.method);
          return hre.network.provider.request(args);
        },
      };
      const sepolia = { ...hre, network: { ...hre.network, name: "sepolia", provider } } as typeof hre;
      const lines: string[] = [];
      const signer = (await hre.ethers.getSigners())[0].address;
      expect(
        await renewLocalFeedIfDue(sepolia, flags.adapter as Address, signer, (l) => lines.push(l)),
      ).to.equal(undefined);
      expect([calls, lines]).to.deep.equal([[], []]);
    });
  });

  describe("renewLocalMockFeed (the client's check)", function () {
    /** A wallet over Hardhat's provider that reports `chainId` (a fork of a live network, or a live one). */
    async function walletOn(chainId: number) {
      const [signer] = await hre.ethers.getSigners();
      const sent: string[] = [];
      const wallet = createWalletClient({
        account: getAddress(signer.address),
        transport: custom({
          request: async (args: { method: string; params?: unknown }) => {
            if (args.method === "eth_chainId") return `0x${chainId.toString(16)}`;
            if (args.method === "eth_sendTransaction") sent.push(args.method);
            return hre.network.provider.request(args as { method: string; params?: unknown[] });
          },
        }),
      });
      return { wallet, sent };
    }

    it("renews the stale mock on chain 31337", async function () {
      const { sys, flags } = await loadFixture(fixture);
      await time.increase(7_200);
      const { wallet, sent } = await walletOn(31_337);
      const renewal = await renewLocalMockFeed(wallet, {
        adapter: flags.adapter as Address,
        mockCode: await mockFeedCode(hre),
      });
      expect(renewal?.answer).to.equal(ETH_USD);
      expect(sent).to.deep.equal(["eth_sendTransaction"]);
      expect((await sys.feed.latestRoundData())[3]).to.equal(await time.latest());
    });

    it("never renews on another chain id, even a feed with the mock's code", async function () {
      const { sys, flags } = await loadFixture(fixture);
      await time.increase(7_200);
      const round = await sys.feed.latestRound();
      const { wallet, sent } = await walletOn(1);
      const mockCode = await mockFeedCode(hre);
      expect(await renewLocalMockFeed(wallet, { adapter: flags.adapter as Address, mockCode })).to.equal(
        undefined,
      );
      expect(sent).to.deep.equal([]);
      expect(await sys.feed.latestRound()).to.equal(round);
    });

    it("never renews a feed whose code is not the mock's", async function () {
      const { sys, flags } = await loadFixture(fixture);
      await time.increase(7_200);
      const round = await sys.feed.latestRound();
      const { wallet, sent } = await walletOn(31_337);
      const otherCode = (await hre.artifacts.readArtifact("TestFeed")).deployedBytecode as Hex;
      expect(
        await renewLocalMockFeed(wallet, { adapter: flags.adapter as Address, mockCode: otherCode }),
      ).to.equal(undefined);
      expect(sent).to.deep.equal([]);
      expect(await sys.feed.latestRound()).to.equal(round);
    });
  });
});
