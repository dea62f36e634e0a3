import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { AllowResult } from "../../tasks/credits";
import { CREDIT, buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";
import { handleOps } from "../helpers/userop";

const DAY = 86_400n;
const NEVER = 2n ** 32n - 1n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("task credits:allow", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, ethers.parseEther("1")); // 3,000 credits
    return { sys, flags: await systemFlags(sys), dapp, user: await newUser(sys) };
  }

  it("sets a never-expiring daily allowance by default from the signer (the sponsor)", async function () {
    const { sys, flags, dapp, user } = await loadFixture(fixture);
    const beneficiary = user.account.address;
    const { result, lines } = await runTask<AllowResult>("credits:allow", {
      ledger: flags.ledger,
      beneficiary,
      perEpoch: "5",
      from: dapp,
    });
    expect(result).to.deep.equal({
      sponsor: dapp,
      beneficiary,
      perEpoch: 5n * CREDIT,
      epochLength: DAY,
      expiresAt: NEVER,
      carriedSpent: 0n,
      txHash: result.txHash,
      blockNumber: result.blockNumber,
    });
    await expect(result.txHash)
      .to.emit(sys.ledger, "AllowanceSet")
      .withArgs(dapp, beneficiary, 5n * CREDIT, DAY, NEVER, 0n);
    expect(await sys.ledger.remainingAllowance(dapp, beneficiary)).to.equal(5n * CREDIT);
    expect(lines.at(-1)).to.equal(
      `Sponsor ${dapp} lets ${beneficiary} spend up to 5 credits per 1d until never.`,
    );
  });

  it("takes --epoch and --expiry, and notes when the sponsor has no credits", async function () {
    const { sys, flags, user } = await loadFixture(fixture);
    const sponsor = await sys.outsider.getAddress();
    const expiresAt = BigInt(await time.latest()) + 90n * DAY;
    const { result, lines } = await runTask<AllowResult>("credits:allow", {
      ledger: flags.ledger,
      beneficiary: user.account.address,
      perEpoch: "0.25",
      epoch: "1w",
      expiry: "+90d",
      from: sponsor,
    });
    expect([result.perEpoch, result.epochLength, result.expiresAt]).to.deep.equal([
      250_000n,
      7n * DAY,
      expiresAt,
    ]);
    expect(lines.slice(-2)).to.deep.equal([
      `Sponsor ${sponsor} lets ${user.account.address} spend up to 0.25 credits per 7d until ${iso(expiresAt)}.`,
      `Note: sponsor ${sponsor} has no spendable credits yet; sponsored operations fail until it buys ` +
        "(credits:buy) or is granted credits.",
    ]);
  });

  it("reports the spending carried into a changed allowance", async function () {
    const { sys, flags, dapp, user } = await loadFixture(fixture);
    const beneficiary = user.account.address;
    await runTask("credits:allow", { ledger: flags.ledger, beneficiary, perEpoch: "50", from: dapp });
    const op = await creditOp(sys, user, { sponsor: dapp });
    await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
    const spent = (await sys.ledger.allowance(dapp, beneficiary)).used;
    expect(spent).to.be.greaterThan(0n);

    const { result, lines } = await runTask<AllowResult>("credits:allow", {
      ledger: flags.ledger,
      beneficiary,
      perEpoch: "100",
      from: dapp,
    });
    expect(result.carriedSpent).to.equal(spent);
    const formatted = ethers.formatUnits(spent, 6).replace(/\.?0+$/, "");
    expect(lines.at(-1)).to.equal(
      `Sponsor ${dapp} lets ${beneficiary} spend up to 100 credits per 1d until never (${formatted} already spent ` +
        "this epoch).",
    );
  });

  it("revokes an allowance with --revoke", async function () {
    const { sys, flags, dapp, user } = await loadFixture(fixture);
    const beneficiary = user.account.address;
    await runTask("credits:allow", { ledger: flags.ledger, beneficiary, perEpoch: "5", from: dapp });
    const { result, lines } = await runTask<AllowResult>("credits:allow", {
      ledger: flags.ledger,
      beneficiary,
      revoke: true,
      from: dapp,
    });
    await expect(result.txHash).to.emit(sys.ledger, "AllowanceRevoked").withArgs(dapp, beneficiary);
    expect(result.perEpoch).to.equal(0n);
    expect(await sys.ledger.remainingAllowance(dapp, beneficiary)).to.equal(0n);
    expect(lines.at(-1)).to.equal(`Sponsor ${dapp} revoked the allowance of ${beneficiary}.`);
  });

  describe("validation and preconditions", function () {
    it("fails to revoke an allowance that does not exist", async function () {
      const { flags, dapp, user } = await loadFixture(fixture);
      await expectTaskError(
        "credits:allow",
        { ledger: flags.ledger, beneficiary: user.account.address, revoke: true, from: dapp },
        `${user.account.address} has no allowance from sponsor ${dapp} to revoke`,
      );
    });

    it("requires --per-epoch unless revoking, and refuses both", async function () {
      const { flags, user } = await loadFixture(fixture);
      await expectTaskError(
        "credits:allow",
        { ledger: flags.ledger, beneficiary: user.account.address },
        "Pass --per-epoch <credits> (the beneficiary's budget per epoch), or --revoke",
      );
      await expectTaskError(
        "credits:allow",
        { ledger: flags.ledger, beneficiary: user.account.address, revoke: true, perEpoch: "1" },
        "--revoke takes no --per-epoch",
      );
    });

    for (const [args, message] of [
      [
        { perEpoch: "18446744073709.551616" },
        'Invalid --per-epoch "18446744073709.551616": expected at most 18446744073709.551615 credits',
      ],
      [{ perEpoch: "1", epoch: "0" }, 'Invalid --epoch "0": expected a duration above zero'],
      [
        { perEpoch: "1", epoch: "1.5d" },
        'Invalid --epoch "1.5d": expected seconds ("86400") or a number with a unit s, m, h, d or w ("30d")',
      ],
      [
        { perEpoch: "1", epoch: "4294967296" },
        'Invalid --epoch "4294967296": expected at most 4294967295 seconds',
      ],
      [{ perEpoch: "1", expiry: "+0d" }, 'Invalid --expiry "+0d": '],
    ] as const) {
      it(`rejects ${JSON.stringify(args)}`, async function () {
        const { flags, user } = await loadFixture(fixture);
        const now = BigInt(await time.latest());
        const expected = message.endsWith(": ")
          ? `${message}${iso(now)} is not in the future (chain time is ${iso(now)})`
          : message;
        await expectTaskError(
          "credits:allow",
          { ledger: flags.ledger, beneficiary: user.account.address, ...args },
          expected,
        );
      });
    }
  });
});
