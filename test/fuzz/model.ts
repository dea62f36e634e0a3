/**
 * Reference model of the credit system for the invariant fuzzer: a plain TypeScript re-statement of what the
 * CreditLedger, the PriceAdapter (one Chainlink-style primary feed), both CreditPaymasters and the EntryPoint's
 * validation phase must do. The harness runs every action against the contracts and against this model and
 * compares the two after every step.
 *
 * The model is written from the interfaces' documentation (ICreditLedger, ICreditHolds, ICreditPaymaster,
 * IPriceAdapter) and the EntryPoint's validation order, not from the contracts' code paths: a disagreement is
 * either a model bug or a contract bug, and the fuzzer reports both the same way.
 */

import { getAddress } from "ethers";

/** Credits have 6 decimals. */
export const CREDIT = 1_000_000n;
export const UINT32_MAX = 2n ** 32n - 1n;
export const UINT48_MAX = 2n ** 48n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;
/** `credits = wei × priceWad / 1e30` (IPriceAdapter). */
const WEI_WAD_PER_CREDIT = 10n ** 30n;
/** `credits = wei × priceWad × markupBps / 1e34` (CreditPaymaster, rounded up). */
const CREDIT_SCALE = 10n ** 34n;
/** The ledger's bound on live grant buckets per account. */
export const MAX_GRANT_BUCKETS = 4;

/** The two EntryPoint versions, each served by its own CreditPaymaster over the shared ledger. */
export type Version = "0.7" | "0.8";
export const VERSIONS: readonly Version[] = ["0.7", "0.8"];

/** Which contract's ABI a custom error belongs to. */
export type ErrorSource = "ledger" | "adapter" | "paymaster";

/** A custom error the model predicts, with its exact arguments. */
export interface ExpectedError {
  source: ErrorSource;
  name: string;
  args: readonly (bigint | string | number | boolean)[];
}

/** How the EntryPoint rejects a bundle because of one operation's validation. */
export type ValidationFailure =
  | { kind: "FailedOp"; index: number; reason: string }
  | { kind: "FailedOpWithRevert"; index: number; reason: string; inner: ExpectedError };

export function err(
  source: ErrorSource,
  name: string,
  ...args: (bigint | string | number | boolean)[]
): ExpectedError {
  return { source, name, args };
}

/** One grant bucket: credits that expire at `expiry` (spendable while `now < expiry`). */
export interface Bucket {
  amount: bigint;
  expiry: bigint;
}

/** One account's stored credits: purchased ones and the sorted bucket sequence (expired ones until swept). */
export interface AccountCredits {
  purchased: bigint;
  buckets: Bucket[];
}

/** `ICreditLedger.EpochBudget`. */
export interface EpochBudget {
  limit: bigint;
  used: bigint;
  epochLength: bigint;
  anchor: bigint;
  usedEpoch: bigint;
  expiresAt: bigint;
}

export interface Totals {
  issued: bigint;
  burned: bigint;
  expired: bigint;
  revoked: bigint;
}

/** The paymaster configuration the campaign runs with (fixed: `defaultPaymasterConfig()`). */
export interface PaymasterConfig {
  maxCallGasLimit: bigint;
  maxPreVerificationGas: bigint;
  maxVerificationGasLimit: bigint;
  maxPaymasterVerificationGasLimit: bigint;
  maxPaymasterPostOpGasLimit: bigint;
  maxFeePerGas: bigint;
  maxCreditsPerOp: bigint;
  markupBps: bigint;
  maxPriceAge: bigint;
}

/** Validation settings of the primary feed (the adapter has no fallback, sequencer or unit feed here). */
export interface FeedSettings {
  address: string;
  decimals: bigint;
  heartbeat: bigint;
  minAnswer: bigint;
  maxAnswer: bigint;
}

/** The gas fields of an operation, unpacked. */
export interface OpGas {
  verificationGasLimit: bigint;
  callGasLimit: bigint;
  preVerificationGas: bigint;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
  maxFeePerGas: bigint;
}

