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

/** Variants measured on each EntryPoint version, in report order. `none` is the baseline of overheads. */
export const REPORT_VARIANTS = {
  "v0.7": [
    "none",
    "verifying",
    "token",
    "credit-self",
    "credit-sponsored",
    "policy-signed",
    "policy-open-returning",
    "policy-open-first",
  ],
  "v0.8": ["none", "credit-self", "credit-sponsored"],
} as const;
export type VariantName = (typeof REPORT_VARIANTS)[ReportVersion][number];

/**
 * Measured on EntryPoint v0.7 besides the report's variants, and shown only in the lower-bound section of
 * `reports/gas.md`: a paymaster that accepts everything and whose postOp only emits one event.
 */
export const FLOOR_VARIANT = "accept-all";
/** Every variant the bench measures. */
export type MeasuredVariantName = VariantName | typeof FLOOR_VARIANT;

/** This project's paymaster: the variants the regression rule applies to. */
export const PROJECT_VARIANTS: readonly VariantName[] = [
  "credit-self",
  "credit-sponsored",
  "policy-signed",
  "policy-open-returning",
  "policy-open-first",
];

/** Gas per operation of one variant, by bundle size (`"1"`, `"10"`, `"50"`). */
export type GasRow = Record<`${BundleSize}`, number>;

/** `reports/gas.json`: gas per operation = round(receipt.gasUsed / ops), by version, variant and bundle size. */
export type GasReport = {
  [V in ReportVersion]: Record<(typeof REPORT_VARIANTS)[V][number], GasRow>;
};

/** A loosely typed report read from disk: version → variant → bundle size → gas per operation. */
export type LooseGasReport = Record<string, Record<string, Record<string, number>>>;

/** Targets (v0.7): the most a variant's overhead may be, as a fraction of TokenPaymaster's overhead. */
export const TARGETS: readonly { variant: VariantName; maxRatio: number }[] = [
  { variant: "credit-self", maxRatio: 0.5 },
  { variant: "credit-sponsored", maxRatio: 0.65 },
  // Issue 13: a signed policy (no per-user limits) at most 60% of TokenPaymaster's overhead at bundles of 10 and 50.
  { variant: "policy-signed", maxRatio: 0.6 },
];

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
  variant: VariantName;
  size: BundleSize;
  ratio: number | undefined;
  maxRatio: number;
  pass: boolean;
}

/** The target table: for v0.7 and every bundle size, each target variant's ratio and whether it passes. */
export function evaluateTargets(report: LooseGasReport): TargetResult[] {
  const results: TargetResult[] = [];
  for (const { variant, maxRatio } of TARGETS) {
    for (const size of BUNDLE_SIZES) {
      const ratio = ratioToToken(report, "v0.7", variant, size);
      results.push({ variant, size, ratio, maxRatio, pass: ratio !== undefined && ratio <= maxRatio });
    }
  }
  return results;
}

/** Target variants: this project's paymaster in each mode. */
export type TargetVariant = "credit-self" | "credit-sponsored";

/** EVM gas schedule used by the lower bound (EIP-2929 access costs, EIP-2200 writes, yellow-paper LOG costs). */
export const EVM_GAS = {
  coldSload: 2_100,
  /** SSTORE of a nonzero value over a different nonzero value, first write of the slot in the transaction. */
  sstoreReset: 2_900,
  coldAccount: 2_600,
  warmAccess: 100,
} as const;

/** Gas of a LOG with `topics` topics (the event signature included) and `bytes` bytes of data. */
export function logGas(topics: number, bytes: number): number {
  return 375 + 375 * topics + 8 * bytes;
}

/** One cost that every implementation of the required design pays on top of the floor paymaster's. */
export interface LowerBoundTerm {
  what: string;
  /** Gas paid by every operation. */
  perOp: number;
  /** Gas paid once per bundle (cold accesses), spread over its operations. */
  perBundle: number;
  modes: readonly TargetVariant[];
}

const BOTH_MODES: readonly TargetVariant[] = ["credit-self", "credit-sponsored"];

/**
 * What the required design costs beyond the floor (a paymaster that reads nothing and emits one event in
 * postOp), counting only storage, events and account accesses that the issues and DESIGN.md make mandatory, at
 * their cheapest: credits in a separate ledger (one word per account, one allowance slot per sponsored sender),
 * validation reading the adapter's cached price and the paymaster's governance-set caps, holds in transient
 * storage, an indexed ledger event per spend and the paymaster's per-operation event. No ABI encoding, no
 * arithmetic, no branch, no calldata beyond the floor's is counted.
 */
