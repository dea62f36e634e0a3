/**
 * The whole system for one EntryPoint version on the in-process Hardhat network (canonical EntryPoints, mock
 * ETH/USD feed, PriceAdapter, CreditLedger, CreditPaymaster, SimpleAccountFactory, call target), its users and their
 * credit-paid UserOperations: what the suites, the gas bench and the ERC-7562 check run against.
 * Imports "hardhat" (signers, provider, solidity-coverage flag): only for code that runs inside Hardhat.
 */
import hre, { ethers } from "hardhat";
import { Wallet, parseEther } from "ethers";
import type { AddressLike, Signer } from "ethers";

import {
  CreditLedger__factory,
  CreditPaymaster__factory,
  MockV3Aggregator__factory,
  PriceAdapter__factory,
  TestTarget__factory,
} from "../../typechain-types";
import type {
  CreditLedger,
  CreditPaymaster,
  MockV3Aggregator,
  PriceAdapter,
  TestTarget,
} from "../../typechain-types";
import { roleId } from "../client";
import type { PaymasterConfig } from "../client";
import { counterfactualAccount, deployEntryPoints, deploySimpleAccountFactory } from "./entrypoint";
import type {
  CounterfactualAccount,
  EntryPointCommon,
  EntryPointVersion,
  SimpleAccountFactoryCommon,
} from "./entrypoint";
import { buildUserOp, encodeExecute, packPaymasterAndData, signUserOp } from "./userop";
import type { PackedUserOperation, UserOpParams } from "./userop";
import { selfPaymasterData, sponsoredPaymasterData } from "./paymaster";

/**
 * Whether the suite runs under solidity-coverage, whose instrumentation makes contracts use more gas than the
 * deployed bytecode: gas-accounting assertions (what postOp prices vs what the EntryPoint bills) only hold for the
 * real bytecode, so they are checked in `npm test` and skipped under `npm run coverage`.
 */
export function underCoverage(): boolean {
  return (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
}

/** Credits have 6 decimals. */
export const CREDIT = 1_000_000n;
/** ETH/USD answer of the mock feed: $3,000 with 8 decimals. */
export const ETH_USD = 3_000n * 10n ** 8n;
export const PRICE_WAD = 3_000n * 10n ** 18n;
export const ISSUER_ROLE = roleId("ISSUER_ROLE");
export const GUARDIAN_ROLE = roleId("GUARDIAN_ROLE");

/** Fees of test operations (Hardhat's base fee starts at 1 gwei and falls in quiet blocks). */
export const MAX_FEE_PER_GAS = 3_000_000_000n;
export const MAX_PRIORITY_FEE_PER_GAS = 1_000_000_000n;

/** `postOpGasMargin` of the test configuration under `hardhat coverage` (instrumented postOp and settlement). */
export const COVERAGE_POST_OP_GAS_MARGIN = 40_000n;

/** Paymaster gas limits the tests put in `paymasterAndData` by default. */
export const PM_VERIFICATION_GAS = 150_000n;
/** (Above the postOp floor, ~52,000–58,000, plus the coverage margin under `hardhat coverage`.) */
export const PM_POST_OP_GAS = underCoverage() ? 80_000n + COVERAGE_POST_OP_GAS_MARGIN : 80_000n;

/** The default governance configuration of the paymaster in tests. */
export function defaultPaymasterConfig(): PaymasterConfig {
  return {
    maxCallGasLimit: 2_000_000n,
    maxPreVerificationGas: 1_000_000n,
    maxVerificationGasLimit: 1_000_000n,
    maxPaymasterVerificationGasLimit: 300_000n,
    maxPaymasterPostOpGasLimit: 500_000n,
    maxFeePerGas: 500n * 10n ** 9n,
    maxCreditsPerOp: 100n * CREDIT,
    markupBps: 10_500n,
    maxPriceAge: 3_600n,
    paused: false,
    maxPriorityFeePerGas: 2_000_000_000n,
    // Instrumented bytecode (hardhat coverage) makes postOp and settlement cost more than the measured constants
    // allow for: the margin keeps every solvency assertion true there too.
    postOpGasMargin: underCoverage() ? COVERAGE_POST_OP_GAS_MARGIN : 0n,
  };
}

export interface System {
  version: EntryPointVersion;
  entryPoint: EntryPointCommon;
  feed: MockV3Aggregator;
  adapter: PriceAdapter;
  ledger: CreditLedger;
  paymaster: CreditPaymaster;
  factory: SimpleAccountFactoryCommon;
  target: TestTarget;
  admin: Signer;
  bundler: Signer;
  treasury: Signer;
  /** A dApp (EOA) that sponsors users with its credits. */
  dapp: Signer;
  issuer: Signer;
  guardian: Signer;
  outsider: Signer;
}

/**
 * The Chainlink mock ETH/USD feed ($3,000, 8 decimals) and the PriceAdapter over it (heartbeat 1 h, bounds
 * $1–$1,000,000), administered by `adapterAdmin`, its cache refreshed.
 */
export async function deployPriceAdapter(
  deployer: Signer,
  adapterAdmin: AddressLike,
): Promise<{ feed: MockV3Aggregator; adapter: PriceAdapter }> {
  const feed = await new MockV3Aggregator__factory(deployer).deploy(8, ETH_USD);
  const adapter = await new PriceAdapter__factory(deployer).deploy(
    adapterAdmin,
    { feed, heartbeat: 3_600, minAnswer: 10n ** 8n, maxAnswer: 1_000_000n * 10n ** 8n },
    "ETH / USD",
  );
  await (await adapter.refreshCachedPrice()).wait();
  return { feed, adapter };
}

/**
 * A CreditPaymaster for `entryPoint` over `ledger` and `adapter`, owned by `owner`, with the default test
 * configuration, staked 1 ETH (1-day unstake delay) and funded with the rest of `value`, then registered as a
 * spender of `ledger` by `deployer` (who must hold the ledger's admin role).
 */
export async function deployCreditPaymaster(
  deployer: Signer,
  entryPoint: EntryPointCommon,
  ledger: CreditLedger,
  adapter: PriceAdapter,
  owner: AddressLike,
  value: bigint = parseEther("11"),
): Promise<CreditPaymaster> {
  const paymaster = await new CreditPaymaster__factory(deployer).deploy(
    entryPoint,
    ledger,
    adapter,
    owner,
    defaultPaymasterConfig(),
    86_400,
    parseEther("1"),
    { value },
  );
  await (await ledger.connect(deployer).addSpender(paymaster)).wait();
  return paymaster;
}

/**
 * Deploys the whole system for one EntryPoint version: canonical EntryPoints, a Chainlink mock ETH/USD feed,
 * the PriceAdapter (cache refreshed), the CreditLedger, the CreditPaymaster (staked and funded in its
 * constructor, registered as the ledger's spender), a SimpleAccountFactory and a call target.
 */
export async function deploySystem(version: EntryPointVersion): Promise<System> {
  const [admin, bundler, treasury, dapp, issuer, guardian, outsider] = await ethers.getSigners();
  const eps = await deployEntryPoints(admin);
  const entryPoint = eps[version];

  const { feed, adapter } = await deployPriceAdapter(admin, admin);
  const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
  const paymaster = await deployCreditPaymaster(admin, entryPoint, ledger, adapter, admin);
  await (await ledger.grantRole(ISSUER_ROLE, issuer)).wait();
  await (await ledger.setIssuerCap(issuer, 1_000_000n * CREDIT, 30 * 86_400)).wait();
  await (await ledger.grantRole(GUARDIAN_ROLE, guardian)).wait();
  await (await paymaster.setGuardian(guardian, true)).wait();

  const factory = await deploySimpleAccountFactory(version, await entryPoint.getAddress(), admin);
  const target = await new TestTarget__factory(admin).deploy();
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
    treasury,
    dapp,
    issuer,
    guardian,
    outsider,
  };
}

