import { expect } from "chai";
import { concat, encodeAbiParameters, encodeErrorResult, padHex } from "viem";
import type { Hex } from "viem";

import {
  DELEGATE_AND_REVERT_SELECTOR,
  KNOWN_DIFFERENCES,
  TRACER_DATA_LIMIT,
  altoRulesOf,
  judgeCase,
  simulationResultData,
  unwrapDelegateAndRevert,
} from "../../src/erc7562/alto";

const delegateAndRevertAbi = [
  {
    type: "error",
    name: "DelegateAndRevert",
    inputs: [
      { name: "success", type: "bool" },
      { name: "ret", type: "bytes" },
    ],
  },
] as const;

const failedOpAbi = [
  {
    type: "error",
    name: "FailedOp",
    inputs: [
      { name: "opIndex", type: "uint256" },
      { name: "reason", type: "string" },
    ],
  },
] as const;

/** What EntryPoint.delegateAndRevert reverts with. */
function delegateAndRevert(success: boolean, ret: Hex): Hex {
  return encodeErrorResult({
    abi: delegateAndRevertAbi,
    errorName: "DelegateAndRevert",
    args: [success, ret],
  });
}

/** A stand-in for an ABI-encoded ValidationResult: a few words. */
const RESULT: Hex = encodeAbiParameters(
  [{ type: "uint256" }, { type: "uint256" }, { type: "bytes" }],
  [77_000n, 10n ** 15n, padHex("0x1234", { size: 20 })],
);
const FAILED_OP: Hex = encodeErrorResult({
  abi: failedOpAbi,
  errorName: "FailedOp",
  args: [0n, "AA33 reverted"],
});

