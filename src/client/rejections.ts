/**
 * Why the credit paymaster would reject a user operation: a typed reason per on-chain check, a readable message,
 * and the JSON-RPC error code the paymaster service answers with (see docs/client.md).
 */
import { getAddress, zeroAddress } from "viem";
import type { Address } from "viem";

import { GAS_FIELDS } from "./encoding";
import { formatCredits } from "./format";
import type { GasFieldName } from "./encoding";

/** Why the paymaster (or the EntryPoint, for the paymaster's deposit and time range) would reject an operation. */
export type RejectionReason =
  /** The operation names another paymaster than this client's. */
  | { kind: "wrongPaymaster"; expected: Address; actual: Address }
  /** `CreditPaymasterPaused`. */
  | { kind: "paymasterPaused"; paymaster: Address }
  /** `CreditLedgerPaused`: the ledger refuses new holds. */
  | { kind: "ledgerPaused"; ledger: Address }
  /** `CreditLedgerUnauthorizedSpender`: the paymaster is not a registered spender of the ledger. */
  | { kind: "paymasterNotSpender"; paymaster: Address; ledger: Address }
  /** `CreditPaymasterInvalidDataLength`: lengths are counted after offset 52. */
  | { kind: "invalidDataLength"; mode: number; length: number; expected: number }
  /** `CreditPaymasterUnknownMode`. */
  | { kind: "unknownMode"; mode: number }
  /** `CreditPaymasterZeroSponsor`. */
  | { kind: "zeroSponsor" }
  /** `CreditPaymasterGasLimitTooHigh`: a gas field exceeds its governance cap. */
  | { kind: "gasLimitTooHigh"; field: GasFieldName; value: bigint; cap: bigint }
  /** `CreditPaymasterPostOpGasTooLow`. */
  | { kind: "postOpGasTooLow"; value: bigint; minimum: bigint }
  /** `CreditPaymasterCreditsPerOpTooHigh`: the worst case exceeds the governance cap per operation. */
  | { kind: "creditsPerOpTooHigh"; credits: bigint; cap: bigint }
  /** `CreditPaymasterUserLimitExceeded`: the worst case exceeds the user's own `maxCredits`. */
  | { kind: "userLimitExceeded"; credits: bigint; maxCredits: bigint }
  /** `PriceAdapterNoCachedPrice`. */
  | { kind: "noCachedPrice" }
  /** `CreditPaymasterPriceTooHigh`: the cached price does not fit the 96 bits the ledger's `CreditsSpent` logs. */
  | { kind: "priceTooHigh"; priceWad: bigint }
  /**
   * The cached price is too old: the paymaster's `validUntil = updatedAt + maxPriceAge` is behind `now + margin`
   * (the EntryPoint rejects an expired `validUntil` with AA32).
   */
  | {
      kind: "stalePrice";
      updatedAt: bigint;
      maxPriceAge: bigint;
      validUntil: bigint;
      now: bigint;
      margin: bigint;
    }
  /** `CreditLedgerInsufficientCredits`: the payer's spendable credits do not cover the worst case. */
  | { kind: "insufficientCredits"; account: Address; needed: bigint; available: bigint }
  /** `CreditLedgerNoAllowance`: the sponsor gave the sender no allowance (or revoked it). */
  | { kind: "noAllowance"; sponsor: Address; beneficiary: Address }
  /** `CreditLedgerAllowanceExpired`. */
  | { kind: "allowanceExpired"; sponsor: Address; beneficiary: Address; expiresAt: bigint }
  /**
   * `CreditLedgerAccountRecovered`: the sender's credit account was recovered to `recoveredTo`, which ended every
   * allowance given to the sender; a sponsor gives `recoveredTo` a new allowance instead.
   */
  | { kind: "accountRecovered"; account: Address; recoveredTo: Address }
  /** `CreditLedgerAllowanceExceeded`: what is left of the allowance this epoch does not cover the worst case. */
  | { kind: "allowanceExceeded"; sponsor: Address; beneficiary: Address; needed: bigint; remaining: bigint }
  /** The paymaster's EntryPoint deposit does not cover the operation's prefund (AA31). */
  | { kind: "insufficientDeposit"; paymaster: Address; deposit: bigint; needed: bigint }
  /** POLICY, `CreditLedgerPolicyNotActive`: the sponsor has no such policy (`None`), or it is paused or closed. */
  | { kind: "policyNotActive"; sponsor: Address; policyId: bigint; status: PolicyStatusName }
  /** POLICY: the policy's window `[start, end)` has not started (EntryPoint AA32 on `validAfter`). */
  | { kind: "policyNotStarted"; sponsor: Address; policyId: bigint; start: bigint; now: bigint }
  /** POLICY, `CreditLedgerPolicyEnded`: the policy's window ended at `end`. */
  | { kind: "policyEnded"; sponsor: Address; policyId: bigint; end: bigint }
  /** POLICY, `CreditLedgerPolicyOpCreditsExceeded`: the worst case exceeds the policy's credits per operation. */
  | { kind: "policyOpCreditsExceeded"; sponsor: Address; policyId: bigint; limit: bigint; required: bigint }
  /** POLICY, `CreditLedgerPolicyBudgetExceeded`: the policy's budget left this epoch does not cover the worst case. */
  | { kind: "policyBudgetExceeded"; sponsor: Address; policyId: bigint; remaining: bigint; required: bigint }
  /** POLICY, `CreditLedgerPolicyUserCreditsExceeded`: the sender's credits left under the policy this epoch. */
  | {
      kind: "policyUserCreditsExceeded";
      user: Address;
      policyId: bigint;
      remaining: bigint;
      required: bigint;
    }
  /** POLICY, `CreditLedgerPolicyUserOpsExceeded`: the sender made all `limit` operations of this epoch. */
  | { kind: "policyUserOpsExceeded"; user: Address; policyId: bigint; limit: bigint }
  /**
   * POLICY: the policy names an approval signer and the operation carries no valid approval (the paymaster returns
   * a signature failure: the EntryPoint rejects it with AA34).
   */
  | { kind: "policyApprovalInvalid"; sponsor: Address; policyId: bigint; signer: Address }
  /** Service: its approval key is not the signer the policy names on chain (or it holds no key). */
  | {
      kind: "policySignerMismatch";
      sponsor: Address;
      policyId: bigint;
      policySigner: Address;
      serviceSigner: Address | null;
    }
  /** Service: no policy file of this service covers `{ sponsor, policyId }`. */
  | { kind: "policyNotServed"; sponsor: Address; policyId: bigint }
  /** Service: a rule of the policy file refused the operation (`rule` names it, `detail` says why). */
  | { kind: "policyRule"; rule: PolicyRuleName; sponsor: Address; policyId: bigint; detail: string }
  /** The paymaster's validation, simulated, reverted for a reason none of the checks above names. */
  | { kind: "validationReverted"; error: string; args: readonly string[] }
  /** The operation's EIP-7702 fields (authorization, `0x7702` marker) would make the bundler or EntryPoint refuse it. */
  | { kind: "eip7702Invalid"; sender: Address; problem: string };

