/**
 * `npm run test:browser`: the dashboard in a real browser, its figures checked against the chain.
 *
 * 0. builds the dashboard, launches chromium and checks the page against the fixture API with an explorer
 *    (test/browser/fixture-api.ts): addresses and transactions link to the explorer, an API error is shown;
 * 1. starts a `hardhat node` on a free port and runs the demo against it (`hardhat run scripts/demo.ts --network
 *    localhost`, as `npm run demo -- --network localhost` does) under a deployment id of its own;
 * 2. starts the dashboard with its one command (`hardhat dashboard --network localhost --deployment <id>`, as
 *    `npm run dashboard` does) on a free port with a fresh PGlite directory, and waits until the indexer has
 *    indexed the chain's last block;
 * 3. reads the figures from the chain with ethers (the ledger's views and its `CreditsSpent` / `CreditsGranted`
 *    events: never from the indexer's API);
 * 4. drives Debian's chromium (CHROMIUM_PATH, default /usr/bin/chromium) with playwright-core: loads the sponsor,
 *    DAO and user views and checks that the figures on the page equal the chain's, to the last credit unit (the
 *    demo's charge, the sponsor's spend and balance, the user's balance, the DAO's totals and budget); checks a
 *    table's CSV export and an indexer table's export; saves screenshots to docs/dashboard-{sponsor,dao,user}.png;
 * 5. stops everything it started (process groups) and removes the deployment directory, also on failure.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider, getAddress, parseUnits } from "ethers";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";

import { serve } from "@hono/node-server";

import { buildDashboard } from "../../dashboard/build";
import { freePort, runHardhat, startHardhatNode, stopProcess } from "../../scripts/lib/hardhat-process";
import type { HardhatNode } from "../../scripts/lib/hardhat-process";
import { LOCALHOST_URL_ENV } from "../../scripts/lib/networks";
import { decodePaymasterSpendData } from "../../src/client";
import { CreditLedger__factory } from "../../typechain-types";
import { SPONSOR as FIXTURE_SPONSOR, TX as FIXTURE_TX, fixtureApp } from "./fixture-api";

const ROOT = path.resolve(__dirname, "../..");
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = {
  sponsor: path.join(ROOT, "docs", "dashboard-sponsor.png"),
  dao: path.join(ROOT, "docs", "dashboard-dao.png"),
  user: path.join(ROOT, "docs", "dashboard-user.png"),
};

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const log = (message: string) => console.log(`[browser ${elapsed()}] ${message}`);

/** What the demo wrote to its summary (the fields this test uses). */
interface DemoSummary {
  sponsor: string;
  userAccount: string;
  userOpHash: string;
  creditsCharged: string;
  addresses: Record<string, string>;
}

/** The figures read from the chain. */
interface ChainFigures {
  charge: bigint;
  sponsorSpent: bigint;
  sponsorBalance: bigint;
  sponsorGranted: bigint;
  /** Credits the sponsor spent under its policy 1 (CreditsSpent in POLICY mode, decoded by the client). */
  policySpent: bigint;
  /** `remainingIssuance(timelock)`: what the DAO's issuer may still grant this epoch. */
  issuerLeft: bigint;
  /** Expiry (unix seconds) of the sponsor's grants, soonest first. */
  sponsorExpiries: bigint[];
  userBalance: bigint;
  totalIssued: bigint;
  totalBurned: bigint;
  blockNumber: number;
}

const failures: string[] = [];

/** Records a mismatch (all are reported together at the end). */
function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (actual === expected) log(`  ✓ ${what}: ${String(actual)}`);
  else failures.push(`${what}: the page shows ${String(actual)}, the chain says ${String(expected)}`);
}

/** `"1,234.567891 credits"` → 1234567891n (base units): the page's figure, exactly. */
function parseCredits(text: string): bigint {
  const match = /^(-?[\d,]+\.\d{6}) credits$/.exec(text.trim());
  if (match === null) throw new Error(`not a credits figure: "${text}"`);
  return parseUnits(match[1].replaceAll(",", ""), 6);
}

/** Unix seconds as the page writes them: `2026-12-06 13:23:52 UTC`. */
function utc(seconds: bigint): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `"$1,234.567891"` → 1234567891n (micro-dollars). */
function parseUsd(text: string): bigint {
  const match = /^\$(-?[\d,]+\.\d+)$/.exec(text.trim());
  if (match === null) throw new Error(`not a USD figure: "${text}"`);
  return parseUnits(match[1].replaceAll(",", ""), 6);
}

