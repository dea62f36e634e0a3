/**
 * The variants of the paymaster benchmark (see `bench/paymaster-gas.ts`): how each way of paying builds, funds
 * and warms up its senders, builds the measured operation, keeps its prices fresh and proves that a measured
 * bundle took its steady path. Also the common gas fields and the bundle sender.
 */
import { ethers } from "hardhat";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  Interface,
  MaxUint256,
  Wallet,
  concat,
  getAddress,
  getBytes,
  keccak256,
  parseEther,
  toUtf8Bytes,
  zeroPadValue,
} from "ethers";
import type { Log, Signer } from "ethers";

import tokenPaymasterArtifact from "@account-abstraction/contracts-v7/artifacts/TokenPaymaster.json";
import verifyingPaymasterArtifact from "@account-abstraction/contracts-v7/artifacts/VerifyingPaymaster.json";

import {
  MockV3Aggregator__factory,
  TestAcceptAllPaymaster__factory,
  TestERC20__factory,
} from "../../typechain-types";
import {
  CREDIT,
  DEFAULT_USER_OP_GAS,
  ETH_USD,
  MAX_FEE_PER_GAS,
  MAX_PRIORITY_FEE_PER_GAS,
  PM_POST_OP_GAS,
  PM_VERIFICATION_GAS,
  buildUserOp,
  buyCredits,
  counterfactualAccount,
  creditOp,
  encodeExecute,
  handleOps,
  incrementCall,
  packPaymasterAndData,
  policyPaymasterData,
  signPolicyApproval,
  signUserOp,
  STUB_APPROVAL_SIGNATURE,
  simpleAccountAbi,
} from "../../src/aa";
import { decodeGrantsTaken, decodePaymasterSpendData } from "../../src/client";
import type {
  CreditOpOptions,
  EntryPointCommon,
  HandleOpsResult,
  PackedUserOperation,
  System,
  User,
  UserOpParams,
} from "../../src/aa";
import type { GrantVariant, MeasuredVariantName, PurchasedVariant } from "./report";

// ------------------------------------------------------------------ parameters

/** Operations per warm-up bundle that every variant fits in EIP-7825's transaction gas cap (POLICY warm-ups write
 *  each user's usage slot too). */
export const WARM_UP_CHUNK = 10;
/** Timestamp of the first block the bench mines (2096-10-02): later than any wall clock, below 2^32. */
export const CLOCK_START = 4_000_000_000;
/** EIP-7825 (Osaka): the most gas one transaction may use. */
export const TX_GAS_CAP = 16_777_216n;

/** Gas fields of every measured operation, in every variant. */
export const MEASURED_GAS = {
  verificationGasLimit: 100_000n,
  callGasLimit: 100_000n,
  preVerificationGas: 50_000n,
  maxFeePerGas: MAX_FEE_PER_GAS,
  maxPriorityFeePerGas: MAX_PRIORITY_FEE_PER_GAS,
} as const;
/** Warm-up operations deploy the account: more verification and call gas. */
export const WARM_UP_GAS = {
  ...MEASURED_GAS,
  verificationGasLimit: DEFAULT_USER_OP_GAS.verificationGasLimit,
  callGasLimit: DEFAULT_USER_OP_GAS.callGasLimit,
} as const;
/** Paymaster gas limits of every paymaster variant. */
export const PAYMASTER_GAS = {
  paymasterVerificationGasLimit: PM_VERIFICATION_GAS,
  paymasterPostOpGasLimit: PM_POST_OP_GAS,
} as const;

/** ETH each self-paying sender (`none`, TokenPaymaster's approval op) deposits on the EntryPoint. */
const SENDER_DEPOSIT = parseEther("0.1");
/** ETH of credits each self-pay sender buys. */
const SELF_CREDITS_ETH = parseEther("0.01");
/** ETH of credits the sponsor buys (per EntryPoint version), and each sponsored sender's allowance per epoch. */
const SPONSOR_CREDITS_ETH = parseEther("5");
const SPONSORED_ALLOWANCE = 50n * CREDIT;
const DAY = 86_400;
const FAR_FUTURE = 2n ** 32n - 1n;

