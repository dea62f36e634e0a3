/**
 * Indexing functions: the ledger's events rebuild balances (grant buckets with src/client's `applyGrantsTaken`, as
 * src/client/indexer.ts does), totals, allowances, policies and issuer caps (src/client/budgets.ts, the ledger's
 * own arithmetic); each `CreditsSpent` of a registered spender is one charged operation, completed by the
 * EntryPoint's `UserOperationEvent` (gas used) that follows it in the same transaction.
 */
import { ponder } from "ponder:registry";
import {
  account,
  allowance,
  bucketEvent,
  dailyPolicy,
  dailySponsor,
  dailyTarget,
  dailyUser,
  grant,
  issuerCap,
  operation,
  paymaster,
  policy,
  policyUser,
  priceRefresh,
  proposal,
  purchase,
  spender,
  totals,
  vote,
} from "ponder:schema";
import { getAddress } from "viem";
import type { Address } from "viem";

import { budgetUsage, recordBudget, recordPolicyUser, reconfigureBudget } from "../../src/client/budgets";
import type { Budget } from "../../src/client/budgets";
import { applyGrantsTaken, decodeGrantsTaken, decodePaymasterSpendData } from "../../src/client/encoding";
import { indexerDeployment } from "../deployment";
import { operationTarget, utcDay } from "../lib/ops";

const deployment = indexerDeployment();
const paymasterInfo = new Map(deployment.paymasters.map((p) => [p.address, p]));

type Ctx = Parameters<Parameters<typeof ponder.on<"CreditLedger:CreditsPurchased">>[1]>[0]["context"];
type Db = Ctx["db"];

const TOTALS_ID = "ledger";
const ZERO_TOTALS = {
  purchased: 0n,
  granted: 0n,
  burned: 0n,
  expired: 0n,
  revoked: 0n,
  operations: 0,
  wei: 0n,
};

async function addTotals(db: Db, add: Partial<typeof ZERO_TOTALS>): Promise<void> {
  const row = (await db.find(totals, { id: TOTALS_ID })) ?? { id: TOTALS_ID, ...ZERO_TOTALS };
  const next = {
    id: TOTALS_ID,
    purchased: row.purchased + (add.purchased ?? 0n),
    granted: row.granted + (add.granted ?? 0n),
    burned: row.burned + (add.burned ?? 0n),
    expired: row.expired + (add.expired ?? 0n),
    revoked: row.revoked + (add.revoked ?? 0n),
    operations: row.operations + (add.operations ?? 0),
    wei: row.wei + (add.wei ?? 0n),
  };
  await db.insert(totals).values(next).onConflictDoUpdate(next);
}

type Bucket = { amount: bigint; expiry: bigint };
type AccountRow = typeof account.$inferSelect;

async function loadAccount(db: Db, address: Address): Promise<AccountRow> {
  return (
    (await db.find(account, { address })) ?? {
      address,
      purchased: 0n,
      buckets: [],
      totalPurchased: 0n,
      totalGranted: 0n,
      spent: 0n,
      recoveredTo: null,
    }
  );
}

function bucketsOf(row: AccountRow): Bucket[] {
  return row.buckets.map((b) => ({ amount: BigInt(b.amount), expiry: BigInt(b.expiry) }));
}

function storedBuckets(buckets: Bucket[]): AccountRow["buckets"] {
  return [...buckets]
    .filter((b) => b.amount !== 0n)
    .sort((x, y) => (x.expiry < y.expiry ? -1 : x.expiry > y.expiry ? 1 : 0))
    .map((b) => ({ amount: b.amount.toString(), expiry: b.expiry.toString() }));
}

async function saveAccount(db: Db, row: AccountRow): Promise<void> {
  await db.insert(account).values(row).onConflictDoUpdate(row);
}

/** Removes `amount` from the bucket of `account` expiring at `expiry` (GrantRevoked, CreditsExpired). */
async function takeFromBucket(db: Db, address: Address, expiry: bigint, amount: bigint, what: string) {
  const row = await loadAccount(db, address);
  const buckets = bucketsOf(row);
  const b = buckets.find((x) => x.expiry === expiry);
  if (b === undefined || b.amount < amount) {
    throw new Error(
      `${what} of ${amount} from ${address}'s bucket ${expiry}, which holds ${b?.amount ?? 0n}`,
    );
  }
  b.amount -= amount;
  await saveAccount(db, { ...row, buckets: storedBuckets(buckets) });
}