export const LOWER_BOUND_TERMS: readonly LowerBoundTerm[] = [
  {
    what: "sender's credit word: cold read + write",
    perOp: EVM_GAS.coldSload + EVM_GAS.sstoreReset,
    perBundle: 0,
    modes: ["credit-self"],
  },
  {
    what: "sender's allowance slot: cold read + write",
    perOp: EVM_GAS.coldSload + EVM_GAS.sstoreReset,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "sender's recovery mark: cold read (a recovery ends the allowances given to the old address)",
    perOp: EVM_GAS.coldSload,
    perBundle: 0,
    modes: ["credit-sponsored"],
  },
  {
    what: "sponsor's credit word: cold read + first write",
    perOp: 0,
    perBundle: EVM_GAS.coldSload + EVM_GAS.sstoreReset,
    modes: ["credit-sponsored"],
  },
  {
    what: "ledger spend event at its smallest (LOG2: signature, account; one data word)",
    perOp: logGas(2, 32),
    perBundle: 0,
    modes: BOTH_MODES,
  },
  {
    what: "paymaster event at its smallest (LOG1, its six fields packed in 112 bytes) instead of the floor's (LOG2, three data words)",
    perOp: logGas(1, 112) - logGas(2, 96),
    perBundle: 0,
    modes: BOTH_MODES,
  },
  {
    what: "warm accesses: adapter call and cache read, config read, hold (call, spender slot, TLOAD, TSTORE), settle (call, TLOAD, TSTORE, credit word)",
    perOp: 11 * EVM_GAS.warmAccess,
    perBundle: 0,
    modes: BOTH_MODES,
  },
  {
    what: "cold accounts: ledger and price adapter",
    perOp: 0,
    perBundle: 2 * EVM_GAS.coldAccount,
    modes: BOTH_MODES,
  },
  {
    what: "cold slots: adapter cache, paymaster config, ledger spender authorisation",
    perOp: 0,
    perBundle: 3 * EVM_GAS.coldSload,
    modes: BOTH_MODES,
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
  /** The target as gas: maxRatio × TokenPaymaster's overhead. */
  target: number | undefined;
  /** target − bound: what is left for every other cost (code, calls' encoding, calldata); negative: unreachable. */
  room: number | undefined;
}

/** The lower bound of each target variant's overhead (v0.7), from the measured floor and LOWER_BOUND_TERMS. */
export function lowerBounds(report: LooseGasReport, floor: GasRow): LowerBoundResult[] {
  const results: LowerBoundResult[] = [];
  for (const { variant, maxRatio } of TARGETS) {
    if (!BOTH_MODES.includes(variant as TargetVariant)) continue;
    const terms = LOWER_BOUND_TERMS.filter((t) => t.modes.includes(variant as TargetVariant));
    for (const size of BUNDLE_SIZES) {
      const base = cell(report, "v0.7", "none", size);
      const token = overhead(report, "v0.7", "token", size);
      const floorOverhead = base === undefined ? undefined : floor[`${size}`] - base;
      const required = Math.round(terms.reduce((sum, t) => sum + t.perOp + t.perBundle / size, 0));
      const bound = floorOverhead === undefined ? undefined : floorOverhead + required;
      const target = token === undefined ? undefined : Math.floor(token * maxRatio);
      results.push({
        variant: variant as TargetVariant,
        size,
        floor: floorOverhead,
        required,
        bound,
        target,
        room: target === undefined || bound === undefined ? undefined : target - bound,
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
    gas: 2_122,
  },
  { what: "paymaster's UserOperationCharged event", gas: 2_643 },
  { what: "ledger's CreditsSpent event", gas: 2_899 },
  {
    what: "ledger storage: the sponsor's credit word, the spender slot, three policy slots (cold once per bundle), the policy's budget written per operation",
    gas: 3_240,
  },
  {
    what: "ledger transient holds (credit and policy-wide: TLOAD/TSTORE) and their slot keccaks",
    gas: 1_740,
  },
  { what: "ledger code (holdPolicy, settlePolicy, spend: checks, epochs, ABI)", gas: 8_664 },
  {
    what: "paymaster code (caps, postOp floor, pricing, context, settlement, unused-gas bound) and its config reads and calls",
    gas: 9_622,
  },
  { what: "the adapter's cached price (call and read)", gas: 694 },
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
    cost: "v0.8: 0; v0.7: ~3,700 gas per operation, 770 (self-pay) / 1,270 (sponsored) more than at the old fixed minimum of 45,000, which was unsound",
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
    `<= ${(t.maxRatio * 100).toFixed(0)}%`,
    t.pass ? "PASS" : "FAIL",
  ]);
  return markdownTable(
    ["variant (v0.7)", "ops/bundle", "overhead", "token overhead", "ratio", "target", "result"],
    rows,
  );
}

/** `reports/gas.md`: per EntryPoint version and bundle size, gas per op, overhead and ratio; targets. */
export function renderMarkdown(report: GasReport, setup: BenchSetup, floor?: GasRow): string {
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
    "EntryPoint v0.7: the CreditPaymaster's overhead must be at most 50% of TokenPaymaster's in self-pay mode, " +
      "at most 65% in sponsored mode and at most 60% under a signed policy without per-user limits (issue 13, " +
      "at bundles of 10 and 50). Reported here, not enforced by `bench:check`.",
    "",
    renderTargetTable(loose),
    "",
  );
  parts.push(...renderPolicyBreakdown(loose));
  if (floor !== undefined) parts.push(...renderLowerBound(loose, floor));
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
  const token = overhead(report, "v0.7", "token", 10);
  const bar = token === undefined ? undefined : Math.floor(token * 0.6);
  return [
    "## POLICY mode: where a signed policy's gas goes (issue 13)",
    "",
    "Per operation at a bundle of 10 (v0.7), measured by `npx hardhat run bench/policy-gas.ts` on this code " +
      `(total ${formatSigned(total)}; the bench's row may differ by a few gas). The 60% bar is ` +
      `${formatSigned(bar)} at this bundle size: the approval, the calldata and the two events alone take ` +
      `${formatSigned(POLICY_BREAKDOWN.slice(0, 5).reduce((sum, item) => sum + item.gas, 0))}, so the bar is out of reach while the ledger and ` +
      "the paymaster are separate contracts that each emit their event (dropping the paymaster's event, which " +
      "the ledger's now duplicates, is issue 15's).",
    "",
    markdownTable(
      ["cost", "gas per op"],
      POLICY_BREAKDOWN.map((item) => [item.what, item.gas.toLocaleString("en-US")]),
    ),
    "",
  ];
}

/** The lower-bound section of `reports/gas.md`. */
export function renderLowerBound(report: LooseGasReport, floor: GasRow): string[] {
  const results = lowerBounds(report, floor);
  const terms = LOWER_BOUND_TERMS.map((t) => [
    t.what,
    t.modes.length === 2 ? "both" : t.modes[0] === "credit-self" ? "self" : "sponsored",
    t.perOp === 0 ? "–" : t.perOp.toLocaleString("en-US"),
    t.perBundle === 0 ? "–" : t.perBundle.toLocaleString("en-US"),
  ]);
  const rows = results.map((r) => [
    r.variant,
    String(r.size),
    formatSigned(r.floor),
    formatSigned(r.required),
    formatSigned(r.bound),
    formatSigned(r.target),
    r.room === undefined ? "–" : r.room.toLocaleString("en-US"),
    r.room === undefined
      ? "–"
      : r.room < 0
        ? "unreachable"
        : "reachable only if all other costs fit the room",
  ]);
  return [
    "## Lower bound",
    "",
    "The floor is a paymaster that reads no storage, returns a one-word context and only emits one event in " +
      "postOp (`TestAcceptAllPaymaster`, measured here on EntryPoint v0.7 with the same operation). Any " +
      "implementation of the required design (credits in a separate ledger, validation reading the adapter's " +
      "cached price and the paymaster's caps, transient holds, an indexed ledger event per spend, the " +
      "paymaster's per-operation event) pays at least the floor plus these costs, counted at their cheapest and " +
      "without any code, ABI encoding or calldata:",
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
        "verdict",
      ],
      rows,
    ),
    "",
    "Where the room is negative no implementation can meet the target. Where it is positive, it must hold every " +
      "cost not counted above: the three external calls' ABI encoding and dispatch, the paymaster's arithmetic " +
      "and checks, its context and the paymaster data's calldata.",
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
