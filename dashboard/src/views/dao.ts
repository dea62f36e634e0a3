/** DAO view: budgets granted per sponsor vs spent, issuer caps left this epoch, grants expiring soon, proposals. */
import { api } from "../api";
import type { ApiDao, ApiProposal } from "../api";
import { addressColumn, creditsColumn, creditsUsdColumns, timeColumn, transactionColumn } from "../columns";
import { h } from "../dom";
import { address, amount, credits, formatUnits18 } from "../format";
import { cards, tableSection } from "../table";

type Budget = ApiDao["budgets"][number];
type IssuerCap = ApiDao["issuerCaps"][number];
type ExpiringGrant = ApiDao["expiringSoon"][number];

export async function daoView(): Promise<HTMLElement[]> {
  const [dao, totals] = await Promise.all([api.dao(), api.totals()]);
  return [
    h("h2", {}, "DAO"),
    cards([
      {
        label: "Issued (purchased + granted)",
        value: amount(totals.totalIssued, totals.usdIssued),
        testId: "total-issued",
      },
      {
        label: "Spent (burned)",
        value: amount(totals.totalBurned, totals.usdBurned),
        testId: "total-burned",
      },
      { label: "Expired", value: credits(totals.totalExpired), testId: "total-expired" },
      { label: "Charged operations", value: String(totals.operations), testId: "total-operations" },
    ]),
    tableSection<Budget>(
      "budgets",
      "Budgets granted per sponsor vs spent",
      [
        addressColumn("sponsor", "Sponsor", (b) => b.sponsor, "sponsor"),
        ...creditsUsdColumns<Budget>(
          "granted",
          "Granted",
          (b) => b.granted,
          (b) => b.usdGranted,
          { usdKey: "usdGranted", usdTitle: "USD granted" },
        ),
        ...creditsUsdColumns<Budget>(
          "spent",
          "Spent",
          (b) => b.spent,
          (b) => b.usdSpent,
          { usdKey: "usdSpent", usdTitle: "USD spent" },
        ),
        creditsColumn("left", "Left", (b) => b.left),
      ],
      dao.budgets,
      { empty: "No budget granted." },
    ),
    tableSection<IssuerCap>(
      "issuer-caps",
      "Issuer caps: left this epoch",
      [
        addressColumn("issuer", "Issuer", (c) => c.issuer),
        creditsColumn("capPerEpoch", "Cap per epoch", (c) => c.capPerEpoch),
        {
          key: "epochLength",
          title: "Epoch",
          numeric: true,
          cell: (c) => `${c.epochLength} s`,
          raw: (c) => c.epochLength,
        },
        creditsColumn("used", "Granted this epoch", (c) => c.used),
        creditsColumn("left", "Left", (c) => c.left),
      ],
      dao.issuerCaps,
      { empty: "No issuer." },
    ),
    tableSection<ExpiringGrant>(
      "expiring-soon",
      "Grants expiring within 7 days",
      [
        addressColumn("account", "Account", (g) => g.account, "user"),
        ...creditsUsdColumns<ExpiringGrant>(
          "amount",
          "Credits",
          (g) => g.amount,
          (g) => g.usd,
        ),
        timeColumn("expiresAt", "Expires", (g) => g.expiresAt),
      ],
      dao.expiringSoon,
      { empty: "No grant expires within 7 days." },
    ),
    tableSection<ApiProposal>(
      "proposals",
      "Proposals",
      [
        timeColumn("createdAt", "Created (UTC)", (p) => p.createdAt),
        {
          key: "description",
          title: "Description",
          cell: (p) => h("span", { class: "clip", title: p.description }, p.description),
          raw: (p) => p.description,
        },
        { key: "state", title: "State", cell: (p) => p.state, raw: (p) => p.state },
        addressColumn("proposer", "Proposer", (p) => p.proposer),
        {
          key: "forVotes",
          title: "For",
          numeric: true,
          cell: (p) => formatUnits18(p.forVotes),
          raw: (p) => p.forVotes,
        },
        {
          key: "againstVotes",
          title: "Against",
          numeric: true,
          cell: (p) => formatUnits18(p.againstVotes),
          raw: (p) => p.againstVotes,
        },
        {
          key: "abstainVotes",
          title: "Abstain",
          numeric: true,
          cell: (p) => formatUnits18(p.abstainVotes),
          raw: (p) => p.abstainVotes,
        },
        {
          key: "targets",
          title: "Targets",
          cell: (p) => h("span", {}, ...p.targets.map((t) => address(t))),
          raw: (p) => p.targets.join(" "),
        },
        {
          key: "proposalId",
          title: "Id",
          cell: (p) => h("code", { title: p.proposalId }, `${p.proposalId.slice(0, 10)}…`),
          raw: (p) => p.proposalId,
        },
        transactionColumn(),
      ],
      dao.proposals,
      { empty: "No proposal." },
    ),
  ];
}
