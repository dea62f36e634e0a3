/**
 * TypeScript client of the compute-credits paymaster, on viem: paymaster data of each mode, credit estimates,
 * balance/allowance/price reads, `explainRejection`, and viem `PaymasterActions` (local or ERC-7677 service).
 * Guide: docs/client.md.
 */
export { creditLedgerAbi, creditPaymasterAbi, priceAdapterAbi } from "./abi";
export {
  DEFAULT_PAYMASTER_POST_OP_GAS_LIMIT,
  DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT,
  GAS_FIELDS,
  MIN_POST_OP_GAS,
  PAYMASTER_DATA_OFFSET,
  PaymasterMode,
  SELF_DATA_LENGTH,
  SPONSORED_DATA_LENGTH,
  creditsForGasCost,
  decodePaymasterAndData,
  decodePaymasterData,
  effectiveGasPrice,
  encodePaymasterAndData,
  encodePaymasterData,
  expectedCredits,
  requiredPrefund,
  totalGasLimit,
  worstCaseCredits,
} from "./encoding";
export type {
  CreditModeOptions,
  DecodedPaymasterData,
  GasFieldName,
  PaymasterDataProblem,
  PaymasterFields,
  PaymasterModeName,
  PrefundGas,
} from "./encoding";
export { createCreditsClient, remainingAsOf } from "./credits";
export type {
  Allowance,
  AnyClient,
  CachedPriceInfo,
  CreditBreakdown,
  CreditEstimate,
  CreditUserOperation,
  CreditsClient,
  CreditsClientParameters,
  ExplainOptions,
  PaymasterAddresses,
  PaymasterConfig,
  ValidationSimulation,
} from "./credits";
export {
  CreditPaymasterRejectedError,
  RpcErrorCode,
  explainReason,
  formatCredits,
  reasonFromContractError,
  rejectionCode,
  rejectionMessage,
} from "./rejections";
export type { ExplainedRejection, RejectionKind, RejectionReason } from "./rejections";
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
