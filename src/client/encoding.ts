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
export const PaymasterMode = { SELF: 0, SPONSORED: 1, POLICY: 2 } as const;
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
  "maxPriorityFeePerGas",
] as const;
/** A capped gas field of a user operation, named as in the unpacked (viem) user operation. */
export type GasFieldName = (typeof GAS_FIELDS)[number];

/** `UserOperationLib.PAYMASTER_DATA_OFFSET`: paymaster (20) ‖ verification gas (16) ‖ postOp gas (16). */
export const PAYMASTER_DATA_OFFSET = 52;
/** Length of the SELF paymaster data (after offset 52): mode ‖ uint64 maxCredits. */
export const SELF_DATA_LENGTH = 9;
/** Length of the SPONSORED paymaster data: mode ‖ sponsor ‖ uint64 maxCredits. */
export const SPONSORED_DATA_LENGTH = 29;
/** Length of the POLICY paymaster data without an approval: mode ‖ sponsor ‖ uint64 policyId ‖ uint64 maxCredits. */
export const POLICY_DATA_LENGTH = 37;
/** Where the approval's signature starts in POLICY paymaster data (after `validUntil (6) ‖ validAfter (6)`). */
export const POLICY_SIGNATURE_OFFSET = 49;
/** Where the approval's signature starts in `paymasterAndData` (`PolicyApprovals.APPROVAL_SIGNATURE_OFFSET`). */
export const APPROVAL_SIGNATURE_OFFSET = PAYMASTER_DATA_OFFSET + POLICY_SIGNATURE_OFFSET;
/**
 * A 65-byte stand-in for the approval signature in stub data: same length as an ECDSA signature, non-zero bytes (so
 * the calldata gas of the estimate is the final one's upper bound).
 */
export const STUB_APPROVAL_SIGNATURE: Hex = `0x${"ff".repeat(65)}`;
/** An EntryPoint version the credit paymaster serves. */
export type EntryPointVersion = "0.7" | "0.8";

/** `CreditPaymaster.POST_OP_GAS_SELF` / `_SPONSORED` / `_POLICY`: the most gas `postOp` uses in each mode. */
export const POST_OP_GAS: Readonly<Record<PaymasterModeName, bigint>> = {
  SELF: 23_500n,
  SPONSORED: 28_500n,
  POLICY: 49_500n,
};

/** `EntryPointGas.BASE_V07` / `BASE_V08`: unmetered execution gas of the EntryPoint at an empty operation. */
const UNMETERED_BASE: Readonly<Record<EntryPointVersion, bigint>> = { "0.7": 24_000n, "0.8": 22_500n };
/** `EntryPointGas.NEW_MEMORY_WORDS`, `FRAME_FIXED_WORDS`. */
const NEW_MEMORY_WORDS = 136n;
const FRAME_FIXED_WORDS = 20n;

/**
 * `EntryPointGas.unmeteredReserve`: the part of `paymasterPostOpGasLimit` that must stay unused by `postOp`, an upper
 * bound of the gas the EntryPoint bills outside every limit (up to 2,048 bytes of revert reason copied and logged,
 * its code around the call and postOp, memory that grows with the operation), with v0.7's 10% penalty.
 */
export function unmeteredReserve(version: EntryPointVersion, callDataWords: bigint): bigint {
  const gas = UNMETERED_BASE[version] + ((callDataWords + FRAME_FIXED_WORDS) * NEW_MEMORY_WORDS) / 256n;
  return (gas * 10n + 8n) / 9n;
}

/**
 * `CreditPaymaster.postOpGasFloor`: the smallest `paymasterPostOpGasLimit` the paymaster accepts for an operation of
 * `mode` whose `validatePaymasterUserOp` call data is `validationCallDataLength` bytes long, under the paymaster's
 * configured `postOpGasMargin` (`PaymasterConfig.postOpGasMargin`, 0 on Ethereum's gas schedule).
 */
export function postOpGasFloor(
  version: EntryPointVersion,
  mode: PaymasterModeName,
  validationCallDataLength: bigint,
  postOpGasMargin = 0n,
): bigint {
  return (
    POST_OP_GAS[mode] + postOpGasMargin + unmeteredReserve(version, (validationCallDataLength + 31n) / 32n)
  );
}

/** Byte lengths of the dynamic fields of a packed user operation. */
export interface PackedFieldLengths {
  initCode: number;
  callData: number;
  paymasterAndData: number;
  signature: number;
}

/**
 * Byte length of the `validatePaymasterUserOp(op, userOpHash, maxCost)` call data the EntryPoint sends for an
 * operation with these field lengths: selector, three head words, the packed operation's nine head words and its
 * four dynamic fields (a length word each, padded to 32 bytes).
 */
export function validationCallDataLength(lengths: PackedFieldLengths): bigint {
  const dynamic = (n: number) => 32n + ((BigInt(n) + 31n) / 32n) * 32n;
  return (
    4n +
    3n * 32n +
    9n * 32n +
    dynamic(lengths.initCode) +
    dynamic(lengths.callData) +
    dynamic(lengths.paymasterAndData) +
    dynamic(lengths.signature)
  );
}

