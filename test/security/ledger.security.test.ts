/**
 * Soulbound-ledger pitfall S3 (ERC-7858): burning a credit-account token and minting the same id again must not
 * renew an expired grant. The ledger's only burn is recovery's; a later purchase re-mints the old holder's id.
 *
 * Issue 11 (external review): F7, anyone could settle nothing and emit `CreditsSpent` for any account; F8, an
 * account's old address kept spending the allowances sponsors gave it after its recovery.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";

import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import {
  CREDIT,
  DAY,
  breakdown,
  buyWithUsdc,
  deployLedgerFixture,
  holdSponsoredStep,
  holdStep,
  now,
  settleSponsoredStep,
  settleStep,
  tokenIdOf,
} from "../helpers/ledger";
import { buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import { encodeExecute, handleOps } from "../helpers/userop";

/** alice: 10 credits granted until t + 1 day, 20 until t + 10 days, recovery to bob initiated at t. */
async function recoveryWithGrantsFixture() {
  const f = await deployLedgerFixture();
  const t = await now();
  await (await f.ledger.connect(f.issuer).grant(f.alice, 10n * CREDIT, t + DAY)).wait();
  await (await f.ledger.connect(f.issuer).grant(f.alice, 20n * CREDIT, t + 10n * DAY)).wait();
  await (await f.ledger.connect(f.recoverer).initiateRecovery(f.alice, f.bob)).wait();
  return { ...f, t };
}

describe("Security: soulbound ledger (S3)", function () {
  it("a burned and re-minted account token renews no grant; moved grants keep their expiry", async function () {
    const f = await loadFixture(recoveryWithGrantsFixture);
    const { ledger, alice, bob, outsider, t } = f;
    const [, readyAt] = await ledger.pendingRecovery(alice);
    expect(readyAt).to.be.gt(t + DAY); // the 1-day grant expires during the recovery delay
    await time.increaseTo(readyAt);
    await expect(ledger.connect(outsider).executeRecovery(alice))
      .to.emit(ledger, "CreditsExpired")
      .withArgs(alice.address, t + DAY, 10n * CREDIT)
      .and.to.emit(ledger, "RecoveryExecuted")
      .withArgs(alice.address, bob.address, 0n, 20n * CREDIT);

    // The same token id is minted again by a purchase: it carries only what was bought now.
    await (await f.usdc.mint(alice.address, 5n * CREDIT)).wait();
    await (await f.usdc.connect(alice).approve(ledger, 5n * CREDIT)).wait();
    await expect(ledger.connect(alice).buyCreditsWithToken(alice, f.usdc, 5n * CREDIT))
      .to.emit(ledger, "Locked")
      .withArgs(tokenIdOf(alice.address));
    expect(await breakdown(ledger, alice)).to.deep.equal({
      purchased: 5n * CREDIT,
      grants: [],
      held: 0n,
      expiredUnswept: 0n,
    });
    expect(await ledger.totalExpired()).to.equal(10n * CREDIT);

    // The moved grant expires at its original date.
    expect(await breakdown(ledger, bob)).to.deep.equal({
      purchased: 0n,
      grants: [{ amount: 20n * CREDIT, expiresAt: t + 10n * DAY }],
      held: 0n,
      expiredUnswept: 0n,
    });
    await time.increaseTo(t + 10n * DAY);
    expect(await ledger.balanceOfCredits(bob)).to.equal(0n);
    expect((await breakdown(ledger, bob)).expiredUnswept).to.equal(20n * CREDIT);
  });
});

/** carol (a sponsor) holds credits and gave bob an allowance; alice holds credits of her own. */
async function settlementFixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.alice, f.alice, 50n * CREDIT);
  await buyWithUsdc(f, f.carol, f.carol, 50n * CREDIT);
  await (
    await f.ledger.connect(f.carol).setAllowance(f.bob, 10n * CREDIT, Number(DAY), (await now()) + DAY)
  ).wait();
  return f;
}