/** `ISponsorPolicies.PolicyStatus`, by name (index = on-chain value). */
export const POLICY_STATUSES = ["None", "Active", "Paused", "Closed"] as const;
/** A policy status by name. */
export type PolicyStatusName = (typeof POLICY_STATUSES)[number];

/**
 * The rules of a service policy file (src/service/policyFile.ts), each with its own JSON-RPC code
 * ({@link POLICY_RULE_CODES}).
 */
export type PolicyRuleName =
  | "senders.block"
  | "senders.allow"
  | "callData"
  | "targets"
  | "selectors"
  | "webhook.denied"
  | "webhook.unavailable";

/** The kinds of {@link RejectionReason}. */
export type RejectionKind = RejectionReason["kind"];

/** A {@link RejectionReason} with its readable message and JSON-RPC error code. */
export type ExplainedRejection = RejectionReason & { message: string; code: number };

/**
 * JSON-RPC error codes of the paymaster service (server-error range), one per class of rejection. The service
 * answers with the code of the first reason (in the order the paymaster checks them) and lists every reason in
 * `error.data.reasons`.
 */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** The request's chain id is not the chain this service serves. */
  UNSUPPORTED_CHAIN: -32001,
  /** The request's EntryPoint is not one this service has a paymaster for. */
  UNSUPPORTED_ENTRY_POINT: -32002,
  /** The paymaster or the ledger is paused. */
  PAUSED: -32010,
  /** The cached price is missing or too old for the EntryPoint to accept the paymaster's `validUntil`. */
  PRICE_UNAVAILABLE: -32011,
  /** A gas field exceeds its cap, or the postOp gas limit is below the minimum. */
  GAS_LIMIT_EXCEEDED: -32012,
  /** The worst-case credits exceed the per-operation cap or the user's own `maxCredits`. */
  CREDIT_LIMIT_EXCEEDED: -32013,
  /** The payer's spendable credits do not cover the worst case. */
  INSUFFICIENT_CREDITS: -32014,
  /** SPONSORED: the sponsor gave the sender no allowance, it expired, or a recovery of the sender ended it. */
  NO_ALLOWANCE: -32015,
  /** SPONSORED: the allowance left this epoch does not cover the worst case. */
  ALLOWANCE_EXCEEDED: -32016,
  /** The paymaster fields of the operation are malformed or name another paymaster. */
  INVALID_PAYMASTER_DATA: -32017,
  /** The paymaster is not a spender of its ledger, or its EntryPoint deposit is too low. */
  PAYMASTER_UNAVAILABLE: -32018,
  /** The simulated validation reverted for another reason (the error is named in the message). */
  VALIDATION_REVERTED: -32019,
  /** POLICY: the policy does not exist, is paused or closed, or is outside its window `[start, end)`. */
  POLICY_UNAVAILABLE: -32020,
  /** POLICY: the worst case exceeds the policy's credits per operation. */
  POLICY_OP_CREDITS_EXCEEDED: -32021,
  /** POLICY: the policy's budget left this epoch (all users) does not cover the worst case. */
  POLICY_BUDGET_EXCEEDED: -32022,
  /** POLICY: the sender's credits or operations left under the policy this epoch are used up. */
  POLICY_USER_LIMIT_EXCEEDED: -32023,
  /** POLICY: the approval is missing or invalid (AA34), or the service's key is not the policy's signer. */
  POLICY_APPROVAL: -32024,
  /** Service: this service has no policy file for the requested `{ sponsor, policyId }`. */
  POLICY_NOT_SERVED: -32030,
  /** Service rule `senders.block`: the sender is on the policy's blocklist. */
  SENDER_BLOCKED: -32031,
  /** Service rule `senders.allow`: the sender is not on the policy's allowlist. */
  SENDER_NOT_ALLOWED: -32032,
  /** Service rule `callData`: the account's call data is not a call the service can decode (target rules exist). */
  CALL_DATA_NOT_DECODED: -32033,
  /** Service rule `targets`: a call goes to a contract the policy does not allow. */
  TARGET_NOT_ALLOWED: -32034,
  /** Service rule `selectors`: a call uses a function the policy does not allow on that contract. */
  SELECTOR_NOT_ALLOWED: -32035,
  /** Service rule `webhook`: the dApp's server answered that it does not approve the operation. */
  WEBHOOK_DENIED: -32036,
  /** Service rule `webhook`: the dApp's server did not approve in time (timeout, network error, non-2xx): closed. */
  WEBHOOK_UNAVAILABLE: -32037,
  /** The operation's EIP-7702 authorization or `0x7702` marker is unusable (see src/client/eip7702.ts). */
  EIP7702_INVALID: -32040,
} as const;

