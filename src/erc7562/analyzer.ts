/**
 * ERC-7562 validation-rules checker over an opcode-level (`structLogs`) trace of `handleOps`.
 *
 * Pure: the input is the trace and the op's entities, the output is the list of violations. It never
 * touches a node, so it runs the same on traces from Hardhat, from a `hardhat node`, or from a file.
 */
import { getAddress, getCreate2Address, id, keccak256, toBeHex } from "ethers";

import { buildKeccakIndex, isAssociatedSlot, toAddressKey } from "./association";
import type { KeccakIndex, KeccakRecord } from "./association";
import type { AnalysisResult, AnalyzeOptions, Entity, EntityFrame, StructLog, Violation } from "./types";

/** OP-011: opcodes that read the environment (or create/destroy) and are banned in validation. */
export const BANNED_OPCODES: ReadonlySet<string> = new Set([
  "ORIGIN",
  "GASPRICE",
  "BLOCKHASH",
  "COINBASE",
  "TIMESTAMP",
  "NUMBER",
  "DIFFICULTY",
  "PREVRANDAO",
  "GASLIMIT",
  "BASEFEE",
  "BLOBHASH",
  "BLOBBASEFEE",
  "CREATE",
  "INVALID",
  "SELFDESTRUCT",
]);

/** OP-080: allowed only in the validation of a staked entity. */
export const STAKED_ONLY_OPCODES: ReadonlySet<string> = new Set(["BALANCE", "SELFBALANCE"]);

const CALL_OPCODES: ReadonlySet<string> = new Set(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"]);
const STORAGE_OPCODES: ReadonlySet<string> = new Set(["SLOAD", "SSTORE", "TLOAD", "TSTORE"]);
const EXTCODE_OPCODES: ReadonlySet<string> = new Set(["EXTCODESIZE", "EXTCODEHASH", "EXTCODECOPY"]);
const KECCAK_OPCODES: ReadonlySet<string> = new Set(["KECCAK256", "SHA3"]);
/** Opcodes that end a frame normally (INVALID is banned by OP-011 on its own). */
const HALTING_OPCODES: ReadonlySet<string> = new Set(["STOP", "RETURN", "REVERT", "SELFDESTRUCT", "INVALID"]);

/** `bytes4` selectors the checker recognises (identical in EntryPoint v0.7 and v0.8). */
const PACKED_USER_OP = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)";
export const SELECTORS = {
  validateUserOp: id(`validateUserOp(${PACKED_USER_OP},bytes32,uint256)`).slice(0, 10),
  validatePaymasterUserOp: id(`validatePaymasterUserOp(${PACKED_USER_OP},bytes32,uint256)`).slice(0, 10),
  createSender: id("createSender(bytes)").slice(0, 10),
  depositTo: id("depositTo(address)").slice(0, 10),
} as const;

/** topic0 of `BeforeExecution()`: the EntryPoint emits it once every op of the bundle is validated. */
const BEFORE_EXECUTION_TOPIC = BigInt(id("BeforeExecution()"));

/** keccak256 of empty code: EXTCODEHASH of an existing account without code. */
const EMPTY_CODE_HASH = BigInt(keccak256("0x"));

/** Addresses of the precompiles known up to Prague (0x01..0x11) and RIP-7212's P256VERIFY (0x100). */
const KNOWN_PRECOMPILES: ReadonlySet<bigint> = new Set([
  ...Array.from({ length: 0x11 }, (_, i) => BigInt(i + 1)),
  0x100n,
]);

/** OP-062 default: the core precompiles 0x01..0x09. */
const DEFAULT_ALLOWED_PRECOMPILES: readonly bigint[] = Array.from({ length: 9 }, (_, i) => BigInt(i + 1));

const MAX_MEMORY_READ = 1 << 20;

interface StorageContext {
  /** Lower-case address, or null while a CREATE's address is not known yet. */
  address: string | null;
}

interface EntityContext {
  readonly entity: Entity;
  /** Lower-case address of the entity. */
  readonly address: string;
  readonly staked: boolean;
  readonly record: { firstStep: number; lastStep: number; depth: number };
  create2Count: number;
}

interface Frame {
  readonly depth: number;
  /** Lower-case address whose code runs, or null for a CREATE frame until it returns. */
  codeAddress: string | null;
  readonly storage: StorageContext;
  readonly context: EntityContext | null;
  readonly isSenderCreator: boolean;
  /** For CREATE frames: resolved from the creator's stack once the frame returns. */
  readonly resolvesOnReturn: boolean;
  /** Set when this frame is the entry of an entity's validation. */
  readonly opensEntity: boolean;
  /** Index of the last step executed in this frame itself (-1 before its first step). */
  lastStep: number;
}

