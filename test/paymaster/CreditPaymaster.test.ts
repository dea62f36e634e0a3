import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, parseEther, toBeHex, zeroPadValue } from "ethers";

import { CreditPaymaster__factory } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import { sameConfig } from "../helpers/events";
import type { EntryPointVersion } from "../helpers/entrypoint";
import {
  GasField,
  creditsForGasCost,
  chargedEvents,
  expectSolvent,
  selfPaymasterData,
} from "../helpers/paymaster";
import {
  CREDIT,
  PM_POST_OP_GAS,
  PM_VERIFICATION_GAS,
  PRICE_WAD,
  buyCredits,
  creditOp,
  defaultPaymasterConfig,
  deploySystem,
  newUser,
} from "../helpers/system";
import type { System, User } from "../helpers/system";
import { encodeExecute, handleOps, packPaymasterAndData, requiredPrefund } from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";
import { decodePaymasterSpendData } from "../../src/client";

const MARKUP = 10_500n;
const DAY = 86_400n;
const FAR_FUTURE = 2n ** 32n - 1n;

/** Everything a suite needs: the system, two funded self-paying users, and a sponsored user. */
async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const alice = await newUser(sys, 1n);
  const bob = await newUser(sys, 2n);
  const carol = await newUser(sys, 3n); // sponsored by the dApp, holds no credits
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.admin, alice.account.address, parseEther("0.1"));
  await buyCredits(sys, sys.admin, bob.account.address, parseEther("0.1"));
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  await (
    await sys.ledger.connect(sys.dapp).setAllowance(carol.account.address, 200n * CREDIT, DAY, FAR_FUTURE)
  ).wait();
  return { sys, alice, bob, carol, dapp, beneficiary: await sys.bundler.getAddress() };
}

function burnAllCall(sys: System): string {
  return encodeExecute(sys.target.target.toString(), 0n, sys.target.interface.encodeFunctionData("burnAll"));
}

function innerError(sys: System, contract: "paymaster" | "ledger", name: string, args: unknown[]): string {
  const iface = contract === "paymaster" ? sys.paymaster.interface : sys.ledger.interface;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the error name is checked at run time by ethers
  return (iface as any).encodeErrorResult(name, args);
}

/** Expects handleOps to fail in the paymaster's validation of op `index` with `inner` as the revert data. */
async function expectPaymasterRejects(sys: System, ops: PackedUserOperation[], index: number, inner: string) {
  await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, await sys.bundler.getAddress()))
    .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
    .withArgs(index, "AA33 reverted", inner);
}

