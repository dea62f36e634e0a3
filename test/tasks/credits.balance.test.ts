import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { BalanceReport } from "../../tasks/credits";
import { CREDIT, buyCredits, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, withBadChecksum } from "../helpers/tasks";

const DAY = 86_400n;

describe("task credits:balance", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const flags = await systemFlags(sys);
    const dapp = await sys.dapp.getAddress();
    const user = ethers.Wallet.createRandom().address;
    await buyCredits(sys, sys.dapp, dapp, ethers.parseEther("0.01")); // $30 at $3,000 per ETH
    const expiry = BigInt(await time.latest()) + 30n * DAY;
    await (await sys.ledger.connect(sys.issuer).grant(dapp, 100n * CREDIT, expiry)).wait();
    await (await sys.ledger.connect(sys.dapp).setAllowance(user, 5n * CREDIT, 86_400, 2n ** 32n - 1n)).wait();
    return { sys, flags, dapp, user, expiry };
  }

  const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

  it("prints the balance, spendable, purchased and granted credits with their expiry", async function () {
    const { flags, dapp, expiry } = await loadFixture(fixture);
    const { lines } = await runTask<BalanceReport>("credits:balance", {
      ledger: flags.ledger,
      account: dapp,
    });
    expect(lines).to.deep.equal([
      `Credits of ${dapp} on CreditLedger ${flags.ledger} (chain 31337)`,
      "  balance           130 credits (unexpired, held included)",
      "  spendable         130 credits",
      "  purchased         30 credits (never expire)",
      `  granted           100 credits until ${iso(expiry)}`,
      "  expired, unswept  0 credits",
    ]);
  });

  it("prints exact JSON with --json, including the allowance given to --beneficiary", async function () {
    const { flags, dapp, user, expiry } = await loadFixture(fixture);
    const { result, lines } = await runTask<BalanceReport>("credits:balance", {
      ledger: flags.ledger,
      account: dapp,
      beneficiary: user,
      json: true,
    });
    const expected: BalanceReport = {
      chainId: "31337",
      ledger: flags.ledger,
      account: dapp,
      hasAccount: true,
      balance: "130000000",
      spendable: "130000000",
      purchased: "30000000",
      held: "0",
      expiredUnswept: "0",
      grants: [{ amount: "100000000", expiresAt: expiry.toString(), expiresAtIso: iso(expiry) }],
      allowance: {
        sponsor: dapp,
        beneficiary: user,
        perEpoch: "5000000",
        epochLength: "86400",
        expiresAt: "4294967295",
        expiresAtIso: "never",
        remainingThisEpoch: "5000000",
      },
    };
    expect(result).to.deep.equal(expected);
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0])).to.deep.equal(expected);
  });

  it("shows expired grants as expired-unswept and reports an account without a credit token", async function () {
    const { flags, dapp } = await loadFixture(fixture);
    await time.increase(31n * DAY);
    const { result } = await runTask<BalanceReport>("credits:balance", {
      ledger: flags.ledger,
      account: dapp,
      json: true,
    });
    expect(result.balance).to.equal("30000000");
    expect(result.expiredUnswept).to.equal("100000000");
    expect(result.grants).to.deep.equal([]);

    const nobody = ethers.Wallet.createRandom().address;
    const { lines } = await runTask<BalanceReport>("credits:balance", {
      ledger: flags.ledger,
      account: nobody,
    });
    expect(lines.at(-1)).to.equal("  credit account    none yet (opened by the first purchase or grant)");
  });

  it("defaults --account to the first account", async function () {
    const { sys, flags } = await loadFixture(fixture);
    const { result } = await runTask<BalanceReport>("credits:balance", { ledger: flags.ledger, json: true });
    expect(result.account).to.equal(await sys.admin.getAddress());
    expect(result.hasAccount).to.equal(false);
  });

  it("rejects a malformed or mis-checksummed --account", async function () {
    const { flags, dapp } = await loadFixture(fixture);
    await expectTaskError(
      "credits:balance",
      { ledger: flags.ledger, account: "0x1234" },
      'Invalid --account "0x1234": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
        "mixed-case)",
    );
    const badChecksum = withBadChecksum(dapp);
    await expectTaskError(
      "credits:balance",
      { ledger: flags.ledger, account: badChecksum },
      `Invalid --account "${badChecksum}": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed ` +
        "when mixed-case)",
    );
  });

  it("rejects a --ledger address that is not a CreditLedger", async function () {
    const { flags } = await loadFixture(fixture);
    await expectTaskError(
      "credits:balance",
      { ledger: flags.paymaster },
      `${flags.paymaster} (from --ledger) is not a CreditLedger: it does not answer like one. Check the address`,
    );
  });

  it("rejects a --ledger address without code", async function () {
    const { dapp } = await loadFixture(fixture);
    await expectTaskError(
      "credits:balance",
      { ledger: dapp },
      `No contract code at ${dapp} (CreditLedger from --ledger) on chain 31337: deploy first with \`npm run ` +
        "deploy` (a local node forgets its contracts when restarted), or pass --ledger with the address of the " +
        "deployed CreditLedger",
    );
  });
});
