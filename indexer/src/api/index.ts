/**
 * The usage indexer's HTTP API (Hono, served by `ponder start` / `ponder serve`): JSON views for sponsors, the DAO
 * and users, ledger totals, and CSV/JSON export of every table. Response types: indexer/api-types.ts.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { and, desc, eq, inArray, or, sql } from "ponder";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { isAddress } from "viem";

import type {
  ApiAllowance,
  ApiDao,
  ApiDaySpend,
  ApiExportList,
  ApiOperation,
  ApiPolicy,
  ApiSponsor,
  ApiSponsors,
  ApiStatus,
  ApiTopEntry,
  ApiTotals,
  ApiUser,
} from "../../api-types";
import { dashboardRoutes } from "../../../dashboard/routes";
import { indexerDeployment } from "../../deployment";
import {
  addr,
  allowanceLeft,
  balanceView,
  budgetOfRow,
  exportCell,
  policyStatusName,
  toCsv,
  usd,
  usedNow,
} from "../../lib/views";

const deployment = indexerDeployment();
const app = new Hono();

/** How many operations and top entries the views list. */
const LAST_OPERATIONS = 20;
const TOP = 10;
/** "Expiring soon": within a week of the latest indexed block. */
const SOON_SECONDS = 7n * 86_400n;

/** The latest indexed block (from Ponder's checkpoint table), or null before the first one. */
async function indexedBlock(): Promise<{ number: bigint; timestamp: bigint } | null> {
  const result = (await db.execute(sql`select * from _ponder_checkpoint`)) as unknown as {
    rows: Record<string, unknown>[];
  };
  const row = result.rows[0];
  if (row === undefined) return null;
  const checkpoint = String(row.latest_checkpoint ?? row.latestCheckpoint);
  // Ponder's checkpoint: timestamp (10 digits) ‖ chain id (16) ‖ block number (16) ‖ …
  return { timestamp: BigInt(checkpoint.slice(0, 10)), number: BigInt(checkpoint.slice(26, 42)) };
}

/** The time budgets and expiries are judged at: the latest indexed block's. */
async function now(): Promise<bigint> {
  return (await indexedBlock())?.timestamp ?? 0n;
}

function badAddress(c: Context, value: string) {
  return c.json({ error: `"${value}" is not an address (expected 0x followed by 40 hex digits)` }, 400);
}

type OperationRow = typeof schema.operation.$inferSelect;

function operationView(r: OperationRow): ApiOperation {
  return {
    userOpHash: r.userOpHash,
    sender: addr(r.sender),
    payer: addr(r.payer),
    paymaster: addr(r.paymaster),
    mode: r.mode as ApiOperation["mode"],
    policyId: r.policyId === null ? null : r.policyId.toString(),
    credits: r.credits.toString(),
    usd: usd(r.credits),
    fromGrants: r.fromGrants.toString(),
    wei: r.wei.toString(),
    gasUsed: r.gasUsed === null ? null : r.gasUsed.toString(),
    actualGasCost: r.actualGasCost === null ? null : r.actualGasCost.toString(),
    priceWad: r.priceWad.toString(),
    entryPoint: addr(r.entryPoint),
    target: addr(r.target),
    timestamp: r.timestamp,
    blockNumber: r.blockNumber.toString(),
    txHash: r.txHash,
  };
}

function dayView(r: { day: string; credits: bigint; wei: bigint; operations: number }): ApiDaySpend {
  return {
    day: r.day,
    credits: r.credits.toString(),
    wei: r.wei.toString(),
    usd: usd(r.credits),
    operations: r.operations,
  };
}

function topView(r: {
  key: string | null;
  credits: unknown;
  wei: unknown;
  operations: unknown;
}): ApiTopEntry {
  const credits = BigInt(String(r.credits ?? 0));
  return {
    address: addr(r.key ?? "0x0000000000000000000000000000000000000000"),
    credits: credits.toString(),
    usd: usd(credits),
    wei: BigInt(String(r.wei ?? 0)).toString(),
    operations: Number(r.operations ?? 0),
  };
}

