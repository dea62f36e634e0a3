/**
 * The invariant fuzzer's world (one credit system serving both EntryPoints) and its executor: every action runs
 * against the contracts on the in-process Hardhat network and against {@link CreditModel}; after every step the
 * five invariants of DESIGN.md and the model's exact state are checked.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, concat, getAddress, parseEther, toBeHex, zeroPadValue } from "ethers";
import type {
  BaseContract,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  Interface,
  Signer,
} from "ethers";

import { LedgerInspector__factory } from "../../typechain-types";
import type { LedgerInspector } from "../../typechain-types";
import { counterfactualAccount, deployEntryPoints, deploySimpleAccountFactory } from "../helpers/entrypoint";
import { EventIndexer, LedgerModel } from "../helpers/ledgerModel";
import type { ModelBudget } from "../helpers/ledgerModel";
import {
  expectSolvent,
  selfPaymasterData,
  sponsoredPaymasterData,
  underCoverage,
} from "../helpers/paymaster";
import { ISSUER_ROLE, creditOp, deployCreditPaymaster, deploySystem } from "../helpers/system";
import type { System, User } from "../helpers/system";
import { encodeExecute, handleOps } from "../helpers/userop";
import type { HandleOpsResult, PackedUserOperation } from "../helpers/userop";
import { USERS_PER_VERSION } from "./actions";
import type { Action, OpSpec } from "./actions";
import { creditsForGasCost, decodeGrantsTaken } from "../../src/client";
import { CREDIT, CreditModel, UINT32_MAX, VERSIONS } from "./model";
import type { ExpectedError, ModelOp, PlacedHold, Prediction, ValidationFailure, Version } from "./model";

/** Every run starts at this block time (pinned, so that a seed replays identically in any process). */
export const T0 = 2_000_000_000n;
/** EIP-7825: a transaction's gas is capped at 2^24 on the default hardfork. */
const TX_GAS_CAP = 16_777_216n;
const PLAIN_TX_GAS = 1_000_000n;
const NEVER = UINT32_MAX;
const GWEI = 1_000_000_000n;

/**
 * Invariant 4 (bounded cost): the most gas one well-formed operation (default limits, a small call) may use,
 * as the EntryPoint measures it (`UserOperationEvent.actualGasUsed`, which includes the unused-gas penalty),
 * excluding its `preVerificationGas`. The ledger's hold and settlement touch at most two storage words, four
 * buckets and four spenders, so neither bound depends on how many operations, grants or purchases came before.
 */
export const GAS_BOUND = { deploy: 400_000n, existing: 175_000n } as const;

/** Everything the campaign acts on; deployed once per process, restored for every run by `loadFixture`. */
export interface World {
  sys: Record<Version, System>;
  inspector: LedgerInspector;
  users: Record<Version, User[]>;
  /** A key that owns none of the accounts (bad signatures). */
  stranger: Wallet;
  sponsors: Signer[];
  sponsorAddresses: string[];
  /** `holders[i]`: users of v0.7, users of v0.8, then sponsors. */
  holders: string[];
  /** `allowancePairs`: every (sponsor, user) pair, sponsor-major. */
  allowancePairs: { sponsor: string; beneficiary: string }[];
  beneficiary: string;
  /** The model of the state the fixture leaves (copied for every run). */
  initial: CreditModel;
}

async function pinned(t: bigint, send: () => Promise<ContractTransactionResponse>): Promise<void> {
  await time.setNextBlockTimestamp(t);
  const receipt = await (await send()).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("fixture transaction failed");
}

function toBudget(b: ModelBudget): ModelBudget {
  return {
    limit: b.limit,
    used: b.used,
    epochLength: b.epochLength,
    anchor: b.anchor,
    usedEpoch: b.usedEpoch,
    expiresAt: b.expiresAt,
  };
}

/**
 * One ledger, one price adapter over a Chainlink mock feed, and one CreditPaymaster per EntryPoint (v0.7 and
 * v0.8, both registered spenders of the ledger); native purchases fund the v0.7 paymaster's deposit. Sponsors
 * hold credits and give allowances; users are counterfactual SimpleAccounts (their first operation deploys them).
 */
