/**
 * Child processes of the end-to-end run (hardhat node, alto): free ports, readiness polling, and teardown of whole
 * process groups — on success, on failure and on Ctrl-C — so that nothing is left running.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** A started child process and the file its stdout/stderr go to. */
export interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
}

const children = new Set<Started>();
let stopping = false;
let logDir: string | undefined;

/** The directory holding the children's logs (created on first use). */
export function logDirectory(): string {
  logDir ??= mkdtempSync(path.join(tmpdir(), "credits-e2e-"));
  return logDir;
}

/** Removes the log directory (after a successful run). */
export function removeLogs(): void {
  if (logDir !== undefined) rmSync(logDir, { recursive: true, force: true });
  logDir = undefined;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals a child's whole process group (each child is spawned detached: it leads its own group). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || !alive(child)) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stops every child this module started: SIGTERM to each group, up to 3 s of grace, then SIGKILL. */
export async function stopAll(): Promise<void> {
  stopping = true;
  const list = [...children];
  for (const s of list) killGroup(s.child, "SIGTERM");
  await Promise.race([
    Promise.all(
      list.map((s) =>
        alive(s.child) ? new Promise<void>((resolve) => s.child.once("exit", () => resolve())) : null,
      ),
    ),
    sleep(3_000),
  ]);
  for (const s of list) {
    killGroup(s.child, "SIGKILL");
    children.delete(s);
  }
  stopping = false;
}

/**
 * Makes sure no child outlives this process: SIGKILL on exit (exit handlers must be synchronous); a graceful stop
 * then exit code 130 on SIGINT/SIGTERM/SIGHUP, or when this process is orphaned (its parent, e.g. `npm run`, was
 * killed without passing the signal on). Called once by the e2e runner (not on import: `hardhat test` loads every
 * file under test/).
 */
export function installCleanupHandlers(): void {
  process.on("exit", () => {
    for (const s of children) killGroup(s.child, "SIGKILL");
  });
  const abort = (why: string) => {
    console.error(`[e2e] ${why}: stopping child processes`);
    void stopAll().finally(() => process.exit(130));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => abort(`received ${signal}`));
  }
  const parent = process.ppid;
  const watchdog = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watchdog);
      abort(`parent process ${parent} exited`);
    }
  }, 500);
  watchdog.unref();
}

/** Starts `node <args>` (this node binary, no npx wrapper) detached, logging to a file. */
export function startNode(
  name: string,
  args: readonly string[],
  cwd: string,
  extraEnv: Readonly<Record<string, string>> = {},
): Started {
  const logFile = path.join(logDirectory(), `${name}.log`);
  const fd = openSync(logFile, "w");
  const child = spawn(process.execPath, [...args], {
    cwd,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...extraEnv, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  closeSync(fd);
  const started: Started = { name, child, logFile };
  children.add(started);
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`[e2e] ${name} exited (code ${code}, signal ${signal}); log: ${logFile}`);
  });
  return started;
}

/** The last `lines` lines of a log file. */
export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks it; a tiny race remains until the child binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One JSON-RPC call over HTTP; throws on an error response. */
export async function rpc(url: string, method: string, params: readonly unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Polls `probe` every 200 ms until it returns true; fails early when the process dies or time runs out. */
export async function waitUntil(
  started: Started,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive(started.child)) {
      throw new Error(
        `${started.name} exited early (code ${started.child.exitCode}).\n${tail(started.logFile)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${started.name} not ready after ${timeoutMs} ms.\n${tail(started.logFile)}`);
    }
    await sleep(200);
  }
}
