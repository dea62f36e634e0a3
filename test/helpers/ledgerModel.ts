/**
 * A TypeScript model of the CreditLedger's accounting (what property tests replay actions against); the event
 * indexer that rebuilds every balance from the ledger's events alone is the client's (re-exported here).
 */
import type { EpochBudget, IndexedAccount, IndexedBucket } from "../../src/client";
import { UINT48_MAX, UINT64_MAX } from "./ledger";

/** The ledger's WORD0_HORIZON: a hold relies on word 0's soonest live bucket alone only if it expires later than this after asOf. */
export const WORD0_HORIZON = 1n << 16n;

/** A grant bucket (the client indexer's shape). */
export type ModelBucket = IndexedBucket;

/** Purchased credits and grant buckets sorted by expiry, including expired-unswept buckets. */
export type ModelAccount = IndexedAccount;

/** `ICreditLedger.EpochBudget` (an allowance or an issuer's cap), the client's shape. */
export type ModelBudget = EpochBudget;

/** A custom error the ledger is expected to revert with. */
export interface ModelError {
  name: string;
  args: unknown[];
}

export class ModelFailure extends Error {
  constructor(readonly expected: ModelError) {
    super(`${expected.name}(${expected.args.join(", ")})`);
  }
}

function fail(name: string, ...args: unknown[]): never {
  throw new ModelFailure({ name, args });
}