/** VerifyingPaymaster validity window (fixed, inside the bench's clock). */
const VALID_AFTER = BigInt(CLOCK_START);
const VALID_UNTIL = BigInt(CLOCK_START + 30 * DAY);
/** 65 bytes standing in for the VerifyingPaymaster's signature while its hash is computed (which ignores it). */
const SIGNATURE_PLACEHOLDER = zeroPadValue("0x", 65);

/** TokenPaymaster: token/USD feed answer ($1, 8 decimals), 18-decimal token, markup 1.05× (as the credits'). */
const TOKEN_USD = 10n ** 8n;
const PRICE_DENOMINATOR = 10n ** 26n;
const TOKEN_MARKUP = (PRICE_DENOMINATOR * 105n) / 100n;
const TOKENS_PER_SENDER = 1_000n * 10n ** 18n;

// ------------------------------------------------------------------ helpers

/** A deterministic key from a label. */
function keyOf(label: string): string {
  return keccak256(toUtf8Bytes(`compute-credits/bench/${label}`));
}

/** A SimpleAccount user with a fixed owner key (salt 0), for `sys`'s factory. */
export async function benchUser(sys: System, label: string): Promise<User> {
  const owner = new Wallet(keyOf(label), ethers.provider);
  return { owner, account: await counterfactualAccount(sys.factory, owner.address, 0n) };
}

async function send(pending: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await pending).wait();
}