export async function deployFuzzWorld(): Promise<World> {
  const sys7 = await deploySystem("0.7");
  const { admin, issuer, ledger, adapter, feed } = sys7;
  const eps = await deployEntryPoints(admin);
  // The v0.8 paymaster gets a small deposit (0.15 ETH; purchases fund the v0.7 one) so that bundles meet
  // "AA31 paymaster deposit too low" until someone tops it up.
  const pm8 = await deployCreditPaymaster(admin, eps["0.8"], ledger, adapter, admin, parseEther("1.15"));
  await (await pm8.setGuardian(sys7.guardian, true)).wait();
  const factory8 = await deploySimpleAccountFactory("0.8", await eps["0.8"].getAddress(), admin);
  const sys: Record<Version, System> = {
    "0.7": sys7,
    "0.8": { ...sys7, version: "0.8", entryPoint: eps["0.8"], paymaster: pm8, factory: factory8 },
  };
  const inspector = await new LedgerInspector__factory(admin).deploy();
  const signers = await ethers.getSigners();
  const sponsors = [sys7.dapp, sys7.outsider, signers[7]];
  const sponsorAddresses = await Promise.all(sponsors.map((s) => s.getAddress()));

  const users = {} as Record<Version, User[]>;
  for (const version of VERSIONS) {
    users[version] = [];
    for (let i = 0; i < USERS_PER_VERSION; i++) {
      const owner = new Wallet(ethers.id(`compute-credits fuzz owner ${version} ${i}`), ethers.provider);
      users[version].push({
        owner,
        account: await counterfactualAccount(sys[version].factory, owner.address),
      });
    }
  }
  const userAddresses = [...users["0.7"], ...users["0.8"]].map((u) => u.account.address);
  const holders = [...userAddresses, ...sponsorAddresses];

  // From T0 on, every block time is set explicitly: the same seed gives the same chain in any process.
  await time.increaseTo(T0);
  let t = T0;
  const next = () => (t += 1n);
  const l = ledger.connect(admin);
  await pinned(next(), () => feed.updateAnswer(3_000n * 10n ** 8n));
  await pinned(next(), () => adapter.refreshCachedPrice());
  await pinned(next(), () => l.setEthDestination(eps["0.7"], sys7.paymaster));
  await pinned(next(), () => l.setIssuerCap(issuer, 400n * CREDIT, 86_400));
  const buy = (account: string, wei: bigint) => pinned(next(), () => l.buyCredits(account, { value: wei }));
  await buy(sponsorAddresses[0], parseEther("0.1"));
  await buy(sponsorAddresses[1], parseEther("0.02"));
  await buy(sponsorAddresses[2], parseEther("0.003"));
  for (const version of VERSIONS) {
    for (const u of users[version].slice(0, 3)) await buy(u.account.address, parseEther("0.02"));
  }
  for (const [i, beneficiary] of userAddresses.entries()) {
    const k = i % USERS_PER_VERSION;
    await pinned(next(), () =>
      ledger.connect(sponsors[0]).setAllowance(beneficiary, 40n * CREDIT, 86_400, NEVER),
    );
    if (k < 3) {
      await pinned(next(), () =>
        ledger.connect(sponsors[1]).setAllowance(beneficiary, 10n * CREDIT, 3_600, T0 + 2n * 86_400n),
      );
    } else {
      await pinned(next(), () =>
        ledger.connect(sponsors[2]).setAllowance(beneficiary, 30n * CREDIT, 86_400, NEVER),
      );
    }
  }

  // The model starts from what the fixture left, read back from the chain: purchased credits (no grant yet),
  // allowances and totals for the ledger; the feed, the cache, the configuration and the deposits.
  const allowancePairs = sponsorAddresses.flatMap((sponsor) =>
    userAddresses.map((beneficiary) => ({ sponsor, beneficiary })),
  );
  const snap = await inspector.snapshot(
    ledger,
    holders,
    allowancePairs.map((p) => p.sponsor),
    allowancePairs.map((p) => p.beneficiary),
  );
  const ledgerModel = new LedgerModel();
  for (const [i, b] of snap.accounts.entries()) {
    expect(b.grants).to.have.length(0);
    ledgerModel.accounts.set(holders[i], { purchased: b.purchased, buckets: [] });
  }
  for (const [i, p] of allowancePairs.entries()) {
    ledgerModel.allowances.set(LedgerModel.allowanceKey(p.sponsor, p.beneficiary), toBudget(snap.budgets[i]));
  }
  [ledgerModel.issued, ledgerModel.burned, ledgerModel.expired, ledgerModel.revoked] = snap.totals;
  expect(ledgerModel.issued).to.equal(ledgerModel.totalBalances());

  const feedConfig = await adapter.primaryFeed();
  const [cachePriceWad, cacheTime] = await adapter.cachedPrice();
  const round = await feed.latestRoundData();
  const cfg = await sys7.paymaster.config();
  const initial = new CreditModel({
    now: t,
    feed: {
      address: await feed.getAddress(),
      decimals: await feed.decimals(),
      heartbeat: feedConfig.heartbeat,
      minAnswer: feedConfig.minAnswer,
      maxAnswer: feedConfig.maxAnswer,
    },
    feedAnswer: round.answer,
    feedUpdatedAt: round.updatedAt,
    cachePriceWad,
    cacheTime,
    config: {
      maxCallGasLimit: cfg.maxCallGasLimit,
      maxPreVerificationGas: cfg.maxPreVerificationGas,
      maxVerificationGasLimit: cfg.maxVerificationGasLimit,
      maxPaymasterVerificationGasLimit: cfg.maxPaymasterVerificationGasLimit,
      maxPaymasterPostOpGasLimit: cfg.maxPaymasterPostOpGasLimit,
      maxFeePerGas: cfg.maxFeePerGas,
      maxCreditsPerOp: cfg.maxCreditsPerOp,
      markupBps: cfg.markupBps,
      maxPriceAge: cfg.maxPriceAge,
      maxPriorityFeePerGas: cfg.maxPriorityFeePerGas,
      postOpGasMargin: cfg.postOpGasMargin,
    },
    issuer: await issuer.getAddress(),
    issuerCap: toBudget(await ledger.issuerCap(issuer)),
    deposits: { "0.7": await sys7.paymaster.getDeposit(), "0.8": await pm8.getDeposit() },
    pmPaused: { "0.7": false, "0.8": false },
    ledgerPaused: await ledger.paused(),
    minPurchase: await ledger.minPurchase(),
    ethDestination: "0.7",
    ledger: ledgerModel,
  });
  expect(await ledger.hasRole(ISSUER_ROLE, issuer)).to.equal(true);

  return {
    sys,
    inspector,
    users,
    stranger: new Wallet(ethers.id("compute-credits fuzz stranger"), ethers.provider),
    sponsors,
    sponsorAddresses,
    holders,
    allowancePairs,
    beneficiary: await sys7.bundler.getAddress(),
    initial,
  };
}

