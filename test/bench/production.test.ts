/**
 * The bench's check that it measures the production set-up (bench/lib/production.ts): the ledger's spenders are
 * exactly the two paymasters, which serve the canonical EntryPoints and price with the ledger's adapter.
 */
import { expect } from "chai";

import { CANONICAL_ENTRY_POINTS } from "../../ignition/modules/system";
import { checkProductionWiring } from "../../bench/lib/production";

const PM07 = "0x00000000000000000000000000000000000000a7";
const PM08 = "0x00000000000000000000000000000000000000a8";
const ADAPTER = "0x00000000000000000000000000000000000000ad";

function wiring() {
  return {
    spenders: [PM08, PM07],
    paymasters: { "0.7": PM07, "0.8": PM08 },
    entryPoints: { "0.7": CANONICAL_ENTRY_POINTS.v07, "0.8": CANONICAL_ENTRY_POINTS.v08 },
    adapters: { "0.7": ADAPTER, "0.8": ADAPTER, ledger: ADAPTER },
  };
}

describe("bench/lib/production #checkProductionWiring", function () {
  it("accepts the deploy's wiring, in any spender order", function () {
    expect(() => checkProductionWiring(wiring())).to.not.throw();
  });

  it("rejects a ledger with one spender, or with a third, naming the count", function () {
    expect(() => checkProductionWiring({ ...wiring(), spenders: [PM07] })).to.throw(
      "the bench's ledger has 1 spender(s)",
    );
    const third = "0x00000000000000000000000000000000000000ff";
    expect(() => checkProductionWiring({ ...wiring(), spenders: [PM07, PM08, third] })).to.throw(
      "the bench's ledger has 3 spender(s)",
    );
    expect(() => checkProductionWiring({ ...wiring(), spenders: [PM07, third] })).to.throw(
      "exactly the two paymasters",
    );
  });

  it("rejects a paymaster on another EntryPoint or another adapter", function () {
    const w = wiring();
    expect(() =>
      checkProductionWiring({ ...w, entryPoints: { ...w.entryPoints, "0.8": CANONICAL_ENTRY_POINTS.v07 } }),
    ).to.throw("the v0.8 paymaster serves");
    const other = "0x00000000000000000000000000000000000000ae";
    expect(() => checkProductionWiring({ ...w, adapters: { ...w.adapters, "0.7": other } })).to.throw(
      "the v0.7 paymaster prices with",
    );
  });
});
