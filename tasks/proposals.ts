/**
 * The rest of a DAO budget's life after `governance:propose-budget --submit`: `governance:state` shows a proposal
 * (state, votes against the quorum, voting window, timelock ETA and the next step), `governance:vote` casts a vote,
 * `governance:queue` schedules a succeeded proposal on the timelock and `governance:execute` runs it once the delay
 * has passed. Each checks the proposal's state first and refuses with what to do (vote not started or over, not
 * enough votes or no quorum, delay not passed, already executed, unknown proposal), so nothing is sent in vain.
 */
import { readFileSync } from "node:fs";

import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits } from "viem";
import type { Address, Hex, PublicClient } from "viem";
import { readContract } from "viem/actions";
import { z } from "zod";

import { creditsGovernorAbi } from "../src/client/abi";
import { formatDuration, formatTime, toJson } from "../src/client/format";
import {
  PROPOSAL_STATES,
  VOTE_SUPPORT,
  castVote,
  executeProposal,
  queueProposal,
} from "../src/client/governance";
import type { ProposalCalls, ProposalStateName } from "../src/client/governance";
import { parseInteger } from "./lib/args";
import {
  chainTime,
  print,
  printTable,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import { optionalGovernorAddress } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import { taskError } from "./lib/errors";
import { withAddressFlags, withFrom } from "./lib/flags";

// ------------------------------------------------------------------------------------------ reading a proposal

/** The flags that name a proposal. */
export interface ProposalFlags extends DeploymentFlags {
  /** proposal.json written by governance:propose-budget (its calls are needed to queue and execute). */
  proposal?: string;
  /** The proposal id (enough to show the state and to vote). */
  id?: string;
}

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, "expected 0x-prefixed hex");
const proposalFileSchema = z.object({
  governor: z.string().nullable().optional(),
  targets: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected an address")),
  values: z.array(z.string().regex(/^\d+$/, "expected a whole number of wei")),
  calldatas: z.array(hex),
  descriptionHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hash"),
  proposalId: z.string().regex(/^\d+$/, "expected a decimal proposal id"),
});

/** A proposal as the tasks know it: its id and, from proposal.json, its calls. */
interface ProposalRef {
  id: bigint;
  calls?: ProposalCalls;
  file?: string;
}

/** Reads `--proposal` (validated with zod) or `--id`; `needCalls` demands the file. */
function proposalRef(args: ProposalFlags, needCalls: boolean, action: string): ProposalRef {
  if (args.proposal === undefined) {
    if (needCalls) {
      throw taskError(
        `Pass --proposal <proposal.json> (written by governance:propose-budget): ${action} needs the proposal's ` +
          "calls and description hash, which its id alone does not give",
      );
    }
    if (args.id === undefined) throw taskError("Pass --proposal <proposal.json> or --id <proposal id>");
    return { id: parseInteger("id", args.id, 1n, 2n ** 256n - 1n) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(args.proposal, "utf8"));
  } catch (e) {
    throw taskError(
      `Invalid --proposal "${args.proposal}": cannot read it as JSON (${(e as Error).message})`,
    );
  }
  const parsed = proposalFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw taskError(
      `Invalid --proposal "${args.proposal}": not a proposal.json of governance:propose-budget (${issues})`,
    );
  }
  const p = parsed.data;
  if (
    p.targets.length !== p.values.length ||
    p.targets.length !== p.calldatas.length ||
    p.targets.length === 0
  ) {
    throw taskError(
      `Invalid --proposal "${args.proposal}": targets, values and calldatas must be non-empty and of one length`,
    );
  }
  const id = BigInt(p.proposalId);
  if (args.id !== undefined && parseInteger("id", args.id, 1n, 2n ** 256n - 1n) !== id) {
    throw taskError(
      `--id ${args.id} is not the id of --proposal "${args.proposal}" (${id}): pass one of them`,
    );
  }
  return {
    id,
    file: args.proposal,
    calls: {
      targets: p.targets as Address[],
      values: p.values.map(BigInt),
      calldatas: p.calldatas as Hex[],
      descriptionHash: p.descriptionHash as Hex,
    },
  };
}

/** What `governance:state` reports (and prints with `--json`). Votes are in the token's base units. */
export interface ProposalReport {
  governor: string;
  proposalId: string;
  state: ProposalStateName;
  /** "block" (ERC-6372 block-number clock) or "timestamp". */
  clockMode: "block" | "timestamp";
  clock: string;
  voteStart: string;
  voteEnd: string;
  votes: { against: string; for: string; abstain: string };
  quorum: string;
  quorumReached: boolean;
  /** Unix time from which the timelock lets it execute (queued proposals), else null. */
  eta: string | null;
  etaIso: string | null;
  /** The next step, in words. */
  next: string;
}

