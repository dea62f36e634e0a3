/**
 * Hostile requests and policy files against the paymaster service: every refusal is a JSON-RPC error with a
 * documented code (docs/client.md, "Error codes") and a message naming the field and the fix, never an HTTP 500, a
 * stack trace, or paymaster data for an operation the rules refuse.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { createPublicClient, custom, getAddress, numberToHex } from "viem";
import { hardhat } from "viem/chains";

import {
  MAX_BATCH,
  POLICY_SIGNER_KEY_ENV,
  PolicyFileError,
  parsePolicyFile,
  parseServiceSettings,
  startPaymasterService,
} from "../../src/service";
import type { RunningPaymasterService } from "../../src/service";
import { clientFixture, rpcUserOperation, userOperation } from "../client/fixture";
import type { ClientFixture } from "../client/fixture";

const CHAIN = "0x7a69";
const UINT128_MAX = 2n ** 128n - 1n;
/** The JSON-RPC codes docs/client.md lists. */
const DOCUMENTED_CODES = new Set([
  -32700,
  -32600,
  -32601,
  -32602,
  -32603,
  -32001,
  -32002,
  ...Array.from({ length: 10 }, (_, i) => -32010 - i),
  ...Array.from({ length: 5 }, (_, i) => -32020 - i),
  ...Array.from({ length: 8 }, (_, i) => -32030 - i),
  -32040,
]);

const running: RunningPaymasterService[] = [];

interface Fx extends ClientFixture {
  url: string;
}

async function serviceFixture(): Promise<Fx> {
  const fx = await clientFixture();
  const client = createPublicClient({
    chain: hardhat,
    transport: custom(
      { request: (args: RequestArguments) => network.provider.request(args) },
      { retryCount: 0 },
    ),
  });
  const service = await startPaymasterService({
    client,
    chainId: 31337,
    paymasters: [fx.paymaster],
    ledger: fx.ledger,
    log: () => undefined,
  });
  running.push(service);
  return { ...fx, url: service.url };
}

interface Answer {
  status: number;
  text: string;
  body: unknown;
}

