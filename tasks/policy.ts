/**
 * Operator commands for sponsors' policies (ISponsorPolicies on the ledger): create, update, pause, resume, close,
 * rotate the approval signer, show one policy (terms, status, this epoch's usage, a user's usage) and list a
 * sponsor's policies. The sponsor is the signer of the writes (`--from`): the ledger keys policies by `msg.sender`.
 * Flags are validated with zod (every bad flag reported at once) before anything is read or sent.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { zeroAddress } from "viem";
import type { Address, PublicClient } from "viem";
import { getCode, readContract } from "viem/actions";
import { z } from "zod";

import { creditLedgerAbi, ledgerEvents } from "../src/client";
import {
  formatCreditAmount,
  formatCredits,
  formatDuration,
  formatTime,
  NEVER,
  toJson,
} from "../src/client/format";
import {
  createPolicy,
  policyEpochBounds,
  policyEpochOf,
  policyStatusName,
  policyUsedAt,
  setPolicyStatus,
  updatePolicy,
  userUsageAt,
} from "../src/client/policies";
import type { PolicyStatusName, PolicyTerms, PolicyView } from "../src/client/policies";
import {
  FORMS,
  UINT32_MAX,
  UINT64_MAX,
  parseAddress,
  parseCredits,
  parseDuration,
  parseExpiry,
  parseInteger,
  parseTime,
} from "./lib/args";
import {
  chainId,
  chainTime,
  print,
  printTable,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import { ledgerAddress as checkedLedger } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import { taskError } from "./lib/errors";
import { withAddressFlags, withFrom } from "./lib/flags";

// ------------------------------------------------------------------------------------------ flag validation

/** The accepted forms of the policy flags. */
export const POLICY_FORMS = {
  credits: `"none" or ${FORMS.credits}`,
  ops: '"none" or a whole number of operations, such as "20"',
  signer: '"none" (an open policy) or the approval signer\'s address (an EOA or an ERC-1271 contract)',
  start: `"now", ${FORMS.expiry.replace(/ or "never"$/, "")}`,
  id: "the policy's id: a whole number from 1 (see policy:list)",
} as const;

const isNone = (v: string) => /^\s*none\s*$/i.test(v);

/** A zod string flag whose value `parse` turns into `T`; `parse`'s error message becomes the zod issue. */
function flag<T>(parse: (value: string) => T) {
  return z
    .string()
    .optional()
    .transform((value, ctx): T | undefined => {
      if (value === undefined) return undefined;
      try {
        return parse(value);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        return z.NEVER;
      }
    });
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Validates `args` with `schema`; every invalid flag is reported at once, one line each. */
export function validateFlags<S extends z.ZodTypeAny>(schema: S, args: unknown): z.output<S> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data as z.output<S>;
  const lines = parsed.error.issues.map((issue) =>
    issue.code === z.ZodIssueCode.custom
      ? issue.message
      : `Invalid --${kebab(String(issue.path[0] ?? "?"))}: ${issue.message}`,
  );
  throw taskError(lines.join("\n"));
}

const creditsLimit = (name: string) =>
  flag((v) => (isNone(v) ? 0n : parseCredits(name, v, { max: UINT64_MAX })));
const opsLimit = (name: string) =>
  flag((v) => (isNone(v) ? 0 : Number(parseInteger(name, v, 1n, UINT32_MAX))));
const signerFlag = () =>
  flag((v) => (isNone(v) ? (zeroAddress as Address) : (parseAddress("signer", v) as Address)));
const idFlag = () => flag((v) => parseInteger("id", v, 1n, UINT64_MAX));

/** The flags that set a policy's terms (all optional: `policy:create` has defaults, `policy:update` keeps). */
function termsSchema(now: bigint) {
  return z.object({
    perUser: creditsLimit("per-user"),
    opsPerUser: opsLimit("ops-per-user"),
    perEpoch: creditsLimit("per-epoch"),
    perOp: creditsLimit("per-op"),
    start: flag((v) => Number(parseTime("start", v, now))),
    end: flag((v) => Number(isNone(v) ? NEVER : parseExpiry("end", v, now))),
    signer: signerFlag(),
  });
}

