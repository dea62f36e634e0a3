/**
 * Issue F1 (critical): the EntryPoint's low-prefund path. When the gas the EntryPoint bills for an operation exceeds
 * its prefund, EntryPoint v0.7 and v0.8 revert `innerHandleOp` (`INNER_REVERT_LOW_PREFUND`): the call and postOp's
 * settlement are rolled back, and the whole prefund is taken from the paymaster's deposit. Hostile operations (a call
 * that burns its gas and reverts with 2,048 bytes, verification limits at the smallest the EntryPoint accepts,
 * padded call data, the `executeUserOp` route) drove the billed gas past the prefund at the old postOp floor of
 * 45,000; the floor now grows with the operation's size (`EntryPointGas`). Also F3 (the priority fee a self-bundler
 * keeps) and F6 (a failing feed must not tax every operation).
 *
 * `TestLowFloorPaymaster` is the real paymaster with the floor set by the test: lowering it removes the defence, and
 * the same operation then drains the deposit, which the solvency check reports.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import type { Signer } from "ethers";

import { TestFeed__factory, TestLowFloorPaymaster__factory } from "../../typechain-types";
import type { CreditPaymaster, TestHostileAccount, TestLowFloorPaymaster } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import {
  MAX_REVERT_REASON,
  WORST_SHAPE,
  deployHostileAccount,
  hostileOp,
  totalGasLimits,
  withSmallestVerificationLimits,
} from "../helpers/hostile";
import type { HostileShape } from "../helpers/hostile";
import {
  creditsForGasCost,
  expectSolvent,
  GasField,
  selfPaymasterData,
  sponsoredPaymasterData,
  underCoverage,
} from "../helpers/paymaster";
import { CREDIT, ETH_USD, buyCredits, defaultPaymasterConfig, deploySystem } from "../helpers/system";
import type { System } from "../helpers/system";
import { handleOps } from "../helpers/userop";
import type { HandleOpsResult, PackedUserOperation } from "../helpers/userop";

const MARKUP = 10_500n;
const DAY = 86_400n;
const NEVER = 2n ** 32n - 1n;
/** The gas price of every hostile operation: the priority-fee cap of the test configuration, as both fees. */
const FEE = defaultPaymasterConfig().maxPriorityFeePerGas;
/** The smallest call gas limit that lets the hostile call burn and revert with 2,048 bytes. */
const CALL_GAS = 30_000n;
/**
 * The postOp floor of the code under attack (commit 1667b75, `MIN_POST_OP_GAS` = 45,000), less what postOp has saved
 * since by no longer emitting the paymaster's own event (~2,600 gas): the same margin below postOp's real need.
 */
const OLD_MIN_POST_OP_GAS = 45_000n - 3_000n;

type PayerState = "purchased" | "grants";
type ModeName = "SELF" | "SPONSORED";

interface Fixture {
  sys: System;
  /** SELF payer holding purchased credits. */
  hostile: TestHostileAccount;
  /** SELF payer holding grant buckets (one expired, the charge spans two) and a little purchased credit. */
  granted: TestHostileAccount;
  /** The sender of SPONSORED operations (the dApp sponsors it; the dApp holds purchased credits). */
  sponsoredUser: TestHostileAccount;
  /** The sender of SPONSORED operations paid by the grant-holding sponsor. */
  grantSponsoredUser: TestHostileAccount;
  dapp: string;
  /** A sponsor holding only grant buckets. */
  grantSponsor: string;
  low: TestLowFloorPaymaster;
  beneficiary: string;
}

async function giveGrantBuckets(sys: System, account: string): Promise<void> {
  const now = BigInt(await time.latest());
  // Four buckets; the first expires in 100 s (then skipped, not swept), the charge spans the next two.
  const grants: [bigint, bigint][] = [
    [30n * CREDIT, now + 100n],
    [1n * CREDIT, now + 10_000n],
    [40n * CREDIT, now + 20_000n],
    [40n * CREDIT, now + 30_000n],
  ];
  for (const [amount, expiry] of grants) {
    await (await sys.ledger.connect(sys.issuer).grant(account, amount, expiry)).wait();
  }
}

