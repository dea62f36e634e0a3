/**
 * Types of the ERC-7562 validation-rules checker. Pure data: no Hardhat, no provider.
 */

/**
 * One step of an opcode-level (`structLogs`) trace, as `debug_traceCall` returns it. Hardhat returns `stack`
 * (bottom first, top last) and `memory` (32-byte words) as hex strings without `0x`; geth-style nodes add the
 * prefix. Both forms are accepted.
 */
export interface StructLog {
  readonly pc: number;
  readonly op: string;
  readonly depth: number;
  readonly gas: number;
  readonly gasCost: number;
  readonly stack?: readonly string[];
  readonly memory?: readonly string[];
  /** Hardhat: `{ message }`; geth: a string. */
  readonly error?: unknown;
}

/** The ERC-4337 entities whose validation code ERC-7562 constrains. */
export type Entity = "account" | "paymaster" | "factory";

/** One rule violation found in a validation trace. */
export interface Violation {
  /** ERC-7562 rule id, e.g. "OP-011", "OP-012", "STO-033". */
  readonly rule: string;
  /** The entity whose validation phase executed the offending step. */
  readonly entity: Entity;
  /** The offending opcode (e.g. "TIMESTAMP", "SSTORE", "TSTORE", "CALL"). */
  readonly opcode?: string;
  /**
   * Storage rules: the contract whose storage was touched (the storage context, so a DELEGATECALL's caller).
   * Call and EXTCODE* rules: the target address. Other opcode rules: the contract whose code ran the opcode.
   * Checksummed.
   */
  readonly address?: string;
  /** Storage rules: the slot, as a 32-byte hex string. */
  readonly slot?: string;
  /** Call depth of the offending step (1 = the EntryPoint's frame). */
  readonly depth: number;
  /** Program counter of the offending step. */
  readonly pc: number;
  /** Human-readable explanation. */
  readonly message: string;
}

/** What the checker needs to know about the UserOperation and its entities. */
export interface AnalyzeOptions {
  /** The EntryPoint the trace called (`handleOps`). */
  readonly entryPoint: string;
  /** `userOp.sender`. */
  readonly sender: string;
  /** The paymaster (first 20 bytes of `paymasterAndData`), if any. */
  readonly paymaster?: string;
  /** The factory (first 20 bytes of `initCode`), if the op deploys its account. */
  readonly factory?: string;
  /** Whether the paymaster is staked (ERC-7562 "staked entity"). */
  readonly paymasterStaked: boolean;
  /** Whether the factory is staked. Default false. */
  readonly factoryStaked?: boolean;
  /** Whether the account is staked. Default false. */
  readonly accountStaked?: boolean;
  /**
   * Precompiles validation code may call (OP-062). Default: the core precompiles 0x01..0x09. Add
   * "0x0000000000000000000000000000000000000100" on networks that accepted RIP-7212.
   */
  readonly allowedPrecompiles?: readonly string[];
  /**
   * Addresses whose code was an EIP-7702 delegation designation (`0xef0100 ‖ delegate`) when the trace ran
   * ({@link checkErc7562} finds them with `eth_getCode`). Such an address may only be the sender: used as the
   * paymaster or factory it violates AUTH-001, and any other entity's call or EXTCODE* on it violates AUTH-002.
   */
  readonly delegated?: readonly string[];
}

/** A validation frame the checker found (the EntryPoint calling into an entity). */
export interface EntityFrame {
  readonly entity: Entity;
  /** The entity's address. */
  readonly address: string;
  /** Call depth of the entity's frame. */
  readonly depth: number;
  /** Index in `structLogs` of the frame's first step. */
  readonly firstStep: number;
  /** Index in `structLogs` of the frame's last step (inclusive, nested calls included). */
  readonly lastStep: number;
}

/** Result of {@link analyzeValidation}. */
export interface AnalysisResult {
  readonly violations: Violation[];
  /**
   * The validation frames found, in execution order. Assert on it: a trace in which the expected frame is
   * missing (e.g. a wrong `paymaster` option) would otherwise trivially show no violation.
   */
  readonly frames: EntityFrame[];
}

/** A v0.7/v0.8 PackedUserOperation (structurally identical to the test helpers' type). */
export interface PackedUserOperationLike {
  readonly sender: string;
  readonly nonce: bigint;
  readonly initCode: string;
  readonly callData: string;
  readonly accountGasLimits: string;
  readonly preVerificationGas: bigint;
  readonly gasFees: string;
  readonly paymasterAndData: string;
  readonly signature: string;
}
