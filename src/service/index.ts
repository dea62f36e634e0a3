/** The ERC-7677 paymaster service of the credit paymaster. Guide: docs/client.md. */
export { SERVICE_OPTIONS, parseServiceSettings, usage } from "./config";
export type { ServiceSettings } from "./config";
export { RpcError, toJson } from "./jsonrpc";
export type { RpcErrorObject, RpcId, RpcResponse } from "./jsonrpc";
export { parsePaymasterParams } from "./params";
export type { PaymasterRequest } from "./params";
export { MAX_BODY_BYTES, requestListener, startPaymasterService } from "./server";
export type { PaymasterServerOptions, RunningPaymasterService } from "./server";
export { MAX_BATCH, SERVICE_METHODS, createPaymasterService, rejectionError } from "./service";
export type {
  HealthReport,
  LogFields,
  LogRecord,
  PaymasterHealth,
  PaymasterService,
  PaymasterServiceConfig,
  ServiceAnswer,
} from "./service";
