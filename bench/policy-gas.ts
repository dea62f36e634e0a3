/**
 * Profiler of the CreditPaymaster's rows (not a benchmark: `npm run bench` measures every row): sends one measured
 * bundle of 10 per variant, exactly as `npm run bench` does, and walks its `debug_traceTransaction` struct logs to
 * show where the gas goes, per operation: by contract (its own code, calls excluded) and by opcode class in the
 * paymaster and the ledger. Used to find and measure the POLICY mode's hot-path costs (see reports/gas.md).
 *
 * Run: `npx hardhat run bench/policy-gas.ts` (`PROFILE_VARIANTS=policy-signed,credit-sponsored` to choose).
 */
import { ethers, network } from "hardhat";

import type { PackedUserOperation, User } from "../src/aa";
import { installDeterministicClock } from "./lib/clock";
import { deployProductionSystems } from "./lib/production";
import type { MeasuredVariantName } from "./lib/report";
import {
  CLOCK_START,
  benchUser,
  creditPaymaster,
  noPaymaster,
  policyPaymaster,
  sendBundle,
} from "./lib/variants";
import type { PolicyVariantName, Variant } from "./lib/variants";

const OPS = 10;

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

/** Gas per operation by "contract" and by "contract opcode-class", from the trace of a handleOps transaction. */
function profile(logs: readonly StructLog[], names: ReadonlyMap<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, gas: number) => out.set(key, (out.get(key) ?? 0) + gas);
  const frames: string[] = ["EntryPoint"];
  for (let i = 0; i < logs.length; i++) {
    const step = logs[i];
    const next = logs[i + 1];
    const frame = frames[frames.length - 1];
    if (next !== undefined && next.depth > step.depth) {
      // A call entered: the caller pays the call's own cost (the gas it had minus what the callee started with,
      // minus the gas returned: counted when the frame resumes), the callee its steps.
      const stack = step.stack ?? [];
      const target = "0x" + (stack[stack.length - 2] ?? "").replace(/^0x/, "").slice(-40).padStart(40, "0");
      frames.push(names.get(target.toLowerCase()) ?? `other ${target.slice(0, 10)}`);
      const resume = logs.findIndex((l, j) => j > i && l.depth === step.depth);
      const calleeUsed = next.gas - (resume === -1 ? 0 : lastGasAtDepth(logs, i + 1, resume, next.depth));
      const callCost = resume === -1 ? 0 : step.gas - logs[resume].gas - calleeUsed;
      add(frame, callCost);
      add(`${frame} ${step.op}`, callCost);
      continue;
    }
    if (next !== undefined && next.depth < step.depth) {
      frames.pop();
      add(frame, step.gasCost);
      add(`${frame} ${classOf(step.op)}`, step.gasCost);
      continue;
    }
    const cost = next === undefined ? step.gasCost : step.gas - next.gas;
    add(frame, cost);
    add(`${frame} ${classOf(step.op)}`, cost);
  }
  return out;
}

/** Gas the callee frame at `depth` (steps from..to) used: its first step's gas minus the gas left at its end. */
function lastGasAtDepth(logs: readonly StructLog[], from: number, to: number, depth: number): number {
  for (let j = to - 1; j >= from; j--) {
    if (logs[j].depth === depth) return logs[j].gas - logs[j].gasCost;
  }
  return logs[from].gas;
}

function classOf(op: string): string {
  if (
    /^(SLOAD|SSTORE|TLOAD|TSTORE|KECCAK256|SHA3|EXTCODESIZE|EXTCODEHASH|CALLDATACOPY|RETURNDATACOPY)$/.test(
      op,
    )
  ) {
    return op;
  }
  if (op.startsWith("LOG")) return "LOG";
  if (op.endsWith("CALL")) return "CALL (precompile, or to a codeless account)";
  return "other";
}

async function measureTrace(variant: Variant, names: Map<string, string>): Promise<Map<string, number>> {
  const users: User[] = [];
  for (let i = 0; i < OPS; i++) users.push(await benchUser(variant.sys, `profile/${variant.name}/${i}`));
  await variant.refresh();
  await variant.prepare(users);
  await variant.refresh();
  const warm: PackedUserOperation[] = [];
  for (const u of users) warm.push(await variant.warmUpOp(u));
  await sendBundle(variant.sys.entryPoint, variant.sys.bundler, warm, `${variant.name} warm-up`);
  await variant.refresh();
  const ops: PackedUserOperation[] = [];
  for (const u of users) ops.push(await variant.measuredOp(u));
  const result = await sendBundle(
    variant.sys.entryPoint,
    variant.sys.bundler,
    ops,
    `${variant.name} x${OPS}`,
  );
  await variant.checkSteadyPath(result, OPS);
  const trace = (await network.provider.send("debug_traceTransaction", [
    result.receipt.hash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: StructLog[] };
  for (const u of users) names.set(u.account.address.toLowerCase(), "account");
  const byKey = profile(trace.structLogs, names);
  byKey.set("TOTAL (receipt)", Number(result.receipt.gasUsed));
  return byKey;
}

async function main(): Promise<void> {
  installDeterministicClock(network.provider, CLOCK_START, 12);
  // The production set-up, as `npm run bench` measures it (both paymasters registered on the ledger).
  const sys = (await deployProductionSystems())["0.7"];
  const names = new Map<string, string>([
    [(await sys.entryPoint.getAddress()).toLowerCase(), "EntryPoint"],
    [(await sys.paymaster.getAddress()).toLowerCase(), "paymaster"],
    [(await sys.ledger.getAddress()).toLowerCase(), "ledger"],
    [(await sys.adapter.getAddress()).toLowerCase(), "adapter"],
    [(await sys.target.getAddress()).toLowerCase(), "target"],
    ["0x0000000000000000000000000000000000000001", "ecrecover"],
  ]);
  const wanted = (process.env.PROFILE_VARIANTS ?? "none,credit-sponsored,policy-signed")
    .split(",")
    .map((v) => v.trim() as MeasuredVariantName);
  const results = new Map<string, Map<string, number>>();
  for (const name of wanted) {
    const variant =
      name === "none"
        ? await noPaymaster(sys)
        : name === "credit-self" || name === "credit-sponsored"
          ? await creditPaymaster(sys, name)
          : await policyPaymaster(sys, name as PolicyVariantName);
    results.set(name, await measureTrace(variant, names));
  }
  const keys = [...new Set([...results.values()].flatMap((m) => [...m.keys()]))].sort();
  console.log(`gas per operation (bundle of ${OPS}, v0.7)`);
  console.log(["key".padEnd(32), ...wanted.map((w) => w.padStart(22))].join(""));
  for (const key of keys) {
    const cells = wanted.map((w) => Math.round((results.get(w)?.get(key) ?? 0) / OPS));
    if (cells.every((c) => Math.abs(c) < 20)) continue;
    console.log([key.padEnd(32), ...cells.map((c) => c.toLocaleString("en-US").padStart(22))].join(""));
  }
  const block = await ethers.provider.getBlock("latest");
  console.log(`(${block?.number ?? "?"} blocks)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
