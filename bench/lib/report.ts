/**
 * The gas report of the paymaster benchmark: its shape, the derived figures (overhead over an operation without
 * paymaster, ratio to the reference TokenPaymaster), the targets, the Markdown rendering and the regression
 * comparison. Pure functions only (no Hardhat), so that the comparator runs as a plain ts-node script.
 */

/** EntryPoint versions, as keys of the report. */
export const REPORT_VERSIONS = ["v0.7", "v0.8"] as const;
export type ReportVersion = (typeof REPORT_VERSIONS)[number];

/** Bundle sizes measured (operations per `handleOps`). */
export const BUNDLE_SIZES = [1, 10, 50] as const;
export type BundleSize = (typeof BUNDLE_SIZES)[number];

/**
 * This project's paymaster in each mode, paid from purchased credits (the sender's own in self-pay, the sponsor's
 * otherwise), on the production set-up (both paymasters registered on one ledger).
 */
const CREDIT_PURCHASED = [
  "credit-self",
  "credit-sponsored",
  "policy-signed",
  "policy-open-returning",
  "policy-open-first",
] as const;
/** The same modes, the payer holding DAO grants instead (several buckets, one expired; the charge comes from grants). */
const CREDIT_GRANTS = [
  "credit-self-grants",
  "credit-sponsored-grants",
  "policy-signed-grants",
  "policy-open-returning-grants",
  "policy-open-first-grants",
] as const;

/** Variants measured on each EntryPoint version, in report order. `none` is the baseline of overheads. */
export const REPORT_VARIANTS = {
  "v0.7": ["none", "verifying", "token", ...CREDIT_PURCHASED, ...CREDIT_GRANTS],
  "v0.8": ["none", ...CREDIT_PURCHASED, ...CREDIT_GRANTS],
} as const;
export type VariantName = (typeof REPORT_VARIANTS)[ReportVersion][number];
/** A mode of this project's paymaster whose payer holds purchased credits. */
export type PurchasedVariant = (typeof CREDIT_PURCHASED)[number];
/** A mode of this project's paymaster whose payer holds DAO grants. */
export type GrantVariant = (typeof CREDIT_GRANTS)[number];

/**
 * Measured on EntryPoint v0.7 besides the report's variants, and shown only in the lower-bound section of
 * `reports/gas.md`: a paymaster that accepts everything and whose postOp only emits one event.
 */
export const FLOOR_VARIANT = "accept-all";
/** Every variant the bench measures. */
export type MeasuredVariantName = VariantName | typeof FLOOR_VARIANT;

/** This project's paymaster: the variants the regression rule applies to (every mode, both kinds of payer). */
export const PROJECT_VARIANTS: readonly VariantName[] = [...CREDIT_PURCHASED, ...CREDIT_GRANTS];

/** Each grant-holding row and the purchased-credit row of the same mode it is held against. */
export const GRANT_ROWS: readonly { grants: GrantVariant; purchased: PurchasedVariant }[] = CREDIT_GRANTS.map(
  (grants, i) => ({ grants, purchased: CREDIT_PURCHASED[i] }),
);

/** Gas per operation of one variant, by bundle size (`"1"`, `"10"`, `"50"`). */
export type GasRow = Record<`${BundleSize}`, number>;

/** `reports/gas.json`: gas per operation = round(receipt.gasUsed / ops), by version, variant and bundle size. */
export type GasReport = {
  [V in ReportVersion]: Record<(typeof REPORT_VARIANTS)[V][number], GasRow>;
};

/** A loosely typed report read from disk: version → variant → bundle size → gas per operation. */
export type LooseGasReport = Record<string, Record<string, Record<string, number>>>;

/** Bundle sizes at which the targets apply; at a bundle of 1 the ratio is reported only. */
export const TARGET_SIZES: readonly BundleSize[] = [10, 50];

/**
 * Targets (issue 15; EntryPoint v0.7, production set-up, purchased credits): the most a variant's overhead may be,
 * as a fraction of TokenPaymaster's overhead, at bundles of 10 and 50.
 */
export const TARGETS: readonly { variant: PurchasedVariant; maxRatio: number }[] = [
  { variant: "credit-self", maxRatio: 0.75 },
  { variant: "credit-sponsored", maxRatio: 0.95 },
  { variant: "policy-signed", maxRatio: 0.6 },
];

/** A grant-holding payer's overhead may exceed the purchased-credit row of the same mode by at most 10%. */
export const GRANT_MAX_EXCESS = 0.1;

/** Largest accepted rise of a figure of this project's paymaster over the committed one (2%). */
export const REGRESSION_TOLERANCE = 0.02;

/** A value of the report, or `undefined` when the cell is absent. */
export function cell(
  report: LooseGasReport,
  version: string,
  variant: string,
  size: BundleSize | string,
): number | undefined {
  return report[version]?.[variant]?.[String(size)];
}

/** Overhead of `variant` over an operation without paymaster on the same EntryPoint and bundle size. */
export function overhead(
  report: LooseGasReport,
  version: string,
  variant: string,
  size: BundleSize,
): number | undefined {
  const gas = cell(report, version, variant, size);
  const base = cell(report, version, "none", size);
  return gas === undefined || base === undefined ? undefined : gas - base;
}

/** `variant`'s overhead divided by TokenPaymaster's overhead on EntryPoint v0.7, same bundle size. */
export function ratioToToken(
  report: LooseGasReport,
  version: string,
  variant: string,
  size: BundleSize,
): number | undefined {
  const own = overhead(report, version, variant, size);
  const token = overhead(report, "v0.7", "token", size);
  return own === undefined || token === undefined || token <= 0 ? undefined : own / token;
}

/** One cell of the target table. */
export interface TargetResult {
  variant: PurchasedVariant;
  size: BundleSize;
  ratio: number | undefined;
  maxRatio: number;
  /** Whether the target applies at this bundle size ({@link TARGET_SIZES}); false: reported only. */
  enforced: boolean;
  /** Whether the ratio meets the target (false when it cannot be computed). */
  pass: boolean;
}

/** The target table: for v0.7 and every bundle size, each target variant's ratio and whether it passes. */
export function evaluateTargets(report: LooseGasReport): TargetResult[] {
  const results: TargetResult[] = [];
  for (const { variant, maxRatio } of TARGETS) {
    for (const size of BUNDLE_SIZES) {
      const ratio = ratioToToken(report, "v0.7", variant, size);
      results.push({
        variant,
        size,
        ratio,
        maxRatio,
        enforced: TARGET_SIZES.includes(size),
        pass: ratio !== undefined && ratio <= maxRatio,
      });
    }
  }
  return results;
}

