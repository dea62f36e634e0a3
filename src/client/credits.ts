/**
 * Reads of the credit paymaster system (balances, allowances, cached price, configuration), credit estimates and
 * `explainRejection`: why the paymaster would reject an operation, before anyone signs it.
 */
import { BaseError, ContractFunctionRevertedError, getAddress, zeroAddress, zeroHash } from "viem";
import type { Address, Chain, Client, Hex, SignedAuthorization, Transport } from "viem";
import { getBlock, getChainId, readContract, simulateContract } from "viem/actions";
import { toPackedUserOperation } from "viem/account-abstraction";
import type { UserOperation } from "viem/account-abstraction";

import { creditLedgerAbi, creditPaymasterAbi, priceAdapterAbi } from "./abi";
import {
  GAS_FIELDS,
  minPostOpGasLimit,
  decodePaymasterData,
  effectiveGasPrice,
  expectedCredits,
  requiredPrefund,
  totalGasLimit,
  worstCaseCredits,
} from "./encoding";
import type { DecodedPaymasterData, GasFieldName } from "./encoding";
import { eip7702StateOverride, explainEip7702 } from "./eip7702";
import { priceValidity } from "./format";
import { createLedgerReader } from "./ledger";
import { readPaymasterConfig } from "./paymasterAdmin";
import type { LedgerReader } from "./ledger";
import { POLICY_STATUSES, reasonFromContractError } from "./rejections";
import { decodeRevertData, findRevertData } from "./revert";
import type { PolicyStatusName, RejectionReason } from "./rejections";

/** Any viem client with a transport (a public client, a wallet client, a smart-account client's client...). */
export type AnyClient = Client<Transport, Chain | undefined>;

/** The governance configuration of the paymaster (`ICreditPaymaster.Config`), every number as a bigint. */
export interface PaymasterConfig {
  maxCallGasLimit: bigint;
  maxPreVerificationGas: bigint;
  maxVerificationGasLimit: bigint;
  maxPaymasterVerificationGasLimit: bigint;
  maxPaymasterPostOpGasLimit: bigint;
  maxFeePerGas: bigint;
  maxCreditsPerOp: bigint;
  markupBps: bigint;
  maxPriceAge: bigint;
  paused: boolean;
  maxPriorityFeePerGas: bigint;
  /** Gas added to the postOp floor and to the overhead postOp charges (0 on Ethereum's gas schedule). */
  postOpGasMargin: bigint;
}

/** The price adapter's cached price, judged against the latest block's timestamp and the paymaster's max age. */
export interface CachedPriceInfo {
  /** Stable units per native token, 18 decimals. */
  priceWad: bigint;
  /** Block timestamp at which the price was cached. */
  updatedAt: bigint;
  /** `now - updatedAt`, in seconds. */
  age: bigint;
  /** The paymaster's `maxPriceAge`, in seconds. */
  maxPriceAge: bigint;
  /** `updatedAt + maxPriceAge`: the `validUntil` the paymaster returns (at the latest). */
  validUntil: bigint;
  /** The latest block's timestamp. */
  now: bigint;
  /** Whether the EntryPoint would reject the paymaster's `validUntil` now. */
  stale: boolean;
}

/** `ICreditLedger.CreditBreakdown`. */
export interface CreditBreakdown {
  purchased: bigint;
  grants: readonly { amount: bigint; expiresAt: bigint }[];
  held: bigint;
  expiredUnswept: bigint;
}

/** `ICreditLedger.EpochBudget`: an allowance (`limit == 0`: none) or an issuer's cap. */
export interface EpochBudget {
  limit: bigint;
  used: bigint;
  epochLength: bigint;
  anchor: bigint;
  usedEpoch: bigint;
  expiresAt: bigint;
}

/** An allowance of a sponsor to a beneficiary. */
export type Allowance = EpochBudget;

/** A sponsor's policy (`ISponsorPolicies.PolicyView`, flattened; every number a bigint; 0 = no limit). */
export interface PolicyInfo {
  creditsPerUser: bigint;
  opsPerUser: bigint;
  creditsPerEpoch: bigint;
  creditsPerOp: bigint;
  start: bigint;
  end: bigint;
  /** The approval signer (zero address: none). */
  signer: Address;
  epochLength: bigint;
  anchor: bigint;
  status: PolicyStatusName;
  /** The policy-wide spending of epoch `usedEpoch`. */
  used: bigint;
  usedEpoch: bigint;
}

