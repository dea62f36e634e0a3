/** The ERC-7677 paymaster service of the credit paymaster. Guide: docs/client.md. */
export { POLICY_SIGNER_KEY_ENV, SERVICE_OPTIONS, parseServiceSettings, usage } from "./config";
export { POLICY_APPROVAL_TYPES, policyApprovalDomain, signPolicyApproval } from "./approval";
export type { ApprovalTarget } from "./approval";
export { EXECUTE_USER_OP_SELECTOR, MAX_NESTING, MULTI_SEND_CALL_ONLY, decodeAccountCalls } from "./calls";
export type { AccountCall, DecodedCalls } from "./calls";
export { PolicyFileError, loadPolicyFiles, parsePolicyFile, policyKey } from "./policyFile";
export type { PolicyRules, PolicySet, PolicyWebhook } from "./policyFile";
export { askWebhook, checkStaticRules, webhookCalls } from "./rules";
export type { RuleRefusal, WebhookRequest } from "./rules";
export type { ServiceSettings } from "./config";
export { RpcError, toJson } from "./jsonrpc";
export type { RpcErrorObject, RpcId, RpcResponse } from "./jsonrpc";
export { parsePaymasterParams } from "./params";
export type { PaymasterRequest } from "./params";
export { MAX_BODY_BYTES, requestListener, startPaymasterService } from "./server";
export type { PaymasterServerOptions, RunningPaymasterService } from "./server";
export { MAX_BATCH, SERVICE_METHODS, createPaymasterService, rejectionError } from "./service";
export { MOCK_FEED_ARTIFACT, localPriceKeeperFor } from "./localPrice";
export type {
  HealthReport,
  LogFields,
  LocalPriceKeeper,
  LogRecord,
  PaymasterHealth,
  PaymasterService,
  PaymasterServiceConfig,
  ServiceAnswer,
} from "./service";
