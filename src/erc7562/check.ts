/**
 * One-call ERC-7562 check of a UserOperation (test suites, `check:erc7562`, `check:erc7562:alto`): trace `handleOps([op])`, read the entities'
 * stakes from the EntryPoint, and analyze. The library itself is src/erc7562 (docs/erc7562-checker.md).
 */
import { dataLength, dataSlice, getAddress } from "ethers";
import type { ContractRunner } from "ethers";

import { analyzeValidation, referencedAddresses } from "./analyzer";
import { isStaked, traceValidation } from "./trace";
import type { RpcSender, StakeRequirement, ValidationTrace } from "./trace";
import type { AnalysisResult } from "./types";
import { eip7702Delegate, isEip7702InitCode } from "../aa/userop";
import type { PackedUserOperation } from "../aa/userop";

/** Options of {@link checkErc7562}. */
export interface CheckErc7562Options {
  /** `handleOps` beneficiary (default: the node's first account). */
  beneficiary?: string;
  /** Stake thresholds for `isStaked` (default: any locked stake, 1-day unstake delay). */
  stakeRequirement?: StakeRequirement;
  /** Require `handleOps` to succeed (default true): a reverted trace usually means a broken test op. */
  requireSuccess?: boolean;
  /**
   * The op carries an EIP-7702 authorization delegating its sender to this address (its first operation, in a
   * type-4 bundle). The trace then runs with the sender's code set to `0xef0100 ‖ delegate` on a snapshot of the
   * node's state (`evm_snapshot`, `hardhat_setCode`/`anvil_setCode`, `evm_revert`: a development node), as a
   * bundler traces it with a state override; nothing is left changed.
   */
  eip7702Delegate?: string;
}

/** {@link checkErc7562}'s result: the analysis plus the raw trace. */
export interface Erc7562Check extends AnalysisResult {
  trace: ValidationTrace;
  paymaster?: string;
  factory?: string;
  paymasterStaked: boolean;
  factoryStaked: boolean;
}

/**
 * Traces `op` on `entryPoint` and checks it against ERC-7562. The paymaster and factory come from
 * `paymasterAndData` and `initCode`; whether they (and the account) are staked comes from the EntryPoint.
 * @throws when `handleOps` reverts and `requireSuccess` is not false (the error carries the revert data).
 */
export async function checkErc7562(
  provider: RpcSender & ContractRunner,
  entryPoint: string,
  op: PackedUserOperation,
  options: CheckErc7562Options = {},
): Promise<Erc7562Check> {
  const paymaster =
    dataLength(op.paymasterAndData) >= 20 ? getAddress(dataSlice(op.paymasterAndData, 0, 20)) : undefined;
  // The 0x7702 marker is not a factory: the EntryPoint initialises (or not) the delegated sender itself.
  const factory =
    dataLength(op.initCode) >= 20 && !isEip7702InitCode(op.initCode)
      ? getAddress(dataSlice(op.initCode, 0, 20))
      : undefined;
  const trace = await withDelegation(provider, op.sender, options.eip7702Delegate, () =>
    traceValidation(provider, { entryPoint, op, beneficiary: options.beneficiary }),
  );
  if (trace.failed && options.requireSuccess !== false) {
    throw new Error(`checkErc7562: handleOps reverted with ${trace.returnValue}`);
  }
  const staked = (entity: string | undefined) =>
    entity === undefined
      ? Promise.resolve(false)
      : isStaked(provider, entryPoint, entity, options.stakeRequirement);
  const paymasterStaked = await staked(paymaster);
  const factoryStaked = await staked(factory);
  const accountStaked = await staked(op.sender);
  const delegated = await withDelegation(provider, op.sender, options.eip7702Delegate, () =>
    delegatedAmong(provider, [
      op.sender,
      ...(paymaster ? [paymaster] : []),
      ...referencedAddresses(trace.structLogs),
    ]),
  );
  const analysis = analyzeValidation(trace.structLogs, {
    entryPoint,
    sender: op.sender,
    paymaster,
    factory,
    paymasterStaked,
    factoryStaked,
    accountStaked,
    delegated,
  });
  return { ...analysis, trace, paymaster, factory, paymasterStaked, factoryStaked };
}

/** The addresses among `addresses` whose code is an EIP-7702 delegation designation. */
async function delegatedAmong(provider: RpcSender, addresses: readonly string[]): Promise<string[]> {
  const unique = [...new Set(addresses.map((address) => address.toLowerCase()))];
  const codes = await Promise.all(unique.map((address) => provider.send("eth_getCode", [address, "latest"])));
  return unique.filter(
    (_, i) => typeof codes[i] === "string" && eip7702Delegate(codes[i] as string) !== undefined,
  );
}

/**
 * Runs `body` with `sender` delegated to `delegate` on a snapshot of the node's state, then reverts the snapshot;
 * runs it as is when there is no delegate.
 */
async function withDelegation<T>(
  provider: RpcSender,
  sender: string,
  delegate: string | undefined,
  body: () => Promise<T>,
): Promise<T> {
  if (delegate === undefined) return body();
  const designation = `0xef0100${getAddress(delegate).slice(2).toLowerCase()}`;
  const snapshot = await provider.send("evm_snapshot", []);
  try {
    try {
      await provider.send("hardhat_setCode", [sender, designation]);
    } catch {
      await provider.send("anvil_setCode", [sender, designation]);
    }
    return await body();
  } finally {
    await provider.send("evm_revert", [snapshot]);
  }
}