interface Governor {
  address: Address;
  client: PublicClient;
}

async function requireGovernor(hre: HardhatRuntimeEnvironment, args: DeploymentFlags): Promise<Governor> {
  const governor = await optionalGovernorAddress(hre, args);
  if (governor === undefined) {
    throw taskError(
      "No Governor: pass --governor 0x…, or use a deployment of the DAO variant (`npm run deploy`)",
    );
  }
  return { address: governor.address, client: viemPublicClient(hre) };
}

const votesText = (v: bigint) => formatUnits(v, 18);

/** Reads the proposal's state and numbers; fails clearly when the Governor does not know it. */
async function readProposal(
  hre: HardhatRuntimeEnvironment,
  gov: Governor,
  ref: ProposalRef,
): Promise<ProposalReport> {
  const c = { address: gov.address, abi: creditsGovernorAbi } as const;
  const client = gov.client;
  if (ref.calls !== undefined) {
    const computed = await readContract(client, {
      ...c,
      functionName: "getProposalId",
      args: [ref.calls.targets, ref.calls.values, ref.calls.calldatas, ref.calls.descriptionHash],
    });
    if (computed !== ref.id) {
      throw taskError(
        `--proposal "${ref.file}" says proposal ${ref.id}, but its calls and description hash make proposal ` +
          `${computed} on Governor ${gov.address}: the file was edited, or it was built for another Governor`,
      );
    }
  }
  const snapshot = await readContract(client, { ...c, functionName: "proposalSnapshot", args: [ref.id] });
  if (snapshot === 0n) {
    throw taskError(
      `Governor ${gov.address} has no proposal ${ref.id}: check the id (proposal.json's proposalId), the ` +
        "--governor, and that it was proposed (governance:propose-budget --submit)",
    );
  }
  const [stateIndex, deadline, [against, forVotes, abstain], clock, mode, eta] = await Promise.all([
    readContract(client, { ...c, functionName: "state", args: [ref.id] }),
    readContract(client, { ...c, functionName: "proposalDeadline", args: [ref.id] }),
    readContract(client, { ...c, functionName: "proposalVotes", args: [ref.id] }),
    readContract(client, { ...c, functionName: "clock" }),
    readContract(client, { ...c, functionName: "CLOCK_MODE" }),
    readContract(client, { ...c, functionName: "proposalEta", args: [ref.id] }),
  ]);
  // The quorum of the snapshot; while the snapshot is not yet past, the latest past point stands in for it.
  const quorumAt = snapshot < BigInt(clock) ? snapshot : BigInt(clock) - 1n;
  const quorum = await readContract(client, { ...c, functionName: "quorum", args: [quorumAt] });
  const state = PROPOSAL_STATES[stateIndex];
  const clockMode = mode.includes("timestamp") ? "timestamp" : "block";
  const unit = clockMode === "block" ? "block" : "time";
  const quorumReached = forVotes + abstain >= quorum;
  const now = await chainTime(hre);
  let next: string;
  switch (state) {
    case "Pending":
      next = `voting opens after ${unit} ${snapshot} (now ${clock}); then governance:vote`;
      break;
    case "Active":
      next = `voting is open until ${unit} ${deadline} (now ${clock}): governance:vote; then governance:queue`;
      break;
    case "Succeeded":
      next = "queue it on the timelock: governance:queue --proposal <proposal.json>";
      break;
    case "Queued":
      next =
        eta > now
          ? `the timelock delay ends at ${formatTime(eta)} (in ${formatDuration(eta - now)}); then governance:execute`
          : "executable now: governance:execute --proposal <proposal.json>";
      break;
    case "Defeated":
      next = !quorumReached
        ? "defeated: the quorum was not reached; propose again with a new description"
        : "defeated: more votes against than for; propose again with a new description";
      break;
    case "Executed":
      next = "done: its calls ran";
      break;
    case "Expired":
      next = "expired before it was executed; propose again with a new description";
      break;
    default:
      next = "canceled; propose again with a new description";
  }
  return {
    governor: gov.address,
    proposalId: ref.id.toString(),
    state,
    clockMode,
    clock: clock.toString(),
    voteStart: snapshot.toString(),
    voteEnd: deadline.toString(),
    votes: { against: against.toString(), for: forVotes.toString(), abstain: abstain.toString() },
    quorum: quorum.toString(),
    quorumReached,
    eta: eta === 0n ? null : eta.toString(),
    etaIso: eta === 0n ? null : formatTime(eta),
    next,
  };
}

/**
 * When the boundary is the latest point itself: the Governor's state, and a transaction's simulation (eth_call runs in
 * the latest block), only change with the next one.
 */
function waitOne(boundary: string, clock: string, unit: string): string {
  return boundary === clock
    ? `, the latest ${unit === "block" ? "block" : "time"}: one more block changes it`
    : "";
}

