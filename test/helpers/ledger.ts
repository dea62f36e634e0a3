import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, Signer } from "ethers";
import entryPointArtifact from "@account-abstraction/contracts/artifacts/EntryPoint.json";
import {
  CreditLedger__factory,
  IEntryPoint__factory,
  LedgerInspector__factory,
  MockPriceAdapter__factory,
  TestERC20__factory,
  TestFeeToken__factory,
  TestSpender__factory,
} from "../../typechain-types";
import type { CreditLedger, TestSpender } from "../../typechain-types";
import { roleId } from "../../src/client";

/** Credits have 6 decimals: one stable unit. */
export const CREDIT = 1_000_000n;
/** Mock price: 3,000 stable units per native token (18 decimals). */
export const PRICE_WAD = 3_000n * 10n ** 18n;
export const DAY = 86_400n;
export const UINT32_MAX = 2n ** 32n - 1n;
export const UINT48_MAX = 2n ** 48n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

export const ISSUER_ROLE = roleId("ISSUER_ROLE");
export const GUARDIAN_ROLE = roleId("GUARDIAN_ROLE");
export const RECOVERY_ROLE = roleId("RECOVERY_ROLE");
export const DEFAULT_ADMIN_ROLE = roleId("DEFAULT_ADMIN_ROLE");

/** Credits bought with `weiAmount` at `priceWad` (as the adapter computes them: rounded down). */
export function creditsForWei(weiAmount: bigint, priceWad: bigint = PRICE_WAD): bigint {
  return (weiAmount * priceWad) / 10n ** 30n;
}

/** The credit-account token id of `holder`. */
export function tokenIdOf(holder: string): bigint {
  return BigInt(holder);
}

/**
 * Deploys a ledger with a mock price adapter, roles handed out, one registered TestSpender (and one not yet
 * registered), stablecoins and a real EntryPoint v0.8 (for the deposit destination).
 */
export async function deployLedgerFixture() {
  const signers = await ethers.getSigners();
  const [admin, treasury, issuer, guardian, recoverer, alice, bob, carol, dave, outsider] = signers;
  const users = signers.slice(10, 22);

  const adapter = await new MockPriceAdapter__factory(admin).deploy(PRICE_WAD);
  const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
  await ledger.grantRole(ISSUER_ROLE, issuer);
  await ledger.grantRole(GUARDIAN_ROLE, guardian);
  await ledger.grantRole(RECOVERY_ROLE, recoverer);
  await ledger.setIssuerCap(issuer, 1_000_000n * CREDIT, Number(30n * DAY));

  const spender = await new TestSpender__factory(admin).deploy(ledger);
  const spender2 = await new TestSpender__factory(admin).deploy(ledger);
  await ledger.addSpender(spender);

  const usdc = await new TestERC20__factory(admin).deploy("USD Coin", "USDC", 6);
  const dai = await new TestERC20__factory(admin).deploy("Dai", "DAI", 18);
  const feeToken = await new TestFeeToken__factory(admin).deploy(100); // 1% fee on transfer
  await adapter.setStablecoin(usdc, 6, 10n ** 18n);
  await adapter.setStablecoin(dai, 18, 10n ** 18n);
  await adapter.setStablecoin(feeToken, 6, 10n ** 18n);

  const entryPointFactory = new ethers.ContractFactory(
    entryPointArtifact.abi,
    entryPointArtifact.bytecode,
    admin,
  );
  const entryPointContract = await entryPointFactory.deploy();
  await entryPointContract.waitForDeployment();
  const entryPoint = IEntryPoint__factory.connect(await entryPointContract.getAddress(), admin);

  const inspector = await new LedgerInspector__factory(admin).deploy();

  return {
    ledger,
    adapter,
    spender,
    spender2,
    usdc,
    dai,
    feeToken,
    entryPoint,
    inspector,
    admin,
    treasury,
    issuer,
    guardian,
    recoverer,
    alice,
    bob,
    carol,
    dave,
    outsider,
    users,
  };
}

// ------------------------------------------------------------------ TestSpender steps

