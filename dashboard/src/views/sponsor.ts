/** Sponsor view: spend per day, policies' and allowances' budgets used and left, top users and targets, last operations. */
import { api } from "../api";
import type { ApiAllowance, ApiPolicy, ApiSponsorSummary } from "../api";
import { spendChart } from "../chart";
import { h } from "../dom";
import { address, amount, formatCredits, formatTime } from "../format";
import { cards, tableSection } from "../table";
import { addressPicker, daySpendSection, operationsSection, topSection } from "./common";

function sponsorsSection(sponsors: readonly ApiSponsorSummary[]): HTMLElement {
  return tableSection(
    "sponsors",
    "Sponsors",
    [
      { key: "address", title: "Sponsor", cell: (s) => address(s.address, "sponsor"), raw: (s) => s.address },
      {
        key: "credits",
        title: "Spent",
        numeric: true,
        cell: (s) => amount(s.credits, s.usd),
        raw: (s) => s.credits,
      },
      {
        key: "usd",
        title: "USD",
        exportOnly: true,
        numeric: true,
        cell: (s) => `$${s.usd}`,
        raw: (s) => s.usd,
      },
      {
        key: "operations",
        title: "Operations",
        numeric: true,
        cell: (s) => String(s.operations),
        raw: (s) => s.operations,
      },
      {
        key: "policies",
        title: "Policies",
        numeric: true,
        cell: (s) => String(s.policies),
        raw: (s) => s.policies,
      },
      {
        key: "allowances",
        title: "Allowances",
        numeric: true,
        cell: (s) => String(s.allowances),
        raw: (s) => s.allowances,
      },
    ],
    sponsors,
    { empty: "No sponsor has paid for anyone yet." },
  );
}

/** Credits as `x credits ($y)` where the API gives no USD figure (1 credit = 1 stable unit). */
function credits(base: string): HTMLElement {
  return amount(base, formatCredits(base).replaceAll(",", ""));
}

function policiesSection(policies: readonly ApiPolicy[]): HTMLElement {
  return tableSection(
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
      {
        key: "usedThisEpoch",
        title: "Used this epoch",
        numeric: true,
        cell: (p) => credits(p.usedThisEpoch),
        raw: (p) => p.usedThisEpoch,
      },
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
      { key: "end", title: "Ends", cell: (p) => formatTime(p.limits.end), raw: (p) => p.limits.end },
      {
        key: "totalCredits",
        title: "Spent (all time)",
        numeric: true,
        cell: (p) => credits(p.totalCredits),
        raw: (p) => p.totalCredits,
      },
      {
        key: "totalOperations",
        title: "Operations",
        numeric: true,
        cell: (p) => String(p.totalOperations),
        raw: (p) => p.totalOperations,
      },
    ],
    policies,
    { empty: "No policy." },
  );
}

function allowancesSection(allowances: readonly ApiAllowance[]): HTMLElement {
  return tableSection(
    "allowances",
    "Allowances: budget used and left this epoch",
    [
      {
        key: "beneficiary",
        title: "Beneficiary",
        cell: (a) => address(a.beneficiary, "user"),
        raw: (a) => a.beneficiary,
      },
      {
        key: "perEpoch",
        title: "Per epoch",
        numeric: true,
        cell: (a) => credits(a.perEpoch),
        raw: (a) => a.perEpoch,
      },
      { key: "used", title: "Used", numeric: true, cell: (a) => credits(a.used), raw: (a) => a.used },
      { key: "left", title: "Left", numeric: true, cell: (a) => credits(a.left), raw: (a) => a.left },
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
      {
        key: "totalCredits",
        title: "Spent (all time)",
        numeric: true,
        cell: (a) => credits(a.totalCredits),
        raw: (a) => a.totalCredits,
      },
      {
        key: "totalOperations",
        title: "Operations",
        numeric: true,
        cell: (a) => String(a.totalOperations),
        raw: (a) => a.totalOperations,
      },
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