/** One cell of the grant-holding check. */
export interface GrantResult {
  version: ReportVersion;
  grants: GrantVariant;
  purchased: PurchasedVariant;
  size: BundleSize;
  /** Overheads over `none` of the grant-holding row and of the purchased-credit row. */
  grantsOverhead: number | undefined;
  purchasedOverhead: number | undefined;
  /** `grantsOverhead / purchasedOverhead - 1`. */
  excess: number | undefined;
  /** Whether the grant row's overhead is at most {@link GRANT_MAX_EXCESS} above the purchased row's. */
  pass: boolean;
}

/**
 * The grant-holding check: on each version and bundle size, each grant-holding row's overhead against the
 * purchased-credit row of the same mode (at most 10% above it; compared in integers, no float edge).
 */
export function evaluateGrantRows(report: LooseGasReport): GrantResult[] {
  const results: GrantResult[] = [];
  const limit = Math.round(GRANT_MAX_EXCESS * 100);
  for (const version of REPORT_VERSIONS) {
    for (const { grants, purchased } of GRANT_ROWS) {
      for (const size of BUNDLE_SIZES) {
        const g = overhead(report, version, grants, size);
        const p = overhead(report, version, purchased, size);
        const known = g !== undefined && p !== undefined && p > 0;
        results.push({
          version,
          grants,
          purchased,
          size,
          grantsOverhead: g,
          purchasedOverhead: p,
          excess: known ? g / p - 1 : undefined,
          pass: known && g * 100 <= p * (100 + limit),
        });
      }
    }
  }
  return results;
}

/** The modes the lower bound is computed for. */
export type TargetVariant = "credit-self" | "credit-sponsored" | "policy-signed";

/** EVM gas schedule used by the lower bound (EIP-2929 access costs, EIP-2200 writes, yellow-paper LOG costs). */
export const EVM_GAS = {
  coldSload: 2_100,
  /** SSTORE of a nonzero value over a different nonzero value, first write of the slot in the transaction. */
  sstoreReset: 2_900,
  coldAccount: 2_600,
  /** A warm SLOAD, a warm account access, a write to a dirty slot, TLOAD, TSTORE. */
  warmAccess: 100,
  /** KECCAK256 of 64 bytes (30 + 6 per word) and the two MSTOREs of its input. */
  slotKey: 30 + 2 * 6 + 2 * 3,
  /** One word copied (MSTORE, CALLDATALOAD, a word of a copy) or one new word of memory. */
  wordCopy: 3,
  /** A nonzero byte of a transaction's call data. */
  calldataByte: 16,
  /** KECCAK256's base cost; each 32-byte word hashed adds `keccakWord`. */
  keccakBase: 30,
  keccakWord: 6,
  /** The ecrecover precompile (3,000) and the STATICCALL to it (a precompile is always warm: 100). */
  ecrecover: 3_000 + 100,
} as const;

/** Gas of a LOG with `topics` topics (the event signature included) and `bytes` bytes of data. */
export function logGas(topics: number, bytes: number): number {
  return 375 + 375 * topics + 8 * bytes;
}

/**
 * Gas of `words` context words beyond the floor's one, at the cheapest: each is written by the paymaster, returned,
 * copied by the EntryPoint into its frame, into `innerHandleOp`'s and `postOp`'s call data and read back (at least
 * 7 word copies at 3 gas) in 6 frames' memory (6 new words at 3 gas); the quadratic part of memory is not counted.
 */
export function contextGas(words: number): number {
  return words * (7 + 6) * EVM_GAS.wordCopy;
}

/** One cost that every implementation of the required design pays on top of the floor paymaster's. */
export interface LowerBoundTerm {
  what: string;
  /** Gas paid by every operation. */
  perOp: number;
  /** Gas paid once per bundle (cold accesses, first writes), spread over its operations. */
  perBundle: number;
  modes: readonly TargetVariant[];
}

const ALL_MODES: readonly TargetVariant[] = ["credit-self", "credit-sponsored", "policy-signed"];
const SPONSOR_PAYS: readonly TargetVariant[] = ["credit-sponsored", "policy-signed"];
const {
  coldSload,
  sstoreReset,
  coldAccount,
  warmAccess,
  slotKey,
  calldataByte,
  keccakBase,
  keccakWord,
  wordCopy,
} = EVM_GAS;

/** The measured operation's call data: `execute(target, 0, increment())`, 164 bytes, 6 words to hash or copy. */
const OP_CALLDATA_WORDS = 6;

/**
 * The approval digest at its cheapest: the operation bound without the signature (its call data hashed, the cut
 * paymaster data's 4 words hashed, the packed operation's 9 words hashed), then EIP-712 (the struct's 7 words, the
 * `0x1901 ‖ domain ‖ struct` 3 words); each word hashed is also written to memory once. The EntryPoint and the
 * chain are bound by the paymaster's domain (one EntryPoint per paymaster), so no fifth hash is counted.
 */
export const APPROVAL_DIGEST_GAS = (() => {
  const words = [OP_CALLDATA_WORDS, 4, 9, 7, 3];
  const hashed = words.reduce((sum, w) => sum + w, 0);
  return words.length * keccakBase + hashed * keccakWord + hashed * wordCopy;
})();

/**
 * What the required design costs beyond the floor (a paymaster that reads nothing, returns a one-word context and
 * emits one event in postOp), counting every storage access and write, the event, the context's bytes and the
 * computation that the issues and DESIGN.md make mandatory, each at its cheapest: credits in a separate ledger (one
 * word per account, one allowance slot per sponsored sender), validation reading the adapter's cached price and the
 * paymaster's governance-set caps, holds in transient storage, the burned total counted per spender, ONE event per
 * operation (the ledger's, carrying userOpHash, payer, beneficiary, spender, credits, wei and price), and a context
 * that carries what postOp cannot otherwise know (the userOpHash, the payer, the price; the beneficiary when
 * sponsored). Computation is counted at a floor no compiler reaches (see each term), so the bound stays a bound.
 */
