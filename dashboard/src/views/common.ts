/** Pieces shared by the views: the operations table, day spend table, address picker, export list. */
import { h } from "../dom";
import { address, amount, formatTime, formatWei, transaction } from "../format";
import { tableSection } from "../table";
import type { Column } from "../table";
import type { ApiDaySpend, ApiExportList, ApiOperation, ApiTopEntry } from "../api";

export function operationsSection(
  id: string,
  title: string,
  operations: readonly ApiOperation[],
): HTMLElement {
  const columns: Column<ApiOperation>[] = [
    { key: "timestamp", title: "Time (UTC)", cell: (o) => formatTime(o.timestamp), raw: (o) => o.timestamp },
    { key: "sender", title: "Sender", cell: (o) => address(o.sender, "user"), raw: (o) => o.sender },
    { key: "payer", title: "Paid by", cell: (o) => address(o.payer, "sponsor"), raw: (o) => o.payer },
    { key: "mode", title: "Mode", cell: (o) => o.mode, raw: (o) => o.mode },
    { key: "policyId", title: "Policy", cell: (o) => o.policyId ?? "—", raw: (o) => o.policyId },
    {
      key: "credits",
      title: "Cost",
      numeric: true,
      cell: (o) => amount(o.credits, o.usd, `op-${o.userOpHash}`),
      raw: (o) => o.credits,
    },
    {
      key: "usd",
      title: "USD",
      exportOnly: true,
      numeric: true,
      cell: (o) => `$${o.usd}`,
      raw: (o) => o.usd,
    },
    { key: "wei", title: "Charged for", numeric: true, cell: (o) => formatWei(o.wei), raw: (o) => o.wei },
    {
      key: "gasUsed",
      title: "Gas used",
      numeric: true,
      cell: (o) => o.gasUsed ?? "—",
      raw: (o) => o.gasUsed,
    },
    {
      key: "target",
      title: "Target",
      cell: (o) => (o.target === null ? "—" : address(o.target)),
      raw: (o) => o.target,
    },
    { key: "entryPoint", title: "EntryPoint", cell: (o) => address(o.entryPoint), raw: (o) => o.entryPoint },
    {
      key: "userOpHash",
      title: "UserOp",
      cell: (o) => h("code", { title: o.userOpHash }, o.userOpHash.slice(0, 10) + "…"),
      raw: (o) => o.userOpHash,
    },
    { key: "txHash", title: "Transaction", cell: (o) => transaction(o.txHash), raw: (o) => o.txHash },
  ];
  return tableSection(id, title, columns, operations, { empty: "No charged operation yet." });
}

export function daySpendSection(id: string, title: string, days: readonly ApiDaySpend[]): HTMLElement {
  return tableSection(
    id,
    title,
    [
      { key: "day", title: "Day (UTC)", cell: (d) => d.day, raw: (d) => d.day },
      {
        key: "credits",
        title: "Credits",
        numeric: true,
        cell: (d) => amount(d.credits, d.usd),
        raw: (d) => d.credits,
      },
      {
        key: "usd",
        title: "USD",
        exportOnly: true,
        numeric: true,
        cell: (d) => `$${d.usd}`,
        raw: (d) => d.usd,
      },
      { key: "wei", title: "Wei", numeric: true, cell: (d) => formatWei(d.wei), raw: (d) => d.wei },
      {
        key: "operations",
        title: "Operations",
        numeric: true,
        cell: (d) => String(d.operations),
        raw: (d) => d.operations,
      },
    ],
    days,
    { empty: "No spending yet." },
  );
}

export function topSection(
  id: string,
  title: string,
  entries: readonly ApiTopEntry[],
  view: "user" | undefined,
): HTMLElement {
  return tableSection(
    id,
    title,
    [
      { key: "address", title: "Address", cell: (e) => address(e.address, view), raw: (e) => e.address },
      {
        key: "credits",
        title: "Credits",
        numeric: true,
        cell: (e) => amount(e.credits, e.usd),
        raw: (e) => e.credits,
      },
      {
        key: "usd",
        title: "USD",
        exportOnly: true,
        numeric: true,
        cell: (e) => `$${e.usd}`,
        raw: (e) => e.usd,
      },
      { key: "wei", title: "Wei", numeric: true, cell: (e) => formatWei(e.wei), raw: (e) => e.wei },
      {
        key: "operations",
        title: "Operations",
        numeric: true,
        cell: (e) => String(e.operations),
        raw: (e) => e.operations,
      },
    ],
    entries,
    { empty: "Nobody yet." },
  );
}

/** A form that opens `#/<view>/<address>`. */
export function addressPicker(view: "user" | "sponsor", current: string | undefined): HTMLElement {
  const input = h("input", {
    name: "address",
    placeholder: "0x… address",
    value: current,
    pattern: "0x[0-9a-fA-F]{40}",
    required: "",
  });
  const form = h(
    "form",
    { class: "pick" },
    h("label", {}, `Open a ${view}: `),
    input,
    h("button", { type: "submit" }, "Open"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/${view}/${input.value.trim()}`;
  });
  return form;
}

/** The indexer's raw tables, each as CSV and JSON (`/api/export/:table.csv|.json`). */
export function exportsSection(list: ApiExportList | undefined): HTMLElement {
  return h(
    "section",
    { id: "exports" },
    h("div", { class: "section-head" }, h("h3", {}, "Indexer tables (whole tables, every row)")),
    list === undefined
      ? h("p", { class: "empty" }, "The export list is unavailable.")
      : h(
          "p",
          {},
          ...list.tables.flatMap((table) => [
            h("span", { class: "export-table" }, `${table.name}: `),
            h("a", { href: table.csv, "data-export": "CSV" }, "CSV"),
            " ",
            h("a", { href: table.json, "data-export": "JSON" }, "JSON"),
            h("span", {}, "  ·  "),
          ]),
        ),
  );
}