function sat(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

export class LedgerModel {
  accounts = new Map<string, ModelAccount>();
  allowances = new Map<string, ModelBudget>();
  issued = 0n;
  burned = 0n;
  expired = 0n;
  revoked = 0n;

  clone(): LedgerModel {
    const m = new LedgerModel();
    for (const [k, v] of this.accounts)
      m.accounts.set(k, { purchased: v.purchased, buckets: v.buckets.map((b) => ({ ...b })) });
    for (const [k, v] of this.allowances) m.allowances.set(k, { ...v });
    m.issued = this.issued;
    m.burned = this.burned;
    m.expired = this.expired;
    m.revoked = this.revoked;
    return m;
  }

  account(a: string): ModelAccount {
    let acc = this.accounts.get(a);
    if (!acc) {
      acc = { purchased: 0n, buckets: [] };
      this.accounts.set(a, acc);
    }
    return acc;
  }

  liveGranted(a: string, t: bigint): bigint {
    return this.account(a).buckets.reduce((s, b) => (b.expiry > t ? s + b.amount : s), 0n);
  }

  live(a: string, t: bigint): bigint {
    return this.account(a).purchased + this.liveGranted(a, t);
  }

  /** Drops expired buckets (expiry <= t) into `expired`. */
  sweep(a: string, t: bigint): bigint {
    const acc = this.account(a);
    let swept = 0n;
    while (acc.buckets.length > 0 && acc.buckets[0].expiry <= t) swept += acc.buckets.shift()!.amount;
    this.expired += swept;
    return swept;
  }

  buy(a: string, credits: bigint, t: bigint, minimum = 0n): void {
    if (credits === 0n || credits < minimum) fail("CreditLedgerPurchaseTooSmall", credits, minimum);
    this.sweep(a, t);
    const acc = this.account(a);
    if (acc.purchased + credits > UINT64_MAX) fail("CreditLedgerBalanceOverflow", a, acc.purchased, credits);
    acc.purchased += credits;
    this.issued += credits;
  }

  grant(a: string, amount: bigint, expiry: bigint, t: bigint): void {
    if (amount === 0n) fail("CreditLedgerZeroAmount");
    if (expiry <= t) fail("CreditLedgerInvalidExpiry", expiry, t);
    this.sweep(a, t);
    const acc = this.account(a);
    const same = acc.buckets.find((b) => b.expiry === expiry);
    if (same) {
      same.amount += amount;
    } else {
      if (acc.buckets.length === 4) fail("CreditLedgerTooManyGrantBuckets", a);
      acc.buckets.push({ amount, expiry });
      acc.buckets.sort((x, y) => (x.expiry < y.expiry ? -1 : 1));
    }
    this.issued += amount;
  }

  revoke(a: string, expiry: bigint, amount: bigint, t: bigint): void {
    if (amount === 0n) fail("CreditLedgerZeroAmount");
    this.sweep(a, t);
    const acc = this.account(a);
    const i = acc.buckets.findIndex((b) => b.expiry === expiry);
    const unheld = i < 0 ? 0n : acc.buckets[i].amount; // no holds outside a transaction
    if (amount > unheld) fail("CreditLedgerGrantTooSmall", a, expiry, unheld, amount);
    acc.buckets[i].amount -= amount;
    if (acc.buckets[i].amount === 0n) acc.buckets.splice(i, 1);
    this.revoked += amount;
  }

  /**
   * Burns `charge` (settlement): soonest-expiring live grants first, then purchased. Expired buckets are skipped,
   * not swept (the ledger keeps settlement constant-cost); they stay expired-unswept. Returns fromGrants.
   */
  burn(a: string, charge: bigint, t: bigint): bigint {
    if (charge === 0n) return 0n;
    const acc = this.account(a);
    let rest = charge;
    const kept: ModelBucket[] = [];
    for (const b of acc.buckets) {
      if (rest > 0n && b.expiry > t) {
        const take = b.amount < rest ? b.amount : rest;
        rest -= take;
        if (take === b.amount) continue;
        kept.push({ amount: b.amount - take, expiry: b.expiry });
      } else {
        kept.push(b);
      }
    }
    acc.buckets = kept;
    if (rest > acc.purchased) throw new Error(`model overdraw on ${a}: ${rest} > ${acc.purchased}`);
    acc.purchased -= rest;
    this.burned += charge;
    return charge - rest;
  }

  /**
   * validUntil of a hold needing `need` credits at `asOf` (live covers need). Like the ledger: when bucket 1 is used
   * and the soonest of buckets 0 and 1 live at `asOf` holds more than `need` and expires more than WORD0_HORIZON
   * after `asOf`, the hold relies on word 0 (purchased, buckets 0 and 1) alone and lasts no longer than that bucket;
   * otherwise every bucket counts.
   */
  validUntil(a: string, asOf: bigint, need: bigint): bigint {
    const acc = this.account(a);
    const word0 = acc.buckets.slice(0, 2);
    const firstLive = word0.find((b) => b.expiry > asOf);
    const word0Only =
      acc.buckets.length >= 2 &&
      firstLive !== undefined &&
      firstLive.amount > need &&
      firstLive.expiry > asOf + WORD0_HORIZON;
    const counted = word0Only ? word0 : acc.buckets;
    let live = counted.reduce((sum, b) => (b.expiry > asOf ? sum + b.amount : sum), acc.purchased);
    let until = UINT48_MAX;
    for (const b of counted) {
      if (b.expiry <= asOf) continue;
      if (live - b.amount < need) {
        until = b.expiry - 1n;
        break;
      }
      live -= b.amount;
    }
    return word0Only && firstLive.expiry - 1n < until ? firstLive.expiry - 1n : until;
  }

  static allowanceKey(sponsor: string, beneficiary: string): string {
    return `${sponsor}|${beneficiary}`;
  }

  budget(sponsor: string, beneficiary: string): ModelBudget {
    const k = LedgerModel.allowanceKey(sponsor, beneficiary);
    let b = this.allowances.get(k);
    if (!b) {
      b = { limit: 0n, used: 0n, epochLength: 0n, anchor: 0n, usedEpoch: 0n, expiresAt: 0n };
      this.allowances.set(k, b);
    }
    return b;
  }

  static usage(b: ModelBudget, t: bigint): { used: bigint; epoch: bigint } {
    if (b.epochLength === 0n) return { used: 0n, epoch: 0n };
    const epoch = t <= b.anchor ? 0n : (t - b.anchor) / b.epochLength;
    return { used: b.usedEpoch >= epoch ? b.used : 0n, epoch };
  }

  setAllowance(
    sponsor: string,
    beneficiary: string,
    limit: bigint,
    epochLength: bigint,
    expiresAt: bigint,
    t: bigint,
  ): bigint {
    if (limit === 0n) fail("CreditLedgerZeroAmount");
    if (expiresAt <= t) fail("CreditLedgerInvalidExpiry", expiresAt, t);
    const b = this.budget(sponsor, beneficiary);
    const carried = LedgerModel.usage(b, t).used;
    Object.assign(b, { limit, used: carried, epochLength, anchor: t, usedEpoch: 0n, expiresAt });
    return carried;
  }

  revokeAllowance(sponsor: string, beneficiary: string): void {
    const b = this.budget(sponsor, beneficiary);
    if (b.limit === 0n) fail("CreditLedgerNoAllowance", sponsor, beneficiary);
    b.limit = 0n;
  }

  remainingAllowance(sponsor: string, beneficiary: string, t: bigint): bigint {
    const b = this.budget(sponsor, beneficiary);
    if (b.limit === 0n || t >= b.expiresAt) return 0n;
    return sat(b.limit, LedgerModel.usage(b, t).used);
  }

  recordSpent(sponsor: string, beneficiary: string, charge: bigint, t: bigint): void {
    if (charge === 0n) return;
    const b = this.budget(sponsor, beneficiary);
    const { used, epoch } = LedgerModel.usage(b, t);
    b.used = used + charge > UINT64_MAX ? UINT64_MAX : used + charge;
    b.usedEpoch = epoch;
  }

  /** Σ balances (incl. expired-unswept). */
  totalBalances(): bigint {
    let s = 0n;
    for (const acc of this.accounts.values())
      s += acc.purchased + acc.buckets.reduce((x, b) => x + b.amount, 0n);
    return s;
  }
}

/** One hold of a transaction: self-pay on `account`, or sponsored when `beneficiary` is set. */
export interface HoldPlan {
  account: string;
  beneficiary?: string;
  amount: bigint;
  charge: bigint;
}

/**
 * Replays a TestSpender transaction (all holds at `t`, then their settlements in order) against a copy of the
 * model. Returns the new model and each hold's validUntil, or throws a ModelFailure with the expected error.
 */
export function replayHolds(
  model: LedgerModel,
  plans: HoldPlan[],
  t: bigint,
): { model: LedgerModel; validUntils: bigint[] } {
  const m = model.clone();
  const credit = new Map<string, bigint>();
  const allowance = new Map<string, bigint>();
  const validUntils: bigint[] = [];
  for (const p of plans) {
    if (p.amount === 0n) fail("CreditLedgerZeroAmount");
    let validCap = UINT48_MAX;
    if (p.beneficiary !== undefined) {
      const b = m.budget(p.account, p.beneficiary);
      if (b.limit === 0n) fail("CreditLedgerNoAllowance", p.account, p.beneficiary);
      if (t >= b.expiresAt) fail("CreditLedgerAllowanceExpired", p.account, p.beneficiary, b.expiresAt);
      const key = LedgerModel.allowanceKey(p.account, p.beneficiary);
      const heldA = allowance.get(key) ?? 0n;
      const remaining = sat(b.limit, LedgerModel.usage(b, t).used + heldA);
      if (p.amount > remaining)
        fail("CreditLedgerAllowanceExceeded", p.account, p.beneficiary, remaining, p.amount);
      allowance.set(key, heldA + p.amount);
      validCap = b.expiresAt - 1n;
    }
    const held = credit.get(p.account) ?? 0n;
    const available = sat(m.live(p.account, t), held);
    if (p.amount > available) fail("CreditLedgerInsufficientCredits", p.account, available, p.amount);
    credit.set(p.account, held + p.amount);
    const v = m.validUntil(p.account, t, held + p.amount);
    validUntils.push(v < validCap ? v : validCap);
  }
  for (const p of plans) {
    m.burn(p.account, p.charge, t);
    if (p.beneficiary !== undefined) m.recordSpent(p.account, p.beneficiary, p.charge, t);
  }
  return { model: m, validUntils };
}

/** The event indexer of the client (src/client/indexer.ts), which the property tests check against the model. */
export { CreditEventIndexer as EventIndexer } from "../../src/client";