export const LOWER_BOUND_TERMS: readonly LowerBoundTerm[] = [
  {
    what: "sender's credit word: cold read (hold), warm re-read and first write (settlement)",
    perOp: coldSload + warmAccess + sstoreReset,
    perBundle: 0,
    modes: ["credit-self"],
  },
  {
    what: "sender's allowance slot: cold read (hold), warm re-read and first write (settlement)",
    perOp: coldSload + warmAccess + sstoreReset,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "sender's recovery mark: cold read (a recovery ends the allowances given to the old address)",
    perOp: coldSload,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "sponsor's credit word: read (hold), re-read and write (settlement); cold read and first write once per bundle",
    perOp: 3 * warmAccess,
    perBundle: coldSload + sstoreReset - 2 * warmAccess,
    modes: SPONSOR_PAYS,
  },
  {
    what: "burned total in the spender's slot (which the hold read): first write once per bundle, then a dirty write",
    perOp: warmAccess,
    perBundle: sstoreReset - warmAccess,
    modes: ALL_MODES,
  },
  {
    what: "the one event per operation (the ledger's): LOG2 (signature, payer), userOpHash, beneficiary, spender, credits, wei and price packed in 104 bytes",
    perOp: logGas(2, 104),
    perBundle: 0,
    modes: ALL_MODES,
  },
  {
    what: "the floor's own postOp event (LOG2, three data words), which one event per operation leaves out",
    perOp: -logGas(2, 96),
    perBundle: 0,
    modes: ALL_MODES,
  },
  {
    what: "context beyond the floor's word: userOpHash, payer, price (64 bytes: +1 word), each word's copies and memory",
    perOp: contextGas(1),
    perBundle: 0,
    modes: ["credit-self"],
  },
  {
    what: "context beyond the floor's word: userOpHash, payer, beneficiary, price (84 bytes: +2 words; a policy's id packs with the price), each word's copies and memory",
    perOp: contextGas(2),
    perBundle: 0,
    modes: SPONSOR_PAYS,
  },
  {
    what: "paymaster data: the sponsor's address (20 nonzero bytes of call data)",
    perOp: 20 * calldataByte,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "warm accesses: adapter call and cache read (every validation: a purchase in between must price what follows), config read; hold (call, spender slot, TLOAD, TSTORE); settle (call, spender slot, TLOAD, TSTORE)",
    perOp: 11 * warmAccess,
    perBundle: 0,
    modes: ALL_MODES,
  },
  {
    what: "the allowance's transient hold: TLOAD and TSTORE in the hold and in settlement",
    perOp: 4 * warmAccess,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "slot keys: the credit word's and the hold's, in hold and settlement (4 keccaks of 64 bytes)",
    perOp: 4 * slotKey,
    perBundle: 0,
    modes: ["credit-self"],
  },
  {
    what: "slot keys: allowance (nested: 2 keccaks) and its hold, sponsor's word and its hold, in hold and settlement; recovery mark (11 keccaks of 64 bytes)",
    perOp: 11 * slotKey,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "computation: three external calls (price read, hold, settle) at 100 gas each for their arguments, dispatch and return beyond the CALL; the charge's arithmetic (20)",
    perOp: 3 * 100 + 20,
    perBundle: 0,
    modes: ALL_MODES,
  },
  {
    what: "cold accounts: ledger and price adapter",
    perOp: 0,
    perBundle: 2 * coldAccount,
    modes: ALL_MODES,
  },
  {
    what: "cold slots: adapter cache, paymaster config, ledger spender slot",
    perOp: 0,
    perBundle: 3 * coldSload,
    modes: ALL_MODES,
  },
  {
    what: "the policy's id in the one event's data (8 bytes more than the 104)",
    perOp: 8 * 8,
    perBundle: 0,
    modes: ["policy-signed"],
  },
  {
    what: "approval: the signer's signature in the paymaster data (64 nonzero bytes, EIP-2098's compact form; the terms — policy, most credits, window — are not counted)",
    perOp: 64 * calldataByte,
    perBundle: 0,
    modes: ["policy-signed"],
  },
  {
    what: `approval: its EIP-712 digest over the operation without the signature (5 keccaks over ${OP_CALLDATA_WORDS} + 4 + 9 + 7 + 3 words, each word written once)`,
    perOp: APPROVAL_DIGEST_GAS,
    perBundle: 0,
    modes: ["policy-signed"],
  },
  {
    what: "approval: ecrecover (the precompile's 3,000 and the STATICCALL to it; an ERC-1271 signer costs more)",
    perOp: EVM_GAS.ecrecover,
    perBundle: 0,
    modes: ["policy-signed"],
  },
  {
    what: "the policy's terms (status, window, signer: one word) read in the hold; cold once per bundle",
    perOp: warmAccess,
    perBundle: coldSload - warmAccess,
    modes: ["policy-signed"],
  },
  {
    what: "the policy's epoch budget and spending (one word): read (hold), re-read and write (settlement); cold read and first write once per bundle",
    perOp: 3 * warmAccess,
    perBundle: coldSload + sstoreReset - 2 * warmAccess,
    modes: ["policy-signed"],
  },
  {
    what: "the policy budget's transient hold (many senders of one policy in one bundle): TLOAD and TSTORE in the hold and in settlement",
    perOp: 4 * warmAccess,
    perBundle: 0,
    modes: ["policy-signed"],
  },
  {
    what: "slot keys: sponsor's word and its hold (hold and settlement), the policy's terms (hold), its budget word and the budget's hold (hold and settlement): 9 keccaks of 64 bytes",
    perOp: 9 * slotKey,
    perBundle: 0,
    modes: ["policy-signed"],
  },
];

/** One cell of the lower-bound table. */
export interface LowerBoundResult {
  variant: TargetVariant;
  size: BundleSize;
  /** Measured overhead of the floor paymaster (v0.7); undefined without a `none` figure. */
  floor: number | undefined;
  /** The required costs beyond the floor, per operation at this bundle size. */
  required: number;
  /** floor + required: no implementation of the design can have a smaller overhead. */
  bound: number | undefined;
  /** The target as gas: maxRatio × TokenPaymaster's overhead (undefined at a bundle of 1: reported only). */
  target: number | undefined;
  /** target − bound: what is left for every other cost (code, calls' encoding, calldata); negative: unreachable. */
  room: number | undefined;
  /** This implementation's measured overhead (v0.7), undefined when the report lacks it. */
  measured: number | undefined;
}

