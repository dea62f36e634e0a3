/**
 * Validation of ERC-7677 parameters: `[userOp, entryPoint, chainId, context]`, with zod. Every shape problem
 * becomes a `-32602 Invalid params` error naming the offending field; nothing is coerced silently.
 */
import { getAddress, isAddress, isHex, numberToHex, zeroAddress } from "viem";
import type { Address, Hex, SignedAuthorization } from "viem";
import { z } from "zod";

import type { CreditUserOperation } from "../client/credits";
import { isEip7702Factory } from "../client/eip7702";
import type { CreditModeOptions } from "../client/encoding";
import { invalidParams } from "./jsonrpc";

/** Parsed parameters of `pm_getPaymasterStubData` / `pm_getPaymasterData`. */
export interface PaymasterRequest {
  userOp: CreditUserOperation;
  entryPoint: Address;
  chainId: number;
  mode: CreditModeOptions;
}

const UINT64_MAX = (1n << 64n) - 1n;
/** The EntryPoint packs the account's gas limits and fees in two 128-bit halves of a word each. */
const UINT128_MAX = (1n << 128n) - 1n;
const UINT128_LABEL = "2^128 - 1, the most the EntryPoint packs into its 128 bits";
const UINT256_MAX = (1n << 256n) - 1n;
/** A hex quantity; leading zeros are tolerated (some clients pad), an empty `0x` is not. */
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const CONTEXT_FORM =
  '{ mode: "SELF" | "SPONSORED", sponsor?, maxCredits? } or { sponsor, policyId, maxCredits? }';

/** Failures of the schema read `must be <expected>, got <the value>` (the field's name is put in front). */
function expecting(expected: string): { errorMap: z.ZodErrorMap } {
  return { errorMap: (_issue, ctx) => ({ message: mustBe(expected, ctx.data) }) };
}

function mustBe(expected: string, value: unknown): string {
  return `must be ${expected}, got ${JSON.stringify(value)}`;
}

const ADDRESS_FORM = "a 20-byte hex address";
const BYTES_FORM = "0x-prefixed hex bytes";

/** A JSON-RPC quantity (`0x`-prefixed hex), at most `max` (named `maxLabel` in the message, if given). */
function quantity(max = UINT256_MAX, maxLabel?: string) {
  return z
    .string(expecting('a hex quantity (e.g. "0x1a")'))
    .regex(QUANTITY)
    .transform((value) => BigInt(value))
    .superRefine((value, ctx) => {
      if (value > max) ctx.addIssue({ code: "custom", message: `= ${value} exceeds ${maxLabel ?? max}` });
    });
}

/** An optional quantity (absent = 0), at most `max`. */
function optionalQuantity(max = UINT256_MAX, maxLabel?: string) {
  return quantity(max, maxLabel)
    .nullish()
    .transform((value) => value ?? 0n);
}

const address = z
  .string(expecting(ADDRESS_FORM))
  .refine(
    (value) => isAddress(value, { strict: false }),
    (value) => ({ message: mustBe(ADDRESS_FORM, value) }),
  )
  .transform((value) => getAddress(value));

const bytes = z
  .string(expecting(BYTES_FORM))
  .refine(
    (value) => isHex(value, { strict: true }) && value.length % 2 === 0,
    (value) => ({ message: mustBe(BYTES_FORM, value) }),
  )
  .transform((value) => value as Hex);

/** The `0x7702` factory marker of an EIP-7702 sender (EntryPoint v0.8), short or padded to 20 bytes. */
const eip7702Marker = z
  .string()
  .refine((value) => isEip7702Factory(value))
  .transform((value) => value.toLowerCase() as Hex);

/** `factory`: an address, or the EIP-7702 marker. */
const factory = z.union(
  [eip7702Marker, address],
  expecting(`${ADDRESS_FORM} or the EIP-7702 marker "0x7702"`),
);

const AUTH_FORM = "an EIP-7702 authorization { address, chainId, nonce, r, s, yParity }";

