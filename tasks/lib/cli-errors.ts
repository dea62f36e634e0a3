/**
 * Operator errors on the command line: the message and its hint, without a JavaScript stack trace.
 *
 * Hardhat 2 decides once, when its CLI module loads (`isRunningOnCiServer()` in hardhat/internal/util/ci-detection.js,
 * read into `SHOULD_SHOW_STACK_TRACES_BY_DEFAULT` by hardhat/internal/cli/cli.js), that a Linux machine with neither
 * `DISPLAY` nor `WAYLAND_DISPLAY` set is a CI server, and then prints the stack under every error, its own HHxxx
 * errors and plugins' worded messages included. Servers, SSH sessions and containers have no display, so an operator
 * saw a stack under "Invalid --amount …". The decision is taken before the configuration loads and cannot be
 * changed from it; what the configuration can do is catch an operator error (a HardhatError or HardhatPluginError)
 * at the CLI's entry task, print what Hardhat prints on a desktop, and exit with status 1. `--show-stack-traces`
 * lets the error through to Hardhat, which then prints the stack; any other error (a bug) does too.
 *
 * This file must not import "hardhat" (only "hardhat/plugins"): hardhat.config.ts loads it.
 */
import { HardhatPluginError } from "hardhat/plugins";

import { LOCALHOST_URL_ENV, liveNetwork } from "../../scripts/lib/networks";
import { PLUGIN_NAME } from "./errors";

/** The part of Hardhat's runtime environment this file uses (hardhat.config.ts passes the real one). */
export interface CliEnvironment {
  run: (...args: never[]) => Promise<unknown>;
  hardhatArguments: { showStackTraces?: boolean };
  network: { name: string; config: { url?: string } | object };
}

/** A HardhatError (`HHxxx: …`): what Hardhat prints without a stack when not on CI. */
interface HardhatErrorLike extends Error {
  _isHardhatError: true;
  number: number;
}

function isHardhatError(e: unknown): e is HardhatErrorLike {
  return typeof e === "object" && e !== null && (e as { _isHardhatError?: unknown })._isHardhatError === true;
}

/** A HardhatError or HardhatPluginError: a worded message for the operator, whose stack says nothing more. */
export function isOperatorError(e: unknown): e is Error {
  return isHardhatError(e) || HardhatPluginError.isHardhatPluginError(e);
}

/** HH108, "Cannot connect to the network …": Hardhat's HTTP provider found nothing listening at the URL. */
const NODE_IS_NOT_RUNNING = 108;

/** The first error in `e`'s chain (`cause`, viem's wrapping, or Hardhat's `parent`) that `match` accepts. */
function findInChain<T>(e: unknown, match: (x: unknown) => x is T): T | undefined {
  const seen = new Set<unknown>();
  let current: unknown = e;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    if (match(current)) return current;
    seen.add(current);
    const next = current as { cause?: unknown; parent?: unknown };
    current = next.cause ?? next.parent;
  }
  return undefined;
}

const isNodeNotRunning = (x: unknown): x is HardhatErrorLike =>
  isHardhatError(x) && x.number === NODE_IS_NOT_RUNNING;

/**
 * The message for a network that does not answer (HH108, also when viem wrapped it): the URL tried and how to
 * change it. For `localhost`: the `LOCALHOST_RPC_URL` override; for a live network: its configuration variable
 * (whose URL, which may hold an API key, is not printed). Undefined when `e` is no such error.
 */
export function unreachableNetworkMessage(
  e: unknown,
  network: string,
  url: string | undefined,
): string | undefined {
  if (findInChain(e, isNodeNotRunning) === undefined) return undefined;
  const live = liveNetwork(network);
  if (live !== undefined) {
    return (
      `Cannot connect to network "${network}" at the RPC URL in the configuration variable ${live.rpcVar}: ` +
      `check it with \`npx hardhat vars get ${live.rpcVar}\` (set it with \`npx hardhat vars set ${live.rpcVar}\`)`
    );
  }
  const where = url === undefined ? "" : ` at ${url}`;
  if (network === "localhost") {
    const overridden = process.env[LOCALHOST_URL_ENV] !== undefined;
    const port = portOf(url);
    return (
      `Cannot connect to network "localhost"${where}${overridden ? ` (from ${LOCALHOST_URL_ENV})` : ""}: no node ` +
      `answers there. Start one with \`npx hardhat node --hostname 127.0.0.1${port === "8545" ? "" : ` --port ${port}`}\`, ` +
      `or point --network localhost at your node: \`export ${LOCALHOST_URL_ENV}=http://127.0.0.1:<port>\``
    );
  }
  return `Cannot connect to network "${network}"${where}: no node answers there; check networks.${network}.url in hardhat.config.ts`;
}

/** The port of an HTTP URL ("8545" when it names none or cannot be parsed). */
function portOf(url: string | undefined): string {
  try {
    return new URL(url ?? "").port || "8545";
  } catch {
    return "8545";
  }
}

/** The lines Hardhat prints for an operator error when it shows no stack (as on a desktop). */
export function operatorErrorLines(e: Error): string[] {
  const first = HardhatPluginError.isHardhatPluginError(e)
    ? `Error in plugin ${e.pluginName}: ${e.message}`
    : `Error ${e.message}`;
  return [first, "", "For more info run hardhat with --show-stack-traces"];
}

/**
 * Whether this process is Hardhat's CLI (`npx hardhat <task>`), not a test or script that imported "hardhat": only
 * there does an uncaught error reach cli.js's printer.
 */
export function isHardhatCli(main: { filename: string } | undefined = require.main): boolean {
  return (
    main !== undefined && /[\\/]hardhat[\\/]internal[\\/]cli[\\/](bootstrap|cli)\.js$/.test(main.filename)
  );
}

/** Options of {@link installCliErrorHandling}, for tests. */
export interface CliErrorOptions {
  /** Whether this process is Hardhat's CLI (default: {@link isHardhatCli}). */
  cli?: boolean;
  /** Where the error lines go (default: stderr). */
  write?: (line: string) => void;
  /** An error to raise when the entry task starts (e.g. a missing network variable), instead of at once. */
  pending?: string;
}

/**
 * Wraps `hre.run` so that the CLI's entry task (the first task run in the process: the one typed on the command
 * line) ends an operator error with its message, its hint and exit status 1, and no stack unless
 * `--show-stack-traces` is given. Nested runs, tests and scripts are untouched: the wrapper only acts in the CLI
 * process, on its first run.
 */
export function installCliErrorHandling(hre: CliEnvironment, options: CliErrorOptions = {}): void {
  if (!(options.cli ?? isHardhatCli())) return;
  const write = options.write ?? ((line: string) => console.error(line));
  const run = hre.run;
  let entered = false;
  hre.run = (async (...args: never[]) => {
    if (entered) return run(...args);
    entered = true;
    try {
      if (options.pending !== undefined) throw new HardhatPluginError(PLUGIN_NAME, options.pending);
      return await run(...args);
    } catch (e) {
      const url = (hre.network.config as { url?: string }).url;
      const unreachable = unreachableNetworkMessage(e, hre.network.name, url);
      const error =
        unreachable === undefined ? e : new HardhatPluginError(PLUGIN_NAME, unreachable, e as Error);
      if (!isOperatorError(error) || hre.hardhatArguments.showStackTraces === true) throw error;
      for (const line of operatorErrorLines(error)) write(line);
      process.exitCode = 1;
      return undefined;
    }
  }) as CliEnvironment["run"];
}
