/**
 * Pure encoding and arithmetic of the credit paymaster: the `paymasterData` of each mode, the full
 * `paymasterAndData`, the EntryPoint's prefund and the paymaster's credit formula. No I/O.
 */
import {
  concat,
  getAddress,
  isAddress,
  isHex,
  numberToHex,
  size,
  slice,
  hexToBigInt,
  zeroAddress,
} from "viem";
import type { Address, Hex } from "viem";

/** `ICreditPaymaster.Mode`: who pays for an operation. */
export const PaymasterMode = { SELF: 0, SPONSORED: 1 } as const;
/** A mode by name. */
export type PaymasterModeName = keyof typeof PaymasterMode;

/** `ICreditPaymaster.GasField`, in declaration order (the index is the on-chain enum value). */
export const GAS_FIELDS = [
  "callGasLimit",
  "verificationGasLimit",
  "preVerificationGas",
  "paymasterVerificationGasLimit",
  "paymasterPostOpGasLimit",
  "maxFeePerGas",
] as const;
/** A capped gas field of a user operation, named as in the unpacked (viem) user operation. */
export type GasFieldName = (typeof GAS_FIELDS)[number];

/** `UserOperationLib.PAYMASTER_DATA_OFFSET`: paymaster (20) ‖ verification gas (16) ‖ postOp gas (16). */
export const PAYMASTER_DATA_OFFSET = 52;
/** Length of the SELF paymaster data (after offset 52): mode ‖ uint64 maxCredits. */
export const SELF_DATA_LENGTH = 9;
/** Length of the SPONSORED paymaster data: mode ‖ sponsor ‖ uint64 maxCredits. */
export const SPONSORED_DATA_LENGTH = 29;
/** `CreditPaymaster.MIN_POST_OP_GAS`: the smallest `paymasterPostOpGasLimit` the paymaster accepts. */
export const MIN_POST_OP_GAS = 45_000n;
/**
 * Default `paymasterPostOpGasLimit`: `MIN_POST_OP_GAS` plus a margin, and small enough that EntryPoint v0.8's
 * unused-gas penalty (charged on more than 40,000 unused postOp gas) stays zero or small.
 */
export const DEFAULT_PAYMASTER_POST_OP_GAS_LIMIT = 60_000n;
/**
 * Default `paymasterVerificationGasLimit`: 1.7× the gas the bundler's simulation finds the paymaster's validation
 * needs (about 77,000 SELF and 88,000 SPONSORED, cold, measured through alto by `npm run test:e2e`), leaving room
 * for more registered ledger spenders and grant buckets. The verification limit is not subject to an unused-gas
 * penalty but enters the prefund, so it raises the worst-case hold, not the charge.
 */
export const DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT = 150_000n;

const UINT64_MAX = (1n << 64n) - 1n;
const UINT128_MAX = (1n << 128n) - 1n;
/** `credits = wei × priceWad × markupBps / 1e34` (1e18 wei × 1e18 WAD / 1e6 credit decimals × 1e4 bps). */
const CREDIT_SCALE = 10n ** 34n;

/** Paymaster-data options of each mode. `maxCredits` (uint64, 0 = none) is the user's own cap on the hold. */
export type CreditModeOptions =
  { mode: "SELF"; maxCredits?: bigint } | { mode: "SPONSORED"; sponsor: Address; maxCredits?: bigint };

function checkUint(name: string, value: bigint, max: bigint): void {
  if (value < 0n || value > max) throw new RangeError(`${name} = ${value} is outside [0, ${max}]`);
}

/** The paymaster data (after offset 52) of `options`: `0x00 ‖ maxCredits` or `0x01 ‖ sponsor ‖ maxCredits`. */
export function encodePaymasterData(options: CreditModeOptions): Hex {
  const maxCredits = options.maxCredits ?? 0n;
  checkUint("maxCredits", maxCredits, UINT64_MAX);
  const limit = numberToHex(maxCredits, { size: 8 });
  if (options.mode === "SELF") return concat([numberToHex(PaymasterMode.SELF, { size: 1 }), limit]);
  if (!isAddress(options.sponsor, { strict: false }) || getAddress(options.sponsor) === zeroAddress) {
    throw new TypeError(`sponsor must be a non-zero address, got ${String(options.sponsor)}`);
  }
  return concat([numberToHex(PaymasterMode.SPONSORED, { size: 1 }), getAddress(options.sponsor), limit]);
}

/** The parts of a well-formed paymaster data. */
export type DecodedPaymasterData =
  { mode: "SELF"; maxCredits: bigint } | { mode: "SPONSORED"; sponsor: Address; maxCredits: bigint };

/** Why a paymaster data is malformed, as the paymaster's custom errors say it. */
export type PaymasterDataProblem =
  | { kind: "invalidDataLength"; mode: number; length: number; expected: number }
  | { kind: "unknownMode"; mode: number }
  | { kind: "zeroSponsor" };