/** A user's spending under a policy in epoch `epoch` (`ISponsorPolicies.PolicyUsage`). */
export interface PolicyUsageInfo {
  credits: bigint;
  ops: bigint;
  epoch: bigint;
}

/** The policy epoch of `time` (`SponsorPolicies._epochOf`). */
function policyEpoch(p: PolicyInfo, time: bigint): bigint {
  return time <= p.anchor || p.epochLength === 0n ? 0n : (time - p.anchor) / p.epochLength;
}

/**
 * Why the ledger's `holdPolicy` would refuse `required` credits for `sender` under `policy`, in its order (status,
 * end, per-operation cap, policy budget, the user's credits and operations), judged at `asOf` (the cached price's
 * time) outside a bundle; plus a window not started yet (the EntryPoint's AA32) and, for the final data, a missing
 * approval when the policy names a signer.
 */
export function policyReasons(
  data: { sponsor: Address; policyId: bigint; approval?: unknown },
  policy: PolicyInfo,
  usage: PolicyUsageInfo,
  at: { sender: Address; now: bigint; asOf: bigint; required: bigint; final: boolean },
): RejectionReason[] {
  const { sponsor, policyId } = data;
  if (policy.status !== "Active")
    return [{ kind: "policyNotActive", sponsor, policyId, status: policy.status }];
  if (at.asOf >= policy.end) return [{ kind: "policyEnded", sponsor, policyId, end: policy.end }];
  const reasons: RejectionReason[] = [];
  if (policy.start > at.now)
    reasons.push({ kind: "policyNotStarted", sponsor, policyId, start: policy.start, now: at.now });
  if (at.final && policy.creditsPerOp !== 0n && at.required > policy.creditsPerOp) {
    reasons.push({
      kind: "policyOpCreditsExceeded",
      sponsor,
      policyId,
      limit: policy.creditsPerOp,
      required: at.required,
    });
  }
  const epoch = policyEpoch(policy, at.asOf);
  if (policy.creditsPerEpoch !== 0n) {
    const used = policy.usedEpoch >= epoch ? policy.used : 0n;
    const remaining = policy.creditsPerEpoch > used ? policy.creditsPerEpoch - used : 0n;
    if (at.required > remaining) {
      reasons.push({ kind: "policyBudgetExceeded", sponsor, policyId, remaining, required: at.required });
    }
  }
  const counted = usage.epoch >= epoch ? usage : { credits: 0n, ops: 0n };
  if (policy.creditsPerUser !== 0n) {
    const remaining = policy.creditsPerUser > counted.credits ? policy.creditsPerUser - counted.credits : 0n;
    if (at.required > remaining) {
      reasons.push({
        kind: "policyUserCreditsExceeded",
        user: at.sender,
        policyId,
        remaining,
        required: at.required,
      });
    }
  }
  if (policy.opsPerUser !== 0n && counted.ops >= policy.opsPerUser) {
    reasons.push({ kind: "policyUserOpsExceeded", user: at.sender, policyId, limit: policy.opsPerUser });
  }
  if (at.final && policy.signer !== zeroAddress && data.approval === undefined) {
    reasons.push({ kind: "policyApprovalInvalid", sponsor, policyId, signer: policy.signer });
  }
  return reasons;
}

/** The contracts behind one paymaster. */
export interface PaymasterAddresses {
  paymaster: Address;
  ledger: Address;
  priceAdapter: Address;
  entryPoint: Address;
  entryPointVersion: "0.7" | "0.8";
}

/**
 * The fields of a v0.7/v0.8 user operation the paymaster looks at (viem's `UserOperation<"0.7" | "0.8">` fits).
 * Without `paymaster`/`paymasterData`, the checks assume the operation uses this paymaster with the mode given
 * to {@link CreditsClient.explainRejection}.
 */
