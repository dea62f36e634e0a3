/**
 * Formatting shared by the client, the paymaster service and the operator tasks: amounts, times, durations, JSON
 * with bigints, role names, and whether a cached price is still accepted.
 */
import { formatUnits, keccak256, toHex, zeroHash } from "viem";
import type { Hex } from "viem";

/** Credits have 6 decimals: 1_000_000 credits = one stable unit. */
export const CREDIT_DECIMALS = 6;
/** The native token has 18 decimals. */
export const NATIVE_DECIMALS = 18;
/** Largest unix time the ledger stores (expiries are uint32): 2106-02-07T06:28:15Z, used for "never". */
export const NEVER = 2n ** 32n - 1n;

/** Credits in stable units, without the unit: 12_500_000n → "12.5". */
export function formatCreditAmount(credits: bigint): string {
  return formatUnits(credits, CREDIT_DECIMALS);
}

/** Credits (6 decimals) as a decimal string with the unit, e.g. `1.5 credits`. */
export function formatCredits(credits: bigint): string {
  return `${formatCreditAmount(credits)} credits`;
}

/** Wei in ether units: 5n * 10n ** 17n → "0.5". */
export function formatEth(wei: bigint): string {
  return formatUnits(wei, NATIVE_DECIMALS);
}

/** The largest |seconds| a JavaScript Date holds. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

/** Unix seconds as an ISO date without milliseconds ("2026-01-31T00:00:00Z"); "never" for 2^32 - 1. */
export function formatTime(seconds: bigint): string {
  if (seconds === NEVER) return "never";
  // Beyond JavaScript's dates (±8.64e15 ms, about ±275,000 years) there is no ISO form: print the seconds.
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return `${seconds} (unix seconds)`;
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** Seconds as a short duration: 86400n → "1d", 90061n → "1d 1h 1m 1s", 0n → "0s". */
export function formatDuration(seconds: bigint): string {
  if (seconds === 0n) return "0s";
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ["d", 86_400n],
    ["h", 3_600n],
    ["m", 60n],
    ["s", 1n],
  ] as const) {
    if (rest >= size) {
      parts.push(`${rest / size}${unit}`);
      rest %= size;
    }
  }
  return parts.join(" ");
}

/** JSON.stringify that writes bigints as decimal strings (`indent` as JSON.stringify's `space`). */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), indent);
}

/** Names of the roles of the system (ledger, paymaster guardians, timelock), by role id. */
export const ROLE_NAMES: Readonly<Record<Hex, string>> = Object.fromEntries([
  [zeroHash, "DEFAULT_ADMIN_ROLE"],
  ...[
    "ISSUER_ROLE",
    "GUARDIAN_ROLE",
    "RECOVERY_ROLE",
    "PROPOSER_ROLE",
    "EXECUTOR_ROLE",
    "CANCELLER_ROLE",
  ].map((name) => [keccak256(toHex(name)), name]),
]) as Record<Hex, string>;

/** The role id of a role name ("ISSUER_ROLE" → keccak256; "DEFAULT_ADMIN_ROLE" → 0x0…0). */
export function roleId(name: string): Hex {
  return name === "DEFAULT_ADMIN_ROLE" ? zeroHash : keccak256(toHex(name));
}

/** Whether the paymaster still accepts a price cached at `updatedAt` (the rule behind `validUntil`). */
export interface PriceValidity {
  /** `now - updatedAt` (0 when the cache is from the future of `now`). */
  age: bigint;
  /** `updatedAt + maxPriceAge`: the `validUntil` the paymaster returns (at the latest). */
  validUntil: bigint;
  /** `now + margin > validUntil`: the EntryPoint would reject the paymaster's `validUntil`. */
  stale: boolean;
}

/** See {@link PriceValidity}. */
export function priceValidity(
  updatedAt: bigint,
  maxPriceAge: bigint,
  now: bigint,
  margin = 0n,
): PriceValidity {
  const validUntil = updatedAt + maxPriceAge;
  return { age: now > updatedAt ? now - updatedAt : 0n, validUntil, stale: now + margin > validUntil };
}
