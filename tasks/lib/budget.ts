import { readFileSync } from "node:fs";

import { encodeAbiParameters, keccak256, parseAbiParameters, toHex } from "viem";
import type { Address, Hex } from "viem";

import { UINT32_MAX, UINT64_MAX, parseAddress, parseCredits, parseDuration, parseExpiry } from "./args";
import { taskError } from "./errors";

/** One grant of a budget: `amount` credits (base units) to `account`, spendable until `expiresAt`. */
export interface GrantSpec {
  account: string;
  amount: bigint;
  expiresAt: bigint;
}

/** One issuer cap of a budget: `cap` credits (base units) per `epochLength` seconds. */
export interface IssuerCapSpec {
  issuer: string;
  cap: bigint;
  epochLength: bigint;
}

/** One call of a budget, with a readable description. */
export interface BudgetAction {
  target: string;
  value: bigint;
  data: string;
  /** The contract called ("CreditLedger", "CreditPaymaster"). */
  contract: string;
  /** The function's signature, e.g. "grant(address,uint256,uint64)". */
  function: string;
  /** The arguments by name, as strings (credits in base units). */
  args: Record<string, string>;
  /** One readable line. */
  summary: string;
}

/** `proposal.json`: the arguments of `Governor.propose`, their hashes and a readable list of actions. */
export interface ProposalFile {
  chainId: string;
  governor: string | null;
  /** Who executes the calls (the Governor's timelock, or the Safe); null when unknown. */
  executor: string | null;
  proposer: string | null;
  targets: string[];
  values: string[];
  calldatas: string[];
  /** The description to pass to `propose` (ends in `#proposer=<address>` when a proposer was given). */
  description: string;
  /** keccak256 of `description`: what `queue`, `execute` and `cancel` take. */
  descriptionHash: string;
  proposalId: string;
  actions: {
    target: string;
    contract: string;
    function: string;
    args: Record<string, string>;
    summary: string;
  }[];
}

/** A transaction of a Safe Transaction Builder batch (raw calldata: no contract method). */
export interface SafeBatchTransaction {
  to: string;
  value: string;
  data: string;
  contractMethod: null;
  contractInputsValues: null;
}

/** `safe-batch.json`: the Safe Transaction Builder's JSON batch format (version 1.0). */
export interface SafeBatchFile {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: string;
    createdFromOwnerAddress: string;
    checksum: string;
  };
  transactions: SafeBatchTransaction[];
}

/** The Transaction Builder version whose batch format the files follow. */
export const TX_BUILDER_VERSION = "1.18.0";

const GRANT_FORM = "expected <address>:<credits>:<expiry>, such as 0x…:100:+30d or 0x…:2.5:2026-06-30";
const CAP_FORM = "expected <issuer address>:<credits per epoch>:<epoch>, such as 0x…:10000:30d";

/** Splits `a:b:c…` into the first two fields and the rest (an ISO expiry contains colons). */
function splitSpec(entry: string): [string, string, string] | undefined {
  const first = entry.indexOf(":");
  const second = first < 0 ? -1 : entry.indexOf(":", first + 1);
  if (second < 0) return undefined;
  const parts: [string, string, string] = [
    entry.slice(0, first).trim(),
    entry.slice(first + 1, second).trim(),
    entry.slice(second + 1).trim(),
  ];
  return parts.some((p) => p === "") ? undefined : parts;
}

function entries(value: string): string[] {
  return value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

/** Runs `parse`, naming the entry (`where`) in the error it throws. */
function inEntry<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw taskError(`${(e as Error).message} (in ${where})`);
  }
}

/** Parses `--grant`: one or more `<address>:<credits>:<expiry>` entries separated by commas. */
export function parseGrantSpecs(value: string, now: bigint): GrantSpec[] {
  const list = entries(value);
  if (list.length === 0) throw taskError(`Invalid --grant "${value}": ${GRANT_FORM}`);
  return list.map((entry) => {
    const parts = splitSpec(entry);
    if (parts === undefined) throw taskError(`Invalid --grant "${entry}": ${GRANT_FORM}`);
    return inEntry(`--grant entry "${entry}"`, () => ({
      account: parseAddress("grant", parts[0]),
      amount: parseCredits("grant", parts[1], { max: UINT64_MAX }),
      expiresAt: parseExpiry("grant", parts[2], now),
    }));
  });
}

/** The fields of a `--grants-file` entry. */
const GRANT_FIELDS: readonly string[] = ["account", "amount", "expiry"];

/**
 * Parses `--grants-file`: a JSON array of `{ "account": "0x…", "amount": "100", "expiry": "+30d" }` (amount in
 * credits as a string or number, expiry in any form `--expiry` accepts).
 */