async function readChain(rpcUrl: string, summary: DemoSummary): Promise<ChainFigures> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  const ledgerAddress = Object.entries(summary.addresses).find(([key]) => key.endsWith("#CreditLedger"))?.[1];
  if (ledgerAddress === undefined) throw new Error("the demo's summary names no CreditLedger");
  const ledger = CreditLedger__factory.connect(ledgerAddress, provider);
  const sponsor = getAddress(summary.sponsor);
  const spentEvents = await ledger.queryFilter(ledger.filters.CreditsSpent(), 0, "latest");
  let charge: bigint | undefined;
  let sponsorSpent = 0n;
  let policySpent = 0n;
  for (const event of spentEvents) {
    if (!(await ledger.isSpender(event.args.spender))) continue;
    if (event.args.ref === summary.userOpHash) charge = event.args.amount;
    if (getAddress(event.args.account) !== sponsor) continue;
    sponsorSpent += event.args.amount;
    const spend = decodePaymasterSpendData(event.args.spenderData);
    if (spend.mode === "POLICY" && spend.policyId === 1n) policySpent += event.args.amount;
  }
  const timelock = Object.entries(summary.addresses).find(([key]) =>
    key.endsWith("#TimelockController"),
  )?.[1];
  if (timelock === undefined) throw new Error("the demo's summary names no TimelockController");
  if (charge === undefined)
    throw new Error(`no CreditsSpent on chain for the demo's operation ${summary.userOpHash}`);
  const grants = await ledger.queryFilter(ledger.filters.CreditsGranted(sponsor), 0, "latest");
  const figures: ChainFigures = {
    charge,
    sponsorSpent,
    sponsorBalance: await ledger.balanceOfCredits(sponsor),
    sponsorGranted: grants.reduce((sum, event) => sum + event.args.amount, 0n),
    policySpent,
    issuerLeft: await ledger.remainingIssuance(timelock),
    sponsorExpiries: [...new Set(grants.map((event) => event.args.expiresAt))].sort((a, b) =>
      a < b ? -1 : 1,
    ),
    userBalance: await ledger.balanceOfCredits(summary.userAccount),
    totalIssued: await ledger.totalIssued(),
    totalBurned: await ledger.totalBurned(),
    blockNumber: await provider.getBlockNumber(),
  };
  provider.destroy();
  return figures;
}

/** `hardhat dashboard …` running, with its output. */
interface Dashboard {
  url: string;
  child: ChildProcess;
  output(): string;
}

async function startDashboard(
  node: HardhatNode,
  deploymentId: string,
  pgliteDir: string,
): Promise<Dashboard> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      HARDHAT_CLI,
      "dashboard",
      "--network",
      "localhost",
      "--deployment",
      deploymentId,
      "--port",
      String(port),
      "--pglite-dir",
      pgliteDir,
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, [LOCALHOST_URL_ENV]: node.url, NO_COLOR: "1", FORCE_COLOR: "0" },
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const dashboard = { url: "", child, output: () => output };
  running.push(() => stopProcess(child));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const printed = /Dashboard: (http:\/\/\S+\/dashboard\/)/.exec(output);
    if (printed !== null) return { ...dashboard, url: printed[1] };
    if (child.exitCode !== null) throw new Error(`the dashboard exited (code ${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`the dashboard printed no URL within 120 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the indexer's API has indexed `block`. */
async function waitIndexed(dashboard: Dashboard, block: number): Promise<void> {
  const status = new URL("/api/status", dashboard.url).toString();
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const body = (await (await fetch(status)).json()) as { indexedBlock: { number: string } | null };
      if (body.indexedBlock !== null && Number(body.indexedBlock.number) >= block) return;
    } catch {
      // Not answering yet.
    }
    if (dashboard.child.exitCode !== null) throw new Error(`the dashboard exited:\n${dashboard.output()}`);
    if (Date.now() > deadline)
      throw new Error(`block ${block} not indexed within 120 s:\n${dashboard.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Opens `#/<route>` and waits until the view has rendered (`<body data-ready="<view>">`) without an error. */
async function openView(page: Page, base: string, route: string, view: string): Promise<void> {
  await page.goto(`${base}#/${route}`);
  await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 30_000 });
  const error = await page.locator("p.error").allTextContents();
  if (error.length > 0) throw new Error(`the ${view} view shows an error: ${error.join("; ")}`);
}

const text = async (page: Page, selector: string): Promise<string> =>
  (await page.locator(selector).first().textContent({ timeout: 5_000 })) ?? "";