/** What the model needs to know about one operation of a bundle to predict its validation. */
export interface ModelOp {
  sender: string;
  gas: OpGas;
  /** Raw paymaster data after offset 52 (mode byte first), as hex. */
  paymasterData: string;
  /** Whether the signature is by the account's owner. */
  validSignature: boolean;
}

/** A hold the paymaster placed for an operation that passed validation. */
export interface PlacedHold {
  payer: string;
  sponsored: boolean;
  held: bigint;
  priceWad: bigint;
  priceTime: bigint;
}

export const PM_MIN_POST_OP_GAS = 45_000n;
export const PM_PRICE_REFRESH_GAS = 150_000n;

const GAS_FIELDS = [
  "callGasLimit",
  "verificationGasLimit",
  "preVerificationGas",
  "paymasterVerificationGasLimit",
  "paymasterPostOpGasLimit",
  "maxFeePerGas",
] as const;

const CAP_OF: Record<(typeof GAS_FIELDS)[number], keyof PaymasterConfig> = {
  callGasLimit: "maxCallGasLimit",
  verificationGasLimit: "maxVerificationGasLimit",
  preVerificationGas: "maxPreVerificationGas",
  paymasterVerificationGasLimit: "maxPaymasterVerificationGasLimit",
  paymasterPostOpGasLimit: "maxPaymasterPostOpGasLimit",
  maxFeePerGas: "maxFeePerGas",
};

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function satSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The EntryPoint's required prefund: all five gas limits × maxFeePerGas. */
export function prefundOf(gas: OpGas): bigint {
  return (
    (gas.verificationGasLimit +
      gas.callGasLimit +
      gas.paymasterVerificationGasLimit +
      gas.paymasterPostOpGasLimit +
      gas.preVerificationGas) *
    gas.maxFeePerGas
  );
}

/** `ceil(wei × priceWad × markupBps / 1e34)`: what the paymaster holds and charges. */
export function creditsForGasCost(weiAmount: bigint, priceWad: bigint, markupBps: bigint): bigint {
  return ceilDiv(weiAmount * priceWad * markupBps, CREDIT_SCALE);
}

/** `floor(wei × priceWad / 1e30)`: what a purchase credits. */
export function creditsForWei(weiAmount: bigint, priceWad: bigint): bigint {
  return (weiAmount * priceWad) / WEI_WAD_PER_CREDIT;
}

function allowanceKey(sponsor: string, beneficiary: string): string {
  return `${sponsor.toLowerCase()}|${beneficiary.toLowerCase()}`;
}

export function emptyBudget(): EpochBudget {
  return { limit: 0n, used: 0n, epochLength: 0n, anchor: 0n, usedEpoch: 0n, expiresAt: 0n };
}

/** Epoch of `time` under `b` and what counts as used in it (`EpochBudget` semantics). */
export function usage(b: EpochBudget, time: bigint): { used: bigint; epoch: bigint } {
  if (b.epochLength === 0n) return { used: 0n, epoch: 0n };
  const epoch = time <= b.anchor ? 0n : (time - b.anchor) / b.epochLength;
  return { used: b.usedEpoch >= epoch ? b.used : 0n, epoch };
}

/** Per-bundle scratch state of the validation phase: holds accumulate across the bundle's operations. */
interface BundleScratch {
  creditHolds: Map<string, bigint>;
  allowanceHolds: Map<string, bigint>;
  deposit: bigint;
}

export interface ModelInit {
  now: bigint;
  feed: FeedSettings;
  feedAnswer: bigint;
  feedUpdatedAt: bigint;
  cachePriceWad: bigint;
  cacheTime: bigint;
  config: PaymasterConfig;
  issuer: string;
  issuerCap: EpochBudget;
  deposits: Record<Version, bigint>;
  pmPaused: Record<Version, boolean>;
  ledgerPaused: boolean;
  totals: Totals;
  minPurchase: bigint;
  /** The paymaster whose EntryPoint deposit receives native purchases (deposit mode). */
  ethDestination: Version;
}

/** Outcome of predicting one transaction: the error it must revert with, or null for success. */
export type Prediction = ExpectedError | null;

