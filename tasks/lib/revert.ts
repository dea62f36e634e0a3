import type { Abi, Hex } from "viem";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { HardhatPluginError } from "hardhat/plugins";

import { ROLE_NAMES, formatCreditAmount, formatTime } from "../../src/client/format";
import { decodeRevertData, findRevertData } from "../../src/client/revert";
import { LOCAL_NETWORKS } from "../../scripts/lib/networks";
import { taskError } from "./errors";

/** The contracts whose custom errors the tasks decode (their ABIs include inherited OpenZeppelin errors). */
const ERROR_SOURCES = [
  "CreditLedger",
  "CreditPaymaster",
  "PriceAdapter",
  "CreditsGovernor",
  "TimelockController",
  "IEntryPoint",
] as const;

/** A decoded revert: the error's name and its named arguments, formatted. */
export interface DecodedRevert {
  name: string;
  args: { name: string; value: string }[];
  /** The raw arguments, for hints. */
  raw: readonly unknown[];
}

/** The custom errors of {@link ERROR_SOURCES}, read from the compiled artifacts. */
export async function errorAbi(hre: HardhatRuntimeEnvironment): Promise<Abi> {
  const out: Abi[number][] = [];
  for (const name of ERROR_SOURCES) {
    if (await hre.artifacts.artifactExists(name)) {
      const abi = (await hre.artifacts.readArtifact(name)).abi as Abi;
      out.push(...abi.filter((item) => item.type === "error"));
    }
  }
  return out;
}

export { findRevertData };

function formatValue(value: unknown): string {
  if (typeof value === "string" && value.length === 66 && ROLE_NAMES[value as Hex] !== undefined) {
    return `${value} (${ROLE_NAMES[value as Hex]})`;
  }
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  return String(value);
}

/** Argument names of Solidity's built-in errors, as the tasks print them. */
const BUILTIN_ARG: Readonly<Record<string, string>> = { Error: "reason", Panic: "code" };

/** Decodes revert data with `abi` (plus `Error(string)` and `Panic(uint256)`) through the client's decoder. */
export function decodeRevert(data: string, abi: Abi): DecodedRevert | undefined {
  const decoded = decodeRevertData(data as Hex, abi);
  if (decoded === undefined) return undefined;
  const builtin = BUILTIN_ARG[decoded.name];
  const args = decoded.args.map((a) => ({ name: builtin ?? a.name, value: formatValue(a.value) }));
  return { name: decoded.name, args, raw: decoded.raw };
}

/** `Name(arg=value, …)`. */
export function describeRevert(decoded: DecodedRevert): string {
  return `${decoded.name}(${decoded.args.map((a) => `${a.name}=${a.value}`).join(", ")})`;
}

const bigintAt = (raw: readonly unknown[], i: number): bigint => BigInt(raw[i] as bigint);

/** Where the error happened, for hints that depend on it. */
export interface HintContext {
  /** A local chain (`hardhat`, `localhost`), whose ETH/USD feed is a mock that never updates by itself. */
  localChain?: boolean;
}

/** What to do about a stale feed on a local chain, whose mock feed only updates when told to. */
export const LOCAL_STALE_FEED_HINT =
  "the local mock feed never updates by itself: renew it with `npx hardhat price:set --network localhost` " +
  "(or keep it fresh with `npx hardhat price:keep --network localhost`)";

