/**
 * The client under sponsors' policies: the ledger's CreditLedgerPolicy* errors and the paymaster's POLICY
 * signature failure as rejection reasons, explainRejection's policy checks against the ledger's views, and the
 * ERC-7677 context of a policy.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { getAddress } from "viem";

import {
  createCreditsClient,
  creditPaymasterContext,
  encodePaymasterData,
  reasonFromContractError,
} from "../../src/client";
import { CREDIT } from "../helpers/system";
import { clientFixture, userOperation } from "./fixture";
import type { ClientFixture } from "./fixture";

const DAY = 86_400;
const SIGNER = getAddress(`0x${"0c".repeat(20)}`);

async function policyFixture(): Promise<ClientFixture> {
  const fx = await clientFixture();
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  const terms = (over: Record<string, unknown> = {}) => ({
    creditsPerUser: 0n,
    opsPerUser: 0n,
    creditsPerEpoch: 0n,
    creditsPerOp: 0n,
    start: now - 10,
    end: now + 30 * DAY,
    signer: ethers.ZeroAddress,
    ...over,
  });
  const ledger = fx.sys.ledger.connect(fx.sys.dapp);
  // 1 open; 2 paused; 3 signed; 4 tiny limits (1 unit per op, per epoch, per user); 5 starts tomorrow
  for (const t of [
    terms(),
    terms(),
    terms({ signer: SIGNER }),
    terms({ creditsPerOp: 1n, creditsPerEpoch: 1n, creditsPerUser: 1n }),
    terms({ start: now + DAY }),
  ]) {
    await (await ledger.createPolicy(t, DAY)).wait();
  }
  await (await ledger.setPolicyStatus(2n, 2)).wait();
  return fx;
}

function policyOp(fx: ClientFixture, policyId: bigint) {
  return {
    ...userOperation(fx, fx.stranger),
    paymaster: fx.paymaster,
    paymasterVerificationGasLimit: 150_000n,
    paymasterPostOpGasLimit: 150_000n,
    paymasterData: encodePaymasterData({ mode: "POLICY", sponsor: fx.dapp, policyId }),
  };
}

describe("client: sponsors' policies", function () {
  describe("#reasonFromContractError", function () {
    const context = {
      paymaster: getAddress("0x0000000000000000000000000000000000000001"),
      ledger: getAddress("0x0000000000000000000000000000000000000002"),
    };
    const a = getAddress("0x0000000000000000000000000000000000000003");

    it("maps every CreditLedgerPolicy* error of a hold to its reason", function () {
      const cases: [string, unknown[], Record<string, unknown>][] = [
        [
          "CreditLedgerPolicyNotActive",
          [a, 1n, 3],
          { kind: "policyNotActive", sponsor: a, policyId: 1n, status: "Closed" },
        ],
        ["CreditLedgerPolicyEnded", [a, 1n, 9n], { kind: "policyEnded", sponsor: a, policyId: 1n, end: 9n }],
        [
          "CreditLedgerPolicyOpCreditsExceeded",
          [a, 1n, 5n, 6n],
          { kind: "policyOpCreditsExceeded", sponsor: a, policyId: 1n, limit: 5n, required: 6n },
        ],
        [
          "CreditLedgerPolicyBudgetExceeded",
          [a, 1n, 0n, 6n],
          { kind: "policyBudgetExceeded", sponsor: a, policyId: 1n, remaining: 0n, required: 6n },
        ],
        [
          "CreditLedgerPolicyUserCreditsExceeded",
          [a, 1n, 2n, 6n],
          { kind: "policyUserCreditsExceeded", user: a, policyId: 1n, remaining: 2n, required: 6n },
        ],
        [
          "CreditLedgerPolicyUserOpsExceeded",
          [a, 1n, 20n],
          { kind: "policyUserOpsExceeded", user: a, policyId: 1n, limit: 20n },
        ],
      ];
      for (const [name, args, reason] of cases) {
        expect(reasonFromContractError(name, args, context)).to.deep.equal(reason);
      }
    });
  });

  describe("simulateValidation", function () {
    it("decodes the ledger's refusal of a paused policy", async function () {
      const fx = await loadFixture(policyFixture);
      const credits = createCreditsClient({ publicClient: fx.publicClient, paymaster: fx.paymaster });
      expect(await credits.simulateValidation(policyOp(fx, 2n))).to.deep.equal({
        ok: false,
        reason: { kind: "policyNotActive", sponsor: fx.dapp, policyId: 2n, status: "Paused" },
      });
    });

    it("reports a signed policy's missing approval (the paymaster's signature failure) as policyApprovalInvalid", async function () {
      const fx = await loadFixture(policyFixture);
      const credits = createCreditsClient({ publicClient: fx.publicClient, paymaster: fx.paymaster });
      expect(await credits.simulateValidation(policyOp(fx, 3n))).to.deep.equal({
        ok: false,
        reason: { kind: "policyApprovalInvalid", sponsor: fx.dapp, policyId: 3n, signer: SIGNER },
      });
      expect((await credits.simulateValidation(policyOp(fx, 1n))).ok).to.equal(true);
    });
  });

  describe("explainRejection", function () {
    it("finds nothing wrong with an open policy, and every limit of a policy that is too small", async function () {
      const fx = await loadFixture(policyFixture);
      const credits = createCreditsClient({ publicClient: fx.publicClient, paymaster: fx.paymaster });
      expect(await credits.explainRejection(policyOp(fx, 1n))).to.deep.equal([]);
      const kinds = (await credits.explainRejection(policyOp(fx, 4n))).map((r) => r.kind);
      expect(kinds).to.deep.equal([
        "policyOpCreditsExceeded",
        "policyBudgetExceeded",
        "policyUserCreditsExceeded",
      ]);
      const missing = await credits.explainRejection(policyOp(fx, 3n));
      expect(missing).to.deep.equal([
        { kind: "policyApprovalInvalid", sponsor: fx.dapp, policyId: 3n, signer: SIGNER },
      ]);
    });

    it("explains a paused policy, one not started, and one that does not exist", async function () {
      const fx = await loadFixture(policyFixture);
      const credits = createCreditsClient({ publicClient: fx.publicClient, paymaster: fx.paymaster });
      expect((await credits.explainRejection(policyOp(fx, 2n)))[0]).to.include({
        kind: "policyNotActive",
        status: "Paused",
      });
      expect((await credits.explainRejection(policyOp(fx, 5n)))[0]).to.include({ kind: "policyNotStarted" });
      expect((await credits.explainRejection(policyOp(fx, 99n)))[0]).to.include({
        kind: "policyNotActive",
        status: "None",
      });
    });
  });

  describe("#creditPaymasterContext", function () {
    it("passes { mode: POLICY, sponsor, policyId } with the numbers as hex quantities", function () {
      const sponsor = getAddress("0x00000000000000000000000000000000000000aa");
      expect(
        creditPaymasterContext({ mode: "POLICY", sponsor, policyId: 12n, maxCredits: 5n * CREDIT }),
      ).to.deep.equal({
        mode: "POLICY",
        sponsor,
        policyId: "0xc",
        maxCredits: "0x4c4b40",
      });
    });
  });
});