export class CreditModel {
  now: bigint;
  readonly feed: FeedSettings;
  feedAnswer: bigint;
  feedUpdatedAt: bigint;
  cachePriceWad: bigint;
  cacheTime: bigint;
  readonly config: PaymasterConfig;
  readonly issuer: string;
  issuerCap: EpochBudget;
  deposits: Record<Version, bigint>;
  pmPaused: Record<Version, boolean>;
  ledgerPaused: boolean;
  totals: Totals;
  readonly minPurchase: bigint;
  readonly ethDestination: Version;
  private readonly credits = new Map<string, AccountCredits>();
  private readonly allowances = new Map<string, EpochBudget>();

  constructor(init: ModelInit) {
    this.now = init.now;
    this.feed = init.feed;
    this.feedAnswer = init.feedAnswer;
    this.feedUpdatedAt = init.feedUpdatedAt;
    this.cachePriceWad = init.cachePriceWad;
    this.cacheTime = init.cacheTime;
    this.config = init.config;
    this.issuer = init.issuer;
    this.issuerCap = { ...init.issuerCap };
    this.deposits = { ...init.deposits };
    this.pmPaused = { ...init.pmPaused };
    this.ledgerPaused = init.ledgerPaused;
    this.totals = { ...init.totals };
    this.minPurchase = init.minPurchase;
    this.ethDestination = init.ethDestination;
  }

  // ---------------------------------------------------------------- state access

  account(address: string): AccountCredits {
    const key = address.toLowerCase();
    let c = this.credits.get(key);
    if (c === undefined) {
      c = { purchased: 0n, buckets: [] };
      this.credits.set(key, c);
    }
    return c;
  }

  setAccount(address: string, credits: AccountCredits): void {
    this.credits.set(address.toLowerCase(), {
      purchased: credits.purchased,
      buckets: credits.buckets.map((b) => ({ ...b })),
    });
  }

  allowance(sponsor: string, beneficiary: string): EpochBudget {
    return { ...(this.allowances.get(allowanceKey(sponsor, beneficiary)) ?? emptyBudget()) };
  }

  setAllowanceState(sponsor: string, beneficiary: string, b: EpochBudget): void {
    this.allowances.set(allowanceKey(sponsor, beneficiary), { ...b });
  }

  /** Live granted credits at `time` (expiry > time). */
  liveGranted(address: string, time: bigint): bigint {
    return this.account(address).buckets.reduce((s, b) => (b.expiry > time ? s + b.amount : s), 0n);
  }

  /** Unexpired credits now (`balanceOfCredits`). */
  balance(address: string, time: bigint = this.now): bigint {
    return this.account(address).purchased + this.liveGranted(address, time);
  }

  /** Stored, expired, not yet swept credits at `time`. */
  expiredUnswept(address: string, time: bigint = this.now): bigint {
    return this.account(address).buckets.reduce((s, b) => (b.expiry <= time ? s + b.amount : s), 0n);
  }

  /** Σ over every known account of everything stored (purchased + all buckets, expired or not). */
  storedTotal(): bigint {
    let total = 0n;
    for (const c of this.credits.values()) {
      total += c.purchased + c.buckets.reduce((s, b) => s + b.amount, 0n);
    }
    return total;
  }

  knownAccounts(): string[] {
    return [...this.credits.keys()];
  }

  // ---------------------------------------------------------------- price

  /** The live price's failure at `time`, or null when the primary feed's answer passes every check. */
  livePriceError(time: bigint): ExpectedError | null {
    const f = this.feed;
    const a = this.feedAnswer;
    const u = this.feedUpdatedAt;
    if (a <= 0n) return err("adapter", "PriceAdapterInvalidAnswer", f.address, a);
    if (u === 0n || u > time) return err("adapter", "PriceAdapterInvalidTimestamp", f.address, u);
    if (time - u > f.heartbeat) return err("adapter", "PriceAdapterStalePrice", f.address, u, f.heartbeat);
    if (a < f.minAnswer || a > f.maxAnswer) {
      return err("adapter", "PriceAdapterAnswerOutOfBounds", f.address, a, f.minAnswer, f.maxAnswer);
    }
    return null;
  }

