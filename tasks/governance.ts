import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits } from "viem";
import type { Address, Hex, PublicClient } from "viem";
import { readContract } from "viem/actions";

import {
  creditLedgerAbi,
  creditPaymasterAbi,
  creditsGovernorAbi,
  timelockControllerAbi,
} from "../src/client/abi";
import { formatCreditAmount, formatDuration, formatTime, toJson } from "../src/client/format";
import {
  PROPOSAL_STATES,
  encodeGrant,
  encodeSetIssuerCap,
  encodeSetPaymasterConfig,
  propose,
} from "../src/client/governance";
import { readPaymasterConfig } from "../src/client/paymasterAdmin";
import type { PaymasterConfig } from "../src/client/credits";
import { FORMS, parseAddress, parseCredits, parseDuration, parseGasPrice, parseInteger } from "./lib/args";
import {
  chainId as getChainId,
  chainTime,
  print,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import {
  ledgerAddress as checkedLedger,
  optionalGovernorAddress,
  optionalTimelockAddress,
  paymasterAddress,
} from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import {
  buildProposalFile,
  buildSafeBatchFile,
  parseGrantSpecs,
  parseGrantsFile,
  parseIssuerCapSpecs,
} from "./lib/budget";
import type { BudgetAction, GrantSpec, IssuerCapSpec, ProposalFile, SafeBatchFile } from "./lib/budget";
import { taskError } from "./lib/errors";
import { withAddressFlags, withFrom } from "./lib/flags";
import { explained } from "./lib/revert";
import { describeTerms, newPolicyTerms } from "./policy";
import type { PolicyTermFlags } from "./policy";
import { encodeCreatePolicy, encodeSetPolicyStatus, policyStatusName } from "../src/client/policies";
import type { PolicyTerms } from "../src/client/policies";

/** The paymaster settings `governance:propose-budget` can change, with their flags and bounds. */
interface ConfigSetting {
  /** Field of `ICreditPaymaster.Config`, also the task argument (camelCase). */
  key: keyof ConfigArgs;
  /** The flag (kebab-case). */
  flag: string;
  /** Width of the field in bits. */
  bits: bigint;
  /** How the value is written. */
  kind: "gas" | "wei" | "credits" | "bps" | "seconds";
}

/** The paymaster-config arguments of the task. */
export interface ConfigArgs {
  markupBps?: string;
  maxCreditsPerOp?: string;
  maxCallGasLimit?: string;
  maxVerificationGasLimit?: string;
  maxPreVerificationGas?: string;
  maxPaymasterVerificationGasLimit?: string;
  maxPaymasterPostOpGasLimit?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  maxPriceAge?: string;
  postOpGasMargin?: string;
}

const SETTINGS: readonly ConfigSetting[] = [
  { key: "maxCallGasLimit", flag: "max-call-gas-limit", bits: 24n, kind: "gas" },
  {
    key: "maxPreVerificationGas",
    flag: "max-pre-verification-gas",
    bits: 32n,
    kind: "gas",
  },
  {
    key: "maxVerificationGasLimit",
    flag: "max-verification-gas-limit",
    bits: 24n,
    kind: "gas",
  },
  {
    key: "maxPaymasterVerificationGasLimit",
    flag: "max-paymaster-verification-gas-limit",
    bits: 24n,
    kind: "gas",
  },
  {
    key: "maxPaymasterPostOpGasLimit",
    flag: "max-paymaster-post-op-gas-limit",
    bits: 24n,
    kind: "gas",
  },
  { key: "maxFeePerGas", flag: "max-fee-per-gas", bits: 48n, kind: "wei" },
  { key: "maxPriorityFeePerGas", flag: "max-priority-fee-per-gas", bits: 48n, kind: "wei" },
  { key: "maxCreditsPerOp", flag: "max-credits-per-op", bits: 40n, kind: "credits" },
  { key: "markupBps", flag: "markup-bps", bits: 16n, kind: "bps" },
  { key: "maxPriceAge", flag: "max-price-age", bits: 16n, kind: "seconds" },
  { key: "postOpGasMargin", flag: "post-op-gas-margin", bits: 24n, kind: "gas" },
];

export interface ProposeBudgetArgs extends DeploymentFlags, ConfigArgs {
  /** Policies the executor creates (it is their sponsor): `key=value,…` entries separated by ";". */
  policy?: string;
  /** Status changes of the executor's policies: `<id>:<pause|resume|close>`, comma-separated. */
  policyStatus?: string;
  grant?: string;
  grantsFile?: string;
  issuerCap?: string;
  description?: string;
  proposer?: string;
  safe?: string;
  out: string;
  submit: boolean;
  from?: string;
}

/** What `governance:propose-budget` wrote (and proposed, with `--submit`). */
export interface ProposeBudgetResult {
  proposal: ProposalFile;
  safeBatch: SafeBatchFile;
  files: { proposal: string; safeBatch: string };
  submitted?: { proposalId: bigint; voteStart: bigint; voteEnd: bigint; txHash: string; blockNumber: number };
}

function formatSetting(setting: ConfigSetting, value: bigint): string {
  switch (setting.kind) {
    case "credits":
      return `${formatCreditAmount(value)} credits`;
    case "wei":
      return `${formatUnits(value, 9)} gwei`;
    case "seconds":
      return formatDuration(value);
    default:
      return value.toString();
  }
}

/** Parses one config flag within the contract's rules (read from the paymaster where it publishes them). */
function parseSetting(
  setting: ConfigSetting,
  value: string,
  minPostOpGas: bigint,
  maxMarkupBps: bigint,
): bigint {
  const max = 2n ** setting.bits - 1n;
  switch (setting.kind) {
    case "credits":
      return parseCredits(setting.flag, value, { max });
    case "wei":
      // A zero priority-fee cap is meaningful (no tip at all); a zero max fee is not.
      return parseGasPrice(setting.flag, value, max, setting.key === "maxPriorityFeePerGas");
    case "seconds":
      return parseDuration(setting.flag, value, max);
    case "bps":
      return parseInteger(setting.flag, value, 10_000n, maxMarkupBps);
    case "gas": {
      // The contract requires non-zero caps, except maxPreVerificationGas; the postOp cap must admit the floor of
      // the smallest sponsored operation.
      const min =
        setting.key === "maxPaymasterPostOpGasLimit"
          ? minPostOpGas
          : setting.key === "maxPreVerificationGas" || setting.key === "postOpGasMargin"
            ? 0n
            : 1n;
      return parseInteger(setting.flag, value, min, max);
    }
  }
}

/** Issuance the executor has left after the batch's cap changes (mirrors CreditLedger's epoch accounting). */
async function issuanceAfterCaps(
  ledger: LedgerRef,
  executor: string,
  caps: readonly IssuerCapSpec[],
  now: bigint,
): Promise<bigint> {
  const issuer = executor as Address;
  const newCap = [...caps].reverse().find((c) => c.issuer === executor);
  if (newCap === undefined) {
    return readContract(ledger.client, {
      ...ledger.contract,
      functionName: "remainingIssuance",
      args: [issuer],
    });
  }
  const current = await readContract(ledger.client, {
    ...ledger.contract,
    functionName: "issuerCap",
    args: [issuer],
  });
  const epochLength = BigInt(current.epochLength);
  const anchor = BigInt(current.anchor);
  let used = 0n;
  if (epochLength > 0n) {
    const epoch = now <= anchor ? 0n : (now - anchor) / epochLength;
    used = BigInt(current.usedEpoch) >= epoch ? current.used : 0n;
  }
  return newCap.cap > used ? newCap.cap - used : 0n;
}

/** The ledger, read through viem. */
interface LedgerRef {
  client: PublicClient;
  contract: { address: Address; abi: typeof creditLedgerAbi };
}

async function hasRole(ledger: LedgerRef, role: "DEFAULT_ADMIN_ROLE" | "ISSUER_ROLE", account: string) {
  const id = await readContract(ledger.client, { ...ledger.contract, functionName: role });
  return readContract(ledger.client, {
    ...ledger.contract,
    functionName: "hasRole",
    args: [id, account as Address],
  });
}

async function checkLedgerActions(
  ledger: LedgerRef,
  ledgerAddress: string,
  executor: string,
  grants: readonly GrantSpec[],
  caps: readonly IssuerCapSpec[],
  now: bigint,
  earliestExecution: bigint,
): Promise<void> {
  if (caps.length > 0 && !(await hasRole(ledger, "DEFAULT_ADMIN_ROLE", executor))) {
    throw taskError(
      `The executor ${executor} does not hold DEFAULT_ADMIN_ROLE on CreditLedger ${ledgerAddress}: setIssuerCap ` +
        `would revert with AccessControlUnauthorizedAccount. Propose through the ledger's admin`,
    );
  }
  if (grants.length === 0) return;
  if (!(await hasRole(ledger, "ISSUER_ROLE", executor))) {
    throw taskError(
      `The executor ${executor} does not hold ISSUER_ROLE on CreditLedger ${ledgerAddress}: the grants would ` +
        `revert with AccessControlUnauthorizedAccount. The ledger admin must first grantRole(ISSUER_ROLE, ${executor}) ` +
        `and set its cap`,
    );
  }
  for (const g of grants) {
    if (g.expiresAt <= earliestExecution) {
      throw taskError(
        `The grant to ${g.account} expires at ${formatTime(g.expiresAt)}, before the proposal can execute ` +
          `(${formatTime(earliestExecution)} at the earliest, after the timelock delay): choose a later expiry`,
      );
    }
  }
  const total = grants.reduce((sum, g) => sum + g.amount, 0n);
  const available = await issuanceAfterCaps(ledger, executor, caps, now);
  if (total > available) {
    throw taskError(
      `The grants total ${formatCreditAmount(total)} credits but the executor ${executor} may grant only ` +
        `${formatCreditAmount(available)} more this epoch: add --issuer-cap ${executor}:<credits>:<epoch> to this ` +
        `proposal, or grant less`,
    );
  }
  const byAccount = new Map<string, Set<bigint>>();
  for (const g of grants) {
    const set = byAccount.get(g.account) ?? new Set<bigint>();
    set.add(g.expiresAt);
    byAccount.set(g.account, set);
  }
  for (const [account, expiries] of byAccount) {
    const breakdown = await readContract(ledger.client, {
      ...ledger.contract,
      functionName: "creditBreakdown",
      args: [account as Address],
    });
    const live = breakdown.grants.map((b) => b.expiresAt).filter((e) => e > earliestExecution);
    const all = new Set<bigint>([...live, ...expiries]);
    if (all.size > 4) {
      const existing =
        live.length === 0 ? "" : ` (it has live grants expiring ${live.map(formatTime).join(", ")})`;
      throw taskError(
        `${account} would hold grants with ${all.size} different live expiries, more than the ledger's 4 ` +
          `(CreditLedgerTooManyGrantBuckets)${existing}: give its grants fewer distinct expiries`,
      );
    }
  }
}

async function paymasterAction(
  hre: HardhatRuntimeEnvironment,
  args: ProposeBudgetArgs,
  executor: string | undefined,
): Promise<BudgetAction | undefined> {
  const changed = SETTINGS.filter((s) => args[s.key] !== undefined);
  if (changed.length === 0) return undefined;
  const { address } = await paymasterAddress(hre, args);
  const client = viemPublicClient(hre);
  const pm = { address, abi: creditPaymasterAbi } as const;
  const [current, minPostOpGas, maxMarkupBps, owner] = await Promise.all([
    readPaymasterConfig(client, address),
    // SPONSORED, the larger floor, for the smallest operation
    readContract(client, { ...pm, functionName: "postOpGasFloor", args: [1, 0n] }),
    readContract(client, { ...pm, functionName: "MAX_MARKUP_BPS" }),
    readContract(client, { ...pm, functionName: "owner" }),
  ]);
  const next: PaymasterConfig = { ...current };
  const changes: string[] = [];
  for (const s of changed) {
    const value = parseSetting(s, args[s.key] as string, BigInt(minPostOpGas), BigInt(maxMarkupBps));
    const before = current[s.key];
    if (value !== before) changes.push(`${s.key} ${formatSetting(s, before)} → ${formatSetting(s, value)}`);
    next[s.key] = value;
  }
  if (changes.length === 0) {
    throw taskError(
      `Paymaster ${address} already has ${changed.map((s) => `${s.key} ${formatSetting(s, current[s.key])}`).join(", ")}: nothing to change`,
    );
  }
  if (executor !== undefined && owner !== executor) {
    throw taskError(
      `Paymaster ${address} is owned by ${owner}, not by the executor ${executor}: setConfig would revert with ` +
        `OwnableUnauthorizedAccount`,
    );
  }
  const call = encodeSetPaymasterConfig(next);
  return {
    target: address,
    value: 0n,
    data: call.data,
    contract: "CreditPaymaster",
    function: call.function,
    args: Object.fromEntries(SETTINGS.map((s) => [s.key, String(next[s.key])])),
    summary: `set paymaster ${address} config: ${changes.join(", ")}`,
  };
}

function ledgerActions(
  ledgerAddress: string,
  caps: readonly IssuerCapSpec[],
  grants: readonly GrantSpec[],
): BudgetAction[] {
  // Caps first: a cap raised in the same proposal applies to its grants.
  const capActions = caps.map((c) => ({
    target: ledgerAddress,
    value: 0n,
    data: encodeSetIssuerCap(c.issuer as Address, c.cap, c.epochLength).data,
    contract: "CreditLedger",
    function: "setIssuerCap(address,uint64,uint32)",
    args: { issuer: c.issuer, capPerEpoch: c.cap.toString(), epochLength: c.epochLength.toString() },
    summary: `set the issuance cap of ${c.issuer} to ${formatCreditAmount(c.cap)} credits per ${formatDuration(c.epochLength)}`,
  }));
  const grantActions = grants.map((g) => ({
    target: ledgerAddress,
    value: 0n,
    data: encodeGrant(g.account as Address, g.amount, g.expiresAt).data,
    contract: "CreditLedger",
    function: "grant(address,uint256,uint64)",
    args: { account: g.account, amount: g.amount.toString(), expiresAt: g.expiresAt.toString() },
    summary: `grant ${formatCreditAmount(g.amount)} credits to ${g.account} until ${formatTime(g.expiresAt)}`,
  }));
  return [...capActions, ...grantActions];
}

// ------------------------------------------------------------------------------------------ policies of the executor

/** The keys of a `--policy` entry and the policy:create flag each stands for. */
const POLICY_KEYS: Readonly<Record<string, keyof PolicyTermFlags | "epoch">> = {
  "per-user": "perUser",
  "ops-per-user": "opsPerUser",
  "per-epoch": "perEpoch",
  "per-op": "perOp",
  start: "start",
  end: "end",
  signer: "signer",
  epoch: "epoch",
  unlimited: "unlimited",
};
const POLICY_FORM =
  `expected key=value pairs separated by commas (keys: ${Object.keys(POLICY_KEYS).join(", ")}; values as ` +
  'policy:create takes them), policies separated by ";", such as per-user=5,ops-per-user=20,epoch=1d';

/** A policy the proposal creates for its executor. */
interface PolicySpec {
  entry: string;
  terms: PolicyTerms;
  epochLength: bigint;
}

/** Parses `--policy`: `;`-separated policies of `key=value` pairs, each validated as policy:create validates. */
export function parsePolicySpecs(value: string, now: bigint): PolicySpec[] {
  const list = value
    .split(";")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (list.length === 0) throw taskError(`Invalid --policy "${value}": ${POLICY_FORM}`);
  return list.map((entry) => {
    const flags: Record<string, string | boolean> = {};
    for (const pair of entry.split(",").map((p) => p.trim())) {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq).trim();
      const name = POLICY_KEYS[key];
      if (name === undefined || (eq < 0 && key !== "unlimited")) {
        throw taskError(
          `Invalid --policy entry "${entry}": "${pair}" is not a known key=value (${POLICY_FORM})`,
        );
      }
      const given = eq < 0 ? undefined : pair.slice(eq + 1).trim();
      if (name === "unlimited" && given !== undefined && given !== "true" && given !== "false") {
        throw taskError(
          `Invalid --policy entry "${entry}": unlimited is "${given}", expected "unlimited", "unlimited=true" or ` +
            '"unlimited=false"',
        );
      }
      flags[name] = name === "unlimited" ? given === undefined || given === "true" : given!;
    }
    try {
      return { entry, ...newPolicyTerms(flags, now) };
    } catch (e) {
      throw taskError(`${(e as Error).message} (in --policy entry "${entry}")`);
    }
  });
}