function asString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what} did not return a string`);
  return value;
}

/** Builds and signs an operation of `user` with the measured (or given) gas fields. */
async function accountOp(
  sys: System,
  user: User,
  fields: Omit<UserOpParams, "sender">,
): Promise<PackedUserOperation> {
  const op = buildUserOp({ ...MEASURED_GAS, ...fields, sender: user.account.address });
  return signUserOp(op, user.owner, sys.entryPoint, sys.version);
}

/** `execute(target, 0, increment())`: the callData of every measured operation. */
async function incrementCallData(sys: System): Promise<string> {
  return encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys));
}

/** The sender's nonce, required to be 1 (exactly one prior operation) for a measured operation. */
async function measuredNonce(entryPoint: EntryPointCommon, sender: string): Promise<bigint> {
  const nonce = await entryPoint.getNonce(sender, 0);
  if (nonce !== 1n) throw new Error(`sender ${sender} has nonce ${nonce}, expected 1 (one prior operation)`);
  return nonce;
}

/**
 * Sends `ops` in one `handleOps` from the bundler (beneficiary: the bundler) with an explicit gas limit: the
 * node's estimate + 20%, within EIP-7825's cap. Throws unless every operation succeeded.
 */
export async function sendBundle(
  entryPoint: EntryPointCommon,
  bundler: Signer,
  ops: readonly PackedUserOperation[],
  what: string,
): Promise<HandleOpsResult> {
  const beneficiary = await bundler.getAddress();
  const estimate = await entryPoint.connect(bundler).handleOps.estimateGas([...ops], beneficiary);
  if (estimate > TX_GAS_CAP) {
    throw new Error(`${what}: handleOps needs ${estimate} gas, above the transaction cap ${TX_GAS_CAP}`);
  }
  const computed = (estimate * 6n) / 5n;
  const gasLimit = computed < TX_GAS_CAP ? computed : TX_GAS_CAP;
  const result = await handleOps(entryPoint, ops, beneficiary, bundler, { gasLimit });
  const failed = result.userOperationEvents.filter((e) => !e.success).length;
  if (
    result.receipt.status !== 1 ||
    result.userOperationEvents.length !== ops.length ||
    failed !== 0 ||
    result.userOperationRevertReasons.length !== 0 ||
    result.postOpRevertReasons.length !== 0
  ) {
    throw new Error(
      `${what}: ${result.userOperationEvents.length}/${ops.length} operations executed, ${failed} failed, ` +
        `${result.postOpRevertReasons.length} postOp reverts`,
    );
  }
  return result;
}

function logsOf(result: Pick<HandleOpsResult, "receipt">, address: string): Log[] {
  return result.receipt.logs.filter((l) => getAddress(l.address) === getAddress(address));
}

// ------------------------------------------------------------------ variants

/** One way of paying for the benchmark operation. */
export interface Variant {
  readonly name: MeasuredVariantName;
  readonly sys: System;
  /** Funds and authorises `users` for their warm-up and measured operations. */
  prepare(users: readonly User[]): Promise<void>;
  /** The user's first operation: deploys the account and leaves it as a returning user's (not measured). */
  warmUpOp(user: User): Promise<PackedUserOperation>;
  /** The measured operation (with other paymaster gas limits than {@link PAYMASTER_GAS}: the postOp-floor cost). */
  measuredOp(user: User, paymasterGas?: PaymasterGas): Promise<PackedUserOperation>;
  /** Runs before each measured bundle: refreshes cached prices so that validation and postOp take the steady path. */
  refresh(): Promise<void>;
  /** Throws unless the measured bundle took the steady path. */
  checkSteadyPath(result: HandleOpsResult, ops: number): void | Promise<void>;
}

/** The paymaster gas limits of an operation. */
export interface PaymasterGas {
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
}

/** No paymaster: the account pays its prefund from its EntryPoint deposit (eth-infinitism's gas-checker setup). */
export async function noPaymaster(sys: System): Promise<Variant> {
  const increment = await incrementCallData(sys);
  return {
    name: "none",
    sys,
    async prepare(users) {
      for (const u of users) {
        await send(sys.entryPoint.depositTo(u.account.address, { value: SENDER_DEPOSIT }));
      }
    },
    warmUpOp: (user) =>
      accountOp(sys, user, { ...WARM_UP_GAS, initCode: user.account.initCode, callData: increment }),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return accountOp(sys, user, { nonce, callData: increment });
    },
    async refresh() {},
    checkSteadyPath() {},
  };
}

/** eth-infinitism VerifyingPaymaster (v0.7): a signer's off-chain approval, no postOp. */
export async function verifyingPaymaster(sys: System): Promise<Variant> {
  const signer = new Wallet(keyOf("verifying-signer"));
  const factory = new ContractFactory(
    verifyingPaymasterArtifact.abi,
    verifyingPaymasterArtifact.bytecode,
    sys.admin,
  );
  const deployed = await factory.deploy(sys.entryPoint, signer.address);
  await deployed.waitForDeployment();
  const vp = new Contract(await deployed.getAddress(), verifyingPaymasterArtifact.abi, sys.admin);
  const vpAddress = await vp.getAddress();
  await send(sys.entryPoint.depositTo(vpAddress, { value: parseEther("10") }));
  const increment = await incrementCallData(sys);
  const timeRange = AbiCoder.defaultAbiCoder().encode(["uint48", "uint48"], [VALID_UNTIL, VALID_AFTER]);

  const build = async (user: User, fields: Omit<UserOpParams, "sender">): Promise<PackedUserOperation> => {
    const head = packPaymasterAndData(
      vpAddress,
      PAYMASTER_GAS.paymasterVerificationGasLimit,
      PAYMASTER_GAS.paymasterPostOpGasLimit,
      timeRange,
    );
    // getHash covers every field but the paymaster signature itself; a placeholder of the same length stands in.
    const unsigned = buildUserOp({
      ...MEASURED_GAS,
      ...fields,
      sender: user.account.address,
      paymasterAndData: concat([head, SIGNATURE_PLACEHOLDER]),
      signature: "0x",
    });
    const hash = asString(
      await vp.getFunction("getHash").staticCall(unsigned, VALID_UNTIL, VALID_AFTER),
      "VerifyingPaymaster.getHash",
    );
    const paymasterSignature = await signer.signMessage(getBytes(hash));
    const op = { ...unsigned, paymasterAndData: concat([head, paymasterSignature]) };
    return signUserOp(op, user.owner, sys.entryPoint, sys.version);
  };

  return {
    name: "verifying",
    sys,
    async prepare() {},
    warmUpOp: (user) => build(user, { ...WARM_UP_GAS, initCode: user.account.initCode, callData: increment }),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return build(user, { nonce, callData: increment });
    },
    async refresh() {},
    checkSteadyPath() {},
  };
}

/**
 * The floor of any paymaster with a postOp (reported in the lower-bound section of `reports/gas.md`, not in
 * `reports/gas.json`): the test-only TestAcceptAllPaymaster, whose validation reads no storage and returns a
 * one-word context and whose postOp only emits one event (`PostOpCalled`: 1 indexed topic, 3 data words). What
 * it costs is what the EntryPoint charges for having a paymaster at all.
 */
export async function acceptAllPaymaster(sys: System): Promise<Variant> {
  const pm = await new TestAcceptAllPaymaster__factory(sys.admin).deploy(sys.entryPoint);
  await pm.waitForDeployment();
  const pmAddress = await pm.getAddress();
  await send(sys.entryPoint.depositTo(pmAddress, { value: parseEther("10") }));
  const increment = await incrementCallData(sys);
  const paymasterAndData = packPaymasterAndData(
    pmAddress,
    PAYMASTER_GAS.paymasterVerificationGasLimit,
    PAYMASTER_GAS.paymasterPostOpGasLimit,
  );
  return {
    name: "accept-all",
    sys,
    async prepare() {},
    warmUpOp: (user) =>
      accountOp(sys, user, {
        ...WARM_UP_GAS,
        initCode: user.account.initCode,
        callData: increment,
        paymasterAndData,
      }),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return accountOp(sys, user, { nonce, callData: increment, paymasterAndData });
    },
    async refresh() {},
    // One PostOpCalled per operation: the EntryPoint called postOp every time.
    checkSteadyPath(result, ops) {
      const calls = logsOf(result, pmAddress).length;
      if (calls !== ops) throw new Error(`accept-all: ${calls}/${ops} postOp events`);
    },
  };
}

/**
 * eth-infinitism TokenPaymaster (v0.7): an 18-decimal ERC-20 the senders hold and approved, Chainlink mock feeds
 * token/USD and ETH/USD, the cached price initialised by `updateCachedPrice(true)`. The Uniswap router and the
 * wrapped native token are addresses without code that are never called: `refillEntryPointDeposit` only swaps
 * when the paymaster's deposit is below `minEntryPointBalance`, which is 0. The paymaster holds tokens from the
 * start, so that no measured bundle writes its token balance from zero.
 */
export async function tokenPaymaster(sys: System): Promise<Variant> {
  const admin = sys.admin;
  const token = await new TestERC20__factory(admin).deploy("Bench USD", "BUSD", 18);
  const tokenFeed = await new MockV3Aggregator__factory(admin).deploy(8, TOKEN_USD);
  const ethFeed = await new MockV3Aggregator__factory(admin).deploy(8, ETH_USD);
  const unusedRouter = new Wallet(keyOf("unused-uniswap-router")).address;
  const unusedWrappedNative = new Wallet(keyOf("unused-wrapped-native")).address;
  const factory = new ContractFactory(tokenPaymasterArtifact.abi, tokenPaymasterArtifact.bytecode, admin);
  const deployed = await factory.deploy(
    token,
    sys.entryPoint,
    unusedWrappedNative,
    unusedRouter,
    {
      priceMarkup: TOKEN_MARKUP,
      minEntryPointBalance: 0n,
      refundPostopCost: 40_000n,
      priceMaxAge: DAY,
    },
    {
      cacheTimeToLive: DAY,
      maxOracleRoundAge: 3_600n,
      tokenOracle: tokenFeed,
      nativeOracle: ethFeed,
      tokenToNativeOracle: false,
      tokenOracleReverse: false,
      nativeOracleReverse: false,
      priceUpdateThreshold: (PRICE_DENOMINATOR * 2n) / 10n,
    },
    { minSwapAmount: 1n, uniswapPoolFee: 3_000n, slippage: 5n },
    await admin.getAddress(),
  );
  await deployed.waitForDeployment();
  const tp = new Contract(await deployed.getAddress(), tokenPaymasterArtifact.abi, admin);
  const tpAddress = await tp.getAddress();
  await send(tp.getFunction("addStake")(DAY, { value: parseEther("1") }));
  await send(sys.entryPoint.depositTo(tpAddress, { value: parseEther("10") }));
  await send(token.mint(tpAddress, 10n ** 18n));
  await send(tp.getFunction("updateCachedPrice")(true));

  const accountInterface = new Interface(simpleAccountAbi("0.7"));
  const tokenAddress = await token.getAddress();
  const targetAddress = await sys.target.getAddress();
  const increment = await incrementCallData(sys);
  const steadyEvents = new Set(["UserOperationSponsored"]);

  return {
    name: "token",
    sys,
    async prepare(users) {
      for (const u of users) {
        await send(token.mint(u.account.address, TOKENS_PER_SENDER));
        await send(sys.entryPoint.depositTo(u.account.address, { value: SENDER_DEPOSIT }));
      }
    },
    // Deploys the account, approves the paymaster and increments, paid from the sender's own deposit.
    warmUpOp: (user) =>
      accountOp(sys, user, {
        ...WARM_UP_GAS,
        initCode: user.account.initCode,
        callData: accountInterface.encodeFunctionData("executeBatch", [
          [tokenAddress, targetAddress],
          [],
          [token.interface.encodeFunctionData("approve", [tpAddress, MaxUint256]), incrementCall(sys)],
        ]),
      }),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return accountOp(sys, user, {
        nonce,
        callData: increment,
        paymasterAndData: packPaymasterAndData(
          tpAddress,
          PAYMASTER_GAS.paymasterVerificationGasLimit,
          PAYMASTER_GAS.paymasterPostOpGasLimit,
        ),
      });
    },
    async refresh() {
      await send(tokenFeed.updateAnswer(TOKEN_USD));
      await send(ethFeed.updateAnswer(ETH_USD));
      await send(tp.getFunction("updateCachedPrice")(true));
    },
    checkSteadyPath(result, ops) {
      const names = logsOf(result, tpAddress).map((l) => tp.interface.parseLog(l)?.name ?? "unknown");
      const other = names.filter((n) => !steadyEvents.has(n));
      if (other.length !== 0 || names.length !== ops) {
        throw new Error(`TokenPaymaster left its steady path: events ${names.join(", ")}`);
      }
    },
  };
}

// ------------------------------------------------------------------ payers holding DAO grants

/** Credits of the bucket that expires during the bench (granted, then left to expire before any measurement). */
const EXPIRING_GRANT = CREDIT;
/** Seconds until that bucket expires: 50 blocks of the bench's clock, long enough for the grants that follow it. */
const EXPIRING_AFTER = 600n;
/** Credits of each of the two live buckets of a self-paying sender (its charges come from the soonest one). */
const SELF_GRANT = 25n * CREDIT;
/** Credits of each of the two live buckets of the grant-holding sponsor. */
const SPONSOR_GRANT = 50_000n * CREDIT;

/** The expiries of a grant-holding payer's buckets: every charge must come from `firstLive`, skipping `expired`. */
export interface GrantExpiries {
  expired: bigint;
  firstLive: bigint;
}

/**
 * The DAO grants of the bench: the issuer (the deploy's admin) grants each grant-holding payer three buckets, the
 * soonest expiring within minutes (it has expired before any measured bundle: checked), the two others live for 30
 * and 60 days. Grant-holding payers hold no purchased credits. `sponsor` pays the sponsored and POLICY grant rows.
 */
export class DaoGrants {
  private readonly expiries = new Map<string, GrantExpiries>();

  constructor(
    readonly issuer: Signer,
    readonly sponsor: Signer,
  ) {}

  /** Grants `account` its three buckets, each live one holding `live` credits. */
  async grantBuckets(sys: System, account: string, live: bigint): Promise<void> {
    const block = await ethers.provider.getBlock("latest");
    if (block === null) throw new Error("no latest block");
    const now = BigInt(block.timestamp);
    const expiries = { expired: now + EXPIRING_AFTER, firstLive: now + 30n * BigInt(DAY) };
    const ledger = sys.ledger.connect(this.issuer);
    await send(ledger.grant(account, EXPIRING_GRANT, expiries.expired));
    await send(ledger.grant(account, live, expiries.firstLive));
    await send(ledger.grant(account, live, now + 60n * BigInt(DAY)));
    this.expiries.set(getAddress(account), expiries);
  }

  /** Grants the sponsor its buckets (once per run: the ledger is shared by both EntryPoint versions). */
  async grantSponsor(sys: System): Promise<void> {
    const sponsor = await this.sponsor.getAddress();
    if (!this.expiries.has(getAddress(sponsor))) await this.grantBuckets(sys, sponsor, SPONSOR_GRANT);
  }

  expiriesOf(account: string): GrantExpiries {
    const e = this.expiries.get(getAddress(account));
    if (e === undefined) throw new Error(`${account} was granted no buckets by the bench`);
    return e;
  }
}

/**
 * Throws unless a measured bundle of this project's paymaster took its steady path: one `CreditsSpent` of the
 * ledger per operation, spent by `paymaster`, from the expected payer (the sender in self-pay, the sponsor
 * otherwise); from purchased credits only, or (grant rows) entirely from the payer's soonest LIVE bucket with its
 * expired bucket skipped; no adapter event (no price refresh) and no PriceRefreshFailed.
 */
export async function checkCreditSteadyPath(
  sys: Pick<System, "ledger" | "paymaster" | "adapter">,
  result: Pick<HandleOpsResult, "receipt" | "userOperationEvents">,
  ops: number,
  what: string,
  sponsor: string | undefined,
  grants: Pick<DaoGrants, "expiriesOf"> | undefined,
): Promise<void> {
  const fail = (why: string): never => {
    throw new Error(`${what} left its steady path: ${why}`);
  };
  const paymasterAddress = getAddress(await sys.paymaster.getAddress());
  const spent = logsOf(result, await sys.ledger.getAddress())
    .map((l) => sys.ledger.interface.parseLog(l))
    .filter((p) => p?.name === "CreditsSpent");
  if (spent.length !== ops) fail(`${spent.length}/${ops} CreditsSpent`);
  const senders = new Set(result.userOperationEvents.map((e) => getAddress(e.sender)));
  const block = await ethers.provider.getBlock(result.receipt.blockNumber);
  if (block === null) fail("no block for the receipt");
  for (const parsed of spent) {
    if (parsed === null) continue;
    const account = getAddress(parsed.args.account as string);
    if (getAddress(parsed.args.spender as string) !== paymasterAddress)
      fail(`spent by ${parsed.args.spender}`);
    if (sponsor === undefined ? !senders.has(account) : account !== getAddress(sponsor)) {
      fail(`charged ${account}`);
    }
    const { mode } = decodePaymasterSpendData(parsed.args.spenderData as bigint);
    const expectedMode = sponsor === undefined ? "SELF" : what.includes("policy") ? "POLICY" : "SPONSORED";
    if (mode !== expectedMode) fail(`charged in ${mode} mode, not ${expectedMode}`);
    const taken = decodeGrantsTaken(parsed.args.grantsTaken as bigint);
    if (grants === undefined) {
      if (taken.fromGrants !== 0n) fail(`${taken.fromGrants} credits taken from grants`);
      continue;
    }
    const expiries = grants.expiriesOf(account);
    if (taken.fromGrants !== (parsed.args.amount as bigint)) fail("not all of the charge came from grants");
    if (taken.firstExpiry !== expiries.firstLive || taken.lastExpiry !== expiries.firstLive) {
      fail(`charged buckets expiring ${taken.firstExpiry}..${taken.lastExpiry}, not the soonest live one`);
    }
    if (BigInt(block?.timestamp ?? 0) < expiries.expired) fail("the payer's expiring bucket is still live");
  }
  if (logsOf(result, await sys.adapter.getAddress()).length !== 0)
    fail("the adapter logged (a price refresh)");
  const paymasterEvents = logsOf(result, paymasterAddress).map(
    (l) => sys.paymaster.interface.parseLog(l)?.name,
  );
  // One event per operation, the ledger's: the paymaster logs nothing on its steady path.
  if (paymasterEvents.length !== 0) {
    fail(`paymaster events ${paymasterEvents.join(", ")}`);
  }
}

/** The rows of this project's paymaster in self-pay or sponsored mode. */
export type CreditVariantName = Extract<
  PurchasedVariant | GrantVariant,
  "credit-self" | "credit-sponsored" | "credit-self-grants" | "credit-sponsored-grants"
>;

/**
 * This project's CreditPaymaster, in self-pay or sponsored mode; with `grants`, the payer (the sender, or the
 * grant-holding sponsor) holds DAO grants instead of purchased credits.
 */
export async function creditPaymaster(
  sys: System,
  name: CreditVariantName,
  grants?: DaoGrants,
): Promise<Variant> {
  if (name.endsWith("-grants") !== (grants !== undefined))
    throw new Error(`${name}: grants must come with -grants`);
  const sponsored = name.startsWith("credit-sponsored");
  const sponsorSigner = grants?.sponsor ?? sys.dapp;
  const sponsor = sponsored ? await sponsorSigner.getAddress() : undefined;
  const refresh = async (): Promise<void> => {
    await send(sys.feed.updateAnswer(ETH_USD));
    await send(sys.adapter.refreshCachedPrice());
  };
  if (sponsor !== undefined) {
    await refresh();
    if (grants === undefined) await buyCredits(sys, sys.dapp, sponsor, SPONSOR_CREDITS_ETH);
    else await grants.grantSponsor(sys);
  }
  const increment = await incrementCallData(sys);
  return {
    name,
    sys,
    async prepare(users) {
      for (const u of users) {
        if (sponsor !== undefined) {
          await send(
            sys.ledger
              .connect(sponsorSigner)
              .setAllowance(u.account.address, SPONSORED_ALLOWANCE, DAY, FAR_FUTURE),
          );
        } else if (grants === undefined) {
          await buyCredits(sys, sys.admin, u.account.address, SELF_CREDITS_ETH);
        } else {
          await grants.grantBuckets(sys, u.account.address, SELF_GRANT);
        }
      }
    },
    warmUpOp: (user) => creditOp(sys, user, { ...WARM_UP_GAS, ...PAYMASTER_GAS, sponsor }),
    async measuredOp(user, paymasterGas = PAYMASTER_GAS) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return creditOp(sys, user, {
        ...MEASURED_GAS,
        ...paymasterGas,
        nonce,
        callData: increment,
        sponsor,
      });
    },
    refresh,
    checkSteadyPath: (result, ops) => checkCreditSteadyPath(sys, result, ops, name, sponsor, grants),
  };
}

/** The POLICY rows: a signed policy without per-user limits, an open policy's returning and first-time users. */
export type PolicyVariantName = Extract<PurchasedVariant | GrantVariant, `policy-${string}`>;

/** Creates a policy of `sponsor` (one-day epochs, open for a year) and returns its id. */
async function createBenchPolicy(
  sys: System,
  sponsor: Signer,
  perUserLimits: boolean,
  signer: string,
): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  const now = BigInt(block.timestamp);
  const terms = {
    creditsPerUser: perUserLimits ? SPONSORED_ALLOWANCE : 0n,
    opsPerUser: perUserLimits ? 100n : 0n,
    creditsPerEpoch: perUserLimits ? 100_000n * CREDIT : 0n,
    creditsPerOp: 0n,
    start: now - 10n,
    end: now + 365n * BigInt(DAY),
    signer,
  };
  await send(sys.ledger.connect(sponsor).createPolicy(terms, DAY));
  return sys.ledger.policyCount(await sponsor.getAddress());
}

/**
 * This project's CreditPaymaster in POLICY mode, the sponsor (`sys.dapp` holding purchased credits, or with `grants`
 * the grant-holding sponsor) paying under one of its policies: `policy-signed` (an EOA approval signer, no per-user
 * or policy-wide limit, a returning user), `policy-open-returning` (no signer, per-user and policy-wide limits, the
 * user's second operation under it) and `policy-open-first` (the same kind of policy, the user's first operation
 * under it: its warm-up ran under another policy of the sponsor, so the measured operation writes the user's usage
 * slot from zero).
 */
export async function policyPaymaster(
  sys: System,
  name: PolicyVariantName,
  grants?: DaoGrants,
): Promise<Variant> {
  if (name.endsWith("-grants") !== (grants !== undefined))
    throw new Error(`${name}: grants must come with -grants`);
  const sponsorSigner = grants?.sponsor ?? sys.dapp;
  const sponsor = await sponsorSigner.getAddress();
  const refresh = async (): Promise<void> => {
    await send(sys.feed.updateAnswer(ETH_USD));
    await send(sys.adapter.refreshCachedPrice());
  };
  await refresh();
  if (grants === undefined) await buyCredits(sys, sys.dapp, sponsor, SPONSOR_CREDITS_ETH);
  else await grants.grantSponsor(sys);
  const signed = name.startsWith("policy-signed");
  const approver = new Wallet(keyOf(`${sys.version}/policy-approver`));
  const measuredPolicy = await createBenchPolicy(
    sys,
    sponsorSigner,
    !signed,
    signed ? approver.address : ethers.ZeroAddress,
  );
  const warmUpPolicy = name.startsWith("policy-open-first")
    ? await createBenchPolicy(sys, sponsorSigner, true, ethers.ZeroAddress)
    : measuredPolicy;
  const increment = await incrementCallData(sys);
  const build = async (
    user: User,
    policyId: bigint,
    fields: Omit<CreditOpOptions, "paymasterData">,
    paymasterGas: PaymasterGas,
  ) => {
    const approval = signed
      ? { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE }
      : undefined;
    const op = await creditOp(sys, user, {
      ...fields,
      ...paymasterGas,
      paymasterData: policyPaymasterData(sponsor, policyId, 0n, approval),
    });
    if (!signed) return op;
    const approved = await signPolicyApproval(op, approver, sys.paymaster, sys.entryPoint);
    return signUserOp(approved, user.owner, sys.entryPoint, sys.version);
  };
  return {
    name,
    sys,
    async prepare() {},
    warmUpOp: (user) => build(user, warmUpPolicy, WARM_UP_GAS, PAYMASTER_GAS),
    async measuredOp(user, paymasterGas = PAYMASTER_GAS) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return build(user, measuredPolicy, { ...MEASURED_GAS, nonce, callData: increment }, paymasterGas);
    },
    refresh,
    checkSteadyPath: (result, ops) => checkCreditSteadyPath(sys, result, ops, name, sponsor, grants),
  };
}
