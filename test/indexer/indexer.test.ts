/**
 * The usage indexer's pure parts (no Ponder, no node): epoch budgets as the ledger computes them, JSON shaping,
 * CSV, operation targets from a bundle's input, the deployment it is started on, and the parent-hash proxy that
 * keeps Ponder's realtime sync working on Hardhat's `hardhat_mine` blocks.
 */
import { expect } from "chai";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeFunctionData, getAddress, parseAbi } from "viem";
import type { Hex } from "viem";
import { entryPoint07Abi } from "viem/account-abstraction";

import { INDEXER_DEPLOYMENT_ENV, parseIndexerDeployment } from "../../indexer/deployment";
import { handleOpsOperations, operationTarget, utcDay } from "../../indexer/lib/ops";
import { allowanceLeft, balanceView, toCsv, usd, usedNow } from "../../indexer/lib/views";
import {
  IndexerSetupError,
  deploymentStartBlock,
  resolveIndexerDeployment,
} from "../../scripts/lib/indexer-process";
import { startParentHashProxy } from "../../scripts/lib/rpc-proxy";
import {
  budgetRemaining,
  budgetUsage,
  reconfigureBudget,
  recordBudget,
  recordPolicyUser,
} from "../../src/client/budgets";
import type { Budget } from "../../src/client/budgets";

const DAY = 86_400n;
const budget = (over: Partial<Budget> = {}): Budget => ({
  limit: 100n,
  used: 0n,
  epochLength: DAY,
  anchor: 1_000n,
  usedEpoch: 0n,
  expiresAt: 10n ** 10n,
  ...over,
});

describe("indexer: epoch budgets (src/client/budgets.ts)", function () {
  it("counts spending in its epoch only, and restarts in the next", function () {
    let b = recordBudget(budget(), 30n, 1_000n + 10n);
    b = recordBudget(b, 20n, 1_000n + DAY - 1n);
    expect(budgetUsage(b, 1_000n + DAY - 1n)).to.deep.equal({ used: 50n, epoch: 0n });
    expect(budgetRemaining(b, 1_000n + DAY - 1n)).to.equal(50n);
    expect(budgetUsage(b, 1_000n + DAY)).to.deep.equal({ used: 0n, epoch: 1n });
    b = recordBudget(b, 5n, 1_000n + DAY);
    expect(b.used).to.equal(5n);
    expect(b.usedEpoch).to.equal(1n);
  });

  it("saturates at 2^64 - 1 and never goes below zero left", function () {
    const b = recordBudget(budget({ used: 2n ** 64n - 2n }), 10n, 1_000n);
    expect(b.used).to.equal(2n ** 64n - 1n);
    expect(budgetRemaining(b, 1_000n)).to.equal(0n);
  });

  it("re-anchors on reconfiguration, carrying what the ledger logged", function () {
    const b = reconfigureBudget(
      recordBudget(budget(), 40n, 1_500n),
      { limit: 70n, epochLength: 3_600n, expiresAt: 9_999n, carried: 40n },
      2_000n,
    );
    expect(b).to.deep.equal({
      limit: 70n,
      used: 40n,
      epochLength: 3_600n,
      anchor: 2_000n,
      usedEpoch: 0n,
      expiresAt: 9_999n,
    });
    expect(budgetRemaining(b, 2_000n + 3_599n)).to.equal(30n);
    expect(budgetRemaining(b, 2_000n + 3_601n)).to.equal(70n);
  });

  it("an allowance has nothing left once expired or revoked (limit 0)", function () {
    const b = budget({ expiresAt: 5_000n });
    expect(allowanceLeft(b, 4_999n)).to.equal(100n);
    expect(allowanceLeft(b, 5_000n)).to.equal(0n);
    expect(allowanceLeft(budget({ limit: 0n }), 1_000n)).to.equal(0n);
    expect(usedNow(recordBudget(b, 7n, 1_001n), 1_002n)).to.equal(7n);
  });

  it("a user's policy usage restarts with a new epoch", function () {
    const u = recordPolicyUser({ credits: 10n, ops: 2n, epoch: 3n }, 5n, 3n);
    expect(u).to.deep.equal({ credits: 15n, ops: 3n, epoch: 3n });
    expect(recordPolicyUser(u, 5n, 4n)).to.deep.equal({ credits: 5n, ops: 1n, epoch: 4n });
  });
});

