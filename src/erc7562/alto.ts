/**
 * Pure helpers of the "alto's tracer on anvil" check (scripts/erc7562-alto.ts, docs/erc7562-checker.md):
 *
 * - {@link unwrapDelegateAndRevert} / {@link simulationResultData}: the EntryPoint v0.7/v0.8 `DelegateAndRevert`
 *   wrapper around the result of alto's validation simulation, which alto 0.0.20's `SafeValidator` does not unwrap;
 * - {@link altoRulesOf}: the ERC-7562 rule(s) an error message of alto's `tracerResultParserV07` stands for;
 * - {@link judgeCase}: the verdicts of alto's parser and of this project's `analyzeValidation` on one operation,
 *   compared with each other and with what the case expects, with an allow-list of documented differences.
 *
 * Nothing here loads alto, talks to a node or imports Hardhat.
 */
import { decodeAbiParameters, size, slice } from "viem";
import type { Hex } from "viem";

/** Selector of EntryPoint v0.7/v0.8's `error DelegateAndRevert(bool success, bytes ret)`. */
export const DELEGATE_AND_REVERT_SELECTOR = "0x99410554";

/** What `delegateAndRevert(target, data)` reported: whether the delegate call succeeded, and its return data. */
export interface DelegateAndRevertResult {
  /** True when the delegate call returned (`ret` is its return data); false when it reverted (`ret` is the revert). */
  readonly success: boolean;
  readonly ret: Hex;
}

/**
 * Decodes `DelegateAndRevert(bool success, bytes ret)` revert data. Returns null when `data` does not start with
 * its selector. Throws when it does but the arguments do not decode (e.g. data cut short).
 */
export function unwrapDelegateAndRevert(data: Hex): DelegateAndRevertResult | null {
  if (size(data) < 4 || slice(data, 0, 4).toLowerCase() !== DELEGATE_AND_REVERT_SELECTOR) return null;
  const [success, ret] = decodeAbiParameters([{ type: "bool" }, { type: "bytes" }], slice(data, 4));
  return { success, ret };
}

/**
 * One entry of `bundlerCollectorTracer`'s `calls`: a frame entered (`CALL`, `DELEGATECALL`, …) or left
 * (`RETURN`/`REVERT`, with its output, which the tracer cuts to {@link TRACER_DATA_LIMIT} characters).
 */
export interface TracerCallEntry {
  readonly type: string;
  readonly data?: string;
  readonly [key: string]: unknown;
}

/** Length at which the tracer cuts a frame's output (`toHex(output).slice(0, 4000)`: "0x" and 1,999 bytes). */
export const TRACER_DATA_LIMIT = 4000;

/** {@link simulationResultData}'s answer. */
export type SimulationResultData =
  /** `simulateValidation` returned: `data` is its ABI-encoded `ValidationResult`. */
  | { readonly kind: "result"; readonly data: Hex }
  /** `simulateValidation` reverted (e.g. `FailedOp`): `data` is the revert data. */
  | { readonly kind: "revert"; readonly data: Hex };

/**
 * The outcome of alto's validation simulation, from the tracer's `calls`. alto calls
 * `PimlicoSimulations.simulateValidation`, which calls `EntryPoint.delegateAndRevert(EntryPointSimulations, …)`; the
 * EntryPoint always reverts with `DelegateAndRevert(success, ret)`, and that revert is the last frame exit the
 * tracer records (the outer, top-level frame has none). alto 0.0.20 decodes that last exit's data directly as a
 * `PimlicoSimulations` error, which fails ("signature not found"); this unwraps it first.
 * @throws when the last entry is not a revert, is not `DelegateAndRevert`, or was cut by the tracer.
 */
export function simulationResultData(calls: readonly TracerCallEntry[]): SimulationResultData {
  const last = calls.at(-1);
  if (last === undefined) throw new Error("the tracer recorded no call");
  if (last.type !== "REVERT") {
    throw new Error(
      `the simulation's last frame exit is ${last.type}, not the EntryPoint's DelegateAndRevert`,
    );
  }
  const data = (last.data ?? "0x") as Hex;
  if (data.length >= TRACER_DATA_LIMIT) {
    throw new Error(
      `the simulation's revert data reached the tracer's ${TRACER_DATA_LIMIT}-character cut: it cannot be decoded`,
    );
  }
  const unwrapped = unwrapDelegateAndRevert(data);
  if (unwrapped === null) {
    throw new Error(`the simulation's last revert is not DelegateAndRevert (${data.slice(0, 10)})`);
  }
  return unwrapped.success
    ? { kind: "result", data: unwrapped.ret }
    : { kind: "revert", data: unwrapped.ret };
}