/** The JSON-RPC code of each service policy rule. */
export const POLICY_RULE_CODES: Readonly<Record<PolicyRuleName, number>> = {
  "senders.block": RpcErrorCode.SENDER_BLOCKED,
  "senders.allow": RpcErrorCode.SENDER_NOT_ALLOWED,
  callData: RpcErrorCode.CALL_DATA_NOT_DECODED,
  targets: RpcErrorCode.TARGET_NOT_ALLOWED,
  selectors: RpcErrorCode.SELECTOR_NOT_ALLOWED,
  "webhook.denied": RpcErrorCode.WEBHOOK_DENIED,
  "webhook.unavailable": RpcErrorCode.WEBHOOK_UNAVAILABLE,
};

const CODE_OF: Readonly<Record<Exclude<RejectionKind, "policyRule">, number>> = {
  policyNotActive: RpcErrorCode.POLICY_UNAVAILABLE,
  policyNotStarted: RpcErrorCode.POLICY_UNAVAILABLE,
  policyEnded: RpcErrorCode.POLICY_UNAVAILABLE,
  policyOpCreditsExceeded: RpcErrorCode.POLICY_OP_CREDITS_EXCEEDED,
  policyBudgetExceeded: RpcErrorCode.POLICY_BUDGET_EXCEEDED,
  policyUserCreditsExceeded: RpcErrorCode.POLICY_USER_LIMIT_EXCEEDED,
  policyUserOpsExceeded: RpcErrorCode.POLICY_USER_LIMIT_EXCEEDED,
  policyApprovalInvalid: RpcErrorCode.POLICY_APPROVAL,
  policySignerMismatch: RpcErrorCode.POLICY_APPROVAL,
  policyNotServed: RpcErrorCode.POLICY_NOT_SERVED,
  wrongPaymaster: RpcErrorCode.INVALID_PAYMASTER_DATA,
  invalidDataLength: RpcErrorCode.INVALID_PAYMASTER_DATA,
  unknownMode: RpcErrorCode.INVALID_PAYMASTER_DATA,
  zeroSponsor: RpcErrorCode.INVALID_PAYMASTER_DATA,
  paymasterPaused: RpcErrorCode.PAUSED,
  ledgerPaused: RpcErrorCode.PAUSED,
  paymasterNotSpender: RpcErrorCode.PAYMASTER_UNAVAILABLE,
  insufficientDeposit: RpcErrorCode.PAYMASTER_UNAVAILABLE,
  gasLimitTooHigh: RpcErrorCode.GAS_LIMIT_EXCEEDED,
  postOpGasTooLow: RpcErrorCode.GAS_LIMIT_EXCEEDED,
  creditsPerOpTooHigh: RpcErrorCode.CREDIT_LIMIT_EXCEEDED,
  userLimitExceeded: RpcErrorCode.CREDIT_LIMIT_EXCEEDED,
  noCachedPrice: RpcErrorCode.PRICE_UNAVAILABLE,
  priceTooHigh: RpcErrorCode.PRICE_UNAVAILABLE,
  stalePrice: RpcErrorCode.PRICE_UNAVAILABLE,
  insufficientCredits: RpcErrorCode.INSUFFICIENT_CREDITS,
  noAllowance: RpcErrorCode.NO_ALLOWANCE,
  allowanceExpired: RpcErrorCode.NO_ALLOWANCE,
  accountRecovered: RpcErrorCode.NO_ALLOWANCE,
  allowanceExceeded: RpcErrorCode.ALLOWANCE_EXCEEDED,
  validationReverted: RpcErrorCode.VALIDATION_REVERTED,
  eip7702Invalid: RpcErrorCode.EIP7702_INVALID,
};

