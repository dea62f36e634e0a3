import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, JsonRpcProvider, getAddress, keccak256, toBeHex } from "ethers";

import { analyzeValidation, isStaked, traceValidation } from "../../src/erc7562";
import type { AnalysisResult, Violation } from "../../src/erc7562";
import {
  ENTRY_POINT_ADDRESSES,
  counterfactualAccount,
  deployEntryPoints,
  deploySimpleAccountFactory,
} from "../helpers/entrypoint";
import type { EntryPointCommon, EntryPointVersion, SimpleAccountFactoryCommon } from "../helpers/entrypoint";
import { checkErc7562 } from "../helpers/erc7562";
import { buildUserOp, encodeExecute, handleOps, packPaymasterAndData, signUserOp } from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";

const ONE_ETH = 10n ** 18n;
const UNSTAKE_DELAY = 86_400n;
const PAYMASTER_VERIFICATION_GAS = 200_000n;
const PAYMASTER_POST_OP_GAS = 50_000n;
/** `counts` is the second state variable of TestStorageTarget. */
const COUNTS_SLOT = 1n;
/** BasePaymaster's Ownable2Step uses slots 0 (owner) and 1 (pending owner); `validations` is slot 2. */
const VALIDATIONS_SLOT = 2n;

function mappingSlot(key: string, slot: bigint): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [key, slot]));
}

/** A violation reduced to what identifies it (pc and message left out): "rule entity opcode address slot". */
function summary(violation: Violation): string {
  return [violation.rule, violation.entity, violation.opcode, violation.address, violation.slot ?? "-"].join(
    " ",
  );
}

async function checkerFixture() {
  const [deployer, owner, bundler] = await ethers.getSigners();
  const entryPoints = await deployEntryPoints(deployer);
  const ep = ENTRY_POINT_ADDRESSES["0.8"];
  const target = await ethers.deployContract("TestStorageTarget");
  const targetAddress = await target.getAddress();

  const deployPaymaster = async (name: string, withTarget: boolean, stake: boolean, entryPoint = ep) => {
    const contract = await ethers.deployContract(
      name,
      withTarget ? [entryPoint, targetAddress] : [entryPoint],
    );
    const address = await contract.getAddress();
    const paymaster = await ethers.getContractAt("TestAcceptAllPaymaster", address);
    await paymaster.deposit({ value: ONE_ETH });
    if (stake) await paymaster.addStake(UNSTAKE_DELAY, { value: ONE_ETH });
    return address;
  };
  const paymasters = {
    acceptAll: await deployPaymaster("TestAcceptAllPaymaster", false, false),
    timestamp: await deployPaymaster("TestTimestampPaymaster", false, false),
    gas: await deployPaymaster("TestGasPaymaster", false, false),
    outOfGas: await deployPaymaster("TestOutOfGasPaymaster", false, false),
    foreignWrite: await deployPaymaster("TestForeignWritePaymaster", true, false),
    foreignWriteStaked: await deployPaymaster("TestForeignWritePaymaster", true, true),
    foreignRead: await deployPaymaster("TestForeignReadPaymaster", true, false),
    foreignReadStaked: await deployPaymaster("TestForeignReadPaymaster", true, true),
    selfAssociated: await deployPaymaster("TestSelfAssociatedPaymaster", true, false),
    selfAssociatedStaked: await deployPaymaster("TestSelfAssociatedPaymaster", true, true),
    senderAssociated: await deployPaymaster("TestSenderAssociatedPaymaster", true, false),
    transient: await deployPaymaster("TestTransientPaymaster", true, false),
    ownStorage: await deployPaymaster("TestOwnStoragePaymaster", false, false),
    ownStorageStaked: await deployPaymaster("TestOwnStoragePaymaster", false, true),
    acceptAllV07: await deployPaymaster("TestAcceptAllPaymaster", false, false, ENTRY_POINT_ADDRESSES["0.7"]),
    timestampV07: await deployPaymaster("TestTimestampPaymaster", false, false, ENTRY_POINT_ADDRESSES["0.7"]),
  };

  const factories: Record<EntryPointVersion, SimpleAccountFactoryCommon> = {
    "0.7": await deploySimpleAccountFactory("0.7", ENTRY_POINT_ADDRESSES["0.7"], deployer),
    "0.8": await deploySimpleAccountFactory("0.8", ENTRY_POINT_ADDRESSES["0.8"], deployer),
  };
  // Deploy one account per version through a first UserOperation, so that later ops have no initCode.
  const accounts = {} as Record<EntryPointVersion, string>;
  for (const version of ["0.7", "0.8"] as const) {
    const account = await counterfactualAccount(factories[version], owner.address);
    const pm = version === "0.8" ? paymasters.acceptAll : paymasters.acceptAllV07;
    const op = buildUserOp({
      sender: account.address,
      initCode: account.initCode,
      paymasterAndData: packPaymasterAndData(pm, PAYMASTER_VERIFICATION_GAS, PAYMASTER_POST_OP_GAS),
    });
    await handleOps(
      entryPoints[version],
      [await signUserOp(op, owner, entryPoints[version], version)],
      bundler.address,
      bundler,
    );
    accounts[version] = account.address;
  }
  return { deployer, owner, bundler, entryPoints, target, targetAddress, paymasters, factories, accounts };
}