const budgetOf = (r: {
  limit: bigint;
  used: bigint;
  epochLength: number;
  anchor: number;
  usedEpoch: number;
  expiresAt: number;
}): Budget => ({
  limit: r.limit,
  used: r.used,
  epochLength: BigInt(r.epochLength),
  anchor: BigInt(r.anchor),
  usedEpoch: BigInt(r.usedEpoch),
  expiresAt: BigInt(r.expiresAt),
});

const budgetRow = (b: Budget) => ({
  limit: b.limit,
  used: b.used,
  epochLength: Number(b.epochLength),
  anchor: Number(b.anchor),
  usedEpoch: Number(b.usedEpoch),
  expiresAt: Number(b.expiresAt),
});

// ------------------------------------------------------------------ ledger: purchases and grants

ponder.on("CreditLedger:CreditsPurchased", async ({ event, context }) => {
  const { account: who, buyer, token, paid, credits } = event.args;
  await context.db.insert(purchase).values({
    id: event.id,
    account: who,
    buyer,
    token,
    paid,
    credits,
    timestamp: Number(event.block.timestamp),
    blockNumber: event.block.number,
    txHash: event.transaction.hash,
  });
  const row = await loadAccount(context.db, who);
  await saveAccount(context.db, {
    ...row,
    purchased: row.purchased + credits,
    totalPurchased: row.totalPurchased + credits,
  });
  await addTotals(context.db, { purchased: credits });
});

ponder.on("CreditLedger:CreditsGranted", async ({ event, context }) => {
  const { account: who, issuer, amount, expiresAt } = event.args;
  await context.db.insert(grant).values({
    id: event.id,
    account: who,
    issuer,
    amount,
    expiresAt: Number(expiresAt),
    revoked: 0n,
    expired: 0n,
    timestamp: Number(event.block.timestamp),
    blockNumber: event.block.number,
    txHash: event.transaction.hash,
  });
  const row = await loadAccount(context.db, who);
  const buckets = bucketsOf(row);
  const b = buckets.find((x) => x.expiry === expiresAt);
  if (b !== undefined) b.amount += amount;
  else buckets.push({ amount, expiry: expiresAt });
  await saveAccount(context.db, {
    ...row,
    buckets: storedBuckets(buckets),
    totalGranted: row.totalGranted + amount,
  });
  const cap = await context.db.find(issuerCap, { issuer });
  if (cap !== null) {
    // CreditLedger._useIssuance: the epoch's usage plus the grant.
    const b0 = budgetOf(cap);
    const usage = budgetUsage(b0, event.block.timestamp);
    await context.db.update(issuerCap, { issuer }).set({
      used: usage.used + amount,
      usedEpoch: Number(usage.epoch),
      totalGranted: cap.totalGranted + amount,
    });
  }
  await addTotals(context.db, { granted: amount });
});

ponder.on("CreditLedger:GrantRevoked", async ({ event, context }) => {
  const { account: who, issuer, expiresAt, amount, reason } = event.args;
  await takeFromBucket(context.db, who, expiresAt, amount, "GrantRevoked");
  await context.db.insert(bucketEvent).values({
    id: event.id,
    account: who,
    kind: "revoked",
    expiresAt: Number(expiresAt),
    amount,
    issuer,
    reason: Number(reason),
    timestamp: Number(event.block.timestamp),
    txHash: event.transaction.hash,
  });
  await addTotals(context.db, { revoked: amount });
});

ponder.on("CreditLedger:CreditsExpired", async ({ event, context }) => {
  const { account: who, expiresAt, amount } = event.args;
  await takeFromBucket(context.db, who, expiresAt, amount, "CreditsExpired");
  await context.db.insert(bucketEvent).values({
    id: event.id,
    account: who,
    kind: "expired",
    expiresAt: Number(expiresAt),
    amount,
    issuer: null,
    reason: null,
    timestamp: Number(event.block.timestamp),
    txHash: event.transaction.hash,
  });
  await addTotals(context.db, { expired: amount });
});

ponder.on("CreditLedger:RecoveryExecuted", async ({ event, context }) => {
  const { from, to } = event.args;
  const source = await loadAccount(context.db, from);
  const target = await loadAccount(context.db, to);
  // The ledger moves everything `from` holds to the fresh account `to` (src/client/indexer.ts does the same).
  await saveAccount(context.db, { ...target, purchased: source.purchased, buckets: source.buckets });
  await saveAccount(context.db, { ...source, purchased: 0n, buckets: [], recoveredTo: to });
});

