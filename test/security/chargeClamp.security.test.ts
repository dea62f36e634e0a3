/**
 * The charge-to-hold clamp of `postOp` (issue 12): postOp bounds the gas it cannot see (its own rest, the
 * EntryPoint's code around it, the unused-gas penalty) from above, and that bound can exceed what is left of the
 * prefund; settling more than the hold would make the ledger revert (`CreditLedgerChargeExceedsHold`) and postOp
 * with it. A real EntryPoint never passes an `actualGasCost` above the prefund, so the clamp is reached here through
 * a shim that calls validation and postOp in one transaction (holds are transient) with the cost of the test's
 * choosing. Removing the clamp makes the over-prefund cases revert.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";

import { CreditPaymaster__factory, TestEntryPointShim__factory } from "../../typechain-types";
import {
  CREDIT,
  buyCredits,
  creditOp,
  defaultPaymasterConfig,
  deploySystem,
  newUser,
} from "../helpers/system";
import { creditsForGasCost } from "../helpers/paymaster";
import { requiredPrefund, unpackUserOpGas } from "../helpers/userop";
import { decodePaymasterSpendData } from "../../src/client";

describe("Security: postOp never settles more than the hold (charge-to-hold clamp)", function () {
  async function shimFixture() {
    const sys = await deploySystem("0.8");
    const shim = await new TestEntryPointShim__factory(sys.admin).deploy();
    const paymaster = await new CreditPaymaster__factory(sys.admin).deploy(
      shim,
      sys.ledger,
      sys.adapter,
      sys.admin,
      defaultPaymasterConfig(),
      0,
      0,
    );
    await (await sys.ledger.connect(sys.admin).addSpender(paymaster)).wait();
    const alice = await newUser(sys);
    await buyCredits(sys, sys.dapp, alice.account.address, parseEther("1"));
    await buyCredits(sys, sys.dapp, await sys.dapp.getAddress(), parseEther("1"));
    await (
      await sys.ledger
        .connect(sys.dapp)
        .setAllowance(alice.account.address, 1_000n * CREDIT, 86_400, 4_000_000_000)
    ).wait();
    return { sys, shim, paymaster, alice };
  }

  for (const mode of ["SELF", "SPONSORED"] as const) {
    describe(`${mode}`, function () {
      async function run(costOverPrefund: (prefund: bigint) => bigint) {
        const { sys, shim, paymaster, alice } = await loadFixture(shimFixture);
        const op = await creditOp(
          sys,
          alice,
          mode === "SELF" ? {} : { sponsor: await sys.dapp.getAddress() },
        );
        const prefund = requiredPrefund(op);
        const fee = unpackUserOpGas(op).maxFeePerGas;
        const payer = mode === "SELF" ? alice.account.address : await sys.dapp.getAddress();
        const before = await sys.ledger.balanceOfCredits(payer);
        const hash = ethers.id(`op-${mode}`);
        const tx = shim.validateAndPostOp(paymaster, op, hash, prefund, costOverPrefund(prefund), fee);
        const receipt = await (await tx).wait();
        const spent = receipt!.logs
          .filter((l) => l.address === sys.ledger.target)
          .map((l) => sys.ledger.interface.parseLog(l))
          .find((p) => p?.name === "CreditsSpent");
        const { priceWad } = decodePaymasterSpendData(spent!.args.spenderData as bigint);
        const held = creditsForGasCost(prefund, priceWad, (await paymaster.config()).markupBps);
        return { sys, paymaster, receipt, spent: spent!, held, before, payer, hash, prefund };
      }

      it("charges exactly the hold when the cost passed exceeds the prefund", async function () {
        const { sys, spent, held, before, payer, hash } = await run((p) => 2n * p);
        expect(spent.args.amount).to.equal(held);
        expect(spent.args.ref).to.equal(hash);
        expect(await sys.ledger.balanceOfCredits(payer)).to.equal(before - held);
      });

      it("charges exactly the hold when the cost equals the prefund (the bound of the unseen gas goes above it)", async function () {
        const { spent, held } = await run((p) => p);
        expect(spent.args.amount).to.equal(held);
      });

      it("charges less than the hold when the cost leaves room for the unseen gas (the clamp is not reached)", async function () {
        const { spent, held, prefund } = await run((p) => p / 4n);
        expect(spent.args.amount).to.be.lt(held);
        const { gasCostWei } = decodePaymasterSpendData(spent.args.spenderData as bigint);
        expect(gasCostWei).to.be.gt(prefund / 4n, "the unseen gas's bound is added to the cost passed");
      });
    });
  }
});