export interface CreditUserOperation {
  sender: Address;
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas?: bigint | undefined;
  paymaster?: Address | undefined;
  paymasterVerificationGasLimit?: bigint | undefined;
  paymasterPostOpGasLimit?: bigint | undefined;
  paymasterData?: Hex | undefined;
  nonce?: bigint | undefined;
  factory?: Address | undefined;
  factoryData?: Hex | undefined;
  callData?: Hex | undefined;
  signature?: Hex | undefined;
  /** An EIP-7702 sender's signed authorization (its first operation; see src/client/eip7702.ts). */
  authorization?: SignedAuthorization | undefined;
}

/** Credit estimates of an operation. */
export interface CreditEstimate {
  /** What validation holds and the most the operation can be charged (prefund at the cached price × markup). */
  worstCase: bigint;
  /** An estimate of the charge: the operation's gas limits at the expected gas price (see `expectedCredits`). */
  expected: bigint;
  /** The EntryPoint's prefund, in wei. */
  prefund: bigint;
  /** The fee per gas `expected` assumes: `min(maxFeePerGas, baseFee + maxPriorityFeePerGas)`. */
  gasPrice: bigint;
  priceWad: bigint;
  markupBps: bigint;
}

/** Options of {@link CreditsClient.explainRejection}. */
export interface ExplainOptions {
  /**
   * `"final"` (default): every check, with the operation's gas limits. `"stub"`: only the checks that do not depend
   * on gas limits not known yet (paused, spender, price, allowance existence and expiry, empty balance) — for
   * `pm_getPaymasterStubData`, before the bundler estimates gas.
   */
  stage?: "final" | "stub";
  /** Paymaster data to assume when the operation carries none (defaults: none — the data checks then fail). */
  paymasterData?: Hex;
  /** Seconds the paymaster's `validUntil` must still be ahead of the latest block (default 0). */
  validityMargin?: bigint;
}

/** The paymaster's validation simulated with `eth_call` from the EntryPoint. */
export type ValidationSimulation =
  { ok: true; validUntil: bigint; validAfter: bigint } | { ok: false; reason: RejectionReason };

/** Reads, estimates and checks for one credit paymaster. Create with {@link createCreditsClient}. */
export interface CreditsClient {
  /** The paymaster, its ledger, price adapter and EntryPoint (read once, then cached). */
  addresses(): Promise<PaymasterAddresses>;
  /** The chain id of the client (read once). */
  chainId(): Promise<number>;
  /** The paymaster's governance configuration. */
  paymasterConfig(): Promise<PaymasterConfig>;
  /** The cached price, its age and whether it is stale (against the latest block). */
  cachedPrice(): Promise<CachedPriceInfo>;
  /** Unexpired credits of `account` (purchased + granted). */
  balanceOfCredits(account: Address): Promise<bigint>;
  /** Unexpired credits of `account` minus this transaction's holds (none outside a bundle). */
  spendableCredits(account: Address): Promise<bigint>;
  /** Purchased credits, live grant buckets, holds and expired-unswept credits of `account`. */
  creditBreakdown(account: Address): Promise<CreditBreakdown>;
  /** What `beneficiary` may still spend of `sponsor`'s allowance this epoch. */
  remainingAllowance(sponsor: Address, beneficiary: Address): Promise<bigint>;
  /** The allowance `sponsor` gave `beneficiary`. */
  allowance(sponsor: Address, beneficiary: Address): Promise<Allowance>;
  /** The paymaster's deposit on its EntryPoint, in wei. */
  deposit(): Promise<bigint>;
  /** Policy `policyId` of `sponsor` (`ISponsorPolicies.policy`; status `None`: no such policy). */
  policy(sponsor: Address, policyId: bigint): Promise<PolicyInfo>;
  /** What `user` spent under the policy in epoch `epoch` (`ISponsorPolicies.policyUsage`). */
  policyUsage(sponsor: Address, policyId: bigint, user: Address): Promise<PolicyUsageInfo>;
  /** Worst-case and expected credits of `op` (its paymaster limits default to zero when absent). */
  estimateCredits(op: CreditUserOperation): Promise<CreditEstimate>;
  /**
   * Every reason the paymaster would reject `op`, in the order it checks them; empty when it would accept it.
   * Balances and allowances are read as of the latest block (the paymaster judges them as of the cached price's
   * time, then the EntryPoint bounds that with `validUntil`: the verdict is the same); {@link simulateValidation}
   * gives the contract's own verdict on the first failing check.
   */
  explainRejection(op: CreditUserOperation, options?: ExplainOptions): Promise<RejectionReason[]>;
  /**
   * The paymaster's `validatePaymasterUserOp`, called with `eth_call` from the EntryPoint: the exact on-chain
   * verdict (the first failing check only). Needs a complete operation (nonce, callData and paymaster fields).
   */
  simulateValidation(op: CreditUserOperation): Promise<ValidationSimulation>;
}

