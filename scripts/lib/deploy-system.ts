/**
 * Deploys the full system on the selected Hardhat network through its Ignition module, the way
 * `npm run deploy`, `npm run demo` and the tests do it:
 *   1. local chains (hardhat, localhost): the canonical EntryPoints (CREATE2 deployer) and the LocalEthUsdFeed
 *      module (a Chainlink MockV3Aggregator at $3,000), whose address becomes `PriceAdapter.ethUsdFeed`;
 *   2. the preconditions (scripts/lib/preconditions.ts);
 *   3. the DaoSystem or AdminSystem module, with the network's parameter file, into the Ignition deployment
 *      `chain-<chainId>` (or `deploymentId`); on the in-process `hardhat` network the deployment is ephemeral.
 */
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";

import AdminSystemModule from "../../ignition/modules/AdminSystem";
import DaoSystemModule from "../../ignition/modules/DaoSystem";
import LocalEthUsdFeedModule from "../../ignition/modules/LocalEthUsdFeed";
import {
  CreditLedger__factory,
  CreditPaymaster__factory,
  CreditsGovernor__factory,
  CreditsVotesToken__factory,
  PriceAdapter__factory,
  TimelockController__factory,
} from "../../typechain-types";
import type {
  CreditLedger,
  CreditPaymaster,
  CreditsGovernor,
  CreditsVotesToken,
  PriceAdapter,
  TimelockController,
} from "../../typechain-types";
import { deployEntryPoints } from "../../src/aa/entrypoint";
import { readDeployedAddresses, requireAddressBySuffix } from "../../src/deployment";
import { LOCAL_NETWORKS, deployerKeyMessage, liveNetwork } from "./networks";
import {
  SYSTEM_MODULE_IDS,
  loadParameters,
  parametersFile,
  resolveSystemParameters,
  withEthUsdFeed,
} from "./parameters";
import type { SystemParameters, Variant } from "./parameters";
import { checkPreconditions } from "./preconditions";
import type { PreconditionReport } from "./preconditions";

/** Local chains mine on every transaction: poll for receipts every 50 ms instead of Ignition's 1 s. */
const LOCAL_IGNITION_CONFIG = { blockPollingInterval: 50 } as const;

export interface DeploySystemOptions {
  readonly variant: Variant;
  /** Parameter file; default `ignition/parameters/<network>.json`. */
  readonly parametersFile?: string;
  /** Parameters to use instead of reading the file (the file path is still named in messages). */
  readonly parameters?: DeploymentParameters;
  /** Ignition deployment id; default `chain-<chainId>` (Ignition's own default). */
  readonly deploymentId?: string;
  /** Ignition's progress UI (the deploy script turns it on). */
  readonly displayUi?: boolean;
  readonly log?: (line: string) => void;
}

export interface DeployedSystem {
  readonly variant: Variant;
  readonly network: string;
  readonly chainId: bigint;
  readonly deploymentId: string;
  /** `ignition/deployments/<id>` (undefined on the in-process network, where Ignition keeps no journal). */
  readonly deploymentDir: string | undefined;
  /** Ignition future id → address: the keys of deployed_addresses.json (naming contract). */
  readonly addresses: Readonly<Record<string, string>>;
  readonly parameters: SystemParameters;
  readonly preconditions: PreconditionReport;
  readonly adapter: PriceAdapter;
  readonly ledger: CreditLedger;
  readonly paymasterV07: CreditPaymaster;
  readonly paymasterV08: CreditPaymaster;
  /** DAO variant only. */
  readonly governance?: {
    readonly token: CreditsVotesToken;
    readonly timelock: TimelockController;
    readonly governor: CreditsGovernor;
  };
}

/** The address whose key ends with `#<suffix>` in a deployed_addresses.json-style map. */
export function addressBySuffix(addresses: Readonly<Record<string, string>>, suffix: string): string {
  return requireAddressBySuffix(addresses, `#${suffix}`, "the deployed addresses");
}

function isEmptyCode(code: string): boolean {
  return code === "0x" || code === "0x0" || code === "";
}

/**
 * Local chains only: a journal whose contracts are not on the chain (the `hardhat node` was restarted) would
 * make Ignition "resume" a deployment that no longer exists. Such a journal is removed, with a notice.
 */
