/**
 * The fuzzer's actions (plain, JSON-printable data) and their fast-check arbitraries.
 *
 * Every action can be attempted in every state: the model predicts whether it succeeds or exactly how it
 * reverts, so no action has a precondition and fast-check can shrink a failing sequence freely.
 */
import fc from "fast-check";

import { GAS_FIELDS } from "../../src/client";
import type { GasFieldName } from "../../src/client";
import { MAX_REVERT_REASON } from "../helpers/hostile";
import type { HostileShape } from "../helpers/hostile";
import type { Version } from "./model";

/** Users (SimpleAccounts) per EntryPoint version; they pay for themselves or are sponsored. */
export const USERS_PER_VERSION = 5;
/** `TestHostileAccount`s per EntryPoint version: the first pays for itself, the second is sponsored. */
export const HOSTILE_PER_VERSION = 2;
/** Sponsors (EOAs): a rich dApp, a mid-sized one with expiring allowances, and a poor one. */
export const SPONSORS = 3;
/** EOAs without credits until a recovery moves credits to them (purchases and grants never target them). */
export const SPARES = 3;
/** Beneficiaries of allowances: users of v0.7, users of v0.8, hostile accounts of v0.7, of v0.8. */
export const BENEFICIARIES = 2 * (USERS_PER_VERSION + HOSTILE_PER_VERSION);
/** Credit-holding accounts that revocations, sweeps, TestSpender spends and recoveries target (purchases and grants
 *  all but the spares): the beneficiaries (in their order), then sponsors, then spares. */
export const HOLDERS = BENEFICIARIES + SPONSORS + SPARES;
/**
 * Candidate spenders of the ledger: a `TestSpender` (index 0, which also spends: hold and settle in one
 * transaction), two EOAs that never spend (1, 2), then the v0.7 and v0.8 paymasters (3, 4). With both paymasters
 * registered, adding all three extras meets the registry's limit of four.
 */
export const SPENDER_CANDIDATES = 5;

const GWEI = 1_000_000_000n;

/** The user's own call in the operation. */
export type CallKind = "increment" | "fail" | "burnAll" | "movePrice";

/** How the paymaster data of an operation is built. */
export type DataKind =
  | { kind: "valid" }
  | { kind: "empty" }
  | { kind: "badLength"; delta: number }
  | { kind: "unknownMode"; mode: number }
  | { kind: "zeroSponsor" };

/** The gas fields of an operation and which profile produced them. */
export interface GasSpec {
  profile: "standard" | "inflated" | "overCap" | "lowPostOp" | "highFee";
  verificationGasLimit: bigint;
  callGasLimit: bigint;
  preVerificationGas: bigint;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
  maxFeePerGas: bigint;
}

/** One UserOperation of a bundle. */
export interface OpSpec {
  /** Index of the sender among the bundle version's users. */
  user: number;
  /** Sponsor index (SPONSORED mode), or null (SELF mode). */
  sponsor: number | null;
  data: DataKind;
  /** The user's own credit limit in the paymaster data (0 = none). */
  maxCredits: bigint;
  call: CallKind;
  /** New feed answer of a `movePrice` call (8 decimals). */
  moveTo: bigint;
  gas: GasSpec;
  /** Signed by a key that does not own the account (EntryPoint: AA24). */
  badSignature: boolean;
}

/**
 * A hostile operation (issue 11, F1), sent alone in its bundle like an attacker would: a `TestHostileAccount`'s call
 * burns all of `callGasLimit` and reverts with `shape.reasonLength` bytes; the harness lowers both verification
 * limits to the smallest the EntryPoint accepts and sets `paymasterPostOpGasLimit` to the paymaster's floor for
 * the operation plus `postOpExtra`; both fees are the priority-fee cap plus `feeExcess`.
 */
