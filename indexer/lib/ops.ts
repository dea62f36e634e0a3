/**
 * Pure helpers of the indexing functions: UTC days, the account whose call an operation made (its target), read
 * from the bundle transaction's `handleOps` input with the service's call decoder.
 */
import { decodeFunctionData, getAddress, isAddressEqual } from "viem";
import type { Address, Hex } from "viem";
import { entryPoint07Abi, getUserOperationHash } from "viem/account-abstraction";

import { decodeAccountCalls } from "../../src/service/calls";

/** The UTC day (`YYYY-MM-DD`) of a unix time in seconds. */
export function utcDay(timestamp: bigint | number): string {
  return new Date(Number(timestamp) * 1000).toISOString().slice(0, 10);
}

interface PackedOp {
  sender: Address;
  nonce: bigint;
  initCode: Hex;
  callData: Hex;
  accountGasLimits: Hex;
  preVerificationGas: bigint;
  gasFees: Hex;
  paymasterAndData: Hex;
  signature: Hex;
}

/** The operations of a `handleOps` call (v0.7 and v0.8 share its selector and types), or [] for other input. */
export function handleOpsOperations(input: Hex | undefined): PackedOp[] {
  if (input === undefined || input.length < 10) return [];
  try {
    const decoded = decodeFunctionData({ abi: entryPoint07Abi, data: input });
    if (decoded.functionName !== "handleOps") return [];
    return [...(decoded.args[0] as readonly PackedOp[])];
  } catch {
    return [];
  }
}

function unpackHigh(word: Hex): bigint {
  return BigInt(`0x${word.slice(2, 34)}`);
}
function unpackLow(word: Hex): bigint {
  return BigInt(`0x${word.slice(34, 66)}`);
}

/** viem's unpacked form of a packed operation, for {@link getUserOperationHash}. */
function unpacked(op: PackedOp) {
  const pmd = op.paymasterAndData;
  const hasPaymaster = pmd.length >= 2 + 52 * 2;
  const hasFactory = op.initCode.length >= 2 + 20 * 2;
  return {
    sender: op.sender,
    nonce: op.nonce,
    factory: hasFactory ? getAddress(`0x${op.initCode.slice(2, 42)}`) : undefined,
    factoryData: hasFactory ? (`0x${op.initCode.slice(42)}` as Hex) : undefined,
    callData: op.callData,
    verificationGasLimit: unpackHigh(op.accountGasLimits),
    callGasLimit: unpackLow(op.accountGasLimits),
    preVerificationGas: op.preVerificationGas,
    maxPriorityFeePerGas: unpackHigh(op.gasFees),
    maxFeePerGas: unpackLow(op.gasFees),
    paymaster: hasPaymaster ? getAddress(`0x${pmd.slice(2, 42)}`) : undefined,
    paymasterVerificationGasLimit: hasPaymaster ? BigInt(`0x${pmd.slice(42, 74)}`) : undefined,
    paymasterPostOpGasLimit: hasPaymaster ? BigInt(`0x${pmd.slice(74, 106)}`) : undefined,
    paymasterData: hasPaymaster ? (`0x${pmd.slice(106)}` as Hex) : undefined,
    signature: op.signature,
  };
}

/**
 * The contract an operation called (the first call of a batch; a call of the account to itself is unwrapped by the
 * decoder), or null when the bundle's input or the account's call data is not recognised. The operation is found
 * among the bundle's operations by sender; when the sender has several, by its userOpHash.
 */
export function operationTarget(
  input: Hex | undefined,
  op: { sender: Address; userOpHash: Hex; entryPoint: Address; version: "0.7" | "0.8"; chainId: number },
): Address | null {
  const candidates = handleOpsOperations(input).filter((o) => isAddressEqual(o.sender, op.sender));
  let found: PackedOp | undefined = candidates.length === 1 ? candidates[0] : undefined;
  if (candidates.length > 1) {
    found = candidates.find((o) => {
      try {
        return (
          getUserOperationHash({
            userOperation: unpacked(o),
            entryPointAddress: op.entryPoint,
            entryPointVersion: op.version,
            chainId: op.chainId,
          } as Parameters<typeof getUserOperationHash>[0]) === op.userOpHash
        );
      } catch {
        return false;
      }
    });
  }
  if (found === undefined) return null;
  const calls = decodeAccountCalls(found.sender, found.callData);
  if (!calls.ok || calls.calls.length === 0) return null;
  return getAddress(calls.calls[0].target);
}
