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
  "v0.7": ["none", "verifying", "token", "credit-self", "credit-sponsored"],
  "v0.8": ["none", "credit-self", "credit-sponsored"],
} as const;
export type VariantName = (typeof REPORT_VARIANTS)[ReportVersion][number];

/** This project's paymaster: the variants the regression rule applies to. */
export const PROJECT_VARIANTS: readonly VariantName[] = ["credit-self", "credit-sponsored"];

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
export function renderMarkdown(report: GasReport, setup: BenchSetup): string {
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
    "EntryPoint v0.7: the CreditPaymaster's overhead must be at most 50% of TokenPaymaster's in self-pay mode " +
      "and at most 65% in sponsored mode. Reported here, not enforced by `bench:check`.",
    "",
    renderTargetTable(loose),
    "",
    "## Optimisations",
    "",
    "<!-- Filled in by the integrator: one line per optimisation, with the gas it saved. -->",
    "",
    "- _(none recorded yet)_",
    "",
  );
  return parts.join("\n");
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
