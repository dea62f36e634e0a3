/**
 * The client with EIP-7702 accounts (issue 14) on EntryPoint v0.8: viem's `toSimple7702SmartAccount` (the `0x7702`
 * factory marker) and permissionless' `to7702SimpleSmartAccount` (no factory), both delegating a fresh EOA with 0 ETH
 * to `Simple7702Account`. The local paymaster client prepares their operations, which the EntryPoint then executes
 * in a type-4 bundle carrying the authorization; `explainEip7702` names what the bundler or the EntryPoint would
 * refuse, and the simulation gives the sender the delegation its authorization will give it.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { createPublicClient, custom, getAddress, pad, toFunctionSelector, zeroAddress } from "viem";
import type { Hex, SignedAuthorization } from "viem";
import { createBundlerClient, toPackedUserOperation } from "viem/account-abstraction";
import type { SmartAccount, UserOperation } from "viem/account-abstraction";
import { hardhat } from "viem/chains";

import {
  CreditPaymasterRejectedError,
  RpcErrorCode,
  createCreditPaymasterClient,
  createCreditsClient,
  eip7702DelegateOf,
  eip7702DelegationCode,
  eip7702StateOverride,
  explainEip7702,
  isEip7702Factory,
} from "../../src/client";
import type { CreditModeOptions } from "../../src/client";
import { CREDIT, incrementCall } from "../helpers/system";
import { handleOps } from "../helpers/userop";
import { OP_GAS } from "./fixture";
import {
  authorize,
  creditsSpent,
  eip7702Fixture,
  permissionless7702Account,
  toEthersAuthorization,
  viem7702Account,
} from "./eip7702Fixture";
import type { Eip7702Fixture } from "./eip7702Fixture";

/** Prepares (through `paymaster`), signs and executes one operation of `account` calling the target. */
async function prepareAndRun(
  fx: Eip7702Fixture,
  account: SmartAccount,
  paymaster: Parameters<typeof createBundlerClient>[0]["paymaster"],
  authorization?: SignedAuthorization,
) {
  const bundlerClient = createBundlerClient({
    client: fx.publicClient,
    // Never called: every gas value is given, and the operation is submitted with handleOps below.
    transport: custom(network.provider),
    paymaster,
  });
  const prepared = (await bundlerClient.prepareUserOperation({
    account,
    calls: [{ to: fx.target, data: incrementCall(fx.sys) as Hex }],
    ...OP_GAS,
    ...(authorization === undefined ? {} : { authorization }),
  })) as unknown as UserOperation<"0.8">;
  const signature = await account.signUserOperation(prepared);
  const packed = toPackedUserOperation({ ...prepared, signature });
  const result = await handleOps(
    fx.sys.entryPoint,
    [packed],
    await fx.sys.bundler.getAddress(),
    fx.sys.bundler,
    authorization === undefined ? {} : { authorizationList: [toEthersAuthorization(authorization)] },
  );
  return { prepared, result };
}

function localClient(fx: Eip7702Fixture, mode: CreditModeOptions) {
  return createCreditPaymasterClient({ publicClient: fx.publicClient, paymaster: fx.paymaster, ...mode });
}

