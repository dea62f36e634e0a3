/**
 * The usage indexer's launcher logic, shared by the `indexer` task, the reconciliation test and the benchmark:
 * resolves what to index from an Ignition deployment and a node (addresses, first block, each paymaster's
 * EntryPoint), and starts Ponder (`ponder start|serve --root indexer`) with it in the environment.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { createPublicClient, http } from "viem";
import type { Address } from "viem";

import { creditPaymasterAbi } from "../../src/client/abi";
import {
  DEPLOYED_ADDRESSES_FILE,
  JOURNAL_FILE,
  deploymentKeySuffix,
  displayPath,
  findAddress,
  readDeployedAddresses,
} from "../../src/deployment";
import type { ContractKind } from "../../src/deployment";
import { INDEXER_DEPLOYMENT_ENV } from "../../indexer/deployment";
import type { IndexerDeployment } from "../../indexer/deployment";
import { stopProcess } from "./hardhat-process";
import { startParentHashProxy } from "./rpc-proxy";

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The Ponder project. */
export const INDEXER_ROOT = path.join(REPO_ROOT, "indexer");
/** Ponder's CLI (run with this very Node binary). */
const PONDER_CLI = path.join(REPO_ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
/** The API's default port (Ponder's). */
export const DEFAULT_INDEXER_PORT = 42069;

/** A problem the operator fixes (printed without a stack trace). */
export class IndexerSetupError extends Error {
  override name = "IndexerSetupError";
}

/** The first block of a deployment: the lowest block number its journal records (0 when it records none). */
export function deploymentStartBlock(dir: string): number {
  const file = path.join(dir, JOURNAL_FILE);
  if (!existsSync(file)) return 0;
  let lowest: number | undefined;
  for (const match of readFileSync(file, "utf8").matchAll(/"blockNumber":\s*"?(\d+)"?/g)) {
    const n = Number(match[1]);
    if (lowest === undefined || n < lowest) lowest = n;
  }
  return lowest ?? 0;
}

/** Where to index from: the deployment directory, the node and the explorer of the network. */
export interface IndexerTarget {
  deploymentDir: string;
  rpcUrl: string;
  explorer: string | null;
  pollingInterval?: number;
}

/**
 * Reads the deployment (addresses, first block) and asks the node for its chain id and each paymaster's
 * EntryPoint; fails with an {@link IndexerSetupError} naming the fix when the deployment or the node is missing.
 */
export async function resolveIndexerDeployment(target: IndexerTarget): Promise<IndexerDeployment> {
  const dir = target.deploymentDir;
  const addressesFile = path.join(dir, DEPLOYED_ADDRESSES_FILE);
  let addresses: Record<string, string> | undefined;
  try {
    addresses = readDeployedAddresses(dir);
  } catch (e) {
    throw new IndexerSetupError((e as Error).message);
  }
  if (addresses === undefined) {
    throw new IndexerSetupError(
      `No deployment at ${displayPath(addressesFile)}: deploy first (\`npm run deploy\` or \`npm run demo -- ` +
        `--network localhost\`), or pass --deployment <id> naming a directory under ignition/deployments/`,
    );
  }
  const found = (kind: ContractKind, version: "0.7" | "0.8" = "0.8"): Address | null => {
    const lookup = findAddress(addresses, deploymentKeySuffix(kind, version));
    if (lookup.status === "found") return lookup.address;
    if (lookup.status === "missing") return null;
    throw new IndexerSetupError(
      `${displayPath(addressesFile)}: ${lookup.status === "ambiguous" ? `several keys end in "${deploymentKeySuffix(kind, version)}"` : `"${lookup.key}" is not an address`}`,
    );
  };
  const ledger = found("ledger");
  const adapter = found("adapter");
  if (ledger === null || adapter === null) {
    throw new IndexerSetupError(
      `${displayPath(addressesFile)} names no ${ledger === null ? "CreditLedger" : "PriceAdapter"}: it is not a ` +
        `deployment of this system`,
    );
  }
  const client = createPublicClient({ transport: http(target.rpcUrl, { retryCount: 0, timeout: 10_000 }) });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch {
    throw new IndexerSetupError(
      `Cannot reach the node at ${target.rpcUrl}: start it (e.g. \`npx hardhat node\`) or set the network's RPC ` +
        `URL (LOCALHOST_RPC_URL for --network localhost)`,
    );
  }
  const code = await client.getCode({ address: ledger });
  if (code === undefined || code === "0x") {
    throw new IndexerSetupError(
      `No contract at the ledger ${ledger} (${displayPath(addressesFile)}) on the node at ${target.rpcUrl} ` +
        `(chain ${chainId}): the deployment belongs to another chain or a restarted node; deploy again`,
    );
  }
  const paymasters: IndexerDeployment["paymasters"] = [];
  for (const version of ["0.7", "0.8"] as const) {
    const address = found("paymaster", version);
    if (address === null) continue;
    const entryPoint = await client.readContract({
      address,
      abi: creditPaymasterAbi,
      functionName: "entryPoint",
    });
    paymasters.push({ address, entryPoint, version });
  }
  if (paymasters.length === 0) {
    throw new IndexerSetupError(`${displayPath(addressesFile)} names no CreditPaymaster`);
  }
  return {
    deploymentId: path.basename(dir),
    chainId,
    rpcUrl: target.rpcUrl,
    startBlock: deploymentStartBlock(dir),
    explorer: target.explorer,
    ledger,
    adapter,
    governor: found("governor"),
    timelock: found("timelock"),
    paymasters,
    pollingInterval: target.pollingInterval,
  };
}

/** How to run Ponder. */
export interface PonderOptions {
  /** `start` indexes and serves the API; `serve` only serves the API of a database another process indexes. */
  command?: "start" | "serve";
  port?: number;
  /** PGlite directory (ignored with DATABASE_URL). */
  pgliteDir?: string;
  /** Database schema (Ponder's --schema); "public" by default. */
  dbSchema?: string;
  /** Extra environment (e.g. DATABASE_URL). */
  env?: Record<string, string | undefined>;
  /** Inherit stdio (interactive), else collect the output. */
  inherit?: boolean;
}

/** A running Ponder process. */
export interface PonderProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Hardhat's chain id: its `hardhat_mine` blocks need the parent-hash proxy (scripts/lib/rpc-proxy.ts). */
const HARDHAT_CHAIN_ID = 31337;

/**
 * Starts `ponder <command> --root indexer` for `deployment`; on a Hardhat node, through the parent-hash proxy
 * (stopped with Ponder).
 */
export async function startPonder(
  deployment: IndexerDeployment,
  options: PonderOptions = {},
): Promise<PonderProcess> {
  if (deployment.chainId !== HARDHAT_CHAIN_ID || (options.command ?? "start") === "serve") {
    return spawnPonder(deployment, options);
  }
  const proxy = await startParentHashProxy(deployment.rpcUrl);
  const ponder = spawnPonder({ ...deployment, rpcUrl: proxy.url }, options);
  ponder.process.once("close", () => void proxy.close());
  return {
    ...ponder,
    stop: async () => {
      await ponder.stop();
      await proxy.close();
    },
  };
}

function spawnPonder(deployment: IndexerDeployment, options: PonderOptions): PonderProcess {
  const port = options.port ?? DEFAULT_INDEXER_PORT;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [INDEXER_DEPLOYMENT_ENV]: JSON.stringify(deployment),
    PONDER_TELEMETRY_DISABLED: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  if (options.pgliteDir !== undefined) env.PONDER_PGLITE_DIR = options.pgliteDir;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const args = [
    PONDER_CLI,
    options.command ?? "start",
    "--root",
    INDEXER_ROOT,
    "--port",
    String(port),
    "--schema",
    options.dbSchema ?? "public",
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    detached: options.inherit !== true,
    stdio: options.inherit === true ? "inherit" : ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

/** Waits until the API answers and has indexed `block` (or later); fails after `timeoutMs` or if Ponder exits. */
export async function waitForIndexed(p: PonderProcess, block: bigint, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.process.exitCode !== null) {
      throw new Error(`ponder exited (code ${p.process.exitCode}):\n${p.output().slice(-4000)}`);
    }
    try {
      const response = await fetch(`${p.url}/api/status`);
      if (response.ok) {
        const status = (await response.json()) as { indexedBlock: { number: string } | null };
        if (status.indexedBlock !== null && BigInt(status.indexedBlock.number) >= block) return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the indexer did not reach block ${block} within ${timeoutMs} ms:\n${p.output().slice(-4000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
