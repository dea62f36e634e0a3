/**
 * ERC-7562 validation-rules checker.
 *
 * - {@link traceValidation}: `debug_traceCall` of `handleOps([op])` (needs a node: Hardhat or `hardhat node`).
 * - {@link analyzeValidation}: pure analysis of the trace → rule violations per entity.
 *
 * See docs/erc7562-checker.md.
 */
export { analyzeValidation, BANNED_OPCODES, STAKED_ONLY_OPCODES, SELECTORS } from "./analyzer";
export { ASSOCIATED_SLOT_RANGE, buildKeccakIndex, isAssociatedSlot, toAddressKey } from "./association";
export type { KeccakIndex, KeccakRecord } from "./association";
export {
  DEFAULT_STAKE_REQUIREMENT,
  TRACE_CONFIG,
  getStakeInfo,
  isStaked,
  parseTraceResponse,
  traceValidation,
} from "./trace";
export type {
  RpcSender,
  StakeInfo,
  StakeRequirement,
  TraceTransport,
  TraceValidationRequest,
  ValidationTrace,
} from "./trace";
export type {
  AnalysisResult,
  AnalyzeOptions,
  Entity,
  EntityFrame,
  PackedUserOperationLike,
  StructLog,
  Violation,
} from "./types";
export { checkErc7562 } from "./check";
export type { CheckErc7562Options, Erc7562Check } from "./check";
