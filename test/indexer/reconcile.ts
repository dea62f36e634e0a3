/**
 * `npm run test:indexer`: the usage indexer reconciles with the chain. Starts a `hardhat node`, runs the demo on it,
 * then a seeded random run (test/indexer/random-run.ts; SEED to replay one, printed), starts the indexer (Ponder,
 * a temporary PGlite directory), waits until it has indexed the latest block, and asserts that its figures equal
 * the ledger's views exactly: `totalIssued`, `totalBurned`, `totalExpired`, `totalRevoked`; every account's
 * purchased credits, live grant buckets and expired-unswept credits (`creditBreakdown`, `balanceOfCredits`);
 * every allowance's stored budget and `remainingAllowance`; every policy's budget (`policy`) and users' usage
 * (`policyUsage`); issuer caps (`issuerCap`, `remainingIssuance`). Also checks the demo's operation as the demo
 * summary reports it (credits, wei, gas used, sponsor, mode). Exits non-zero with every mismatch listed.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { createPublicClient, getAddress, http } from "viem";

import type {
  ApiAllowance,
  ApiOperation,
  ApiPolicy,
  ApiSponsor,
  ApiTotals,
  ApiUser,
} from "../../indexer/api-types";
import { freePort, runHardhat, startHardhatNode } from "../../scripts/lib/hardhat-process";
import type { HardhatNode } from "../../scripts/lib/hardhat-process";
import {
  REPO_ROOT,
  resolveIndexerDeployment,
  startPonder,
  waitForIndexed,
} from "../../scripts/lib/indexer-process";
import type { PonderProcess } from "../../scripts/lib/indexer-process";
import { creditLedgerAbi } from "../../src/client/abi";
import { budgetRemaining } from "../../src/client/budgets";

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
function step(line: string): void {
  console.log(`[${elapsed()}] ${line}`);
}

const problems: string[] = [];
let checks = 0;
/** A value as compared: numbers, bigints and decimal strings alike; arrays and objects as JSON. */
function canonical(value: unknown): string {
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "string")
    return String(value);
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" || typeof v === "number" ? String(v) : v,
  );
}
function equal(what: string, actual: unknown, expected: unknown): void {
  checks++;
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) problems.push(`${what}: indexer ${a}, chain ${e}`);
}

