import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { MoveDepositResult } from "../../tasks/paymaster";
import type { ProposalFile } from "../../tasks/lib/budget";
import { ENTRY_POINT_ADDRESSES } from "../helpers/entrypoint";
import {
  CreditLedger__factory,
  CreditPaymaster__factory,
  TimelockController__factory,
} from "../../typechain-types";
import { defaultPaymasterConfig, deploySystem } from "../helpers/system";
import type { System } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, tempDir } from "../helpers/tasks";

const ONE = ethers.parseEther("1");

/** A second paymaster of the system's ledger, on EntryPoint v0.7, owned by `owner`, with 0.5 ETH deposited. */
async function secondPaymaster(sys: System, owner: string) {
  const pm = await new CreditPaymaster__factory(sys.admin).deploy(
    ENTRY_POINT_ADDRESSES["0.7"],
    sys.ledger,
    sys.adapter,
    owner,
    defaultPaymasterConfig(),
    86_400,
    ONE,
    { value: ethers.parseEther("1.5") },
  );
  await (await sys.ledger.addSpender(pm)).wait();
  return pm;
}

describe("task paymaster:move-deposit (issue 17, item 11)", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const v07 = await secondPaymaster(sys, await sys.admin.getAddress());
    return { sys, flags: await systemFlags(sys), v07: await v07.getAddress() };
  }

  it("moves deposit between the ledger's paymasters with the owner's two transactions", async function () {
    const { sys, flags, v07 } = await loadFixture(fixture);
    const { result, lines } = await runTask<MoveDepositResult>("paymaster:move-deposit", {
      paymaster: flags.paymaster,
      to: v07,
      amount: "2.5",
    });
    expect(result).to.deep.include({
      source: flags.paymaster,
      target: v07,
      amountWei: ethers.parseEther("2.5"),
      mode: "moved",
      sourceDepositWei: ethers.parseEther("7.5"),
      targetDepositWei: ethers.parseEther("3"),
    });
    expect(result.txHashes).to.have.length(2);
    expect(await sys.paymaster.getDeposit()).to.equal(ethers.parseEther("7.5"));
    expect(await CreditPaymaster__factory.connect(v07, ethers.provider).getDeposit()).to.equal(
      ethers.parseEther("3"),
    );
    expect(lines.at(-1)).to.equal(
      `Moved 2.5 ETH of EntryPoint deposit from paymaster ${flags.paymaster} to ${v07}; deposits now 7.5 ETH and 3 ETH.`,
    );
  });

  it("refuses more than the deposit, the same paymaster, another ledger's paymaster and a signer that is not the owner", async function () {
    const { sys, flags, v07 } = await loadFixture(fixture);
    await expectTaskError(
      "paymaster:move-deposit",
      { paymaster: flags.paymaster, to: v07, amount: "11" },
      `Paymaster ${flags.paymaster} has 10 ETH deposited, less than the 11 ETH requested`,
    );
    await expectTaskError(
      "paymaster:move-deposit",
      { paymaster: flags.paymaster, to: flags.paymaster, amount: "1" },
      `--to names the source paymaster ${flags.paymaster} itself: pick the other paymaster ("0.7" or "0.8")`,
    );
    const otherLedger = await new CreditLedger__factory(sys.admin).deploy(
      sys.admin,
      sys.adapter,
      sys.treasury,
    );
    const foreign = await new CreditPaymaster__factory(sys.admin).deploy(
      ENTRY_POINT_ADDRESSES["0.7"],
      otherLedger,
      sys.adapter,
      sys.admin,
      defaultPaymasterConfig(),
      86_400,
      ONE,
      { value: ONE },
    );
    await expectTaskError(
      "paymaster:move-deposit",
      { paymaster: flags.paymaster, to: await foreign.getAddress(), amount: "1" },
      `Paymaster ${await foreign.getAddress()} spends the credits of ledger ${await otherLedger.getAddress()}, not ` +
        `${flags.ledger} like ${flags.paymaster}: deposit moves only between the paymasters of one ledger`,
    );
    await expectTaskError(
      "paymaster:move-deposit",
      { paymaster: flags.paymaster, to: v07, amount: "1", from: "6" },
      `${await sys.outsider.getAddress()} is not the owner of paymaster ${flags.paymaster}; its owner ` +
        `${await sys.admin.getAddress()} must move the deposit: run --from the owner (for a timelock owner this ` +
        "task writes a proposal instead)",
    );
    expect(await sys.paymaster.getDeposit()).to.equal(ethers.parseEther("10"));
  });

  it("writes a proposal when the timelock owns the paymaster, which the timelock executes atomically", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const admin = await sys.admin.getAddress();
    const timelock = await new TimelockController__factory(sys.admin).deploy(0, [admin], [admin], admin);
    const timelockAddress = await timelock.getAddress();
    const source = await secondPaymaster(sys, timelockAddress);
    const sourceAddress = await source.getAddress();
    await expectTaskError(
      "paymaster:move-deposit",
      { paymaster: sourceAddress, to: flags.paymaster, amount: "0.5" },
      `Paymaster ${sourceAddress} is owned by the timelock ${timelockAddress}: moving its deposit takes a ` +
        "proposal; pass --out <dir> to write it (proposal.json for the Governor, safe-batch.json for a Safe)",
    );
    const out = tempDir("move-deposit");
    const { result, lines } = await runTask<MoveDepositResult>("paymaster:move-deposit", {
      paymaster: sourceAddress,
      to: flags.paymaster,
      amount: "all",
      out,
    });
    expect(result.mode).to.equal("proposed");
    expect(result.files?.proposal).to.equal(path.join(out, "proposal.json"));
    expect(lines[0]).to.equal(
      `Paymaster ${sourceAddress} is owned by the timelock ${timelockAddress}: the move is a proposal (2 calls, ` +
        "executed atomically):",
    );
    // Nothing moved yet.
    expect(await source.getDeposit()).to.equal(ethers.parseEther("0.5"));

    const proposal = JSON.parse(readFileSync(path.join(out, "proposal.json"), "utf8")) as ProposalFile;
    expect(proposal.targets).to.deep.equal([sourceAddress, flags.paymaster]);
    expect(proposal.values).to.deep.equal(["0", ethers.parseEther("0.5").toString()]);
    expect(proposal.actions.map((a) => a.function)).to.deep.equal([
      "withdrawTo(address,uint256)",
      "deposit()",
    ]);
    // The timelock runs both calls in one batch: the withdrawn ETH funds the deposit's value.
    const salt = ethers.ZeroHash;
    await (
      await timelock.scheduleBatch(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        ethers.ZeroHash,
        salt,
        0,
      )
    ).wait();
    await (
      await timelock.executeBatch(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        ethers.ZeroHash,
        salt,
      )
    ).wait();
    expect(await source.getDeposit()).to.equal(0n);
    expect(await sys.paymaster.getDeposit()).to.equal(ethers.parseEther("10.5"));
    expect(await ethers.provider.getBalance(timelockAddress)).to.equal(0n);
  });
});
