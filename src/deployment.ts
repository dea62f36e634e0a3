/**
 * The one reader of Hardhat Ignition deployments (`ignition/deployments/<id>/`), for the tasks, the paymaster
 * service and the deploy scripts. Needs no Hardhat: the files are validated with zod.
 *   - `deployed_addresses.json`: Ignition future id → address. The modules' naming contract: the future id of each
 *     contract ends in `#<ContractName>` (see {@link deploymentKeySuffix}).
 *   - `journal.jsonl`: its first record (`DEPLOYMENT_INITIALIZE`) names the chain the deployment is on.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { getAddress, isAddress } from "viem";
import type { Address } from "viem";
import { z } from "zod";

/** The file Ignition writes in a deployment directory. */
export const DEPLOYED_ADDRESSES_FILE = "deployed_addresses.json";
/** Ignition's journal in a deployment directory (one JSON record a line). */
export const JOURNAL_FILE = "journal.jsonl";

/** The deployed contracts the tools address by kind. */
export type ContractKind = "ledger" | "adapter" | "paymaster" | "governor" | "timelock";

/** A problem with a deployment file or directory; the message names the file. */
export class DeploymentError extends Error {
  override name = "DeploymentError";
}

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

/** A path as printed in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

/** `deployed_addresses.json`: future ids to addresses (entries are checked when looked up, see {@link findAddress}). */
const deployedAddressesSchema = z.record(z.string(), z.string());

/** Ignition's first journal record. */
const journalHeadSchema = z.object({ type: z.literal("DEPLOYMENT_INITIALIZE"), chainId: z.number().int() });

/** Reads `deployed_addresses.json` of the deployment directory `dir`; undefined when the file does not exist. */
export function readDeployedAddresses(dir: string): Record<string, string> | undefined {
  const file = path.join(dir, DEPLOYED_ADDRESSES_FILE);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new DeploymentError(`${displayPath(file)} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = deployedAddressesSchema.safeParse(json);
  if (!parsed.success) {
    throw new DeploymentError(`${displayPath(file)} is not an object of future ids to addresses`);
  }
  return parsed.data;
}

/** What {@link findAddress} found for a key suffix. */
export type AddressLookup =
  | { status: "found"; key: string; address: Address }
  | { status: "missing"; keys: string[] }
  | { status: "ambiguous"; keys: string[] }
  | { status: "invalid"; key: string; value: string };

/** The one entry of `addresses` whose key ends in `suffix` ("#CreditLedger"), checksummed. */
export function findAddress(addresses: Readonly<Record<string, string>>, suffix: string): AddressLookup {
  const keys = Object.keys(addresses).filter((key) => key.endsWith(suffix));
  if (keys.length === 0) return { status: "missing", keys: Object.keys(addresses) };
  if (keys.length > 1) return { status: "ambiguous", keys };
  const [key] = keys;
  const value = addresses[key];
  if (!isAddress(value.trim()) || BigInt(value.trim()) === 0n) {
    return { status: "invalid", key, value };
  }
  return { status: "found", key, address: getAddress(value.trim()) };
}

/** As {@link findAddress}, throwing a {@link DeploymentError} unless exactly one valid entry matches. */
export function requireAddressBySuffix(
  addresses: Readonly<Record<string, string>>,
  suffix: string,
  where = "the deployment",
): Address {
  const found = findAddress(addresses, suffix);
  switch (found.status) {
    case "found":
      return found.address;
    case "missing":
      throw new DeploymentError(`${where} has no key ending in "${suffix}"`);
    case "ambiguous":
      throw new DeploymentError(`${where} has ${found.keys.length} keys ending in "${suffix}"`);
    case "invalid":
      throw new DeploymentError(`${where}: "${found.key}" is not an address ("${found.value}")`);
  }
}

/** The directory of Ignition's deployments: `<ignition>/deployments`. */
export function deploymentsRoot(ignitionDir: string): string {
  return path.join(ignitionDir, "deployments");
}

/** Ignition's default deployment id for a chain. */
export function defaultDeploymentId(chainId: bigint | number): string {
  return `chain-${chainId}`;
}

/**
 * The deployment directory `given` names: a directory, a `deployed_addresses.json` file (its directory), or a
 * deployment id under `<ignitionDir>/deployments`. Undefined when none exists.
 */
export function findDeploymentDir(ignitionDir: string, given: string): string | undefined {
  const asPath = path.resolve(given);
  if (isDirectory(asPath)) return asPath;
  if (path.basename(asPath) === DEPLOYED_ADDRESSES_FILE && existsSync(asPath)) return path.dirname(asPath);
  const byId = path.join(deploymentsRoot(ignitionDir), given);
  return isDirectory(byId) ? byId : undefined;
}

/** The chain id a deployment's journal records; undefined without a readable journal. */
export function deploymentChainId(dir: string): number | undefined {
  const file = path.join(dir, JOURNAL_FILE);
  if (!existsSync(file)) return undefined;
  // Ignition's journal may start with an empty line.
  const head = readFileSync(file, "utf8")
    .split("\n")
    .find((line) => line.trim() !== "");
  if (head === undefined) return undefined;
  try {
    const parsed = journalHeadSchema.safeParse(JSON.parse(head));
    return parsed.success ? parsed.data.chainId : undefined;
  } catch {
    return undefined;
  }
}

/** A deployment under `<ignition>/deployments`. */
export interface DeploymentInfo {
  id: string;
  dir: string;
  /** From the journal (`chain-<id>` ids without a journal count as that chain). */
  chainId: number | undefined;
}

/** The deployments under `<ignitionDir>/deployments` that hold a `deployed_addresses.json`, sorted by id. */
export function listDeployments(ignitionDir: string): DeploymentInfo[] {
  const root = deploymentsRoot(ignitionDir);
  if (!isDirectory(root)) return [];
  return readdirSync(root)
    .sort()
    .map((id) => path.join(root, id))
    .filter((dir) => existsSync(path.join(dir, DEPLOYED_ADDRESSES_FILE)))
    .map((dir) => {
      const id = path.basename(dir);
      const fromId = /^chain-(\d+)$/.exec(id);
      return {
        id,
        dir,
        chainId: deploymentChainId(dir) ?? (fromId === null ? undefined : Number(fromId[1])),
      };
    });
}

/** The ids of the deployments on `chainId` (see {@link listDeployments}). */
export function deploymentsOnChain(ignitionDir: string, chainId: bigint | number): string[] {
  return listDeployments(ignitionDir)
    .filter((d) => d.chainId === Number(chainId))
    .map((d) => d.id);
}

/** A hint naming the deployments of a chain (empty when there are none). */
export function deploymentsHint(ignitionDir: string, chainId: bigint | number): string {
  const ids = deploymentsOnChain(ignitionDir, chainId);
  if (ids.length === 0) return "";
  return ` Deployments of chain ${chainId} under ${displayPath(deploymentsRoot(ignitionDir))}: ${ids.join(", ")} (pass --deployment <id>).`;
}