/** The lower bound of each target variant's overhead (v0.7), from the measured floor and LOWER_BOUND_TERMS. */
export function lowerBounds(report: LooseGasReport, floor: GasRow): LowerBoundResult[] {
  const results: LowerBoundResult[] = [];
  for (const { variant, maxRatio } of TARGETS) {
    if (!ALL_MODES.includes(variant as TargetVariant)) continue;
    const terms = LOWER_BOUND_TERMS.filter((t) => t.modes.includes(variant as TargetVariant));
    for (const size of BUNDLE_SIZES) {
      const base = cell(report, "v0.7", "none", size);
      const token = overhead(report, "v0.7", "token", size);
      const floorOverhead = base === undefined ? undefined : floor[`${size}`] - base;
      const required = Math.round(terms.reduce((sum, t) => sum + t.perOp + t.perBundle / size, 0));
      const bound = floorOverhead === undefined ? undefined : floorOverhead + required;
      const target =
        token === undefined || !TARGET_SIZES.includes(size) ? undefined : Math.floor(token * maxRatio);
      results.push({
        variant: variant as TargetVariant,
        size,
        floor: floorOverhead,
        required,
        bound,
        target,
        room: target === undefined || bound === undefined ? undefined : target - bound,
        measured: overhead(report, "v0.7", variant, size),
      });
    }
  }
  return results;
}

/** An optimisation of the hot path and what it saved, as measured by the bench. */
export interface Optimisation {
  change: string;
  saved: string;
}

/**
 * The optimisations made so far, with the gas each saved per operation (measured with the bench's operation on
 * EntryPoint v0.7; "x10" = in bundles of 10, self-pay unless stated). Kept here so that `reports/gas.md` stays
 * generated.
 */
export const OPTIMISATIONS: readonly Optimisation[] = [
  {
    change:
      "Settlement at constant cost: expired grant buckets are skipped, not swept, and the burned total lives in the spender's slot that `hold` already warmed (never zero)",
    saved:
      "−2.1k per operation on a cold account, and no 20k zero-to-nonzero write on a spender's first burn",
  },
  {
    change: "Holds in transient storage (EIP-1153), one TLOAD and one TSTORE per hold",
    saved: "no SSTORE in validation: ~20k (zero to nonzero) per hold avoided",
  },
  {
    change: "Paymaster config packed in one slot; the ledger's pause flag mirrored into each spender's slot",
    saved: "one SLOAD each instead of several (2.1k per cold slot avoided)",
  },
  {
    change: "IR pipeline (viaIR, runs 1e6) for CreditPaymaster",
    saved: "−4,122 gas (x10)",
  },
  {
    change: "IR pipeline for CreditLedger (runs 200), then runs 20,000 (code size 23.4 KB < EIP-170)",
    saved: "−770 then −171 gas (x10)",
  },
  {
    change:
      "Credits computed as `ceil(wei × price × markup / 1e34)` in checked 256-bit arithmetic (bounded operands) instead of `Math.mulDiv`",
    saved: "−186 gas (x10)",
  },
  {
    change:
      "Context as four fixed words built with `abi.encode` and read with `abi.decode`; paymaster data and gas limits read with one CALLDATALOAD each instead of bounds-checked slices; the price-refresh time carried in the context (no config SLOAD in postOp)",
    saved: "−904 gas (x10)",
  },
  {
    change:
      "POLICY: a policy without per-user limits neither reads, holds nor records the user's usage (`holdPolicy` returns whether it did; the flag rides in the context's hold word to `settlePolicy`, so settlement follows the hold, not the terms of the moment)",
    saved:
      "−8,930 gas signed policy (x10, measured with bench/policy-gas.ts: 99,091 → 90,161 gas/op); the user's usage slot: a cold read, a write (20,000 on a user's first operation), the per-user transient hold and its code",
  },
  {
    change:
      "POLICY: the approval digest (the EntryPoint's hash of the cut operation, v0.7 and v0.8 with the EIP-7702 delegate, and the EIP-712 struct) hashed in scratch memory without `abi.encode` allocations; `holdPolicy` called in assembly (GAS right before CALL, ERC-7562 OP-012, which the compiler's sequence for its four return values broke)",
    saved:
      "−1,464 gas signed policy, −280 open policy (x10: 90,161 → 88,697 and 91,458 → 91,178 gas/op; in one assembly block the digest saved 196 more, but the legacy code generator of `npm run coverage` ran out of stack)",
  },
  {
    change:
      "POLICY: an approval is recovered (ECDSA) before any ERC-1271 call, so an EOA signer costs no EXTCODESIZE on its address (which ERC-7562 OP-041 forbids on an address without code: `npm run check:erc7562` flagged OpenZeppelin's `isValidSignatureNow` on the EOA signer of a policy without per-user limits)",
    saved:
      "−2,603 gas signed policy at x1 (the signer's cold account access), −353 at x10 (88,700 → 88,347 gas/op)",
  },
  {
    change:
      "One event per operation (issue 15): the paymaster no longer emits `UserOperationCharged`; the ledger's `CreditsSpent` carries the userOpHash, payer, sender, spender (hence the EntryPoint), credits and, in `spenderData`, the mode, policy id, price and wei",
    saved:
      "−2,727 self-pay, −2,711 sponsored, −2,687 signed policy (x10, production set-up: +27,290 → +24,563, +34,868 → +32,157, +38,674 → +35,987)",
  },
  {
    change:
      "Grant buckets on word 0 alone (issue 15): settlement takes a charge that comes whole from purchased credits or from the soonest live bucket of word 0, without emptying it, in one read and one write of word 0 (no bucket array, no word 1); the hold reads word 1 only when that bucket does not exceed every hold on the account (then it lasts no longer than that bucket, so settlement surely takes the fast path and postOp never reads a cold slot); the ledger at optimizer runs 250 to stay under EIP-170",
    saved:
      "−517 self-pay, −517 sponsored, −493 signed policy; payers holding grants −4,961 self-pay, −3,162 sponsored, −3,138 signed policy (x10, production set-up: +24,563 → +24,046, +32,157 → +31,640, +35,987 → +35,494; grant rows +30,493 → +25,532, +36,183 → +33,021, +40,000 → +36,862: from +24 %, +12.5 % and +11 % above the purchased-credit row to +6.2 %, +4.4 % and +3.9 %)",
  },
  {
    change:
      "The paymaster's calls to the adapter (`cachedPrice`) and the ledger (`hold`, `holdSponsored`, `settle`, `settleSponsored`, `settlePolicy`) in assembly, in scratch memory (no ABI encoder, no extcodesize check); the ledger marks a spender active on its first hold of an account in a transaction only",
    saved:
      "−710 self-pay, −747 sponsored, −631 signed policy (x10, production set-up: +24,046 → +23,336, +31,640 → +30,893, +35,494 → +34,863)",
  },
];

