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
    expect(lines.at(-1)).to.equal(`WARNING: ${warning}`);
  });
});
