import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { runProposal } from "../helpers/governance";
import type { ProposalCall } from "../helpers/governance";
import { ISSUER_EPOCH, TIMELOCK_ISSUER_CAP, deployGovernanceSystem } from "../helpers/governanceSystem";
import type { GovernanceSystem } from "../helpers/governanceSystem";
import { sameConfig } from "../helpers/events";
import { CREDIT, ISSUER_ROLE, defaultPaymasterConfig } from "../helpers/system";

const DAY = 86_400n;

describe("Governance budgets", function () {
  async function fixture() {
    return deployGovernanceSystem("0.8");
  }

  async function calls(g: GovernanceSystem, encoded: { target: "ledger" | "paymaster"; data: string }[]) {
    const targets = { ledger: await g.ledger.getAddress(), paymaster: await g.paymaster.getAddress() };
    return encoded.map((c): ProposalCall => ({ target: targets[c.target], data: c.data }));
  }

  async function propose(g: GovernanceSystem, batch: ProposalCall[], description: string) {
    return runProposal(g.governor, g.timelock, g.voters[0], [...g.voters], batch, description);
  }

  describe("grants", function () {
    it("grants credits to a member and to a dApp by proposal, issued by the timelock within its cap", async function () {
      const g = await loadFixture(fixture);
      const [member, dapp, timelock] = await Promise.all([
        g.member.getAddress(),
        g.dapp.getAddress(),
        g.timelock.getAddress(),
      ]);
      const expiry = BigInt(await time.latest()) + 90n * DAY;
      const batch = await calls(g, [
        {
          target: "ledger",
          data: g.ledger.interface.encodeFunctionData("grant", [member, 500n * CREDIT, expiry]),
        },
        {
          target: "ledger",
          data: g.ledger.interface.encodeFunctionData("grant", [dapp, 2_000n * CREDIT, expiry]),
        },
      ]);
      const { executeReceipt } = await propose(g, batch, "Q3 budget: member and dApp grants");
      await expect(executeReceipt.hash)
        .to.emit(g.ledger, "CreditsGranted")
        .withArgs(member, timelock, 500n * CREDIT, expiry)
        .and.to.emit(g.ledger, "CreditsGranted")
        .withArgs(dapp, timelock, 2_000n * CREDIT, expiry);
      expect(await g.ledger.balanceOfCredits(member)).to.equal(500n * CREDIT);
      expect(await g.ledger.balanceOfCredits(dapp)).to.equal(2_000n * CREDIT);
      expect(await g.ledger.remainingIssuance(timelock)).to.equal(TIMELOCK_ISSUER_CAP - 2_500n * CREDIT);
      expect(await g.ledger.totalIssued()).to.equal(2_500n * CREDIT);
    });

    it("cannot grant beyond the timelock's issuance cap: the execution reverts with the ledger's error", async function () {
      const g = await loadFixture(fixture);
      const [member, timelock] = await Promise.all([g.member.getAddress(), g.timelock.getAddress()]);
      const expiry = BigInt(await time.latest()) + 90n * DAY;
      const tooMuch = TIMELOCK_ISSUER_CAP + 1n;
      const batch = await calls(g, [
        { target: "ledger", data: g.ledger.interface.encodeFunctionData("grant", [member, tooMuch, expiry]) },
      ]);
      await expect(propose(g, batch, "Too large a grant"))
        .to.be.revertedWithCustomError(g.ledger, "CreditLedgerIssuerCapExceeded")
        .withArgs(timelock, TIMELOCK_ISSUER_CAP, tooMuch);
      expect(await g.ledger.balanceOfCredits(member)).to.equal(0n);
    });
  });

  describe("issuance caps", function () {
    it("sets the timelock's cap and appoints a capped issuer (a dApp team) in one proposal", async function () {
      const g = await loadFixture(fixture);
      const [dapp, member, timelock] = await Promise.all([
        g.dapp.getAddress(),
        g.member.getAddress(),
        g.timelock.getAddress(),
      ]);
      const lg = g.ledger.interface;
      const batch = await calls(g, [
        {
          target: "ledger",
          data: lg.encodeFunctionData("setIssuerCap", [timelock, 250_000n * CREDIT, ISSUER_EPOCH]),
        },
        { target: "ledger", data: lg.encodeFunctionData("grantRole", [ISSUER_ROLE, dapp]) },
        { target: "ledger", data: lg.encodeFunctionData("setIssuerCap", [dapp, 1_000n * CREDIT, 7n * DAY]) },
      ]);
      const { executeReceipt } = await propose(g, batch, "Caps: DAO 250k / 30d, dApp issuer 1k / 7d");
      await expect(executeReceipt.hash)
        .to.emit(g.ledger, "IssuerCapSet")
        .withArgs(timelock, 250_000n * CREDIT, ISSUER_EPOCH, 0n)
        .and.to.emit(g.ledger, "IssuerCapSet")
        .withArgs(dapp, 1_000n * CREDIT, 7n * DAY, 0n);
      expect(await g.ledger.remainingIssuance(timelock)).to.equal(250_000n * CREDIT);

      // The new issuer grants within its cap, and no further.
      const expiry = BigInt(await time.latest()) + 30n * DAY;
      await (await g.ledger.connect(g.dapp).grant(member, 600n * CREDIT, expiry)).wait();
      await expect(g.ledger.connect(g.dapp).grant(member, 500n * CREDIT, expiry))
        .to.be.revertedWithCustomError(g.ledger, "CreditLedgerIssuerCapExceeded")
        .withArgs(dapp, 400n * CREDIT, 500n * CREDIT);
    });

    it("stops an issuer with a zero cap", async function () {
      const g = await loadFixture(fixture);
      const timelock = await g.timelock.getAddress();
      const batch = await calls(g, [
        {
          target: "ledger",
          data: g.ledger.interface.encodeFunctionData("setIssuerCap", [timelock, 0n, ISSUER_EPOCH]),
        },
      ]);
      await propose(g, batch, "Freeze DAO issuance");
      expect(await g.ledger.remainingIssuance(timelock)).to.equal(0n);
    });
  });

  describe("paymaster caps and markup", function () {
    it("sets the paymaster's caps and markup by proposal", async function () {
      const g = await loadFixture(fixture);
      const config = {
        ...defaultPaymasterConfig(),
        maxCallGasLimit: 1_000_000n,
        maxCreditsPerOp: 25n * CREDIT,
        maxFeePerGas: 200n * 10n ** 9n,
        markupBps: 11_000n,
        maxPriceAge: 1_800n,
      };
      const batch = await calls(g, [
        { target: "paymaster", data: g.paymaster.interface.encodeFunctionData("setConfig", [config]) },
      ]);
      const { executeReceipt } = await propose(g, batch, "Tighter paymaster caps, 10% markup");
      await expect(executeReceipt.hash).to.emit(g.paymaster, "ConfigUpdated").withArgs(sameConfig(config));
      const after = await g.paymaster.config();
      expect([
        after.maxCallGasLimit,
        after.maxCreditsPerOp,
        after.maxFeePerGas,
        after.markupBps,
        after.maxPriceAge,
      ]).to.deep.equal([1_000_000n, 25n * CREDIT, 200n * 10n ** 9n, 11_000n, 1_800n]);
      // Worst case of a 0.001 ETH prefund at $3,000 with a 10% markup: 3.3 credits.
      expect(await g.paymaster.worstCaseCredits(ethers.parseEther("0.001"))).to.equal(3_300_000n);
    });

    it("cannot set an invalid markup: the execution reverts with the paymaster's error", async function () {
      const g = await loadFixture(fixture);
      const config = { ...defaultPaymasterConfig(), markupBps: 9_999n };
      const batch = await calls(g, [
        { target: "paymaster", data: g.paymaster.interface.encodeFunctionData("setConfig", [config]) },
      ]);
      await expect(propose(g, batch, "Below-cost markup"))
        .to.be.revertedWithCustomError(g.paymaster, "CreditPaymasterInvalidConfig")
        .withArgs("markupBps");
    });
  });
});
