import { expect } from "chai";

import {
  compareCells,
  compareReports,
  LOWER_BOUND_TERMS,
  OPTIMISATIONS,
  evaluateTargets,
  logGas,
  lowerBounds,
  markdownTable,
  overhead,
  parseGasReport,
  ratioToToken,
  renderJson,
  renderMarkdown,
} from "../../bench/lib/report";
import type { GasReport, GasRow, LooseGasReport } from "../../bench/lib/report";

/** A report with round figures: token overhead 40,000 / 20,000 / 10,000 over `none`. */
function sampleReport(): GasReport {
  return {
    "v0.7": {
      none: { "1": 80_000, "10": 50_000, "50": 45_000 },
      verifying: { "1": 90_000, "10": 55_000, "50": 48_000 },
      token: { "1": 120_000, "10": 70_000, "50": 55_000 },
      "credit-self": { "1": 100_000, "10": 60_000, "50": 50_001 },
      "credit-sponsored": { "1": 106_000, "10": 63_000, "50": 51_500 },
      "policy-signed": { "1": 104_000, "10": 62_001, "50": 51_000 },
      "policy-open-returning": { "1": 110_000, "10": 66_000, "50": 53_000 },
      "policy-open-first": { "1": 130_000, "10": 80_000, "50": 70_000 },
    },
    "v0.8": {
      none: { "1": 78_000, "10": 49_000, "50": 44_000 },
      "credit-self": { "1": 98_000, "10": 59_000, "50": 49_000 },
      "credit-sponsored": { "1": 104_000, "10": 62_000, "50": 50_000 },
    },
  };
}

function loose(report: GasReport): LooseGasReport {
  return JSON.parse(renderJson(report)) as LooseGasReport;
}

