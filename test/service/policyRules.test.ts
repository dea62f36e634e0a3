/**
 * The service's policy rules without a chain: the account call-data decoders (each account kind, batches,
 * nesting), the policy files' errors with their positions, the static rules and the webhook (a local HTTP server).
 */
import { expect } from "chai";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  encodePacked,
  getAddress,
  pad,
  parseAbi,
  toFunctionSelector,
} from "viem";
import type { Address, Hex } from "viem";

import {
  EXECUTE_USER_OP_SELECTOR,
  MULTI_SEND_CALL_ONLY,
  PolicyFileError,
  askWebhook,
  checkStaticRules,
  decodeAccountCalls,
  loadPolicyFiles,
  parsePolicyFile,
} from "../../src/service";
import type { PolicyRules, WebhookRequest } from "../../src/service";

const SENDER = getAddress(`0x${"5e".repeat(20)}`);
const TARGET = getAddress(`0x${"7a".repeat(20)}`);
const OTHER = getAddress(`0x${"0f".repeat(20)}`);
const SPONSOR = getAddress(`0x${"d1".repeat(20)}`);
const INCREMENT = toFunctionSelector("increment()");
const TRANSFER = encodeFunctionData({
  abi: parseAbi(["function transfer(address to, uint256 amount)"]),
  args: [OTHER, 5n],
});

const ABI = parseAbi([
  "function execute(address target, uint256 value, bytes data)",
  "function executeBatch((address target, uint256 value, bytes data)[] calls)",
  "function executeBatch(address[] dest, uint256[] value, bytes[] func)",
  "function execute(bytes32 mode, bytes executionCalldata)",
  "function executeUserOp(address to, uint256 value, bytes data, uint8 operation)",
  "function executeUserOpWithErrorString(address to, uint256 value, bytes data, uint8 operation)",
  "function multiSend(bytes transactions)",
]);

const execute = (target: Address, value: bigint, data: Hex) =>
  encodeFunctionData({ abi: ABI, functionName: "execute", args: [target, value, data] });
const batchV08 = (calls: { target: Address; value: bigint; data: Hex }[]) =>
  encodeFunctionData({ abi: ABI, functionName: "executeBatch", args: [calls] });
const mode7579 = (callType: number, execType = 0) =>
  pad(
    concat([`0x${callType.toString(16).padStart(2, "0")}`, `0x${execType.toString(16).padStart(2, "0")}`]),
    {
      dir: "right",
    },
  );
const execute7579 = (mode: Hex, execution: Hex) =>
  encodeFunctionData({ abi: ABI, functionName: "execute", args: [mode, execution] });
const batch7579 = (calls: { target: Address; value: bigint; callData: Hex }[]) =>
  encodeAbiParameters(
    [
      {
        type: "tuple[]",
        components: [
          { name: "target", type: "address" },
          { name: "value", type: "uint256" },
          { name: "callData", type: "bytes" },
        ],
      },
    ],
    [calls],
  );

