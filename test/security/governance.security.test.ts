/**
 * Governance pitfalls S6 (extra timelock proposers can block approved proposals; ETH sent to the Governor is
 * stuck), S7 (front-running `propose` with the same description) and S8 (proposal code that takes over the DAO)
 * against the project's CreditsGovernor + OpenZeppelin TimelockController, with the timelock holding the ledger's
 * admin role, in the configuration SECURITY.md prescribes: the Governor is the timelock's only proposer and
 * canceller, anyone may execute, and the deployer renounced the timelock's admin role.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";

import {
  CreditLedger__factory,
  CreditsGovernor__factory,
  CreditsVotesToken__factory,
  MockPriceAdapter__factory,
  TestSpender__factory,
  TimelockController__factory,
} from "../../typechain-types";
import { callStep } from "../helpers/ledger";
import { VoteType, describeFor, runProposal } from "../helpers/governance";

const SUPPLY = 1_000_000n * 10n ** 18n;
const MIN_DELAY = 3_600n;
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

async function governanceFixture() {
  const [deployer, voter, outsider, treasury] = await ethers.getSigners();
  const token = await new CreditsVotesToken__factory(deployer).deploy(voter, SUPPLY);
  await (await token.connect(voter).delegate(voter)).wait();
  const timelock = await new TimelockController__factory(deployer).deploy(
    MIN_DELAY,
    [],
    [ethers.ZeroAddress],
    deployer,
  );
  const governor = await new CreditsGovernor__factory(deployer).deploy(token, timelock, 1, 10, 0, 4);
  await (await timelock.grantRole(await timelock.PROPOSER_ROLE(), governor)).wait();
  await (await timelock.grantRole(await timelock.CANCELLER_ROLE(), governor)).wait();
  await (await timelock.renounceRole(DEFAULT_ADMIN_ROLE, deployer)).wait();

  const adapter = await new MockPriceAdapter__factory(deployer).deploy(3_000n * 10n ** 18n);
  const ledger = await new CreditLedger__factory(deployer).deploy(timelock, adapter, treasury);
  // A contract a proposal could call into (it makes arbitrary calls on request).
  const helper = await new TestSpender__factory(deployer).deploy(ledger);
  await mine(1);
  return { deployer, voter, outsider, token, timelock, governor, ledger, helper };
}

describe("Security: governance pitfalls (S6, S7, S8)", function () {
  describe("S6: timelock roles and ETH sent to the Governor", function () {
    it("nobody but the Governor can schedule or cancel on the timelock, and no one administers it", async function () {
      const { deployer, outsider, timelock, governor } = await loadFixture(governanceFixture);
      const proposer = await timelock.PROPOSER_ROLE();
      const canceller = await timelock.CANCELLER_ROLE();
      for (const who of [deployer, outsider]) {
        await expect(
          timelock.connect(who).schedule(governor, 0, "0x", ethers.ZeroHash, ethers.ZeroHash, MIN_DELAY),
        )
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, proposer);
        await expect(timelock.connect(who).cancel(ethers.ZeroHash))
          .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, canceller);
      }
      expect(await timelock.hasRole(DEFAULT_ADMIN_ROLE, deployer)).to.equal(false);
      expect(await timelock.hasRole(DEFAULT_ADMIN_ROLE, timelock)).to.equal(true); // self-administered only
      expect(await timelock.hasRole(proposer, governor)).to.equal(true);
    });

    it("an approved, queued proposal cannot be cancelled by an outsider and executes after the delay", async function () {
      const { voter, outsider, timelock, governor, ledger } = await loadFixture(governanceFixture);
      const call = {
        target: await ledger.getAddress(),
        data: ledger.interface.encodeFunctionData("setMinPurchase", [5]),
      };
      const description = describeFor("Set the minimum purchase to 5 credits", voter.address);
      const args: [string[], bigint[], string[], string] = [
        [call.target],
        [0n],
        [call.data],
        ethers.id(description),
      ];
      await (await governor.connect(voter).propose([call.target], [0n], [call.data], description)).wait();
      const id = await governor.hashProposal(...args);
      await mine(2);
      await (await governor.connect(voter).castVote(id, VoteType.For)).wait();
      await mine(11);
      await (await governor.queue(...args)).wait();
      const operationId = await timelock.hashOperationBatch(
        [call.target],
        [0n],
        [call.data],
        ethers.ZeroHash,
        // GovernorTimelockControl's salt: bytes20(governor) ^ descriptionHash.
        ethers.toBeHex((BigInt(await governor.getAddress()) << 96n) ^ BigInt(ethers.id(description)), 32),
      );
      expect(await timelock.isOperationPending(operationId)).to.equal(true);
      await expect(timelock.connect(outsider).cancel(operationId))
        .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await timelock.CANCELLER_ROLE());
      await ethers.provider.send("evm_increaseTime", [Number(MIN_DELAY) + 1]);
      await expect(governor.connect(outsider).execute(...args))
        .to.emit(ledger, "MinPurchaseSet")
        .withArgs(5);
    });

    it("refuses ETH sent to the Governor, where it would be stuck (proposals execute from the timelock)", async function () {
      const { outsider, governor } = await loadFixture(governanceFixture);
      await expect(
        outsider.sendTransaction({ to: await governor.getAddress(), value: 1n }),
      ).to.be.revertedWithCustomError(governor, "GovernorDisabledDeposit");
    });
  });

  describe("S7: front-running propose", function () {
    it("a description ending in #proposer=<address> can only be proposed by that address", async function () {
      const { voter, outsider, governor, ledger } = await loadFixture(governanceFixture);
      const target = await ledger.getAddress();
      const data = ledger.interface.encodeFunctionData("setMinPurchase", [7]);
      const description = describeFor("Set the minimum purchase to 7 credits", voter.address);
      await expect(governor.connect(outsider).propose([target], [0n], [data], description))
        .to.be.revertedWithCustomError(governor, "GovernorRestrictedProposer")
        .withArgs(outsider.address);
      await expect(governor.connect(voter).propose([target], [0n], [data], description)).to.emit(
        governor,
        "ProposalCreated",
      );
    });
  });

  describe("S8: proposal code cannot act as the DAO", function () {
    it("proposal calls run with CALL: a contract the proposal calls cannot use the timelock's roles", async function () {
      const { voter, outsider, timelock, governor, ledger, helper } = await loadFixture(governanceFixture);
      // The helper, once called, asks the ledger to make the outsider an admin. Under DELEGATECALL (the
      // Tornado Cash pattern) that would run as the timelock, which holds DEFAULT_ADMIN_ROLE.
      const grant = ledger.interface.encodeFunctionData("grantRole", [DEFAULT_ADMIN_ROLE, outsider.address]);
      const step = await callStep(ledger, grant);
      const call = {
        target: await helper.getAddress(),
        data: helper.interface.encodeFunctionData("run", [[step]]),
      };
      await expect(runProposal(governor, timelock, voter, [voter], [call], "Innocent-looking helper call"))
        .to.be.revertedWithCustomError(ledger, "AccessControlUnauthorizedAccount")
        .withArgs(await helper.getAddress(), DEFAULT_ADMIN_ROLE);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, outsider)).to.equal(false);
      expect(await ledger.hasRole(DEFAULT_ADMIN_ROLE, timelock)).to.equal(true);
    });

    it("executes exactly the approved calls: other calldata is an unknown proposal", async function () {
      const { voter, timelock, governor, ledger } = await loadFixture(governanceFixture);
      const target = await ledger.getAddress();
      const approved = ledger.interface.encodeFunctionData("setMinPurchase", [9]);
      const { descriptionHash } = await runProposal(
        governor,
        timelock,
        voter,
        [voter],
        [{ target, data: approved }],
        "Set the minimum purchase to 9 credits",
      );
      expect(await ledger.minPurchase()).to.equal(9n);
      const swapped = ledger.interface.encodeFunctionData("setTreasury", [voter.address]);
      const otherId = await governor.hashProposal([target], [0n], [swapped], descriptionHash);
      await expect(governor.execute([target], [0n], [swapped], descriptionHash))
        .to.be.revertedWithCustomError(governor, "GovernorNonexistentProposal")
        .withArgs(otherId);
    });
  });
});
