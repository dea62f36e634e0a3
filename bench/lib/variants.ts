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
  chargedEvents,
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
import type {
  CreditOpOptions,
  EntryPointCommon,
  HandleOpsResult,
  PackedUserOperation,
  System,
  User,
  UserOpParams,
} from "../../src/aa";
import type { MeasuredVariantName } from "./report";

// ------------------------------------------------------------------ parameters

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

function logsOf(result: HandleOpsResult, address: string): Log[] {
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
  /** The measured operation. */
  measuredOp(user: User): Promise<PackedUserOperation>;
  /** Runs before each measured bundle: refreshes cached prices so that validation and postOp take the steady path. */
  refresh(): Promise<void>;
  /** Throws unless the measured bundle took the steady path. */
  checkSteadyPath(result: HandleOpsResult, ops: number): void;
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

/** This project's CreditPaymaster, in self-pay or sponsored mode. */
export async function creditPaymaster(
  sys: System,
  mode: "credit-self" | "credit-sponsored",
): Promise<Variant> {
  const sponsor = mode === "credit-sponsored" ? await sys.dapp.getAddress() : undefined;
  const refresh = async (): Promise<void> => {
    await send(sys.feed.updateAnswer(ETH_USD));
    await send(sys.adapter.refreshCachedPrice());
  };
  if (sponsor !== undefined) {
    await refresh();
    await buyCredits(sys, sys.dapp, sponsor, SPONSOR_CREDITS_ETH);
  }
  const adapterAddress = await sys.adapter.getAddress();
  const paymasterAddress = await sys.paymaster.getAddress();
  const increment = await incrementCallData(sys);
  return {
    name: mode,
    sys,
    async prepare(users) {
      for (const u of users) {
        if (sponsor === undefined) {
          await buyCredits(sys, sys.admin, u.account.address, SELF_CREDITS_ETH);
        } else {
          await send(
            sys.ledger
              .connect(sys.dapp)
              .setAllowance(u.account.address, SPONSORED_ALLOWANCE, DAY, FAR_FUTURE),
          );
        }
      }
    },
    warmUpOp: (user) => creditOp(sys, user, { ...WARM_UP_GAS, ...PAYMASTER_GAS, sponsor }),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return creditOp(sys, user, {
        ...MEASURED_GAS,
        ...PAYMASTER_GAS,
        nonce,
        callData: increment,
        sponsor,
      });
    },
    refresh,
    // One charge (the ledger's CreditsSpent) per operation, no paymaster event (no PriceRefreshFailed), no adapter refresh.
    checkSteadyPath(result, ops) {
      const charged = chargedEvents(sys.paymaster, result).length;
      const paymasterLogs = logsOf(result, paymasterAddress).length;
      const adapterLogs = logsOf(result, adapterAddress).length;
      if (charged !== ops || paymasterLogs !== 0 || adapterLogs !== 0) {
        throw new Error(
          `CreditPaymaster left its steady path: ${charged}/${ops} charges, ${paymasterLogs} paymaster and ` +
            `${adapterLogs} adapter events`,
        );
      }
    },
  };
}

/** The POLICY rows: a signed policy without per-user limits, an open policy's returning and first-time users. */
export type PolicyVariantName = "policy-signed" | "policy-open-returning" | "policy-open-first";

/** Creates a policy of the sponsor `sys.dapp` (one-day epochs, open for a year) and returns its id. */
async function createBenchPolicy(sys: System, perUserLimits: boolean, signer: string): Promise<bigint> {
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
  await send(sys.ledger.connect(sys.dapp).createPolicy(terms, DAY));
  return sys.ledger.policyCount(await sys.dapp.getAddress());
}

/**
 * This project's CreditPaymaster in POLICY mode, the sponsor (`sys.dapp`, holding purchased credits) paying under
 * one of its policies: `policy-signed` (an EOA approval signer, no per-user or policy-wide limit, a returning
 * user), `policy-open-returning` (no signer, per-user and policy-wide limits, the user's second operation under
 * it) and `policy-open-first` (the same kind of policy, the user's first operation under it: its warm-up ran under
 * another policy of the sponsor, so the measured operation writes the user's usage slot from zero).
 */
export async function policyPaymaster(sys: System, name: PolicyVariantName): Promise<Variant> {
  const sponsor = await sys.dapp.getAddress();
  const refresh = async (): Promise<void> => {
    await send(sys.feed.updateAnswer(ETH_USD));
    await send(sys.adapter.refreshCachedPrice());
  };
  await refresh();
  await buyCredits(sys, sys.dapp, sponsor, SPONSOR_CREDITS_ETH);
  const signed = name === "policy-signed";
  const approver = new Wallet(keyOf(`${sys.version}/policy-approver`));
  const measuredPolicy = await createBenchPolicy(
    sys,
    !signed,
    signed ? approver.address : ethers.ZeroAddress,
  );
  const warmUpPolicy =
    name === "policy-open-first" ? await createBenchPolicy(sys, true, ethers.ZeroAddress) : measuredPolicy;
  const adapterAddress = await sys.adapter.getAddress();
  const paymasterAddress = await sys.paymaster.getAddress();
  const increment = await incrementCallData(sys);
  const build = async (user: User, policyId: bigint, fields: Omit<CreditOpOptions, "paymasterData">) => {
    const approval = signed
      ? { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE }
      : undefined;
    const op = await creditOp(sys, user, {
      ...fields,
      ...PAYMASTER_GAS,
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
    warmUpOp: (user) => build(user, warmUpPolicy, WARM_UP_GAS),
    async measuredOp(user) {
      const nonce = await measuredNonce(sys.entryPoint, user.account.address);
      return build(user, measuredPolicy, { ...MEASURED_GAS, nonce, callData: increment });
    },
    refresh,
    // As the other CreditPaymaster rows: one CreditsSpent per operation, no paymaster or adapter event.
    checkSteadyPath(result, ops) {
      const charged = chargedEvents(sys.paymaster, result).length;
      const paymasterLogs = logsOf(result, paymasterAddress).length;
      const adapterLogs = logsOf(result, adapterAddress).length;
      if (charged !== ops || paymasterLogs !== 0 || adapterLogs !== 0) {
        throw new Error(
          `CreditPaymaster (${name}) left its steady path: ${charged}/${ops} charges, ${paymasterLogs} paymaster ` +
            `and ${adapterLogs} adapter events`,
        );
      }
    },
  };
}
