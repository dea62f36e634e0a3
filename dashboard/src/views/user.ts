/** User view: balance by source, grant buckets with their expiry, grants, purchases and operations. */
import { api } from "../api";
import { h } from "../dom";
import type { ApiGrant, ApiGrantBucket, ApiPurchase } from "../api";
import { addressColumn, creditsColumn, creditsUsdColumns, timeColumn, transactionColumn } from "../columns";
import { address, amount, credits, formatWei } from "../format";
import { cards, tableSection } from "../table";
import { addressPicker, operationsSection } from "./common";

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
    tableSection<ApiGrantBucket>(
      "grant-buckets",
      "Granted credits by expiry date",
      [
        timeColumn("expiresAt", "Expires (UTC)", (b) => b.expiresAt),
        ...creditsUsdColumns<ApiGrantBucket>(
          "amount",
          "Credits",
          (b) => b.amount,
          (b) => b.usd,
        ),
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
    tableSection<ApiGrant>(
      "grants",
      "Grants received",
      [
        timeColumn("timestamp", "Time (UTC)", (g) => g.timestamp),
        addressColumn("issuer", "Issuer", (g) => g.issuer),
        ...creditsUsdColumns<ApiGrant>(
          "amount",
          "Credits",
          (g) => g.amount,
          (g) => g.usd,
        ),
        timeColumn("expiresAt", "Expires (UTC)", (g) => g.expiresAt),
        creditsColumn("revoked", "Revoked", (g) => g.revoked),
        creditsColumn("expired", "Expired", (g) => g.expired),
        transactionColumn(),
      ],
      user.grants,
      { empty: "No grant." },
    ),
    tableSection<ApiPurchase>(
      "purchases",
      "Purchases",
      [
        timeColumn("timestamp", "Time (UTC)", (p) => p.timestamp),
        addressColumn("buyer", "Buyer", (p) => p.buyer),
        ...creditsUsdColumns<ApiPurchase>(
          "credits",
          "Credits",
          (p) => p.credits,
          (p) => p.usd,
        ),
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
        transactionColumn(),
      ],
      user.purchases,
      { empty: "No purchase." },
    ),
    operationsSection("user-operations", "Operations sent or paid", user.operations),
  ];
}
