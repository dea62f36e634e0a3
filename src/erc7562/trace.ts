/**
 * Network side of the ERC-7562 checker: obtains the opcode-level trace of `handleOps([op])` with
 * `debug_traceCall`, and reads entities' stakes. Works with any provider exposing JSON-RPC `send`
 * (hardhat-ethers' provider in-process, or ethers' `JsonRpcProvider` on a separate `hardhat node`).
 */
import { Contract, Interface, getAddress, toBeHex } from "ethers";
import type { ContractRunner } from "ethers";

import type { PackedUserOperationLike, StructLog } from "./types";

/** Anything that can send a JSON-RPC request. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Where `debug_traceCall` goes: a provider with `send` (e.g. hardhat-ethers' in-process provider), or the
 * HTTP URL of a node. An ethers `JsonRpcProvider` is recognised and its URL is used directly, because
 * ethers buffers HTTP responses with a quadratic copy: a 20 MB trace then takes minutes instead of a second.
 */
export type TraceTransport = RpcSender | string;

/** What to trace. */
export interface TraceValidationRequest {
  /** The EntryPoint (v0.7 or v0.8: `handleOps` has the same ABI). */
  readonly entryPoint: string;
  /** The UserOperation, signed as it would be submitted. */
  readonly op: PackedUserOperationLike;
  /** `handleOps` beneficiary; defaults to `from`. */
  readonly beneficiary?: string;
  /** The funded EOA the call is made from; defaults to the node's first account (`eth_accounts[0]`). */
  readonly from?: string;
  /** Gas limit of the traced call. Default 10,000,000 (below Hardhat's 2^24 per-transaction cap). */
  readonly gas?: bigint;
  /** Block to trace against. Default "latest". */
  readonly blockTag?: string;
}

/** `debug_traceCall` result. */
export interface ValidationTrace {
  /** Opcode-level steps, with stack and memory. */
  readonly structLogs: StructLog[];
  /** Whether `handleOps` reverted (e.g. `FailedOp`: the op failed validation). */
  readonly failed: boolean;
  /** Return or revert data, 0x-prefixed ("0x" when empty). */
  readonly returnValue: string;
  /** Gas used by the call. */
  readonly gas: number;
}

const ENTRY_POINT_ABI = new Interface([
  "function handleOps((address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData,bytes signature)[] ops, address beneficiary)",
  "function getDepositInfo(address account) view returns ((uint256 deposit,bool staked,uint112 stake,uint32 unstakeDelaySec,uint48 withdrawTime) info)",
]);

/** The tracer options sent: Hardhat's names plus geth's `enableMemory` (Hardhat ignores unknown keys). */
export const TRACE_CONFIG = {
  disableStorage: true,
  disableStack: false,
  disableMemory: false,
  enableMemory: true,
};

const DEFAULT_TRACE_GAS = 10_000_000n;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function toNumber(value: unknown, field: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") return Number(value);
  throw new TypeError(`debug_traceCall: structLog field ${field} is not a number`);
}

/** Validates and normalises a raw `debug_traceCall` response. */
export function parseTraceResponse(raw: unknown): ValidationTrace {
  if (!isRecord(raw) || !Array.isArray(raw.structLogs)) {
    throw new TypeError(
      "debug_traceCall: response has no structLogs (does the node support opcode tracing?)",
    );
  }
  const structLogs = raw.structLogs.map((entry: unknown, index: number): StructLog => {
    if (!isRecord(entry) || typeof entry.op !== "string") {
      throw new TypeError(`debug_traceCall: structLogs[${index}] is malformed`);
    }
    if (!isStringArray(entry.stack) || !isStringArray(entry.memory)) {
      throw new TypeError(
        `debug_traceCall: structLogs[${index}] lacks stack or memory; the node must return both (TRACE_CONFIG)`,
      );
    }
    return {
      pc: toNumber(entry.pc, "pc"),
      op: entry.op,
      depth: toNumber(entry.depth, "depth"),
      gas: toNumber(entry.gas, "gas"),
      gasCost: toNumber(entry.gasCost, "gasCost"),
      stack: entry.stack,
      memory: entry.memory,
      error: entry.error,
    };
  });
  const returnValue = typeof raw.returnValue === "string" ? raw.returnValue : "";
  return {
    structLogs,
    failed: raw.failed === true,
    returnValue: returnValue.startsWith("0x") ? returnValue : `0x${returnValue}`,
    gas: typeof raw.gas === "number" ? raw.gas : 0,
  };
}

