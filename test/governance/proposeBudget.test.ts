import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ProposeBudgetResult } from "../../tasks/governance";
import type { ProposalFile } from "../../tasks/lib/budget";
import { VoteType, describeFor, runProposal } from "../helpers/governance";
import {
  TIMELOCK_DELAY,
  VOTING_DELAY,
  VOTING_PERIOD,
  deployGovernanceSystem,
} from "../helpers/governanceSystem";
import { configOf, sameConfig } from "../helpers/events";
import { CREDIT } from "../helpers/system";
import { expectTaskError, runTask, tempDir } from "../helpers/tasks";

const DAY = 86_400n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("Governance budgets from governance:propose-budget", function () {
  async function fixture() {
    const g = await deployGovernanceSystem("0.8");
    return {
      g,
      flags: {
        ledger: await g.ledger.getAddress(),
        paymaster: await g.paymaster.getAddress(),
        governor: await g.governor.getAddress(),
      },
      timelock: await g.timelock.getAddress(),
      member: await g.member.getAddress(),
      dapp: await g.dapp.getAddress(),
      voter: await g.voters[0].getAddress(),
    };
  }

  it("the task's proposal.json passes a vote through runProposal and takes effect", async function () {
    const { g, flags, timelock, member, dapp } = await loadFixture(fixture);
    const configBefore = configOf(await g.paymaster.config());
    const out = tempDir("dao-budget");
    await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ...flags,
      grant: `${member}:500:+90d,${dapp}:150000:+90d`,
      issuerCap: `${timelock}:200000:30d`,
      markupBps: "11500",
      description: "Q3 budget",
      out,
    });
    const expiry = BigInt(await time.latest()) + 90n * DAY;
    const proposal = JSON.parse(readFileSync(path.join(out, "proposal.json"), "utf8")) as ProposalFile;
    expect([proposal.governor, proposal.executor]).to.deep.equal([flags.governor, timelock]);

    const calls = proposal.targets.map((target, i) => ({
      target,
      value: BigInt(proposal.values[i]),
      data: proposal.calldatas[i],
    }));
    const { executeReceipt, proposalId } = await runProposal(
      g.governor,
      g.timelock,
      g.voters[0],
      [...g.voters],
      calls,
      proposal.description,
    );
    expect(proposalId).to.equal(
      await g.governor.hashProposal(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        ethers.id(describeFor("Q3 budget", await g.voters[0].getAddress())),
      ),
    );
    await expect(executeReceipt.hash)
      .to.emit(g.ledger, "IssuerCapSet")
      .withArgs(timelock, 200_000n * CREDIT, 30n * DAY, 0n)
      .and.to.emit(g.ledger, "CreditsGranted")
      .withArgs(member, timelock, 500n * CREDIT, expiry)
      .and.to.emit(g.ledger, "CreditsGranted")
      .withArgs(dapp, timelock, 150_000n * CREDIT, expiry)
      .and.to.emit(g.paymaster, "ConfigUpdated")
      .withArgs(sameConfig({ ...configBefore, markupBps: 11_500n }));
    expect(await g.ledger.balanceOfCredits(member)).to.equal(500n * CREDIT);
    expect(await g.ledger.balanceOfCredits(dapp)).to.equal(150_000n * CREDIT);
    expect(await g.ledger.remainingIssuance(timelock)).to.equal(49_500n * CREDIT);
    expect((await g.paymaster.config()).markupBps).to.equal(11_500n);
  });

  it("--submit proposes from the signer; the file's descriptionHash queues and executes it", async function () {
    const { g, flags, member, voter } = await loadFixture(fixture);
    const out = tempDir("dao-budget");
    const { result, lines } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ...flags,
      grant: `${member}:42:+30d`,
      description: "Member grant",
      proposer: voter,
      from: voter,
      submit: true,
      out,
    });
    const proposal = result.proposal;
    const submitted = result.submitted;
    if (submitted === undefined) throw new Error("not submitted");
    expect(submitted.proposalId.toString()).to.equal(proposal.proposalId);
    expect(proposal.description).to.equal(`Member grant#proposer=${voter.toLowerCase()}`);
    await expect(submitted.txHash)
      .to.emit(g.governor, "ProposalCreated")
      .withArgs(
        submitted.proposalId,
        voter,
        proposal.targets,
        proposal.values.map(BigInt),
        proposal.targets.map(() => ""),
        proposal.calldatas,
        submitted.voteStart,
        submitted.voteEnd,
        proposal.description,
      );
    expect(await g.governor.state(submitted.proposalId)).to.equal(0n); // Pending
    expect(await g.governor.proposalProposer(submitted.proposalId)).to.equal(voter);
    expect([submitted.voteStart, submitted.voteEnd]).to.deep.equal([
      BigInt(submitted.blockNumber) + VOTING_DELAY,
      BigInt(submitted.blockNumber) + VOTING_DELAY + VOTING_PERIOD,
    ]);
    expect(lines.at(-1)).to.equal(
      `Proposed ${submitted.proposalId}: voting from block ${submitted.voteStart} to block ${submitted.voteEnd}; ` +
        `then queue with the descriptionHash ${proposal.descriptionHash}.`,
    );

    await mine(VOTING_DELAY + 1n);
    for (const v of g.voters)
      await (await g.governor.connect(v).castVote(submitted.proposalId, VoteType.For)).wait();
    await mine(VOTING_PERIOD);
    await (
      await g.governor.queue(proposal.targets, proposal.values, proposal.calldatas, proposal.descriptionHash)
    ).wait();
    await time.increase(TIMELOCK_DELAY + 1n);
    await (
      await g.governor.execute(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        proposal.descriptionHash,
      )
    ).wait();
    expect(await g.ledger.balanceOfCredits(member)).to.equal(42n * CREDIT);
  });

  describe("--submit preconditions", function () {
    it("fails below the proposal threshold", async function () {
      const { g, flags, member } = await loadFixture(fixture);
      const outsider = await g.outsider.getAddress();
      await expectTaskError(
        "governance:propose-budget",
        { ...flags, grant: `${member}:1:+30d`, from: outsider, submit: true, out: tempDir("dao-budget") },
        `${outsider} has 0 votes, below the proposal threshold of 1000: delegate votes to it first (delegate on the ` +
          "votes token)",
      );
    });

    it("refuses a --proposer other than the signer", async function () {
      const { flags, member, voter, dapp } = await loadFixture(fixture);
      await expectTaskError(
        "governance:propose-budget",
        {
          ...flags,
          grant: `${member}:1:+30d`,
          proposer: dapp,
          from: voter,
          submit: true,
          out: tempDir("dao-budget"),
        },
        `--proposer ${dapp} is not the signer ${voter}: the Governor only accepts a description ending in ` +
          "#proposer=<address> from that address",
      );
    });

    it("refuses a proposal that already exists", async function () {
      const { flags, member, voter } = await loadFixture(fixture);
      const args = { ...flags, grant: `${member}:1:never`, description: "Once", from: voter, submit: true };
      const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
        ...args,
        out: tempDir("a"),
      });
      await expectTaskError(
        "governance:propose-budget",
        { ...args, out: tempDir("b") },
        `Proposal ${result.proposal.proposalId} already exists (Pending): change the description to propose it again`,
      );
    });
  });

  it("finds the Governor, and through it the timelock, in the Ignition deployment", async function () {
    const { flags, timelock, member } = await loadFixture(fixture);
    const dir = path.join(tempDir("ignition"), "chain-31337");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "deployed_addresses.json"),
      JSON.stringify({
        "ComputeCreditsDao#CreditLedger": flags.ledger,
        "ComputeCreditsDao#CreditPaymasterV08": flags.paymaster,
        "ComputeCreditsDao#TimelockController": timelock,
        "ComputeCreditsDao#CreditsGovernor": flags.governor,
      }),
    );
    const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      deployment: dir,
      grant: `${member}:1:never`,
      maxPriceAge: "30m",
      out: tempDir("dao-budget"),
    });
    expect([result.proposal.governor, result.proposal.executor]).to.deep.equal([flags.governor, timelock]);
    expect(result.proposal.targets).to.deep.equal([flags.ledger, flags.paymaster]);
  });

  it("refuses a grant that would expire before the timelock lets the proposal execute", async function () {
    const { flags, member } = await loadFixture(fixture);
    const now = BigInt(await time.latest());
    await expectTaskError(
      "governance:propose-budget",
      { ...flags, grant: `${member}:1:+1d`, out: tempDir("dao-budget") },
      `The grant to ${member} expires at ${iso(now + DAY)}, before the proposal can execute ` +
        `(${iso(now + TIMELOCK_DELAY)} at the earliest, after the timelock delay): choose a later expiry`,
    );
  });
});