/** A 32-byte word (`r`, `s`), as a hex quantity or 32 bytes. */
const word = z
  .string(expecting("a 32-byte hex word"))
  .regex(QUANTITY)
  .transform((value) => numberToHex(BigInt(value), { size: 32 }));

/**
 * `eip7702Auth`: the sender's signed authorization (its first operation), as viem and alto write it (`address`, or
 * `contractAddress` as older clients do), into viem's `SignedAuthorization`.
 */
const eip7702Auth = z
  .object(
    {
      address: address.optional(),
      contractAddress: address.optional(),
      chainId: quantity(BigInt(Number.MAX_SAFE_INTEGER)),
      nonce: quantity(BigInt(Number.MAX_SAFE_INTEGER)),
      r: word,
      s: word,
      yParity: quantity(1n),
      v: z.unknown(),
    },
    { errorMap: () => ({ message: `must be ${AUTH_FORM}` }) },
  )
  .transform(({ address: delegate, contractAddress, chainId, nonce, r, s, yParity }, ctx) => {
    const target = delegate ?? contractAddress;
    if (target === undefined) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "must be the delegate's address" });
      return z.NEVER;
    }
    return {
      address: target,
      chainId: Number(chainId),
      nonce: Number(nonce),
      r,
      s,
      yParity: Number(yParity),
    } satisfies SignedAuthorization;
  });

/** The user operation (v0.7/v0.8 unpacked shape); gas fields missing in stub requests count as zero. */
const userOperation = z
  .object(
    {
      sender: address,
      nonce: quantity(),
      callData: bytes,
      // Packed by the EntryPoint into 128 bits each (accountGasLimits, gasFees): a larger value has no encoding.
      callGasLimit: optionalQuantity(UINT128_MAX, UINT128_LABEL),
      verificationGasLimit: optionalQuantity(UINT128_MAX, UINT128_LABEL),
      preVerificationGas: optionalQuantity(),
      maxFeePerGas: optionalQuantity(UINT128_MAX, UINT128_LABEL),
      maxPriorityFeePerGas: optionalQuantity(UINT128_MAX, UINT128_LABEL),
      factory: factory.nullish(),
      factoryData: bytes.optional(),
      initCode: z.unknown(),
      eip7702Auth: eip7702Auth.nullish(),
    },
    { errorMap: () => ({ message: "must be an object" }) },
  )
  .superRefine((op, ctx) => {
    if (op.initCode !== undefined && op.factory === undefined && op.initCode !== "0x") {
      ctx.addIssue({
        code: "custom",
        message:
          "userOp has initCode: EntryPoint v0.6 operations are not supported (use factory/factoryData)",
        params: { whole: true },
      });
    }
    if (op.factory === zeroAddress) {
      ctx.addIssue({
        code: "custom",
        path: ["factory"],
        message: "must not be the zero address: omit factory (or send null) once the account is deployed",
      });
    }
    // Without a factory the EntryPoint's initCode is empty: factory data alone would be dropped, not sent.
    if (
      (op.factory === undefined || op.factory === null) &&
      op.factoryData !== undefined &&
      op.factoryData !== "0x"
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["factoryData"],
        message: 'must be absent or "0x" without userOp.factory (give the factory that deploys the sender)',
      });
    }
  })
  .transform(
    ({ factory, factoryData, initCode: _initCode, eip7702Auth: auth, ...fields }): CreditUserOperation => {
      const op: CreditUserOperation =
        factory === undefined || factory === null
          ? fields
          : { ...fields, factory, factoryData: factoryData ?? "0x" };
      return auth === undefined || auth === null ? op : { ...op, authorization: auth };
    },
  );

/** A safe non-negative integer is accepted as a number too. */
function numberOrQuantity(max: bigint) {
  return z.preprocess(
    (value) =>
      typeof value === "number" && Number.isSafeInteger(value) && value >= 0
        ? `0x${value.toString(16)}`
        : value,
    quantity(max).nullish(),
  );
}

