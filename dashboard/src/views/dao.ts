/** DAO view: budgets granted per sponsor vs spent, issuer caps left this epoch, grants expiring soon, proposals. */
import { api } from "../api";
import { h } from "../dom";
import { address, amount, formatCredits, formatTime, formatUnits18, transaction } from "../format";
import { cards, tableSection } from "../table";

const credits = (base: string) => amount(base, formatCredits(base).replaceAll(",", ""));

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
    tableSection(
      "budgets",
      "Budgets granted per sponsor vs spent",
      [
        {
          key: "sponsor",
          title: "Sponsor",
          cell: (b) => address(b.sponsor, "sponsor"),
          raw: (b) => b.sponsor,
        },
        {
          key: "granted",
          title: "Granted",
          numeric: true,
          cell: (b) => amount(b.granted, b.usdGranted),
          raw: (b) => b.granted,
        },
        {
          key: "usdGranted",
          title: "USD granted",
          exportOnly: true,
          numeric: true,
          cell: (b) => `$${b.usdGranted}`,
          raw: (b) => b.usdGranted,
        },
        {
          key: "spent",
          title: "Spent",
          numeric: true,
          cell: (b) => amount(b.spent, b.usdSpent),
          raw: (b) => b.spent,
        },
        {
          key: "usdSpent",
          title: "USD spent",
          exportOnly: true,
          numeric: true,
          cell: (b) => `$${b.usdSpent}`,
          raw: (b) => b.usdSpent,
        },
        { key: "left", title: "Left", numeric: true, cell: (b) => credits(b.left), raw: (b) => b.left },
      ],
      dao.budgets,
      { empty: "No budget granted." },
    ),
    tableSection(
      "issuer-caps",
      "Issuer caps: left this epoch",
      [
        { key: "issuer", title: "Issuer", cell: (c) => address(c.issuer), raw: (c) => c.issuer },
        {
          key: "capPerEpoch",
          title: "Cap per epoch",
          numeric: true,
          cell: (c) => credits(c.capPerEpoch),
          raw: (c) => c.capPerEpoch,
        },
        {
          key: "epochLength",
          title: "Epoch",
          numeric: true,
          cell: (c) => `${c.epochLength} s`,
          raw: (c) => c.epochLength,
        },
        {
          key: "used",
          title: "Granted this epoch",
          numeric: true,
          cell: (c) => credits(c.used),
          raw: (c) => c.used,
        },
        { key: "left", title: "Left", numeric: true, cell: (c) => credits(c.left), raw: (c) => c.left },
      ],
      dao.issuerCaps,
      { empty: "No issuer." },
    ),
    tableSection(
      "expiring-soon",
      "Grants expiring within 7 days",
      [
        { key: "account", title: "Account", cell: (g) => address(g.account, "user"), raw: (g) => g.account },
        {
          key: "amount",
          title: "Credits",
          numeric: true,
          cell: (g) => amount(g.amount, g.usd),
          raw: (g) => g.amount,
        },
        {
          key: "usd",
          title: "USD",
          exportOnly: true,
          numeric: true,
          cell: (g) => `$${g.usd}`,
          raw: (g) => g.usd,
        },
        { key: "expiresAt", title: "Expires", cell: (g) => formatTime(g.expiresAt), raw: (g) => g.expiresAt },
      ],
      dao.expiringSoon,
      { empty: "No grant expires within 7 days." },
    ),
    tableSection(
      "proposals",
      "Proposals",
      [
        {
          key: "createdAt",
          title: "Created (UTC)",
          cell: (p) => formatTime(p.createdAt),
          raw: (p) => p.createdAt,
        },
        {
          key: "description",
          title: "Description",
          cell: (p) => h("span", { class: "clip", title: p.description }, p.description),
          raw: (p) => p.description,
        },
        { key: "state", title: "State", cell: (p) => p.state, raw: (p) => p.state },
        { key: "proposer", title: "Proposer", cell: (p) => address(p.proposer), raw: (p) => p.proposer },
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
        { key: "txHash", title: "Transaction", cell: (p) => transaction(p.txHash), raw: (p) => p.txHash },
      ],
      dao.proposals,
      { empty: "No proposal." },
    ),
  ];
}