function tally(r: ProposalReport): string {
  return (
    `for ${votesText(BigInt(r.votes.for))}, against ${votesText(BigInt(r.votes.against))}, abstain ` +
    `${votesText(BigInt(r.votes.abstain))}; quorum ${votesText(BigInt(r.quorum))} (for + abstain) ` +
    (r.quorumReached ? "reached" : "not reached")
  );
}

// ------------------------------------------------------------------------------------------ governance:state

export interface StateArgs extends ProposalFlags {
  json: boolean;
}

export async function governanceState(
  hre: HardhatRuntimeEnvironment,
  args: StateArgs,
  log: Log = print,
): Promise<ProposalReport> {
  const ref = proposalRef(args, false, "governance:state");
  const report = await readProposal(hre, await requireGovernor(hre, args), ref);
  if (args.json) {
    log(toJson(report, 2));
    return report;
  }
  const unit = report.clockMode === "block" ? "block" : "time";
  const rows: [string, string][] = [
    ["state", report.state],
    ["voting", `${unit} ${report.voteStart} to ${unit} ${report.voteEnd} (now ${report.clock})`],
    ["votes", tally(report)],
  ];
  if (report.etaIso !== null) rows.push(["executable from", report.etaIso]);
  rows.push(["next", report.next]);
  printTable(log, `Proposal ${report.proposalId} on Governor ${report.governor}`, rows);
  return report;
}

withAddressFlags(
  task(
    "governance:state",
    "Shows a proposal: state, votes against the quorum, voting window, timelock ETA, next step",
  )
    .addOptionalParam("proposal", "proposal.json written by governance:propose-budget")
    .addOptionalParam("id", "The proposal id (instead of --proposal)")
    .addFlag("json", "Print JSON (votes in the token's base units)"),
  ["governor"],
).setAction((args: StateArgs, hre) => governanceState(hre, args));

// ------------------------------------------------------------------------------------------ governance:vote

export interface VoteArgs extends ProposalFlags {
  support: string;
  reason?: string;
  from?: string;
}

/** The result of a lifecycle write. */
export interface ProposalTxResult {
  proposalId: bigint;
  state: ProposalStateName;
  txHash: string;
  blockNumber: number;
}