export enum StepKind {
  Hold = 0,
  HoldSponsored = 1,
  Settle = 2,
  SettleSponsored = 3,
  Call = 4,
  HoldPolicy = 5,
  SettlePolicy = 6,
}

export type Step = TestSpender.StepStruct;

type Addressable = string | { getAddress(): Promise<string> };

async function addr(a: Addressable): Promise<string> {
  return typeof a === "string" ? a : a.getAddress();
}

export async function holdStep(account: Addressable, amount: bigint, asOf: bigint): Promise<Step> {
  return {
    kind: StepKind.Hold,
    a: await addr(account),
    b: ethers.ZeroAddress,
    amount,
    extra: asOf,
    data: "0x",
  };
}

export async function holdSponsoredStep(
  sponsor: Addressable,
  beneficiary: Addressable,
  amount: bigint,
  asOf: bigint,
): Promise<Step> {
  return {
    kind: StepKind.HoldSponsored,
    a: await addr(sponsor),
    b: await addr(beneficiary),
    amount,
    extra: asOf,
    data: "0x",
  };
}

export async function settleStep(account: Addressable, held: bigint, charge: bigint): Promise<Step> {
  return {
    kind: StepKind.Settle,
    a: await addr(account),
    b: ethers.ZeroAddress,
    amount: held,
    extra: charge,
    data: "0x",
  };
}

export async function settleSponsoredStep(
  sponsor: Addressable,
  beneficiary: Addressable,
  held: bigint,
  charge: bigint,
): Promise<Step> {
  return {
    kind: StepKind.SettleSponsored,
    a: await addr(sponsor),
    b: await addr(beneficiary),
    amount: held,
    extra: charge,
    data: "0x",
  };
}

/** A `holdPolicy` step: `amount` of `sponsor`'s credits for `user` under policy `policyId`. */
export async function holdPolicyStep(
  sponsor: Addressable,
  policyId: bigint,
  user: Addressable,
  amount: bigint,
  asOf: bigint,
): Promise<Step> {
  return {
    kind: StepKind.HoldPolicy,
    a: await addr(sponsor),
    b: await addr(user),
    amount,
    extra: asOf,
    data: ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [policyId]),
  };
}

/** A `settlePolicy` step releasing `held` and charging `charge`. */
export async function settlePolicyStep(
  sponsor: Addressable,
  policyId: bigint,
  user: Addressable,
  held: bigint,
  charge: bigint,
): Promise<Step> {
  return {
    kind: StepKind.SettlePolicy,
    a: await addr(sponsor),
    b: await addr(user),
    amount: held,
    extra: charge,
    data: ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [policyId]),
  };
}

export async function callStep(target: Addressable, data: string): Promise<Step> {
  return { kind: StepKind.Call, a: await addr(target), b: ethers.ZeroAddress, amount: 0n, extra: 0n, data };
}

/** A step that makes `spender` run `steps` (nested inside the current transaction). */
export async function nestedRunStep(spender: TestSpender, steps: Step[]): Promise<Step> {
  return callStep(spender, spender.interface.encodeFunctionData("run", [steps]));
}

/** The `validUntil` of each hold in a TestSpender transaction, by step index (of `spender`'s own run). */
export function heldValidUntils(
  spender: TestSpender,
  receipt: ContractTransactionReceipt | null,
): Map<number, bigint> {
  const out = new Map<number, bigint>();
  const target = spender.target.toString().toLowerCase();
  for (const log of receipt?.logs ?? []) {
    if (log.address.toLowerCase() !== target) continue;
    const parsed = spender.interface.parseLog(log);
    if (parsed?.name === "Held") out.set(Number(parsed.args.step), parsed.args.validUntil as bigint);
  }
  return out;
}

/** The results of the Call steps of a TestSpender transaction, by step index. */
export function callResults(
  spender: TestSpender,
  receipt: ContractTransactionReceipt | null,
): Map<number, string> {
  const out = new Map<number, string>();
  const target = spender.target.toString().toLowerCase();
  for (const log of receipt?.logs ?? []) {
    if (log.address.toLowerCase() !== target) continue;
    const parsed = spender.interface.parseLog(log);
    if (parsed?.name === "Called") out.set(Number(parsed.args.step), parsed.args.result as string);
  }
  return out;
}

