/**
 * Adversarial tests of the paymaster's gas hot path (commits 339a07a..965c1ee): the price validation uses within one
 * transaction (a price kept in the paymaster's transient storage for the transaction let a purchase be spent at the
 * price before it — SECURITY.md O10 — and was withdrawn: every validation reads the adapter) and the hand-written
 * assembly calls to the adapter and the ledger (`_cachedPrice`, `_callHold`, `_callSettle`, `_callSettlePolicy`).
 *
 * Two handleOps in ONE transaction need a bundler contract: transient storage lives for the transaction, and
 * anyone may call `handleOps` (TestBundlerMulticall). The assembly is driven with TestRawResponder standing in for
 * the adapter or the ledger: short, oversized, dirty or reverting return data.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, parseEther, toBeHex, zeroPadValue } from "ethers";
import type { Interface, Signer } from "ethers";

import {
  CreditPaymaster__factory,
  PriceAdapter__factory,
  TestBundlerMulticall__factory,
  TestRawResponder__factory,
  TestValidationCallAccount__factory,
} from "../../typechain-types";
import type { CreditPaymaster, TestBundlerMulticall, TestRawResponder } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { chargedEvents, creditsForGasCost, expectSolvent, selfPaymasterData } from "../helpers/paymaster";
import {
  CREDIT,
  ISSUER_ROLE,
  MAX_FEE_PER_GAS,
  MAX_PRIORITY_FEE_PER_GAS,
  PM_POST_OP_GAS,
  PM_VERIFICATION_GAS,
  buyCredits,
  creditOp,
  defaultPaymasterConfig,
  deploySystem,
  newUser,
} from "../helpers/system";
import type { System } from "../helpers/system";
import {
  buildUserOp,
  encodeExecute,
  encodeHandleOps,
  handleOps,
  packPaymasterAndData,
  parseEntryPointLogs,
  requiredPrefund,
} from "../helpers/userop";
import type { HandleOpsResult, PackedUserOperation } from "../helpers/userop";
import { policyPaymasterData } from "../../src/aa/policy";

const MARKUP = 10_500n;
const DAY = 86_400n;
const FAR_FUTURE = 2n ** 32n - 1n;
/** Paymaster gas limits of operations whose hold and settlement the stand-in ledger records (cold SSTOREs). */
const RECORDING_GAS = { paymasterVerificationGasLimit: 300_000n, paymasterPostOpGasLimit: 450_000n };

async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const alice = await newUser(sys, 1n);
  const bob = await newUser(sys, 2n);
  const carol = await newUser(sys, 3n);
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.admin, alice.account.address, parseEther("0.1"));
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  await (
    await sys.ledger.connect(sys.dapp).setAllowance(carol.account.address, 200n * CREDIT, DAY, FAR_FUTURE)
  ).wait();
  // deploy alice's and carol's accounts (bob's is deployed by his first operation, in the tests)
  await handleOps(
    sys.entryPoint,
    [await creditOp(sys, alice), await creditOp(sys, carol, { sponsor: dapp })],
    await sys.bundler.getAddress(),
    sys.bundler,
  );
  const multicall = await new TestBundlerMulticall__factory(sys.admin).deploy();
  return { sys, alice, bob, carol, dapp, multicall, beneficiary: await multicall.getAddress() };
}
const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

type Call = { target: string; value: bigint; data: string };

/** Runs `calls` in one transaction from the bundler contract; returns the EntryPoint's events of all of them. */
async function runInOneTx(
  sys: System,
  multicall: TestBundlerMulticall,
  calls: Call[],
  value = 0n,
): Promise<HandleOpsResult> {
  const receipt = await (await multicall.connect(sys.bundler).run(calls, { value })).wait();
  if (receipt === null) throw new Error("no receipt");
  return { receipt, ...parseEntryPointLogs(sys.entryPoint, await sys.entryPoint.getAddress(), receipt.logs) };
}

function handleOpsCall(sys: System, ops: PackedUserOperation[], beneficiary: string): Call {
  return {
    target: sys.entryPoint.target.toString(),
    value: 0n,
    data: encodeHandleOps(sys.entryPoint, ops, beneficiary),
  };
}

