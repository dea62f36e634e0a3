/**
 * Reference model of the whole credit system for the invariant fuzzer: the ledger's accounting (delegated to the
 * shared {@link LedgerModel} of test/helpers/ledgerModel.ts), plus what the ledger's access rules, the
 * PriceAdapter (one Chainlink-style primary feed), both CreditPaymasters and the EntryPoint's validation phase
 * must do. The harness runs every action against the contracts and against this model and compares the two
 * after every step.
 *
 * It is written from the interfaces' documentation (ICreditLedger, ICreditHolds, ICreditPaymaster,
 * IPriceAdapter) and the EntryPoint's validation order, not from the contracts' code paths: a disagreement is
 * either a model bug or a contract bug, and the fuzzer reports both the same way.
 */
import { GAS_FIELDS, creditsForGasCost, postOpGasFloor, requiredPrefund } from "../../src/client";
import type { GasFieldName } from "../../src/client";
import type { PaymasterConfig as ClientPaymasterConfig } from "../../src/client/credits";
import { getAddress } from "ethers";

import { creditsForWei } from "../helpers/ledger";
import { LedgerModel, ModelFailure } from "../helpers/ledgerModel";
import type { ModelAccount, ModelBudget } from "../helpers/ledgerModel";

/** Credits have 6 decimals. */
export const CREDIT = 1_000_000n;
export const UINT32_MAX = 2n ** 32n - 1n;
export const UINT48_MAX = 2n ** 48n - 1n;
/** `CreditPaymaster.PRICE_REFRESH_RETRY_DELAY`: seconds without refresh attempts after a failed one. */
export const PM_REFRESH_RETRY_DELAY = 600n;
/** `CreditLedger.MAX_SPENDERS`: the spender registry holds at most this many (ICreditLedger.addSpender). */
export const MAX_SPENDERS = 4n;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** The two EntryPoint versions, each served by its own CreditPaymaster over the shared ledger. */
export type Version = "0.7" | "0.8";
export const VERSIONS: readonly Version[] = ["0.7", "0.8"];

/** A recovery waiting for its delay (ICreditLedger.pendingRecovery). */
export interface PendingRecovery {
  to: string;
  readyAt: bigint;
}

/** Which contract's ABI a custom error belongs to. */
export type ErrorSource = "ledger" | "adapter" | "paymaster";

/** A custom error the model predicts, with its exact arguments. */
export interface ExpectedError {
  source: ErrorSource;
  name: string;
  args: readonly (bigint | string | number | boolean)[];
}

/** Outcome of predicting one transaction: the error it must revert with, or null for success. */
export type Prediction = ExpectedError | null;

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

/** The paymaster configuration the campaign runs with (`defaultPaymasterConfig()`); pause is modelled apart. */
export type PaymasterConfig = Omit<ClientPaymasterConfig, "paused">;

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
  maxPriorityFeePerGas: bigint;
}

/** What the model needs to know about one operation of a bundle to predict its validation. */
export interface ModelOp {
  sender: string;
  gas: OpGas;
  /** Raw paymaster data after offset 52 (mode byte first), as hex. */
  paymasterData: string;
  /** Whether the signature is by the account's owner. */
  validSignature: boolean;
  /** Byte length of the `validatePaymasterUserOp` call data of the operation (the postOp floor grows with it). */
  validationCallDataLength: bigint;
}

/** A hold the paymaster placed for an operation that passed validation. */
export interface PlacedHold {
  payer: string;
  sponsored: boolean;
  held: bigint;
  priceWad: bigint;
  priceTime: bigint;
  /** The postOp gas floor validation checked the operation against. */
  postOpFloor: bigint;
}

/** The governance cap that bounds each gas field. */
const GAS_CAP_OF = {
  callGasLimit: "maxCallGasLimit",
  verificationGasLimit: "maxVerificationGasLimit",
  preVerificationGas: "maxPreVerificationGas",
  paymasterVerificationGasLimit: "maxPaymasterVerificationGasLimit",
  paymasterPostOpGasLimit: "maxPaymasterPostOpGasLimit",
  maxFeePerGas: "maxFeePerGas",
  maxPriorityFeePerGas: "maxPriorityFeePerGas",
} as const satisfies Record<GasFieldName, keyof PaymasterConfig>;