async function checkPage(
  browser: Browser,
  base: string,
  summary: DemoSummary,
  chain: ChainFigures,
): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const op = `[data-testid="op-${summary.userOpHash}"]`;
  const shots: Partial<Record<keyof typeof SCREENSHOTS, Buffer>> = {};

  log(`sponsor view of ${summary.sponsor}`);
  await openView(page, base, `sponsor/${summary.sponsor}`, "sponsor");
  expectEqual(
    "sponsor: spent for others",
    parseCredits(await text(page, '[data-testid="sponsor-spent"] .credits')),
    chain.sponsorSpent,
  );
  expectEqual(
    "sponsor: spent in USD",
    parseUsd(await text(page, '[data-testid="sponsor-spent"] .usd')),
    chain.sponsorSpent,
  );
  expectEqual(
    "sponsor: credits left",
    parseCredits(await text(page, '[data-testid="sponsor-balance"] .credits')),
    chain.sponsorBalance,
  );
  expectEqual(
    "sponsor: the demo's charge (last operations)",
    parseCredits(await text(page, `#last-operations ${op} .credits`)),
    chain.charge,
  );
  expectEqual(
    "sponsor: the demo's charge in USD",
    parseUsd(await text(page, `#last-operations ${op} .usd`)),
    chain.charge,
  );
  expectEqual(
    "sponsor: the spend chart is drawn",
    await page.locator('canvas[data-testid="spend-chart"]').count(),
    1,
  );
  // The CSV export of the last operations holds the operation with its charge in base units.
  const csv = await page.evaluate(async (selector) => {
    const link = document.querySelector<HTMLAnchorElement>(selector);
    return link === null ? "" : (await fetch(link.href)).text();
  }, '#last-operations a[data-export="CSV"]');
  expectEqual(
    "sponsor: CSV export of the last operations has the operation and its charge",
    csv
      .split("\r\n")
      .some((line) => line.includes(summary.userOpHash) && line.split(",").includes(chain.charge.toString())),
    true,
  );
  const exportHref = await page.locator('#exports a[data-export="CSV"]').first().getAttribute("href");
  const exported = exportHref === null ? 0 : (await fetch(new URL(exportHref, base))).status;
  expectEqual("sponsor: an indexer table's CSV export answers", exported, 200);
  const policy = page.locator("#policies tbody tr").first();
  expectEqual(
    "sponsor: policy #1 used this epoch",
    parseCredits((await policy.locator("td").nth(3).locator(".credits").textContent()) ?? ""),
    chain.policySpent,
  );
  shots.sponsor = await page.screenshot({ fullPage: true });

  log("DAO view");
  await openView(page, base, "dao", "dao");
  expectEqual(
    "DAO: total issued",
    parseCredits(await text(page, '[data-testid="total-issued"] .credits')),
    chain.totalIssued,
  );
  expectEqual(
    "DAO: total spent (burned)",
    parseCredits(await text(page, '[data-testid="total-burned"] .credits')),
    chain.totalBurned,
  );
  const budget = page.locator("#budgets tbody tr", {
    has: page.locator(`[title="${getAddress(summary.sponsor)}"]`),
  });
  expectEqual(
    "DAO: budget granted to the sponsor",
    parseCredits((await budget.locator("td").nth(1).locator(".credits").textContent()) ?? ""),
    chain.sponsorGranted,
  );
  expectEqual(
    "DAO: budget spent by the sponsor",
    parseCredits((await budget.locator("td").nth(2).locator(".credits").textContent()) ?? ""),
    chain.sponsorSpent,
  );
  const timelock =
    Object.entries(summary.addresses).find(([key]) => key.endsWith("#TimelockController"))?.[1] ?? "";
  const cap = page.locator("#issuer-caps tbody tr", {
    has: page.locator(`[title="${getAddress(timelock)}"]`),
  });
  expectEqual(
    "DAO: the issuer's cap left this epoch",
    parseCredits((await cap.locator("td").nth(4).locator(".credits").textContent()) ?? ""),
    chain.issuerLeft,
  );
  shots.dao = await page.screenshot({ fullPage: true });

  log(`user view of the demo's account ${summary.userAccount}`);
  await openView(page, base, `user/${summary.userAccount}`, "user");
  expectEqual(
    "user: balance",
    parseCredits(await text(page, '[data-testid="user-balance"] .credits')),
    chain.userBalance,
  );
  expectEqual(
    "user: the demo's operation's cost",
    parseCredits(await text(page, `#user-operations ${op} .credits`)),
    chain.charge,
  );

  log(`user view of the sponsor ${summary.sponsor} (balance by source, expiry)`);
  await openView(page, base, `user/${summary.sponsor}`, "user");
  expectEqual(
    "sponsor as a user: balance",
    parseCredits(await text(page, '[data-testid="user-balance"] .credits')),
    chain.sponsorBalance,
  );
  expectEqual(
    "sponsor as a user: granted credits left",
    parseCredits(await text(page, '[data-testid="user-granted"] .credits')),
    chain.sponsorBalance,
  );
  expectEqual(
    "sponsor as a user: expiry dates of its granted credits",
    (await page.locator("#grant-buckets tbody tr td:first-child").allTextContents()).join(", "),
    chain.sponsorExpiries.map(utc).join(", "),
  );
  shots.user = await page.screenshot({ fullPage: true });

  expectEqual("no script error on the page", pageErrors.join("; "), "");
  await page.close();
  // Screenshots of a page whose figures are wrong would document the wrong figures: kept only when all agree.
  if (failures.length === 0) {
    for (const [view, file] of Object.entries(SCREENSHOTS)) {
      const shot = shots[view as keyof typeof SCREENSHOTS];
      if (shot !== undefined) writeFileSync(file, shot);
    }
  }
}

