import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Address } from "viem";
import { getCode } from "viem/actions";

import {
  DEPLOYED_ADDRESSES_FILE,
  DeploymentError,
  defaultDeploymentId,
  deploymentKeySuffix,
  deploymentsHint,
  deploymentsRoot,
  displayPath,
  findAddress,
  findDeploymentDir,
  readDeployedAddresses,
} from "../../src/deployment";
import type { ContractKind } from "../../src/deployment";
import { parseAddress, parseEntryPointVersion } from "./args";
import { chainId as readChainId, viemPublicClient } from "./chain";
import { argumentError, taskError } from "./errors";

export { deploymentKeySuffix, displayPath };
export type { ContractKind };

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

/** Ignition's folder of the project (`hre.config.paths.ignition`, which tests may point elsewhere). */
export function ignitionDir(hre: HardhatRuntimeEnvironment): string {
  const paths = hre.config.paths as typeof hre.config.paths & { ignition?: string };
  return paths.ignition ?? path.join(paths.root, "ignition");
}

/** Ignition's default deployment directory for `chainId`: `<ignition>/deployments/chain-<chainId>`. */
export function defaultDeploymentDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(deploymentsRoot(ignitionDir(hre)), defaultDeploymentId(chainId));
}

/** The deployment directory the flags select (`--deployment`, else Ignition's default for the chain). */
export function deploymentDir(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
  chainId: bigint,
): string {
  if (flags.deployment === undefined) return defaultDeploymentDir(hre, chainId);
  const found = findDeploymentDir(ignitionDir(hre), flags.deployment);
  if (found !== undefined) return found;
  throw argumentError(
    "deployment",
    flags.deployment,
    `expected an Ignition deployment directory (containing ${DEPLOYED_ADDRESSES_FILE}) or a deployment id under ` +
      `${displayPath(deploymentsRoot(ignitionDir(hre)))}; neither exists${withPeriod(deploymentsHint(ignitionDir(hre), chainId))}`,
  );
}

function withPeriod(hint: string): string {
  return hint === "" ? "" : `.${hint}`;
}

/** Reads `deployed_addresses.json` of `dir` (undefined when absent); a bad file is a task error. */
function readAddresses(dir: string): Record<string, string> | undefined {
  try {
    return readDeployedAddresses(dir);
  } catch (e) {
    if (e instanceof DeploymentError) throw taskError(e.message);
    throw e;
  }
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
  const chainId = await readChainId(hre);
  const flagValue = flags[kind];
  let resolved: ResolvedAddress;
  if (flagValue !== undefined) {
    resolved = { address: parseAddress(kind, flagValue), source: `--${kind}` };
  } else {
    const fromDeployment = findInDeployment(hre, kind, flags, chainId, version, options);
    if (fromDeployment === undefined) return undefined;
    resolved = fromDeployment;
  }
  const code = await getCode(viemPublicClient(hre), { address: resolved.address as Address });
  if (code === undefined || code === "0x") {
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
  const addresses = readAddresses(dir);
  if (addresses === undefined) {
    if (options.optional === true) return undefined;
    const how = flags.deployment === undefined ? ` (the Ignition deployment of chain ${chainId})` : "";
    throw taskError(
      `Cannot find the ${name} address: ${displayPath(file)}${how} does not exist. ${fix}` +
        deploymentsHint(ignitionDir(hre), chainId),
    );
  }
  const found = findAddress(addresses, suffix);
  switch (found.status) {
    case "missing":
      if (options.optional === true) return undefined;
      throw taskError(
        `Cannot find the ${name} address: ${displayPath(file)} has no key ending in "${suffix}" (it has: ` +
          `${found.keys.length === 0 ? "none" : found.keys.join(", ")}). ${fix}`,
      );
    case "ambiguous":
      throw taskError(
        `${displayPath(file)} has ${found.keys.length} keys ending in "${suffix}" (${found.keys.join(", ")}): ` +
          `pass --${kind} 0x… to choose`,
      );
    case "invalid":
      throw taskError(`${displayPath(file)}: "${found.key}" is not an address ("${found.value}")`);
    case "found":
      return { address: found.address, source: `${displayPath(file)} (key ${found.key})` };
  }
}