  livePriceWad(): bigint {
    return this.feedAnswer * 10n ** (18n - this.feed.decimals);
  }

  /** `feed.updateAnswer(answer)` at `time` (the Chainlink mock accepts any answer). */
  updateFeed(answer: bigint, time: bigint): void {
    this.feedAnswer = answer;
    this.feedUpdatedAt = time;
  }

  /** `adapter.refreshCachedPrice()` at `time`. */
  predictRefresh(time: bigint): Prediction {
    return this.livePriceError(time);
  }

  applyRefresh(time: bigint): void {
    this.cachePriceWad = this.livePriceWad();
    this.cacheTime = time;
  }

  // ---------------------------------------------------------------- ledger writes

  /** Drops the expired prefix of `address`'s buckets at `time`; returns the credits swept. */
  private sweep(c: AccountCredits, time: bigint): bigint {
    let expired = 0n;
    while (c.buckets.length > 0 && c.buckets[0].expiry <= time) {
      expired += c.buckets[0].amount;
      c.buckets.shift();
    }
    return expired;
  }

  /** `buyCredits(account){value}` at `time`. */
  predictBuy(weiAmount: bigint, time: bigint): Prediction {
    if (this.ledgerPaused) return err("ledger", "CreditLedgerPaused");
    const priceError = this.livePriceError(time);
    if (priceError !== null) return priceError;
    const credits = creditsForWei(weiAmount, this.livePriceWad());
    if (credits === 0n || credits < this.minPurchase) {
      return err("ledger", "CreditLedgerPurchaseTooSmall", credits, this.minPurchase);
    }
    return null;
  }

  applyBuy(account: string, weiAmount: bigint, time: bigint): bigint {
    const credits = creditsForWei(weiAmount, this.livePriceWad());
    const c = this.account(account);
    const expired = this.sweep(c, time);
    c.purchased += credits;
    this.totals.issued += credits;
    this.totals.expired += expired;
    this.deposits[this.ethDestination] += weiAmount;
    return credits;
  }

  /** `grant(account, amount, expiresAt)` by the issuer at `time`. */
  predictGrant(account: string, amount: bigint, expiresAt: bigint, time: bigint): Prediction {
    if (this.ledgerPaused) return err("ledger", "CreditLedgerPaused");
    if (amount === 0n) return err("ledger", "CreditLedgerZeroAmount");
    if (expiresAt <= time || expiresAt > UINT32_MAX) {
      return err("ledger", "CreditLedgerInvalidExpiry", expiresAt, time);
    }
    const { used } = usage(this.issuerCap, time);
    const remaining = satSub(this.issuerCap.limit, used);
    if (amount > remaining)
      return err("ledger", "CreditLedgerIssuerCapExceeded", this.issuer, remaining, amount);
    const live = this.account(account).buckets.filter((b) => b.expiry > time);
    if (live.length >= MAX_GRANT_BUCKETS && !live.some((b) => b.expiry === expiresAt)) {
      return err("ledger", "CreditLedgerTooManyGrantBuckets", account);
    }
    return null;
  }

  applyGrant(account: string, amount: bigint, expiresAt: bigint, time: bigint): void {
    const u = usage(this.issuerCap, time);
    this.issuerCap = { ...this.issuerCap, used: u.used + amount, usedEpoch: u.epoch };
    const c = this.account(account);
    const expired = this.sweep(c, time);
    const same = c.buckets.find((b) => b.expiry === expiresAt);
    if (same !== undefined) {
      same.amount += amount;
    } else {
      c.buckets.push({ amount, expiry: expiresAt });
      c.buckets.sort((a, b) => (a.expiry < b.expiry ? -1 : a.expiry > b.expiry ? 1 : 0));
    }
    this.totals.issued += amount;
    this.totals.expired += expired;
  }

