import { expect } from "chai";

import {
  compareCells,
  compareReports,
  contextGas,
  evaluateGrantRows,
  APPROVAL_DIGEST_GAS,
  LOWER_BOUND_TERMS,
  OPTIMISATIONS,
  PROJECT_VARIANTS,
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

/** `row` with every figure raised by `by`. */
function plus(row: GasRow, by: number): GasRow {
  return { "1": row["1"] + by, "10": row["10"] + by, "50": row["50"] + by };
}

/**
 * A report with round figures: token overhead 40,000 / 20,000 / 10,000 over `none`. Grant rows: on v0.7, self's
 * is exactly 10% above the purchased row's overhead at x10 (+1,000 over +10,000) and 10.01% at x50 (+500.1 is not
 * a figure: +501 over +5,001, see the test); the other grant rows are the purchased rows + 100.
 */
function sampleReport(): GasReport {
  const v07 = {
    none: { "1": 80_000, "10": 50_000, "50": 45_000 },
    verifying: { "1": 90_000, "10": 55_000, "50": 48_000 },
    token: { "1": 120_000, "10": 70_000, "50": 55_000 },
    "credit-self": { "1": 100_000, "10": 60_000, "50": 50_001 },
    "credit-sponsored": { "1": 106_000, "10": 63_000, "50": 51_500 },
    "policy-signed": { "1": 104_000, "10": 62_001, "50": 51_000 },
    "policy-open-returning": { "1": 110_000, "10": 66_000, "50": 53_000 },
    "policy-open-first": { "1": 130_000, "10": 80_000, "50": 70_000 },
  };
  const v08 = {
    none: { "1": 78_000, "10": 49_000, "50": 44_000 },
    "credit-self": { "1": 98_000, "10": 59_000, "50": 49_000 },
    "credit-sponsored": { "1": 104_000, "10": 62_000, "50": 50_000 },
    "policy-signed": { "1": 102_000, "10": 61_000, "50": 50_000 },
    "policy-open-returning": { "1": 108_000, "10": 65_000, "50": 52_000 },
    "policy-open-first": { "1": 128_000, "10": 79_000, "50": 69_000 },
  };
  const grantsOf = (rows: typeof v08) => ({
    "credit-self-grants": plus(rows["credit-self"], 100),
    "credit-sponsored-grants": plus(rows["credit-sponsored"], 100),
    "policy-signed-grants": plus(rows["policy-signed"], 100),
    "policy-open-returning-grants": plus(rows["policy-open-returning"], 100),
    "policy-open-first-grants": plus(rows["policy-open-first"], 100),
  });
  return {
    "v0.7": {
      ...v07,
      ...grantsOf(v07),
      // x1: +24,000 vs +20,000 (20% above); x10: +11,000 vs +10,000 (exactly 10%); x50: +5,502 vs +5,001 (10.02%).
      "credit-self-grants": { "1": 104_000, "10": 61_000, "50": 50_502 },
    },
    "v0.8": { ...v08, ...grantsOf(v08) },
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
    it("enforces 75% / 95% / 60% at bundles of 10 and 50, passing a ratio equal to the target", function () {
      const r = loose(sampleReport());
      // credit-self x10: 10,000 / 20,000 = 50%; make it exactly 75% and x50 just above 75%.
      r["v0.7"]["credit-self"]["10"] = 50_000 + 15_000;
      r["v0.7"]["credit-self"]["50"] = 45_000 + 7_501;
      // credit-sponsored x10: exactly 95%; x50: 6,500 / 10,000.
      r["v0.7"]["credit-sponsored"]["10"] = 50_000 + 19_000;
      const results = evaluateTargets(r);
      const byCell = new Map(results.map((t) => [`${t.variant}/${t.size}`, t]));
      expect(results).to.have.length(9);
      expect(byCell.get("credit-self/10")).to.deep.include({ ratio: 0.75, maxRatio: 0.75, pass: true });
      expect(byCell.get("credit-self/50")?.pass).to.equal(false);
      expect(byCell.get("credit-sponsored/10")).to.deep.include({ ratio: 0.95, maxRatio: 0.95, pass: true });
      expect(byCell.get("credit-sponsored/50")?.pass).to.equal(true);
      // policy-signed (60%): x10 12,001 / 20,000 fails; x50 6,000 / 10,000 passes.
      expect(byCell.get("policy-signed/10")).to.deep.include({ maxRatio: 0.6, pass: false, enforced: true });
      expect(byCell.get("policy-signed/50")?.pass).to.equal(true);
    });

    it("reports a bundle of 1 without enforcing it", function () {
      const results = evaluateTargets(loose(sampleReport()));
      const ones = results.filter((t) => t.size === 1);
      expect(ones).to.have.length(3);
      expect(ones.every((t) => !t.enforced)).to.equal(true);
      expect(results.filter((t) => t.enforced).map((t) => t.size)).to.not.include(1);
      // Its ratio is still computed: credit-self x1 20,000 / 40,000.
      expect(ones.find((t) => t.variant === "credit-self")?.ratio).to.equal(0.5);
    });

    it("fails a cell whose ratio cannot be computed", function () {
      const r = loose(sampleReport());
      delete r["v0.7"].token["10"];
      const t = evaluateTargets(r).find((x) => x.variant === "credit-self" && x.size === 10);
      expect(t?.ratio).to.equal(undefined);
      expect(t?.pass).to.equal(false);
    });
  });

  describe("#evaluateGrantRows", function () {
    it("passes a grant row at most 10% above the purchased row of the same mode, on both versions", function () {
      const results = evaluateGrantRows(loose(sampleReport()));
      // 5 modes x 2 versions x 3 bundle sizes.
      expect(results).to.have.length(30);
      const self = (size: number) =>
        results.find((g) => g.version === "v0.7" && g.grants === "credit-self-grants" && g.size === size);
      expect(self(1)).to.deep.include({ grantsOverhead: 24_000, purchasedOverhead: 20_000, pass: false });
      expect(self(10)).to.deep.include({ grantsOverhead: 11_000, purchasedOverhead: 10_000, pass: true });
      expect(self(10)?.excess).to.be.closeTo(0.1, 1e-12);
      expect(self(50)).to.deep.include({ grantsOverhead: 5_502, purchasedOverhead: 5_001, pass: false });
      const v08 = results.filter((g) => g.version === "v0.8");
      expect(v08).to.have.length(15);
      expect(v08.every((g) => g.pass && g.purchased === g.grants.replace(/-grants$/, ""))).to.equal(true);
    });

    it("fails a grant row whose figures are missing", function () {
      const r = loose(sampleReport());
      delete r["v0.8"]["policy-signed-grants"]["50"];
      const g = evaluateGrantRows(r).find(
        (x) => x.version === "v0.8" && x.grants === "policy-signed-grants" && x.size === 50,
      );
      expect(g).to.deep.include({ excess: undefined, pass: false });
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
      // Every mode, purchased credits and grants, on both versions: every bundle size.
      expect(PROJECT_VARIANTS).to.have.length(10);
      expect(rows).to.have.length(60);
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
      const modes = [
        "credit-self",
        "credit-sponsored",
        "policy-signed",
        "policy-open-returning",
        "policy-open-first",
      ];
      expect(Object.keys(parsed["v0.7"])).to.deep.equal([
        "none",
        "verifying",
        "token",
        ...modes,
        ...modes.map((m) => `${m}-grants`),
      ]);
      expect(Object.keys(parsed["v0.8"])).to.deep.equal([
        "none",
        ...modes,
        ...modes.map((m) => `${m}-grants`),
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
        "**Set-up: production.**",
        "## POLICY mode: where a signed policy's gas goes (issue 13)",
        "## Optimisations",
      ]) {
        expect(md).to.contain(heading);
      }
      expect(md.split("### 50 ops per bundle")).to.have.length(3);
      const squeezed = md.replace(/ +/g, " ");
      expect(squeezed).to.contain("| TokenPaymaster (eth-infinitism) | 120,000 | +40,000 | 100.0% |");
      expect(squeezed).to.contain("| CreditPaymaster, self-pay | 98,000 | +20,000 | 50.0% |");
      // A bundle of 1 is reported only; 10 and 50 against 75% (self).
      expect(squeezed).to.contain("| credit-self | 1 | +20,000 | +40,000 | 50.0% | report | – |");
      expect(squeezed).to.contain("| credit-self | 50 | +5,001 | +10,000 | 50.0% | <= 75% | PASS |");
      expect(squeezed).to.contain("| credit-sponsored | 10 | +13,000 | +20,000 | 65.0% | <= 95% | PASS |");
      // Grant rows against the purchased row of the same mode (at most +10%).
      expect(squeezed).to.contain("| v0.7 credit-self-grants | 10 | +11,000 | +10,000 | +10.00% | PASS |");
      expect(squeezed).to.contain("| v0.7 credit-self-grants | 50 | +5,502 | +5,001 | +10.02% | FAIL |");
      expect(squeezed).to.contain(
        "| CreditPaymaster, open policy, user's first operation, payer holds grants | 128,100 | +50,100 | 125.3% |",
      );
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

    it("prices LOGs as 375 + 375 per topic + 8 per data byte, and a context word as 13 copies or memory words", function () {
      expect(logGas(2, 104)).to.equal(1_957);
      expect(logGas(2, 96)).to.equal(1_893);
      expect(contextGas(1)).to.equal(39);
      expect(contextGas(2)).to.equal(78);
    });

    it("adds the per-op costs and the per-bundle costs spread over the bundle to the measured floor", function () {
      const results = lowerBounds(loose(sampleReport()), floor);
      expect(results).to.have.length(9);
      const self1 = results.find((r) => r.variant === "credit-self" && r.size === 1);
      const self50 = results.find((r) => r.variant === "credit-self" && r.size === 50);
      const sponsored10 = results.find((r) => r.variant === "credit-sponsored" && r.size === 10);
      // self per op: credit word 2,100 + 100 + 2,900; burned total 100; the ledger's event 1,957 minus the floor's
      // 1,893; one context word 39; warm accesses 1,100; 4 slot keys 192; computation 320 (three calls and the
      // charge).
      const selfPerOp = 5_100 + 100 + 1_957 - 1_893 + 39 + 1_100 + 192 + 320;
      // self per bundle: burned total's first write 2,800 (2,900 - the 100 counted per op), ledger and adapter
      // accounts 5,200, three cold slots 6,300.
      const selfPerBundle = 2_800 + 5_200 + 6_300;
      expect(selfPerOp).to.equal(6_915);
      // A bundle of 1 has no target: the bound is reported, the room is not.
      expect(self1).to.deep.equal({
        variant: "credit-self",
        size: 1,
        floor: 10_000,
        required: selfPerOp + selfPerBundle,
        bound: 10_000 + selfPerOp + selfPerBundle,
        target: undefined,
        room: undefined,
        measured: 20_000,
      });
      expect(self50?.required).to.equal(selfPerOp + Math.round(selfPerBundle / 50));
      // x50: 75% of TokenPaymaster's +10,000.
      expect(self50?.target).to.equal(7_500);
      expect(self50?.room).to.equal(7_500 - (3_000 + selfPerOp + 286));
      // sponsored per op: allowance 5,100, recovery mark 2,100, sponsor's word 300, burned total 100, events
      // 1,957 - 1,893, two context words 78, the sponsor's address in call data 320, warm accesses 1,100, the
      // allowance's transient hold 400, 11 slot keys 528, computation 320; per bundle: sponsor's word 4,800 and the
      // same 2,800 + 5,200 + 6,300.
      const sponsoredPerOp = 5_100 + 2_100 + 300 + 100 + 1_957 - 1_893 + 78 + 320 + 1_100 + 400 + 528 + 320;
      expect(sponsored10?.required).to.equal(sponsoredPerOp + (4_800 + 2_800 + 5_200 + 6_300) / 10);
      expect(sponsored10?.target).to.equal(Math.floor(20_000 * 0.95));
      // signed policy per op: sponsor's word 300, burned total 100, events 1,957 - 1,893 and the policy id's 8 bytes
      // 64, two context words 78, warm accesses 1,100, computation 320; the approval: a 64-byte signature 1,024, its
      // digest 411, ecrecover 3,100; the policy's terms 100, its budget word 300 and the budget's transient hold
      // 400; 9 slot keys 432. Per bundle: the sponsor's word 4,800, the policy's terms 2,000 and budget word 4,800,
      // and the same 2,800 + 5,200 + 6,300.
      const policyPerOp =
        300 + 100 + 1_957 - 1_893 + 64 + 78 + 1_100 + 320 + 1_024 + 411 + 3_100 + 100 + 300 + 400 + 432;
      expect(policyPerOp).to.equal(7_793);
      const policy10 = results.find((r) => r.variant === "policy-signed" && r.size === 10);
      const policyPerBundle = 4_800 + 2_000 + 4_800 + 2_800 + 5_200 + 6_300;
      expect(policy10).to.deep.equal({
        variant: "policy-signed",
        size: 10,
        floor: 4_000,
        required: policyPerOp + policyPerBundle / 10,
        bound: 4_000 + policyPerOp + policyPerBundle / 10,
        target: 12_000,
        room: 12_000 - (4_000 + policyPerOp + policyPerBundle / 10),
        measured: 12_001,
      });
    });

    it("prices the approval's digest at 5 keccaks over 29 words, each word written once", function () {
      // call data 6 words, cut paymaster data 4, packed operation 9, EIP-712 struct 7, 0x1901 ‖ domain ‖ struct 3
      expect(APPROVAL_DIGEST_GAS).to.equal(5 * 30 + 29 * 6 + 29 * 3);
    });

    it("leaves floor, bound and room undefined without the figure of an operation without paymaster", function () {
      const report = loose(sampleReport());
      delete report["v0.7"].none;
      const [first] = lowerBounds(report, floor);
      const tenth = lowerBounds(report, floor).find((r) => r.size === 10);
      expect([tenth?.floor, tenth?.bound, tenth?.room]).to.deep.equal([undefined, undefined, undefined]);
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
      // x1: reported only; x50: 3,000 + 6,915 + 286 = 10,201 against 7,500.
      expect(squeezed).to.contain(
        "| credit-self | 1 | +10,000 | +21,215 | +31,215 | – | – | +20,000 | -11,215 | bundle of 1: reported only |",
      );
      expect(squeezed).to.contain(
        "| credit-self | 50 | +3,000 | +7,201 | +10,201 | +7,500 | -2,701 | +5,001 | -5,200 | unreachable |",
      );
      // sponsored x10: 4,000 + 10,410 + 1,910 = 16,320 against 19,000.
      expect(squeezed).to.contain(
        "| credit-sponsored | 10 | +4,000 | +12,320 | +16,320 | +19,000 | 2,680 | +13,000 | -3,320 | reachable only if all other costs fit the room |",
      );
      // signed policy x10: 4,000 + 7,793 + 2,590 = 14,383 against 60% of +20,000.
      expect(squeezed).to.contain(
        "| policy-signed | 10 | +4,000 | +10,383 | +14,383 | +12,000 | -2,383 | +12,001 | -2,382 | unreachable |",
      );
      // A term of every mode is marked "all"; the sponsor's word is paid in both modes where a sponsor pays.
      expect(squeezed).to.match(/\| cold accounts: ledger and price adapter \| all \| – \| 5,200 \|/);
      expect(squeezed).to.match(
        /\| sponsor's credit word: [^|]+\| sponsored, signed policy \| 300 \| 4,800 \|/,
      );
      expect(squeezed).to.match(/\| approval: ecrecover [^|]+\| signed policy \| 3,100 \| – \|/);
      for (const o of OPTIMISATIONS) expect(md).to.contain(`- ${o.change}: **${o.saved}**.`);
      expect(md.indexOf("## Lower bound")).to.be.lessThan(md.indexOf("## Optimisations"));
    });

    it("adds the postOp-floor table: limits, billed gas per operation and the floor's cost per version", function () {
      const md = renderMarkdown(sampleReport(), { opGas: {}, paymasterGas: {} }, undefined, [
        {
          version: "v0.7",
          mode: "self-pay",
          floor: 56_000,
          lowFloor: 26_000,
          billedAtFloor: 90_000,
          billedAtLowFloor: 87_000,
          usedAtFloor: 75_000,
          usedAtLowFloor: 74_990,
        },
        {
          version: "v0.8",
          mode: "self-pay",
          floor: 54_000,
          lowFloor: 26_000,
          billedAtFloor: 80_000,
          billedAtLowFloor: 80_000,
          usedAtFloor: 74_000,
          usedAtLowFloor: 74_000,
        },
      ]);
      const squeezed = md.replace(/ +/g, " ");
      expect(md).to.contain("## What the postOp gas floor costs, per EntryPoint version");
      expect(squeezed).to.contain(
        "| v0.7 self-pay | 56,000 | 26,000 | 90,000 | 87,000 | +3,000 | +10 | +2,990 |",
      );
      expect(squeezed).to.contain("| v0.8 self-pay | 54,000 | 26,000 | 80,000 | 80,000 | 0 | 0 | 0 |");
      expect(md).not.to.contain("## Lower bound");
    });

    it("leaves the section out without a floor", function () {
      const md = renderMarkdown(sampleReport(), { opGas: {}, paymasterGas: {} });
      expect(md).not.to.contain("## Lower bound");
      expect(md).not.to.contain("## What the postOp gas floor costs");
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
