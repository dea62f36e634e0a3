import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";
import type { ContractTransactionResponse } from "ethers";
import {
  CREDIT,
  PRICE_WAD,
  deployLedgerFixture,
  heldValidUntils,
  holdSponsoredStep,
  holdStep,
  now,
  settleSponsoredStep,
  settleStep,
} from "../helpers/ledger";
import type { Step } from "../helpers/ledger";
import { EventIndexer, LedgerModel, ModelFailure, replayHolds } from "../helpers/ledgerModel";
import type { HoldPlan } from "../helpers/ledgerModel";

const HOUR = 3_600n;
const ACCOUNTS = 10;
const GAS = { gasLimit: 3_000_000 }; // no estimation: every transaction runs at the timestamp the model uses

const stats = new Map<string, number>();
function count(key: string): void {
  stats.set(key, (stats.get(key) ?? 0) + 1);
}

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
// Under solidity-coverage (instrumented, unoptimised contracts) a run is ~10x slower: fewer runs by default.
const underCoverage =
  (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
const numRuns = Number(process.env.FC_RUNS ?? (underCoverage ? 1 : 20));

type Action =
  | { kind: "buyToken"; account: number; credits: bigint }
  | { kind: "buyEth"; account: number; units: bigint }
  | { kind: "grant"; account: number; amount: bigint; slot: number }
  | { kind: "revoke"; account: number; pick: number; fraction: number }
  | { kind: "spend"; holds: { account: number; amount: bigint; chargePct: number }[] }
  | {
      kind: "spendSponsored";
      sponsor: number;
      beneficiary: number;
      holds: { amount: bigint; chargePct: number }[];
    }
  | {
      kind: "setAllowance";
      sponsor: number;
      beneficiary: number;
      perEpoch: bigint;
      epochHours: number;
      expiresHours: number;
    }
  | { kind: "revokeAllowance"; sponsor: number; beneficiary: number }
  | { kind: "wait"; seconds: bigint }
  | { kind: "sweep"; account: number };

// Biased towards the first accounts so that they accumulate credits and sponsors can pay.
const account = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: ACCOUNTS - 1 }));
// Grants concentrate on account 0 as well, so that its 4 buckets fill up.
const grantee = fc.oneof(fc.constant(0), account);
// Sponsorship concentrates on a few pairs so that allowances, holds and epochs interact.
const sponsor = fc.integer({ min: 0, max: 1 });
const beneficiary = fc.integer({ min: 2, max: 3 });
const credits = fc.bigInt({ min: 0n, max: 300n }).map((n) => n * CREDIT + 7n * n);
const holdAmount = fc.bigInt({ min: 0n, max: 60n }).map((n) => n * CREDIT + 3n * n);
const chargePct = fc.integer({ min: 0, max: 100 });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("buyToken" as const), account, credits }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("buyEth" as const),
      account,
      units: fc.bigInt({ min: 0n, max: 100_000_000n }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("grant" as const),
      account: grantee,
      amount: credits,
      slot: fc.integer({ min: 1, max: 36 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("revoke" as const),
      account: grantee,
      pick: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 })),
      fraction: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 120 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("spend" as const),
      holds: fc.array(fc.record({ account, amount: holdAmount, chargePct }), { minLength: 1, maxLength: 2 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("spendSponsored" as const),
      sponsor,
      beneficiary,
      holds: fc.array(fc.record({ amount: holdAmount, chargePct }), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("setAllowance" as const),
      sponsor,
      beneficiary,
      perEpoch: fc.bigInt({ min: 0n, max: 150n }).map((n) => n * CREDIT),
      epochHours: fc.constantFrom(1, 6, 24),
      expiresHours: fc.integer({ min: 0, max: 72 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("revokeAllowance" as const), sponsor, beneficiary }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      seconds: fc.bigInt({ min: 1n, max: 8n * HOUR }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), account }) },
);

/** Every sequence starts by funding the first accounts and setting the sponsorship pairs' allowances. */
const prefix: Action[] = [
  ...[0, 1, 2].map((a): Action => ({ kind: "buyToken", account: a, credits: 200n * CREDIT })),
  ...[0, 1].flatMap((sp) =>
    [2, 3].map((b): Action => ({
      kind: "setAllowance",
      sponsor: sp,
      beneficiary: b,
      perEpoch: 50n * CREDIT,
      epochHours: 6,
      expiresHours: 48,
    })),
  ),
];

async function propertyFixture() {
  const f = await deployLedgerFixture();
  const buyer = f.admin;
  await f.usdc.mint(buyer, 10n ** 18n);
  await f.usdc.connect(buyer).approve(f.ledger, ethers.MaxUint256);
  return { ...f, buyer, base: await now() };
}