/** The gas fields in `CreditPaymaster.GasField` order (the client's `GAS_FIELDS`), with the cap that bounds each. */
const GAS_CAPS = GAS_FIELDS.map((field) => [field, GAS_CAP_OF[field]] as const);

function satSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Runs a ledger-model operation on a copy: the error it predicts, or null. */
function ledgerError(ledger: LedgerModel, run: (copy: LedgerModel) => void): Prediction {
  try {
    run(ledger.clone());
    return null;
  } catch (e) {
    if (e instanceof ModelFailure) {
      return { source: "ledger", name: e.expected.name, args: e.expected.args as ExpectedError["args"] };
    }
    throw e;
  }
}

/** Per-bundle scratch state of the validation phase: holds accumulate across the bundle's operations. */
export interface BundleScratch {
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
  issuerCap: ModelBudget;
  deposits: Record<Version, bigint>;
  pmPaused: Record<Version, boolean>;
  ledgerPaused: boolean;
  minPurchase: bigint;
  /** The paymaster whose EntryPoint deposit receives native purchases (deposit mode). */
  ethDestination: Version;
  /** The ledger's accounting (accounts, allowances, totals). */
  ledger: LedgerModel;
  /** Each version's CreditPaymaster (a spender of the ledger while registered). */
  paymasters: Record<Version, string>;
  /** The ledger's registered spenders. */
  spenders: ReadonlySet<string>;
  /** Addresses that own their credit-account token (opened by a purchase, a grant or a recovery to them). */
  tokenHolders: ReadonlySet<string>;
  pendingRecoveries: ReadonlyMap<string, PendingRecovery>;
  /** `recoveredTo(account)` of every account recovered so far. */
  recoveredTo: ReadonlyMap<string, string>;
  recoveryDelay: bigint;
}