/** A readable sentence for `reason`. */
export function rejectionMessage(reason: RejectionReason): string {
  switch (reason.kind) {
    case "wrongPaymaster":
      return `the operation names paymaster ${reason.actual}, not ${reason.expected}`;
    case "paymasterPaused":
      return `the paymaster ${reason.paymaster} is paused`;
    case "ledgerPaused":
      return `the credit ledger ${reason.ledger} is paused`;
    case "paymasterNotSpender":
      return `the paymaster ${reason.paymaster} is not an authorised spender of the ledger ${reason.ledger}`;
    case "invalidDataLength":
      return `paymaster data of mode ${reason.mode} has ${reason.length} bytes, expected ${reason.expected}`;
    case "unknownMode":
      return `paymaster data names unknown mode ${reason.mode} (0 = SELF, 1 = SPONSORED, 2 = POLICY)`;
    case "zeroSponsor":
      return "paymaster data names the zero address as sponsor";
    case "gasLimitTooHigh":
      return `${reason.field} ${reason.value} exceeds the paymaster's cap ${reason.cap}`;
    case "postOpGasTooLow":
      return (
        `paymasterPostOpGasLimit ${reason.value} is below the minimum ${reason.minimum} for this operation: what ` +
        `postOp needs plus the gas the EntryPoint bills outside every limit, which grows with the operation's size ` +
        `(set it to CreditPaymaster.minPostOpGasLimit(op), as the client and the paymaster service do)`
      );
    case "creditsPerOpTooHigh":
      return `the operation may cost up to ${formatCredits(reason.credits)}, above the cap of ${formatCredits(reason.cap)} per operation`;
    case "userLimitExceeded":
      return `the operation may cost up to ${formatCredits(reason.credits)}, above the user's limit of ${formatCredits(reason.maxCredits)}`;
    case "noCachedPrice":
      return "the price adapter has no cached price";
    case "priceTooHigh":
      return (
        `the cached price ${reason.priceWad} (credits per native token, 18 decimals) exceeds 2^96 - 1, the most ` +
        `the paymaster charges at: the adapter's feed or bounds are misconfigured (docs/price-adapter.md)`
      );
    case "stalePrice":
      return (
        `the cached price (updated at ${reason.updatedAt}, maxPriceAge ${reason.maxPriceAge} s) is valid until ` +
        `${reason.validUntil}, ${reason.margin === 0n ? "before" : `less than ${reason.margin} s after`} now ` +
        `(${reason.now}): refresh it with refreshCachedPrice() (\`npx hardhat price:refresh\`; on a local chain, ` +
        `whose mock feed never updates by itself: \`npx hardhat price:set --network localhost\`)`
      );
    case "insufficientCredits":
      return `${reason.account} has ${formatCredits(reason.available)} spendable, needs ${formatCredits(reason.needed)} (worst case)`;
    case "noAllowance":
      return `sponsor ${reason.sponsor} gave ${reason.beneficiary} no allowance`;
    case "allowanceExpired":
      return `the allowance of ${reason.beneficiary} from sponsor ${reason.sponsor} expired at ${reason.expiresAt}`;
    case "accountRecovered":
      return (
        `the credit account of ${reason.account} was recovered to ${reason.recoveredTo}, which ended every ` +
        `allowance given to ${reason.account}: a sponsor must give ${reason.recoveredTo} a new allowance`
      );
    case "allowanceExceeded":
      return `the allowance of ${reason.beneficiary} from sponsor ${reason.sponsor} has ${formatCredits(reason.remaining)} left this epoch, needs ${formatCredits(reason.needed)} (worst case)`;
    case "insufficientDeposit":
      return `the paymaster's EntryPoint deposit (${reason.deposit} wei) does not cover the prefund (${reason.needed} wei)`;
    case "policyNotActive":
      return reason.status === "None"
        ? `sponsor ${reason.sponsor} has no policy ${reason.policyId}`
        : `policy ${reason.policyId} of sponsor ${reason.sponsor} is ${reason.status.toLowerCase()}`;
    case "policyNotStarted":
      return `policy ${reason.policyId} of sponsor ${reason.sponsor} starts at ${reason.start}, after now (${reason.now})`;
    case "policyEnded":
      return `policy ${reason.policyId} of sponsor ${reason.sponsor} ended at ${reason.end}`;
    case "policyOpCreditsExceeded":
      return `the operation may cost up to ${formatCredits(reason.required)}, above policy ${reason.policyId}'s limit of ${formatCredits(reason.limit)} per operation (lower its gas limits)`;
    case "policyBudgetExceeded":
      return `policy ${reason.policyId} of sponsor ${reason.sponsor} has ${formatCredits(reason.remaining)} left this epoch for all users, needs ${formatCredits(reason.required)} (worst case): its epoch budget is spent`;
    case "policyUserCreditsExceeded":
      return `${reason.user} has ${formatCredits(reason.remaining)} left under policy ${reason.policyId} this epoch, needs ${formatCredits(reason.required)} (worst case)`;
    case "policyUserOpsExceeded":
      return `${reason.user} made all ${reason.limit} operations policy ${reason.policyId} allows per epoch`;
    case "policyApprovalInvalid":
      return `policy ${reason.policyId} of sponsor ${reason.sponsor} needs an approval signed by ${reason.signer}; the operation carries none valid (AA34): get the paymaster data from the sponsor's paymaster service`;
    case "policySignerMismatch":
      return reason.policySigner === zeroAddress
        ? `policy ${reason.policyId} of sponsor ${reason.sponsor} names no approval signer, but this service signs approvals: the sponsor must name ${reason.serviceSigner ?? "the service's signer"} with updatePolicy`
        : `policy ${reason.policyId} of sponsor ${reason.sponsor} is signed by ${reason.policySigner}, not by this service's key ${reason.serviceSigner ?? "(none configured)"}: configure that key or rotate the policy's signer`;
    case "policyNotServed":
      return `this paymaster service has no policy file for policy ${reason.policyId} of sponsor ${reason.sponsor}`;
    case "policyRule":
      return `refused by rule "${reason.rule}" of policy ${reason.policyId} of sponsor ${reason.sponsor}: ${reason.detail}`;
    case "validationReverted":
      return `the paymaster's validation reverted with ${reason.error}(${reason.args.join(", ")})`;
    case "eip7702Invalid":
      return `EIP-7702 sender ${reason.sender}: ${reason.problem}`;
  }
}

