/**
 * Child Hardhat processes for tests and tools: a `hardhat node` on a free port, and `hardhat run <script>`
 * against it. Each child is started with this very Node binary (no npx/npm wrapper) as the leader of its own
 * process group, and stopped by signalling that group, so nothing is left running.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import net from "node:net";

import { LOCALHOST_URL_ENV } from "./networks";

/** Hardhat's CLI entry point (what the `hardhat` bin runs). */
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race remains until the child binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("no TCP port was assigned"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals the child's whole process group (it was spawned detached, so it leads one). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A running `hardhat node`. */
export interface HardhatNode {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the node printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

async function rpcAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `hardhat node` in `root` on a free port and waits until it answers JSON-RPC. The node must also have
 * printed that it listens on that URL: another process that took the port meanwhile would answer the requests too,
 * and share its accounts' nonces with the caller.
 */
export async function startHardhatNode(root: string, timeoutMs = 90_000): Promise<HardhatNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const node: HardhatNode = {
    url,
    port,
    process: child,
    output: () => output,
    stop: () => stopProcess(child),
  };
  const deadline = Date.now() + timeoutMs;
  const listening = () => output.includes(`JSON-RPC server at ${url}/`);
  while (!listening() || !(await rpcAnswers(url))) {
    if (!isRunning(child)) throw new Error(`hardhat node exited early (code ${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await node.stop();
      throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return node;
}

/** What a finished `hardhat …` command printed. */
export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `hardhat <args>` in `root` to completion (killed after `timeoutMs`). With `nodeUrl`, `--network
 * localhost` reaches that node (through {@link LOCALHOST_URL_ENV}). `env` adds variables to this process's
 * environment; an `undefined` value removes one.
 */
export function runHardhat(
  root: string,
  args: readonly string[],
  options: { nodeUrl?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  if (options.nodeUrl !== undefined) env[LOCALHOST_URL_ENV] = options.nodeUrl;
  const child = spawn(process.execPath, [HARDHAT_CLI, ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => void stopProcess(child), options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