function shouldBehaveLikeCreditPaymaster(version: EntryPointVersion) {
  const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

  describe("deployment", function () {
    it("serves its EntryPoint version and is owned by the admin", async function () {
      const { sys } = await load();
      expect(await sys.paymaster.entryPointVersion()).to.equal(version === "0.7" ? 7n : 8n);
      expect(await sys.paymaster.owner()).to.equal(await sys.admin.getAddress());
      expect(await sys.paymaster.entryPoint()).to.equal(await sys.entryPoint.getAddress());
      expect(await sys.paymaster.ledger()).to.equal(await sys.ledger.getAddress());
      expect(await sys.paymaster.priceAdapter()).to.equal(await sys.adapter.getAddress());
    });

    it("stakes and funds itself in its constructor", async function () {
      const { sys } = await load();
      const info = await sys.entryPoint.getDepositInfo(await sys.paymaster.getAddress());
      expect(info.staked).to.equal(true);
      expect(info.stake).to.equal(parseEther("1"));
      expect(info.unstakeDelaySec).to.equal(86_400n);
      expect(info.deposit).to.equal(parseEther("10"));
    });

    it("stores the configuration", async function () {
      const { sys } = await load();
      const c = await sys.paymaster.config();
      const d = defaultPaymasterConfig();
      expect(c.maxCallGasLimit).to.equal(d.maxCallGasLimit);
      expect(c.maxCreditsPerOp).to.equal(d.maxCreditsPerOp);
      expect(c.markupBps).to.equal(d.markupBps);
      expect(c.maxPriceAge).to.equal(d.maxPriceAge);
      expect(c.paused).to.equal(false);
    });

    it("reverts for a contract that is not an EntryPoint, and for an address without code", async function () {
      const { sys } = await load();
      const f = new CreditPaymaster__factory(sys.admin);
      const args = [sys.ledger, sys.adapter, sys.admin, defaultPaymasterConfig(), 0, 0] as const;
      await expect(f.deploy(sys.adapter, ...args))
        .to.be.revertedWithCustomError(f, "CreditPaymasterUnsupportedEntryPoint")
        .withArgs(await sys.adapter.getAddress());
      await expect(f.deploy(await sys.outsider.getAddress(), ...args))
        .to.be.revertedWithCustomError(f, "CreditPaymasterUnsupportedEntryPoint")
        .withArgs(await sys.outsider.getAddress());
    });

    it("reverts for zero addresses and a stake above the value sent", async function () {
      const { sys } = await load();
      const f = new CreditPaymaster__factory(sys.admin);
      const ep = sys.entryPoint;
      const cfg = defaultPaymasterConfig();
      await expect(
        f.deploy(ep, ethers.ZeroAddress, sys.adapter, sys.admin, cfg, 0, 0),
      ).to.be.revertedWithCustomError(f, "CreditPaymasterZeroAddress");
      await expect(
        f.deploy(ep, sys.ledger, ethers.ZeroAddress, sys.admin, cfg, 0, 0),
      ).to.be.revertedWithCustomError(f, "CreditPaymasterZeroAddress");
      await expect(
        f.deploy(ep, sys.ledger, sys.adapter, ethers.ZeroAddress, cfg, 0, 0),
      ).to.be.revertedWithCustomError(f, "CreditPaymasterZeroAddress");
      await expect(f.deploy(ep, sys.ledger, sys.adapter, sys.admin, cfg, 1, 2, { value: 1 }))
        .to.be.revertedWithCustomError(f, "CreditPaymasterInvalidConfig")
        .withArgs("stakeAmount");
    });

    it("deploys without stake or deposit", async function () {
      const { sys } = await load();
      const f = new CreditPaymaster__factory(sys.admin);
      const pm = await f.deploy(
        sys.entryPoint,
        sys.ledger,
        sys.adapter,
        sys.admin,
        defaultPaymasterConfig(),
        0,
        0,
      );
      const info = await sys.entryPoint.getDepositInfo(await pm.getAddress());
      expect(info.staked).to.equal(false);
      expect(info.deposit).to.equal(0n);
    });
  });

  describe("self-pay mode", function () {
    it("sponsors a first operation that creates the account; the user holds 0 ETH before and after", async function () {
      const { sys, alice, beneficiary } = await load();
      const sender = alice.account.address;
      expect(await ethers.provider.getBalance(sender)).to.equal(0n);
      const creditsBefore = await sys.ledger.balanceOfCredits(sender);
      const depositBefore = await sys.paymaster.getDeposit();

      const op = await creditOp(sys, alice);
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);

      expect(result.accountDeployedEvents).to.have.length(1);
      expect(result.userOperationEvents[0].success).to.equal(true);
      expect(result.postOpRevertReasons).to.have.length(0);
      expect(await sys.target.counts(sender)).to.equal(1n);
      expect(await ethers.provider.getBalance(sender)).to.equal(0n);

      const [charged] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(charged.sender).to.equal(sender);
      expect(charged.payer).to.equal(sender);
      expect(charged.priceWad).to.equal(PRICE_WAD);
      expect(charged.creditsCharged).to.be.gt(0n);
      expect(await sys.ledger.balanceOfCredits(sender)).to.equal(creditsBefore - charged.creditsCharged);
      expect(depositBefore - (await sys.paymaster.getDeposit())).to.equal(
        result.userOperationEvents[0].actualGasCost,
      );
      expect(await sys.ledger.heldCredits(sender)).to.equal(0n);
    });

    it("emits one event per operation: the ledger's CreditsSpent, with everything an indexer needs", async function () {
      const { sys, alice, beneficiary } = await load();
      const op = await creditOp(sys, alice);
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      const spent = result.receipt.logs
        .filter((l) => l.address === sys.ledger.target)
        .map((l) => sys.ledger.interface.parseLog(l))
        .find((p) => p?.name === "CreditsSpent");
      // the paymaster emits nothing of its own on the steady path
      expect(result.receipt.logs.filter((l) => l.address === sys.paymaster.target)).to.have.length(0);
      expect(spent?.args.account).to.equal(alice.account.address);
      expect(spent?.args.beneficiary).to.equal(alice.account.address);
      expect(spent?.args.spender).to.equal(await sys.paymaster.getAddress());
      expect(spent?.args.ref).to.equal(await sys.entryPoint.getUserOpHash(op));
      const data = decodePaymasterSpendData(spent?.args.spenderData as bigint);
      const [priceWad] = await sys.adapter.cachedPrice();
      expect(data.mode).to.equal("SELF");
      expect(data.policyId).to.equal(0n);
      expect(data.priceWad).to.equal(priceWad);
      const [event] = result.userOperationEvents;
      expect(data.gasCostWei).to.be.gte(event.actualGasCost);
      expect(spent?.args.amount).to.equal(
        await sys.paymaster.creditsForGasCost(data.gasCostWei, data.priceWad),
        "the charge is the logged wei at the logged price",
      );
      expect(spent?.args.grantsTaken).to.equal(0n, "purchased credits only: nothing from grants");
    });

    it("runs a second operation of an existing account", async function () {
      const { sys, alice, beneficiary } = await load();
      await handleOps(sys.entryPoint, [await creditOp(sys, alice)], beneficiary, sys.bundler);
      const op = await creditOp(sys, alice);
      expect(op.initCode).to.equal("0x");
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(await sys.target.counts(alice.account.address)).to.equal(2n);
    });

    it("accepts an operation whose worst case equals the user's own limit", async function () {
      const { sys, alice, beneficiary } = await load();
      const probe = await creditOp(sys, alice);
      const worst = creditsForGasCost(requiredPrefund(probe), PRICE_WAD, MARKUP);
      const op = await creditOp(sys, alice, { maxCredits: worst });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.userOperationEvents[0].success).to.equal(true);
    });
  });

  describe("sponsored mode", function () {
    it("charges the sponsor's credits within the allowance; the user holds no ETH and no credits", async function () {
      const { sys, carol, dapp, beneficiary } = await load();
      const sender = carol.account.address;
      const sponsorBefore = await sys.ledger.balanceOfCredits(dapp);
      const allowanceBefore = await sys.ledger.remainingAllowance(dapp, sender);

      const op = await creditOp(sys, carol, { sponsor: dapp });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);

      const [charged] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(charged.payer).to.equal(dapp);
      expect(charged.sender).to.equal(sender);
      expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(sponsorBefore - charged.creditsCharged);
      expect(await sys.ledger.remainingAllowance(dapp, sender)).to.equal(
        allowanceBefore - charged.creditsCharged,
      );
      expect(await sys.ledger.balanceOfCredits(sender)).to.equal(0n);
      expect(await ethers.provider.getBalance(sender)).to.equal(0n);
      expect(await sys.target.counts(sender)).to.equal(1n);
    });

    it("rejects a sender without an allowance", async function () {
      const { sys, alice, dapp } = await load();
      const op = await creditOp(sys, alice, { sponsor: dapp });
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "ledger", "CreditLedgerNoAllowance", [dapp, alice.account.address]),
      );
    });

    it("rejects an expired allowance", async function () {
      const { sys, alice, dapp } = await load();
      const now = BigInt(await time.latest());
      await (
        await sys.ledger.connect(sys.dapp).setAllowance(alice.account.address, 50n * CREDIT, DAY, now + 100n)
      ).wait();
      await time.increase(200);
      // Refresh the cached price so that the allowance, not the price, is what has expired.
      await (await sys.feed.updateAnswer(3_000n * 10n ** 8n)).wait();
      await (await sys.adapter.refreshCachedPrice()).wait();
      const op = await creditOp(sys, alice, { sponsor: dapp });
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "ledger", "CreditLedgerAllowanceExpired", [dapp, alice.account.address, now + 100n]),
      );
    });

    it("rejects an operation whose worst case exceeds the allowance left this epoch", async function () {
      const { sys, alice, dapp } = await load();
      await (
        await sys.ledger.connect(sys.dapp).setAllowance(alice.account.address, CREDIT, DAY, FAR_FUTURE)
      ).wait();
      const op = await creditOp(sys, alice, { sponsor: dapp });
      const worst = creditsForGasCost(requiredPrefund(op), PRICE_WAD, MARKUP);
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "ledger", "CreditLedgerAllowanceExceeded", [
          dapp,
          alice.account.address,
          CREDIT,
          worst,
        ]),
      );
    });

    it("rejects the zero sponsor", async function () {
      const { sys, alice } = await load();
      const op = await creditOp(sys, alice, { sponsor: ethers.ZeroAddress });
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "paymaster", "CreditPaymasterZeroSponsor", []),
      );
    });
  });

  describe("malformed paymasterAndData", function () {
    it("rejects every paymaster-data length from 0 to 120 bytes except the two valid ones", async function () {
      const { sys, alice, carol, dapp } = await load();
      const paymaster = await sys.paymaster.getAddress();
      const head = packPaymasterAndData(paymaster, PM_VERIFICATION_GAS, PM_POST_OP_GAS, "0x");
      for (let total = 0; total <= 120; total++) {
        const ops: PackedUserOperation[] = [];
        for (const mode of [0, 1]) {
          const user: User = mode === 0 ? alice : carol;
          let pnd: string;
          if (total < 52) {
            pnd = ethers.dataSlice(head, 0, total);
          } else {
            const body =
              mode === 0
                ? concat([toBeHex(0, 1), "0x" + "00".repeat(120)])
                : concat([toBeHex(1, 1), dapp, "0x" + "00".repeat(120)]);
            pnd = concat([head, ethers.dataSlice(body, 0, total - 52)]);
          }
          const op = await creditOp(sys, user, { paymasterData: "0x" });
          ops.push({ ...op, paymasterAndData: pnd });
        }
        for (const [mode, op] of ops.entries()) {
          const send = sys.entryPoint.connect(sys.bundler).handleOps([op], await sys.bundler.getAddress());
          const dataLength = total - 52;
          if (total === 0) {
            // No paymaster at all: the account (holding no ETH) must pay, and cannot.
            await expect(send)
              .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
              .withArgs(0, "AA21 didn't pay prefund");
          } else if (total < 52) {
            await expect(send).to.be.revertedWith("AA93 invalid paymasterAndData");
          } else if (total === 52) {
            await expect(send)
              .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
              .withArgs(
                0,
                "AA33 reverted",
                innerError(sys, "paymaster", "CreditPaymasterInvalidDataLength", [0, 0, 9]),
              );
          } else if ((mode === 0 && total === 61) || (mode === 1 && total === 81)) {
            // The two valid layouts pass the paymaster; the op then fails only on its signature, which signed
            // other paymaster data (the account is validated first but the EntryPoint reports AA24 last).
            await expect(send)
              .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
              .withArgs(0, "AA24 signature error");
          } else {
            const expected = mode === 0 ? 9 : 29;
            await expect(send)
              .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
              .withArgs(
                0,
                "AA33 reverted",
                innerError(sys, "paymaster", "CreditPaymasterInvalidDataLength", [
                  mode,
                  dataLength,
                  expected,
                ]),
              );
          }
        }
      }
    });

    it("rejects unknown modes", async function () {
      const { sys, alice } = await load();
      for (const mode of [3, 7, 255]) {
        const data = concat([toBeHex(mode, 1), zeroPadValue("0x", 8)]);
        const op = await creditOp(sys, alice, { paymasterData: data });
        await expectPaymasterRejects(
          sys,
          [op],
          0,
          innerError(sys, "paymaster", "CreditPaymasterUnknownMode", [mode]),
        );
      }
    });
  });

  describe("governance caps", function () {
    const cases: {
      field: keyof typeof GasField;
      opts: (cap: bigint) => Record<string, bigint>;
      cap: string;
    }[] = [
      { field: "CALL_GAS_LIMIT", cap: "maxCallGasLimit", opts: (c) => ({ callGasLimit: c + 1n }) },
      {
        field: "VERIFICATION_GAS_LIMIT",
        cap: "maxVerificationGasLimit",
        opts: (c) => ({ verificationGasLimit: c + 1n }),
      },
      {
        field: "PRE_VERIFICATION_GAS",
        cap: "maxPreVerificationGas",
        opts: (c) => ({ preVerificationGas: c + 1n }),
      },
      {
        field: "PAYMASTER_VERIFICATION_GAS_LIMIT",
        cap: "maxPaymasterVerificationGasLimit",
        opts: (c) => ({ paymasterVerificationGasLimit: c + 1n }),
      },
      {
        field: "PAYMASTER_POST_OP_GAS_LIMIT",
        cap: "maxPaymasterPostOpGasLimit",
        opts: (c) => ({ paymasterPostOpGasLimit: c + 1n }),
      },
      {
        field: "MAX_FEE_PER_GAS",
        cap: "maxFeePerGas",
        opts: (c) => ({ maxFeePerGas: c + 1n, maxPriorityFeePerGas: 1n }),
      },
    ];
    for (const c of cases) {
      it(`rejects ${c.field} above its cap`, async function () {
        const { sys, alice } = await load();
        // Keep the worst case small so that only the gas cap can fail.
        await (
          await sys.paymaster.setConfig({ ...defaultPaymasterConfig(), maxCreditsPerOp: 2n ** 40n - 1n })
        ).wait();
        await buyCredits(sys, sys.admin, alice.account.address, parseEther("100"));
        const cap = BigInt((await sys.paymaster.config())[c.cap as "maxCallGasLimit"]);
        const op = await creditOp(sys, alice, c.opts(cap));
        await expectPaymasterRejects(
          sys,
          [op],
          0,
          innerError(sys, "paymaster", "CreditPaymasterGasLimitTooHigh", [GasField[c.field], cap + 1n, cap]),
        );
      });
    }

    it("rejects a postOp gas limit below the floor of the operation's mode and size", async function () {
      const { sys, alice } = await load();
      const min = await sys.paymaster.minPostOpGasLimit(await creditOp(sys, alice));
      const op = await creditOp(sys, alice, { paymasterPostOpGasLimit: min - 1n });
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "paymaster", "CreditPaymasterPostOpGasTooLow", [min - 1n, min]),
      );
    });

    it("rejects an operation whose worst case exceeds the credits-per-operation cap", async function () {
      const { sys, alice } = await load();
      await (await sys.paymaster.setConfig({ ...defaultPaymasterConfig(), maxCreditsPerOp: CREDIT })).wait();
      const op = await creditOp(sys, alice);
      const worst = creditsForGasCost(requiredPrefund(op), PRICE_WAD, MARKUP);
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "paymaster", "CreditPaymasterCreditsPerOpTooHigh", [worst, CREDIT]),
      );
    });

    it("rejects an operation whose worst case exceeds the user's own limit", async function () {
      const { sys, alice } = await load();
      const op = await creditOp(sys, alice, { maxCredits: 1000n });
      const worst = creditsForGasCost(requiredPrefund(op), PRICE_WAD, MARKUP);
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "paymaster", "CreditPaymasterUserLimitExceeded", [worst, 1000n]),
      );
    });

    it("rejects an account without enough credits", async function () {
      const { sys } = await load();
      const poor = await newUser(sys, 99n);
      const op = await creditOp(sys, poor);
      const worst = creditsForGasCost(requiredPrefund(op), PRICE_WAD, MARKUP);
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "ledger", "CreditLedgerInsufficientCredits", [poor.account.address, 0n, worst]),
      );
    });
  });

  describe("pause", function () {
    it("a guardian pauses; paused operations are rejected; only the owner unpauses", async function () {
      const { sys, alice, beneficiary } = await load();
      await expect(sys.paymaster.connect(sys.guardian).setPaused(true))
        .to.emit(sys.paymaster, "PausedSet")
        .withArgs(true, await sys.guardian.getAddress());
      const op = await creditOp(sys, alice);
      await expectPaymasterRejects(sys, [op], 0, innerError(sys, "paymaster", "CreditPaymasterPaused", []));
      await expect(sys.paymaster.connect(sys.guardian).setPaused(false))
        .to.be.revertedWithCustomError(sys.paymaster, "CreditPaymasterUnauthorizedGuardian")
        .withArgs(await sys.guardian.getAddress());
      await expect(sys.paymaster.connect(sys.admin).setPaused(false))
        .to.emit(sys.paymaster, "PausedSet")
        .withArgs(false, await sys.admin.getAddress());
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.userOperationEvents[0].success).to.equal(true);
    });

    it("an outsider cannot pause", async function () {
      const { sys } = await load();
      await expect(sys.paymaster.connect(sys.outsider).setPaused(true))
        .to.be.revertedWithCustomError(sys.paymaster, "CreditPaymasterUnauthorizedGuardian")
        .withArgs(await sys.outsider.getAddress());
    });

    it("setConfig keeps the pause state", async function () {
      const { sys } = await load();
      await (await sys.paymaster.connect(sys.guardian).setPaused(true)).wait();
      await (await sys.paymaster.setConfig({ ...defaultPaymasterConfig(), paused: false })).wait();
      expect((await sys.paymaster.config()).paused).to.equal(true);
    });
  });

  describe("price", function () {
    it("the EntryPoint rejects an operation once the cached price is older than maxPriceAge", async function () {
      const { sys, alice } = await load();
      await time.increase(3_601);
      const op = await creditOp(sys, alice);
      await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], await sys.bundler.getAddress()))
        .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
        .withArgs(0, "AA32 paymaster expired or not due");
    });

    it("returns validUntil = cached time + maxPriceAge", async function () {
      const { sys, alice } = await load();
      const [, cachedTime] = await sys.adapter.cachedPrice();
      const op = await creditOp(sys, alice);
      const epAddress = await sys.entryPoint.getAddress();
      const ep = await ethers.getImpersonatedSigner(epAddress);
      await ethers.provider.send("hardhat_setBalance", [epAddress, "0x56BC75E2D63100000"]);
      const hash = await sys.entryPoint.getUserOpHash(op);
      const [, validationData] = await sys.paymaster
        .connect(ep)
        .validatePaymasterUserOp.staticCall(op, hash, requiredPrefund(op));
      expect(validationData >> 160n).to.equal(cachedTime + 3_600n);
      expect(validationData & ((1n << 160n) - 1n)).to.equal(0n);
    });

    it("rejects a cached price that does not fit in the context's 128 bits instead of truncating it", async function () {
      const { sys, alice } = await load();
      const adapter = await sys.adapter.getAddress();
      const [price, cachedTime] = await sys.adapter.cachedPrice();
      // The adapter's bounds never let such a price in: write the cache slot (price: low 208 bits, time above).
      const cacheWord = price | (cachedTime << 208n);
      let slot = -1;
      for (let i = 0; i < 64 && slot < 0; i++) {
        if (BigInt(await ethers.provider.getStorage(adapter, i)) === cacheWord) slot = i;
      }
      expect(slot).to.be.greaterThanOrEqual(0);
      const huge = 2n ** 96n; // one above the 96 bits CreditsSpent logs the price in
      await ethers.provider.send("hardhat_setStorageAt", [
        adapter,
        toBeHex(slot),
        zeroPadValue(toBeHex(huge | (cachedTime << 208n)), 32),
      ]);
      expect((await sys.adapter.cachedPrice())[0]).to.equal(huge);
      const op = await creditOp(sys, alice);
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "paymaster", "CreditPaymasterPriceTooHigh", [huge]),
      );
    });

    it("charges at the validation price even when the price moves mid-bundle", async function () {
      const { sys, alice, bob, beneficiary } = await load();
      // First deploy both accounts.
      await handleOps(
        sys.entryPoint,
        [await creditOp(sys, alice), await creditOp(sys, bob)],
        beneficiary,
        sys.bundler,
      );
      // Alice's call doubles the ETH price and refreshes the cache before bob's postOp.
      const move = sys.target.interface.encodeFunctionData("movePrice", [
        await sys.feed.getAddress(),
        await sys.adapter.getAddress(),
        6_000n * 10n ** 8n,
      ]);
      const opA = await creditOp(sys, alice, {
        callData: encodeExecute(await sys.target.getAddress(), 0n, move),
      });
      const opB = await creditOp(sys, bob);
      const result = await handleOps(sys.entryPoint, [opA, opB], beneficiary, sys.bundler);
      const charged = expectSolvent(sys.paymaster, result, [opA, opB], MARKUP);
      expect(charged[0].priceWad).to.equal(PRICE_WAD);
      expect(charged[1].priceWad).to.equal(PRICE_WAD);
      expect((await sys.adapter.cachedPrice())[0]).to.equal(2n * PRICE_WAD);
    });

    it("postOp refreshes a cached price older than maxPriceAge / 2", async function () {
      const { sys, alice, beneficiary } = await load();
      await time.increase(2_000);
      await (await sys.feed.updateAnswer(3_100n * 10n ** 8n)).wait();
      const op = await creditOp(sys, alice, { paymasterPostOpGasLimit: 300_000n });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect((await sys.adapter.cachedPrice())[0]).to.equal(3_100n * 10n ** 18n);
      const [, t] = await sys.adapter.cachedPrice();
      const block = await ethers.provider.getBlock(result.receipt.blockNumber);
      expect(t).to.equal(BigInt(block!.timestamp));
    });

    it("refreshes once per bundle: a later postOp finds the cache already refreshed", async function () {
      const { sys, alice, bob, beneficiary } = await load();
      await handleOps(
        sys.entryPoint,
        [await creditOp(sys, alice), await creditOp(sys, bob)],
        beneficiary,
        sys.bundler,
      );
      await time.increase(2_000);
      await (await sys.feed.updateAnswer(3_100n * 10n ** 8n)).wait();
      const ops = [
        await creditOp(sys, alice, { paymasterPostOpGasLimit: 300_000n }),
        await creditOp(sys, bob, { paymasterPostOpGasLimit: 300_000n }),
      ];
      const result = await handleOps(sys.entryPoint, ops, beneficiary, sys.bundler);
      const refreshes = result.receipt.logs.filter(
        (l) =>
          l.address === sys.adapter.target &&
          sys.adapter.interface.parseLog(l)?.name === "CachedPriceRefreshed",
      );
      expect(refreshes).to.have.length(1);
      const charged = expectSolvent(sys.paymaster, result, ops, MARKUP);
      expect(charged.map((c) => c.priceWad)).to.deep.equal([PRICE_WAD, PRICE_WAD]);
      expect((await sys.adapter.cachedPrice())[0]).to.equal(3_100n * 10n ** 18n);
    });

    it("postOp skips the refresh when the operation leaves too little gas for it", async function () {
      const { sys, alice, beneficiary } = await load();
      const [, before] = await sys.adapter.cachedPrice();
      await time.increase(2_000);
      const op = await creditOp(sys, alice);
      await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect((await sys.adapter.cachedPrice())[1]).to.equal(before);
    });

    it("a failing refresh never fails the operation", async function () {
      const { sys, alice, beneficiary } = await load();
      await time.increase(2_000); // the cache is older than maxPriceAge / 2 but still usable
      await (await sys.feed.updateRoundData(9, 3_000n * 10n ** 8n, 1, 1)).wait(); // updatedAt = 1: stale feed
      const op = await creditOp(sys, alice, { paymasterPostOpGasLimit: 300_000n });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.postOpRevertReasons).to.have.length(0);
      expectSolvent(sys.paymaster, result, [op], MARKUP);
      const names = result.receipt.logs
        .filter((l) => l.address === sys.paymaster.target)
        .map((l) => sys.paymaster.interface.parseLog(l)?.name);
      expect(names).to.deep.equal(["PriceRefreshFailed"]);
    });
  });

  describe("attacks", function () {
    it("an inflated callGasLimit (within the cap) costs the payer only what was used plus the penalty", async function () {
      const { sys, alice, bob, beneficiary } = await load();
      await handleOps(
        sys.entryPoint,
        [await creditOp(sys, alice), await creditOp(sys, bob)],
        beneficiary,
        sys.bundler,
      );
      const small = await creditOp(sys, alice, { callGasLimit: 100_000n });
      const large = await creditOp(sys, bob, { callGasLimit: 2_000_000n });
      const r1 = await handleOps(sys.entryPoint, [small], beneficiary, sys.bundler);
      const r2 = await handleOps(sys.entryPoint, [large], beneficiary, sys.bundler);
      const [c1] = expectSolvent(sys.paymaster, r1, [small], MARKUP);
      const [c2] = expectSolvent(sys.paymaster, r2, [large], MARKUP);
      // The large op is charged its real cost (incl. the EntryPoint's penalty), never the whole hold.
      expect(c2.creditsCharged).to.be.lt(creditsForGasCost(requiredPrefund(large), PRICE_WAD, MARKUP) / 2n);
      expect(c2.creditsCharged).to.be.gt(c1.creditsCharged);
    });

    // The ledger refuses empty holds (every settlement pairs with a real hold): an operation with zero gas fees,
    // whose worst case is 0 credits, holds one credit unit and is charged nothing.
    it("an operation with zero gas fees holds one credit unit, burns nothing, and settles with an event", async function () {
      const { sys, alice, beneficiary } = await load();
      const before = await sys.ledger.balanceOfCredits(alice.account.address);
      const op = await creditOp(sys, alice, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      expect(requiredPrefund(op)).to.equal(0n);
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.userOperationEvents[0].success).to.equal(true);
      expect(result.userOperationEvents[0].actualGasCost).to.equal(0n);
      const [c] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect([c.creditsCharged, c.gasCostWei]).to.deep.equal([0n, 0n]);
      expect(await sys.ledger.balanceOfCredits(alice.account.address)).to.equal(before);
      expect(await sys.ledger.heldCredits(alice.account.address)).to.equal(0n);
    });

    it("an operation with zero gas fees needs one spendable credit unit (the hold's minimum)", async function () {
      const { sys } = await load();
      const broke = await newUser(sys, 77n);
      const op = await creditOp(sys, broke, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      await expectPaymasterRejects(
        sys,
        [op],
        0,
        innerError(sys, "ledger", "CreditLedgerInsufficientCredits", [broke.account.address, 0n, 1n]),
      );
    });

    it("a user call that reverts is still paid for with credits", async function () {
      const { sys, alice, beneficiary } = await load();
      const fail = sys.target.interface.encodeFunctionData("fail", [7]);
      const op = await creditOp(sys, alice, {
        callData: encodeExecute(await sys.target.getAddress(), 0n, fail),
      });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.userOperationEvents[0].success).to.equal(false);
      const [c] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(c.creditsCharged).to.be.gt(0n);
    });

    it("a user call that burns all its gas is still paid for with credits", async function () {
      const { sys, alice, beneficiary } = await load();
      const burn = sys.target.interface.encodeFunctionData("burnAll");
      const op = await creditOp(sys, alice, {
        callData: encodeExecute(await sys.target.getAddress(), 0n, burn),
        callGasLimit: 1_000_000n,
      });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.userOperationEvents[0].success).to.equal(false);
      expectSolvent(sys.paymaster, result, [op], MARKUP);
    });

    it("postOp succeeds with a postOp limit exactly at the floor", async function () {
      const { sys, carol, dapp, beneficiary } = await load();
      const min = await sys.paymaster.minPostOpGasLimit(await creditOp(sys, carol, { sponsor: dapp }));
      const op = await creditOp(sys, carol, { sponsor: dapp, paymasterPostOpGasLimit: min });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      expect(result.postOpRevertReasons).to.have.length(0);
      expectSolvent(sys.paymaster, result, [op], MARKUP);
    });

    it("many operations of one sponsor in one bundle cannot overdraw: the excess is rejected in validation", async function () {
      const { sys, dapp, beneficiary } = await load();
      const users = await Promise.all([10n, 11n, 12n, 13n].map((s) => newUser(sys, s)));
      // The sponsor is left with credits for exactly two worst cases.
      const probe = await creditOp(sys, users[0], { sponsor: dapp });
      const worst = creditsForGasCost(requiredPrefund(probe), PRICE_WAD, MARKUP);
      for (const u of users) {
        await (
          await sys.ledger.connect(sys.dapp).setAllowance(u.account.address, 1_000n * CREDIT, DAY, FAR_FUTURE)
        ).wait();
      }
      const poorSponsor = sys.outsider;
      const sponsorAddr = await poorSponsor.getAddress();
      const ethFor2 = (2n * worst * 10n ** 30n) / PRICE_WAD + 10n ** 9n;
      await buyCredits(sys, poorSponsor, sponsorAddr, ethFor2);
      const balance = await sys.ledger.balanceOfCredits(sponsorAddr);
      expect(balance)
        .to.be.gte(2n * worst)
        .and.lt(3n * worst);
      for (const u of users) {
        await (
          await sys.ledger
            .connect(poorSponsor)
            .setAllowance(u.account.address, 1_000n * CREDIT, DAY, FAR_FUTURE)
        ).wait();
      }
      const ops = await Promise.all(users.map((u) => creditOp(sys, u, { sponsor: sponsorAddr })));
      await expectPaymasterRejects(
        sys,
        ops,
        2,
        innerError(sys, "ledger", "CreditLedgerInsufficientCredits", [
          sponsorAddr,
          balance - 2n * worst,
          worst,
        ]),
      );
      expect(await sys.ledger.balanceOfCredits(sponsorAddr)).to.equal(balance);
      // The bundler drops the failing ops and resubmits; the two that fit go through.
      const result = await handleOps(sys.entryPoint, ops.slice(0, 2), beneficiary, sys.bundler);
      const charged = expectSolvent(sys.paymaster, result, ops.slice(0, 2), MARKUP);
      const total = charged.reduce((a, c) => a + c.creditsCharged, 0n);
      expect(await sys.ledger.balanceOfCredits(sponsorAddr)).to.equal(balance - total);
    });

    it("validation and postOp only accept the EntryPoint as caller", async function () {
      const { sys, alice } = await load();
      const op = await creditOp(sys, alice);
      const outsider = await sys.outsider.getAddress();
      await expect(sys.paymaster.connect(sys.outsider).validatePaymasterUserOp(op, ethers.ZeroHash, 1n))
        .to.be.revertedWithCustomError(sys.paymaster, "CreditPaymasterNotFromEntryPoint")
        .withArgs(outsider);
      await expect(sys.paymaster.connect(sys.outsider).postOp(0, "0x", 0n, 0n))
        .to.be.revertedWithCustomError(sys.paymaster, "CreditPaymasterNotFromEntryPoint")
        .withArgs(outsider);
    });
  });

  describe("settlement worst case", function () {
    /** Gives `account` four grant buckets: one that expires (skipped, not swept), two small live ones that the
     *  charge empties (bucket compaction rewrites both storage words), and a large one it dips into. */
    async function withBuckets(sys: System, account: string) {
      const now = BigInt(await time.latest());
      const g = sys.ledger.connect(sys.issuer);
      await (await g.grant(account, CREDIT / 2n, now + 100n)).wait();
      await (await g.grant(account, CREDIT / 5n, now + 10n * DAY)).wait();
      await (await g.grant(account, (3n * CREDIT) / 10n, now + 11n * DAY)).wait();
      await (await g.grant(account, 50n * CREDIT, now + 12n * DAY)).wait();
      await time.increase(200);
      await (await sys.feed.updateAnswer(3_000n * 10n ** 8n)).wait();
      await (await sys.adapter.refreshCachedPrice()).wait();
      expect((await sys.ledger.creditBreakdown(account)).expiredUnswept).to.equal(CREDIT / 2n);
    }

    it("stays solvent when a SELF charge spans grant buckets and skips an expired one", async function () {
      const { sys, alice, beneficiary } = await load();
      await handleOps(sys.entryPoint, [await creditOp(sys, alice)], beneficiary, sys.bundler);
      await withBuckets(sys, alice.account.address);
      const op = await creditOp(sys, alice, { callGasLimit: 1_000_000n, callData: burnAllCall(sys) });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      const [c] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(c.creditsCharged).to.be.gt(CREDIT / 2n);
      const b = await sys.ledger.creditBreakdown(alice.account.address);
      expect(b.grants.length).to.equal(1);
      expect(b.expiredUnswept).to.equal(CREDIT / 2n);
    });

    it("stays solvent when a SPONSORED charge spans the sponsor's grant buckets", async function () {
      const { sys, carol, dapp, beneficiary } = await load();
      const sponsor = sys.outsider;
      const sponsorAddr = await sponsor.getAddress();
      await (await sys.ledger.connect(sponsor).openAccount()).wait();
      await (
        await sys.ledger.connect(sponsor).setAllowance(carol.account.address, 100n * CREDIT, DAY, FAR_FUTURE)
      ).wait();
      await handleOps(
        sys.entryPoint,
        [await creditOp(sys, carol, { sponsor: dapp })],
        beneficiary,
        sys.bundler,
      );
      await withBuckets(sys, sponsorAddr);
      const op = await creditOp(sys, carol, {
        sponsor: sponsorAddr,
        callGasLimit: 1_000_000n,
        callData: burnAllCall(sys),
      });
      const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
      const [c] = expectSolvent(sys.paymaster, result, [op], MARKUP);
      expect(c.payer).to.equal(sponsorAddr);
      expect((await sys.ledger.creditBreakdown(sponsorAddr)).grants.length).to.equal(1);
    });
  });

  describe("bundles", function () {
    it("settles a mixed bundle of self-pay and sponsored operations, each solvent, every validation reading the adapter's cached price (none kept for the transaction: a purchase in between must price what follows, O10)", async function () {
      const { sys, alice, bob, carol, dapp, beneficiary } = await load();
      const ops = [
        await creditOp(sys, alice),
        await creditOp(sys, carol, { sponsor: dapp }),
        await creditOp(sys, bob),
      ];
      const result = await handleOps(sys.entryPoint, ops, beneficiary, sys.bundler);
      const charged = expectSolvent(sys.paymaster, result, ops, MARKUP);
      expect(charged.map((c) => c.payer)).to.deep.equal([alice.account.address, dapp, bob.account.address]);
      expect(chargedEvents(sys.paymaster, result)).to.have.length(3);
      // every operation is priced with the adapter's cached price
      const [cachedPrice] = await sys.adapter.cachedPrice();
      expect(charged.map((c) => c.priceWad)).to.deep.equal([cachedPrice, cachedPrice, cachedPrice]);
      const trace = (await ethers.provider.send("debug_traceTransaction", [
        result.receipt.hash,
        { disableMemory: true, disableStorage: true },
      ])) as { structLogs: { op: string; stack?: string[] }[] };
      const adapter = (await sys.adapter.getAddress()).toLowerCase().slice(2);
      const adapterCalls = trace.structLogs.filter(
        (l) => l.op === "STATICCALL" && (l.stack?.[l.stack.length - 2] ?? "").toLowerCase().endsWith(adapter),
      );
      expect(adapterCalls).to.have.length(3);
    });
  });

  describe("admin", function () {
    it("setConfig: owner only, validated, emits ConfigUpdated", async function () {
      const { sys } = await load();
      const cfg = { ...defaultPaymasterConfig(), markupBps: 12_000n };
      await expect(sys.paymaster.connect(sys.outsider).setConfig(cfg))
        .to.be.revertedWithCustomError(sys.paymaster, "OwnableUnauthorizedAccount")
        .withArgs(await sys.outsider.getAddress());
      await expect(sys.paymaster.setConfig(cfg))
        .to.emit(sys.paymaster, "ConfigUpdated")
        .withArgs(sameConfig(cfg));
      expect((await sys.paymaster.config()).markupBps).to.equal(12_000n);
      const bad: [string, Partial<ReturnType<typeof defaultPaymasterConfig>>][] = [
        ["markupBps", { markupBps: 9_999n }],
        ["markupBps", { markupBps: 20_001n }],
        ["maxPriceAge", { maxPriceAge: 0n }],
        ["maxPaymasterPostOpGasLimit", { maxPaymasterPostOpGasLimit: 1_000n }],
        ["zero cap", { maxCallGasLimit: 0n }],
        ["zero cap", { maxVerificationGasLimit: 0n }],
        ["zero cap", { maxPaymasterVerificationGasLimit: 0n }],
        ["zero cap", { maxFeePerGas: 0n }],
        ["zero cap", { maxCreditsPerOp: 0n }],
      ];
      for (const [reason, patch] of bad) {
        await expect(sys.paymaster.setConfig({ ...defaultPaymasterConfig(), ...patch }))
          .to.be.revertedWithCustomError(sys.paymaster, "CreditPaymasterInvalidConfig")
          .withArgs(reason);
      }
    });

    it("setGuardian: owner only, emits GuardianSet, rejects the zero address", async function () {
      const { sys } = await load();
      const who = await sys.outsider.getAddress();
      await expect(sys.paymaster.connect(sys.outsider).setGuardian(who, true)).to.be.revertedWithCustomError(
        sys.paymaster,
        "OwnableUnauthorizedAccount",
      );
      await expect(sys.paymaster.setGuardian(who, true))
        .to.emit(sys.paymaster, "GuardianSet")
        .withArgs(who, true);
      expect(await sys.paymaster.isGuardian(who)).to.equal(true);
      await expect(sys.paymaster.setGuardian(ethers.ZeroAddress, true)).to.be.revertedWithCustomError(
        sys.paymaster,
        "CreditPaymasterZeroAddress",
      );
    });

    it("deposit is open to anyone; withdrawal and stake management are owner only", async function () {
      const { sys } = await load();
      const pm = await sys.paymaster.getAddress();
      const outsider = await sys.outsider.getAddress();
      await expect(sys.paymaster.connect(sys.outsider).deposit({ value: 5n }))
        .to.emit(sys.entryPoint, "Deposited")
        .withArgs(pm, parseEther("10") + 5n);
      await expect(sys.paymaster.connect(sys.outsider).withdrawTo(outsider, 1n))
        .to.be.revertedWithCustomError(sys.paymaster, "OwnableUnauthorizedAccount")
        .withArgs(outsider);
      await expect(sys.paymaster.connect(sys.outsider).addStake(1)).to.be.revertedWithCustomError(
        sys.paymaster,
        "OwnableUnauthorizedAccount",
      );
      await expect(sys.paymaster.connect(sys.outsider).unlockStake()).to.be.revertedWithCustomError(
        sys.paymaster,
        "OwnableUnauthorizedAccount",
      );
      await expect(sys.paymaster.connect(sys.outsider).withdrawStake(outsider)).to.be.revertedWithCustomError(
        sys.paymaster,
        "OwnableUnauthorizedAccount",
      );
      await expect(sys.paymaster.withdrawTo(outsider, 5n))
        .to.emit(sys.entryPoint, "Withdrawn")
        .withArgs(pm, outsider, 5n);
      const unlock = await sys.paymaster.unlockStake();
      const unlockedAt = BigInt(
        (await ethers.provider.getBlock((await unlock.wait())!.blockNumber))!.timestamp,
      );
      const { unstakeDelaySec } = await sys.entryPoint.getDepositInfo(pm);
      expect(unstakeDelaySec).to.be.gt(0n);
      await expect(unlock)
        .to.emit(sys.entryPoint, "StakeUnlocked")
        .withArgs(pm, unlockedAt + unstakeDelaySec);
    });

    it("views: worstCaseCredits and creditsForGasCost round up at the current markup", async function () {
      const { sys } = await load();
      expect(await sys.paymaster.creditsForGasCost(1n, PRICE_WAD)).to.equal(1n);
      expect(await sys.paymaster.creditsForGasCost(10n ** 18n, PRICE_WAD)).to.equal(3_150n * CREDIT);
      expect(await sys.paymaster.worstCaseCredits(10n ** 15n)).to.equal(3_150_000n);
      // The same checked formula as validation and postOp: a product beyond 2^256 reverts instead of wrapping.
      await expect(sys.paymaster.creditsForGasCost(2n ** 128n, 2n ** 128n)).to.be.revertedWithPanic(0x11);
    });
  });
}

const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

describe("CreditPaymaster", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      shouldBehaveLikeCreditPaymaster(version);
    });
  }
  it("exposes the selfPaymasterData encoding used by the suite", function () {
    expect(selfPaymasterData(5n)).to.equal("0x000000000000000005");
  });
});