/** The HTTP URL behind an ethers `JsonRpcProvider`, or null for any other sender. */
function httpUrlOf(sender: RpcSender): string | null {
  const candidate = sender as RpcSender & { _getConnection?: unknown };
  if (typeof candidate._getConnection !== "function") return null;
  const connection: unknown = (candidate as { _getConnection(): unknown })._getConnection();
  if (!isRecord(connection) || typeof connection.url !== "string") return null;
  return /^https?:\/\//i.test(connection.url) ? connection.url : null;
}

/** One JSON-RPC request over `transport` (plain `fetch` when an HTTP URL is known). */
async function rpc(transport: TraceTransport, method: string, params: unknown[]): Promise<unknown> {
  const url = typeof transport === "string" ? transport : httpUrlOf(transport);
  if (url === null) {
    return (transport as RpcSender).send(method, params);
  }
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  if (!response.ok) {
    throw new Error(`${method}: HTTP ${response.status} ${response.statusText} from ${url}`);
  }
  const body: unknown = await response.json();
  if (!isRecord(body)) {
    throw new TypeError(`${method}: malformed JSON-RPC response from ${url}`);
  }
  if (body.error !== undefined && body.error !== null) {
    throw new Error(`${method} failed: ${JSON.stringify(body.error)}`);
  }
  return body.result;
}

/**
 * Traces `entryPoint.handleOps([op], beneficiary)` as a call from a funded EOA with `debug_traceCall`
 * (opcode logger, stack and memory on) and returns the normalised `structLogs`. Nothing is mined.
 * @param transport an in-process provider (hardhat-ethers), an ethers `JsonRpcProvider`, or a node's URL.
 */
export async function traceValidation(
  transport: TraceTransport,
  request: TraceValidationRequest,
): Promise<ValidationTrace> {
  let from = request.from;
  if (from === undefined) {
    const accounts = await rpc(transport, "eth_accounts", []);
    if (!isStringArray(accounts) || accounts.length === 0) {
      throw new Error("traceValidation: the node has no unlocked account; pass `from` (a funded EOA)");
    }
    from = accounts[0];
  }
  const data = ENTRY_POINT_ABI.encodeFunctionData("handleOps", [[request.op], request.beneficiary ?? from]);
  const call = {
    from: getAddress(from),
    to: getAddress(request.entryPoint),
    data,
    gas: toBeHex(request.gas ?? DEFAULT_TRACE_GAS),
  };
  const raw = await rpc(transport, "debug_traceCall", [call, request.blockTag ?? "latest", TRACE_CONFIG]);
  return parseTraceResponse(raw);
}

/** An entity's stake as the EntryPoint records it. */
export interface StakeInfo {
  readonly stake: bigint;
  readonly unstakeDelaySec: bigint;
  /** Stake locked (not unlocking). */
  readonly locked: boolean;
}

/** ERC-7562 staking thresholds: `MIN_UNSTAKE_DELAY` is 1 day; `MIN_STAKE_VALUE` is chain-specific. */
export interface StakeRequirement {
  readonly minStake: bigint;
  readonly minUnstakeDelaySec: bigint;
}

/** Defaults of {@link isStaked}: 1 wei (any stake, as in local tests) and ERC-7562's 86,400 s delay. */
export const DEFAULT_STAKE_REQUIREMENT: StakeRequirement = { minStake: 1n, minUnstakeDelaySec: 86_400n };

/** Reads `entity`'s stake from `entryPoint.getDepositInfo` (same layout in v0.7 and v0.8). */
export async function getStakeInfo(
  runner: ContractRunner,
  entryPoint: string,
  entity: string,
): Promise<StakeInfo> {
  const contract = new Contract(entryPoint, ENTRY_POINT_ABI, runner);
  const info: unknown = await contract.getFunction("getDepositInfo").staticCall(entity);
  if (!Array.isArray(info) || info.length < 5) {
    throw new TypeError("getDepositInfo returned an unexpected value");
  }
  const [, staked, stake, unstakeDelaySec] = info as unknown[];
  if (typeof staked !== "boolean" || typeof stake !== "bigint" || typeof unstakeDelaySec !== "bigint") {
    throw new TypeError("getDepositInfo returned an unexpected value");
  }
  return { stake, unstakeDelaySec, locked: staked };
}

/** Whether `entity` is an ERC-7562 "staked entity" on `entryPoint` under `requirement`. */
export async function isStaked(
  runner: ContractRunner,
  entryPoint: string,
  entity: string,
  requirement: StakeRequirement = DEFAULT_STAKE_REQUIREMENT,
): Promise<boolean> {
  const info = await getStakeInfo(runner, entryPoint, entity);
  return (
    info.locked &&
    info.stake >= requirement.minStake &&
    info.unstakeDelaySec >= requirement.minUnstakeDelaySec
  );
}
