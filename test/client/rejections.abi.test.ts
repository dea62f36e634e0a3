/**
 * Every custom error of the contracts' ABIs (src/client/abi.ts) is explained: the errors the paymaster's validation
 * can raise (the paymaster's own checks, the ledger's hold, the adapter's cached price) each map to a dedicated
 * rejection reason with its own sentence and service code; every other error is listed here with where it comes
 * from instead, and is reported by name and arguments. A new error in a contract fails this test until it is
 * classified (and, if validation can raise it, explained in src/client/rejections.ts).
 */
import { expect } from "chai";
import { getAddress } from "viem";
import type { AbiParameter } from "viem";

import * as abis from "../../src/client/abi";
import { RpcErrorCode, explainReason, reasonFromContractError } from "../../src/client";
import type { RejectionKind } from "../../src/client";

/** Errors the paymaster's validation can raise, and the reason each becomes. */
const VALIDATION_ERRORS: Readonly<Record<string, RejectionKind>> = {
  CreditPaymasterPaused: "paymasterPaused",
  CreditPaymasterInvalidDataLength: "invalidDataLength",
  CreditPaymasterUnknownMode: "unknownMode",
  CreditPaymasterZeroSponsor: "zeroSponsor",
  CreditPaymasterGasLimitTooHigh: "gasLimitTooHigh",
  CreditPaymasterPostOpGasTooLow: "postOpGasTooLow",
  CreditPaymasterCreditsPerOpTooHigh: "creditsPerOpTooHigh",
  CreditPaymasterUserLimitExceeded: "userLimitExceeded",
  CreditPaymasterPriceTooHigh: "priceTooHigh",
  PriceAdapterNoCachedPrice: "noCachedPrice",
  CreditLedgerPaused: "ledgerPaused",
  CreditLedgerUnauthorizedSpender: "paymasterNotSpender",
  CreditLedgerInsufficientCredits: "insufficientCredits",
  CreditLedgerNoAllowance: "noAllowance",
  CreditLedgerAllowanceExpired: "allowanceExpired",
  CreditLedgerAccountRecovered: "accountRecovered",
  CreditLedgerAllowanceExceeded: "allowanceExceeded",
  CreditLedgerPolicyNotActive: "policyNotActive",
  CreditLedgerPolicyEnded: "policyEnded",
  CreditLedgerPolicyOpCreditsExceeded: "policyOpCreditsExceeded",
  CreditLedgerPolicyBudgetExceeded: "policyBudgetExceeded",
  CreditLedgerPolicyUserCreditsExceeded: "policyUserCreditsExceeded",
  CreditLedgerPolicyUserOpsExceeded: "policyUserOpsExceeded",
};

