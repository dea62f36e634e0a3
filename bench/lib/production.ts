/**
 * The benchmark's system as production builds it: the full-system Ignition module deployed by the deploy library
 * (`scripts/lib/deploy-system.ts`, the code behind `npm run deploy`) with `ignition/parameters/hardhat.json`, in its
 * "admin" variant (an existing admin administers everything; the "dao" variant differs only in who administers,
 * which no operation's hot path reads). ONE ledger and ONE price adapter, both paymasters (v0.7 and v0.8)
 * registered as the ledger's spenders, the paymaster configuration and the adapter settings of the parameter file.
 *
 * The bench then adds what the deploy leaves to operators and users: the SimpleAccount factories, the call target,
 * deposits topped up on both EntryPoints (`paymaster:deposit`) and the payers' credits and grants.
 */
import hre, { ethers } from "hardhat";
import { getAddress, parseEther } from "ethers";
import type { Signer } from "ethers";

import { deploySystem as deployWithIgnition } from "../../scripts/lib/deploy-system";
import { CANONICAL_ENTRY_POINTS } from "../../ignition/modules/system";
import { MockV3Aggregator__factory, TestTarget__factory } from "../../typechain-types";
import { deployEntryPoints, deploySimpleAccountFactory } from "../../src/aa";
import type { EntryPointVersion, System } from "../../src/aa";

/** ETH each paymaster's EntryPoint deposit is topped up with (`paymaster:deposit`) before the bench starts. */
const DEPOSIT_TOP_UP = parseEther("20");

/** The production set-up: one system per EntryPoint version, sharing the ledger and the adapter. */
export interface ProductionSystems {
  readonly "0.7": System;
  readonly "0.8": System;
  /** The ledger's registered spenders, as the deploy left them. */
  readonly spenders: readonly string[];
}

async function signerOf(address: string, what: string): Promise<Signer> {
  const signers = await ethers.getSigners();
  const signer = signers.find((s) => getAddress(s.address) === getAddress(address));
  if (signer === undefined) {
    throw new Error(
      `${what} ${address} of ignition/parameters/hardhat.json is not an account of the hardhat network`,
    );
  }
  return signer;
}

/**
 * Checks that the deployed system is the production one: the ledger's spenders are exactly the two paymasters,
 * each paymaster serves the canonical EntryPoint of its version and prices with the ledger's adapter.
 * Pure function of the values read, so that a test can show each check fails.
 */
export function checkProductionWiring(wiring: {
  spenders: readonly string[];
  paymasters: Readonly<Record<EntryPointVersion, string>>;
  entryPoints: Readonly<Record<EntryPointVersion, string>>;
  adapters: Readonly<Record<EntryPointVersion | "ledger", string>>;
}): void {
  const spenders = wiring.spenders.map((s) => getAddress(s)).sort();
  const expected = [wiring.paymasters["0.7"], wiring.paymasters["0.8"]].map((s) => getAddress(s)).sort();
  if (spenders.length !== 2 || spenders.join() !== expected.join()) {
    throw new Error(
      `the bench's ledger has ${spenders.length} spender(s) (${spenders.join(", ")}); the deploy registers ` +
        `exactly the two paymasters (${expected.join(", ")})`,
    );
  }
  const canonical = { "0.7": CANONICAL_ENTRY_POINTS.v07, "0.8": CANONICAL_ENTRY_POINTS.v08 } as const;
  for (const version of ["0.7", "0.8"] as const) {
    if (getAddress(wiring.entryPoints[version]) !== getAddress(canonical[version])) {
      throw new Error(
        `the v${version} paymaster serves ${wiring.entryPoints[version]}, not the canonical EntryPoint ` +
          `${canonical[version]}`,
      );
    }
    if (getAddress(wiring.adapters[version]) !== getAddress(wiring.adapters.ledger)) {
      throw new Error(
        `the v${version} paymaster prices with ${wiring.adapters[version]}, the ledger with ` +
          `${wiring.adapters.ledger}: the deploy gives both the same adapter`,
      );
    }
  }
}

/**
 * Deploys the production system with the deploy library (see the file comment) and returns one {@link System}
 * per EntryPoint version over it. Roles: `admin` is the parameter file's admin (DEFAULT_ADMIN_ROLE, and the issuer
 * of grants, as the deploy makes it); `guardian` its guardian; the other signers are the bench's.
 */
export async function deployProductionSystems(): Promise<ProductionSystems> {
  const deployed = await deployWithIgnition(hre, { variant: "admin" });
  const adminAddress = deployed.parameters.admin;
  if (adminAddress === undefined) throw new Error("the admin variant's deployment has no admin parameter");
  const admin = await signerOf(adminAddress, "AdminSystem.admin");
  const guardian = await signerOf(deployed.parameters.guardian, "guardian");
  const [, bundler, , dapp, , , outsider] = await ethers.getSigners();

  const spenders = await deployed.ledger.spenders();
  const paymasters = { "0.7": deployed.paymasterV07, "0.8": deployed.paymasterV08 } as const;
  checkProductionWiring({
    spenders,
    paymasters: {
      "0.7": await paymasters["0.7"].getAddress(),
      "0.8": await paymasters["0.8"].getAddress(),
    },
    entryPoints: {
      "0.7": await paymasters["0.7"].entryPoint(),
      "0.8": await paymasters["0.8"].entryPoint(),
    },
    adapters: {
      "0.7": await paymasters["0.7"].priceAdapter(),
      "0.8": await paymasters["0.8"].priceAdapter(),
      ledger: await deployed.ledger.adapter(),
    },
  });

  const eps = await deployEntryPoints(admin);
  const feed = MockV3Aggregator__factory.connect(deployed.addresses["LocalEthUsdFeed#EthUsdFeed"], admin);
  const ledger = deployed.ledger.connect(admin);
  const adapter = deployed.adapter.connect(admin);
  const build = async (version: EntryPointVersion): Promise<System> => {
    const entryPoint = eps[version];
    const paymaster = paymasters[version].connect(admin);
    await (await entryPoint.depositTo(paymaster, { value: DEPOSIT_TOP_UP })).wait();
    const factory = await deploySimpleAccountFactory(version, await entryPoint.getAddress(), admin);
    const target = await new TestTarget__factory(admin).deploy();
    await target.waitForDeployment();
    return {
      version,
      entryPoint,
      feed,
      adapter,
      ledger,
      paymaster,
      factory,
      target,
      admin,
      bundler,
      treasury: admin,
      dapp,
      issuer: admin,
      guardian,
      outsider,
    };
  };
  return { "0.7": await build("0.7"), "0.8": await build("0.8"), spenders };
}