type Fixture = Awaited<ReturnType<typeof checkerFixture>>;

/** Signs a sponsored op of the fixture's deployed account (nonce 1, calls target.bumpTotal). */
async function sponsoredOp(
  f: Fixture,
  version: EntryPointVersion,
  paymaster: string,
): Promise<PackedUserOperation> {
  const entryPoint: EntryPointCommon = f.entryPoints[version];
  const op = buildUserOp({
    sender: f.accounts[version],
    nonce: await entryPoint.getNonce(f.accounts[version], 0n),
    callData: encodeExecute(f.targetAddress, 0n, f.target.interface.encodeFunctionData("bumpTotal")),
    paymasterAndData: packPaymasterAndData(paymaster, PAYMASTER_VERIFICATION_GAS, PAYMASTER_POST_OP_GAS),
  });
  return signUserOp(op, f.owner, entryPoint, version);
}

/** Traces handleOps([op]) and analyzes it, with the entities' stakes read from the EntryPoint. */
async function check(
  f: Fixture,
  version: EntryPointVersion,
  op: PackedUserOperation,
): Promise<AnalysisResult> {
  return checkErc7562(ethers.provider, ENTRY_POINT_ADDRESSES[version], op, {
    beneficiary: f.bundler.address,
  });
}

async function checkPaymaster(f: Fixture, paymaster: string, version: EntryPointVersion = "0.8") {
  return check(f, version, await sponsoredOp(f, version, paymaster));
}

interface JsonRpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