type PolicyRow = typeof schema.policy.$inferSelect;
function policyView(p: PolicyRow, time: bigint): ApiPolicy {
  const b = budgetOfRow(p);
  const used = usedNow(b, time);
  return {
    sponsor: addr(p.sponsor),
    policyId: p.policyId.toString(),
    status: policyStatusName(p.status),
    limits: {
      creditsPerUser: p.creditsPerUser.toString(),
      opsPerUser: p.opsPerUser.toString(),
      creditsPerEpoch: p.limit.toString(),
      creditsPerOp: p.creditsPerOp.toString(),
      start: p.start,
      end: p.expiresAt,
      signer: addr(p.signer),
      epochLength: p.epochLength,
    },
    usedThisEpoch: used.toString(),
    left: p.limit === 0n ? null : (p.limit > used ? p.limit - used : 0n).toString(),
    totalCredits: p.totalCredits.toString(),
    totalOperations: p.totalOperations,
  };
}

type AllowanceRow = typeof schema.allowance.$inferSelect;
function allowanceView(a: AllowanceRow, time: bigint): ApiAllowance {
  const b = budgetOfRow(a);
  return {
    sponsor: addr(a.sponsor),
    beneficiary: addr(a.beneficiary),
    perEpoch: a.limit.toString(),
    epochLength: a.epochLength,
    used: usedNow(b, time).toString(),
    left: allowanceLeft(b, time).toString(),
    expiresAt: a.expiresAt,
    revoked: a.revoked,
    totalCredits: a.totalCredits.toString(),
    totalOperations: a.totalOperations,
  };
}

// ------------------------------------------------------------------ routes

app.get("/api/status", async (c) => {
  const block = await indexedBlock();
  const body: ApiStatus = {
    chainId: deployment.chainId,
    deploymentId: deployment.deploymentId,
    contracts: {
      ledger: deployment.ledger,
      adapter: deployment.adapter,
      governor: deployment.governor,
      timelock: deployment.timelock,
    },
    paymasters: deployment.paymasters,
    explorer: deployment.explorer,
    indexedBlock:
      block === null ? null : { number: block.number.toString(), timestamp: Number(block.timestamp) },
  };
  return c.json(body);
});

app.get("/api/totals", async (c) => {
  const t = (await db.select().from(schema.totals).where(eq(schema.totals.id, "ledger")))[0];
  const purchased = t?.purchased ?? 0n;
  const granted = t?.granted ?? 0n;
  const burned = t?.burned ?? 0n;
  const body: ApiTotals = {
    totalIssued: (purchased + granted).toString(),
    totalBurned: burned.toString(),
    totalExpired: (t?.expired ?? 0n).toString(),
    totalRevoked: (t?.revoked ?? 0n).toString(),
    totalPurchased: purchased.toString(),
    totalGranted: granted.toString(),
    operations: t?.operations ?? 0,
    wei: (t?.wei ?? 0n).toString(),
    usdIssued: usd(purchased + granted),
    usdBurned: usd(burned),
  };
  return c.json(body);
});

