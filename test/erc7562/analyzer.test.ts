/**
 * Unit tests of the ERC-7562 analyzer on synthetic `structLogs`: each rule in isolation, including the
 * ones the integration suite (checker.test.ts) cannot reach with real contracts.
 */
import { expect } from "chai";
import {
  concat,
  dataLength,
  getAddress,
  getCreate2Address,
  id,
  keccak256,
  toBeHex,
  zeroPadValue,
} from "ethers";

import { BANNED_OPCODES, SELECTORS, analyzeValidation, parseTraceResponse } from "../../src/erc7562";
import type { AnalyzeOptions, StructLog, Violation } from "../../src/erc7562";

const EP = getAddress("0x4337084d9e255ff0702461cf8895ce9e3b5ff108");
const SENDER = getAddress("0x1111111111111111111111111111111111111111");
const PM = getAddress("0x2222222222222222222222222222222222222222");
const OTHER = getAddress("0x3333333333333333333333333333333333333333");
const FACTORY = getAddress("0x4444444444444444444444444444444444444444");
const SENDER_CREATOR = getAddress("0x5555555555555555555555555555555555555555");
const NO_CODE = getAddress("0x6666666666666666666666666666666666666666");

const BASE_OPTIONS: AnalyzeOptions = {
  entryPoint: EP,
  sender: SENDER,
  paymaster: PM,
  paymasterStaked: false,
};

function word(value: bigint): string {
  return toBeHex(value, 32).slice(2);
}

/** Lays `data` out in memory from offset 0, as 32-byte words. */
function memoryOf(data: string): string[] {
  const hex = data.slice(2);
  const words: string[] = [];
  for (let i = 0; i < hex.length; i += 64) words.push(hex.slice(i, i + 64).padEnd(64, "0"));
  return words;
}

/** Builds a synthetic trace, one step at a time, tracking the pc. */
class Trace {
  readonly logs: StructLog[] = [];

  step(
    op: string,
    depth: number,
    stack: readonly bigint[] = [],
    memory: readonly string[] = [],
    gas = 1_000_000,
  ): this {
    this.logs.push({ pc: this.logs.length, op, depth, gas, gasCost: 3, stack: stack.map(word), memory });
    return this;
  }

  /** A *CALL with calldata `data` at memory offset 0 (stack bottom → top as the EVM holds it). */
  call(op: string, depth: number, target: string, data = "0x", value = 0n): this {
    const size = BigInt(dataLength(data));
    const stack =
      op === "CALL" || op === "CALLCODE"
        ? [0n, 0n, size, 0n, value, BigInt(target), 100_000n]
        : [0n, 0n, size, 0n, BigInt(target), 100_000n];
    return this.step(op, depth, stack, memoryOf(data));
  }

  /** EntryPoint (depth 1) → validatePaymasterUserOp on PM (depth 2) running `body`, then back. */
  paymaster(body: (t: this) => void, target = PM): this {
    this.step("PUSH1", 1).call(
      "CALL",
      1,
      target,
      concat([SELECTORS.validatePaymasterUserOp, toBeHex(0n, 32)]),
    );
    body(this);
    return this.step("RETURN", 2).step("POP", 1);
  }

  /** EntryPoint (depth 1) → validateUserOp on SENDER (depth 2) running `body`, then back. */
  account(body: (t: this) => void): this {
    this.step("PUSH1", 1).call("CALL", 1, SENDER, SELECTORS.validateUserOp);
    body(this);
    return this.step("RETURN", 2).step("POP", 1);
  }
}

function analyze(trace: Trace, options: Partial<AnalyzeOptions> = {}): Violation[] {
  return analyzeValidation(trace.logs, { ...BASE_OPTIONS, ...options }).violations;
}

function rules(violations: readonly Violation[]): string[] {
  return violations.map(
    (v) => `${v.rule} ${v.entity} ${v.opcode ?? "-"} ${v.address ?? "-"} ${v.slot ?? "-"}`,
  );
}