/**
 * Where a signed policy's overhead goes (v0.7, bundle of 10, per operation), measured by `bench/policy-gas.ts` (a
 * `debug_traceTransaction` walk of the measured bundle: each contract's own steps, calls excluded, against the same
 * bundle without paymaster). What the 60% bar (~16,000 gas at x10) would have to hold.
 */
export const POLICY_BREAKDOWN: readonly { what: string; gas: number }[] = [
  { what: "approval: ecrecover precompile", gas: 3_100 },
  {
    what: "approval: digest (four keccaks over the operation, the EntryPoint and EIP-712 hashes) and signature parsing",
    gas: 2_413,
  },
  {
    what: "calldata: the POLICY paymaster data with its approval (166 bytes of paymasterAndData)",
    gas: 2_127,
  },
  { what: "ledger's CreditsSpent event (the one event per operation)", gas: 2_899 },
  {
    what: "ledger storage: the sponsor's credit word, the spender slot, three policy slots (cold once per bundle), the policy's budget written per operation",
    gas: 3_540,
  },
  {
    what: "ledger transient holds (credit and policy-wide: TLOAD/TSTORE), their slot keccaks and the other spender's holds (production set-up: two spenders)",
    gas: 1_938,
  },
  { what: "ledger code (holdPolicy, settlePolicy, spend: checks, epochs, ABI)", gas: 8_471 },
  {
    what: "paymaster code (caps, postOp floor, pricing, context, settlement, unused-gas bound) and its config reads and calls",
    gas: 9_138,
  },
  {
    what: "the adapter's cached price, read by every validation (its code and its slot, cold once per bundle)",
    gas: 694,
  },
  { what: "EntryPoint and account: the paymaster's path (context, postOp call, deposit)", gas: 539 },
];

/**
 * What the fixes of issue 11 (the deposit could be drained through the EntryPoint's low-prefund path) cost per
 * operation, measured by this bench against 1667b75 (same operation, same bundle sizes).
 */
export const SECURITY_FIXES: readonly { change: string; cost: string }[] = [
  {
    change:
      "F7/F8: settlement checks the spender's registration on the slot it writes anyway; a sponsored hold reads the beneficiary's recovery mark (one cold SLOAD)",
    cost: "+115 gas self-pay, +2,421 sponsored, at every bundle size (v0.7 and v0.8)",
  },
  {
    change:
      "F1/F3/F6: the postOp gas floor computed per operation from its call-data size (`EntryPointGas`), the priority-fee cap and the postOp gas margin in a second configuration slot, holds of at least one unit, the refresh back-off",
    cost: "+3.2k gas at a bundle of 1 (the second slot's cold read is 2,100), +1.3–1.4k per operation at 10 and 50 (the paymaster's validation frame 9,036 → 10,275 gas, postOp 12,854 → 12,963); this bench's postOp limit (80,000) is above every floor, so the penalties are unchanged",
  },
  {
    change:
      "F1, for wallets that use the floor as their postOp limit (the client and the ERC-7677 service do): EntryPoint v0.8 bills no penalty on the ~35,500 unused postOp gas (under 40,000); v0.7 bills 10% of it",
    cost: "v0.8: 0; v0.7: ~3,700 gas per operation, 770 (self-pay) / 1,270 (sponsored) more than at the old fixed minimum of 45,000, which was unsound (measured on today's code per version and mode in the postOp-floor section above)",
  },
];

/** What the structural changes of issue 12 cost per operation (measured on this bench, v0.7 and v0.8 alike). */
export const STRUCTURE_CHANGES: readonly { change: string; cost: string }[] = [
  {
    change:
      "The ledger split into modules and libraries (CreditAccounts, LedgerSettings, SpenderRegistry, CreditRecovery, SponsorAllowances; CreditWords, EpochBudgets, HoldSlots on OpenZeppelin's SlotDerivation and TransientSlot), typed packed words (PostOpContext, StampedPrice), ChainlinkFeeds and PaymasterSettings out of the adapter and the paymaster",
    cost: "-25 gas self-pay, -165 sponsored, then +3 for the last three splits",
  },
  {
    change:
      "`CreditsSpent` carries what an indexer needs: the `GrantsTaken` word (credits from grants, from the last bucket, first and last bucket expiry), the paymaster's reference (the userOpHash) and its data (price and wei charged): two more words of log data and of `settle`'s arguments",
    cost: "+570 gas self-pay, +203 sponsored, at every bundle size",
  },
];

/** One figure, old against new. */
export interface CellComparison {
  version: string;
  variant: string;
  size: string;
  /** The committed figure (undefined: a new cell). */
  old: number | undefined;
  /** The fresh figure (undefined: the cell disappeared). */
  new: number | undefined;
  /** Relative change `(new - old) / old`, when both exist. */
  change: number | undefined;
  /** Whether the regression rule applies to this cell (false: information only). */
  checked: boolean;
  /** Whether this cell fails the regression rule. */
  regression: boolean;
}

/**
 * Compares the figures of `variants` (every version that has them, every bundle size) of `fresh` with
 * `baseline`. With a `tolerance`, a figure that rises by more than `tolerance` (relative), or that the fresh
 * report lacks, is a regression; a figure absent from the baseline is new and never a regression. Without one,
 * the comparison is for information only.
 */
export function compareCells(
  baseline: LooseGasReport,
  fresh: LooseGasReport,
  variants: readonly string[],
  tolerance: number | undefined,
): CellComparison[] {
  const out: CellComparison[] = [];
  for (const version of REPORT_VERSIONS) {
    for (const variant of variants) {
      for (const size of BUNDLE_SIZES) {
        const before = cell(baseline, version, variant, size);
        const after = cell(fresh, version, variant, size);
        if (before === undefined && after === undefined) continue;
        const change = before === undefined || after === undefined ? undefined : (after - before) / before;
        const checked = tolerance !== undefined;
        const regression =
          checked && (after === undefined || (before !== undefined && rises(before, after, tolerance)));
        out.push({
          version,
          variant,
          size: String(size),
          old: before,
          new: after,
          change,
          checked,
          regression,
        });
      }
    }
  }
  return out;
}

