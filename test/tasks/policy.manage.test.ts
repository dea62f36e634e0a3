import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { PolicyWriteResult } from "../../tasks/policy";
import { CREDIT, buyCredits, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, taskFailure } from "../helpers/tasks";

const DAY = 86_400n;
const NEVER = 2n ** 32n - 1n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("tasks policy:create, update, rotate-signer, pause, resume, close", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, ethers.parseEther("1")); // 3,000 credits
    const approver = await sys.outsider.getAddress();
    return { sys, flags: await systemFlags(sys), dapp, approver };
  }

  /** Creates the dApp's policy 1: 5 credits and 20 operations per user per day, 1,000 credits a day in all. */
  async function withPolicy() {
    const f = await fixture();
    const { result } = await runTask<PolicyWriteResult>("policy:create", {
      ledger: f.flags.ledger,
      perUser: "5",
      opsPerUser: "20",
      perEpoch: "1000",
      from: f.dapp,
    });
    return { ...f, created: result };
  }

  it("creates an open policy from the signer (the sponsor) with defaults: starts now, daily epochs, never ends", async function () {
    const { sys, dapp, created } = await loadFixture(withPolicy);
    const start = BigInt((await ethers.provider.getBlock(created.blockNumber - 1))!.timestamp);
    expect(created.policyId).to.equal(1n);
    expect(created.epochLength).to.equal(DAY);
    expect(created.terms).to.deep.equal({
      creditsPerUser: 5n * CREDIT,
      opsPerUser: 20,
      creditsPerEpoch: 1_000n * CREDIT,
      creditsPerOp: 0n,
      start: Number(start),
      end: Number(NEVER),
      signer: ethers.ZeroAddress,
    });
    const view = await sys.ledger.policy(dapp, 1n);
    expect(view.status).to.equal(1n); // Active
    expect([view.terms.creditsPerUser, view.terms.opsPerUser, view.terms.creditsPerEpoch]).to.deep.equal([
      5n * CREDIT,
      20n,
      1_000n * CREDIT,
    ]);
    expect(view.epochLength).to.equal(DAY);
    await expect(created.txHash).to.emit(sys.ledger, "PolicySet");
  });

  it("prints what it created, how wallets use it, and what the signer is", async function () {
    const { sys, flags, dapp, approver } = await loadFixture(fixture);
    const safe = await (await ethers.getContractFactory("TestPolicySigner")).deploy(approver);
    const { result, lines } = await runTask<PolicyWriteResult>("policy:create", {
      ledger: flags.ledger,
      perOp: "0.5",
      epoch: "1w",
      start: "2026-01-01",
      end: "2100-01-01",
      signer: await safe.getAddress(),
      from: dapp,
    });
    expect(result.policyId).to.equal(1n);
    expect(result.terms.start).to.equal(Date.parse("2026-01-01T00:00:00Z") / 1000);
    expect(lines.slice(-3)).to.deep.equal([
      `Sponsor ${dapp} created policy 1: per user no limit, whole policy no limit per 7d; per operation 0.5 credits; ` +
        `from 2026-01-01T00:00:00Z until 2100-01-01T00:00:00Z; approvals signed by ${await safe.getAddress()}.`,
      `Wallets use it with paymaster context { "sponsor": "${dapp}", "policyId": 1 } (POLICY mode).`,
      `Every operation needs an EIP-712 approval signed by ${await safe.getAddress()} (a contract: checked through ` +
        "ERC-1271 isValidSignature).",
    ]);
    // A sponsor without credits is told so; an EOA signer is named as one.
    const other = await sys.issuer.getAddress();
    const { lines: otherLines } = await runTask("policy:create", {
      ledger: flags.ledger,
      signer: approver,
      from: other,
    });
    expect(otherLines.slice(-2)).to.deep.equal([
      `Note: sponsor ${other} has no spendable credits yet; operations under the policy fail until it buys ` +
        "(credits:buy) or is granted credits.",
      `Every operation needs an EIP-712 approval signed by ${approver} (an EOA).`,
    ]);
  });

  it("updates only the given terms and keeps the others, then rotates the signer alone", async function () {
    const { sys, flags, dapp, approver, created } = await loadFixture(withPolicy);
    const { result, lines } = await runTask<PolicyWriteResult>("policy:update", {
      ledger: flags.ledger,
      id: "1",
      perUser: "7.5",
      opsPerUser: "none",
      from: dapp,
    });
    expect(result.terms).to.deep.equal({ ...created.terms, creditsPerUser: 7_500_000n, opsPerUser: 0 });
    expect(lines.at(-1)).to.equal(
      `Sponsor ${dapp} updated policy 1: credits per user 5 → 7.5, operations per user 20 → none. Spending so far ` +
        "this epoch is kept.",
    );
    const rotated = await runTask<PolicyWriteResult>("policy:rotate-signer", {
      ledger: flags.ledger,
      id: "1",
      signer: approver,
      from: dapp,
    });
    expect(rotated.result.terms).to.deep.equal({ ...result.terms, signer: approver });
    expect((await sys.ledger.policy(dapp, 1n)).terms.signer).to.equal(approver);
    expect(rotated.lines.at(-1)).to.equal(
      `Policy 1 of ${dapp} now needs approvals signed by ${approver} (was none). Approvals of the old signer are ` +
        "refused from this block on, also for operations already signed.",
    );
    const opened = await runTask("policy:rotate-signer", {
      ledger: flags.ledger,
      id: "1",
      signer: "none",
      from: dapp,
    });
    expect(opened.lines.at(-1)).to.equal(
      `Policy 1 of ${dapp} is now open: no approval is needed (was ${approver}).`,
    );
    expect((await sys.ledger.policy(dapp, 1n)).terms.signer).to.equal(ethers.ZeroAddress);
  });

  it("pauses, resumes and closes a policy", async function () {
    const { sys, flags, dapp } = await loadFixture(withPolicy);
    const base = { ledger: flags.ledger, id: "1", from: dapp };
    const paused = await runTask<PolicyWriteResult>("policy:pause", base);
    expect(paused.result.status).to.equal("Paused");
    expect((await sys.ledger.policy(dapp, 1n)).status).to.equal(2n);
    expect(paused.lines.at(-1)).to.equal(
      `Policy 1 of ${dapp} is paused: no new operation is sponsored until policy:resume.`,
    );
    await expectTaskError(
      "policy:pause",
      base,
      `Policy 1 of ${dapp} is already paused (policy:resume resumes it)`,
    );
    const resumed = await runTask<PolicyWriteResult>("policy:resume", base);
    expect((await sys.ledger.policy(dapp, 1n)).status).to.equal(1n);
    expect(resumed.lines.at(-1)).to.equal(`Policy 1 of ${dapp} is active again.`);
    await expectTaskError(
      "policy:resume",
      base,
      `Policy 1 of ${dapp} is already active (policy:pause pauses it)`,
    );
    const closed = await runTask<PolicyWriteResult>("policy:close", base);
    expect((await sys.ledger.policy(dapp, 1n)).status).to.equal(3n);
    expect(closed.lines.at(-1)).to.equal(`Policy 1 of ${dapp} is closed for good.`);
    for (const name of ["policy:pause", "policy:resume", "policy:close"]) {
      await expectTaskError(
        name,
        base,
        `Policy 1 of ${dapp} is closed for good: create a new one (policy:create)`,
      );
    }
    await expectTaskError(
      "policy:update",
      { ...base, perUser: "1" },
      `Policy 1 of ${dapp} is closed for good: create a new one (policy:create)`,
    );
  });

  describe("refusals (nothing is sent)", function () {
    /** Expects `name` to fail with `message` and to send no transaction. */
    async function refused(name: string, args: Record<string, unknown>, message: string) {
      const block = await ethers.provider.getBlockNumber();
      await expectTaskError(name, args, message);
      expect(await ethers.provider.getBlockNumber()).to.equal(block);
    }

    it("reports every invalid flag at once", async function () {
      const { flags, dapp } = await loadFixture(fixture);
      const now = BigInt(await time.latest());
      await refused(
        "policy:create",
        {
          ledger: flags.ledger,
          perUser: "1.0000001",
          opsPerUser: "4294967296",
          perEpoch: "-1",
          perOp: "lots",
          start: "tomorrow",
          end: "+0d",
          signer: "0x1234",
          epoch: "0",
          from: dapp,
        },
        [
          'Invalid --per-user "1.0000001": expected credits as a decimal number with at most 6 decimals, such as "12.5"',
          'Invalid --ops-per-user "4294967296": expected a whole number from 1 to 4294967295',
          'Invalid --per-epoch "-1": expected credits as a decimal number with at most 6 decimals, such as "12.5"',
          'Invalid --per-op "lots": expected credits as a decimal number with at most 6 decimals, such as "12.5"',
          'Invalid --start "tomorrow": expected "now", an ISO date ("2026-01-31" or "2026-01-31T12:00:00Z"), unix ' +
            'seconds ("1769860800"), a duration from now ("+30d")',
          `Invalid --end "+0d": ${iso(now)} is not in the future (chain time is ${iso(now)})`,
          'Invalid --signer "0x1234": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
            "mixed-case)",
          'Invalid --epoch "0": expected a duration above zero',
        ].join("\n"),
      );
    });

    // Defence: requireSomeLimit. Without it the open, limitless policy would be created.
    it("refuses an open policy with no limit unless --unlimited", async function () {
      const { sys, flags, dapp } = await loadFixture(fixture);
      await refused(
        "policy:create",
        { ledger: flags.ledger, from: dapp },
        "An open policy with no limit lets any sender spend all of the sponsor's credits: set --per-user, " +
          "--ops-per-user, --per-epoch or --per-op, or a --signer, or pass --unlimited if that is meant",
      );
      await runTask("policy:create", { ledger: flags.ledger, unlimited: true, from: dapp });
      expect(await sys.ledger.policyCount(dapp)).to.equal(1n);
    });

    it("refuses to open up a limitless signed policy by rotating its signer to none", async function () {
      const { flags, dapp, approver } = await loadFixture(fixture);
      await runTask("policy:create", { ledger: flags.ledger, signer: approver, from: dapp });
      await refused(
        "policy:rotate-signer",
        { ledger: flags.ledger, id: "1", signer: "none", from: dapp },
        "An open policy with no limit lets any sender spend all of the sponsor's credits: set --per-user, " +
          "--ops-per-user, --per-epoch or --per-op, or a --signer, or pass --unlimited if that is meant",
      );
    });

    it("refuses a window that ends before it starts", async function () {
      const { flags, dapp } = await loadFixture(fixture);
      await refused(
        "policy:create",
        { ledger: flags.ledger, perUser: "1", start: "2100-01-02", end: "2100-01-01", from: dapp },
        "The policy would end (--end 2100-01-01T00:00:00Z) before it starts (--start 2100-01-02T00:00:00Z): " +
          "choose an --end after the --start",
      );
    });

    it("refuses a policy id the sponsor does not have, an update with nothing to change and a same-signer rotation", async function () {
      const { flags, dapp, sys } = await loadFixture(withPolicy);
      const outsider = await sys.outsider.getAddress();
      await refused(
        "policy:pause",
        { ledger: flags.ledger, id: "2", from: dapp },
        `Sponsor ${dapp} has no policy 2: its policies are 1 (see policy:list --sponsor ${dapp})`,
      );
      await refused(
        "policy:update",
        { ledger: flags.ledger, id: "1", perUser: "1", from: outsider },
        `Sponsor ${outsider} has no policies on CreditLedger ${flags.ledger}: create one with policy:create ` +
          "(--from the sponsor)",
      );
      await refused(
        "policy:close",
        { ledger: flags.ledger, id: "0", from: dapp },
        'Invalid --id "0": expected a whole number from 1 to 18446744073709551615',
      );
      await refused(
        "policy:update",
        { ledger: flags.ledger, id: "1", from: dapp },
        "Nothing to update: pass one or more of --per-user, --ops-per-user, --per-epoch, --per-op, --start, --end, " +
          "--signer (the others keep their values; the epoch length is fixed at creation)",
      );
      await refused(
        "policy:update",
        { ledger: flags.ledger, id: "1", perUser: "5", from: dapp },
        `Policy 1 of ${dapp} already has these terms: nothing to change`,
      );
      await refused(
        "policy:rotate-signer",
        { ledger: flags.ledger, id: "1", signer: "none", from: dapp },
        "Policy 1 already has no signer: nothing to rotate",
      );
    });

    it("decodes a contract revert into the ledger's error and a hint", async function () {
      const { flags, dapp, sys } = await loadFixture(withPolicy);
      // The policy's window: an --end in the past is refused by the flags, so move the chain past a near end.
      await runTask("policy:update", { ledger: flags.ledger, id: "1", end: "+1h", from: dapp });
      await sys.ledger.connect(sys.dapp).setPolicyStatus(1n, 2); // paused behind the task's back…
      const { message } = await taskFailure("policy:pause", { ledger: flags.ledger, id: "1", from: dapp });
      expect(message).to.equal(`Policy 1 of ${dapp} is already paused (policy:resume resumes it)`);
      // …and a transaction the ledger refuses: an update whose end has passed by the time it runs.
      await time.increase(2 * 3_600);
      const failure = await taskFailure("policy:update", {
        ledger: flags.ledger,
        id: "1",
        start: "2000-01-01",
        from: dapp,
      });
      expect(failure.message).to.match(
        new RegExp(
          `^Updating policy 1 of ${dapp} reverted with CreditLedgerPolicyInvalidTerms\\(start=946684800, end=\\d+, ` +
            "epochLength=86400\\)\\. The window \\[start, end\\) must be non-empty and end in the future: pass a later " +
            "--end",
        ),
      );
    });
  });
});