/** A status change of one of the executor's policies. */
interface PolicyStatusSpec {
  policyId: bigint;
  command: "pause" | "resume" | "close";
}

const STATUS_TARGET = { pause: "Paused", resume: "Active", close: "Closed" } as const;

/** Parses `--policy-status`: `<id>:<pause|resume|close>` entries separated by commas. */
export function parsePolicyStatusSpecs(value: string): PolicyStatusSpec[] {
  const form = 'expected <policy id>:<pause|resume|close>, comma-separated, such as "1:pause,2:close"';
  const list = value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (list.length === 0) throw taskError(`Invalid --policy-status "${value}": ${form}`);
  return list.map((entry) => {
    const match = /^(\d+)\s*:\s*(pause|resume|close)$/.exec(entry);
    if (match === null || BigInt(match[1]) === 0n || BigInt(match[1]) >= 2n ** 64n) {
      throw taskError(`Invalid --policy-status "${entry}": ${form}`);
    }
    return { policyId: BigInt(match[1]), command: match[2] as PolicyStatusSpec["command"] };
  });
}

/**
 * Checks the executor's policy actions: each new policy is still open when the proposal can execute, and each
 * status change applies to a policy of the executor in a status that allows it. Returns the id of each new policy
 * (the executor's next ids, if no other policy of it is created first).
 */
