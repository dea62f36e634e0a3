import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, getBytes, recoverAddress, resolveAddress, toBeHex, verifyMessage } from "ethers";

import entryPointV07Artifact from "@account-abstraction/contracts-v7/artifacts/EntryPoint.json";
import entryPointV08Artifact from "@account-abstraction/contracts/artifacts/EntryPoint.json";

import {
  CREATE2_DEPLOYER_ADDRESS,
  CREATE2_DEPLOYER_RUNTIME_CODE,
  ENTRY_POINT_ADDRESSES,
  ENTRY_POINT_VERSIONS,
  counterfactualAccount,
  deployEntryPoints,
  deploySimpleAccountFactory,
  entryPointAt,
  getFactoryData,
  installCreate2Deployer,
  predictEntryPointAddress,
  simpleAccountAt,
} from "../helpers/entrypoint";
import type { EntryPointCommon, EntryPointVersion, SimpleAccountFactoryCommon } from "../helpers/entrypoint";
import {
  DEFAULT_USER_OP_GAS,
  buildUserOp,
  encodeExecute,
  handleOps,
  packAccountGasLimits,
  packGasFees,
  packPaymasterAndData,
  requiredPrefund,
  signUserOp,
  unpackPaymasterAndData,
  unpackUint128Pair,
  unpackUserOpGas,
} from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";
import { IEntryPoint__factory } from "../../typechain-types";
import type {
  TestAcceptAllPaymaster,
  TestRevertingPostOpPaymaster,
  TestStorageTarget,
} from "../../typechain-types";

const ONE_ETH = 10n ** 18n;
const PAYMASTER_VERIFICATION_GAS = 100_000n;
const PAYMASTER_POST_OP_GAS = 50_000n;

interface VersionSetup {
  entryPoint: EntryPointCommon;
  factory: SimpleAccountFactoryCommon;
  paymaster: TestAcceptAllPaymaster;
  revertingPaymaster: TestRevertingPostOpPaymaster;
}

async function aaFixture() {
  const [deployer, owner, bundler, beneficiary, stranger] = await ethers.getSigners();
  const entryPoints = await deployEntryPoints(deployer);
  const target: TestStorageTarget = await ethers.deployContract("TestStorageTarget");
  const setups = {} as Record<EntryPointVersion, VersionSetup>;
  for (const version of ENTRY_POINT_VERSIONS) {
    const entryPoint: EntryPointCommon = entryPoints[version];
    const factory = await deploySimpleAccountFactory(version, ENTRY_POINT_ADDRESSES[version], deployer);
    const paymaster = await ethers.deployContract("TestAcceptAllPaymaster", [ENTRY_POINT_ADDRESSES[version]]);
    const revertingPaymaster = await ethers.deployContract("TestRevertingPostOpPaymaster", [
      ENTRY_POINT_ADDRESSES[version],
    ]);
    await paymaster.deposit({ value: ONE_ETH });
    await revertingPaymaster.deposit({ value: ONE_ETH });
    setups[version] = { entryPoint, factory, paymaster, revertingPaymaster };
  }
  return { deployer, owner, bundler, beneficiary, stranger, entryPoints, target, setups };
}

/** ERC-165 id of v0.8's IEntryPoint: XOR of the selectors it declares itself (not the inherited ones). */
function entryPointV08InterfaceId(): bigint {
  const iface = IEntryPoint__factory.createInterface();
  const own = [
    "handleOps",
    "handleAggregatedOps",
    "getUserOpHash",
    "getSenderAddress",
    "delegateAndRevert",
    "senderCreator",
  ] as const;
  return own.reduce((id, name) => id ^ BigInt(iface.getFunction(name).selector), 0n);
}