async function post(url: string, body: string, contentType = "application/json"): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body });
  const text = await response.text();
  return { status: response.status, text, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

function call(method: string, params: unknown, id: number | string = 1) {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

/** Posts one call; asserts an HTTP 200 JSON-RPC error with a documented code, no stack, and returns it. */
async function rpcError(url: string, body: string): Promise<{ code: number; message: string }> {
  const answer = await post(url, body);
  expect(answer.status, answer.text).to.equal(200);
  expect(answer.text).to.not.match(/\n\s+at |\.ts:\d+/);
  const response = answer.body as { result?: unknown; error?: { code: number; message: string } };
  expect(response.result, `answered ${answer.text}`).to.equal(undefined);
  expect(DOCUMENTED_CODES.has(response.error!.code), `undocumented code ${response.error!.code}`).to.equal(
    true,
  );
  return { code: response.error!.code, message: response.error!.message };
}

describe("paymaster service: hostile input", function () {
  after(async function () {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  describe("user operation fields", function () {
    for (const field of [
      "callGasLimit",
      "verificationGasLimit",
      "maxFeePerGas",
      "maxPriorityFeePerGas",
    ] as const) {
      it(`refuses ${field} above 2^128 - 1 (no encoding in the packed operation) with -32602`, async function () {
        const fx = await loadFixture(serviceFixture);
        const op = rpcUserOperation(userOperation(fx, fx.sponsored));
        const context = { mode: "SPONSORED", sponsor: fx.dapp };
        for (const method of ["pm_getPaymasterStubData", "pm_getPaymasterData"]) {
          for (const value of [UINT128_MAX + 1n, 2n ** 256n - 1n]) {
            const params = [{ ...op, [field]: numberToHex(value) }, fx.entryPoint, CHAIN, context];
            expect(await rpcError(fx.url, call(method, params))).to.deep.equal({
              code: -32602,
              message:
                `invalid params: userOp.${field} = ${value} exceeds 2^128 - 1, the most the EntryPoint packs ` +
                "into its 128 bits",
            });
          }
        }
        // 2^128 - 1 itself has an encoding: judged by the paymaster's rules instead (not a shape error).
        const edge = [{ ...op, [field]: numberToHex(UINT128_MAX) }, fx.entryPoint, CHAIN, context];
        const answer = (await post(fx.url, call("pm_getPaymasterStubData", edge))).body as {
          error?: { code: number };
        };
        expect(answer.error?.code).to.not.equal(-32602);
      });
    }

    it("refuses factoryData without a factory (it would be dropped) and a zero factory with -32602", async function () {
      const fx = await loadFixture(serviceFixture);
      const op = rpcUserOperation(userOperation(fx, fx.sponsored));
      const context = { mode: "SPONSORED", sponsor: fx.dapp };
      const params = [{ ...op, factory: undefined, factoryData: "0x1234" }, fx.entryPoint, CHAIN, context];
      expect(await rpcError(fx.url, call("pm_getPaymasterData", params))).to.deep.equal({
        code: -32602,
        message:
          'invalid params: userOp.factoryData must be absent or "0x" without userOp.factory (give the factory ' +
          "that deploys the sender)",
      });
      const zero = [
        { ...op, factory: "0x0000000000000000000000000000000000000000" },
        fx.entryPoint,
        CHAIN,
        context,
      ];
      expect(await rpcError(fx.url, call("pm_getPaymasterData", zero))).to.deep.equal({
        code: -32602,
        message:
          "invalid params: userOp.factory must not be the zero address: omit factory (or send null) once the " +
          "account is deployed",
      });
      const empty = [{ ...op, factory: undefined, factoryData: "0x" }, fx.entryPoint, CHAIN, context];
      const answer = (await post(fx.url, call("pm_getPaymasterStubData", empty))).body as { error?: unknown };
      expect(answer.error).to.equal(undefined);
    });
  });

  describe("envelopes", function () {
    it("answers every malformed body with a documented JSON-RPC error, never a 500 or a stack", async function () {
      const fx = await loadFixture(serviceFixture);
      const op = rpcUserOperation(userOperation(fx, fx.sponsored));
      const cases: [string, number][] = [
        ["", -32700],
        ["{", -32700],
        ["null", -32600],
        ['"pm_getPaymasterData"', -32600],
        ['{"jsonrpc":"1.0","id":1,"method":"pm_getPaymasterData","params":[]}', -32600],
        ['{"jsonrpc":"2.0","id":{},"method":"pm_getPaymasterData","params":[]}', -32600],
        ['{"jsonrpc":"2.0","id":1,"method":7,"params":[]}', -32600],
        ['{"jsonrpc":"2.0","id":1,"method":"pm_getPaymasterData","params":"x"}', -32600],
        ['{"jsonrpc":"2.0","id":1,"method":"constructor","params":[]}', -32601],
        ['{"jsonrpc":"2.0","id":1,"method":"__proto__","params":[]}', -32601],
        ['{"jsonrpc":"2.0","id":1,"method":"pm_getPaymasterData","params":null}', -32602],
        ['{"jsonrpc":"2.0","id":1,"method":"pm_getPaymasterData","params":{"userOp":{}}}', -32602],
        [call("pm_getPaymasterData", [op, fx.entryPoint, CHAIN, []]), -32602],
        [
          call("pm_getPaymasterData", [
            op,
            fx.entryPoint,
            CHAIN,
            { mode: "POLICY", sponsor: fx.dapp, policyId: 1.5 },
          ]),
          -32602,
        ],
        [
          call("pm_getPaymasterData", [op, fx.entryPoint, CHAIN, { sponsor: fx.dapp, policyId: "7" }]),
          -32602,
        ],
        [call("pm_getPaymasterData", [op, fx.entryPoint, `0x${"f".repeat(64)}`, { mode: "SELF" }]), -32602],
        [
          call("pm_getPaymasterData", [
            { ...op, eip7702Auth: "0x01" },
            fx.entryPoint,
            CHAIN,
            { mode: "SELF" },
          ]),
          -32602,
        ],
        // Well-formed, but no policy file covers it: the service refuses, it does not sign.
        [call("pm_getPaymasterData", [op, fx.entryPoint, CHAIN, { sponsor: fx.dapp, policyId: 7 }]), -32030],
      ];
      for (const [body, code] of cases) {
        expect((await rpcError(fx.url, body)).code, body.slice(0, 120)).to.equal(code);
      }
    });

    it("answers each call of a batch on its own, a nested batch included, and refuses an oversized batch", async function () {
      const fx = await loadFixture(serviceFixture);
      const answer = await post(fx.url, JSON.stringify([[], 1, { jsonrpc: "2.0", id: 9, method: "x" }]));
      expect(answer.status).to.equal(200);
      expect(
        (answer.body as { id: unknown; error: { code: number } }[]).map((r) => [r.id, r.error.code]),
      ).to.deep.equal([
        [null, -32600],
        [null, -32600],
        [9, -32601],
      ]);
      const oversized = JSON.stringify(
        Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "x" })),
      );
      expect((await rpcError(fx.url, oversized)).code).to.equal(-32600);
    });
  });

  describe("HTTP content type", function () {
    it("answers 415 with -32600 to a form or text body, and accepts JSON with parameters or none given", async function () {
      const fx = await loadFixture(serviceFixture);
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x" });
      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
      ]) {
        const answer = await post(fx.url, body, type);
        expect(answer.status, type).to.equal(415);
        expect(answer.body).to.deep.equal({
          jsonrpc: "2.0",
          id: null,
          error: {
            code: -32600,
            message: `invalid request: content-type must be application/json, got ${type}`,
          },
        });
      }
      for (const type of [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json-rpc+json",
      ]) {
        const answer = await post(fx.url, body, type);
        expect(answer.status, type).to.equal(200);
        expect((answer.body as { error: { code: number } }).error.code, type).to.equal(-32601);
      }
      const bare = await fetch(fx.url, { method: "POST", body: new TextEncoder().encode(body) });
      expect(bare.headers.get("content-type")).to.equal("application/json");
      expect(((await bare.json()) as { error: { code: number } }).error.code).to.equal(-32601);
    });
  });

  describe("policy files", function () {
    const SPONSOR = getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const OTHER = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

    function problems(text: string): readonly string[] {
      try {
        parsePolicyFile("p.yaml", text);
      } catch (error) {
        expect(error).to.be.instanceOf(PolicyFileError);
        return (error as PolicyFileError).problems;
      }
      throw new Error("the file was accepted");
    }

    it("refuses a zero sponsor and an empty or null allow list, line-precise", function () {
      expect(
        problems(
          [
            'sponsor: "0x0000000000000000000000000000000000000000"',
            "policies:",
            "  - policyId: 1",
            "    senders:",
            "      allow: []",
            "  - policyId: 3",
            "    senders:",
            "      allow:",
          ].join("\n"),
        ),
      ).to.deep.equal([
        "p.yaml:1:10: sponsor must not be the zero address: write the sponsor's address (the account that created the policies)",
        "p.yaml:5:14: policies[0].senders.allow must list at least one sender: remove allow to accept any sender",
        "p.yaml:8:13: policies[1].senders.allow must be a list of addresses",
      ]);
    });

    it("refuses an address both allowed and blocked (in any case)", function () {
      expect(
        problems(
          [
            `sponsor: "${SPONSOR}"`,
            "policies:",
            "  - policyId: 2",
            "    senders:",
            `      allow: ["${OTHER}"]`,
            `      block: ["${OTHER.toLowerCase()}"]`,
          ].join("\n"),
        ),
      ).to.deep.equal([
        `p.yaml:5:7: policies[0].senders ${OTHER} is both allowed and blocked: remove it from one of the lists`,
      ]);
    });

    it("refuses webhook headers fetch would refuse (every operation would fail as 'webhook unavailable')", function () {
      const file = (headers: string) =>
        [
          `sponsor: "${SPONSOR}"`,
          "policies:",
          "  - policyId: 1",
          "    webhook:",
          '      url: "https://dapp.example/approve"',
          `      headers: ${headers}`,
        ].join("\n");
      expect(problems(file('{ "bad header": "x" }'))).to.deep.equal([
        'p.yaml:6:32: policies[0].webhook.headers.bad header "bad header" is not an HTTP header name: use letters, ' +
          "digits and - only, e.g. x-api-key",
      ]);
      expect(problems(file('{ x-key: "a\\nb" }'))).to.deep.equal([
        "p.yaml:6:25: policies[0].webhook.headers.x-key must be one line: an HTTP header value holds no line break",
      ]);
      const [rules] = parsePolicyFile("p.yaml", file('{ authorization: "Bearer t", x-api-key: k1 }'));
      expect(rules.webhook?.headers).to.deep.equal({ authorization: "Bearer t", "x-api-key": "k1" });
    });

    it("reads a signature as an ABI function: names ignored, unknown types refused (not hashed into a wrong selector)", function () {
      const file = (selector: string) =>
        [
          `sponsor: "${SPONSOR}"`,
          "policies:",
          "  - policyId: 1",
          "    targets:",
          `      - address: "${OTHER}"`,
          `        selectors: ["${selector}"]`,
        ].join("\n");
      for (const named of [
        "transfer(address to,uint256 amount)",
        "transfer(address, uint256)",
        "transfer(address,uint256)",
      ]) {
        const [rules] = parsePolicyFile("p.yaml", file(named));
        expect([...rules.targets!.get(OTHER)!], named).to.deep.equal(["0xa9059cbb"]);
      }
      for (const bad of ["transfer(adress,uint256)", "transfer(address,uint256", "event Transfer(address)"]) {
        expect(problems(file(bad)), bad).to.deep.equal([
          `p.yaml:6:21: policies[0].targets[0].selectors[0] "${bad}" is neither a 4-byte selector nor a function ` +
            'signature with known types: write e.g. "transfer(address,uint256)" or "0xa9059cbb"',
        ]);
      }
    });
  });

  describe("startup settings", function () {
    const PM8 = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const base = (rpcUrl: string) => ["--rpc-url", rpcUrl, "--chain-id", "31337", "--paymaster-v08", PM8];

    it("refuses an RPC URL the HTTP transport cannot use, naming the form", function () {
      for (const url of ["notaurl", "ftp://127.0.0.1:8545", "127.0.0.1:8545"]) {
        expect(() => parseServiceSettings(base(url), {}), url).to.throw(
          Error,
          `--rpc-url: expected the http(s) URL of the chain's JSON-RPC, such as http://127.0.0.1:8545, got ${url}`,
        );
      }
      expect(parseServiceSettings(base("https://rpc.example/v2/key"), {})).to.include({
        rpcUrl: "https://rpc.example/v2/key",
      });
    });

    it("refuses a policy signer key outside the curve's range, naming the variable", function () {
      for (const key of [`0x${"f".repeat(64)}`, `0x${"0".repeat(64)}`]) {
        expect(() =>
          parseServiceSettings(base("http://127.0.0.1:8545"), { [POLICY_SIGNER_KEY_ENV]: key }),
        ).to.throw(
          Error,
          `${POLICY_SIGNER_KEY_ENV} is not a usable private key (it must lie in [1, secp256k1 order - 1])`,
        );
      }
    });
  });
});