async function checkPolicyActions(
  ledger: LedgerRef,
  executor: string,
  policies: readonly PolicySpec[],
  statuses: readonly PolicyStatusSpec[],
  earliestExecution: bigint,
): Promise<bigint[]> {
  const sponsor = executor as Address;
  const count = await readContract(ledger.client, {
    ...ledger.contract,
    functionName: "policyCount",
    args: [sponsor],
  });
  for (const p of policies) {
    if (BigInt(p.terms.end) <= earliestExecution) {
      throw taskError(
        `The policy "${p.entry}" ends at ${formatTime(BigInt(p.terms.end))}, before the proposal can execute ` +
          `(${formatTime(earliestExecution)} at the earliest, after the timelock delay): choose a later end`,
      );
    }
  }
  const ids = policies.map((_, i) => count + 1n + BigInt(i));
  const status = new Map<bigint, string>(ids.map((id) => [id, "Active"]));
  for (const s of statuses) {
    let current = status.get(s.policyId);
    if (current === undefined) {
      if (s.policyId > count) {
        throw taskError(
          `The executor ${executor} has no policy ${s.policyId} (it has ${count}${
            ids.length > 0 ? `, and this ` + `proposal creates ${ids.join(", ")}` : ""
          }): check --policy-status`,
        );
      }
      const view = await readContract(ledger.client, {
        ...ledger.contract,
        functionName: "policy",
        args: [sponsor, s.policyId],
      });
      current = policyStatusName(view.status);
    }
    const allowed =
      s.command === "pause"
        ? current === "Active"
        : s.command === "resume"
          ? current === "Paused"
          : current !== "Closed";
    if (!allowed) {
      throw taskError(
        `Policy ${s.policyId} of the executor ${executor} is ${current}: it cannot ${s.command} ` +
          "(setPolicyStatus would revert)",
      );
    }
    status.set(s.policyId, STATUS_TARGET[s.command]);
  }
  return ids;
}