/** The JSON-RPC error code of `reason` (see {@link RpcErrorCode}). */
export function rejectionCode(reason: RejectionReason): number {
  return reason.kind === "policyRule" ? POLICY_RULE_CODES[reason.rule] : CODE_OF[reason.kind];
}

/** `reason` with its message and code. */
export function explainReason(reason: RejectionReason): ExplainedRejection {
  return { ...reason, message: rejectionMessage(reason), code: rejectionCode(reason) };
}

/** Thrown by the paymaster clients when the paymaster would reject the operation; nothing was signed or sent. */
export class CreditPaymasterRejectedError extends Error {
  /** Every reason, in the order the paymaster checks them. */
  readonly reasons: readonly ExplainedRejection[];
  /** The JSON-RPC code of the first reason. */
  readonly code: number;

  constructor(reasons: readonly RejectionReason[]) {
    const explained = reasons.map(explainReason);
    super(`rejected by the credit paymaster: ${explained.map((r) => r.message).join("; ")}`);
    this.name = "CreditPaymasterRejectedError";
    this.reasons = explained;
    this.code = explained[0]?.code ?? RpcErrorCode.VALIDATION_REVERTED;
  }
}

function asBigint(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(value);
  throw new TypeError(`expected an integer argument, got ${String(value)}`);
}

