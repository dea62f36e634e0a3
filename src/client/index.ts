/**
 * TypeScript client of the compute-credits paymaster, on viem: paymaster data of each mode, credit estimates,
 * balance/allowance/price reads, `explainRejection`, and viem `PaymasterActions` (local or ERC-7677 service).
 * Guide: docs/client.md.
 */
export { creditLedgerAbi, creditPaymasterAbi, priceAdapterAbi } from "./abi";
export {
  DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT,
  FLOOR_SIGNATURE_ALLOWANCE,
  APPROVAL_SIGNATURE_OFFSET,
  GAS_FIELDS,
  PAYMASTER_DATA_OFFSET,
  POLICY_DATA_LENGTH,
  POLICY_SIGNATURE_OFFSET,
  STUB_APPROVAL_SIGNATURE,
  POST_OP_GAS,
  PaymasterMode,
  SELF_DATA_LENGTH,
  SPONSORED_DATA_LENGTH,
  applyGrantsTaken,
  creditsForGasCost,
  decodeGrantsTaken,
  decodePaymasterAndData,
  decodePaymasterSpendData,
  decodePaymasterData,
  effectiveGasPrice,
  encodePaymasterAndData,
  encodePaymasterData,
  expectedCredits,
  minPostOpGasLimit,
  postOpGasFloor,
  requiredPrefund,
  totalGasLimit,
  unmeteredReserve,
  validationCallDataLength,
  worstCaseCredits,
} from "./encoding";
export type {
  CreditModeOptions,
  DecodedPaymasterData,
  PaymasterSpendData,
  EntryPointVersion,
  FloorOperation,
  GrantsTaken,
  GasFieldName,
  PackedFieldLengths,
  PaymasterDataProblem,
  PaymasterFields,
  PaymasterModeName,
  PolicyApprovalFields,
  PrefundGas,
} from "./encoding";
export {
  CREDIT_DECIMALS,
  NATIVE_DECIMALS,
  NEVER,
  ROLE_NAMES,
  formatCreditAmount,
  formatCredits,
  formatDuration,
  formatEth,
  formatTime,
  priceValidity,
  roleId,
  toJson,
} from "./format";
export type { PriceValidity } from "./format";
export { CreditEventIndexer } from "./indexer";
export { createLedgerReader } from "./ledger";
export type { LedgerReader } from "./ledger";
export {
  buyWithEth,
  buyWithToken,
  grant,
  ledgerEvents,
  purchasedCredits,
  refreshPrice,
  refreshedPrice,
  revokeAllowance,
  setAllowance,
} from "./writes";
export type { CreditWallet } from "./writes";
export {
  depositToPaymaster,
  readPaymasterConfig,
  setPaymasterConfig,
  setPaymasterGuardian,
  setPaymasterPaused,
  withdrawFromPaymaster,
} from "./paymasterAdmin";
export {
  creditsForCharge,
  depositCoverage,
  formatCoverage,
  outstandingCredits,
  weiForCharge,
} from "./deposits";
export type { DepositCoverage } from "./deposits";
export type { IndexedAccount, IndexedBucket, LogLike } from "./indexer";
export { createCreditsClient, policyReasons, remainingAsOf, revertOf } from "./credits";
export {
  LOCAL_CHAIN_ID,
  LOCAL_FEED_RENEWAL_MARGIN,
  MOCK_FEED_ABI,
  localMockFeed,
  renewLocalMockFeed,
} from "./localFeed";
export type { LocalFeedRenewal, LocalMockFeed } from "./localFeed";
export type {
  Allowance,
  AnyClient,
  CachedPriceInfo,
  ContractRevert,
  CreditBreakdown,
  CreditEstimate,
  CreditUserOperation,
  EpochBudget,
  CreditsClient,
  CreditsClientParameters,
  ExplainOptions,
  PaymasterAddresses,
  PaymasterConfig,
  PolicyInfo,
  PolicyUsageInfo,
  ValidationSimulation,
} from "./credits";
export {
  CreditPaymasterRejectedError,
  POLICY_RULE_CODES,
  POLICY_STATUSES,
  RpcErrorCode,
  explainReason,
  reasonFromContractError,
  rejectionCode,
  rejectionMessage,
} from "./rejections";
export type {
  ExplainedRejection,
  PolicyRuleName,
  PolicyStatusName,
  RejectionKind,
  RejectionReason,
} from "./rejections";
export {
  createCreditPaymasterClient,
  createCreditPaymasterServiceClient,
  creditPaymasterContext,
  paymasterGasLimits,
  userOperationOf,
} from "./paymasterClient";
export type {
  CreditPaymasterActions,
  CreditPaymasterClientParameters,
  CreditPaymasterContext,
  CreditPaymasterServiceClientParameters,
  PaymasterGasLimits,
} from "./paymasterClient";
export {
  EIP7702_DELEGATION_PREFIX,
  EIP7702_FACTORY_MARKER,
  EIP7702_FACTORY_MARKER_PADDED,
  eip7702DelegateOf,
  eip7702DelegationCode,
  eip7702StateOverride,
  explainEip7702,
  isEip7702Factory,
} from "./eip7702";
export type { Eip7702Fields } from "./eip7702";