function policyActions(
  ledgerAddress: string,
  executor: string | undefined,
  policies: readonly PolicySpec[],
  ids: readonly bigint[] | undefined,
  statuses: readonly PolicyStatusSpec[],
): BudgetAction[] {
  const sponsor = executor ?? "the executor";
  const creates = policies.map((p, i) => {
    const call = encodeCreatePolicy(p.terms, p.epochLength);
    return {
      target: ledgerAddress,
      value: 0n,
      data: call.data,
      contract: "CreditLedger",
      function: call.function,
      args: {
        creditsPerUser: p.terms.creditsPerUser.toString(),
        opsPerUser: p.terms.opsPerUser.toString(),
        creditsPerEpoch: p.terms.creditsPerEpoch.toString(),
        creditsPerOp: p.terms.creditsPerOp.toString(),
        start: p.terms.start.toString(),
        end: p.terms.end.toString(),
        signer: p.terms.signer,
        epochLength: p.epochLength.toString(),
      },
      summary:
        `create policy ${ids === undefined ? "" : `${ids[i]} `}of ${sponsor} (its sponsor): ` +
        describeTerms(p.terms, p.epochLength),
    };
  });
  const changes = statuses.map((s) => {
    const call = encodeSetPolicyStatus(s.policyId, STATUS_TARGET[s.command]);
    return {
      target: ledgerAddress,
      value: 0n,
      data: call.data,
      contract: "CreditLedger",
      function: call.function,
      args: { policyId: s.policyId.toString(), status: STATUS_TARGET[s.command] },
      summary: `${s.command} policy ${s.policyId} of ${sponsor}`,
    };
  });
  return [...creates, ...changes];
}