/** Errors validation never raises, by where they come from (reported as `validationReverted` if ever seen). */
const OUTSIDE_VALIDATION: Readonly<Record<string, string>> = {
  // Paymaster: construction, configuration, administration; validatePaymasterUserOp is only called by the EntryPoint
  CreditPaymasterInvalidConfig: "configuration",
  CreditPaymasterNotFromEntryPoint: "a caller other than the EntryPoint (the simulation calls from it)",
  CreditPaymasterUnauthorizedGuardian: "pausing",
  CreditPaymasterUnsupportedEntryPoint: "construction",
  CreditPaymasterZeroAddress: "construction, configuration",
  OwnableInvalidOwner: "ownership",
  OwnableUnauthorizedAccount: "ownership",
  InvalidShortString: "EIP-712 domain construction",
  StringTooLong: "EIP-712 domain construction",
  // Ledger: purchases, grants, allowances, policies' administration, recovery, spenders, settlement (postOp)
  AccessControlBadConfirmation: "roles",
  AccessControlUnauthorizedAccount: "roles",
  CreditLedgerAccountExists: "account tokens",
  CreditLedgerApprovalBlocked: "soulbound token",
  CreditLedgerApprovalForAllBlocked: "soulbound token",
  CreditLedgerBalanceOverflow: "purchases and grants",
  CreditLedgerChargeExceedsHold: "settlement",
  CreditLedgerGrantTooSmall: "grants",
  CreditLedgerHoldTooSmall: "settlement",
  CreditLedgerInvalidEthDestination: "configuration",
  CreditLedgerInvalidExpiry: "grants and allowances",
  CreditLedgerInvalidRecoveryTarget: "recovery",
  CreditLedgerIssuerCapExceeded: "grants",
  CreditLedgerNoAccount: "account tokens",
  CreditLedgerNoHold: "settlement",
  CreditLedgerNoRecovery: "recovery",
  CreditLedgerNotPaused: "pausing",
  CreditLedgerPolicyInvalidStatus: "policy administration",
  CreditLedgerPolicyInvalidTerms: "policy administration",
  CreditLedgerPurchaseTooSmall: "purchases",
  CreditLedgerRecoveryBlockedByHolds: "recovery",
  CreditLedgerRecoveryNotReady: "recovery",
  CreditLedgerRecoveryTargetNotEmpty: "recovery",
  CreditLedgerSpenderAlreadyAdded: "spenders",
  CreditLedgerSpenderHasHolds: "spenders",
  CreditLedgerSpenderNotFound: "spenders",
  CreditLedgerTooManyGrantBuckets: "grants",
  CreditLedgerTooManySpenders: "spenders",
  CreditLedgerTransferBlocked: "soulbound token",
  CreditLedgerUnsupportedToken: "purchases",
  CreditLedgerZeroAddress: "administration",
  CreditLedgerZeroAmount: "purchases, grants, allowances (the paymaster holds at least one credit)",
  CreditLedgerZeroEpochLength: "allowances and issuer caps",
  ERC721IncorrectOwner: "soulbound token",
  ERC721InsufficientApproval: "soulbound token",
  ERC721InvalidApprover: "soulbound token",
  ERC721InvalidOperator: "soulbound token",
  ERC721InvalidOwner: "soulbound token",
  ERC721InvalidReceiver: "soulbound token",
  ERC721InvalidSender: "soulbound token",
  ERC721NonexistentToken: "soulbound token",
  FailedCall: "ETH transfers",
  InsufficientBalance: "ETH transfers",
  ReentrancyGuardReentrantCall: "purchases",
  SafeCastOverflowedUintDowncast: "purchases, governance",
  SafeERC20FailedOperation: "stablecoin purchases",
  // Adapter: the live price (purchases, refreshCachedPrice) and its configuration; validation reads only the cache
  PriceAdapterAnswerOutOfBounds: "live price",
  PriceAdapterDecimalsChanged: "live price",
  PriceAdapterFallbackDeviation: "live price",
  PriceAdapterFeedUnavailable: "live price",
  PriceAdapterInsufficientGas: "live price",
  PriceAdapterInvalidAnswer: "live price",
  PriceAdapterInvalidConfig: "configuration",
  PriceAdapterInvalidTimestamp: "live price",
  PriceAdapterNoFeed: "live price",
  PriceAdapterNoReferencePrice: "live price",
  PriceAdapterRoundDataUnsupported: "live price",
  PriceAdapterSequencerDown: "live price",
  PriceAdapterSequencerGracePeriod: "live price",
  PriceAdapterSequencerInvalidRound: "live price",
  PriceAdapterStalePrice: "live price",
  PriceAdapterUnsupportedDecimals: "configuration",
  PriceAdapterUnsupportedStablecoin: "stablecoin purchases",
  PriceAdapterUnsupportedTokenDecimals: "configuration",
  PriceAdapterZeroPrice: "live price",
  SafeCastOverflowedUintToInt: "live price",
  // Governor and timelock
  CheckpointUnorderedInsertion: "governance",
  ERC6372InconsistentClock: "governance",
  GovernorAlreadyCastVote: "governance",
  GovernorAlreadyQueuedProposal: "governance",
  GovernorDisabledDeposit: "governance",
  GovernorInsufficientProposerVotes: "governance",
  GovernorInvalidProposalLength: "governance",
  GovernorInvalidQuorumFraction: "governance",
  GovernorInvalidSignature: "governance",
  GovernorInvalidVoteParams: "governance",
  GovernorInvalidVoteType: "governance",
  GovernorInvalidVotingPeriod: "governance",
  GovernorNonexistentProposal: "governance",
  GovernorOnlyExecutor: "governance",
  GovernorProposalQueueingFailed: "governance",
  GovernorProposalQueueingNotRequired: "governance",
  GovernorRestrictedProposer: "governance",
  GovernorUnableToCancel: "governance",
  GovernorUnexpectedProposalState: "governance",
  InvalidAccountNonce: "governance",
  TimelockInsufficientDelay: "governance",
  TimelockInvalidOperationLength: "governance",
  TimelockUnauthorizedCaller: "governance",
  TimelockUnexecutedPredecessor: "governance",
  TimelockUnexpectedOperationState: "governance",
};

interface AbiError {
  name: string;
  inputs: readonly AbiParameter[];
  abi: string;
}

