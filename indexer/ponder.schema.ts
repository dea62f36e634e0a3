/**
 * The usage indexer's tables (Ponder `onchainTable`s). Amounts are bigints in base units (credits: 6 decimals, wei);
 * times are unix seconds; addresses are checksummed hex. Epoch budgets (allowances, policies, issuer caps) keep the
 * ledger's own fields (`limit`, `used`, `epochLength`, `anchor`, `usedEpoch`, `expiresAt`) so that what is left is
 * computed as the ledger computes it (src/client/budgets.ts).
 */
import { index, onchainTable } from "ponder";

/** Ledger-wide totals (one row, id "ledger"): the ledger's views `totalIssued`, `totalBurned`, `totalExpired`. */
export const totals = onchainTable("totals", (t) => ({
  id: t.text().primaryKey(),
  purchased: t.bigint().notNull(),
  granted: t.bigint().notNull(),
  burned: t.bigint().notNull(),
  expired: t.bigint().notNull(),
  revoked: t.bigint().notNull(),
  operations: t.int8({ mode: "number" }).notNull(),
  wei: t.bigint().notNull(),
}));

/** An account's credits by source; `buckets` = grant buckets `[{ amount, expiry }]` (decimal strings), by expiry. */
export const account = onchainTable("account", (t) => ({
  address: t.hex().primaryKey(),
  purchased: t.bigint().notNull(),
  buckets: t.json().$type<{ amount: string; expiry: string }[]>().notNull(),
  totalPurchased: t.bigint().notNull(),
  totalGranted: t.bigint().notNull(),
  /** Credits spent from this account (as payer). */
  spent: t.bigint().notNull(),
  recoveredTo: t.hex(),
}));

export const purchase = onchainTable(
  "purchase",
  (t) => ({
    id: t.text().primaryKey(),
    account: t.hex().notNull(),
    buyer: t.hex().notNull(),
    token: t.hex().notNull(),
    paid: t.bigint().notNull(),
    credits: t.bigint().notNull(),
    timestamp: t.int8({ mode: "number" }).notNull(),
    blockNumber: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account) }),
);