describe("client: EIP-7702 accounts (EntryPoint v0.8)", function () {
  it("sponsors viem's Simple7702 account: the first operation carries the authorization, the second none", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const eoa = fx.sponsoredEoa;
    expect(await fx.publicClient.getCode({ address: eoa.address })).to.equal(undefined);
    expect(await fx.publicClient.getBalance({ address: eoa.address })).to.equal(0n);
    const account = await viem7702Account(fx, eoa);
    const paymaster = localClient(fx, { mode: "SPONSORED", sponsor: fx.dapp });
    const before = await fx.sys.ledger.balanceOfCredits(fx.dapp);

    const first = await prepareAndRun(fx, account, paymaster, await authorize(fx, eoa, fx.delegate));
    expect(first.prepared.factory).to.equal("0x7702");
    expect(first.prepared.paymaster).to.equal(fx.paymaster);
    expect(first.result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([
      [eoa.address, true],
    ]);
    expect(eip7702DelegateOf(await fx.publicClient.getCode({ address: eoa.address }))).to.equal(fx.delegate);

    // Delegated now: viem's account drops the marker, and no authorization is needed.
    const second = await prepareAndRun(fx, account, paymaster);
    expect(second.prepared.factory).to.equal(undefined);
    expect(second.prepared.authorization).to.equal(undefined);
    expect(second.result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);

    const spent = [first.result, second.result].flatMap((r) => creditsSpent(fx, r));
    expect(spent.map(([account_, beneficiary]) => [account_, beneficiary])).to.deep.equal([
      [fx.dapp, eoa.address],
      [fx.dapp, eoa.address],
    ]);
    expect(await fx.sys.ledger.balanceOfCredits(fx.dapp)).to.equal(before - spent[0][2] - spent[1][2]);
    expect(await fx.sys.target.counts(eoa.address)).to.equal(2n);
    expect(await fx.publicClient.getBalance({ address: eoa.address })).to.equal(0n);
  });

  it("lets permissionless' 7702 SimpleAccount pay with its own credits (no factory, the authorization only)", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const eoa = fx.payingEoa;
    const account = await permissionless7702Account(fx, eoa);
    expect(account.address).to.equal(eoa.address);
    const paymaster = localClient(fx, { mode: "SELF", maxCredits: 20n * CREDIT });
    const before = await fx.sys.ledger.balanceOfCredits(eoa.address);
    const { prepared, result } = await prepareAndRun(
      fx,
      account,
      paymaster,
      await authorize(fx, eoa, fx.delegate),
    );
    expect(prepared.factory).to.equal(undefined);
    expect(result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([[eoa.address, true]]);
    const spent = creditsSpent(fx, result);
    expect(spent.map(([a, b]) => [a, b])).to.deep.equal([[eoa.address, eoa.address]]);
    expect(await fx.sys.ledger.balanceOfCredits(eoa.address)).to.equal(before - spent[0][2]);
    expect(await fx.publicClient.getBalance({ address: eoa.address })).to.equal(0n);
  });

  it("refuses, before signing, the 0x7702 marker of an EOA that is not delegated and sends no authorization", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const account = await viem7702Account(fx, fx.sponsoredEoa);
    const paymaster = localClient(fx, { mode: "SPONSORED", sponsor: fx.dapp });
    const bundlerClient = createBundlerClient({
      client: fx.publicClient,
      transport: custom(network.provider),
      paymaster,
    });
    // Without `authorization`, viem puts a dummy one in: take it out, as a wallet that forgot it would.
    const error = await paymaster
      .getPaymasterStubData({
        chainId: 31337,
        entryPointAddress: fx.entryPoint,
        sender: account.address,
        nonce: 0n,
        factory: "0x7702",
        factoryData: "0x",
        callData: await account.encodeCalls([{ to: fx.target, data: incrementCall(fx.sys) as Hex }]),
        ...OP_GAS,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(CreditPaymasterRejectedError);
    const rejected = error as CreditPaymasterRejectedError;
    expect(rejected.code).to.equal(RpcErrorCode.EIP7702_INVALID);
    expect(rejected.message).to.equal(
      `rejected by the credit paymaster: EIP-7702 sender ${fx.sponsoredEoa.address}: the 0x7702 factory marker ` +
        `names the sender's delegate, but ${fx.sponsoredEoa.address} is not delegated: its first operation must ` +
        "carry its signed authorization (eip7702Auth)",
    );
    // With the authorization, the same request is accepted.
    const prepared = await bundlerClient.prepareUserOperation({
      account,
      calls: [{ to: fx.target, data: incrementCall(fx.sys) as Hex }],
      ...OP_GAS,
      authorization: await authorize(fx, fx.sponsoredEoa, fx.delegate),
    });
    expect(prepared.paymaster).to.equal(fx.paymaster);
  });

  it("simulates a first operation with the sender delegated by a state override, and a later one without", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const overrides: unknown[] = [];
    const publicClient = createPublicClient({
      chain: hardhat,
      transport: custom({
        request: (args: RequestArguments) => {
          if (args.method === "eth_call") overrides.push((args.params as unknown[])[2]);
          return network.provider.request(args);
        },
      }),
    });
    const credits = createCreditsClient({ publicClient, paymaster: fx.paymaster });
    const account = await viem7702Account(fx, fx.sponsoredEoa);
    const paymaster = localClient(fx, { mode: "SPONSORED", sponsor: fx.dapp });
    const authorization = await authorize(fx, fx.sponsoredEoa, fx.delegate);
    const stub = await paymaster.getPaymasterStubData({
      chainId: 31337,
      entryPointAddress: fx.entryPoint,
      sender: account.address,
      nonce: 0n,
      callData: "0x",
      ...OP_GAS,
    });
    const op = {
      sender: account.address,
      nonce: 0n,
      factory: "0x7702" as Hex,
      factoryData: "0x" as Hex,
      callData: "0x" as Hex,
      ...OP_GAS,
      paymaster: stub.paymaster,
      paymasterData: stub.paymasterData,
      paymasterVerificationGasLimit: stub.paymasterVerificationGasLimit,
      paymasterPostOpGasLimit: stub.paymasterPostOpGasLimit,
    };
    await credits.addresses(); // read once: the simulation's eth_call is the only one below
    overrides.length = 0;
    expect(await credits.simulateValidation({ ...op, authorization })).to.include({ ok: true });
    expect(overrides).to.deep.equal([
      { [fx.sponsoredEoa.address]: { code: eip7702DelegationCode(fx.delegate) } },
    ]);
    overrides.length = 0;
    const { factory: _factory, factoryData: _factoryData, ...later } = op;
    expect(await credits.simulateValidation(later)).to.include({ ok: true });
    expect(overrides).to.deep.equal([undefined]);

    // The node honours the override: the EOA answers as its delegate (Simple7702Account.entryPoint()), and as an
    // EOA (no code, empty answer) without it.
    const entryPointCall = { to: account.address, data: toFunctionSelector("entryPoint()") } as const;
    const delegated = await fx.publicClient.call({
      ...entryPointCall,
      stateOverride: eip7702StateOverride({ sender: account.address, authorization }),
    });
    expect(delegated.data).to.equal(pad(fx.entryPoint.toLowerCase() as Hex));
    expect((await fx.publicClient.call(entryPointCall)).data).to.equal(undefined);
  });
});

