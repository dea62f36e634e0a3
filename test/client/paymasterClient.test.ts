import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { createPublicClient, custom, getAddress } from "viem";
import { hardhat } from "viem/chains";
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createBundlerClient, toPackedUserOperation } from "viem/account-abstraction";
import { toSimpleSmartAccount } from "permissionless/accounts";

import {
  CreditPaymasterRejectedError,
  RpcErrorCode,
  createCreditPaymasterClient,
  creditPaymasterContext,
  encodePaymasterData,
  paymasterGasLimits,
} from "../../src/client";
import type { PaymasterConfig } from "../../src/client";
import { CREDIT, defaultPaymasterConfig, incrementCall } from "../helpers/system";
import { handleOps } from "../helpers/userop";
import { NEVER, OP_GAS, clientFixture, fixturePostOpFloor, userOperation } from "./fixture";

const CONFIG: PaymasterConfig = defaultPaymasterConfig();

async function setup() {
  const fx = await loadFixture(clientFixture);
  const sponsoredClient = createCreditPaymasterClient({
    publicClient: fx.publicClient,
    paymaster: fx.paymaster,
    ledger: fx.ledger,
    mode: "SPONSORED",
    sponsor: fx.dapp,
  });
  const request = { chainId: 31337, entryPointAddress: fx.entryPoint };
  return { fx, sponsoredClient, request };
}

describe("createCreditPaymasterClient", function () {
  describe("#getPaymasterStubData", function () {
    it("returns the paymaster, the mode's data and fixed gas limits within the caps", async function () {
      const { fx, sponsoredClient, request } = await setup();
      const stub = await sponsoredClient.getPaymasterStubData({
        ...request,
        ...userOperation(fx, fx.sponsored),
      });
      expect(stub).to.deep.equal({
        paymaster: fx.paymaster,
        paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
        paymasterVerificationGasLimit: 150_000n,
        paymasterPostOpGasLimit: fixturePostOpFloor("SPONSORED"),
        isFinal: false,
      });
    });

    it("throws CreditPaymasterRejectedError before gas estimation for a user without allowance", async function () {
      const { fx, sponsoredClient, request } = await setup();
      const stranger = getAddress(fx.stranger.account.address);
      const error = await sponsoredClient
        .getPaymasterStubData({ ...request, ...userOperation(fx, fx.stranger), callGasLimit: 0n })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(CreditPaymasterRejectedError);
      const rejected = error as CreditPaymasterRejectedError;
      expect(rejected.code).to.equal(RpcErrorCode.NO_ALLOWANCE);
      expect(rejected.message).to.equal(
        `rejected by the credit paymaster: sponsor ${fx.dapp} gave ${stranger} no allowance`,
      );
      expect(rejected.reasons).to.deep.equal([
        {
          kind: "noAllowance",
          sponsor: fx.dapp,
          beneficiary: stranger,
          message: `sponsor ${fx.dapp} gave ${stranger} no allowance`,
          code: -32015,
        },
      ]);
    });

    it("throws for another EntryPoint or another chain", async function () {
      const { fx, sponsoredClient } = await setup();
      const op = userOperation(fx, fx.sponsored);
      const v07 = "0x0000000071727De22E5E9d8BAf0edAc6f37da032";
      await expect(
        sponsoredClient.getPaymasterStubData({ ...op, chainId: 31337, entryPointAddress: v07 }),
      ).to.be.rejectedWith(`the paymaster ${fx.paymaster} serves EntryPoint ${fx.entryPoint}, not ${v07}`);
      await expect(
        sponsoredClient.getPaymasterStubData({ ...op, chainId: 1, entryPointAddress: fx.entryPoint }),
      ).to.be.rejectedWith("the paymaster client is on chain 31337, not 1");
    });
  });

  describe("#getPaymasterData", function () {
    it("returns the same fields as the stub for an operation the paymaster accepts", async function () {
      const { fx, sponsoredClient, request } = await setup();
      expect(
        await sponsoredClient.getPaymasterData({ ...request, ...userOperation(fx, fx.sponsored) }),
      ).to.deep.equal({
        paymaster: fx.paymaster,
        paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
        paymasterVerificationGasLimit: 150_000n,
        paymasterPostOpGasLimit: fixturePostOpFloor("SPONSORED"),
      });
    });

    it("throws with every reason found by the final checks", async function () {
      const { fx, sponsoredClient, request } = await setup();
      const op = { ...request, ...userOperation(fx, fx.tight), callGasLimit: 3_000_000n };
      const error = await sponsoredClient.getPaymasterData(op).then(
        () => undefined,
        (e: unknown) => e as CreditPaymasterRejectedError,
      );
      expect(error?.reasons.map((r) => r.kind)).to.deep.equal(["gasLimitTooHigh", "allowanceExceeded"]);
      expect(error?.code).to.equal(RpcErrorCode.GAS_LIMIT_EXCEEDED);
    });

    it("uses the user's maxCredits, and simulates the paymaster's validation unless told not to", async function () {
      const { fx, request } = await setup();
      const base = { publicClient: fx.publicClient, paymaster: fx.paymaster, mode: "SELF" } as const;
      const limited = createCreditPaymasterClient({ ...base, maxCredits: 1n });
      await expect(
        limited.getPaymasterData({ ...request, ...userOperation(fx, fx.payer) }),
      ).to.be.rejectedWith(CreditPaymasterRejectedError, "above the user's limit of 0.000001 credits");
      // The simulation is an eth_call of validatePaymasterUserOp from the EntryPoint: count those.
      const simulations: unknown[] = [];
      const counting = createPublicClient({
        chain: hardhat,
        transport: custom(
          {
            request: (args: RequestArguments) => {
              const [call] = Array.isArray(args.params) ? (args.params as { from?: string }[]) : [];
              if (args.method === "eth_call" && call?.from?.toLowerCase() === fx.entryPoint.toLowerCase()) {
                simulations.push(call);
              }
              return network.provider.request(args);
            },
          },
          { retryCount: 0 },
        ),
      });
      const op = { ...request, ...userOperation(fx, fx.payer) };
      const simulated = createCreditPaymasterClient({ ...base, publicClient: counting });
      expect((await simulated.getPaymasterData(op)).paymasterData).to.equal(
        encodePaymasterData({ mode: "SELF" }),
      );
      expect(simulations.length).to.equal(1);
      const unsimulated = createCreditPaymasterClient({ ...base, publicClient: counting, simulate: false });
      expect((await unsimulated.getPaymasterData(op)).paymasterData).to.equal(
        encodePaymasterData({ mode: "SELF" }),
      );
      expect(simulations.length).to.equal(1);
    });
  });

  describe("with viem's bundler client and a permissionless SimpleAccount", function () {
    it("prepares a sponsored first operation that the EntryPoint executes, burning the sponsor's credits", async function () {
      const { fx } = await setup();
      const owner = privateKeyToAccount(generatePrivateKey());
      const account = await toSimpleSmartAccount({
        client: fx.publicClient,
        owner,
        entryPoint: { address: fx.entryPoint, version: "0.8" },
        factoryAddress: getAddress(fx.sys.factory.target.toString()),
      });
      await (
        await fx.sys.ledger.connect(fx.sys.dapp).setAllowance(account.address, 20n * CREDIT, 86_400, NEVER)
      ).wait();
      const bundlerClient = createBundlerClient({
        client: fx.publicClient,
        // Never called: every gas value is given, and the operation is submitted with handleOps below.
        transport: custom(network.provider),
        paymaster: createCreditPaymasterClient({
          publicClient: fx.publicClient,
          paymaster: fx.paymaster,
          mode: "SPONSORED",
          sponsor: fx.dapp,
        }),
      });
      const prepared = await bundlerClient.prepareUserOperation({
        account,
        calls: [{ to: getAddress(await fx.sys.target.getAddress()), data: incrementCall(fx.sys) as Hex }],
        ...OP_GAS,
      });
      expect(prepared.paymaster).to.equal(fx.paymaster);
      const signature = await account.signUserOperation(prepared);
      const packed = toPackedUserOperation({ ...prepared, signature });

      const before = await fx.sys.ledger.balanceOfCredits(fx.dapp);
      const result = await handleOps(
        fx.sys.entryPoint,
        [packed],
        await fx.sys.bundler.getAddress(),
        fx.sys.bundler,
      );
      expect(result.userOperationEvents.map((e) => [e.sender, e.success])).to.deep.equal([
        [account.address, true],
      ]);
      const spent = result.receipt.logs
        .filter((l) => getAddress(l.address) === fx.ledger)
        .map((l) => fx.sys.ledger.interface.parseLog(l))
        .filter((e) => e?.name === "CreditsSpent")
        .map((e) => ({
          account: e?.args.account as string,
          beneficiary: e?.args.beneficiary as string,
          amount: e?.args.amount as bigint,
        }));
      expect(spent.map((e) => [e.account, e.beneficiary])).to.deep.equal([[fx.dapp, account.address]]);
      expect(await fx.sys.ledger.balanceOfCredits(fx.dapp)).to.equal(before - spent[0].amount);
      expect(await fx.sys.target.counts(account.address)).to.equal(1n);
      expect(await fx.publicClient.getBalance({ address: account.address })).to.equal(0n);
    });
  });
});