interface StorageAccess {
  readonly context: EntityContext;
  readonly storage: StorageContext;
  readonly slot: bigint;
  readonly write: boolean;
  readonly transient: boolean;
  readonly opcode: string;
  readonly depth: number;
  readonly pc: number;
}

function stripHex(hex: string): string {
  return hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
}

/** The `k`-th stack item from the top (0 = top) of a step, as a bigint. */
function stackItem(step: StructLog, k: number): bigint {
  const stack = step.stack;
  if (stack === undefined) {
    throw new Error(`analyzeValidation: step at pc ${step.pc} has no stack (trace with disableStack?)`);
  }
  const item = stack[stack.length - 1 - k];
  if (item === undefined) {
    throw new Error(`analyzeValidation: ${step.op} at pc ${step.pc} has fewer than ${k + 1} stack items`);
  }
  const hex = stripHex(item);
  return hex.length === 0 ? 0n : BigInt(`0x${hex}`);
}

/** `size` bytes of memory at `offset`, as hex without 0x; memory beyond the recorded words reads as zero. */
function readMemory(step: StructLog, offset: bigint, size: number): string {
  if (size <= 0) return "";
  const memory = step.memory;
  if (memory === undefined) {
    throw new Error(`analyzeValidation: step at pc ${step.pc} has no memory (trace with disableMemory?)`);
  }
  const bounded = Math.min(size, MAX_MEMORY_READ);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER - bounded)) return "00".repeat(bounded);
  const start = Number(offset);
  const firstWord = Math.floor(start / 32);
  const lastWord = Math.floor((start + bounded - 1) / 32);
  let words = "";
  for (let w = firstWord; w <= lastWord; w++) {
    const word = memory[w];
    words += word === undefined ? "0".repeat(64) : stripHex(word).padStart(64, "0");
  }
  const skip = (start - firstWord * 32) * 2;
  return words.slice(skip, skip + bounded * 2);
}

function errorMessage(error: unknown): string | null {
  if (typeof error === "string") return error;
  if (
    typeof error === "object" &&
    error !== null &&
    "message" in error &&
    typeof error.message === "string"
  ) {
    return error.message;
  }
  return null;
}

function checksum(address: string): string {
  return getAddress(address);
}

function slotHex(slot: bigint): string {
  return toBeHex(slot, 32);
}

/**
 * Checks the validation part of a `handleOps` trace against the ERC-7562 opcode and storage rules.
 *
 * Frames: the EntryPoint's own frame calling `validateUserOp` on the sender opens the account's frame;
 * calling `validatePaymasterUserOp` on the paymaster opens the paymaster's; the SenderCreator (called with
 * `createSender`) calling the factory opens the factory's. Everything executed inside those frames,
 * nested calls included, is checked and attributed to that entity. Analysis stops at the EntryPoint's
 * `BeforeExecution` event, which separates the validation loop from the execution loop.
 *
 * Rules: OP-011 (banned opcodes, incl. BLOBHASH/BLOBBASEFEE), OP-012 (GAS not immediately followed by a
 * *CALL), OP-020 (a frame that ran out of gas), OP-031 (CREATE2 other than the
 * factory's single deployment of the sender), OP-032 (CREATE allowed only to the sender itself when there
 * is a factory), OP-041/042 (CALL/EXTCODESIZE/EXTCODEHASH on an address without code, except the sender in
 * the factory), OP-051..054 (EntryPoint access: EXTCODESIZE, `depositTo(sender)` from the account or
 * factory, the fallback from the account), OP-061 (CALL with value other than to the EntryPoint), OP-062
 * (precompiles), OP-070 (TLOAD/TSTORE under the storage rules), OP-080 (BALANCE/SELFBALANCE only when
 * staked), STO-010, STO-021/022, STO-031/032/033, and the EIP-7702 rules eth-infinitism adds to ERC-7562 in
 * "Using EIP-7702 accounts with ERC-4337": AUTH-001 (a delegated EOA may be used only as the sender, not as the
 * paymaster or factory) and AUTH-002 (validation may call or EXTCODE* a delegated EOA only if it is the sender;
 * its code is mutable by its key, so it is treated like unassociated storage even for staked entities). A
 * delegated sender itself is an ordinary account: its frame runs the delegate's code on the sender's storage.
 */
