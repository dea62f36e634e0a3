import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { Wallet, parseEther } from "ethers";
import { getAddress } from "viem";
import { toPackedUserOperation } from "viem/account-abstraction";
import type { Hex } from "viem";

import {
  CreditPaymasterRejectedError,
  DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT,
  RpcErrorCode,
  explainReason,
  createCreditsClient,
  encodePaymasterData,
  minPostOpGasLimit,
  reasonFromContractError,
  rejectionMessage,
  remainingAsOf,
  requiredPrefund,
  worstCaseCredits,
} from "../../src/client";
import type { CreditUserOperation, CreditsClient, RejectionReason } from "../../src/client";
import { CreditPaymaster__factory, PriceAdapter__factory } from "../../typechain-types";
import {
  CREDIT,
  ETH_USD,
  PRICE_WAD,
  buyCredits,
  creditOp,
  defaultPaymasterConfig,
  newUser,
} from "../helpers/system";
import { DUMMY_SIGNATURE, handleOps } from "../helpers/userop";
import type { User } from "../helpers/system";
import {
  NEVER,
  PAYER_ETH,
  SPONSORED_ALLOWANCE,
  TIGHT_ALLOWANCE,
  clientFixture,
  userOperation,
} from "./fixture";
import type { ClientFixture } from "./fixture";

const MARKUP = 10_500n;
const PAYMASTER_GAS = {
  paymasterVerificationGasLimit: DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT,
  /** Above the floor of these small operations (~56,000 for SPONSORED on v0.8). */
  paymasterPostOpGasLimit: 80_000n,
} as const;

async function setup() {
  const fx = await loadFixture(clientFixture);
  const credits = createCreditsClient({
    publicClient: fx.publicClient,
    paymaster: fx.paymaster,
    ledger: fx.ledger,
  });
  return { fx, credits };
}

/** `user`'s first operation through the paymaster, sponsored by the dApp (or SELF), with the default limits. */
function sponsoredOp(
  fx: ClientFixture,
  user: User,
  overrides: Partial<CreditUserOperation> = {},
): CreditUserOperation {
  return userOperation(fx, user, {
    paymaster: fx.paymaster,
    ...PAYMASTER_GAS,
    paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
    ...overrides,
  });
}

function selfOp(
  fx: ClientFixture,
  user: User,
  overrides: Partial<CreditUserOperation> = {},
): CreditUserOperation {
  return sponsoredOp(fx, user, { paymasterData: encodePaymasterData({ mode: "SELF" }), ...overrides });
}

/** The worst case of an op with the fixture's gas (at $3,000 and a 5% markup). */
const WORST_CASE = worstCaseCredits({ ...userOperationGas(), ...PAYMASTER_GAS }, PRICE_WAD, MARKUP);

function userOperationGas() {
  return {
    callGasLimit: 100_000n,
    verificationGasLimit: 500_000n,
    preVerificationGas: 50_000n,
    maxFeePerGas: 3_000_000_000n,
  };
}

/** Asserts explainRejection's reasons, and that the paymaster's own (simulated) verdict is the first of them. */
async function expectRejected(credits: CreditsClient, op: CreditUserOperation, reasons: RejectionReason[]) {
  expect(await credits.explainRejection(op)).to.deep.equal(reasons);
  expect(await credits.simulateValidation(op)).to.deep.equal({ ok: false, reason: reasons[0] });
}