app.get("/api/sponsors", async (c) => {
  const op = schema.operation;
  const spend = await db
    .select({
      key: op.payer,
      credits: sql<string>`sum(${op.credits})`,
      wei: sql<string>`sum(${op.wei})`,
      operations: sql<string>`count(*)`,
    })
    .from(op)
    .where(inArray(op.mode, ["SPONSORED", "POLICY"]))
    .groupBy(op.payer);
  const policies = await db
    .select({ sponsor: schema.policy.sponsor, n: sql<string>`count(*)` })
    .from(schema.policy)
    .groupBy(schema.policy.sponsor);
  const allowances = await db
    .select({ sponsor: schema.allowance.sponsor, n: sql<string>`count(*)` })
    .from(schema.allowance)
    .groupBy(schema.allowance.sponsor);
  const sponsors = new Set<string>([
    ...spend.map((s) => s.key),
    ...policies.map((p) => p.sponsor),
    ...allowances.map((a) => a.sponsor),
  ]);
  const body: ApiSponsors = {
    sponsors: [...sponsors].map((s) => {
      const row = spend.find((x) => x.key === s);
      const credits = BigInt(row?.credits ?? 0);
      return {
        address: addr(s),
        credits: credits.toString(),
        usd: usd(credits),
        wei: BigInt(row?.wei ?? 0).toString(),
        operations: Number(row?.operations ?? 0),
        policies: Number(policies.find((p) => p.sponsor === s)?.n ?? 0),
        allowances: Number(allowances.find((a) => a.sponsor === s)?.n ?? 0),
      };
    }),
  };
  body.sponsors.sort((a, b) =>
    BigInt(b.credits) > BigInt(a.credits) ? 1 : BigInt(b.credits) < BigInt(a.credits) ? -1 : 0,
  );
  return c.json(body);
});

app.get("/api/sponsors/:address", async (c) => {
  const given = c.req.param("address");
  if (!isAddress(given, { strict: false })) return badAddress(c, given);
  const sponsor = given.toLowerCase() as `0x${string}`;
  const time = await now();
  const op = schema.operation;
  const accountRow = (await db.select().from(schema.account).where(eq(schema.account.address, sponsor)))[0];
  const totalsRow = (
    await db
      .select({
        credits: sql<string>`coalesce(sum(${op.credits}), 0)`,
        wei: sql<string>`coalesce(sum(${op.wei}), 0)`,
        operations: sql<string>`count(*)`,
      })
      .from(op)
      .where(eq(op.payer, sponsor))
  )[0];
  const days = await db
    .select()
    .from(schema.dailySponsor)
    .where(eq(schema.dailySponsor.sponsor, sponsor))
    .orderBy(schema.dailySponsor.day);
  const policies = await db
    .select()
    .from(schema.policy)
    .where(eq(schema.policy.sponsor, sponsor))
    .orderBy(schema.policy.policyId);
  const allowances = await db.select().from(schema.allowance).where(eq(schema.allowance.sponsor, sponsor));
  const topUsers = await db
    .select({
      key: op.sender,
      credits: sql<string>`sum(${op.credits})`,
      wei: sql<string>`sum(${op.wei})`,
      operations: sql<string>`count(*)`,
    })
    .from(op)
    .where(eq(op.payer, sponsor))
    .groupBy(op.sender)
    .orderBy(desc(sql`sum(${op.credits})`))
    .limit(TOP);
  const topTargets = await db
    .select({
      key: op.target,
      credits: sql<string>`sum(${op.credits})`,
      wei: sql<string>`sum(${op.wei})`,
      operations: sql<string>`count(*)`,
    })
    .from(op)
    .where(and(eq(op.payer, sponsor), sql`${op.target} is not null`))
    .groupBy(op.target)
    .orderBy(desc(sql`sum(${op.credits})`))
    .limit(TOP);
  const last = await db
    .select()
    .from(op)
    .where(eq(op.payer, sponsor))
    .orderBy(desc(op.blockNumber), desc(op.logIndex))
    .limit(LAST_OPERATIONS);
  const credits = BigInt(totalsRow?.credits ?? 0);
  const body: ApiSponsor = {
    address: addr(sponsor),
    balance: balanceView(accountRow ?? null, time),
    totals: {
      credits: credits.toString(),
      usd: usd(credits),
      wei: BigInt(totalsRow?.wei ?? 0).toString(),
      operations: Number(totalsRow?.operations ?? 0),
    },
    spendByDay: days.map(dayView),
    policies: policies.map((p) => policyView(p, time)),
    allowances: allowances.map((a) => allowanceView(a, time)),
    topUsers: topUsers.map(topView),
    topTargets: topTargets.map(topView),
    lastOperations: last.map(operationView),
  };
  return c.json(body);
});

