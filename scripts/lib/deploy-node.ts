/**
 * Deploys the whole system on a separate JSON-RPC node for the end-to-end run, through the production deploy
 * script and its Ignition module ({@link deploySystemForE2E}).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { resolve } from "node:path";

import { JsonRpcProvider } from "ethers";
import type { Signer } from "ethers";
import { getAddress } from "viem";
import type { Address } from "viem";

import { ENTRY_POINT_ADDRESSES, deploySimpleAccountFactory } from "../../src/aa/entrypoint";
import type { EntryPointVersion } from "../../src/aa/entrypoint";
import { readDeployedAddresses, requireAddressBySuffix } from "../../src/deployment";

/** Hardhat node's default accounts used by the run (alto takes #1 and #2, see run.ts). */
export const ACCOUNT_INDEX = {
  admin: 0,
  altoUtility: 1,
  altoExecutor: 2,
  dapp: 3,
  treasury: 4,
  issuer: 5,
} as const;

/** Addresses of the deployed system. */
export interface E2ESystem {
  entryPoints: Readonly<Record<EntryPointVersion, Address>>;
  factories: Readonly<Record<EntryPointVersion, Address>>;
  paymasters: Readonly<Record<EntryPointVersion, Address>>;
  ledger: Address;
  priceAdapter: Address;
  feed: Address;
  admin: Address;
  /** A dApp (EOA) that buys credits and sponsors users. */
  dapp: Address;
  issuer: Address;
}

async function address(contract: { getAddress(): Promise<string> }): Promise<Address> {
  return getAddress(await contract.getAddress());
}

/**
 * Deploys, over JSON-RPC at `rpcUrl` (a `hardhat node` with its unlocked default accounts), the full system
 * exactly as production does: `scripts/deploy.ts` (the `npm run deploy` script, DAO variant: Governor + Timelock
 * administer everything) runs the full-system Hardhat Ignition module with ignition/parameters/localhost.json —
 * canonical EntryPoint v0.7 and v0.8, mock ETH/USD feed, PriceAdapter (cache refreshed), CreditLedger, one
 * CreditPaymaster per EntryPoint (staked, funded, registered as spenders). Then one SimpleAccountFactory per
 * EntryPoint (the wallet side, not part of the system).
 */
export async function deploySystemForE2E(rpcUrl: string): Promise<E2ESystem> {
  const deploymentId = `e2e-${new URL(rpcUrl).port}`;
  const deployment = resolve(__dirname, "..", "..", "ignition", "deployments", deploymentId);
  rmSync(deployment, { recursive: true, force: true });
  const run = spawnSync("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
    cwd: resolve(__dirname, "..", ".."),
    env: { ...process.env, LOCALHOST_RPC_URL: rpcUrl, DEPLOY_VARIANT: "dao", DEPLOYMENT_ID: deploymentId },
    encoding: "utf8",
  });
  if (run.status !== 0) {
    throw new Error(`npm run deploy failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  const deployed = readDeployedAddresses(deployment) ?? {};
  rmSync(deployment, { recursive: true, force: true });
  const bySuffix = (suffix: string): Address =>
    requireAddressBySuffix(deployed, `#${suffix}`, `deployment ${deploymentId}`);

  // cacheTimeout -1: ethers otherwise answers a repeated call (e.g. getCode before and after a deployment) from a
  // 250 ms cache, which a fast node makes visible.
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  });
  const signer = (index: number): Promise<Signer> => provider.getSigner(index);
  const admin = await signer(ACCOUNT_INDEX.admin);
  const dapp = await signer(ACCOUNT_INDEX.dapp);
  const issuer = await signer(ACCOUNT_INDEX.issuer);
  const entryPoints = { "0.7": ENTRY_POINT_ADDRESSES["0.7"], "0.8": ENTRY_POINT_ADDRESSES["0.8"] } as const;
  const factories = {} as Record<EntryPointVersion, Address>;
  for (const version of ["0.7", "0.8"] as const) {
    factories[version] = await address(
      await deploySimpleAccountFactory(version, entryPoints[version], admin),
    );
  }
  provider.destroy();

  return {
    entryPoints: { "0.7": getAddress(entryPoints["0.7"]), "0.8": getAddress(entryPoints["0.8"]) },
    factories,
    paymasters: { "0.7": bySuffix("CreditPaymasterV07"), "0.8": bySuffix("CreditPaymasterV08") },
    ledger: bySuffix("CreditLedger"),
    priceAdapter: bySuffix("PriceAdapter"),
    feed: bySuffix("EthUsdFeed"),
    admin: getAddress(await admin.getAddress()),
    dapp: getAddress(await dapp.getAddress()),
    issuer: getAddress(await issuer.getAddress()),
  };
}
