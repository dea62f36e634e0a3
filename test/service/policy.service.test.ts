/**
 * The paymaster service under sponsors' policies, on the in-process Hardhat network and both EntryPoints: the
 * service applies its policy file's rules, signs the approval of a policy that names its key, and the signed
 * operation validates on chain for a never-seen account holding no ETH.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { Wallet } from "ethers";

import { Simple7702Account__factory } from "../../typechain-types";
import { concat, createPublicClient, custom, getAddress, numberToHex, size, slice } from "viem";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { formatUserOperationRequest } from "viem/account-abstraction";
import { hardhat } from "viem/chains";

import { RpcErrorCode, STUB_APPROVAL_SIGNATURE } from "../../src/client";
import { loadPolicyFiles, startPaymasterService } from "../../src/service";
import type { RunningPaymasterService } from "../../src/service";
import {
  EIP7702_INITCODE_MARKER,
  buildUserOp,
  encodeExecute,
  handleOps,
  signUserOp,
} from "../../src/aa/userop";
import { CREDIT, MAX_FEE_PER_GAS, buyCredits, deploySystem, incrementCall, newUser } from "../helpers/system";
import type { System, User } from "../helpers/system";
import type { EntryPointVersion } from "../helpers/entrypoint";

/** The service's approval key (a fixed test key) and another signer. */
const SERVICE_KEY = `0x${"5e".repeat(32)}` as Hex;
const OTHER_SIGNER = getAddress(`0x${"0b".repeat(20)}`);
const DAY = 86_400;

const running: RunningPaymasterService[] = [];

/** The dApp's webhook, as the service's `fetch` sees it: its answer, and the bodies it received. */
const webhook = {
  answer: { approve: true } as Record<string, unknown>,
  bodies: [] as Record<string, unknown>[],
};
const webhookFetch: typeof fetch = (_url, init) => {
  webhook.bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
  return Promise.resolve(new Response(JSON.stringify(webhook.answer), { status: 200 }));
};

interface Fx {
  sys: System;
  url: string;
  dapp: Address;
  paymaster: Address;
  entryPoint: Address;
  target: Address;
}

async function fixture(version: EntryPointVersion): Promise<Fx> {
  const sys = await deploySystem(version);
  const dapp = getAddress(await sys.dapp.getAddress());
  await buyCredits(sys, sys.dapp, dapp, 10n ** 18n);
  const service = privateKeyToAccount(SERVICE_KEY);
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  const terms = (over: Record<string, unknown> = {}) => ({
    creditsPerUser: 0n,
    opsPerUser: 0n,
    creditsPerEpoch: 0n,
    creditsPerOp: 0n,
    start: now - 10,
    end: now + 30 * DAY,
    signer: ethers.ZeroAddress,
    ...over,
  });
  const ledger = sys.ledger.connect(sys.dapp);
  // 1: signed by the service; 2: open (no signer); 3: signed by another key; 4: a budget of one credit unit.
  for (const t of [
    terms({ signer: service.address, creditsPerUser: 50n * CREDIT, opsPerUser: 20n }),
    terms(),
    terms({ signer: OTHER_SIGNER }),
    terms({ signer: service.address, creditsPerEpoch: 1n }),
    terms({ signer: service.address }),
  ]) {
    await (await ledger.createPolicy(t, DAY)).wait();
  }
  const target = getAddress(await sys.target.getAddress());
  const dir = mkdtempSync(path.join(tmpdir(), "policies-"));
  const file = path.join(dir, "dapp.yaml");
  writeFileSync(
    file,
    [
      `sponsor: "${dapp}"`,
      "policies:",
      ...[1, 4].flatMap((id) => [
        `  - policyId: ${id}`,
        "    targets:",
        `      - address: "${target}"`,
        '        selectors: ["increment()"]',
      ]),
      "  - policyId: 2",
      "  - policyId: 3",
      "  - policyId: 5",
      "    webhook:",
      '      url: "https://dapp.example/approve"',
    ].join("\n"),
  );
  const client = createPublicClient({
    chain: hardhat,
    transport: custom(network.provider, { retryCount: 0 }),
  });
  const svc = await startPaymasterService({
    client,
    chainId: 31337,
    paymasters: [getAddress(await sys.paymaster.getAddress())],
    policies: loadPolicyFiles([file]),
    policySigner: service,
    fetch: webhookFetch,
    log: () => undefined,
  });
  running.push(svc);
  return {
    sys,
    url: svc.url,
    dapp,
    paymaster: getAddress(await sys.paymaster.getAddress()),
    entryPoint: getAddress(await sys.entryPoint.getAddress()),
    target,
  };
}
const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

