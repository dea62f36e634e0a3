/**
 * HTTP front of the paymaster service (node:http): `POST` any path = JSON-RPC, `GET /health` = health report.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { RpcErrorCode } from "../client/rejections";
import { RpcError, errorResponse, toJson } from "./jsonrpc";
import { createPaymasterService } from "./service";
import type { PaymasterService, PaymasterServiceConfig } from "./service";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1_048_576;

/** Options of {@link startPaymasterService}. */
export interface PaymasterServerOptions extends PaymasterServiceConfig {
  /** TCP port (0 = a free port chosen by the OS; default 0). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** The Ignition deployment the addresses came from, logged at startup. */
  deployment?: string;
}

/** A listening paymaster service. */
export interface RunningPaymasterService {
  /** Base URL, e.g. `http://127.0.0.1:3000` (the ERC-7677 endpoint: POST to it). */
  url: string;
  port: number;
  service: PaymasterService;
  server: Server;
  /** Stops accepting connections and closes the idle ones. */
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {}

/** Reads the body; past `MAX_BODY_BYTES` the rest is drained and discarded, then it fails with BodyTooLargeError. */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new BodyTooLargeError());
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", reject);
  });
}

/** `application/json` (any parameters, e.g. `; charset=utf-8`) or a `+json` type. */
function isJsonContentType(value: string): boolean {
  const type = value.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

function send(response: ServerResponse, status: number, body: string | undefined): void {
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (body !== undefined) headers["content-type"] = "application/json";
  response.writeHead(status, headers);
  response.end(body);
}

/** The request listener of the service. */
export function requestListener(service: PaymasterService) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/health") {
      void service.health().then(
        (answer) => send(response, answer.status, answer.body),
        (error: unknown) => send(response, 500, toJson({ status: "down", problems: [String(error)] })),
      );
      return;
    }
    if (request.method !== "POST") {
      service.log({ level: "warn", event: "http", method: request.method, path, status: 405 });
      response.setHeader("allow", "POST, GET /health");
      send(response, 405, toJson({ error: "POST a JSON-RPC request, or GET /health" }));
      return;
    }
    const contentType = request.headers["content-type"];
    if (contentType !== undefined && !isJsonContentType(contentType)) {
      // A form or text body is not JSON-RPC (and a browser sends those cross-origin without a CORS preflight).
      request.resume();
      refuseInvalid(service, response, 415, `content-type must be application/json, got ${contentType}`);
      return;
    }
    readBody(request).then(
      async (body) => {
        const answer = await service.handleRpc(body);
        send(response, answer.status, answer.body);
      },
      (error: unknown) => {
        const tooLarge = error instanceof BodyTooLargeError;
        refuseInvalid(
          service,
          response,
          tooLarge ? 413 : 400,
          tooLarge ? `request body exceeds ${MAX_BODY_BYTES} bytes` : "could not read the request body",
        );
      },
    );
  };
}

/**
 * Answers a request that is not JSON-RPC at all (wrong content type, unreadable or oversized body) with HTTP
 * `status` and a JSON-RPC -32600 error naming `message`, logged like every refusal.
 */
function refuseInvalid(
  service: PaymasterService,
  response: ServerResponse,
  status: number,
  message: string,
): void {
  service.log({
    level: "warn",
    event: "rpc",
    method: null,
    id: null,
    outcome: "invalid",
    code: RpcErrorCode.INVALID_REQUEST,
    message,
  });
  if (response.headersSent) return;
  send(
    response,
    status,
    toJson(errorResponse(null, new RpcError(RpcErrorCode.INVALID_REQUEST, `invalid request: ${message}`))),
  );
}

/** Creates the service (see {@link createPaymasterService}) and listens on `options.port`. */
export async function startPaymasterService(
  options: PaymasterServerOptions,
): Promise<RunningPaymasterService> {
  const service = await createPaymasterService(options);
  const server = createServer(requestListener(service));
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  service.log({
    level: "info",
    event: "listening",
    url,
    chainId: options.chainId,
    ...(options.deployment === undefined ? {} : { deployment: options.deployment }),
    ...(options.policies === undefined
      ? {}
      : { policies: [...options.policies.values()].map((p) => `${p.sponsor}:${p.policyId} (${p.source})`) }),
    ...(options.policySigner === undefined ? {} : { policySigner: options.policySigner.address }),
    paymasters: service.paymasters.map((p) => ({
      entryPoint: p.entryPoint,
      version: p.entryPointVersion,
      paymaster: p.paymaster,
      ledger: p.ledger,
    })),
  });
  return {
    url,
    port,
    service,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
