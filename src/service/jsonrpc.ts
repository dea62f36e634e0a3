/** JSON-RPC 2.0 envelopes, errors and JSON (de)serialisation with bigints. */
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