/** Whether `after` exceeds `before` by more than `tolerance`, compared in integer basis points (no float edge). */
function rises(before: number, after: number, tolerance: number): boolean {
  return (after - before) * 10_000 > before * Math.round(tolerance * 10_000);
}

/** The regression rule: every figure of this project's paymaster, at {@link REGRESSION_TOLERANCE}. */
export function compareReports(
  baseline: LooseGasReport,
  fresh: LooseGasReport,
  tolerance: number = REGRESSION_TOLERANCE,
): CellComparison[] {
  return compareCells(baseline, fresh, PROJECT_VARIANTS, tolerance);
}

/**
 * Checks that `value` has the shape of a gas report (objects of objects of non-negative integers) and returns
 * it; throws with the offending path otherwise.
 */
export function parseGasReport(value: unknown, origin: string): LooseGasReport {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(value)) throw new Error(`${origin}: not a JSON object`);
  const report: LooseGasReport = {};
  for (const [version, variants] of Object.entries(value)) {
    if (!isObject(variants)) throw new Error(`${origin}: ${version} is not an object`);
    report[version] = {};
    for (const [variant, sizes] of Object.entries(variants)) {
      if (!isObject(sizes)) throw new Error(`${origin}: ${version}.${variant} is not an object`);
      report[version][variant] = {};
      for (const [size, gas] of Object.entries(sizes)) {
        if (typeof gas !== "number" || !Number.isSafeInteger(gas) || gas < 0) {
          throw new Error(`${origin}: ${version}.${variant}.${size} is not a non-negative integer`);
        }
        report[version][variant][size] = gas;
      }
    }
  }
  return report;
}

