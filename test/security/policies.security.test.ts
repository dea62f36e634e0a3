/**
 * Issue 13's attacks on POLICY mode, on both EntryPoints, with the solvency invariant of issue 11 checked on every
 * operation. The ledger-level attacks (many senders of one policy in one bundle, one sender's operation count, the
 * window's edges, a policy paused or closed mid-bundle, hopping between a sponsor's policies) are in
 * test/credit/CreditLedger.policies.test.ts; the approval attacks (replay on another operation, paymaster,
 * EntryPoint or chain; outside the window; a rotated signer; an ERC-1271 signer that reverts or loops) in
 * test/paymaster/CreditPaymaster.policies.test.ts. Here: the low-prefund path (F1) for POLICY's heavier settlement,
 * a starved postOp, and an EIP-7702 sender's approval bound to its delegate (REFERENCES P16).
 *
 * `TestLowFloorPaymaster` is the real paymaster with the floor set by the test: at `POST_OP_GAS_POLICY` alone
 * (without the EntryPoint's unmetered reserve) the same operation drains the deposit.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import type { Signer } from "ethers";

import { TestLowFloorPaymaster__factory, TestPolicySigner__factory } from "../../typechain-types";
import type { CreditPaymaster, TestLowFloorPaymaster } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import {
  WORST_SHAPE,
  deployHostileAccount,
  hostileOp,
  totalGasLimits,
  withSmallestVerificationLimits,
} from "../helpers/hostile";
import type { HostileShape } from "../helpers/hostile";
import { creditsForGasCost, expectSolvent } from "../helpers/paymaster";
import { CREDIT, ETH_USD, buyCredits, defaultPaymasterConfig, deploySystem } from "../helpers/system";
import type { System } from "../helpers/system";
import { handleOps } from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";
import { STUB_APPROVAL_SIGNATURE, policyPaymasterData, signPolicyApproval } from "../../src/aa/policy";

const MARKUP = 10_500n;
const DAY = 86_400n;
const FEE = defaultPaymasterConfig().maxPriorityFeePerGas;
const CALL_GAS = 30_000n;

interface Fixture {
  sys: System;
  dapp: string;
  grantSponsor: string;
  approver: Signer;
  low: TestLowFloorPaymaster;
  beneficiary: string;
}

async function openTerms(signer = ethers.ZeroAddress) {
  const t = BigInt(await time.latest());
  return {
    creditsPerUser: 50n * CREDIT,
    opsPerUser: 10n,
    creditsPerEpoch: 10_000n * CREDIT,
    creditsPerOp: 0n,
    start: t - 10n,
    end: t + 30n * DAY,
    signer,
  };
}

async function fixture(version: EntryPointVersion): Promise<Fixture> {
  const sys = await deploySystem(version);
  const dapp = await sys.dapp.getAddress();
  const grantSponsor = await sys.outsider.getAddress();
  const approver = sys.guardian;
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  const now = BigInt(await time.latest());
  // Grant buckets only; the first expires before the operations (skipped), a charge spans the next two.
  for (const [amount, expiry] of [
    [30n * CREDIT, now + 100n],
    [1n * CREDIT, now + 10_000n],
    [40n * CREDIT, now + 20_000n],
    [40n * CREDIT, now + 30_000n],
  ] as const) {
    await (await sys.ledger.connect(sys.issuer).grant(grantSponsor, amount, expiry)).wait();
  }
  // dapp: policy 1 open, policy 2 signed; the grant sponsor: policy 1 open. All limits set (every check runs).
  await (await sys.ledger.connect(sys.dapp).createPolicy(await openTerms(), Number(DAY))).wait();
  // Policy 2's signer is an ERC-1271 contract that accepts any signature: the approval is checked in full (the
  // heavier validation path), and the search for the smallest verification limits, which the approval covers, works.
  const anySigner = await new TestPolicySigner__factory(sys.admin).deploy(await approver.getAddress());
  await (await anySigner.setBehaviour(4)).wait();
  await (
    await sys.ledger
      .connect(sys.dapp)
      .createPolicy(await openTerms(await anySigner.getAddress()), Number(DAY))
  ).wait();
  // Policy 3: signed by the EOA (the EIP-7702 digest test).
  await (
    await sys.ledger.connect(sys.dapp).createPolicy(await openTerms(await approver.getAddress()), Number(DAY))
  ).wait();
  await (await sys.ledger.connect(sys.outsider).createPolicy(await openTerms(), Number(DAY))).wait();
  const low = await new TestLowFloorPaymaster__factory(sys.admin).deploy(
    sys.entryPoint,
    sys.ledger,
    sys.adapter,
    sys.admin,
    defaultPaymasterConfig(),
  );
  await (await low.deposit({ value: parseEther("5") })).wait();
  await (await low.addStake(86_400, { value: parseEther("1") })).wait();
  await (await sys.ledger.addSpender(low)).wait();
  await time.increase(200);
  await (await sys.feed.updateAnswer(ETH_USD)).wait();
  await (await sys.adapter.refreshCachedPrice()).wait();
  return { sys, dapp, grantSponsor, approver, low, beneficiary: await sys.bundler.getAddress() };
}

const fixtures = { "0.7": () => fixture("0.7"), "0.8": () => fixture("0.8") } as const;

type Case = "open, purchased sponsor" | "signed, purchased sponsor" | "open, grant-bucket sponsor";
const CASES: Case[] = ["open, purchased sponsor", "signed, purchased sponsor", "open, grant-bucket sponsor"];

/**
 * A hostile POLICY operation of a brand-new sender (its usage slot is zero: the heaviest settlement) with the
 * smallest verification limits and `postOpGas` as its postOp limit (by default the paymaster's own minimum).
 */