async function fixture(version: EntryPointVersion): Promise<Fixture> {
  const sys = await deploySystem(version);
  const [hostile, granted, sponsoredUser, grantSponsoredUser] = await Promise.all(
    [0, 1, 2, 3].map(() => deployHostileAccount(sys.admin)),
  );
  const dapp = await sys.dapp.getAddress();
  const grantSponsor = await sys.outsider.getAddress();
  await buyCredits(sys, sys.admin, await hostile.getAddress(), parseEther("0.1"));
  await buyCredits(sys, sys.admin, await granted.getAddress(), parseEther("0.0000001"));
  await giveGrantBuckets(sys, await granted.getAddress());
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  await giveGrantBuckets(sys, grantSponsor);
  await (
    await sys.ledger
      .connect(sys.dapp)
      .setAllowance(await sponsoredUser.getAddress(), 1_000n * CREDIT, DAY, NEVER)
  ).wait();
  await (
    await sys.ledger
      .connect(sys.outsider)
      .setAllowance(await grantSponsoredUser.getAddress(), 1_000n * CREDIT, DAY, NEVER)
  ).wait();
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
  await time.increase(200); // the first grant bucket of each grant holder has expired
  await (await sys.feed.updateAnswer(ETH_USD)).wait();
  await (await sys.adapter.refreshCachedPrice()).wait();
  return {
    sys,
    hostile,
    granted,
    sponsoredUser,
    grantSponsoredUser,
    dapp,
    grantSponsor,
    low,
    beneficiary: await sys.bundler.getAddress(),
  };
}

const fixtures = { "0.7": () => fixture("0.7"), "0.8": () => fixture("0.8") } as const;

/** The sender and the paymaster data of a case. */
async function caseParties(fx: Fixture, mode: ModeName, state: PayerState) {
  if (mode === "SELF") {
    const account = state === "purchased" ? fx.hostile : fx.granted;
    return { sender: await account.getAddress(), paymasterData: selfPaymasterData() };
  }
  const account = state === "purchased" ? fx.sponsoredUser : fx.grantSponsoredUser;
  const sponsor = state === "purchased" ? fx.dapp : fx.grantSponsor;
  return { sender: await account.getAddress(), paymasterData: sponsoredPaymasterData(sponsor) };
}

/**
 * A hostile operation through `paymaster` with the smallest verification limits the EntryPoint accepts and
 * `postOpGas(op)` as its postOp limit (by default the paymaster's own minimum for it).
 */
async function attack(
  fx: Fixture,
  paymaster: CreditPaymaster | TestLowFloorPaymaster,
  mode: ModeName,
  state: PayerState,
  shape: HostileShape,
  postOpGas?: (op: PackedUserOperation) => Promise<bigint>,
): Promise<PackedUserOperation> {
  const { sys } = fx;
  const { sender, paymasterData } = await caseParties(fx, mode, state);
  const fields = {
    sender,
    nonce: await sys.entryPoint.getNonce(sender, 0),
    paymaster: await paymaster.getAddress(),
    paymasterData,
    shape,
    callGasLimit: CALL_GAS,
    verificationGasLimit: 900_000n,
    paymasterVerificationGasLimit: 300_000n,
    paymasterPostOpGasLimit: 0n,
    feePerGas: FEE,
  };
  const probe = hostileOp(fields);
  const pogl = postOpGas === undefined ? await paymaster.minPostOpGasLimit(probe) : await postOpGas(probe);
  return withSmallestVerificationLimits(
    sys.entryPoint,
    hostileOp({ ...fields, paymasterPostOpGasLimit: pogl }),
    sys.bundler,
  );
}

/** Sends `op` alone and returns the result with the paymaster's deposit change. */
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

function spent(fx: Fixture, result: HandleOpsResult): bigint {
  let total = 0n;
  for (const log of result.receipt.logs) {
    if (log.address !== fx.sys.ledger.target) continue;
    const parsed = fx.sys.ledger.interface.parseLog(log);
    if (parsed?.name === "CreditsSpent") total += parsed.args.amount as bigint;
  }
  return total;
}

