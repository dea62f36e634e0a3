/**
 * Revert data in errors and its decoding, for the client and the operator tasks: viem errors, ethers errors and
 * Hardhat's (which answer without an error code, so viem leaves them undecoded) all carry the data somewhere in
 * their cause chain.
 */
import { decodeErrorResult, isHex } from "viem";
import type { Abi, Hex } from "viem";

const NESTED = ["data", "error", "info", "cause", "parent"] as const;

/** The revert data (at least a 4-byte selector) nested in an error (`raw`, `data`, `error`, `info`, `cause`…). */
export function findRevertData(error: unknown, depth = 0): Hex | undefined {
  if (depth > 8 || typeof error !== "object" || error === null) return undefined;
  const record = error as Record<string, unknown>;
  for (const key of ["raw", "data"]) {
    const value = record[key];
    if (typeof value === "string" && isHex(value, { strict: true }) && value.length >= 10) return value;
  }
  for (const key of NESTED) {
    const found = findRevertData(record[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A decoded revert: the error's name, its arguments by name (`arg<i>` when unnamed), and their raw values. */
export interface DecodedRevertData {
  name: string;
  args: readonly { name: string; value: unknown }[];
  raw: readonly unknown[];
}

/** Decodes revert data with the errors of `abi`, plus `Error(string)` and `Panic(uint256)`; undefined if none fits. */
export function decodeRevertData(data: Hex, abi: Abi): DecodedRevertData | undefined {
  try {
    const { errorName, args, abiItem } = decodeErrorResult({ abi, data });
    const raw = (args ?? []) as readonly unknown[];
    const inputs = "inputs" in abiItem ? abiItem.inputs : [];
    return {
      name: errorName,
      args: raw.map((value, i) => ({ name: inputs[i]?.name || `arg${i}`, value })),
      raw,
    };
  } catch {
    return undefined;
  }
}
