import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ProposeBudgetResult } from "../../tasks/governance";
import type { ProposalFile } from "../../tasks/lib/budget";
import { runProposal } from "../helpers/governance";
import { TIMELOCK_DELAY, deployGovernanceSystem } from "../helpers/governanceSystem";
import { CREDIT, deploySystem } from "../helpers/system";
import type { SafeBatchFile } from "../../tasks/lib/budget";
import { expectTaskError, runTask, tempDir } from "../helpers/tasks";

const DAY = 86_400n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

/**
 * `governance:propose-budget --policy`: the ledger keys a policy by `msg.sender`, so a policy of a DAO-funded sponsor
 * is a policy of the proposal's executor (the timelock, or the Safe of `--safe`): the DAO grants the executor credits
 * and has it create (and later pause, resume or close) the policy under which it sponsors any sender.
 */
describe("task governance:propose-budget --policy (the executor sponsors)", function () {
  async function fixture() {
    const g = await deployGovernanceSystem("0.8");
    return {
      g,
      flags: { ledger: await g.ledger.getAddress(), governor: await g.governor.getAddress() },
      timelock: await g.timelock.getAddress(),
      signer: await g.outsider.getAddress(),
    };
  }

  async function execute(g: Awaited<ReturnType<typeof fixture>>["g"], out: string) {
    const proposal = JSON.parse(readFileSync(path.join(out, "proposal.json"), "utf8")) as ProposalFile;
    const calls = proposal.targets.map((target, i) => ({ target, data: proposal.calldatas[i] }));
    return runProposal(g.governor, g.timelock, g.voters[0], [...g.voters], calls, proposal.description);
  }

  it("grants the timelock credits and creates its policy; a later proposal pauses and closes it", async function () {
    const { g, flags, timelock, signer } = await loadFixture(fixture);
    const out = tempDir("dao-policy");
    const { result, lines } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ...flags,
      grant: `${timelock}:5000:+90d`,
      policy: `per-user=5,ops-per-user=20,per-epoch=1000,signer=${signer};per-op=2,epoch=1w,end=+180d`,
      description: "Sponsored onboarding",
      out,
    });
    const now = BigInt(await time.latest());
    expect(result.proposal.actions.map((a) => a.function)).to.deep.equal([
      "grant(address,uint256,uint64)",
      "createPolicy((uint64,uint32,uint64,uint64,uint32,uint32,address),uint32)",
      "createPolicy((uint64,uint32,uint64,uint64,uint32,uint32,address),uint32)",
    ]);
    expect(result.proposal.actions[1].args).to.deep.equal({
      creditsPerUser: "5000000",
      opsPerUser: "20",
      creditsPerEpoch: "1000000000",
      creditsPerOp: "0",
      start: now.toString(),
      end: (2n ** 32n - 1n).toString(),
      signer,
      epochLength: "86400",
    });
    expect(lines.slice(1, 4)).to.deep.equal([
      `  - grant 5000 credits to ${timelock} until ${iso(now + 90n * DAY)}`,
      `  - create policy 1 of ${timelock} (its sponsor): per user 5 credits and 20 operations, whole policy 1000 ` +
        `credits per 1d; per operation no limit; from ${iso(now)} until never; approvals signed by ${signer}`,
      `  - create policy 2 of ${timelock} (its sponsor): per user no limit, whole policy no limit per 7d; per ` +
        `operation 2 credits; from ${iso(now)} until ${iso(now + 180n * DAY)}; open (no approval signer)`,
    ]);
    expect(lines.at(-1)).to.equal(
      `The executor ${timelock} sponsors the new policies with its credits (0 spendable now, 5000 granted by this ` +
        `proposal). Wallets pass { "sponsor": "${timelock}", "policyId": <id> }; the ids assume no other policy of ` +
        "the executor is created before execution.",
    );

    const { executeReceipt } = await execute(g, out);
    await expect(executeReceipt.hash).to.emit(g.ledger, "PolicySet");
    expect(await g.ledger.policyCount(timelock)).to.equal(2n);
    const first = await g.ledger.policy(timelock, 1n);
    expect([
      first.status,
      first.terms.creditsPerUser,
      first.terms.opsPerUser,
      first.terms.signer,
    ]).to.deep.equal([1n, 5n * CREDIT, 20n, signer]);
    expect((await g.ledger.policy(timelock, 2n)).epochLength).to.equal(7n * DAY);
    expect(await g.ledger.spendableCredits(timelock)).to.equal(5_000n * CREDIT);

    const out2 = tempDir("dao-policy-status");
    const second = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ...flags,
      policyStatus: "1:pause,2:close",
      description: "Pause onboarding",
      out: out2,
    });
    expect(second.lines.slice(1, 3)).to.deep.equal([
      `  - pause policy 1 of ${timelock}`,
      `  - close policy 2 of ${timelock}`,
    ]);
    await execute(g, out2);
    expect((await g.ledger.policy(timelock, 1n)).status).to.equal(2n);
    expect((await g.ledger.policy(timelock, 2n)).status).to.equal(3n);
  });

  it("notes a policy whose executor has no credits, and checks status changes against the executor's policies", async function () {
    const { g, flags, timelock } = await loadFixture(fixture);
    const { lines } = await runTask("governance:propose-budget", {
      ...flags,
      policy: "per-user=1",
      out: tempDir("dao-policy"),
    });
    expect(lines.at(-1)).to.equal(
      `Note: the executor ${timelock} sponsors the new policy but has no credits and this proposal grants it ` +
        `none: add --grant ${timelock}:<credits>:<expiry>`,
    );
    // A policy created in the same proposal can be paused by it; one that does not exist cannot.
    await runTask("governance:propose-budget", {
      ...flags,
      policy: "per-user=1",
      policyStatus: "1:pause",
      out: tempDir("dao-policy"),
    });
    await expectTaskError(
      "governance:propose-budget",
      { ...flags, policy: "per-user=1", policyStatus: "2:close", out: tempDir("dao-policy") },
      `The executor ${timelock} has no policy 2 (it has 0, and this proposal creates 1): check --policy-status`,
    );
    await expectTaskError(
      "governance:propose-budget",
      { ...flags, policy: "per-user=1", policyStatus: "1:resume", out: tempDir("dao-policy") },
      `Policy 1 of the executor ${timelock} is Active: it cannot resume (setPolicyStatus would revert)`,
    );
    expect(await g.ledger.policyCount(timelock)).to.equal(0n);
  });

  it("with --safe, the Safe's batch creates the policy of the Safe (msg.sender)", async function () {
    const sys = await deploySystem("0.8");
    const safe = await sys.admin.getAddress();
    const ledger = await sys.ledger.getAddress();
    const out = tempDir("safe-policy");
    const { lines } = await runTask("governance:propose-budget", {
      ledger,
      safe,
      policy: "per-user=2,per-op=1",
      out,
    });
    expect(lines[1]).to.match(
      new RegExp(`^  - create policy 1 of ${safe} \\(its sponsor\\): per user 2 credits`),
    );
    const batch = JSON.parse(readFileSync(path.join(out, "safe-batch.json"), "utf8")) as SafeBatchFile;
    for (const tx of batch.transactions) {
      await (await sys.admin.sendTransaction({ to: tx.to, value: BigInt(tx.value), data: tx.data })).wait();
    }
    const view = await sys.ledger.policy(safe, 1n);
    expect([view.status, view.terms.creditsPerUser, view.terms.creditsPerOp]).to.deep.equal([
      1n,
      2n * CREDIT,
      CREDIT,
    ]);
  });

  describe("validation", function () {
    for (const [policy, message] of [
      [
        "per-user=5,colour=red",
        'Invalid --policy entry "per-user=5,colour=red": "colour=red" is not a known key=value (expected key=value ' +
          "pairs separated by commas (keys: per-user, ops-per-user, per-epoch, per-op, start, end, signer, epoch, " +
          'unlimited; values as policy:create takes them), policies separated by ";", such as ' +
          "per-user=5,ops-per-user=20,epoch=1d)",
      ],
      [
        "per-user=abc,epoch=0",
        'Invalid --per-user "abc": expected credits as a decimal number with at most 6 decimals, such as "12.5"\n' +
          'Invalid --epoch "0": expected a duration above zero (in --policy entry "per-user=abc,epoch=0")',
      ],
      [
        "epoch=1d",
        "An open policy with no limit lets any sender spend all of the sponsor's credits: set --per-user, " +
          "--ops-per-user, --per-epoch or --per-op, or a --signer, or pass --unlimited if that is meant (in --policy " +
          'entry "epoch=1d")',
      ],
    ] as const) {
      it(`rejects --policy "${policy}"`, async function () {
        const { flags } = await loadFixture(fixture);
        await expectTaskError("governance:propose-budget", { ...flags, policy, out: tempDir("p") }, message);
      });
    }

    it("accepts an explicitly unlimited policy and rejects bad --policy-status entries", async function () {
      const { flags } = await loadFixture(fixture);
      const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
        ...flags,
        policy: "unlimited",
        out: tempDir("p"),
      });
      expect(result.proposal.actions).to.have.length(1);
      await expectTaskError(
        "governance:propose-budget",
        { ...flags, policyStatus: "1:stop", out: tempDir("p") },
        'Invalid --policy-status "1:stop": expected <policy id>:<pause|resume|close>, comma-separated, such as ' +
          '"1:pause,2:close"',
      );
    });

    // Defence: the policy's end is checked against the earliest execution (now + the timelock delay).
    it("rejects a policy that ends before the proposal can execute", async function () {
      const { flags } = await loadFixture(fixture);
      const now = BigInt(await time.latest());
      const end = now + DAY;
      await expectTaskError(
        "governance:propose-budget",
        { ...flags, policy: `per-user=1,end=${end}`, out: tempDir("p") },
        `The policy "per-user=1,end=${end}" ends at ${iso(end)}, before the proposal can execute ` +
          `(${iso(now + TIMELOCK_DELAY)} at the earliest, after the timelock delay): choose a later end`,
      );
    });
  });
});