export interface HostileSpec {
  version: Version;
  /** `account`: index among the version's hostile accounts (0 is meant to pay for itself, 1 to be sponsored);
   *  `sponsor`: sponsor index (SPONSORED mode), or null (SELF mode). */
  party: { account: number; sponsor: number | null };
  shape: HostileShape;
  callGasLimit: bigint;
  /** Gas above the paymaster's postOp floor for the operation (0 = exactly at the floor). */
  postOpExtra: bigint;
  /** Wei per gas above the priority-fee cap (0 = at the cap: the gas price is then `maxFeePerGas`). */
  feeExcess: bigint;
  /**
   * Seconds into the window where a price refresh is due (the cache older than `maxPriceAge / 2`, not yet stale) to
   * move the clock to before the operation, when the cache is younger than that; 0 = no wait.
   */
  refreshDueAt: bigint;
}

/** How much a `spend` by the TestSpender holds, relative to the holder's credits. */
export type SpendAmount = "all" | "half" | "one" | "over" | "zero";

export type Action =
  | { kind: "buy"; holder: number; wei: bigint }
  | { kind: "grant"; holder: number; amount: bigint; expiryOffset: bigint }
  | { kind: "revoke"; holder: number; bucket: number; amount: "all" | "half" | "over" | "zero" | "absent" }
  | { kind: "sweep"; holder: number }
  | {
      kind: "setAllowance";
      sponsor: number;
      /** Index among the beneficiaries (users and hostile accounts of both versions). */
      beneficiary: number;
      perEpoch: bigint;
      epochLength: bigint;
      /** Seconds from now; 0 = never (`type(uint32).max`); negative = an invalid expiry. */
      expiryOffset: bigint;
    }
  | { kind: "revokeAllowance"; sponsor: number; beneficiary: number }
  | { kind: "time"; seconds: bigint }
  | { kind: "price"; answer: bigint; refresh: boolean }
  | { kind: "refresh" }
  | { kind: "pauseLedger"; paused: boolean }
  | { kind: "pausePaymaster"; version: Version; paused: boolean }
  | { kind: "deposit"; version: Version; wei: bigint }
  | { kind: "bundle"; version: Version; ops: OpSpec[] }
  | ({ kind: "hostile" } & HostileSpec)
  | { kind: "addSpender"; spender: number }
  | { kind: "removeSpender"; spender: number }
  /** The TestSpender holds `amount` of the holder's credits and settles `charge` of them in one transaction. */
  | { kind: "spend"; holder: number; amount: SpendAmount; charge: "all" | "half" | "zero" }
  /** `initiateRecovery(from, to)` by the recovery role, the admin, or an outsider; `to` = -1: the zero address. */
  | { kind: "initiateRecovery"; from: number; to: number; by: "recoverer" | "admin" | "outsider" }
  /** The account itself cancels its pending recovery; `from`: the n-th pending recovery (if any), or holder n. */
  | { kind: "cancelRecovery"; from: RecoveryPick }
  /** Anyone executes the pending recovery of `from` (picked as for `cancelRecovery`). */
  | { kind: "executeRecovery"; from: RecoveryPick };

/** Which account a recovery action names: the `index`-th with a pending recovery (modulo their number; holder
 *  `index` when none is pending), or holder `index` (`pending: false`). */
export interface RecoveryPick {
  pending: boolean;
  index: number;
}

/** Default gas of a well-formed operation (as `creditOp` in src/aa/system.ts). */
export const STANDARD_GAS = {
  verificationGasLimit: 500_000n,
  callGasLimit: 200_000n,
  preVerificationGas: 50_000n,
  paymasterVerificationGasLimit: 150_000n,
  paymasterPostOpGasLimit: 80_000n,
  maxFeePerGas: 3n * GWEI,
} as const;

/** The governance caps of `defaultPaymasterConfig()`, in GasField order. */
const CAPS = [2_000_000n, 1_000_000n, 1_000_000n, 300_000n, 500_000n, 500n * GWEI] as const;
/** The capped fields a {@link GasSpec} sets: the client's `GAS_FIELDS` (GasField order) but the priority fee. */
const GAS_KEYS = GAS_FIELDS.filter(
  (field): field is Exclude<GasFieldName, "maxPriorityFeePerGas"> => field !== "maxPriorityFeePerGas",
);

