/** Pure shaping of the indexer's rows into the API's JSON (indexer/api-types.ts). */
import { getAddress } from "viem";

import type { ApiBalance, ApiGrantBucket } from "../api-types";
import { budgetRemaining, budgetUsage } from "../../src/client/budgets";
import type { Budget } from "../../src/client/budgets";
import { POLICY_STATUSES } from "../../src/client/rejections";

/** Credits (6 decimals) in the stable unit, as a decimal string with 6 decimals ("1.250000"). */
export function usd(credits: bigint): string {
  const negative = credits < 0n;
  const abs = negative ? -credits : credits;
  const whole = abs / 1_000_000n;
  const frac = (abs % 1_000_000n).toString().padStart(6, "0");
  return `${negative ? "-" : ""}${whole}.${frac}`;
}

/** A checksummed address (rows keep hex lowercase), or null. */
export function addr(a: string): string;
export function addr(a: string | null): string | null;
export function addr(a: string | null): string | null {
  return a === null ? null : getAddress(a);
}

/** An account's credits by source at `now` (the latest indexed block's time). */
export function balanceView(
  row: { purchased: bigint; buckets: { amount: string; expiry: string }[] } | null,
  now: bigint,
): ApiBalance {
  const purchased = row?.purchased ?? 0n;
  const buckets: ApiGrantBucket[] = (row?.buckets ?? []).map((b) => {
    const amount = BigInt(b.amount);
    return {
      amount: amount.toString(),
      usd: usd(amount),
      expiresAt: Number(b.expiry),
      expired: BigInt(b.expiry) <= now,
    };
  });
  let granted = 0n;
  let expiredUnswept = 0n;
  for (const b of buckets) {
    if (b.expired) expiredUnswept += BigInt(b.amount);
    else granted += BigInt(b.amount);
  }
  return {
    purchased: purchased.toString(),
    granted: granted.toString(),
    expiredUnswept: expiredUnswept.toString(),
    total: (purchased + granted + expiredUnswept).toString(),
    spendable: (purchased + granted).toString(),
    usd: usd(purchased + granted),
    buckets,
  };
}

/** A budget row (integer columns) as src/client's {@link Budget}. */
export function budgetOfRow(r: {
  limit: bigint;
  used: bigint;
  epochLength: number;
  anchor: number;
  usedEpoch: number;
  expiresAt: number;
}): Budget {
  return {
    limit: r.limit,
    used: r.used,
    epochLength: BigInt(r.epochLength),
    anchor: BigInt(r.anchor),
    usedEpoch: BigInt(r.usedEpoch),
    expiresAt: BigInt(r.expiresAt),
  };
}

/** What the ledger's `remainingAllowance` answers at `now` with no hold outstanding. */
export function allowanceLeft(b: Budget, now: bigint): bigint {
  if (b.limit === 0n || now >= b.expiresAt) return 0n;
  return budgetRemaining(b, now);
}

/** The spending counted in `now`'s epoch. */
export function usedNow(b: Budget, now: bigint): bigint {
  return budgetUsage(b, now).used;
}

/** A policy status by number (`ISponsorPolicies.PolicyStatus`). */
export function policyStatusName(status: number): string {
  return POLICY_STATUSES[status] ?? `Unknown(${status})`;
}

/** The value of a row cell for CSV/JSON export: bigints as decimal strings, objects as JSON. */
export function exportCell(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** RFC 4180 CSV of rows (header from the first row's keys, or from `columns`). */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const quote = (v: unknown): string => {
    const cell = exportCell(v);
    if (cell === null) return "";
    const s = String(cell);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.join(",")];
  for (const row of rows) lines.push(columns.map((c) => quote(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
