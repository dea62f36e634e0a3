import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { BaseError, createPublicClient, custom, getAddress, numberToHex, toFunctionSelector } from "viem";
import type { Address } from "viem";
import { hardhat } from "viem/chains";

import {
  createCreditPaymasterServiceClient,
  encodePaymasterData,
  formatCredits,
  worstCaseCredits,
} from "../../src/client";
import type { CreditUserOperation } from "../../src/client";
import { MAX_BATCH, MAX_BODY_BYTES, startPaymasterService } from "../../src/service";
import type { LogRecord, RunningPaymasterService } from "../../src/service";
import { CREDIT, PRICE_WAD, defaultPaymasterConfig } from "../helpers/system";
import type { User } from "../helpers/system";
import {
  OP_GAS,
  TIGHT_ALLOWANCE,
  clientFixture,
  fixturePostOpFloor,
  rpcUserOperation,
  userOperation,
} from "../client/fixture";
import type { ClientFixture } from "../client/fixture";

const V07 = getAddress("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
const CHAIN = "0x7a69";
/** The service's limits for a sponsored fixture operation: postOp at the paymaster's floor for it. */
const PAYMASTER_LIMITS = {
  paymasterVerificationGasLimit: "0x249f0",
  paymasterPostOpGasLimit: numberToHex(fixturePostOpFloor("SPONSORED")),
} as const;
/** The worst case of a fixture operation in each mode (the postOp floors differ). */
const WORST_CASE = {
  SELF: worstCaseCredits(
    {
      ...OP_GAS,
      paymasterVerificationGasLimit: 150_000n,
      paymasterPostOpGasLimit: fixturePostOpFloor("SELF"),
    },
    PRICE_WAD,
    10_500n,
  ),
  SPONSORED: worstCaseCredits(
    {
      ...OP_GAS,
      paymasterVerificationGasLimit: 150_000n,
      paymasterPostOpGasLimit: fixturePostOpFloor("SPONSORED"),
    },
    PRICE_WAD,
    10_500n,
  ),
};

const running: RunningPaymasterService[] = [];

interface ServiceFixture extends ClientFixture {
  url: string;
  logs: LogRecord[];
  /** Makes every RPC call of the service's client fail from now on (until the fixture is reloaded). */
  breakRpc(): void;
  /** The `eth_call`s the service's client made (`from`, `to`, `data`), in order. */
  ethCalls: { from?: string; to?: string; data?: string }[];
}

async function serviceFixture(): Promise<ServiceFixture> {
  const fx = await clientFixture();
  const logs: LogRecord[] = [];
  const state = { broken: false };
  const ethCalls: ServiceFixture["ethCalls"] = [];
  const client = createPublicClient({
    chain: hardhat,
    transport: custom(
      {
        request: (args: RequestArguments) => {
          if (state.broken) throw new Error("connection refused");
          if (args.method === "eth_call")
            ethCalls.push((args.params as [ServiceFixture["ethCalls"][number]])[0]);
          return network.provider.request(args);
        },
      },
      { retryCount: 0 },
    ),
  });
  const service = await startPaymasterService({
    client,
    chainId: 31337,
    paymasters: [fx.paymaster],
    ledger: fx.ledger,
    validityMargin: 30n,
    sponsorName: "Test dApp",
    log: (record) => logs.push(record),
  });
  running.push(service);
  return {
    ...fx,
    url: service.url,
    logs,
    breakRpc: () => {
      state.broken = true;
    },
    ethCalls,
  };
}

async function setup(): Promise<ServiceFixture> {
  const fx = await loadFixture(serviceFixture);
  fx.logs.length = 0;
  fx.ethCalls.length = 0;
  return fx;
}

interface HttpAnswer {
  status: number;
  body: unknown;
}

async function post(url: string, body: unknown): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

type Context = Record<string, unknown>;

function call(method: string, params: unknown, id: number | string = 1) {
  return { jsonrpc: "2.0", id, method, params };
}

function pmParams(
  fx: ServiceFixture,
  user: User,
  context: Context,
  overrides: Partial<CreditUserOperation> = {},
) {
  return [rpcUserOperation(userOperation(fx, user, overrides)), fx.entryPoint, CHAIN, context];
}

function sponsoredContext(fx: ServiceFixture): Context {
  return { mode: "SPONSORED", sponsor: fx.dapp };
}

/** Posts one call and returns its JSON-RPC error (asserting HTTP 200 and the id). */
async function rpcError(url: string, body: unknown, id: unknown = 1) {
  const answer = await post(url, body);
  expect(answer.status).to.equal(200);
  const response = answer.body as { id: unknown; error: { code: number; message: string; data?: unknown } };
  expect(response.id).to.equal(id);
  return response.error;
}

describe("paymaster service", function () {
  after(async function () {
    await Promise.all(running.map((service) => service.close()));
  });

  describe("pm_getPaymasterStubData", function () {
    it("returns the paymaster, its data, fixed gas limits, the sponsor name and isFinal false", async function () {
      const fx = await setup();
      const answer = await post(
        fx.url,
        call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect(answer).to.deep.equal({
        status: 200,
        body: {
          jsonrpc: "2.0",
          id: 1,
          result: {
            paymaster: fx.paymaster,
            paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
            ...PAYMASTER_LIMITS,
            sponsor: { name: "Test dApp" },
            isFinal: false,
          },
        },
      });
    });

    it("accepts the zero gas values a wallet sends before estimation", async function () {
      const fx = await setup();
      const unknownGas = { callGasLimit: 0n, verificationGasLimit: 0n, preVerificationGas: 0n };
      const answer = await post(
        fx.url,
        call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx), unknownGas)),
      );
      expect((answer.body as { result: { paymaster: Address } }).result.paymaster).to.equal(fx.paymaster);
    });

    it("rejects a user without allowance with -32015 before any gas estimation", async function () {
      const fx = await setup();
      const stranger = getAddress(fx.stranger.account.address);
      const message = `sponsor ${fx.dapp} gave ${stranger} no allowance`;
      expect(
        await rpcError(
          fx.url,
          call("pm_getPaymasterStubData", pmParams(fx, fx.stranger, sponsoredContext(fx))),
        ),
      ).to.deep.equal({
        code: -32015,
        message: `rejected by the credit paymaster: ${message}`,
        data: {
          reasons: [{ kind: "noAllowance", sponsor: fx.dapp, beneficiary: stranger, message, code: -32015 }],
        },
      });
    });

    it("rejects with -32010 while the paymaster is paused", async function () {
      const fx = await setup();
      await (await fx.sys.paymaster.connect(fx.sys.guardian).setPaused(true)).wait();
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect([error.code, error.message]).to.deep.equal([
        -32010,
        `rejected by the credit paymaster: the paymaster ${fx.paymaster} is paused`,
      ]);
    });

    it("rejects with -32011 when the cached price expires within the validity margin", async function () {
      const fx = await setup();
      const [, updatedAt] = await fx.sys.adapter.cachedPrice();
      await time.increaseTo(updatedAt + 3_571n);
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect([error.code, error.message]).to.deep.equal([
        -32011,
        `rejected by the credit paymaster: the cached price (updated at ${updatedAt}, maxPriceAge 3600 s) is valid ` +
          `until ${updatedAt + 3_600n}, less than 30 s after now (${updatedAt + 3_571n}): refresh it with refreshCachedPrice() ` +
          "(`npx hardhat price:refresh`; on a local chain, whose mock feed never updates by itself: " +
          "`npx hardhat price:set --network localhost`)",
      ]);
    });
  });

  describe("pm_getPaymasterData", function () {
    it("returns the final fields of a sponsored operation", async function () {
      const fx = await setup();
      const answer = await post(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx)), "a"),
      );
      expect(answer.body).to.deep.equal({
        jsonrpc: "2.0",
        id: "a",
        result: {
          paymaster: fx.paymaster,
          paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
          ...PAYMASTER_LIMITS,
          sponsor: { name: "Test dApp" },
        },
      });
    });

    it("simulates the paymaster's validation by default: one eth_call of validatePaymasterUserOp from the EntryPoint", async function () {
      const fx = await setup();
      const selector = toFunctionSelector(
        "validatePaymasterUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32,uint256)",
      );
      const simulations = () =>
        fx.ethCalls
          .filter((c) => c.data?.startsWith(selector))
          .map((c) => [getAddress(c.from!), getAddress(c.to!)]);
      await post(fx.url, call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx))));
      expect(simulations(), "the stub stage does not simulate").to.deep.equal([]);
      const answer = await post(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect((answer.body as { result?: unknown }).result).to.not.equal(undefined);
      expect(simulations()).to.deep.equal([[fx.entryPoint, fx.paymaster]]);
    });

    it("returns the SELF data with the user's maxCredits, given as a hex quantity or a number", async function () {
      const fx = await setup();
      for (const maxCredits of [numberToHex(WORST_CASE.SELF), Number(WORST_CASE.SELF)]) {
        const answer = await post(
          fx.url,
          call("pm_getPaymasterData", pmParams(fx, fx.payer, { mode: "SELF", maxCredits })),
        );
        expect((answer.body as { result: { paymasterData: string } }).result.paymasterData).to.equal(
          encodePaymasterData({ mode: "SELF", maxCredits: WORST_CASE.SELF }),
        );
      }
    });

    it("rejects with -32013 when the worst case exceeds the user's maxCredits", async function () {
      const fx = await setup();
      const context = { mode: "SELF", maxCredits: numberToHex(WORST_CASE.SELF - 1n) };
      const error = await rpcError(fx.url, call("pm_getPaymasterData", pmParams(fx, fx.payer, context)));
      expect(error.code).to.equal(-32013);
      expect(error.data).to.deep.equal({
        reasons: [
          {
            kind: "userLimitExceeded",
            credits: WORST_CASE.SELF.toString(),
            maxCredits: (WORST_CASE.SELF - 1n).toString(),
            message: `the operation may cost up to ${formatCredits(WORST_CASE.SELF)}, above the user's limit of ${formatCredits(WORST_CASE.SELF - 1n)}`,
            code: -32013,
          },
        ],
      });
    });

    it("rejects with -32016 when the allowance left does not cover the worst case", async function () {
      const fx = await setup();
      const tight = getAddress(fx.tight.account.address);
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.tight, sponsoredContext(fx))),
      );
      expect(error).to.deep.equal({
        code: -32016,
        message:
          `rejected by the credit paymaster: the allowance of ${tight} from sponsor ${fx.dapp} has 1 credits left ` +
          `this epoch, needs ${formatCredits(WORST_CASE.SPONSORED)} (worst case)`,
        data: {
          reasons: [
            {
              kind: "allowanceExceeded",
              sponsor: fx.dapp,
              beneficiary: tight,
              needed: WORST_CASE.SPONSORED.toString(),
              remaining: TIGHT_ALLOWANCE.toString(),
              message: `the allowance of ${tight} from sponsor ${fx.dapp} has 1 credits left this epoch, needs ${formatCredits(WORST_CASE.SPONSORED)} (worst case)`,
              code: -32016,
            },
          ],
        },
      });
    });

    it("rejects with -32014 when the payer lacks credits", async function () {
      const fx = await setup();
      const broke = getAddress(fx.broke.account.address);
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.broke, { mode: "SELF" })),
      );
      expect([error.code, error.message]).to.deep.equal([
        -32014,
        `rejected by the credit paymaster: ${broke} has 0 credits spendable, needs ${formatCredits(WORST_CASE.SELF)} (worst case)`,
      ]);
    });

    it("rejects with -32012 every gas field above its cap", async function () {
      const fx = await setup();
      const overrides = { callGasLimit: 2_000_001n, preVerificationGas: 1_000_001n };
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx), overrides)),
      );
      expect(error.code).to.equal(-32012);
      const needed = worstCaseCredits(
        {
          ...OP_GAS,
          ...overrides,
          paymasterVerificationGasLimit: 150_000n,
          paymasterPostOpGasLimit: fixturePostOpFloor("SPONSORED"),
        },
        PRICE_WAD,
        10_500n,
      );
      const sponsored = getAddress(fx.sponsored.account.address);
      expect(error.message).to.equal(
        "rejected by the credit paymaster: callGasLimit 2000001 exceeds the paymaster's cap 2000000; " +
          "preVerificationGas 1000001 exceeds the paymaster's cap 1000000; " +
          `the allowance of ${sponsored} from sponsor ${fx.dapp} has 20 credits left this epoch, ` +
          `needs ${formatCredits(needed)} (worst case)`,
      );
    });

    it("rejects with -32018 when the paymaster is no longer a spender of the ledger", async function () {
      const fx = await setup();
      await (await fx.sys.ledger.removeSpender(fx.paymaster)).wait();
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect([error.code, error.message]).to.deep.equal([
        -32018,
        `rejected by the credit paymaster: the paymaster ${fx.paymaster} is not an authorised spender of the ledger ${fx.ledger}`,
      ]);
    });

    it("rejects with -32013 when the worst case exceeds the governance cap per operation", async function () {
      const fx = await setup();
      await (
        await fx.sys.paymaster.setConfig({ ...defaultPaymasterConfig(), maxCreditsPerOp: CREDIT })
      ).wait();
      const error = await rpcError(
        fx.url,
        call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
      );
      expect([error.code, error.message]).to.deep.equal([
        -32013,
        `rejected by the credit paymaster: the operation may cost up to ${formatCredits(WORST_CASE.SPONSORED)}, above the cap of 1 credits per operation`,
      ]);
    });
  });

  describe("through viem's paymaster client", function () {
    it("answers what viem's createPaymasterClient sends, with bigint gas limits", async function () {
      const fx = await setup();
      const client = createCreditPaymasterServiceClient({ url: fx.url, mode: "SPONSORED", sponsor: fx.dapp });
      const request = {
        ...userOperation(fx, fx.sponsored),
        chainId: 31337,
        entryPointAddress: fx.entryPoint,
      };
      const fields = {
        paymaster: fx.paymaster,
        paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
        paymasterVerificationGasLimit: 150_000n,
        paymasterPostOpGasLimit: fixturePostOpFloor("SPONSORED"),
      };
      expect(await client.getPaymasterStubData(request)).to.deep.equal({
        ...fields,
        isFinal: false,
        sponsor: { name: "Test dApp" },
      });
      expect(await client.getPaymasterData(request)).to.deep.equal(fields);
      expect(fx.logs.map((r) => [r.method, r.outcome])).to.deep.equal([
        ["pm_getPaymasterStubData", "ok"],
        ["pm_getPaymasterData", "ok"],
      ]);
    });

    it("surfaces a rejection as an RPC error with the service's code and message", async function () {
      const fx = await setup();
      const client = createCreditPaymasterServiceClient({ url: fx.url, mode: "SPONSORED", sponsor: fx.dapp });
      const request = { ...userOperation(fx, fx.stranger), chainId: 31337, entryPointAddress: fx.entryPoint };
      const error = await client.getPaymasterStubData(request).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(BaseError);
      const rpc = (error as BaseError).walk(
        (e) => typeof e === "object" && e !== null && "code" in e && e.code === -32015,
      );
      expect(rpc, "an error with code -32015 in the cause chain").to.not.equal(null);
      expect((error as BaseError).message).to.contain("no allowance");
    });
  });

  describe("request validation", function () {
    it("answers -32700 to a body that is not JSON", async function () {
      const fx = await setup();
      expect(await rpcError(fx.url, "{not json", null)).to.deep.equal({
        code: -32700,
        message: "parse error: the body is not JSON",
      });
      expect(fx.logs).to.have.length(1);
      expect(fx.logs[0]).to.include({ event: "rpc", outcome: "invalid", code: -32700 });
    });

    it("answers -32600 to an invalid envelope, an empty batch and a batch above the limit", async function () {
      const fx = await setup();
      const invalid = {
        code: -32600,
        message:
          'invalid request: expected {"jsonrpc": "2.0", "method": string, "params"?: array, "id"?: string | number | null}',
      };
      expect(await rpcError(fx.url, { id: 4, method: "pm_getPaymasterData", params: [] }, 4)).to.deep.equal(
        invalid,
      );
      expect(await rpcError(fx.url, { jsonrpc: "2.0", id: 5, method: 7 }, 5)).to.deep.equal(invalid);
      expect(await rpcError(fx.url, { jsonrpc: "2.0", id: {}, method: "x" }, null)).to.deep.equal(invalid);
      expect(await rpcError(fx.url, "42", null)).to.deep.equal(invalid);
      expect(await rpcError(fx.url, [], null)).to.deep.equal({
        code: -32600,
        message: `invalid request: a batch holds 1 to ${MAX_BATCH} calls, got 0`,
      });
      const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => call("x", [], i));
      expect((await rpcError(fx.url, tooMany, null)).message).to.equal(
        `invalid request: a batch holds 1 to ${MAX_BATCH} calls, got ${MAX_BATCH + 1}`,
      );
    });

    it("answers -32601 to an unknown method", async function () {
      const fx = await setup();
      expect(await rpcError(fx.url, call("eth_sendUserOperation", []))).to.deep.equal({
        code: -32601,
        message:
          "method not found: eth_sendUserOperation (this service implements pm_getPaymasterStubData, pm_getPaymasterData)",
      });
    });

    it("answers -32602 naming the offending parameter", async function () {
      const fx = await setup();
      const op = rpcUserOperation(userOperation(fx, fx.sponsored));
      const ctx = sponsoredContext(fx);
      const cases: [unknown, string][] = [
        [{ op }, "expected [userOp, entryPoint, chainId, context]"],
        [[op, fx.entryPoint], "expected [userOp, entryPoint, chainId, context]"],
        [["op", fx.entryPoint, CHAIN, ctx], "userOp (params[0]) must be an object"],
        [
          [{ ...op, sender: "0x12" }, fx.entryPoint, CHAIN, ctx],
          'userOp.sender must be a 20-byte hex address, got "0x12"',
        ],
        [
          [{ ...op, nonce: 5 }, fx.entryPoint, CHAIN, ctx],
          'userOp.nonce must be a hex quantity (e.g. "0x1a"), got 5',
        ],
        [
          [{ ...op, callData: "0x123" }, fx.entryPoint, CHAIN, ctx],
          'userOp.callData must be 0x-prefixed hex bytes, got "0x123"',
        ],
        [
          [{ ...op, maxFeePerGas: "0x" }, fx.entryPoint, CHAIN, ctx],
          'userOp.maxFeePerGas must be a hex quantity (e.g. "0x1a"), got "0x"',
        ],
        [
          [{ ...op, factory: undefined, initCode: "0x1234" }, fx.entryPoint, CHAIN, ctx],
          "userOp has initCode: EntryPoint v0.6 operations are not supported (use factory/factoryData)",
        ],
        [[op, "0xep", CHAIN, ctx], 'entryPoint (params[1]) must be a 20-byte hex address, got "0xep"'],
        [
          [op, fx.entryPoint, 31337, ctx],
          'chainId (params[2]) must be a hex quantity (e.g. "0x1a"), got 31337',
        ],
        [
          [op, fx.entryPoint, CHAIN],
          'context (params[3]) must be an object { mode: "SELF" | "SPONSORED", sponsor?, maxCredits? } or { sponsor, policyId, maxCredits? }',
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "FREE" }],
          'context.mode must be "SELF", "SPONSORED" or "POLICY", got "FREE"',
        ],
        [
          [op, fx.entryPoint, CHAIN, {}],
          'context.mode must be "SELF" or "SPONSORED", or give policyId to be sponsored under a policy',
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "POLICY", sponsor: fx.dapp }],
          "context.policyId must be the sponsor's policy id (a positive integer, as a number or a hex quantity)",
        ],
        [
          [op, fx.entryPoint, CHAIN, { sponsor: fx.dapp, policyId: "0x10000000000000000" }],
          `context.policyId = ${2n ** 64n} exceeds ${2n ** 64n - 1n}`,
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "SPONSORED" }],
          "context.sponsor must be a 20-byte hex address, got undefined",
        ],
        [
          [
            op,
            fx.entryPoint,
            CHAIN,
            { mode: "SPONSORED", sponsor: "0x0000000000000000000000000000000000000000" },
          ],
          "context.sponsor must not be the zero address",
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "SELF", sponsor: fx.dapp }],
          'context.sponsor must be absent in mode "SELF"',
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "SELF", maxCredits: "0x10000000000000000" }],
          `context.maxCredits = ${2n ** 64n} exceeds ${2n ** 64n - 1n}`,
        ],
        [
          [op, fx.entryPoint, CHAIN, { mode: "SELF", maxCredits: -1 }],
          'context.maxCredits must be a hex quantity (e.g. "0x1a"), got -1',
        ],
      ];
      for (const [params, message] of cases) {
        expect(await rpcError(fx.url, call("pm_getPaymasterData", params))).to.deep.equal({
          code: -32602,
          message: `invalid params: ${message}`,
        });
      }
      expect(fx.logs.every((r) => r.outcome === "invalid" && r.code === -32602)).to.equal(true);
    });

    it("answers -32001 for another chain and -32002 for an EntryPoint it does not serve", async function () {
      const fx = await setup();
      const op = rpcUserOperation(userOperation(fx, fx.sponsored));
      const ctx = sponsoredContext(fx);
      expect(
        await rpcError(fx.url, call("pm_getPaymasterStubData", [op, fx.entryPoint, "0x1", ctx])),
      ).to.deep.equal({
        code: -32001,
        message: "unsupported chain 1: this service serves chain 31337",
      });
      expect(await rpcError(fx.url, call("pm_getPaymasterStubData", [op, V07, CHAIN, ctx]))).to.deep.equal({
        code: -32002,
        message: `unsupported EntryPoint ${V07}: this service serves ${fx.entryPoint}`,
      });
    });
  });

  describe("batches and notifications", function () {
    it("answers a batch in order, each call on its own", async function () {
      const fx = await setup();
      const answer = await post(fx.url, [
        call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx)), 1),
        call("pm_getPaymasterStubData", pmParams(fx, fx.stranger, sponsoredContext(fx)), 2),
        { jsonrpc: "2.0", method: "pm_getPaymasterStubData", params: [] },
        call("nope", [], 3),
      ]);
      expect(answer.status).to.equal(200);
      const responses = answer.body as { id: number; result?: unknown; error?: { code: number } }[];
      expect(responses.map((r) => [r.id, r.error?.code ?? "ok"])).to.deep.equal([
        [1, "ok"],
        [2, -32015],
        [3, -32601],
      ]);
      expect(fx.logs).to.have.length(4);
    });

    it("answers an invalid request without an id with an error whose id is null, not with a 204", async function () {
      const fx = await setup();
      for (const body of [{ hello: "world" }, [{ hello: "world" }]]) {
        const answer = await post(fx.url, body);
        expect(answer.status).to.equal(200);
        const response = (Array.isArray(answer.body) ? answer.body[0] : answer.body) as {
          id: unknown;
          error: { code: number };
        };
        expect([response.id, response.error.code]).to.deep.equal([null, -32600]);
      }
    });

    it("answers 204 without a body to notifications only", async function () {
      const fx = await setup();
      const notification = {
        jsonrpc: "2.0",
        method: "pm_getPaymasterStubData",
        params: pmParams(fx, fx.sponsored, sponsoredContext(fx)),
      };
      expect(await post(fx.url, notification)).to.deep.equal({ status: 204, body: undefined });
      expect(await post(fx.url, [notification, notification])).to.deep.equal({
        status: 204,
        body: undefined,
      });
      expect(fx.logs.map((r) => [r.method, r.id, r.outcome])).to.deep.equal([
        ["pm_getPaymasterStubData", null, "ok"],
        ["pm_getPaymasterStubData", null, "ok"],
        ["pm_getPaymasterStubData", null, "ok"],
      ]);
    });
  });

  describe("logs", function () {
    it("writes one structured line per request: method, id, duration, outcome and code", async function () {
      const fx = await setup();
      await post(fx.url, call("pm_getPaymasterData", pmParams(fx, fx.sponsored, sponsoredContext(fx)), 7));
      await post(fx.url, call("pm_getPaymasterData", pmParams(fx, fx.stranger, sponsoredContext(fx)), 8));
      expect(fx.logs).to.have.length(2);
      const [ok, rejected] = fx.logs;
      expect(ok).to.include({
        level: "info",
        event: "rpc",
        method: "pm_getPaymasterData",
        id: 7,
        outcome: "ok",
        sender: getAddress(fx.sponsored.account.address),
      });
      expect(ok.durationMs).to.be.a("number").and.to.be.greaterThan(0);
      expect(Date.parse(ok.time)).to.be.closeTo(Date.now(), 60_000);
      expect(rejected).to.include({ level: "warn", id: 8, outcome: "rejected", code: -32015 });
    });
  });

  describe("HTTP", function () {
    it("GET /health is 200 with every paymaster's price age when it can sponsor", async function () {
      const fx = await setup();
      const [priceWad, updatedAt] = await fx.sys.adapter.cachedPrice();
      const deposit = await fx.sys.paymaster.getDeposit();
      // What the ledger's outstanding credits could draw through the paymaster: the charge inverted.
      const outstanding = (await fx.sys.ledger.totalIssued()) - (await fx.sys.ledger.totalBurned());
      expect(outstanding).to.be.greaterThan(0n);
      const spendableWei = (outstanding * 10n ** 34n) / (priceWad * 10_500n);
      const response = await fetch(`${fx.url}/health`);
      expect(response.status).to.equal(200);
      const now = BigInt(await time.latest());
      expect(await response.json()).to.deep.equal({
        status: "ok",
        chainId: 31337,
        blockNumber: (await fx.publicClient.getBlockNumber({ cacheTime: 0 })).toString(),
        paymasters: [
          {
            entryPoint: fx.entryPoint,
            entryPointVersion: "0.8",
            paymaster: fx.paymaster,
            paused: false,
            priceAge: (now - updatedAt).toString(),
            maxPriceAge: "3600",
            priceValidUntil: (updatedAt + 3_600n).toString(),
            priceStale: false,
            depositWei: (await fx.sys.paymaster.getDeposit()).toString(),
            spendableWei: spendableWei.toString(),
            depositCoverageBps: ((deposit * 10_000n) / spendableWei).toString(),
          },
        ],
        problems: [],
      });
    });

    it("GET /health is 503 degraded when the deposit is below one operation at maxCreditsPerOp", async function () {
      const fx = await setup();
      const deposit = await fx.sys.paymaster.getDeposit();
      await (await fx.sys.paymaster.withdrawTo(await fx.sys.admin.getAddress(), deposit - 10n ** 15n)).wait();
      const response = await fetch(`${fx.url}/health`);
      expect(response.status).to.equal(503);
      const report = (await response.json()) as { problems: string[]; paymasters: { depositWei: string }[] };
      expect(report.paymasters[0].depositWei).to.equal("1000000000000000");
      expect(report.problems).to.deep.equal([
        `${fx.paymaster} (EntryPoint v0.8): EntryPoint deposit 1000000000000000 wei is below one operation at ` +
          "maxCreditsPerOp (31746031746031746 wei)",
      ]);
    });

    it("GET /health is 503 degraded when the price is stale or the paymaster paused", async function () {
      const fx = await setup();
      const [, updatedAt] = await fx.sys.adapter.cachedPrice();
      await (await fx.sys.paymaster.connect(fx.sys.guardian).setPaused(true)).wait();
      await time.increaseTo(updatedAt + 4_000n);
      const response = await fetch(`${fx.url}/health`);
      expect(response.status).to.equal(503);
      const report = (await response.json()) as { status: string; problems: string[] };
      expect(report.status).to.equal("degraded");
      expect(report.problems).to.deep.equal([
        `${fx.paymaster} (EntryPoint v0.8): paused; cached price is 4000 s old (maxPriceAge 3600 s)`,
      ]);
    });

    it("answers 405 to other methods and 413 to a body above the limit", async function () {
      const fx = await setup();
      const get = await fetch(fx.url);
      expect([get.status, get.headers.get("allow")]).to.deep.equal([405, "POST, GET /health"]);
      expect(await get.json()).to.deep.equal({ error: "POST a JSON-RPC request, or GET /health" });
      expect(await post(fx.url, "x".repeat(MAX_BODY_BYTES + 1))).to.deep.equal({
        status: 413,
        body: {
          jsonrpc: "2.0",
          id: null,
          error: { code: -32600, message: `invalid request: request body exceeds ${MAX_BODY_BYTES} bytes` },
        },
      });
      expect(fx.logs.map((r) => r.event)).to.deep.equal(["http", "rpc"]);
    });

    it("answers -32603 and reports down when the chain's RPC fails", async function () {
      const fx = await setup();
      fx.breakRpc();
      expect(
        await rpcError(
          fx.url,
          call("pm_getPaymasterStubData", pmParams(fx, fx.sponsored, sponsoredContext(fx))),
        ),
      ).to.deep.equal({
        code: -32603,
        message: "internal error: An unknown RPC error occurred. (connection refused)",
      });
      expect(fx.logs[0]).to.include({ level: "error", outcome: "error", code: -32603 });
      const response = await fetch(`${fx.url}/health`);
      expect(response.status).to.equal(503);
      expect(await response.json()).to.deep.equal({
        status: "down",
        chainId: 31337,
        paymasters: [],
        problems: ["RPC unavailable: An unknown RPC error occurred. (connection refused)"],
      });
    });
  });

  describe("startup", function () {
    it("refuses a wrong chain, an address that is not a paymaster, a duplicate EntryPoint and another ledger", async function () {
      const fx = await setup();
      const base = {
        client: fx.publicClient,
        chainId: 31337,
        paymasters: [fx.paymaster],
        log: () => undefined,
      };
      await expect(startPaymasterService({ ...base, chainId: 1 })).to.be.rejectedWith(
        "the RPC is on chain 31337, the service is configured for chain 1",
      );
      await expect(startPaymasterService({ ...base, paymasters: [] })).to.be.rejectedWith(
        "no paymaster configured",
      );
      await expect(startPaymasterService({ ...base, paymasters: [fx.ledger] })).to.be.rejectedWith(
        `${fx.ledger} is not a usable credit paymaster:`,
      );
      await expect(
        startPaymasterService({ ...base, paymasters: [fx.paymaster, fx.paymaster] }),
      ).to.be.rejectedWith(`two paymasters configured for EntryPoint ${fx.entryPoint}`);
      await expect(startPaymasterService({ ...base, ledger: fx.adapter })).to.be.rejectedWith(
        `${fx.paymaster} is not a usable credit paymaster: paymaster ${fx.paymaster} uses ledger ${fx.ledger}, not ${fx.adapter}`,
      );
    });
  });
});
