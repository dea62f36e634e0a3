/**
 * The full-system Ignition modules on the in-process network, deployed exactly as `npm run deploy` does it
 * (scripts/lib/deploy-system.ts with ignition/parameters/hardhat.json): who holds which role afterwards,
 * what the deployer kept (nothing), and the wiring of the ledger and the paymasters.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress, getAddress, parseEther } from "ethers";
import hre from "hardhat";

import { ROLES } from "../../ignition/modules/roles";
import { CANONICAL_ENTRY_POINTS } from "../../ignition/modules/system";
import { deploySystem } from "../../scripts/lib/deploy-system";
import type { DeployedSystem } from "../../scripts/lib/deploy-system";
import type { IAccessControl } from "../../typechain-types";
import { entryPointAt } from "../helpers/entrypoint";

/** Accounts of ignition/parameters/hardhat.json. */
const LOCAL = {
  deployer: getAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
  tokenHolder: getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
  guardian: getAddress("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
  admin: getAddress("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
} as const;
const STAKE = parseEther("1");
const DEPOSIT = parseEther("1");
const ALL_ROLES = Object.entries(ROLES);

async function deployDao(): Promise<DeployedSystem> {
  return deploySystem(hre, { variant: "dao" });
}

async function deployAdmin(): Promise<DeployedSystem> {
  return deploySystem(hre, { variant: "admin" });
}

/** Every role of `ROLES` that `account` holds on `contract`. */
async function rolesOf(contract: IAccessControl, account: string): Promise<string[]> {
  const held: string[] = [];
  for (const [name, role] of ALL_ROLES) {
    if (await contract.hasRole(role, account)) held.push(name);
  }
  return held;
}

/** The checks both variants share, with the admin each one hands everything to. */
function shouldHandEverythingTo(
  fixture: () => Promise<DeployedSystem>,
  adminOf: (s: DeployedSystem) => Promise<string>,
) {
  describe("roles", function () {
    it("gives the admin DEFAULT_ADMIN_ROLE of the price adapter and nothing else there", async function () {
      const system = await loadFixture(fixture);
      expect(await rolesOf(system.adapter, await adminOf(system))).to.deep.equal(["DEFAULT_ADMIN_ROLE"]);
    });

    it("gives the admin DEFAULT_ADMIN_ROLE and ISSUER_ROLE of the ledger", async function () {
      const system = await loadFixture(fixture);
      expect(await rolesOf(system.ledger, await adminOf(system))).to.deep.equal([
        "DEFAULT_ADMIN_ROLE",
        "ISSUER_ROLE",
      ]);
    });

    it("caps the admin's issuance at issuerCapPerEpoch per issuerEpochLength", async function () {
      const system = await loadFixture(fixture);
      const cap = await system.ledger.issuerCap(await adminOf(system));
      expect(cap.limit).to.equal(1_000_000_000_000n);
      expect(cap.epochLength).to.equal(30 * 86_400);
      expect(await system.ledger.remainingIssuance(await adminOf(system))).to.equal(1_000_000_000_000n);
    });

    it("gives the guardian GUARDIAN_ROLE of the ledger only", async function () {
      const system = await loadFixture(fixture);
      expect(await rolesOf(system.ledger, LOCAL.guardian)).to.deep.equal(["GUARDIAN_ROLE"]);
      expect(await rolesOf(system.adapter, LOCAL.guardian)).to.deep.equal([]);
    });

    it("makes the admin the owner of both paymasters, with no pending transfer", async function () {
      const system = await loadFixture(fixture);
      const admin = await adminOf(system);
      for (const paymaster of [system.paymasterV07, system.paymasterV08]) {
        expect(await paymaster.owner()).to.equal(admin);
        expect(await paymaster.pendingOwner()).to.equal(ZeroAddress);
      }
    });

    it("leaves the deployer no role on the adapter and the ledger, and no paymaster", async function () {
      const system = await loadFixture(fixture);
      expect(await rolesOf(system.adapter, LOCAL.deployer)).to.deep.equal([]);
      expect(await rolesOf(system.ledger, LOCAL.deployer)).to.deep.equal([]);
      for (const paymaster of [system.paymasterV07, system.paymasterV08]) {
        expect(await paymaster.owner()).to.not.equal(LOCAL.deployer);
        expect(await paymaster.pendingOwner()).to.not.equal(LOCAL.deployer);
        expect(await paymaster.isGuardian(LOCAL.deployer)).to.equal(false);
      }
      expect(await system.ledger.treasury()).to.not.equal(LOCAL.deployer);
      expect((await system.ledger.issuerCap(LOCAL.deployer)).limit).to.equal(0n);
    });

    it("makes the admin the ledger's treasury", async function () {
      const system = await loadFixture(fixture);
      expect(await system.ledger.treasury()).to.equal(await adminOf(system));
    });
  });

  describe("wiring", function () {
    it("registers both paymasters as the ledger's spenders", async function () {
      const system = await loadFixture(fixture);
      const spenders = (await system.ledger.spenders()).map((s) => getAddress(s));
      expect(spenders).to.have.members([
        await system.paymasterV07.getAddress(),
        await system.paymasterV08.getAddress(),
      ]);
      expect(spenders).to.have.length(2);
    });

    it("routes ETH from credit purchases to the v0.8 paymaster's EntryPoint deposit", async function () {
      const system = await loadFixture(fixture);
      const [entryPoint, paymaster] = await system.ledger.ethDestination();
      expect(entryPoint).to.equal(CANONICAL_ENTRY_POINTS.v08);
      expect(paymaster).to.equal(await system.paymasterV08.getAddress());
    });

    it("stakes and funds each paymaster on its own EntryPoint", async function () {
      const system = await loadFixture(fixture);
      for (const [version, paymaster, expected] of [
        ["0.7", system.paymasterV07, 7n],
        ["0.8", system.paymasterV08, 8n],
      ] as const) {
        expect(await paymaster.entryPointVersion()).to.equal(expected);
        const info = await entryPointAt(version, hre.ethers.provider).getDepositInfo(
          await paymaster.getAddress(),
        );
        expect(info.deposit).to.equal(DEPOSIT);
        expect(info.staked).to.equal(true);
        expect(info.stake).to.equal(STAKE);
        expect(info.unstakeDelaySec).to.equal(86_400n);
      }
    });

    it("uses the adapter for both paymasters and the ledger, with a fresh cached price", async function () {
      const system = await loadFixture(fixture);
      const adapter = await system.adapter.getAddress();
      expect(await system.ledger.adapter()).to.equal(adapter);
      expect(await system.paymasterV07.priceAdapter()).to.equal(adapter);
      expect(await system.paymasterV08.priceAdapter()).to.equal(adapter);
      const [priceWad] = await system.adapter.cachedPrice();
      expect(priceWad).to.equal(parseEther("3000"));
    });
  });
}

describe("Deployment modules", function () {
  describe("DaoSystem", function () {
    const timelockOf = async (s: DeployedSystem) => {
      if (s.governance === undefined) throw new Error("no governance deployed");
      return s.governance.timelock.getAddress();
    };

    shouldHandEverythingTo(deployDao, timelockOf);

    describe("governance", function () {
      it("records the naming-contract keys", async function () {
        const system = await loadFixture(deployDao);
        expect(Object.keys(system.addresses)).to.have.members([
          "PriceAdapter#PriceAdapter",
          "CreditLedger#CreditLedger",
          "DaoSystem#CreditPaymasterV07",
          "DaoSystem#CreditPaymasterV08",
          "Governance#CreditsVotesToken",
          "Governance#TimelockController",
          "Governance#CreditsGovernor",
          "LocalEthUsdFeed#EthUsdFeed",
        ]);
      });

      it("makes the governor the timelock's only proposer and canceller, and anyone an executor", async function () {
        const system = await loadFixture(deployDao);
        const { timelock, governor } = system.governance ?? expect.fail("no governance");
        const governorAddress = await governor.getAddress();
        expect(await rolesOf(timelock, governorAddress)).to.deep.equal(["PROPOSER_ROLE", "CANCELLER_ROLE"]);
        expect(await rolesOf(timelock, ZeroAddress)).to.deep.equal(["EXECUTOR_ROLE"]);
        expect(await governor.timelock()).to.equal(await timelock.getAddress());
      });

      it("leaves the timelock administering itself and the deployer no timelock role", async function () {
        const system = await loadFixture(deployDao);
        const { timelock } = system.governance ?? expect.fail("no governance");
        expect(await rolesOf(timelock, await timelock.getAddress())).to.deep.equal(["DEFAULT_ADMIN_ROLE"]);
        expect(await rolesOf(timelock, LOCAL.deployer)).to.deep.equal([]);
      });

      it("mints the whole token supply to the token holder, none to the deployer", async function () {
        const system = await loadFixture(deployDao);
        const { token, governor } = system.governance ?? expect.fail("no governance");
        expect(await token.balanceOf(LOCAL.tokenHolder)).to.equal(parseEther("1000000"));
        expect(await token.balanceOf(LOCAL.deployer)).to.equal(0n);
        expect(await governor.token()).to.equal(await token.getAddress());
        expect(await governor.votingDelay()).to.equal(1n);
        expect(await governor.votingPeriod()).to.equal(10n);
      });
    });
  });

  describe("AdminSystem", function () {
    shouldHandEverythingTo(deployAdmin, async () => LOCAL.admin);

    it("deploys no governance and records the naming-contract keys", async function () {
      const system = await loadFixture(deployAdmin);
      expect(system.governance).to.equal(undefined);
      expect(Object.keys(system.addresses)).to.have.members([
        "PriceAdapter#PriceAdapter",
        "CreditLedger#CreditLedger",
        "AdminSystem#CreditPaymasterV07",
        "AdminSystem#CreditPaymasterV08",
        "LocalEthUsdFeed#EthUsdFeed",
      ]);
    });

    it("lets the admin grant credits within its cap", async function () {
      const system = await loadFixture(deployAdmin);
      const admin = await hre.ethers.getSigner(LOCAL.admin);
      const [, , dapp] = await hre.ethers.getSigners();
      const expiresAt = BigInt((await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 86_400n;
      await expect(system.ledger.connect(admin).grant(dapp.address, 5_000_000n, expiresAt))
        .to.emit(system.ledger, "CreditsGranted")
        .withArgs(dapp.address, LOCAL.admin, 5_000_000n, expiresAt);
      expect(await system.ledger.remainingIssuance(LOCAL.admin)).to.equal(1_000_000_000_000n - 5_000_000n);
    });
  });
});
