import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";

import type { BuyResult } from "../../tasks/credits";
import { MockV3Aggregator__factory, TestERC20__factory, TestFeed__factory } from "../../typechain-types";
import { CREDIT, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";

describe("task credits:buy", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const flags = await systemFlags(sys);
    return {
      sys,
      flags,
      dapp: await sys.dapp.getAddress(),
      treasury: await sys.treasury.getAddress(),
      user: ethers.Wallet.createRandom().address,
    };
  }

  it("buys credits for --account with --eth, sends the ETH to the treasury and prints the result", async function () {
    const { sys, flags, dapp, treasury, user } = await loadFixture(fixture);
    const before = await ethers.provider.getBalance(treasury);
    await (await sys.feed.updateAnswer(3_300n * 10n ** 8n)).wait(); // +10%: the cache still says 3000
    const { result, lines } = await runTask<BuyResult>("credits:buy", {
      ledger: flags.ledger,
      account: user,
      eth: "0.01",
      from: dapp,
    });
    expect(result).to.deep.equal({
      account: user,
      buyer: dapp,
      paidWei: ethers.parseEther("0.01"),
      credits: 33n * CREDIT,
      priceWad: 3_300n * 10n ** 18n,
      balance: 33n * CREDIT,
      txHash: result.txHash,
      blockNumber: result.blockNumber,
    });
    const receipt = await ethers.provider.getTransactionReceipt(result.txHash);
    expect(receipt?.blockNumber).to.equal(result.blockNumber);
    await expect(receipt?.hash)
      .to.emit(sys.ledger, "CreditsPurchased")
      .withArgs(user, dapp, ethers.ZeroAddress, ethers.parseEther("0.01"), 33n * CREDIT);
    await expect(receipt?.hash)
      .to.emit(sys.adapter, "CachedPriceRefreshed")
      .withArgs(
        3_300n * 10n ** 18n,
        BigInt((await ethers.provider.getBlock(result.blockNumber))!.timestamp),
        false,
      );
    expect((await sys.adapter.cachedPrice())[0]).to.equal(3_300n * 10n ** 18n);
    expect(await ethers.provider.getBalance(treasury)).to.equal(before + ethers.parseEther("0.01"));
    expect(await sys.ledger.balanceOfCredits(user)).to.equal(33n * CREDIT);
    expect(lines).to.deep.equal([
      "Quote: 0.01 ETH buys 33 credits at 3300 per native token. The purchase refreshes the adapter's cached " +
        "price to the live price it credits at (the price the paymaster charges gas at).",
      `Buying credits for ${user}: sending…`,
      `Buying credits for ${user}: sent ${result.txHash}, waiting to be mined…`,
      `Buying credits for ${user}: mined in block ${result.blockNumber} (gas used ${receipt?.gasUsed})`,
      `Bought 33 credits for ${user} at 3300 per native token, paid 0.01 ETH (10000000000000000 wei) to the ` +
        `treasury ${treasury}. Balance now 33 credits.`,
    ]);
  });

  it("buys at least --credits, paying the ETH the adapter quotes (rounded up), for the signer by default", async function () {
    const { sys, flags, dapp } = await loadFixture(fixture);
    const wei = await sys.adapter.weiForCredits(12_500_000n);
    const { result } = await runTask<BuyResult>("credits:buy", {
      ledger: flags.ledger,
      credits: "12.5",
      from: dapp,
    });
    expect(result.account).to.equal(dapp);
    expect(result.paidWei).to.equal(wei);
    expect(result.credits).to.equal(12_500_000n);
    expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(12_500_000n);
  });

  it("reports that the ETH went to the paymaster's EntryPoint deposit in deposit mode", async function () {
    const { sys, flags, user } = await loadFixture(fixture);
    await (await sys.ledger.setEthDestination(sys.entryPoint, sys.paymaster)).wait();
    const deposit = await sys.paymaster.getDeposit();
    const { lines } = await runTask<BuyResult>("credits:buy", {
      ledger: flags.ledger,
      account: user,
      eth: "0.02",
    });
    expect(lines.at(-1)).to.equal(
      `Bought 60 credits for ${user} at 3000 per native token, paid 0.02 ETH (20000000000000000 wei) to the ` +
        `EntryPoint deposit of paymaster ${flags.paymaster}. Balance now 60 credits.`,
    );
    expect(await sys.paymaster.getDeposit()).to.equal(deposit + ethers.parseEther("0.02"));
  });

  describe("validation", function () {
    it("requires exactly one of --eth and --credits", async function () {
      const { flags } = await loadFixture(fixture);
      const message =
        "Pass exactly one of --eth <amount> (ETH to pay) or --credits <amount> (credits to buy)";
      await expectTaskError("credits:buy", { ledger: flags.ledger }, message);
      await expectTaskError("credits:buy", { ledger: flags.ledger, eth: "1", credits: "1" }, message);
    });

    for (const [value, expected] of [
      ["0", "expected an amount above zero"],
      ["-1", 'expected an amount of the native token in ether units (at most 18 decimals), such as "0.05"'],
      ["1e18", 'expected an amount of the native token in ether units (at most 18 decimals), such as "0.05"'],
      [
        "0.0000000000000000001",
        'expected an amount of the native token in ether units (at most 18 decimals), such as "0.05"',
      ],
    ] as const) {
      it(`rejects --eth "${value}"`, async function () {
        const { flags } = await loadFixture(fixture);
        await expectTaskError(
          "credits:buy",
          { ledger: flags.ledger, eth: value },
          `Invalid --eth "${value}": ${expected}`,
        );
      });
    }

    it("rejects --credits with more than 6 decimals", async function () {
      const { flags } = await loadFixture(fixture);
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, credits: "1.0000001" },
        'Invalid --credits "1.0000001": expected credits as a decimal number with at most 6 decimals, such as "12.5"',
      );
    });

    it("rejects a --from that is not one of the network's accounts", async function () {
      const { flags, user } = await loadFixture(fixture);
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "1", from: user },
        `Invalid --from "${user}": not one of the 20 accounts of network "hardhat" (configure its key in ` +
          "hardhat.config.ts)",
      );
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "1", from: "20" },
        'Invalid --from "20": expected an account index from 0 to 19 (network "hardhat" has 20 accounts) or an ' +
          "account address",
      );
    });
  });

  describe("preconditions", function () {
    it("fails while the ledger is paused", async function () {
      const { sys, flags } = await loadFixture(fixture);
      await (await sys.ledger.connect(sys.guardian).pause()).wait();
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "0.01" },
        `CreditLedger ${flags.ledger} is paused: purchases are stopped until its admin unpauses it (unpause())`,
      );
    });

    it("fails below the ledger's minimum purchase", async function () {
      const { sys, flags } = await loadFixture(fixture);
      await (await sys.ledger.setMinPurchase(100n * CREDIT)).wait();
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "0.01" },
        "0.01 ETH buys 30 credits, below the ledger's minimum purchase of 100 credits",
      );
    });

    it("fails when the signer cannot pay", async function () {
      const { flags, dapp } = await loadFixture(fixture);
      await setBalance(dapp, ethers.parseEther("0.001"));
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "0.01", from: dapp },
        `${dapp} has 0.001 ETH, less than the 0.01 ETH to pay (plus gas)`,
      );
    });

    it("explains a stale feed with the adapter's decoded custom error", async function () {
      const { sys, flags } = await loadFixture(fixture);
      // A feed that is not the local mock (the local mock is renewed before the purchase: price.local-renewal.test.ts).
      const feed = await new TestFeed__factory(sys.admin).deploy(8);
      const updatedAt = BigInt(await time.latest());
      await (await feed.setRoundData(1, 3_000n * 10n ** 8n, updatedAt, updatedAt)).wait();
      await (
        await sys.adapter.setPrimaryFeed({ feed, heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n })
      ).wait();
      await time.increase(3_601);
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, eth: "0.01" },
        "Pricing the purchase (PriceAdapter.refreshAndQuoteWei, which the purchase calls) reverted with " +
          "PriceAdapterStalePrice(" +
          `feed=${await feed.getAddress()}, updatedAt=${updatedAt}, heartbeat=3600). The feed's latest answer ` +
          "is older than its heartbeat, and the local mock feed never updates by itself: renew it with `npx " +
          "hardhat price:set --network localhost` (or keep it fresh with `npx hardhat price:keep --network " +
          "localhost`)",
      );
    });
  });

  describe("--token (an allowlisted stablecoin)", function () {
    /** USDC (6 decimals) listed on the adapter at $1 (8-decimal feed); the dApp holds 100 USDC, no allowance. */
    async function tokenFixture() {
      const base = await fixture();
      const { sys } = base;
      const usdc = await new TestERC20__factory(sys.admin).deploy("USD Coin", "USDC", 6);
      const usdcUsd = await new MockV3Aggregator__factory(sys.admin).deploy(8, 10n ** 8n);
      await (
        await sys.adapter.connect(sys.admin).setStablecoinFeed(usdc, {
          feed: usdcUsd,
          heartbeat: 86_400,
          minAnswer: 5n * 10n ** 7n,
          maxAnswer: 2n * 10n ** 8n,
        })
      ).wait();
      await (await usdc.mint(base.dapp, 100n * CREDIT)).wait();
      const unlisted = await new TestERC20__factory(sys.admin).deploy("Other", "OTH", 6);
      return { ...base, usdc, token: await usdc.getAddress(), unlisted: await unlisted.getAddress() };
    }

    it("approves the ledger, then buys with --amount of the token, paying the treasury", async function () {
      const { sys, flags, dapp, treasury, user, usdc, token } = await loadFixture(tokenFixture);
      const { result, lines } = await runTask<BuyResult>("credits:buy", {
        ledger: flags.ledger,
        account: user,
        token,
        amount: "25",
        from: dapp,
      });
      expect(result).to.deep.include({
        account: user,
        buyer: dapp,
        paidWei: 0n,
        credits: 25n * CREDIT,
        balance: 25n * CREDIT,
        token,
        paidTokens: 25n * CREDIT,
      });
      await expect(result.txHash)
        .to.emit(sys.ledger, "CreditsPurchased")
        .withArgs(user, dapp, token, 25n * CREDIT, 25n * CREDIT);
      expect(await usdc.balanceOf(treasury)).to.equal(25n * CREDIT);
      expect(await usdc.allowance(dapp, flags.ledger)).to.equal(0n);
      expect(lines[0]).to.equal(
        "Quote: 25 USDC buys 25 credits. The purchase also refreshes the adapter's cached native price (the price " +
          "the paymaster charges gas at).",
      );
      expect(lines[2]).to.match(
        new RegExp(`^Approving CreditLedger ${flags.ledger} to take 25 USDC: sent 0x`),
      );
      expect(lines.at(-1)).to.equal(
        `Bought 25 credits for ${user}, paid 25 USDC to the treasury ${treasury}. Balance now 25 credits.`,
      );

      // With an allowance already in place, no approval is sent.
      await (await usdc.connect(sys.dapp).approve(flags.ledger, 10n * CREDIT)).wait();
      const again = await runTask<BuyResult>("credits:buy", {
        ledger: flags.ledger,
        token,
        amount: "10",
        from: dapp,
      });
      expect(again.result.credits).to.equal(10n * CREDIT);
      expect(again.lines.some((line) => line.startsWith("Approving"))).to.equal(false);
    });

    it("refuses a token the adapter does not list, a bad --amount, too few tokens and mixed flags", async function () {
      const { flags, dapp, token, unlisted } = await loadFixture(tokenFixture);
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, token: unlisted, amount: "5", from: dapp },
        `OTH ${unlisted} is not a stablecoin PriceAdapter ${flags.adapter} lists: purchases take only listed ` +
          "stablecoins (its admin adds one with setStablecoinFeed)",
      );
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, token, amount: "1.0000001", from: dapp },
        'Invalid --amount "1.0000001": expected an amount of USDC as a decimal number with at most 6 decimals, ' +
          'such as "25"',
      );
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, token, amount: "500", from: dapp },
        `${dapp} has 100 USDC, less than the 500 USDC to pay`,
      );
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, token, eth: "0.01", from: dapp },
        "With --token <address>, pass --amount <tokens> (tokens to pay), not --eth or --credits",
      );
      await expectTaskError(
        "credits:buy",
        { ledger: flags.ledger, token: dapp, amount: "5", from: dapp },
        `${dapp} (--token) is not an ERC-20 token: it has no symbol() and decimals(). Check the address`,
      );
    });
  });
});