  /** `revokeGrant(account, expiresAt, amount, reason)` by the issuer at `time` (no holds exist between bundles). */
  predictRevoke(account: string, expiresAt: bigint, amount: bigint, time: bigint): Prediction {
    if (amount === 0n) return err("ledger", "CreditLedgerZeroAmount");
    const bucket = this.account(account).buckets.find((b) => b.expiry > time && b.expiry === expiresAt);
    const unheld = bucket?.amount ?? 0n;
    if (amount > unheld)
      return err("ledger", "CreditLedgerGrantTooSmall", account, expiresAt, unheld, amount);
    return null;
  }

  applyRevoke(account: string, expiresAt: bigint, amount: bigint, time: bigint): void {
    const c = this.account(account);
    const expired = this.sweep(c, time);
    const i = c.buckets.findIndex((b) => b.expiry === expiresAt);
    c.buckets[i].amount -= amount;
    if (c.buckets[i].amount === 0n) c.buckets.splice(i, 1);
    this.totals.revoked += amount;
    this.totals.expired += expired;
  }

  /** `sweepExpired(account)` at `time` (anyone; never reverts). */
  applySweep(account: string, time: bigint): bigint {
    const expired = this.sweep(this.account(account), time);
    this.totals.expired += expired;
    return expired;
  }

  /** `setAllowance(beneficiary, perEpoch, epochLength, expiresAt)` by `sponsor` at `time`. */
  predictSetAllowance(perEpoch: bigint, epochLength: bigint, expiresAt: bigint, time: bigint): Prediction {
    if (perEpoch === 0n) return err("ledger", "CreditLedgerZeroAmount");
    if (epochLength === 0n) return err("ledger", "CreditLedgerZeroEpochLength");
    if (expiresAt <= time || expiresAt > UINT32_MAX) {
      return err("ledger", "CreditLedgerInvalidExpiry", expiresAt, time);
    }
    return null;
  }

  applySetAllowance(
    sponsor: string,
    beneficiary: string,
    perEpoch: bigint,
    epochLength: bigint,
    expiresAt: bigint,
    time: bigint,
  ): bigint {
    const { used } = usage(this.allowance(sponsor, beneficiary), time);
    this.setAllowanceState(sponsor, beneficiary, {
      limit: perEpoch,
      used,
      epochLength,
      anchor: time,
      usedEpoch: 0n,
      expiresAt,
    });
    return used;
  }

  predictRevokeAllowance(sponsor: string, beneficiary: string): Prediction {
    if (this.allowance(sponsor, beneficiary).limit === 0n) {
      return err("ledger", "CreditLedgerNoAllowance", sponsor, beneficiary);
    }
    return null;
  }

  applyRevokeAllowance(sponsor: string, beneficiary: string): void {
    this.setAllowanceState(sponsor, beneficiary, { ...this.allowance(sponsor, beneficiary), limit: 0n });
  }

  /** What `remainingAllowance` returns now (no holds exist between bundles). */
  remainingAllowance(sponsor: string, beneficiary: string, time: bigint = this.now): bigint {
    const b = this.allowance(sponsor, beneficiary);
    if (b.limit === 0n || time >= b.expiresAt) return 0n;
    return satSub(b.limit, usage(b, time).used);
  }

  predictLedgerPause(paused: boolean): Prediction {
    if (this.ledgerPaused === paused) {
      return err("ledger", paused ? "CreditLedgerPaused" : "CreditLedgerNotPaused");
    }
    return null;
  }

  // ---------------------------------------------------------------- bundles: validation

  newBundle(version: Version): BundleScratch {
    return { creditHolds: new Map(), allowanceHolds: new Map(), deposit: this.deposits[version] };
  }

  /**
   * The time until which `need` credits of `address` stay covered, judged from `asOf` (ICreditHolds.hold):
   * live buckets are dropped from the soonest while the rest still covers `need`.
   */
  private creditsValidUntil(address: string, asOf: bigint, live: bigint, need: bigint): bigint {
    let rest = live;
    for (const b of this.account(address).buckets) {
      if (b.expiry > asOf) {
        if (rest - b.amount < need) return b.expiry - 1n;
        rest -= b.amount;
      }
    }
    return UINT48_MAX;
  }

