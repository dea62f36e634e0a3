/**
 * The ERC-7562 checker and EIP-7702 (issue 14): a delegated EOA sender is an ordinary account whose code is its
 * delegate's (compliant, also on its first operation, which carries the authorization), while a delegated EOA
 * anywhere else breaks the rules eth-infinitism adds for EIP-7702: AUTH-001 (it may not be the paymaster or the
 * factory) and AUTH-002 (validation may not call it or read its code unless it is the sender), because its key
 * can change its code at any time. EntryPoint v0.8, the CreditPaymaster as users deploy it.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, parseEther } from "ethers";
import type { BaseWallet } from "ethers";

import { Simple7702Account__factory, TestAcceptAllPaymaster__factory } from "../../typechain-types";
import {
  EIP7702_INITCODE_MARKER,
  buildUserOp,
  eip7702Delegate,
  encodeExecute,
  packPaymasterAndData,
  signUserOp,
} from "../../src/aa/userop";
import type { PackedUserOperation } from "../../src/aa/userop";
import { sponsoredPaymasterData } from "../../src/aa/paymaster";
import { STUB_APPROVAL_SIGNATURE, policyPaymasterData, signPolicyApproval } from "../../src/aa/policy";
import { checkErc7562 } from "../../src/erc7562/check";
import { analyzeValidation } from "../../src/erc7562/analyzer";
import {
  CREDIT,
  MAX_FEE_PER_GAS,
  MAX_PRIORITY_FEE_PER_GAS,
  PM_VERIFICATION_GAS,
  buyCredits,
  creditOp,
  deploySystem,
  incrementCall,
  newUser,
} from "../../src/aa/system";
import type { System } from "../../src/aa/system";

const DAY = 86_400;
const FAR_FUTURE = 4_000_000_000;
const POST_OP_GAS = 150_000n;

describe("ERC-7562 checker: EIP-7702 delegated EOAs", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const delegate = await (await new Simple7702Account__factory(sys.admin).deploy()).getAddress();
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
    const eoa = Wallet.createRandom().connect(ethers.provider);
    await (
      await sys.ledger.connect(sys.dapp).setAllowance(eoa.address, 500n * CREDIT, DAY, FAR_FUTURE)
    ).wait();
    return { sys, dapp, delegate, eoa, entryPoint: await sys.entryPoint.getAddress() };
  }

  /** Delegates `eoa` to `delegate` with a real type-4 transaction sent (and paid) by the admin, to itself. */
  async function delegateEoa(sys: System, eoa: BaseWallet, delegate: string): Promise<void> {
    const authorization = await eoa.authorize({
      address: delegate,
      nonce: await eoa.getNonce(),
      chainId: 31337n,
    });
    await (
      await sys.admin.sendTransaction({
        to: await sys.admin.getAddress(),
        type: 4,
        authorizationList: [authorization],
        maxFeePerGas: MAX_FEE_PER_GAS,
        maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
      })
    ).wait();
    expect(eip7702Delegate(await ethers.provider.getCode(eoa.address))).to.equal(delegate);
  }

  async function eoaOp(
    sys: System,
    eoa: BaseWallet,
    dapp: string,
    opts: { marker?: boolean; delegate?: string; paymasterData?: string; approver?: BaseWallet } = {},
  ): Promise<PackedUserOperation> {
    let op = buildUserOp({
      maxFeePerGas: MAX_FEE_PER_GAS,
      maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
      sender: eoa.address,
      nonce: await sys.entryPoint.getNonce(eoa.address, 0),
      initCode: opts.marker === true ? EIP7702_INITCODE_MARKER : "0x",
      callData: encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys)),
      paymasterAndData: packPaymasterAndData(
        await sys.paymaster.getAddress(),
        PM_VERIFICATION_GAS,
        POST_OP_GAS,
        opts.paymasterData ?? sponsoredPaymasterData(dapp),
      ),
    });
    if (opts.approver) op = await signPolicyApproval(op, opts.approver, sys.paymaster, sys.entryPoint);
    return signUserOp(op, eoa, sys.entryPoint, "0.8", { eip7702Delegate: opts.delegate });
  }

  it("accepts a delegated EOA sender's first operation (with its authorization) and leaves the node unchanged", async function () {
    const { sys, dapp, delegate, eoa, entryPoint } = await loadFixture(fixture);
    const op = await eoaOp(sys, eoa, dapp, { marker: true, delegate });
    const check = await checkErc7562(ethers.provider, entryPoint, op, { eip7702Delegate: delegate });
    expect(check.violations).to.deep.equal([]);
    expect(check.factory).to.equal(undefined); // the 0x7702 marker is not a factory
    expect(check.frames.map((f) => f.entity)).to.deep.equal(["account", "paymaster"]);
    expect(check.trace.failed).to.equal(false);
    // The delegation was applied to a snapshot only.
    expect(await ethers.provider.getCode(eoa.address)).to.equal("0x");
    // Without the authorization the EOA has no code: the EntryPoint refuses the marker (AA-level revert).
    await expect(checkErc7562(ethers.provider, entryPoint, op)).to.be.rejectedWith(/handleOps reverted/);
  });

  it("accepts a delegated EOA sender's later operation (no authorization, no marker)", async function () {
    const { sys, dapp, delegate, eoa, entryPoint } = await loadFixture(fixture);
    await delegateEoa(sys, eoa, delegate);
    const check = await checkErc7562(ethers.provider, entryPoint, await eoaOp(sys, eoa, dapp));
    expect(check.violations).to.deep.equal([]);
    expect(check.frames.map((f) => f.entity)).to.deep.equal(["account", "paymaster"]);
  });

  it("accepts a delegated EOA sender under a signed policy whose digest reads the sender's delegate (0x7702 marker)", async function () {
    const { sys, dapp, delegate, eoa, entryPoint } = await loadFixture(fixture);
    const approver = Wallet.createRandom();
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const terms = { creditsPerUser: 0n, opsPerUser: 0n, creditsPerEpoch: 0n, creditsPerOp: 0n };
    await (
      await sys.ledger
        .connect(sys.dapp)
        .createPolicy({ ...terms, start: now - 10, end: now + 30 * DAY, signer: approver.address }, DAY)
    ).wait();
    await delegateEoa(sys, eoa, delegate);
    const paymasterData = policyPaymasterData(dapp, await sys.ledger.policyCount(dapp), 0n, {
      validUntil: 0n,
      validAfter: 0n,
      signature: STUB_APPROVAL_SIGNATURE,
    });
    const op = await eoaOp(sys, eoa, dapp, { marker: true, delegate, paymasterData, approver });
    const check = await checkErc7562(ethers.provider, entryPoint, op);
    expect(check.violations).to.deep.equal([]);
    // The paymaster did read the sender's code (the delegate, for the approval digest): allowed, it is the sender.
    const paymasterFrame = check.frames.find((f) => f.entity === "paymaster")!;
    const reads = check.trace.structLogs
      .slice(paymasterFrame.firstStep, paymasterFrame.lastStep + 1)
      .filter((step) => step.op === "EXTCODECOPY");
    expect(reads.length).to.be.greaterThan(0);
  });

  it("accepts a policy approval by an EOA signer, delegated or not, and reports AUTH-002 once the paymaster must call the delegated signer", async function () {
    const { sys, dapp, delegate, entryPoint } = await loadFixture(fixture);
    const approver = Wallet.createRandom().connect(ethers.provider);
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
    const user = await newUser(sys, 7702n);
    const build = async (signedBy: BaseWallet): Promise<PackedUserOperation> => {
      const unsigned = await creditOp(sys, user, {
        paymasterPostOpGasLimit: POST_OP_GAS,
        paymasterData: policyPaymasterData(dapp, policyId, 0n, {
          validUntil: 0n,
          validAfter: 0n,
          signature: STUB_APPROVAL_SIGNATURE,
        }),
      });
      const approved = await signPolicyApproval(unsigned, signedBy, sys.paymaster, sys.entryPoint);
      return signUserOp(approved, user.owner, sys.entryPoint, "0.8");
    };
    const paymasterRules = (check: { violations: readonly { entity: string; rule: string }[] }) =>
      check.violations.filter((v) => v.entity === "paymaster").map((v) => v.rule);

    // A never-used EOA signer (no account in the state): the paymaster recovers the signature and touches
    // nothing. (OpenZeppelin's isValidSignatureNow would read the signer's code size first: OP-041.)
    const clean = await checkErc7562(ethers.provider, entryPoint, await build(approver));
    expect(paymasterRules(clean)).to.deep.equal([]);

    // The signer's EOA delegated to a smart account: its valid ECDSA approval still touches nothing.
    await delegateEoa(sys, approver, delegate);
    const delegated = await checkErc7562(ethers.provider, entryPoint, await build(approver));
    expect(paymasterRules(delegated)).to.deep.equal([]);

    // An approval its key did not sign makes the paymaster ask the delegated signer through ERC-1271: a call to
    // a delegated EOA that is not the sender, AUTH-002 (and the approval fails: AA34).
    const forged = await checkErc7562(ethers.provider, entryPoint, await build(Wallet.createRandom()), {
      requireSuccess: false,
    });
    expect(forged.trace.failed).to.equal(true);
    const auth = forged.violations.filter((v) => v.rule === "AUTH-002");
    expect(auth.map((v) => [v.entity, v.opcode, v.address])).to.deep.equal([
      ["paymaster", "STATICCALL", approver.address],
    ]);
    expect(auth[0]!.message).to.match(/EIP-7702 delegated EOA that is not the sender/);

    // The same trace analysed without knowing which EOAs are delegated is silent: the rule, not something else,
    // reports it.
    const blind = analyzeValidation(forged.trace.structLogs, {
      entryPoint,
      sender: user.account.address,
      paymaster: await sys.paymaster.getAddress(),
      paymasterStaked: true,
    });
    expect(blind.violations.filter((v) => v.rule.startsWith("AUTH"))).to.deep.equal([]);
  });

  it("reports AUTH-001 when the paymaster itself is a delegated EOA", async function () {
    const { sys, entryPoint } = await loadFixture(fixture);
    const code = await new TestAcceptAllPaymaster__factory(sys.admin).deploy(entryPoint);
    const eoaPaymaster = Wallet.createRandom().connect(ethers.provider);
    await delegateEoa(sys, eoaPaymaster, await code.getAddress());
    await (
      await sys.entryPoint.connect(sys.admin).depositTo(eoaPaymaster.address, { value: parseEther("1") })
    ).wait();
    const user = await newUser(sys, 7703n);
    await buyCredits(sys, sys.admin, user.account.address, parseEther("0.01"));
    // Deploy the account first (self-pay through the credit paymaster), so only the paymaster is under test.
    const deployOp = await creditOp(sys, user, { paymasterPostOpGasLimit: POST_OP_GAS });
    await (
      await sys.entryPoint.connect(sys.bundler).handleOps([deployOp], await sys.bundler.getAddress())
    ).wait();
    const op = buildUserOp({
      maxFeePerGas: MAX_FEE_PER_GAS,
      maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
      sender: user.account.address,
      nonce: await sys.entryPoint.getNonce(user.account.address, 0),
      initCode: "0x",
      callData: encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys)),
      paymasterAndData: packPaymasterAndData(eoaPaymaster.address, PM_VERIFICATION_GAS, POST_OP_GAS, "0x"),
    });
    const check = await checkErc7562(
      ethers.provider,
      entryPoint,
      await signUserOp(op, user.owner, sys.entryPoint, "0.8"),
    );
    expect(check.trace.failed).to.equal(false);
    expect(check.violations.map((v) => [v.rule, v.entity, v.address])).to.deep.equal([
      ["AUTH-001", "paymaster", eoaPaymaster.address],
    ]);
  });
});
