import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { StatusReport } from "../../tasks/paymaster";
import { ENTRY_POINT_ADDRESSES } from "../helpers/entrypoint";
import { CreditPaymaster__factory, PriceAdapter__factory } from "../../typechain-types";
import { defaultPaymasterConfig, deploySystem } from "../helpers/system";
import { runTask, systemFlags } from "../helpers/tasks";

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("task paymaster:status", function () {
  async function fixtureV08() {
    const sys = await deploySystem("0.8");
    return { sys, flags: await systemFlags(sys) };
  }
  async function fixtureV07() {
    const sys = await deploySystem("0.7");
    return { sys, flags: await systemFlags(sys) };
  }

  it("prints the deposit, stake, price cache age, caps and EntryPoint version", async function () {
    const { sys, flags } = await loadFixture(fixtureV08);
    const admin = await sys.admin.getAddress();
    const [, updatedAt] = await sys.adapter.cachedPrice();
    const age = BigInt(await time.latest()) - updatedAt;
    const { lines } = await runTask<StatusReport>("paymaster:status", { paymaster: flags.paymaster });
    expect(lines).to.deep.equal([
      `CreditPaymaster ${flags.paymaster} on chain 31337`,
      `  owner                             ${admin}`,
      `  EntryPoint                        v0.8 ${ENTRY_POINT_ADDRESSES["0.8"]}`,
      "  paused                            no",
      "  deposit                           10 ETH",
      "  stake                             1 ETH staked, unstake delay 1d",
      `  cached price                      3000 per native token, stored ${iso(updatedAt)} (${age}s ago; maxPriceAge ` +
        "1h): fresh",
      `  ledger                            ${flags.ledger} (spender: yes, paused: no)`,
      `  price adapter                     ${flags.adapter}`,
      "  maxCallGasLimit                   2000000",
      "  maxVerificationGasLimit           1000000",
      "  maxPreVerificationGas             1000000",
      "  maxPaymasterVerificationGasLimit  300000",
      "  maxPaymasterPostOpGasLimit        500000",
      "  maxFeePerGas                      500 gwei",
      "  maxPriorityFeePerGas              2 gwei",
      "  postOpGasMargin                   0",
      "  maxCreditsPerOp                   100 credits",
      "  markupBps                         10500 (1.05× the price)",
      "  maxPriceAge                       1h",
      "  deposit coverage                  pays for 31500 credits of gas at the cached price and markup; no credits " +
        "outstanding",
      "  other paymasters                  none",
    ]);
  });

  it("prints exact JSON with --json", async function () {
    const { sys, flags } = await loadFixture(fixtureV08);
    const [priceWad, updatedAt] = await sys.adapter.cachedPrice();
    const age = BigInt(await time.latest()) - updatedAt;
    const { result, lines } = await runTask<StatusReport>("paymaster:status", {
      paymaster: flags.paymaster,
      json: true,
    });
    const expected: StatusReport = {
      chainId: "31337",
      paymaster: flags.paymaster,
      owner: await sys.admin.getAddress(),
      pendingOwner: ethers.ZeroAddress,
      entryPoint: ENTRY_POINT_ADDRESSES["0.8"],
      entryPointVersion: "0.8",
      ledger: flags.ledger,
      adapter: flags.adapter,
      paused: false,
      depositWei: ethers.parseEther("10").toString(),
      stake: {
        staked: true,
        amountWei: ethers.parseEther("1").toString(),
        unstakeDelaySec: "86400",
        withdrawTime: "0",
      },
      price: {
        priceWad: priceWad.toString(),
        updatedAt: updatedAt.toString(),
        ageSec: age.toString(),
        maxPriceAge: "3600",
        fresh: true,
      },
      config: {
        maxCallGasLimit: "2000000",
        maxPreVerificationGas: "1000000",
        maxVerificationGasLimit: "1000000",
        maxPaymasterVerificationGasLimit: "300000",
        maxPaymasterPostOpGasLimit: "500000",
        maxFeePerGas: "500000000000",
        maxPriorityFeePerGas: "2000000000",
        postOpGasMargin: "0",
        maxCreditsPerOp: "100000000",
        markupBps: "10500",
        maxPriceAge: "3600",
      },
      ledgerSpender: true,
      ledgerPaused: false,
      coverage: {
        depositCredits: "31500000000",
        outstandingCredits: "0",
        spendableWei: "0",
        coverageBps: null,
        maxOpWei: "31746031746031746",
      },
      otherPaymasters: [],
      warnings: [],
    };
    expect(result).to.deep.equal(expected);
    expect(JSON.parse(lines[0])).to.deep.equal(expected);
  });

  it("reports the EntryPoint v0.7 paymaster", async function () {
    const { flags } = await loadFixture(fixtureV07);
    const { result } = await runTask<StatusReport>("paymaster:status", {
      paymaster: flags.paymaster,
      json: true,
    });
    expect([result.entryPointVersion, result.entryPoint]).to.deep.equal([
      "0.7",
      ENTRY_POINT_ADDRESSES["0.7"],
    ]);
  });

  it("warns when the cached price is older than maxPriceAge", async function () {
    const { sys, flags } = await loadFixture(fixtureV08);
    const [, updatedAt] = await sys.adapter.cachedPrice();
    await time.increaseTo(updatedAt + 3_700n);
    const { result, lines } = await runTask<StatusReport>("paymaster:status", { paymaster: flags.paymaster });
    expect(result.price.fresh).to.equal(false);
    const warning =
      `the cached price is 1h 1m 40s old, more than maxPriceAge (1h): operations get a validUntil in ` +
      "the past and are refused; run `npx hardhat price:refresh`";
    expect(result.warnings).to.deep.equal([warning]);
    expect(lines.at(-1)).to.equal(`WARNING: ${warning}`);
    expect(lines[6]).to.match(/: STALE$/);
  });

  it("warns when paused, unstaking, not a ledger spender, the ledger paused and the deposit empty", async function () {
    const { sys, flags } = await loadFixture(fixtureV08);
    const admin = await sys.admin.getAddress();
    await (await sys.paymaster.connect(sys.guardian).setPaused(true)).wait();
    await (await sys.paymaster.unlockStake()).wait();
    const withdrawTime = BigInt(await time.latest()) + 86_400n;
    await (await sys.paymaster.withdrawTo(admin, await sys.paymaster.getDeposit())).wait();
    await (await sys.ledger.removeSpender(sys.paymaster)).wait();
    await (await sys.ledger.connect(sys.guardian).pause()).wait();
    const { result } = await runTask<StatusReport>("paymaster:status", {
      paymaster: flags.paymaster,
      json: true,
    });
    expect(result.paused).to.equal(true);
    expect(result.stake).to.deep.equal({
      staked: false,
      amountWei: ethers.parseEther("1").toString(),
      unstakeDelaySec: "86400",
      withdrawTime: withdrawTime.toString(),
    });
    expect(result.warnings).to.deep.equal([
      "the paymaster is paused: it refuses every new operation",
      "the EntryPoint deposit is empty: add funds with paymaster:deposit",
      "not staked on the EntryPoint: bundlers refuse a paymaster that reads other contracts' storage unless it is " +
        "staked (ERC-7562)",
      `not a spender of CreditLedger ${flags.ledger}: every hold reverts; its admin must call ` +
        `addSpender(${flags.paymaster})`,
      `CreditLedger ${flags.ledger} is paused: no new holds`,
    ]);
    const { lines } = await runTask<StatusReport>("paymaster:status", { paymaster: flags.paymaster });
    expect(lines[5]).to.equal(
      `  stake                             1 ETH, not staked (withdrawable from ${iso(withdrawTime)})`,
    );
  });

  it("reports a price cache that was never refreshed", async function () {
    const { sys } = await loadFixture(fixtureV08);
    const adapter = await new PriceAdapter__factory(sys.admin).deploy(
      sys.admin,
      { feed: sys.feed, heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n },
      "ETH / USD",
    );
    const paymaster = await new CreditPaymaster__factory(sys.admin).deploy(
      sys.entryPoint,
      sys.ledger,
      adapter,
      sys.admin,
      defaultPaymasterConfig(),
      86_400,
      ethers.parseEther("1"),
      { value: ethers.parseEther("2") },
    );
    await (await sys.ledger.addSpender(paymaster)).wait();
    const { result, lines } = await runTask<StatusReport>("paymaster:status", {
      paymaster: await paymaster.getAddress(),
    });
    expect(result.price).to.deep.equal({
      priceWad: null,
      updatedAt: null,
      ageSec: null,
      maxPriceAge: "3600",
      fresh: false,
    });
    const warning =
      "the price cache was never refreshed: every operation is refused; run `npx hardhat price:refresh`";
    expect(result.warnings).to.deep.equal([warning]);
    expect(lines[6]).to.equal("  cached price                      never refreshed");
    expect(result.coverage).to.equal(null);
    expect(lines.at(-3)).to.equal("  deposit coverage                  unknown (no cached price)");
    expect(lines.at(-1)).to.equal(`WARNING: ${warning}`);
  });

  it("shows each paymaster's deposit against what the ledger's outstanding credits could draw through it", async function () {
    const { sys, flags } = await loadFixture(fixtureV08);
    await (await sys.ledger.connect(sys.dapp).buyCredits(sys.dapp, { value: ethers.parseEther("5") })).wait();
    const v07 = await new CreditPaymaster__factory(sys.admin).deploy(
      ENTRY_POINT_ADDRESSES["0.7"],
      sys.ledger,
      sys.adapter,
      sys.admin,
      defaultPaymasterConfig(),
      86_400,
      ethers.parseEther("1"),
      { value: ethers.parseEther("1.01") },
    );
    await (await sys.ledger.addSpender(v07)).wait();
    const v07Address = await v07.getAddress();
    const outstanding = await sys.ledger.totalIssued();
    expect(outstanding).to.equal(15_000n * 10n ** 6n); // 5 ETH at $3,000
    const [priceWad] = await sys.adapter.cachedPrice();
    // The paymaster's charge inverted: credits = wei × price × markup / 1e34.
    const spendableWei = (outstanding * 10n ** 34n) / (priceWad * 10_500n);
    expect(spendableWei).to.equal(4_761_904_761_904_761_904n);

    const { result, lines } = await runTask<StatusReport>("paymaster:status", { paymaster: flags.paymaster });
    expect(result.coverage).to.deep.equal({
      depositCredits: "31500000000",
      outstandingCredits: outstanding.toString(),
      spendableWei: spendableWei.toString(),
      coverageBps: ((10n ** 19n * 10_000n) / spendableWei).toString(),
      maxOpWei: "31746031746031746",
    });
    expect(result.otherPaymasters).to.deep.equal([
      {
        paymaster: v07Address,
        entryPointVersion: "0.7",
        depositWei: ethers.parseEther("0.01").toString(),
        coverageBps: "21",
      },
    ]);
    expect(lines.slice(-2)).to.deep.equal([
      "  deposit coverage                  pays for 31500 credits of gas at the cached price and markup; 210 % of " +
        "the 4.761904761904761904 ETH the ledger's 15000 outstanding credits could draw through this paymaster",
      `  other paymasters                  ${v07Address} (v0.7): 0.01 ETH (0.21 %)`,
    ]);
    expect(result.warnings).to.deep.equal([]);

    const low = await runTask<StatusReport>("paymaster:status", { paymaster: v07Address });
    expect(low.result.warnings).to.deep.equal([
      "the EntryPoint deposit (0.01 ETH) is below one operation at maxCreditsPerOp (0.031746031746031746 ETH): add " +
        "funds with paymaster:deposit, or move deposit from another paymaster with paymaster:move-deposit",
    ]);
    expect(low.result.otherPaymasters.map((o) => [o.paymaster, o.entryPointVersion])).to.deep.equal([
      [flags.paymaster, "0.8"],
    ]);
  });
});
