import { expect } from "chai";

import { chargeFor, demoSummary, demoSummaryProblems, usdOfWei } from "../../scripts/lib/demo-summary";
import type { DemoMeasurements } from "../../scripts/lib/demo-summary";

/** The figures of a real `npm run demo` run (in-process network). */
const RUN: DemoMeasurements = {
  network: "hardhat",
  chainId: 31_337n,
  userAccount: "0xBfe198a80395DF8FaB3402E2382FbcD156672aE0",
  userOwner: "0xFAd64b4EaA324e625E9aeAC67a14793F3D7cE183",
  sponsor: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  bundler: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  userOpHash: "0x01",
  userEthBeforeWei: 0n,
  userEthAfterWei: 0n,
  sponsorCreditsBefore: 1_000_000_000n,
  sponsorCreditsAfter: 998_746_632n,
  creditsCharged: 1_253_368n,
  chargeBasisWei: 397_894_377_152_760n,
  priceWad: 3_000n * 10n ** 18n,
  markupBps: 10_500n,
  gasUsed: 389_242n,
  actualGasCostWei: 391_489_606_308_472n,
  depositBeforeWei: 10n ** 18n,
  depositAfterWei: 10n ** 18n - 391_489_606_308_472n,
  addresses: {},
};

describe("The demo's summary (issue 17, item 7)", function () {
  it("explains the charge step by step: gas × gas price → × price → × markup, rounded up", function () {
    const { lines } = demoSummary(RUN);
    expect(lines).to.deep.equal([
      "The user paid:        0 ETH (their account held 0 ETH before and 0 ETH after)",
      "The dApp paid:        1.253368 credits = $1.253368 (1 credit = $1), from its budget: 1000 credits -> " +
        "998.746632 credits",
      "The gas was worth:    389,242 gas × 1.005774316 gwei = 0.000391489606308472 ETH = $1.174468 at $3000 per ETH",
      "Why the charge is higher than the gas's value:",
      "  the paymaster counts the gas in postOp, before the operation ends: the gas metered so far plus a bounded",
      "  allowance for the gas it cannot see yet (postOp's own and the EntryPoint's unmetered overhead), × the gas",
      "  price = 0.00039789437715276 ETH (0.000006404770844288 ETH more than the EntryPoint's final bill)",
      "  × $3000 per ETH = $1.193683",
      "  × markup 1.05 (markupBps 10500) = $1.253367",
      "  rounded up to the next 0.000001 credit = 1.253368 credits charged",
      "Who paid the bundler: the paymaster, from its EntryPoint deposit: 1 ETH -> 0.999608510393691528 ETH " +
        "(0.000391489606308472 ETH to bundler 0x90F79bf6EB2c4f870365E785982E1f101E93b906); credit purchases refill it",
    ]);
  });

  it("keeps base units in the JSON and adds the USD figures", function () {
    const { json } = demoSummary(RUN);
    expect(json).to.deep.include({
      creditsCharged: "1253368",
      actualGasCostWei: "391489606308472",
      chargeBasisWei: "397894377152760",
      paymasterDepositChangeWei: "-391489606308472",
      ethUsdPrice: "3000.0",
      usd: {
        userPaid: "0",
        dappPaid: "1.253368",
        gasValue: "1.174468",
        chargeBasisValue: "1.193683",
        withMarkup: "1.253367",
        bundlerPaidFromDeposit: "1.174468",
      },
    });
  });

  it("rounds the charge up and values wei in USD (rounded down to the micro-dollar)", function () {
    expect(chargeFor(RUN.chargeBasisWei, RUN.priceWad, RUN.markupBps)).to.equal(1_253_368n);
    // An exact product is not rounded up.
    expect(chargeFor(10n ** 18n, RUN.priceWad, 10_000n)).to.equal(3_000_000_000n);
    expect(usdOfWei(1n, RUN.priceWad)).to.equal("0");
    expect(usdOfWei(10n ** 15n, RUN.priceWad)).to.equal("3");
  });

  it("finds figures that do not add up", function () {
    expect(demoSummaryProblems(RUN)).to.deep.equal([]);
    expect(
      demoSummaryProblems({
        ...RUN,
        userEthAfterWei: 1n,
        sponsorCreditsAfter: RUN.sponsorCreditsAfter - 1n,
        creditsCharged: RUN.creditsCharged - 1n,
        depositAfterWei: RUN.depositAfterWei - 1n,
      }),
    ).to.deep.equal([
      "the user was expected to hold 0 ETH",
      "credits charged 1253367 differ from the sponsor's drop 1253369",
      "the charge 1253367 is not ceil(basis × price × markup) = 1253368",
      "the deposit fell by 391489606308473 wei, not the EntryPoint's bill 391489606308472",
    ]);
  });
});
