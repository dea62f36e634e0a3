import { ethers } from "hardhat";
import { mine } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import type { Signer } from "ethers";

import {
  CreditLedger__factory,
  CreditsGovernor__factory,
  CreditsVotesToken__factory,
  TimelockController__factory,
} from "../../typechain-types";
import type {
  CreditLedger,
  CreditPaymaster,
  CreditsGovernor,
  CreditsVotesToken,
  MockV3Aggregator,
  PriceAdapter,
  TimelockController,
} from "../../typechain-types";
import { deployEntryPoints } from "./entrypoint";
import type { EntryPointCommon, EntryPointVersion } from "./entrypoint";
import { CREDIT, ISSUER_ROLE, deployCreditPaymaster, deployPriceAdapter } from "./system";
import { roleId } from "../../src/client";

/** Roles of OpenZeppelin's TimelockController and AccessControl's admin role. */
export const DEFAULT_ADMIN_ROLE = roleId("DEFAULT_ADMIN_ROLE");
export const PROPOSER_ROLE = roleId("PROPOSER_ROLE");
export const EXECUTOR_ROLE = roleId("EXECUTOR_ROLE");
export const CANCELLER_ROLE = roleId("CANCELLER_ROLE");

/** Governance parameters of the fixture. */
export const TIMELOCK_DELAY = 2n * 86_400n;
export const VOTING_DELAY = 1n; // blocks (ERC20Votes' default clock)
export const VOTING_PERIOD = 50n; // blocks
export const PROPOSAL_THRESHOLD = parseEther("1000");
export const QUORUM_PERCENT = 4n;
export const TOKEN_SUPPLY = parseEther("1000000");
/** The timelock's issuance cap: what the DAO may grant per epoch. */
export const TIMELOCK_ISSUER_CAP = 100_000n * CREDIT;
export const ISSUER_EPOCH = 30n * 86_400n;

export interface GovernanceSystem {
  version: EntryPointVersion;
  entryPoint: EntryPointCommon;
  feed: MockV3Aggregator;
  adapter: PriceAdapter;
  ledger: CreditLedger;
  paymaster: CreditPaymaster;
  token: CreditsVotesToken;
  timelock: TimelockController;
  governor: CreditsGovernor;
  /** Deployed everything, then renounced every role: holds nothing. */
  deployer: Signer;
  /** Token holders with delegated votes (40% and 30% of the supply). */
  voters: [Signer, Signer];
  /** A DAO member and a dApp that budgets grant credits to. */
  member: Signer;
  dapp: Signer;
  outsider: Signer;
  treasury: Signer;
}

/**
 * The DAO set-up of production, on the in-process network: an ERC20Votes token, a TimelockController whose only
 * proposer and canceller is the Governor (anyone executes; the deployer renounced its admin role), the
 * CreditsGovernor, and the credit system with the timelock as the admin of the ledger, the adapter and the
 * paymaster and as an issuer of the ledger with a cap. The deployer keeps no role anywhere.
 */
export async function deployGovernanceSystem(version: EntryPointVersion = "0.8"): Promise<GovernanceSystem> {
  const [deployer, voterA, voterB, member, dapp, outsider, treasury] = await ethers.getSigners();
  const entryPoint = (await deployEntryPoints(deployer))[version];

  const token = await new CreditsVotesToken__factory(deployer).deploy(deployer, TOKEN_SUPPLY);
  await (await token.transfer(voterA, (TOKEN_SUPPLY * 40n) / 100n)).wait();
  await (await token.transfer(voterB, (TOKEN_SUPPLY * 30n) / 100n)).wait();
  await (await token.connect(voterA).delegate(voterA)).wait();
  await (await token.connect(voterB).delegate(voterB)).wait();

  const timelock = await new TimelockController__factory(deployer).deploy(
    TIMELOCK_DELAY,
    [],
    [ZeroAddress],
    deployer,
  );
  const governor = await new CreditsGovernor__factory(deployer).deploy(
    token,
    timelock,
    VOTING_DELAY,
    VOTING_PERIOD,
    PROPOSAL_THRESHOLD,
    QUORUM_PERCENT,
  );
  await (await timelock.grantRole(PROPOSER_ROLE, governor)).wait();
  await (await timelock.grantRole(CANCELLER_ROLE, governor)).wait();
  await (await timelock.renounceRole(DEFAULT_ADMIN_ROLE, deployer)).wait();

  const { feed, adapter } = await deployPriceAdapter(deployer, timelock);
  // The ledger is configured by the deployer, then handed to the timelock (like the deploy modules do).
  const ledger = await new CreditLedger__factory(deployer).deploy(deployer, adapter, treasury);
  const paymaster = await deployCreditPaymaster(deployer, entryPoint, ledger, adapter, timelock);
  await (await ledger.grantRole(ISSUER_ROLE, timelock)).wait();
  await (await ledger.setIssuerCap(timelock, TIMELOCK_ISSUER_CAP, ISSUER_EPOCH)).wait();
  await (await ledger.grantRole(DEFAULT_ADMIN_ROLE, timelock)).wait();
  await (await ledger.renounceRole(DEFAULT_ADMIN_ROLE, deployer)).wait();
  await mine(1); // votes delegated above are checkpointed before any proposal's snapshot

  return {
    version,
    entryPoint,
    feed,
    adapter,
    ledger,
    paymaster,
    token,
    timelock,
    governor,
    deployer,
    voters: [voterA, voterB],
    member,
    dapp,
    outsider,
    treasury,
  };
}