/** The cold SLOADs (2,100 gas) of each call frame of `ledger` in the transaction `hash`, in call order. */
async function coldSloadsPerLedgerFrame(hash: string, ledger: string): Promise<number[]> {
  const trace = (await network.provider.send("debug_traceTransaction", [
    hash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: { op: string; gasCost: number; depth: number; stack: string[] }[] };
  const logs = trace.structLogs;
  const want = BigInt(ledger);
  const counts: number[] = [];
  for (let i = 0; i < logs.length; i++) {
    const { op, stack, depth } = logs[i];
    if ((op !== "CALL" && op !== "STATICCALL") || BigInt("0x" + stack[stack.length - 2]) !== want) continue;
    let n = 0;
    for (let j = i + 1; j < logs.length && logs[j].depth > depth; j++) {
      if (logs[j].depth === depth + 1 && logs[j].op === "SLOAD" && logs[j].gasCost >= 2_100) n++;
    }
    counts.push(n);
  }
  return counts;
}

/** A paymaster over the system's EntryPoint with `ledger` and `adapter` (real or stand-ins), staked and funded. */
async function paymasterOver(sys: System, ledger: string, adapter: string): Promise<CreditPaymaster> {
  return new CreditPaymaster__factory(sys.admin).deploy(
    sys.entryPoint,
    ledger,
    adapter,
    sys.admin,
    defaultPaymasterConfig(),
    86_400,
    parseEther("1"),
    { value: parseEther("11") },
  );
}

async function responder(deployer: Signer): Promise<TestRawResponder> {
  return new TestRawResponder__factory(deployer).deploy();
}

function word(v: bigint): string {
  return zeroPadValue(toBeHex(v), 32);
}

async function expectAA33(sys: System, ops: PackedUserOperation[], inner: string) {
  await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, await sys.bundler.getAddress()))
    .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
    .withArgs(0, "AA33 reverted", inner);
}