/** Every custom error of every ABI of src/client/abi.ts (first occurrence of each name). */
function abiErrors(): AbiError[] {
  const seen = new Map<string, AbiError>();
  for (const [abi, items] of Object.entries(abis)) {
    for (const item of items as readonly {
      type: string;
      name?: string;
      inputs?: readonly AbiParameter[];
    }[]) {
      if (item.type === "error" && item.name !== undefined && !seen.has(item.name)) {
        seen.set(item.name, { name: item.name, inputs: item.inputs ?? [], abi });
      }
    }
  }
  return [...seen.values()];
}

const SAMPLE_ADDRESS = getAddress("0x00000000000000000000000000000000000000a1");

/** A decoded sample value of an ABI type, as viem's decodeErrorResult returns it. */
function sample(type: string): unknown {
  if (type === "address") return SAMPLE_ADDRESS;
  if (type === "bool") return true;
  if (type === "string") return "reason";
  if (type.startsWith("bytes")) return `0x${"11".repeat(type === "bytes" ? 2 : Number(type.slice(5)))}`;
  return 2n; // uint*/int*: 2 is a valid gas field index and policy status (Paused)
}

const CONTEXT = {
  paymaster: getAddress("0x00000000000000000000000000000000000000b2"),
  ledger: getAddress("0x00000000000000000000000000000000000000c3"),
};

describe("explained rejections: every custom error of the client's ABIs", function () {
  const errors = abiErrors();

  it("reads the errors of the ledger, paymaster, adapter, governor and timelock ABIs", function () {
    expect(new Set(errors.map((e) => e.abi))).to.deep.equal(
      new Set([
        "creditLedgerAbi",
        "creditPaymasterAbi",
        "priceAdapterAbi",
        "creditsGovernorAbi",
        "timelockControllerAbi",
      ]),
    );
    expect(errors.length).to.be.greaterThan(100);
  });

  it("classifies every error exactly once, and no error that the ABIs no longer have", function () {
    const names = new Set(errors.map((e) => e.name));
    const unclassified = [...names].filter((n) => !(n in VALIDATION_ERRORS) && !(n in OUTSIDE_VALIDATION));
    expect(
      unclassified,
      "new errors: add each to VALIDATION_ERRORS (and explain it in src/client/rejections.ts) or OUTSIDE_VALIDATION",
    ).to.deep.equal([]);
    const both = Object.keys(VALIDATION_ERRORS).filter((n) => n in OUTSIDE_VALIDATION);
    expect(both).to.deep.equal([]);
    const stale = [...Object.keys(VALIDATION_ERRORS), ...Object.keys(OUTSIDE_VALIDATION)].filter(
      (n) => !names.has(n),
    );
    expect(stale, "errors no ABI declares any more").to.deep.equal([]);
  });

  it("maps every error validation can raise to its own reason, sentence and service code", function () {
    for (const error of errors.filter((e) => e.name in VALIDATION_ERRORS)) {
      const args = error.inputs.map((input) => sample(input.type));
      const reason = explainReason(reasonFromContractError(error.name, args, CONTEXT));
      expect(reason.kind, error.name).to.equal(VALIDATION_ERRORS[error.name]);
      expect(reason.code, error.name).to.not.equal(RpcErrorCode.VALIDATION_REVERTED);
      expect(Object.values(RpcErrorCode), error.name).to.include(reason.code);
      expect(reason.message, error.name).to.not.match(/undefined|NaN|\[object /);
      expect(reason.message, error.name).to.not.include("validation reverted");
      expect(reason.message.length, error.name).to.be.greaterThan(20);
    }
  });

  it("reports any other error by its name and arguments (-32019)", function () {
    for (const error of errors.filter((e) => e.name in OUTSIDE_VALIDATION)) {
      const args = error.inputs.map((input) => sample(input.type));
      const reason = explainReason(reasonFromContractError(error.name, args, CONTEXT));
      expect(reason.kind, error.name).to.equal("validationReverted");
      expect(reason.code, error.name).to.equal(RpcErrorCode.VALIDATION_REVERTED);
      expect(reason.message, error.name).to.equal(
        `the paymaster's validation reverted with ${error.name}(${args.map(String).join(", ")})`,
      );
    }
  });

  it("explains the paymaster's price bound: CreditPaymasterPriceTooHigh is a price problem (-32011)", function () {
    const priceWad = 2n ** 96n;
    expect(
      explainReason(reasonFromContractError("CreditPaymasterPriceTooHigh", [priceWad], CONTEXT)),
    ).to.deep.equal({
      kind: "priceTooHigh",
      priceWad,
      code: RpcErrorCode.PRICE_UNAVAILABLE,
      message:
        `the cached price ${priceWad} (credits per native token, 18 decimals) exceeds 2^96 - 1, the most the ` +
        "paymaster charges at: the adapter's feed or bounds are misconfigured (docs/price-adapter.md)",
    });
  });
});