/**
 * Bytes of signature assumed when computing the postOp gas floor of an operation that is not signed yet: enough for
 * any common scheme (ECDSA 65, WebAuthn/passkeys a few hundred, multisig owners), at a cost of about 0.6 gas per 32
 * bytes of floor.
 */
export const FLOOR_SIGNATURE_ALLOWANCE = 2_048;

/** The fields of an operation the postOp gas floor depends on (viem's unpacked form). */
export interface FloorOperation {
  factory?: Address | undefined;
  factoryData?: Hex | undefined;
  callData?: Hex | undefined;
  paymasterData?: Hex | undefined;
  signature?: Hex | undefined;
}

/**
 * The smallest `paymasterPostOpGasLimit` the paymaster accepts for `op` in `mode`, as `CreditPaymaster
 * .minPostOpGasLimit` computes it, with the signature counted as at least {@link FLOOR_SIGNATURE_ALLOWANCE} bytes so
 * that the limit still holds once the operation is signed.
 */
export function minPostOpGasLimit(
  version: EntryPointVersion,
  mode: PaymasterModeName,
  op: FloorOperation,
  postOpGasMargin = 0n,
): bigint {
  const bytes = (hex: Hex | undefined) => (hex === undefined ? 0 : size(hex));
  const initCode = op.factory === undefined ? 0 : 20 + bytes(op.factoryData);
  const signature = Math.max(bytes(op.signature), FLOOR_SIGNATURE_ALLOWANCE);
  const length = validationCallDataLength({
    initCode,
    callData: bytes(op.callData),
    paymasterAndData: PAYMASTER_DATA_OFFSET + bytes(op.paymasterData),
    signature,
  });
  return postOpGasFloor(version, mode, length, postOpGasMargin);
}

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

/**
 * The policy signer's approval carried by POLICY paymaster data: its window (`validUntil` 0 = no end of its own)
 * and the EIP-712 `PolicyApproval` signature (see src/service/approval.ts).
 */
export interface PolicyApprovalFields {
  validUntil: bigint;
  validAfter: bigint;
  signature: Hex;
}

/**
 * Paymaster-data options of each mode. `maxCredits` (uint64, 0 = none) is the user's own cap on the hold. POLICY: the
 * sponsor's policy `policyId` (uint64), with the approval when the policy names a signer.
 */
export type CreditModeOptions =
  | { mode: "SELF"; maxCredits?: bigint }
  | { mode: "SPONSORED"; sponsor: Address; maxCredits?: bigint }
  | {
      mode: "POLICY";
      sponsor: Address;
      policyId: bigint;
      maxCredits?: bigint;
      approval?: PolicyApprovalFields;
    };

function checkUint(name: string, value: bigint, max: bigint): void {
  if (value < 0n || value > max) throw new RangeError(`${name} = ${value} is outside [0, ${max}]`);
}

const UINT48_MAX = (1n << 48n) - 1n;

/**
 * The paymaster data (after offset 52) of `options`: `0x00 ‖ maxCredits`, `0x01 ‖ sponsor ‖ maxCredits` or
 * `0x02 ‖ sponsor ‖ policyId ‖ maxCredits [‖ validUntil ‖ validAfter ‖ signature]`.
 */
export function encodePaymasterData(options: CreditModeOptions): Hex {
  const maxCredits = options.maxCredits ?? 0n;
  checkUint("maxCredits", maxCredits, UINT64_MAX);
  const limit = numberToHex(maxCredits, { size: 8 });
  if (options.mode === "SELF") return concat([numberToHex(PaymasterMode.SELF, { size: 1 }), limit]);
  if (!isAddress(options.sponsor, { strict: false }) || getAddress(options.sponsor) === zeroAddress) {
    throw new TypeError(`sponsor must be a non-zero address, got ${String(options.sponsor)}`);
  }
  if (options.mode === "SPONSORED") {
    return concat([numberToHex(PaymasterMode.SPONSORED, { size: 1 }), getAddress(options.sponsor), limit]);
  }
  checkUint("policyId", options.policyId, UINT64_MAX);
  const parts: Hex[] = [
    numberToHex(PaymasterMode.POLICY, { size: 1 }),
    getAddress(options.sponsor),
    numberToHex(options.policyId, { size: 8 }),
    limit,
  ];
  const approval = options.approval;
  if (approval !== undefined) {
    checkUint("validUntil", approval.validUntil, UINT48_MAX);
    checkUint("validAfter", approval.validAfter, UINT48_MAX);
    if (!isHex(approval.signature, { strict: true }) || size(approval.signature) === 0) {
      throw new TypeError(`the approval's signature must be non-empty hex bytes, got ${approval.signature}`);
    }
    parts.push(
      numberToHex(approval.validUntil, { size: 6 }),
      numberToHex(approval.validAfter, { size: 6 }),
      approval.signature,
    );
  }
  return concat(parts);
}