const OP_GAS = {
  callGasLimit: 100_000n,
  verificationGasLimit: 500_000n,
  preVerificationGas: 50_000n,
  maxFeePerGas: MAX_FEE_PER_GAS,
  maxPriorityFeePerGas: 1_000_000_000n,
};

/** The first operation of `user` (deploys its account) calling `callData`, as the ERC-7677 `userOp` parameter. */
function rpcOp(user: User, callData: string) {
  return formatUserOperationRequest({
    sender: getAddress(user.account.address),
    nonce: 0n,
    factory: getAddress(user.account.factory),
    factoryData: user.account.factoryData as Hex,
    callData: callData as Hex,
    ...OP_GAS,
  });
}

interface RpcAnswer {
  result?: Record<string, Hex | boolean>;
  error?: { code: number; message: string; data?: { reasons: { kind: string; rule?: string }[] } };
}

async function pm(fx: Fx, method: string, op: unknown, context: unknown): Promise<RpcAnswer> {
  const response = await fetch(fx.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [op, fx.entryPoint, "0x7a69", context] }),
  });
  return (await response.json()) as RpcAnswer;
}

/** The packed operation for the EntryPoint, with the service's paymaster fields, signed by the user. */
async function packedOp(fx: Fx, user: User, callData: string, result: Record<string, Hex | boolean>) {
  const op = buildUserOp({
    sender: user.account.address,
    nonce: 0n,
    initCode: user.account.initCode,
    callData,
    ...OP_GAS,
    paymasterAndData: concat([
      result.paymaster as Hex,
      numberToHex(BigInt(result.paymasterVerificationGasLimit as Hex), { size: 16 }),
      numberToHex(BigInt(result.paymasterPostOpGasLimit as Hex), { size: 16 }),
      result.paymasterData as Hex,
    ]),
  });
  return signUserOp(op, user.owner, fx.sys.entryPoint, fx.sys.version);
}

