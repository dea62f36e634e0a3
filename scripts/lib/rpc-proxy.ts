/**
 * A JSON-RPC proxy in front of a local Hardhat node for the indexer. Blocks that `hardhat_mine` creates in bulk
 * (the demo and the tests move time by mining) report `parentHash` 0x00…00, which Ponder's realtime sync takes for
 * a reorg and then fails to fetch the "parent" block 0x00…00 for ever. The proxy answers `eth_getBlockByNumber` /
 * `eth_getBlockByHash` with the real parent's hash (the hash of block `number - 1`) and passes everything else on.
 * Only for local chains: a live node never returns such blocks.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const ZERO_HASH = `0x${"0".repeat(64)}`;

interface RpcRequest {
  jsonrpc: "2.0";
  id: unknown;
  method: string;
  params?: unknown[];
}
interface RpcResponse {
  jsonrpc: "2.0";
  id: unknown;
  result?: unknown;
  error?: unknown;
}
interface BlockLike {
  number?: string;
  hash?: string;
  parentHash?: string;
}

/** A running proxy. */
export interface RpcProxy {
  url: string;
  close(): Promise<void>;
}

async function post(upstream: string, body: unknown): Promise<unknown> {
  const response = await fetch(upstream, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Starts a proxy to `upstream` on 127.0.0.1 (a free port). */
export async function startParentHashProxy(upstream: string): Promise<RpcProxy> {
  const hashes = new Map<string, string>();
  const hashOf = async (number: bigint): Promise<string | undefined> => {
    const key = number.toString();
    const known = hashes.get(key);
    if (known !== undefined) return known;
    const answer = (await post(upstream, {
      jsonrpc: "2.0",
      id: 1,
      method: "eth_getBlockByNumber",
      params: [`0x${number.toString(16)}`, false],
    })) as RpcResponse;
    const hash = (answer.result as BlockLike | null)?.hash;
    if (hash !== undefined) hashes.set(key, hash);
    return hash;
  };
  const fix = async (request: RpcRequest, response: RpcResponse): Promise<RpcResponse> => {
    if (request.method !== "eth_getBlockByNumber" && request.method !== "eth_getBlockByHash") return response;
    const block = response.result as BlockLike | null | undefined;
    if (block?.parentHash !== ZERO_HASH || block.number === undefined) return response;
    const number = BigInt(block.number);
    if (number === 0n) return response;
    const parent = await hashOf(number - 1n);
    return parent === undefined ? response : { ...response, result: { ...block, parentHash: parent } };
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      void (async () => {
        try {
          const request = JSON.parse(body) as RpcRequest | RpcRequest[];
          const answer = await post(upstream, request);
          let fixed: unknown = answer;
          if (Array.isArray(request) && Array.isArray(answer)) {
            fixed = await Promise.all(
              (answer as RpcResponse[]).map((a) => {
                const r = request.find((q) => q.id === a.id);
                return r === undefined ? a : fix(r, a);
              }),
            );
          } else if (!Array.isArray(request)) {
            fixed = await fix(request, answer as RpcResponse);
          }
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(fixed));
        } catch (error) {
          res.writeHead(502, { "content-type": "application/json" });
          res.end(
            JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: String(error) } }),
          );
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