// ------------------------------------------------------------------ ledger: spenders and spending

ponder.on("CreditLedger:SpenderAdded", async ({ event, context }) => {
  const row = {
    address: event.args.spender,
    registered: true,
    addedAt: Number(event.block.timestamp),
    removedAt: null,
  };
  await context.db.insert(spender).values(row).onConflictDoUpdate(row);
});

ponder.on("CreditLedger:SpenderRemoved", async ({ event, context }) => {
  const row = await context.db.find(spender, { address: event.args.spender });
  if (row !== null) {
    await context.db
      .update(spender, { address: event.args.spender })
      .set({ registered: false, removedAt: Number(event.block.timestamp) });
  }
});

async function addDaily(
  db: Db,
  day: string,
  op: { payer: Address; sender: Address; target: Address | null; policyId: bigint | null },
  credits: bigint,
  wei: bigint,
): Promise<void> {
  const bump = <R extends { credits: bigint; wei: bigint; operations: number }>(r: R): R => ({
    ...r,
    credits: r.credits + credits,
    wei: r.wei + wei,
    operations: r.operations + 1,
  });
  const zero = { credits: 0n, wei: 0n, operations: 0 };
  const s = `${day}-${op.payer}`;
  const sRow = bump((await db.find(dailySponsor, { id: s })) ?? { id: s, day, sponsor: op.payer, ...zero });
  await db.insert(dailySponsor).values(sRow).onConflictDoUpdate(sRow);
  const u = `${day}-${op.sender}`;
  const uRow = bump((await db.find(dailyUser, { id: u })) ?? { id: u, day, user: op.sender, ...zero });
  await db.insert(dailyUser).values(uRow).onConflictDoUpdate(uRow);
  if (op.target !== null) {
    const t = `${day}-${op.target}`;
    const tRow = bump((await db.find(dailyTarget, { id: t })) ?? { id: t, day, target: op.target, ...zero });
    await db.insert(dailyTarget).values(tRow).onConflictDoUpdate(tRow);
  }
  if (op.policyId !== null) {
    const p = `${day}-${op.payer}-${op.policyId}`;
    const pRow = bump(
      (await db.find(dailyPolicy, { id: p })) ?? {
        id: p,
        day,
        sponsor: op.payer,
        policyId: op.policyId,
        ...zero,
      },
    );
    await db.insert(dailyPolicy).values(pRow).onConflictDoUpdate(pRow);
  }
}

