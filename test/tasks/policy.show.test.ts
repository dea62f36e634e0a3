import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { PolicyListEntry, PolicyReport } from "../../tasks/policy";
import { policyPaymasterData } from "../../src/aa/policy";
import { buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import type { System, User } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";
import { handleOps, signUserOp } from "../helpers/userop";

const DAY = 86_400n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");
const credits = (units: bigint) => ethers.formatUnits(units, 6).replace(/\.?0+$/, "");

/** An open-policy operation of `user` under the dApp's policy `id`, sent through the EntryPoint. */
async function sponsoredOp(sys: System, user: User, dapp: string, id: bigint) {
  let op = await creditOp(sys, user, {
    paymasterPostOpGasLimit: 150_000n,
    paymasterData: policyPaymasterData(dapp, id),
  });
  op = await signUserOp(op, user.owner, sys.entryPoint, sys.version);
  await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
}

describe("tasks policy:show and policy:list", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, ethers.parseEther("1"));
    const flags = await systemFlags(sys);
    await runTask("policy:create", {
      ledger: flags.ledger,
      perUser: "50",
      opsPerUser: "20",
      perEpoch: "1000",
      from: dapp,
    });
    await runTask("policy:create", {
      ledger: flags.ledger,
      perOp: "1",
      signer: await sys.outsider.getAddress(),
      start: "+30d",
      from: dapp,
    });
    const created = BigInt((await sys.ledger.policy(dapp, 1n)).anchor);
    const user = await newUser(sys, 77n);
    await sponsoredOp(sys, user, dapp, 1n);
    return { sys, flags, dapp, user, created };
  }

  it("shows a policy's terms, status, this epoch's spending and a user's usage", async function () {
    const { sys, flags, dapp, user, created } = await loadFixture(fixture);
    const spent = (await sys.ledger.policyUsage(dapp, 1n, user.account.address)).credits;
    expect(spent).to.be.greaterThan(0n);
    const spendable = await sys.ledger.spendableCredits(dapp);
    const start = (await sys.ledger.policy(dapp, 1n)).terms.start;
    const { result, lines } = await runTask<PolicyReport>("policy:show", {
      ledger: flags.ledger,
      sponsor: dapp,
      id: "1",
      user: user.account.address,
    });
    expect(result.usedThisEpoch).to.equal(spent.toString());
    expect(result.remainingThisEpoch).to.equal((1_000_000_000n - spent).toString());
    expect(result.user).to.deep.equal({
      address: user.account.address,
      creditsThisEpoch: spent.toString(),
      opsThisEpoch: "1",
      creditsRemaining: (50_000_000n - spent).toString(),
      opsRemaining: "19",
    });
    expect(lines).to.deep.equal([
      `Policy 1 of sponsor ${dapp} on CreditLedger ${flags.ledger} (chain 31337)`,
      "  status             Active",
      "  signer             none (open: any sender, no approval)",
      `  window             ${iso(start)} until never`,
      `  epoch              1d; now epoch 0, ${iso(created)} to ${iso(created + DAY)}`,
      "  per user           50 credits and 20 operations per epoch",
      "  per operation      no limit",
      `  whole policy       1000 credits per epoch; ${credits(spent)} credits spent this epoch, ` +
        `${credits(1_000_000_000n - spent)} credits left`,
      `  sponsor's credits  ${credits(spendable)} credits spendable`,
      `  user               ${user.account.address}: ${credits(spent)} credits and 1 operation this epoch; ` +
        `${credits(50_000_000n - spent)} credits and 19 operations left`,
    ]);
  });

  it("counts only the current epoch: the next day shows nothing spent", async function () {
    const { flags, dapp, user } = await loadFixture(fixture);
    await time.increase(DAY);
    const { result } = await runTask<PolicyReport>("policy:show", {
      ledger: flags.ledger,
      sponsor: dapp,
      id: "1",
      user: user.account.address,
      json: true,
    });
    expect(result.epoch.number).to.equal("1");
    expect(result.usedThisEpoch).to.equal("0");
    expect(result.user).to.include({ creditsThisEpoch: "0", opsThisEpoch: "0", opsRemaining: "20" });
  });

  it("prints JSON with --json and says when an active policy is outside its window", async function () {
    const { sys, flags, dapp } = await loadFixture(fixture);
    const { result, lines } = await runTask<PolicyReport>("policy:show", {
      ledger: flags.ledger,
      sponsor: dapp,
      id: "2",
      json: true,
    });
    expect(JSON.parse(lines.join("\n"))).to.deep.equal(JSON.parse(JSON.stringify(result)));
    expect(result).to.include({ status: "Active", usableNow: false, remainingThisEpoch: null });
    expect(result.terms).to.include({ signer: await sys.outsider.getAddress(), creditsPerOp: "1000000" });
    const text = await runTask("policy:show", { ledger: flags.ledger, sponsor: dapp, id: "2" });
    expect(text.lines[1]).to.equal("  status             Active, outside its window (not started)");
  });

  it("lists a sponsor's policies", async function () {
    const { sys, flags, dapp, user } = await loadFixture(fixture);
    const spent = (await sys.ledger.policyUsage(dapp, 1n, user.account.address)).credits;
    await runTask("policy:pause", { ledger: flags.ledger, id: "1", from: dapp });
    const { result, lines } = await runTask<PolicyListEntry[]>("policy:list", {
      ledger: flags.ledger,
      sponsor: dapp,
    });
    expect(result.map((e) => [e.policyId, e.status, e.usableNow, e.usedThisEpoch])).to.deep.equal([
      ["1", "Paused", false, spent.toString()],
      ["2", "Active", false, "0"],
    ]);
    const view2 = await sys.ledger.policy(dapp, 2n);
    expect(lines).to.deep.equal([
      `Policies of sponsor ${dapp} on CreditLedger ${flags.ledger}:`,
      `  1  Paused  ${credits(spent)} credits spent this epoch; per user 50 credits and 20 operations, whole policy ` +
        "1000 credits per 1d; per operation no limit; from " +
        `${iso((await sys.ledger.policy(dapp, 1n)).terms.start)} until never; open (no approval signer)`,
      "  2  Active (outside its window)  0 credits spent this epoch; per user no limit, whole policy no limit per " +
        `1d; per operation 1 credits; from ${iso(view2.terms.start)} until never; approvals signed by ` +
        `${await sys.outsider.getAddress()}`,
    ]);
    const none = await runTask<PolicyListEntry[]>("policy:list", {
      ledger: flags.ledger,
      sponsor: flags.ledger,
    });
    expect(none.result).to.deep.equal([]);
    expect(none.lines).to.deep.equal([
      `Sponsor ${flags.ledger} has no policies on CreditLedger ${flags.ledger} (policy:create creates one).`,
    ]);
  });

  it("refuses bad flags and unknown policies", async function () {
    const { flags, dapp } = await loadFixture(fixture);
    await expectTaskError(
      "policy:show",
      { ledger: flags.ledger, sponsor: "0xabc", id: "x", user: "bob" },
      [
        'Invalid --id "x": expected a whole number',
        'Invalid --sponsor "0xabc": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
          "mixed-case)",
        'Invalid --user "bob": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
          "mixed-case)",
      ].join("\n"),
    );
    await expectTaskError(
      "policy:show",
      { ledger: flags.ledger, sponsor: dapp, id: "3" },
      `Sponsor ${dapp} has no policy 3: its policies are 1 to 2 (see policy:list --sponsor ${dapp})`,
    );
  });
});
