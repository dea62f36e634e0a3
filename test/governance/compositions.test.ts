import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";

import { deployGovernanceSystem } from "../helpers/governanceSystem";
import { describeFor } from "../helpers/governance";

/** The Solidity-required overrides of the OpenZeppelin compositions behave as OpenZeppelin's own. */
describe("Governance compositions", function () {
  const fixture = () => deployGovernanceSystem();

  describe("CreditsGovernor", function () {
    it("lets the proposer cancel a pending proposal (GovernorTimelockControl._cancel)", async function () {
      const { governor, ledger, voters } = await loadFixture(fixture);
      const proposer = voters[0];
      const targets = [await ledger.getAddress()];
      const values = [0n];
      const calldatas = [ledger.interface.encodeFunctionData("setMinPurchase", [5n])];
      const description = describeFor("set the minimum purchase", await proposer.getAddress());
      const descriptionHash = ethers.id(description);
      const id = await governor.hashProposal(targets, values, calldatas, descriptionHash);
      await (await governor.connect(proposer).propose(targets, values, calldatas, description)).wait();
      expect(await governor.state(id)).to.equal(0n); // Pending
      await expect(governor.connect(proposer).cancel(targets, values, calldatas, descriptionHash))
        .to.emit(governor, "ProposalCanceled")
        .withArgs(id);
      expect(await governor.state(id)).to.equal(2n); // Canceled
      await mine(2);
      await expect(governor.connect(voters[1]).castVote(id, 1))
        .to.be.revertedWithCustomError(governor, "GovernorUnexpectedProposalState")
        .withArgs(id, 2n, ethers.zeroPadValue("0x02", 32));
    });

    it("reports its settings", async function () {
      const { governor, timelock, token } = await loadFixture(fixture);
      expect(await governor.name()).to.equal("Compute Credits Governor");
      expect(await governor.timelock()).to.equal(await timelock.getAddress());
      expect(await governor.token()).to.equal(await token.getAddress());
      expect(await governor.proposalNeedsQueuing(0n)).to.equal(true);
    });
  });

  describe("CreditsVotesToken", function () {
    it("tracks permit nonces (ERC20Permit + Nonces override)", async function () {
      const { token, voters } = await loadFixture(fixture);
      const owner = voters[0];
      const spender = voters[1];
      const ownerAddress = await owner.getAddress();
      expect(await token.nonces(ownerAddress)).to.equal(0n);
      const deadline = 2n ** 40n;
      const { chainId } = await ethers.provider.getNetwork();
      const signature = ethers.Signature.from(
        await owner.signTypedData(
          { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() },
          {
            Permit: [
              { name: "owner", type: "address" },
              { name: "spender", type: "address" },
              { name: "value", type: "uint256" },
              { name: "nonce", type: "uint256" },
              { name: "deadline", type: "uint256" },
            ],
          },
          { owner: ownerAddress, spender: await spender.getAddress(), value: 7n, nonce: 0n, deadline },
        ),
      );
      await (
        await token.permit(
          ownerAddress,
          await spender.getAddress(),
          7n,
          deadline,
          signature.v,
          signature.r,
          signature.s,
        )
      ).wait();
      expect(await token.nonces(ownerAddress)).to.equal(1n);
      expect(await token.allowance(ownerAddress, await spender.getAddress())).to.equal(7n);
    });
  });
});
