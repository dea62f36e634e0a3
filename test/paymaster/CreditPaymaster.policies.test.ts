/**
 * POLICY mode of the CreditPaymaster on both EntryPoints: a sponsor's open policy serves a never-seen sender with
 * no per-user transaction, within the policy's limits (held in validation, recorded in postOp), and a policy that
 * names a signer needs the signer's EIP-712 approval of the operation (EOA or ERC-1271).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import type { Signer } from "ethers";

import { TestPolicySigner__factory } from "../../typechain-types";
import type { ISponsorPolicies, TestPolicySigner } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS, deployEntryPoints } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { expectSolvent } from "../helpers/paymaster";
import {
  STUB_APPROVAL_SIGNATURE,
  cutForApproval,
  policyPaymasterData,
  signPolicyApproval,
} from "../../src/aa/policy";
import type { PolicyApprovalData } from "../../src/aa/policy";
import { buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import type { System, User } from "../helpers/system";
import { handleOps, requiredPrefund, signUserOp } from "../helpers/userop";
import { checkErc7562 } from "../../src/erc7562/check";
import type { PackedUserOperation } from "../helpers/userop";

const MARKUP = 10_500n;
const DAY = 86_400n;
/** Above the POLICY postOp floor of a small operation (the floor is checked by validation). */
const POLICY_POST_OP_GAS = 150_000n;
const NO_WINDOW = { validUntil: 0n, validAfter: 0n };

type Terms = ISponsorPolicies.PolicyTermsStruct;

async function terms(over: Partial<Terms> = {}): Promise<Terms> {
  const t = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
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

async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  const approver = sys.outsider; // the dApp's approval server (an EOA)
  const safe = await new TestPolicySigner__factory(sys.admin).deploy(await approver.getAddress());
  // Policy 1: open, no signer, a per-user operation limit (so the user's usage is counted). Policy 2: signed by the
  // EOA. Policy 3: signed by the ERC-1271 contract. Policies 2 and 3 have no per-user limits.
  await (
    await sys.ledger.connect(sys.dapp).createPolicy(await terms({ opsPerUser: 1_000n }), Number(DAY))
  ).wait();
  await (
    await sys.ledger
      .connect(sys.dapp)
      .createPolicy(await terms({ signer: await approver.getAddress() }), Number(DAY))
  ).wait();
  await (
    await sys.ledger
      .connect(sys.dapp)
      .createPolicy(await terms({ signer: await safe.getAddress() }), Number(DAY))
  ).wait();
  return { sys, dapp, approver, safe, beneficiary: await sys.bundler.getAddress() };
}

/**
 * A POLICY operation of `user` under `policyId`; with `approval`, its window is set and the op carries `signer`'s
 * signature (or the stub when `signer` is null); the account signs last.
 */
async function policyOp(
  sys: System,
  user: User,
  sponsor: string,
  policyId: bigint,
  approval?: { signer: Signer | null; window?: Omit<PolicyApprovalData, "signature"> },
  opts: Parameters<typeof creditOp>[2] = {},
): Promise<PackedUserOperation> {
  const window =
    approval === undefined
      ? undefined
      : { ...(approval.window ?? NO_WINDOW), signature: STUB_APPROVAL_SIGNATURE };
  let op = await creditOp(sys, user, {
    paymasterPostOpGasLimit: POLICY_POST_OP_GAS,
    ...opts,
    paymasterData: opts.paymasterData ?? policyPaymasterData(sponsor, policyId, 0n, window),
  });
  if (approval?.signer) op = await signPolicyApproval(op, approval.signer, sys.paymaster, sys.entryPoint);
  return signUserOp(op, user.owner, sys.entryPoint, sys.version);
}

async function expectRejected(sys: System, ops: PackedUserOperation[], index: number, reason: string) {
  await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, await sys.bundler.getAddress()))
    .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
    .withArgs(index, reason);
}