describe("indexer: API shaping (indexer/lib/views.ts)", function () {
  it("writes credits in the stable unit with 6 decimals", function () {
    expect(usd(0n)).to.equal("0.000000");
    expect(usd(1_250_000n)).to.equal("1.250000");
    expect(usd(129_442n)).to.equal("0.129442");
    expect(usd(-5n)).to.equal("-0.000005");
  });

  it("splits a balance into purchased, live grants and expired-unswept at the indexed time", function () {
    const view = balanceView(
      {
        purchased: 7n,
        buckets: [
          { amount: "100", expiry: "2000" },
          { amount: "30", expiry: "5000" },
        ],
      },
      2_000n,
    );
    expect(view).to.include({
      purchased: "7",
      granted: "30",
      expiredUnswept: "100",
      spendable: "37",
      total: "137",
    });
    expect(view.buckets.map((b) => b.expired)).to.deep.equal([true, false]);
    expect(balanceView(null, 0n).total).to.equal("0");
  });

  it("quotes CSV cells that need it (RFC 4180) and writes bigints in full", function () {
    const csv = toCsv(["a", "b", "c"], [{ a: 2n ** 70n, b: 'say "hi", then', c: null }]);
    expect(csv).to.equal(`a,b,c\r\n${(2n ** 70n).toString()},"say ""hi"", then",\r\n`);
  });

  it("days are UTC dates", function () {
    expect(utcDay(0)).to.equal("1970-01-01");
    expect(utcDay(86_399n)).to.equal("1970-01-01");
    expect(utcDay(86_400n)).to.equal("1970-01-02");
  });
});

describe("indexer: operation targets (indexer/lib/ops.ts)", function () {
  const accountAbi = parseAbi([
    "function execute(address target, uint256 value, bytes data)",
    "function executeBatch((address target, uint256 value, bytes data)[] calls)",
  ]);
  const sender = getAddress("0x1111111111111111111111111111111111111111");
  const other = getAddress("0x2222222222222222222222222222222222222222");
  const targetA = getAddress("0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa");
  const targetB = getAddress("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB");
  const op = (from: string, callData: Hex) => ({
    sender: from as Hex,
    nonce: 0n,
    initCode: "0x" as Hex,
    callData,
    accountGasLimits: `0x${"00".repeat(32)}` as Hex,
    preVerificationGas: 0n,
    gasFees: `0x${"00".repeat(32)}` as Hex,
    paymasterAndData: "0x" as Hex,
    signature: "0x" as Hex,
  });
  const bundle = (...ops: ReturnType<typeof op>[]) =>
    encodeFunctionData({ abi: entryPoint07Abi, functionName: "handleOps", args: [ops, other] });
  const where = {
    userOpHash: `0x${"00".repeat(32)}` as Hex,
    entryPoint: other,
    version: "0.7" as const,
    chainId: 31337,
  };

  it("finds the sender's operation in the bundle and decodes its first call", function () {
    const input = bundle(
      op(other, encodeFunctionData({ abi: accountAbi, functionName: "execute", args: [targetB, 0n, "0x"] })),
      op(
        sender,
        encodeFunctionData({
          abi: accountAbi,
          functionName: "executeBatch",
          args: [
            [
              { target: targetA, value: 0n, data: "0x1234" },
              { target: targetB, value: 0n, data: "0x" },
            ],
          ],
        }),
      ),
    );
    expect(handleOpsOperations(input as Hex)).to.have.length(2);
    expect(operationTarget(input as Hex, { sender, ...where })).to.equal(targetA);
    expect(operationTarget(input as Hex, { sender: other, ...where })).to.equal(targetB);
  });

  it("answers null for other input or call data it does not know", function () {
    expect(operationTarget("0x12345678", { sender, ...where })).to.equal(null);
    expect(operationTarget(undefined, { sender, ...where })).to.equal(null);
    expect(operationTarget(bundle(op(sender, "0xdeadbeef")) as Hex, { sender, ...where })).to.equal(null);
  });
});

