/**
 * The contracts a task talks to: addresses from flags or the Ignition deployment (./deployment.ts), each checked
 * with one view call through viem and the client ABI (src/client/abi.ts) to answer like the contract it should be.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAbi } from "viem";
import type { Address } from "viem";
import { readContract } from "viem/actions";

import { creditLedgerAbi, creditPaymasterAbi, priceAdapterAbi } from "../../src/client/abi";
import { ensureCompiled, viemPublicClient } from "./chain";
import { requireAddress, resolveAddress } from "./deployment";
import type { ContractKind, DeploymentFlags, ResolvedAddress } from "./deployment";
import { taskError } from "./errors";
import { decodeRevert, errorAbi, explainFailure, findRevertData } from "./revert";

async function probe(resolved: ResolvedAddress, name: string, check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
  } catch {
    throw taskError(
      `${resolved.address} (from ${resolved.source}) is not a ${name}: it does not answer like one. Check the ` +
        `address`,
    );
  }
}

/** A checked contract address and where it came from. */
export interface CheckedAddress {
  address: Address;
  source: string;
}

const GOVERNOR_PROBE_ABI = parseAbi(["function timelock() view returns (address)"]);
const TIMELOCK_PROBE_ABI = parseAbi(["function getMinDelay() view returns (uint256)"]);

/** Checks, with one view call through viem, that the contract at `resolved` answers like a `kind`. */
async function check(
  hre: HardhatRuntimeEnvironment,
  kind: ContractKind,
  resolved: ResolvedAddress,
): Promise<CheckedAddress> {
  await ensureCompiled(hre);
  const client = viemPublicClient(hre);
  const address = resolved.address as Address;
  switch (kind) {
    case "ledger":
      await probe(resolved, "CreditLedger", () =>
        readContract(client, { address, abi: creditLedgerAbi, functionName: "ISSUER_ROLE" }),
      );
      break;
    case "paymaster":
      await probe(resolved, "CreditPaymaster", () =>
        readContract(client, { address, abi: creditPaymasterAbi, functionName: "entryPointVersion" }),
      );
      break;
    case "adapter":
      await probe(resolved, "PriceAdapter", () =>
        readContract(client, { address, abi: priceAdapterAbi, functionName: "primaryFeed" }),
      );
      break;
    case "governor":
      await probe(resolved, "Governor", () =>
        readContract(client, { address, abi: GOVERNOR_PROBE_ABI, functionName: "timelock" }),
      );
      break;
    case "timelock":
      await probe(resolved, "TimelockController", () =>
        readContract(client, { address, abi: TIMELOCK_PROBE_ABI, functionName: "getMinDelay" }),
      );
      break;
  }
  return { address, source: resolved.source };
}

/** The ledger's address (flag or deployment), checked to answer like a CreditLedger. */
export async function ledgerAddress(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags) {
  return check(hre, "ledger", await requireAddress(hre, "ledger", flags));
}

/** The paymaster's address (flag or deployment), checked to answer like a CreditPaymaster. */
export async function paymasterAddress(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags) {
  return check(hre, "paymaster", await requireAddress(hre, "paymaster", flags));
}

/** The adapter's address (flag or deployment), checked to answer like a PriceAdapter. */
export async function adapterAddress(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags) {
  return check(hre, "adapter", await requireAddress(hre, "adapter", flags));
}

/** The cached price of the adapter at `adapter`, or undefined when it was never refreshed (`PriceAdapterNoCachedPrice`). */
export async function readCachedPriceAt(
  hre: HardhatRuntimeEnvironment,
  adapter: Address,
): Promise<{ priceWad: bigint; updatedAt: bigint } | undefined> {
  try {
    const [priceWad, updatedAt] = await readContract(viemPublicClient(hre), {
      address: adapter,
      abi: priceAdapterAbi,
      functionName: "cachedPrice",
    });
    return { priceWad, updatedAt };
  } catch (err) {
    const data = findRevertData(err);
    const decoded = data === undefined ? undefined : decodeRevert(data, await errorAbi(hre));
    if (decoded?.name === "PriceAdapterNoCachedPrice") return undefined;
    throw await explainFailure(hre, "Reading the cached price", err);
  }
}

/** The governor's checked address, or undefined when neither `--governor` nor the deployment names one. */
export async function optionalGovernorAddress(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
): Promise<CheckedAddress | undefined> {
  const resolved = await resolveAddress(hre, "governor", flags, { optional: true });
  return resolved === undefined ? undefined : check(hre, "governor", resolved);
}

/** The timelock's checked address, or undefined when neither `--timelock` nor the deployment names one. */
export async function optionalTimelockAddress(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
): Promise<CheckedAddress | undefined> {
  const resolved = await resolveAddress(hre, "timelock", flags, { optional: true });
  return resolved === undefined ? undefined : check(hre, "timelock", resolved);
}