// ------------------------------------------------------------------------------------------ shared reading

/** The flags every policy command takes. */
export interface PolicyTermFlags {
  perUser?: string;
  opsPerUser?: string;
  perEpoch?: string;
  perOp?: string;
  start?: string;
  end?: string;
  signer?: string;
  /** Accept an open policy with no limit at all (any sender may spend all the sponsor's credits). */
  unlimited?: boolean;
}

interface Ledger {
  address: Address;
  client: PublicClient;
}

const ledgerContract = (ledger: Ledger) => ({ address: ledger.address, abi: creditLedgerAbi }) as const;

/** The sponsor's policy `id`; fails clearly when the sponsor has no such policy. */
async function readPolicy(ledger: Ledger, sponsor: Address, id: bigint): Promise<PolicyView> {
  const count = await readContract(ledger.client, {
    ...ledgerContract(ledger),
    functionName: "policyCount",
    args: [sponsor],
  });
  if (id > count) {
    throw taskError(
      count === 0n
        ? `Sponsor ${sponsor} has no policies on CreditLedger ${ledger.address}: create one with policy:create ` +
            `(--from the sponsor)`
        : `Sponsor ${sponsor} has no policy ${id}: its policies are ${count === 1n ? "1" : `1 to ${count}`} ` +
            `(see policy:list --sponsor ${sponsor})`,
    );
  }
  return readContract(ledger.client, {
    ...ledgerContract(ledger),
    functionName: "policy",
    args: [sponsor, id],
  });
}

const limitText = (credits: bigint) => (credits === 0n ? "no limit" : formatCredits(credits));

/** One readable line of terms: "5 credits and 20 operations per user, 1000 credits in all, per 1d; …". */
export function describeTerms(terms: PolicyTerms, epochLength: bigint): string {
  const perUser: string[] = [];
  if (terms.creditsPerUser > 0n) perUser.push(formatCredits(terms.creditsPerUser));
  if (terms.opsPerUser > 0) perUser.push(`${terms.opsPerUser} operation${terms.opsPerUser === 1 ? "" : "s"}`);
  const parts = [
    `per user ${perUser.length === 0 ? "no limit" : perUser.join(" and ")}`,
    `whole policy ${limitText(terms.creditsPerEpoch)}`,
  ];
  return (
    `${parts.join(", ")} per ${formatDuration(epochLength)}; per operation ${limitText(terms.creditsPerOp)}; ` +
    `from ${formatTime(BigInt(terms.start))} until ${formatTime(BigInt(terms.end))}; ` +
    (terms.signer === zeroAddress ? "open (no approval signer)" : `approvals signed by ${terms.signer}`)
  );
}

/** Refuses an open policy without any limit unless `--unlimited` says it is meant. */
function requireSomeLimit(terms: PolicyTerms, unlimited: boolean | undefined): void {
  if (unlimited === true) return;
  const limited =
    terms.creditsPerUser > 0n ||
    terms.opsPerUser > 0 ||
    terms.creditsPerEpoch > 0n ||
    terms.creditsPerOp > 0n;
  if (!limited && terms.signer === zeroAddress) {
    throw taskError(
      "An open policy with no limit lets any sender spend all of the sponsor's credits: set --per-user, " +
        "--ops-per-user, --per-epoch or --per-op, or a --signer, or pass --unlimited if that is meant",
    );
  }
}

function requireWindow(terms: PolicyTerms): void {
  if (terms.end <= terms.start) {
    throw taskError(
      `The policy would end (--end ${formatTime(BigInt(terms.end))}) before it starts (--start ` +
        `${formatTime(BigInt(terms.start))}): choose an --end after the --start`,
    );
  }
}

