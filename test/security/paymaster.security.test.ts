/**
 * Known paymaster attacks (REFERENCES P2, P3, P4, P11) against the real CreditPaymaster on EntryPoint v0.7 and
 * v0.8, for the rows of SECURITY.md that no other suite covers directly.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";

import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { creditsForGasCost, expectSolvent, sponsoredPaymasterData } from "../helpers/paymaster";
import { CREDIT, PRICE_WAD, buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import type { System } from "../helpers/system";
import { encodeExecute, handleOps, requiredPrefund } from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";

const MARKUP = 10_500n;
const DAY = 86_400n;
const NEVER = 2n ** 32n - 1n;
/** Four words: mode ‖ payer ‖ held ‖ markup; sender ‖ gas limits ‖ refresh time; userOpHash; price ‖ gas bound. */
const CONTEXT_LENGTH = 128;

async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const alice = await newUser(sys, 1n); // pays for herself
  const carol = await newUser(sys, 3n); // sponsored by the dApp
  const mallory = await newUser(sys, 4n); // has no allowance from anyone
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.admin, alice.account.address, parseEther("0.1"));
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  await (
    await sys.ledger.connect(sys.dapp).setAllowance(carol.account.address, 200n * CREDIT, DAY, NEVER)
  ).wait();
  return { sys, alice, carol, mallory, dapp, beneficiary: await sys.bundler.getAddress() };
}

const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

/** `validatePaymasterUserOp` as the EntryPoint calls it (static call from the impersonated EntryPoint). */
async function validateAsEntryPoint(sys: System, op: PackedUserOperation): Promise<string> {
  const epAddress = await sys.entryPoint.getAddress();
  const ep = await ethers.getImpersonatedSigner(epAddress);
  await ethers.provider.send("hardhat_setBalance", [epAddress, "0x56BC75E2D63100000"]);
  const hash = await sys.entryPoint.getUserOpHash(op);
  const [context] = await sys.paymaster
    .connect(ep)
    .validatePaymasterUserOp.staticCall(op, hash, requiredPrefund(op));
  return context;
}