/**
 * The service's context: `{ mode: "SELF" | "SPONSORED", sponsor?, maxCredits? }`, or under a sponsor's policy
 * `{ sponsor, policyId, maxCredits? }` (`mode: "POLICY"` optional).
 */
const context = z
  .object(
    {
      mode: z.enum(["SELF", "SPONSORED", "POLICY"], expecting('"SELF", "SPONSORED" or "POLICY"')).optional(),
      sponsor: z.unknown(),
      policyId: numberOrQuantity(UINT64_MAX),
      maxCredits: numberOrQuantity(UINT64_MAX),
    },
    { errorMap: () => ({ message: `must be an object ${CONTEXT_FORM}` }) },
  )
  .transform(({ mode: given, sponsor, policyId, maxCredits }, ctx): CreditModeOptions => {
    const limit = maxCredits === undefined || maxCredits === null ? {} : { maxCredits };
    const hasPolicy = policyId !== undefined && policyId !== null;
    const mode = given ?? (hasPolicy ? "POLICY" : undefined);
    if (mode === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: 'must be "SELF" or "SPONSORED", or give policyId to be sponsored under a policy',
      });
      return z.NEVER;
    }
    if (mode !== "POLICY" && hasPolicy) {
      ctx.addIssue({ code: "custom", path: ["policyId"], message: `must be absent in mode "${mode}"` });
      return z.NEVER;
    }
    if (mode === "SELF") {
      if (sponsor !== undefined && sponsor !== null) {
        ctx.addIssue({ code: "custom", path: ["sponsor"], message: 'must be absent in mode "SELF"' });
      }
      return { mode, ...limit };
    }
    const parsed = address.safeParse(sponsor);
    if (!parsed.success) {
      ctx.addIssue({ code: "custom", path: ["sponsor"], message: parsed.error.issues[0].message });
      return z.NEVER;
    }
    if (parsed.data === zeroAddress) {
      ctx.addIssue({ code: "custom", path: ["sponsor"], message: "must not be the zero address" });
    }
    if (mode === "SPONSORED") return { mode, sponsor: parsed.data, ...limit };
    if (!hasPolicy || policyId === 0n) {
      ctx.addIssue({
        code: "custom",
        path: ["policyId"],
        message: "must be the sponsor's policy id (a positive integer, as a number or a hex quantity)",
      });
      return z.NEVER;
    }
    return { mode, sponsor: parsed.data, policyId, ...limit };
  });

const paymasterParams = z
  .array(z.unknown(), { errorMap: () => ({ message: "expected [userOp, entryPoint, chainId, context]" }) })
  .min(3)
  .max(4)
  // A missing context is reported as the context's problem.
  .transform(([userOp, entryPoint, chainId, mode]) => [userOp, entryPoint, chainId, mode])
  .pipe(z.tuple([userOperation, address, quantity(BigInt(Number.MAX_SAFE_INTEGER)), context]));

/** The name of the parameter at `path`, as messages print it. */
function fieldName(path: readonly (string | number)[]): string {
  const top = ["userOp (params[0])", "entryPoint (params[1])", "chainId (params[2])", "context (params[3])"];
  const root = ["userOp", "entryPoint", "chainId", "context"];
  if (path.length === 1) return top[Number(path[0])];
  return [root[Number(path[0])], ...path.slice(1)].join(".");
}

/** Parses `[userOp, entryPoint, chainId, context]`. */
export function parsePaymasterParams(params: unknown): PaymasterRequest {
  const parsed = paymasterParams.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const whole =
      issue.code === "custom" && (issue.params as { whole?: boolean } | undefined)?.whole === true;
    const message =
      issue.path.length === 0 || whole ? issue.message : `${fieldName(issue.path)} ${issue.message}`;
    throw invalidParams(message);
  }
  const [userOp, entryPoint, chainId, mode] = parsed.data as [
    CreditUserOperation,
    Address,
    bigint,
    CreditModeOptions,
  ];
  return { userOp, entryPoint, chainId: Number(chainId), mode };
}
