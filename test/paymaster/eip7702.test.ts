/**
 * EIP-7702 EOAs (issue 14) on EntryPoint v0.8: an EOA holding 0 ETH, never delegated, signs an authorization for
 * `Simple7702Account`; its first operation carries the authorization (a type-4 bundle) and the `0x7702` initCode
 * marker, and is sponsored under an allowance; later operations run without it; the EOA also pays with its own
 * credits. The userOpHash binds the delegate the EntryPoint substitutes for the marker, so a signature made for one
 * delegate fails once the EOA is re-delegated to another implementation.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, parseEther } from "ethers";
import type { BaseWallet } from "ethers";
import type { Authorization } from "ethers";

import { Simple7702Account__factory } from "../../typechain-types";
import {
  EIP7702_INITCODE_MARKER,
  buildUserOp,
  eip7702Delegate,
  encodeExecute,
  handleOps,
  packPaymasterAndData,
  signUserOp,
} from "../../src/aa/userop";
import type { PackedUserOperation } from "../../src/aa/userop";
import { expectSolvent, selfPaymasterData, sponsoredPaymasterData } from "../helpers/paymaster";
import { APPROVAL_SIGNATURE_OFFSET, STUB_APPROVAL_SIGNATURE, policyPaymasterData } from "../../src/aa/policy";
import {
  CREDIT,
  MAX_FEE_PER_GAS,
  MAX_PRIORITY_FEE_PER_GAS,
  PM_POST_OP_GAS,
  PM_VERIFICATION_GAS,
  buyCredits,
  deploySystem,
  incrementCall,
} from "../helpers/system";
import type { System } from "../helpers/system";

const DAY = 86_400;
/** Above the POLICY postOp floor of a small operation. */
const POLICY_POST_OP_GAS = 150_000n;
const FAR_FUTURE = 4_000_000_000;

