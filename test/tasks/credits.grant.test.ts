import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { GrantResult } from "../../tasks/credits";
import { CREDIT, ISSUER_ROLE, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags } from "../helpers/tasks";

const DAY = 86_400n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

describe("task credits:grant", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    return {
      sys,
      flags: await systemFlags(sys),
      issuer: await sys.issuer.getAddress(),
      member: ethers.Wallet.createRandom().address,
    };
  }

  it("grants credits until a relative expiry and prints the new balance and remaining issuance", async function () {
    const { sys, flags, issuer, member } = await loadFixture(fixture);
    // "+30d" counts from the latest block's time when the task starts.
    const expiresAt = BigInt(await time.latest()) + 30n * DAY;
    const { result, lines } = await runTask<GrantResult>("credits:grant", {
      ledger: flags.ledger,
      account: member,
      amount: "250.5",
      expiry: "+30d",
      from: issuer,
    });
    expect(result).to.deep.equal({
      account: member,
      issuer,
      amount: 250_500_000n,
      expiresAt,
      remainingIssuance: 1_000_000n * CREDIT - 250_500_000n,
      balance: 250_500_000n,
      txHash: result.txHash,
      blockNumber: result.blockNumber,
    });
    await expect(result.txHash)
      .to.emit(sys.ledger, "CreditsGranted")
      .withArgs(member, issuer, 250_500_000n, expiresAt);
    expect(lines.at(-1)).to.equal(
      `Granted 250.5 credits to ${member} until ${iso(expiresAt)}. Balance now 250.5 credits; issuer ${issuer} may ` +
        "grant 999749.5 more this epoch.",
    );
  });

  it("accepts an ISO date, unix seconds and never as expiry", async function () {
    const { sys, flags, issuer, member } = await loadFixture(fixture);
    const now = BigInt(await time.latest());
    const unix = now + 10n * DAY;
    const isoDate = new Date(Number(now + 20n * DAY) * 1000).toISOString().slice(0, 10); // midnight UTC
    const isoSeconds = BigInt(Date.parse(`${isoDate}T00:00:00Z`) / 1000);
    for (const expiry of [unix.toString(), isoDate, "never"]) {
      await runTask("credits:grant", {
        ledger: flags.ledger,
        account: member,
        amount: "1",
        expiry,
        from: issuer,
      });
    }
    const grants = (await sys.ledger.creditBreakdown(member)).grants.map((g) => g.expiresAt);
    expect(grants).to.deep.equal([unix, isoSeconds, 2n ** 32n - 1n]);
  });

  describe("validation", function () {
    it("rejects an expiry that is not in the future", async function () {
      const { flags, issuer, member } = await loadFixture(fixture);
      const now = BigInt(await time.latest());
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "1", expiry: "2020-01-01", from: issuer },
        `Invalid --expiry "2020-01-01": 2020-01-01T00:00:00Z is not in the future (chain time is ${iso(now)})`,
      );
    });

    it("rejects an expiry past 2^32 - 1 and an unparseable expiry", async function () {
      const { flags, issuer, member } = await loadFixture(fixture);
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "1", expiry: "4294967296", from: issuer },
        'Invalid --expiry "4294967296": 2106-02-07T06:28:16Z is after the latest expiry the ledger stores, ' +
          '2106-02-07T06:28:15Z (2^32 - 1): pass "never" for no expiry',
      );
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "1", expiry: "next week", from: issuer },
        'Invalid --expiry "next week": expected an ISO date ("2026-01-31" or "2026-01-31T12:00:00Z"), unix seconds ' +
          '("1769860800"), a duration from now ("+30d") or "never"',
      );
    });

    it("rejects a zero amount and the zero address", async function () {
      const { flags, issuer, member } = await loadFixture(fixture);
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "0", expiry: "+1d", from: issuer },
        'Invalid --amount "0": expected an amount above zero',
      );
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: ethers.ZeroAddress, amount: "1", expiry: "+1d", from: issuer },
        `Invalid --account "${ethers.ZeroAddress}": the zero address is not allowed here`,
      );
    });
  });

  describe("preconditions", function () {
    it("fails when the signer does not hold ISSUER_ROLE, pointing to governance", async function () {
      const { sys, flags, member } = await loadFixture(fixture);
      const outsider = await sys.outsider.getAddress();
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "10", expiry: "+30d", from: outsider },
        `${outsider} does not hold ISSUER_ROLE on CreditLedger ${flags.ledger}: grants come from an issuer (the ` +
          `DAO timelock in production). Propose the grant with governance:propose-budget --grant ${member}:10:+30d, ` +
          "or run --from an issuer",
      );
    });

    it("fails when the issuer has no cap", async function () {
      const { sys, flags, member } = await loadFixture(fixture);
      const outsider = await sys.outsider.getAddress();
      await (await sys.ledger.grantRole(ISSUER_ROLE, outsider)).wait();
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "10", expiry: "+30d", from: outsider },
        `Issuer ${outsider} has no issuance cap: the admin must set one first (setIssuerCap; ` +
          `governance:propose-budget --issuer-cap ${outsider}:<cap>:<epoch>)`,
      );
    });

    it("fails beyond the issuer's remaining cap", async function () {
      const { sys, flags, issuer, member } = await loadFixture(fixture);
      await (await sys.ledger.setIssuerCap(issuer, 100n * CREDIT, 7 * 86_400)).wait();
      await runTask("credits:grant", {
        ledger: flags.ledger,
        account: member,
        amount: "60",
        expiry: "+30d",
        from: issuer,
      });
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "50", expiry: "+30d", from: issuer },
        `Issuer ${issuer} may grant 40 more credits this epoch (cap 100 per 7d), fewer than the 50 requested: wait ` +
          "for the next epoch or have the admin raise the cap",
      );
    });

    it("fails while the ledger is paused", async function () {
      const { sys, flags, issuer, member } = await loadFixture(fixture);
      await (await sys.ledger.connect(sys.guardian).pause()).wait();
      await expectTaskError(
        "credits:grant",
        { ledger: flags.ledger, account: member, amount: "1", expiry: "+1d", from: issuer },
        `CreditLedger ${flags.ledger} is paused: grants are stopped until its admin unpauses it`,
      );
    });

    it("fails when the account already has 4 live grants with other expiries", async function () {
      const { flags, issuer, member } = await loadFixture(fixture);
      const now = BigInt(await time.latest());
      const expiries = [10n, 20n, 30n, 40n].map((d) => now + d * DAY);
      for (const e of expiries) {
        await runTask("credits:grant", {
          ledger: flags.ledger,
          account: member,
          amount: "1",
          expiry: e.toString(),
          from: issuer,
        });
      }
      await expectTaskError(
        "credits:grant",
        {
          ledger: flags.ledger,
          account: member,
          amount: "1",
          expiry: (now + 50n * DAY).toString(),
          from: issuer,
        },
        `${member} already has 4 live grants (expiring ${expiries.map(iso).join(", ")}), none at ` +
          `${iso(now + 50n * DAY)}: grant with one of those expiries`,
      );
      // The same expiry as a live grant merges into it.
      const { result } = await runTask<GrantResult>("credits:grant", {
        ledger: flags.ledger,
        account: member,
        amount: "1",
        expiry: expiries[0].toString(),
        from: issuer,
      });
      expect(result.balance).to.equal(5n * CREDIT);
    });
  });
});