const standardGas: fc.Arbitrary<GasSpec> = fc.constant({ profile: "standard", ...STANDARD_GAS });

/** Every gas field anywhere up to its cap (attacker-chosen limits that governance allows: P1). */
const inflatedGas: fc.Arbitrary<GasSpec> = fc.record({
  profile: fc.constant("inflated" as const),
  verificationGasLimit: fc.bigInt(500_000n, 1_000_000n),
  callGasLimit: fc.bigInt(200_000n, 2_000_000n),
  preVerificationGas: fc.bigInt(50_000n, 1_000_000n),
  paymasterVerificationGasLimit: fc.bigInt(150_000n, 300_000n),
  paymasterPostOpGasLimit: fc.bigInt(45_000n, 500_000n),
  maxFeePerGas: fc.bigInt(GWEI, 8n * GWEI),
});

/** One field above its cap (callGasLimit up to 5M: the public report's 100k → 5M case). */
const overCapGas: fc.Arbitrary<GasSpec> = fc
  .tuple(fc.integer({ min: 0, max: 5 }), fc.bigInt(1n, 3_000_000n))
  .map(([field, excess]) => {
    const gas: GasSpec = { profile: "overCap", ...STANDARD_GAS };
    gas[GAS_KEYS[field]] = CAPS[field] + (field === 5 ? excess * 100_000n : excess);
    return gas;
  });

/** A postOp limit around and below the postOp floor (~52,000 to ~58,000 for these operations). */
const lowPostOpGas: fc.Arbitrary<GasSpec> = fc
  .bigInt(1n, 60_000n)
  .map((pogl) => ({ profile: "lowPostOp", ...STANDARD_GAS, paymasterPostOpGasLimit: pogl }));

/** A high fee within the cap: large holds (credits-per-op cap, deposit), and large charges. */
const highFeeGas: fc.Arbitrary<GasSpec> = fc
  .bigInt(20n * GWEI, 500n * GWEI)
  .map((fee) => ({ profile: "highFee", ...STANDARD_GAS, maxFeePerGas: fee }));

const gasArb: fc.Arbitrary<GasSpec> = fc.oneof(
  { arbitrary: standardGas, weight: 12 },
  { arbitrary: inflatedGas, weight: 4 },
  { arbitrary: overCapGas, weight: 1 },
  { arbitrary: lowPostOpGas, weight: 1 },
  { arbitrary: highFeeGas, weight: 1 },
);

const dataArb: fc.Arbitrary<DataKind> = fc.oneof(
  { arbitrary: fc.constant({ kind: "valid" as const }), weight: 40 },
  { arbitrary: fc.constant({ kind: "empty" as const }), weight: 1 },
  {
    arbitrary: fc
      .integer({ min: -10, max: 24 })
      .filter((d) => d !== 0)
      .map((delta) => ({ kind: "badLength" as const, delta })),
    weight: 2,
  },
  {
    arbitrary: fc.integer({ min: 2, max: 255 }).map((mode) => ({ kind: "unknownMode" as const, mode })),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: "zeroSponsor" as const }), weight: 1 },
);

const CREDIT = 1_000_000n;

/** Mostly none; sometimes below any realistic hold (rejected), sometimes generous. */
const maxCreditsArb: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.constant(0n), weight: 8 },
  { arbitrary: fc.bigInt(1n, 3n * CREDIT), weight: 1 },
  { arbitrary: fc.bigInt(100n * CREDIT, 1_000n * CREDIT), weight: 1 },
);