describe("explainEip7702", function () {
  const v08: { chainId: number; entryPointVersion: "0.7" | "0.8" } = {
    chainId: 31337,
    entryPointVersion: "0.8",
  };

  it("accepts an operation without EIP-7702 fields without reading the chain", async function () {
    const failing = createPublicClient({
      chain: hardhat,
      transport: custom({
        request: () => {
          throw new Error("no RPC expected");
        },
      }),
    });
    expect(await explainEip7702(failing, { sender: zeroAddress }, v08)).to.deep.equal([]);
    expect(
      await explainEip7702(
        failing,
        { sender: zeroAddress, factory: getAddress(`0x${"11".repeat(20)}`) },
        v08,
      ),
    ).to.deep.equal([]);
  });

  it("names every problem of an authorization: chain, nonce, a delegate without code, a factory beside it", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const eoa = fx.sponsoredEoa;
    const good = await authorize(fx, eoa, fx.delegate);
    const problems = async (fields: Parameters<typeof explainEip7702>[1], context = v08) =>
      (await explainEip7702(fx.publicClient, fields, context)).map((r) =>
        r.kind === "eip7702Invalid" ? [r.sender, r.problem] : r.kind,
      );
    const sender = eoa.address;
    expect(await problems({ sender, factory: "0x7702", authorization: good })).to.deep.equal([]);
    // Chain 0 (any chain) is valid; the padded marker is the same marker.
    expect(
      await problems({
        sender,
        factory: "0x7702000000000000000000000000000000000000",
        authorization: { ...good, chainId: 0 },
      }),
    ).to.deep.equal([]);
    expect(await problems({ sender, authorization: { ...good, chainId: 1 } })).to.deep.equal([
      [sender, "the authorization is for chain 1, not 31337"],
    ]);
    expect(await problems({ sender, authorization: { ...good, nonce: 7 } })).to.deep.equal([
      [sender, "the authorization's nonce is 7, the sender's is 0: sign a new authorization"],
    ]);
    expect(await problems({ sender, authorization: { ...good, address: fx.dapp } })).to.deep.equal([
      [sender, `the authorization's delegate ${fx.dapp} has no code`],
    ]);
    expect(await problems({ sender, authorization: { ...good, address: zeroAddress } })).to.deep.equal([
      [sender, "the authorization delegates to the zero address"],
    ]);
    expect(await problems({ sender, factory: fx.delegate, authorization: good })).to.deep.equal([
      [sender, `an operation with an authorization cannot deploy with factory ${fx.delegate}`],
    ]);
    expect(
      await problems(
        { sender, factory: "0x7702", authorization: good },
        { ...v08, entryPointVersion: "0.7" },
      ),
    ).to.deep.equal([
      [sender, "EntryPoint v0.7 does not support the 0x7702 factory marker: use EntryPoint v0.8"],
    ]);
  });

  it("accepts the marker without an authorization once the sender is delegated", async function () {
    const fx = await loadFixture(eip7702Fixture);
    const eoa = fx.sponsoredEoa;
    const account = await viem7702Account(fx, eoa);
    await prepareAndRun(
      fx,
      account,
      localClient(fx, { mode: "SPONSORED", sponsor: fx.dapp }),
      await authorize(fx, eoa, fx.delegate),
    );
    expect(
      await explainEip7702(fx.publicClient, { sender: eoa.address, factory: "0x7702" }, v08),
    ).to.deep.equal([]);
  });

  it("recognises the marker, the delegation code and its delegate", function () {
    expect([
      isEip7702Factory("0x7702"),
      isEip7702Factory("0x7702000000000000000000000000000000000000"),
    ]).to.deep.equal([true, true]);
    expect([
      isEip7702Factory(undefined),
      isEip7702Factory("0x7703"),
      isEip7702Factory(zeroAddress),
    ]).to.deep.equal([false, false, false]);
    const delegate = getAddress(`0x${"ab".repeat(20)}`);
    expect(eip7702DelegationCode(delegate)).to.equal(`0xef0100${"ab".repeat(20)}`);
    expect(eip7702DelegateOf(eip7702DelegationCode(delegate))).to.equal(delegate);
    expect(eip7702DelegateOf(`0xef0200${"ab".repeat(20)}`)).to.equal(undefined);
    expect(eip7702DelegateOf("0x6080")).to.equal(undefined);
    expect(eip7702DelegateOf(undefined)).to.equal(undefined);
    expect(eip7702StateOverride({ sender: delegate })).to.equal(undefined);
  });
});