/** What an operator can do about an error, when the error alone does not say it. */
export function hintFor(decoded: DecodedRevert, context: HintContext = {}): string | undefined {
  const raw = decoded.raw;
  switch (decoded.name) {
    case "AccessControlUnauthorizedAccount": {
      const role = ROLE_NAMES[String(raw[1]) as `0x${string}`] ?? String(raw[1]);
      return (
        `${String(raw[0])} does not hold ${role}; its admin (the DAO timelock in production) must grant it, ` +
        `or run the task --from an account that holds it (for the timelock: through governance:propose-budget)`
      );
    }
    case "OwnableUnauthorizedAccount":
      return (
        `only the paymaster's owner (see paymaster:status; the DAO timelock in production) may do this: sign ` +
        `--from the owner, or have the owner execute the call`
      );
    case "CreditLedgerPaused":
      return "a guardian paused the ledger; the admin must unpause it (unpause())";
    case "CreditPaymasterPaused":
      return "a guardian or the owner paused the paymaster; the owner must unpause it (setPaused(false))";
    case "CreditLedgerIssuerCapExceeded":
      return (
        `the issuer may grant ${formatCreditAmount(bigintAt(raw, 1))} more credits this epoch: wait for the next ` +
        `epoch, or raise its cap (governance:propose-budget --issuer-cap <issuer>:<cap>:<epoch>)`
      );
    case "CreditLedgerInvalidExpiry":
      return `expiries must lie after the chain time and at most at ${formatTime(2n ** 32n - 1n)}`;
    case "CreditLedgerPurchaseTooSmall":
      return `buy at least ${formatCreditAmount(bigintAt(raw, 1))} credits`;
    case "CreditLedgerTooManyGrantBuckets":
      return "grant with the expiry of one of the account's live grants (see credits:balance)";
    case "CreditLedgerInsufficientCredits":
      return `the account has ${formatCreditAmount(bigintAt(raw, 1))} spendable credits`;
    case "PriceAdapterStalePrice":
      if (context.localChain === true)
        return `the feed's latest answer is older than its heartbeat, and ${LOCAL_STALE_FEED_HINT}`;
      return (
        "the feed's latest answer is older than its heartbeat: wait for the feed to update (or configure a " +
        "fallback feed); purchases and the price cache stay closed meanwhile"
      );
    case "PriceAdapterAnswerOutOfBounds":
    case "PriceAdapterInvalidAnswer":
    case "PriceAdapterInvalidTimestamp":
      return "the feed's answer failed validation; check the feed and the adapter's bounds (docs/price-adapter.md)";
    case "PriceAdapterFeedUnavailable":
      return "the feed reverted or returned malformed data (shut down?); configure another feed";
    case "PriceAdapterDecimalsChanged":
      return (
        "the feed's decimals() changed since it was configured (its proxy was repointed?): purchases and the price " +
        "cache stay closed until the admin configures the feed again, with bounds in its new decimals"
      );
    case "PriceAdapterSequencerDown":
    case "PriceAdapterSequencerGracePeriod":
      return "the L2 sequencer is down or just restarted: prices are refused until its grace period has passed";
    case "PriceAdapterNoCachedPrice":
      return "refresh the cache first: npx hardhat price:refresh";
    case "CreditPaymasterInvalidConfig":
      return "see the configuration rules in contracts/interfaces/ICreditPaymaster.sol";
    case "CreditLedgerPolicyInvalidTerms":
      return "the window [start, end) must be non-empty and end in the future: pass a later --end";
    case "CreditLedgerPolicyNotActive":
      return (
        "the signer has no such policy, or it is closed (policies belong to the account that created them: run " +
        "--from the sponsor; see policy:list)"
      );
    case "CreditLedgerPolicyInvalidStatus":
      return "the policy already has this status (see policy:show)";
    case "GovernorInsufficientProposerVotes":
      return "the proposer needs delegated votes of at least the proposal threshold (delegate to yourself first)";
    case "GovernorRestrictedProposer":
      return "the description ends in #proposer=<address>: only that address may propose it";
    case "GovernorUnexpectedProposalState":
      return "this proposal (same calls and description) already exists";
    default:
      return undefined;
  }
}

/**
 * Turns a failed call or transaction into a task error: `<action> reverted with Name(args). <hint>`. Errors
 * that are already task errors pass through unchanged.
 */
export async function explainFailure(
  hre: HardhatRuntimeEnvironment,
  action: string,
  err: unknown,
): Promise<HardhatPluginError> {
  if (HardhatPluginError.isHardhatPluginError(err)) return err as HardhatPluginError;
  const data = findRevertData(err);
  if (data !== undefined) {
    const decoded = decodeRevert(data, await errorAbi(hre));
    if (decoded === undefined) return taskError(`${action} reverted with unknown error data ${data}`);
    const hint = hintFor(decoded, { localChain: LOCAL_NETWORKS.includes(hre.network.name) });
    const suffix = hint === undefined ? "" : `. ${hint.charAt(0).toUpperCase()}${hint.slice(1)}`;
    return taskError(`${action} reverted with ${describeRevert(decoded)}${suffix}`);
  }
  const record = (typeof err === "object" && err !== null ? err : {}) as {
    shortMessage?: unknown;
    message?: unknown;
  };
  const message =
    typeof record.shortMessage === "string" ? record.shortMessage : String(record.message ?? err);
  return taskError(`${action} failed: ${message}`, err instanceof Error ? err : undefined);
}

/** Runs `fn`; a failure becomes {@link explainFailure}'s task error. */
export async function explained<T>(
  hre: HardhatRuntimeEnvironment,
  action: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw await explainFailure(hre, action, err);
  }
}