describe("CreditsClient", function () {
  describe("#addresses", function () {
    it("reads the paymaster's ledger, price adapter, EntryPoint and version", async function () {
      const { fx, credits } = await setup();
      expect(await credits.addresses()).to.deep.equal({
        paymaster: fx.paymaster,
        ledger: fx.ledger,
        priceAdapter: fx.adapter,
        entryPoint: fx.entryPoint,
        entryPointVersion: "0.8",
      });
      expect(await credits.chainId()).to.equal(31337);
    });

    it("throws when the given ledger is not the paymaster's", async function () {
      const { fx } = await setup();
      const wrong = createCreditsClient({
        publicClient: fx.publicClient,
        paymaster: fx.paymaster,
        ledger: fx.adapter,
      });
      await expect(wrong.addresses()).to.be.rejectedWith(
        `paymaster ${fx.paymaster} uses ledger ${fx.ledger}, not ${fx.adapter}`,
      );
    });
  });

  describe("reads", function () {
    it("paymasterConfig returns the governance configuration as bigints", async function () {
      const { credits } = await setup();
      const d = defaultPaymasterConfig();
      expect(await credits.paymasterConfig()).to.deep.equal({
        maxCallGasLimit: BigInt(d.maxCallGasLimit),
        maxPreVerificationGas: BigInt(d.maxPreVerificationGas),
        maxVerificationGasLimit: BigInt(d.maxVerificationGasLimit),
        maxPaymasterVerificationGasLimit: BigInt(d.maxPaymasterVerificationGasLimit),
        maxPaymasterPostOpGasLimit: BigInt(d.maxPaymasterPostOpGasLimit),
        maxFeePerGas: BigInt(d.maxFeePerGas),
        maxCreditsPerOp: BigInt(d.maxCreditsPerOp),
        markupBps: MARKUP,
        maxPriceAge: 3_600n,
        paused: false,
        maxPriorityFeePerGas: BigInt(d.maxPriorityFeePerGas),
        postOpGasMargin: 0n,
      });
    });

    it("cachedPrice reports the price, its age against the latest block and staleness", async function () {
      const { fx, credits } = await setup();
      const [, updatedAt] = await fx.sys.adapter.cachedPrice();
      await time.increase(100);
      const now = BigInt(await time.latest());
      expect(await credits.cachedPrice()).to.deep.equal({
        priceWad: PRICE_WAD,
        updatedAt,
        age: now - updatedAt,
        maxPriceAge: 3_600n,
        validUntil: updatedAt + 3_600n,
        now,
        stale: false,
      });
      await time.increaseTo(updatedAt + 3_601n);
      expect((await credits.cachedPrice()).stale).to.equal(true);
    });

    it("balances and breakdown match the ledger", async function () {
      const { fx, credits } = await setup();
      const bought = (PAYER_ETH * 3_000n * CREDIT) / 10n ** 18n;
      expect(await credits.balanceOfCredits(fx.payer.account.address as Hex)).to.equal(bought);
      expect(await credits.spendableCredits(fx.payer.account.address as Hex)).to.equal(bought);
      expect(await credits.balanceOfCredits(fx.dapp)).to.equal(3_000n * CREDIT);
      const expiresAt = BigInt(await time.latest()) + 86_400n;
      await (
        await fx.sys.ledger.connect(fx.sys.issuer).grant(fx.payer.account.address, 5n * CREDIT, expiresAt)
      ).wait();
      expect(await credits.creditBreakdown(fx.payer.account.address as Hex)).to.deep.equal({
        purchased: bought,
        grants: [{ amount: 5n * CREDIT, expiresAt }],
        held: 0n,
        expiredUnswept: 0n,
      });
    });

    it("allowance and remainingAllowance match the ledger", async function () {
      const { fx, credits } = await setup();
      const sponsored = getAddress(fx.sponsored.account.address);
      const a = await fx.sys.ledger.allowance(fx.dapp, sponsored);
      expect(await credits.allowance(fx.dapp, sponsored)).to.deep.equal({
        limit: SPONSORED_ALLOWANCE,
        used: 0n,
        epochLength: 86_400n,
        anchor: a.anchor,
        usedEpoch: 0n,
        expiresAt: BigInt(NEVER),
      });
      expect(await credits.remainingAllowance(fx.dapp, sponsored)).to.equal(SPONSORED_ALLOWANCE);
      expect(await credits.remainingAllowance(fx.dapp, getAddress(fx.stranger.account.address))).to.equal(0n);
    });

    it("deposit is the paymaster's EntryPoint deposit", async function () {
      const { credits } = await setup();
      expect(await credits.deposit()).to.equal(parseEther("10"));
    });
  });

  describe("#estimateCredits", function () {
    it("gives the worst case of the contract's formula and the expected credits at the current gas price", async function () {
      const { fx, credits } = await setup();
      const op = sponsoredOp(fx, fx.sponsored);
      const estimate = await credits.estimateCredits(op);
      const block = await fx.publicClient.getBlock();
      const gasPrice = block.baseFeePerGas! + 1_000_000_000n;
      expect(estimate).to.deep.equal({
        worstCase: WORST_CASE,
        expected: (880_000n * gasPrice * PRICE_WAD * MARKUP + 10n ** 34n - 1n) / 10n ** 34n,
        prefund: requiredPrefund(op),
        gasPrice,
        priceWad: PRICE_WAD,
        markupBps: MARKUP,
      });
      expect(estimate.worstCase).to.equal(await fx.sys.paymaster.worstCaseCredits(requiredPrefund(op)));
    });
  });

  describe("#explainRejection", function () {
    it("returns no reason for a sponsored and a self-paid operation the paymaster accepts", async function () {
      const { fx, credits } = await setup();
      const [, updatedAt] = await fx.sys.adapter.cachedPrice();
      for (const op of [sponsoredOp(fx, fx.sponsored), selfOp(fx, fx.payer)]) {
        expect(await credits.explainRejection(op)).to.deep.equal([]);
        expect(await credits.simulateValidation(op)).to.deep.equal({
          ok: true,
          validUntil: updatedAt + 3_600n,
          validAfter: 0n,
        });
      }
    });

    it("reports an operation naming another paymaster, and nothing else", async function () {
      const { fx, credits } = await setup();
      const op = sponsoredOp(fx, fx.sponsored, { paymaster: fx.adapter, callGasLimit: 10n ** 9n });
      expect(await credits.explainRejection(op)).to.deep.equal([
        { kind: "wrongPaymaster", expected: fx.paymaster, actual: fx.adapter },
      ]);
    });

    it("reports every gas field above its cap, in the paymaster's order", async function () {
      const { fx, credits } = await setup();
      const op = sponsoredOp(fx, fx.sponsored, { callGasLimit: 2_000_001n, maxFeePerGas: 500_000_000_001n });
      const reasons = await credits.explainRejection(op);
      expect(reasons.slice(0, 2)).to.deep.equal([
        { kind: "gasLimitTooHigh", field: "callGasLimit", value: 2_000_001n, cap: 2_000_000n },
        { kind: "gasLimitTooHigh", field: "maxFeePerGas", value: 500_000_000_001n, cap: 500_000_000_000n },
      ]);
      expect(await credits.simulateValidation(op)).to.deep.equal({ ok: false, reason: reasons[0] });
    });

    it("reports a postOp gas limit below the floor of the operation's mode and size", async function () {
      const { fx, credits } = await setup();
      const op = sponsoredOp(fx, fx.sponsored);
      // With the signature counted at FLOOR_SIGNATURE_ALLOWANCE bytes: at least the paymaster's own floor.
      const minimum = minPostOpGasLimit("0.8", "SPONSORED", op);
      const packed = toPackedUserOperation({
        ...(op as Required<CreditUserOperation>),
        paymasterPostOpGasLimit: 0n,
        signature: DUMMY_SIGNATURE as Hex,
      });
      const onChain = await fx.sys.paymaster.minPostOpGasLimit(packed);
      expect(minimum).to.be.gte(onChain);
      expect(minimum - onChain).to.be.lte(40n, "the allowance costs ~0.6 gas per 32 bytes");
      expect(await credits.explainRejection({ ...op, paymasterPostOpGasLimit: minimum - 1n })).to.deep.equal([
        { kind: "postOpGasTooLow", value: minimum - 1n, minimum },
      ]);
      expect(await credits.explainRejection({ ...op, paymasterPostOpGasLimit: minimum })).to.deep.equal([]);
      // The paymaster's own verdict, on the signed operation's exact size.
      expect(
        await credits.simulateValidation({ ...op, paymasterPostOpGasLimit: onChain - 1n }),
      ).to.deep.equal({
        ok: false,
        reason: { kind: "postOpGasTooLow", value: onChain - 1n, minimum: onChain },
      });
      expect((await credits.simulateValidation({ ...op, paymasterPostOpGasLimit: onChain })).ok).to.equal(
        true,
      );
    });

    it("reports a worst case above the governance cap per operation", async function () {
      const { fx, credits } = await setup();
      await (
        await fx.sys.paymaster.setConfig({ ...defaultPaymasterConfig(), maxCreditsPerOp: CREDIT })
      ).wait();
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored), [
        { kind: "creditsPerOpTooHigh", credits: WORST_CASE, cap: CREDIT },
      ]);
    });

    it("reports a worst case above the user's own maxCredits", async function () {
      const { fx, credits } = await setup();
      const paymasterData = encodePaymasterData({ mode: "SELF", maxCredits: WORST_CASE - 1n });
      await expectRejected(credits, selfOp(fx, fx.payer, { paymasterData }), [
        { kind: "userLimitExceeded", credits: WORST_CASE, maxCredits: WORST_CASE - 1n },
      ]);
      const enough = encodePaymasterData({ mode: "SELF", maxCredits: WORST_CASE });
      expect(await credits.explainRejection(selfOp(fx, fx.payer, { paymasterData: enough }))).to.deep.equal(
        [],
      );
    });

    it("reports malformed paymaster data as the paymaster's custom errors do", async function () {
      const { fx, credits } = await setup();
      await expectRejected(credits, selfOp(fx, fx.payer, { paymasterData: "0x" }), [
        { kind: "invalidDataLength", mode: 0, length: 0, expected: 9 },
      ]);
      await expectRejected(credits, selfOp(fx, fx.payer, { paymasterData: "0x0100" }), [
        { kind: "invalidDataLength", mode: 1, length: 2, expected: 29 },
      ]);
      await expectRejected(credits, selfOp(fx, fx.payer, { paymasterData: "0x07" }), [
        { kind: "unknownMode", mode: 7 },
      ]);
      await expectRejected(credits, selfOp(fx, fx.payer, { paymasterData: `0x01${"00".repeat(28)}` }), [
        { kind: "zeroSponsor" },
      ]);
    });

    it("reports a missing, an exceeded and an expired allowance", async function () {
      const { fx, credits } = await setup();
      const stranger = getAddress(fx.stranger.account.address);
      await expectRejected(credits, sponsoredOp(fx, fx.stranger), [
        { kind: "noAllowance", sponsor: fx.dapp, beneficiary: stranger },
      ]);
      const tight = getAddress(fx.tight.account.address);
      await expectRejected(credits, sponsoredOp(fx, fx.tight), [
        {
          kind: "allowanceExceeded",
          sponsor: fx.dapp,
          beneficiary: tight,
          needed: WORST_CASE,
          remaining: TIGHT_ALLOWANCE,
        },
      ]);
      const expiresAt = BigInt(await time.latest()) + 100n;
      await (
        await fx.sys.ledger
          .connect(fx.sys.dapp)
          .setAllowance(stranger, SPONSORED_ALLOWANCE, 86_400, expiresAt)
      ).wait();
      expect(await credits.explainRejection(sponsoredOp(fx, fx.stranger))).to.deep.equal([]);
      await time.increaseTo(expiresAt);
      expect(await credits.explainRejection(sponsoredOp(fx, fx.stranger))).to.deep.equal([
        { kind: "allowanceExpired", sponsor: fx.dapp, beneficiary: stranger, expiresAt },
      ]);
    });

    it("reports a sender whose credit account was recovered: the recovery ended its allowances", async function () {
      const { fx, credits } = await setup();
      const sponsored = getAddress(fx.sponsored.account.address);
      const recoveredTo = getAddress(Wallet.createRandom().address);
      // The sponsored user's credit account exists (a purchase opened it) and is recovered to a new address.
      await buyCredits(fx.sys, fx.sys.outsider, sponsored, 10n ** 15n);
      await (await fx.sys.ledger.setRecoveryDelay(0)).wait();
      await (await fx.sys.ledger.initiateRecovery(sponsored, recoveredTo)).wait();
      await (await fx.sys.ledger.executeRecovery(sponsored)).wait();
      // Reported instead of the allowance it ended (remainingAllowance is now 0), in the stub stage too.
      const reasons: RejectionReason[] = [{ kind: "accountRecovered", account: sponsored, recoveredTo }];
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored), reasons);
      expect(await credits.explainRejection(sponsoredOp(fx, fx.sponsored), { stage: "stub" })).to.deep.equal(
        reasons,
      );
      expect(new CreditPaymasterRejectedError(reasons).code).to.equal(RpcErrorCode.NO_ALLOWANCE);
    });

    it("judges the allowance at the cached price's time, as the ledger does, not at the latest block", async function () {
      const { fx, credits } = await setup();
      // A 10-minute epoch: spend in it, then move to the next epoch without refreshing the price.
      const user = await newUser(fx.sys, 9n);
      const beneficiary = getAddress(user.account.address);
      const limit = WORST_CASE + CREDIT / 2n;
      await (await fx.sys.ledger.connect(fx.sys.dapp).setAllowance(beneficiary, limit, 600, NEVER)).wait();
      await handleOps(
        fx.sys.entryPoint,
        [await creditOp(fx.sys, user, { sponsor: fx.dapp, callGasLimit: 100_000n, ...PAYMASTER_GAS })],
        await fx.sys.bundler.getAddress(),
        fx.sys.bundler,
      );
      const spent = (await fx.sys.ledger.allowance(fx.dapp, beneficiary)).used;
      expect(spent).to.be.greaterThan(CREDIT / 2n);
      await time.increase(700);
      const second = sponsoredOp(fx, user, { factory: undefined, factoryData: undefined, nonce: 1n });
      expect(await credits.remainingAllowance(fx.dapp, beneficiary)).to.equal(limit);
      await expectRejected(credits, second, [
        {
          kind: "allowanceExceeded",
          sponsor: fx.dapp,
          beneficiary,
          needed: WORST_CASE,
          remaining: limit - spent,
        },
      ]);
      const allowance = await credits.allowance(fx.dapp, beneficiary);
      const [, priceTime] = await fx.sys.adapter.cachedPrice();
      expect(remainingAsOf(allowance, priceTime)).to.equal(limit - spent);
      expect(remainingAsOf(allowance, priceTime + 700n)).to.equal(limit);
      expect(remainingAsOf({ ...allowance, epochLength: 0n }, priceTime)).to.equal(limit);
    });

    it("reports a payer without enough spendable credits", async function () {
      const { fx, credits } = await setup();
      const broke = getAddress(fx.broke.account.address);
      await expectRejected(credits, selfOp(fx, fx.broke), [
        { kind: "insufficientCredits", account: broke, needed: WORST_CASE, available: 0n },
      ]);
    });

    it("reports a paused paymaster and a paused ledger", async function () {
      const { fx, credits } = await setup();
      await (await fx.sys.paymaster.connect(fx.sys.guardian).setPaused(true)).wait();
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored), [
        { kind: "paymasterPaused", paymaster: fx.paymaster },
      ]);
      await (await fx.sys.paymaster.setPaused(false)).wait();
      await (await fx.sys.ledger.connect(fx.sys.guardian).pause()).wait();
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored), [
        { kind: "ledgerPaused", ledger: fx.ledger },
      ]);
    });

    it("reports a paymaster that is not a spender of its ledger", async function () {
      const { fx, credits } = await setup();
      await (await fx.sys.ledger.removeSpender(fx.paymaster)).wait();
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored), [
        { kind: "paymasterNotSpender", paymaster: fx.paymaster, ledger: fx.ledger },
      ]);
    });

    it("reports a stale price, whose validUntil the paymaster returns but the EntryPoint refuses", async function () {
      const { fx, credits } = await setup();
      const [, updatedAt] = await fx.sys.adapter.cachedPrice();
      await time.increaseTo(updatedAt + 3_601n);
      const op = sponsoredOp(fx, fx.sponsored);
      expect(await credits.explainRejection(op)).to.deep.equal([
        {
          kind: "stalePrice",
          updatedAt,
          maxPriceAge: 3_600n,
          validUntil: updatedAt + 3_600n,
          now: updatedAt + 3_601n,
          margin: 0n,
        },
      ]);
      expect(await credits.simulateValidation(op)).to.deep.equal({
        ok: true,
        validUntil: updatedAt + 3_600n,
        validAfter: 0n,
      });
      // With a margin, a price that is still valid but about to expire is reported too.
      await (await fx.sys.feed.updateAnswer(ETH_USD)).wait();
      await (await fx.sys.adapter.refreshCachedPrice()).wait();
      const [, refreshedAt] = await fx.sys.adapter.cachedPrice();
      await time.increaseTo(refreshedAt + 3_590n);
      expect(await credits.explainRejection(op, { validityMargin: 30n })).to.deep.equal([
        {
          kind: "stalePrice",
          updatedAt: refreshedAt,
          maxPriceAge: 3_600n,
          validUntil: refreshedAt + 3_600n,
          now: refreshedAt + 3_590n,
          margin: 30n,
        },
      ]);
    });

    it("reports an adapter that never cached a price", async function () {
      const { fx } = await setup();
      const primary = await fx.sys.adapter.primaryFeed();
      const adapter = await new PriceAdapter__factory(fx.sys.admin).deploy(
        fx.sys.admin,
        {
          feed: primary.feed,
          heartbeat: primary.heartbeat,
          minAnswer: primary.minAnswer,
          maxAnswer: primary.maxAnswer,
        },
        "ETH / USD",
      );
      const paymaster = await new CreditPaymaster__factory(fx.sys.admin).deploy(
        fx.entryPoint,
        fx.ledger,
        adapter,
        fx.sys.admin,
        defaultPaymasterConfig(),
        0,
        0,
        { value: parseEther("1") },
      );
      await (await fx.sys.ledger.addSpender(paymaster)).wait();
      const address = getAddress(await paymaster.getAddress());
      const credits = createCreditsClient({ publicClient: fx.publicClient, paymaster: address });
      await expect(credits.cachedPrice()).to.be.rejectedWith(
        `the price adapter ${await adapter.getAddress()} has no cached price`,
      );
      await expect(credits.estimateCredits(sponsoredOp(fx, fx.sponsored))).to.be.rejectedWith(
        "has no cached price",
      );
      await expectRejected(credits, sponsoredOp(fx, fx.sponsored, { paymaster: address }), [
        { kind: "noCachedPrice" },
      ]);
    });

    it("reports a paymaster deposit below the operation's prefund", async function () {
      const { fx, credits } = await setup();
      const op = sponsoredOp(fx, fx.sponsored);
      const keep = requiredPrefund(op) - 1n;
      await (
        await fx.sys.paymaster.withdrawTo(await fx.sys.admin.getAddress(), parseEther("10") - keep)
      ).wait();
      expect(await credits.explainRejection(op)).to.deep.equal([
        { kind: "insufficientDeposit", paymaster: fx.paymaster, deposit: keep, needed: requiredPrefund(op) },
      ]);
    });

    it("in the stub stage, skips the gas checks and asks the payer for at least one credit", async function () {
      const { fx, credits } = await setup();
      const unknownGas = {
        callGasLimit: 0n,
        verificationGasLimit: 0n,
        preVerificationGas: 0n,
        maxFeePerGas: 0n,
      };
      const options = { stage: "stub" } as const;
      expect(
        await credits.explainRejection(sponsoredOp(fx, fx.sponsored, unknownGas), options),
      ).to.deep.equal([]);
      expect(
        await credits.explainRejection(sponsoredOp(fx, fx.tight, { callGasLimit: 10n ** 8n }), options),
      ).to.deep.equal([
        {
          kind: "allowanceExceeded",
          sponsor: fx.dapp,
          beneficiary: getAddress(fx.tight.account.address),
          needed: worstCaseCredits(
            { ...userOperationGas(), ...PAYMASTER_GAS, callGasLimit: 10n ** 8n },
            PRICE_WAD,
            MARKUP,
          ),
          remaining: TIGHT_ALLOWANCE,
        },
      ]);
      expect(await credits.explainRejection(selfOp(fx, fx.broke, unknownGas), options)).to.deep.equal([
        {
          kind: "insufficientCredits",
          account: getAddress(fx.broke.account.address),
          needed: 1n,
          available: 0n,
        },
      ]);
      expect(await credits.explainRejection(sponsoredOp(fx, fx.stranger, unknownGas), options)).to.deep.equal(
        [{ kind: "noAllowance", sponsor: fx.dapp, beneficiary: getAddress(fx.stranger.account.address) }],
      );
    });
  });
});

