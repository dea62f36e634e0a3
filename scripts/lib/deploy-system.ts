/**
 * Deploys the full system on the selected Hardhat network through its Ignition module, the way
 * `npm run deploy`, `npm run demo` and the tests do it:
 *   1. local chains (hardhat, localhost): the canonical EntryPoints (CREATE2 deployer) and the LocalEthUsdFeed
 *      module (a Chainlink MockV3Aggregator at $3,000), whose address becomes `PriceAdapter.ethUsdFeed`;
 *   2. the preconditions (scripts/lib/preconditions.ts);
 *   3. the DaoSystem or AdminSystem module, with the network's parameter file, into the Ignition deployment
 *      `chain-<chainId>` (or `deploymentId`); on the in-process `hardhat` network the deployment is ephemeral.
 */
import { DeploymentResultType, deploy as ignitionDeploy } from "@nomicfoundation/ignition-core";
import type { DeploymentParameters, ExecutionEventListener } from "@nomicfoundation/ignition-core";
import {
  HardhatArtifactResolver,
  errorDeploymentResultToExceptionMessage,
} from "@nomicfoundation/hardhat-ignition/helpers";
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
  ParameterError,
  SYSTEM_MODULE_IDS,
  loadParameters,
  parametersFile,
  resolveSystemParameters,
  withEthUsdFeed,
} from "./parameters";
import type { SystemParameters, Variant } from "./parameters";
import {
  SystemPrettyEventHandler,
  plainProgressListener,
  systemDeploymentStarted,
} from "./ignition-progress";
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
  /**
   * Ignition's progress: true for its terminal display, "plain" for plain lines through `log` (a log file or CI),
   * false for none (default). Either way it says "Resuming" only when the system's module was started before.
   */
  readonly displayUi?: boolean | "plain";
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
  /**
   * Local chains: the gas and transactions of the system module's deployment in this run (the EntryPoints and
   * the mock feed excluded; a resumed deployment counts only what this run sent).
   */
  readonly measured?: { gasUsed: bigint; transactions: number };
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
    throw new ParameterError([
      `no parameter file for network "${network}": expected ${file}. Copy the file of a similar network ` +
        `(ignition/parameters/) and adjust its addresses (see docs/deploy.md).`,
    ]);
  }
  let parameters = options.parameters ?? (await loadParameters(file));
  const signers = await hre.ethers.getSigners();
  const deployer = signers.length > 0 ? signers[0] : undefined;
  const deploymentId = options.deploymentId ?? `chain-${chainId}`;
  const deploymentDir =
    network === "hardhat" ? undefined : path.join(hre.config.paths.ignition, "deployments", deploymentId);
  // Read before the local feed is recorded in the same journal: whether the system itself is being resumed.
  let resumed = systemDeploymentStarted(deploymentDir);

  log(`Network ${network} (chain ${chainId}), variant "${options.variant}", parameters ${file}`);
  if (local) {
    if (deployer === undefined) throw new Error(`no account on the local network ${network}`);
    if (deploymentDir !== undefined) await dropStaleLocalJournal(hre, deploymentDir, log);
    resumed = systemDeploymentStarted(deploymentDir);
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

  log(
    `Ignition: ${SYSTEM_MODULE_IDS[options.variant]} (deployment "${deploymentId}", ` +
      `${resumed ? "resuming its journal" : "new"})`,
  );
  const module = options.variant === "dao" ? DaoSystemModule : AdminSystemModule;
  let listener: ExecutionEventListener | undefined;
  if (options.displayUi === true) listener = new SystemPrettyEventHandler(resumed);
  else if (options.displayUi === "plain") listener = plainProgressListener(log, resumed);
  // Ignition's deploy as hre.ignition.deploy runs it, with this script's progress listener.
  const networkIgnition = (
    hre.config.networks[network] as {
      ignition?: { maxFeePerGasLimit?: bigint; maxPriorityFeePerGas?: bigint };
    }
  ).ignition;
  // Local chains mine only this deployment's transactions: the blocks after this one measure its gas.
  const blockBefore = local ? await hre.ethers.provider.getBlockNumber() : undefined;
  const result = await ignitionDeploy({
    config: { ...hre.config.ignition, ...(local ? LOCAL_IGNITION_CONFIG : {}) },
    provider: hre.network.provider,
    deploymentDir,
    executionEventListener: listener,
    artifactResolver: new HardhatArtifactResolver(hre),
    ignitionModule: module,
    deploymentParameters: parameters,
    accounts: (await hre.network.provider.request({ method: "eth_accounts" })) as string[],
    maxFeePerGasLimit: networkIgnition?.maxFeePerGasLimit,
    maxPriorityFeePerGas: networkIgnition?.maxPriorityFeePerGas,
    maxRetries: hre.config.ignition.maxRetries,
    retryInterval: hre.config.ignition.retryInterval,
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(errorDeploymentResultToExceptionMessage(result));
  }
  const addresses: Record<string, string> = {};
  for (const future of Object.values(module.results)) {
    addresses[future.id] = getAddress(result.contracts[future.id].address);
  }
  if (local) addresses["LocalEthUsdFeed#EthUsdFeed"] = resolved.ethUsdFeed;
  let measured: DeployedSystem["measured"];
  if (blockBefore !== undefined) {
    const latest = await hre.ethers.provider.getBlockNumber();
    measured = { gasUsed: 0n, transactions: 0 };
    for (let n = blockBefore + 1; n <= latest; n++) {
      const block = await hre.ethers.provider.getBlock(n);
      if (block === null) continue;
      measured.gasUsed += block.gasUsed;
      measured.transactions += block.transactions.length;
    }
  }

  const runner = deployer ?? hre.ethers.provider;
  const at = (suffix: string) => addressBySuffix(addresses, suffix);
  return {
    variant: options.variant,
    network,
    chainId,
    deploymentId,
    deploymentDir,
    addresses,
    measured,
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