ponder.on("CreditLedger:CreditsSpent", async ({ event, context }) => {
  const { account: payer, beneficiary, spender: by, amount, grantsTaken, ref, spenderData } = event.args;
  const time = event.block.timestamp;
  // Balances: the ledger burned `amount`, from the grant buckets `grantsTaken` names, the rest from purchased.
  const taken = decodeGrantsTaken(grantsTaken);
  const row = await loadAccount(context.db, payer);
  await saveAccount(context.db, {
    ...row,
    purchased: row.purchased - (amount - taken.fromGrants),
    buckets: storedBuckets(applyGrantsTaken(bucketsOf(row), taken)),
    spent: row.spent + amount,
  });

  const registered = await context.db.find(spender, { address: by });
  const pm = paymasterInfo.get(getAddress(by));
  // Only a registered spender's CreditsSpent is a charged operation (the ledger refuses others' settlements).
  if (registered === null || !registered.registered || pm === undefined) {
    await addTotals(context.db, { burned: amount });
    return;
  }
  const data = decodePaymasterSpendData(spenderData);
  const policyId = data.mode === "POLICY" ? data.policyId : null;

  // Budgets, as the ledger's settleSponsored / settlePolicy record them (only a non-zero charge is recorded).
  if (data.mode === "SPONSORED") {
    const id = `${payer}-${beneficiary}`;
    const a = await context.db.find(allowance, { id });
    if (a !== null) {
      const next = amount !== 0n ? budgetRow(recordBudget(budgetOf(a), amount, time)) : {};
      await context.db.update(allowance, { id }).set({
        ...next,
        totalCredits: a.totalCredits + amount,
        totalOperations: a.totalOperations + 1,
      });
    }
  } else if (data.mode === "POLICY") {
    const id = `${payer}-${data.policyId}`;
    const p = await context.db.find(policy, { id });
    if (p !== null) {
      const b = budgetOf(p);
      const next = amount !== 0n ? budgetRow(recordBudget(b, amount, time)) : {};
      await context.db.update(policy, { id }).set({
        ...next,
        totalCredits: p.totalCredits + amount,
        totalOperations: p.totalOperations + 1,
      });
      if (p.creditsPerUser !== 0n || p.opsPerUser !== 0n) {
        const uid = `${payer}-${data.policyId}-${beneficiary}`;
        const u = await context.db.find(policyUser, { id: uid });
        const epoch = b.epochLength === 0n || time <= b.anchor ? 0n : (time - b.anchor) / b.epochLength;
        const rec = recordPolicyUser(
          { credits: u?.credits ?? 0n, ops: BigInt(u?.ops ?? 0), epoch: BigInt(u?.epoch ?? 0) },
          amount,
          epoch,
        );
        const uRow = {
          id: uid,
          sponsor: payer,
          policyId: data.policyId,
          user: beneficiary,
          credits: rec.credits,
          ops: Number(rec.ops),
          epoch: Number(rec.epoch),
        };
        await context.db.insert(policyUser).values(uRow).onConflictDoUpdate(uRow);
      }
    }
  }

  const target = operationTarget(event.transaction.input, {
    sender: beneficiary,
    userOpHash: ref,
    entryPoint: pm.entryPoint,
    version: pm.version,
    chainId: deployment.chainId,
  });
  const op = {
    userOpHash: ref,
    sender: beneficiary,
    payer,
    paymaster: pm.address,
    mode: data.mode,
    policyId,
    credits: amount,
    fromGrants: taken.fromGrants,
    wei: data.gasCostWei,
    priceWad: data.priceWad,
    gasUsed: null,
    actualGasCost: null,
    entryPoint: pm.entryPoint,
    target,
    timestamp: Number(time),
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    txHash: event.transaction.hash,
  };
  await context.db.insert(operation).values(op).onConflictDoUpdate(op);
  await addDaily(
    context.db,
    utcDay(time),
    { payer, sender: beneficiary, target, policyId },
    amount,
    data.gasCostWei,
  );
  await addTotals(context.db, { burned: amount, operations: 1, wei: data.gasCostWei });
});

ponder.on("EntryPoint:UserOperationEvent", async ({ event, context }) => {
  const { userOpHash, actualGasUsed, actualGasCost } = event.args;
  const op = await context.db.find(operation, { userOpHash });
  if (op !== null) {
    await context.db.update(operation, { userOpHash }).set({ gasUsed: actualGasUsed, actualGasCost });
  }
});

// ------------------------------------------------------------------ ledger: allowances, policies, issuer caps

ponder.on("CreditLedger:AllowanceSet", async ({ event, context }) => {
  const { sponsor, beneficiary, perEpoch, epochLength, expiresAt, carriedSpent } = event.args;
  const id = `${sponsor}-${beneficiary}`;
  const old = await context.db.find(allowance, { id });
  const b = reconfigureBudget(
    old === null
      ? { limit: 0n, used: 0n, epochLength: 0n, anchor: 0n, usedEpoch: 0n, expiresAt: 0n }
      : budgetOf(old),
    { limit: perEpoch, epochLength: BigInt(epochLength), expiresAt, carried: carriedSpent },
    event.block.timestamp,
  );
  const row = {
    id,
    sponsor,
    beneficiary,
    ...budgetRow(b),
    revoked: false,
    totalCredits: old?.totalCredits ?? 0n,
    totalOperations: old?.totalOperations ?? 0,
  };
  await context.db.insert(allowance).values(row).onConflictDoUpdate(row);
});

ponder.on("CreditLedger:AllowanceRevoked", async ({ event, context }) => {
  const id = `${event.args.sponsor}-${event.args.beneficiary}`;
  if ((await context.db.find(allowance, { id })) !== null) {
    await context.db.update(allowance, { id }).set({ limit: 0n, revoked: true });
  }
});

ponder.on("CreditLedger:PolicySet", async ({ event, context }) => {
  const { sponsor, policyId, terms, epochLength } = event.args;
  const id = `${sponsor}-${policyId}`;
  const old = await context.db.find(policy, { id });
  const fields = {
    creditsPerUser: BigInt(terms.creditsPerUser),
    opsPerUser: BigInt(terms.opsPerUser),
    creditsPerOp: BigInt(terms.creditsPerOp),
    start: Number(terms.start),
    signer: terms.signer,
    limit: BigInt(terms.creditsPerEpoch),
    expiresAt: Number(terms.end),
  };
  if (old === null) {
    // createPolicy: a new budget anchored now, status Active.
    await context.db.insert(policy).values({
      id,
      sponsor,
      policyId,
      status: 1,
      ...fields,
      used: 0n,
      epochLength: Number(epochLength),
      anchor: Number(event.block.timestamp),
      usedEpoch: 0,
      totalCredits: 0n,
      totalOperations: 0,
    });
  } else {
    // updatePolicy keeps the epoch, its anchor, the spending and the status.
    await context.db.update(policy, { id }).set(fields);
  }
});

