/**
 * Gas benchmark: the same SimpleAccount operation (`execute(TestTarget, 0, increment())`) sent through
 * `handleOps` without paymaster, through the eth-infinitism reference paymasters (EntryPoint v0.7) and through
 * this project's CreditPaymaster in self-pay and sponsored mode (v0.7 and v0.8) and in POLICY mode (v0.7: a signed
 * policy without per-user limits, an open policy's returning and first-time users), in bundles of 1, 10 and 50
 * operations. Writes `reports/gas.json` and `reports/gas.md`.
 *
 * Run: `npm run bench` (`hardhat run bench/paymaster-gas.ts`, in-process Hardhat network).
 * `BENCH_ONLY=policy-signed,token npx hardhat run bench/paymaster-gas.ts` measures only the named variants (and
 * `none`) and prints their figures without writing the reports: for iterating on one row.
 *
 * Fairness: every measured operation carries the same callData, account gas limits, preVerificationGas and fees
 * (and every paymaster the same paymaster gas limits); every sender is a distinct, already deployed account that
 * has made exactly one prior operation (nonce 1), fresh for each variant and bundle size; one bundler EOA sends
 * every bundle and is its beneficiary. Cached prices are refreshed before each measured bundle so that every
 * paymaster takes its steady path (no price refresh, no swap), and the bench checks that it did.
 *
 * Determinism: fixed keys, a fixed block clock (see {@link installDeterministicClock}), no timestamps in the
 * output: two runs of the same code give byte-identical reports.
 */
import { ethers, network, config } from "hardhat";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { deploySystem } from "../src/aa";
import type { EntryPointVersion, PackedUserOperation, User } from "../src/aa";
import { installDeterministicClock } from "./lib/clock";
import { BUNDLE_SIZES, REPORT_VARIANTS, renderJson, renderMarkdown } from "./lib/report";
import type { BenchSetup, BundleSize, GasReport, GasRow, ReportVersion, VariantName } from "./lib/report";
import {
  CLOCK_START,
  acceptAllPaymaster,
  MEASURED_GAS,
  PAYMASTER_GAS,
  benchUser,
  creditPaymaster,
  noPaymaster,
  policyPaymaster,
  sendBundle,
  tokenPaymaster,
  verifyingPaymaster,
} from "./lib/variants";
import type { Variant } from "./lib/variants";

/** Seconds between consecutive blocks of the bench's clock. */
const CLOCK_STEP = 12;
/** Operations per warm-up bundle (account deployments: ~300k gas each). */
const WARM_UP_BUNDLE = 20;
/** POLICY warm-ups also write each user's usage slot: 20 of them would exceed EIP-7825's transaction gas cap. */
const POLICY_WARM_UP_BUNDLE = 10;

// ------------------------------------------------------------------ main

interface Plan {
  variant: Variant;
  users: Record<`${BundleSize}`, User[]>;
}

function reportVersion(version: EntryPointVersion): ReportVersion {
  return version === "0.7" ? "v0.7" : "v0.8";
}

async function planVariant(variant: Variant): Promise<Plan> {
  const version = reportVersion(variant.sys.version);
  const users = { "1": [], "10": [], "50": [] } as Record<`${BundleSize}`, User[]>;
  for (const size of BUNDLE_SIZES) {
    for (let i = 0; i < size; i++) {
      users[`${size}`].push(await benchUser(variant.sys, `${version}/${variant.name}/${size}/${i}`));
    }
  }
  const all = BUNDLE_SIZES.flatMap((size) => users[`${size}`]);
  await variant.refresh();
  await variant.prepare(all);
  const chunk = variant.name.startsWith("policy-") ? POLICY_WARM_UP_BUNDLE : WARM_UP_BUNDLE;
  for (let i = 0; i < all.length; i += chunk) {
    await variant.refresh();
    const ops: PackedUserOperation[] = [];
    for (const user of all.slice(i, i + chunk)) ops.push(await variant.warmUpOp(user));
    await sendBundle(variant.sys.entryPoint, variant.sys.bundler, ops, `${version} ${variant.name} warm-up`);
  }
  for (const user of all) {
    if ((await ethers.provider.getCode(user.account.address)) === "0x") {
      throw new Error(`${version} ${variant.name}: account ${user.account.address} not deployed by warm-up`);
    }
  }
  console.log(`[${version}] ${variant.name}: ${all.length} accounts deployed (warm-up)`);
  return { variant, users };
}

async function measure(plan: Plan, size: BundleSize): Promise<number> {
  const { variant } = plan;
  const version = reportVersion(variant.sys.version);
  await variant.refresh();
  const ops: PackedUserOperation[] = [];
  for (const user of plan.users[`${size}`]) ops.push(await variant.measuredOp(user));
  const what = `${version} ${variant.name} x${size}`;
  const result = await sendBundle(variant.sys.entryPoint, variant.sys.bundler, ops, what);
  variant.checkSteadyPath(result, size);
  const n = BigInt(size);
  const perOp = Number((2n * result.receipt.gasUsed + n) / (2n * n));
  console.log(
    `[${version}] ${variant.name.padEnd(21)} x${String(size).padEnd(2)}  ${perOp.toLocaleString("en-US").padStart(8)} gas/op` +
      `  (bundle ${result.receipt.gasUsed.toLocaleString("en-US")} gas)`,
  );
  return perOp;
}

