/**
 * A local anvil node from the npm package `@foundry-rs/anvil` (its binary ships in the platform package
 * `@foundry-rs/anvil-<platform>-<arch>`: nothing is downloaded). anvil runs `debug_traceCall` with JavaScript
 * tracers, which Hardhat's node cannot. The binary is started directly (not through the package's Node wrapper) as
 * the leader of its own process group, and stopped by signalling that group.
 */
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { freePort, stopProcess } from "./hardhat-process";

/** A running anvil. */
export interface AnvilNode {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** `anvil --version`'s first line, e.g. "anvil Version: 1.7.1". */
  readonly version: string;
  /** Everything anvil printed so far (for failure messages). */
  output(): string;
  /** Stops anvil's process group and removes its log. */
  stop(): Promise<void>;
}

/** Options of {@link startAnvil}. */
export interface AnvilOptions {
  /** Chain id (default 31337, as `hardhat node`: the deploy script's `localhost` parameters expect it). */
  readonly chainId?: number;
  /** Hardfork (default "prague", as the end-to-end `hardhat node`). */
  readonly hardfork?: string;
  /** How long to wait for the RPC (default 120 s: a loaded 2-core machine can be slow to start a 40 MB binary). */
  readonly timeoutMs?: number;
}

/** Path of the anvil binary of this platform, from `@foundry-rs/anvil-<platform>-<arch>`. */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const name = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let manifest: string;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    throw new Error(
      `${name} is not installed: anvil comes from the npm package @foundry-rs/anvil (npm ci installs the ` +
        `platform package as its optional dependency; platform ${process.platform}/${process.arch} may be unsupported)`,
    );
  }
  return path.join(path.dirname(manifest), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function chainIdOf(url: string): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { result?: unknown };
    return typeof body.result === "string" ? body.result : null;
  } catch {
    return null;
  }
}

/**
 * Starts anvil on a free loopback port (its ten default accounts are `hardhat node`'s: same mnemonic) and waits
 * until it has printed that it listens on that port and answers `eth_chainId` with the expected chain id, polling
 * every 250 ms (no fixed sleep). Throws, after stopping it, if it exits or is not ready in time.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const chainId = options.chainId ?? 31337;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const binary = anvilBinary();
  const version = execFileSync(binary, ["--version"], { encoding: "utf8", timeout: timeoutMs }).split(
    "\n",
  )[0];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // anvil logs every request. Its output goes to a file, not a pipe: a caller that blocks its event loop (e.g.
  // spawnSync of the deploy script) would otherwise stop draining the pipe, and anvil would block on a full pipe.
  const logDir = mkdtempSync(path.join(tmpdir(), "credits-anvil-"));
  const logFile = path.join(logDir, "anvil.log");
  const fd = openSync(logFile, "w");
  const child = spawn(
    binary,
    [
      ...["--host", "127.0.0.1", "--port", String(port)],
      ...["--chain-id", String(chainId), "--hardfork", options.hardfork ?? "prague"],
    ],
    { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, NO_COLOR: "1" } },
  );
  closeSync(fd);
  const output = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  let failure: Error | undefined;
  child.once("error", (error) => (failure = error));
  const node: AnvilNode = {
    url,
    port,
    process: child,
    version,
    output,
    stop: async () => {
      // A binary that could not be spawned has no pid and never emits "exit".
      if (child.pid !== undefined) await stopProcess(child);
      rmSync(logDir, { recursive: true, force: true });
    },
  };

  const expected = `0x${chainId.toString(16)}`;
  const deadline = Date.now() + timeoutMs;
  const listening = () => output().includes(`Listening on 127.0.0.1:${port}`);
  while (!listening() || (await chainIdOf(url)) !== expected) {
    if (failure !== undefined) {
      await node.stop();
      throw new Error(`anvil could not be started: ${failure.message}`);
    }
    if (!isRunning(child)) {
      const printed = output();
      await node.stop();
      throw new Error(`anvil exited early (code ${child.exitCode}):\n${printed}`);
    }
    if (Date.now() > deadline) {
      const printed = output();
      await node.stop();
      throw new Error(`anvil did not answer on ${url} within ${timeoutMs} ms:\n${printed}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return node;
}