ponder.on("CreditLedger:PolicyStatusSet", async ({ event, context }) => {
  const id = `${event.args.sponsor}-${event.args.policyId}`;
  if ((await context.db.find(policy, { id })) !== null) {
    await context.db.update(policy, { id }).set({ status: Number(event.args.status) });
  }
});

ponder.on("CreditLedger:IssuerCapSet", async ({ event, context }) => {
  const { issuer, capPerEpoch, epochLength, carriedUsed } = event.args;
  const old = await context.db.find(issuerCap, { issuer });
  const b = reconfigureBudget(
    old === null
      ? { limit: 0n, used: 0n, epochLength: 0n, anchor: 0n, usedEpoch: 0n, expiresAt: 0n }
      : budgetOf(old),
    { limit: capPerEpoch, epochLength: BigInt(epochLength), expiresAt: 2n ** 32n - 1n, carried: carriedUsed },
    event.block.timestamp,
  );
  const row = { issuer, ...budgetRow(b), totalGranted: old?.totalGranted ?? 0n };
  await context.db.insert(issuerCap).values(row).onConflictDoUpdate(row);
});

// ------------------------------------------------------------------ adapter, paymasters, governor

ponder.on("PriceAdapter:CachedPriceRefreshed", async ({ event, context }) => {
  await context.db.insert(priceRefresh).values({
    id: event.id,
    priceWad: event.args.priceWad,
    updatedAt: Number(event.args.updatedAt),
    fromFallback: event.args.fromFallback,
    timestamp: Number(event.block.timestamp),
    blockNumber: event.block.number,
    txHash: event.transaction.hash,
  });
});

ponder.on("CreditPaymaster:PausedSet", async ({ event, context }) => {
  const row = { address: event.log.address, paused: event.args.paused };
  await context.db.insert(paymaster).values(row).onConflictDoUpdate(row);
});

ponder.on("CreditsGovernor:ProposalCreated", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(proposal).values({
    proposalId: a.proposalId,
    proposer: a.proposer,
    description: a.description,
    targets: [...a.targets],
    calldatas: [...a.calldatas],
    state: "Created",
    voteStart: a.voteStart,
    voteEnd: a.voteEnd,
    forVotes: 0n,
    againstVotes: 0n,
    abstainVotes: 0n,
    etaSeconds: null,
    createdAt: Number(event.block.timestamp),
    txHash: event.transaction.hash,
  });
});

ponder.on("CreditsGovernor:VoteCast", async ({ event, context }) => {
  const { voter, proposalId, support, weight } = event.args;
  await context.db.insert(vote).values({
    id: event.id,
    proposalId,
    voter,
    support: Number(support),
    weight,
    timestamp: Number(event.block.timestamp),
    txHash: event.transaction.hash,
  });
  const p = await context.db.find(proposal, { proposalId });
  if (p === null) return;
  const key = support === 0 ? "againstVotes" : support === 1 ? "forVotes" : "abstainVotes";
  await context.db.update(proposal, { proposalId }).set({ [key]: p[key] + weight });
});

ponder.on("CreditsGovernor:ProposalQueued", async ({ event, context }) => {
  const { proposalId, etaSeconds } = event.args;
  if ((await context.db.find(proposal, { proposalId })) !== null) {
    await context.db.update(proposal, { proposalId }).set({ state: "Queued", etaSeconds });
  }
});

ponder.on("CreditsGovernor:ProposalExecuted", async ({ event, context }) => {
  const { proposalId } = event.args;
  if ((await context.db.find(proposal, { proposalId })) !== null) {
    await context.db.update(proposal, { proposalId }).set({ state: "Executed" });
  }
});

ponder.on("CreditsGovernor:ProposalCanceled", async ({ event, context }) => {
  const { proposalId } = event.args;
  if ((await context.db.find(proposal, { proposalId })) !== null) {
    await context.db.update(proposal, { proposalId }).set({ state: "Canceled" });
  }
});
