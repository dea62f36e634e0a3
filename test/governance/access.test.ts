import { expect } from "chai";
import { ethers } from "hardhat";
import {
  impersonateAccount,
  loadFixture,
  setBalance,
  stopImpersonatingAccount,
  time,
} from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";

import { MockV3Aggregator__factory } from "../../typechain-types";
import { DEFAULT_ADMIN_ROLE, PROPOSER_ROLE, deployGovernanceSystem } from "../helpers/governanceSystem";
import type { GovernanceSystem } from "../helpers/governanceSystem";
import { CREDIT, ETH_USD, GUARDIAN_ROLE, ISSUER_ROLE, defaultPaymasterConfig } from "../helpers/system";

const DAY = 86_400n;

/** Impersonates `address` (funded) as a signer. */
async function impersonate(address: string): Promise<Signer> {
  await impersonateAccount(address);
  await setBalance(address, ethers.parseEther("10"));
  return ethers.getSigner(address);
}

describe("Governance access control", function () {
  async function fixture() {
    const g = await deployGovernanceSystem("0.8");
    const feed = await new MockV3Aggregator__factory(g.deployer).deploy(8, ETH_USD);
    return {
      g,
      newFeed: { feed: await feed.getAddress(), heartbeat: 3_600, minAnswer: 1n, maxAnswer: 10n ** 14n },
    };
  }

  /** The privileged actions, each with the exact error an unauthorised `caller` gets. */
  function actions(g: GovernanceSystem, newFeed: Awaited<ReturnType<typeof fixture>>["newFeed"]) {
    const config = { ...defaultPaymasterConfig(), markupBps: 20_000n, maxCreditsPerOp: 1_000_000n * CREDIT };
    return [
      {
        name: "grant credits",
        call: async (s: Signer) =>
          g.ledger
            .connect(s)
            .grant(await s.getAddress(), 1_000n * CREDIT, BigInt(await time.latest()) + 30n * DAY),
        denied: (caller: string) => ({
          contract: g.ledger,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, ISSUER_ROLE],
        }),
      },
      {
        name: "set an issuance cap",
        call: async (s: Signer) => g.ledger.connect(s).setIssuerCap(await s.getAddress(), 10n ** 18n, 86_400),
        denied: (caller: string) => ({
          contract: g.ledger,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, DEFAULT_ADMIN_ROLE],
        }),
      },
      {
        name: "make itself an issuer",
        call: async (s: Signer) => g.ledger.connect(s).grantRole(ISSUER_ROLE, await s.getAddress()),
        denied: (caller: string) => ({
          contract: g.ledger,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, DEFAULT_ADMIN_ROLE],
        }),
      },
      {
        name: "redirect purchase proceeds (treasury)",
        call: async (s: Signer) => g.ledger.connect(s).setTreasury(await s.getAddress()),
        denied: (caller: string) => ({
          contract: g.ledger,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, DEFAULT_ADMIN_ROLE],
        }),
      },
      {
        name: "change the paymaster's caps and markup",
        call: async (s: Signer) => g.paymaster.connect(s).setConfig(config),
        denied: (caller: string) => ({
          contract: g.paymaster,
          error: "OwnableUnauthorizedAccount",
          args: [caller],
        }),
      },
      {
        name: "withdraw the paymaster's deposit",
        call: async (s: Signer) =>
          g.paymaster.connect(s).withdrawTo(await s.getAddress(), ethers.parseEther("1")),
        denied: (caller: string) => ({
          contract: g.paymaster,
          error: "OwnableUnauthorizedAccount",
          args: [caller],
        }),
      },
      {
        name: "unlock the paymaster's stake",
        call: async (s: Signer) => g.paymaster.connect(s).unlockStake(),
        denied: (caller: string) => ({
          contract: g.paymaster,
          error: "OwnableUnauthorizedAccount",
          args: [caller],
        }),
      },
      {
        name: "take over the paymaster",
        call: async (s: Signer) => g.paymaster.connect(s).transferOwnership(await s.getAddress()),
        denied: (caller: string) => ({
          contract: g.paymaster,
          error: "OwnableUnauthorizedAccount",
          args: [caller],
        }),
      },
      {
        name: "replace the primary price feed",
        call: async (s: Signer) => g.adapter.connect(s).setPrimaryFeed(newFeed),
        denied: (caller: string) => ({
          contract: g.adapter,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, DEFAULT_ADMIN_ROLE],
        }),
      },
      {
        name: "set a fallback price feed",
        call: async (s: Signer) => g.adapter.connect(s).setFallbackFeed(newFeed, 500),
        denied: (caller: string) => ({
          contract: g.adapter,
          error: "AccessControlUnauthorizedAccount",
          args: [caller, DEFAULT_ADMIN_ROLE],
        }),
      },
    ] as const;
  }

  const callers = [
    { label: "the deployer", get: (g: GovernanceSystem) => g.deployer },
    { label: "the largest voter", get: (g: GovernanceSystem) => g.voters[0] },
    { label: "another voter", get: (g: GovernanceSystem) => g.voters[1] },
    { label: "a random EOA", get: (g: GovernanceSystem) => g.outsider },
    {
      label: "the Governor itself",
      get: async (g: GovernanceSystem) => impersonate(await g.governor.getAddress()),
    },
  ];

  for (const { label, get } of callers) {
    describe(`${label}`, function () {
      it("cannot grant credits, change caps, markup or feeds, or withdraw the deposit", async function () {
        const { g, newFeed } = await loadFixture(fixture);
        const signer = await get(g);
        const caller = await signer.getAddress();
        for (const action of actions(g, newFeed)) {
          const { contract, error, args } = action.denied(caller);
          await expect(action.call(signer), action.name)
            .to.be.revertedWithCustomError(contract, error)
            .withArgs(...args);
        }
      });
    });
  }

  it("the deployer kept no role: every admin right is the timelock's", async function () {
    const { g } = await loadFixture(fixture);
    const deployer = await g.deployer.getAddress();
    const timelock = await g.timelock.getAddress();
    for (const role of [DEFAULT_ADMIN_ROLE, ISSUER_ROLE, GUARDIAN_ROLE]) {
      expect(await g.ledger.hasRole(role, deployer)).to.equal(false);
    }
    expect(await g.adapter.hasRole(DEFAULT_ADMIN_ROLE, deployer)).to.equal(false);
    expect(await g.timelock.hasRole(DEFAULT_ADMIN_ROLE, deployer)).to.equal(false);
    expect(await g.ledger.hasRole(DEFAULT_ADMIN_ROLE, timelock)).to.equal(true);
    expect(await g.ledger.hasRole(ISSUER_ROLE, timelock)).to.equal(true);
    expect(await g.adapter.hasRole(DEFAULT_ADMIN_ROLE, timelock)).to.equal(true);
    expect(await g.paymaster.owner()).to.equal(timelock);
    expect(await g.timelock.hasRole(PROPOSER_ROLE, await g.governor.getAddress())).to.equal(true);
  });

  it("voters cannot bypass the vote by scheduling on the timelock, nor make the Governor relay a call", async function () {
    const { g } = await loadFixture(fixture);
    const voter = await g.voters[0].getAddress();
    const grant = g.ledger.interface.encodeFunctionData("grant", [
      voter,
      CREDIT,
      BigInt(await time.latest()) + DAY,
    ]);
    await expect(
      g.timelock
        .connect(g.voters[0])
        .schedule(g.ledger, 0, grant, ethers.ZeroHash, ethers.ZeroHash, 2n * DAY),
    )
      .to.be.revertedWithCustomError(g.timelock, "AccessControlUnauthorizedAccount")
      .withArgs(voter, PROPOSER_ROLE);
    await expect(g.governor.connect(g.voters[0]).relay(g.ledger, 0, grant))
      .to.be.revertedWithCustomError(g.governor, "GovernorOnlyExecutor")
      .withArgs(voter);
  });

  it("the timelock can do every one of these actions", async function () {
    const { g, newFeed } = await loadFixture(fixture);
    const timelockAddress = await g.timelock.getAddress();
    const timelock = await impersonate(timelockAddress);
    for (const action of actions(g, newFeed)) {
      await expect(action.call(timelock), action.name).not.to.be.reverted;
    }
    await stopImpersonatingAccount(timelockAddress);
    expect(await g.ledger.balanceOfCredits(timelockAddress)).to.equal(1_000n * CREDIT);
    expect((await g.paymaster.config()).markupBps).to.equal(20_000n);
    expect((await g.adapter.primaryFeed()).feed).to.equal(newFeed.feed);
    expect(await g.ledger.treasury()).to.equal(timelockAddress);
    expect(await g.paymaster.pendingOwner()).to.equal(timelockAddress);
    expect(await g.paymaster.getDeposit()).to.equal(ethers.parseEther("9"));
    expect((await g.entryPoint.getDepositInfo(g.paymaster)).staked).to.equal(false);
    // the issuance cap took effect, carrying the 1,000 credits granted above into its new epoch
    const cap = await g.ledger.issuerCap(timelockAddress);
    expect([cap.limit, cap.epochLength]).to.deep.equal([10n ** 18n, 86_400n]);
    expect(await g.ledger.remainingIssuance(timelockAddress)).to.equal(10n ** 18n - 1_000n * CREDIT);
    expect(await g.ledger.hasRole(ISSUER_ROLE, timelockAddress)).to.equal(true);
    const [fallback, maxDeviationBps] = await g.adapter.fallbackFeed();
    expect([fallback.feed, maxDeviationBps]).to.deep.equal([newFeed.feed, 500n]);
  });
});