/**
 * Against the fixture API (test/browser/fixture-api.ts) with an explorer: addresses and transactions link to it,
 * and an API error is shown on the page with its message.
 */
async function checkFixture(browser: Browser): Promise<void> {
  const explorer = "https://sepolia.etherscan.io";
  const port = await freePort();
  const server = serve({ fetch: fixtureApp({ explorer }).fetch, port, hostname: "127.0.0.1" });
  running.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${port}/dashboard/`;
  const page = await browser.newPage();
  log("fixture API with an explorer: links and errors");
  await openView(page, base, `sponsor/${FIXTURE_SPONSOR}`, "sponsor");
  expectEqual(
    "fixture: the sponsor's address links to the explorer",
    (await page.locator(`a[href="${explorer}/address/${FIXTURE_SPONSOR}"]`).count()) > 0,
    true,
  );
  expectEqual(
    "fixture: the operation's transaction links to the explorer",
    await page.locator(`#last-operations a[href="${explorer}/tx/${FIXTURE_TX}"]`).count(),
    1,
  );
  await page.goto(`${base}#/user/0xnot-an-address`);
  await page.waitForSelector('body[data-ready="user"]', { timeout: 30_000 });
  expectEqual(
    "fixture: an API error is shown with its message",
    await text(page, "p.error"),
    'Could not load the user view: "0xnot-an-address" is not an address',
  );
  await page.close();
}

/** Stops what was started, newest first. */
const running: (() => Promise<void>)[] = [];
async function stopAll(): Promise<void> {
  for (const stop of running.splice(0).reverse()) await stop().catch(() => undefined);
}

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // No sandbox as root (CI containers); /dev/shm is small in containers.
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-dev-shm-usage"],
  });
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's (\`apt-get install -y chromium\`) or set CHROMIUM_PATH`,
    );
  }
  await buildDashboard(ROOT);
  const browser = await launchChromium();
  running.push(() => browser.close());
  await checkFixture(browser);
  const deploymentId = `browser-${process.pid}-${Date.now()}`;
  const scratch = mkdtempSync(path.join(tmpdir(), "dashboard-browser-"));
  running.push(async () => {
    rmSync(path.join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  log("starting hardhat node");
  const node = await startHardhatNode(ROOT);
  running.push(() => node.stop());
  log(`node at ${node.url}; running the demo (deployment "${deploymentId}")`);
  const summaryPath = path.join(scratch, "demo-summary.json");
  const demo = await runHardhat(ROOT, ["run", "scripts/demo.ts", "--network", "localhost"], {
    nodeUrl: node.url,
    env: { DEPLOYMENT_ID: deploymentId, DEMO_SUMMARY_PATH: summaryPath },
    timeoutMs: 240_000,
  });
  if (demo.code !== 0)
    throw new Error(`the demo failed (code ${demo.code}):\n${demo.stdout}\n${demo.stderr}`);
  const summary = JSON.parse(readFileSync(summaryPath, "utf8")) as DemoSummary;
  log(`demo done: charge ${summary.creditsCharged} base units for ${summary.userOpHash}`);

  const chain = await readChain(node.url, summary);
  expectEqual(
    "chain: the demo's charge equals its summary's",
    chain.charge.toString(),
    summary.creditsCharged,
  );

  log("starting the dashboard (npm run dashboard)");
  const dashboard = await startDashboard(node, deploymentId, path.join(scratch, "pglite"));
  await waitIndexed(dashboard, chain.blockNumber);
  log(`${dashboard.url} serves block ${chain.blockNumber}`);

  await checkPage(browser, dashboard.url, summary, chain);
}

function runAndExit(): void {
  let exitCode = 0;
  const interrupted = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  main()
    .then(() => {
      if (failures.length > 0) {
        exitCode = 1;
        console.error(`\nThe dashboard's figures differ from the chain's:\n  ${failures.join("\n  ")}`);
      } else {
        log(
          `all figures equal the chain's; screenshots in ${path.relative(ROOT, path.dirname(SCREENSHOTS.user))}/`,
        );
      }
    })
    .catch((error: unknown) => {
      exitCode = 1;
      console.error(`\nbrowser test failed: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(async () => {
      await stopAll();
      log(exitCode === 0 ? "passed" : "FAILED");
      process.exit(exitCode);
    });
}

// `hardhat test` loads every file under test/ as a suite: run only when executed directly (ts-node).
if (require.main === module) runAndExit();
