import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { encodeErrorResult } from "viem";

import { formatCreditAmount, formatDuration, formatEth, formatTime } from "../../src/client/format";
import { parseCredits, parseDuration, parseExpiry, parseGasPrice } from "../../tasks/lib/args";
import { hashProposal, safeBatchChecksum } from "../../tasks/lib/budget";
import {
  decodeRevert,
  describeRevert,
  errorAbi,
  explainFailure,
  findRevertData,
} from "../../tasks/lib/revert";

describe("Task helpers", function () {
  describe("argument parsing", function () {
    it("parses credits, durations, gas prices and expiries into base units", function () {
      expect(parseCredits("amount", "12.5")).to.equal(12_500_000n);
      expect(parseCredits("amount", " 0.000001 ")).to.equal(1n);
      expect(parseDuration("epoch", "90")).to.equal(90n);
      expect(parseDuration("epoch", "90m")).to.equal(5_400n);
      expect(parseDuration("epoch", "2w")).to.equal(1_209_600n);
      expect(parseGasPrice("max-fee-per-gas", "1.5gwei", 2n ** 48n)).to.equal(1_500_000_000n);
      expect(parseGasPrice("max-fee-per-gas", "7", 2n ** 48n)).to.equal(7n);
      const now = 1_700_000_000n;
      expect(parseExpiry("expiry", "+1h", now)).to.equal(now + 3_600n);
      expect(parseExpiry("expiry", "2026-01-31T12:00:00", now)).to.equal(1_769_860_800n); // UTC without offset
      expect(parseExpiry("expiry", "2026-01-31T14:00:00+02:00", now)).to.equal(1_769_860_800n);
      expect(parseExpiry("expiry", "NEVER", now)).to.equal(2n ** 32n - 1n);
    });

    it("rejects a gas price with more than 9 decimals of gwei, and a zero gas price", function () {
      expect(() => parseGasPrice("max-fee-per-gas", "0.0000000001gwei", 2n ** 48n)).to.throw(
        'Invalid --max-fee-per-gas "0.0000000001gwei": expected a gas price in wei ("500000000000") or gwei ("500gwei")',
      );
      expect(() => parseGasPrice("max-fee-per-gas", "0gwei", 2n ** 48n)).to.throw(
        'Invalid --max-fee-per-gas "0gwei": expected a gas price above zero',
      );
    });

    it("formats amounts without trailing zeros, times in ISO and durations in units", function () {
      expect(formatCreditAmount(12_500_000n)).to.equal("12.5");
      expect(formatCreditAmount(100_000_000n)).to.equal("100");
      expect(formatCreditAmount(-1n)).to.equal("-0.000001");
      expect(formatEth(ethers.parseEther("0.05"))).to.equal("0.05");
      expect(formatTime(0n)).to.equal("1970-01-01T00:00:00Z");
      expect(formatTime(2n ** 32n - 1n)).to.equal("never");
      expect(formatDuration(0n)).to.equal("0s");
      expect(formatDuration(90_061n)).to.equal("1d 1h 1m 1s");
    });
  });

  describe("revert decoding", function () {
    it("decodes custom errors with role names, Error(string) and Panic(uint256)", async function () {
      const interfaces = await errorAbi(hre);
      const account = ethers.Wallet.createRandom().address;
      const data = encodeErrorResult({
        abi: interfaces,
        errorName: "AccessControlUnauthorizedAccount",
        args: [account as `0x${string}`, ethers.id("ISSUER_ROLE") as `0x${string}`],
      });
      const decoded = decodeRevert(data, interfaces);
      expect(decoded === undefined ? "" : describeRevert(decoded)).to.equal(
        `AccessControlUnauthorizedAccount(account=${account}, neededRole=${ethers.id("ISSUER_ROLE")} (ISSUER_ROLE))`,
      );
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const error = decodeRevert(`0x08c379a0${coder.encode(["string"], ["nope"]).slice(2)}`, interfaces);
      expect(error?.args).to.deep.equal([{ name: "reason", value: "nope" }]);
      const panic = decodeRevert(`0x4e487b71${coder.encode(["uint256"], [0x11]).slice(2)}`, interfaces);
      expect(panic === undefined ? "" : describeRevert(panic)).to.equal("Panic(code=17)");
      expect(decodeRevert("0x08c379a0ff", interfaces)).to.equal(undefined);
      expect(decodeRevert("0xdeadbeef", interfaces)).to.equal(undefined);
    });

    it("finds revert data nested in provider errors", function () {
      const data = "0x64c732ac";
      expect(findRevertData({ info: { error: { data } } })).to.equal(data);
      expect(findRevertData({ error: { data: { data } } })).to.equal(data);
      expect(findRevertData({ data: "0x" })).to.equal(undefined);
      expect(findRevertData("boom")).to.equal(undefined);
    });

    it("explains unknown revert data and failures without revert data", async function () {
      expect((await explainFailure(hre, "Doing X", { data: "0xdeadbeef" })).message).to.equal(
        "Doing X reverted with unknown error data 0xdeadbeef",
      );
      expect((await explainFailure(hre, "Doing X", new Error("connection refused"))).message).to.equal(
        "Doing X failed: connection refused",
      );
      expect((await explainFailure(hre, "Doing X", { shortMessage: "nonce too low" })).message).to.equal(
        "Doing X failed: nonce too low",
      );
    });
  });

  describe("proposal files", function () {
    it("hashes a proposal exactly like OpenZeppelin's Governor.hashProposal", async function () {
      const [deployer] = await ethers.getSigners();
      const token = await ethers.deployContract("CreditsVotesToken", [deployer.address, 1n]);
      const timelock = await ethers.deployContract("TimelockController", [1n, [], [], deployer.address]);
      const governor = await ethers.deployContract("CreditsGovernor", [token, timelock, 1n, 10n, 0n, 4n]);
      const targets = [ethers.ZeroAddress, deployer.address];
      const values = [1n, 0n];
      const calldatas = ["0x1234", "0x"];
      const descriptionHash = ethers.id("d");
      expect(hashProposal(targets, values, calldatas, descriptionHash)).to.equal(
        await governor.hashProposal(targets, values, calldatas, descriptionHash),
      );
    });

    it("checksums a Safe batch independently of its name", function () {
      const batch = {
        version: "1.0" as const,
        chainId: "1",
        createdAt: 1,
        meta: { name: "a", description: "", txBuilderVersion: "1.18.0" },
        transactions: [],
      };
      const renamed = { ...batch, meta: { ...batch.meta, name: "b" } };
      const changed = { ...batch, chainId: "2" };
      expect(safeBatchChecksum(batch)).to.equal(safeBatchChecksum(renamed));
      expect(safeBatchChecksum(batch)).not.to.equal(safeBatchChecksum(changed));
    });
  });
});