app.get("/api/users/:address", async (c) => {
  const given = c.req.param("address");
  if (!isAddress(given, { strict: false })) return badAddress(c, given);
  const user = given.toLowerCase() as `0x${string}`;
  const time = await now();
  const op = schema.operation;
  const accountRow = (await db.select().from(schema.account).where(eq(schema.account.address, user)))[0];
  const grants = await db
    .select()
    .from(schema.grant)
    .where(eq(schema.grant.account, user))
    .orderBy(desc(schema.grant.blockNumber));
  const purchases = await db
    .select()
    .from(schema.purchase)
    .where(eq(schema.purchase.account, user))
    .orderBy(desc(schema.purchase.blockNumber));
  const bucketEvents = await db.select().from(schema.bucketEvent).where(eq(schema.bucketEvent.account, user));
  const ops = await db
    .select()
    .from(op)
    .where(or(eq(op.sender, user), eq(op.payer, user)))
    .orderBy(desc(op.blockNumber), desc(op.logIndex))
    .limit(100);
  const days = await db
    .select()
    .from(schema.dailyUser)
    .where(eq(schema.dailyUser.user, user))
    .orderBy(schema.dailyUser.day);
  const sumOf = (kind: string, expiresAt: number) =>
    bucketEvents
      .filter((e) => e.kind === kind && e.expiresAt === expiresAt)
      .reduce((s, e) => s + e.amount, 0n)
      .toString();
  const body: ApiUser = {
    address: addr(user),
    balance: balanceView(accountRow ?? null, time),
    grants: grants.map((g) => ({
      id: g.id,
      account: addr(g.account),
      issuer: addr(g.issuer),
      amount: g.amount.toString(),
      usd: usd(g.amount),
      expiresAt: g.expiresAt,
      revoked: sumOf("revoked", g.expiresAt),
      expired: sumOf("expired", g.expiresAt),
      timestamp: g.timestamp,
      txHash: g.txHash,
    })),
    purchases: purchases.map((p) => ({
      id: p.id,
      account: addr(p.account),
      buyer: addr(p.buyer),
      token: addr(p.token),
      paid: p.paid.toString(),
      credits: p.credits.toString(),
      usd: usd(p.credits),
      timestamp: p.timestamp,
      txHash: p.txHash,
    })),
    operations: ops.map(operationView),
    spendByDay: days.map(dayView),
  };
  return c.json(body);
});