/** Parameters of {@link createCreditsClient}. */
export interface CreditsClientParameters {
  /** A viem client connected to the chain (a public client, or any client with a transport). */
  publicClient: AnyClient;
  /** The credit paymaster. */
  paymaster: Address;
  /** The ledger, when known: checked against `paymaster.ledger()` (a mismatch throws). */
  ledger?: Address;
}

/** Every custom error the paymaster's validation can revert with: its own, the ledger's and the adapter's. */
const VALIDATION_ABI = [
  ...creditPaymasterAbi,
  ...creditLedgerAbi.filter((item) => item.type === "error"),
  ...priceAdapterAbi.filter((item) => item.type === "error"),
] as const;

const VALIDATION_DATA_UINT48 = (1n << 48n) - 1n;

/** A decoded revert: the custom error's name and arguments, or the raw data when no ABI item matches. */
export interface ContractRevert {
  errorName?: string;
  args: readonly unknown[];
  raw?: Hex;
}

/**
 * The revert carried by a viem error: viem's own decoding when it made one, else the revert data found in the
 * cause chain (some providers, e.g. Hardhat's in-process one, answer without an error code, so viem does not
 * decode it), decoded with the paymaster's, the ledger's and the adapter's errors.
 */
export function revertOf(error: unknown): ContractRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const decoded = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (decoded instanceof ContractFunctionRevertedError && decoded.data !== undefined) {
    return { errorName: decoded.data.errorName, args: decoded.data.args ?? [] };
  }
  const raw = findRevertData(error);
  if (raw === undefined) return undefined;
  const fromData = decodeRevertData(raw, VALIDATION_ABI);
  return fromData === undefined ? { args: [], raw } : { errorName: fromData.name, args: fromData.raw };
}

/**
 * What is left of an allowance for a hold judged at `asOf`, as `CreditLedger._holdAllowance` computes it (outside
 * a bundle, no holds): the spending recorded for `asOf`'s epoch or a later one counts.
 */
export function remainingAsOf(allowance: Allowance, asOf: bigint): bigint {
  let used = 0n;
  if (allowance.epochLength !== 0n) {
    const epoch = asOf <= allowance.anchor ? 0n : (asOf - allowance.anchor) / allowance.epochLength;
    used = allowance.usedEpoch >= epoch ? allowance.used : 0n;
  }
  return allowance.limit > used ? allowance.limit - used : 0n;
}