export async function proposeBudget(
  hre: HardhatRuntimeEnvironment,
  args: ProposeBudgetArgs,
  log: Log = print,
): Promise<ProposeBudgetResult> {
  const now = await chainTime(hre);
  const grants = [
    ...(args.grant === undefined ? [] : parseGrantSpecs(args.grant, now)),
    ...(args.grantsFile === undefined ? [] : parseGrantsFile(args.grantsFile, now)),
  ];
  const caps = args.issuerCap === undefined ? [] : parseIssuerCapSpecs(args.issuerCap);
  const policies = args.policy === undefined ? [] : parsePolicySpecs(args.policy, now);
  const policyStatuses = args.policyStatus === undefined ? [] : parsePolicyStatusSpecs(args.policyStatus);
  const proposer = args.proposer === undefined ? undefined : parseAddress("proposer", args.proposer);
  const safe = args.safe === undefined ? undefined : parseAddress("safe", args.safe);
  const hasConfig = SETTINGS.some((s) => args[s.key] !== undefined);
  if (
    grants.length === 0 &&
    caps.length === 0 &&
    policies.length === 0 &&
    policyStatuses.length === 0 &&
    !hasConfig
  ) {
    throw taskError(
      "Nothing to propose: pass --grant, --grants-file, --issuer-cap, --policy, --policy-status, or a paymaster " +
        "setting (" +
        SETTINGS.map((s) => `--${s.flag}`).join(", ") +
        ")",
    );
  }
  if (args.submit && safe !== undefined) {
    throw taskError(
      "--submit proposes to the Governor, whose timelock executes; --safe names another executor",
    );
  }

  const chainId = await getChainId(hre);
  const signer = await resolveAccount(hre, args.from);
  const client = viemPublicClient(hre);
  const governor = await optionalGovernorAddress(hre, args);
  const gov =
    governor === undefined ? undefined : ({ address: governor.address, abi: creditsGovernorAbi } as const);
  if (args.submit && governor === undefined) {
    throw taskError(
      "--submit needs a Governor: pass --governor 0x…, or deploy the DAO variant first (`npm run deploy`)",
    );
  }
  // The executor: the Safe when given, else the Governor's timelock (or --timelock / the deployment's).
  let timelockAddress: string | undefined;
  let timelockDelay = 0n;
  if (safe === undefined) {
    timelockAddress =
      gov !== undefined
        ? await readContract(client, { ...gov, functionName: "timelock" })
        : (await optionalTimelockAddress(hre, args))?.address;
  }
  if (timelockAddress !== undefined) {
    timelockDelay = await readContract(client, {
      address: timelockAddress as Address,
      abi: timelockControllerAbi,
      functionName: "getMinDelay",
    });
  }
  const executor = safe ?? timelockAddress;
  if (executor === undefined) {
    log(
      "Note: no executor known (pass --governor, --timelock or --safe): role, cap and ownership checks are skipped.",
    );
  }

  const actions: BudgetAction[] = [];
  const notes: string[] = [];
  if (grants.length > 0 || caps.length > 0) {
    const { address: ledgerAddress } = await checkedLedger(hre, args);
    const ledger: LedgerRef = { client, contract: { address: ledgerAddress, abi: creditLedgerAbi } };
    if (executor !== undefined) {
      await checkLedgerActions(ledger, ledgerAddress, executor, grants, caps, now, now + timelockDelay);
    }
    actions.push(...ledgerActions(ledgerAddress, caps, grants));
  }
  let policyIds: bigint[] | undefined;
  if (policies.length > 0 || policyStatuses.length > 0) {
    const { address: ledgerAddress } = await checkedLedger(hre, args);
    const ledger: LedgerRef = { client, contract: { address: ledgerAddress, abi: creditLedgerAbi } };
    if (executor !== undefined) {
      policyIds = await checkPolicyActions(ledger, executor, policies, policyStatuses, now + timelockDelay);
    }
    actions.push(...policyActions(ledgerAddress, executor, policies, policyIds, policyStatuses));
    if (executor !== undefined && policies.length > 0) {
      const spendable = await readContract(client, {
        ...ledger.contract,
        functionName: "spendableCredits",
        args: [executor as Address],
      });
      const granted = grants.filter((g) => g.account === executor).reduce((sum, g) => sum + g.amount, 0n);
      notes.push(
        spendable + granted === 0n
          ? `Note: the executor ${executor} sponsors the new ${policies.length === 1 ? "policy" : "policies"} but ` +
              `has no credits and this proposal grants it none: add --grant ${executor}:<credits>:<expiry>`
          : `The executor ${executor} sponsors the new ${policies.length === 1 ? "policy" : "policies"} with its ` +
              `credits (${formatCreditAmount(spendable)} spendable now, ${formatCreditAmount(granted)} granted by ` +
              `this proposal). Wallets pass { "sponsor": "${executor}", "policyId": <id> }; the ids assume no ` +
              "other policy of the executor is created before execution.",
      );
    }
  }
  const configAction = await paymasterAction(hre, args, executor);
  if (configAction !== undefined) actions.push(configAction);

  const title = "Compute credits budget";
  const description =
    args.description ?? `# ${title}\n\n${actions.map((a) => `- ${a.summary}`).join("\n")}\n`;
  const proposal = buildProposalFile({
    chainId,
    governor: governor?.address,
    executor,
    proposer,
    description,
    actions,
  });
  if (gov !== undefined) {
    const onChainId = await readContract(client, {
      ...gov,
      functionName: "getProposalId",
      args: [
        proposal.targets as Address[],
        proposal.values.map(BigInt),
        proposal.calldatas as Hex[],
        proposal.descriptionHash as Hex,
      ],
    });
    proposal.proposalId = onChainId.toString();
  }
  const safeBatch = buildSafeBatchFile({
    chainId,
    safe,
    name: title,
    description,
    actions,
    createdAt: Date.now(),
  });

  const outDir = path.resolve(args.out);
  mkdirSync(outDir, { recursive: true });
  const files = {
    proposal: path.join(outDir, "proposal.json"),
    safeBatch: path.join(outDir, "safe-batch.json"),
  };
  writeFileSync(files.proposal, `${toJson(proposal, 2)}\n`);
  writeFileSync(files.safeBatch, `${toJson(safeBatch, 2)}\n`);

  log(
    `Budget of ${actions.length} call${actions.length === 1 ? "" : "s"}${executor === undefined ? "" : `, executed by ${executor}`}:`,
  );
  for (const a of actions) log(`  - ${a.summary}`);
  log(`Wrote ${files.proposal} (Governor.propose arguments; proposal id ${proposal.proposalId})`);
  log(`Wrote ${files.safeBatch} (Safe Transaction Builder batch)`);
  for (const note of notes) log(note);

  const result: ProposeBudgetResult = { proposal, safeBatch, files };
  if (!args.submit || governor === undefined || gov === undefined) return result;

  if (proposer !== undefined && proposer !== signer.address) {
    throw taskError(
      `--proposer ${proposer} is not the signer ${signer.address}: the Governor only accepts a description ending ` +
        `in #proposer=<address> from that address`,
    );
  }
  const [clock, threshold] = await Promise.all([
    readContract(client, { ...gov, functionName: "clock" }),
    readContract(client, { ...gov, functionName: "proposalThreshold" }),
  ]);
  const votes = await readContract(client, {
    ...gov,
    functionName: "getVotes",
    args: [signer.address, BigInt(clock) - 1n],
  });
  if (votes < threshold) {
    throw taskError(
      `${signer.address} has ${formatUnits(votes, 18)} votes, below the proposal threshold of ` +
        `${formatUnits(threshold, 18)}: delegate votes to it first (delegate on the votes token)`,
    );
  }
  const proposalId = BigInt(proposal.proposalId);
  const exists = await readContract(client, { ...gov, functionName: "proposalSnapshot", args: [proposalId] });
  if (exists !== 0n) {
    const state =
      PROPOSAL_STATES[
        Number(await readContract(client, { ...gov, functionName: "state", args: [proposalId] }))
      ];
    throw taskError(
      `Proposal ${proposalId} already exists (${state}): change the description to propose it again`,
    );
  }
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const receipt = await sendClientTx(
    hre,
    log,
    `Proposing to Governor ${governor.address}`,
    publicClient,
    () =>
      propose(wallet, {
        governor: governor.address,
        targets: proposal.targets as Address[],
        values: proposal.values.map(BigInt),
        calldatas: proposal.calldatas as Hex[],
        description: proposal.description,
      }),
  );
  const [voteStart, voteEnd] = await explained(hre, "Reading the proposal", () =>
    Promise.all([
      readContract(client, { ...gov, functionName: "proposalSnapshot", args: [proposalId] }),
      readContract(client, { ...gov, functionName: "proposalDeadline", args: [proposalId] }),
    ]),
  );
  const mode = await readContract(client, { ...gov, functionName: "CLOCK_MODE" });
  const unit = mode.includes("timestamp") ? "time" : "block";
  log(
    `Proposed ${proposalId}: voting from ${unit} ${voteStart} to ${unit} ${voteEnd}; then queue with the ` +
      `descriptionHash ${proposal.descriptionHash}.`,
  );
  result.submitted = {
    proposalId,
    voteStart,
    voteEnd,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
  return result;
}

let definition = task(
  "governance:propose-budget",
  "Builds a credits budget (grants, issuer caps, paymaster caps and markup) as a Governor proposal and a Safe batch",
)
  .addOptionalParam(
    "grant",
    "Grants, comma-separated <address>:<credits>:<expiry> (expiry: ISO date, unix seconds, +30d or never)",
  )
  .addOptionalParam(
    "grantsFile",
    'JSON file of grants: [{ "account": "0x…", "amount": "100", "expiry": "+30d" }]',
  )
  .addOptionalParam(
    "issuerCap",
    "Issuer caps, comma-separated <issuer>:<credits per epoch>:<epoch> (epoch: 30d)",
  )
  .addOptionalParam(
    "policy",
    "Policies the executor creates and sponsors, ';'-separated; each key=value pairs as policy:create's flags " +
      "(per-user, ops-per-user, per-epoch, per-op, start, end, signer, epoch, unlimited)",
  )
  .addOptionalParam(
    "policyStatus",
    "Status changes of the executor's policies: <id>:<pause|resume|close>, comma-separated",
  )
  .addOptionalParam("description", "Proposal description (default: a list of the actions)")
  .addOptionalParam("proposer", "Restrict the proposal to this proposer (appends #proposer=<address>)")
  .addOptionalParam(
    "safe",
    "Safe that executes the batch (meta.createdFromSafeAddress; checks use it as executor)",
  )
  .addParam("out", "Directory to write proposal.json and safe-batch.json to")
  .addFlag("submit", "Also call Governor.propose from the signer");
for (const s of SETTINGS) {
  const form =
    s.kind === "credits"
      ? FORMS.credits
      : s.kind === "seconds"
        ? FORMS.duration
        : s.kind === "wei"
          ? 'wei or "<n>gwei"'
          : s.kind === "bps"
            ? "basis points, 10000 = 1×"
            : "gas";
  definition = definition.addOptionalParam(s.key, `New paymaster ${s.key} (${form})`);
}
withFrom(withAddressFlags(definition, ["ledger", "paymaster", "governor", "timelock"])).setAction(
  (args: ProposeBudgetArgs, hre) => proposeBudget(hre, args),
);