/** `reports/gas.json` text: keys in report order, two-space indentation, trailing newline. */
export function renderJson(report: GasReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

/** Describes the measurement setup in the Markdown report. */
export interface BenchSetup {
  /** Gas fields every measured operation carries (same in every variant). */
  opGas: Readonly<Record<string, bigint>>;
  /** `paymasterVerificationGasLimit` / `paymasterPostOpGasLimit` of every paymaster variant. */
  paymasterGas: Readonly<Record<string, bigint>>;
}

const VARIANT_LABELS: Readonly<Record<VariantName, string>> = {
  none: "none (account pays from its deposit)",
  verifying: "VerifyingPaymaster (eth-infinitism)",
  token: "TokenPaymaster (eth-infinitism)",
  "credit-self": "CreditPaymaster, self-pay",
  "credit-sponsored": "CreditPaymaster, sponsored",
  "policy-signed": "CreditPaymaster, signed policy (no per-user limits)",
  "policy-open-returning": "CreditPaymaster, open policy, returning user",
  "policy-open-first": "CreditPaymaster, open policy, user's first operation",
  "credit-self-grants": "CreditPaymaster, self-pay, payer holds grants",
  "credit-sponsored-grants": "CreditPaymaster, sponsored, payer holds grants",
  "policy-signed-grants": "CreditPaymaster, signed policy, payer holds grants",
  "policy-open-returning-grants": "CreditPaymaster, open policy, returning user, payer holds grants",
  "policy-open-first-grants": "CreditPaymaster, open policy, user's first operation, payer holds grants",
};

function formatGas(value: number | undefined): string {
  return value === undefined ? "–" : value.toLocaleString("en-US");
}

function formatSigned(value: number | undefined): string {
  if (value === undefined) return "–";
  return (value > 0 ? "+" : "") + value.toLocaleString("en-US");
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? "–" : `${(value * 100).toFixed(1)}%`;
}

/** A Markdown table with padded columns (first column left-aligned, the others right-aligned). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  const rule =
    "| " + widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ") + " |";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** The target table as Markdown. */
export function renderTargetTable(report: LooseGasReport): string {
  const rows = evaluateTargets(report).map((t) => [
    t.variant,
    String(t.size),
    formatSigned(overhead(report, "v0.7", t.variant, t.size)),
    formatSigned(overhead(report, "v0.7", "token", t.size)),
    formatRatio(t.ratio),
    t.enforced ? `<= ${(t.maxRatio * 100).toFixed(0)}%` : "report",
    t.enforced ? (t.pass ? "PASS" : "FAIL") : "–",
  ]);
  return markdownTable(
    ["variant (v0.7)", "ops/bundle", "overhead", "token overhead", "ratio", "target", "result"],
    rows,
  );
}

/** The grant-holding check as Markdown. */
export function renderGrantTable(report: LooseGasReport): string {
  const rows = evaluateGrantRows(report).map((g) => [
    `${g.version} ${g.grants}`,
    String(g.size),
    formatSigned(g.grantsOverhead),
    formatSigned(g.purchasedOverhead),
    g.excess === undefined ? "–" : formatSignedPercent(g.excess),
    g.pass ? "PASS" : "FAIL",
  ]);
  return markdownTable(
    ["grant-holding row", "ops/bundle", "overhead", "purchased row's", "above it", "result (<= +10%)"],
    rows,
  );
}

/**
 * The cost of the postOp gas floor (issue 11's solvency fix), measured by the bench per version and mode: the same
 * measured operation (bundle of {@link POST_OP_FLOOR_BUNDLE}) through the test-only TestLowFloorPaymaster (the real
 * paymaster's code, registered on the same ledger), its `paymasterPostOpGasLimit` at the real floor
 * (`minPostOpGasLimit`, what the client and the ERC-7677 service put) and at the floor without the EntryPoint's
 * unmetered reserve (`POST_OP_GAS_<mode>`, what postOp itself needs).
 */
export interface PostOpFloorCost {
  version: ReportVersion;
  mode: string;
  /** `paymasterPostOpGasLimit` of each operation: the floor, and the floor without the unmetered reserve. */
  floor: number;
  lowFloor: number;
  /** Gas per operation the EntryPoint billed (`actualGasCost / actualGasPrice`: penalties included). */
  billedAtFloor: number;
  billedAtLowFloor: number;
  /** The `handleOps` transaction's gasUsed per operation. */
  usedAtFloor: number;
  usedAtLowFloor: number;
}

/** Operations per bundle of the postOp-floor measurement. */
export const POST_OP_FLOOR_BUNDLE = 10;

/** The postOp-floor section of `reports/gas.md`. */
export function renderPostOpFloorCost(costs: readonly PostOpFloorCost[]): string[] {
  const rows = costs.map((c) => [
    `${c.version} ${c.mode}`,
    c.floor.toLocaleString("en-US"),
    c.lowFloor.toLocaleString("en-US"),
    c.billedAtFloor.toLocaleString("en-US"),
    c.billedAtLowFloor.toLocaleString("en-US"),
    formatSigned(c.billedAtFloor - c.billedAtLowFloor),
    formatSigned(c.usedAtFloor - c.usedAtLowFloor),
    formatSigned(c.billedAtFloor - c.billedAtLowFloor - (c.usedAtFloor - c.usedAtLowFloor)),
  ]);
  return [
    "## What the postOp gas floor costs, per EntryPoint version (issue 11's solvency fix)",
    "",
    "A wallet that puts the paymaster's floor (`minPostOpGasLimit`) as its `paymasterPostOpGasLimit`, as the " +
      "client and the ERC-7677 service do, leaves the EntryPoint's unmetered reserve unused in postOp. EntryPoint " +
      "v0.7 bills 10% of the unused call and postOp gas; v0.8 bills 10% of the unused postOp gas only when more " +
      "than 40,000 are unused. Measured here: the same operation as the tables above, in bundles of " +
      `${POST_OP_FLOOR_BUNDLE}, through the test-only TestLowFloorPaymaster (the real paymaster's code on the same ` +
      "ledger, registered after the tables above were measured) with the limit at the floor and at the floor " +
      "without the reserve (`POST_OP_GAS_<mode>`, which would be unsound). **billed** is the gas the EntryPoint " +
      "charged per operation (`actualGasCost / actualGasPrice`), which the payer pays in credits; **gasUsed " +
      "change** is the change of the bundle's gasUsed per operation (gas really spent, which the billed gas " +
      "includes); **of which penalties** is the rest: the unused-gas penalties the floor adds. The gas really spent at " +
      "the floor is a few hundred gas higher in every row and both versions; this bench measures it, it does not " +
      "attribute it.",
    "",
    markdownTable(
      [
        "version, mode",
        "floor",
        "without reserve",
        "billed at floor",
        "billed without",
        "floor's cost (billed)",
        "gasUsed change",
        "of which penalties",
      ],
      rows,
    ),
    "",
  ];
}

/** `reports/gas.md`: per EntryPoint version and bundle size, gas per op, overhead and ratio; targets. */
export function renderMarkdown(
  report: GasReport,
  setup: BenchSetup,
  floor?: GasRow,
  postOpFloorCosts?: readonly PostOpFloorCost[],
): string {
  const loose = report as unknown as LooseGasReport;
  const parts: string[] = [
    "# Paymaster gas benchmark",
    "",
    "Generated by `npm run bench` (`bench/paymaster-gas.ts`); do not edit by hand. `npm run bench:check` fails " +
      "when a figure of this project's CreditPaymaster rises by more than " +
      `${REGRESSION_TOLERANCE * 100}% over the committed \`reports/gas.json\`.`,
    "",
    "- **gas/op**: the `handleOps` transaction's `gasUsed` divided by the number of operations in the bundle.",
    "- **overhead**: gas/op minus gas/op of `none` (same EntryPoint, same bundle size).",
    "- **ratio**: overhead divided by the overhead of the eth-infinitism TokenPaymaster on EntryPoint v0.7 " +
      "(same bundle size; there is no v0.8 release of it, so the v0.8 tables use the v0.7 figure too).",
    "",
    "**Set-up: production.** The system is deployed by the deploy library (`scripts/lib/deploy-system.ts`, " +
      "the code of `npm run deploy`) with `ignition/parameters/hardhat.json`: one ledger and one price adapter, " +
      "both CreditPaymasters (v0.7 and v0.8) registered as the ledger's spenders (the bench checks that there " +
      "are exactly these two), the parameter file's paymaster configuration. Payers hold purchased credits, or " +
      '(rows "payer holds grants") DAO grants only: three buckets, the soonest expired, every charge taken from ' +
      "the soonest live one (the bench checks each `CreditsSpent`).",
    "",
    "Every operation is `SimpleAccount.execute(TestTarget, 0, increment())` from an already deployed account " +
      "that has made exactly one prior operation (through the same paymaster, except TokenPaymaster's " +
      "senders, whose first operation approved the token), with distinct senders per variant and bundle " +
      "size, the same bundler and beneficiary, and these fields:",
    "",
    markdownTable(
      ["field", "value"],
      [...Object.entries(setup.opGas), ...Object.entries(setup.paymasterGas)].map(([k, v]) => [
        k,
        v.toLocaleString("en-US"),
      ]),
    ),
    "",
  ];
  for (const version of REPORT_VERSIONS) {
    parts.push(`## EntryPoint ${version}`, "");
    for (const size of BUNDLE_SIZES) {
      parts.push(`### ${size} op${size === 1 ? "" : "s"} per bundle`, "");
      const rows = REPORT_VARIANTS[version].map((variant) => [
        VARIANT_LABELS[variant],
        formatGas(cell(loose, version, variant, size)),
        variant === "none" ? "–" : formatSigned(overhead(loose, version, variant, size)),
        variant === "none" ? "–" : formatRatio(ratioToToken(loose, version, variant, size)),
      ]);
      parts.push(markdownTable(["paymaster", "gas/op", "overhead", "ratio to token"], rows), "");
    }
  }
  parts.push(
    "## Targets",
    "",
    "Issue 15, EntryPoint v0.7, production set-up, purchased credits: the CreditPaymaster's overhead must be at " +
      "most 75% of TokenPaymaster's in self-pay mode, at most 95% sponsored by an allowance and at most 60% under " +
      "a signed policy without per-user limits, at bundles of 10 and 50; a bundle of 1 is reported only. " +
      "Reported here, not enforced by `bench:check`.",
    "",
    renderTargetTable(loose),
    "",
    "Payers holding DAO grants (both versions, every bundle size): the overhead may be at most " +
      `${GRANT_MAX_EXCESS * 100}% above the purchased-credit row of the same mode.`,
    "",
    renderGrantTable(loose),
    "",
  );
  parts.push(...renderPolicyBreakdown(loose));
  if (floor !== undefined) parts.push(...renderLowerBound(loose, floor));
  if (postOpFloorCosts !== undefined) parts.push(...renderPostOpFloorCost(postOpFloorCosts));
  parts.push("## Optimisations", "", ...OPTIMISATIONS.map((o) => `- ${o.change}: **${o.saved}**.`), "");
  parts.push(
    "## What the security fixes cost (issue 11)",
    "",
    ...SECURITY_FIXES.map((f) => `- ${f.change}: **${f.cost}**.`),
    "",
    "## What the structure of issue 12 costs",
    "",
    ...STRUCTURE_CHANGES.map((f) => `- ${f.change}: **${f.cost}**.`),
    "",
  );
  return parts.join("\n");
}

/** The POLICY section of `reports/gas.md`: where a signed policy's gas goes, against the 60% bar. */
export function renderPolicyBreakdown(report: LooseGasReport): string[] {
  const total = POLICY_BREAKDOWN.reduce((sum, item) => sum + item.gas, 0);
  const fixed = POLICY_BREAKDOWN.slice(0, 4).reduce((sum, item) => sum + item.gas, 0);
  const token = overhead(report, "v0.7", "token", 10);
  const bar = token === undefined ? undefined : Math.floor(token * 0.6);
  return [
    "## POLICY mode: where a signed policy's gas goes (issue 13)",
    "",
    "Per operation at a bundle of 10 (v0.7, production set-up), measured by `npx hardhat run bench/policy-gas.ts` " +
      `on this code (total ${formatSigned(total)}; the bench's row may differ by a few gas). The 60% bar is ` +
      `${formatSigned(bar)} at this bundle size. The approval, its calldata and the one event take ` +
      `${formatSigned(fixed)}, which leaves ${formatSigned(bar === undefined ? undefined : bar - fixed)} for ` +
      `everything else: the hold in validation, its settlement in postOp, the storage, the calls between the ` +
      `paymaster, the ledger and the adapter, and both contracts' code, which take ${formatSigned(total - fixed)} ` +
      "today. For comparison, eth-infinitism's VerifyingPaymaster, which checks a signature and nothing else, costs " +
      `${formatSigned(overhead(report, "v0.7", "verifying", 10))}.`,
    "",
    markdownTable(
      ["cost", "gas per op"],
      POLICY_BREAKDOWN.map((item) => [item.what, item.gas.toLocaleString("en-US")]),
    ),
    "",
  ];
}

/** The short name of each target variant in the lower-bound tables. */
const MODE_LABELS: Record<TargetVariant, string> = {
  "credit-self": "self",
  "credit-sponsored": "sponsored",
  "policy-signed": "signed policy",
};

/** The lower-bound section of `reports/gas.md`. */
export function renderLowerBound(report: LooseGasReport, floor: GasRow): string[] {
  const results = lowerBounds(report, floor);
  const terms = LOWER_BOUND_TERMS.map((t) => [
    t.what,
    t.modes.length === ALL_MODES.length ? "all" : t.modes.map((m) => MODE_LABELS[m]).join(", "),
    t.perOp === 0 ? "–" : t.perOp.toLocaleString("en-US"),
    t.perBundle === 0 ? "–" : t.perBundle.toLocaleString("en-US"),
  ]);
  const verdict = (r: LowerBoundResult): string => {
    if (!TARGET_SIZES.includes(r.size)) return "bundle of 1: reported only";
    if (r.room === undefined) return "–";
    return r.room < 0 ? "unreachable" : "reachable only if all other costs fit the room";
  };
  const rows = results.map((r) => [
    r.variant,
    String(r.size),
    formatSigned(r.floor),
    formatSigned(r.required),
    formatSigned(r.bound),
    formatSigned(r.target),
    r.room === undefined ? "–" : r.room.toLocaleString("en-US"),
    formatSigned(r.measured),
    r.measured === undefined || r.bound === undefined ? "–" : (r.measured - r.bound).toLocaleString("en-US"),
    verdict(r),
  ]);
  return [
    "## Lower bound",
    "",
    "The floor is a paymaster that reads no storage, returns a one-word context and only emits one event in " +
      "postOp (`TestAcceptAllPaymaster`, measured here on EntryPoint v0.7 with the same operation). Any " +
      "implementation of the required design (credits in a separate ledger, validation reading the adapter's " +
      "cached price and the paymaster's caps, transient holds, the burned total per spender, ONE indexed event " +
      "per operation carrying userOpHash, payer, beneficiary, spender, credits, wei and price, a context carrying " +
      "what postOp cannot otherwise know; for a signed policy also the approval bound to the operation, the " +
      "policy's terms and its epoch budget held in validation and settled in postOp) pays at least the floor plus " +
      "these costs. Every storage access and " +
      "write, the event, each byte of context and of paymaster data is counted; computation is counted at a " +
      "floor no compiler reaches (100 gas per external call beyond the CALL itself, 20 for the charge's " +
      "arithmetic, 48 per slot key), so the bound stays a bound:",
    "",
    markdownTable(["required cost", "mode", "gas per op", "gas per bundle"], terms),
    "",
    markdownTable(
      [
        "variant (v0.7)",
        "ops/bundle",
        "floor overhead",
        "required",
        "lower bound",
        "target",
        "room left",
        "measured",
        "measured − bound",
        "verdict",
      ],
      rows,
    ),
    "",
    "Where the room is negative no implementation can meet the target. Where it is positive, it must hold every " +
      "cost counted above only at its floor: the calls' real ABI encoding and dispatch, the checks (caps, " +
      "postOp floor, expiry, pause, registration), the postOp pricing and the quadratic part of memory. " +
      "**measured − bound** is what this implementation spends beyond the bound (mostly compiled code): the room " +
      "would have to hold it.",
    "",
  ];
}

/** The comparison as a Markdown-like console table. */
export function renderComparison(rows: readonly CellComparison[]): string {
  return markdownTable(
    ["cell", "old", "new", "change", "result"],
    rows.map((r) => [
      `${r.version} ${r.variant} x${r.size}`,
      formatGas(r.old),
      formatGas(r.new),
      r.change === undefined ? (r.old === undefined ? "new" : "missing") : formatSignedPercent(r.change),
      r.regression ? "REGRESSION" : r.checked ? "ok" : "info",
    ]),
  );
}

function formatSignedPercent(change: number): string {
  return (change > 0 ? "+" : "") + (change * 100).toFixed(2) + "%";
}
