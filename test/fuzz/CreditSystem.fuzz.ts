/**
 * Stateful, model-based invariant fuzzing of the credit system: the CreditLedger, the PriceAdapter, one
 * CreditPaymaster per EntryPoint (v0.7 and v0.8, same ledger) and the EntryPoints themselves, on the in-process
 * Hardhat network. See test/fuzz/README.md for the campaign design.
 *
 *   npm run fuzz       full campaign (10 runs × 200 steps = 2,000 steps)
 *   npm run fuzz:ci    short campaign (3 runs × 100 steps), the one CI runs
 *   npm test           a smoke campaign (2 runs × 30 steps) with the rest of the suite
 *   npm run coverage   1 run × 25 steps (instrumented bytecode; gas-calibrated checks off)
 *
 * Environment: FUZZ_SEED (replay or fix the seed), FUZZ_PATH (with FUZZ_SEED: replay one counterexample),
 * FUZZ_RUNS, FUZZ_STEPS, FUZZ_SHRINK_SECONDS (time allowed to shrink a failure).
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { actionsArb, formatActions } from "./actions";
import type { Action } from "./actions";
import { underCoverage } from "../helpers/paymaster";
import { Runner, Stats, deployFuzzWorld, initialModel } from "./harness";

interface Profile {
  name: string;
  script: string;
  runs: number;
  steps: number;
  shrinkSeconds: number;
}

const PROFILES: Record<string, Profile> = {
  // Under `hardhat coverage` (instrumented, several times slower): enough to exercise every path once.
  coverage: { name: "coverage", script: "npx hardhat coverage", runs: 1, steps: 25, shrinkSeconds: 0 },
  full: { name: "full", script: "npm run fuzz", runs: 10, steps: 200, shrinkSeconds: 900 },
  ci: { name: "ci", script: "npm run fuzz:ci", runs: 3, steps: 100, shrinkSeconds: 60 },
  smoke: {
    name: "smoke",
    script: "npx hardhat test test/fuzz/CreditSystem.fuzz.ts",
    runs: 2,
    steps: 30,
    shrinkSeconds: 30,
  },
};

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name}=${raw} is not a non-negative integer`);
  return value;
}

/** A failing step: which one, and why. */
class StepFailure extends Error {
  constructor(
    readonly step: number,
    readonly action: Action,
    override readonly cause: unknown,
  ) {
    super(`step ${step} (${action.kind}) failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

describe("Invariant fuzzing: ledger + paymasters + EntryPoint v0.7/v0.8", function () {
  const profile = PROFILES[process.env.FUZZ_PROFILE ?? (underCoverage() ? "coverage" : "smoke")];
  if (profile === undefined) throw new Error(`unknown FUZZ_PROFILE ${process.env.FUZZ_PROFILE}`);
  const runs = envInt("FUZZ_RUNS") ?? profile.runs;
  const steps = envInt("FUZZ_STEPS") ?? profile.steps;
  const shrinkSeconds = envInt("FUZZ_SHRINK_SECONDS") ?? profile.shrinkSeconds;
  const seed = envInt("FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31);
  const path = process.env.FUZZ_PATH;

  it("holds the five invariants and matches the model after every step", async function () {
    this.timeout(0);
    const gasChecks = !underCoverage();
    console.log(
      `      fuzz: profile=${profile.name} seed=${seed} runs=${runs} steps=${steps}` +
        (path === undefined ? "" : ` path=${path}`) +
        (gasChecks ? "" : " (coverage: gas-calibrated checks off)"),
    );
    const total = new Stats();
    const started = Date.now();
    let firstFailureAt: number | undefined;
    let lastFailure: StepFailure | undefined;

    const property = fc.asyncProperty(actionsArb(steps), async (actions) => {
      // Shrinking is bounded in time: once the budget is spent, further candidates pass and the smallest
      // failing sequence found so far is reported.
      if (firstFailureAt !== undefined && Date.now() - firstFailureAt > shrinkSeconds * 1_000) return true;
      const world = await loadFixture(deployFuzzWorld);
      const runner = new Runner(world, initialModel(world));
      try {
        await runner.checkInvariants();
        for (const [i, action] of actions.entries()) {
          try {
            await runner.step(action);
          } catch (e) {
            throw new StepFailure(i, action, e);
          }
        }
      } catch (e) {
        firstFailureAt ??= Date.now();
        if (e instanceof StepFailure) lastFailure = e;
        throw e;
      } finally {
        if (firstFailureAt === undefined) total.merge(runner.stats);
      }
      return true;
    });

    const result = await fc.check(property, {
      seed,
      numRuns: runs,
      ...(path === undefined ? {} : { path }),
      endOnFailure: false,
    });
    const seconds = ((Date.now() - started) / 1_000).toFixed(1);
    console.log(
      `      fuzz: ${result.numRuns} runs, ${total.steps} steps in ${seconds} s\n${total.report()}`,
    );
    if (result.failed) {
      const counterexample = result.counterexample?.[0] ?? [];
      const failingStep = lastFailure?.step;
      const env = [
        `FUZZ_SEED=${result.seed}`,
        `FUZZ_PATH=${result.counterexamplePath ?? ""}`,
        ...(envInt("FUZZ_STEPS") === undefined ? [] : [`FUZZ_STEPS=${steps}`]),
      ].join(" ");
      const shown = failingStep === undefined ? counterexample : counterexample.slice(0, failingStep + 1);
      console.log(
        [
          `      fuzz: FAILED after ${result.numShrinks} shrinks`,
          `      failing step: ${failingStep ?? "?"}; error: ${lastFailure?.message ?? String(result.errorInstance)}`,
          "      shrunk sequence (executed prefix; >> marks the failing step):",
          formatActions(shown, failingStep),
          `      replay: ${env} ${profile.script}`,
        ].join("\n"),
      );
      throw result.errorInstance instanceof Error
        ? result.errorInstance
        : new Error(String(result.errorInstance));
    }
  });
});