describe("rejection reasons", function () {
  describe("#reasonFromContractError", function () {
    const context = {
      paymaster: getAddress("0x0000000000000000000000000000000000000001"),
      ledger: getAddress("0x0000000000000000000000000000000000000002"),
    };

    it("maps an expired allowance and a recovered sender, and keeps unknown errors and gas fields as validationReverted", function () {
      const sponsor = getAddress("0x0000000000000000000000000000000000000003");
      expect(
        reasonFromContractError("CreditLedgerAllowanceExpired", [sponsor, sponsor, 5n], context),
      ).to.deep.equal({
        kind: "allowanceExpired",
        sponsor,
        beneficiary: sponsor,
        expiresAt: 5n,
      });
      const to = getAddress("0x0000000000000000000000000000000000000004");
      expect(reasonFromContractError("CreditLedgerAccountRecovered", [sponsor, to], context)).to.deep.equal({
        kind: "accountRecovered",
        account: sponsor,
        recoveredTo: to,
      });
      expect(reasonFromContractError("CreditPaymasterGasLimitTooHigh", [9, 1n, 0n], context)).to.deep.equal({
        kind: "validationReverted",
        error: "CreditPaymasterGasLimitTooHigh",
        args: ["9", "1", "0"],
      });
      expect(reasonFromContractError("PriceAdapterStalePrice", ["0xfeed", 1n, 2n], context)).to.deep.equal({
        kind: "validationReverted",
        error: "PriceAdapterStalePrice",
        args: ["0xfeed", "1", "2"],
      });
    });

    it("rejects arguments of the wrong type", function () {
      expect(() => reasonFromContractError("CreditPaymasterUnknownMode", ["x"], context)).to.throw(
        TypeError,
        "expected an integer argument, got x",
      );
      expect(() => reasonFromContractError("CreditLedgerNoAllowance", [1n, 2n], context)).to.throw(
        TypeError,
        "expected an address argument, got 1",
      );
    });
  });

  describe("CreditPaymasterRejectedError", function () {
    it("carries every reason with its message and the code of the first", function () {
      const account = getAddress("0x0000000000000000000000000000000000000004");
      const error = new CreditPaymasterRejectedError([
        { kind: "insufficientCredits", account, needed: 1_500_000n, available: 250_000n },
        { kind: "noCachedPrice" },
      ]);
      expect(error.message).to.equal(
        `rejected by the credit paymaster: ${account} has 0.25 credits spendable, needs 1.5 credits (worst case); ` +
          "the price adapter has no cached price",
      );
      expect(error.code).to.equal(RpcErrorCode.INSUFFICIENT_CREDITS);
      expect(error.reasons.map((r) => r.code)).to.deep.equal([-32014, -32011]);
      expect(new CreditPaymasterRejectedError([]).code).to.equal(RpcErrorCode.VALIDATION_REVERTED);
    });

    it("has a readable message for every kind", function () {
      const a = getAddress("0x0000000000000000000000000000000000000005");
      const reasons: RejectionReason[] = [
        { kind: "wrongPaymaster", expected: a, actual: a },
        { kind: "paymasterPaused", paymaster: a },
        { kind: "ledgerPaused", ledger: a },
        { kind: "paymasterNotSpender", paymaster: a, ledger: a },
        { kind: "invalidDataLength", mode: 0, length: 1, expected: 9 },
        { kind: "unknownMode", mode: 3 },
        { kind: "zeroSponsor" },
        { kind: "gasLimitTooHigh", field: "preVerificationGas", value: 2n, cap: 1n },
        { kind: "postOpGasTooLow", value: 1n, minimum: 45_000n },
        { kind: "creditsPerOpTooHigh", credits: 2n * CREDIT, cap: CREDIT },
        { kind: "userLimitExceeded", credits: 2n * CREDIT, maxCredits: CREDIT },
        { kind: "noCachedPrice" },
        { kind: "stalePrice", updatedAt: 1n, maxPriceAge: 2n, validUntil: 3n, now: 4n, margin: 0n },
        { kind: "insufficientCredits", account: a, needed: 2n, available: 1n },
        { kind: "noAllowance", sponsor: a, beneficiary: a },
        { kind: "allowanceExpired", sponsor: a, beneficiary: a, expiresAt: 9n },
        { kind: "accountRecovered", account: a, recoveredTo: a },
        { kind: "allowanceExceeded", sponsor: a, beneficiary: a, needed: 2n, remaining: 1n },
        { kind: "insufficientDeposit", paymaster: a, deposit: 1n, needed: 2n },
        { kind: "policyNotActive", sponsor: a, policyId: 1n, status: "None" },
        { kind: "policyNotActive", sponsor: a, policyId: 1n, status: "Paused" },
        { kind: "policyNotStarted", sponsor: a, policyId: 1n, start: 9n, now: 4n },
        { kind: "policyEnded", sponsor: a, policyId: 1n, end: 9n },
        { kind: "policyOpCreditsExceeded", sponsor: a, policyId: 1n, limit: CREDIT, required: 2n * CREDIT },
        { kind: "policyBudgetExceeded", sponsor: a, policyId: 1n, remaining: 0n, required: CREDIT },
        { kind: "policyUserCreditsExceeded", user: a, policyId: 1n, remaining: 1n, required: 2n },
        { kind: "policyUserOpsExceeded", user: a, policyId: 1n, limit: 20n },
        { kind: "policyApprovalInvalid", sponsor: a, policyId: 1n, signer: a },
        { kind: "policySignerMismatch", sponsor: a, policyId: 1n, policySigner: a, serviceSigner: null },
        { kind: "policyNotServed", sponsor: a, policyId: 1n },
        { kind: "policyRule", rule: "targets", sponsor: a, policyId: 1n, detail: "call 0 goes to X" },
        { kind: "validationReverted", error: "X", args: ["1"] },
      ];
      expect(reasons.map(rejectionMessage)).to.deep.equal([
        `the operation names paymaster ${a}, not ${a}`,
        `the paymaster ${a} is paused`,
        `the credit ledger ${a} is paused`,
        `the paymaster ${a} is not an authorised spender of the ledger ${a}`,
        "paymaster data of mode 0 has 1 bytes, expected 9",
        "paymaster data names unknown mode 3 (0 = SELF, 1 = SPONSORED, 2 = POLICY)",
        "paymaster data names the zero address as sponsor",
        "preVerificationGas 2 exceeds the paymaster's cap 1",
        "paymasterPostOpGasLimit 1 is below the minimum 45000 for this operation: what postOp needs plus the gas the " +
          "EntryPoint bills outside every limit, which grows with the operation's size (set it to " +
          "CreditPaymaster.minPostOpGasLimit(op), as the client and the paymaster service do)",
        "the operation may cost up to 2 credits, above the cap of 1 credits per operation",
        "the operation may cost up to 2 credits, above the user's limit of 1 credits",
        "the price adapter has no cached price",
        "the cached price (updated at 1, maxPriceAge 2 s) is valid until 3, before now (4): refresh it with " +
          "refreshCachedPrice() (`npx hardhat price:refresh`; on a local chain, whose mock feed never updates by " +
          "itself: `npx hardhat price:set --network localhost`)",
        `${a} has 0.000001 credits spendable, needs 0.000002 credits (worst case)`,
        `sponsor ${a} gave ${a} no allowance`,
        `the allowance of ${a} from sponsor ${a} expired at 9`,
        `the credit account of ${a} was recovered to ${a}, which ended every allowance given to ${a}: a sponsor must give ${a} a new allowance`,
        `the allowance of ${a} from sponsor ${a} has 0.000001 credits left this epoch, needs 0.000002 credits (worst case)`,
        "the paymaster's EntryPoint deposit (1 wei) does not cover the prefund (2 wei)",
        `sponsor ${a} has no policy 1`,
        `policy 1 of sponsor ${a} is paused`,
        `policy 1 of sponsor ${a} starts at 9, after now (4)`,
        `policy 1 of sponsor ${a} ended at 9`,
        "the operation may cost up to 2 credits, above policy 1's limit of 1 credits per operation (lower its gas limits)",
        `policy 1 of sponsor ${a} has 0 credits left this epoch for all users, needs 1 credits (worst case): its epoch budget is spent`,
        `${a} has 0.000001 credits left under policy 1 this epoch, needs 0.000002 credits (worst case)`,
        `${a} made all 20 operations policy 1 allows per epoch`,
        `policy 1 of sponsor ${a} needs an approval signed by ${a}; the operation carries none valid (AA34): get the paymaster data from the sponsor's paymaster service`,
        `policy 1 of sponsor ${a} is signed by ${a}, not by this service's key (none configured): configure that key or rotate the policy's signer`,
        `this paymaster service has no policy file for policy 1 of sponsor ${a}`,
        `refused by rule "targets" of policy 1 of sponsor ${a}: call 0 goes to X`,
        "the paymaster's validation reverted with X(1)",
      ]);
      expect(reasons.slice(-13, -1).map((r) => explainReason(r).code)).to.deep.equal([
        -32020, -32020, -32020, -32020, -32021, -32022, -32023, -32023, -32024, -32024, -32030, -32034,
      ]);
    });
  });
});