async function dropStaleLocalJournal(
  hre: HardhatRuntimeEnvironment,
  deploymentDir: string,
  log: (line: string) => void,
): Promise<void> {
  const recorded = readDeployedAddresses(deploymentDir);
  for (const address of Object.values(recorded ?? {})) {
    if (isEmptyCode(await hre.ethers.provider.getCode(address))) {
      log(
        `  ! removing the stale local deployment journal ${deploymentDir} (its contracts are not on this chain)`,
      );
      rmSync(deploymentDir, { recursive: true, force: true });
      return;
    }
  }
}

/** Deploys the full system (see the file comment); throws ParameterError / PreconditionError before any tx. */
export async function deploySystem(
  hre: HardhatRuntimeEnvironment,
  options: DeploySystemOptions,
): Promise<DeployedSystem> {
  const log = options.log ?? (() => undefined);
  const network = hre.network.name;
  const local = LOCAL_NETWORKS.includes(network);
  const { chainId } = await hre.ethers.provider.getNetwork();
  const file = options.parametersFile ?? parametersFile(hre.config.paths.root, network);
  if (options.parameters === undefined && !existsSync(file)) {
    throw new Error(
      `no parameter file for network "${network}": expected ${file}. Copy the file of a similar network ` +
        `(ignition/parameters/) and adjust its addresses (see docs/deploy.md).`,
    );
  }
  let parameters = options.parameters ?? (await loadParameters(file));
  const signers = await hre.ethers.getSigners();
  const deployer = signers.length > 0 ? signers[0] : undefined;
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const deploymentDir =
    network === "hardhat" ? undefined : path.join(hre.config.paths.ignition, "deployments", deploymentId);

  log(`Network ${network} (chain ${chainId}), variant "${options.variant}", parameters ${file}`);
  if (local) {
    if (deployer === undefined) throw new Error(`no account on the local network ${network}`);
    if (deploymentDir !== undefined) await dropStaleLocalJournal(hre, deploymentDir, log);
    log("Local chain: canonical EntryPoints and a mock ETH/USD feed");
    await deployEntryPoints(deployer);
    const { feed } = await hre.ignition.deploy(LocalEthUsdFeedModule, {
      parameters,
      deploymentId,
      config: LOCAL_IGNITION_CONFIG,
    });
    const feedAddress = await feed.getAddress();
    log(
      `  ✓ EntryPoint v0.7 / v0.8 at their canonical addresses; MockV3Aggregator ETH/USD at ${feedAddress}`,
    );
    parameters = withEthUsdFeed(parameters, feedAddress);
  }

  const resolved = resolveSystemParameters(parameters, options.variant, file);
  log("Preconditions");
  const live = liveNetwork(network);
  const report = await checkPreconditions({
    provider: hre.ethers.provider,
    network,
    variant: options.variant,
    params: resolved,
    parametersFile: file,
    deployer: deployer?.address,
    missingDeployerMessage:
      live === undefined ? `configure an account for ${network}` : deployerKeyMessage(network),
    log,
  });

  log(`Ignition: ${SYSTEM_MODULE_IDS[options.variant]} (deployment "${deploymentId}")`);
  const module = options.variant === "dao" ? DaoSystemModule : AdminSystemModule;
  const contracts: Record<string, { getAddress(): Promise<string> }> = await hre.ignition.deploy(module, {
    parameters,
    deploymentId,
    displayUi: options.displayUi ?? false,
    config: local ? LOCAL_IGNITION_CONFIG : undefined,
  });
  const addresses: Record<string, string> = {};
  for (const [name, future] of Object.entries(module.results)) {
    addresses[future.id] = getAddress(await contracts[name].getAddress());
  }
  if (local) addresses["LocalEthUsdFeed#EthUsdFeed"] = resolved.ethUsdFeed;

  const runner = deployer ?? hre.ethers.provider;
  const at = (suffix: string) => addressBySuffix(addresses, suffix);
  return {
    variant: options.variant,
    network,
    chainId,
    deploymentId,
    deploymentDir,
    addresses,
    parameters: resolved,
    preconditions: report,
    adapter: PriceAdapter__factory.connect(at("PriceAdapter"), runner),
    ledger: CreditLedger__factory.connect(at("CreditLedger"), runner),
    paymasterV07: CreditPaymaster__factory.connect(at("CreditPaymasterV07"), runner),
    paymasterV08: CreditPaymaster__factory.connect(at("CreditPaymasterV08"), runner),
    governance:
      options.variant === "dao"
        ? {
            token: CreditsVotesToken__factory.connect(at("CreditsVotesToken"), runner),
            timelock: TimelockController__factory.connect(at("TimelockController"), runner),
            governor: CreditsGovernor__factory.connect(at("CreditsGovernor"), runner),
          }
        : undefined,
  };
}