/** Serves the in-process Hardhat network over HTTP JSON-RPC, like a separate `hardhat node` would. */
async function withJsonRpcServer<T>(run: (url: string) => Promise<T>): Promise<T> {
  const answer = async (request: JsonRpcRequest) => {
    try {
      return { jsonrpc: "2.0", id: request.id, result: await network.provider.request(request) };
    } catch (error) {
      return { jsonrpc: "2.0", id: request.id, error: { code: -32000, message: String(error) } };
    }
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
      const reply = Array.isArray(body) ? Promise.all(body.map(answer)) : answer(body);
      void reply.then((payload) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(payload));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("ERC-7562 checker", function () {
  describe("#traceValidation", function () {
    it("returns opcode-level steps of handleOps with stack and memory, without mining", async function () {
      const f = await loadFixture(checkerFixture);
      const op = await sponsoredOp(f, "0.8", f.paymasters.acceptAll);
      const blockBefore = await ethers.provider.getBlockNumber();
      const trace = await traceValidation(ethers.provider, { entryPoint: ENTRY_POINT_ADDRESSES["0.8"], op });
      expect(await ethers.provider.getBlockNumber()).to.equal(blockBefore);
      expect(trace.failed).to.equal(false);
      expect(trace.structLogs.length).to.be.greaterThan(1000);
      expect(trace.structLogs[0].depth).to.equal(1);
      expect(
        trace.structLogs.every((step) => step.stack !== undefined && step.memory !== undefined),
      ).to.equal(true);
      expect(trace.structLogs.some((step) => step.op === "KECCAK256")).to.equal(true);
    });

    it("reports a handleOps revert (FailedOp) as failed", async function () {
      const f = await loadFixture(checkerFixture);
      const op = { ...(await sponsoredOp(f, "0.8", f.paymasters.acceptAll)), nonce: 99n };
      const trace = await traceValidation(ethers.provider, { entryPoint: ENTRY_POINT_ADDRESSES["0.8"], op });
      expect(trace.failed).to.equal(true);
      const entryPoint = f.entryPoints["0.8"];
      expect(trace.returnValue).to.equal(
        entryPoint.interface.encodeErrorResult("FailedOp", [0n, "AA25 invalid account nonce"]),
      );
    });
  });

  describe("#traceValidation over HTTP", function () {
    it("traces the same through a node's URL or an ethers JsonRpcProvider as in-process", async function () {
      const f = await loadFixture(checkerFixture);
      const op = await sponsoredOp(f, "0.8", f.paymasters.timestamp);
      const request = { entryPoint: ENTRY_POINT_ADDRESSES["0.8"], op };
      const inProcess = await traceValidation(ethers.provider, request);
      await withJsonRpcServer(async (url) => {
        const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
        try {
          const options = {
            entryPoint: request.entryPoint,
            sender: op.sender,
            paymaster: f.paymasters.timestamp,
            paymasterStaked: false,
          };
          const expected = analyzeValidation(inProcess.structLogs, options);
          expect(expected.violations.map(summary)).to.deep.equal([
            `OP-011 paymaster TIMESTAMP ${f.paymasters.timestamp} -`,
          ]);
          for (const transport of [url, provider]) {
            const trace = await traceValidation(transport, request);
            expect(trace.failed).to.equal(false);
            expect(trace.structLogs).to.have.lengthOf(inProcess.structLogs.length);
            // Spot-check a hundred steps field by field (deep-equal of every step is slow and adds nothing).
            const stride = Math.floor(trace.structLogs.length / 100);
            for (let i = 0; i < trace.structLogs.length; i += stride) {
              expect(trace.structLogs[i]).to.deep.equal(inProcess.structLogs[i]);
            }
            expect(analyzeValidation(trace.structLogs, options)).to.deep.equal(expected);
          }
        } finally {
          provider.destroy();
        }
      });
    });

    it("surfaces the node's JSON-RPC error", async function () {
      const f = await loadFixture(checkerFixture);
      const op = await sponsoredOp(f, "0.8", f.paymasters.acceptAll);
      await withJsonRpcServer(async (url) => {
        await expect(
          traceValidation(url, { entryPoint: ENTRY_POINT_ADDRESSES["0.8"], op, blockTag: "0xffffff" }),
        ).to.be.rejectedWith("debug_traceCall failed");
      });
    });
  });

  describe("#checkErc7562 (test helper)", function () {
    it("throws when handleOps reverts, unless told not to require success", async function () {
      const f = await loadFixture(checkerFixture);
      const op = { ...(await sponsoredOp(f, "0.8", f.paymasters.acceptAll)), nonce: 99n };
      await expect(checkErc7562(ethers.provider, ENTRY_POINT_ADDRESSES["0.8"], op)).to.be.rejectedWith(
        "handleOps reverted",
      );
      const result = await checkErc7562(ethers.provider, ENTRY_POINT_ADDRESSES["0.8"], op, {
        requireSuccess: false,
      });
      expect(result.trace.failed).to.equal(true);
      expect([result.paymaster, result.factory, result.paymasterStaked]).to.deep.equal([
        f.paymasters.acceptAll,
        undefined,
        false,
      ]);
    });
  });

  describe("#isStaked", function () {
    it("reads the paymaster's locked stake and unstake delay from the EntryPoint", async function () {
      const f = await loadFixture(checkerFixture);
      const ep = ENTRY_POINT_ADDRESSES["0.8"];
      expect(await isStaked(ethers.provider, ep, f.paymasters.selfAssociatedStaked)).to.equal(true);
      expect(await isStaked(ethers.provider, ep, f.paymasters.selfAssociated)).to.equal(false);
      expect(
        await isStaked(ethers.provider, ep, f.paymasters.selfAssociatedStaked, {
          minStake: 2n * ONE_ETH,
          minUnstakeDelaySec: UNSTAKE_DELAY,
        }),
      ).to.equal(false);
    });
  });

  describe("#analyzeValidation on EntryPoint v0.8", function () {
    it("finds no violation for the accept-all paymaster and a deployed SimpleAccount", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.acceptAll);
      expect(result.violations).to.deep.equal([]);
      expect(result.frames.map((frame) => [frame.entity, frame.address, frame.depth])).to.deep.equal([
        ["account", f.accounts["0.8"], 2],
        ["paymaster", f.paymasters.acceptAll, 2],
      ]);
    });

    it("finds no violation when the factory creates the account in the same operation", async function () {
      const f = await loadFixture(checkerFixture);
      const account = await counterfactualAccount(f.factories["0.8"], f.owner.address, 42n);
      const op = await signUserOp(
        buildUserOp({
          sender: account.address,
          initCode: account.initCode,
          paymasterAndData: packPaymasterAndData(
            f.paymasters.acceptAll,
            PAYMASTER_VERIFICATION_GAS,
            PAYMASTER_POST_OP_GAS,
          ),
        }),
        f.owner,
        f.entryPoints["0.8"],
        "0.8",
      );
      const result = await check(f, "0.8", op);
      expect(result.violations).to.deep.equal([]);
      expect(result.frames.map((frame) => [frame.entity, frame.address])).to.deep.equal([
        ["factory", account.factory],
        ["account", account.address],
        ["paymaster", f.paymasters.acceptAll],
      ]);
    });

    it("finds no paymaster frame when told the wrong paymaster (so an empty result proves nothing)", async function () {
      const f = await loadFixture(checkerFixture);
      const op = await sponsoredOp(f, "0.8", f.paymasters.timestamp);
      const trace = await traceValidation(ethers.provider, { entryPoint: ENTRY_POINT_ADDRESSES["0.8"], op });
      const result = analyzeValidation(trace.structLogs, {
        entryPoint: ENTRY_POINT_ADDRESSES["0.8"],
        sender: op.sender,
        paymaster: f.paymasters.acceptAll,
        paymasterStaked: false,
      });
      expect(result.frames.map((frame) => frame.entity)).to.deep.equal(["account"]);
      expect(result.violations).to.deep.equal([]);
    });

    it("reports OP-011 TIMESTAMP for a paymaster that derives validUntil from block.timestamp", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.timestamp);
      expect(result.violations.map(summary)).to.deep.equal([
        `OP-011 paymaster TIMESTAMP ${f.paymasters.timestamp} -`,
      ]);
      expect(result.violations[0].depth).to.equal(2);
      expect(result.violations[0].message).to.contain("banned opcode TIMESTAMP");
    });

    it("reports OP-012 for GAS not immediately followed by a call", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.gas);
      expect(result.violations.map(summary)).to.deep.equal([`OP-012 paymaster GAS ${f.paymasters.gas} -`]);
    });

    it("reports OP-020 when a nested call of the paymaster runs out of gas", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.outOfGas);
      expect(result.violations.map((v) => [v.rule, v.entity, v.address, v.depth])).to.deep.equal([
        ["OP-020", "paymaster", f.paymasters.outOfGas, 3],
      ]);
    });

    it("reports STO-033 for an unstaked paymaster reading and writing an unassociated slot of another contract", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.foreignWrite);
      const slot0 = toBeHex(0n, 32);
      expect(result.violations.map(summary)).to.deep.equal([
        `STO-033 paymaster SLOAD ${f.targetAddress} ${slot0}`,
        `STO-033 paymaster SSTORE ${f.targetAddress} ${slot0}`,
      ]);
      expect(result.violations[1].message).to.contain("never allowed");
    });

    it("still reports the write, but not the read, when that paymaster is staked", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.foreignWriteStaked);
      expect(result.violations.map(summary)).to.deep.equal([
        `STO-033 paymaster SSTORE ${f.targetAddress} ${toBeHex(0n, 32)}`,
      ]);
    });

    it("reports STO-033 for an unstaked paymaster reading another contract, and allows it staked", async function () {
      const f = await loadFixture(checkerFixture);
      const unstaked = await checkPaymaster(f, f.paymasters.foreignRead);
      expect(unstaked.violations.map(summary)).to.deep.equal([
        `STO-033 paymaster SLOAD ${f.targetAddress} ${toBeHex(0n, 32)}`,
      ]);
      expect((await checkPaymaster(f, f.paymasters.foreignReadStaked)).violations).to.deep.equal([]);
    });

    it("reports STO-032 for an unstaked paymaster writing a slot associated with itself in another contract", async function () {
      const f = await loadFixture(checkerFixture);
      const pm = f.paymasters.selfAssociated;
      const result = await checkPaymaster(f, pm);
      const slot = mappingSlot(pm, COUNTS_SLOT);
      expect(result.violations.map(summary)).to.deep.equal([
        `STO-032 paymaster SLOAD ${f.targetAddress} ${slot}`,
        `STO-032 paymaster SSTORE ${f.targetAddress} ${slot}`,
      ]);
    });

    it("allows a staked paymaster to write a slot associated with itself in another contract", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.selfAssociatedStaked);
      expect(result.violations).to.deep.equal([]);
      expect(result.frames.map((frame) => frame.entity)).to.deep.equal(["account", "paymaster"]);
    });

    it("allows an unstaked paymaster to write a slot associated with the existing sender (STO-021)", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.senderAssociated);
      expect(result.violations).to.deep.equal([]);
    });

    it("treats transient storage of another contract like storage (OP-070): unassociated slot is reported", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.transient);
      const slot = toBeHex(7n, 32);
      expect(result.violations.map(summary)).to.deep.equal([
        `STO-033 paymaster TLOAD ${f.targetAddress} ${slot}`,
        `STO-033 paymaster TSTORE ${f.targetAddress} ${slot}`,
      ]);
      expect(result.violations[1].message).to.contain("transient");
    });

    it("reports STO-031 for an unstaked paymaster using its own storage, and allows it staked", async function () {
      const f = await loadFixture(checkerFixture);
      const slot = toBeHex(VALIDATIONS_SLOT, 32);
      const unstaked = await checkPaymaster(f, f.paymasters.ownStorage);
      expect(unstaked.violations.map(summary)).to.deep.equal([
        `STO-031 paymaster SLOAD ${f.paymasters.ownStorage} ${slot}`,
        `STO-031 paymaster SSTORE ${f.paymasters.ownStorage} ${slot}`,
      ]);
      expect((await checkPaymaster(f, f.paymasters.ownStorageStaked)).violations).to.deep.equal([]);
    });
  });

  describe("#analyzeValidation on EntryPoint v0.7", function () {
    it("finds no violation for the accept-all paymaster and a deployed SimpleAccount", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.acceptAllV07, "0.7");
      expect(result.violations).to.deep.equal([]);
      expect(result.frames.map((frame) => [frame.entity, frame.address])).to.deep.equal([
        ["account", f.accounts["0.7"]],
        ["paymaster", f.paymasters.acceptAllV07],
      ]);
    });

    it("reports OP-011 TIMESTAMP for the timestamp paymaster", async function () {
      const f = await loadFixture(checkerFixture);
      const result = await checkPaymaster(f, f.paymasters.timestampV07, "0.7");
      expect(result.violations.map(summary)).to.deep.equal([
        `OP-011 paymaster TIMESTAMP ${getAddress(f.paymasters.timestampV07)} -`,
      ]);
    });
  });
});
