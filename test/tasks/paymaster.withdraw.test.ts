import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { DepositResult } from "../../tasks/paymaster";
import { deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";

describe("task paymaster:withdraw", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    return {
      sys,
      flags: await systemFlags(sys),
      admin: await sys.admin.getAddress(),
      treasury: await sys.treasury.getAddress(),
    };
  }

  it("withdraws part of the deposit to --to when signed by the owner", async function () {
    const { sys, flags, admin, treasury } = await loadFixture(fixture);
    const { result, lines } = await runTask<DepositResult>("paymaster:withdraw", {
      paymaster: flags.paymaster,
      to: treasury,
      amount: "2.5",
      from: admin,
    });
    expect(result.amountWei).to.equal(ethers.parseEther("2.5"));
    expect(result.depositWei).to.equal(ethers.parseEther("7.5"));
    await expect(result.txHash)
      .to.emit(sys.entryPoint, "Withdrawn")
      .withArgs(flags.paymaster, treasury, ethers.parseEther("2.5"));
    await expect(ethers.provider.getTransaction(result.txHash)).to.changeEtherBalance(
      treasury,
      ethers.parseEther("2.5"),
    );
    expect(lines.at(-1)).to.equal(
      `Withdrew 2.5 ETH from paymaster ${flags.paymaster} to ${treasury}; deposit now 7.5 ETH.`,
    );
  });

  it("withdraws the whole deposit with --amount all", async function () {
    const { sys, flags, treasury } = await loadFixture(fixture);
    const { result } = await runTask<DepositResult>("paymaster:withdraw", {
      paymaster: flags.paymaster,
      to: treasury,
      amount: "all",
    });
    expect(result.amountWei).to.equal(ethers.parseEther("10"));
    expect(await sys.paymaster.getDeposit()).to.equal(0n);
    await expectTaskError(
      "paymaster:withdraw",
      { paymaster: flags.paymaster, to: treasury, amount: "all" },
      `Paymaster ${flags.paymaster} has no deposit to withdraw`,
    );
  });

  it("fails for a signer that is not the owner, naming the owner", async function () {
    const { sys, flags, admin, treasury } = await loadFixture(fixture);
    const outsider = await sys.outsider.getAddress();
    await expectTaskError(
      "paymaster:withdraw",
      { paymaster: flags.paymaster, to: treasury, amount: "1", from: outsider },
      `${outsider} is not the owner of paymaster ${flags.paymaster}; its owner ${admin} (the DAO timelock in ` +
        `production) must call withdrawTo(${treasury}, <wei>): run --from the owner, or have governance execute it`,
    );
  });

  it("fails when more than the deposit is requested", async function () {
    const { flags, treasury } = await loadFixture(fixture);
    await expectTaskError(
      "paymaster:withdraw",
      { paymaster: flags.paymaster, to: treasury, amount: "10.000000000000000001" },
      `Paymaster ${flags.paymaster} has 10 ETH deposited, less than the 10.000000000000000001 ETH requested`,
    );
  });

  it("explains a revert the checks cannot foresee with the decoded error (a recipient refusing ETH)", async function () {
    const { flags } = await loadFixture(fixture);
    // The ledger has no receive(): the EntryPoint's transfer to it fails.
    await expectTaskError(
      "paymaster:withdraw",
      { paymaster: flags.paymaster, to: flags.ledger, amount: "1" },
      `Withdrawing 1 ETH to ${flags.ledger} reverted with Error(reason=failed to withdraw)`,
    );
  });

  it("rejects a bad --to", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "paymaster:withdraw",
      { paymaster: flags.paymaster, to: "treasury", amount: "1" },
      'Invalid --to "treasury": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
        "mixed-case)",
    );
  });
});
