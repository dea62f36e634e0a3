/**
 * The ledger's epoch budgets (`EpochBudgets.sol`: allowances, policy budgets, issuer caps) as pure functions, for
 * readers that rebuild them from events (the usage indexer) and compare them with the ledger's views.
 */

/** `ICreditLedger.EpochBudget` with every field a bigint. */
export interface Budget {
  limit: bigint;
  used: bigint;
  epochLength: bigint;
  anchor: bigint;
  usedEpoch: bigint;
  expiresAt: bigint;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** `EpochBudgets.usage`: the spending counted at `time` and the epoch of `time`. */
export function budgetUsage(b: Budget, time: bigint): { used: bigint; epoch: bigint } {
  if (b.epochLength === 0n) return { used: 0n, epoch: 0n };
  const epoch = time <= b.anchor ? 0n : (time - b.anchor) / b.epochLength;
  return { used: b.usedEpoch >= epoch ? b.used : 0n, epoch };
}

/** `EpochBudgets.remaining` with no holds: `limit - used` at `time`, 0 at least. */
export function budgetRemaining(b: Budget, time: bigint): bigint {
  const { used } = budgetUsage(b, time);
  return b.limit > used ? b.limit - used : 0n;
}

/** `EpochBudgets.record`: `amount` spent at `time` (saturating at 2^64 - 1). */
export function recordBudget<B extends Budget>(b: B, amount: bigint, time: bigint): B {
  const { used, epoch } = budgetUsage(b, time);
  const total = used + amount;
  return { ...b, used: total > MAX_UINT64 ? MAX_UINT64 : total, usedEpoch: epoch };
}

/** `EpochBudgets.reconfigure`: new limits at `time`, the current epoch's spending carried (`carried`, as logged). */
export function reconfigureBudget<B extends Budget>(
  b: B,
  set: { limit: bigint; epochLength: bigint; expiresAt: bigint; carried: bigint },
  time: bigint,
): B {
  return {
    ...b,
    limit: set.limit,
    used: set.carried,
    epochLength: set.epochLength,
    anchor: time,
    usedEpoch: 0n,
    expiresAt: set.expiresAt,
  };
}

/** An empty budget (the ledger's zeroed storage). */
export const EMPTY_BUDGET: Budget = {
  limit: 0n,
  used: 0n,
  epochLength: 0n,
  anchor: 0n,
  usedEpoch: 0n,
  expiresAt: 0n,
};

/** `SponsorPolicies._recordUser`: a user's policy usage after an operation charged `charge` at `epoch`. */
export function recordPolicyUser(
  usage: { credits: bigint; ops: bigint; epoch: bigint },
  charge: bigint,
  epoch: bigint,
): { credits: bigint; ops: bigint; epoch: bigint } {
  const base = usage.epoch < epoch ? { credits: 0n, ops: 0n } : usage;
  const credits = base.credits + charge;
  const ops = base.ops + 1n;
  return {
    credits: credits > MAX_UINT64 ? MAX_UINT64 : credits,
    ops: ops > 0xffffffffn ? 0xffffffffn : ops,
    epoch,
  };
}