/** The storage rules a storage message of alto's parser can stand for (it names no rule). */
const STORAGE_RULES = ["STO-021", "STO-022", "STO-031", "STO-032", "STO-033"] as const;

/**
 * The ERC-7562 rule ids (as src/erc7562 names them, plus EREP-050) that an error message of alto's
 * `tracerResultParserV07` stands for; empty when the message is not one of the parser's rule messages (e.g. a
 * simulation failure). A storage message does not say which storage rule, so it maps to all of them.
 */
export function altoRulesOf(message: string): string[] {
  const banned = /uses banned opcode: (\w+)/.exec(message);
  if (banned !== null) {
    if (banned[1] === "GAS") return ["OP-012"];
    if (banned[1] === "CREATE2" || banned[1] === "CREATE") return ["OP-031", "OP-032"];
    return banned[1] === "BALANCE" || banned[1] === "SELFBALANCE" ? ["OP-011", "OP-080"] : ["OP-011"];
  }
  if (/too many CREATE2/.test(message)) return ["OP-031"];
  if (/internally reverts on oog/.test(message)) return ["OP-020"];
  if (/has forbidden (read from|write to)/.test(message) || /^unstaked \w+ accessed /.test(message)) {
    return [...STORAGE_RULES];
  }
  if (/must not return context/.test(message)) return ["EREP-050"];
  if (/accesses un-deployed contract/.test(message)) return ["OP-041"];
  if (/accesses EntryPoint contract/.test(message)) return ["OP-051", "OP-052", "OP-053", "OP-054"];
  if (/illegal call into EntryPoint/.test(message)) return ["OP-052", "OP-053", "OP-054"];
  if (/May not may CALL with value/.test(message)) return ["OP-061"];
  return [];
}

/** A checker's verdict on one operation. */
export type Verdict = "accepted" | "rejected";

/**
 * A difference between alto 0.0.20's validation on anvil and src/erc7562, documented in docs/erc7562-checker.md
 * ("alto's tracer on anvil"). A case that declares one expects alto's verdict to be `alto` while the project's
 * checker gives the other verdict.
 */
export interface KnownDifference {
  /** alto's verdict when the difference applies. */
  readonly alto: Verdict;
  /** The rule alto raises (alto rejects) or the rule the project's checker raises (alto accepts), if a rule. */
  readonly rule?: string;
  /** When alto rejects for no rule (its simulation failed): what its message must match. */
  readonly message?: RegExp;
  /** Why the two differ. */
  readonly reason: string;
}

/** The allow-list of documented differences, by id. */
export const KNOWN_DIFFERENCES = {
  /** alto 0.0.20 bans OP-011 opcodes only for unstaked entities; ERC-7562 bans them for every entity. */
  "OP-011-staked": {
    alto: "accepted",
    rule: "OP-011",
    reason:
      "alto 0.0.20 checks the OP-011 opcodes only for unstaked entities (`bannedOpCodes.has(opcode) && " +
      "!isStaked(entStakes)`); ERC-7562 bans them whether staked or not, as src/erc7562 does",
  },
  /**
   * On anvil 1.7.1, alto's tracer makes the v0.7 SimpleAccount's creation revert: its step function reads memory
   * (`log.memory.slice`) at a KECCAK256/LOG step of the account's initialisation, and anvil turns that read into a
   * revert of the traced frame. The same simulation without the tracer succeeds.
   */
  "ANVIL-V07-CREATION": {
    alto: "rejected",
    message: /AA13 initCode failed or OOG.*without the tracer \(eth_call\) the same simulation succeeds/,
    reason:
      "on anvil 1.7.1 alto's tracer itself makes a v0.7 SimpleAccount's creation revert (AA13): its step " +
      "function's memory read at a KECCAK256/LOG step of the account's initialisation reverts the traced frame; " +
      "the same simulation without the tracer succeeds, so alto's rules cannot judge this operation on anvil",
  },
} as const satisfies Record<string, KnownDifference>;

export type KnownDifferenceId = keyof typeof KNOWN_DIFFERENCES;

/** Whether the checkers' disagreement is the documented one. */
function differenceMatches(
  difference: KnownDifference,
  altoVerdict: Verdict,
  altoRules: readonly string[],
  altoMessage: string,
  projectRules: readonly string[],
): boolean {
  if (altoVerdict !== difference.alto) return false;
  if (difference.message !== undefined && !difference.message.test(altoMessage)) return false;
  if (difference.rule === undefined) return true;
  return altoVerdict === "rejected"
    ? altoRules.includes(difference.rule)
    : projectRules.includes(difference.rule);
}