describe("CreditPaymaster: EIP-7702 EOAs (EntryPoint v0.8)", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const delegate = await new Simple7702Account__factory(sys.admin).deploy();
    const other = await new Simple7702Account__factory(sys.admin).deploy();
    const eoa = Wallet.createRandom().connect(ethers.provider);
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
    await (
      await sys.ledger.connect(sys.dapp).setAllowance(eoa.address, 500n * CREDIT, DAY, FAR_FUTURE)
    ).wait();
    return { sys, eoa, dapp, delegate: await delegate.getAddress(), other: await other.getAddress() };
  }

  async function eoaOp(
    sys: System,
    eoa: BaseWallet,
    paymasterData: string,
    opts: { marker?: boolean; delegate?: string; postOpGas?: bigint; approver?: BaseWallet } = {},
  ): Promise<PackedUserOperation> {
    const op = buildUserOp({
      maxFeePerGas: MAX_FEE_PER_GAS,
      maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
      sender: eoa.address,
      nonce: await sys.entryPoint.getNonce(eoa.address, 0),
      initCode: opts.marker === true ? EIP7702_INITCODE_MARKER : "0x",
      callData: encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys)),
      paymasterAndData: packPaymasterAndData(
        await sys.paymaster.getAddress(),
        PM_VERIFICATION_GAS,
        opts.postOpGas ?? PM_POST_OP_GAS,
        paymasterData,
      ),
    });
    if (opts.approver !== undefined) {
      // The policy signer's approval: its digest hashes the delegate the EntryPoint substitutes for the marker, which a
      // never-delegated EOA has only once its authorization runs. The signer's server computes it off chain; here the
      // paymaster's own view computes it on a snapshot where the delegation is applied.
      const snapshot = await ethers.provider.send("evm_snapshot", []);
      if (opts.delegate !== undefined) {
        await ethers.provider.send("hardhat_setCode", [
          eoa.address,
          ethers.concat(["0xef0100", opts.delegate]),
        ]);
      }
      const digest = await sys.paymaster.policyApprovalDigest(op);
      await ethers.provider.send("evm_revert", [snapshot]);
      const signature = opts.approver.signingKey.sign(digest).serialized;
      op.paymasterAndData = ethers.concat([
        ethers.dataSlice(op.paymasterAndData, 0, APPROVAL_SIGNATURE_OFFSET),
        signature,
      ]);
    }
    return signUserOp(op, eoa, sys.entryPoint, "0.8", { eip7702Delegate: opts.delegate });
  }

  async function authorize(eoa: BaseWallet, delegate: string): Promise<Authorization> {
    return eoa.authorize({ address: delegate, nonce: await eoa.getNonce(), chainId: 31337n });
  }

  it("sponsors a never-delegated EOA with 0 ETH: its first operation carries the authorization", async function () {
    const { sys, eoa, dapp, delegate } = await loadFixture(fixture);
    expect(await ethers.provider.getBalance(eoa.address)).to.equal(0n);
    expect(await ethers.provider.getCode(eoa.address)).to.equal("0x");
    const op = await eoaOp(sys, eoa, sponsoredPaymasterData(dapp), { marker: true, delegate });
    const before = await sys.ledger.balanceOfCredits(dapp);
    const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler, {
      authorizationList: [await authorize(eoa, delegate)],
    });
    expectSolvent(sys.paymaster, result, [op], (await sys.paymaster.config()).markupBps);
    expect(result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([[eoa.address, true]]);
    expect(eip7702Delegate(await ethers.provider.getCode(eoa.address))).to.equal(delegate);
    expect(await sys.target.counts(eoa.address)).to.equal(1n);
    expect(await sys.ledger.balanceOfCredits(dapp)).to.be.lt(before);
    expect(await ethers.provider.getBalance(eoa.address)).to.equal(0n);

    // The second operation runs without the authorization (and without the marker).
    const second = await eoaOp(sys, eoa, sponsoredPaymasterData(dapp));
    const again = await handleOps(sys.entryPoint, [second], await sys.bundler.getAddress(), sys.bundler);
    expect(again.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
    expect(await sys.target.counts(eoa.address)).to.equal(2n);
  });

  it("sponsors a never-delegated EOA's first operation under a sponsor's open policy and under a signed one (no per-user transaction)", async function () {
    const { sys, dapp, delegate } = await loadFixture(fixture);
    const approver = Wallet.createRandom();
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const limits = { creditsPerUser: 0n, opsPerUser: 0n, creditsPerEpoch: 0n, creditsPerOp: 0n };
    const window = { start: now - 10, end: now + 30 * DAY };
    const ledger = sys.ledger.connect(sys.dapp);
    await (await ledger.createPolicy({ ...limits, ...window, signer: ethers.ZeroAddress }, DAY)).wait();
    const open = await sys.ledger.policyCount(dapp);
    await (await ledger.createPolicy({ ...limits, ...window, signer: approver.address }, DAY)).wait();
    const signed = await sys.ledger.policyCount(dapp);
    const markup = (await sys.paymaster.config()).markupBps;
    const stub = { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE };
    for (const [policyId, data, approverOf] of [
      [open, policyPaymasterData(dapp, open), undefined],
      [signed, policyPaymasterData(dapp, signed, 0n, stub), approver],
    ] as const) {
      // A fresh EOA: no allowance, no credits, no ETH, no code.
      const eoa = Wallet.createRandom().connect(ethers.provider);
      const op = await eoaOp(sys, eoa, data, {
        marker: true,
        delegate,
        postOpGas: POLICY_POST_OP_GAS,
        approver: approverOf,
      });
      const before = await sys.ledger.balanceOfCredits(dapp);
      const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler, {
        authorizationList: [await authorize(eoa, delegate)],
      });
      const [charged] = expectSolvent(sys.paymaster, result, [op], markup);
      expect(result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([
        [eoa.address, true],
      ]);
      expect(eip7702Delegate(await ethers.provider.getCode(eoa.address))).to.equal(delegate);
      expect(charged.payer).to.equal(dapp);
      expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(before - charged.creditsCharged);
      expect((await sys.ledger.policy(dapp, policyId)).used).to.equal(charged.creditsCharged);
      expect(await ethers.provider.getBalance(eoa.address)).to.equal(0n);
    }
  });

  it("refuses a signed policy's first 7702 operation approved for another delegate than its authorization installs (AA34)", async function () {
    const { sys, dapp, delegate, other } = await loadFixture(fixture);
    const approver = Wallet.createRandom();
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    await (
      await sys.ledger.connect(sys.dapp).createPolicy(
        {
          creditsPerUser: 0n,
          opsPerUser: 0n,
          creditsPerEpoch: 0n,
          creditsPerOp: 0n,
          start: now - 10,
          end: now + 30 * DAY,
          signer: approver.address,
        },
        DAY,
      )
    ).wait();
    const policyId = await sys.ledger.policyCount(dapp);
    const eoa = Wallet.createRandom().connect(ethers.provider);
    const data = policyPaymasterData(dapp, policyId, 0n, {
      validUntil: 0n,
      validAfter: 0n,
      signature: STUB_APPROVAL_SIGNATURE,
    });
    // Approved for another delegate than the one the authorization installs: the signature fails (AA34).
    const op = await eoaOp(sys, eoa, data, {
      marker: true,
      delegate,
      postOpGas: POLICY_POST_OP_GAS,
      approver,
    });
    const wrong = await eoaOp(sys, eoa, data, {
      marker: true,
      delegate: other,
      postOpGas: POLICY_POST_OP_GAS,
      approver,
    });
    const forged = { ...op, paymasterAndData: wrong.paymasterAndData };
    const resigned = await signUserOp(forged, eoa, sys.entryPoint, "0.8", { eip7702Delegate: delegate });
    await expect(
      handleOps(sys.entryPoint, [resigned], await sys.bundler.getAddress(), sys.bundler, {
        authorizationList: [await authorize(eoa, delegate)],
      }),
    )
      .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
      .withArgs(0n, "AA34 signature error");
  });

  it("lets the delegated EOA pay with its own credits (bought for it by a sponsor)", async function () {
    const { sys, eoa, delegate } = await loadFixture(fixture);
    await buyCredits(sys, sys.dapp, eoa.address, parseEther("0.01"));
    const op = await eoaOp(sys, eoa, selfPaymasterData(), { marker: true, delegate });
    const before = await sys.ledger.balanceOfCredits(eoa.address);
    const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler, {
      authorizationList: [await authorize(eoa, delegate)],
    });
    expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
    expect(await sys.ledger.balanceOfCredits(eoa.address)).to.be.lt(before);
  });

  it("binds the delegate: an operation signed for one implementation fails once the EOA is re-delegated", async function () {
    const { sys, eoa, dapp, delegate, other } = await loadFixture(fixture);
    // First operation delegates to `delegate`.
    const first = await eoaOp(sys, eoa, sponsoredPaymasterData(dapp), { marker: true, delegate });
    await handleOps(sys.entryPoint, [first], await sys.bundler.getAddress(), sys.bundler, {
      authorizationList: [await authorize(eoa, delegate)],
    });
    // An operation signed for `delegate`, but the bundle re-delegates the EOA to `other` first.
    const stale = await eoaOp(sys, eoa, sponsoredPaymasterData(dapp), { marker: true, delegate });
    await expect(
      handleOps(sys.entryPoint, [stale], await sys.bundler.getAddress(), sys.bundler, {
        authorizationList: [await authorize(eoa, other)],
      }),
    )
      .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
      .withArgs(0n, "AA24 signature error");
    // Signed for the new delegate, it runs, and the EntryPoint's hash agrees with the signer's.
    const fresh = await eoaOp(sys, eoa, sponsoredPaymasterData(dapp), { marker: true, delegate: other });
    const result = await handleOps(sys.entryPoint, [fresh], await sys.bundler.getAddress(), sys.bundler, {
      authorizationList: [await authorize(eoa, other)],
    });
    expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
    expect(eip7702Delegate(await ethers.provider.getCode(eoa.address))).to.equal(other);
  });
});