export class CreditModel {
  now: bigint;
  readonly feed: FeedSettings;
  feedAnswer: bigint;
  feedUpdatedAt: bigint;
  cachePriceWad: bigint;
  cacheTime: bigint;
  readonly config: PaymasterConfig;
  readonly issuer: string;
  issuerCap: ModelBudget;
  readonly deposits: Record<Version, bigint>;
  readonly pmPaused: Record<Version, boolean>;
  /** Each paymaster's `priceRefreshRetryAfter()`: no refresh attempt before it (after a failed one). */
  readonly pmRetryAfter: Record<Version, bigint>;
  ledgerPaused: boolean;
  readonly minPurchase: bigint;
  readonly ethDestination: Version;
  readonly ledger: LedgerModel;
  readonly paymasters: Record<Version, string>;
  readonly spenders: Set<string>;
  readonly tokenHolders: Set<string>;
  readonly pendingRecoveries: Map<string, PendingRecovery>;
  readonly recoveredTo: Map<string, string>;
  readonly recoveryDelay: bigint;

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
    this.pmRetryAfter = { "0.7": 1n, "0.8": 1n };
    this.ledgerPaused = init.ledgerPaused;
    this.minPurchase = init.minPurchase;
    this.ethDestination = init.ethDestination;
    this.ledger = init.ledger.clone();
    this.paymasters = { ...init.paymasters };
    this.spenders = new Set(init.spenders);
    this.tokenHolders = new Set(init.tokenHolders);
    this.pendingRecoveries = new Map([...init.pendingRecoveries].map(([k, v]) => [k, { ...v }]));
    this.recoveredTo = new Map(init.recoveredTo);
    this.recoveryDelay = init.recoveryDelay;
  }

  /** A deep copy (each fuzzing run starts from a copy of the fixture's model). */
  clone(): CreditModel {
    return new CreditModel(this);
  }

  // ---------------------------------------------------------------- state access (checksummed addresses)

  account(address: string): ModelAccount {
    return this.ledger.account(getAddress(address));
  }

  allowance(sponsor: string, beneficiary: string): ModelBudget {
    return { ...this.ledger.budget(getAddress(sponsor), getAddress(beneficiary)) };
  }

  /** Stored, expired, not yet swept credits at `time`. */
  expiredUnswept(address: string, time: bigint = this.now): bigint {
    return this.account(address).buckets.reduce((s, b) => (b.expiry <= time ? s + b.amount : s), 0n);
  }

  /** What `remainingAllowance` returns now (no holds exist between bundles; 0 once the beneficiary was
   *  recovered: a recovery ends every allowance given to the old address). */
  remainingAllowance(sponsor: string, beneficiary: string): bigint {
    if (this.recoveredTo.has(getAddress(beneficiary))) return 0n;
    return this.ledger.remainingAllowance(getAddress(sponsor), getAddress(beneficiary), this.now);
  }

  /** Whether `address` holds no credits at all (purchased, live or expired-unswept granted). */
  creditStateEmpty(address: string): boolean {
    const a = this.ledger.accounts.get(getAddress(address));
    return a === undefined || (a.purchased === 0n && a.buckets.every((b) => b.amount === 0n));
  }

  /** `CreditLedgerAccountRecovered(account, to)` when `account` was recovered, else null. */
  private recoveredError(account: string): ExpectedError | null {
    const to = this.recoveredTo.get(getAddress(account));
    return to === undefined ? null : err("ledger", "CreditLedgerAccountRecovered", getAddress(account), to);
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

  // ---------------------------------------------------------------- ledger transactions

  /**
   * `buyCredits(account){value}` at `time`: pause, then the adapter's live price, then the minimum. A purchase
   * first refreshes the adapter's cache to the live price (`refreshAndQuoteWei`) and credits at that price.
   */
  predictBuy(account: string, weiAmount: bigint, time: bigint): Prediction {
    if (this.ledgerPaused) return err("ledger", "CreditLedgerPaused");
    const priceError = this.livePriceError(time);
    if (priceError !== null) return priceError;
    const credits = creditsForWei(weiAmount, this.livePriceWad());
    return ledgerError(this.ledger, (l) => l.buy(getAddress(account), credits, time, this.minPurchase));
  }

  applyBuy(account: string, weiAmount: bigint, time: bigint): bigint {
    this.applyRefresh(time);
    const credits = creditsForWei(weiAmount, this.cachePriceWad);
    this.ledger.buy(getAddress(account), credits, time, this.minPurchase);
    this.tokenHolders.add(getAddress(account));
    this.deposits[this.ethDestination] += weiAmount;
    return credits;
  }

  /** `grant(account, amount, expiresAt)` by the issuer at `time`: pause, amount, expiry, issuer cap, buckets. */
  predictGrant(account: string, amount: bigint, expiresAt: bigint, time: bigint): Prediction {
    if (this.ledgerPaused) return err("ledger", "CreditLedgerPaused");
    if (amount === 0n) return err("ledger", "CreditLedgerZeroAmount");
    if (expiresAt <= time || expiresAt > UINT32_MAX) {
      return err("ledger", "CreditLedgerInvalidExpiry", expiresAt, time);
    }
    const remaining = satSub(this.issuerCap.limit, LedgerModel.usage(this.issuerCap, time).used);
    if (amount > remaining)
      return err("ledger", "CreditLedgerIssuerCapExceeded", this.issuer, remaining, amount);
    return ledgerError(this.ledger, (l) => l.grant(getAddress(account), amount, expiresAt, time));
  }

  applyGrant(account: string, amount: bigint, expiresAt: bigint, time: bigint): void {
    const u = LedgerModel.usage(this.issuerCap, time);
    this.issuerCap = { ...this.issuerCap, used: u.used + amount, usedEpoch: u.epoch };
    this.ledger.grant(getAddress(account), amount, expiresAt, time);
    this.tokenHolders.add(getAddress(account));
  }

  /** `revokeGrant(account, expiresAt, amount, reason)` by the issuer at `time` (works while paused). */
  predictRevoke(account: string, expiresAt: bigint, amount: bigint, time: bigint): Prediction {
    return ledgerError(this.ledger, (l) => l.revoke(getAddress(account), expiresAt, amount, time));
  }

  applyRevoke(account: string, expiresAt: bigint, amount: bigint, time: bigint): void {
    this.ledger.revoke(getAddress(account), expiresAt, amount, time);
  }

  /** `sweepExpired(account)` at `time` (anyone; never reverts). */
  applySweep(account: string, time: bigint): bigint {
    return this.ledger.sweep(getAddress(account), time);
  }

  /**
   * `setAllowance(beneficiary, perEpoch, epochLength, expiresAt)` at `time`: a recovered beneficiary, amount, epoch,
   * expiry.
   */
  predictSetAllowance(
    beneficiary: string,
    perEpoch: bigint,
    epochLength: bigint,
    expiresAt: bigint,
    time: bigint,
  ): Prediction {
    const recovered = this.recoveredError(beneficiary);
    if (recovered !== null) return recovered;
    if (perEpoch === 0n) return err("ledger", "CreditLedgerZeroAmount");
    if (epochLength === 0n) return err("ledger", "CreditLedgerZeroEpochLength");
    if (expiresAt <= time || expiresAt > UINT32_MAX) {
      return err("ledger", "CreditLedgerInvalidExpiry", expiresAt, time);
    }
    return null;
  }

  /** Returns what was already spent in the current epoch (carried into the new one). */
  applySetAllowance(
    sponsor: string,
    beneficiary: string,
    perEpoch: bigint,
    epochLength: bigint,
    expiresAt: bigint,
    time: bigint,
  ): bigint {
    return this.ledger.setAllowance(
      getAddress(sponsor),
      getAddress(beneficiary),
      perEpoch,
      epochLength,
      expiresAt,
      time,
    );
  }

  predictRevokeAllowance(sponsor: string, beneficiary: string): Prediction {
    return ledgerError(this.ledger, (l) => l.revokeAllowance(getAddress(sponsor), getAddress(beneficiary)));
  }

  applyRevokeAllowance(sponsor: string, beneficiary: string): void {
    this.ledger.revokeAllowance(getAddress(sponsor), getAddress(beneficiary));
  }

  predictLedgerPause(paused: boolean): Prediction {
    if (this.ledgerPaused === paused) {
      return err("ledger", paused ? "CreditLedgerPaused" : "CreditLedgerNotPaused");
    }
    return null;
  }

  // ---------------------------------------------------------------- spenders

  /** `addSpender(spender)` by the admin: already registered, then the registry's limit. */
  predictAddSpender(spender: string): Prediction {
    const s = getAddress(spender);
    if (this.spenders.has(s)) return err("ledger", "CreditLedgerSpenderAlreadyAdded", s);
    if (BigInt(this.spenders.size) >= MAX_SPENDERS) {
      return err("ledger", "CreditLedgerTooManySpenders", MAX_SPENDERS);
    }
    return null;
  }

  /** `removeSpender(spender)` by the admin (no spender holds anything between transactions). */
  predictRemoveSpender(spender: string): Prediction {
    const s = getAddress(spender);
    if (!this.spenders.has(s)) return err("ledger", "CreditLedgerSpenderNotFound", s);
    return null;
  }

  /**
   * `hold(account, amount, time)` then `settle(account, amount, charge)` by `spender` in one transaction at `time`
   * (ICreditHolds): a registered spender, the pause, a non-zero amount, then the account's unexpired credits.
   */
  predictSpend(spender: string, account: string, amount: bigint, time: bigint): Prediction {
    if (!this.spenders.has(getAddress(spender))) {
      return err("ledger", "CreditLedgerUnauthorizedSpender", getAddress(spender));
    }
    if (this.ledgerPaused) return err("ledger", "CreditLedgerPaused");
    if (amount === 0n) return err("ledger", "CreditLedgerZeroAmount");
    const available = this.ledger.live(getAddress(account), time);
    if (amount > available) {
      return err("ledger", "CreditLedgerInsufficientCredits", getAddress(account), available, amount);
    }
    return null;
  }

  /** Applies a settlement of `charge` on `account` at `time` (soonest-expiring grants first); returns fromGrants. */
  applySpend(account: string, charge: bigint, time: bigint): bigint {
    return this.ledger.burn(getAddress(account), charge, time);
  }

  // ---------------------------------------------------------------- recovery

  /**
   * `initiateRecovery(from, to)` at `time` by a caller with (`authorized`) or without the recovery or admin role:
   * the role, the target (zero or `from`), `from`'s account, the target's credit state, a recovered target.
   */
  predictInitiateRecovery(
    caller: string,
    authorized: boolean,
    recoveryRole: string,
    from: string,
    to: string,
  ): Prediction {
    if (!authorized)
      return err("ledger", "AccessControlUnauthorizedAccount", getAddress(caller), recoveryRole);
    if (BigInt(to) === 0n || getAddress(to) === getAddress(from)) {
      return err("ledger", "CreditLedgerInvalidRecoveryTarget", getAddress(from), getAddress(to));
    }
    if (!this.tokenHolders.has(getAddress(from)))
      return err("ledger", "CreditLedgerNoAccount", getAddress(from));
    if (!this.creditStateEmpty(to))
      return err("ledger", "CreditLedgerRecoveryTargetNotEmpty", getAddress(to));
    return this.recoveredError(to);
  }

  /** Replaces any pending recovery of `from`; returns its `readyAt`. */
  applyInitiateRecovery(from: string, to: string, time: bigint): bigint {
    const readyAt = time + this.recoveryDelay;
    this.pendingRecoveries.set(getAddress(from), { to: getAddress(to), readyAt });
    return readyAt;
  }

  /** `cancelRecovery()` by `from`. */
  predictCancelRecovery(from: string): Prediction {
    if (!this.pendingRecoveries.has(getAddress(from))) {
      return err("ledger", "CreditLedgerNoRecovery", getAddress(from));
    }
    return null;
  }

  /** Returns the cancelled recovery's target. */
  applyCancelRecovery(from: string): string {
    const pending = this.pendingRecoveries.get(getAddress(from))!;
    this.pendingRecoveries.delete(getAddress(from));
    return pending.to;
  }

  /** `executeRecovery(from)` at `time` (anyone): a pending recovery, its delay, then the target as at initiation. */
  predictExecuteRecovery(from: string, time: bigint): Prediction {
    const pending = this.pendingRecoveries.get(getAddress(from));
    if (pending === undefined) return err("ledger", "CreditLedgerNoRecovery", getAddress(from));
    if (time < pending.readyAt) {
      return err("ledger", "CreditLedgerRecoveryNotReady", getAddress(from), pending.readyAt);
    }
    if (!this.creditStateEmpty(pending.to)) {
      return err("ledger", "CreditLedgerRecoveryTargetNotEmpty", pending.to);
    }
    return this.recoveredError(pending.to);
  }

  /**
   * Moves every credit of `from` to its pending target at `time` (the ledger sweeps `from` as it writes it; the
   * live buckets keep their expiries), ends the allowances given to `from` (it is marked recovered), burns its token
   * and gives the target one. Returns what `RecoveryExecuted` reports.
   */
  applyExecuteRecovery(from: string, time: bigint): { to: string; purchased: bigint; granted: bigint } {
    const f = getAddress(from);
    const { to } = this.pendingRecoveries.get(f)!;
    this.pendingRecoveries.delete(f);
    this.ledger.sweep(f, time);
    const moved = this.ledger.account(f);
    this.ledger.accounts.set(to, {
      purchased: moved.purchased,
      buckets: moved.buckets.map((b) => ({ ...b })),
    });
    this.ledger.accounts.set(f, { purchased: 0n, buckets: [] });
    this.recoveredTo.set(f, to);
    this.tokenHolders.delete(f);
    this.tokenHolders.add(to);
    return { to, purchased: moved.purchased, granted: moved.buckets.reduce((s, b) => s + b.amount, 0n) };
  }

  // ---------------------------------------------------------------- bundles: validation

  newBundle(version: Version): BundleScratch {
    return { creditHolds: new Map(), allowanceHolds: new Map(), deposit: this.deposits[version] };
  }

  /**
   * Predicts the validation of operation `index` of a bundle sent to `version`'s EntryPoint at `time`, with the
   * holds of the bundle's earlier operations in `scratch`, in the EntryPoint's order: the paymaster's deposit
   * (AA31), the paymaster (AA33 with its or the ledger's error), the account's signature (AA24), then the
   * paymaster's time range (AA32). On success the hold is added to `scratch` and returned.
   */
  validateOp(
    version: Version,
    op: ModelOp,
    index: number,
    time: bigint,
    scratch: BundleScratch,
  ): { failure: ValidationFailure } | { hold: PlacedHold } {
    const cfg = this.config;
    const prefund = requiredPrefund(op.gas);
    const aa33 = (inner: ExpectedError): { failure: ValidationFailure } => ({
      failure: { kind: "FailedOpWithRevert", index, reason: "AA33 reverted", inner },
    });
    if (scratch.deposit < prefund) {
      return { failure: { kind: "FailedOp", index, reason: "AA31 paymaster deposit too low" } };
    }
    scratch.deposit -= prefund;

    // CreditPaymaster._validatePaymasterUserOp: pause, paymaster data, caps, postOp floor, price, holds.
    if (this.pmPaused[version]) return aa33(err("paymaster", "CreditPaymasterPaused"));
    const parsed = parsePaymasterData(op.sender, op.paymasterData);
    if ("error" in parsed) return aa33(parsed.error);
    for (const [field, [gasKey, capKey]] of GAS_CAPS.entries()) {
      if (op.gas[gasKey] > cfg[capKey]) {
        return aa33(err("paymaster", "CreditPaymasterGasLimitTooHigh", field, op.gas[gasKey], cfg[capKey]));
      }
    }
    const floor = postOpGasFloor(
      version,
      parsed.sponsored ? "SPONSORED" : "SELF",
      op.validationCallDataLength,
      cfg.postOpGasMargin,
    );
    if (op.gas.paymasterPostOpGasLimit < floor) {
      return aa33(err("paymaster", "CreditPaymasterPostOpGasTooLow", op.gas.paymasterPostOpGasLimit, floor));
    }
    const priceWad = this.cachePriceWad;
    const priceTime = this.cacheTime;
    const worst = creditsForGasCost(prefund, priceWad, cfg.markupBps);
    const held = worst === 0n ? 1n : worst;
    if (held > cfg.maxCreditsPerOp) {
      return aa33(err("paymaster", "CreditPaymasterCreditsPerOpTooHigh", held, cfg.maxCreditsPerOp));
    }
    if (parsed.userMaxCredits !== 0n && held > parsed.userMaxCredits) {
      return aa33(err("paymaster", "CreditPaymasterUserLimitExceeded", held, parsed.userMaxCredits));
    }

    // CreditLedger.hold / holdSponsored, judged as of the cached price's time (a lower bound of now): a registered
    // spender, the pause, a beneficiary not recovered (sponsored), the allowance, then the payer's credits.
    const pm = getAddress(this.paymasters[version]);
    if (!this.spenders.has(pm)) return aa33(err("ledger", "CreditLedgerUnauthorizedSpender", pm));
    if (this.ledgerPaused) return aa33(err("ledger", "CreditLedgerPaused"));
    const payer = parsed.payer;
    let validUntil = UINT48_MAX;
    const allowanceKey = LedgerModel.allowanceKey(payer, op.sender);
    if (parsed.sponsored) {
      const recovered = this.recoveredError(op.sender);
      if (recovered !== null) return aa33(recovered);
      const b = this.allowance(payer, op.sender);
      if (b.limit === 0n) return aa33(err("ledger", "CreditLedgerNoAllowance", payer, op.sender));
      if (priceTime >= b.expiresAt) {
        return aa33(err("ledger", "CreditLedgerAllowanceExpired", payer, op.sender, b.expiresAt));
      }
      const heldAllowance = scratch.allowanceHolds.get(allowanceKey) ?? 0n;
      const remaining = satSub(b.limit, LedgerModel.usage(b, priceTime).used + heldAllowance);
      if (held > remaining) {
        return aa33(err("ledger", "CreditLedgerAllowanceExceeded", payer, op.sender, remaining, held));
      }
      validUntil = b.expiresAt - 1n;
    }
    const heldCredits = scratch.creditHolds.get(payer) ?? 0n;
    const available = satSub(this.ledger.live(payer, priceTime), heldCredits);
    if (held > available)
      return aa33(err("ledger", "CreditLedgerInsufficientCredits", payer, available, held));
    validUntil = min(validUntil, this.ledger.validUntil(payer, priceTime, heldCredits + held));
    validUntil = min(validUntil, priceTime + cfg.maxPriceAge);

    // EntryPoint._validateAccountAndPaymasterValidationData
    if (!op.validSignature) return { failure: { kind: "FailedOp", index, reason: "AA24 signature error" } };
    if (time > validUntil) {
      return { failure: { kind: "FailedOp", index, reason: "AA32 paymaster expired or not due" } };
    }

    scratch.creditHolds.set(payer, heldCredits + held);
    if (parsed.sponsored) {
      scratch.allowanceHolds.set(allowanceKey, (scratch.allowanceHolds.get(allowanceKey) ?? 0n) + held);
    }
    return { hold: { payer, sponsored: parsed.sponsored, held, priceWad, priceTime, postOpFloor: floor } };
  }

  // ---------------------------------------------------------------- bundles: execution

  /**
   * Whether `postOp` of an op validated at `contextPriceTime` through `version`'s paymaster wants to refresh the
   * cache at `time`: the cache is old and no failed refresh of that paymaster is less than the retry delay ago.
   */
  wantsRefresh(version: Version, contextPriceTime: bigint, time: bigint): boolean {
    const threshold = this.config.maxPriceAge / 2n;
    return (
      time > contextPriceTime + threshold &&
      time > this.cacheTime + threshold &&
      time >= this.pmRetryAfter[version]
    );
  }

  /** A failed refresh in `version`'s postOp at `time`: no attempt before the retry delay is over. */
  applyRefreshFailure(version: Version, time: bigint): void {
    this.pmRetryAfter[version] = time + PM_REFRESH_RETRY_DELAY;
  }

  /**
   * Settlement of one operation at `time` with the charge the paymaster emitted: burns it from the payer's live
   * grants (soonest expiry first) then purchased credits, and records sponsored spending. Returns the part taken
   * from grants, or null when the payer's credits cannot cover it (the ledger would revert in postOp).
   */
  applySettlement(hold: PlacedHold, beneficiary: string, charge: bigint, time: bigint): bigint | null {
    let fromGrants: bigint;
    try {
      fromGrants = this.ledger.burn(hold.payer, charge, time);
    } catch {
      return null;
    }
    if (hold.sponsored) this.ledger.recordSpent(hold.payer, getAddress(beneficiary), charge, time);
    return fromGrants;
  }
}