async function api<T>(ponder: PonderProcess, route: string): Promise<T> {
  const response = await fetch(`${ponder.url}${route}`);
  if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface RandomRun {
  seed: number;
  bundles: number;
  failedBundles: number;
  accounts: string[];
  allowances: { sponsor: string; beneficiary: string }[];
  policies: { sponsor: string; policyId: string }[];
  users: string[];
  issuer: string;
}

async function main(): Promise<void> {
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 1_000_000));
  const steps = Number(process.env.STEPS ?? "60");
  const deploymentId = `indexer-test-${process.pid}`;
  const deploymentDir = path.join(REPO_ROOT, "ignition", "deployments", deploymentId);
  const pglite = mkdtempSync(path.join(tmpdir(), "indexer-pglite-"));
  const summaryPath = path.join(pglite, "demo-summary.json");
  step(`seed ${seed} (replay with SEED=${seed} npm run test:indexer), ${steps} steps`);
  let node: HardhatNode | undefined;
  let ponder: PonderProcess | undefined;
  // Interrupted (Ctrl-C, CI timeout): stop the node and the indexer, which run in their own process groups.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void Promise.all([ponder?.stop(), node?.stop()]).finally(() => process.exit(130));
    });
  }
  try {
    node = await startHardhatNode(REPO_ROOT);
    step(`hardhat node at ${node.url}`);
    const demo = await runHardhat(REPO_ROOT, ["run", "scripts/demo.ts", "--network", "localhost"], {
      nodeUrl: node.url,
      env: { DEPLOYMENT_ID: deploymentId, DEMO_SUMMARY_PATH: summaryPath },
      timeoutMs: 240_000,
    });
    if (demo.code !== 0) throw new Error(`the demo failed:\n${demo.stdout}\n${demo.stderr}`);
    step("demo done");
    const run = await runHardhat(REPO_ROOT, ["run", "test/indexer/random-run.ts", "--network", "localhost"], {
      nodeUrl: node.url,
      env: { DEPLOYMENT_DIR: deploymentDir, SEED: String(seed), STEPS: String(steps) },
      timeoutMs: 240_000,
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("RANDOM_RUN "));
    if (run.code !== 0 || line === undefined)
      throw new Error(`the random run failed:\n${run.stdout}\n${run.stderr}`);
    const random = JSON.parse(line.slice("RANDOM_RUN ".length)) as RandomRun;
    step(`random run done: ${random.bundles} bundles (${random.failedBundles} refused in validation)`);

    const deployment = await resolveIndexerDeployment({
      deploymentDir,
      rpcUrl: node.url,
      explorer: null,
      pollingInterval: 200,
    });
    const client = createPublicClient({ transport: http(node.url) });
    const latest = await client.getBlock({ blockTag: "latest" });
    ponder = await startPonder(deployment, { port: await freePort(), pgliteDir: path.join(pglite, "db") });
    await waitForIndexed(ponder, latest.number, 150_000);
    step(`indexer reached block ${latest.number}`);

    // Views at the latest block (the indexer judges expiries and epochs at the same block's time).
    const ledger = deployment.ledger;
    const blockNumber = latest.number;
    const time = latest.timestamp;
    const read = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
      client.readContract({
        address: ledger,
        abi: creditLedgerAbi,
        functionName: functionName as never,
        args: args as never,
        blockNumber,
      }) as Promise<T>;

    const totals = await api<ApiTotals>(ponder, "/api/totals");
    equal("totalIssued", totals.totalIssued, await read<bigint>("totalIssued", []));
    equal("totalBurned", totals.totalBurned, await read<bigint>("totalBurned", []));
    equal("totalExpired", totals.totalExpired, await read<bigint>("totalExpired", []));
    equal("totalRevoked", totals.totalRevoked, await read<bigint>("totalRevoked", []));

    const demoSummary = JSON.parse(readFileSync(summaryPath, "utf8")) as Record<string, unknown>;
    const accounts = new Set<string>(random.accounts.map((a) => getAddress(a)));
    const sponsor = getAddress(String((demoSummary.policy as { sponsor: string }).sponsor));
    accounts.add(sponsor);
    for (const account of accounts) {
      const user = await api<ApiUser>(ponder, `/api/users/${account}`);
      const chain = await read<{
        purchased: bigint;
        grants: readonly { amount: bigint; expiresAt: bigint }[];
        expiredUnswept: bigint;
      }>("creditBreakdown", [account]);
      equal(`${account} purchased`, user.balance.purchased, chain.purchased);
      equal(
        `${account} live grants`,
        user.balance.buckets.filter((b) => !b.expired).map((b) => [b.amount, b.expiresAt]),
        chain.grants.filter((g) => g.amount > 0n).map((g) => [g.amount.toString(), Number(g.expiresAt)]),
      );
      equal(`${account} expired unswept`, user.balance.expiredUnswept, chain.expiredUnswept);
      equal(
        `${account} balanceOfCredits`,
        user.balance.spendable,
        await read<bigint>("balanceOfCredits", [account]),
      );
    }

    const sponsors = [
      ...new Set(
        random.allowances
          .map((a) => a.sponsor)
          .concat(
            random.policies.map((p) => p.sponsor),
            [sponsor],
          ),
      ),
    ];
    const views = new Map<string, ApiSponsor>();
    for (const s of sponsors) views.set(getAddress(s), await api<ApiSponsor>(ponder, `/api/sponsors/${s}`));
    for (const a of random.allowances) {
      const view = views
        .get(getAddress(a.sponsor))
        ?.allowances.find((x) => x.beneficiary === getAddress(a.beneficiary));
      const chain = await read<{
        limit: bigint;
        used: bigint;
        epochLength: number;
        anchor: number;
        usedEpoch: number;
        expiresAt: number;
      }>("allowance", [a.sponsor, a.beneficiary]);
      const budget = {
        limit: chain.limit,
        used: chain.used,
        epochLength: BigInt(chain.epochLength),
        anchor: BigInt(chain.anchor),
        usedEpoch: BigInt(chain.usedEpoch),
        expiresAt: BigInt(chain.expiresAt),
      };
      const key = `allowance ${a.sponsor}→${a.beneficiary}`;
      equal(`${key} perEpoch`, (view as ApiAllowance | undefined)?.perEpoch, chain.limit);
      equal(`${key} left`, view?.left, await read<bigint>("remainingAllowance", [a.sponsor, a.beneficiary]));
      equal(
        `${key} used`,
        view?.used,
        budget.limit === 0n ? view?.used : (budget.limit - budgetRemaining(budget, time)).toString(),
      );
      equal(`${key} expiresAt`, view?.expiresAt, Number(chain.expiresAt));
    }
    const policyUsers = await api<{ rows: Record<string, string | number | null>[] }>(
      ponder,
      "/api/export/policy_users.json",
    );
    for (const p of random.policies.concat([{ sponsor, policyId: "1" }])) {
      const view = views.get(getAddress(p.sponsor))?.policies.find((x) => x.policyId === p.policyId) as
        ApiPolicy | undefined;
      const chain = await read<{
        terms: { creditsPerEpoch: bigint };
        epochLength: number;
        anchor: number;
        used: bigint;
        usedEpoch: number;
        status: number;
      }>("policy", [p.sponsor, BigInt(p.policyId)]);
      const budget = {
        limit: chain.terms.creditsPerEpoch,
        used: chain.used,
        epochLength: BigInt(chain.epochLength),
        anchor: BigInt(chain.anchor),
        usedEpoch: BigInt(chain.usedEpoch),
        expiresAt: 0n,
      };
      const key = `policy ${p.sponsor}#${p.policyId}`;
      const usedNow =
        budget.usedEpoch >= (time <= budget.anchor ? 0n : (time - budget.anchor) / budget.epochLength)
          ? budget.used
          : 0n;
      equal(`${key} used this epoch`, view?.usedThisEpoch, usedNow);
      equal(
        `${key} left`,
        view?.left ?? null,
        budget.limit === 0n ? null : budgetRemaining(budget, time).toString(),
      );
      equal(`${key} epochLength`, view?.limits.epochLength, Number(chain.epochLength));
      for (const u of random.users) {
        const usage = await read<{ credits: bigint; ops: number; epoch: number }>("policyUsage", [
          p.sponsor,
          BigInt(p.policyId),
          u,
        ]);
        // Ponder decodes event addresses in lower case; the indexer's keys are built from them.
        const id = `${p.sponsor}-${p.policyId}-${u}`.toLowerCase();
        const row = policyUsers.rows.find((r) => r.id === id);
        equal(
          `${key} usage of ${u}`,
          row === undefined ? ["0", "0", "0"] : [row.credits, row.ops, row.epoch].map(String),
          [usage.credits, usage.ops, usage.epoch].map(String),
        );
      }
    }
    const dao = await api<{ issuerCaps: { issuer: string; left: string }[] }>(ponder, "/api/dao");
    for (const cap of dao.issuerCaps) {
      equal(`issuer ${cap.issuer} left`, cap.left, await read<bigint>("remainingIssuance", [cap.issuer]));
    }

    // The demo's operation, as the demo measured it (reports/demo-summary.json's base units).
    const demoUser = await api<ApiUser>(ponder, `/api/users/${String(demoSummary.userAccount)}`);
    const demoOp: ApiOperation | undefined = demoUser.operations.find(
      (o) => o.userOpHash === demoSummary.userOpHash,
    );
    equal("demo operation found", demoOp !== undefined, true);
    equal("demo operation credits", demoOp?.credits, String(demoSummary.creditsCharged));
    equal("demo operation mode", demoOp?.mode, "POLICY");
    equal("demo operation policy", demoOp?.policyId, "1");
    equal("demo operation payer", demoOp?.payer, sponsor);
    equal("demo operation gas used", demoOp?.gasUsed, String(demoSummary.gasUsed));
    if (problems.length > 0) {
      console.error(`\n${problems.length} of ${checks} checks FAILED (seed ${seed}):`);
      for (const p of problems) console.error(`  - ${p}`);
      process.exitCode = 1;
    } else {
      step(
        `all ${checks} checks equal (seed ${seed}, ${accounts.size} accounts, ${random.allowances.length} allowances, ${random.policies.length + 1} policies)`,
      );
    }
  } finally {
    await ponder?.stop();
    await node?.stop();
    rmSync(pglite, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  }
}

// `hardhat test` loads every file under test/ as a suite: run only when executed directly (ts-node).
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