/** A fresh model of the fixture's state. */
export function initialModel(world: World): CreditModel {
  return world.initial.clone();
}

/** Counters for the campaign report. */
export class Stats {
  steps = 0;
  readonly actions = new Map<string, number>();
  readonly opOutcomes = new Map<string, number>();
  opsExecuted = 0;
  bundlesSent = 0;
  readonly maxGas = { deploy: 0n, existing: 0n };
  gasSamples = 0;

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  merge(other: Stats): void {
    this.steps += other.steps;
    for (const [k, v] of other.actions) this.actions.set(k, (this.actions.get(k) ?? 0) + v);
    for (const [k, v] of other.opOutcomes) this.opOutcomes.set(k, (this.opOutcomes.get(k) ?? 0) + v);
    this.opsExecuted += other.opsExecuted;
    this.bundlesSent += other.bundlesSent;
    if (other.maxGas.deploy > this.maxGas.deploy) this.maxGas.deploy = other.maxGas.deploy;
    if (other.maxGas.existing > this.maxGas.existing) this.maxGas.existing = other.maxGas.existing;
    this.gasSamples += other.gasSamples;
  }

  report(): string {
    const sorted = (m: Map<string, number>) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `    ${String(v).padStart(6)}  ${k}`)
        .join("\n");
    return [
      `  steps: ${this.steps}, bundles sent: ${this.bundlesSent}, operations executed: ${this.opsExecuted}`,
      `  max gas of a well-formed operation (actualGasUsed - preVerificationGas, ${this.gasSamples} samples): ` +
        `${this.maxGas.deploy} with account deployment (bound ${GAS_BOUND.deploy}), ` +
        `${this.maxGas.existing} without (bound ${GAS_BOUND.existing})`,
      "  actions (outcome):",
      sorted(this.actions),
      "  operations (outcome):",
      sorted(this.opOutcomes),
    ].join("\n");
  }
}

interface BuiltOp {
  spec: OpSpec;
  op: PackedUserOperation;
  model: ModelOp;
  sender: string;
  nonce: bigint;
  deploys: boolean;
}

interface OpLogs {
  refreshed: bigint[];
  refreshFailed: number;
  spent: { account: string; beneficiary: string; spender: string; amount: bigint; fromGrants: bigint }[];
}

/** The outcome of a transaction for the report: its expected error's name, or "ok". */
function label(e: Prediction): string {
  return e === null ? "ok" : e.name;
}