async function attack(
  fx: Fixture,
  paymaster: CreditPaymaster | TestLowFloorPaymaster,
  which: Case,
  shape: HostileShape,
  postOpGas?: bigint,
): Promise<PackedUserOperation> {
  const { sys } = fx;
  const sender = await (await deployHostileAccount(sys.admin)).getAddress();
  const signed = which.startsWith("signed");
  const sponsor = which.endsWith("grant-bucket sponsor") ? fx.grantSponsor : fx.dapp;
  const data = policyPaymasterData(
    sponsor,
    signed ? 2n : 1n,
    0n,
    signed ? { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE } : undefined,
  );
  const fields = {
    sender,
    nonce: 0n,
    paymaster: await paymaster.getAddress(),
    paymasterData: data,
    shape,
    callGasLimit: CALL_GAS,
    verificationGasLimit: 900_000n,
    paymasterVerificationGasLimit: 300_000n,
    paymasterPostOpGasLimit: 0n,
    feePerGas: FEE,
  };
  const pogl = postOpGas ?? (await paymaster.minPostOpGasLimit(hostileOp(fields)));
  let op = hostileOp({ ...fields, paymasterPostOpGasLimit: pogl });
  if (signed) op = await signPolicyApproval(op, fx.approver, paymaster as CreditPaymaster, sys.entryPoint);
  return withSmallestVerificationLimits(sys.entryPoint, op, sys.bundler);
}

async function send(
  fx: Fixture,
  paymaster: CreditPaymaster | TestLowFloorPaymaster,
  op: PackedUserOperation,
) {
  const before = await paymaster.getDeposit();
  const result = await handleOps(fx.sys.entryPoint, [op], fx.beneficiary, fx.sys.bundler, {
    gasLimit: 15_000_000n,
  });
  return { result, depositPaid: before - (await paymaster.getDeposit()) };
}