  /**
   * Predicts the validation of operation `index` of a bundle sent to `version`'s EntryPoint at `time`, with the
   * holds of the bundle's earlier operations in `scratch`. On success the hold is added to `scratch` and returned.
   */
  validateOp(
    version: Version,
    op: ModelOp,
    index: number,
    time: bigint,
    scratch: BundleScratch,
  ): { failure: ValidationFailure } | { hold: PlacedHold } {
    const cfg = this.config;
    const prefund = prefundOf(op.gas);
    const aa33 = (inner: ExpectedError): { failure: ValidationFailure } => ({
      failure: { kind: "FailedOpWithRevert", index, reason: "AA33 reverted", inner },
    });
    if (scratch.deposit < prefund) {
      return { failure: { kind: "FailedOp", index, reason: "AA31 paymaster deposit too low" } };
    }
    scratch.deposit -= prefund;

    // CreditPaymaster._validatePaymasterUserOp
    if (this.pmPaused[version]) return aa33(err("paymaster", "CreditPaymasterPaused"));
    for (const [i, field] of GAS_FIELDS.entries()) {
      const cap = cfg[CAP_OF[field]];
      if (op.gas[field] > cap) {
        return aa33(err("paymaster", "CreditPaymasterGasLimitTooHigh", i, op.gas[field], cap));
      }
    }
    if (op.gas.paymasterPostOpGasLimit < PM_MIN_POST_OP_GAS) {
      return aa33(
        err(
          "paymaster",
          "CreditPaymasterPostOpGasTooLow",
          op.gas.paymasterPostOpGasLimit,
          PM_MIN_POST_OP_GAS,
        ),
      );
    }
    const priceWad = this.cachePriceWad;
    const priceTime = this.cacheTime;
    const held = creditsForGasCost(prefund, priceWad, cfg.markupBps);
    if (held > cfg.maxCreditsPerOp) {
      return aa33(err("paymaster", "CreditPaymasterCreditsPerOpTooHigh", held, cfg.maxCreditsPerOp));
    }
    const parsed = parsePaymasterData(op.sender, op.paymasterData);
    if ("error" in parsed) return aa33(parsed.error);
    if (parsed.userMaxCredits !== 0n && held > parsed.userMaxCredits) {
      return aa33(err("paymaster", "CreditPaymasterUserLimitExceeded", held, parsed.userMaxCredits));
    }

    // CreditLedger.hold / holdSponsored, judged as of the cached price's time
    if (this.ledgerPaused) return aa33(err("ledger", "CreditLedgerPaused"));
    const payer = parsed.payer;
    let validUntil = UINT48_MAX;
    let allowanceKeyHeld: string | undefined;
    if (parsed.sponsored) {
      const b = this.allowance(payer, op.sender);
      if (b.limit === 0n) return aa33(err("ledger", "CreditLedgerNoAllowance", payer, op.sender));
      if (priceTime >= b.expiresAt) {
        return aa33(err("ledger", "CreditLedgerAllowanceExpired", payer, op.sender, b.expiresAt));
      }
      allowanceKeyHeld = allowanceKey(payer, op.sender);
      const heldAllowance = scratch.allowanceHolds.get(allowanceKeyHeld) ?? 0n;
      const remaining = satSub(b.limit, usage(b, priceTime).used + heldAllowance);
      if (held > remaining) {
        return aa33(err("ledger", "CreditLedgerAllowanceExceeded", payer, op.sender, remaining, held));
      }
      validUntil = b.expiresAt - 1n;
    }
    const heldCredits = scratch.creditHolds.get(payer.toLowerCase()) ?? 0n;
    const live = this.account(payer).purchased + this.liveGranted(payer, priceTime);
    const available = satSub(live, heldCredits);
    if (held > available)
      return aa33(err("ledger", "CreditLedgerInsufficientCredits", payer, available, held));
    validUntil = min(validUntil, this.creditsValidUntil(payer, priceTime, live, heldCredits + held));
    validUntil = min(validUntil, priceTime + cfg.maxPriceAge);

    // EntryPoint._validateAccountAndPaymasterValidationData
    if (!op.validSignature) return { failure: { kind: "FailedOp", index, reason: "AA24 signature error" } };
    if (time > validUntil) {
      return { failure: { kind: "FailedOp", index, reason: "AA32 paymaster expired or not due" } };
    }

    scratch.creditHolds.set(payer.toLowerCase(), heldCredits + held);
    if (allowanceKeyHeld !== undefined) {
      scratch.allowanceHolds.set(
        allowanceKeyHeld,
        (scratch.allowanceHolds.get(allowanceKeyHeld) ?? 0n) + held,
      );
    }
    return { hold: { payer, sponsored: parsed.sponsored, held, priceWad, priceTime } };
  }