function asAddress(value: unknown): Address {
  if (typeof value !== "string") throw new TypeError(`expected an address argument, got ${String(value)}`);
  return getAddress(value);
}

/**
 * Maps a decoded custom error of the paymaster's validation (or of the ledger and adapter it calls) to a reason.
 * Errors without a dedicated reason become `validationReverted`.
 */
export function reasonFromContractError(
  errorName: string,
  args: readonly unknown[],
  context: { paymaster: Address; ledger: Address },
): RejectionReason {
  switch (errorName) {
    case "CreditPaymasterPaused":
      return { kind: "paymasterPaused", paymaster: context.paymaster };
    case "CreditLedgerPaused":
      return { kind: "ledgerPaused", ledger: context.ledger };
    case "CreditLedgerUnauthorizedSpender":
      return { kind: "paymasterNotSpender", paymaster: context.paymaster, ledger: context.ledger };
    case "CreditPaymasterInvalidDataLength":
      return {
        kind: "invalidDataLength",
        mode: Number(asBigint(args[0])),
        length: Number(asBigint(args[1])),
        expected: Number(asBigint(args[2])),
      };
    case "CreditPaymasterUnknownMode":
      return { kind: "unknownMode", mode: Number(asBigint(args[0])) };
    case "CreditPaymasterZeroSponsor":
      return { kind: "zeroSponsor" };
    case "CreditPaymasterGasLimitTooHigh": {
      const field = GAS_FIELDS[Number(asBigint(args[0]))];
      if (field !== undefined) {
        return { kind: "gasLimitTooHigh", field, value: asBigint(args[1]), cap: asBigint(args[2]) };
      }
      break;
    }
    case "CreditPaymasterPostOpGasTooLow":
      return { kind: "postOpGasTooLow", value: asBigint(args[0]), minimum: asBigint(args[1]) };
    case "CreditPaymasterCreditsPerOpTooHigh":
      return { kind: "creditsPerOpTooHigh", credits: asBigint(args[0]), cap: asBigint(args[1]) };
    case "CreditPaymasterUserLimitExceeded":
      return { kind: "userLimitExceeded", credits: asBigint(args[0]), maxCredits: asBigint(args[1]) };
    case "PriceAdapterNoCachedPrice":
      return { kind: "noCachedPrice" };
    case "CreditPaymasterPriceTooHigh":
      return { kind: "priceTooHigh", priceWad: asBigint(args[0]) };
    case "CreditLedgerInsufficientCredits":
      return {
        kind: "insufficientCredits",
        account: asAddress(args[0]),
        available: asBigint(args[1]),
        needed: asBigint(args[2]),
      };
    case "CreditLedgerNoAllowance":
      return { kind: "noAllowance", sponsor: asAddress(args[0]), beneficiary: asAddress(args[1]) };
    case "CreditLedgerAllowanceExpired":
      return {
        kind: "allowanceExpired",
        sponsor: asAddress(args[0]),
        beneficiary: asAddress(args[1]),
        expiresAt: asBigint(args[2]),
      };
    case "CreditLedgerAccountRecovered":
      return { kind: "accountRecovered", account: asAddress(args[0]), recoveredTo: asAddress(args[1]) };
    case "CreditLedgerAllowanceExceeded":
      return {
        kind: "allowanceExceeded",
        sponsor: asAddress(args[0]),
        beneficiary: asAddress(args[1]),
        remaining: asBigint(args[2]),
        needed: asBigint(args[3]),
      };
    case "CreditLedgerPolicyNotActive":
      return {
        kind: "policyNotActive",
        sponsor: asAddress(args[0]),
        policyId: asBigint(args[1]),
        status: POLICY_STATUSES[Number(asBigint(args[2]))] ?? "None",
      };
    case "CreditLedgerPolicyEnded":
      return {
        kind: "policyEnded",
        sponsor: asAddress(args[0]),
        policyId: asBigint(args[1]),
        end: asBigint(args[2]),
      };
    case "CreditLedgerPolicyOpCreditsExceeded":
      return {
        kind: "policyOpCreditsExceeded",
        sponsor: asAddress(args[0]),
        policyId: asBigint(args[1]),
        limit: asBigint(args[2]),
        required: asBigint(args[3]),
      };
    case "CreditLedgerPolicyBudgetExceeded":
      return {
        kind: "policyBudgetExceeded",
        sponsor: asAddress(args[0]),
        policyId: asBigint(args[1]),
        remaining: asBigint(args[2]),
        required: asBigint(args[3]),
      };
    case "CreditLedgerPolicyUserCreditsExceeded":
      return {
        kind: "policyUserCreditsExceeded",
        user: asAddress(args[0]),
        policyId: asBigint(args[1]),
        remaining: asBigint(args[2]),
        required: asBigint(args[3]),
      };
    case "CreditLedgerPolicyUserOpsExceeded":
      return {
        kind: "policyUserOpsExceeded",
        user: asAddress(args[0]),
        policyId: asBigint(args[1]),
        limit: asBigint(args[2]),
      };
  }
  return { kind: "validationReverted", error: errorName, args: args.map((a) => String(a)) };
}
