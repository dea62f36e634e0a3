/**
 * The ERC-7677 paymaster service with EIP-7702 accounts (issue 14): it accepts a v0.8 operation's `eip7702Auth` and
 * `0x7702` factory marker (as viem's and permissionless' 7702 accounts send them), simulates a first operation with
 * the sender delegated by a state override, refuses an unusable authorization or marker with -32040, and the
 * operations it approves run on the EntryPoint in a type-4 bundle.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { createPublicClient, custom, toFunctionSelector } from "viem";
import type { Hex, SignedAuthorization } from "viem";
import {
  createBundlerClient,
  formatUserOperationRequest,
  toPackedUserOperation,
} from "viem/account-abstraction";
import type { SmartAccount, UserOperation } from "viem/account-abstraction";
import { hardhat } from "viem/chains";

import {
  createCreditPaymasterServiceClient,
  eip7702DelegateOf,
  eip7702DelegationCode,
} from "../../src/client";
import type { CreditModeOptions } from "../../src/client";
import { startPaymasterService } from "../../src/service";
import type { LogRecord, RunningPaymasterService } from "../../src/service";
import { CREDIT, incrementCall } from "../helpers/system";
import { handleOps } from "../helpers/userop";
import { OP_GAS } from "../client/fixture";
import {
  authorize,
  creditsSpent,
  eip7702Fixture,
  permissionless7702Account,
  toEthersAuthorization,
  viem7702Account,
} from "../client/eip7702Fixture";
import type { Eip7702Fixture } from "../client/eip7702Fixture";

const VALIDATE_SELECTOR = toFunctionSelector(
  "validatePaymasterUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32,uint256)",
);

const running: RunningPaymasterService[] = [];

interface ServiceFixture extends Eip7702Fixture {
  url: string;
  logs: LogRecord[];
  /** The state overrides of the service's `validatePaymasterUserOp` simulations, in order. */
  simulations: unknown[];
}

