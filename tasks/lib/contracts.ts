import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

// Type-only imports: erased at runtime, so the tasks load before TypeChain has generated anything.
import type {
  CreditLedger,
  CreditPaymaster,
  CreditsGovernor,
  IEntryPoint,
  PriceAdapter,
  TimelockController,
} from "../../typechain-types";
import { parseAbi } from "viem";
import type { Address } from "viem";
import { readContract } from "viem/actions";

import { creditLedgerAbi, creditPaymasterAbi, priceAdapterAbi } from "../../src/client/abi";
import { ensureCompiled, viemPublicClient } from "./chain";
import { requireAddress, resolveAddress } from "./deployment";
import type { ContractKind, DeploymentFlags, ResolvedAddress } from "./deployment";
import { taskError } from "./errors";
import { decodeRevert, errorAbi, explainFailure, findRevertData } from "./revert";

/** A contract and where its address came from. */
export interface Resolved<T> {
  contract: T;
  address: string;
  source: string;
}

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

type Runner = HardhatEthersSigner | undefined;

/** Connects a typed contract of `kind` at its resolved address, and checks that it answers like one. */
async function connect<T>(
  hre: HardhatRuntimeEnvironment,
  kind: ContractKind,
  resolved: ResolvedAddress,
  runner: Runner,
): Promise<Resolved<T>> {
  await ensureCompiled(hre);
  const { address, source } = resolved;
  let contract: unknown;
  switch (kind) {
    case "ledger": {
      const c = await hre.ethers.getContractAt("CreditLedger", address, runner);
      await probe(resolved, "CreditLedger", () => c.ISSUER_ROLE());
      contract = c;
      break;
    }
    case "paymaster": {
      const c = await hre.ethers.getContractAt("CreditPaymaster", address, runner);
      await probe(resolved, "CreditPaymaster", () => c.entryPointVersion());
      contract = c;
      break;
    }
    case "adapter": {
      const c = await hre.ethers.getContractAt("PriceAdapter", address, runner);
      await probe(resolved, "PriceAdapter", () => c.primaryFeed());
      contract = c;
      break;
    }
    case "governor": {
      const c = await hre.ethers.getContractAt("CreditsGovernor", address, runner);
      await probe(resolved, "Governor", () => c.timelock());
      contract = c;
      break;
    }
    case "timelock": {
      const c = await hre.ethers.getContractAt("TimelockController", address, runner);
      await probe(resolved, "TimelockController", () => c.getMinDelay());
      contract = c;
      break;
    }
  }
  return { contract: contract as T, address, source };
}

export async function ledgerAt(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags, runner?: Runner) {
  return connect<CreditLedger>(hre, "ledger", await requireAddress(hre, "ledger", flags), runner);
}

export async function paymasterAt(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags, runner?: Runner) {
  return connect<CreditPaymaster>(hre, "paymaster", await requireAddress(hre, "paymaster", flags), runner);
}

export async function adapterAt(hre: HardhatRuntimeEnvironment, flags: DeploymentFlags, runner?: Runner) {
  return connect<PriceAdapter>(hre, "adapter", await requireAddress(hre, "adapter", flags), runner);
}

/** The governor, or undefined when neither `--governor` nor the deployment names one. */
export async function optionalGovernorAt(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
  runner?: Runner,
): Promise<Resolved<CreditsGovernor> | undefined> {
  const resolved = await resolveAddress(hre, "governor", flags, { optional: true });
  return resolved === undefined ? undefined : connect<CreditsGovernor>(hre, "governor", resolved, runner);
}

/** The timelock, or undefined when neither `--timelock` nor the deployment names one. */
export async function optionalTimelockAt(
  hre: HardhatRuntimeEnvironment,
  flags: DeploymentFlags,
): Promise<Resolved<TimelockController> | undefined> {
  const resolved = await resolveAddress(hre, "timelock", flags, { optional: true });
  return resolved === undefined
    ? undefined
    : connect<TimelockController>(hre, "timelock", resolved, undefined);
}

/** Typed contracts at known addresses (read from another contract, not from flags). */
export async function ledgerFrom(hre: HardhatRuntimeEnvironment, address: string): Promise<CreditLedger> {
  await ensureCompiled(hre);
  return hre.ethers.getContractAt("CreditLedger", address);
}

export async function adapterFrom(hre: HardhatRuntimeEnvironment, address: string): Promise<PriceAdapter> {
  await ensureCompiled(hre);
  return hre.ethers.getContractAt("PriceAdapter", address);
}

export async function entryPointFrom(hre: HardhatRuntimeEnvironment, address: string): Promise<IEntryPoint> {
  await ensureCompiled(hre);
  return hre.ethers.getContractAt("IEntryPoint", address);
}

/** The adapter's cached price, or undefined when it was never refreshed (`PriceAdapterNoCachedPrice`). */
export async function readCachedPrice(
  hre: HardhatRuntimeEnvironment,
  adapter: PriceAdapter,
): Promise<{ priceWad: bigint; updatedAt: bigint } | undefined> {
  try {
    const [priceWad, updatedAt] = await adapter.cachedPrice();
    return { priceWad, updatedAt };
  } catch (err) {
    const data = findRevertData(err);
    const decoded = data === undefined ? undefined : decodeRevert(data, await errorAbi(hre));
    if (decoded?.name === "PriceAdapterNoCachedPrice") return undefined;
    throw await explainFailure(hre, "Reading the cached price", err);
  }
}

// ------------------------------------------------------------------------------------------------ viem path

/** A checked contract address and where it came from (the viem path: the tasks call through src/client). */
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

/** {@link readCachedPrice} through viem, for the adapter at `adapter`. */
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
