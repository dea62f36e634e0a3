import { formatUnits, getAddress, isAddress, parseUnits, zeroAddress } from "viem";

import { CREDIT_DECIMALS, NATIVE_DECIMALS, NEVER, formatTime } from "../../src/client/format";
import { argumentError } from "./errors";

export const UINT32_MAX = 2n ** 32n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

const DECIMAL = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;
const DURATION = /^(\d+)(s|m|h|d|w)?$/;
const UNIT_SECONDS: Readonly<Record<string, bigint>> = { s: 1n, m: 60n, h: 3_600n, d: 86_400n, w: 604_800n };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The accepted forms, quoted in error messages ("expected <form>") and flag descriptions. */
export const FORMS = {
  address: "an address: 0x followed by 40 hex digits (EIP-55 checksummed when mixed-case)",
  credits: 'credits as a decimal number with at most 6 decimals, such as "12.5"',
  eth: 'an amount of the native token in ether units (at most 18 decimals), such as "0.05"',
  duration: 'seconds ("86400") or a number with a unit s, m, h, d or w ("30d")',
  expiry:
    'an ISO date ("2026-01-31" or "2026-01-31T12:00:00Z"), unix seconds ("1769860800"), a duration ' +
    'from now ("+30d") or "never"',
  integer: "a whole number",
} as const;

/** Options of {@link parseAddress}. */
export interface AddressOptions {
  /** Accept the zero address (default false). */
  allowZero?: boolean;
}

/** Parses an address argument; returns it checksummed. Mixed-case input must carry a valid EIP-55 checksum. */
export function parseAddress(flag: string, value: string, options: AddressOptions = {}): string {
  const trimmed = value.trim();
  // All-uppercase hex carries no checksum (as all-lowercase); mixed case must be EIP-55.
  const candidate = /^0x[0-9A-F]{40}$/.test(trimmed) ? `0x${trimmed.slice(2).toLowerCase()}` : trimmed;
  if (!isAddress(candidate)) throw argumentError(flag, value, `expected ${FORMS.address}`);
  const address = getAddress(candidate);
  if (address === zeroAddress && options.allowZero !== true) {
    throw argumentError(flag, value, "the zero address is not allowed here");
  }
  return address;
}

/** Options of the amount parsers. */
export interface AmountOptions {
  /** Accept zero (default false). */
  allowZero?: boolean;
  /** Largest accepted amount in base units (inclusive). */
  max?: bigint;
  /** How to name `max` in the error (default: the formatted amount). */
  maxLabel?: string;
}

function parseDecimal(
  flag: string,
  value: string,
  decimals: number,
  form: string,
  unit: string,
  options: AmountOptions,
): bigint {
  const trimmed = value.trim();
  if (!DECIMAL.test(trimmed)) throw argumentError(flag, value, `expected ${form}`);
  const fraction = trimmed.split(".")[1] ?? "";
  if (fraction.length > decimals) throw argumentError(flag, value, `expected ${form}`);
  const amount = parseUnits(trimmed, decimals);
  if (amount === 0n && options.allowZero !== true) {
    throw argumentError(flag, value, "expected an amount above zero");
  }
  if (options.max !== undefined && amount > options.max) {
    const label = options.maxLabel ?? `${formatUnits(options.max, decimals)} ${unit}`;
    throw argumentError(flag, value, `expected at most ${label}`);
  }
  return amount;
}

/** Parses credits given in stable units ("12.5") into base units (6 decimals): 12_500_000n. */
export function parseCredits(flag: string, value: string, options: AmountOptions = {}): bigint {
  return parseDecimal(flag, value, CREDIT_DECIMALS, FORMS.credits, "credits", options);
}

/** Parses a native-token amount in ether units ("0.05") into wei. */
export function parseEth(flag: string, value: string, options: AmountOptions = {}): bigint {
  return parseDecimal(flag, value, NATIVE_DECIMALS, FORMS.eth, "ETH", options);
}

/** Parses an amount of an ERC-20 token with `decimals` decimals ("25.5") into its base units. */
export function parseTokenAmount(
  flag: string,
  value: string,
  decimals: number,
  symbol: string,
  options: AmountOptions = {},
): bigint {
  const form = `an amount of ${symbol} as a decimal number with at most ${decimals} decimals, such as "25"`;
  return parseDecimal(flag, value, decimals, form, symbol, options);
}

/** Parses a whole number within `[min, max]`. */
export function parseInteger(flag: string, value: string, min: bigint, max: bigint): bigint {
  const trimmed = value.trim();
  if (!INTEGER.test(trimmed)) throw argumentError(flag, value, `expected ${FORMS.integer}`);
  const n = BigInt(trimmed);
  if (n < min || n > max) throw argumentError(flag, value, `expected a whole number from ${min} to ${max}`);
  return n;
}