/** Parsed paymaster data, or the paymaster's error for it. */
export type ParsedData =
  { payer: string; sponsored: boolean; userMaxCredits: bigint } | { error: ExpectedError };

/** `CreditPaymaster._parsePaymasterData` (layout in ICreditPaymaster). */
export function parsePaymasterData(sender: string, dataHex: string): ParsedData {
  const data = dataHex.startsWith("0x") ? dataHex.slice(2) : dataHex;
  const length = BigInt(data.length / 2);
  const slice = (from: number, to: number) => `0x${data.slice(2 * from, 2 * to)}`;
  if (length === 0n) return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 0n, 0n, 9n) };
  const mode = BigInt(slice(0, 1));
  if (mode === 0n) {
    if (length !== 9n) return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 0n, length, 9n) };
    return { payer: getAddress(sender), sponsored: false, userMaxCredits: BigInt(slice(1, 9)) };
  }
  if (mode === 1n) {
    if (length !== 29n)
      return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 1n, length, 29n) };
    const sponsor = getAddress(slice(1, 21));
    if (BigInt(sponsor) === 0n) return { error: err("paymaster", "CreditPaymasterZeroSponsor") };
    return { payer: sponsor, sponsored: true, userMaxCredits: BigInt(slice(21, 29)) };
  }
  if (mode === 2n) {
    // POLICY (issue 13): 37 bytes after the mode's offset, or 49 + a signature with an approval. The campaign only
    // sends mode 2 as an "unknown mode" payload (9 bytes); well-formed POLICY operations are covered by
    // test/paymaster/CreditPaymaster.policies.test.ts and test/security/policies.security.test.ts.
    if (length !== 37n && length <= 49n) {
      return { error: err("paymaster", "CreditPaymasterInvalidDataLength", 2n, length, 37n) };
    }
    throw new Error("the fuzz model does not cover well-formed POLICY paymaster data");
  }
  return { error: err("paymaster", "CreditPaymasterUnknownMode", mode) };
}