/** A grant; `revoked` and `expired` are what the issuer revoked and the ledger swept of its bucket (account, expiry). */
export const grant = onchainTable(
  "grant",
  (t) => ({
    id: t.text().primaryKey(),
    account: t.hex().notNull(),
    issuer: t.hex().notNull(),
    amount: t.bigint().notNull(),
    expiresAt: t.int8({ mode: "number" }).notNull(),
    revoked: t.bigint().notNull(),
    expired: t.bigint().notNull(),
    timestamp: t.int8({ mode: "number" }).notNull(),
    blockNumber: t.bigint().notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({ accountIdx: index().on(table.account), issuerIdx: index().on(table.issuer) }),
);

/** Revocations and sweeps of grant buckets (GrantRevoked, CreditsExpired). */
export const bucketEvent = onchainTable("bucket_event", (t) => ({
  id: t.text().primaryKey(),
  account: t.hex().notNull(),
  kind: t.text().notNull(),
  expiresAt: t.int8({ mode: "number" }).notNull(),
  amount: t.bigint().notNull(),
  issuer: t.hex(),
  reason: t.int8({ mode: "number" }),
  timestamp: t.int8({ mode: "number" }).notNull(),
  txHash: t.hex().notNull(),
}));

/** One charged operation: a CreditsSpent from a registered spender. */
export const operation = onchainTable(
  "operation",
  (t) => ({
    userOpHash: t.hex().primaryKey(),
    sender: t.hex().notNull(),
    payer: t.hex().notNull(),
    paymaster: t.hex().notNull(),
    mode: t.text().notNull(),
    policyId: t.bigint(),
    credits: t.bigint().notNull(),
    fromGrants: t.bigint().notNull(),
    wei: t.bigint().notNull(),
    priceWad: t.bigint().notNull(),
    gasUsed: t.bigint(),
    actualGasCost: t.bigint(),
    entryPoint: t.hex().notNull(),
    target: t.hex(),
    timestamp: t.int8({ mode: "number" }).notNull(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.int8({ mode: "number" }).notNull(),
    txHash: t.hex().notNull(),
  }),
  (table) => ({
    payerIdx: index().on(table.payer),
    senderIdx: index().on(table.sender),
    timeIdx: index().on(table.timestamp),
  }),
);

/** An allowance of `sponsor` to `beneficiary` (the ledger's EpochBudget) and what was spent under it. */
export const allowance = onchainTable(
  "allowance",
  (t) => ({
    id: t.text().primaryKey(),
    sponsor: t.hex().notNull(),
    beneficiary: t.hex().notNull(),
    limit: t.bigint().notNull(),
    used: t.bigint().notNull(),
    epochLength: t.int8({ mode: "number" }).notNull(),
    anchor: t.int8({ mode: "number" }).notNull(),
    usedEpoch: t.int8({ mode: "number" }).notNull(),
    expiresAt: t.int8({ mode: "number" }).notNull(),
    revoked: t.boolean().notNull(),
    totalCredits: t.bigint().notNull(),
    totalOperations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ sponsorIdx: index().on(table.sponsor), beneficiaryIdx: index().on(table.beneficiary) }),
);

/** A sponsor's policy: its terms, status and budget (the ledger's EpochBudget) and its all-time usage. */
export const policy = onchainTable(
  "policy",
  (t) => ({
    id: t.text().primaryKey(),
    sponsor: t.hex().notNull(),
    policyId: t.bigint().notNull(),
    status: t.int8({ mode: "number" }).notNull(),
    creditsPerUser: t.bigint().notNull(),
    opsPerUser: t.bigint().notNull(),
    creditsPerOp: t.bigint().notNull(),
    start: t.int8({ mode: "number" }).notNull(),
    signer: t.hex().notNull(),
    limit: t.bigint().notNull(),
    used: t.bigint().notNull(),
    epochLength: t.int8({ mode: "number" }).notNull(),
    anchor: t.int8({ mode: "number" }).notNull(),
    usedEpoch: t.int8({ mode: "number" }).notNull(),
    expiresAt: t.int8({ mode: "number" }).notNull(),
    totalCredits: t.bigint().notNull(),
    totalOperations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ sponsorIdx: index().on(table.sponsor) }),
);

/** A user's usage of a policy (the ledger's `policyUsage`), kept for policies with per-user limits. */
export const policyUser = onchainTable("policy_user", (t) => ({
  id: t.text().primaryKey(),
  sponsor: t.hex().notNull(),
  policyId: t.bigint().notNull(),
  user: t.hex().notNull(),
  credits: t.bigint().notNull(),
  ops: t.int8({ mode: "number" }).notNull(),
  epoch: t.int8({ mode: "number" }).notNull(),
}));

/** The ledger's spenders (SpenderAdded / SpenderRemoved): only their CreditsSpent count as operations. */
export const spender = onchainTable("spender", (t) => ({
  address: t.hex().primaryKey(),
  registered: t.boolean().notNull(),
  addedAt: t.int8({ mode: "number" }).notNull(),
  removedAt: t.int8({ mode: "number" }),
}));

/** The adapter's CachedPriceRefreshed. */
export const priceRefresh = onchainTable("price_refresh", (t) => ({
  id: t.text().primaryKey(),
  priceWad: t.bigint().notNull(),
  updatedAt: t.int8({ mode: "number" }).notNull(),
  fromFallback: t.boolean().notNull(),
  timestamp: t.int8({ mode: "number" }).notNull(),
  blockNumber: t.bigint().notNull(),
  txHash: t.hex().notNull(),
}));

/** An issuer's cap (the ledger's EpochBudget) and what it granted in total. */
export const issuerCap = onchainTable("issuer_cap", (t) => ({
  issuer: t.hex().primaryKey(),
  limit: t.bigint().notNull(),
  used: t.bigint().notNull(),
  epochLength: t.int8({ mode: "number" }).notNull(),
  anchor: t.int8({ mode: "number" }).notNull(),
  usedEpoch: t.int8({ mode: "number" }).notNull(),
  expiresAt: t.int8({ mode: "number" }).notNull(),
  totalGranted: t.bigint().notNull(),
}));

/** A governor proposal and its state (Created, Queued, Executed, Canceled). */
export const proposal = onchainTable("proposal", (t) => ({
  proposalId: t.bigint().primaryKey(),
  proposer: t.hex().notNull(),
  description: t.text().notNull(),
  targets: t.json().$type<string[]>().notNull(),
  calldatas: t.json().$type<string[]>().notNull(),
  state: t.text().notNull(),
  voteStart: t.bigint().notNull(),
  voteEnd: t.bigint().notNull(),
  forVotes: t.bigint().notNull(),
  againstVotes: t.bigint().notNull(),
  abstainVotes: t.bigint().notNull(),
  etaSeconds: t.bigint(),
  createdAt: t.int8({ mode: "number" }).notNull(),
  txHash: t.hex().notNull(),
}));

export const vote = onchainTable("vote", (t) => ({
  id: t.text().primaryKey(),
  proposalId: t.bigint().notNull(),
  voter: t.hex().notNull(),
  support: t.int8({ mode: "number" }).notNull(),
  weight: t.bigint().notNull(),
  timestamp: t.int8({ mode: "number" }).notNull(),
  txHash: t.hex().notNull(),
}));

/** The paymasters' pause state (PausedSet). */
export const paymaster = onchainTable("paymaster", (t) => ({
  address: t.hex().primaryKey(),
  paused: t.boolean().notNull(),
}));

/** Daily aggregates (UTC days, `YYYY-MM-DD`): credits, wei and operations per sponsor (payer), policy, user (sender), target. */
export const dailySponsor = onchainTable(
  "daily_sponsor",
  (t) => ({
    id: t.text().primaryKey(),
    day: t.text().notNull(),
    sponsor: t.hex().notNull(),
    credits: t.bigint().notNull(),
    wei: t.bigint().notNull(),
    operations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ sponsorIdx: index().on(table.sponsor) }),
);

export const dailyPolicy = onchainTable(
  "daily_policy",
  (t) => ({
    id: t.text().primaryKey(),
    day: t.text().notNull(),
    sponsor: t.hex().notNull(),
    policyId: t.bigint().notNull(),
    credits: t.bigint().notNull(),
    wei: t.bigint().notNull(),
    operations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ sponsorIdx: index().on(table.sponsor) }),
);

export const dailyUser = onchainTable(
  "daily_user",
  (t) => ({
    id: t.text().primaryKey(),
    day: t.text().notNull(),
    user: t.hex().notNull(),
    credits: t.bigint().notNull(),
    wei: t.bigint().notNull(),
    operations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ userIdx: index().on(table.user) }),
);

export const dailyTarget = onchainTable(
  "daily_target",
  (t) => ({
    id: t.text().primaryKey(),
    day: t.text().notNull(),
    target: t.hex().notNull(),
    credits: t.bigint().notNull(),
    wei: t.bigint().notNull(),
    operations: t.int8({ mode: "number" }).notNull(),
  }),
  (table) => ({ targetIdx: index().on(table.target) }),
);
