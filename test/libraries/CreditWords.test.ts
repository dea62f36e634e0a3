/**
 * CreditWords on its own (through CreditWordsHarness): the packed layout of an account's two words and every
 * grant-bucket operation, against a plain model (a sorted list of buckets), for hand-picked cases and generated
 * sequences.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { CreditWordsHarness__factory } from "../../typechain-types";
import type { CreditWordsHarness } from "../../typechain-types";
import { applyGrantsTaken, decodeGrantsTaken } from "../../src/client";

const ACCOUNT = ethers.getAddress("0x00000000000000000000000000000000000000a1");
const UINT64_MAX = 2n ** 64n - 1n;

interface ModelBucket {
  amount: bigint;
  expiry: bigint;
}

/** Word 0 and word 1 of `purchased` and `buckets` (sorted, at most four), as the library packs them. */
function packWords(purchased: bigint, buckets: readonly ModelBucket[]): [bigint, bigint] {
  const b = (i: number) => (i < buckets.length ? buckets[i].amount | (buckets[i].expiry << 64n) : 0n);
  const lo = b(0) | (b(1) << 96n);
  const hi = b(2) | (b(3) << 96n);
  return [purchased | (lo << 64n), hi];
}

async function harness(): Promise<CreditWordsHarness> {
  const [deployer] = await ethers.getSigners();
  return new CreditWordsHarness__factory(deployer).deploy();
}

async function bucketsOf(h: CreditWordsHarness): Promise<ModelBucket[]> {
  const [amounts, expiries] = await h.buckets();
  const out: ModelBucket[] = [];
  for (let i = 0; i < 4; i++) if (amounts[i] !== 0n) out.push({ amount: amounts[i], expiry: expiries[i] });
  return out;
}

