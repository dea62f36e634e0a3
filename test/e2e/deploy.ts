/**
 * Deploys the whole system on a separate JSON-RPC node for the end-to-end run. Everything goes through
 * {@link deploySystemForE2E}, so the deployment can be swapped (e.g. for the Ignition module) in one place.
 */
import { JsonRpcProvider, parseEther } from "ethers";
import type { Signer } from "ethers";
import { getAddress } from "viem";
import type { Address } from "viem";

import {
  CreditLedger__factory,
  CreditPaymaster__factory,
  MockV3Aggregator__factory,
  PriceAdapter__factory,
} from "../../typechain-types";
import { deployEntryPoints, deploySimpleAccountFactory } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { CREDIT, ETH_USD, ISSUER_ROLE, defaultPaymasterConfig } from "../helpers/system";

/** Hardhat node's default accounts used by the run (alto takes #1 and #2, see bundler.e2e.ts). */
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
 * Deploys, over JSON-RPC at `rpcUrl` (a `hardhat node` with its unlocked default accounts): the canonical
 * EntryPoint v0.7 and v0.8, a SimpleAccountFactory per version, a mock ETH/USD feed, the PriceAdapter (cache
 * refreshed), the CreditLedger, and one CreditPaymaster per EntryPoint (staked 1 ETH, 10 ETH deposit, registered as
 * ledger spenders), with the test helpers' default configuration; grants the issuer role with a cap.
 */
export async function deploySystemForE2E(rpcUrl: string): Promise<E2ESystem> {
  // cacheTimeout -1: ethers otherwise answers a repeated call (e.g. getCode before and after a deployment) from a
  // 250 ms cache, which a fast node makes visible (deployEntryPoint then finds "no code" at the new address).
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  });
  const signer = (index: number): Promise<Signer> => provider.getSigner(index);
  const admin = await signer(ACCOUNT_INDEX.admin);
  const dapp = await signer(ACCOUNT_INDEX.dapp);
  const treasury = await signer(ACCOUNT_INDEX.treasury);
  const issuer = await signer(ACCOUNT_INDEX.issuer);

  const eps = await deployEntryPoints(admin, provider);
  const feed = await new MockV3Aggregator__factory(admin).deploy(8, ETH_USD);
  await feed.waitForDeployment();
  const adapter = await new PriceAdapter__factory(admin).deploy(
    await admin.getAddress(),
    {
      feed: await feed.getAddress(),
      heartbeat: 3_600,
      minAnswer: 10n ** 8n,
      maxAnswer: 1_000_000n * 10n ** 8n,
    },
    "ETH / USD",
  );
  await adapter.waitForDeployment();
  await (await adapter.refreshCachedPrice()).wait();
  const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
  await ledger.waitForDeployment();

  const paymasters = {} as Record<EntryPointVersion, Address>;
  const factories = {} as Record<EntryPointVersion, Address>;
  for (const version of ["0.7", "0.8"] as const) {
    const paymaster = await new CreditPaymaster__factory(admin).deploy(
      eps[version],
      ledger,
      adapter,
      admin,
      defaultPaymasterConfig(),
      86_400,
      parseEther("1"),
      { value: parseEther("11") },
    );
    await paymaster.waitForDeployment();
    await (await ledger.addSpender(paymaster)).wait();
    paymasters[version] = await address(paymaster);
    factories[version] = await address(
      await deploySimpleAccountFactory(version, await eps[version].getAddress(), admin),
    );
  }
  await (await ledger.grantRole(ISSUER_ROLE, issuer)).wait();
  await (await ledger.setIssuerCap(issuer, 1_000_000n * CREDIT, 30 * 86_400)).wait();
  provider.destroy();

  return {
    entryPoints: { "0.7": await address(eps["0.7"]), "0.8": await address(eps["0.8"]) },
    factories,
    paymasters,
    ledger: await address(ledger),
    priceAdapter: await address(adapter),
    feed: await address(feed),
    admin: getAddress(await admin.getAddress()),
    dapp: getAddress(await dapp.getAddress()),
    issuer: getAddress(await issuer.getAddress()),
  };
}