const callArb: fc.Arbitrary<CallKind> = fc.oneof(
  { arbitrary: fc.constant("increment" as const), weight: 10 },
  { arbitrary: fc.constant("fail" as const), weight: 2 },
  { arbitrary: fc.constant("burnAll" as const), weight: 2 },
  { arbitrary: fc.constant("movePrice" as const), weight: 1 },
);

export const opArb: fc.Arbitrary<OpSpec> = fc.record({
  user: fc.integer({ min: 0, max: USERS_PER_VERSION - 1 }),
  sponsor: fc.oneof(
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: SPONSORS - 1 }), weight: 1 },
  ),
  data: dataArb,
  maxCredits: maxCreditsArb,
  call: callArb,
  moveTo: fc.bigInt(2_000n * 10n ** 8n, 4_500n * 10n ** 8n),
  gas: gasArb,
  badSignature: fc.oneof(
    { arbitrary: fc.constant(false), weight: 25 },
    { arbitrary: fc.constant(true), weight: 1 },
  ),
});

const holderArb = fc.integer({ min: 0, max: HOLDERS - 1 });
/** Purchases and grants go to every holder but the spares, which receive credits only through recoveries. */
const creditTargetArb = fc.integer({ min: 0, max: HOLDERS - SPARES - 1 });
const beneficiaryArb = fc.integer({ min: 0, max: BENEFICIARIES - 1 });
const versionArb = fc.constantFrom<Version>("0.7", "0.8");

/** Revert reasons: mostly the worst (2,048 bytes, the most the EntryPoint logs), sometimes shorter or none. */
const reasonLengthArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(MAX_REVERT_REASON), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: MAX_REVERT_REASON - 1 }), weight: 2 },
  { arbitrary: fc.constant(0), weight: 1 },
);

/** Call-data padding: mostly small, sometimes a few KB, occasionally 16–64 KB (each of those takes ~1 s). */
const paddingArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 256 }), weight: 12 },
  { arbitrary: fc.integer({ min: 257, max: 16_383 }), weight: 4 },
  { arbitrary: fc.integer({ min: 16_384, max: 65_536 }), weight: 1 },
);

/** The sender and payer of a hostile operation: account 0 pays for itself and account 1 is sponsored, mostly. */
const hostilePartyArb: fc.Arbitrary<{ account: number; sponsor: number | null }> = fc.oneof(
  {
    arbitrary: fc.record({
      account: fc.constant(0),
      sponsor: fc.oneof(
        { arbitrary: fc.constant(null), weight: 9 },
        { arbitrary: fc.integer({ min: 0, max: SPONSORS - 1 }), weight: 1 },
      ),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      account: fc.constant(1),
      sponsor: fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: SPONSORS - 1 }), weight: 9 },
        { arbitrary: fc.constant(null), weight: 1 },
      ),
    }),
    weight: 1,
  },
);

export const hostileArb: fc.Arbitrary<{ kind: "hostile" } & HostileSpec> = fc.record({
  kind: fc.constant("hostile" as const),
  version: versionArb,
  party: hostilePartyArb,
  shape: fc.record({
    reasonLength: reasonLengthArb,
    padding: paddingArb,
    executeUserOp: fc.oneof(
      { arbitrary: fc.constant(false), weight: 2 },
      { arbitrary: fc.constant(true), weight: 1 },
    ),
  }),
  callGasLimit: fc.oneof(
    { arbitrary: fc.constant(30_000n), weight: 4 },
    { arbitrary: fc.bigInt(30_000n, 300_000n), weight: 1 },
  ),
  postOpExtra: fc.oneof(
    { arbitrary: fc.constant(0n), weight: 6 },
    { arbitrary: fc.bigInt(1n, 3_000n), weight: 3 },
    { arbitrary: fc.bigInt(150_000n, 260_000n), weight: 1 }, // room for postOp's price refresh
  ),
  feeExcess: fc.oneof(
    { arbitrary: fc.constant(0n), weight: 9 },
    { arbitrary: fc.bigInt(1n, 10n * GWEI), weight: 1 },
  ),
  refreshDueAt: fc.oneof(
    { arbitrary: fc.constant(0n), weight: 2 },
    { arbitrary: fc.bigInt(1n, 1_700n), weight: 1 },
  ),
});