describe("indexer: deployment and launcher", function () {
  it("refuses a missing or malformed deployment in the environment, naming the launcher", function () {
    expect(() => parseIndexerDeployment(undefined)).to.throw(`${INDEXER_DEPLOYMENT_ENV} is not set`);
    expect(() => parseIndexerDeployment(JSON.stringify({ chainId: 1 }))).to.throw(
      "is not a valid deployment",
    );
  });

  it("starts at the deployment's first block (lowest in the journal), 0 without one", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "indexer-journal-"));
    expect(deploymentStartBlock(dir)).to.equal(0);
    writeFileSync(
      path.join(dir, "journal.jsonl"),
      [
        '{"type":"DEPLOYMENT_INITIALIZE","chainId":31337}',
        '{"receipt":{"blockNumber":12}}',
        '{"receipt":{"blockNumber":9}}',
      ].join("\n"),
    );
    expect(deploymentStartBlock(dir)).to.equal(9);
  });

  it("a missing deployment or an unreachable node is an IndexerSetupError saying what to do", async function () {
    const empty = mkdtempSync(path.join(tmpdir(), "indexer-nodeploy-"));
    const missing = await resolveIndexerDeployment({
      deploymentDir: empty,
      rpcUrl: "http://127.0.0.1:1",
      explorer: null,
    }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(IndexerSetupError);
    expect((missing as Error).message).to.match(/No deployment at .*deploy first/);

    const dir = path.join(mkdtempSync(path.join(tmpdir(), "indexer-deploy-")), "demo");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "deployed_addresses.json"),
      JSON.stringify({
        "CreditLedger#CreditLedger": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
        "PriceAdapter#PriceAdapter": "0x0165878A594ca255338adfa4d48449f69242Eb8F",
      }),
    );
    const unreachable = await resolveIndexerDeployment({
      deploymentDir: dir,
      rpcUrl: "http://127.0.0.1:1",
      explorer: null,
    }).catch((e: unknown) => e);
    expect(unreachable).to.be.instanceOf(IndexerSetupError);
    expect((unreachable as Error).message).to.contain("Cannot reach the node at http://127.0.0.1:1");
  });
});

describe("indexer: parent-hash proxy (scripts/lib/rpc-proxy.ts)", function () {
  const ZERO = `0x${"0".repeat(64)}`;
  const hashOf = (n: number) => `0x${n.toString(16).padStart(64, "a")}`;
  let upstream: http.Server;
  let url: string;

  before(async function () {
    // A node whose block 5 was mined by hardhat_mine: parentHash 0x00…00.
    upstream = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const request = JSON.parse(body) as { id: number; method: string; params: [string] };
        const n = Number(BigInt(request.params[0].length === 66 ? 5 : request.params[0]));
        const result =
          request.method === "eth_chainId"
            ? "0x7a69"
            : { number: `0x${n.toString(16)}`, hash: hashOf(n), parentHash: n === 5 ? ZERO : hashOf(n - 1) };
        res.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, result }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  after(function () {
    upstream.close();
  });

  it("gives a zero parentHash the hash of the previous block, and passes the rest on", async function () {
    const proxy = await startParentHashProxy(url);
    try {
      const ask = async (method: string, param: string) =>
        (
          (await (
            await fetch(proxy.url, {
              method: "POST",
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [param, false] }),
            })
          ).json()) as { result: { parentHash: string } }
        ).result;
      expect((await ask("eth_getBlockByNumber", "0x5")).parentHash).to.equal(hashOf(4));
      expect((await ask("eth_getBlockByHash", hashOf(5))).parentHash).to.equal(hashOf(4));
      expect((await ask("eth_getBlockByNumber", "0x7")).parentHash).to.equal(hashOf(6));
    } finally {
      await proxy.close();
    }
  });
});