export async function governanceVote(
  hre: HardhatRuntimeEnvironment,
  args: VoteArgs,
  log: Log = print,
): Promise<ProposalTxResult> {
  const support = args.support.trim().toLowerCase();
  if (!(support in VOTE_SUPPORT)) {
    throw taskError(`Invalid --support "${args.support}": expected "for", "against" or "abstain"`);
  }
  const ref = proposalRef(args, false, "governance:vote");
  const gov = await requireGovernor(hre, args);
  const signer = await resolveAccount(hre, args.from);
  const before = await readProposal(hre, gov, ref);
  const unit = before.clockMode === "block" ? "block" : "time";
  if (before.state === "Pending") {
    throw taskError(
      `Voting on proposal ${ref.id} has not started: it opens after ${unit} ${before.voteStart} (now ` +
        `${before.clock}${waitOne(before.voteStart, before.clock, unit)}); vote then`,
    );
  }
  if (before.state !== "Active") {
    throw taskError(
      `Voting on proposal ${ref.id} is over (${before.state}; ${tally(before)}): ${before.next}`,
    );
  }
  const c = { address: gov.address, abi: creditsGovernorAbi } as const;
  const [voted, weight] = await Promise.all([
    readContract(gov.client, { ...c, functionName: "hasVoted", args: [ref.id, signer.address] }),
    readContract(gov.client, {
      ...c,
      functionName: "getVotes",
      args: [signer.address, BigInt(before.voteStart)],
    }),
  ]);
  if (voted)
    throw taskError(`${signer.address} already voted on proposal ${ref.id}: a vote cannot be changed`);
  if (weight === 0n) {
    throw taskError(
      `${signer.address} had no votes at the proposal's snapshot (${unit} ${before.voteStart}): votes count from ` +
        "delegation made before a proposal's snapshot (delegate on the votes token, then vote on later proposals)",
    );
  }
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const receipt = await sendClientTx(
    hre,
    log,
    `Voting (${support}) on proposal ${ref.id}`,
    publicClient,
    () =>
      castVote(wallet, {
        governor: gov.address,
        proposalId: ref.id,
        support: VOTE_SUPPORT[support as keyof typeof VOTE_SUPPORT],
        reason: args.reason,
      }),
  );
  const after = await readProposal(hre, gov, ref);
  log(`${signer.address} voted ${support} with ${votesText(weight)} votes. Now ${tally(after)}.`);
  return {
    proposalId: ref.id,
    state: after.state,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

withFrom(
  withAddressFlags(
    task("governance:vote", "Votes on a proposal with the signer's delegated votes at its snapshot")
      .addOptionalParam("proposal", "proposal.json written by governance:propose-budget")
      .addOptionalParam("id", "The proposal id (instead of --proposal)")
      .addOptionalParam("support", 'The vote: "for", "against" or "abstain"', "for")
      .addOptionalParam("reason", "A reason, recorded in the VoteCast event"),
    ["governor"],
  ),
).setAction((args: VoteArgs, hre) => governanceVote(hre, args));

// ------------------------------------------------------------------------------------------ queue and execute

export interface LifecycleArgs extends ProposalFlags {
  from?: string;
}

/** Why a proposal in `state` cannot be queued or executed, with what to do. */
function notReady(action: "queue" | "execute", r: ProposalReport, now: bigint): string {
  const unit = r.clockMode === "block" ? "block" : "time";
  switch (r.state) {
    case "Pending":
    case "Active":
      return (
        `Voting on proposal ${r.proposalId} is not over: it ends at ${unit} ${r.voteEnd} (now ${r.clock}` +
        `${waitOne(r.voteEnd, r.clock, unit)}); ${action} after that`
      );
    case "Defeated":
      return (
        `Proposal ${r.proposalId} was defeated: ${r.quorumReached ? "not enough votes for it (for must exceed against)" : "the quorum was not reached"} ` +
        `(${tally(r)}). It cannot be ${action === "queue" ? "queued" : "executed"}; propose again with a new description`
      );
    case "Succeeded":
      return `Proposal ${r.proposalId} is not queued yet: queue it first (governance:queue)`;
    case "Queued": {
      const eta = BigInt(r.eta ?? "0");
      return action === "queue"
        ? `Proposal ${r.proposalId} is already queued: execute it from ${r.etaIso} (governance:execute)`
        : `The timelock delay of proposal ${r.proposalId} has not passed: it can execute from ${r.etaIso} (in ` +
            `${formatDuration(eta - now)})`;
    }
    case "Executed":
      return `Proposal ${r.proposalId} was already executed: nothing to ${action}`;
    case "Expired":
      return `Proposal ${r.proposalId} expired: propose again with a new description`;
    default:
      return `Proposal ${r.proposalId} was canceled: propose again with a new description`;
  }
}

async function lifecycle(
  hre: HardhatRuntimeEnvironment,
  action: "queue" | "execute",
  args: LifecycleArgs,
  log: Log,
): Promise<ProposalTxResult> {
  const ref = proposalRef(args, true, `governance:${action}`);
  const gov = await requireGovernor(hre, args);
  const signer = await resolveAccount(hre, args.from);
  const before = await readProposal(hre, gov, ref);
  const now = await chainTime(hre);
  const ready =
    action === "queue"
      ? before.state === "Succeeded"
      : before.state === "Queued" && BigInt(before.eta ?? "0") <= now;
  if (!ready) throw taskError(notReady(action, before, now));
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const calls = ref.calls as ProposalCalls;
  const receipt = await sendClientTx(
    hre,
    log,
    `${action === "queue" ? "Queueing" : "Executing"} proposal ${ref.id}`,
    publicClient,
    () =>
      action === "queue"
        ? queueProposal(wallet, { governor: gov.address, ...calls })
        : executeProposal(wallet, { governor: gov.address, ...calls }),
  );
  const after = await readProposal(hre, gov, ref);
  log(
    action === "queue"
      ? `Queued proposal ${ref.id} on the timelock: it can execute from ${after.etaIso} (governance:execute).`
      : `Executed proposal ${ref.id}: its ${calls.targets.length} call${calls.targets.length === 1 ? "" : "s"} ran.`,
  );
  return {
    proposalId: ref.id,
    state: after.state,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

export const governanceQueue = (hre: HardhatRuntimeEnvironment, args: LifecycleArgs, log: Log = print) =>
  lifecycle(hre, "queue", args, log);
export const governanceExecute = (hre: HardhatRuntimeEnvironment, args: LifecycleArgs, log: Log = print) =>
  lifecycle(hre, "execute", args, log);

for (const [name, text, run] of [
  ["governance:queue", "Queues a succeeded proposal on the timelock (anyone may)", governanceQueue],
  [
    "governance:execute",
    "Executes a queued proposal once the timelock delay has passed (anyone may)",
    governanceExecute,
  ],
] as const) {
  withFrom(
    withAddressFlags(
      task(name, text)
        .addOptionalParam("proposal", "proposal.json written by governance:propose-budget (required)")
        .addOptionalParam("id", "The proposal id: refused with the reason (its calls are needed)"),
      ["governor"],
    ),
  ).setAction((args: LifecycleArgs, hre) => run(hre, args));
}