/** Parses a gas price: wei ("500000000000") or gwei with a unit ("500gwei"). */
export function parseGasPrice(flag: string, value: string, max: bigint, allowZero = false): bigint {
  const trimmed = value.trim();
  const gwei = /^(\d+(\.\d+)?)\s*gwei$/i.exec(trimmed);
  const form = 'a gas price in wei ("500000000000") or gwei ("500gwei")';
  let wei: bigint;
  if (gwei !== null) {
    if ((gwei[1].split(".")[1] ?? "").length > 9) throw argumentError(flag, value, `expected ${form}`);
    wei = parseUnits(gwei[1], 9);
  } else if (INTEGER.test(trimmed)) {
    wei = BigInt(trimmed);
  } else {
    throw argumentError(flag, value, `expected ${form}`);
  }
  if (wei === 0n && !allowZero) throw argumentError(flag, value, "expected a gas price above zero");
  if (wei > max) throw argumentError(flag, value, `expected at most ${max} wei`);
  return wei;
}

/** Parses a duration ("86400", "90m", "30d", "2w") into seconds, within `(0, max]`. */
export function parseDuration(flag: string, value: string, max: bigint = UINT32_MAX): bigint {
  const match = DURATION.exec(value.trim());
  if (match === null) throw argumentError(flag, value, `expected ${FORMS.duration}`);
  const seconds = BigInt(match[1]) * UNIT_SECONDS[match[2] ?? "s"];
  if (seconds === 0n) throw argumentError(flag, value, "expected a duration above zero");
  if (seconds > max) throw argumentError(flag, value, `expected at most ${max} seconds`);
  return seconds;
}

/**
 * Parses an expiry into unix seconds: an ISO date (UTC unless it names an offset), unix seconds, `+<duration>`
 * from `now` (the chain's latest block time), or `never` (2^32 - 1). It must lie in `(now, 2^32 - 1]`.
 */
export function parseExpiry(flag: string, value: string, now: bigint): bigint {
  const trimmed = value.trim();
  let expiry: bigint;
  if (trimmed.toLowerCase() === "never") {
    expiry = NEVER;
  } else if (trimmed.startsWith("+")) {
    const match = DURATION.exec(trimmed.slice(1));
    if (match === null) throw argumentError(flag, value, `expected ${FORMS.expiry}`);
    expiry = now + BigInt(match[1]) * UNIT_SECONDS[match[2] ?? "s"];
  } else if (INTEGER.test(trimmed)) {
    expiry = BigInt(trimmed);
  } else if (ISO_DATE.test(trimmed)) {
    const iso = /[T ]/.test(trimmed) && !/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? `${trimmed}Z` : trimmed;
    const ms = Date.parse(iso.replace(" ", "T"));
    if (Number.isNaN(ms)) throw argumentError(flag, value, `expected ${FORMS.expiry}`);
    expiry = BigInt(Math.floor(ms / 1000));
  } else {
    throw argumentError(flag, value, `expected ${FORMS.expiry}`);
  }
  if (expiry <= now) {
    throw argumentError(
      flag,
      value,
      `${formatTime(expiry)} is not in the future (chain time is ${formatTime(now)})`,
    );
  }
  if (expiry > NEVER) {
    throw argumentError(
      flag,
      value,
      `${formatTime(expiry)} is after the latest expiry the ledger stores, 2106-02-07T06:28:15Z (2^32 - 1): ` +
        'pass "never" for no expiry',
    );
  }
  return expiry;
}

/** Parses the `--entrypoint` flag. */
export function parseEntryPointVersion(value: string): "0.7" | "0.8" {
  const trimmed = value.trim();
  if (trimmed === "0.7" || trimmed === "0.8") return trimmed;
  throw argumentError("entrypoint", value, 'expected "0.7" or "0.8"');
}

/**
 * Parses a point in time into unix seconds: "now" (the chain's latest block time), `+<duration>` from now, unix
 * seconds or an ISO date (UTC unless it names an offset); past times are accepted. At most 2^32 - 1.
 */
export function parseTime(flag: string, value: string, now: bigint): bigint {
  const trimmed = value.trim();
  const form = `"now", ${FORMS.expiry.replace(/ or "never"$/, "")}`;
  let time: bigint;
  if (trimmed.toLowerCase() === "now") {
    time = now;
  } else if (trimmed.startsWith("+")) {
    const match = DURATION.exec(trimmed.slice(1));
    if (match === null) throw argumentError(flag, value, `expected ${form}`);
    time = now + BigInt(match[1]) * UNIT_SECONDS[match[2] ?? "s"];
  } else if (INTEGER.test(trimmed)) {
    time = BigInt(trimmed);
  } else if (ISO_DATE.test(trimmed)) {
    const iso = /[T ]/.test(trimmed) && !/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? `${trimmed}Z` : trimmed;
    const ms = Date.parse(iso.replace(" ", "T"));
    if (Number.isNaN(ms)) throw argumentError(flag, value, `expected ${form}`);
    time = BigInt(Math.floor(ms / 1000));
  } else {
    throw argumentError(flag, value, `expected ${form}`);
  }
  if (time > NEVER) {
    throw argumentError(
      flag,
      value,
      "expected a time before 2106-02-07T06:28:15Z (the latest the ledger stores)",
    );
  }
  return time;
}

/** Refuses a TCP port outside [1, 65535] before anything starts (the indexer would fail later, less clearly). */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw argumentError("port", String(port), "expected a TCP port from 1 to 65535");
  }
}