/** Runs `steps` through `spender` in one transaction and returns the receipt. */
export async function runSteps(
  spender: TestSpender,
  steps: Step[],
  from?: Signer,
): Promise<ContractTransactionReceipt> {
  const s = from ? spender.connect(from) : spender;
  const receipt = await (await s.run(steps)).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

// ------------------------------------------------------------------ time

/** Sets the next block's timestamp to `t` and returns it (so a test knows `block.timestamp` exactly). */
export async function atNextBlock(t: bigint): Promise<bigint> {
  await time.setNextBlockTimestamp(t);
  return t;
}

/** The latest block's timestamp as a bigint. */
export async function now(): Promise<bigint> {
  return BigInt(await time.latest());
}

// ------------------------------------------------------------------ views

export interface Breakdown {
  purchased: bigint;
  grants: { amount: bigint; expiresAt: bigint }[];
  held: bigint;
  expiredUnswept: bigint;
}

export async function breakdown(ledger: CreditLedger, account: Addressable): Promise<Breakdown> {
  const b = await ledger.creditBreakdown(await addr(account));
  return {
    purchased: b.purchased,
    grants: b.grants.map((g) => ({ amount: g.amount, expiresAt: g.expiresAt })),
    held: b.held,
    expiredUnswept: b.expiredUnswept,
  };
}

export interface TokenMetadata {
  name: string;
  description: string;
  attributes: { trait_type: string; display_type: string; value: number | string }[];
  image: string;
}

/** Decodes a `data:application/json;base64,` token URI. Throws on any other format. */
export function decodeTokenURI(uri: string): TokenMetadata {
  const prefix = "data:application/json;base64,";
  if (!uri.startsWith(prefix)) throw new Error(`unexpected token URI: ${uri.slice(0, 40)}`);
  return JSON.parse(Buffer.from(uri.slice(prefix.length), "base64").toString("utf8")) as TokenMetadata;
}

/** Decodes a `data:image/svg+xml;base64,` image. */
export function decodeSvg(image: string): string {
  const prefix = "data:image/svg+xml;base64,";
  if (!image.startsWith(prefix)) throw new Error(`unexpected image: ${image.slice(0, 40)}`);
  return Buffer.from(image.slice(prefix.length), "base64").toString("utf8");
}

// ------------------------------------------------------------------ funding

type Fixture = Awaited<ReturnType<typeof deployLedgerFixture>>;

/** `buyer` buys exactly `credits` credits for `account` with the 6-decimal, 1:1 mock USDC. */
export async function buyWithUsdc(
  f: Fixture,
  buyer: Signer,
  account: Addressable,
  credits: bigint,
): Promise<void> {
  await f.usdc.mint(await buyer.getAddress(), credits);
  await f.usdc.connect(buyer).approve(f.ledger, credits);
  await f.ledger.connect(buyer).buyCreditsWithToken(await addr(account), f.usdc, credits);
}

/** Decodes the uint256 returned by a Call step of `spender` at `step`. */
export function callResultUint(
  spender: TestSpender,
  receipt: ContractTransactionReceipt,
  step: number,
): bigint {
  const result = callResults(spender, receipt).get(step);
  if (result === undefined) throw new Error(`no Called event for step ${step}`);
  return ethers.AbiCoder.defaultAbiCoder().decode(["uint256"], result)[0] as bigint;
}

/** `CreditsSpent.grantsTaken` of a settlement (see `decodeGrantsTaken` in src/client). */
export function grantsTakenWord(
  fromGrants: bigint,
  fromLast: bigint,
  firstExpiry: bigint,
  lastExpiry: bigint,
): bigint {
  return fromGrants | (fromLast << 64n) | (firstExpiry << 128n) | (lastExpiry << 160n);
}

/** The `ref` TestSpender passes when it settles step `i` (`TestSpender.stepRef`). */
export function stepRef(i: number): string {
  return ethers.zeroPadValue(ethers.toBeHex(i + 1), 32);
}

/** The `spenderData` TestSpender passes when it settles step `i` (`TestSpender.stepData`). */
export function stepData(i: number): bigint {
  return 1000n + BigInt(i);
}