function hotPath(version: EntryPointVersion) {
  const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

  describe("O10 within one transaction: no price is kept across validations (review finding, fixed)", function () {
    it("a purchase between two handleOps of one transaction refreshes the price, and the second bundle is held and charged at the purchase's price (SECURITY.md O10: no buy-then-spend arbitrage; a price kept in transient storage for the transaction broke this)", async function () {
      const { sys, alice, bob, multicall, beneficiary } = await load();
      const [oldPrice] = await sys.adapter.cachedPrice();
      // the market moves up 20 % (more than the 5 % markup); the cache still holds the old price
      await (await sys.feed.updateAnswer(3_600n * 10n ** 8n)).wait();
      const newPrice = 3_600n * 10n ** 18n;
      const opA = await creditOp(sys, alice);
      const opB = await creditOp(sys, bob); // bob holds no credits yet: he buys them in the same transaction
      const paid = parseEther("0.01");
      const result = await runInOneTx(
        sys,
        multicall,
        [
          handleOpsCall(sys, [opA], beneficiary),
          {
            target: sys.ledger.target.toString(),
            value: paid,
            data: sys.ledger.interface.encodeFunctionData("buyCredits", [bob.account.address]),
          },
          handleOpsCall(sys, [opB], beneficiary),
        ],
        paid,
      );
      // the purchase refreshed the adapter's cache and credited bob at the new price
      expect((await sys.adapter.cachedPrice())[0]).to.equal(newPrice);
      const [chargeA, chargeB] = chargedEvents(sys.paymaster, result);
      expect(chargeA.priceWad).to.equal(oldPrice);
      expect(chargeB.payer).to.equal(bob.account.address);
      // bob's credits, bought at 3,600, must be spent at 3,600: with a price kept for the transaction they were spent at 3,000, i.e. 20 %
      // more gas (ETH from the paymaster's deposit) per credit than the purchase paid for, beyond the 5 % markup
      expect(chargeB.priceWad, "the charge right after a purchase uses the purchase's price").to.equal(
        newPrice,
      );
    });

    it("within ONE handleOps: an account's validation that buys credits refreshes the price between two paymaster validations, and its own operation is held and charged at the purchase's price", async function () {
      const { sys, alice } = await load();
      const mallory = await new TestValidationCallAccount__factory(sys.admin).deploy();
      const paid = parseEther("0.01");
      await (await sys.admin.sendTransaction({ to: mallory, value: paid })).wait();
      await (
        await mallory.setValidationCall(
          sys.ledger,
          paid,
          sys.ledger.interface.encodeFunctionData("buyCredits", [await mallory.getAddress()]),
        )
      ).wait();
      await (await sys.feed.updateAnswer(3_600n * 10n ** 8n)).wait(); // +20 %, the cache still at 3,000
      const [oldPrice] = await sys.adapter.cachedPrice();
      const malloryOp = buildUserOp({
        sender: await mallory.getAddress(),
        maxFeePerGas: MAX_FEE_PER_GAS,
        maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
        paymasterAndData: packPaymasterAndData(
          await sys.paymaster.getAddress(),
          PM_VERIFICATION_GAS,
          PM_POST_OP_GAS,
          selfPaymasterData(),
        ),
      });
      const ops = [await creditOp(sys, alice), malloryOp];
      const result = await handleOps(sys.entryPoint, ops, await sys.bundler.getAddress(), sys.bundler);
      const newPrice = (await sys.adapter.cachedPrice())[0];
      expect(newPrice).to.equal(3_600n * 10n ** 18n); // mallory's purchase refreshed the cache, at 3,600
      const [chargeA, chargeM] = chargedEvents(sys.paymaster, result);
      expect(chargeA.priceWad).to.equal(oldPrice);
      expect(chargeM.payer).to.equal(await mallory.getAddress());
      expect(chargeM.priceWad, "credits bought at 3,600 are spent at 3,600").to.equal(newPrice);
    });

    it("a maxPriceAge lowered between two handleOps of one transaction below the cached price's age makes the second bundle expire (AA32)", async function () {
      const { sys, alice, carol, dapp, multicall, beneficiary } = await load();
      // the multicall becomes the paymaster's owner, so it can change the configuration between the two bundles
      await (await sys.paymaster.connect(sys.admin).transferOwnership(multicall)).wait();
      await (
        await multicall.run([
          {
            target: sys.paymaster.target.toString(),
            value: 0n,
            data: sys.paymaster.interface.encodeFunctionData("acceptOwnership"),
          },
        ])
      ).wait();
      const [, cachedTime] = await sys.adapter.cachedPrice();
      await time.setNextBlockTimestamp(cachedTime + 100n); // the cached price is 100 s old
      const cfg = { ...defaultPaymasterConfig(), maxPriceAge: 50n };
      const calls = [
        handleOpsCall(sys, [await creditOp(sys, alice)], beneficiary),
        {
          target: sys.paymaster.target.toString(),
          value: 0n,
          data: sys.paymaster.interface.encodeFunctionData("setConfig", [cfg]),
        },
        handleOpsCall(sys, [await creditOp(sys, carol, { sponsor: dapp })], beneficiary),
      ];
      await expect(multicall.connect(sys.bundler).run(calls))
        .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
        .withArgs(0, "AA32 paymaster expired or not due");
    });

    it("a markup raised between two handleOps of one transaction applies to the second bundle", async function () {
      const { sys, alice, carol, dapp, multicall, beneficiary } = await load();
      await (await sys.paymaster.connect(sys.admin).transferOwnership(multicall)).wait();
      const pm = sys.paymaster.target.toString();
      await (
        await multicall.run([
          { target: pm, value: 0n, data: sys.paymaster.interface.encodeFunctionData("acceptOwnership") },
        ])
      ).wait();
      const ops = [await creditOp(sys, alice), await creditOp(sys, carol, { sponsor: dapp })];
      const cfg = { ...defaultPaymasterConfig(), markupBps: 20_000n };
      const result = await runInOneTx(sys, multicall, [
        handleOpsCall(sys, [ops[0]], beneficiary),
        { target: pm, value: 0n, data: sys.paymaster.interface.encodeFunctionData("setConfig", [cfg]) },
        handleOpsCall(sys, [ops[1]], beneficiary),
      ]);
      const [a, c] = chargedEvents(sys.paymaster, result);
      expect(a.creditsCharged).to.equal(creditsForGasCost(a.gasCostWei, a.priceWad, MARKUP));
      expect(c.creditsCharged).to.equal(creditsForGasCost(c.gasCostWei, c.priceWad, 20_000n));
      expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true, true]);
    });

    it("pausing between two handleOps of one transaction stops the second bundle", async function () {
      const { sys, alice, carol, dapp, multicall, beneficiary } = await load();
      await (await sys.paymaster.connect(sys.admin).setGuardian(multicall, true)).wait();
      const calls = [
        handleOpsCall(sys, [await creditOp(sys, alice)], beneficiary),
        {
          target: sys.paymaster.target.toString(),
          value: 0n,
          data: sys.paymaster.interface.encodeFunctionData("setPaused", [true]),
        },
        handleOpsCall(sys, [await creditOp(sys, carol, { sponsor: dapp })], beneficiary),
      ];
      await expect(multicall.connect(sys.bundler).run(calls))
        .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
        .withArgs(0, "AA33 reverted", sys.paymaster.interface.encodeErrorResult("CreditPaymasterPaused"));
    });

    it("two handleOps of one transaction with no refresh between: both solvent, one adapter price, one hold and one charge per operation", async function () {
      const { sys, alice, carol, dapp, multicall, beneficiary } = await load();
      const ops = [await creditOp(sys, alice), await creditOp(sys, carol, { sponsor: dapp })];
      const result = await runInOneTx(sys, multicall, [
        handleOpsCall(sys, [ops[0]], beneficiary),
        handleOpsCall(sys, [ops[1]], beneficiary),
      ]);
      const charged = expectSolvent(sys.paymaster, result, ops, MARKUP);
      const [cachedPrice] = await sys.adapter.cachedPrice();
      expect(charged.map((c) => c.priceWad)).to.deep.equal([cachedPrice, cachedPrice]);
      expect(charged.map((c) => c.payer)).to.deep.equal([alice.account.address, dapp]);
      // every hold of the transaction was settled
      expect(await sys.ledger.heldCredits(alice.account.address)).to.equal(0n);
    });
  });

  describe("SECURITY.md's one bounded cold read in postOp", function () {
    for (const atFloor of [false, true]) {
      it(`a grant that fills the payer's second bucket mid-bundle (an issuer's own operation) costs its settlement exactly one cold read (word 1, zero, not written) and the operation stays solvent${atFloor ? ", with postOp at its exact gas floor" : ""}`, async function () {
        const { sys, alice } = await load();
        const ivan = await newUser(sys, 9n); // an issuer whose account sends operations
        await buyCredits(sys, sys.admin, ivan.account.address, parseEther("0.1"));
        await handleOps(
          sys.entryPoint,
          [await creditOp(sys, ivan)],
          await sys.bundler.getAddress(),
          sys.bundler,
        );
        await (await sys.ledger.connect(sys.admin).grantRole(ISSUER_ROLE, ivan.account.address)).wait();
        await (
          await sys.ledger.connect(sys.admin).setIssuerCap(ivan.account.address, 1_000n * CREDIT, 86_400)
        ).wait();
        const now = BigInt(await time.latest());
        // alice: purchased credits and one grant (bucket 0); bucket 1 empty, so her hold reads word 0 only
        await (
          await sys.ledger.connect(sys.issuer).grant(alice.account.address, 50n * CREDIT, now + 10n * DAY)
        ).wait();
        const grantCall = sys.ledger.interface.encodeFunctionData("grant", [
          alice.account.address,
          1n,
          now + 5n * DAY,
        ]);
        const ops = [
          await creditOp(sys, ivan, { callData: encodeExecute(sys.ledger.target.toString(), 0n, grantCall) }),
          await creditOp(sys, alice),
        ];
        if (atFloor) {
          const floor = await sys.paymaster.minPostOpGasLimit(ops[1]);
          ops[1] = await creditOp(sys, alice, { paymasterPostOpGasLimit: floor });
          expect(await sys.paymaster.minPostOpGasLimit(ops[1])).to.equal(floor);
        }
        const result = await handleOps(sys.entryPoint, ops, await sys.bundler.getAddress(), sys.bundler);
        expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true, true]);
        const [, aliceCharge] = expectSolvent(sys.paymaster, result, ops, MARKUP);
        // the 1-unit grant (sooner expiry) became bucket 0 and was emptied by alice's charge: the general path
        expect(aliceCharge.creditsCharged).to.be.greaterThan(1n);
        const breakdown = await sys.ledger.creditBreakdown(alice.account.address);
        expect(breakdown.grants.map((g) => g.expiresAt)).to.deep.equal([now + 10n * DAY]);
        // cold SLOADs (2,100 gas) in each ledger frame, in order: holds (ivan, alice), the grant, settlements
        const cold = await coldSloadsPerLedgerFrame(result.receipt.hash, sys.ledger.target.toString());
        expect(cold).to.have.length(5);
        expect(cold[4], "alice's settlement: word 1 only").to.equal(1);
      });
    }
  });

  describe("WORD0_HORIZON against the largest maxPriceAge", function () {
    it("with maxPriceAge 65,535 (the uint16 maximum), an operation in the price's last valid second is accepted although the payer's soonest bucket (more than any hold) expired at that second (a second bucket behind it): the ledger's bound never ends validity before the price does", async function () {
      const { sys, alice } = await load();
      await (await sys.paymaster.setConfig({ ...defaultPaymasterConfig(), maxPriceAge: 65_535n })).wait();
      const t0 = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(t0);
      await (await sys.adapter.refreshCachedPrice()).wait();
      expect((await sys.adapter.cachedPrice())[1]).to.equal(t0);
      const E = t0 + 65_535n; // the price's last valid second; the bucket is usable until E - 1
      await (await sys.ledger.connect(sys.issuer).grant(alice.account.address, 100n * CREDIT, E)).wait();
      // a second bucket: the hold then decides whether to rely on word 0's soonest bucket alone
      await (await sys.ledger.connect(sys.issuer).grant(alice.account.address, CREDIT, E + DAY)).wait();
      const ops = [await creditOp(sys, alice)];
      await time.setNextBlockTimestamp(E);
      const result = await handleOps(sys.entryPoint, ops, await sys.bundler.getAddress(), sys.bundler);
      expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
      const [charged] = expectSolvent(sys.paymaster, result, ops, MARKUP);
      expect(charged.payer).to.equal(alice.account.address);
    });
  });

  describe("_cachedPrice: the adapter call in assembly", function () {
    it("bubbles up the adapter's revert verbatim (no cached price: PriceAdapterNoCachedPrice)", async function () {
      const { sys, alice } = await load();
      const fresh = await new PriceAdapter__factory(sys.admin).deploy(
        sys.admin,
        { feed: sys.feed, heartbeat: 3_600, minAnswer: 10n ** 8n, maxAnswer: 1_000_000n * 10n ** 8n },
        "ETH / USD",
      );
      const pm = await paymasterOver(sys, sys.ledger.target.toString(), await fresh.getAddress());
      const op = await creditOp({ ...sys, paymaster: pm }, alice);
      await expectAA33(sys, [op], fresh.interface.encodeErrorResult("PriceAdapterNoCachedPrice"));
    });

    it("refuses an adapter without code (no return data) and one returning one word instead of two, with the data it got", async function () {
      const { sys, alice } = await load();
      const codeless = await sys.outsider.getAddress();
      let pm = await paymasterOver(sys, sys.ledger.target.toString(), codeless);
      await expectAA33(sys, [await creditOp({ ...sys, paymaster: pm }, alice)], "0x");

      const stub = await responder(sys.admin);
      const cachedPrice = sys.adapter.interface.getFunction("cachedPrice").selector;
      // one word: a plausible price, but no time (the second word would be whatever the scratch space held)
      await (await stub.setResponse(cachedPrice, word(3_000n * 10n ** 18n), false, false)).wait();
      pm = await paymasterOver(sys, sys.ledger.target.toString(), await stub.getAddress());
      await sys.ledger.connect(sys.admin).addSpender(pm);
      await expectAA33(sys, [await creditOp({ ...sys, paymaster: pm }, alice)], word(3_000n * 10n ** 18n));
      // 63 bytes: still short
      const short = concat([word(3_000n * 10n ** 18n), word(1n)]).slice(0, 2 + 63 * 2);
      await (await stub.setResponse(cachedPrice, short, false, false)).wait();
      await expectAA33(sys, [await creditOp({ ...sys, paymaster: pm }, alice)], short);
    });

    it("reads the first two words of an adapter answer with extra data, and refuses a price above 96 bits", async function () {
      const { sys, alice } = await load();
      const stub = await responder(sys.admin);
      const selector = sys.adapter.interface.getFunction("cachedPrice").selector;
      const [price, priceTime] = await sys.adapter.cachedPrice();
      await (
        await stub.setResponse(
          selector,
          concat([word(price), word(priceTime), word(2n ** 255n + 7n)]),
          false,
          false,
        )
      ).wait();
      const pm = await paymasterOver(sys, sys.ledger.target.toString(), await stub.getAddress());
      await (await sys.ledger.connect(sys.admin).addSpender(pm)).wait();
      const op = await creditOp({ ...sys, paymaster: pm }, alice);
      const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
      const [charged] = expectSolvent(pm, result, [op], MARKUP);
      expect(charged.priceWad).to.equal(price);

      const huge = 2n ** 96n;
      await (await stub.setResponse(selector, concat([word(huge), word(priceTime)]), false, false)).wait();
      await expectAA33(
        sys,
        [await creditOp({ ...sys, paymaster: pm }, alice)],
        pm.interface.encodeErrorResult("CreditPaymasterPriceTooHigh", [huge]),
      );
    });
  });

  describe("_callHold / _callSettle / _callSettlePolicy: the ledger calls in assembly", function () {
    /** A paymaster over the real adapter and a stand-in ledger that records holds and settlements. */
    async function stubLedger(sys: System) {
      const stub = await responder(sys.admin);
      const pm = await paymasterOver(sys, await stub.getAddress(), sys.adapter.target.toString());
      const iface: Interface = sys.ledger.interface;
      const sel = (name: string) => iface.getFunction(name)!.selector;
      for (const name of ["hold", "holdSponsored"]) {
        await (await stub.setResponse(sel(name), word(2n ** 48n - 1n), false, true)).wait();
      }
      for (const name of ["settle", "settleSponsored", "settlePolicy"]) {
        await (await stub.setResponse(sel(name), "0x", false, true)).wait();
      }
      return { stub, pm, sel };
    }

    it("encodes hold/settle (SELF) and holdSponsored/settleSponsored (SPONSORED) exactly as the ABI does", async function () {
      const { sys, alice, carol, dapp } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      const iface: Interface = sys.ledger.interface;
      const [price, priceTime] = await sys.adapter.cachedPrice();
      const psys = { ...sys, paymaster: pm };
      for (const [user, sponsor] of [
        [alice, undefined],
        [carol, dapp],
      ] as const) {
        const op = await creditOp(psys, user, {
          ...RECORDING_GAS,
          ...(sponsor === undefined ? {} : { sponsor }),
        });
        const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
        expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
        const held = creditsForGasCost(requiredPrefund(op), price, MARKUP);
        const sender = user.account.address;
        const holdName = sponsor === undefined ? "hold" : "holdSponsored";
        const holdArgs =
          sponsor === undefined ? [sender, held, priceTime] : [sponsor, sender, held, priceTime];
        expect(await stub.lastCall(sel(holdName))).to.equal(iface.encodeFunctionData(holdName, holdArgs));
        const settleName = sponsor === undefined ? "settle" : "settleSponsored";
        const settled = iface.decodeFunctionData(settleName, await stub.lastCall(sel(settleName)));
        // re-encoding the decoded arguments gives the same bytes: every word is canonical (no dirty bits)
        expect(iface.encodeFunctionData(settleName, settled)).to.equal(await stub.lastCall(sel(settleName)));
        const payer = sponsor ?? sender;
        expect(settled[0]).to.equal(payer);
        if (sponsor !== undefined) expect(settled[1]).to.equal(sender);
        const [heldArg, charge, ref] = settled.slice(sponsor === undefined ? 1 : 2);
        expect(heldArg).to.equal(held);
        expect(charge).to.be.greaterThan(0n);
        expect(charge).to.be.lte(held);
        expect(ref).to.equal(result.userOperationEvents[0].userOpHash);
      }
    });

    it("POLICY: a non-canonical perUser word from holdPolicy (2) reaches settlePolicy as the canonical bool 1, so the ledger's ABI decoder accepts it", async function () {
      const { sys, alice, dapp } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      const iface: Interface = sys.ledger.interface;
      // holdPolicy -> (validAfter 0, validUntil max, signer 0, perUser 2)
      await (
        await stub.setResponse(
          sel("holdPolicy"),
          concat([word(0n), word(2n ** 48n - 1n), word(0n), word(2n)]),
          false,
          true,
        )
      ).wait();
      const op = await creditOp({ ...sys, paymaster: pm }, alice, {
        ...RECORDING_GAS,
        paymasterData: policyPaymasterData(dapp, 7n),
      });
      const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
      expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
      const raw = await stub.lastCall(sel("settlePolicy"));
      const args = iface.decodeFunctionData("settlePolicy", raw);
      expect(iface.encodeFunctionData("settlePolicy", args)).to.equal(raw); // canonical words only
      expect([args[0], args[1], args[2], args[3]]).to.deep.equal([dapp, 7n, alice.account.address, true]);
      const holdArgs = iface.decodeFunctionData("holdPolicy", await stub.lastCall(sel("holdPolicy")));
      expect(args[4]).to.equal(holdArgs[3]); // held as held
    });

    it("refuses a hold answer shorter than one word, with the data it got", async function () {
      const { sys, alice } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      const short = "0x" + "ff".repeat(31);
      await (await stub.setResponse(sel("hold"), short, false, false)).wait();
      await expectAA33(sys, [await creditOp({ ...sys, paymaster: pm }, alice)], short);
    });

    it("reads the ledger's validUntil at 48 bits: a word with bits above them set does not extend validity", async function () {
      const { sys, alice } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      // 48-bit value 1 (long past) with high garbage: read unmasked it would be huge and the price's bound would win
      await (await stub.setResponse(sel("hold"), word((1n << 255n) | 1n), false, false)).wait();
      await expect(
        sys.entryPoint
          .connect(sys.bundler)
          .handleOps([await creditOp({ ...sys, paymaster: pm }, alice)], await sys.bundler.getAddress()),
      )
        .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
        .withArgs(0, "AA32 paymaster expired or not due");
    });

    it("bubbles up a long revert of the hold verbatim", async function () {
      const { sys, alice } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      const big = "0x" + "ab".repeat(500); // not a whole number of words
      await (await stub.setResponse(sel("hold"), big, true, false)).wait();
      await expectAA33(sys, [await creditOp({ ...sys, paymaster: pm }, alice)], big);
    });

    it("bubbles up a settlement revert from postOp (the EntryPoint reports it; never swallowed as a success)", async function () {
      const { sys, alice } = await load();
      const { stub, pm, sel } = await stubLedger(sys);
      const reason = sys.ledger.interface.encodeErrorResult("CreditLedgerChargeExceedsHold", [2n, 1n]);
      await (await stub.setResponse(sel("settle"), reason, true, false)).wait();
      // the governance cap, not the default: the instrumented build of `npm run coverage` needs more than 150,000
      const op = await creditOp({ ...sys, paymaster: pm }, alice, {
        paymasterVerificationGasLimit: 300_000n,
      });
      const result = await handleOps(sys.entryPoint, [op], await sys.bundler.getAddress(), sys.bundler);
      expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([false]);
      expect(result.postOpRevertReasons).to.have.length(1);
      expect(result.postOpRevertReasons[0].revertReason).to.include(reason.slice(2));
    });
  });
}

describe("CreditPaymaster hot path (adversarial review: the price within a transaction, the assembly calls, the word-0 horizon)", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`EntryPoint v${version}`, function () {
      hotPath(version);
    });
  }
});
