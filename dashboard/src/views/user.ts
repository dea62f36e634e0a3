/** User view: balance by source, grant buckets with their expiry, grants, purchases and operations. */
import { api } from "../api";
import { h } from "../dom";
import { address, amount, formatCredits, formatTime, formatWei, transaction } from "../format";
import { cards, tableSection } from "../table";
import { addressPicker, operationsSection } from "./common";

const credits = (base: string) => amount(base, formatCredits(base).replaceAll(",", ""));

export async function userView(selected: string | undefined): Promise<HTMLElement[]> {
  const head = [h("h2", {}, "User"), addressPicker("user", selected)];
  if (selected === undefined) return [...head, h("p", { class: "empty" }, "Enter an account's address.")];
  const user = await api.user(selected);
  const { balance } = user;
  return [
    ...head,
    h("h2", { "data-testid": "user-address" }, "Account ", address(user.address)),
    cards([
      { label: "Balance (spendable)", value: amount(balance.spendable, balance.usd), testId: "user-balance" },
      { label: "Purchased", value: credits(balance.purchased), testId: "user-purchased" },
      { label: "Granted (unexpired)", value: credits(balance.granted), testId: "user-granted" },
      { label: "Expired, not yet swept", value: credits(balance.expiredUnswept), testId: "user-expired" },
    ]),
    tableSection(
      "grant-buckets",
      "Granted credits by expiry date",
      [
        {
          key: "expiresAt",
          title: "Expires (UTC)",
          cell: (b) => formatTime(b.expiresAt),
          raw: (b) => b.expiresAt,
        },
        {
          key: "amount",
          title: "Credits",
          numeric: true,
          cell: (b) => amount(b.amount, b.usd),
          raw: (b) => b.amount,
        },
        {
          key: "usd",
          title: "USD",
          exportOnly: true,
          numeric: true,
          cell: (b) => `$${b.usd}`,
          raw: (b) => b.usd,
        },
        {
          key: "expired",
          title: "State",
          cell: (b) => (b.expired ? "expired" : "spendable"),
          raw: (b) => b.expired,
        },
      ],
      balance.buckets,
      { empty: "No granted credits." },
    ),
    tableSection(
      "grants",
      "Grants received",
      [
        {
          key: "timestamp",
          title: "Time (UTC)",
          cell: (g) => formatTime(g.timestamp),
          raw: (g) => g.timestamp,
        },
        { key: "issuer", title: "Issuer", cell: (g) => address(g.issuer), raw: (g) => g.issuer },
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
        {
          key: "expiresAt",
          title: "Expires (UTC)",
          cell: (g) => formatTime(g.expiresAt),
          raw: (g) => g.expiresAt,
        },
        {
          key: "revoked",
          title: "Revoked",
          numeric: true,
          cell: (g) => credits(g.revoked),
          raw: (g) => g.revoked,
        },
        {
          key: "expired",
          title: "Expired",
          numeric: true,
          cell: (g) => credits(g.expired),
          raw: (g) => g.expired,
        },
        { key: "txHash", title: "Transaction", cell: (g) => transaction(g.txHash), raw: (g) => g.txHash },
      ],
      user.grants,
      { empty: "No grant." },
    ),
    tableSection(
      "purchases",
      "Purchases",
      [
        {
          key: "timestamp",
          title: "Time (UTC)",
          cell: (p) => formatTime(p.timestamp),
          raw: (p) => p.timestamp,
        },
        { key: "buyer", title: "Buyer", cell: (p) => address(p.buyer), raw: (p) => p.buyer },
        {
          key: "credits",
          title: "Credits",
          numeric: true,
          cell: (p) => amount(p.credits, p.usd),
          raw: (p) => p.credits,
        },
        {
          key: "usd",
          title: "USD",
          exportOnly: true,
          numeric: true,
          cell: (p) => `$${p.usd}`,
          raw: (p) => p.usd,
        },
        {
          key: "paid",
          title: "Paid",
          numeric: true,
          cell: (p) =>
            /^0x0{40}$/i.test(p.token) ? formatWei(p.paid) : h("span", {}, `${p.paid} of `, address(p.token)),
          raw: (p) => p.paid,
        },
        {
          key: "token",
          title: "Token",
          cell: (p) => (/^0x0{40}$/i.test(p.token) ? "native" : address(p.token)),
          raw: (p) => p.token,
        },
        { key: "txHash", title: "Transaction", cell: (p) => transaction(p.txHash), raw: (p) => p.txHash },
      ],
      user.purchases,
      { empty: "No purchase." },
    ),
    operationsSection("user-operations", "Operations sent or paid", user.operations),
  ];
}