describe("bench/lib/report", function () {
  describe("#overhead and #ratioToToken", function () {
    it("subtracts the figure without paymaster of the same version and bundle size", function () {
      const r = loose(sampleReport());
      expect(overhead(r, "v0.7", "token", 1)).to.equal(40_000);
      expect(overhead(r, "v0.8", "credit-self", 10)).to.equal(10_000);
    });

    it("divides by TokenPaymaster's v0.7 overhead of the same bundle size, for either version", function () {
      const r = loose(sampleReport());
      expect(ratioToToken(r, "v0.7", "credit-self", 1)).to.equal(0.5);
      expect(ratioToToken(r, "v0.8", "credit-sponsored", 10)).to.equal(13_000 / 20_000);
    });

    it("is undefined when a figure it needs is missing", function () {
      const r = loose(sampleReport());
      delete r["v0.7"].none["10"];
      expect(overhead(r, "v0.7", "token", 10)).to.equal(undefined);
      expect(ratioToToken(r, "v0.7", "credit-self", 10)).to.equal(undefined);
      expect(ratioToToken(r, "v0.8", "credit-self", 10)).to.equal(undefined);
    });
  });

  describe("#evaluateTargets", function () {
    it("passes a ratio equal to the target and fails one just above it", function () {
      const results = evaluateTargets(loose(sampleReport()));
      const byCell = new Map(results.map((t) => [`${t.variant}/${t.size}`, t]));
      expect(results).to.have.length(9);
      // credit-self x1: 20,000 / 40,000 = 50% <= 50%.
      expect(byCell.get("credit-self/1")?.pass).to.equal(true);
      // credit-self x50: 5,001 / 10,000 = 50.01% > 50%.
      expect(byCell.get("credit-self/50")?.pass).to.equal(false);
      // credit-sponsored x1: 26,000 / 40,000 = 65% <= 65%; x10: 13,000 / 20,000 = 65%; x50: 6,500 / 10,000.
      expect(byCell.get("credit-sponsored/1")?.pass).to.equal(true);
      expect(byCell.get("credit-sponsored/10")?.ratio).to.equal(0.65);
      expect(byCell.get("credit-sponsored/50")?.pass).to.equal(true);
      // policy-signed (issue 13, 60%): x1 24,000 / 40,000 = 60% passes; x10 12,001 / 20,000 fails.
      expect(byCell.get("policy-signed/1")?.pass).to.equal(true);
      expect(byCell.get("policy-signed/10")?.maxRatio).to.equal(0.6);
      expect(byCell.get("policy-signed/10")?.pass).to.equal(false);
      expect(byCell.get("policy-signed/50")?.pass).to.equal(true);
    });

    it("fails a cell whose ratio cannot be computed", function () {
      const r = loose(sampleReport());
      delete r["v0.7"].token["1"];
      const t = evaluateTargets(r).find((x) => x.variant === "credit-self" && x.size === 1);
      expect(t?.ratio).to.equal(undefined);
      expect(t?.pass).to.equal(false);
    });
  });

  describe("#compareReports", function () {
    it("accepts a rise of exactly 2% and flags one above it, with old, new and change", function () {
      const baseline = loose(sampleReport());
      const fresh = loose(sampleReport());
      fresh["v0.7"]["credit-self"]["1"] = 102_000; // +2.000%
      fresh["v0.8"]["credit-sponsored"]["10"] = 63_241; // +2.002%
      fresh["v0.8"]["credit-self"]["10"] = 60_180; // +2.000%
      const rows = compareReports(baseline, fresh);
      // self and sponsored on both versions, the three POLICY rows on v0.7: every bundle size.
      expect(rows).to.have.length(21);
      const regressions = rows.filter((r) => r.regression);
      expect(regressions).to.have.length(1);
      expect(regressions[0]).to.deep.include({
        version: "v0.8",
        variant: "credit-sponsored",
        size: "10",
        old: 62_000,
        new: 63_241,
        checked: true,
      });
      expect(regressions[0].change).to.be.closeTo(1_241 / 62_000, 1e-12);
    });

    it("ignores reference paymasters and decreases", function () {
      const baseline = loose(sampleReport());
      const fresh = loose(sampleReport());
      fresh["v0.7"].token["1"] = 500_000;
      fresh["v0.7"].none["50"] = 1;
      fresh["v0.7"]["credit-sponsored"]["50"] = 10_000;
      expect(compareReports(baseline, fresh).filter((r) => r.regression)).to.deep.equal([]);
    });

    it("flags a figure the fresh report lacks, and accepts one the baseline lacks", function () {
      const baseline = loose(sampleReport());
      const fresh = loose(sampleReport());
      delete fresh["v0.8"]["credit-self"]["50"];
      delete baseline["v0.7"]["credit-self"]["10"];
      const rows = compareReports(baseline, fresh);
      const missing = rows.find(
        (r) => r.version === "v0.8" && r.variant === "credit-self" && r.size === "50",
      );
      const added = rows.find((r) => r.version === "v0.7" && r.variant === "credit-self" && r.size === "10");
      expect(missing).to.deep.include({ old: 49_000, new: undefined, change: undefined, regression: true });
      expect(added).to.deep.include({ old: undefined, new: 60_000, change: undefined, regression: false });
    });
  });

  describe("#compareCells", function () {
    it("never flags cells compared for information only", function () {
      const baseline = loose(sampleReport());
      const fresh = loose(sampleReport());
      fresh["v0.7"].token["10"] = 1_000_000;
      delete fresh["v0.7"].verifying["1"];
      const rows = compareCells(baseline, fresh, ["token", "verifying"], undefined);
      expect(rows).to.have.length(6);
      expect(rows.every((r) => !r.checked && !r.regression)).to.equal(true);
    });
  });

  describe("#parseGasReport", function () {
    it("returns a well-formed report unchanged", function () {
      const r = loose(sampleReport());
      expect(parseGasReport(r, "x")).to.deep.equal(r);
    });

    it("rejects anything but objects of objects of non-negative integers, naming the offending path", function () {
      expect(() => parseGasReport([], "a.json")).to.throw("a.json: not a JSON object");
      expect(() => parseGasReport({ "v0.7": 1 }, "a.json")).to.throw("a.json: v0.7 is not an object");
      expect(() => parseGasReport({ "v0.7": { none: null } }, "a.json")).to.throw(
        "a.json: v0.7.none is not an object",
      );
      for (const bad of [1.5, -1, "1", null]) {
        expect(() => parseGasReport({ "v0.7": { none: { "1": bad } } }, "a.json")).to.throw(
          "a.json: v0.7.none.1 is not a non-negative integer",
        );
      }
    });
  });

  describe("#renderJson", function () {
    it("keeps the report order and ends with a newline", function () {
      const text = renderJson(sampleReport());
      expect(text.endsWith("}\n")).to.equal(true);
      const parsed = JSON.parse(text) as LooseGasReport;
      expect(Object.keys(parsed)).to.deep.equal(["v0.7", "v0.8"]);
      expect(Object.keys(parsed["v0.7"])).to.deep.equal([
        "none",
        "verifying",
        "token",
        "credit-self",
        "credit-sponsored",
        "policy-signed",
        "policy-open-returning",
        "policy-open-first",
      ]);
      expect(Object.keys(parsed["v0.7"].none)).to.deep.equal(["1", "10", "50"]);
    });
  });

  describe("#renderMarkdown", function () {
    it("has a table per version and bundle size, the targets with PASS/FAIL and an optimisations section", function () {
      const md = renderMarkdown(sampleReport(), {
        opGas: { callGasLimit: 100_000n },
        paymasterGas: { paymasterPostOpGasLimit: 80_000n },
      });
      for (const heading of [
        "## EntryPoint v0.7",
        "## EntryPoint v0.8",
        "### 1 op per bundle",
        "### 10 ops per bundle",
        "### 50 ops per bundle",
        "## Targets",
        "## POLICY mode: where a signed policy's gas goes (issue 13)",
        "## Optimisations",
      ]) {
        expect(md).to.contain(heading);
      }
      expect(md.split("### 50 ops per bundle")).to.have.length(3);
      const squeezed = md.replace(/ +/g, " ");
      expect(squeezed).to.contain("| TokenPaymaster (eth-infinitism) | 120,000 | +40,000 | 100.0% |");
      expect(squeezed).to.contain("| CreditPaymaster, self-pay | 98,000 | +20,000 | 50.0% |");
      expect(squeezed).to.contain("| credit-self | 1 | +20,000 | +40,000 | 50.0% | <= 50% | PASS |");
      expect(squeezed).to.contain("| credit-self | 50 | +5,001 | +10,000 | 50.0% | <= 50% | FAIL |");
      expect(squeezed).to.contain(
        "| CreditPaymaster, signed policy (no per-user limits) | 104,000 | +24,000 | 60.0% |",
      );
      expect(squeezed).to.contain("| policy-signed | 10 | +12,001 | +20,000 | 60.0% | <= 60% | FAIL |");
      // The POLICY section prices the 60% bar from TokenPaymaster's x10 overhead.
      expect(squeezed).to.contain("The 60% bar is +12,000 at this bundle size");
      expect(squeezed).to.contain("| callGasLimit | 100,000 |");
      expect(squeezed).to.contain("| paymasterPostOpGasLimit | 80,000 |");
    });
  });

  describe("#lowerBounds", function () {
    /** Floor overhead 10,000 / 4,000 / 3,000 over the sample's `none` (80,000 / 50,000 / 45,000). */
    const floor: GasRow = { "1": 90_000, "10": 54_000, "50": 48_000 };

    it("prices LOGs as 375 + 375 per topic + 8 per data byte", function () {
      expect(logGas(2, 32)).to.equal(1_381);
      expect(logGas(1, 112) - logGas(2, 96)).to.equal(-247);
    });

    it("adds the per-op costs and the per-bundle costs spread over the bundle to the measured floor", function () {
      const results = lowerBounds(loose(sampleReport()), floor);
      expect(results).to.have.length(6);
      const self1 = results.find((r) => r.variant === "credit-self" && r.size === 1);
      const self50 = results.find((r) => r.variant === "credit-self" && r.size === 50);
      const sponsored10 = results.find((r) => r.variant === "credit-sponsored" && r.size === 10);
      // self: 5,000 + 1,381 - 247 + 1,100 per op; 5,200 + 6,300 per bundle.
      expect(self1).to.deep.equal({
        variant: "credit-self",
        size: 1,
        floor: 10_000,
        required: 7_234 + 11_500,
        bound: 28_734,
        target: 20_000,
        room: 20_000 - 28_734,
      });
      expect(self50?.required).to.equal(7_234 + 230);
      expect(self50?.room).to.equal(5_000 - (3_000 + 7_464));
      // sponsored: the allowance slot instead of the sender's word and the sender's recovery mark (2,100), plus the
      // sponsor's word once per bundle.
      expect(sponsored10?.required).to.equal(7_234 + 2_100 + 1_650);
      expect(sponsored10?.target).to.equal(Math.floor(20_000 * 0.65));
    });

    it("leaves floor, bound and room undefined without the figure of an operation without paymaster", function () {
      const report = loose(sampleReport());
      delete report["v0.7"].none;
      const [first] = lowerBounds(report, floor);
      expect([first.floor, first.bound, first.target, first.room]).to.deep.equal([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    });

    it("counts every term in the modes it names; only the event that replaces the floor's saves gas", function () {
      for (const t of LOWER_BOUND_TERMS) {
        expect(t.modes.length).to.be.greaterThan(0);
        expect(t.perOp + t.perBundle).to.not.equal(0);
      }
      expect(LOWER_BOUND_TERMS.filter((t) => t.perOp + t.perBundle < 0)).to.have.length(1);
    });
  });

  describe("#renderMarkdown with a floor", function () {
    it("adds the lower-bound section with its verdicts and lists every optimisation", function () {
      const md = renderMarkdown(
        sampleReport(),
        { opGas: { callGasLimit: 100_000n }, paymasterGas: { paymasterPostOpGasLimit: 80_000n } },
        { "1": 90_000, "10": 54_000, "50": 48_000 },
      );
      const squeezed = md.replace(/ +/g, " ");
      expect(md).to.contain("## Lower bound");
      expect(squeezed).to.contain(
        "| credit-self | 1 | +10,000 | +18,734 | +28,734 | +20,000 | -8,734 | unreachable |",
      );
      for (const o of OPTIMISATIONS) expect(md).to.contain(`- ${o.change}: **${o.saved}**.`);
      expect(md.indexOf("## Lower bound")).to.be.lessThan(md.indexOf("## Optimisations"));
    });

    it("leaves the section out without a floor", function () {
      const md = renderMarkdown(sampleReport(), { opGas: {}, paymasterGas: {} });
      expect(md).not.to.contain("## Lower bound");
    });
  });

  describe("#markdownTable", function () {
    it("pads every column to its widest cell, right-aligning all but the first", function () {
      expect(markdownTable(["a", "bb"], [["xyz", "1"]])).to.equal(
        ["| a   |  bb |", "| --- | --: |", "| xyz |   1 |"].join("\n"),
      );
    });
  });
});