async function serviceFixture(): Promise<ServiceFixture> {
  const fx = await eip7702Fixture();
  const logs: LogRecord[] = [];
  const simulations: unknown[] = [];
  const client = createPublicClient({
    chain: hardhat,
    transport: custom(
      {
        request: (args: RequestArguments) => {
          const params = args.params as [{ data?: string }, unknown, unknown] | undefined;
          if (args.method === "eth_call" && params?.[0].data?.startsWith(VALIDATE_SELECTOR) === true)
            simulations.push(params[2]);
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
    log: (record) => logs.push(record),
  });
  running.push(service);
  return { ...fx, url: service.url, logs, simulations };
}

async function setup(): Promise<ServiceFixture> {
  const fx = await loadFixture(serviceFixture);
  fx.logs.length = 0;
  fx.simulations.length = 0;
  return fx;
}

/** Prepares one operation of `account` through the service (mode `mode`), signs it and runs it on the EntryPoint. */
async function throughService(
  fx: ServiceFixture,
  account: SmartAccount,
  mode: CreditModeOptions,
  authorization?: SignedAuthorization,
) {
  const bundlerClient = createBundlerClient({
    client: fx.publicClient,
    // Never called: every gas value is given, and the operation is submitted with handleOps below.
    transport: custom(network.provider),
    paymaster: createCreditPaymasterServiceClient({ url: fx.url, ...mode }),
  });
  const prepared = (await bundlerClient.prepareUserOperation({
    account,
    calls: [{ to: fx.target, data: incrementCall(fx.sys) as Hex }],
    ...OP_GAS,
    ...(authorization === undefined ? {} : { authorization }),
  })) as unknown as UserOperation<"0.8">;
  const signature = await account.signUserOperation(prepared);
  const result = await handleOps(
    fx.sys.entryPoint,
    [toPackedUserOperation({ ...prepared, signature })],
    await fx.sys.bundler.getAddress(),
    fx.sys.bundler,
    authorization === undefined ? {} : { authorizationList: [toEthersAuthorization(authorization)] },
  );
  return { prepared, result };
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { error?: { code: number; message: string }; result?: unknown };
}

/** An ERC-7677 request for a first operation of `fx.sponsoredEoa` with viem's marker (and `eip7702Auth`, if given). */
function stubRequest(
  fx: ServiceFixture,
  authorization?: SignedAuthorization,
  extra: Record<string, unknown> = {},
) {
  const op = formatUserOperationRequest({
    sender: fx.sponsoredEoa.address,
    nonce: 0n,
    factory: "0x7702",
    factoryData: "0x",
    callData: "0x",
    ...OP_GAS,
    ...(authorization === undefined ? {} : { authorization }),
  });
  return {
    jsonrpc: "2.0",
    id: 1,
    method: "pm_getPaymasterStubData",
    params: [{ ...op, ...extra }, fx.entryPoint, "0x7a69", { mode: "SPONSORED", sponsor: fx.dapp }],
  };
}

describe("paymaster service: EIP-7702 accounts (EntryPoint v0.8)", function () {
  after(async function () {
    await Promise.all(running.map((s) => s.close()));
  });

  it("sponsors viem's Simple7702 account: eip7702Auth and the marker first, then neither", async function () {
    const fx = await setup();
    const eoa = fx.sponsoredEoa;
    const account = await viem7702Account(fx, eoa);
    const mode = { mode: "SPONSORED", sponsor: fx.dapp } as const;
    const before = await fx.sys.ledger.balanceOfCredits(fx.dapp);
    const first = await throughService(fx, account, mode, await authorize(fx, eoa, fx.delegate));
    expect(first.prepared.factory).to.equal("0x7702");
    expect(first.result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([
      [eoa.address, true],
    ]);
    // The final request was simulated with the sender delegated, as the type-4 bundle then made it.
    expect(fx.simulations).to.deep.equal([{ [eoa.address]: { code: eip7702DelegationCode(fx.delegate) } }]);
    expect(eip7702DelegateOf(await fx.publicClient.getCode({ address: eoa.address }))).to.equal(fx.delegate);

    const second = await throughService(fx, account, mode);
    expect(second.prepared.authorization).to.equal(undefined);
    expect(second.result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
    expect(fx.simulations).to.deep.equal([
      { [eoa.address]: { code: eip7702DelegationCode(fx.delegate) } },
      undefined,
    ]);
    const spent = [first.result, second.result].flatMap((r) => creditsSpent(fx, r));
    expect(spent.map(([a, b]) => [a, b])).to.deep.equal([
      [fx.dapp, eoa.address],
      [fx.dapp, eoa.address],
    ]);
    expect(await fx.sys.ledger.balanceOfCredits(fx.dapp)).to.equal(before - spent[0][2] - spent[1][2]);
    expect(await fx.publicClient.getBalance({ address: eoa.address })).to.equal(0n);
    expect(fx.logs.map((r) => [r.method, r.outcome, r.sender])).to.deep.equal([
      ["pm_getPaymasterStubData", "ok", eoa.address],
      ["pm_getPaymasterData", "ok", eoa.address],
      ["pm_getPaymasterStubData", "ok", eoa.address],
      ["pm_getPaymasterData", "ok", eoa.address],
    ]);
  });

  it("lets permissionless' 7702 SimpleAccount pay with its own credits", async function () {
    const fx = await setup();
    const eoa = fx.payingEoa;
    const account = await permissionless7702Account(fx, eoa);
    const before = await fx.sys.ledger.balanceOfCredits(eoa.address);
    const { prepared, result } = await throughService(
      fx,
      account,
      { mode: "SELF", maxCredits: 20n * CREDIT },
      await authorize(fx, eoa, fx.delegate),
    );
    expect(prepared.factory).to.equal(undefined);
    expect(result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([[eoa.address, true]]);
    const spent = creditsSpent(fx, result);
    expect(spent.map(([a, b]) => [a, b])).to.deep.equal([[eoa.address, eoa.address]]);
    expect(await fx.sys.ledger.balanceOfCredits(eoa.address)).to.equal(before - spent[0][2]);
    expect(spent[0][2]).to.be.greaterThan(0n);
  });

  it("answers -32040 for the marker of an EOA that is not delegated and sends no eip7702Auth", async function () {
    const fx = await setup();
    const sender = fx.sponsoredEoa.address;
    const answer = await post(fx.url, stubRequest(fx));
    expect(answer.error).to.deep.include({
      code: -32040,
      message:
        `rejected by the credit paymaster: EIP-7702 sender ${sender}: the 0x7702 factory marker names the ` +
        `sender's delegate, but ${sender} is not delegated: its first operation must carry its signed ` +
        "authorization (eip7702Auth)",
    });
    // With the authorization (alto's older `contractAddress` spelling too), the same request is accepted.
    const auth = await authorize(fx, fx.sponsoredEoa, fx.delegate);
    expect((await post(fx.url, stubRequest(fx, auth))).result).to.include({ paymaster: fx.paymaster });
    const request = stubRequest(fx, auth);
    const { address, ...rest } = (request.params[0] as { eip7702Auth: { address: string } }).eip7702Auth;
    (request.params[0] as Record<string, unknown>).eip7702Auth = { contractAddress: address, ...rest };
    expect((await post(fx.url, request)).result).to.include({ paymaster: fx.paymaster });
  });

  it("answers -32040 for an authorization with a stale nonce or for another chain", async function () {
    const fx = await setup();
    const sender = fx.sponsoredEoa.address;
    const auth = await authorize(fx, fx.sponsoredEoa, fx.delegate);
    const stale = await post(fx.url, stubRequest(fx, { ...auth, nonce: 3 }));
    expect(stale.error).to.deep.include({
      code: -32040,
      message: `rejected by the credit paymaster: EIP-7702 sender ${sender}: the authorization's nonce is 3, the sender's is 0: sign a new authorization`,
    });
    const otherChain = await post(fx.url, stubRequest(fx, { ...auth, chainId: 10 }));
    expect(otherChain.error?.message).to.equal(
      `rejected by the credit paymaster: EIP-7702 sender ${sender}: the authorization is for chain 10, not 31337`,
    );
  });

  it("answers -32602 for a malformed eip7702Auth or factory, naming the field", async function () {
    const fx = await setup();
    const auth = await authorize(fx, fx.sponsoredEoa, fx.delegate);
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          eip7702Auth: { ...formatUserOperationRequest({ authorization: auth }).eip7702Auth, yParity: "0x2" },
        },
        "invalid params: userOp.eip7702Auth.yParity = 2 exceeds 1",
      ],
      [
        { eip7702Auth: { chainId: "0x7a69", nonce: "0x0", r: auth.r, s: auth.s, yParity: "0x0" } },
        "invalid params: userOp.eip7702Auth.address must be the delegate's address",
      ],
      [
        { eip7702Auth: "0x1234" },
        "invalid params: userOp.eip7702Auth must be an EIP-7702 authorization { address, chainId, nonce, r, s, yParity }",
      ],
      [
        { factory: "0x7703" },
        'invalid params: userOp.factory must be a 20-byte hex address or the EIP-7702 marker "0x7702", got "0x7703"',
      ],
    ];
    for (const [extra, message] of cases) {
      const answer = await post(fx.url, stubRequest(fx, undefined, extra));
      expect([answer.error?.code, answer.error?.message], JSON.stringify(extra)).to.deep.equal([
        -32602,
        message,
      ]);
    }
  });
});