/** Spender candidates to add: mostly the TestSpender (which spends, so that removing it carries burns over). */
const addSpenderArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: SPENDER_CANDIDATES - 1 }), weight: 4 },
);
/** Spender candidates to remove: mostly the extras; rarely a paymaster (its operations then fail). */
const removeSpenderArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 12 },
  { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 6 },
  { arbitrary: fc.constantFrom(3, 4), weight: 1 },
);

/** A recovery target: often a spare (empty, unless it received credits), any holder, rarely the zero address. */
const recoveryTargetArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: HOLDERS - SPARES, max: HOLDERS - 1 }), weight: 6 },
  { arbitrary: holderArb, weight: 6 },
  { arbitrary: fc.constant(-1), weight: 1 },
);

/** An account with a pending recovery (the n-th, if any), or any holder. */
const recoveryFromArb = fc.oneof(
  { arbitrary: fc.record({ pending: fc.constant(true), index: fc.nat(HOLDERS - 1) }), weight: 4 },
  { arbitrary: fc.record({ pending: fc.constant(false), index: holderArb }), weight: 1 },
);

/** Feed answers (8 decimals): mostly valid, sometimes zero, negative, below the floor or above the ceiling. */
const answerArb: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.bigInt(1_500n * 10n ** 8n, 6_000n * 10n ** 8n), weight: 12 },
  { arbitrary: fc.constantFrom(0n, -1n, 5n * 10n ** 7n, 1_000_000n * 10n ** 8n + 1n), weight: 2 },
);