describe("Security: sponsors' policies and signed approvals (issue 13)", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(fixtures[version]);

      it("without the unmetered reserve, a hostile POLICY operation drains the deposit and burns nothing (defence removed)", async function () {
        const fx = await load();
        const need = await fx.low.POST_OP_GAS_POLICY();
        await (await fx.low.setFloor(need)).wait();
        const op = await attack(fx, fx.low, "open, purchased sponsor", WORST_SHAPE, need);
        const { result, depositPaid } = await send(fx, fx.low, op);
        expect(result.prefundTooLow).to.have.length(1);
        expect(depositPaid).to.equal(totalGasLimits(op) * FEE);
        expect(() => expectSolvent(fx.low, result, [op], MARKUP)).to.throw(/UserOperationPrefundTooLow/);
      });

      for (const which of CASES) {
        for (const [label, shape] of [
          ["2,048-byte revert reason", WORST_SHAPE],
          [
            "16 KB of call data through executeUserOp",
            { ...WORST_SHAPE, padding: 16_384, executeUserOp: true },
          ],
        ] as [string, HostileShape][]) {
          it(`holds at the POLICY postOp floor: ${which}, a sender's first operation, ${label}`, async function () {
            const fx = await load();
            const op = await attack(fx, fx.sys.paymaster, which, shape);
            const { result, depositPaid } = await send(fx, fx.sys.paymaster, op);
            expect(result.userOperationEvents).to.have.length(1);
            const [charge] = expectSolvent(fx.sys.paymaster, result, [op], MARKUP);
            expect(depositPaid).to.equal(result.userOperationEvents[0].actualGasCost);
            expect(charge.creditsCharged).to.be.gte(creditsForGasCost(depositPaid, charge.priceWad, MARKUP));
            expect(totalGasLimits(op) - result.userOperationEvents[0].actualGasUsed).to.be.gte(0n);
          });
        }
      }

      it("stays solvent when the bundler starves a POLICY postOp through the 63/64 rule", async function () {
        const fx = await load();
        const op = await attack(fx, fx.sys.paymaster, "open, grant-bucket sponsor", WORST_SHAPE);
        const ep = fx.sys.entryPoint.connect(fx.sys.bundler);
        const passes = async (gasLimit: bigint) => {
          try {
            await ep.handleOps.staticCall([op], fx.beneficiary, { gasLimit });
            return true;
          } catch {
            return false;
          }
        };
        let lo = 100_000n;
        let hi = 2_000_000n;
        while (lo < hi) {
          const mid = (lo + hi) / 2n;
          if (await passes(mid)) hi = mid;
          else lo = mid + 1n;
        }
        const result = await handleOps(fx.sys.entryPoint, [op], fx.beneficiary, fx.sys.bundler, {
          gasLimit: lo,
        });
        expect(result.postOpRevertReasons).to.have.length(0);
        expectSolvent(fx.sys.paymaster, result, [op], MARKUP);
      });

      if (version === "0.8") {
        // Defence: on v0.8 the digest hashes the delegate the EntryPoint substitutes for the 0x7702 initCode marker.
        // A digest over the raw initCode (the marker alone) would be the same for both delegates below.
        it("binds an EIP-7702 sender's approval to its delegate (P16)", async function () {
          const fx = await load();
          const { sys } = fx;
          const sender = ethers.Wallet.createRandom().address;
          const delegate = async (d: string) =>
            ethers.provider.send("hardhat_setCode", [sender, ethers.concat(["0xef0100", d])]);
          const op = {
            ...hostileOp({
              sender,
              nonce: 0n,
              paymaster: await sys.paymaster.getAddress(),
              paymasterData: policyPaymasterData(fx.dapp, 3n, 0n, {
                validUntil: 0n,
                validAfter: 0n,
                signature: STUB_APPROVAL_SIGNATURE,
              }),
              shape: WORST_SHAPE,
              callGasLimit: CALL_GAS,
              verificationGasLimit: 100_000n,
              paymasterVerificationGasLimit: 300_000n,
              paymasterPostOpGasLimit: 200_000n,
              feePerGas: FEE,
            }),
            initCode: "0x7702",
          };
          await delegate(await sys.target.getAddress());
          const first = await sys.paymaster.policyApprovalDigest(op);
          await delegate(await sys.ledger.getAddress());
          const second = await sys.paymaster.policyApprovalDigest(op);
          expect(first).to.not.equal(second);
          // And it is the digest of the EntryPoint's own hash for the current delegate.
          const signed = await signPolicyApproval(op, fx.approver, sys.paymaster, sys.entryPoint);
          const recovered = ethers.recoverAddress(second, ethers.dataSlice(signed.paymasterAndData, 101));
          expect(recovered).to.equal(await fx.approver.getAddress());
        });
      }
    });
  }
});
