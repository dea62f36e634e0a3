/**
 * Gas benchmark: the same SimpleAccount operation (`execute(TestTarget, 0, increment())`) sent through
 * `handleOps` without paymaster, through the eth-infinitism reference paymasters (EntryPoint v0.7) and through
 * this project's CreditPaymaster on EntryPoint v0.7 and v0.8 in self-pay and sponsored mode and in POLICY mode (a
 * signed policy without per-user limits, an open policy's returning and first-time users), each with a payer holding
 * purchased credits and with one holding DAO grants, in bundles of 1, 10 and 50 operations; then what the postOp gas
 * floor costs per version. Writes `reports/gas.json` and `reports/gas.md`.
 *
 * Production set-up: the system is deployed by the deploy library with the hardhat parameter file (see
 * `bench/lib/production.ts`): one ledger, both paymasters registered as its spenders (checked).
 *
 * Run: `npm run bench` (`hardhat run bench/paymaster-gas.ts`, in-process Hardhat network).
 * `BENCH_ONLY=policy-signed,token npx hardhat run bench/paymaster-gas.ts` measures only the named variants (and
 * `none`) and prints their figures without writing the reports: for iterating on one row (`postop-floor` in the
 * list also measures what the postOp floor costs).
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

import type { EntryPointVersion, PackedUserOperation, User } from "../src/aa";
import { installDeterministicClock } from "./lib/clock";
import { measurePostOpFloorCost } from "./lib/floor-cost";
import { deployProductionSystems } from "./lib/production";
import { BUNDLE_SIZES, REPORT_VARIANTS, renderJson, renderMarkdown } from "./lib/report";
import type { BenchSetup, BundleSize, GasReport, GasRow, ReportVersion, VariantName } from "./lib/report";
import {
  CLOCK_START,
  DaoGrants,
  WARM_UP_CHUNK,
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
/** Operations per warm-up bundle of the variants that are not POLICY (account deployments: ~300k gas each). */
const WARM_UP_BUNDLE = 20;

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
  const chunk = variant.name.startsWith("policy-") ? WARM_UP_CHUNK : WARM_UP_BUNDLE;
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
  await variant.checkSteadyPath(result, size);
  const n = BigInt(size);
  const perOp = Number((2n * result.receipt.gasUsed + n) / (2n * n));
  console.log(
    `[${version}] ${variant.name.padEnd(28)} x${String(size).padEnd(2)}  ${perOp.toLocaleString("en-US").padStart(8)} gas/op` +
      `  (bundle ${result.receipt.gasUsed.toLocaleString("en-US")} gas)`,
  );
  return perOp;
}

async function main(): Promise<void> {
  const started = Date.now();
  if (network.name !== "hardhat") throw new Error("run the bench on the in-process hardhat network");
  installDeterministicClock(network.provider, CLOCK_START, CLOCK_STEP);

  console.log("Deploying the production system (deploy library, both paymasters), reference paymasters…");
  const production = await deployProductionSystems();
  const sys07 = production["0.7"];
  const sys08 = production["0.8"];
  console.log(`Ledger spenders: ${production.spenders.join(", ")} (the two paymasters)`);
  const latest = await ethers.provider.getBlock("latest");
  if (latest === null || latest.timestamp < CLOCK_START)
    throw new Error("the deterministic clock is not in effect");

  // The grant-holding sponsor: a signer of its own, holding DAO grants only.
  const grants = new DaoGrants(sys07.issuer, (await ethers.getSigners())[7]);
  const creditVariants = async (sys: typeof sys07): Promise<Variant[]> => [
    await creditPaymaster(sys, "credit-self"),
    await creditPaymaster(sys, "credit-sponsored"),
    await policyPaymaster(sys, "policy-signed"),
    await policyPaymaster(sys, "policy-open-returning"),
    await policyPaymaster(sys, "policy-open-first"),
    await creditPaymaster(sys, "credit-self-grants", grants),
    await creditPaymaster(sys, "credit-sponsored-grants", grants),
    await policyPaymaster(sys, "policy-signed-grants", grants),
    await policyPaymaster(sys, "policy-open-returning-grants", grants),
    await policyPaymaster(sys, "policy-open-first-grants", grants),
  ];
  const variants: Record<ReportVersion, Variant[]> = {
    "v0.7": [
      await noPaymaster(sys07),
      await verifyingPaymaster(sys07),
      await tokenPaymaster(sys07),
      ...(await creditVariants(sys07)),
    ],
    "v0.8": [await noPaymaster(sys08), ...(await creditVariants(sys08))],
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
    if (only.includes("postop-floor")) {
      await measurePostOpFloorCost(sys07, sys07.admin, "v0.7");
      await measurePostOpFloorCost(sys08, sys08.admin, "v0.8");
    }
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
  const report = {} as Record<ReportVersion, Record<string, GasRow>>;
  for (const version of ["v0.7", "v0.8"] as const) {
    report[version] = {};
    for (const name of REPORT_VARIANTS[version]) report[version][name] = rowOf(version, name);
  }
  // The variant lists above and REPORT_VARIANTS must agree (report order is REPORT_VARIANTS').
  for (const version of ["v0.7", "v0.8"] as const) {
    if (variants[version].map((v) => v.name).join() !== REPORT_VARIANTS[version].join()) {
      throw new Error(`variants of ${version} differ from REPORT_VARIANTS`);
    }
  }

  // Last: it registers a third spender on the ledger.
  console.log("Measuring what the postOp gas floor costs…");
  const floorCosts = [
    ...(await measurePostOpFloorCost(sys07, sys07.admin, "v0.7")),
    ...(await measurePostOpFloorCost(sys08, sys08.admin, "v0.8")),
  ];

  const setup: BenchSetup = { opGas: MEASURED_GAS, paymasterGas: PAYMASTER_GAS };
  const markdown = renderMarkdown(report as GasReport, setup, floor, floorCosts);
  const dir = path.join(config.paths.root, "reports");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "gas.json"), renderJson(report as GasReport));
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