describe("ERC-7562 analyzer (synthetic traces)", function () {
  describe("#analyzeValidation", function () {
    it("returns nothing for an empty trace", function () {
      expect(analyzeValidation([], BASE_OPTIONS)).to.deep.equal({ violations: [], frames: [] });
    });

    it("reports every OP-011 opcode in the paymaster's frame, attributed to the paymaster's code", function () {
      for (const op of [...BANNED_OPCODES].filter((name) => name !== "CREATE")) {
        const trace = new Trace().paymaster((t) => t.step(op, 2));
        expect(rules(analyze(trace)), op).to.deep.equal([`OP-011 paymaster ${op} ${PM} -`]);
      }
    });

    it("ignores banned opcodes of the EntryPoint's own frames", function () {
      const trace = new Trace()
        .step("TIMESTAMP", 1)
        .step("NUMBER", 1)
        .paymaster((t) => t.step("PUSH1", 2));
      expect(analyze(trace)).to.deep.equal([]);
    });

    it("stops at BeforeExecution: execution-phase calls are not validation", function () {
      const beforeExecution = BigInt(id("BeforeExecution()"));
      const trace = new Trace()
        .paymaster((t) => t.step("PUSH1", 2))
        .step("LOG1", 1, [beforeExecution, 0n, 0n])
        .paymaster((t) => t.step("TIMESTAMP", 2));
      const result = analyzeValidation(trace.logs, BASE_OPTIONS);
      expect(result.violations).to.deep.equal([]);
      expect(result.frames).to.have.lengthOf(1);
    });

    it("allows GAS immediately followed by a *CALL and reports it otherwise (OP-012)", function () {
      const ok = new Trace().paymaster((t) => t.step("GAS", 2).call("STATICCALL", 2, OTHER).step("STOP", 3));
      expect(analyze(ok)).to.deep.equal([]);
      const bad = new Trace().paymaster((t) => t.step("GAS", 2).step("POP", 2));
      expect(rules(analyze(bad))).to.deep.equal([`OP-012 paymaster GAS ${PM} -`]);
    });

    it("allows BALANCE and SELFBALANCE only to a staked entity (OP-080)", function () {
      const trace = () =>
        new Trace().paymaster((t) => t.step("BALANCE", 2, [BigInt(OTHER)]).step("SELFBALANCE", 2));
      expect(rules(analyze(trace()))).to.deep.equal([
        `OP-080 paymaster BALANCE ${PM} -`,
        `OP-080 paymaster SELFBALANCE ${PM} -`,
      ]);
      expect(analyze(trace(), { paymasterStaked: true })).to.deep.equal([]);
    });

    it("reports a frame that runs out of gas (OP-020) but not one that reverts", function () {
      const oog = new Trace().paymaster((t) =>
        t.call("CALL", 2, OTHER).step("SLOAD", 3, [0n], [], 100).step("POP", 2),
      );
      // A synthetic SLOAD costs 3 here: model the node capping the reported cost at the gas left.
      oog.logs[3] = { ...oog.logs[3], gasCost: 100 };
      expect(rules(analyze(oog)).filter((r) => r.startsWith("OP-020"))).to.deep.equal([
        `OP-020 paymaster SLOAD ${OTHER} -`,
      ]);
      const reverted = new Trace().paymaster((t) =>
        t.call("CALL", 2, OTHER).step("REVERT", 3, [0n, 0n]).step("POP", 2),
      );
      expect(analyze(reverted)).to.deep.equal([]);
      const reported = new Trace().paymaster((t) =>
        t.call("CALL", 2, OTHER).step("JUMPDEST", 3).step("POP", 2),
      );
      reported.logs[3] = { ...reported.logs[3], error: { message: "out of gas" } };
      expect(rules(analyze(reported))).to.deep.equal([`OP-020 paymaster JUMPDEST ${OTHER} -`]);
    });

    it("reports CALL with value (OP-061) and calls to addresses without code (OP-041)", function () {
      const trace = new Trace().paymaster((t) =>
        t.call("CALL", 2, OTHER, "0x", 5n).step("STOP", 3).call("CALL", 2, NO_CODE).step("POP", 2),
      );
      expect(rules(analyze(trace))).to.deep.equal([
        `OP-061 paymaster CALL ${OTHER} -`,
        `OP-041 paymaster CALL ${NO_CODE} -`,
      ]);
    });

    it("detects EXTCODESIZE/EXTCODEHASH on code-less addresses (OP-041) and EntryPoint access (OP-051, OP-054)", function () {
      const emptyCodeHash = BigInt(keccak256("0x"));
      const trace = new Trace().paymaster((t) =>
        t
          .step("EXTCODESIZE", 2, [BigInt(NO_CODE)])
          .step("ISZERO", 2, [0n])
          .step("EXTCODEHASH", 2, [BigInt(NO_CODE)])
          .step("POP", 2, [emptyCodeHash])
          .step("EXTCODESIZE", 2, [BigInt(OTHER)])
          .step("POP", 2, [100n])
          .step("EXTCODESIZE", 2, [BigInt(EP)])
          .step("POP", 2, [100n])
          .step("EXTCODEHASH", 2, [BigInt(EP)])
          .step("POP", 2, [1n]),
      );
      expect(rules(analyze(trace))).to.deep.equal([
        `OP-041 paymaster EXTCODESIZE ${NO_CODE} -`,
        `OP-041 paymaster EXTCODEHASH ${NO_CODE} -`,
        `OP-054 paymaster EXTCODEHASH ${EP} -`,
      ]);
    });

    it("allows depositTo(sender) and the fallback from the account, and nothing else into the EntryPoint (OP-052..054)", function () {
      const depositToSender = concat([SELECTORS.depositTo, zeroPadValue(SENDER, 32)]);
      const depositToOther = concat([SELECTORS.depositTo, zeroPadValue(OTHER, 32)]);
      const balanceOf = concat([id("balanceOf(address)").slice(0, 10), zeroPadValue(SENDER, 32)]);
      const account = new Trace().account((t) =>
        t
          .call("CALL", 2, EP, depositToSender, 7n)
          .step("STOP", 3)
          .call("CALL", 2, EP, "0x", 7n)
          .step("STOP", 3)
          .call("CALL", 2, EP, depositToOther)
          .step("STOP", 3)
          .call("STATICCALL", 2, EP, balanceOf)
          .step("STOP", 3),
      );
      expect(rules(analyze(account))).to.deep.equal([
        `OP-054 account CALL ${EP} -`,
        `OP-054 account STATICCALL ${EP} -`,
      ]);
      const paymaster = new Trace().paymaster((t) => t.call("CALL", 2, EP, depositToSender).step("STOP", 3));
      expect(rules(analyze(paymaster))).to.deep.equal([`OP-054 paymaster CALL ${EP} -`]);
    });

    it("allows the core precompiles and reports others unless allowed (OP-062)", function () {
      const p256 = getAddress("0x0000000000000000000000000000000000000100");
      const trace = () =>
        new Trace().paymaster((t) =>
          t
            .call("STATICCALL", 2, getAddress("0x0000000000000000000000000000000000000001"))
            .call("STATICCALL", 2, getAddress("0x000000000000000000000000000000000000000a"))
            .call("STATICCALL", 2, p256),
        );
      const ecrecover = getAddress("0x0000000000000000000000000000000000000001");
      const pointEvaluation = getAddress("0x000000000000000000000000000000000000000a");
      expect(rules(analyze(trace()))).to.deep.equal([
        `OP-062 paymaster STATICCALL ${pointEvaluation} -`,
        `OP-062 paymaster STATICCALL ${p256} -`,
      ]);
      expect(rules(analyze(trace(), { allowedPrecompiles: [p256] }))).to.deep.equal([
        `OP-062 paymaster STATICCALL ${ecrecover} -`,
        `OP-062 paymaster STATICCALL ${pointEvaluation} -`,
      ]);
    });

    it("keeps the caller's storage context across DELEGATECALL and switches it on CALL", function () {
      const trace = new Trace().paymaster((t) =>
        t
          .call("DELEGATECALL", 2, OTHER)
          .step("SSTORE", 3, [1n, 5n])
          .step("STOP", 3)
          .call("CALL", 2, OTHER)
          .step("SSTORE", 3, [1n, 5n])
          .step("STOP", 3),
      );
      const slot5 = toBeHex(5n, 32);
      expect(rules(analyze(trace))).to.deep.equal([
        `STO-031 paymaster SSTORE ${PM} ${slot5}`,
        `STO-033 paymaster SSTORE ${OTHER} ${slot5}`,
      ]);
    });

    it("associates slots through the keccak preimages seen in the trace (STO-032, STO-033)", function () {
      const preimage = concat([zeroPadValue(PM, 32), toBeHex(1n, 32)]);
      const base = BigInt(keccak256(preimage));
      const trace = () =>
        new Trace().paymaster((t) =>
          t
            .step("KECCAK256", 2, [64n, 0n], memoryOf(preimage))
            .step("PUSH1", 2, [base])
            .call("CALL", 2, OTHER)
            .step("SSTORE", 3, [1n, base + 3n])
            .step("SSTORE", 3, [1n, base + 128n])
            .step("SLOAD", 3, [base + 200n])
            .step("STOP", 3),
        );
      expect(rules(analyze(trace()))).to.deep.equal([
        `STO-032 paymaster SSTORE ${OTHER} ${toBeHex(base + 3n, 32)}`,
        `STO-033 paymaster SSTORE ${OTHER} ${toBeHex(base + 128n, 32)}`,
        `STO-033 paymaster SLOAD ${OTHER} ${toBeHex(base + 200n, 32)}`,
      ]);
      expect(rules(analyze(trace(), { paymasterStaked: true }))).to.deep.equal([
        `STO-033 paymaster SSTORE ${OTHER} ${toBeHex(base + 128n, 32)}`,
      ]);
    });

    it("allows sender-associated slots once the account exists and requires a staked factory while it is created (STO-021/022)", function () {
      const trace = () =>
        new Trace().paymaster((t) =>
          t
            .call("CALL", 2, OTHER)
            .step("SLOAD", 3, [BigInt(SENDER)])
            .step("STOP", 3),
        );
      expect(analyze(trace())).to.deep.equal([]);
      expect(rules(analyze(trace(), { factory: FACTORY }))).to.deep.equal([
        `STO-022 paymaster SLOAD ${OTHER} ${toBeHex(BigInt(SENDER), 32)}`,
      ]);
      expect(analyze(trace(), { factory: FACTORY, factoryStaked: true })).to.deep.equal([]);
    });

    it("never lets an entity use another entity's storage, even when staked", function () {
      const trace = new Trace().paymaster((t) =>
        t.call("STATICCALL", 2, FACTORY).step("SLOAD", 3, [0n]).step("STOP", 3),
      );
      const violations = analyze(trace, { factory: FACTORY, paymasterStaked: true });
      expect(rules(violations)).to.deep.equal([`STO-033 paymaster SLOAD ${FACTORY} ${toBeHex(0n, 32)}`]);
      expect(violations[0].message).to.contain("another entity");
    });

    it("ignores the EntryPoint's storage reached through an allowed deposit", function () {
      const trace = new Trace().account((t) =>
        t.call("CALL", 2, EP, "0x", 1n).step("SSTORE", 3, [1n, 9n]).step("STOP", 3),
      );
      expect(analyze(trace)).to.deep.equal([]);
    });

    it("lets the factory CREATE2 the sender once, through the SenderCreator, and nothing else (OP-031)", function () {
      const initCode = "0x00";
      const salt = 9n;
      const sender = getCreate2Address(FACTORY, toBeHex(salt, 32), keccak256(initCode));
      const create2 = (t: Trace, depth: number) =>
        t.step("CREATE2", depth, [salt, 1n, 0n, 0n], memoryOf(initCode));
      const trace = new Trace()
        .call("CALL", 1, SENDER_CREATOR, concat([SELECTORS.createSender, toBeHex(0n, 32)]))
        .call("CALL", 2, FACTORY, "0x5fbfb9cf")
        .step("EXTCODESIZE", 3, [BigInt(sender)])
        .step("ISZERO", 3, [0n]);
      create2(trace, 3)
        .step("SSTORE", 4, [1n, 0n])
        .step("RETURN", 4)
        .step("POP", 3, [BigInt(sender)]);
      create2(trace, 3)
        .step("POP", 3, [0n])
        .step("RETURN", 3)
        .step("POP", 2)
        .step("RETURN", 2)
        .step("POP", 1);
      const result = analyzeValidation(trace.logs, { ...BASE_OPTIONS, sender });
      expect(result.frames.map((frame) => [frame.entity, frame.address, frame.depth])).to.deep.equal([
        ["factory", FACTORY, 3],
      ]);
      expect(rules(result.violations)).to.deep.equal([`OP-031 factory CREATE2 ${sender} -`]);
      expect(result.violations[0].pc).to.equal(8);

      const inEntryPoint = create2(
        new Trace().paymaster((t) => t.step("PUSH1", 2)),
        1,
      );
      expect(analyze(inEntryPoint)).to.deep.equal([]); // the EntryPoint's own CREATE2 is none of our business
      const pmCreate2 = new Trace().paymaster((t) => create2(t, 2).step("POP", 2, [1n]));
      expect(rules(analyze(pmCreate2)).map((r) => r.split(" ").slice(0, 3).join(" "))).to.deep.equal([
        "OP-031 paymaster CREATE2",
      ]);
    });

    it("resolves a CREATE's address when it returns and reports its storage there; CREATE is the sender's right only (OP-032)", function () {
      const created = getAddress("0x7777777777777777777777777777777777777777");
      const trace = new Trace().paymaster((t) =>
        t
          .step("CREATE", 2, [1n, 0n, 0n])
          .step("SSTORE", 3, [1n, 2n])
          .step("RETURN", 3)
          .step("POP", 2, [BigInt(created)]),
      );
      expect(rules(analyze(trace))).to.deep.equal([
        `OP-011 paymaster CREATE ${PM} -`,
        `STO-033 paymaster SSTORE ${created} ${toBeHex(2n, 32)}`,
      ]);
      const senderCreates = new Trace().account((t) =>
        t
          .step("CREATE", 2, [1n, 0n, 0n])
          .step("STOP", 3)
          .step("POP", 2, [BigInt(created)]),
      );
      expect(analyze(senderCreates, { factory: FACTORY })).to.deep.equal([]);
      expect(rules(analyze(senderCreates))).to.deep.equal([`OP-011 account CREATE ${SENDER} -`]);
    });

    it("throws on a trace without stack or memory", function () {
      const noStack: StructLog[] = [{ pc: 0, op: "SLOAD", depth: 1, gas: 1, gasCost: 1 }];
      expect(() =>
        analyzeValidation(
          [{ pc: 0, op: "CALL", depth: 1, gas: 1, gasCost: 1, stack: [], memory: [] }, ...noStack],
          BASE_OPTIONS,
        ),
      ).to.throw("fewer than 2 stack items");
      const call = new Trace().call("CALL", 1, PM, SELECTORS.validatePaymasterUserOp).logs[0];
      expect(() => analyzeValidation([{ ...call, memory: undefined }], BASE_OPTIONS)).to.throw(
        "has no memory",
      );
      expect(() => analyzeValidation([{ ...call, stack: undefined }], BASE_OPTIONS)).to.throw("has no stack");
    });
  });

  describe("#parseTraceResponse", function () {
    it("normalises a Hardhat response", function () {
      const parsed = parseTraceResponse({
        failed: false,
        gas: 21000,
        returnValue: "",
        structLogs: [{ pc: 0, op: "STOP", depth: 1, gas: 10, gasCost: 0, stack: [], memory: [] }],
      });
      expect(parsed).to.deep.equal({
        failed: false,
        gas: 21000,
        returnValue: "0x",
        structLogs: [
          { pc: 0, op: "STOP", depth: 1, gas: 10, gasCost: 0, stack: [], memory: [], error: undefined },
        ],
      });
    });

    it("rejects responses without structLogs, or steps without stack or memory", function () {
      expect(() => parseTraceResponse({ result: "0x" })).to.throw("has no structLogs");
      expect(() => parseTraceResponse({ structLogs: [{ pc: 0 }] })).to.throw("structLogs[0] is malformed");
      expect(() =>
        parseTraceResponse({ structLogs: [{ pc: 0, op: "STOP", depth: 1, gas: 1, gasCost: 0, stack: [] }] }),
      ).to.throw("lacks stack or memory");
      expect(() =>
        parseTraceResponse({
          structLogs: [{ pc: null, op: "STOP", depth: 1, gas: 1, gasCost: 0, stack: [], memory: [] }],
        }),
      ).to.throw("pc is not a number");
    });
  });
});