/** What a case expects. */
export interface CaseExpectation {
  /** Whether the operation's validation obeys ERC-7562 (the project's checker must agree). */
  readonly compliant: boolean;
  /** For a non-compliant case: the rule the project's checker must raise (at least this one). */
  readonly rule?: string;
  /** A documented difference under which alto's verdict differs from the project's. */
  readonly knownDifference?: KnownDifferenceId;
}

/** What each checker said on one case. */
export interface CaseVerdicts {
  /** alto's `tracerResultParserV07` (or its simulation): accepted, or the message it threw. */
  readonly alto: { readonly verdict: Verdict; readonly message?: string };
  /** The project's `analyzeValidation`: the rule ids of its violations (empty: accepted). */
  readonly project: { readonly rules: readonly string[] };
}

/** {@link judgeCase}'s answer. */
export interface CaseJudgement {
  readonly altoVerdict: Verdict;
  readonly projectVerdict: Verdict;
  /** alto's rule ids, from its message ({@link altoRulesOf}). */
  readonly altoRules: readonly string[];
  /** Whether both checkers gave the same verdict, and, when both rejected, for a common rule. */
  readonly agree: boolean;
  /** The documented difference that explains a disagreement, if any. */
  readonly knownDifference?: KnownDifferenceId;
  /** Empty when the case passes; otherwise why it fails. */
  readonly problems: readonly string[];
}

/**
 * Compares alto's and the project's verdicts on a case and checks them against its expectation. A case fails when
 * a compliant operation is rejected or a non-compliant one accepted (by either checker, unless a documented
 * difference says alto's verdict differs), when the checkers disagree without that documented difference (a
 * verdict, or the rule of two rejections), or when a documented difference did not occur (a stale allow-list entry).
 */
export function judgeCase(expectation: CaseExpectation, verdicts: CaseVerdicts): CaseJudgement {
  const problems: string[] = [];
  const altoVerdict = verdicts.alto.verdict;
  const altoRules = altoVerdict === "rejected" ? altoRulesOf(verdicts.alto.message ?? "") : [];
  const projectRules = verdicts.project.rules;
  const projectVerdict: Verdict = projectRules.length === 0 ? "accepted" : "rejected";
  const expected: Verdict = expectation.compliant ? "accepted" : "rejected";
  const difference =
    expectation.knownDifference === undefined ? undefined : KNOWN_DIFFERENCES[expectation.knownDifference];
  const expectedAlto = difference?.alto ?? expected;

  if (projectVerdict !== expected) {
    problems.push(
      expectation.compliant
        ? `the project's checker rejects a compliant operation (${projectRules.join(", ")})`
        : "the project's checker accepts a non-compliant operation",
    );
  }
  if (expectation.rule !== undefined && !projectRules.includes(expectation.rule)) {
    problems.push(`the project's checker does not raise ${expectation.rule}`);
  }
  if (altoVerdict !== expectedAlto) {
    problems.push(
      altoVerdict === "rejected"
        ? `alto rejects ${expectation.compliant ? "a compliant" : "an"} operation: ${verdicts.alto.message ?? ""}`
        : "alto accepts a non-compliant operation",
    );
  }
  // A rejection that names no rule (e.g. the simulation itself failed) never agrees with a rule violation.
  const sameRule = altoVerdict === "accepted" || altoRules.some((r) => projectRules.includes(r));
  const agree = altoVerdict === projectVerdict && sameRule;
  if (difference !== undefined) {
    if (agree) problems.push(`documented difference ${expectation.knownDifference} did not occur`);
    else if (
      !differenceMatches(difference, altoVerdict, altoRules, verdicts.alto.message ?? "", projectRules)
    ) {
      problems.push(
        `the checkers differ, but not as documented in ${expectation.knownDifference}: alto ${altoVerdict}` +
          `${verdicts.alto.message === undefined ? "" : ` (${verdicts.alto.message})`}, project ${projectVerdict}`,
      );
    }
  } else if (!agree) {
    problems.push(
      altoVerdict === projectVerdict
        ? `the checkers reject for different rules: alto "${verdicts.alto.message}", project ${projectRules.join(", ")}`
        : `the checkers disagree (alto ${altoVerdict}, project ${projectVerdict}) without a documented reason`,
    );
  }
  return {
    altoVerdict,
    projectVerdict,
    altoRules,
    agree,
    ...(difference !== undefined && !agree ? { knownDifference: expectation.knownDifference } : {}),
    problems,
  };
}
