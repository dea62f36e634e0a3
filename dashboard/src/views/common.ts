/** Pieces shared by the views: the operations table, day spend table, address picker, export list. */
import { h } from "../dom";
import {
  addressColumn,
  countColumn,
  creditsUsdColumns,
  timeColumn,
  transactionColumn,
  weiColumn,
} from "../columns";
import { address } from "../format";
import { tableSection } from "../table";
import type { Column } from "../table";
import type { ApiDaySpend, ApiExportList, ApiOperation, ApiTopEntry } from "../api";

export function operationsSection(
  id: string,
  title: string,
  operations: readonly ApiOperation[],
): HTMLElement {
  const columns: Column<ApiOperation>[] = [
    timeColumn("timestamp", "Time (UTC)", (o) => o.timestamp),
    addressColumn("sender", "Sender", (o) => o.sender, "user"),
    addressColumn("payer", "Paid by", (o) => o.payer, "sponsor"),
    { key: "mode", title: "Mode", cell: (o) => o.mode, raw: (o) => o.mode },
    { key: "policyId", title: "Policy", cell: (o) => o.policyId ?? "—", raw: (o) => o.policyId },
    ...creditsUsdColumns<ApiOperation>(
      "credits",
      "Cost",
      (o) => o.credits,
      (o) => o.usd,
      { testId: (o) => `op-${o.userOpHash}` },
    ),
    weiColumn("wei", "Charged for", (o) => o.wei),
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
    addressColumn("entryPoint", "EntryPoint", (o) => o.entryPoint),
    {
      key: "userOpHash",
      title: "UserOp",
      cell: (o) => h("code", { title: o.userOpHash }, o.userOpHash.slice(0, 10) + "…"),
      raw: (o) => o.userOpHash,
    },
    transactionColumn(),
  ];
  return tableSection(id, title, columns, operations, { empty: "No charged operation yet." });
}

export function daySpendSection(id: string, title: string, days: readonly ApiDaySpend[]): HTMLElement {
  return tableSection<ApiDaySpend>(
    id,
    title,
    [
      { key: "day", title: "Day (UTC)", cell: (d) => d.day, raw: (d) => d.day },
      ...creditsUsdColumns<ApiDaySpend>(
        "credits",
        "Credits",
        (d) => d.credits,
        (d) => d.usd,
      ),
      weiColumn("wei", "Wei", (d) => d.wei),
      countColumn("operations", "Operations", (d) => d.operations),
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
  return tableSection<ApiTopEntry>(
    id,
    title,
    [
      addressColumn("address", "Address", (e) => e.address, view),
      ...creditsUsdColumns<ApiTopEntry>(
        "credits",
        "Credits",
        (e) => e.credits,
        (e) => e.usd,
      ),
      weiColumn("wei", "Wei", (e) => e.wei),
      countColumn("operations", "Operations", (e) => e.operations),
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
