import { ethers, network } from "hardhat";

/** One step of Hardhat's `debug_traceTransaction` (stack bottom first; memory as 32-byte hex words). */
export interface StructLog {
  depth: number;
  op: string;
  pc: number;
  gas: number;
  gasCost: number;
  stack?: string[];
  memory?: string[];
}

/** Opcodes ERC-7562 forbids during validation (OP-011, OP-012 without a following CALL, OP-031 ...). */
export const BANNED_VALIDATION_OPCODES = new Set([
  "BASEFEE",
  "BLOBBASEFEE",
  "BLOBHASH",
  "BLOCKHASH",
  "COINBASE",
  "DIFFICULTY",
  "PREVRANDAO",
  "GASLIMIT",
  "GASPRICE",
  "NUMBER",
  "ORIGIN",
  "SELFBALANCE",
  "BALANCE",
  "TIMESTAMP",
  "CREATE",
  "CREATE2",
  "SELFDESTRUCT",
  "INVALID",
  "GAS",
]);

export async function traceTransaction(hash: string): Promise<StructLog[]> {
  const trace = (await network.provider.send("debug_traceTransaction", [hash])) as {
    structLogs: StructLog[];
  };
  return trace.structLogs;
}

function top(log: StructLog, n = 0): bigint {
  const stack = log.stack ?? [];
  return BigInt("0x" + stack[stack.length - 1 - n]);
}

function hex32(v: bigint): string {
  return ethers.toBeHex(v, 32);
}

/** The steps executed inside the call frames entered from `depth - 1` into `target` (by address). */
export function framesOf(logs: StructLog[], target: string): StructLog[] {
  const want = BigInt(target);
  const out: StructLog[] = [];
  for (let i = 0; i < logs.length; i++) {
    const op = logs[i].op;
    if ((op === "CALL" || op === "STATICCALL") && top(logs[i], 1) === want) {
      const depth = logs[i].depth + 1;
      let j = i + 1;
      while (j < logs.length && logs[j].depth >= depth) {
        if (logs[j].depth === depth) out.push(logs[j]);
        j++;
      }
      i = j - 1;
    }
  }
  return out;
}

/** keccak256 output -> preimage (0x-hex), recovered from the memory at each KECCAK256 in `logs` (one frame). */
export function keccakPreimages(frame: StructLog[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < frame.length; i++) {
    if (frame[i].op !== "KECCAK256") continue;
    const offset = Number(top(frame[i]));
    const size = Number(top(frame[i], 1));
    const memory = (frame[i].memory ?? []).join("");
    const preimage = "0x" + memory.slice(offset * 2, (offset + size) * 2);
    out.set(hex32(top(frame[i + 1])), preimage);
  }
  return out;
}

export interface StorageAccess {
  op: "SLOAD" | "SSTORE" | "TLOAD" | "TSTORE";
  slot: string;
}

/**
 * The distinct (opcode, slot) storage accesses of a frame, in order of first occurrence. Distinct, because
 * unoptimised builds (coverage) read the same slot several times where the optimiser reads it once.
 */
export function storageAccesses(frame: StructLog[]): StorageAccess[] {
  const seen = new Set<string>();
  const out: StorageAccess[] = [];
  for (const l of frame) {
    if (l.op !== "SLOAD" && l.op !== "SSTORE" && l.op !== "TLOAD" && l.op !== "TSTORE") continue;
    const access = { op: l.op, slot: hex32(top(l)) } as StorageAccess;
    const key = `${access.op}:${access.slot}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(access);
  }
  return out;
}

/**
 * The address a slot is associated with in the ERC-7562 sense: `slot == keccak256(A ‖ x) + n` with n < 128,
 * A being the 32-byte (left-padded) address that starts the preimage. Undefined when no preimage matches.
 */
export function associatedAddress(slot: string, preimages: Map<string, string>): string | undefined {
  const value = BigInt(slot);
  for (const [output, preimage] of preimages) {
    const n = value - BigInt(output);
    if (n < 0n || n >= 128n || preimage.length < 2 + 64) continue;
    const head = preimage.slice(2, 2 + 64);
    if (!head.startsWith("000000000000000000000000")) continue;
    return ethers.getAddress("0x" + head.slice(24));
  }
  return undefined;
}