describe("alto's tracer on anvil: pure helpers (src/erc7562/alto)", function () {
  describe("#unwrapDelegateAndRevert", function () {
    it("uses the selector of EntryPoint v0.7/v0.8's DelegateAndRevert(bool,bytes)", function () {
      expect(DELEGATE_AND_REVERT_SELECTOR).to.equal("0x99410554");
      expect(delegateAndRevert(true, "0x").slice(0, 10)).to.equal(DELEGATE_AND_REVERT_SELECTOR);
    });

    it("returns the delegate call's return data when it succeeded", function () {
      expect(unwrapDelegateAndRevert(delegateAndRevert(true, RESULT))).to.deep.equal({
        success: true,
        ret: RESULT,
      });
    });

    it("returns the delegate call's revert data when it reverted", function () {
      expect(unwrapDelegateAndRevert(delegateAndRevert(false, FAILED_OP))).to.deep.equal({
        success: false,
        ret: FAILED_OP,
      });
    });

    it("returns null for other data (another error, a return value, too short)", function () {
      expect(unwrapDelegateAndRevert(FAILED_OP)).to.equal(null);
      expect(unwrapDelegateAndRevert(RESULT)).to.equal(null);
      expect(unwrapDelegateAndRevert("0x994105")).to.equal(null);
      expect(unwrapDelegateAndRevert("0x")).to.equal(null);
    });

    it("throws when the selector matches but the arguments are cut short", function () {
      const full = delegateAndRevert(true, RESULT);
      expect(() => unwrapDelegateAndRevert(full.slice(0, 80) as Hex)).to.throw();
    });
  });

  describe("#simulationResultData", function () {
    const enter = { type: "CALL", to: "0x4337084d9e255ff0702461cf8895ce9e3b5ff108", method: "0x850aaf62" };

    it("takes the last frame exit: a successful simulation's ValidationResult", function () {
      const calls = [
        enter,
        { type: "REVERT", data: RESULT },
        { type: "REVERT", data: delegateAndRevert(true, RESULT) },
      ];
      expect(simulationResultData(calls)).to.deep.equal({ kind: "result", data: RESULT });
    });

    it("takes the last frame exit: a failed simulation's revert (FailedOp)", function () {
      const calls = [enter, { type: "REVERT", data: delegateAndRevert(false, FAILED_OP) }];
      expect(simulationResultData(calls)).to.deep.equal({ kind: "revert", data: FAILED_OP });
    });

    it("throws when there is no call, the last entry is not a revert, or not DelegateAndRevert", function () {
      expect(() => simulationResultData([])).to.throw("no call");
      expect(() => simulationResultData([enter, { type: "RETURN", data: RESULT }])).to.throw(
        "not the EntryPoint",
      );
      expect(() => simulationResultData([enter, { type: "REVERT", data: FAILED_OP }])).to.throw(
        "not DelegateAndRevert",
      );
    });

    it("refuses data the tracer cut at 4,000 characters instead of misdecoding it", function () {
      const long = delegateAndRevert(true, concat([RESULT, `0x${"ab".repeat(2_000)}`]));
      const cut = long.slice(0, TRACER_DATA_LIMIT);
      expect(() => simulationResultData([enter, { type: "REVERT", data: cut }])).to.throw("cut");
    });
  });

  describe("#altoRulesOf", function () {
    it("maps each of alto's rule messages to ERC-7562 rule ids", function () {
      expect(altoRulesOf("paymaster uses banned opcode: TIMESTAMP")).to.deep.equal(["OP-011"]);
      expect(altoRulesOf("paymaster uses banned opcode: GAS")).to.deep.equal(["OP-012"]);
      expect(altoRulesOf("paymaster internally reverts on oog")).to.deep.equal(["OP-020"]);
      expect(altoRulesOf("factory with too many CREATE2")).to.deep.equal(["OP-031"]);
      expect(altoRulesOf("unstaked paymaster must not return context")).to.deep.equal(["EREP-050"]);
      expect(
        altoRulesOf("paymaster accesses un-deployed contract address 0x12 with opcode CALL"),
      ).to.deep.equal(["OP-041"]);
      expect(altoRulesOf("May not may CALL with value")).to.deep.equal(["OP-061"]);
    });

    it("maps a storage message to every storage rule (alto's messages do not say which)", function () {
      const storage = ["STO-021", "STO-022", "STO-031", "STO-032", "STO-033"];
      expect(altoRulesOf("paymaster has forbidden read from 0x99bb slot 0x00")).to.deep.equal(storage);
      expect(altoRulesOf("unstaked paymaster accessed paymaster slot 0x02")).to.deep.equal(storage);
    });

    it("maps a simulation failure to no rule", function () {
      expect(altoRulesOf("FailedOp(0, AA33 reverted)")).to.deep.equal([]);
    });
  });

  describe("#judgeCase", function () {
    const accepted = { verdict: "accepted" as const };
    const rejected = (message: string) => ({ verdict: "rejected" as const, message });

    it("passes a compliant case both checkers accept", function () {
      const j = judgeCase({ compliant: true }, { alto: accepted, project: { rules: [] } });
      expect(j).to.deep.include({ altoVerdict: "accepted", projectVerdict: "accepted", agree: true });
      expect(j.problems).to.deep.equal([]);
    });

    it("passes a non-compliant case both checkers reject for the same rule", function () {
      const j = judgeCase(
        { compliant: false, rule: "OP-011" },
        { alto: rejected("paymaster uses banned opcode: TIMESTAMP"), project: { rules: ["OP-011"] } },
      );
      expect(j.agree).to.equal(true);
      expect(j.problems).to.deep.equal([]);
    });

    it("fails a compliant case alto rejects", function () {
      const j = judgeCase(
        { compliant: true },
        { alto: rejected("unstaked paymaster accessed 0x99 slot 0x00"), project: { rules: [] } },
      );
      expect(j.agree).to.equal(false);
      expect(j.problems.join("\n")).to.contain("alto rejects a compliant operation").and.contain("disagree");
    });

    it("fails a non-compliant case alto accepts", function () {
      const j = judgeCase(
        { compliant: false, rule: "OP-012" },
        { alto: accepted, project: { rules: ["OP-012"] } },
      );
      expect(j.problems.join("\n")).to.contain("alto accepts a non-compliant operation");
    });

    it("fails a non-compliant case the project's checker accepts, or rejects for another rule", function () {
      const accepts = judgeCase(
        { compliant: false, rule: "OP-011" },
        { alto: rejected("paymaster uses banned opcode: TIMESTAMP"), project: { rules: [] } },
      );
      expect(accepts.problems.join("\n")).to.contain(
        "the project's checker accepts a non-compliant operation",
      );
      const other = judgeCase(
        { compliant: false, rule: "OP-011" },
        { alto: rejected("paymaster uses banned opcode: TIMESTAMP"), project: { rules: ["OP-012"] } },
      );
      expect(other.problems.join("\n")).to.contain("does not raise OP-011").and.contain("different rules");
    });

    it("fails two rejections for different rules, and a rejection that names no rule", function () {
      const j = judgeCase(
        { compliant: false },
        { alto: rejected("paymaster internally reverts on oog"), project: { rules: ["STO-033"] } },
      );
      expect(j.agree).to.equal(false);
      expect(j.problems.join("\n")).to.contain("different rules");
      const failed = judgeCase(
        { compliant: false },
        { alto: rejected("FailedOp(0, AA33 reverted)"), project: { rules: ["STO-033"] } },
      );
      expect(failed.agree).to.equal(false);
    });

    it("passes a documented difference that occurs as documented, and says which", function () {
      const j = judgeCase(
        { compliant: false, rule: "OP-011", knownDifference: "OP-011-staked" },
        { alto: accepted, project: { rules: ["OP-011"] } },
      );
      expect(j).to.deep.include({ agree: false, knownDifference: "OP-011-staked" });
      expect(j.problems).to.deep.equal([]);
      const anvil = judgeCase(
        { compliant: true, knownDifference: "ANVIL-V07-CREATION" },
        {
          alto: rejected(
            "FailedOp(0, AA13 initCode failed or OOG); without the tracer (eth_call) the same simulation succeeds",
          ),
          project: { rules: [] },
        },
      );
      expect(anvil.problems).to.deep.equal([]);
    });

    it("fails a documented difference that did not occur (a stale allow-list entry)", function () {
      const j = judgeCase(
        { compliant: false, rule: "OP-011", knownDifference: "OP-011-staked" },
        { alto: rejected("paymaster uses banned opcode: TIMESTAMP"), project: { rules: ["OP-011"] } },
      );
      expect(j.problems.join("\n")).to.contain("documented difference OP-011-staked did not occur");
    });

    it("fails a difference other than the documented one", function () {
      // The simulation fails under the tracer AND without it: a real failure, not the documented tracer artefact.
      const j = judgeCase(
        { compliant: true, knownDifference: "ANVIL-V07-CREATION" },
        {
          alto: rejected(
            "FailedOp(0, AA13 initCode failed or OOG); without the tracer (eth_call) the same simulation fails too",
          ),
          project: { rules: [] },
        },
      );
      expect(j.problems.join("\n")).to.contain("not as documented in ANVIL-V07-CREATION");
    });

    it("documents every allow-listed difference with a reason", function () {
      for (const [id, difference] of Object.entries(KNOWN_DIFFERENCES)) {
        expect(difference.reason.length, id).to.be.greaterThan(40);
      }
    });
  });
});