/** Parses a paymaster data exactly as `CreditPaymaster._parsePaymasterData` does. */
export function decodePaymasterData(
  data: Hex,
): { ok: true; value: DecodedPaymasterData } | { ok: false; problem: PaymasterDataProblem } {
  if (!isHex(data, { strict: true })) throw new TypeError(`paymasterData is not hex: ${data}`);
  const length = size(data);
  if (length === 0) {
    return {
      ok: false,
      problem: { kind: "invalidDataLength", mode: 0, length: 0, expected: SELF_DATA_LENGTH },
    };
  }
  const mode = Number(hexToBigInt(slice(data, 0, 1)));
  if (mode === PaymasterMode.SELF) {
    if (length !== SELF_DATA_LENGTH) {
      return { ok: false, problem: { kind: "invalidDataLength", mode, length, expected: SELF_DATA_LENGTH } };
    }
    return { ok: true, value: { mode: "SELF", maxCredits: hexToBigInt(slice(data, 1, 9)) } };
  }
  if (mode === PaymasterMode.SPONSORED) {
    if (length !== SPONSORED_DATA_LENGTH) {
      return {
        ok: false,
        problem: { kind: "invalidDataLength", mode, length, expected: SPONSORED_DATA_LENGTH },
      };
    }
    const sponsor = getAddress(slice(data, 1, 21));
    if (sponsor === zeroAddress) return { ok: false, problem: { kind: "zeroSponsor" } };
    return { ok: true, value: { mode: "SPONSORED", sponsor, maxCredits: hexToBigInt(slice(data, 21, 29)) } };
  }
  return { ok: false, problem: { kind: "unknownMode", mode } };
}

/** The paymaster fields of a v0.7/v0.8 user operation. */
export interface PaymasterFields {
  paymaster: Address;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
  paymasterData: Hex;
}

/** `paymasterAndData = paymaster ‖ uint128 verification gas ‖ uint128 postOp gas ‖ paymasterData`. */
export function encodePaymasterAndData(fields: PaymasterFields): Hex {
  checkUint("paymasterVerificationGasLimit", fields.paymasterVerificationGasLimit, UINT128_MAX);
  checkUint("paymasterPostOpGasLimit", fields.paymasterPostOpGasLimit, UINT128_MAX);
  return concat([
    getAddress(fields.paymaster),
    numberToHex(fields.paymasterVerificationGasLimit, { size: 16 }),
    numberToHex(fields.paymasterPostOpGasLimit, { size: 16 }),
    fields.paymasterData,
  ]);
}

/** Inverse of {@link encodePaymasterAndData}. @throws RangeError when shorter than 52 bytes. */
export function decodePaymasterAndData(paymasterAndData: Hex): PaymasterFields {
  if (size(paymasterAndData) < PAYMASTER_DATA_OFFSET) {
    throw new RangeError(`paymasterAndData is ${size(paymasterAndData)} bytes, shorter than 52`);
  }
  return {
    paymaster: getAddress(slice(paymasterAndData, 0, 20)),
    paymasterVerificationGasLimit: hexToBigInt(slice(paymasterAndData, 20, 36)),
    paymasterPostOpGasLimit: hexToBigInt(slice(paymasterAndData, 36, 52)),
    paymasterData: size(paymasterAndData) === PAYMASTER_DATA_OFFSET ? "0x" : slice(paymasterAndData, 52),
  };
}

/** The gas fields that make up the EntryPoint's prefund. */
export interface PrefundGas {
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
  paymasterVerificationGasLimit?: bigint | undefined;
  paymasterPostOpGasLimit?: bigint | undefined;
  maxFeePerGas: bigint;
}

/** Total gas of the prefund: the five limits, summed. */
export function totalGasLimit(gas: Omit<PrefundGas, "maxFeePerGas">): bigint {
  return (
    gas.verificationGasLimit +
    gas.callGasLimit +
    (gas.paymasterVerificationGasLimit ?? 0n) +
    (gas.paymasterPostOpGasLimit ?? 0n) +
    gas.preVerificationGas
  );
}

/** The EntryPoint's required prefund (v0.7 and v0.8): all five gas limits × `maxFeePerGas`, in wei. */
export function requiredPrefund(gas: PrefundGas): bigint {
  return totalGasLimit(gas) * gas.maxFeePerGas;
}

/** `ceil(weiAmount × priceWad × markupBps / 1e34)`: the paymaster's conversion of wei into credits. */
export function creditsForGasCost(weiAmount: bigint, priceWad: bigint, markupBps: bigint): bigint {
  const numerator = weiAmount * priceWad * markupBps;
  return (numerator + CREDIT_SCALE - 1n) / CREDIT_SCALE;
}

/**
 * The credits validation holds for an operation (the most it can ever be charged): the prefund at the cached price
 * and the markup, rounded up — exactly `CreditPaymaster._validatePaymasterUserOp`'s formula.
 */
export function worstCaseCredits(gas: PrefundGas, priceWad: bigint, markupBps: bigint): bigint {
  return creditsForGasCost(requiredPrefund(gas), priceWad, markupBps);
}

/**
 * An estimate (not a bound) of the credits an operation will be charged: `gasUsed × gasPrice` converted like
 * the charge. `gasUsed` is an estimate of the gas the operation will use — e.g. the sum of a bundler's gas estimates
 * (`eth_estimateUserOperationGas`, which tracks usage closely) — and `gasPrice` the expected fee per gas
 * (`min(maxFeePerGas, baseFee + maxPriorityFeePerGas)`). The paymaster also charges its postOp overhead and
 * EntryPoint penalties, never more than {@link worstCaseCredits}.
 */
export function expectedCredits(
  gasUsed: bigint,
  gasPrice: bigint,
  priceWad: bigint,
  markupBps: bigint,
): bigint {
  return creditsForGasCost(gasUsed * gasPrice, priceWad, markupBps);
}

/** The effective fee per gas of an operation in a block with `baseFee`. */
export function effectiveGasPrice(
  maxFeePerGas: bigint,
  maxPriorityFeePerGas: bigint,
  baseFee: bigint,
): bigint {
  const price = baseFee + maxPriorityFeePerGas;
  return price < maxFeePerGas ? price : maxFeePerGas;
}