describe("paymaster service: policy rules", function () {
  describe("#decodeAccountCalls", function () {
    it("SimpleAccount / Simple7702Account execute, and a call without data", function () {
      expect(decodeAccountCalls(SENDER, execute(TARGET, 1n, INCREMENT))).to.deep.equal({
        ok: true,
        form: "execute",
        calls: [{ target: TARGET, value: 1n, data: INCREMENT, selector: INCREMENT }],
      });
      const plain = decodeAccountCalls(SENDER, execute(OTHER, 5n, "0x"));
      expect(plain.ok && plain.calls[0].selector).to.equal("0x");
    });

    it("executeBatch of v0.8 (Call[]) and of v0.7 (three arrays, values optional)", function () {
      const v08 = decodeAccountCalls(
        SENDER,
        batchV08([
          { target: TARGET, value: 0n, data: INCREMENT },
          { target: OTHER, value: 0n, data: TRANSFER },
        ]),
      );
      expect(v08.ok && v08.calls.map((c) => [c.target, c.selector])).to.deep.equal([
        [TARGET, INCREMENT],
        [OTHER, TRANSFER.slice(0, 10)],
      ]);
      const v07 = encodeFunctionData({
        abi: ABI,
        functionName: "executeBatch",
        args: [[TARGET, OTHER], [], [INCREMENT, TRANSFER]],
      });
      const decoded = decodeAccountCalls(SENDER, v07);
      expect(decoded.ok && decoded.form).to.equal("executeBatch (v0.7)");
      expect(decoded.ok && decoded.calls.map((c) => c.target)).to.deep.equal([TARGET, OTHER]);
      const uneven = encodeFunctionData({ abi: ABI, functionName: "executeBatch", args: [[TARGET], [], []] });
      expect(decodeAccountCalls(SENDER, uneven)).to.deep.equal({
        ok: false,
        problem: "executeBatch arrays of different lengths",
      });
    });

    it("ERC-7579 execute: single and batch call types (default and try), delegatecall refused", function () {
      const single = execute7579(
        mode7579(0),
        encodePacked(["address", "uint256", "bytes"], [TARGET, 3n, INCREMENT]),
      );
      expect(decodeAccountCalls(SENDER, single)).to.deep.equal({
        ok: true,
        form: "ERC-7579 execute",
        calls: [{ target: TARGET, value: 3n, data: INCREMENT, selector: INCREMENT }],
      });
      const batch = execute7579(
        mode7579(1, 1),
        batch7579([
          { target: TARGET, value: 0n, callData: INCREMENT },
          { target: OTHER, value: 0n, callData: TRANSFER },
        ]),
      );
      const decoded = decodeAccountCalls(SENDER, batch);
      expect(decoded.ok && decoded.calls.map((c) => c.target)).to.deep.equal([TARGET, OTHER]);
      const delegate = execute7579(mode7579(0xff), encodePacked(["address", "bytes"], [TARGET, INCREMENT]));
      expect(decodeAccountCalls(SENDER, delegate)).to.deep.equal({
        ok: false,
        problem: "ERC-7579 call type delegatecall is not allowed",
      });
    });

    it("the Safe 4337 module: a CALL, a MultiSendCallOnly batch, and another delegatecall refused", function () {
      for (const functionName of ["executeUserOp", "executeUserOpWithErrorString"] as const) {
        const data = encodeFunctionData({ abi: ABI, functionName, args: [TARGET, 0n, INCREMENT, 0] });
        expect(decodeAccountCalls(SENDER, data)).to.deep.equal({
          ok: true,
          form: "Safe 4337 module",
          calls: [{ target: TARGET, value: 0n, data: INCREMENT, selector: INCREMENT }],
        });
      }
      const packed = (to: Address, data: Hex) =>
        encodePacked(
          ["uint8", "address", "uint256", "uint256", "bytes"],
          [0, to, 0n, BigInt((data.length - 2) / 2), data],
        );
      const transactions = concat([packed(TARGET, INCREMENT), packed(OTHER, TRANSFER)]);
      const multiSend = encodeFunctionData({ abi: ABI, functionName: "multiSend", args: [transactions] });
      const batch = encodeFunctionData({
        abi: ABI,
        functionName: "executeUserOp",
        args: [MULTI_SEND_CALL_ONLY[1], 0n, multiSend, 1],
      });
      const decoded = decodeAccountCalls(SENDER, batch);
      expect(decoded.ok && decoded.calls.map((c) => [c.target, c.selector])).to.deep.equal([
        [TARGET, INCREMENT],
        [OTHER, TRANSFER.slice(0, 10)],
      ]);
      const elsewhere = encodeFunctionData({
        abi: ABI,
        functionName: "executeUserOp",
        args: [OTHER, 0n, multiSend, 1],
      });
      expect(decodeAccountCalls(SENDER, elsewhere)).to.deep.equal({
        ok: false,
        problem: `a Safe delegatecall to ${OTHER}, not a canonical MultiSendCallOnly`,
      });
    });

    it("expands nesting: an executeUserOp prefix (Kernel) and a call of the account to itself, to a depth limit", function () {
      const inner = execute(TARGET, 0n, INCREMENT);
      const prefixed = concat([EXECUTE_USER_OP_SELECTOR, inner]);
      const viaPrefix = decodeAccountCalls(SENDER, prefixed);
      expect(viaPrefix.ok && viaPrefix.calls.map((c) => c.target)).to.deep.equal([TARGET]);
      // A batch whose second call is the account itself running a batch that hides a call to OTHER.
      const nested = batchV08([
        { target: TARGET, value: 0n, data: INCREMENT },
        { target: SENDER, value: 0n, data: batchV08([{ target: OTHER, value: 0n, data: TRANSFER }]) },
      ]);
      const decoded = decodeAccountCalls(SENDER, nested);
      expect(decoded.ok && decoded.calls.map((c) => c.target)).to.deep.equal([TARGET, OTHER]);
      let deep = inner;
      for (let i = 0; i < 5; i++) deep = execute(SENDER, 0n, deep);
      expect(decodeAccountCalls(SENDER, deep)).to.deep.equal({
        ok: false,
        problem: "nested deeper than 4 levels",
      });
    });

    it("reports an unknown function, short call data and malformed arguments", function () {
      expect(decodeAccountCalls(SENDER, "0x12345678")).to.deep.equal({
        ok: false,
        problem: "unknown account function 0x12345678",
      });
      expect(decodeAccountCalls(SENDER, "0x")).to.deep.equal({
        ok: false,
        problem: "the call data has no function selector",
      });
      expect(decodeAccountCalls(SENDER, execute(TARGET, 0n, INCREMENT).slice(0, 80) as Hex).ok).to.equal(
        false,
      );
    });
  });

  describe("policy files", function () {
    const valid = [
      `sponsor: "${SPONSOR}"`,
      "policies:",
      "  - policyId: 1",
      "    senders:",
      `      block: ["${OTHER}"]`,
      "    targets:",
      `      - address: "${TARGET}"`,
      '        selectors: ["increment()", "0xA9059CBB"]',
      "    webhook:",
      '      url: "https://dapp.example/approve"',
      "      timeoutMs: 1500",
      "  - policyId: 2",
      "    senders:",
      `      allow: ["${SENDER}"]`,
    ].join("\n");

    it("reads a YAML file: selectors from signatures or hex, defaults, and the entry's line", function () {
      const [one, two] = parsePolicyFile("dapp.yaml", valid);
      expect(one.source).to.equal("dapp.yaml:3");
      expect(one.sponsor).to.equal(SPONSOR);
      expect([...one.block]).to.deep.equal([OTHER]);
      expect([...one.targets!.get(TARGET)!]).to.deep.equal([INCREMENT, "0xa9059cbb"]);
      expect(one.webhook).to.deep.equal({
        url: "https://dapp.example/approve",
        timeoutMs: 1500,
        headers: {},
      });
      expect(two.allow !== undefined && [...two.allow]).to.deep.equal([SENDER]);
      expect(two.targets).to.equal(undefined);
    });

    it("reads JSON too", function () {
      const json = JSON.stringify(
        { sponsor: SPONSOR, policies: [{ policyId: 3, targets: [{ address: TARGET }] }] },
        null,
        2,
      );
      const [rules] = parsePolicyFile("dapp.json", json);
      expect(rules.policyId).to.equal(3n);
      expect(rules.targets!.get(TARGET)).to.equal(undefined);
    });

    it("names file:line:column and the fix of every problem", function () {
      const bad = [
        `sponsor: 0x1234`,
        "policies:",
        "  - policyId: 0",
        "    targets:",
        '      - address: "0x7a"',
        '        selectors: ["not a selector"]',
        "    webhok:",
        "      url: x",
        "  - policyId: 2",
        "    webhook:",
        '      url: "ftp://x"',
      ].join("\n");
      let problems: readonly string[] = [];
      try {
        parsePolicyFile("bad.yaml", bad);
      } catch (error) {
        expect(error).to.be.instanceOf(PolicyFileError);
        problems = (error as PolicyFileError).problems;
      }
      expect(problems).to.deep.equal([
        `bad.yaml:1:10: sponsor "0x1234" is not an address: write a 20-byte hex address in quotes, e.g. "0x5FbDB2315678afecb367f032d93F642f64180aa3"`,
        'bad.yaml:3:15: policies[0].policyId policyId "0" must be a positive integer below 2^64: the id createPolicy returned (see the PolicySet event)',
        `bad.yaml:5:18: policies[0].targets[0].address "0x7a" is not an address: write a 20-byte hex address in quotes, e.g. "0x5FbDB2315678afecb367f032d93F642f64180aa3"`,
        'bad.yaml:6:21: policies[0].targets[0].selectors[0] "not a selector" is neither a 4-byte selector nor a function signature with known types: write e.g. "transfer(address,uint256)" or "0xa9059cbb"',
        'bad.yaml:7:5: unknown key "webhok" in policies[0]: remove it or fix its spelling',
        'bad.yaml:11:12: policies[1].webhook.url "ftp://x" is not an http(s) URL: write e.g. "https://dapp.example/approve"',
      ]);
    });

    it("reports YAML syntax errors, a missing key, a duplicate policy and an unreadable file", function () {
      expect(() => parsePolicyFile("s.yaml", 'sponsor: "x\npolicies: [')).to.throw(
        PolicyFileError,
        's.yaml:2:12: Missing closing "quote (fix the YAML/JSON syntax)',
      );
      expect(() => parsePolicyFile("m.yaml", `sponsor: "${SPONSOR}"\n`)).to.throw(
        PolicyFileError,
        "m.yaml:1:1: policies is missing: add it",
      );
      expect(() =>
        parsePolicyFile("d.yaml", `sponsor: "${SPONSOR}"\npolicies:\n  - policyId: 1\n  - policyId: 1\n`),
      ).to.throw(
        PolicyFileError,
        "d.yaml:4:15: policies[1].policyId policy 1 is listed twice (also policies[0]): merge the two entries",
      );
      const dir = mkdtempSync(path.join(tmpdir(), "policy-files-"));
      const a = path.join(dir, "a.yaml");
      const b = path.join(dir, "b.yaml");
      writeFileSync(a, `sponsor: "${SPONSOR}"\npolicies:\n  - policyId: 1\n`);
      writeFileSync(b, `sponsor: "${SPONSOR.toLowerCase()}"\npolicies:\n  - policyId: 1\n`);
      expect(() => loadPolicyFiles([a, b])).to.throw(
        PolicyFileError,
        `${b}:3: policy 1 of sponsor ${SPONSOR} is also defined at ${a}:3: keep one`,
      );
      expect(() => loadPolicyFiles([path.join(dir, "none.yaml")])).to.throw(
        PolicyFileError,
        "cannot be read (ENOENT): check the path",
      );
      expect(loadPolicyFiles([a]).size).to.equal(1);
    });
  });

  describe("#checkStaticRules", function () {
    const rules: PolicyRules = {
      source: "t.yaml:3",
      sponsor: SPONSOR,
      policyId: 1n,
      block: new Set([OTHER]),
      targets: new Map([[TARGET, new Set([INCREMENT])]]),
    };

    it("passes an allowed call and names the rule of each refusal", function () {
      expect(checkStaticRules(rules, SENDER, execute(TARGET, 0n, INCREMENT))).to.equal(undefined);
      const rule = (sender: Address, callData: Hex, over: Partial<PolicyRules> = {}) =>
        checkStaticRules({ ...rules, ...over }, sender, callData)?.rule;
      expect(rule(OTHER, execute(TARGET, 0n, INCREMENT))).to.equal("senders.block");
      expect(rule(SENDER, execute(TARGET, 0n, INCREMENT), { allow: new Set([TARGET]) })).to.equal(
        "senders.allow",
      );
      expect(rule(SENDER, "0x12345678")).to.equal("callData");
      expect(rule(SENDER, execute(OTHER, 0n, INCREMENT))).to.equal("targets");
      expect(rule(SENDER, execute(TARGET, 0n, TRANSFER))).to.equal("selectors");
      expect(rule(SENDER, execute(TARGET, 1n, "0x"))).to.equal("selectors");
      // Without target rules, any call data passes (the chain still enforces the policy's limits).
      expect(rule(SENDER, "0x12345678", { targets: undefined })).to.equal(undefined);
    });

    it("refuses a batch as soon as one call is outside the policy", function () {
      const refusal = checkStaticRules(
        rules,
        SENDER,
        batchV08([
          { target: TARGET, value: 0n, data: INCREMENT },
          { target: OTHER, value: 0n, data: TRANSFER },
        ]),
      );
      expect(refusal?.detail).to.equal(
        `call 1 goes to ${OTHER}, not a contract the policy allows (${TARGET})`,
      );
    });
  });

  describe("#askWebhook", function () {
    let server: Server;
    let url: string;
    let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
    const seen: unknown[] = [];

    before(async function () {
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          seen.push({ headers: req.headers, body: JSON.parse(body) as unknown });
          handler(req, res, body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/approve`;
    });
    after(async function () {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const request: WebhookRequest = {
      stage: "final",
      chainId: 31337,
      entryPoint: TARGET,
      sponsor: SPONSOR,
      policyId: "1",
      userOp: { sender: SENDER },
    };
    const rulesWith = (timeoutMs = 500): PolicyRules & { webhook: NonNullable<PolicyRules["webhook"]> } => ({
      source: "t.yaml:3",
      sponsor: SPONSOR,
      policyId: 1n,
      block: new Set(),
      webhook: { url, timeoutMs, headers: { authorization: "Bearer t" } },
    });
    const answer = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    };

    it("approves on 2xx {approve: true}, POSTing the operation with the configured headers", async function () {
      handler = answer(200, '{"approve": true}');
      seen.length = 0;
      expect(await askWebhook(rulesWith(), request)).to.equal(undefined);
      const [first] = seen as { headers: Record<string, string>; body: WebhookRequest }[];
      expect(first.headers.authorization).to.equal("Bearer t");
      expect(first.body).to.deep.equal(request);
    });

    it("is denied on {approve: false}, with the dApp's reason", async function () {
      handler = answer(200, '{"approve": false, "reason": "daily quota reached"}');
      const refusal = await askWebhook(rulesWith(), request);
      expect(refusal?.rule).to.equal("webhook.denied");
      expect(refusal?.detail).to.contain("did not approve the operation: daily quota reached");
    });

    it("fails closed on a timeout, a 500, a body without approve, and an unreachable server", async function () {
      handler = () => undefined; // never answers
      const late = await askWebhook(rulesWith(100), request);
      expect(late?.rule).to.equal("webhook.unavailable");
      expect(late?.detail).to.contain("did not answer within 100 ms");
      handler = answer(500, '{"approve": true}');
      expect((await askWebhook(rulesWith(), request))?.detail).to.contain("answered HTTP 500");
      handler = answer(200, "yes");
      expect((await askWebhook(rulesWith(), request))?.detail).to.contain(
        'answered without {"approve": true|false}',
      );
      const closed = { ...rulesWith(), webhook: { url: "http://127.0.0.1:1/", timeoutMs: 500, headers: {} } };
      expect((await askWebhook(closed, request))?.detail).to.contain("could not be reached");
    });
  });
});
