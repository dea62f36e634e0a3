import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ProposeBudgetResult } from "../../tasks/governance";
import type { ProposalReport, ProposalTxResult } from "../../tasks/proposals";
import {
  TIMELOCK_DELAY,
  VOTING_DELAY,
  VOTING_PERIOD,
  deployGovernanceSystem,
} from "../helpers/governanceSystem";
import { CREDIT } from "../helpers/system";
import { expectTaskError, runTask, tempDir } from "../helpers/tasks";

const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

/** governance:vote, governance:queue, governance:execute and governance:state on the in-process DAO. */
describe("tasks governance:state, vote, queue, execute", function () {
  async function fixture() {
    const g = await deployGovernanceSystem("0.8");
    const governor = await g.governor.getAddress();
    const flags = { ledger: await g.ledger.getAddress(), governor };
    const [voterA, voterB] = await Promise.all(g.voters.map((v) => v.getAddress()));
    const member = await g.member.getAddress();
    const out = tempDir("lifecycle");
    // Voter A (40% of the votes) proposes a grant to the member.
    const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ...flags,
      grant: `${member}:100:+90d`,
      description: "Member grant",
      submit: true,
      from: voterA,
      out,
    });
    const proposal = path.join(out, "proposal.json");
    return { g, flags, governor, voterA, voterB, member, proposal, id: result.submitted!.proposalId };
  }

  it("takes a proposal from Pending through a vote, the queue and the timelock to Executed", async function () {
    const { g, governor, voterA, voterB, member, proposal, id } = await loadFixture(fixture);
    const base = { governor, proposal };
    const pending = await runTask<ProposalReport>("governance:state", base);
    expect(pending.result).to.include({ state: "Pending", quorumReached: false, eta: null });
    const snapshot = BigInt(pending.result.voteStart);
    const deadline = BigInt(pending.result.voteEnd);
    expect(deadline - snapshot).to.equal(VOTING_PERIOD);
    const quorum = ((await g.token.totalSupply()) * 4n) / 100n;
    expect(pending.result.quorum).to.equal(quorum.toString());
    const clock = BigInt(pending.result.clock);
    expect(pending.lines).to.deep.equal([
      `Proposal ${id} on Governor ${governor}`,
      "  state   Pending",
      `  voting  block ${snapshot} to block ${deadline} (now ${clock})`,
      "  votes   for 0, against 0, abstain 0; quorum 40000 (for + abstain) not reached",
      `  next    voting opens after block ${snapshot} (now ${clock}); then governance:vote`,
    ]);

    await mine(VOTING_DELAY + 1n);
    const voted = await runTask<ProposalTxResult>("governance:vote", { ...base, from: voterA });
    expect(voted.result.state).to.equal("Active");
    expect(await g.governor.hasVoted(id, voterA)).to.equal(true);
    expect(voted.lines.at(-1)).to.equal(
      `${voterA} voted for with 400000 votes. Now for 400000, against 0, abstain 0; quorum 40000 (for + abstain) ` +
        "reached.",
    );
    const against = await runTask("governance:vote", {
      governor,
      id: id.toString(),
      support: "against",
      reason: "too generous",
      from: voterB,
    });
    expect(against.lines.at(-1)).to.match(/^0x[0-9a-fA-F]{40} voted against with 300000 votes\./);
    await expect((against.result as ProposalTxResult).txHash)
      .to.emit(g.governor, "VoteCast")
      .withArgs(voterB, id, 0, ethers.parseEther("300000"), "too generous");

    await mine(VOTING_PERIOD);
    const queued = await runTask<ProposalTxResult>("governance:queue", base);
    expect(queued.result.state).to.equal("Queued");
    const eta = await g.governor.proposalEta(id);
    expect(eta).to.equal(BigInt(await time.latest()) + TIMELOCK_DELAY);
    expect(queued.lines.at(-1)).to.equal(
      `Queued proposal ${id} on the timelock: it can execute from ${iso(eta)} (governance:execute).`,
    );

    await time.increaseTo(eta);
    const executed = await runTask<ProposalTxResult>("governance:execute", base);
    expect(executed.result.state).to.equal("Executed");
    expect(await g.ledger.balanceOfCredits(member)).to.equal(100n * CREDIT);
    expect(executed.lines.at(-1)).to.equal(`Executed proposal ${id}: its 1 call ran.`);
    const done = await runTask<ProposalReport>("governance:state", { ...base, json: true });
    expect(done.result).to.include({ state: "Executed", next: "done: its calls ran" });
    expect(JSON.parse(done.lines.join("\n"))).to.deep.equal(JSON.parse(JSON.stringify(done.result)));
  });

  describe("refusals (nothing is sent)", function () {
    async function refused(name: string, args: Record<string, unknown>, message: string) {
      const block = await ethers.provider.getBlockNumber();
      await expectTaskError(name, args, message);
      expect(await ethers.provider.getBlockNumber()).to.equal(block);
    }

    it("refuses a vote before voting opens, a second vote, a voter without votes and a vote after the end", async function () {
      const { g, governor, voterA, proposal, id } = await loadFixture(fixture);
      const base = { governor, proposal };
      const snapshot = await g.governor.proposalSnapshot(id);
      const now = BigInt(await ethers.provider.getBlockNumber());
      await refused(
        "governance:vote",
        { ...base, from: voterA },
        `Voting on proposal ${id} has not started: it opens after block ${snapshot} (now ${now}); vote then`,
      );
      await mine(VOTING_DELAY);
      await refused(
        "governance:vote",
        { ...base, from: voterA },
        `Voting on proposal ${id} has not started: it opens after block ${snapshot} (now ${snapshot}, the latest ` +
          "block: one more block changes it); vote then",
      );
      await mine(1);
      await runTask("governance:vote", { ...base, from: voterA });
      await refused(
        "governance:vote",
        { ...base, from: voterA },
        `${voterA} already voted on proposal ${id}: a vote cannot be changed`,
      );
      const member = await g.member.getAddress();
      await refused(
        "governance:vote",
        { ...base, from: member },
        `${member} had no votes at the proposal's snapshot (block ${snapshot}): votes count from delegation made ` +
          "before a proposal's snapshot (delegate on the votes token, then vote on later proposals)",
      );
      await refused(
        "governance:vote",
        { ...base, support: "yes", from: voterA },
        'Invalid --support "yes": expected "for", "against" or "abstain"',
      );
      await mine(VOTING_PERIOD);
      await refused(
        "governance:vote",
        { ...base, from: voterA },
        `Voting on proposal ${id} is over (Succeeded; for 400000, against 0, abstain 0; quorum 40000 (for + abstain) ` +
          "reached): queue it on the timelock: governance:queue --proposal <proposal.json>",
      );
    });

    it("refuses to queue before the vote is over, without a quorum, or with more votes against", async function () {
      const { g, governor, proposal, id } = await loadFixture(fixture);
      const base = { governor, proposal };
      const deadline = await g.governor.proposalDeadline(id);
      const now = BigInt(await ethers.provider.getBlockNumber());
      await refused(
        "governance:queue",
        base,
        `Voting on proposal ${id} is not over: it ends at block ${deadline} (now ${now}); queue after that`,
      );
      // Nobody votes: no quorum.
      await mine(VOTING_DELAY + VOTING_PERIOD + 1n);
      await refused(
        "governance:queue",
        base,
        `Proposal ${id} was defeated: the quorum was not reached (for 0, against 0, abstain 0; quorum 40000 ` +
          "(for + abstain) not reached). It cannot be queued; propose again with a new description",
      );
    });

    it("refuses to queue a proposal with more votes against than for (quorum reached)", async function () {
      const { governor, voterA, voterB, proposal, id } = await loadFixture(fixture);
      const base = { governor, proposal };
      await mine(VOTING_DELAY + 1n);
      await runTask("governance:vote", { ...base, support: "abstain", from: voterA });
      await runTask("governance:vote", { ...base, support: "against", from: voterB });
      await mine(VOTING_PERIOD);
      await refused(
        "governance:execute",
        base,
        `Proposal ${id} was defeated: not enough votes for it (for must exceed against) (for 0, against 300000, ` +
          "abstain 400000; quorum 40000 (for + abstain) reached). It cannot be executed; propose again with a new " +
          "description",
      );
    });

    it("refuses to execute before queueing, before the timelock delay, and twice", async function () {
      const { g, governor, voterA, proposal, id } = await loadFixture(fixture);
      const base = { governor, proposal };
      await mine(VOTING_DELAY + 1n);
      await runTask("governance:vote", { ...base, from: voterA });
      await mine(VOTING_PERIOD);
      await refused(
        "governance:execute",
        base,
        `Proposal ${id} is not queued yet: queue it first (governance:queue)`,
      );
      await runTask("governance:queue", base);
      const eta = await g.governor.proposalEta(id);
      const now = BigInt(await time.latest());
      await refused(
        "governance:execute",
        base,
        `The timelock delay of proposal ${id} has not passed: it can execute from ${iso(eta)} (in 2d)`,
      );
      expect(eta - now).to.equal(TIMELOCK_DELAY);
      await refused(
        "governance:queue",
        base,
        `Proposal ${id} is already queued: execute it from ${iso(eta)} (governance:execute)`,
      );
      await time.increaseTo(eta);
      await runTask("governance:execute", base);
      await refused("governance:execute", base, `Proposal ${id} was already executed: nothing to execute`);
    });

    it("refuses an unknown proposal, a proposal.json that does not match, and queueing by id alone", async function () {
      const { governor, proposal, id } = await loadFixture(fixture);
      await refused(
        "governance:state",
        { governor, id: "12345" },
        `Governor ${governor} has no proposal 12345: check the id (proposal.json's proposalId), the --governor, ` +
          "and that it was proposed (governance:propose-budget --submit)",
      );
      await refused(
        "governance:queue",
        { governor, id: id.toString() },
        "Pass --proposal <proposal.json> (written by governance:propose-budget): governance:queue needs the " +
          "proposal's calls and description hash, which its id alone does not give",
      );
      const dir = tempDir("bad-proposal");
      const edited = path.join(dir, "proposal.json");
      const file = JSON.parse(readFileSync(proposal, "utf8")) as { descriptionHash: string };
      writeFileSync(edited, JSON.stringify({ ...file, descriptionHash: ethers.id("another description") }));
      const other = await (async () => {
        const f = JSON.parse(readFileSync(edited, "utf8")) as {
          targets: string[];
          values: string[];
          calldatas: string[];
          descriptionHash: string;
        };
        return BigInt(
          ethers.keccak256(
            ethers.AbiCoder.defaultAbiCoder().encode(
              ["address[]", "uint256[]", "bytes[]", "bytes32"],
              [f.targets, f.values, f.calldatas, f.descriptionHash],
            ),
          ),
        );
      })();
      await refused(
        "governance:execute",
        { governor, proposal: edited },
        `--proposal "${edited}" says proposal ${id}, but its calls and description hash make proposal ${other} on ` +
          `Governor ${governor}: the file was edited, or it was built for another Governor`,
      );
      writeFileSync(edited, JSON.stringify({ targets: [] }));
      await refused(
        "governance:execute",
        { governor, proposal: edited },
        `Invalid --proposal "${edited}": not a proposal.json of governance:propose-budget (values: Required; ` +
          "calldatas: Required; descriptionHash: Required; proposalId: Required)",
      );
    });
  });
});
