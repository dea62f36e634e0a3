import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";

import type { DepositResult } from "../../tasks/paymaster";
import { ENTRY_POINT_ADDRESSES } from "../helpers/entrypoint";
import { deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";

describe("task paymaster:deposit", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    return { sys, flags: await systemFlags(sys), dapp: await sys.dapp.getAddress() };
  }

  it("adds ETH to the paymaster's EntryPoint deposit from any account", async function () {
    const { sys, flags, dapp } = await loadFixture(fixture);
    const { result, lines } = await runTask<DepositResult>("paymaster:deposit", {
      paymaster: flags.paymaster,
      amount: "0.5",
      from: dapp,
    });
    const total = ethers.parseEther("10.5");
    expect(result).to.deep.equal({
      paymaster: flags.paymaster,
      entryPoint: ENTRY_POINT_ADDRESSES["0.8"],
      amountWei: ethers.parseEther("0.5"),
      depositWei: total,
      txHash: result.txHash,
      blockNumber: result.blockNumber,
    });
    await expect(result.txHash).to.emit(sys.entryPoint, "Deposited").withArgs(flags.paymaster, total);
    await expect(ethers.provider.getTransaction(result.txHash)).to.changeEtherBalances(
      [dapp, sys.entryPoint],
      [-ethers.parseEther("0.5"), ethers.parseEther("0.5")],
    );
    expect(await sys.entryPoint.balanceOf(flags.paymaster)).to.equal(total);
    expect(lines[0]).to.equal(`Depositing 0.5 ETH for paymaster ${flags.paymaster}: sending…`);
    expect(lines.at(-1)).to.equal(
      `Deposited 0.5 ETH on EntryPoint ${ENTRY_POINT_ADDRESSES["0.8"]} for paymaster ${flags.paymaster}; deposit ` +
        "now 10.5 ETH.",
    );
  });

  it("rejects a bad --amount", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "paymaster:deposit",
      { paymaster: flags.paymaster, amount: "half" },
      'Invalid --amount "half": expected an amount of the native token in ether units (at most 18 decimals), ' +
        'such as "0.05"',
    );
  });

  it("fails when the signer cannot pay", async function () {
    const { flags, dapp } = await loadFixture(fixture);
    await setBalance(dapp, ethers.parseEther("0.25"));
    await expectTaskError(
      "paymaster:deposit",
      { paymaster: flags.paymaster, amount: "0.5", from: dapp },
      `${dapp} has 0.25 ETH, less than the 0.5 ETH to deposit (plus gas)`,
    );
  });

  it("rejects an --entrypoint other than 0.7 and 0.8", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "paymaster:deposit",
      { paymaster: flags.paymaster, amount: "1", entrypoint: "0.6" },
      'Invalid --entrypoint "0.6": expected "0.7" or "0.8"',
    );
  });
});
