import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt } from "ethers";
import { SponsorPolicyAdmin__factory } from "../../typechain-types";
import type { ISponsorPolicies, TestSpender } from "../../typechain-types";
import {
  CREDIT,
  DAY,
  UINT48_MAX,
  atNextBlock,
  buyWithUsdc,
  callStep,
  deployLedgerFixture,
  holdPolicyStep,
  nestedRunStep,
  now,
  runSteps,
  settlePolicyStep,
  stepData,
  stepRef,
} from "../helpers/ledger";

type Terms = ISponsorPolicies.PolicyTermsStruct;

const ACTIVE = 1n;
const PAUSED = 2n;
const CLOSED = 3n;

/** Open terms: no limit but the window [start, end); every field overridable. */
async function terms(over: Partial<Terms> = {}): Promise<Terms> {
  const t = await now();
  return {
    creditsPerUser: 0n,
    opsPerUser: 0n,
    creditsPerEpoch: 0n,
    creditsPerOp: 0n,
    start: t - 10n,
    end: t + 30n * DAY,
    signer: ethers.ZeroAddress,
    ...over,
  };
}

/** carol sponsors (1,000 purchased credits); the second spender is registered too. */
async function policiesFixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.carol, f.carol, 1_000n * CREDIT);
  await f.ledger.addSpender(f.spender2);
  return f;
}

/** The PolicyHeld events of `spender` in `receipt`, by step index. */
function policyHolds(spender: TestSpender, receipt: ContractTransactionReceipt) {
  const out = new Map<number, { validAfter: bigint; validUntil: bigint; signer: string; perUser: boolean }>();
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== spender.target.toString().toLowerCase()) continue;
    const parsed = spender.interface.parseLog(log);
    if (parsed?.name === "PolicyHeld") {
      out.set(Number(parsed.args.step), {
        validAfter: parsed.args.validAfter as bigint,
        validUntil: parsed.args.validUntil as bigint,
        signer: parsed.args.signer as string,
        perUser: parsed.args.perUser as boolean,
      });
    }
  }
  return out;
}

