/**
 * A fixture of the indexer's API (indexer/api-types.ts) beside the dashboard's routes, to develop the views without
 * a chain: `npx ts-node --transpile-only test/browser/fixture-api.ts [port]` then open http://127.0.0.1:<port>/.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import path from "node:path";

import { buildDashboard } from "../../dashboard/build";
import { dashboardRoutes } from "../../dashboard/routes";
import type {
  ApiDao,
  ApiExportList,
  ApiOperation,
  ApiSponsor,
  ApiSponsors,
  ApiStatus,
  ApiTotals,
  ApiUser,
} from "../../indexer/api-types";

export const SPONSOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const USER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const TARGET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const TX = `0x${"ab".repeat(32)}`;
const T0 = 1_796_000_000;

const operation: ApiOperation = {
  userOpHash: `0x${"12".repeat(32)}`,
  sender: USER,
  payer: SPONSOR,
  paymaster: TARGET,
  mode: "POLICY",
  policyId: "1",
  credits: "1234567",
  usd: "1.234567",
  fromGrants: "1234567",
  wei: "411522333000000",
  gasUsed: "231004",
  actualGasCost: "400000000000000",
  priceWad: "3000000000000000000000",
  entryPoint: "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
  target: TARGET,
  timestamp: T0,
  blockNumber: "42",
  txHash: TX,
};
const balance = {
  purchased: "0",
  granted: "998765433",
  expiredUnswept: "0",
  total: "998765433",
  spendable: "998765433",
  usd: "998.765433",
  buckets: [{ amount: "998765433", usd: "998.765433", expiresAt: T0 + 90 * 86_400, expired: false }],
};
const status: ApiStatus = {
  chainId: 31337,
  deploymentId: "fixture",
  contracts: { ledger: TARGET, adapter: TARGET, governor: TARGET, timelock: TARGET },
  paymasters: [{ address: TARGET, entryPoint: operation.entryPoint, version: "0.8" }],
  explorer: null,
  indexedBlock: { number: "42", timestamp: T0 },
};
const totals: ApiTotals = {
  totalIssued: "1000000000",
  totalBurned: "1234567",
  totalExpired: "0",
  totalRevoked: "0",
  totalPurchased: "0",
  totalGranted: "1000000000",
  operations: 1,
  wei: operation.wei,
  usdIssued: "1000.000000",
  usdBurned: "1.234567",
};
const sponsors: ApiSponsors = {
  sponsors: [
    {
      address: SPONSOR,
      credits: "1234567",
      usd: "1.234567",
      wei: operation.wei,
      operations: 1,
      policies: 1,
      allowances: 0,
    },
  ],
};
const top = [{ address: USER, credits: "1234567", usd: "1.234567", wei: operation.wei, operations: 1 }];
const sponsor: ApiSponsor = {
  address: SPONSOR,
  balance,
  totals: { credits: "1234567", usd: "1.234567", wei: operation.wei, operations: 1 },
  spendByDay: [
    { day: "2026-12-05", credits: "2500000", usd: "2.500000", wei: "0", operations: 2 },
    { day: "2026-12-06", credits: "1234567", usd: "1.234567", wei: operation.wei, operations: 1 },
  ],
  policies: [
    {
      sponsor: SPONSOR,
      policyId: "1",
      status: "Active",
      limits: {
        creditsPerUser: "5000000",
        opsPerUser: "20",
        creditsPerEpoch: "0",
        creditsPerOp: "0",
        start: T0,
        end: T0 + 90 * 86_400,
        signer: USER,
        epochLength: 86_400,
      },
      usedThisEpoch: "1234567",
      left: null,
      totalCredits: "1234567",
      totalOperations: 1,
    },
  ],
  allowances: [],
  topUsers: top,
  topTargets: [{ ...top[0]!, address: TARGET }],
  lastOperations: [operation],
};
const user: ApiUser = {
  address: SPONSOR,
  balance,
  grants: [
    {
      id: "1",
      account: SPONSOR,
      issuer: TARGET,
      amount: "1000000000",
      usd: "1000.000000",
      expiresAt: T0 + 90 * 86_400,
      revoked: "0",
      expired: "0",
      timestamp: T0 - 60,
      txHash: TX,
    },
  ],
  purchases: [],
  operations: [operation],
  spendByDay: sponsor.spendByDay,
};
const dao: ApiDao = {
  budgets: [
    {
      sponsor: SPONSOR,
      granted: "1000000000",
      spent: "1234567",
      left: "998765433",
      usdGranted: "1000.000000",
      usdSpent: "1.234567",
    },
  ],
  issuerCaps: [
    {
      issuer: TARGET,
      capPerEpoch: "100000000000",
      epochLength: 2_592_000,
      used: "1000000000",
      left: "99000000000",
    },
  ],
  expiringSoon: [],
  proposals: [
    {
      proposalId: "1234567890123456789",
      proposer: USER,
      description: "Grant 1000 credits to the dApp",
      state: "Executed",
      voteStart: "10",
      voteEnd: "20",
      forVotes: "1000000000000000000000000",
      againstVotes: "0",
      abstainVotes: "0",
      targets: [TARGET],
      etaSeconds: String(T0),
      createdAt: T0 - 600,
      txHash: TX,
    },
  ],
};
const exportList: ApiExportList = {
  tables: ["operation", "grant"].map((name) => ({
    name,
    csv: `/api/export/${name}.csv`,
    json: `/api/export/${name}.json`,
  })),
};

/** The fixture API; `explorer` sets the status's explorer base URL (null: a local chain). */
export function fixtureApp(options: { explorer?: string | null } = {}): Hono {
  const app = new Hono();
  app.get("/api/status", (c) => c.json({ ...status, explorer: options.explorer ?? null }));
  app.get("/api/totals", (c) => c.json(totals));
  app.get("/api/sponsors", (c) => c.json(sponsors));
  app.get("/api/sponsors/:address", (c) => c.json({ ...sponsor, address: c.req.param("address") }));
  app.get("/api/users/:address", (c) => {
    const address = c.req.param("address");
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return c.json({ error: `"${address}" is not an address` }, 400);
    return c.json({ ...user, address });
  });
  app.get("/api/dao", (c) => c.json(dao));
  app.get("/api/export", (c) => c.json(exportList));
  app.route("/", dashboardRoutes);
  return app;
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 42070);
  void buildDashboard(path.resolve(__dirname, "../..")).then(() => {
    serve({ fetch: fixtureApp().fetch, port, hostname: "127.0.0.1" });
    console.log(`fixture dashboard on http://127.0.0.1:${port}/`);
  });
}
