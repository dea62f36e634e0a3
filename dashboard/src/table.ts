/** A titled table with CSV and JSON export links of exactly the rows it shows. */
import { h } from "./dom";
import type { Child } from "./dom";

export interface Column<Row> {
  /** Column key in the CSV header and the JSON objects. */
  key: string;
  title: string;
  /** What the cell shows. */
  cell: (row: Row) => Child;
  /** The exported value (base units and decimal strings, not the display text). */
  raw: (row: Row) => string | number | boolean | null;
  numeric?: boolean;
  /** In the CSV and JSON exports only (e.g. the USD figure already shown beside the credits). */
  exportOnly?: boolean;
}

function csvField(value: string | number | boolean | null): string {
  const text = value === null ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows as CSV (RFC 4180), with a header line of the column keys. */
export function toCsv<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((column) => csvField(column.key)).join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvField(column.raw(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** The rows as a JSON array of objects keyed by the columns' keys. */
export function toJson<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  return `${JSON.stringify(
    rows.map((row) => Object.fromEntries(columns.map((column) => [column.key, column.raw(row)]))),
    null,
    2,
  )}\n`;
}

function download(name: string, type: string, content: string, label: string): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob([content], { type }));
  return h("a", { href: url, download: name, "data-export": label }, label);
}

/** A section: title, export links (CSV, JSON), and the table (or `empty` when there are no rows). */
export function tableSection<Row>(
  id: string,
  title: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: { empty?: string; note?: Child } = {},
): HTMLElement {
  const shown = columns.filter((column) => column.exportOnly !== true);
  const table =
    rows.length === 0
      ? h("p", { class: "empty" }, options.empty ?? "Nothing yet.")
      : h(
          "table",
          { "data-testid": `${id}-table` },
          h(
            "thead",
            {},
            h("tr", {}, ...shown.map((c) => h("th", { class: c.numeric ? "num" : undefined }, c.title))),
          ),
          h(
            "tbody",
            {},
            ...rows.map((row) =>
              h(
                "tr",
                {},
                ...shown.map((c) => h("td", { class: c.numeric ? "num" : undefined }, c.cell(row))),
              ),
            ),
          ),
        );
  return h(
    "section",
    { id },
    h(
      "div",
      { class: "section-head" },
      h("h3", {}, title),
      h(
        "span",
        { class: "exports" },
        download(`${id}.csv`, "text/csv", toCsv(columns, rows), "CSV"),
        download(`${id}.json`, "application/json", toJson(columns, rows), "JSON"),
      ),
    ),
    options.note ?? null,
    h("div", { class: "scroll" }, table),
  );
}

/** A row of headline figures. */
export function cards(items: readonly { label: string; value: Child; testId?: string }[]): HTMLElement {
  return h(
    "div",
    { class: "cards" },
    ...items.map((item) =>
      h(
        "div",
        { class: "card", "data-testid": item.testId },
        h("div", { class: "label" }, item.label),
        h("div", { class: "value" }, item.value),
      ),
    ),
  );
}
