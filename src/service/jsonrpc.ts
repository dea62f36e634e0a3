/**
 * JSON-RPC 2.0 envelopes and errors of the paymaster service.
 *
 * Kept hand-written on purpose (issue 12 weighed replacing it with a maintained library such as json-rpc-2.0 or
 * jayson): the envelope is ~40 lines of types and two constructors, the service needs exact control of what a
 * library would decide for it (the ERC-7677 error codes and `error.data.reasons` of src/client/rejections.ts, one
 * log line per call, HTTP 204 for notification-only batches, a batch size limit, bigints as decimal strings), and
 * every behaviour is pinned by test/service/service.test.ts. A library would add a dependency to the service's
 * attack surface without removing the checks in service.ts. The request envelope is validated in service.ts;
 * the params of each method by the zod schema of params.ts.
 */
import { RpcErrorCode } from "../client/rejections";

/** A JSON-RPC id (absent in a notification). */
export type RpcId = string | number | null;

/** A JSON-RPC error object. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC response. */
export type RpcResponse =
  { jsonrpc: "2.0"; id: RpcId; result: unknown } | { jsonrpc: "2.0"; id: RpcId; error: RpcErrorObject };

/** An error answered as a JSON-RPC error response. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }

  toObject(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** `-32602 Invalid params` with `message`. */
export function invalidParams(message: string): RpcError {
  return new RpcError(RpcErrorCode.INVALID_PARAMS, `invalid params: ${message}`);
}

export { toJson } from "../client/format";

/** A successful response. */
export function resultResponse(id: RpcId, result: unknown): RpcResponse {
  return { jsonrpc: "2.0", id, result };
}

/** An error response. */
export function errorResponse(id: RpcId, error: RpcError): RpcResponse {
  return { jsonrpc: "2.0", id, error: error.toObject() };
}
