/**
 * One-call ERC-7562 check of a UserOperation (test suites, `check:erc7562`, `check:erc7562:alto`): trace `handleOps([op])`, read the entities'
 * stakes from the EntryPoint, and analyze. The library itself is src/erc7562 (docs/erc7562-checker.md).
 */
import { dataLength, dataSlice, getAddress } from "ethers";
import type { ContractRunner } from "ethers";

import { analyzeValidation } from "./analyzer";
import { isStaked, traceValidation } from "./trace";
import type { RpcSender, StakeRequirement, ValidationTrace } from "./trace";
import type { AnalysisResult } from "./types";
import type { PackedUserOperation } from "../aa/userop";

/** Options of {@link checkErc7562}. */
export interface CheckErc7562Options {
  /** `handleOps` beneficiary (default: the node's first account). */
  beneficiary?: string;
  /** Stake thresholds for `isStaked` (default: any locked stake, 1-day unstake delay). */
  stakeRequirement?: StakeRequirement;
  /** Require `handleOps` to succeed (default true): a reverted trace usually means a broken test op. */
  requireSuccess?: boolean;
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
  const factory = dataLength(op.initCode) >= 20 ? getAddress(dataSlice(op.initCode, 0, 20)) : undefined;
  const trace = await traceValidation(provider, { entryPoint, op, beneficiary: options.beneficiary });
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
  const analysis = analyzeValidation(trace.structLogs, {
    entryPoint,
    sender: op.sender,
    paymaster,
    factory,
    paymasterStaked,
    factoryStaked,
    accountStaked,
  });
  return { ...analysis, trace, paymaster, factory, paymasterStaked, factoryStaked };
}