function failureLabel(f: ValidationFailure): string {
  return f.kind === "FailedOp" ? f.reason : `${f.reason}: ${f.inner.name}`;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Runs actions against the world and the model, checking every invariant after each one. */
export class Runner {
  readonly stats = new Stats();
  private readonly accounts = new Map<string, { nonce: bigint; deployed: boolean }>();
  /** Rebuilds every balance from the ledger's events and block times alone (DESIGN: "every grant, spend,
   *  expiry and revocation is an indexed event"). */
  private readonly indexer = new EventIndexer();

  constructor(
    private readonly w: World,
    readonly m: CreditModel,
  ) {
    for (const [address, account] of m.ledger.accounts) {
      this.indexer.accounts.set(address, {
        purchased: account.purchased,
        buckets: account.buckets.map((b) => ({ ...b })),
      });
    }
  }

  private get ledger() {
    return this.w.sys["0.7"].ledger;
  }

  private get adapter() {
    return this.w.sys["0.7"].adapter;
  }

  private contractFor(source: ExpectedError["source"]): BaseContract {
    if (source === "ledger") return this.ledger;
    if (source === "adapter") return this.adapter;
    return this.w.sys["0.7"].paymaster;
  }

  private interfaceFor(source: ExpectedError["source"]): Interface {
    return this.contractFor(source).interface;
  }

  private accountState(address: string) {
    let s = this.accounts.get(address);
    if (s === undefined) {
      s = { nonce: 0n, deployed: false };
      this.accounts.set(address, s);
    }
    return s;
  }

  private userAddress(index: number): string {
    return index < USERS_PER_VERSION
      ? this.w.users["0.7"][index].account.address
      : this.w.users["0.8"][index - USERS_PER_VERSION].account.address;
  }

  /**
   * Sends one transaction at the next second. With a prediction of failure, asserts the exact custom error (the
   * transaction is not mined); otherwise asserts success and advances the model's clock.
   */
  private async send(
    make: () => Promise<ContractTransactionResponse>,
    expected: Prediction,
  ): Promise<ContractTransactionReceipt | null> {
    const t = this.m.now + 1n;
    await time.setNextBlockTimestamp(t);
    if (expected !== null) {
      const assertion = expect(make()).to.be.revertedWithCustomError(
        this.contractFor(expected.source),
        expected.name,
      );
      await (expected.args.length > 0 ? assertion.withArgs(...expected.args) : assertion);
      await this.afterRevert(t);
      return null;
    }
    const receipt = await (await make()).wait();
    expect(receipt?.status).to.equal(1);
    const block = await receipt!.getBlock();
    expect(BigInt(block.timestamp)).to.equal(t);
    this.m.now = t;
    this.indexer.apply(String(this.ledger.target), receipt!.logs);
    return receipt;
  }

  /**
   * A reverted transaction may or may not have been mined (as a failed transaction at `t`); either way it changed
   * nothing but the clock.
   */
  private async afterRevert(t: bigint): Promise<void> {
    const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect([this.m.now, t], "a reverted transaction's block").to.include(latest);
    this.m.now = latest;
  }

  /** Runs one action (one step), then checks every invariant. */
  async step(action: Action): Promise<void> {
    const outcome = await this.execute(action);
    this.stats.steps += 1;
    this.stats.count(this.stats.actions, `${action.kind}: ${outcome}`);
    await this.checkInvariants();
  }

  private async execute(action: Action): Promise<string> {
    const m = this.m;
    const t = m.now + 1n;
    const { ledger } = this;
    const sys = this.w.sys["0.7"];
    switch (action.kind) {
      case "buy": {
        const account = this.w.holders[action.holder];
        const expected = m.predictBuy(account, action.wei, t);
        const receipt = await this.send(
          () => ledger.connect(sys.admin).buyCredits(account, { value: action.wei, gasLimit: PLAIN_TX_GAS }),
          expected,
        );
        if (receipt === null) return label(expected);
        const credits = m.applyBuy(account, action.wei, t);
        await expect(receipt)
          .to.emit(ledger, "CreditsPurchased")
          .withArgs(account, await sys.admin.getAddress(), ethers.ZeroAddress, action.wei, credits);
        // The purchase refreshed the cache to the price it credited at (O10).
        await expect(receipt)
          .to.emit(this.adapter, "CachedPriceRefreshed")
          .withArgs(m.cachePriceWad, t, false);
        return "ok";
      }
      case "grant": {
        const account = this.w.holders[action.holder];
        // Expiries on a 10-minute grid so that grants often share a bucket.
        const raw = t + action.expiryOffset;
        const expiresAt = action.expiryOffset <= 0n ? raw : ((raw + 599n) / 600n) * 600n;
        const expected = m.predictGrant(account, action.amount, expiresAt, t);
        const receipt = await this.send(
          () =>
            ledger.connect(sys.issuer).grant(account, action.amount, expiresAt, { gasLimit: PLAIN_TX_GAS }),
          expected,
        );
        if (receipt === null) return label(expected);
        m.applyGrant(account, action.amount, expiresAt, t);
        return "ok";
      }
      case "revoke": {
        const account = this.w.holders[action.holder];
        const live = m.account(account).buckets.filter((b) => b.expiry > t);
        const bucket = live.length === 0 ? undefined : live[action.bucket % live.length];
        let expiresAt = bucket?.expiry ?? t + 3_600n;
        let amount: bigint;
        switch (action.amount) {
          case "all":
            amount = bucket?.amount ?? 1n;
            break;
          case "half":
            amount = bucket === undefined ? 1n : (bucket.amount + 1n) / 2n;
            break;
          case "over":
            amount = (bucket?.amount ?? 0n) + 1n;
            break;
          case "zero":
            amount = 0n;
            break;
          case "absent":
            expiresAt = t + 1n; // no bucket expires in one second (expiries are on a 10-minute grid)
            amount = 1n;
            break;
        }
        const expected = m.predictRevoke(account, expiresAt, amount, t);
        const receipt = await this.send(
          () =>
            ledger.connect(sys.issuer).revokeGrant(account, expiresAt, amount, 7, { gasLimit: PLAIN_TX_GAS }),
          expected,
        );
        if (receipt === null) return label(expected);
        m.applyRevoke(account, expiresAt, amount, t);
        return "ok";
      }
      case "sweep": {
        const account = this.w.holders[action.holder];
        await this.send(
          () => ledger.connect(sys.outsider).sweepExpired(account, { gasLimit: PLAIN_TX_GAS }),
          null,
        );
        return m.applySweep(account, t) === 0n ? "nothing" : "swept";
      }
      case "setAllowance": {
        const sponsor = this.w.sponsors[action.sponsor];
        const sponsorAddress = this.w.sponsorAddresses[action.sponsor];
        const beneficiary = this.userAddress(action.user);
        const expiresAt = action.expiryOffset === 0n ? NEVER : t + action.expiryOffset;
        const expected = m.predictSetAllowance(action.perEpoch, action.epochLength, expiresAt, t);
        const receipt = await this.send(
          () =>
            ledger
              .connect(sponsor)
              .setAllowance(beneficiary, action.perEpoch, action.epochLength, expiresAt, {
                gasLimit: PLAIN_TX_GAS,
              }),
          expected,
        );
        if (receipt === null) return label(expected);
        const carried = m.applySetAllowance(
          sponsorAddress,
          beneficiary,
          action.perEpoch,
          action.epochLength,
          expiresAt,
          t,
        );
        await expect(receipt)
          .to.emit(ledger, "AllowanceSet")
          .withArgs(sponsorAddress, beneficiary, action.perEpoch, action.epochLength, expiresAt, carried);
        return "ok";
      }
      case "revokeAllowance": {
        const sponsorAddress = this.w.sponsorAddresses[action.sponsor];
        const beneficiary = this.userAddress(action.user);
        const expected = m.predictRevokeAllowance(sponsorAddress, beneficiary);
        const receipt = await this.send(
          () =>
            ledger
              .connect(this.w.sponsors[action.sponsor])
              .revokeAllowance(beneficiary, { gasLimit: PLAIN_TX_GAS }),
          expected,
        );
        if (receipt === null) return label(expected);
        m.applyRevokeAllowance(sponsorAddress, beneficiary);
        return "ok";
      }
      case "time": {
        await time.increaseTo(m.now + action.seconds);
        m.now += action.seconds;
        return "ok";
      }
      case "price": {
        await this.send(() => sys.feed.updateAnswer(action.answer, { gasLimit: PLAIN_TX_GAS }), null);
        m.updateFeed(action.answer, m.now);
        if (!action.refresh) return m.livePriceError(m.now + 1n) === null ? "valid feed" : "invalid feed";
        return this.refresh();
      }
      case "refresh":
        return this.refresh();
      case "pauseLedger": {
        const expected = m.predictLedgerPause(action.paused);
        const receipt = await this.send(
          () =>
            action.paused
              ? ledger.connect(sys.guardian).pause({ gasLimit: PLAIN_TX_GAS })
              : ledger.connect(sys.admin).unpause({ gasLimit: PLAIN_TX_GAS }),
          expected,
        );
        if (receipt === null) return label(expected);
        m.ledgerPaused = action.paused;
        return action.paused ? "paused" : "unpaused";
      }
      case "pausePaymaster": {
        const pm = this.w.sys[action.version].paymaster;
        const by = action.paused ? sys.guardian : sys.admin;
        await this.send(() => pm.connect(by).setPaused(action.paused, { gasLimit: PLAIN_TX_GAS }), null);
        m.pmPaused[action.version] = action.paused;
        return action.paused ? "paused" : "unpaused";
      }
      case "deposit": {
        const pm = this.w.sys[action.version].paymaster;
        await this.send(
          () => pm.connect(sys.outsider).deposit({ value: action.wei, gasLimit: PLAIN_TX_GAS }),
          null,
        );
        m.deposits[action.version] += action.wei;
        return "ok";
      }
      case "bundle":
        return this.bundle(action.version, action.ops);
    }
  }

  private async refresh(): Promise<string> {
    const t = this.m.now + 1n;
    const expected = this.m.predictRefresh(t);
    const receipt = await this.send(
      () => this.adapter.refreshCachedPrice({ gasLimit: PLAIN_TX_GAS }),
      expected,
    );
    if (receipt === null) return `refresh: ${label(expected)}`;
    this.m.applyRefresh(t);
    await expect(receipt)
      .to.emit(this.adapter, "CachedPriceRefreshed")
      .withArgs(this.m.cachePriceWad, t, false);
    return "refreshed";
  }

  // ---------------------------------------------------------------- bundles

  private paymasterData(spec: OpSpec): string {
    const sponsor = spec.sponsor === null ? null : this.w.sponsorAddresses[spec.sponsor];
    const valid =
      sponsor === null
        ? selfPaymasterData(spec.maxCredits)
        : sponsoredPaymasterData(sponsor, spec.maxCredits);
    switch (spec.data.kind) {
      case "valid":
        return valid;
      case "empty":
        return "0x";
      case "badLength": {
        const bytes = (valid.length - 2) / 2 + spec.data.delta;
        if (spec.data.delta < 0) return bytes <= 0 ? "0x" : ethers.dataSlice(valid, 0, bytes);
        return concat([valid, `0x${"ab".repeat(spec.data.delta)}`]);
      }
      case "unknownMode":
        return concat([toBeHex(spec.data.mode, 1), zeroPadValue(toBeHex(spec.maxCredits), 8)]);
      case "zeroSponsor":
        return sponsoredPaymasterData(ethers.ZeroAddress, spec.maxCredits);
    }
  }

  private callData(spec: OpSpec, sys: System): string {
    const target = sys.target;
    const to = target.target.toString();
    switch (spec.call) {
      case "increment":
        return encodeExecute(to, 0n, target.interface.encodeFunctionData("increment"));
      case "fail":
        return encodeExecute(to, 0n, target.interface.encodeFunctionData("fail", [spec.user]));
      case "burnAll":
        return encodeExecute(to, 0n, target.interface.encodeFunctionData("burnAll"));
      case "movePrice":
        return encodeExecute(
          to,
          0n,
          target.interface.encodeFunctionData("movePrice", [
            sys.feed.target,
            sys.adapter.target,
            spec.moveTo,
          ]),
        );
    }
  }

  private async build(version: Version, specs: readonly OpSpec[]): Promise<BuiltOp[]> {
    const sys = this.w.sys[version];
    const offsets = new Map<string, bigint>();
    const built: BuiltOp[] = [];
    for (const spec of specs) {
      const user = this.w.users[version][spec.user];
      const sender = user.account.address;
      const state = this.accountState(sender);
      const k = offsets.get(sender) ?? 0n;
      offsets.set(sender, k + 1n);
      const nonce = state.nonce + k;
      const deploys = !state.deployed && k === 0n;
      // A price-moving call writes a new feed round and refreshes the cache: give it room within the cap.
      const callGasLimit =
        spec.call === "movePrice" && spec.gas.callGasLimit < 400_000n ? 400_000n : spec.gas.callGasLimit;
      const gas = { ...spec.gas, callGasLimit };
      const paymasterData = this.paymasterData(spec);
      const signer: User = spec.badSignature ? { owner: this.w.stranger, account: user.account } : user;
      const op = await creditOp(sys, signer, {
        nonce,
        deploy: deploys,
        callData: this.callData(spec, sys),
        verificationGasLimit: gas.verificationGasLimit,
        callGasLimit: gas.callGasLimit,
        preVerificationGas: gas.preVerificationGas,
        maxFeePerGas: gas.maxFeePerGas,
        maxPriorityFeePerGas: min(GWEI, gas.maxFeePerGas),
        paymasterVerificationGasLimit: gas.paymasterVerificationGasLimit,
        paymasterPostOpGasLimit: gas.paymasterPostOpGasLimit,
        paymasterData,
      });
      built.push({
        spec,
        op,
        sender,
        nonce,
        deploys,
        model: {
          sender,
          gas: { ...gas, maxPriorityFeePerGas: min(GWEI, gas.maxFeePerGas) },
          paymasterData,
          validSignature: !spec.badSignature,
          validationCallDataLength: BigInt(
            ethers.dataLength(
              sys.paymaster.interface.encodeFunctionData("validatePaymasterUserOp", [
                op,
                ethers.ZeroHash,
                0n,
              ]),
            ),
          ),
        },
      });
    }
    return built;
  }

  /** The gas a bundler budgets for an op in its transaction (every limit plus the EntryPoint's overhead). */
  private static budget(b: BuiltOp): bigint {
    const g = b.model.gas;
    return (
      g.verificationGasLimit +
      g.paymasterVerificationGasLimit +
      g.callGasLimit +
      g.paymasterPostOpGasLimit +
      100_000n
    );
  }

  /**
   * Like a bundler: packs the operations into transactions under the gas cap, and when the EntryPoint rejects a
   * bundle because of one operation, drops it (and that sender's later operations) and resubmits the rest.
   */
  private async bundle(version: Version, specs: readonly OpSpec[]): Promise<string> {
    const built = await this.build(version, specs);
    const dropped = new Set<string>();
    const chunks: BuiltOp[][] = [[]];
    let used = 300_000n;
    for (const b of built) {
      const need = Runner.budget(b);
      if (chunks[chunks.length - 1].length > 0 && used + need > TX_GAS_CAP - 500_000n) {
        chunks.push([]);
        used = 300_000n;
      }
      chunks[chunks.length - 1].push(b);
      used += need;
    }
    let executed = 0;
    for (const chunk of chunks) executed += await this.submit(version, chunk, dropped);
    return `${executed}/${built.length} executed`;
  }

  private async submit(version: Version, chunk: readonly BuiltOp[], dropped: Set<string>): Promise<number> {
    const sys = this.w.sys[version];
    const m = this.m;
    let list = chunk.filter((b) => !dropped.has(b.sender));
    while (list.length > 0) {
      const t = m.now + 1n;
      const scratch = m.newBundle(version);
      const holds: PlacedHold[] = [];
      let failure: ValidationFailure | null = null;
      for (const [i, b] of list.entries()) {
        const r = m.validateOp(version, b.model, i, t, scratch);
        if ("failure" in r) {
          failure = r.failure;
          break;
        }
        holds.push(r.hold);
      }
      const ops = list.map((b) => b.op);
      const gasLimit = min(TX_GAS_CAP, 300_000n + list.reduce((s, b) => s + Runner.budget(b), 0n));
      await time.setNextBlockTimestamp(t);
      const ep = sys.entryPoint.connect(sys.bundler);
      if (failure !== null) {
        const sent = ep.handleOps(ops, this.w.beneficiary, { gasLimit });
        if (failure.kind === "FailedOp") {
          await expect(sent)
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
            .withArgs(failure.index, failure.reason);
        } else {
          const inner = this.interfaceFor(failure.inner.source).encodeErrorResult(
            failure.inner.name,
            failure.inner.args,
          );
          await expect(sent)
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
            .withArgs(failure.index, failure.reason, inner);
        }
        await this.afterRevert(t);
        this.stats.count(this.stats.opOutcomes, `rejected: ${failureLabel(failure)}`);
        const victim = list[failure.index];
        dropped.add(victim.sender);
        list = list.filter((b, i) => i < failure.index || b.sender !== victim.sender);
        continue;
      }
      const depositBefore = await sys.paymaster.getDeposit();
      const result = await handleOps(sys.entryPoint, ops, this.w.beneficiary, sys.bundler, { gasLimit });
      this.stats.bundlesSent += 1;
      expect(BigInt((await result.receipt.getBlock()).timestamp)).to.equal(t);
      m.now = t;
      this.indexer.apply(String(sys.ledger.target), result.receipt.logs);
      await this.settleBundle(version, list, holds, result, t);
      // Invariant 2: the deposit paid exactly what the EntryPoint charged, operation by operation.
      const taken = result.userOperationEvents.reduce((s, e) => s + e.actualGasCost, 0n);
      expect(
        depositBefore - (await sys.paymaster.getDeposit()),
        "deposit decrease = Σ actualGasCost",
      ).to.equal(taken);
      return list.length;
    }
    return 0;
  }

  private opLogs(version: Version, result: HandleOpsResult, count: number): OpLogs[] {
    const sys = this.w.sys[version];
    const out: OpLogs[] = Array.from({ length: count }, () => ({
      refreshed: [],
      refreshFailed: 0,
      spent: [],
    }));
    const ep = getAddress(sys.entryPoint.target.toString());
    const adapter = getAddress(sys.adapter.target.toString());
    const pm = getAddress(sys.paymaster.target.toString());
    const ledger = getAddress(sys.ledger.target.toString());
    let i = 0;
    for (const log of result.receipt.logs) {
      const from = getAddress(log.address);
      if (from === ep) {
        if (sys.entryPoint.interface.parseLog(log)?.name === "UserOperationEvent") i += 1;
        continue;
      }
      if (i >= count) continue;
      if (from === adapter) {
        const parsed = sys.adapter.interface.parseLog(log);
        if (parsed?.name === "CachedPriceRefreshed") out[i].refreshed.push(parsed.args.priceWad as bigint);
      } else if (from === pm) {
        if (sys.paymaster.interface.parseLog(log)?.name === "PriceRefreshFailed") out[i].refreshFailed += 1;
      } else if (from === ledger) {
        const parsed = sys.ledger.interface.parseLog(log);
        if (parsed?.name === "CreditsSpent") {
          out[i].spent.push({
            account: parsed.args.account as string,
            beneficiary: parsed.args.beneficiary as string,
            spender: parsed.args.spender as string,
            amount: parsed.args.amount as bigint,
            fromGrants: decodeGrantsTaken(parsed.args.grantsTaken as bigint).fromGrants,
          });
        }
      }
    }
    return out;
  }

  /** Checks and applies a bundle that went through: calls, postOp refreshes, charges, settlements, gas. */
  private async settleBundle(
    version: Version,
    list: readonly BuiltOp[],
    holds: readonly PlacedHold[],
    result: HandleOpsResult,
    t: bigint,
  ): Promise<void> {
    const m = this.m;
    const sys = this.w.sys[version];
    const markup = m.config.markupBps;
    const events = result.userOperationEvents;
    expect(events, "one UserOperationEvent per operation").to.have.length(list.length);
    expect(result.postOpRevertReasons, "postOp never reverts").to.have.length(0);
    expect(result.accountDeployedEvents.map((e) => e.sender)).to.deep.equal(
      list.filter((b) => b.deploys).map((b) => b.sender),
    );
    // Invariant 2, per operation: priced wei >= wei taken, credits burned cover it, never above the hold.
    // (The gas-calibrated half is skipped by the helper under coverage instrumentation.)
    const charged = expectSolvent(
      sys.paymaster,
      result,
      list.map((b) => b.op),
      markup,
    );
    expect(charged).to.have.length(list.length);
    const logs = this.opLogs(version, result, list.length);
    const pmAddress = await sys.paymaster.getAddress();
    for (const [i, b] of list.entries()) {
      const h = holds[i];
      const ev = events[i];
      const c = charged[i];
      const where = `op ${i} (${b.spec.call}, ${b.spec.gas.profile})`;
      expect(ev.sender, where).to.equal(b.sender);
      expect(ev.nonce, where).to.equal(b.nonce);
      const succeeds = b.spec.call === "increment" || b.spec.call === "movePrice";
      expect(ev.success, `${where}: call success`).to.equal(succeeds);
      this.stats.count(this.stats.opOutcomes, `executed: call ${succeeds ? "succeeded" : "reverted"}`);

      // The user's call: a price move writes a new round and refreshes the cache mid-bundle.
      let refreshed = logs[i].refreshed;
      if (b.spec.call === "movePrice") {
        m.updateFeed(b.spec.moveTo, t);
        m.applyRefresh(t);
        expect(refreshed[0], `${where}: price moved by the call`).to.equal(m.cachePriceWad);
        refreshed = refreshed.slice(1);
      }
      // postOp's opportunistic refresh (only when the cache is old, and only with enough gas).
      const attempts = refreshed.length + logs[i].refreshFailed;
      const wants = m.wantsRefresh(version, h.priceTime, t);
      // postOp refreshes only with the refresh's budget (150,000 + 1/63 + its cost) on top of its own floor.
      const room = b.model.gas.paymasterPostOpGasLimit - h.postOpFloor;
      expect(attempts, `${where}: at most one refresh`).to.be.lte(1);
      if (!wants || room < 160_000n) expect(attempts, `${where}: no refresh expected`).to.equal(0);
      if (wants && room >= 175_000n) expect(attempts, `${where}: refresh expected`).to.equal(1);
      if (refreshed.length === 1) {
        expect(m.livePriceError(t) === null, `${where}: refreshed only with a valid live price`).to.equal(
          true,
        );
        expect(refreshed[0]).to.equal(m.livePriceWad());
        m.applyRefresh(t);
        this.stats.count(this.stats.opOutcomes, "postOp refreshed the price");
      }
      if (logs[i].refreshFailed === 1) {
        expect(
          m.livePriceError(t) !== null,
          `${where}: refresh fails only with an invalid live price`,
        ).to.equal(true);
        m.applyRefreshFailure(version, t);
        this.stats.count(this.stats.opOutcomes, "postOp refresh failed (PriceRefreshFailed)");
      }

      // The charge: the validation price, rounded up, capped at the hold; settled from the right credits.
      expect(c.payer, where).to.equal(getAddress(h.payer));
      expect(c.sender, where).to.equal(b.sender);
      expect(c.priceWad, `${where}: charged at the validation price`).to.equal(h.priceWad);
      expect(c.creditsCharged, `${where}: charge`).to.equal(
        min(h.held, creditsForGasCost(c.gasCostWei, h.priceWad, markup)),
      );
      const fromGrants = m.applySettlement(h, b.sender, c.creditsCharged, t);
      expect(fromGrants !== null, `${where}: the held credits cover the charge`).to.equal(true);
      expect(logs[i].spent, `${where}: CreditsSpent`).to.deep.equal([
        {
          account: getAddress(h.payer),
          beneficiary: b.sender,
          spender: pmAddress,
          amount: c.creditsCharged,
          fromGrants: fromGrants!,
        },
      ]);
      m.deposits[version] -= ev.actualGasCost;
      const state = this.accountState(b.sender);
      state.nonce = b.nonce + 1n;
      state.deployed = true;
      this.stats.opsExecuted += 1;

      // Invariant 4: a well-formed operation's gas is bounded, whatever the history.
      const wellFormed =
        b.spec.gas.profile === "standard" &&
        b.spec.data.kind === "valid" &&
        (b.spec.call === "increment" || b.spec.call === "fail");
      if (wellFormed) {
        const gas = ev.actualGasUsed - b.model.gas.preVerificationGas;
        const kind = b.deploys ? "deploy" : "existing";
        if (gas > this.stats.maxGas[kind]) this.stats.maxGas[kind] = gas;
        this.stats.gasSamples += 1;
        if (!underCoverage()) {
          expect(gas, `${where}: gas of a well-formed operation (${kind})`).to.be.lte(GAS_BOUND[kind]);
        }
      }
    }
  }

  // ---------------------------------------------------------------- invariants

  /** The five invariants and the model's exact state, read back from the chain after a step. */
  async checkInvariants(): Promise<void> {
    const m = this.m;
    const w = this.w;
    const { ledger } = this;
    const [snap, dep7, dep8, cache, ledgerPaused, cfg7, cfg8, issuerCap, latest] = await Promise.all([
      w.inspector.snapshot(
        ledger,
        w.holders,
        w.allowancePairs.map((p) => p.sponsor),
        w.allowancePairs.map((p) => p.beneficiary),
      ),
      w.sys["0.7"].paymaster.getDeposit(),
      w.sys["0.8"].paymaster.getDeposit(),
      this.adapter.cachedPrice(),
      ledger.paused(),
      w.sys["0.7"].paymaster.config(),
      w.sys["0.8"].paymaster.config(),
      ledger.issuerCap(w.sys["0.7"].issuer),
      ethers.provider.getBlock("latest"),
    ]);
    expect(BigInt(latest!.timestamp), "clock").to.equal(m.now);

    // Invariant 1 (no overdraw) and the model's balances: nothing held between transactions, every account's
    // purchased, live granted and expired-unswept credits exactly as modelled (never negative), and the same as
    // rebuilt from the ledger's events alone.
    let stored = 0n;
    for (const [i, b] of snap.accounts.entries()) {
      const address = w.holders[i];
      const c = m.account(address);
      const who = `holder ${i} (${address})`;
      expect(b.held, `${who}: holds released at the end of every transaction`).to.equal(0n);
      expect(
        c.purchased >= 0n && c.buckets.every((x) => x.amount > 0n),
        `${who}: model never negative`,
      ).to.equal(true);
      expect(b.purchased, `${who}: purchased`).to.equal(c.purchased);
      expect(
        b.grants.map((g) => [g.amount, g.expiresAt]),
        `${who}: live grant buckets`,
      ).to.deep.equal(c.buckets.filter((x) => x.expiry > m.now).map((x) => [x.amount, x.expiry]));
      expect(b.expiredUnswept, `${who}: expired, unswept`).to.equal(m.expiredUnswept(address));
      expect(b.grants.length, `${who}: at most 4 live buckets`).to.be.lte(4);
      const balance = b.purchased + b.grants.reduce((s, g) => s + g.amount, 0n);
      expect(snap.spendable[i], `${who}: spendable = balance (no holds)`).to.equal(balance);
      const indexed = this.indexer.accounts.get(address) ?? { purchased: 0n, buckets: [] };
      expect(
        [indexed.purchased, indexed.buckets.map((x) => [x.amount, x.expiry])],
        `${who}: rebuilt from events`,
      ).to.deep.equal([c.purchased, c.buckets.map((x) => [x.amount, x.expiry])]);
      stored += balance + b.expiredUnswept;
    }
    expect(m.ledger.accounts.size, "only holders ever hold credits").to.be.lte(w.holders.length);

    // Invariant 3 (conservation), on the contract's own numbers and on the model's.
    const [issued, burned, expired, revoked] = snap.totals;
    expect(issued, "conservation: issued = Σ stored + burned + expired + revoked").to.equal(
      stored + burned + expired + revoked,
    );
    const l = m.ledger;
    expect(l.issued, "model conservation").to.equal(l.totalBalances() + l.burned + l.expired + l.revoked);
    expect([issued, burned, expired, revoked], "totals").to.deep.equal([
      l.issued,
      l.burned,
      l.expired,
      l.revoked,
    ]);

    // Allowances (spending carried across changes, epochs, revocation) and what remains of them.
    for (const [i, p] of w.allowancePairs.entries()) {
      const b = snap.budgets[i];
      expect(toBudget(b), `allowance ${p.sponsor} → ${p.beneficiary}`).to.deep.equal(
        m.allowance(p.sponsor, p.beneficiary),
      );
      expect(snap.remaining[i], `remaining allowance ${p.sponsor} → ${p.beneficiary}`).to.equal(
        m.remainingAllowance(p.sponsor, p.beneficiary),
      );
    }

    // Invariant 2 (deposits): each paymaster's EntryPoint deposit moved exactly by what was deposited (purchases,
    // top-ups) and by Σ actualGasCost of its operations.
    expect(dep7, "v0.7 paymaster deposit").to.equal(m.deposits["0.7"]);
    expect(dep8, "v0.8 paymaster deposit").to.equal(m.deposits["0.8"]);

    // Invariant 5 (fail closed) relies on these: the cache, the pauses and the issuer's budget as modelled.
    expect([cache[0], cache[1]], "cached price").to.deep.equal([m.cachePriceWad, m.cacheTime]);
    expect(ledgerPaused, "ledger paused").to.equal(m.ledgerPaused);
    expect([cfg7.paused, cfg8.paused], "paymasters paused").to.deep.equal([
      m.pmPaused["0.7"],
      m.pmPaused["0.8"],
    ]);
    expect(toBudget(issuerCap), "issuer cap").to.deep.equal(m.issuerCap);
  }
}
