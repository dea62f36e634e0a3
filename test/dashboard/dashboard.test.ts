import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { DASHBOARD_DIST_ENV, dashboardRoutes } from "../../dashboard/routes";
import { formatCredits, formatTime, formatUnits18, formatUsd, shortHex } from "../../dashboard/src/format";
import { toCsv, toJson } from "../../dashboard/src/table";
import type { Column } from "../../dashboard/src/table";
import { freePort } from "../../scripts/lib/hardhat-process";
import { LOCALHOST_URL_ENV } from "../../scripts/lib/networks";

const ROOT = path.resolve(__dirname, "../..");
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const STACK_LINE = /^\s+at .+/m;

describe("dashboard: figures as the page shows them", function () {
  it("formats credits with every base unit, grouped, negative and below one credit", function () {
    expect(formatCredits("129438")).to.equal("0.129438");
    expect(formatCredits("1000000000")).to.equal("1,000.000000");
    expect(formatCredits(999_870_562n)).to.equal("999.870562");
    expect(formatCredits("1234567890123456")).to.equal("1,234,567,890.123456");
    expect(formatCredits("-5")).to.equal("-0.000005");
    expect(formatCredits("0")).to.equal("0.000000");
  });

  it("keeps every digit of a USD string and pads cents", function () {
    expect(formatUsd("0.129438")).to.equal("$0.129438");
    expect(formatUsd("1000.000000")).to.equal("$1,000.000000");
    expect(formatUsd("12")).to.equal("$12.00");
    expect(formatUsd("-3.5")).to.equal("-$3.50");
  });

  it("formats 18-decimal amounts without rounding, times in UTC, short hex", function () {
    expect(formatUnits18("41091325118284")).to.equal("0.000041091325118284");
    expect(formatUnits18("1000000000000000000000000")).to.equal("1,000,000");
    expect(formatTime(1_796_563_432)).to.equal("2026-12-06 13:23:52 UTC");
    expect(shortHex("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")).to.equal("0x3C44…93BC");
  });
});

describe("dashboard: table exports", function () {
  interface Row {
    who: string;
    credits: string;
    note: string | null;
  }
  const columns: Column<Row>[] = [
    { key: "who", title: "Who", cell: (r) => r.who, raw: (r) => r.who },
    { key: "credits", title: "Credits", cell: (r) => r.credits, raw: (r) => r.credits },
    { key: "note", title: "Note", cell: (r) => r.note, raw: (r) => r.note, exportOnly: true },
  ];
  const rows: Row[] = [
    { who: "0xabc", credits: "129438", note: 'says "hi", twice' },
    { who: "0xdef", credits: "1", note: null },
  ];

  it("exports CSV with raw values, quoting fields with commas and quotes (RFC 4180)", function () {
    expect(toCsv(columns, rows)).to.equal(
      'who,credits,note\r\n0xabc,129438,"says ""hi"", twice"\r\n0xdef,1,\r\n',
    );
  });

  it("exports JSON objects keyed by the columns, export-only columns included", function () {
    expect(JSON.parse(toJson(columns, rows))).to.deep.equal([
      { who: "0xabc", credits: "129438", note: 'says "hi", twice' },
      { who: "0xdef", credits: "1", note: null },
    ]);
  });
});

describe("dashboard: routes served by the indexer", function () {
  let dist: string;
  let saved: string | undefined;

  beforeEach(function () {
    saved = process.env[DASHBOARD_DIST_ENV];
    dist = mkdtempSync(path.join(tmpdir(), "dashboard-dist-"));
    process.env[DASHBOARD_DIST_ENV] = dist;
  });
  afterEach(function () {
    if (saved === undefined) delete process.env[DASHBOARD_DIST_ENV];
    else process.env[DASHBOARD_DIST_ENV] = saved;
    rmSync(dist, { recursive: true, force: true });
  });

  it("answers 503 naming the build command when the dashboard is not built", async function () {
    const response = await dashboardRoutes.request("/dashboard/");
    expect(response.status).to.equal(503);
    expect(await response.text()).to.contain("npm run dashboard:build");
  });

  it("serves the page and its assets with their types, redirects / to /dashboard/", async function () {
    writeFileSync(path.join(dist, "index.html"), "<p>page</p>");
    writeFileSync(path.join(dist, "app.js"), "void 0;");
    const page = await dashboardRoutes.request("/dashboard/");
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.equal("text/html; charset=utf-8");
    expect(await page.text()).to.equal("<p>page</p>");
    const script = await dashboardRoutes.request("/dashboard/app.js");
    expect(script.headers.get("content-type")).to.equal("text/javascript; charset=utf-8");
    const root = await dashboardRoutes.request("/");
    expect(root.status).to.equal(302);
    expect(root.headers.get("location")).to.equal("/dashboard/");
  });

  it("serves only its own files: nothing else from the directory, no path out of it", async function () {
    writeFileSync(path.join(dist, "index.html"), "<p>page</p>");
    writeFileSync(path.join(dist, "secret.txt"), "secret");
    mkdirSync(path.join(dist, "sub"));
    expect((await dashboardRoutes.request("/dashboard/secret.txt")).status).to.equal(404);
    expect((await dashboardRoutes.request("/dashboard/..%2Fpackage.json")).status).to.equal(404);
    expect((await dashboardRoutes.request("/dashboard/sub")).status).to.equal(404);
  });
});

describe("npm run dashboard: operator errors", function () {
  this.timeout(120_000);

  async function dashboard(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; output: string }> {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [HARDHAT_CLI, "dashboard", "--network", "localhost", ...args],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, timeout: 100_000 },
      );
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, output: failed.stdout + failed.stderr };
    }
  }

  it("names the missing deployment and where it looked, without a stack trace", async function () {
    const { code, output } = await dashboard(["--deployment", "no-such-deployment"], {});
    expect(code).to.equal(1);
    expect(output).to.contain('Invalid --deployment "no-such-deployment"');
    expect(output).to.not.match(STACK_LINE);
  });

  it("names the unreachable node and how to set its URL, without a stack trace", async function () {
    const id = `dashboard-test-${process.pid}`;
    const dir = path.join(ROOT, "ignition", "deployments", id);
    mkdirSync(dir, { recursive: true });
    const address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    writeFileSync(
      path.join(dir, "deployed_addresses.json"),
      JSON.stringify({
        "CreditLedger#CreditLedger": address,
        "PriceAdapter#PriceAdapter": address,
        "System#CreditPaymasterV08": address,
      }),
    );
    try {
      const url = `http://127.0.0.1:${await freePort()}`;
      const { code, output } = await dashboard(["--deployment", id], { [LOCALHOST_URL_ENV]: url });
      expect(code).to.equal(1);
      expect(output).to.contain(`Cannot reach the node at ${url}`);
      expect(output).to.contain("LOCALHOST_RPC_URL");
      expect(output).to.not.match(STACK_LINE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
