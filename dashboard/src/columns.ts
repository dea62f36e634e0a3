/**
 * Column builders shared by the views: how each kind of figure is shown (display text) and exported (its raw
 * value), written once. A view lists its columns with these and writes by hand only the columns of its own.
 */
import { address, amount, credits, formatTime, formatWei, transaction } from "./format";
import type { Column } from "./table";

/**
 * An amount in credits shown with the USD value the API gives, then that USD figure as a column of the exports only
 * (`usdKey`, `usdTitle`: "usd" and "USD" unless the row has several).
 */
export function creditsUsdColumns<Row>(
  key: string,
  title: string,
  base: (row: Row) => string,
  usd: (row: Row) => string,
  options: { usdKey?: string; usdTitle?: string; testId?: (row: Row) => string } = {},
): Column<Row>[] {
  return [
    {
      key,
      title,
      numeric: true,
      cell: (row) => amount(base(row), usd(row), options.testId?.(row)),
      raw: base,
    },
    {
      key: options.usdKey ?? "usd",
      title: options.usdTitle ?? "USD",
      exportOnly: true,
      numeric: true,
      cell: (row) => `$${usd(row)}`,
      raw: usd,
    },
  ];
}

/** An amount in credits for which the API gives no USD figure (1 credit = 1 stable unit). */
export function creditsColumn<Row>(key: string, title: string, base: (row: Row) => string): Column<Row> {
  return { key, title, numeric: true, cell: (row) => credits(base(row)), raw: base };
}

/** A count (operations, policies). */
export function countColumn<Row>(key: string, title: string, count: (row: Row) => number): Column<Row> {
  return { key, title, numeric: true, cell: (row) => String(count(row)), raw: count };
}

/** A time in seconds since the epoch, shown in UTC. */
export function timeColumn<Row>(
  key: string,
  title: string,
  seconds: (row: Row) => string | number,
): Column<Row> {
  return { key, title, cell: (row) => formatTime(seconds(row)), raw: seconds };
}

/** An amount of wei, shown in ETH with every digit. */
export function weiColumn<Row>(key: string, title: string, wei: (row: Row) => string): Column<Row> {
  return { key, title, numeric: true, cell: (row) => formatWei(wei(row)), raw: wei };
}

/** An address, linked to its dashboard page when `view` is given. */
export function addressColumn<Row>(
  key: string,
  title: string,
  value: (row: Row) => string,
  view?: "user" | "sponsor",
): Column<Row> {
  return { key, title, cell: (row) => address(value(row), view), raw: value };
}

/** The transaction that recorded the row (`txHash`). */
export function transactionColumn<Row extends { txHash: string }>(): Column<Row> {
  return {
    key: "txHash",
    title: "Transaction",
    cell: (row) => transaction(row.txHash),
    raw: (row) => row.txHash,
  };
}