  // ---------------------------------------------------------------- bundles: execution

  /** Whether `postOp` of an op validated at `contextPriceTime` wants to refresh the cache at `time`. */
  wantsRefresh(contextPriceTime: bigint, time: bigint): boolean {
    const threshold = this.config.maxPriceAge / 2n;
    return time > contextPriceTime + threshold && time > this.cacheTime + threshold;
  }

  /**
   * Settlement of one operation at `time` with the charge the paymaster emitted: burns `charge` from the payer's
   * live grants (soonest expiry first) then purchased credits, and records sponsored spending. Returns the part
   * taken from grants, or null when the payer's credits cannot cover it (the ledger would revert in postOp).
   */
  applySettlement(hold: PlacedHold, beneficiary: string, charge: bigint, time: bigint): bigint | null {
    const c = this.account(hold.payer);
    let rest = charge;
    const kept: Bucket[] = [];
    for (const b of c.buckets) {
      if (rest !== 0n && b.expiry > time) {
        const take = b.amount < rest ? b.amount : rest;
        rest -= take;
        if (take === b.amount) continue;
        kept.push({ amount: b.amount - take, expiry: b.expiry });
      } else {
        kept.push({ ...b });
      }
    }
    if (rest > c.purchased) return null;
    c.buckets = kept;
    c.purchased -= rest;
    this.totals.burned += charge;
    if (hold.sponsored && charge !== 0n) {
      const b = this.allowance(hold.payer, beneficiary);
      const u = usage(b, time);
      const used = u.used + charge > UINT64_MAX ? UINT64_MAX : u.used + charge;
      this.setAllowanceState(hold.payer, beneficiary, { ...b, used, usedEpoch: u.epoch });
    }
    return charge - rest;
  }
}

/** Parsed paymaster data, or the paymaster's error for it. */
export type ParsedData =
  { payer: string; sponsored: boolean; userMaxCredits: bigint } | { error: ExpectedError };

/** `CreditPaymaster._parsePaymasterData` (layout in ICreditPaymaster). */
export function parsePaymasterData(sender: string, dataHex: string): ParsedData {
  const data = dataHex.startsWith("0x") ? dataHex.slice(2) : dataHex;
  const length = BigInt(data.length / 2);
  const byteAt = (i: number) => BigInt(`0x${data.slice(2 * i, 2 * i + 2)}`);
  const slice = (from: number, to: number) => `0x${data.slice(2 * from, 2 * to)}`;
  if (length === 0n) return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 0n, 0n, 9n) };
  const mode = byteAt(0);
  if (mode === 0n) {
    if (length !== 9n) return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 0n, length, 9n) };
    return { payer: sender, sponsored: false, userMaxCredits: BigInt(slice(1, 9)) };
  }
  if (mode === 1n) {
    if (length !== 29n)
      return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 1n, length, 29n) };
    const sponsor = getAddress(slice(1, 21));
    if (BigInt(sponsor) === 0n) return { error: err("paymaster", "CreditPaymasterZeroSponsor") };
    return { payer: sponsor, sponsored: true, userMaxCredits: BigInt(slice(21, 29)) };
  }
  return { error: err("paymaster", "CreditPaymasterUnknownMode", mode) };
}