function shouldServePolicies(version: EntryPointVersion) {
  const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

  it("signs the approval of a never-seen account with 0 ETH: stub with a 65-byte stand-in, final data validates on chain", async function () {
    const fx = await load();
    const user = await newUser(fx.sys, 7001n);
    const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
    const context = { sponsor: fx.dapp, policyId: 1 };
    const stub = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), context);
    expect(stub.error).to.equal(undefined);
    const stubData = stub.result!.paymasterData as Hex;
    // mode 2 ‖ sponsor ‖ policyId ‖ maxCredits ‖ validUntil ‖ validAfter ‖ 65-byte signature
    expect(size(stubData)).to.equal(114);
    expect(slice(stubData, 0, 29).toLowerCase()).to.equal(
      concat(["0x02", fx.dapp.toLowerCase() as Hex, numberToHex(1n, { size: 8 })]),
    );
    expect(slice(stubData, 49)).to.equal(STUB_APPROVAL_SIGNATURE);
    expect(stub.result!.isFinal).to.equal(false);

    const final = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), context);
    expect(final.error).to.equal(undefined);
    const data = final.result!.paymasterData as Hex;
    expect(size(data)).to.equal(size(stubData)); // exact estimates: same length as the stub
    expect(slice(data, 49)).to.not.equal(STUB_APPROVAL_SIGNATURE);

    const op = await packedOp(fx, user, callData, final.result!);
    const { receipt } = await handleOps(
      fx.sys.entryPoint,
      [op],
      await fx.sys.bundler.getAddress(),
      fx.sys.bundler,
    );
    expect(receipt.status).to.equal(1);
    expect(await fx.sys.target.counts(user.account.address)).to.equal(1n);
    expect(await ethers.provider.getBalance(user.account.address)).to.equal(0n);
    const usage = await fx.sys.ledger.policyUsage(fx.dapp, 1n, user.account.address);
    expect(usage.ops).to.equal(1n);
  });

  if (version === "0.8") {
    it("signs the approval of an EIP-7702 EOA's first operation (its authorization installs the delegate the hash binds)", async function () {
      const fx = await load();
      const delegate = await (await new Simple7702Account__factory(fx.sys.admin).deploy()).getAddress();
      const eoa = Wallet.createRandom().connect(ethers.provider);
      const authorization = await eoa.authorize({ address: delegate, nonce: 0n, chainId: 31337n });
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      const rpc = {
        ...formatUserOperationRequest({
          sender: getAddress(eoa.address),
          nonce: 0n,
          factory: "0x7702",
          factoryData: "0x",
          callData: callData as Hex,
          ...OP_GAS,
        }),
        eip7702Auth: {
          address: delegate,
          chainId: "0x7a69",
          nonce: "0x0",
          r: authorization.signature.r,
          s: authorization.signature.s,
          yParity: numberToHex(authorization.signature.yParity),
        },
      };
      const context = { sponsor: fx.dapp, policyId: 1 };
      const final = await pm(fx, "pm_getPaymasterData", rpc, context);
      expect(final.error).to.equal(undefined);
      const result = final.result!;
      const op = buildUserOp({
        sender: eoa.address,
        nonce: 0n,
        // The marker padded to 20 bytes: the EntryPoint hashes the delegate alone for either form.
        initCode: EIP7702_INITCODE_MARKER,
        callData,
        ...OP_GAS,
        paymasterAndData: concat([
          result.paymaster as Hex,
          numberToHex(BigInt(result.paymasterVerificationGasLimit as Hex), { size: 16 }),
          numberToHex(BigInt(result.paymasterPostOpGasLimit as Hex), { size: 16 }),
          result.paymasterData as Hex,
        ]),
      });
      const signed = await signUserOp(op, eoa, fx.sys.entryPoint, "0.8", { eip7702Delegate: delegate });
      const { userOperationEvents } = await handleOps(
        fx.sys.entryPoint,
        [signed],
        await fx.sys.bundler.getAddress(),
        fx.sys.bundler,
        { authorizationList: [authorization] },
      );
      expect(userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([[eoa.address, true]]);
      expect(await fx.sys.target.counts(eoa.address)).to.equal(1n);
      expect((await fx.sys.ledger.policyUsage(fx.dapp, 1n, eoa.address)).ops).to.equal(1n);
      expect(await ethers.provider.getBalance(eoa.address)).to.equal(0n);
    });
  }

  it("an approval the service signed does not validate once the operation changes (AA34)", async function () {
    const fx = await load();
    const user = await newUser(fx.sys, 7002n);
    const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
    const final = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), {
      sponsor: fx.dapp,
      policyId: 1,
    });
    const op = await packedOp(fx, user, callData, final.result!);
    const changed = await signUserOp(
      { ...op, preVerificationGas: op.preVerificationGas + 1n },
      user.owner,
      fx.sys.entryPoint,
      fx.sys.version,
    );
    await expect(
      fx.sys.entryPoint.connect(fx.sys.bundler).handleOps([changed], await fx.sys.bundler.getAddress()),
    )
      .to.be.revertedWithCustomError(fx.sys.entryPoint, "FailedOp")
      .withArgs(0n, "AA34 signature error");
  });

  it("serves an open policy (no signer) with the 37-byte data, which validates", async function () {
    const fx = await load();
    const user = await newUser(fx.sys, 7003n);
    const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
    const final = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), {
      mode: "POLICY",
      sponsor: fx.dapp,
      policyId: "0x2",
    });
    expect(size(final.result!.paymasterData as Hex)).to.equal(37);
    const op = await packedOp(fx, user, callData, final.result!);
    const { receipt } = await handleOps(
      fx.sys.entryPoint,
      [op],
      await fx.sys.bundler.getAddress(),
      fx.sys.bundler,
    );
    expect(receipt.status).to.equal(1);
  });
}

