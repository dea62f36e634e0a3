/**
 * Validation of ERC-7677 parameters: `[userOp, entryPoint, chainId, context]`. Every shape problem becomes a
 * `-32602 Invalid params` error naming the offending field; nothing is coerced silently.
 */
import { getAddress, isAddress, isHex, zeroAddress } from "viem";
import type { Address, Hex } from "viem";

import type { CreditUserOperation } from "../client/credits";
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
const UINT256_MAX = (1n << 256n) - 1n;
/** A hex quantity; leading zeros are tolerated (some clients pad), an empty `0x` is not. */
const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON-RPC quantity (`0x`-prefixed hex), at most `max`. */
function quantity(name: string, value: unknown, max = UINT256_MAX): bigint {
  if (typeof value !== "string" || !QUANTITY.test(value)) {
    throw invalidParams(`${name} must be a hex quantity (e.g. "0x1a"), got ${JSON.stringify(value)}`);
  }
  const parsed = BigInt(value);
  if (parsed > max) throw invalidParams(`${name} = ${parsed} exceeds ${max}`);
  return parsed;
}

function optionalQuantity(name: string, value: unknown): bigint | undefined {
  return value === undefined || value === null ? undefined : quantity(name, value);
}

function address(name: string, value: unknown): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw invalidParams(`${name} must be a 20-byte hex address, got ${JSON.stringify(value)}`);
  }
  return getAddress(value);
}

function bytes(name: string, value: unknown): Hex {
  if (typeof value !== "string" || !isHex(value, { strict: true }) || value.length % 2 !== 0) {
    throw invalidParams(`${name} must be 0x-prefixed hex bytes, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The user operation (v0.7/v0.8 unpacked shape); gas fields missing in stub requests count as zero. */
function userOperation(value: unknown): CreditUserOperation {
  if (!isRecord(value)) throw invalidParams("userOp (params[0]) must be an object");
  if (value.initCode !== undefined && value.factory === undefined && value.initCode !== "0x") {
    throw invalidParams(
      "userOp has initCode: EntryPoint v0.6 operations are not supported (use factory/factoryData)",
    );
  }
  const op: CreditUserOperation = {
    sender: address("userOp.sender", value.sender),
    nonce: quantity("userOp.nonce", value.nonce),
    callData: bytes("userOp.callData", value.callData),
    callGasLimit: optionalQuantity("userOp.callGasLimit", value.callGasLimit) ?? 0n,
    verificationGasLimit: optionalQuantity("userOp.verificationGasLimit", value.verificationGasLimit) ?? 0n,
    preVerificationGas: optionalQuantity("userOp.preVerificationGas", value.preVerificationGas) ?? 0n,
    maxFeePerGas: optionalQuantity("userOp.maxFeePerGas", value.maxFeePerGas) ?? 0n,
    maxPriorityFeePerGas: optionalQuantity("userOp.maxPriorityFeePerGas", value.maxPriorityFeePerGas) ?? 0n,
  };
  if (value.factory !== undefined && value.factory !== null) {
    op.factory = address("userOp.factory", value.factory);
    op.factoryData = value.factoryData === undefined ? "0x" : bytes("userOp.factoryData", value.factoryData);
  }
  return op;
}

/** The service's context: `{ mode: "SELF" | "SPONSORED", sponsor?, maxCredits? }`. */
function context(value: unknown): CreditModeOptions {
  if (!isRecord(value)) {
    throw invalidParams(
      'context (params[3]) must be an object { mode: "SELF" | "SPONSORED", sponsor?, maxCredits? }',
    );
  }
  let maxCredits: bigint | undefined;
  if (value.maxCredits !== undefined && value.maxCredits !== null) {
    maxCredits =
      typeof value.maxCredits === "number" && Number.isSafeInteger(value.maxCredits) && value.maxCredits >= 0
        ? BigInt(value.maxCredits)
        : quantity("context.maxCredits", value.maxCredits, UINT64_MAX);
    if (maxCredits > UINT64_MAX)
      throw invalidParams(`context.maxCredits = ${maxCredits} exceeds ${UINT64_MAX}`);
  }
  if (value.mode === "SELF") {
    if (value.sponsor !== undefined && value.sponsor !== null) {
      throw invalidParams('context.sponsor must be absent in mode "SELF"');
    }
    return maxCredits === undefined ? { mode: "SELF" } : { mode: "SELF", maxCredits };
  }
  if (value.mode === "SPONSORED") {
    const sponsor = address("context.sponsor", value.sponsor);
    if (sponsor === zeroAddress) throw invalidParams("context.sponsor must not be the zero address");
    return maxCredits === undefined
      ? { mode: "SPONSORED", sponsor }
      : { mode: "SPONSORED", sponsor, maxCredits };
  }
  throw invalidParams(`context.mode must be "SELF" or "SPONSORED", got ${JSON.stringify(value.mode)}`);
}

/** Parses `[userOp, entryPoint, chainId, context]`. */
export function parsePaymasterParams(params: unknown): PaymasterRequest {
  if (!Array.isArray(params) || params.length < 3 || params.length > 4) {
    throw invalidParams("expected [userOp, entryPoint, chainId, context]");
  }
  const chainId = quantity("chainId (params[2])", params[2], BigInt(Number.MAX_SAFE_INTEGER));
  return {
    userOp: userOperation(params[0]),
    entryPoint: address("entryPoint (params[1])", params[1]),
    chainId: Number(chainId),
    mode: context(params[3]),
  };
}
