import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { parseAddress, parseEntryPointVersion } from "./args";
import { argumentError, taskError } from "./errors";

/** The deployed contracts the tasks address, each with its `--<kind>` flag. */
export type ContractKind = "ledger" | "adapter" | "paymaster" | "governor" | "timelock";

/** The address flags of the tasks (all optional: the Ignition deployment fills the gaps). */
export interface DeploymentFlags {
  /** An Ignition deployment directory (or a deployment id under ignition/deployments/). */
  deployment?: string;
  /** Which paymaster of the deployment: "0.7" or "0.8" (default). */
  entrypoint?: string;
  ledger?: string;
  adapter?: string;
  paymaster?: string;
  governor?: string;
  timelock?: string;
}

/** An address and where it came from (for messages). */
export interface ResolvedAddress {
  address: string;
  /** "--ledger" or "<file> (key <key>)". */
  source: string;
}

/** The file Ignition writes in a deployment directory. */
export const DEPLOYED_ADDRESSES_FILE = "deployed_addresses.json";

/**
 * The naming contract of the Ignition modules: the future id of each contract in `deployed_addresses.json` ends
 * in `#<ContractName>` (the full system deploys one paymaster per EntryPoint version).
 */
export function deploymentKeySuffix(kind: ContractKind, entryPointVersion: "0.7" | "0.8" = "0.8"): string {
  switch (kind) {
    case "ledger":
      return "#CreditLedger";
    case "adapter":
      return "#PriceAdapter";
    case "paymaster":
      return entryPointVersion === "0.7" ? "#CreditPaymasterV07" : "#CreditPaymasterV08";
    case "governor":
      return "#CreditsGovernor";
    case "timelock":
      return "#TimelockController";
  }
}

/** Ignition's default deployment directory for `chainId`: `<ignition>/deployments/chain-<chainId>`. */
export function defaultDeploymentDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  const paths = hre.config.paths as typeof hre.config.paths & { ignition?: string };
  const ignition = paths.ignition ?? path.join(paths.root, "ignition");
  return path.join(ignition, "deployments", `chain-${chainId}`);
}

/** A path as printed in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** The deployment directory the flags select (`--deployment`, else Ignition's default for the chain). */
export function deploymentDir(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
  chainId: bigint,
): string {
  if (flags.deployment === undefined) return defaultDeploymentDir(hre, chainId);
  const given = path.resolve(flags.deployment);
  if (isDirectory(given)) return given;
  // Also accept a deployment id: `--deployment chain-11155111` or a custom `--deployment-id`.
  const byId = path.join(path.dirname(defaultDeploymentDir(hre, chainId)), flags.deployment);
  if (isDirectory(byId)) return byId;
  throw argumentError(
    "deployment",
    flags.deployment,
    `expected an Ignition deployment directory (containing ${DEPLOYED_ADDRESSES_FILE}) or a deployment id under ` +
      `${displayPath(path.dirname(byId))}; neither exists`,
  );
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** Reads `deployed_addresses.json` of `dir`; undefined when the file does not exist. */
export function readDeployedAddresses(dir: string): Record<string, string> | undefined {
  const file = path.join(dir, DEPLOYED_ADDRESSES_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw taskError(`${displayPath(file)} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw taskError(`${displayPath(file)} is not an object of future ids to addresses`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") out[key] = value;
  }
  return out;
}

/** The contract name of a kind, as in messages ("CreditPaymasterV08"). */
function contractName(kind: ContractKind, version: "0.7" | "0.8"): string {
  return deploymentKeySuffix(kind, version).slice(1);
}

/** Options of {@link resolveAddress}. */
export interface ResolveOptions {
  /** Return undefined instead of failing when neither the flag nor the deployment names the contract. */
  optional?: boolean;
}

/**
 * Resolves the address of a deployed contract: the `--<kind>` flag when given, else the Ignition deployment of
 * the current chain (`--deployment` overrides the directory; `--entrypoint` picks the paymaster). Fails with a
 * message saying what is missing and how to fix it, and when no code exists at the address.
 */
export async function resolveAddress(
  hre: HardhatRuntimeEnvironment,
  kind: ContractKind,
  flags: DeploymentFlags,
  options: ResolveOptions = {},
): Promise<ResolvedAddress | undefined> {
  const version = parseEntryPointVersion(flags.entrypoint ?? "0.8");
  const name = contractName(kind, version);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const flagValue = flags[kind];
  let resolved: ResolvedAddress;
  if (flagValue !== undefined) {
    resolved = { address: parseAddress(kind, flagValue), source: `--${kind}` };
  } else {
    const fromDeployment = findInDeployment(hre, kind, flags, chainId, version, options);
    if (fromDeployment === undefined) return undefined;
    resolved = fromDeployment;
  }
  const code = await hre.ethers.provider.getCode(resolved.address);
  if (code === "0x") {
    throw taskError(
      `No contract code at ${resolved.address} (${name} from ${resolved.source}) on chain ${chainId}: deploy ` +
        `first with \`npm run deploy\` (a local node forgets its contracts when restarted), or pass --${kind} ` +
        `with the address of the deployed ${name}`,
    );
  }
  return resolved;
}

/** As {@link resolveAddress}, for a contract the task cannot do without. */
export async function requireAddress(
  hre: HardhatRuntimeEnvironment,
  kind: ContractKind,
  flags: DeploymentFlags,
): Promise<ResolvedAddress> {
  const resolved = await resolveAddress(hre, kind, flags);
  // resolveAddress only returns undefined with `optional`.
  return resolved as ResolvedAddress;
}

function findInDeployment(
  hre: HardhatRuntimeEnvironment,
  kind: ContractKind,
  flags: DeploymentFlags,
  chainId: bigint,
  version: "0.7" | "0.8",
  options: ResolveOptions,
): ResolvedAddress | undefined {
  const name = contractName(kind, version);
  const suffix = deploymentKeySuffix(kind, version);
  const dir = deploymentDir(hre, flags, chainId);
  const file = path.join(dir, DEPLOYED_ADDRESSES_FILE);
  const fix = `Deploy first with \`npm run deploy\` (on this network), or pass --${kind} 0x…`;
  const addresses = readDeployedAddresses(dir);
  if (addresses === undefined) {
    if (options.optional === true) return undefined;
    const how = flags.deployment === undefined ? ` (the Ignition deployment of chain ${chainId})` : "";
    throw taskError(`Cannot find the ${name} address: ${displayPath(file)}${how} does not exist. ${fix}`);
  }
  const keys = Object.keys(addresses).filter((key) => key.endsWith(suffix));
  if (keys.length === 0) {
    if (options.optional === true) return undefined;
    const present = Object.keys(addresses);
    throw taskError(
      `Cannot find the ${name} address: ${displayPath(file)} has no key ending in "${suffix}" (it has: ` +
        `${present.length === 0 ? "none" : present.join(", ")}). ${fix}`,
    );
  }
  if (keys.length > 1) {
    throw taskError(
      `${displayPath(file)} has ${keys.length} keys ending in "${suffix}" (${keys.join(", ")}): pass ` +
        `--${kind} 0x… to choose`,
    );
  }
  const key = keys[0];
  const value = addresses[key];
  let address: string;
  try {
    address = parseAddress(kind, value);
  } catch {
    throw taskError(`${displayPath(file)}: "${key}" is not an address ("${value}")`);
  }
  return { address, source: `${displayPath(file)} (key ${key})` };
}