describe("paymaster service: sponsors' policies", function () {
  after(async function () {
    await Promise.all(running.map((s) => s.close()));
  });

  for (const version of ["0.7", "0.8"] as const) {
    describe(`on EntryPoint v${version}`, function () {
      shouldServePolicies(version);
    });
  }

  describe("refusals (EntryPoint v0.8)", function () {
    const load = () => loadFixture(fixtureV08);

    it("refuses a call to a contract outside the policy with -32034, naming the rule", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7101n);
      const callData = encodeExecute(fx.dapp, 0n, "0x");
      const answer = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 1,
      });
      expect(answer.error?.code).to.equal(RpcErrorCode.TARGET_NOT_ALLOWED);
      expect(answer.error?.message).to.contain('refused by rule "targets" of policy 1');
      expect(answer.error?.message).to.contain(`call 0 goes to ${fx.dapp}`);
      expect(answer.error?.data?.reasons[0]).to.include({ kind: "policyRule", rule: "targets" });
    });

    it("refuses another function of the allowed contract with -32035", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7102n);
      const callData = encodeExecute(fx.target, 0n, "0xdeadbeef");
      const answer = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 1,
      });
      expect(answer.error?.code).to.equal(RpcErrorCode.SELECTOR_NOT_ALLOWED);
      expect(answer.error?.message).to.contain("function 0xdeadbeef");
    });

    it("refuses call data it cannot decode with -32033 when the policy has target rules", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7103n);
      const answer = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, "0x12345678"), {
        sponsor: fx.dapp,
        policyId: 1,
      });
      expect(answer.error?.code).to.equal(RpcErrorCode.CALL_DATA_NOT_DECODED);
      expect(answer.error?.message).to.contain("unknown account function 0x12345678");
    });

    it("refuses a policy it has no file for (-32030) and one whose signer is not its key (-32024)", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7104n);
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      const unknown = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 9,
      });
      expect(unknown.error?.code).to.equal(RpcErrorCode.POLICY_NOT_SERVED);
      const other = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 3,
      });
      expect(other.error?.code).to.equal(RpcErrorCode.POLICY_APPROVAL);
      expect(other.error?.message).to.contain(
        `is signed by ${OTHER_SIGNER}, not by this service's key ${privateKeyToAccount(SERVICE_KEY).address}`,
      );
    });

    it("refuses with -32022 when the policy's epoch budget cannot cover the worst case", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7105n);
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      const answer = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 4,
      });
      expect(answer.error?.code).to.equal(RpcErrorCode.POLICY_BUDGET_EXCEEDED);
      expect(answer.error?.message).to.contain("its epoch budget is spent");
    });

    it("asks the policy's webhook: a denial refuses with -32036, an approval gets the signed data", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7108n);
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      webhook.bodies.length = 0;
      webhook.answer = { approve: false, reason: "not a customer" };
      const denied = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 5,
      });
      expect(denied.error?.code).to.equal(RpcErrorCode.WEBHOOK_DENIED);
      expect(denied.error?.message).to.contain("did not approve the operation: not a customer");
      expect(webhook.bodies[0]).to.deep.include({ stage: "final", policyId: "5", sponsor: fx.dapp });
      expect((webhook.bodies[0].calls as { target: string }[])[0].target).to.equal(fx.target);
      webhook.answer = { approve: true };
      const approved = await pm(fx, "pm_getPaymasterData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 5,
      });
      expect(approved.error).to.equal(undefined);
      expect(size(approved.result!.paymasterData as Hex)).to.equal(114);
    });

    it("refuses with -32020 a paused policy", async function () {
      const fx = await load();
      await (await fx.sys.ledger.connect(fx.sys.dapp).setPolicyStatus(1n, 2)).wait();
      const user = await newUser(fx.sys, 7106n);
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      const answer = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 1,
      });
      expect(answer.error?.code).to.equal(RpcErrorCode.POLICY_UNAVAILABLE);
      expect(answer.error?.message).to.contain(`policy 1 of sponsor ${fx.dapp} is paused`);
    });

    it("answers -32602 to a context with policyId in mode SPONSORED or a zero policyId", async function () {
      const fx = await load();
      const user = await newUser(fx.sys, 7107n);
      const callData = encodeExecute(fx.target, 0n, incrementCall(fx.sys));
      const a = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        mode: "SPONSORED",
        sponsor: fx.dapp,
        policyId: 1,
      });
      expect(a.error?.message).to.equal(
        'invalid params: context.policyId must be absent in mode "SPONSORED"',
      );
      const b = await pm(fx, "pm_getPaymasterStubData", rpcOp(user, callData), {
        sponsor: fx.dapp,
        policyId: 0,
      });
      expect(b.error?.code).to.equal(-32602);
      expect(b.error?.message).to.contain("context.policyId must be the sponsor's policy id");
    });
  });
});