app.get("/api/dao", async (c) => {
  const time = await now();
  const caps = await db.select().from(schema.issuerCap);
  const issuers = caps.map((cap) => cap.issuer);
  const grants =
    issuers.length === 0
      ? []
      : await db.select().from(schema.grant).where(inArray(schema.grant.issuer, issuers));
  const grantedBy = new Map<string, bigint>();
  for (const g of grants) grantedBy.set(g.account, (grantedBy.get(g.account) ?? 0n) + g.amount);
  const sponsors = [...grantedBy.keys()];
  const accounts =
    sponsors.length === 0
      ? []
      : await db
          .select()
          .from(schema.account)
          .where(inArray(schema.account.address, sponsors as `0x${string}`[]));
  const allAccounts = await db.select().from(schema.account);
  const proposals = await db.select().from(schema.proposal).orderBy(desc(schema.proposal.createdAt));
  const expiringSoon: ApiDao["expiringSoon"] = [];
  for (const a of allAccounts) {
    for (const b of a.buckets) {
      const expiry = BigInt(b.expiry);
      if (expiry > time && expiry <= time + SOON_SECONDS && BigInt(b.amount) > 0n) {
        expiringSoon.push({
          account: addr(a.address),
          amount: b.amount,
          usd: usd(BigInt(b.amount)),
          expiresAt: Number(expiry),
        });
      }
    }
  }
  expiringSoon.sort((x, y) => x.expiresAt - y.expiresAt);
  const body: ApiDao = {
    budgets: sponsors.map((s) => {
      const granted = grantedBy.get(s) ?? 0n;
      const spent = accounts.find((a) => a.address === s)?.spent ?? 0n;
      return {
        sponsor: addr(s),
        granted: granted.toString(),
        spent: spent.toString(),
        left: (granted > spent ? granted - spent : 0n).toString(),
        usdGranted: usd(granted),
        usdSpent: usd(spent),
      };
    }),
    issuerCaps: caps.map((cap) => {
      const b = budgetOfRow(cap);
      const used = usedNow(b, time);
      return {
        issuer: addr(cap.issuer),
        capPerEpoch: cap.limit.toString(),
        epochLength: cap.epochLength,
        used: used.toString(),
        left: (cap.limit > used ? cap.limit - used : 0n).toString(),
      };
    }),
    expiringSoon,
    proposals: proposals.map((p) => ({
      proposalId: p.proposalId.toString(),
      proposer: addr(p.proposer),
      description: p.description,
      state: p.state as ApiDao["proposals"][number]["state"],
      voteStart: p.voteStart.toString(),
      voteEnd: p.voteEnd.toString(),
      forVotes: p.forVotes.toString(),
      againstVotes: p.againstVotes.toString(),
      abstainVotes: p.abstainVotes.toString(),
      targets: p.targets.map((t) => addr(t)),
      etaSeconds: p.etaSeconds === null ? null : p.etaSeconds.toString(),
      createdAt: p.createdAt,
      txHash: p.txHash,
    })),
  };
  return c.json(body);
});

// ------------------------------------------------------------------ export

/** Every table, by its export name. */
const TABLES = {
  totals: schema.totals,
  accounts: schema.account,
  purchases: schema.purchase,
  grants: schema.grant,
  bucket_events: schema.bucketEvent,
  operations: schema.operation,
  allowances: schema.allowance,
  policies: schema.policy,
  policy_users: schema.policyUser,
  spenders: schema.spender,
  price_refreshes: schema.priceRefresh,
  issuer_caps: schema.issuerCap,
  proposals: schema.proposal,
  votes: schema.vote,
  paymasters: schema.paymaster,
  daily_sponsor: schema.dailySponsor,
  daily_policy: schema.dailyPolicy,
  daily_user: schema.dailyUser,
  daily_target: schema.dailyTarget,
} as const;
type TableName = keyof typeof TABLES;

app.get("/api/export", (c) => {
  const body: ApiExportList = {
    tables: Object.keys(TABLES).map((name) => ({
      name,
      csv: `/api/export/${name}.csv`,
      json: `/api/export/${name}.json`,
    })),
  };
  return c.json(body);
});

app.get("/api/export/:file", async (c) => {
  const file = c.req.param("file");
  const match = /^([a-z_]+)\.(csv|json)$/.exec(file);
  const name = match?.[1] as TableName | undefined;
  if (match === null || name === undefined || !(name in TABLES)) {
    return c.json(
      {
        error: `no table "${file}": expected <table>.csv or <table>.json, tables: ${Object.keys(TABLES).join(", ")}`,
      },
      404,
    );
  }
  const table = TABLES[name];
  const rows = (await db.select().from(table)) as Record<string, unknown>[];
  const columns = Object.keys(table).filter((k) => !k.startsWith("_") && typeof k === "string");
  const cols = rows[0] !== undefined ? Object.keys(rows[0]) : columns;
  if (match[2] === "csv") {
    c.header("content-type", "text/csv; charset=utf-8");
    c.header("content-disposition", `attachment; filename="${name}.csv"`);
    return c.body(toCsv(cols, rows));
  }
  return c.json({
    table: name,
    rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, exportCell(v)]))),
  });
});

app.route("/", dashboardRoutes);

export default app;