describe("ERC-4337 test infrastructure", function () {
  describe("#deployEntryPoints", function () {
    it("deploys EntryPoint v0.7 and v0.8 at their canonical addresses", async function () {
      const { entryPoints } = await loadFixture(aaFixture);
      expect(await entryPoints["0.7"].getAddress()).to.equal("0x0000000071727De22E5E9d8BAf0edAc6f37da032");
      expect(await entryPoints["0.8"].getAddress()).to.equal("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");
      // Deployed code sizes equal the artifacts' (immutables change bytes, not length).
      expect((await ethers.provider.getCode(ENTRY_POINT_ADDRESSES["0.7"])).length).to.equal(
        entryPointV07Artifact.deployedBytecode.length,
      );
      expect((await ethers.provider.getCode(ENTRY_POINT_ADDRESSES["0.8"])).length).to.equal(
        entryPointV08Artifact.deployedBytecode.length,
      );
    });

    it("installs the deterministic deployment proxy's runtime code", async function () {
      await loadFixture(aaFixture);
      expect(await ethers.provider.getCode(CREATE2_DEPLOYER_ADDRESS)).to.equal(CREATE2_DEPLOYER_RUNTIME_CODE);
    });

    it("predicts the canonical address of each version from the prebuilt bytecode and salt", async function () {
      for (const version of ENTRY_POINT_VERSIONS) {
        expect(predictEntryPointAddress(version)).to.equal(ENTRY_POINT_ADDRESSES[version]);
      }
    });

    it("is idempotent: a second call sends no transaction and returns the same handles", async function () {
      const { deployer } = await loadFixture(aaFixture);
      const nonceBefore = await ethers.provider.getTransactionCount(deployer.address);
      const again = await deployEntryPoints(deployer);
      expect(await ethers.provider.getTransactionCount(deployer.address)).to.equal(nonceBefore);
      expect(await again["0.7"].getAddress()).to.equal(ENTRY_POINT_ADDRESSES["0.7"]);
      expect(await again["0.8"].getAddress()).to.equal(ENTRY_POINT_ADDRESSES["0.8"]);
    });

    it("tells v0.7 and v0.8 apart through their IEntryPoint ERC-165 ids", async function () {
      const { entryPoints, setups } = await loadFixture(aaFixture);
      const v08Id = entryPointV08InterfaceId();
      const v07Id = BigInt(await setups["0.8"].paymaster.ENTRY_POINT_V07_INTERFACE_ID());
      expect(v07Id).to.equal(
        v08Id ^ BigInt(IEntryPoint__factory.createInterface().getFunction("senderCreator").selector),
      );
      expect(await entryPoints["0.8"].supportsInterface(toBeHex(v08Id, 4))).to.equal(true);
      expect(await entryPoints["0.8"].supportsInterface(toBeHex(v07Id, 4))).to.equal(false);
      expect(await entryPoints["0.7"].supportsInterface(toBeHex(v07Id, 4))).to.equal(true);
      expect(await entryPoints["0.7"].supportsInterface(toBeHex(v08Id, 4))).to.equal(false);
    });

    it("deploys both versions on a pristine chain, installing the CREATE2 deployer first", async function () {
      await reset();
      const [deployer] = await ethers.getSigners();
      expect(await ethers.provider.getCode(CREATE2_DEPLOYER_ADDRESS)).to.equal("0x");
      const entryPoints = await deployEntryPoints(deployer);
      expect(await ethers.provider.getCode(CREATE2_DEPLOYER_ADDRESS)).to.equal(CREATE2_DEPLOYER_RUNTIME_CODE);
      expect(await entryPoints["0.8"].getAddress()).to.equal(ENTRY_POINT_ADDRESSES["0.8"]);
      expect(await ethers.provider.getCode(ENTRY_POINT_ADDRESSES["0.7"])).to.not.equal("0x");
      expect(await entryPoints["0.8"].getDomainSeparatorV4()).to.have.lengthOf(66);
    });

    it("rejects foreign code at the CREATE2 deployer address", async function () {
      await loadFixture(aaFixture);
      await ethers.provider.send("hardhat_setCode", [CREATE2_DEPLOYER_ADDRESS, "0x00"]);
      await expect(installCreate2Deployer(ethers.provider)).to.be.rejectedWith(
        "holds code that is not the deterministic deployment proxy",
      );
    });
  });

  describe("#counterfactualAccount", function () {
    for (const version of ENTRY_POINT_VERSIONS) {
      it(`matches EntryPoint v${version}'s getSenderAddress for the same initCode`, async function () {
        const { owner, setups } = await loadFixture(aaFixture);
        const { entryPoint, factory } = setups[version];
        const account = await counterfactualAccount(factory, owner.address, 7n);
        expect(account.factory).to.equal(await resolveAddress(factory.target));
        expect(account.factoryData).to.equal(getFactoryData(owner.address, 7n));
        expect(account.initCode).to.equal(`${account.factory.toLowerCase()}${account.factoryData.slice(2)}`);
        await expect(entryPoint.getSenderAddress(account.initCode))
          .to.be.revertedWithCustomError(entryPoint, "SenderAddressResult")
          .withArgs(account.address);
      });
    }
  });

  describe("#packPaymasterAndData", function () {
    it("lays out paymaster (20) ‖ verification gas (16) ‖ postOp gas (16) ‖ data", function () {
      const paymaster = "0x00000000000000000000000000000000000000aa";
      const packed = packPaymasterAndData(paymaster, 0x1234n, 0x5678n, "0xdeadbeef");
      expect(packed).to.equal(
        "0x00000000000000000000000000000000000000aa" +
          "00000000000000000000000000001234" +
          "00000000000000000000000000005678" +
          "deadbeef",
      );
      expect(unpackPaymasterAndData(packed)).to.deep.equal({
        paymaster: "0x00000000000000000000000000000000000000AA",
        paymasterVerificationGasLimit: 0x1234n,
        paymasterPostOpGasLimit: 0x5678n,
        paymasterData: "0xdeadbeef",
      });
    });

    it("rejects gas limits wider than 128 bits", function () {
      expect(() => packPaymasterAndData(ZeroAddress, 1n << 128n, 0n)).to.throw(
        RangeError,
        "does not fit in 128 bits",
      );
    });

    it("refuses to unpack fewer than 52 bytes", function () {
      expect(() => unpackPaymasterAndData(`0x${"00".repeat(51)}`)).to.throw(RangeError, "shorter than 52");
    });
  });

  describe("#buildUserOp", function () {
    it("packs accountGasLimits and gasFees high ‖ low and applies the defaults", function () {
      const op = buildUserOp({ sender: ZeroAddress, verificationGasLimit: 3n, callGasLimit: 4n });
      expect(op.accountGasLimits).to.equal(packAccountGasLimits(3n, 4n));
      expect(unpackUint128Pair(op.accountGasLimits)).to.deep.equal([3n, 4n]);
      expect(unpackUint128Pair(op.gasFees)).to.deep.equal([
        DEFAULT_USER_OP_GAS.maxPriorityFeePerGas,
        DEFAULT_USER_OP_GAS.maxFeePerGas,
      ]);
      expect(op.gasFees).to.equal(
        packGasFees(DEFAULT_USER_OP_GAS.maxPriorityFeePerGas, DEFAULT_USER_OP_GAS.maxFeePerGas),
      );
      expect(op.preVerificationGas).to.equal(DEFAULT_USER_OP_GAS.preVerificationGas);
      expect([op.nonce, op.initCode, op.callData, op.paymasterAndData]).to.deep.equal([0n, "0x", "0x", "0x"]);
    });

    it("computes the EntryPoint's required prefund, paymaster limits included", function () {
      const op = buildUserOp({
        sender: ZeroAddress,
        verificationGasLimit: 1n,
        callGasLimit: 2n,
        preVerificationGas: 3n,
        maxFeePerGas: 10n,
        paymasterAndData: packPaymasterAndData(ZeroAddress, 4n, 5n),
      });
      expect(unpackUserOpGas(op).paymasterPostOpGasLimit).to.equal(5n);
      expect(requiredPrefund(op)).to.equal((1n + 2n + 3n + 4n + 5n) * 10n);
    });
  });

  describe("#signUserOp", function () {
    it("v0.8: signs the EIP-712 userOpHash itself", async function () {
      const { owner, setups } = await loadFixture(aaFixture);
      const { entryPoint, factory } = setups["0.8"];
      const account = await counterfactualAccount(factory, owner.address);
      const op = await signUserOp(buildUserOp({ sender: account.address }), owner, entryPoint, "0.8");
      const userOpHash = await entryPoint.getUserOpHash(op);
      expect(recoverAddress(userOpHash, op.signature)).to.equal(owner.address);
    });

    it("v0.7: signs the EIP-191 message of the userOpHash", async function () {
      const { owner, setups } = await loadFixture(aaFixture);
      const { entryPoint, factory } = setups["0.7"];
      const account = await counterfactualAccount(factory, owner.address);
      const op = await signUserOp(buildUserOp({ sender: account.address }), owner, entryPoint, "0.7");
      const userOpHash = await entryPoint.getUserOpHash(op);
      expect(verifyMessage(getBytes(userOpHash), op.signature)).to.equal(owner.address);
    });

    it("refuses EIP-7702 initCode on v0.7, and on v0.8 without a delegate to bind", async function () {
      const { owner, setups } = await loadFixture(aaFixture);
      const op = buildUserOp({
        sender: owner.address,
        initCode: "0x7702000000000000000000000000000000000000",
      });
      await expect(signUserOp(op, owner, setups["0.7"].entryPoint, "0.7")).to.be.rejectedWith(
        "EntryPoint v0.7 has no EIP-7702 support",
      );
      await expect(signUserOp(op, owner, setups["0.8"].entryPoint, "0.8")).to.be.rejectedWith(
        `${owner.address} is not delegated; pass the delegate its authorization names`,
      );
    });
  });

  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`#handleOps on EntryPoint v${version}`, function () {
      async function firstOp(
        salt: bigint,
        paymasterAndData: string,
        callData?: string,
      ): Promise<{
        op: PackedUserOperation;
        setup: VersionSetup;
        fixture: Awaited<ReturnType<typeof aaFixture>>;
      }> {
        const fixture = await loadFixture(aaFixture);
        const setup = fixture.setups[version];
        const account = await counterfactualAccount(setup.factory, fixture.owner.address, salt);
        const unsigned = buildUserOp({
          sender: account.address,
          initCode: account.initCode,
          callData:
            callData ??
            encodeExecute(
              await fixture.target.getAddress(),
              0n,
              fixture.target.interface.encodeFunctionData("bumpTotal"),
            ),
          paymasterAndData,
        });
        return { op: await signUserOp(unsigned, fixture.owner, setup.entryPoint, version), setup, fixture };
      }

      it("creates the account from initCode and runs its call, prefunded from the account's own ETH", async function () {
        const { op, setup, fixture } = await firstOp(1n, "0x");
        const { entryPoint, factory } = setup;
        await fixture.deployer.sendTransaction({ to: op.sender, value: ONE_ETH });
        const beneficiaryBefore = await ethers.provider.getBalance(fixture.beneficiary.address);
        expect(await ethers.provider.getCode(op.sender)).to.equal("0x");

        const result = await handleOps(entryPoint, [op], fixture.beneficiary.address, fixture.bundler);

        expect(result.accountDeployedEvents).to.deep.equal([
          {
            userOpHash: await entryPoint.getUserOpHash(op),
            sender: op.sender,
            factory: await resolveAddress(factory.target),
            paymaster: ZeroAddress,
          },
        ]);
        expect(result.userOperationEvents).to.have.lengthOf(1);
        const event = result.userOperationEvents[0];
        expect([event.sender, event.paymaster, event.nonce, event.success]).to.deep.equal([
          op.sender,
          ZeroAddress,
          0n,
          true,
        ]);
        expect(result.userOperationRevertReasons).to.deep.equal([]);
        expect(await fixture.target.total()).to.equal(1n);
        expect(await simpleAccountAt(version, op.sender, ethers.provider).owner()).to.equal(
          fixture.owner.address,
        );
        // The account paid the whole prefund; the unused part is its EntryPoint deposit.
        const prefund = requiredPrefund(op);
        expect(await ethers.provider.getBalance(op.sender)).to.equal(ONE_ETH - prefund);
        expect(await entryPoint.balanceOf(op.sender)).to.equal(prefund - event.actualGasCost);
        expect((await ethers.provider.getBalance(fixture.beneficiary.address)) - beneficiaryBefore).to.equal(
          event.actualGasCost,
        );
      });

      it("sponsors through the accept-all paymaster: the sender holds 0 ETH before and after", async function () {
        const { setups } = await loadFixture(aaFixture);
        const paymasterAddress = await setups[version].paymaster.getAddress();
        const { op, setup, fixture } = await firstOp(
          2n,
          packPaymasterAndData(paymasterAddress, PAYMASTER_VERIFICATION_GAS, PAYMASTER_POST_OP_GAS),
        );
        const { entryPoint, paymaster } = setup;
        expect(await ethers.provider.getBalance(op.sender)).to.equal(0n);
        const depositBefore = await entryPoint.balanceOf(paymasterAddress);
        const beneficiaryBefore = await ethers.provider.getBalance(fixture.beneficiary.address);

        const result = await handleOps(entryPoint, [op], fixture.beneficiary.address, fixture.bundler);

        const event = result.userOperationEvents[0];
        expect([event.sender, event.paymaster, event.success]).to.deep.equal([
          op.sender,
          paymasterAddress,
          true,
        ]);
        expect(await ethers.provider.getBalance(op.sender)).to.equal(0n);
        expect(await entryPoint.balanceOf(op.sender)).to.equal(0n);
        expect(depositBefore - (await entryPoint.balanceOf(paymasterAddress))).to.equal(event.actualGasCost);
        expect((await ethers.provider.getBalance(fixture.beneficiary.address)) - beneficiaryBefore).to.equal(
          event.actualGasCost,
        );
        expect(await fixture.target.total()).to.equal(1n);
        const postOps = result.receipt.logs
          .filter((log) => log.address === paymasterAddress)
          .map((log) => paymaster.interface.parseLog(log))
          .filter((parsed) => parsed !== null && parsed.name === "PostOpCalled");
        expect(postOps).to.have.lengthOf(1);
        const postOp = postOps[0];
        expect(postOp?.args.sender).to.equal(op.sender);
        expect(postOp?.args.mode).to.equal(0n); // opSucceeded
        expect(postOp?.args.actualGasCost).to.be.lessThan(event.actualGasCost);
      });

      it("reports the account call's revert reason and still charges the paymaster", async function () {
        const { setups } = await loadFixture(aaFixture);
        const paymasterAddress = await setups[version].paymaster.getAddress();
        // The account calls the paymaster's owner-only withdrawTo: the inner call reverts with data.
        const withdraw = setups[version].paymaster.interface.encodeFunctionData("withdrawTo", [
          ZeroAddress,
          1n,
        ]);
        const callData = encodeExecute(paymasterAddress, 0n, withdraw);
        const { op, setup, fixture } = await firstOp(
          3n,
          packPaymasterAndData(paymasterAddress, PAYMASTER_VERIFICATION_GAS, PAYMASTER_POST_OP_GAS),
          callData,
        );
        const depositBefore = await setup.entryPoint.balanceOf(paymasterAddress);

        const result = await handleOps(setup.entryPoint, [op], fixture.beneficiary.address, fixture.bundler);

        expect(result.userOperationEvents[0].success).to.equal(false);
        expect(result.userOperationRevertReasons).to.have.lengthOf(1);
        expect(result.userOperationRevertReasons[0].sender).to.equal(op.sender);
        expect(result.userOperationRevertReasons[0].revertReason).to.equal(
          setup.paymaster.interface.encodeErrorResult("OwnableUnauthorizedAccount", [op.sender]),
        );
        expect(depositBefore - (await setup.entryPoint.balanceOf(paymasterAddress))).to.equal(
          result.userOperationEvents[0].actualGasCost,
        );
      });

      it("reports a reverting postOp as PostOpRevertReason and rolls back the call", async function () {
        const { setups } = await loadFixture(aaFixture);
        const paymaster = setups[version].revertingPaymaster;
        const paymasterAddress = await paymaster.getAddress();
        const { op, setup, fixture } = await firstOp(
          4n,
          packPaymasterAndData(paymasterAddress, PAYMASTER_VERIFICATION_GAS, PAYMASTER_POST_OP_GAS),
        );
        const depositBefore = await setup.entryPoint.balanceOf(paymasterAddress);

        const result = await handleOps(setup.entryPoint, [op], fixture.beneficiary.address, fixture.bundler);

        expect(result.userOperationEvents[0].success).to.equal(false);
        expect(result.postOpRevertReasons).to.have.lengthOf(1);
        expect(result.postOpRevertReasons[0].sender).to.equal(op.sender);
        const refusal = paymaster.interface.encodeErrorResult("TestRevertingPostOpPaymasterRefused", [
          op.sender,
        ]);
        expect(result.postOpRevertReasons[0].revertReason).to.contain(refusal.slice(2));
        expect(await fixture.target.total()).to.equal(0n);
        expect(depositBefore - (await setup.entryPoint.balanceOf(paymasterAddress))).to.equal(
          result.userOperationEvents[0].actualGasCost,
        );
      });
    });
  }

  describe("TestAcceptAllPaymaster", function () {
    it("reverts at deployment when the EntryPoint answers neither IEntryPoint id", async function () {
      const { deployer, setups } = await loadFixture(aaFixture);
      // An ERC-165 contract that is not an EntryPoint: SimpleAccount v0.8's implementation.
      const notAnEntryPoint = await setups["0.8"].factory.accountImplementation();
      const factory = await ethers.getContractFactory("TestAcceptAllPaymaster", deployer);
      await expect(factory.deploy(notAnEntryPoint))
        .to.be.revertedWithCustomError(factory, "TestAcceptAllPaymasterUnsupportedEntryPoint")
        .withArgs(notAnEntryPoint);
    });
  });

  describe("#entryPointAt", function () {
    it("gives v0.7 the v0.7 ABI (no senderCreator) and v0.8 the full v0.8 ABI", async function () {
      await loadFixture(aaFixture);
      const v07 = entryPointAt("0.7", ethers.provider);
      const v08 = entryPointAt("0.8", ethers.provider);
      expect(v07.interface.getFunction("senderCreator")).to.equal(null);
      expect(v08.interface.getFunction("senderCreator")).to.not.equal(null);
      expect(await v08.senderCreator()).to.be.properAddress;
    });
  });
});