/** Pauses are short-lived: an unpause is nineteen times as likely as a pause. */
const unpauseBiased: fc.Arbitrary<boolean> = fc.oneof(
  { arbitrary: fc.constant(true), weight: 1 },
  { arbitrary: fc.constant(false), weight: 19 },
);

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      kind: fc.constant("bundle" as const),
      version: versionArb,
      ops: fc.array(opArb, { minLength: 1, maxLength: 10 }),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("buy" as const),
      holder: creditTargetArb,
      wei: fc.oneof(
        { arbitrary: fc.bigInt(1n, 300_000_000n), weight: 1 }, // rounds down to zero credits
        { arbitrary: fc.bigInt(10n ** 14n, 5n * 10n ** 16n), weight: 8 },
      ),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("grant" as const),
      holder: creditTargetArb,
      amount: fc.oneof(
        { arbitrary: fc.bigInt(1n, 60n * CREDIT), weight: 12 },
        { arbitrary: fc.constant(0n), weight: 1 },
      ),
      expiryOffset: fc.oneof(
        { arbitrary: fc.bigInt(-600n, 0n), weight: 1 },
        { arbitrary: fc.bigInt(60n, 7_200n), weight: 5 },
        { arbitrary: fc.bigInt(7_200n, 3n * 86_400n), weight: 5 },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("revoke" as const),
      holder: holderArb,
      bucket: fc.nat(3),
      amount: fc.constantFrom(
        "all" as const,
        "half" as const,
        "over" as const,
        "zero" as const,
        "absent" as const,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), holder: holderArb }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("setAllowance" as const),
      sponsor: fc.integer({ min: 0, max: SPONSORS - 1 }),
      beneficiary: beneficiaryArb,
      perEpoch: fc.oneof(
        { arbitrary: fc.bigInt(1n, 60n * CREDIT), weight: 12 },
        { arbitrary: fc.constant(0n), weight: 1 },
      ),
      epochLength: fc.oneof(
        { arbitrary: fc.constantFrom(600n, 3_600n, 86_400n), weight: 12 },
        { arbitrary: fc.constant(0n), weight: 1 },
      ),
      expiryOffset: fc.oneof(
        { arbitrary: fc.constant(0n), weight: 4 },
        { arbitrary: fc.bigInt(600n, 2n * 86_400n), weight: 4 },
        { arbitrary: fc.bigInt(-600n, -1n), weight: 1 },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("revokeAllowance" as const),
      sponsor: fc.integer({ min: 0, max: SPONSORS - 1 }),
      beneficiary: beneficiaryArb,
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({
      kind: fc.constant("time" as const),
      seconds: fc.oneof(
        { arbitrary: fc.bigInt(1n, 120n), weight: 3 },
        { arbitrary: fc.bigInt(120n, 1_800n), weight: 3 },
        { arbitrary: fc.bigInt(1_800n, 4_000n), weight: 3 }, // past maxPriceAge / the feed's heartbeat
        { arbitrary: fc.bigInt(4_000n, 100_000n), weight: 1 }, // past grant expiries and epochs
      ),
    }),
  },
  {
    weight: 9,
    arbitrary: fc.record({ kind: fc.constant("price" as const), answer: answerArb, refresh: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("refresh" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("deposit" as const),
      version: versionArb,
      wei: fc.bigInt(10n ** 15n, 5n * 10n ** 16n),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("pauseLedger" as const), paused: unpauseBiased }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("pausePaymaster" as const),
      version: versionArb,
      paused: unpauseBiased,
    }),
  },
  { weight: 16, arbitrary: hostileArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("addSpender" as const), spender: addSpenderArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("removeSpender" as const), spender: removeSpenderArb }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("spend" as const),
      holder: holderArb,
      amount: fc.oneof(
        { arbitrary: fc.constantFrom<SpendAmount>("all", "half"), weight: 6 },
        { arbitrary: fc.constantFrom<SpendAmount>("one", "over", "zero"), weight: 3 },
      ),
      charge: fc.oneof(
        { arbitrary: fc.constantFrom("all" as const, "half" as const), weight: 5 },
        { arbitrary: fc.constant("zero" as const), weight: 1 },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("initiateRecovery" as const),
      from: holderArb,
      to: recoveryTargetArb,
      by: fc.oneof(
        { arbitrary: fc.constant("recoverer" as const), weight: 6 },
        { arbitrary: fc.constant("admin" as const), weight: 3 },
        { arbitrary: fc.constant("outsider" as const), weight: 1 },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("cancelRecovery" as const), from: recoveryFromArb }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("executeRecovery" as const), from: recoveryFromArb }),
  },
);

/**
 * Arrays of exactly `length` actions when generated (so a campaign of `runs × length` steps runs exactly that
 * many), which shrink like any array (shorter ones too: fast-check's array shrinker needs no context).
 */
class ExactLengthActions extends fc.Arbitrary<Action[]> {
  private readonly exact: fc.Arbitrary<Action[]>;
  private readonly free: fc.Arbitrary<Action[]>;

  constructor(length: number) {
    super();
    this.exact = fc.array(actionArb, { minLength: length, maxLength: length });
    this.free = fc.array(actionArb, { minLength: 1, maxLength: length });
  }

  override generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Action[]> {
    const generated = this.exact.generate(mrng, biasFactor);
    return new fc.Value(generated.value_, undefined);
  }

  override canShrinkWithoutContext(value: unknown): value is Action[] {
    return this.free.canShrinkWithoutContext(value);
  }

  override shrink(value: Action[], context: unknown): fc.Stream<fc.Value<Action[]>> {
    return this.free.shrink(value, context);
  }
}

export function actionsArb(length: number): fc.Arbitrary<Action[]> {
  return new ExactLengthActions(length);
}

/** JSON with bigints as decimal strings (for printing counterexamples). */
export function formatActions(actions: readonly Action[], failingStep?: number): string {
  return actions
    .map((a, i) => {
      const text = JSON.stringify(a, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      return `${i === failingStep ? ">>" : "  "} ${String(i).padStart(4)} ${text}`;
    })
    .join("\n");
}