describe("Security: paymaster attacks", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

      describe("P2/P3: unused-gas penalty on paymasterPostOpGasLimit", function () {
        it("prices the EntryPoint's penalty on a large, unused postOp limit: the deposit never pays more than the credits burned", async function () {
          const { sys, alice, beneficiary } = await load();
          await handleOps(sys.entryPoint, [await creditOp(sys, alice)], beneficiary, sys.bundler); // deploys
          const small = await creditOp(sys, alice);
          const rSmall = await handleOps(sys.entryPoint, [small], beneficiary, sys.bundler);
          // The governance cap on the postOp limit, almost all of it unused: v0.7 charges 10% of the unused
          // callGasLimit + postOp limit, v0.8 10% of the unused postOp gas (above 40,000) after postOp.
          const cap = (await sys.paymaster.config()).maxPaymasterPostOpGasLimit;
          const large = await creditOp(sys, alice, { paymasterPostOpGasLimit: cap });
          const depositBefore = await sys.paymaster.getDeposit();
          const rLarge = await handleOps(sys.entryPoint, [large], beneficiary, sys.bundler);
          expect(rLarge.postOpRevertReasons).to.have.length(0);
          const ev = rLarge.userOperationEvents[0];
          // The penalty is real: ~10% of the extra 420,000 unused gas, far above postOp's own margin.
          expect(ev.actualGasUsed - rSmall.userOperationEvents[0].actualGasUsed).to.be.gte(35_000n);
          expect(depositBefore - (await sys.paymaster.getDeposit())).to.equal(ev.actualGasCost);
          const [charged] = expectSolvent(sys.paymaster, rLarge, [large], MARKUP);
          expect(charged.creditsCharged).to.equal(creditsForGasCost(charged.gasCostWei, PRICE_WAD, MARKUP));
        });

        it("prices a call that burns all its gas with the largest postOp limit (maximal execution penalty)", async function () {
          const { sys, carol, dapp, beneficiary } = await load();
          const burn = sys.target.interface.encodeFunctionData("burnAll");
          const cap = (await sys.paymaster.config()).maxPaymasterPostOpGasLimit;
          const op = await creditOp(sys, carol, {
            sponsor: dapp,
            callData: encodeExecute(await sys.target.getAddress(), 0n, burn),
            callGasLimit: 1_000_000n,
            paymasterPostOpGasLimit: cap,
          });
          const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
          expect(result.userOperationEvents[0].success).to.equal(false);
          expect(result.postOpRevertReasons).to.have.length(0);
          expectSolvent(sys.paymaster, result, [op], MARKUP);
        });
      });

      describe("P4: context size", function () {
        it("returns a fixed-size context whatever the size of the operation, in both modes", async function () {
          const { sys, alice, carol, dapp } = await load();
          const big = encodeExecute(await sys.target.getAddress(), 0n, `0x${"ab".repeat(10_000)}`);
          const lengths: number[] = [];
          for (const callData of [undefined, big]) {
            lengths.push(
              ethers.dataLength(await validateAsEntryPoint(sys, await creditOp(sys, alice, { callData }))),
            );
            lengths.push(
              ethers.dataLength(
                await validateAsEntryPoint(sys, await creditOp(sys, carol, { sponsor: dapp, callData })),
              ),
            );
          }
          expect(lengths).to.deep.equal([CONTEXT_LENGTH, CONTEXT_LENGTH, CONTEXT_LENGTH, CONTEXT_LENGTH]);
        });

        it("stays solvent for an operation carrying 10 KB of call data", async function () {
          const { sys, alice, beneficiary } = await load();
          const callData = encodeExecute(await sys.target.getAddress(), 0n, `0x${"ab".repeat(10_000)}`);
          const op = await creditOp(sys, alice, { callData, preVerificationGas: 250_000n });
          const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
          expectSolvent(sys.paymaster, result, [op], MARKUP);
        });
      });

      describe("P11: replay (no paymaster signature; the account signs paymasterAndData)", function () {
        it("a sponsored operation cannot be replayed: the EntryPoint's nonce rejects it and the sponsor pays once", async function () {
          const { sys, carol, dapp, beneficiary } = await load();
          await handleOps(
            sys.entryPoint,
            [await creditOp(sys, carol, { sponsor: dapp })],
            beneficiary,
            sys.bundler,
          );
          const op = await creditOp(sys, carol, { sponsor: dapp });
          const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
          const [charged] = expectSolvent(sys.paymaster, result, [op], MARKUP);
          const balance = await sys.ledger.balanceOfCredits(dapp);
          await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], beneficiary))
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
            .withArgs(0, "AA25 invalid account nonce");
          expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(balance);
          expect(charged.creditsCharged).to.be.gt(0n);
        });

        it("another sender cannot reuse a sponsor's paymaster data: the allowance is per beneficiary", async function () {
          const { sys, mallory, dapp } = await load();
          const op = await creditOp(sys, mallory, { sponsor: dapp });
          await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], await sys.bundler.getAddress()))
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
            .withArgs(
              0,
              "AA33 reverted",
              sys.ledger.interface.encodeErrorResult("CreditLedgerNoAllowance", [
                dapp,
                mallory.account.address,
              ]),
            );
        });

        it("paymaster data cannot be swapped into a signed operation: the account's signature covers it", async function () {
          const { sys, carol, dapp } = await load();
          const op = await creditOp(sys, carol, { sponsor: dapp });
          const worst = creditsForGasCost(requiredPrefund(op), PRICE_WAD, MARKUP);
          // Same layout, another user limit: a bundler or relayer rewriting the data invalidates the signature.
          const swapped = {
            ...op,
            paymasterAndData: ethers.concat([
              ethers.dataSlice(op.paymasterAndData, 0, 52),
              sponsoredPaymasterData(dapp, worst + 1n),
            ]),
          };
          await expect(
            sys.entryPoint.connect(sys.bundler).handleOps([swapped], await sys.bundler.getAddress()),
          )
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
            .withArgs(0, "AA24 signature error");
        });
      });
    });
  }
});