export function analyzeValidation(structLogs: readonly StructLog[], options: AnalyzeOptions): AnalysisResult {
  const entryPoint = options.entryPoint.toLowerCase();
  const sender = options.sender.toLowerCase();
  const paymaster = options.paymaster?.toLowerCase();
  let factory = options.factory?.toLowerCase();
  const delegated = new Set((options.delegated ?? []).map((address) => address.toLowerCase()));
  const allowedPrecompiles = new Set(
    options.allowedPrecompiles === undefined
      ? DEFAULT_ALLOWED_PRECOMPILES
      : options.allowedPrecompiles.map((address) => BigInt(address)),
  );
  const stakeOf = (entity: Entity): boolean => {
    switch (entity) {
      case "paymaster":
        return options.paymasterStaked;
      case "factory":
        return options.factoryStaked ?? false;
      case "account":
        return options.accountStaked ?? false;
    }
  };

  const violations: Violation[] = [];
  const seen = new Set<string>();
  const report = (violation: Violation): void => {
    const key = [
      violation.rule,
      violation.entity,
      violation.opcode,
      violation.address,
      violation.slot,
      violation.depth,
      violation.pc,
    ].join("|");
    if (seen.has(key)) return;
    seen.add(key);
    violations.push(violation);
  };

  const frames: EntityFrame[] = [];
  const openRecords: { entity: Entity; address: string; record: EntityContext["record"] }[] = [];
  const keccaks: KeccakRecord[] = [];
  const accesses: StorageAccess[] = [];

  const first = structLogs[0];
  if (first === undefined) return { violations, frames };
  const stack: Frame[] = [
    {
      depth: first.depth,
      codeAddress: entryPoint,
      storage: { address: entryPoint },
      context: null,
      isSenderCreator: false,
      resolvesOnReturn: false,
      opensEntity: false,
      lastStep: -1,
    },
  ];

  const openEntity = (entity: Entity, address: string, depth: number, firstStep: number): EntityContext => {
    const record = { firstStep, lastStep: firstStep, depth };
    openRecords.push({ entity, address, record });
    return { entity, address, staked: stakeOf(entity), record, create2Count: 0 };
  };

  const popFrame = (stepIndex: number): void => {
    const frame = stack.pop();
    if (frame === undefined) return;
    if (frame.resolvesOnReturn) {
      // After a CREATE returns, the creator's stack top is the new address (0 on failure).
      const step = structLogs[stepIndex];
      const created = step === undefined ? 0n : stackItem(step, 0);
      if (created !== 0n) {
        frame.storage.address = toAddressKey(created);
        frame.codeAddress = frame.storage.address;
      }
    }
    if (frame.opensEntity && frame.context !== null) {
      frame.context.record.lastStep = stepIndex - 1;
    }
    const last = structLogs[frame.lastStep];
    if (frame.context !== null && last !== undefined && !HALTING_OPCODES.has(last.op)) {
      // A frame that stops on a non-halting opcode halted exceptionally; it ran out of gas when the node
      // says so or when the step could not be paid (Hardhat caps the reported cost at the gas left).
      const message = errorMessage(last.error);
      if ((message !== null && /out of gas/i.test(message)) || last.gasCost >= last.gas) {
        const here = frame.codeAddress ?? frame.storage.address;
        report({
          rule: "OP-020",
          entity: frame.context.entity,
          opcode: last.op,
          address: here === null ? undefined : checksum(here),
          depth: last.depth,
          pc: last.pc,
          message: `${frame.context.entity} validation ran out of gas at ${last.op} in ${here === null ? "a contract under construction" : checksum(here)}`,
        });
      }
    }
  };

  let lastIndex = structLogs.length - 1;
  for (let i = 0; i < structLogs.length; i++) {
    const step = structLogs[i];
    while (stack.length > 1 && stack[stack.length - 1].depth > step.depth) popFrame(i);
    const frame = stack[stack.length - 1];
    const next: StructLog | undefined = structLogs[i + 1];
    const op = step.op;
    const ctx = frame.context;
    frame.lastStep = i;
    const inEntryPointCode =
      ctx === null && frame.codeAddress === entryPoint && frame.storage.address === entryPoint;

    if (KECCAK_OPCODES.has(op)) {
      const length = stackItem(step, 1);
      if (length >= 32n && next !== undefined && next.depth === step.depth) {
        keccaks.push({
          length: length > BigInt(MAX_MEMORY_READ) ? MAX_MEMORY_READ : Number(length),
          head: readMemory(step, stackItem(step, 0), 32),
          hash: toBeHex(stackItem(next, 0), 32),
        });
      }
    }

    if (inEntryPointCode && op === "LOG1" && stackItem(step, 2) === BEFORE_EXECUTION_TOPIC) {
      lastIndex = i;
      break;
    }

    if (ctx !== null) {
      const here = frame.codeAddress ?? frame.storage.address;
      const base = { entity: ctx.entity, opcode: op, depth: step.depth, pc: step.pc };
      const where = here === null ? "a contract under construction" : checksum(here);

      if (BANNED_OPCODES.has(op)) {
        const senderCreatesItself =
          op === "CREATE" &&
          ctx.entity === "account" &&
          frame.storage.address === sender &&
          factory !== undefined;
        if (!senderCreatesItself) {
          report({
            ...base,
            rule: "OP-011",
            address: here === null ? undefined : checksum(here),
            message: `${ctx.entity} validation uses banned opcode ${op} in ${where}`,
          });
        }
      }
      if (STAKED_ONLY_OPCODES.has(op) && !ctx.staked) {
        report({
          ...base,
          rule: "OP-080",
          address: here === null ? undefined : checksum(here),
          message: `unstaked ${ctx.entity} validation uses ${op} in ${where}`,
        });
      }
      if (op === "GAS" && !(next !== undefined && next.depth === step.depth && CALL_OPCODES.has(next.op))) {
        report({
          ...base,
          rule: "OP-012",
          address: here === null ? undefined : checksum(here),
          message: `${ctx.entity} validation uses GAS not immediately followed by a *CALL (next: ${next?.op ?? "end"}) in ${where}`,
        });
      }
      if (STORAGE_OPCODES.has(op)) {
        accesses.push({
          context: ctx,
          storage: frame.storage,
          slot: stackItem(step, 0),
          write: op === "SSTORE" || op === "TSTORE",
          transient: op === "TLOAD" || op === "TSTORE",
          opcode: op,
          depth: step.depth,
          pc: step.pc,
        });
      }
      if (EXTCODE_OPCODES.has(op)) {
        const target = toAddressKey(stackItem(step, 0));
        if (delegated.has(target) && target !== sender) {
          report({
            ...base,
            rule: "AUTH-002",
            address: checksum(target),
            message: `${ctx.entity} validation uses ${op} on ${checksum(target)}, an EIP-7702 delegated EOA that is not the sender`,
          });
        }
        if (target === entryPoint) {
          if (op !== "EXTCODESIZE") {
            report({
              ...base,
              rule: "OP-054",
              address: checksum(target),
              message: `${ctx.entity} validation uses ${op} on the EntryPoint (only EXTCODESIZE is allowed, OP-051)`,
            });
          }
        } else if (
          !(target === sender && ctx.entity === "factory") &&
          !KNOWN_PRECOMPILES.has(BigInt(target))
        ) {
          const result = next !== undefined && next.depth === step.depth ? stackItem(next, 0) : null;
          const noCode =
            (op === "EXTCODESIZE" && result === 0n) ||
            (op === "EXTCODEHASH" && (result === 0n || result === EMPTY_CODE_HASH));
          if (noCode) {
            report({
              ...base,
              rule: "OP-041",
              address: checksum(target),
              message: `${ctx.entity} validation uses ${op} on ${checksum(target)}, which has no code`,
            });
          }
        }
      }
    }

    if (CALL_OPCODES.has(op)) {
      const target = toAddressKey(stackItem(step, 1));
      const hasValue = op === "CALL" || op === "CALLCODE";
      const value = hasValue ? stackItem(step, 2) : 0n;
      const argsOffset = stackItem(step, hasValue ? 3 : 2);
      const argsSize = stackItem(step, hasValue ? 4 : 3);
      const selector = argsSize >= 4n ? `0x${readMemory(step, argsOffset, 4)}` : "0x";
      const entered = next !== undefined && next.depth === step.depth + 1;

      let context = ctx;
      let opensEntity = false;
      let isSenderCreator = false;
      if (inEntryPointCode) {
        if (target === sender && selector === SELECTORS.validateUserOp) {
          context = openEntity("account", sender, step.depth + 1, i + 1);
          opensEntity = true;
        } else if (
          paymaster !== undefined &&
          target === paymaster &&
          selector === SELECTORS.validatePaymasterUserOp
        ) {
          context = openEntity("paymaster", paymaster, step.depth + 1, i + 1);
          opensEntity = true;
        } else if (selector === SELECTORS.createSender) {
          isSenderCreator = true;
        }
      } else if (ctx === null && frame.isSenderCreator) {
        // The SenderCreator's only call is to the factory named in initCode.
        factory ??= target;
        context = openEntity("factory", target, step.depth + 1, i + 1);
        opensEntity = true;
      }
      if (opensEntity && context !== null && context.entity !== "account" && delegated.has(target)) {
        report({
          entity: context.entity,
          opcode: op,
          depth: step.depth,
          pc: step.pc,
          address: checksum(target),
          rule: "AUTH-001",
          message: `the ${context.entity} ${checksum(target)} is an EIP-7702 delegated EOA; a delegated EOA may only be a UserOperation's sender`,
        });
      }

      if (ctx !== null) {
        const base = {
          entity: ctx.entity,
          opcode: op,
          depth: step.depth,
          pc: step.pc,
          address: checksum(target),
        };
        if (target === entryPoint) {
          const isDepositToSender =
            selector === SELECTORS.depositTo &&
            argsSize >= 36n &&
            toAddressKey(BigInt(`0x${readMemory(step, argsOffset + 4n, 32)}`)) === sender;
          const allowed =
            (isDepositToSender && (ctx.entity === "account" || ctx.entity === "factory")) ||
            (argsSize === 0n && ctx.entity === "account");
          if (!allowed) {
            report({
              ...base,
              rule: "OP-054",
              message: `${ctx.entity} validation calls the EntryPoint (${selector}); only depositTo(sender) from the account or factory and the fallback from the account are allowed`,
            });
          }
        } else {
          if (delegated.has(target) && target !== sender) {
            report({
              ...base,
              rule: "AUTH-002",
              message: `${ctx.entity} validation uses ${op} on ${checksum(target)}, an EIP-7702 delegated EOA that is not the sender`,
            });
          }
          if (value !== 0n) {
            report({
              ...base,
              rule: "OP-061",
              message: `${ctx.entity} validation sends ${value} wei with ${op} to ${checksum(target)}`,
            });
          }
          const targetNumber = BigInt(target);
          if (KNOWN_PRECOMPILES.has(targetNumber)) {
            if (!allowedPrecompiles.has(targetNumber)) {
              report({
                ...base,
                rule: "OP-062",
                message: `${ctx.entity} validation calls precompile ${checksum(target)}, which is not allowed`,
              });
            }
          } else if (!entered && !(target === sender && ctx.entity === "factory")) {
            report({
              ...base,
              rule: "OP-041",
              message: `${ctx.entity} validation uses ${op} on ${checksum(target)}, which has no code`,
            });
          }
        }
      }

      if (entered) {
        const delegated = op === "DELEGATECALL" || op === "CALLCODE";
        stack.push({
          depth: step.depth + 1,
          codeAddress: target,
          storage: delegated ? frame.storage : { address: target },
          context,
          isSenderCreator,
          resolvesOnReturn: false,
          opensEntity,
          lastStep: -1,
        });
      } else if (opensEntity && context !== null) {
        // The entity has no code: the frame is empty.
        context.record.lastStep = i;
      }
    }

    if (op === "CREATE" || op === "CREATE2") {
      let created: string | null = null;
      if (op === "CREATE2" && frame.storage.address !== null) {
        const size = stackItem(step, 2);
        const initCode = readMemory(
          step,
          stackItem(step, 1),
          size > BigInt(MAX_MEMORY_READ) ? 0 : Number(size),
        );
        created = getCreate2Address(
          checksum(frame.storage.address),
          toBeHex(stackItem(step, 3), 32),
          keccak256(`0x${initCode}`),
        ).toLowerCase();
      }
      if (ctx !== null && op === "CREATE2") {
        ctx.create2Count += 1;
        const deploysSender = ctx.entity === "factory" && ctx.create2Count === 1 && created === sender;
        if (!deploysSender) {
          report({
            entity: ctx.entity,
            opcode: op,
            depth: step.depth,
            pc: step.pc,
            rule: "OP-031",
            address: created === null ? undefined : checksum(created),
            message:
              ctx.entity === "factory"
                ? `factory uses CREATE2 other than once to deploy the sender (created ${created ?? "unknown"})`
                : `${ctx.entity} validation uses CREATE2`,
          });
        }
      }
      if (next !== undefined && next.depth === step.depth + 1) {
        stack.push({
          depth: step.depth + 1,
          codeAddress: created,
          storage: { address: created },
          context: ctx,
          isSenderCreator: false,
          resolvesOnReturn: created === null,
          opensEntity: false,
          lastStep: -1,
        });
      }
    }
  }
  while (stack.length > 1) popFrame(lastIndex + 1);

  for (const { entity, address, record } of openRecords) {
    frames.push({
      entity,
      address: checksum(address),
      depth: record.depth,
      firstStep: record.firstStep,
      lastStep: Math.max(record.firstStep, record.lastStep),
    });
  }

  const index = buildKeccakIndex(keccaks);
  for (const access of accesses) {
    const violation = checkStorageAccess(access, { entryPoint, sender, paymaster, factory, stakeOf, index });
    if (violation !== null) report(violation);
  }
  return { violations, frames };
}

