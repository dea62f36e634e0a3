/** Sponsor view: spend per day, policies' and allowances' budgets used and left, top users and targets, last operations. */
import { api } from "../api";
import type { ApiAllowance, ApiPolicy, ApiSponsorSummary } from "../api";
import { spendChart } from "../chart";
import { h } from "../dom";
import { addressColumn, countColumn, creditsColumn, creditsUsdColumns, timeColumn } from "../columns";
import { address, amount, credits, formatCredits, formatTime } from "../format";
import { cards, tableSection } from "../table";
import { addressPicker, daySpendSection, operationsSection, topSection } from "./common";

function sponsorsSection(sponsors: readonly ApiSponsorSummary[]): HTMLElement {
  return tableSection<ApiSponsorSummary>(
    "sponsors",
    "Sponsors",
    [
      addressColumn("address", "Sponsor", (s) => s.address, "sponsor"),
      ...creditsUsdColumns<ApiSponsorSummary>(
        "credits",
        "Spent",
        (s) => s.credits,
        (s) => s.usd,
      ),
      countColumn("operations", "Operations", (s) => s.operations),
      countColumn("policies", "Policies", (s) => s.policies),
      countColumn("allowances", "Allowances", (s) => s.allowances),
    ],
    sponsors,
    { empty: "No sponsor has paid for anyone yet." },
  );
}

function policiesSection(policies: readonly ApiPolicy[]): HTMLElement {
  return tableSection<ApiPolicy>(
    "policies",
    "Policies: budget used and left this epoch",
    [
      { key: "policyId", title: "Policy", cell: (p) => `#${p.policyId}`, raw: (p) => p.policyId },
      { key: "status", title: "Status", cell: (p) => p.status, raw: (p) => p.status },
      {
        key: "creditsPerEpoch",
        title: "Budget per epoch",
        numeric: true,
        cell: (p) => (p.left === null ? "no epoch budget" : credits(p.limits.creditsPerEpoch)),
        raw: (p) => p.limits.creditsPerEpoch,
      },
      creditsColumn("usedThisEpoch", "Used this epoch", (p) => p.usedThisEpoch),
      {
        key: "left",
        title: "Left",
        numeric: true,
        cell: (p) => (p.left === null ? "unlimited" : credits(p.left)),
        raw: (p) => p.left,
      },
      {
        key: "creditsPerUser",
        title: "Per user / epoch",
        numeric: true,
        cell: (p) => `${formatCredits(p.limits.creditsPerUser)} credits, ${p.limits.opsPerUser} ops`,
        raw: (p) => p.limits.creditsPerUser,
      },
      {
        key: "epochLength",
        title: "Epoch",
        numeric: true,
        cell: (p) => `${p.limits.epochLength} s`,
        raw: (p) => p.limits.epochLength,
      },
      timeColumn("end", "Ends", (p) => p.limits.end),
      creditsColumn("totalCredits", "Spent (all time)", (p) => p.totalCredits),
      countColumn("totalOperations", "Operations", (p) => p.totalOperations),
    ],
    policies,
    { empty: "No policy." },
  );
}

function allowancesSection(allowances: readonly ApiAllowance[]): HTMLElement {
  return tableSection<ApiAllowance>(
    "allowances",
    "Allowances: budget used and left this epoch",
    [
      addressColumn("beneficiary", "Beneficiary", (a) => a.beneficiary, "user"),
      creditsColumn("perEpoch", "Per epoch", (a) => a.perEpoch),
      creditsColumn("used", "Used", (a) => a.used),
      creditsColumn("left", "Left", (a) => a.left),
      {
        key: "epochLength",
        title: "Epoch",
        numeric: true,
        cell: (a) => (a.epochLength === 0 ? "for ever" : `${a.epochLength} s`),
        raw: (a) => a.epochLength,
      },
      {
        key: "expiresAt",
        title: "Expires",
        cell: (a) => (a.revoked ? "revoked" : a.expiresAt === 0 ? "never" : formatTime(a.expiresAt)),
        raw: (a) => a.expiresAt,
      },
      creditsColumn("totalCredits", "Spent (all time)", (a) => a.totalCredits),
      countColumn("totalOperations", "Operations", (a) => a.totalOperations),
    ],
    allowances,
    { empty: "No allowance." },
  );
}

export async function sponsorView(selected: string | undefined): Promise<HTMLElement[]> {
  const { sponsors } = await api.sponsors();
  const current = selected ?? sponsors[0]?.address;
  const head = [h("h2", {}, "Sponsor"), addressPicker("sponsor", current), sponsorsSection(sponsors)];
  if (current === undefined) return head;
  const sponsor = await api.sponsor(current);
  return [
    ...head,
    h("h2", { "data-testid": "sponsor-address" }, "Sponsor ", address(sponsor.address)),
    cards([
      {
        label: "Spent for others",
        value: amount(sponsor.totals.credits, sponsor.totals.usd),
        testId: "sponsor-spent",
      },
      { label: "Operations paid", value: String(sponsor.totals.operations), testId: "sponsor-operations" },
      {
        label: "Credits left (spendable)",
        value: credits(sponsor.balance.spendable),
        testId: "sponsor-balance",
      },
    ]),
    h("section", { id: "spend-chart" }, h("h3", {}, "Spend per day"), spendChart(sponsor.spendByDay)),
    daySpendSection("spend-by-day", "Spend per day", sponsor.spendByDay),
    policiesSection(sponsor.policies),
    allowancesSection(sponsor.allowances),
    topSection("top-users", "Top users", sponsor.topUsers, "user"),
    topSection("top-targets", "Top target contracts", sponsor.topTargets, undefined),
    operationsSection("last-operations", "Last operations", sponsor.lastOperations),
  ];
}