/** The parts of a well-formed paymaster data. */
export type DecodedPaymasterData =
  | { mode: "SELF"; maxCredits: bigint }
  | { mode: "SPONSORED"; sponsor: Address; maxCredits: bigint }
  | {
      mode: "POLICY";
      sponsor: Address;
      policyId: bigint;
      maxCredits: bigint;
      approval?: PolicyApprovalFields;
    };

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
  if (mode === PaymasterMode.POLICY) {
    // Without an approval (37 bytes), or with a window and a signature of at least one byte (50 or more).
    if (length !== POLICY_DATA_LENGTH && length <= POLICY_SIGNATURE_OFFSET) {
      return {
        ok: false,
        problem: { kind: "invalidDataLength", mode, length, expected: POLICY_DATA_LENGTH },
      };
    }
    const sponsor = getAddress(slice(data, 1, 21));
    if (sponsor === zeroAddress) return { ok: false, problem: { kind: "zeroSponsor" } };
    const value: DecodedPaymasterData = {
      mode: "POLICY",
      sponsor,
      policyId: hexToBigInt(slice(data, 21, 29)),
      maxCredits: hexToBigInt(slice(data, 29, 37)),
    };
    if (length > POLICY_DATA_LENGTH) {
      value.approval = {
        validUntil: hexToBigInt(slice(data, 37, 43)),
        validAfter: hexToBigInt(slice(data, 43, 49)),
        signature: slice(data, 49),
      };
    }
    return { ok: true, value };
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

/** `CreditsSpent.grantsTaken` decoded (`CreditWords.GrantsTaken`): what a settlement took from grant buckets. */
export interface GrantsTaken {
  /** Credits taken from grants in total (the rest of the charge came from purchased credits). */
  fromGrants: bigint;
  /** Credits taken from the last bucket touched (the one expiring at `lastExpiry`). */
  fromLast: bigint;
  /** Expiry of the first bucket touched; every bucket expiring in `[firstExpiry, lastExpiry)` was emptied. */
  firstExpiry: bigint;
  /** Expiry of the last bucket touched. */
  lastExpiry: bigint;
}

/** Decodes `CreditsSpent.grantsTaken`: `fromGrants (64) | fromLast (64) << 64 | firstExpiry (32) << 128 | lastExpiry (32) << 160`. */
export function decodeGrantsTaken(word: bigint): GrantsTaken {
  const mask64 = (1n << 64n) - 1n;
  const mask32 = (1n << 32n) - 1n;
  return {
    fromGrants: word & mask64,
    fromLast: (word >> 64n) & mask64,
    firstExpiry: (word >> 128n) & mask32,
    lastExpiry: (word >> 160n) & mask32,
  };
}

/** What the CreditPaymaster logs in `CreditsSpent.spenderData` for each operation it charged. */
export interface PaymasterSpendData {
  /** How the operation was paid: SELF (the sender's credits), SPONSORED (an allowance) or POLICY. */
  mode: PaymasterModeName;
  /** The sponsor's policy id in POLICY mode, 0 otherwise. */
  policyId: bigint;
  /** The price used (stable units per native token, 18 decimals). */
  priceWad: bigint;
  /** The wei charged for: an upper bound of what the EntryPoint took from the paymaster's deposit. */
  gasCostWei: bigint;
}

const mask56 = (1n << 56n) - 1n;
const mask96 = (1n << 96n) - 1n;

/**
 * Decodes the CreditPaymaster's `CreditsSpent.spenderData`:
 * `mode (8) << 248 | policyId (56) << 192 | priceWad (96) << 96 | gasCostWei (96)`.
 */
export function decodePaymasterSpendData(word: bigint): PaymasterSpendData {
  const modeByte = Number(word >> 248n);
  const mode = (Object.keys(PaymasterMode) as PaymasterModeName[]).find((m) => PaymasterMode[m] === modeByte);
  if (mode === undefined)
    throw new Error(`CreditsSpent.spenderData has an unknown paymaster mode ${modeByte}`);
  return {
    mode,
    policyId: (word >> 192n) & mask56,
    priceWad: (word >> 96n) & mask96,
    gasCostWei: word & mask96,
  };
}

/**
 * Applies a `CreditsSpent.grantsTaken` to an account's grant buckets (sorted by expiry): empties every bucket expiring
 * in `[firstExpiry, lastExpiry)`, takes `fromLast` from the one expiring at `lastExpiry`. Returns the new buckets.
 */
export function applyGrantsTaken<B extends { amount: bigint; expiry: bigint }>(
  buckets: readonly B[],
  taken: GrantsTaken,
): B[] {
  if (taken.fromGrants === 0n) return [...buckets];
  const out: B[] = [];
  for (const b of buckets) {
    if (b.expiry >= taken.firstExpiry && b.expiry < taken.lastExpiry) continue;
    if (b.expiry === taken.lastExpiry) {
      if (b.amount < taken.fromLast)
        throw new RangeError(`bucket ${b.expiry} holds less than ${taken.fromLast}`);
      if (b.amount > taken.fromLast) out.push({ ...b, amount: b.amount - taken.fromLast });
      continue;
    }
    out.push(b);
  }
  return out;
}