describe("Security: settlement needs the caller's own hold (F7)", function () {
  it("an outsider cannot settle nothing to forge CreditsSpent for any account, self-pay or sponsored", async function () {
    const { ledger, outsider, alice, carol, bob } = await loadFixture(settlementFixture);
    await expect(ledger.connect(outsider).settle(alice, 0n, 0n, ethers.ZeroHash, 0n))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
      .withArgs(outsider.address);
    await expect(ledger.connect(outsider).settleSponsored(carol, bob, 0n, 0n, ethers.ZeroHash, 0n))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerUnauthorizedSpender")
      .withArgs(outsider.address);
  });

  it("a registered spender cannot settle without a hold, nor place an empty hold to settle", async function () {
    const { ledger, spender, alice, carol, bob } = await loadFixture(settlementFixture);
    const s = await spender.getAddress();
    await expect(spender.run([await settleStep(alice, 0n, 0n)]))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
      .withArgs(s, alice.address);
    await expect(spender.run([await settleSponsoredStep(carol, bob, 0n, 0n)]))
      .to.be.revertedWithCustomError(ledger, "CreditLedgerNoHold")
      .withArgs(s, carol.address);
    await expect(
      spender.run([await holdStep(alice, 0n, await now()), await settleStep(alice, 0n, 0n)]),
    ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
    await expect(
      spender.run([
        await holdSponsoredStep(carol, bob, 0n, await now()),
        await settleSponsoredStep(carol, bob, 0n, 0n),
      ]),
    ).to.be.revertedWithCustomError(ledger, "CreditLedgerZeroAmount");
  });
});

const NEVER = 2n ** 32n - 1n;

/**
 * On each EntryPoint: the dApp sponsors carol's SimpleAccount, whose first sponsored operation opened its credit
 * account; the recovery delay is 0 (the admin's setting), so a recovery executes at once.
 */
async function recoveredSenderFixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const carol = await newUser(sys, 3n);
  const dapp = await sys.dapp.getAddress();
  const beneficiary = await sys.bundler.getAddress();
  await buyCredits(sys, sys.dapp, dapp, parseEther("0.1"));
  await (
    await sys.ledger.connect(sys.dapp).setAllowance(carol.account.address, 100n * CREDIT, 86_400, NEVER)
  ).wait();
  const openAccount = encodeExecute(
    await sys.ledger.getAddress(),
    0n,
    sys.ledger.interface.encodeFunctionData("openAccount"),
  );
  const first = await creditOp(sys, carol, { sponsor: dapp, callData: openAccount });
  await handleOps(sys.entryPoint, [first], beneficiary, sys.bundler);
  await (await sys.ledger.connect(sys.admin).setRecoveryDelay(0)).wait();
  return { sys, carol, dapp, beneficiary, newKey: ethers.Wallet.createRandom().address };
}

const recoveredSenderV07 = () => recoveredSenderFixture("0.7");
const recoveredSenderV08 = () => recoveredSenderFixture("0.8");

describe("Security: recovery ends the old address's allowances (F8)", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(version === "0.7" ? recoveredSenderV07 : recoveredSenderV08);

      it("rejects a sponsored operation of the recovered address in validation; the sponsor pays nothing", async function () {
        const { sys, carol, dapp, beneficiary, newKey } = await load();
        const sender = carol.account.address;
        expect(await sys.ledger.balanceOf(sender)).to.equal(1n);
        await (await sys.ledger.connect(sys.admin).initiateRecovery(sender, newKey)).wait();
        await (await sys.ledger.executeRecovery(sender)).wait();

        const sponsorBefore = await sys.ledger.balanceOfCredits(dapp);
        const op = await creditOp(sys, carol, { sponsor: dapp });
        await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], beneficiary))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
          .withArgs(
            0,
            "AA33 reverted",
            sys.ledger.interface.encodeErrorResult("CreditLedgerAccountRecovered", [sender, newKey]),
          );
        expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(sponsorBefore);
        expect(await sys.ledger.remainingAllowance(dapp, sender)).to.equal(0n);
        await expect(sys.ledger.connect(sys.dapp).setAllowance(sender, CREDIT, 86_400, NEVER))
          .to.be.revertedWithCustomError(sys.ledger, "CreditLedgerAccountRecovered")
          .withArgs(sender, newKey);
      });
    });
  }
});