interface StorageRuleInputs {
  readonly entryPoint: string;
  readonly sender: string;
  readonly paymaster: string | undefined;
  readonly factory: string | undefined;
  readonly stakeOf: (entity: Entity) => boolean;
  readonly index: KeccakIndex;
}

/** STO-010, STO-021/022, STO-031/032/033 (and OP-070: transient slots follow the same rules). */
function checkStorageAccess(access: StorageAccess, inputs: StorageRuleInputs): Violation | null {
  const { context, slot, write, transient, opcode, depth, pc } = access;
  const storageAddress = access.storage.address;
  // The EntryPoint's own storage (deposits) is only reachable through calls, which OP-052..054 govern.
  if (storageAddress === null || storageAddress === inputs.entryPoint) return null;
  // [STO-010] the account's own storage.
  if (storageAddress === inputs.sender) return null;

  const kind = `${transient ? "transient " : ""}${write ? "write to" : "read of"}`;
  const base = {
    entity: context.entity,
    opcode,
    address: checksum(storageAddress),
    slot: slotHex(slot),
    depth,
    pc,
  };
  const where = `${checksum(storageAddress)} slot ${slotHex(slot)}${transient ? " (transient, OP-070)" : ""}`;

  // [STO-021] slots associated with the sender, in any contract, once the account exists;
  // [STO-022] during its creation only if the factory (or the accessing entity) is staked.
  if (isAssociatedSlot(slot, inputs.sender, inputs.index)) {
    if (inputs.factory === undefined || inputs.stakeOf("factory") || context.staked) return null;
    return {
      ...base,
      rule: "STO-022",
      message: `${context.entity} ${kind} ${where}, associated with the sender while an unstaked factory creates it`,
    };
  }

  const otherEntity =
    storageAddress !== context.address &&
    (storageAddress === inputs.paymaster || storageAddress === inputs.factory);
  const ownStorage = storageAddress === context.address;
  const associatedWithEntity = isAssociatedSlot(slot, context.address, inputs.index);

  if (context.staked) {
    // [STO-031] own storage; [STO-032] associated slots and [STO-033] read-only, in non-entity contracts.
    if (ownStorage) return null;
    if (!otherEntity && (associatedWithEntity || !write)) return null;
  }
  if (ownStorage) {
    return {
      ...base,
      rule: "STO-031",
      message: `unstaked ${context.entity} ${kind} its own storage: ${where}`,
    };
  }
  if (otherEntity) {
    return {
      ...base,
      rule: "STO-033",
      message: `${context.entity} ${kind} the storage of another entity: ${where}`,
    };
  }
  if (associatedWithEntity) {
    return {
      ...base,
      rule: "STO-032",
      message: `unstaked ${context.entity} ${kind} ${where}, a slot associated with itself`,
    };
  }
  return {
    ...base,
    rule: "STO-033",
    message: write
      ? `${context.entity} ${kind} ${where}, associated with neither the sender nor the entity (never allowed)`
      : `unstaked ${context.entity} ${kind} ${where}, associated with neither the sender nor the entity`,
  };
}

/**
 * Every address a trace calls (CALL, CALLCODE, DELEGATECALL, STATICCALL) or reads the code of (EXTCODE*):
 * the candidates {@link checkErc7562} asks the node about to find EIP-7702 delegated EOAs.
 */
export function referencedAddresses(structLogs: readonly StructLog[]): string[] {
  const found = new Set<string>();
  for (const step of structLogs) {
    if (CALL_OPCODES.has(step.op)) found.add(toAddressKey(stackItem(step, 1)));
    else if (EXTCODE_OPCODES.has(step.op)) found.add(toAddressKey(stackItem(step, 0)));
  }
  return [...found];
}