function shouldSponsorUnderPolicies(version: EntryPointVersion) {
  const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

  describe("open policy", function () {
    it("sponsors a never-seen sender holding no ETH, with no per-user transaction, and records its usage", async function () {
      const { sys, dapp, beneficiary } = await load();
      const user = await newUser(sys, 1001n);
      const before = await sys.ledger.balanceOfCredits(dapp);
      const op = await policyOp(sys, user, dapp, 1n);
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      const [charged] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(charged.payer).to.equal(dapp);
      expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(before - charged.creditsCharged);
      expect(await ethers.provider.getBalance(user.account.address)).to.equal(0n);
      const usage = await sys.ledger.policyUsage(dapp, 1n, user.account.address);
      expect([usage.credits, usage.ops]).to.deep.equal([charged.creditsCharged, 1n]);
      expect((await sys.ledger.policy(dapp, 1n)).used).to.equal(charged.creditsCharged);
      // The returning user's second operation.
      const again = await policyOp(sys, user, dapp, 1n);
      expectSolvent(
        sys.paymaster,
        await handleOps(sys.entryPoint, [again], beneficiary, sys.bundler),
        [again],
        MARKUP,
      );
    });

    // Gas (issue 13): without per-user limits the user's usage slot is neither read nor written; settlement
    // follows the hold's flag carried in the context.
    it("under a policy without per-user limits records the policy's spending but no user usage", async function () {
      const { sys, dapp, approver, beneficiary } = await load();
      const user = await newUser(sys, 1002n);
      const usedBefore = (await sys.ledger.policy(dapp, 2n)).used;
      const op = await policyOp(sys, user, dapp, 2n, { signer: approver });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      const [charged] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(await sys.ledger.policyUsage(dapp, 2n, user.account.address)).to.deep.equal([0n, 0n, 0n]);
      expect((await sys.ledger.policy(dapp, 2n)).used).to.equal(usedBefore + charged.creditsCharged);
    });

    // Defence: the policy-wide transient hold. Removing it (see the ledger suite) lets all three validate.
    it("refuses, within one bundle, the sender that would take the policy past its epoch budget", async function () {
      const { sys, dapp, beneficiary } = await load();
      const users = await Promise.all([2001n, 2002n, 2003n].map((s) => newUser(sys, s)));
      const first = await policyOp(sys, users[0], dapp, 1n);
      const worst = await sys.paymaster.worstCaseCredits(requiredPrefund(first));
      // Room for two worst cases, not three.
      await (
        await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms({ creditsPerEpoch: 2n * worst }))
      ).wait();
      const ops = [first, await policyOp(sys, users[1], dapp, 1n), await policyOp(sys, users[2], dapp, 1n)];
      await expect(
        sys.entryPoint.connect(sys.bundler).handleOps(ops, beneficiary),
      ).to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert");
      const result = await handleOps(sys.entryPoint, ops.slice(0, 2), beneficiary, sys.bundler);
      expectSolvent(sys.paymaster, result, ops.slice(0, 2), MARKUP);
    });

    it("refuses a paused policy and returns the policy's window (not yet started: AA32)", async function () {
      const { sys, dapp } = await load();
      const user = await newUser(sys, 3001n);
      await (await sys.ledger.connect(sys.dapp).setPolicyStatus(1n, 2n)).wait();
      await expect(
        sys.entryPoint.connect(sys.bundler).handleOps([await policyOp(sys, user, dapp, 1n)], dapp),
      ).to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert");
      await (await sys.ledger.connect(sys.dapp).setPolicyStatus(1n, 1n)).wait();
      const t = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      await (await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms({ start: t + DAY }))).wait();
      await expectRejected(
        sys,
        [await policyOp(sys, user, dapp, 1n)],
        0,
        "AA32 paymaster expired or not due",
      );
    });
  });

  describe("malformed POLICY data", function () {
    it("rejects every length but 89 (no approval) and 102 or more (approval), and the zero sponsor", async function () {
      const { sys, dapp } = await load();
      const user = await newUser(sys, 5001n);
      const full = policyPaymasterData(dapp, 1n, 0n, { ...NO_WINDOW, signature: STUB_APPROVAL_SIGNATURE });
      for (const dataLength of [1, 20, 36, 38, 40, 48, 49]) {
        const op = await policyOp(sys, user, dapp, 1n, undefined, {
          paymasterData: ethers.dataSlice(full, 0, dataLength),
        });
        await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], dapp))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
          .withArgs(
            0,
            "AA33 reverted",
            sys.paymaster.interface.encodeErrorResult("CreditPaymasterInvalidDataLength", [
              2,
              dataLength,
              37,
            ]),
          );
      }
      const zero = await policyOp(sys, user, ethers.ZeroAddress, 1n);
      await expect(sys.entryPoint.connect(sys.bundler).handleOps([zero], dapp))
        .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
        .withArgs(
          0,
          "AA33 reverted",
          sys.paymaster.interface.encodeErrorResult("CreditPaymasterZeroSponsor", []),
        );
    });
  });

  describe("signed policy", function () {
    for (const kind of ["EOA", "ERC-1271"] as const) {
      it(`accepts the ${kind} signer's approval of the operation and settles it solvently`, async function () {
        const { sys, dapp, approver, beneficiary } = await load();
        const user = await newUser(sys, 4001n);
        const op = await policyOp(sys, user, dapp, kind === "EOA" ? 2n : 3n, { signer: approver });
        const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
        expectSolvent(sys.paymaster, result, [op], MARKUP);
      });
    }

    it("computes the digest the signer signs from the EntryPoint's hash of the cut operation", async function () {
      const { sys, dapp } = await load();
      const user = await newUser(sys, 4002n);
      const op = await policyOp(sys, user, dapp, 2n, {
        signer: null,
        window: { validUntil: 99n, validAfter: 7n },
      });
      const { chainId } = await ethers.provider.getNetwork();
      const expected = ethers.TypedDataEncoder.hash(
        {
          name: "CreditPaymaster",
          version: "1",
          chainId,
          verifyingContract: await sys.paymaster.getAddress(),
        },
        {
          PolicyApproval: [
            { name: "userOpHash", type: "bytes32" },
            { name: "sponsor", type: "address" },
            { name: "policyId", type: "uint256" },
            { name: "maxCredits", type: "uint256" },
            { name: "validAfter", type: "uint48" },
            { name: "validUntil", type: "uint48" },
          ],
        },
        {
          userOpHash: await sys.entryPoint.getUserOpHash(cutForApproval(op)),
          sponsor: dapp,
          policyId: 2n,
          maxCredits: 0n,
          validAfter: 7n,
          validUntil: 99n,
        },
      );
      expect(await sys.paymaster.policyApprovalDigest(op)).to.equal(expected);
    });

    it("fails the signature (AA34, never a revert) without an approval, with a wrong signer, or a stub", async function () {
      const { sys, dapp } = await load();
      const user = await newUser(sys, 4003n);
      await expectRejected(sys, [await policyOp(sys, user, dapp, 2n)], 0, "AA34 signature error");
      await expectRejected(
        sys,
        [await policyOp(sys, user, dapp, 2n, { signer: null })],
        0,
        "AA34 signature error",
      );
      await expectRejected(
        sys,
        [await policyOp(sys, user, dapp, 2n, { signer: sys.guardian })],
        0,
        "AA34 signature error",
      );
    });

    // Defence: the digest covers the whole operation (cut before the signature), the chain, this paymaster and
    // this EntryPoint. Each replay below changes one of them; a digest without it would accept the replay.
    it("refuses an approval replayed on another operation, paymaster, EntryPoint or chain", async function () {
      const { sys, dapp, approver } = await load();
      const user = await newUser(sys, 4004n);
      const signed = await policyOp(sys, user, dapp, 2n, { signer: approver });
      // Another operation (other call data), same approval bytes.
      const other = await policyOp(sys, user, dapp, 2n, { signer: null }, { callData: "0x" });
      const replayed = await signUserOp(
        { ...other, paymasterAndData: signed.paymasterAndData },
        user.owner,
        sys.entryPoint,
        sys.version,
      );
      await expectRejected(sys, [replayed], 0, "AA34 signature error");
      // The same operation signed for another paymaster address, another EntryPoint, another chain.
      const { chainId } = await ethers.provider.getNetwork();
      const cut = cutForApproval(signed);
      const otherEntryPoint = (await deployEntryPoints(sys.admin))[version === "0.7" ? "0.8" : "0.7"];
      const value = {
        userOpHash: await sys.entryPoint.getUserOpHash(cut),
        sponsor: dapp,
        policyId: 2n,
        maxCredits: 0n,
        validAfter: 0n,
        validUntil: 0n,
      };
      const types = {
        PolicyApproval: [
          { name: "userOpHash", type: "bytes32" },
          { name: "sponsor", type: "address" },
          { name: "policyId", type: "uint256" },
          { name: "maxCredits", type: "uint256" },
          { name: "validAfter", type: "uint48" },
          { name: "validUntil", type: "uint48" },
        ],
      };
      const paymaster = await sys.paymaster.getAddress();
      const variants = [
        approver.signTypedData(
          { name: "CreditPaymaster", version: "1", chainId, verifyingContract: dapp },
          types,
          value,
        ),
        approver.signTypedData(
          { name: "CreditPaymaster", version: "1", chainId: chainId + 1n, verifyingContract: paymaster },
          types,
          value,
        ),
        approver.signTypedData(
          { name: "CreditPaymaster", version: "1", chainId, verifyingContract: paymaster },
          types,
          {
            ...value,
            userOpHash: await otherEntryPoint.getUserOpHash(cut),
          },
        ),
      ];
      for (const signature of await Promise.all(variants)) {
        const op = await signUserOp(
          { ...signed, paymasterAndData: ethers.concat([cut.paymasterAndData, signature]) },
          user.owner,
          sys.entryPoint,
          sys.version,
        );
        await expectRejected(sys, [op], 0, "AA34 signature error");
      }
    });

    it("returns the approval's window: refused before validAfter and after validUntil", async function () {
      const { sys, dapp, approver } = await load();
      const user = await newUser(sys, 4005n);
      const t = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      const early = await policyOp(sys, user, dapp, 2n, {
        signer: approver,
        window: { validUntil: 0n, validAfter: t + 3_600n },
      });
      await expectRejected(sys, [early], 0, "AA32 paymaster expired or not due");
      const late = await policyOp(sys, user, dapp, 2n, {
        signer: approver,
        window: { validUntil: t, validAfter: 0n },
      });
      await expectRejected(sys, [late], 0, "AA32 paymaster expired or not due");
    });

    it("uses the signer named at validation: after a rotation the old signer's approvals fail", async function () {
      const { sys, dapp, approver, beneficiary } = await load();
      const user = await newUser(sys, 4006n);
      const old = await policyOp(sys, user, dapp, 2n, { signer: approver });
      await (
        await sys.ledger
          .connect(sys.dapp)
          .updatePolicy(2n, await terms({ signer: await sys.guardian.getAddress() }))
      ).wait();
      await expectRejected(sys, [old], 0, "AA34 signature error");
      const fresh = await policyOp(sys, user, dapp, 2n, { signer: sys.guardian });
      expectSolvent(
        sys.paymaster,
        await handleOps(sys.entryPoint, [fresh], beneficiary, sys.bundler),
        [fresh],
        MARKUP,
      );
    });

    it("fails the signature when the ERC-1271 signer reverts, and rejects the op when it loops", async function () {
      const { sys, dapp, approver, safe } = await load();
      const user = await newUser(sys, 4007n);
      await (await (safe as TestPolicySigner).setBehaviour(1)).wait(); // Revert
      await expectRejected(
        sys,
        [await policyOp(sys, user, dapp, 3n, { signer: approver })],
        0,
        "AA34 signature error",
      );
      await (await safe.setBehaviour(2)).wait(); // Loop: validation runs out of gas, nothing is charged
      const deposit = await sys.entryPoint.balanceOf(sys.paymaster);
      await expect(
        sys.entryPoint
          .connect(sys.bundler)
          .handleOps([await policyOp(sys, user, dapp, 3n, { signer: approver })], dapp, {
            gasLimit: 5_000_000n,
          }),
      ).to.be.reverted;
      expect(await sys.entryPoint.balanceOf(sys.paymaster)).to.equal(deposit);
    });

    // Defence: the approval is recovered before any ERC-1271 call. OpenZeppelin's isValidSignatureNow runs
    // EXTCODESIZE on the signer first, which ERC-7562 forbids on an address without code (OP-041): a bundler would
    // refuse every operation approved by an EOA.
    it("an EOA signer's approval passes the ERC-7562 check (no EXTCODESIZE on the EOA)", async function () {
      const { sys, dapp, approver } = await load();
      const user = await newUser(sys, 4009n);
      const op = await policyOp(sys, user, dapp, 2n, { signer: approver });
      const result = await checkErc7562(ethers.provider, await sys.entryPoint.getAddress(), op);
      expect(result.violations.filter((v) => v.entity === "paymaster")).to.deep.equal([]);
    });

    // The ERC-7562 check (`npm run check:erc7562` covers compliant EOA and ERC-1271 signers) flags a signer that
    // reads TIMESTAMP: it runs in the paymaster's validation frame, so a bundler rejects the operation.
    it("an ERC-1271 signer that uses a banned opcode fails the ERC-7562 check, as the paymaster's", async function () {
      const { sys, dapp, approver, safe } = await load();
      const user = await newUser(sys, 4008n);
      const op = await policyOp(sys, user, dapp, 3n, { signer: approver });
      const clean = await checkErc7562(ethers.provider, await sys.entryPoint.getAddress(), op);
      expect(clean.violations.filter((v) => v.entity === "paymaster")).to.deep.equal([]);
      await (await safe.setBehaviour(3)).wait(); // Timestamp
      const dirty = await checkErc7562(ethers.provider, await sys.entryPoint.getAddress(), op);
      const rules = dirty.violations.filter((v) => v.entity === "paymaster").map((v) => v.rule);
      expect(rules).to.include("OP-011");
    });
  });
}

const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

describe("CreditPaymaster: POLICY mode", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      shouldSponsorUnderPolicies(version);
    });
  }
});