/** Creates a {@link CreditsClient} for `paymaster`. */
export function createCreditsClient(parameters: CreditsClientParameters): CreditsClient {
  const client = parameters.publicClient;
  const paymaster = getAddress(parameters.paymaster);
  let addressesPromise: Promise<PaymasterAddresses> | undefined;
  let chainIdPromise: Promise<number> | undefined;

  const pm = { address: paymaster, abi: creditPaymasterAbi } as const;

  async function loadAddresses(): Promise<PaymasterAddresses> {
    const [ledger, priceAdapter, entryPoint, version] = await Promise.all([
      readContract(client, { ...pm, functionName: "ledger" }),
      readContract(client, { ...pm, functionName: "priceAdapter" }),
      readContract(client, { ...pm, functionName: "entryPoint" }),
      readContract(client, { ...pm, functionName: "entryPointVersion" }),
    ]);
    if (parameters.ledger !== undefined && getAddress(parameters.ledger) !== getAddress(ledger)) {
      throw new Error(`paymaster ${paymaster} uses ledger ${ledger}, not ${parameters.ledger}`);
    }
    if (version !== 7n && version !== 8n) {
      throw new Error(`paymaster ${paymaster} reports EntryPoint version ${version}`);
    }
    return {
      paymaster,
      ledger: getAddress(ledger),
      priceAdapter: getAddress(priceAdapter),
      entryPoint: getAddress(entryPoint),
      entryPointVersion: version === 7n ? "0.7" : "0.8",
    };
  }

  function addresses(): Promise<PaymasterAddresses> {
    addressesPromise ??= loadAddresses().catch((error: unknown) => {
      addressesPromise = undefined; // retry on the next call (e.g. the RPC was down)
      throw error;
    });
    return addressesPromise;
  }

  function chainId(): Promise<number> {
    chainIdPromise ??= getChainId(client).catch((error: unknown) => {
      chainIdPromise = undefined;
      throw error;
    });
    return chainIdPromise;
  }

  function paymasterConfig(): Promise<PaymasterConfig> {
    return readPaymasterConfig(client, paymaster);
  }

  /** `[priceWad, updatedAt]`, or undefined when the adapter has no cached price. */
  async function rawCachedPrice(adapter: Address): Promise<readonly [bigint, bigint] | undefined> {
    try {
      return await readContract(client, {
        address: adapter,
        abi: priceAdapterAbi,
        functionName: "cachedPrice",
      });
    } catch (error) {
      if (revertOf(error)?.errorName === "PriceAdapterNoCachedPrice") return undefined;
      throw error;
    }
  }

  function priceInfo(raw: readonly [bigint, bigint], maxPriceAge: bigint, now: bigint, margin = 0n) {
    const [priceWad, updatedAt] = raw;
    const { age, validUntil, stale } = priceValidity(updatedAt, maxPriceAge, now, margin);
    return { priceWad, updatedAt, age, maxPriceAge, validUntil, now, stale };
  }

  async function latestTimestamp(): Promise<bigint> {
    return (await getBlock(client, { blockTag: "latest" })).timestamp;
  }

  async function cachedPrice(): Promise<CachedPriceInfo> {
    const { priceAdapter } = await addresses();
    const [raw, config, now] = await Promise.all([
      rawCachedPrice(priceAdapter),
      paymasterConfig(),
      latestTimestamp(),
    ]);
    if (raw === undefined) throw new Error(`the price adapter ${priceAdapter} has no cached price`);
    return priceInfo(raw, config.maxPriceAge, now);
  }

  /** The ledger's reads (src/client/ledger.ts), on the ledger behind the paymaster. */
  async function ledgerReader(): Promise<LedgerReader> {
    return createLedgerReader(client, (await addresses()).ledger);
  }
  const balanceOfCredits = async (account: Address) => (await ledgerReader()).balanceOfCredits(account);
  const spendableCredits = async (account: Address) => (await ledgerReader()).spendableCredits(account);
  const remainingAllowance = async (sponsor: Address, beneficiary: Address) =>
    (await ledgerReader()).remainingAllowance(sponsor, beneficiary);
  const creditBreakdown = async (account: Address) => (await ledgerReader()).creditBreakdown(account);
  const allowance = async (sponsor: Address, beneficiary: Address) =>
    (await ledgerReader()).allowance(sponsor, beneficiary);

  const deposit = () => readContract(client, { ...pm, functionName: "getDeposit" });

  async function estimateCredits(op: CreditUserOperation): Promise<CreditEstimate> {
    const { priceAdapter } = await addresses();
    const [config, raw, block] = await Promise.all([
      paymasterConfig(),
      rawCachedPrice(priceAdapter),
      getBlock(client, { blockTag: "latest" }),
    ]);
    if (raw === undefined) throw new Error(`the price adapter ${priceAdapter} has no cached price`);
    const [priceWad] = raw;
    const gasPrice = effectiveGasPrice(
      op.maxFeePerGas,
      op.maxPriorityFeePerGas ?? 0n,
      block.baseFeePerGas ?? 0n,
    );
    return {
      worstCase: worstCaseCredits(op, priceWad, config.markupBps),
      expected: expectedCredits(totalGasLimit(op), gasPrice, priceWad, config.markupBps),
      prefund: requiredPrefund(op),
      gasPrice,
      priceWad,
      markupBps: config.markupBps,
    };
  }

  async function explainRejection(
    op: CreditUserOperation,
    options: ExplainOptions = {},
  ): Promise<RejectionReason[]> {
    const stage = options.stage ?? "final";
    const addrs = await addresses();
    if (op.paymaster !== undefined && getAddress(op.paymaster) !== paymaster) {
      return [{ kind: "wrongPaymaster", expected: paymaster, actual: getAddress(op.paymaster) }];
    }
    const decoded = decodePaymasterData(op.paymasterData ?? options.paymasterData ?? "0x");
    const data: DecodedPaymasterData | undefined = decoded.ok ? decoded.value : undefined;
    const sender = getAddress(op.sender);
    const payer = data === undefined ? undefined : data.mode === "SELF" ? sender : data.sponsor;
    const policy = data?.mode === "POLICY" ? data : undefined;
    const ledger = { address: addrs.ledger, abi: creditLedgerAbi } as const;

    const [
      config,
      raw,
      now,
      ledgerPaused,
      isSpender,
      depositWei,
      spendable,
      allowanceInfo,
      remainingNow,
      recoveredTo,
    ] = await Promise.all([
      paymasterConfig(),
      rawCachedPrice(addrs.priceAdapter),
      latestTimestamp(),
      readContract(client, { ...ledger, functionName: "paused" }),
      readContract(client, { ...ledger, functionName: "isSpender", args: [paymaster] }),
      deposit(),
      payer === undefined ? undefined : spendableCredits(payer),
      data?.mode === "SPONSORED" ? allowance(data.sponsor, sender) : undefined,
      data?.mode === "SPONSORED" ? remainingAllowance(data.sponsor, sender) : undefined,
      data?.mode === "SPONSORED"
        ? readContract(client, { ...ledger, functionName: "recoveredTo", args: [sender] })
        : undefined,
    ]);
    const [policyInfo, usage] = await Promise.all([
      policy === undefined ? undefined : readPolicy(policy.sponsor, policy.policyId),
      policy === undefined ? undefined : readPolicyUsage(policy.sponsor, policy.policyId, sender),
    ]);

    const reasons: RejectionReason[] = [];
    if (config.paused) reasons.push({ kind: "paymasterPaused", paymaster });

    const gas = {
      callGasLimit: op.callGasLimit,
      verificationGasLimit: op.verificationGasLimit,
      preVerificationGas: op.preVerificationGas,
      paymasterVerificationGasLimit: op.paymasterVerificationGasLimit ?? 0n,
      paymasterPostOpGasLimit: op.paymasterPostOpGasLimit ?? 0n,
      maxFeePerGas: op.maxFeePerGas,
      maxPriorityFeePerGas: op.maxPriorityFeePerGas ?? 0n,
    } satisfies Record<GasFieldName, bigint>;
    if (stage === "final") {
      const caps: Record<GasFieldName, bigint> = {
        callGasLimit: config.maxCallGasLimit,
        verificationGasLimit: config.maxVerificationGasLimit,
        preVerificationGas: config.maxPreVerificationGas,
        paymasterVerificationGasLimit: config.maxPaymasterVerificationGasLimit,
        paymasterPostOpGasLimit: config.maxPaymasterPostOpGasLimit,
        maxFeePerGas: config.maxFeePerGas,
        maxPriorityFeePerGas: config.maxPriorityFeePerGas,
      };
      for (const field of GAS_FIELDS) {
        if (gas[field] > caps[field])
          reasons.push({ kind: "gasLimitTooHigh", field, value: gas[field], cap: caps[field] });
      }
      if (data !== undefined) {
        // The paymaster's floor uses the signed operation's size; the client's counts a generous signature.
        const minimum = minPostOpGasLimit(
          addrs.entryPointVersion,
          data.mode,
          {
            ...op,
            paymasterData: op.paymasterData ?? options.paymasterData,
            signature: op.signature ?? "0x",
          },
          config.postOpGasMargin,
        );
        if (gas.paymasterPostOpGasLimit < minimum) {
          reasons.push({ kind: "postOpGasTooLow", value: gas.paymasterPostOpGasLimit, minimum });
        }
      }
    }

    let needed = 0n;
    if (raw === undefined) {
      reasons.push({ kind: "noCachedPrice" });
    } else {
      const margin = options.validityMargin ?? 0n;
      const price = priceInfo(raw, config.maxPriceAge, now, margin);
      if (price.stale) {
        reasons.push({
          kind: "stalePrice",
          updatedAt: price.updatedAt,
          maxPriceAge: price.maxPriceAge,
          validUntil: price.validUntil,
          now,
          margin,
        });
      }
      needed = worstCaseCredits(gas, price.priceWad, config.markupBps);
      if (stage === "final" && needed > config.maxCreditsPerOp) {
        reasons.push({ kind: "creditsPerOpTooHigh", credits: needed, cap: config.maxCreditsPerOp });
      }
    }

    if (!decoded.ok) reasons.push(decoded.problem);
    if (stage === "final" && data !== undefined && data.maxCredits !== 0n && needed > data.maxCredits) {
      reasons.push({ kind: "userLimitExceeded", credits: needed, maxCredits: data.maxCredits });
    }
    if (!isSpender) reasons.push({ kind: "paymasterNotSpender", paymaster, ledger: addrs.ledger });
    if (ledgerPaused) reasons.push({ kind: "ledgerPaused", ledger: addrs.ledger });

    // In the stub stage the gas limits may be unknown (zero): ask for at least one credit.
    const required = needed > 0n ? needed : 1n;
    if (data?.mode === "SPONSORED" && allowanceInfo !== undefined && remainingNow !== undefined) {
      // The ledger judges the allowance at the cached price's time (`asOf`), counting what was spent in that epoch
      // or later: stricter than the view (as of now) when the price was cached in an earlier epoch.
      const remaining = raw === undefined ? remainingNow : remainingAsOf(allowanceInfo, raw[1]);
      if (recoveredTo !== undefined && recoveredTo !== zeroAddress) {
        // A recovery of the sender ended every allowance given to it (checked before the allowance itself).
        reasons.push({ kind: "accountRecovered", account: sender, recoveredTo: getAddress(recoveredTo) });
      } else if (allowanceInfo.limit === 0n) {
        reasons.push({ kind: "noAllowance", sponsor: data.sponsor, beneficiary: sender });
      } else if (now >= allowanceInfo.expiresAt) {
        reasons.push({
          kind: "allowanceExpired",
          sponsor: data.sponsor,
          beneficiary: sender,
          expiresAt: allowanceInfo.expiresAt,
        });
      } else if (remaining < required) {
        reasons.push({
          kind: "allowanceExceeded",
          sponsor: data.sponsor,
          beneficiary: sender,
          needed: required,
          remaining,
        });
      }
    }
    if (policy !== undefined && policyInfo !== undefined && usage !== undefined) {
      reasons.push(
        ...policyReasons(policy, policyInfo, usage, {
          sender,
          now,
          asOf: raw === undefined ? now : raw[1],
          required,
          final: stage === "final",
        }),
      );
    }
    if (payer !== undefined && spendable !== undefined && spendable < required) {
      reasons.push({ kind: "insufficientCredits", account: payer, needed: required, available: spendable });
    }
    if (stage === "final") {
      const prefund = requiredPrefund(gas);
      if (depositWei < prefund)
        reasons.push({ kind: "insufficientDeposit", paymaster, deposit: depositWei, needed: prefund });
    }
    // An unusable EIP-7702 authorization or marker: the bundler or the EntryPoint refuses before the paymaster runs.
    const eip7702 = await explainEip7702(client, op, {
      chainId: await chainId(),
      entryPointVersion: addrs.entryPointVersion,
    });
    return [...eip7702, ...reasons];
  }

  function readPolicy(sponsor: Address, policyId: bigint): Promise<PolicyInfo> {
    return addresses().then(async ({ ledger }) => {
      const v = await readContract(client, {
        address: ledger,
        abi: creditLedgerAbi,
        functionName: "policy",
        args: [sponsor, policyId],
      });
      return {
        creditsPerUser: v.terms.creditsPerUser,
        opsPerUser: BigInt(v.terms.opsPerUser),
        creditsPerEpoch: v.terms.creditsPerEpoch,
        creditsPerOp: v.terms.creditsPerOp,
        start: BigInt(v.terms.start),
        end: BigInt(v.terms.end),
        signer: getAddress(v.terms.signer),
        epochLength: BigInt(v.epochLength),
        anchor: BigInt(v.anchor),
        status: POLICY_STATUSES[v.status] ?? "None",
        used: v.used,
        usedEpoch: BigInt(v.usedEpoch),
      };
    });
  }

  async function readPolicyUsage(
    sponsor: Address,
    policyId: bigint,
    user: Address,
  ): Promise<PolicyUsageInfo> {
    const { ledger } = await addresses();
    const u = await readContract(client, {
      address: ledger,
      abi: creditLedgerAbi,
      functionName: "policyUsage",
      args: [sponsor, policyId, user],
    });
    return { credits: u.credits, ops: BigInt(u.ops), epoch: BigInt(u.epoch) };
  }

  async function simulateValidation(op: CreditUserOperation): Promise<ValidationSimulation> {
    const addrs = await addresses();
    const full: UserOperation<"0.7"> = {
      sender: getAddress(op.sender),
      nonce: op.nonce ?? 0n,
      factory: op.factory,
      factoryData: op.factoryData,
      callData: op.callData ?? "0x",
      callGasLimit: op.callGasLimit,
      verificationGasLimit: op.verificationGasLimit,
      preVerificationGas: op.preVerificationGas,
      maxFeePerGas: op.maxFeePerGas,
      maxPriorityFeePerGas: op.maxPriorityFeePerGas ?? 0n,
      paymaster: op.paymaster ?? paymaster,
      paymasterVerificationGasLimit: op.paymasterVerificationGasLimit ?? 0n,
      paymasterPostOpGasLimit: op.paymasterPostOpGasLimit ?? 0n,
      paymasterData: op.paymasterData ?? "0x",
      signature: op.signature ?? "0x",
    };
    const packed = toPackedUserOperation(full);
    try {
      const { result } = await simulateContract(client, {
        address: paymaster,
        abi: VALIDATION_ABI,
        functionName: "validatePaymasterUserOp",
        args: [packed, zeroHash, requiredPrefund(full)],
        account: addrs.entryPoint,
        // A first EIP-7702 operation: the sender has the delegation its authorization will give it.
        stateOverride: eip7702StateOverride(op),
      });
      const validationData = result[1];
      const validUntil = (validationData >> 160n) & VALIDATION_DATA_UINT48;
      const validAfter = (validationData >> 208n) & VALIDATION_DATA_UINT48;
      if ((validationData & ((1n << 160n) - 1n)) === 1n) {
        // SIG_VALIDATION_FAILED: only POLICY mode returns it (a policy signer's approval missing or invalid).
        const decoded = decodePaymasterData(full.paymasterData ?? "0x");
        if (decoded.ok && decoded.value.mode === "POLICY") {
          const { sponsor, policyId } = decoded.value;
          const { signer } = await readPolicy(sponsor, policyId);
          return { ok: false, reason: { kind: "policyApprovalInvalid", sponsor, policyId, signer } };
        }
        return {
          ok: false,
          reason: { kind: "validationReverted", error: "SIG_VALIDATION_FAILED", args: [] },
        };
      }
      return { ok: true, validUntil: validUntil === 0n ? VALIDATION_DATA_UINT48 : validUntil, validAfter };
    } catch (error) {
      const revert = revertOf(error);
      if (revert === undefined) throw error;
      if (revert.errorName === undefined) {
        return { ok: false, reason: { kind: "validationReverted", error: revert.raw ?? "0x", args: [] } };
      }
      const reason = reasonFromContractError(revert.errorName, revert.args, {
        paymaster,
        ledger: addrs.ledger,
      });
      return { ok: false, reason };
    }
  }

  return {
    addresses,
    chainId,
    paymasterConfig,
    policy: readPolicy,
    policyUsage: readPolicyUsage,
    cachedPrice,
    balanceOfCredits,
    spendableCredits,
    creditBreakdown,
    remainingAllowance,
    allowance,
    deposit,
    estimateCredits,
    explainRejection,
    simulateValidation,
  };
}