/** Notes what the sponsor should know about a policy it just wrote. */
async function notes(ledger: Ledger, sponsor: Address, terms: PolicyTerms, log: Log): Promise<void> {
  const spendable = await readContract(ledger.client, {
    ...ledgerContract(ledger),
    functionName: "spendableCredits",
    args: [sponsor],
  });
  if (spendable === 0n) {
    log(
      `Note: sponsor ${sponsor} has no spendable credits yet; operations under the policy fail until it buys ` +
        "(credits:buy) or is granted credits.",
    );
  }
  if (terms.signer !== zeroAddress) {
    const code = await getCode(ledger.client, { address: terms.signer });
    log(
      `Every operation needs an EIP-712 approval signed by ${terms.signer} ` +
        `(${code === undefined || code === "0x" ? "an EOA" : "a contract: checked through ERC-1271 isValidSignature"}).`,
    );
  }
}

/** What a write command returns. */
export interface PolicyWriteResult {
  sponsor: string;
  policyId: bigint;
  terms: PolicyTerms;
  epochLength: bigint;
  status: PolicyStatusName;
  txHash: string;
  blockNumber: number;
}

// ------------------------------------------------------------------------------------------ policy:create

export interface CreateArgs extends DeploymentFlags, PolicyTermFlags {
  epoch?: string;
  from?: string;
}

/**
 * The terms and epoch length of a new policy from its flags (defaults: no limits, start now, daily epochs, never
 * ends, no signer), validated: every bad flag at once, a non-empty window, and some limit unless `unlimited`.
 */
export function newPolicyTerms(
  args: PolicyTermFlags & { epoch?: string },
  now: bigint,
): { terms: PolicyTerms; epochLength: bigint } {
  const flags = validateFlags(
    termsSchema(now).extend({ epoch: flag((v) => parseDuration("epoch", v, UINT32_MAX)) }),
    args,
  );
  const terms: PolicyTerms = {
    creditsPerUser: flags.perUser ?? 0n,
    opsPerUser: flags.opsPerUser ?? 0,
    creditsPerEpoch: flags.perEpoch ?? 0n,
    creditsPerOp: flags.perOp ?? 0n,
    start: flags.start ?? Number(now),
    end: flags.end ?? Number(NEVER),
    signer: flags.signer ?? zeroAddress,
  };
  requireWindow(terms);
  requireSomeLimit(terms, args.unlimited);
  return { terms, epochLength: flags.epoch ?? 86_400n };
}