describe("CreditLedger: sponsors' policies", function () {
  describe("#createPolicy", function () {
    it("creates numbered policies per sponsor whose epochs start now", async function () {
      const { ledger, carol, bob } = await loadFixture(policiesFixture);
      const t = await atNextBlock((await now()) + 5n);
      const p = await terms({ creditsPerUser: 5n * CREDIT, opsPerUser: 20n, signer: bob.address });
      await expect(ledger.connect(carol).createPolicy(p, Number(DAY)))
        .to.emit(ledger, "PolicySet")
        .withArgs(carol.address, 1n, Object.values(p), DAY);
      await ledger.connect(carol).createPolicy(p, Number(DAY));
      await ledger.connect(bob).createPolicy(p, Number(DAY));
      expect(await ledger.policyCount(carol)).to.equal(2n);
      expect(await ledger.policyCount(bob)).to.equal(1n);
      const v = await ledger.policy(carol, 1n);
      expect(v.terms.creditsPerUser).to.equal(5n * CREDIT);
      expect(v.terms.opsPerUser).to.equal(20n);
      expect(v.terms.signer).to.equal(bob.address);
      expect(v.terms.end).to.equal(p.end);
      expect([v.epochLength, v.anchor, v.status, v.used, v.usedEpoch]).to.deep.equal([
        DAY,
        t,
        ACTIVE,
        0n,
        0n,
      ]);
    });

    it("rejects a zero epoch length, an empty window and a window already over", async function () {
      const { ledger, carol } = await loadFixture(policiesFixture);
      const p = await terms();
      await expect(ledger.connect(carol).createPolicy(p, 0))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyInvalidTerms")
        .withArgs(p.start, p.end, 0n);
      const empty = await terms({ start: 100n, end: 100n });
      await expect(ledger.connect(carol).createPolicy(empty, Number(DAY)))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyInvalidTerms")
        .withArgs(100n, 100n, DAY);
      const over = await terms({ start: 1n, end: (await now()) + 1n }); // ends at the next block's time
      await expect(ledger.connect(carol).createPolicy(over, Number(DAY))).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerPolicyInvalidTerms",
      );
    });

    it("runs only by the ledger's DELEGATECALL (the admin code refuses a direct call)", async function () {
      const { admin } = await loadFixture(policiesFixture);
      const code = await new SponsorPolicyAdmin__factory(admin).deploy();
      await expect(code.createPolicy(await terms(), Number(DAY))).to.be.revertedWithCustomError(
        code,
        "SponsorPolicyAdminDirectCall",
      );
      await expect(code.updatePolicy(1n, await terms())).to.be.revertedWithCustomError(
        code,
        "SponsorPolicyAdminDirectCall",
      );
      await expect(code.setPolicyStatus(1n, PAUSED)).to.be.revertedWithCustomError(
        code,
        "SponsorPolicyAdminDirectCall",
      );
    });
  });

  describe("#updatePolicy and #setPolicyStatus", function () {
    it("keeps the spending so far when the terms change (Safe AllowanceModule S5)", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerEpoch: 100n * CREDIT }), Number(DAY));
      await runSteps(spender, [
        await holdPolicyStep(carol, 1n, bob, 30n * CREDIT, await now()),
        await settlePolicyStep(carol, 1n, bob, 30n * CREDIT, 30n * CREDIT),
      ]);
      const updated = await terms({ creditsPerEpoch: 40n * CREDIT });
      await expect(ledger.connect(carol).updatePolicy(1n, updated))
        .to.emit(ledger, "PolicySet")
        .withArgs(carol.address, 1n, Object.values(updated), 0n);
      expect((await ledger.policy(carol, 1n)).used).to.equal(30n * CREDIT);
      // 40 - 30 spent = 10 left in this epoch.
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, 11n * CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyBudgetExceeded")
        .withArgs(carol.address, 1n, 10n * CREDIT, 11n * CREDIT);
    });

    it("pauses, resumes and closes for good; only the sponsor's own open policies", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms(), Number(DAY));
      await expect(ledger.connect(bob).setPolicyStatus(1n, PAUSED))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(bob.address, 1n, 0n);
      await expect(ledger.connect(carol).setPolicyStatus(1n, PAUSED))
        .to.emit(ledger, "PolicyStatusSet")
        .withArgs(carol.address, 1n, PAUSED);
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(carol.address, 1n, PAUSED);
      await expect(ledger.connect(carol).setPolicyStatus(1n, PAUSED))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyInvalidStatus")
        .withArgs(PAUSED);
      await expect(ledger.connect(carol).setPolicyStatus(1n, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyInvalidStatus")
        .withArgs(0n);
      await ledger.connect(carol).setPolicyStatus(1n, ACTIVE);
      await runSteps(spender, [await holdPolicyStep(carol, 1n, bob, CREDIT, await now())]);
      await ledger.connect(carol).setPolicyStatus(1n, CLOSED);
      await expect(ledger.connect(carol).setPolicyStatus(1n, ACTIVE))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(carol.address, 1n, CLOSED);
      await expect(ledger.connect(carol).updatePolicy(1n, await terms()))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(carol.address, 1n, CLOSED);
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(carol.address, 1n, CLOSED);
    });
  });

  describe("#holdPolicy", function () {
    it("serves any sender with no per-user set-up and returns the window and the signer", async function () {
      const { ledger, spender, carol, bob, users } = await loadFixture(policiesFixture);
      const p = await terms({ signer: bob.address, start: (await now()) + 100n });
      await ledger.connect(carol).createPolicy(p, Number(DAY));
      const receipt = await runSteps(spender, [
        await holdPolicyStep(carol, 1n, users[0], CREDIT, await now()),
        await holdPolicyStep(carol, 1n, users[1], CREDIT, await now()),
      ]);
      const holds = policyHolds(spender, receipt);
      expect(holds.get(0)).to.deep.equal({
        validAfter: BigInt(p.start),
        validUntil: BigInt(p.end) - 1n, // purchased credits alone would give UINT48_MAX
        signer: bob.address,
        perUser: false, // no per-user limit: the user's usage is neither read nor held
      });
      expect(holds.get(1)?.validUntil).to.be.lessThan(UINT48_MAX);
    });

    it("refuses an unknown policy, and another sponsor's policy id names the other sponsor's own policy only", async function () {
      const { ledger, spender, carol, bob, dave } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms(), Number(DAY));
      await expect(spender.run([await holdPolicyStep(carol, 2n, bob, CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(carol.address, 2n, 0n);
      // dave has no policy 1: carol's policy 1 does not let dave's credits (or carol's) be spent under his name.
      await expect(spender.run([await holdPolicyStep(dave, 1n, bob, CREDIT, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(dave.address, 1n, 0n);
    });

    it("enforces the window's end at its edge (asOf = end - 1 passes, asOf = end fails)", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      const p = await terms({ end: (await now()) + DAY });
      await ledger.connect(carol).createPolicy(p, Number(DAY));
      const end = BigInt(p.end);
      const receipt = await runSteps(spender, [await holdPolicyStep(carol, 1n, bob, CREDIT, end - 1n)]);
      expect(policyHolds(spender, receipt).get(0)?.validUntil).to.equal(end - 1n);
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, CREDIT, end)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyEnded")
        .withArgs(carol.address, 1n, end);
    });

    it("refuses a hold above the credits per operation (at the edge)", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerOp: 2n * CREDIT }), Number(DAY));
      await runSteps(spender, [await holdPolicyStep(carol, 1n, bob, 2n * CREDIT, await now())]);
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, 2n * CREDIT + 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyOpCreditsExceeded")
        .withArgs(carol.address, 1n, 2n * CREDIT, 2n * CREDIT + 1n);
    });

    // Defence: the policy-wide transient hold (summed over every spender). Without it each hold would only see
    // the recorded `used` (0 until postOp), and the fifth sender below would pass.
    it("holds the policy's epoch budget across many senders of one bundle and both spenders", async function () {
      const { ledger, spender, spender2, carol, users } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerEpoch: 10n * CREDIT }), Number(DAY));
      const t = await now();
      const steps = [
        await holdPolicyStep(carol, 1n, users[0], 3n * CREDIT, t),
        await holdPolicyStep(carol, 1n, users[1], 3n * CREDIT, t),
        await nestedRunStep(spender2, [await holdPolicyStep(carol, 1n, users[2], 3n * CREDIT, t)]),
      ];
      await runSteps(spender, steps); // 9 of 10
      await expect(spender.run([...steps, await holdPolicyStep(carol, 1n, users[3], 2n * CREDIT, t)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyBudgetExceeded")
        .withArgs(carol.address, 1n, CREDIT, 2n * CREDIT);
    });

    // Defence: the user's transient hold counts one operation per hold. Without it the user's recorded count
    // (0 until postOp) would let all three operations through.
    it("holds one sender's operation count within a bundle, across spenders", async function () {
      const { ledger, spender, spender2, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ opsPerUser: 2n }), Number(DAY));
      const t = await now();
      const two = [
        await holdPolicyStep(carol, 1n, bob, CREDIT, t),
        await nestedRunStep(spender2, [await holdPolicyStep(carol, 1n, bob, CREDIT, t)]),
      ];
      await runSteps(spender, two);
      await expect(spender.run([...two, await holdPolicyStep(carol, 1n, bob, CREDIT, t)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyUserOpsExceeded")
        .withArgs(bob.address, 1n, 2n);
    });

    it("holds one sender's credits within a bundle and counts what it spent in the epoch", async function () {
      const { ledger, spender, carol, bob, alice } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerUser: 5n * CREDIT }), Number(DAY));
      const t = await now();
      await expect(
        spender.run([
          await holdPolicyStep(carol, 1n, bob, 3n * CREDIT, t),
          await holdPolicyStep(carol, 1n, bob, 3n * CREDIT, t),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyUserCreditsExceeded")
        .withArgs(bob.address, 1n, 2n * CREDIT, 3n * CREDIT);
      await runSteps(spender, [
        await holdPolicyStep(carol, 1n, bob, 3n * CREDIT, t),
        await settlePolicyStep(carol, 1n, bob, 3n * CREDIT, 2n * CREDIT),
      ]);
      expect(await ledger.policyUsage(carol, 1n, bob)).to.deep.equal([2n * CREDIT, 1n, 0n]);
      await expect(spender.run([await holdPolicyStep(carol, 1n, bob, 3n * CREDIT + 1n, await now())]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyUserCreditsExceeded")
        .withArgs(bob.address, 1n, 3n * CREDIT, 3n * CREDIT + 1n);
      // Another user has its own limit.
      await runSteps(spender, [await holdPolicyStep(carol, 1n, alice, 5n * CREDIT, await now())]);
      // The next epoch starts afresh.
      await time.increase(DAY);
      await runSteps(spender, [await holdPolicyStep(carol, 1n, bob, 5n * CREDIT, await now())]);
    });

    // Defence: every policy's hold also holds the sponsor's credits under the one credit key shared with SELF and
    // SPONSORED holds. Hopping between a sponsor's policies never spends more than the sponsor has, and each
    // policy's per-user limit counts only that policy's own spending and holds: a sender gets at most the sum of
    // the limits the sponsor chose, never one policy's limit twice.
    it("a sender hopping between a sponsor's policies gets each policy's own limit, within the sponsor's credits", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerUser: 600n * CREDIT }), Number(DAY));
      await ledger.connect(carol).createPolicy(await terms({ creditsPerUser: 300n * CREDIT }), Number(DAY));
      const t = await now();
      await expect(
        spender.run([
          await holdPolicyStep(carol, 1n, bob, 600n * CREDIT, t),
          await holdPolicyStep(carol, 2n, bob, 300n * CREDIT, t),
          await holdPolicyStep(carol, 1n, bob, 1n, t),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyUserCreditsExceeded")
        .withArgs(bob.address, 1n, 0n, 1n);
      await ledger.connect(carol).updatePolicy(2n, await terms({ creditsPerUser: 600n * CREDIT }));
      // 600 + 600 > the sponsor's 1,000 credits: the shared credit hold refuses the second policy's hold.
      await expect(
        spender.run([
          await holdPolicyStep(carol, 1n, bob, 600n * CREDIT, t),
          await holdPolicyStep(carol, 2n, bob, 600n * CREDIT, t),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerInsufficientCredits")
        .withArgs(carol.address, 400n * CREDIT, 600n * CREDIT);
    });

    it("refuses a non-spender and a zero hold, and holds nothing while the ledger is paused", async function () {
      const { ledger, spender, carol, bob, guardian } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms(), Number(DAY));
      await expect(ledger.connect(bob).holdPolicy(carol, 1n, bob, CREDIT, await now()))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(bob.address);
      await expect(
        spender.run([await holdPolicyStep(carol, 1n, bob, 0n, await now())]),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
      await ledger.connect(guardian).pause();
      await expect(
        spender.run([await holdPolicyStep(carol, 1n, bob, CREDIT, await now())]),
      ).to.be.revertedWithCustomError(ledger, "CreditLedgerPaused");
    });
  });

  describe("#settlePolicy", function () {
    it("burns the charge, records it for the user and the policy, and releases every hold", async function () {
      const { ledger, spender, carol, bob, alice } = await loadFixture(policiesFixture);
      await ledger
        .connect(carol)
        .createPolicy(await terms({ creditsPerEpoch: 100n * CREDIT, opsPerUser: 10n }), Number(DAY));
      const t = await now();
      const receipt = await runSteps(spender, [
        await holdPolicyStep(carol, 1n, bob, 5n * CREDIT, t),
        await holdPolicyStep(carol, 1n, alice, 5n * CREDIT, t),
        await settlePolicyStep(carol, 1n, bob, 5n * CREDIT, 2n * CREDIT),
        await settlePolicyStep(carol, 1n, alice, 5n * CREDIT, 0n),
      ]);
      await expect(receipt)
        .to.emit(ledger, "CreditsSpent")
        .withArgs(
          carol.address,
          bob.address,
          await spender.getAddress(),
          2n * CREDIT,
          0n,
          stepRef(2),
          stepData(2),
        );
      expect(await ledger.balanceOfCredits(carol)).to.equal(998n * CREDIT);
      expect((await ledger.policy(carol, 1n)).used).to.equal(2n * CREDIT);
      expect(await ledger.policyUsage(carol, 1n, bob)).to.deep.equal([2n * CREDIT, 1n, 0n]);
      // A zero charge still counts the operation.
      expect(await ledger.policyUsage(carol, 1n, alice)).to.deep.equal([0n, 1n, 0n]);
    });

    it("settles holds placed before the policy was paused or closed in the same transaction", async function () {
      const f = await loadFixture(policiesFixture);
      const { ledger, spender, carol } = f;
      // The spender contract is its own sponsor here, so that it can close its policy between two steps.
      await buyWithUsdc(f, carol, spender, 100n * CREDIT);
      const create = ledger.interface.encodeFunctionData("createPolicy", [await terms(), Number(DAY)]);
      await runSteps(spender, [await callStep(ledger, create)]);
      const t = await now();
      const close = ledger.interface.encodeFunctionData("setPolicyStatus", [1n, CLOSED]);
      const pause = ledger.interface.encodeFunctionData("setPolicyStatus", [1n, PAUSED]);
      const user = carol.address;
      await expect(
        spender.run([
          await holdPolicyStep(spender, 1n, user, CREDIT, t),
          await callStep(ledger, pause),
          await holdPolicyStep(spender, 1n, user, CREDIT, t),
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerPolicyNotActive")
        .withArgs(await spender.getAddress(), 1n, PAUSED);
      await runSteps(spender, [
        await holdPolicyStep(spender, 1n, user, CREDIT, t),
        await callStep(ledger, close),
        await settlePolicyStep(spender, 1n, user, CREDIT, CREDIT),
      ]);
      expect(await ledger.balanceOfCredits(spender)).to.equal(99n * CREDIT);
    });

    it("refuses a settlement without its hold, or one larger than the user's hold", async function () {
      const { ledger, spender, carol, bob, alice } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ opsPerUser: 10n }), Number(DAY));
      await expect(spender.run([await settlePolicyStep(carol, 1n, bob, CREDIT, 0n)]))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), carol.address);
      // The policy holds 2 credits (bob's), but alice holds nothing under it (settled as a per-user hold).
      await expect(
        spender.run([
          await holdPolicyStep(carol, 1n, bob, 2n * CREDIT, await now()),
          {
            ...(await settlePolicyStep(carol, 1n, alice, CREDIT, 0n)),
            data: ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "bool"], [1n, true]),
          },
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), alice.address);
      await expect(ledger.connect(bob).settlePolicy(carol, 1n, bob, true, CREDIT, 0n, ethers.ZeroHash, 0n))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
        .withArgs(bob.address);
    });

    it("records usage for the epoch of the settlement (a new epoch resets the user's and the policy's)", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger
        .connect(carol)
        .createPolicy(
          await terms({ creditsPerEpoch: 10n * CREDIT, creditsPerUser: 100n * CREDIT }),
          Number(DAY),
        );
      const settleOne = async () =>
        runSteps(spender, [
          await holdPolicyStep(carol, 1n, bob, 4n * CREDIT, await now()),
          await settlePolicyStep(carol, 1n, bob, 4n * CREDIT, 4n * CREDIT),
        ]);
      await settleOne();
      await settleOne();
      expect(await ledger.policyUsage(carol, 1n, bob)).to.deep.equal([8n * CREDIT, 2n, 0n]);
      await time.increase(DAY);
      await settleOne();
      expect(await ledger.policyUsage(carol, 1n, bob)).to.deep.equal([4n * CREDIT, 1n, 1n]);
      const v = await ledger.policy(carol, 1n);
      expect([v.used, v.usedEpoch]).to.deep.equal([4n * CREDIT, 1n]);
    });
    // Gas (issue 13): a policy without per-user limits neither reads, holds nor records the user's usage. The
    // ledger tells the spender which it did, and settlement follows the hold, not the terms of the moment.
    it("without per-user limits holds and records no user usage; with them it does", async function () {
      const { ledger, spender, carol, bob } = await loadFixture(policiesFixture);
      await ledger.connect(carol).createPolicy(await terms({ creditsPerEpoch: 10n * CREDIT }), Number(DAY));
      await ledger.connect(carol).createPolicy(await terms({ creditsPerUser: 10n * CREDIT }), Number(DAY));
      await ledger.connect(carol).createPolicy(await terms({ opsPerUser: 3n }), Number(DAY));
      const t = await now();
      const receipt = await runSteps(spender, [
        await holdPolicyStep(carol, 1n, bob, 4n * CREDIT, t),
        await holdPolicyStep(carol, 2n, bob, 4n * CREDIT, t),
        await holdPolicyStep(carol, 3n, bob, 4n * CREDIT, t),
        await settlePolicyStep(carol, 1n, bob, 4n * CREDIT, 3n * CREDIT),
        await settlePolicyStep(carol, 2n, bob, 4n * CREDIT, 3n * CREDIT),
        await settlePolicyStep(carol, 3n, bob, 4n * CREDIT, 3n * CREDIT),
      ]);
      const held = policyHolds(spender, receipt);
      expect([0, 1, 2].map((i) => held.get(i)?.perUser)).to.deep.equal([false, true, true]);
      expect(await ledger.policyUsage(carol, 1n, bob)).to.deep.equal([0n, 0n, 0n]);
      expect(await ledger.policyUsage(carol, 2n, bob)).to.deep.equal([3n * CREDIT, 1n, 0n]);
      expect(await ledger.policyUsage(carol, 3n, bob)).to.deep.equal([3n * CREDIT, 1n, 0n]);
      // The policy-wide spending is recorded either way.
      expect((await ledger.policy(carol, 1n)).used).to.equal(3n * CREDIT);
      // A settlement claiming a user hold that the ledger did not place finds none.
      await expect(
        spender.run([
          await holdPolicyStep(carol, 1n, bob, CREDIT, await now()),
          {
            ...(await settlePolicyStep(carol, 1n, bob, CREDIT, 0n)),
            data: ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "bool"], [1n, true]),
          },
        ]),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
        .withArgs(await spender.getAddress(), bob.address);
    });

    // Defence: the per-user flag travels from the hold to its settlement. Settling by the terms of the moment would
    // look for a user hold that was never placed (a postOp revert) once a per-user limit is added mid-transaction,
    // or leave the user's hold and usage unaccounted once it is removed.
    it("settles by the hold's per-user flag when the terms change between the hold and its settlement", async function () {
      const f = await loadFixture(policiesFixture);
      const { ledger, spender, carol } = f;
      await buyWithUsdc(f, carol, spender, 100n * CREDIT);
      const create = ledger.interface.encodeFunctionData("createPolicy", [await terms(), Number(DAY)]);
      await runSteps(spender, [await callStep(ledger, create)]);
      const user = carol.address;
      const update = async (over: Partial<Terms>) =>
        callStep(ledger, ledger.interface.encodeFunctionData("updatePolicy", [1n, await terms(over)]));
      // Held without per-user limits, settled after one was added: nothing recorded for the user.
      await runSteps(spender, [
        await holdPolicyStep(spender, 1n, user, CREDIT, await now()),
        await update({ opsPerUser: 1n }),
        await settlePolicyStep(spender, 1n, user, CREDIT, CREDIT),
      ]);
      expect(await ledger.policyUsage(spender, 1n, user)).to.deep.equal([0n, 0n, 0n]);
      // Held with the limit, settled after it was removed: recorded.
      await runSteps(spender, [
        await holdPolicyStep(spender, 1n, user, CREDIT, await now()),
        await update({}),
        await settlePolicyStep(spender, 1n, user, CREDIT, CREDIT),
      ]);
      expect(await ledger.policyUsage(spender, 1n, user)).to.deep.equal([CREDIT, 1n, 0n]);
      expect(await ledger.balanceOfCredits(spender)).to.equal(98n * CREDIT);
    });
  });
});