describe("CreditWords", function () {
  const load = () => loadFixture(harness);

  describe("layout", function () {
    it("packs purchased | bucket0 | bucket1 in word 0 and bucket2 | bucket3 in word 1, and peeks them back", async function () {
      const h = await load();
      const buckets = [
        { amount: 5n, expiry: 100n },
        { amount: 6n, expiry: 200n },
        { amount: 7n, expiry: 300n },
        { amount: UINT64_MAX, expiry: 2n ** 32n - 1n },
      ];
      const [w0, w1] = packWords(42n, buckets);
      await h.setWords(w0, w1);
      const [purchased, lo, hi] = await h.peek();
      expect(purchased).to.equal(42n);
      expect(lo).to.equal(w0 >> 64n);
      expect(hi).to.equal(w1);
      expect(await bucketsOf(h)).to.deep.equal(buckets);
    });

    it("never reads word 1 while bucket 1 is empty (compaction keeps it zero)", async function () {
      const h = await load();
      const [w0] = packWords(1n, [{ amount: 5n, expiry: 100n }]);
      await h.setWords(w0, 123n); // garbage in word 1 must be ignored
      const [, , hi] = await h.peek();
      expect(hi).to.equal(0n);
    });

    it("writes back only the words that changed", async function () {
      const h = await load();
      const [w0, w1] = packWords(0n, [
        { amount: 5n, expiry: 100n },
        { amount: 6n, expiry: 200n },
        { amount: 7n, expiry: 300n },
      ]);
      await h.setWords(w0, w1);
      await (await h.takeFromBucket(0, 1n)).wait(); // word 0 only
      expect(await h.lastWrites()).to.equal(1n);
      await (await h.takeFromBucket(2, 7n)).wait(); // word 1 only: bucket 2 emptied
      expect(await h.lastWrites()).to.equal(1n);
      await (await h.sweep(ACCOUNT, 0n)).wait(); // nothing expired: no write
      expect(await h.lastWrites()).to.equal(0n);
    });
  });

  describe("#insertGrant", function () {
    it("inserts in expiry order, merges equal expiries, and refuses a fifth distinct expiry", async function () {
      const h = await load();
      for (const [amount, expiry] of [
        [3n, 300n],
        [1n, 100n],
        [2n, 200n],
        [5n, 200n],
        [4n, 400n],
      ] as const) {
        await (await h.insertGrant(ACCOUNT, amount, expiry)).wait();
      }
      expect(await bucketsOf(h)).to.deep.equal([
        { amount: 1n, expiry: 100n },
        { amount: 7n, expiry: 200n },
        { amount: 3n, expiry: 300n },
        { amount: 4n, expiry: 400n },
      ]);
      await expect(h.insertGrant(ACCOUNT, 1n, 500n))
        .to.be.revertedWithCustomError(h, "CreditLedgerTooManyGrantBuckets")
        .withArgs(ACCOUNT);
      await (await h.insertGrant(ACCOUNT, 1n, 300n)).wait(); // an existing expiry still merges
      expect((await bucketsOf(h))[2]).to.deep.equal({ amount: 4n, expiry: 300n });
    });

    it("reverts with CreditLedgerBalanceOverflow when a merge would exceed 64 bits", async function () {
      const h = await load();
      await (await h.insertGrant(ACCOUNT, UINT64_MAX, 100n)).wait();
      await expect(h.insertGrant(ACCOUNT, 1n, 100n))
        .to.be.revertedWithCustomError(h, "CreditLedgerBalanceOverflow")
        .withArgs(ACCOUNT, UINT64_MAX, 1n);
      expect(await h.checkedAdd(ACCOUNT, UINT64_MAX - 1n, 1n)).to.equal(UINT64_MAX);
    });
  });

  describe("#sweep, #takeFromGrants, #liveGranted, #validUntil", function () {
    it("sweeps the expired prefix with one CreditsExpired per bucket", async function () {
      const h = await load();
      const [w0, w1] = packWords(9n, [
        { amount: 1n, expiry: 100n },
        { amount: 2n, expiry: 200n },
        { amount: 3n, expiry: 300n },
      ]);
      await h.setWords(w0, w1);
      await expect(h.sweep(ACCOUNT, 200n))
        .to.emit(h, "CreditsExpired")
        .withArgs(ACCOUNT, 100n, 1n)
        .and.to.emit(h, "CreditsExpired")
        .withArgs(ACCOUNT, 200n, 2n);
      expect(await bucketsOf(h)).to.deep.equal([{ amount: 3n, expiry: 300n }]);
      expect((await h.peek())[0]).to.equal(9n);
    });

    it("takes from live buckets soonest first, skipping (not sweeping) expired ones", async function () {
      const h = await load();
      const [w0, w1] = packWords(9n, [
        { amount: 1n, expiry: 100n },
        { amount: 2n, expiry: 200n },
        { amount: 3n, expiry: 300n },
      ]);
      await h.setWords(w0, w1);
      // 2 from the bucket expiring at 200 (emptied), 2 of 3 from the one at 300; the expired bucket at 100 is left alone
      expect(decodeGrantsTaken(await h.takeFromGrants.staticCall(4n, 150n))).to.deep.equal({
        fromGrants: 4n,
        fromLast: 2n,
        firstExpiry: 200n,
        lastExpiry: 300n,
      });
      await (await h.takeFromGrants(4n, 150n)).wait();
      expect(await bucketsOf(h)).to.deep.equal([
        { amount: 1n, expiry: 100n },
        { amount: 1n, expiry: 300n },
      ]);
      // the rest is the purchased credits' part
      expect(decodeGrantsTaken(await h.takeFromGrants.staticCall(10n, 150n))).to.deep.equal({
        fromGrants: 1n,
        fromLast: 1n,
        firstExpiry: 300n,
        lastExpiry: 300n,
      });
      expect(await h.takeFromGrants.staticCall(10n, 300n)).to.equal(0n, "nothing live: an all-zero word");
    });

    it("counts live grants at a time and bounds validity by the first bucket that cannot be dropped", async function () {
      const h = await load();
      const [w0, w1] = packWords(10n, [
        { amount: 5n, expiry: 100n },
        { amount: 6n, expiry: 200n },
      ]);
      await h.setWords(w0, w1);
      expect(await h.liveGranted(50n)).to.equal(11n);
      expect(await h.liveGranted(100n)).to.equal(6n);
      expect(await h.validUntil(50n, 10n)).to.equal(2n ** 48n - 1n); // purchased alone covers it
      expect(await h.validUntil(50n, 16n)).to.equal(199n); // needs bucket 200 (bucket 100 can go)
      expect(await h.validUntil(50n, 21n)).to.equal(99n); // needs both
    });
  });

  describe("#takeFromWord0 (settlement's fast path)", function () {
    it("agrees with the general path wherever it applies, and applies to a charge from purchased credits alone or from the first live bucket of word 0 without emptying it (and #firstLiveOfWord0 finds that bucket)", async function () {
      const h = await load();
      const bucketsArb = fc
        .uniqueArray(fc.bigInt(1n, 8n), { maxLength: 4 })
        .chain((expiries) =>
          fc.tuple(
            ...[...expiries]
              .sort((a, b) => Number(a - b))
              .map((e) => fc.record({ amount: fc.bigInt(1n, 1000n), expiry: fc.constant(e * 100n) })),
          ),
        );
      await fc.assert(
        fc.asyncProperty(
          fc.bigInt(0n, 2000n),
          bucketsArb,
          fc.bigInt(1n, 3000n),
          fc.bigInt(0n, 9n),
          async (purchased, buckets, charge, t) => {
            const time = t * 100n;
            const [word0, word1] = packWords(purchased, buckets);
            await h.setWords(word0, word1);
            const [ok, w0, taken] = await h.takeFromWord0(charge, time);
            const general = await h.spendGeneral(charge, time);
            // no bucket in word 0 before a live one: purchased alone; the first live one of word 0: it alone, not
            // emptied; buckets 0 and 1 expired: the general path (word 1 may hold a live one)
            const expected = (() => {
              for (const b of buckets.slice(0, 2)) {
                if (b.expiry > time) return b.amount > charge;
              }
              return buckets.length < 2 && purchased >= charge;
            })();
            expect(ok, "fast path taken").to.equal(expected);
            // the hold's test for reading word 1: the soonest live bucket of word 0
            const firstLive = buckets.slice(0, 2).find((b) => b.expiry > time);
            expect(await h.firstLiveOfWord0(time)).to.deep.equal(
              firstLive === undefined ? [0n, 0n] : [firstLive.amount, firstLive.expiry],
            );
            if (ok) {
              expect(general.covered).to.equal(true);
              expect(w0).to.equal(general.w0);
              expect(general.w1, "word 1 unchanged").to.equal(word1);
              expect(taken).to.equal(general.taken);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe("generated sequences", function () {
    it("matches a sorted-list model under random grants, takes, sweeps and spends", async function () {
      const h = await load();
      const op = fc.oneof(
        fc.record({
          kind: fc.constant("grant" as const),
          amount: fc.bigInt(1n, 1000n),
          expiry: fc.bigInt(1n, 8n),
        }),
        fc.record({ kind: fc.constant("take" as const), index: fc.nat(3), part: fc.bigInt(1n, 1000n) }),
        fc.record({ kind: fc.constant("sweep" as const), time: fc.bigInt(0n, 8n) }),
        fc.record({
          kind: fc.constant("spend" as const),
          charge: fc.bigInt(0n, 3000n),
          time: fc.bigInt(0n, 8n),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          await h.setWords(0n, 0n);
          let model: ModelBucket[] = [];
          for (const o of ops) {
            if (o.kind === "grant") {
              const expiry = o.expiry * 100n;
              const same = model.find((b) => b.expiry === expiry);
              if (same === undefined && model.length === 4) {
                await expect(h.insertGrant(ACCOUNT, o.amount, expiry)).to.be.revertedWithCustomError(
                  h,
                  "CreditLedgerTooManyGrantBuckets",
                );
                continue;
              }
              await (await h.insertGrant(ACCOUNT, o.amount, expiry)).wait();
              if (same !== undefined) same.amount += o.amount;
              else
                model = [...model, { amount: o.amount, expiry }].sort((a, b) => Number(a.expiry - b.expiry));
            } else if (o.kind === "take") {
              if (o.index >= model.length) continue;
              const amount = ((o.part - 1n) % model[o.index].amount) + 1n; // 1..bucket amount
              await (await h.takeFromBucket(o.index, amount)).wait();
              model[o.index].amount -= amount;
              model = model.filter((b) => b.amount > 0n);
            } else if (o.kind === "sweep") {
              const time = o.time * 100n;
              const expired = model.filter((b) => b.expiry <= time).reduce((s, b) => s + b.amount, 0n);
              expect(await h.sweep.staticCall(ACCOUNT, time)).to.equal(expired);
              await (await h.sweep(ACCOUNT, time)).wait();
              model = model.filter((b) => b.expiry > time);
            } else {
              const time = o.time * 100n;
              const before = model.map((b) => ({ ...b }));
              let rest = o.charge;
              for (const b of model) {
                if (rest === 0n || b.expiry <= time) continue;
                const take = b.amount < rest ? b.amount : rest;
                b.amount -= take;
                rest -= take;
              }
              const word = await h.takeFromGrants.staticCall(o.charge, time);
              const taken = decodeGrantsTaken(word);
              // the contract's getters and the client's decoder read the same four parts
              expect(await h.grantsTakenParts(word)).to.deep.equal([
                taken.fromGrants,
                taken.fromLast,
                taken.firstExpiry,
                taken.lastExpiry,
              ]);
              expect(taken.fromGrants).to.equal(o.charge - rest);
              await (await h.takeFromGrants(o.charge, time)).wait();
              model = model.filter((b) => b.amount > 0n);
              // an indexer replaying the event's word from the buckets it knew reaches the same buckets
              expect(applyGrantsTaken(before, taken).filter((b) => b.amount > 0n)).to.deep.equal(model);
            }
            expect(await bucketsOf(h)).to.deep.equal(model);
            const [w0, w1] = await h.words();
            expect([w0, w1]).to.deep.equal(packWords(0n, model));
            const live = (t: bigint) => model.filter((b) => b.expiry > t).reduce((s, b) => s + b.amount, 0n);
            expect(await h.liveGranted(450n)).to.equal(live(450n));
          }
        }),
        { numRuns: 15 },
      );
    });
  });
});