export async function policyCreate(
  hre: HardhatRuntimeEnvironment,
  args: CreateArgs,
  log: Log = print,
): Promise<PolicyWriteResult> {
  const { terms, epochLength } = newPolicyTerms(args, await chainTime(hre));

  const signer = await resolveAccount(hre, args.from);
  const { address } = await checkedLedger(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const ledger = { address, client: publicClient };
  const receipt = await sendClientTx(hre, log, `Creating a policy of ${signer.address}`, publicClient, () =>
    createPolicy(wallet, { ledger: address, terms, epochLength }),
  );
  const event = ledgerEvents(receipt, address).find((e) => e.eventName === "PolicySet");
  const policyId = event?.eventName === "PolicySet" ? event.args.policyId : 0n;
  log(`Sponsor ${signer.address} created policy ${policyId}: ${describeTerms(terms, epochLength)}.`);
  log(
    `Wallets use it with paymaster context { "sponsor": "${signer.address}", "policyId": ${policyId} } ` +
      `(POLICY mode).`,
  );
  await notes(ledger, signer.address, terms, log);
  return {
    sponsor: signer.address,
    policyId,
    terms,
    epochLength,
    status: "Active",
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

/** Adds the term flags (defaults only for `policy:create`). */
function withTermFlags(definition: ReturnType<typeof task>, create: boolean) {
  const dflt = (text: string) => (create ? ` (default: ${text})` : " (default: unchanged)");
  return definition
    .addOptionalParam(
      "perUser",
      `Credits each user may spend per epoch: ${POLICY_FORMS.credits}${dflt("none")}`,
    )
    .addOptionalParam(
      "opsPerUser",
      `Operations each user may make per epoch: ${POLICY_FORMS.ops}${dflt("none")}`,
    )
    .addOptionalParam(
      "perEpoch",
      `Credits the whole policy may spend per epoch: ${POLICY_FORMS.credits}${dflt("none")}`,
    )
    .addOptionalParam(
      "perOp",
      `Most credits one operation may hold (its worst case): ${POLICY_FORMS.credits}${dflt("none")}`,
    )
    .addOptionalParam("start", `When the policy starts: ${POLICY_FORMS.start}${dflt("now")}`)
    .addOptionalParam("end", `When it ends (exclusive): ${FORMS.expiry}${dflt("never")}`)
    .addOptionalParam("signer", `Approval signer: ${POLICY_FORMS.signer}${dflt("none")}`)
    .addFlag(
      "unlimited",
      "Allow an open policy with no limit at all (any sender may spend all your credits)",
    );
}

withFrom(
  withAddressFlags(
    withTermFlags(
      task(
        "policy:create",
        "Creates a policy of the signer (the sponsor): any sender may use it within its limits",
      ),
      true,
    ).addOptionalParam(
      "epoch",
      `Epoch length of the limits: ${FORMS.duration} (default: 1d; fixed for good)`,
    ),
    ["ledger"],
  ),
).setAction((args: CreateArgs, hre) => policyCreate(hre, args));

// ------------------------------------------------------------------------------------------ policy:update

export interface UpdateArgs extends DeploymentFlags, PolicyTermFlags {
  id: string;
  from?: string;
}

const TERM_LABELS: readonly [keyof PolicyTerms, string][] = [
  ["creditsPerUser", "credits per user"],
  ["opsPerUser", "operations per user"],
  ["creditsPerEpoch", "credits per epoch"],
  ["creditsPerOp", "credits per operation"],
  ["start", "start"],
  ["end", "end"],
  ["signer", "signer"],
];

function termValue(key: keyof PolicyTerms, value: bigint | number | string): string {
  if (key === "signer") return value === zeroAddress ? "none" : String(value);
  if (key === "start" || key === "end") return formatTime(BigInt(value));
  if (key === "opsPerUser") return value === 0 ? "none" : String(value);
  return value === 0n ? "none" : formatCreditAmount(value as bigint);
}

/** Writes `next` over the sponsor's policy `id` (an update: spending and epochs are kept). */
async function writeTerms(
  hre: HardhatRuntimeEnvironment,
  args: DeploymentFlags & { from?: string; unlimited?: boolean },
  id: bigint,
  change: (current: PolicyTerms) => PolicyTerms,
  label: string,
  log: Log,
): Promise<{ result: PolicyWriteResult; before: PolicyTerms; changes: string[] }> {
  const signer = await resolveAccount(hre, args.from);
  const { address } = await checkedLedger(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const ledger = { address, client: publicClient };
  const current = await readPolicy(ledger, signer.address, id);
  const status = policyStatusName(current.status);
  if (status === "Closed") {
    throw taskError(`Policy ${id} of ${signer.address} is closed for good: create a new one (policy:create)`);
  }
  const before = { ...current.terms };
  const next = change(before);
  const changes = TERM_LABELS.filter(([key]) => next[key] !== before[key]).map(
    ([key, name]) => `${name} ${termValue(key, before[key])} → ${termValue(key, next[key])}`,
  );
  if (changes.length === 0) {
    throw taskError(`Policy ${id} of ${signer.address} already has these terms: nothing to change`);
  }
  requireWindow(next);
  requireSomeLimit(next, args.unlimited);
  const receipt = await sendClientTx(
    hre,
    log,
    `${label} policy ${id} of ${signer.address}`,
    publicClient,
    () => updatePolicy(wallet, { ledger: address, policyId: id, terms: next }),
  );
  return {
    before,
    changes,
    result: {
      sponsor: signer.address,
      policyId: id,
      terms: next,
      epochLength: BigInt(current.epochLength),
      status,
      txHash: receipt.transactionHash,
      blockNumber: Number(receipt.blockNumber),
    },
  };
}

export async function policyUpdate(
  hre: HardhatRuntimeEnvironment,
  args: UpdateArgs,
  log: Log = print,
): Promise<PolicyWriteResult> {
  const now = await chainTime(hre);
  const flags = validateFlags(termsSchema(now).extend({ id: idFlag() }), args);
  const id = flags.id as bigint;
  const given = [
    flags.perUser,
    flags.opsPerUser,
    flags.perEpoch,
    flags.perOp,
    flags.start,
    flags.end,
    flags.signer,
  ];
  if (given.every((v) => v === undefined)) {
    throw taskError(
      "Nothing to update: pass one or more of --per-user, --ops-per-user, --per-epoch, --per-op, --start, --end, " +
        "--signer (the others keep their values; the epoch length is fixed at creation)",
    );
  }
  const { result, changes } = await writeTerms(
    hre,
    args,
    id,
    (t) => ({
      creditsPerUser: flags.perUser ?? t.creditsPerUser,
      opsPerUser: flags.opsPerUser ?? t.opsPerUser,
      creditsPerEpoch: flags.perEpoch ?? t.creditsPerEpoch,
      creditsPerOp: flags.perOp ?? t.creditsPerOp,
      start: flags.start ?? t.start,
      end: flags.end ?? t.end,
      signer: flags.signer ?? t.signer,
    }),
    "Updating",
    log,
  );
  log(
    `Sponsor ${result.sponsor} updated policy ${id}: ${changes.join(", ")}. Spending so far this epoch is kept.`,
  );
  return result;
}

withFrom(
  withAddressFlags(
    withTermFlags(
      task(
        "policy:update",
        "Changes the terms of one of the signer's policies (spending and epochs are kept)",
      ),
      false,
    ).addParam("id", `Policy to update: ${POLICY_FORMS.id}`),
    ["ledger"],
  ),
).setAction((args: UpdateArgs, hre) => policyUpdate(hre, args));

// ------------------------------------------------------------------------------------------ policy:rotate-signer

export interface RotateArgs extends DeploymentFlags {
  id: string;
  signer: string;
  unlimited?: boolean;
  from?: string;
}

export async function policyRotateSigner(
  hre: HardhatRuntimeEnvironment,
  args: RotateArgs,
  log: Log = print,
): Promise<PolicyWriteResult> {
  const flags = validateFlags(z.object({ id: idFlag(), signer: signerFlag() }), args);
  const id = flags.id as bigint;
  const newSigner = flags.signer as Address;
  const { result, before } = await writeTerms(
    hre,
    args,
    id,
    (t) => ({ ...t, signer: newSigner }),
    "Rotating the signer of",
    log,
  ).catch((err: Error) => {
    if (err.message.endsWith("nothing to change")) {
      throw taskError(
        `Policy ${id} already has ${newSigner === zeroAddress ? "no signer" : `the signer ${newSigner}`}: ` +
          "nothing to rotate",
      );
    }
    throw err;
  });
  const old = before.signer === zeroAddress ? "none" : before.signer;
  log(
    newSigner === zeroAddress
      ? `Policy ${id} of ${result.sponsor} is now open: no approval is needed (was ${old}).`
      : `Policy ${id} of ${result.sponsor} now needs approvals signed by ${newSigner} (was ${old}). Approvals of the ` +
          "old signer are refused from this block on, also for operations already signed.",
  );
  return result;
}

withFrom(
  withAddressFlags(
    task(
      "policy:rotate-signer",
      "Replaces the approval signer of one of the signer's policies (nothing else)",
    )
      .addParam("id", `Policy: ${POLICY_FORMS.id}`)
      .addParam("signer", `The new approval signer: ${POLICY_FORMS.signer}`)
      .addFlag("unlimited", "Allow the policy to become open with no limit at all"),
    ["ledger"],
  ),
).setAction((args: RotateArgs, hre) => policyRotateSigner(hre, args));

// ------------------------------------------------------------------------------------------ pause/resume/close

export interface StatusArgs extends DeploymentFlags {
  id: string;
  from?: string;
}

/** `from` → `to` transitions each status command allows, and its wording. */
const STATUS_COMMANDS = {
  pause: {
    to: "Paused",
    from: ["Active"],
    done: "paused: no new operation is sponsored until policy:resume",
  },
  resume: { to: "Active", from: ["Paused"], done: "active again" },
  close: { to: "Closed", from: ["Active", "Paused"], done: "closed for good" },
} as const satisfies Record<
  string,
  { to: PolicyStatusName; from: readonly PolicyStatusName[]; done: string }
>;

export async function policySetStatus(
  hre: HardhatRuntimeEnvironment,
  command: keyof typeof STATUS_COMMANDS,
  args: StatusArgs,
  log: Log = print,
): Promise<PolicyWriteResult> {
  const flags = validateFlags(z.object({ id: idFlag() }), args);
  const id = flags.id as bigint;
  const rule = STATUS_COMMANDS[command];
  const signer = await resolveAccount(hre, args.from);
  const { address } = await checkedLedger(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const current = await readPolicy({ address, client: publicClient }, signer.address, id);
  const status = policyStatusName(current.status);
  if (!(rule.from as readonly PolicyStatusName[]).includes(status)) {
    const fix =
      status === "Closed"
        ? "closed for good: create a new one (policy:create)"
        : status === "Paused"
          ? "already paused (policy:resume resumes it)"
          : "already active (policy:pause pauses it)";
    throw taskError(`Policy ${id} of ${signer.address} is ${fix}`);
  }
  const receipt = await sendClientTx(
    hre,
    log,
    `Setting policy ${id} of ${signer.address} to ${rule.to}`,
    publicClient,
    () => setPolicyStatus(wallet, { ledger: address, policyId: id, status: rule.to }),
  );
  log(`Policy ${id} of ${signer.address} is ${rule.done}.`);
  return {
    sponsor: signer.address,
    policyId: id,
    terms: current.terms,
    epochLength: BigInt(current.epochLength),
    status: rule.to,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

for (const [command, text] of [
  ["pause", "Pauses one of the signer's policies (resumable; operations already in a bundle still settle)"],
  ["resume", "Resumes one of the signer's paused policies"],
  ["close", "Closes one of the signer's policies for good"],
] as const) {
  withFrom(
    withAddressFlags(task(`policy:${command}`, text).addParam("id", `Policy: ${POLICY_FORMS.id}`), [
      "ledger",
    ]),
  ).setAction((args: StatusArgs, hre) => policySetStatus(hre, command, args));
}

// ------------------------------------------------------------------------------------------ policy:show

export interface ShowArgs extends DeploymentFlags {
  sponsor?: string;
  id: string;
  user?: string;
  json: boolean;
}

/** What `policy:show` reports (and prints with `--json`). Credit amounts are base units (6 decimals). */
export interface PolicyReport {
  chainId: string;
  ledger: string;
  sponsor: string;
  policyId: string;
  status: PolicyStatusName;
  /** Whether an operation could be sponsored now (active and inside its window). */
  usableNow: boolean;
  terms: {
    creditsPerUser: string;
    opsPerUser: string;
    creditsPerEpoch: string;
    creditsPerOp: string;
    start: string;
    startIso: string;
    end: string;
    endIso: string;
    signer: string | null;
  };
  epochLength: string;
  epoch: { number: string; start: string; startIso: string; end: string; endIso: string };
  /** This epoch: credits the whole policy spent, and what is left (null: no policy-wide limit). */
  usedThisEpoch: string;
  remainingThisEpoch: string | null;
  sponsorSpendable: string;
  user?: {
    address: string;
    creditsThisEpoch: string;
    opsThisEpoch: string;
    creditsRemaining: string | null;
    opsRemaining: string | null;
  };
}

function usable(view: PolicyView, now: bigint): boolean {
  return (
    policyStatusName(view.status) === "Active" &&
    BigInt(view.terms.start) <= now &&
    now < BigInt(view.terms.end)
  );
}

export async function policyShow(
  hre: HardhatRuntimeEnvironment,
  args: ShowArgs,
  log: Log = print,
): Promise<PolicyReport> {
  const flags = validateFlags(
    z.object({
      id: idFlag(),
      sponsor: flag((v) => parseAddress("sponsor", v) as Address),
      user: flag((v) => parseAddress("user", v) as Address),
    }),
    args,
  );
  const id = flags.id as bigint;
  const sponsor = flags.sponsor ?? (await resolveAccount(hre)).address;
  const { address } = await checkedLedger(hre, args);
  const client = viemPublicClient(hre);
  const ledger = { address, client };
  const view = await readPolicy(ledger, sponsor, id);
  const now = await chainTime(hre);
  const epoch = policyEpochOf(view, now);
  const bounds = policyEpochBounds(view, epoch);
  const used = policyUsedAt(view, now);
  const t = view.terms;
  const spendable = await readContract(client, {
    ...ledgerContract(ledger),
    functionName: "spendableCredits",
    args: [sponsor],
  });
  const report: PolicyReport = {
    chainId: (await chainId(hre)).toString(),
    ledger: address,
    sponsor,
    policyId: id.toString(),
    status: policyStatusName(view.status),
    usableNow: usable(view, now),
    terms: {
      creditsPerUser: t.creditsPerUser.toString(),
      opsPerUser: t.opsPerUser.toString(),
      creditsPerEpoch: t.creditsPerEpoch.toString(),
      creditsPerOp: t.creditsPerOp.toString(),
      start: t.start.toString(),
      startIso: formatTime(BigInt(t.start)),
      end: t.end.toString(),
      endIso: formatTime(BigInt(t.end)),
      signer: t.signer === zeroAddress ? null : t.signer,
    },
    epochLength: view.epochLength.toString(),
    epoch: {
      number: epoch.toString(),
      start: bounds.start.toString(),
      startIso: formatTime(bounds.start),
      end: bounds.end.toString(),
      endIso: formatTime(bounds.end),
    },
    usedThisEpoch: used.toString(),
    remainingThisEpoch:
      t.creditsPerEpoch === 0n ? null : (t.creditsPerEpoch > used ? t.creditsPerEpoch - used : 0n).toString(),
    sponsorSpendable: spendable.toString(),
  };
  if (flags.user !== undefined) {
    const usage = await readContract(client, {
      ...ledgerContract(ledger),
      functionName: "policyUsage",
      args: [sponsor, id, flags.user],
    });
    const mine = userUsageAt(view, usage, now);
    const left = (limit: bigint, spent: bigint) =>
      limit === 0n ? null : (limit > spent ? limit - spent : 0n).toString();
    report.user = {
      address: flags.user,
      creditsThisEpoch: mine.credits.toString(),
      opsThisEpoch: mine.ops.toString(),
      creditsRemaining: left(t.creditsPerUser, mine.credits),
      opsRemaining: left(BigInt(t.opsPerUser), mine.ops),
    };
  }
  if (args.json) {
    log(toJson(report, 2));
    return report;
  }
  const perUser: string[] = [];
  if (t.creditsPerUser > 0n) perUser.push(formatCredits(t.creditsPerUser));
  if (t.opsPerUser > 0) perUser.push(`${t.opsPerUser} operations`);
  const statusText =
    report.status === "Active" && !report.usableNow
      ? `Active, outside its window (${now < BigInt(t.start) ? "not started" : "ended"})`
      : report.status;
  const rows: [string, string][] = [
    ["status", statusText],
    [
      "signer",
      t.signer === zeroAddress
        ? "none (open: any sender, no approval)"
        : `${t.signer} (approves every operation)`,
    ],
    ["window", `${formatTime(BigInt(t.start))} until ${formatTime(BigInt(t.end))}`],
    [
      "epoch",
      `${formatDuration(BigInt(view.epochLength))}; now epoch ${epoch}, ${formatTime(bounds.start)} to ${formatTime(bounds.end)}`,
    ],
    ["per user", perUser.length === 0 ? "no limit" : `${perUser.join(" and ")} per epoch`],
    ["per operation", limitText(t.creditsPerOp)],
    [
      "whole policy",
      t.creditsPerEpoch === 0n
        ? `no limit; ${formatCredits(used)} spent this epoch`
        : `${formatCredits(t.creditsPerEpoch)} per epoch; ${formatCredits(used)} spent this epoch, ` +
          `${formatCredits(BigInt(report.remainingThisEpoch as string))} left`,
    ],
    ["sponsor's credits", `${formatCredits(spendable)} spendable`],
  ];
  if (report.user !== undefined) {
    const u = report.user;
    const left: string[] = [];
    if (u.creditsRemaining !== null) left.push(formatCredits(BigInt(u.creditsRemaining)));
    const ops = (n: string) => `${n} operation${n === "1" ? "" : "s"}`;
    if (u.opsRemaining !== null) left.push(ops(u.opsRemaining));
    rows.push([
      "user",
      `${u.address}: ${formatCredits(BigInt(u.creditsThisEpoch))} and ${ops(u.opsThisEpoch)} this epoch` +
        (left.length === 0 ? "" : `; ${left.join(" and ")} left`),
    ]);
  }
  printTable(
    log,
    `Policy ${id} of sponsor ${sponsor} on CreditLedger ${address} (chain ${report.chainId})`,
    rows,
  );
  return report;
}

withAddressFlags(
  task("policy:show", "Shows a policy: terms, status, this epoch's spending and, with --user, a user's usage")
    .addParam("id", `Policy: ${POLICY_FORMS.id}`)
    .addOptionalParam("sponsor", "Whose policy (default: the first account)")
    .addOptionalParam("user", "Also show this sender's usage of the policy this epoch")
    .addFlag("json", "Print JSON (credit amounts in base units, 6 decimals)"),
  ["ledger"],
).setAction((args: ShowArgs, hre) => policyShow(hre, args));

// ------------------------------------------------------------------------------------------ policy:list

export interface ListArgs extends DeploymentFlags {
  sponsor?: string;
  json: boolean;
}

/** One line of `policy:list`. */
export interface PolicyListEntry {
  policyId: string;
  status: PolicyStatusName;
  usableNow: boolean;
  signer: string | null;
  epochLength: string;
  usedThisEpoch: string;
  summary: string;
}

export async function policyList(
  hre: HardhatRuntimeEnvironment,
  args: ListArgs,
  log: Log = print,
): Promise<PolicyListEntry[]> {
  const flags = validateFlags(
    z.object({ sponsor: flag((v) => parseAddress("sponsor", v) as Address) }),
    args,
  );
  const sponsor = flags.sponsor ?? (await resolveAccount(hre)).address;
  const { address } = await checkedLedger(hre, args);
  const client = viemPublicClient(hre);
  const contract = { address, abi: creditLedgerAbi } as const;
  const [count, now] = await Promise.all([
    readContract(client, { ...contract, functionName: "policyCount", args: [sponsor] }),
    chainTime(hre),
  ]);
  const entries: PolicyListEntry[] = [];
  for (let id = 1n; id <= count; id++) {
    const view = await readContract(client, { ...contract, functionName: "policy", args: [sponsor, id] });
    entries.push({
      policyId: id.toString(),
      status: policyStatusName(view.status),
      usableNow: usable(view, now),
      signer: view.terms.signer === zeroAddress ? null : view.terms.signer,
      epochLength: view.epochLength.toString(),
      usedThisEpoch: policyUsedAt(view, now).toString(),
      summary: describeTerms(view.terms, BigInt(view.epochLength)),
    });
  }
  if (args.json) {
    log(toJson(entries, 2));
    return entries;
  }
  if (count === 0n) {
    log(`Sponsor ${sponsor} has no policies on CreditLedger ${address} (policy:create creates one).`);
    return entries;
  }
  log(`Policies of sponsor ${sponsor} on CreditLedger ${address}:`);
  for (const e of entries) {
    const status = e.status === "Active" && !e.usableNow ? "Active (outside its window)" : e.status;
    log(
      `  ${e.policyId}  ${status}  ${formatCredits(BigInt(e.usedThisEpoch))} spent this epoch; ${e.summary}`,
    );
  }
  return entries;
}

withAddressFlags(
  task("policy:list", "Lists a sponsor's policies with their status and this epoch's spending")
    .addOptionalParam("sponsor", "Whose policies (default: the first account)")
    .addFlag("json", "Print JSON (credit amounts in base units, 6 decimals)"),
  ["ledger"],
).setAction((args: ListArgs, hre) => policyList(hre, args));