describe("CreditLedger: properties (fast-check, model-based)", function () {
  before(function () {
    console.log(`      fast-check seed ${seed}, ${numRuns} runs (override with FC_SEED / FC_RUNS)`);
  });

  it("matches the model after every step: balances, holds, allowances, totals, conservation, events", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(actionArb, { minLength: 30, maxLength: 55 }).map((a) => [...prefix, ...a]),
        async (actions) => {
          const f = await loadFixture(propertyFixture);
          const { ledger, spender, inspector, issuer, buyer, usdc } = f;
          const users = f.users.slice(0, ACCOUNTS);
          const addresses = users.map((u) => u.address);
          let model = new LedgerModel();
          const indexer = new EventIndexer();
          const pairs = new Map<string, [string, string]>();
          let kind = "";

          /** Sends `send()` at `t`; expects the model's error when `expected` is set, else success (indexing events). */
          async function execute(
            t: bigint,
            send: () => Promise<ContractTransactionResponse>,
            expected?: ModelFailure,
          ) {
            await time.setNextBlockTimestamp(t);
            count(`${kind}: ${expected ? expected.expected.name : "ok"}`);
            if (expected) {
              await expect(send())
                .to.be.revertedWithCustomError(ledger, expected.expected.name)
                .withArgs(...expected.expected.args);
              return undefined;
            }
            const receipt = await (await send()).wait();
            if (!receipt) throw new Error("no receipt");
            indexer.apply(String(ledger.target), receipt.logs);
            return receipt;
          }

          /** Runs `mutate` on a copy of the model: returns the copy, or the expected failure. */
          function attempt(mutate: (m: LedgerModel) => void): { next: LedgerModel; failure?: ModelFailure } {
            const next = model.clone();
            try {
              mutate(next);
              return { next };
            } catch (e) {
              if (e instanceof ModelFailure) return { next: model, failure: e };
              throw e;
            }
          }

          for (const action of actions) {
            const t = (await now()) + 1n;
            kind = action.kind;
            switch (action.kind) {
              case "buyToken": {
                const a = addresses[action.account];
                const r = attempt((m) => m.buy(a, action.credits, t));
                await execute(
                  t,
                  () => ledger.connect(buyer).buyCreditsWithToken(a, usdc, action.credits, GAS),
                  r.failure,
                );
                model = r.next;
                break;
              }
              case "buyEth": {
                const a = addresses[action.account];
                const value = action.units * 10n ** 12n;
                const r = attempt((m) => m.buy(a, (value * PRICE_WAD) / 10n ** 30n, t));
                await execute(t, () => ledger.connect(buyer).buyCredits(a, { value, ...GAS }), r.failure);
                model = r.next;
                break;
              }
              case "grant": {
                const a = addresses[action.account];
                const expiry = f.base + BigInt(action.slot) * HOUR;
                const r = attempt((m) => m.grant(a, action.amount, expiry, t));
                await execute(
                  t,
                  () => ledger.connect(issuer).grant(a, action.amount, expiry, GAS),
                  r.failure,
                );
                model = r.next;
                break;
              }
              case "revoke": {
                const a = addresses[action.account];
                const buckets = model.account(a).buckets.filter((b) => b.expiry > t);
                const bucket = buckets[action.pick];
                const expiry = bucket?.expiry ?? f.base + 1000n * HOUR;
                const amount = ((bucket?.amount ?? 10n) * BigInt(action.fraction)) / 100n;
                const r = attempt((m) => m.revoke(a, expiry, amount, t));
                await execute(
                  t,
                  () => ledger.connect(issuer).revokeGrant(a, expiry, amount, 3, GAS),
                  r.failure,
                );
                model = r.next;
                break;
              }
              case "spend":
              case "spendSponsored": {
                const plans: HoldPlan[] =
                  action.kind === "spend"
                    ? action.holds.map((h) => ({
                        account: addresses[h.account],
                        amount: h.amount,
                        charge: (h.amount * BigInt(h.chargePct)) / 100n,
                      }))
                    : action.holds.map((h) => ({
                        account: addresses[action.sponsor],
                        beneficiary: addresses[action.beneficiary],
                        amount: h.amount,
                        charge: (h.amount * BigInt(h.chargePct)) / 100n,
                      }));
                const steps: Step[] = [];
                for (const p of plans) {
                  steps.push(
                    p.beneficiary === undefined
                      ? await holdStep(p.account, p.amount, t)
                      : await holdSponsoredStep(p.account, p.beneficiary, p.amount, t),
                  );
                }
                for (const p of plans) {
                  steps.push(
                    p.beneficiary === undefined
                      ? await settleStep(p.account, p.amount, p.charge)
                      : await settleSponsoredStep(p.account, p.beneficiary, p.amount, p.charge),
                  );
                }
                let outcome: { model: LedgerModel; validUntils: bigint[] } | undefined;
                let failure: ModelFailure | undefined;
                try {
                  outcome = replayHolds(model, plans, t);
                } catch (e) {
                  if (!(e instanceof ModelFailure)) throw e;
                  failure = e;
                }
                const receipt = await execute(t, () => spender.run(steps, GAS), failure);
                if (outcome && receipt) {
                  const got = heldValidUntils(spender, receipt);
                  expect(plans.map((_, i) => got.get(i))).to.deep.equal(outcome.validUntils);
                  model = outcome.model;
                  if (action.kind === "spendSponsored" && plans.some((p) => p.charge > 0n)) {
                    // No allowance exceeded: after charging, this epoch's spending is within the limit.
                    const a = await ledger.allowance(plans[0].account, plans[0].beneficiary!);
                    const budget = {
                      limit: a.limit,
                      used: a.used,
                      epochLength: a.epochLength,
                      anchor: a.anchor,
                      usedEpoch: a.usedEpoch,
                      expiresAt: a.expiresAt,
                    };
                    expect(LedgerModel.usage(budget, t).used).to.be.lte(a.limit);
                  }
                }
                break;
              }
              case "setAllowance": {
                const sponsor = users[action.sponsor];
                const b = addresses[action.beneficiary];
                const expiresAt = t + BigInt(action.expiresHours) * HOUR;
                const epochLength = BigInt(action.epochHours) * HOUR;
                const r = attempt((m) =>
                  m.setAllowance(sponsor.address, b, action.perEpoch, epochLength, expiresAt, t),
                );
                await execute(
                  t,
                  () => ledger.connect(sponsor).setAllowance(b, action.perEpoch, epochLength, expiresAt, GAS),
                  r.failure,
                );
                model = r.next;
                pairs.set(LedgerModel.allowanceKey(sponsor.address, b), [sponsor.address, b]);
                break;
              }
              case "revokeAllowance": {
                const sponsor = users[action.sponsor];
                const b = addresses[action.beneficiary];
                const r = attempt((m) => m.revokeAllowance(sponsor.address, b));
                await execute(t, () => ledger.connect(sponsor).revokeAllowance(b, GAS), r.failure);
                model = r.next;
                break;
              }
              case "wait":
                await time.increase(action.seconds);
                break;
              case "sweep": {
                const a = addresses[action.account];
                const r = attempt((m) => m.sweep(a, t));
                await execute(t, () => ledger.sweepExpired(a, GAS));
                model = r.next;
                break;
              }
            }

            // ------------------------------------------------ invariants after every step
            const at = await now();
            const tracked = [...pairs.values()];
            const snap = await inspector.snapshot(
              ledger,
              addresses,
              tracked.map((p) => p[0]),
              tracked.map((p) => p[1]),
            );
            const [issued, burned, expired, revoked] = snap.totals;
            let balances = 0n;
            for (let i = 0; i < ACCOUNTS; i++) {
              const a = addresses[i];
              const got = snap.accounts[i];
              const acc = model.account(a);
              const live = acc.buckets.filter((b) => b.expiry > at);
              const expiredUnswept = acc.buckets
                .filter((b) => b.expiry <= at)
                .reduce((s, b) => s + b.amount, 0n);
              expect({
                purchased: got.purchased,
                grants: got.grants.map((g) => ({ amount: g.amount, expiry: g.expiresAt })),
                held: got.held,
                expiredUnswept: got.expiredUnswept,
              }).to.deep.equal(
                { purchased: acc.purchased, grants: live, held: 0n, expiredUnswept },
                `account ${i}`,
              );
              expect(snap.spendable[i]).to.equal(model.live(a, at));
              // The events alone rebuild the same state.
              const rebuilt = indexer.accounts.get(a) ?? { purchased: 0n, buckets: [] };
              expect(rebuilt).to.deep.equal(acc, `indexer, account ${i}`);
              balances += got.purchased + got.expiredUnswept + got.grants.reduce((s, g) => s + g.amount, 0n);
            }
            expect([issued, burned, expired, revoked]).to.deep.equal([
              model.issued,
              model.burned,
              model.expired,
              model.revoked,
            ]);
            expect(issued).to.equal(balances + burned + expired + revoked, "conservation");
            expect(balances).to.equal(model.totalBalances());
            tracked.forEach(([s, b], i) => {
              const mb = model.budget(s, b);
              const gb = snap.budgets[i];
              expect([
                gb.limit,
                gb.used,
                gb.epochLength,
                gb.anchor,
                gb.usedEpoch,
                gb.expiresAt,
              ]).to.deep.equal([mb.limit, mb.used, mb.epochLength, mb.anchor, mb.usedEpoch, mb.expiresAt]);
              expect(snap.remaining[i]).to.equal(model.remainingAllowance(s, b, at));
            });
          }
        },
      ),
      { numRuns, seed, endOnFailure: true },
    );
    if (process.env.FC_STATS) console.log(Object.fromEntries([...stats.entries()].sort()));
  });
});