/** A SimpleAccount owner (a fresh wallet holding no ETH) and its counterfactual account. */
export interface User {
  owner: Wallet;
  account: CounterfactualAccount;
}

export async function newUser(sys: System, salt = 0n): Promise<User> {
  const owner = Wallet.createRandom().connect(ethers.provider) as unknown as Wallet;
  return { owner, account: await counterfactualAccount(sys.factory, owner.address, salt) };
}

/** Options of {@link creditOp}. */
export interface CreditOpOptions extends Partial<Omit<UserOpParams, "sender" | "paymasterAndData">> {
  /** Sponsor paying for the op (SPONSORED mode); SELF mode when absent. */
  sponsor?: string;
  /** The user's own credit limit (0 = none). */
  maxCredits?: bigint;
  paymasterVerificationGasLimit?: bigint;
  paymasterPostOpGasLimit?: bigint;
  /** Raw paymaster data replacing the mode encoding (malformed-data tests). */
  paymasterData?: string;
  /** Deploy the account in this op (default: when it has no code yet). */
  deploy?: boolean;
}

/** Builds and signs a UserOperation of `user` paid through the credit paymaster. */
export async function creditOp(
  sys: System,
  user: User,
  opts: CreditOpOptions = {},
): Promise<PackedUserOperation> {
  const sender = user.account.address;
  const deployed = (await ethers.provider.getCode(sender)) !== "0x";
  const deploy = opts.deploy ?? !deployed;
  const data =
    opts.paymasterData ??
    (opts.sponsor === undefined
      ? selfPaymasterData(opts.maxCredits ?? 0n)
      : sponsoredPaymasterData(opts.sponsor, opts.maxCredits ?? 0n));
  const nonce = opts.nonce ?? (deployed ? await sys.entryPoint.getNonce(sender, 0) : 0n);
  const op = buildUserOp({
    maxFeePerGas: MAX_FEE_PER_GAS,
    maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
    ...opts,
    sender,
    nonce,
    initCode: opts.initCode ?? (deploy ? user.account.initCode : "0x"),
    callData: opts.callData ?? encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys)),
    paymasterAndData: packPaymasterAndData(
      await sys.paymaster.getAddress(),
      opts.paymasterVerificationGasLimit ?? PM_VERIFICATION_GAS,
      opts.paymasterPostOpGasLimit ?? PM_POST_OP_GAS,
      data,
    ),
  });
  return signUserOp(op, user.owner, sys.entryPoint, sys.version);
}

export function incrementCall(sys: System): string {
  return sys.target.interface.encodeFunctionData("increment");
}

/** Buys `ethAmount` worth of credits for `account`, paid by `payer`. */
export async function buyCredits(
  sys: System,
  payer: Signer,
  account: string,
  ethAmount: bigint,
): Promise<void> {
  await (await sys.ledger.connect(payer).buyCredits(account, { value: ethAmount })).wait();
}