describe("paymasterGasLimits", function () {
  const FLOOR = 56_026n;

  it("puts the postOp limit at the operation's floor and caps both limits by the governance caps", function () {
    expect(paymasterGasLimits(CONFIG, FLOOR)).to.deep.equal({
      paymasterVerificationGasLimit: 150_000n,
      paymasterPostOpGasLimit: FLOOR,
    });
    expect(
      paymasterGasLimits(
        { ...CONFIG, maxPaymasterVerificationGasLimit: 100_000n, maxPaymasterPostOpGasLimit: 50_000n },
        FLOOR,
      ),
    ).to.deep.equal({ paymasterVerificationGasLimit: 100_000n, paymasterPostOpGasLimit: 50_000n });
  });

  it("raises a preferred postOp limit below the floor to it, and keeps one above it", function () {
    expect(
      paymasterGasLimits(CONFIG, FLOOR, {
        paymasterPostOpGasLimit: 1n,
        paymasterVerificationGasLimit: 90_000n,
      }),
    ).to.deep.equal({ paymasterVerificationGasLimit: 90_000n, paymasterPostOpGasLimit: FLOOR });
    expect(
      paymasterGasLimits(CONFIG, FLOOR, { paymasterPostOpGasLimit: 90_000n }).paymasterPostOpGasLimit,
    ).to.equal(90_000n);
  });

  it("mirrors defaultPaymasterConfig's caps", function () {
    const d = defaultPaymasterConfig();
    expect([d.maxPaymasterVerificationGasLimit, d.maxPaymasterPostOpGasLimit]).to.deep.equal([
      CONFIG.maxPaymasterVerificationGasLimit,
      CONFIG.maxPaymasterPostOpGasLimit,
    ]);
  });
});

describe("creditPaymasterContext", function () {
  it("serialises the mode for the paymaster service", function () {
    const sponsor = getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    expect(creditPaymasterContext({ mode: "SELF" })).to.deep.equal({ mode: "SELF" });
    expect(creditPaymasterContext({ mode: "SPONSORED", sponsor, maxCredits: 255n })).to.deep.equal({
      mode: "SPONSORED",
      sponsor,
      maxCredits: "0xff",
    });
  });
});
