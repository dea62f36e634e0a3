/**
 * Gas regression check (`npm run bench:check`, a plain ts-node script: no network, no Hardhat).
 *
 * Compares a fresh `reports/gas.json` (written by `npm run bench`) with the committed one and exits with 1 when
 * any figure of this project's CreditPaymaster (every row: self-pay, sponsored, signed and open policies, each with
 * a payer holding purchased credits and one holding DAO grants; EntryPoint v0.7 and v0.8; every bundle size) rises
 * by more than 2%, or disappears. Figures of the reference paymasters and the targets are printed
 * for information only.
 *
 * Usage: ts-node bench/compare-gas.ts [--ref <git-ref> | --baseline <file>] [--current <file>]
 *   --ref       git revision whose committed reports/gas.json is the baseline (default: HEAD)
 *   --baseline  a baseline file instead (e.g. a copy saved before running the bench)
 *   --current   the fresh report (default: reports/gas.json)
 * Exit codes: 0 no regression, 1 regression, 2 usage or input error.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import {
  PROJECT_VARIANTS,
  REGRESSION_TOLERANCE,
  REPORT_VARIANTS,
  compareCells,
  compareReports,
  parseGasReport,
  renderComparison,
  renderGrantTable,
  renderTargetTable,
} from "./lib/report";
import type { LooseGasReport } from "./lib/report";

const ROOT = path.resolve(__dirname, "..");
const REPORT_PATH = "reports/gas.json";

interface Options {
  ref: string;
  baseline: string | undefined;
  current: string;
}

class UsageError extends Error {}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { ref: "HEAD", baseline: undefined, current: path.join(ROOT, REPORT_PATH) };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`missing value after ${argv[i]}`);
    switch (argv[i]) {
      case "--ref":
        options.ref = value;
        break;
      case "--baseline":
        options.baseline = value;
        break;
      case "--current":
        options.current = value;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

function readBaseline(options: Options): { report: LooseGasReport; origin: string } {
  if (options.baseline !== undefined) {
    return { report: readJson(options.baseline), origin: options.baseline };
  }
  const origin = `${options.ref}:${REPORT_PATH}`;
  let text: string;
  try {
    text = execFileSync("git", ["show", origin], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    throw new UsageError(`no committed ${REPORT_PATH} at ${options.ref}; pass --baseline <file>`);
  }
  return { report: parseGasReport(JSON.parse(text), origin), origin };
}

function readJson(file: string): LooseGasReport {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  return parseGasReport(JSON.parse(text), file);
}

function main(): number {
  const options = parseOptions(process.argv.slice(2));
  const baseline = readBaseline(options);
  const fresh = readJson(options.current);
  console.log(`Baseline: ${baseline.origin}\nCurrent:  ${options.current}\n`);

  const comparisons = compareReports(baseline.report, fresh);
  console.log(`CreditPaymaster (fails above +${REGRESSION_TOLERANCE * 100}%):`);
  console.log(renderComparison(comparisons));

  const references = [...new Set(Object.values(REPORT_VARIANTS).flat())].filter(
    (v) => !PROJECT_VARIANTS.includes(v),
  );
  console.log("\nReference figures (information only):");
  console.log(renderComparison(compareCells(baseline.report, fresh, references, undefined)));

  console.log("\nTargets of the current report (information only):");
  console.log(renderTargetTable(fresh));
  console.log("\nGrant-holding payers against purchased credits (information only):");
  console.log(renderGrantTable(fresh));

  const regressions = comparisons.filter((c) => c.regression);
  if (regressions.length === 0) {
    console.log("\nNo gas regression.");
    return 0;
  }
  console.error(`\n${regressions.length} gas regression(s):`);
  for (const r of regressions) {
    const change =
      r.change === undefined ? "missing" : `${r.change >= 0 ? "+" : ""}${(r.change * 100).toFixed(2)}%`;
    console.error(
      `  ${r.version} ${r.variant} x${r.size}: old ${r.old ?? "–"}, new ${r.new ?? "–"} (${change})`,
    );
  }
  return 1;
}

try {
  process.exitCode = main();
} catch (error: unknown) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
}