export function parseGrantsFile(file: string, now: bigint): GrantSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw taskError(`Invalid --grants-file "${file}": cannot read it as JSON (${(e as Error).message})`);
  }
  const form = 'expected a JSON array of { "account": "0x…", "amount": "100", "expiry": "+30d" }';
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw taskError(`Invalid --grants-file "${file}": ${form}`);
  return parsed.map((item: unknown, i) => {
    const record = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    // A misspelt or extra field (e.g. "expiresAt", "note") would otherwise be ignored without a word.
    const unknown = Object.keys(record).find((key) => !GRANT_FIELDS.includes(key));
    if (unknown !== undefined)
      throw taskError(
        `Invalid --grants-file "${file}": entry ${i} has an unknown field "${unknown}" (${form})`,
      );
    const field = (name: string): string => {
      const v = record[name];
      if (typeof v === "string" || typeof v === "number") return String(v);
      throw taskError(`Invalid --grants-file "${file}": entry ${i} has no "${name}" (${form})`);
    };
    const [account, amount, expiry] = [field("account"), field("amount"), field("expiry")];
    return inEntry(`--grants-file entry ${i}`, () => ({
      account: parseAddress("grants-file", account),
      amount: parseCredits("grants-file", amount, { max: UINT64_MAX }),
      expiresAt: parseExpiry("grants-file", expiry, now),
    }));
  });
}

/** Parses `--issuer-cap`: one or more `<issuer>:<credits per epoch>:<epoch>` entries separated by commas. */
export function parseIssuerCapSpecs(value: string): IssuerCapSpec[] {
  const list = entries(value);
  if (list.length === 0) throw taskError(`Invalid --issuer-cap "${value}": ${CAP_FORM}`);
  return list.map((entry) => {
    const parts = splitSpec(entry);
    if (parts === undefined) throw taskError(`Invalid --issuer-cap "${entry}": ${CAP_FORM}`);
    return inEntry(`--issuer-cap entry "${entry}"`, () => ({
      issuer: parseAddress("issuer-cap", parts[0]),
      cap: parseCredits("issuer-cap", parts[1], { allowZero: true, max: UINT64_MAX }),
      epochLength: parseDuration("issuer-cap", parts[2], UINT32_MAX),
    }));
  });
}

/** `Governor.hashProposal` (OpenZeppelin 5): keccak256(abi.encode(targets, values, calldatas, descriptionHash)). */
export function hashProposal(
  targets: readonly string[],
  values: readonly bigint[],
  calldatas: readonly string[],
  descriptionHash: string,
): bigint {
  const encoded = encodeAbiParameters(parseAbiParameters("address[], uint256[], bytes[], bytes32"), [
    targets as readonly Address[],
    values,
    calldatas as readonly Hex[],
    descriptionHash as Hex,
  ]);
  return BigInt(keccak256(encoded));
}

/** The description with OpenZeppelin's front-running protection: `<description>#proposer=<address>`. */
export function restrictToProposer(description: string, proposer: string): string {
  return `${description}#proposer=${proposer.toLowerCase()}`;
}

/** Builds `proposal.json` from the actions. */
export function buildProposalFile(params: {
  chainId: bigint;
  governor?: string;
  executor?: string;
  proposer?: string;
  description: string;
  actions: readonly BudgetAction[];
}): ProposalFile {
  const targets = params.actions.map((a) => a.target);
  const values = params.actions.map((a) => a.value);
  const calldatas = params.actions.map((a) => a.data);
  const description =
    params.proposer === undefined
      ? params.description
      : restrictToProposer(params.description, params.proposer);
  const descriptionHash = keccak256(toHex(description));
  return {
    chainId: params.chainId.toString(),
    governor: params.governor ?? null,
    executor: params.executor ?? null,
    proposer: params.proposer ?? null,
    targets,
    values: values.map((v) => v.toString()),
    calldatas,
    description,
    descriptionHash,
    proposalId: hashProposal(targets, values, calldatas, descriptionHash).toString(),
    actions: params.actions.map((a) => ({
      target: a.target,
      contract: a.contract,
      function: a.function,
      args: a.args,
      summary: a.summary,
    })),
  };
}

/**
 * The Transaction Builder's checksum of a batch: keccak256 of a canonical serialization (object keys sorted,
 * undefined as null) of the batch with `meta.name` set to null, so renaming a batch keeps it valid.
 */
export function safeBatchChecksum(
  batch: Omit<SafeBatchFile, "meta"> & { meta: Record<string, unknown> },
): string {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${JSON.stringify(keys)}${keys.map((k) => `${canonical(record[k])},`).join("")}}`;
    }
    return JSON.stringify(value === undefined ? null : value);
  };
  const { checksum: _ignored, ...meta } = batch.meta;
  return keccak256(toHex(canonical({ ...batch, meta: { ...meta, name: null } })));
}

/** Builds `safe-batch.json` (Safe Transaction Builder format) from the actions. */
export function buildSafeBatchFile(params: {
  chainId: bigint;
  safe?: string;
  name: string;
  description: string;
  actions: readonly BudgetAction[];
  createdAt: number;
}): SafeBatchFile {
  const withoutChecksum = {
    version: "1.0" as const,
    chainId: params.chainId.toString(),
    createdAt: params.createdAt,
    meta: {
      name: params.name,
      description: params.description,
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: params.safe ?? "",
      createdFromOwnerAddress: "",
    },
    transactions: params.actions.map((a) => ({
      to: a.target,
      value: a.value.toString(),
      data: a.data,
      contractMethod: null,
      contractInputsValues: null,
    })),
  };
  return {
    ...withoutChecksum,
    meta: { ...withoutChecksum.meta, checksum: safeBatchChecksum(withoutChecksum) },
  };
}
