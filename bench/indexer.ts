/**
 * `npm run bench:indexer` (not in CI): the usage indexer under load. Starts a `hardhat node`, deploys the system
 * (the demo), generates OPS (default 10,000) charged operations in bundles of BUNDLE (50) through the real
 * EntryPoint v0.8 (bench/indexer-load.ts), then starts the indexer on a fresh PGlite directory and measures the time
 * until it has indexed the latest block, and the API's latency (p50 / p95 over REQUESTS requests each) for the
 * sponsor's view, a user's view, the totals and the DAO view. Writes reports/indexer.json and reports/indexer.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { createPublicClient, http } from "viem";

import type { ApiSponsor, ApiTotals } from "../indexer/api-types";
import { freePort, runHardhat, startHardhatNode } from "../scripts/lib/hardhat-process";
import type { HardhatNode } from "../scripts/lib/hardhat-process";
import {
  REPO_ROOT,
  resolveIndexerDeployment,
  startPonder,
  waitForIndexed,
} from "../scripts/lib/indexer-process";
import type { PonderProcess } from "../scripts/lib/indexer-process";

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function latency(url: string, requests: number): Promise<{ p50: number; p95: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    max: round(times[times.length - 1]),
  };
}

async function main(): Promise<void> {
  const ops = Number(process.env.OPS ?? "10000");
  const bundle = Number(process.env.BUNDLE ?? "50");
  const requests = Number(process.env.REQUESTS ?? "100");
  const deploymentId = `indexer-bench-${process.pid}`;
  const deploymentDir = path.join(REPO_ROOT, "ignition", "deployments", deploymentId);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "indexer-bench-"));
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
    const demo = await runHardhat(REPO_ROOT, ["run", "scripts/demo.ts", "--network", "localhost"], {
      nodeUrl: node.url,
      env: { DEPLOYMENT_ID: deploymentId, DEMO_SUMMARY_PATH: path.join(tmp, "demo.json") },
      timeoutMs: 300_000,
    });
    if (demo.code !== 0) throw new Error(`the demo failed:\n${demo.stdout}\n${demo.stderr}`);
    log("system deployed (demo)");
    const load = await runHardhat(REPO_ROOT, ["run", "bench/indexer-load.ts", "--network", "localhost"], {
      nodeUrl: node.url,
      env: { DEPLOYMENT_DIR: deploymentDir, OPS: String(ops), BUNDLE: String(bundle) },
      timeoutMs: 3_600_000,
    });
    const line = load.stdout.split("\n").find((l) => l.startsWith("LOAD "));
    if (load.code !== 0 || line === undefined)
      throw new Error(`the load failed:\n${load.stdout}\n${load.stderr}`);
    const generated = JSON.parse(line.slice(5)) as {
      sponsor: string;
      users: string[];
      operations: number;
      bundles: number;
      seconds: number;
    };
    log(
      `${generated.operations} operations in ${generated.bundles} bundles (${generated.seconds.toFixed(0)} s)`,
    );

    const client = createPublicClient({ transport: http(node.url) });
    const latest = await client.getBlockNumber();
    const deployment = await resolveIndexerDeployment({
      deploymentDir,
      rpcUrl: node.url,
      explorer: null,
      pollingInterval: 200,
    });
    const t0 = Date.now();
    ponder = await startPonder(deployment, { port: await freePort(), pgliteDir: path.join(tmp, "db") });
    // Ponder's start (build, database, tables) ends when its HTTP server answers; indexing follows.
    while (
      !(await fetch(`${ponder.url}/health`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (ponder.process.exitCode !== null) throw new Error(`ponder exited:\n${ponder.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const startSeconds = (Date.now() - t0) / 1000;
    await waitForIndexed(ponder, latest, 3_600_000);
    const totalSeconds = (Date.now() - t0) / 1000;
    const indexingSeconds = totalSeconds - startSeconds;
    log(
      `indexed ${latest} blocks in ${indexingSeconds.toFixed(1)} s (after a ${startSeconds.toFixed(1)} s start)`,
    );
    const totals = (await (await fetch(`${ponder.url}/api/totals`)).json()) as ApiTotals;
    const sponsorView = (await (
      await fetch(`${ponder.url}/api/sponsors/${generated.sponsor}`)
    ).json()) as ApiSponsor;
    const routes = {
      sponsor: `/api/sponsors/${generated.sponsor}`,
      user: `/api/users/${generated.users[0]}`,
      totals: "/api/totals",
      dao: "/api/dao",
    };
    const api: Record<string, { p50: number; p95: number; max: number }> = {};
    for (const [name, route] of Object.entries(routes)) {
      await fetch(`${ponder.url}${route}`); // warm-up
      api[name] = await latency(`${ponder.url}${route}`, requests);
      log(`${route}: p50 ${api[name].p50} ms, p95 ${api[name].p95} ms`);
    }
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
      operations: generated.operations,
      bundles: generated.bundles,
      blocks: Number(latest),
      indexedOperations: totals.operations,
      sponsorOperations: sponsorView.totals.operations,
      generationSeconds: Math.round(generated.seconds),
      startSeconds: Math.round(startSeconds * 10) / 10,
      indexingSeconds: Math.round(indexingSeconds * 10) / 10,
      totalSeconds: Math.round(totalSeconds * 10) / 10,
      operationsPerSecond: Math.round(totals.operations / indexingSeconds),
      database: "PGlite (embedded)",
      requestsPerRoute: requests,
      apiLatencyMs: api,
    };
    writeFileSync(path.join(REPO_ROOT, "reports", "indexer.json"), `${JSON.stringify(report, null, 2)}\n`);
    const md = [
      "# Usage indexer benchmark",
      "",
      `Generated by \`npm run bench:indexer\` on ${report.date} (${report.machine.cpus} CPUs shared with other jobs, Node ${report.machine.node}).`,
      "",
      `- Load: ${report.operations} charged operations in ${report.bundles} bundles through EntryPoint v0.8 on a \`hardhat node\`: ${bundle} operations per bundle, except the accounts' first (deploying) operations, 10 per bundle; a third each SPONSORED, POLICY, SELF; ${report.blocks} blocks in all (generation ${report.generationSeconds} s).`,
      `- Indexing: ${report.indexedOperations} operations indexed from the deployment's first block in **${report.indexingSeconds} s** (${report.operationsPerSecond} operations/s, ${report.database}), after Ponder's ${report.startSeconds} s start (build, database, tables): ${report.totalSeconds} s from launch to the latest block.`,
      `- API latency over ${requests} sequential requests each:`,
      "",
      "| Route | p50 (ms) | p95 (ms) | max (ms) |",
      "| --- | ---: | ---: | ---: |",
      ...Object.entries(routes).map(
        ([name, route]) =>
          `| \`${route.replace(/0x[0-9a-fA-F]{40}/, ":address")}\` (${name}) | ${api[name].p50} | ${api[name].p95} | ${api[name].max} |`,
      ),
      "",
    ].join("\n");
    writeFileSync(path.join(REPO_ROOT, "reports", "indexer.md"), md);
    log("wrote reports/indexer.json and reports/indexer.md");
  } finally {
    await ponder?.stop();
    await node?.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