async function main(): Promise<void> {
  const started = Date.now();
  if (network.name !== "hardhat") throw new Error("run the bench on the in-process hardhat network");
  installDeterministicClock(network.provider, CLOCK_START, CLOCK_STEP);

  console.log("Deploying EntryPoints v0.7 and v0.8, the credit system for each, reference paymasters…");
  const sys07 = await deploySystem("0.7");
  const sys08 = await deploySystem("0.8");
  const latest = await ethers.provider.getBlock("latest");
  if (latest === null || latest.timestamp < CLOCK_START)
    throw new Error("the deterministic clock is not in effect");

  const variants: Record<ReportVersion, Variant[]> = {
    "v0.7": [
      await noPaymaster(sys07),
      await verifyingPaymaster(sys07),
      await tokenPaymaster(sys07),
      await creditPaymaster(sys07, "credit-self"),
      await creditPaymaster(sys07, "credit-sponsored"),
      await policyPaymaster(sys07, "policy-signed"),
      await policyPaymaster(sys07, "policy-open-returning"),
      await policyPaymaster(sys07, "policy-open-first"),
    ],
    "v0.8": [
      await noPaymaster(sys08),
      await creditPaymaster(sys08, "credit-self"),
      await creditPaymaster(sys08, "credit-sponsored"),
    ],
  };

  // The floor of the lower-bound section (v0.7 only; not part of gas.json).
  const floorVariant = await acceptAllPaymaster(sys07);

  const only = process.env.BENCH_ONLY?.split(",").map((v) => v.trim());
  const selected = (variant: Variant): boolean =>
    only === undefined || variant.name === "none" || only.includes(variant.name);
  const plans: Plan[] = [];
  for (const version of ["v0.7", "v0.8"] as const) {
    for (const variant of variants[version]) if (selected(variant)) plans.push(await planVariant(variant));
  }
  if (only !== undefined) {
    console.log("Measuring (BENCH_ONLY: the reports are not written)…");
    for (const plan of plans) for (const size of BUNDLE_SIZES) await measure(plan, size);
    return;
  }
  const floorPlan = await planVariant(floorVariant);

  console.log("Measuring…");
  const rows = new Map<string, GasRow>();
  for (const plan of plans) {
    const row = {} as GasRow;
    for (const size of BUNDLE_SIZES) row[`${size}`] = await measure(plan, size);
    rows.set(`${reportVersion(plan.variant.sys.version)}/${plan.variant.name}`, row);
  }
  const floor = {} as GasRow;
  for (const size of BUNDLE_SIZES) floor[`${size}`] = await measure(floorPlan, size);
  const rowOf = (version: ReportVersion, name: VariantName): GasRow => {
    const row = rows.get(`${version}/${name}`);
    if (row === undefined) throw new Error(`no figures for ${version} ${name}`);
    return row;
  };
  const report: GasReport = {
    "v0.7": {
      none: rowOf("v0.7", "none"),
      verifying: rowOf("v0.7", "verifying"),
      token: rowOf("v0.7", "token"),
      "credit-self": rowOf("v0.7", "credit-self"),
      "credit-sponsored": rowOf("v0.7", "credit-sponsored"),
      "policy-signed": rowOf("v0.7", "policy-signed"),
      "policy-open-returning": rowOf("v0.7", "policy-open-returning"),
      "policy-open-first": rowOf("v0.7", "policy-open-first"),
    },
    "v0.8": {
      none: rowOf("v0.8", "none"),
      "credit-self": rowOf("v0.8", "credit-self"),
      "credit-sponsored": rowOf("v0.8", "credit-sponsored"),
    },
  };
  // The variant lists above and REPORT_VARIANTS must agree (report order is REPORT_VARIANTS').
  for (const version of ["v0.7", "v0.8"] as const) {
    if (variants[version].map((v) => v.name).join() !== REPORT_VARIANTS[version].join()) {
      throw new Error(`variants of ${version} differ from REPORT_VARIANTS`);
    }
  }

  const setup: BenchSetup = { opGas: MEASURED_GAS, paymasterGas: PAYMASTER_GAS };
  const markdown = renderMarkdown(report, setup, floor);
  const dir = path.join(config.paths.root, "reports");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "gas.json"), renderJson(report));
  writeFileSync(path.join(dir, "gas.md"), markdown);

  console.log("\n" + markdown.slice(markdown.indexOf("## EntryPoint v0.7")));
  const last = await ethers.provider.getBlock("latest");
  const hours = ((last?.timestamp ?? CLOCK_START) - CLOCK_START) / 3_600;
  console.log(`\n${last?.number ?? "?"} blocks, ${hours.toFixed(1)} h of chain time`);
  console.log(
    `\nWrote reports/gas.json and reports/gas.md in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
