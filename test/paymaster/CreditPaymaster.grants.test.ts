import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";

import { expectSolvent } from "../helpers/paymaster";
import { CREDIT, buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import { handleOps } from "../helpers/userop";

const DAY = 86_400n;
const MARKUP = 10_500n;

/** EntryPoint v0.7 system; alice holds ~300 purchased credits and has sent one operation (her account exists). */
async function fixture() {
  const sys = await deploySystem("0.7");
  const alice = await newUser(sys, 1n);
  await buyCredits(sys, sys.admin, alice.account.address, parseEther("0.1"));
  const beneficiary = await sys.bundler.getAddress();
  await handleOps(sys.entryPoint, [await creditOp(sys, alice)], beneficiary, sys.bundler);
  return { sys, alice, beneficiary };
}

describe("CreditPaymaster: payers holding grant buckets", function () {
  it("an operation priced before the soonest bucket expired and included after it is still accepted (the ledger's word-0 bound never ends validity before the price does)", async function () {
    const { sys, alice, beneficiary } = await loadFixture(fixture);
    const t = BigInt(await time.latest());
    const E1 = t + 1_000n;
    const issuer = sys.ledger.connect(sys.issuer);
    await (await issuer.grant(alice.account.address, 100n * CREDIT, E1)).wait(); // more than any hold
    await (await issuer.grant(alice.account.address, 1n * CREDIT, t + 2n * DAY)).wait();
    // the cached price refreshed a minute before E1
    await time.setNextBlockTimestamp(E1 - 61n);
    await (await sys.feed.updateAnswer(3_000n * 10n ** 8n)).wait();
    await time.setNextBlockTimestamp(E1 - 60n);
    await (await sys.adapter.refreshCachedPrice()).wait();
    const ops = [await creditOp(sys, alice)];
    // the bundle lands 10 s after E1: the price is 70 s old, far below maxPriceAge
    await time.setNextBlockTimestamp(E1 + 10n);
    const result = await handleOps(sys.entryPoint, ops, beneficiary, sys.bundler);
    expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal([true]);
    const [charged] = expectSolvent(sys.paymaster, result, ops, MARKUP);
    expect(charged.creditsCharged).to.be.greaterThan(0n);
  });
});