const SHAPES: [string, HostileShape][] = [
  ["2,048-byte revert reason", WORST_SHAPE],
  [
    "2,048-byte revert reason, 16 KB of call data through executeUserOp",
    { ...WORST_SHAPE, padding: 16_384, executeUserOp: true },
  ],
];
/** The largest shape, run for the heavier payer (grant buckets) only: each case takes ~10 s. */
const LARGE_SHAPE: [string, HostileShape] = [
  "2,048-byte revert reason, 128 KB of call data",
  { ...WORST_SHAPE, padding: 131_072 },
];

describe("Security: the EntryPoint's low-prefund path, priority fees and refresh retries (issue 11)", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(fixtures[version]);

      describe("F1: the billed gas never exceeds the prefund", function () {
        it("without the unmetered reserve, the hostile operation drains the deposit and burns no credit (defence removed)", async function () {
          // Instrumented postOp and settlement (hardhat coverage) do not fit the bare POST_OP_GAS_* the lowered floor
          // leaves them: the demonstration is about real gas, and runs in `npm test`.
          if (underCoverage()) this.skip();
          const fx = await load();
          for (const mode of ["SELF", "SPONSORED"] as const) {
            const need =
              mode === "SELF" ? await fx.low.POST_OP_GAS_SELF() : await fx.low.POST_OP_GAS_SPONSORED();
            await (await fx.low.setFloor(need)).wait();
            const op = await attack(fx, fx.low, mode, "purchased", WORST_SHAPE, async () => need);
            const { result, depositPaid } = await send(fx, fx.low, op);
            expect(result.prefundTooLow, `${mode}: UserOperationPrefundTooLow`).to.have.length(1);
            expect(depositPaid, `${mode}: the deposit paid the whole prefund`).to.equal(
              totalGasLimits(op) * FEE,
            );
            expect(spent(fx, result), `${mode}: no credit burned`).to.equal(0n);
            expect(() => expectSolvent(fx.low, result, [op], MARKUP)).to.throw(/UserOperationPrefundTooLow/);
          }
        });

        if (version === "0.7") {
          it("the finding as reported: a sponsored hostile operation at the old floor (45,000, less the event since dropped) ends in PrefundTooLow", async function () {
            const fx = await load();
            await (await fx.low.setFloor(OLD_MIN_POST_OP_GAS)).wait();
            const op = await attack(
              fx,
              fx.low,
              "SPONSORED",
              "purchased",
              WORST_SHAPE,
              async () => OLD_MIN_POST_OP_GAS,
            );
            const { result, depositPaid } = await send(fx, fx.low, op);
            expect(result.prefundTooLow).to.have.length(1);
            expect(depositPaid).to.be.gt(0n);
            expect(spent(fx, result)).to.equal(0n);
            // The real paymaster refuses that postOp limit for this operation.
            const floor = await fx.sys.paymaster.minPostOpGasLimit(op);
            expect(floor).to.be.gt(OLD_MIN_POST_OP_GAS);
          });
        }

        for (const mode of ["SELF", "SPONSORED"] as const) {
          for (const state of ["purchased", "grants"] as const) {
            for (const [label, shape] of state === "grants" ? [...SHAPES, LARGE_SHAPE] : SHAPES) {
              it(`holds at the postOp floor: ${mode}, payer with ${state} credits, ${label}`, async function () {
                const fx = await load();
                const op = await attack(fx, fx.sys.paymaster, mode, state, shape);
                const { result, depositPaid } = await send(fx, fx.sys.paymaster, op);
                expect(result.userOperationEvents).to.have.length(1);
                const ev = result.userOperationEvents[0];
                expect(ev.success, "the hostile call reverted").to.equal(false);
                expect(result.userOperationRevertReasons[0].revertReason).to.have.length(
                  2 + 2 * MAX_REVERT_REASON,
                );
                const [charge] = expectSolvent(fx.sys.paymaster, result, [op], MARKUP);
                expect(depositPaid).to.equal(ev.actualGasCost);
                expect(charge.creditsCharged).to.be.gte(
                  creditsForGasCost(depositPaid, charge.priceWad, MARKUP),
                );
                // Billed gas within the prefund: the margin is what the reserve left over.
                expect(totalGasLimits(op) - ev.actualGasUsed, "gas limits - billed gas").to.be.gte(0n);
              });
            }
          }
        }

        it("postOpGasMargin raises the floor and the gas postOp charges for by exactly the margin", async function () {
          const fx = await load();
          const { sys } = fx;
          const margin = 10_000n;
          const probe = await attack(fx, sys.paymaster, "SPONSORED", "purchased", WORST_SHAPE);
          const floor = await sys.paymaster.minPostOpGasLimit(probe);
          // One operation with room for the margin, sent without it and (from the same state) with it.
          const op = await attack(
            fx,
            sys.paymaster,
            "SPONSORED",
            "purchased",
            WORST_SHAPE,
            async () => floor + margin,
          );
          const snapshot = await ethers.provider.send("evm_snapshot", []);
          const without = await send(fx, sys.paymaster, op);
          const [plain] = expectSolvent(sys.paymaster, without.result, [op], MARKUP);
          await ethers.provider.send("evm_revert", [snapshot]);
          const current = await sys.paymaster.config();
          await (
            await sys.paymaster.setConfig({
              ...defaultPaymasterConfig(),
              postOpGasMargin: current.postOpGasMargin + margin,
            })
          ).wait();
          expect(await sys.paymaster.minPostOpGasLimit(op)).to.equal(floor + margin);
          const withMargin = await send(fx, sys.paymaster, op);
          const [charged] = expectSolvent(sys.paymaster, withMargin.result, [op], MARKUP);
          // The margin changes what is charged, not what is billed (instrumented code under coverage bills a few
          // gas more for reading the larger margin).
          const billedMore =
            withMargin.result.userOperationEvents[0].actualGasCost -
            without.result.userOperationEvents[0].actualGasCost;
          if (!underCoverage()) expect(billedMore, "billed gas unchanged").to.equal(0n);
          expect(charged.gasCostWei - plain.gasCostWei - billedMore).to.be.closeTo(
            margin * FEE,
            underCoverage() ? 200n * FEE : 0n,
          );
          // Below the raised floor the operation is refused.
          const pmd = op.paymasterAndData;
          const short = {
            ...op,
            nonce: op.nonce + 1n,
            paymasterAndData: ethers.concat([
              ethers.dataSlice(pmd, 0, 36),
              ethers.solidityPacked(["uint128"], [floor]),
              ethers.dataSlice(pmd, 52),
            ]),
          };
          await expect(sys.entryPoint.connect(sys.bundler).handleOps([short], fx.beneficiary))
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
            .withArgs(
              0n,
              "AA33 reverted",
              sys.paymaster.interface.encodeErrorResult("CreditPaymasterPostOpGasTooLow", [
                floor,
                floor + margin,
              ]),
            );
        });

        it("stays solvent when the bundler starves postOp through the 63/64 rule (the smallest gas the bundle accepts)", async function () {
          const fx = await load();
          for (const mode of ["SELF", "SPONSORED"] as const) {
            const op = await attack(fx, fx.sys.paymaster, mode, "grants", WORST_SHAPE);
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
            expect(result.postOpRevertReasons, `${mode}: postOp never runs out of gas`).to.have.length(0);
            expectSolvent(fx.sys.paymaster, result, [op], MARKUP);
          }
        });

        it("refreshes the price in postOp only when the refresh cannot eat into the reserve, and stays solvent", async function () {
          const fx = await load();
          const { sys } = fx;
          // A feed that burns all the gas it is given: the refresh fails after using its whole budget.
          const burner = await new TestFeed__factory(sys.admin).deploy(8);
          const now = BigInt(await time.latest());
          await (await burner.setRoundData(1, ETH_USD, now, now)).wait();
          await (
            await sys.adapter.setPrimaryFeed({
              feed: burner,
              heartbeat: 3_600,
              minAnswer: 10n ** 8n,
              maxAnswer: 1_000_000n * 10n ** 8n,
            })
          ).wait();
          await (await sys.adapter.refreshCachedPrice()).wait();
          await (await burner.setMode(4)).wait(); // BurnGas
          await time.increase(1_900); // the cache is older than maxPriceAge / 2: a refresh is due
          const floorOf = (op: PackedUserOperation) => sys.paymaster.minPostOpGasLimit(op);
          // The smallest postOp limit at which postOp tries the refresh.
          const attempts = async (pogl: bigint) => {
            const op = await attack(fx, sys.paymaster, "SPONSORED", "grants", WORST_SHAPE, async () => pogl);
            const snapshot = await ethers.provider.send("evm_snapshot", []);
            const { result } = await send(fx, sys.paymaster, op);
            await ethers.provider.send("evm_revert", [snapshot]);
            const tried = result.receipt.logs.some(
              (l) =>
                l.address === sys.paymaster.target &&
                sys.paymaster.interface.parseLog(l)?.name === "PriceRefreshFailed",
            );
            return { tried, op };
          };
          const probe = await attack(fx, sys.paymaster, "SPONSORED", "grants", WORST_SHAPE);
          const floor = await floorOf(probe);
          expect((await attempts(floor)).tried, "no refresh at the floor").to.equal(false);
          let lo = floor;
          let hi = floor + 250_000n;
          expect((await attempts(hi)).tried, "refresh with room for it").to.equal(true);
          // Instrumented code (hardhat coverage) measures nothing here, and its ~18 hostile bundles take minutes:
          // both branches are covered above; the threshold is measured by `npm test`.
          if (underCoverage()) return;
          while (lo < hi) {
            const mid = (lo + hi) / 2n;
            if ((await attempts(mid)).tried) hi = mid;
            else lo = mid + 1n;
          }
          // At the threshold the refresh burns its whole budget, and the reserve is still untouched.
          const op = (await attempts(lo)).op;
          const { result } = await send(fx, sys.paymaster, op);
          expect(
            result.receipt.logs.some(
              (l) =>
                l.address === sys.paymaster.target &&
                sys.paymaster.interface.parseLog(l)?.name === "PriceRefreshFailed",
            ),
          ).to.equal(true);
          expectSolvent(sys.paymaster, result, [op], MARKUP);
          expect(totalGasLimits(op) - result.userOperationEvents[0].actualGasUsed).to.be.gte(0n);
          expect(lo - floor, "the refresh needs its budget on top of the floor").to.be.gte(150_000n);
        });
      });

      describe("F3: credits turn back into ETH only within the priority-fee cap", function () {
        it("rejects a maxPriorityFeePerGas above the governance cap", async function () {
          const fx = await load();
          const op = await attack(fx, fx.sys.paymaster, "SPONSORED", "purchased", WORST_SHAPE);
          const tooHigh = {
            ...op,
            gasFees: ethers.solidityPacked(["uint128", "uint128"], [FEE + 1n, FEE + 1n]),
          };
          await expect(fx.sys.entryPoint.connect(fx.sys.bundler).handleOps([tooHigh], fx.beneficiary))
            .to.be.revertedWithCustomError(fx.sys.entryPoint, "FailedOpWithRevert")
            .withArgs(
              0n,
              "AA33 reverted",
              fx.sys.paymaster.interface.encodeErrorResult("CreditPaymasterGasLimitTooHigh", [
                GasField.MAX_PRIORITY_FEE_PER_GAS,
                FEE + 1n,
                FEE,
              ]),
            );
        });

        it("a sponsored beneficiary bundling its own operations at the cap gets back at most gas × cap in ETH", async function () {
          const fx = await load();
          const { sys } = fx;
          const selfBundler: Signer = sys.outsider;
          const who = await selfBundler.getAddress();
          const ops: PackedUserOperation[] = [];
          const sender = await fx.sponsoredUser.getAddress();
          const nonce0 = await sys.entryPoint.getNonce(sender, 0);
          const { paymasterData } = await caseParties(fx, "SPONSORED", "purchased");
          for (let i = 0n; i < 5n; i++) {
            const fields = {
              sender,
              nonce: nonce0 + i,
              paymaster: await sys.paymaster.getAddress(),
              paymasterData,
              shape: WORST_SHAPE,
              callGasLimit: 200_000n,
              verificationGasLimit: 100_000n,
              paymasterVerificationGasLimit: 150_000n,
              paymasterPostOpGasLimit: 0n,
              feePerGas: FEE,
            };
            const pogl = await sys.paymaster.minPostOpGasLimit(hostileOp(fields));
            ops.push(hostileOp({ ...fields, paymasterPostOpGasLimit: pogl }));
          }
          const balanceBefore = await ethers.provider.getBalance(who);
          const sponsorBefore = await sys.ledger.balanceOfCredits(fx.dapp);
          // The self-bundler pays no tip of its own: what it nets is the priority fee of the operations.
          const tx = await sys.entryPoint
            .connect(selfBundler)
            .handleOps(ops, who, { maxPriorityFeePerGas: 0n, gasLimit: 10_000_000n });
          const receipt = (await tx.wait())!;
          const gained = (await ethers.provider.getBalance(who)) - balanceBefore;
          const billedGas = receipt.logs
            .map((l) => (l.address === sys.entryPoint.target ? sys.entryPoint.interface.parseLog(l) : null))
            .filter((p) => p?.name === "UserOperationEvent")
            .reduce((s, p) => s + (p!.args.actualGasUsed as bigint), 0n);
          expect(gained, "the self-bundler gains at most billed gas × the priority-fee cap").to.be.lte(
            billedGas * FEE,
          );
          const burned = sponsorBefore - (await sys.ledger.balanceOfCredits(fx.dapp));
          expect(burned).to.be.gt(0n);
        });
      });

      describe("F6: a failing price refresh is not retried on every operation", function () {
        it("after a failed refresh no operation retries before retryAfter, then one does", async function () {
          const fx = await load();
          const { sys } = fx;
          const burner = await new TestFeed__factory(sys.admin).deploy(8);
          const now = BigInt(await time.latest());
          await (await burner.setRoundData(1, ETH_USD, now, now)).wait();
          await (
            await sys.adapter.setPrimaryFeed({
              feed: burner,
              heartbeat: 3_600,
              minAnswer: 10n ** 8n,
              maxAnswer: 10n ** 14n,
            })
          ).wait();
          await (await sys.adapter.refreshCachedPrice()).wait();
          await (await burner.setMode(4)).wait(); // BurnGas
          await time.increase(1_900);
          const generous = async (op: PackedUserOperation) =>
            (await sys.paymaster.minPostOpGasLimit(op)) + 300_000n;
          const run = async () => {
            const op = await attack(fx, sys.paymaster, "SPONSORED", "purchased", WORST_SHAPE, generous);
            const { result } = await send(fx, sys.paymaster, op);
            expectSolvent(sys.paymaster, result, [op], MARKUP);
            const failed = result.receipt.logs
              .filter((l) => l.address === sys.paymaster.target)
              .map((l) => sys.paymaster.interface.parseLog(l))
              .filter((p) => p?.name === "PriceRefreshFailed");
            return {
              failed,
              gas: result.userOperationEvents[0].actualGasUsed,
              ts: BigInt((await result.receipt.getBlock()).timestamp),
            };
          };
          const first = await run();
          expect(first.failed).to.have.length(1);
          const retryAfter = first.failed[0]!.args.retryAfter as bigint;
          expect(retryAfter).to.equal(first.ts + (await sys.paymaster.PRICE_REFRESH_RETRY_DELAY()));
          expect(await sys.paymaster.priceRefreshRetryAfter()).to.equal(retryAfter);
          const second = await run();
          expect(second.failed, "no retry inside the back-off").to.have.length(0);
          expect(first.gas - second.gas, "the failed refresh cost its whole budget once").to.be.gte(140_000n);
          await time.increaseTo(retryAfter);
          const third = await run();
          expect(third.failed, "retried once the back-off is over").to.have.length(1);
        });
      });
    });
  }
});
