/** Display formats: credits (6 decimals, every digit shown), USD, addresses with explorer links, UTC times. */
import { h } from "./dom";

/** Credits have 6 decimals: amounts in the API are base units (1e-6 credit) as decimal strings. */
export const CREDIT_DECIMALS = 6;

function group(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `"1234567891"` (base units) → `"1,234.567891"`: every base unit shown, so a figure can be checked exactly. */
export function formatCredits(base: string | bigint): string {
  const value = BigInt(base);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(CREDIT_DECIMALS + 1, "0");
  const integer = digits.slice(0, -CREDIT_DECIMALS);
  const fraction = digits.slice(-CREDIT_DECIMALS);
  return `${negative ? "-" : ""}${group(integer)}.${fraction}`;
}

/** A decimal USD string (`"12.5"`) → `"$12.50"` style, keeping every digit the API gave. */
export function formatUsd(usd: string): string {
  const negative = usd.startsWith("-");
  const [integer = "0", fraction = ""] = (negative ? usd.slice(1) : usd).split(".");
  return `${negative ? "-" : ""}$${group(integer)}.${fraction.padEnd(2, "0")}`;
}

/** An amount in credits with its USD value beside it. */
export function amount(base: string, usd: string | undefined, testId?: string): HTMLElement {
  return h(
    "span",
    { class: "amount", "data-testid": testId, "data-base": base },
    h("span", { class: "credits" }, `${formatCredits(base)} credits`),
    usd === undefined ? null : h("span", { class: "usd" }, formatUsd(usd)),
  );
}

/** An 18-decimal amount (wei, votes) with every digit kept (trailing zeros dropped). */
export function formatUnits18(value: string): string {
  const digits = BigInt(value).toString().padStart(19, "0");
  const fraction = digits.slice(-18).replace(/0+$/, "");
  return `${group(digits.slice(0, -18))}${fraction === "" ? "" : `.${fraction}`}`;
}

/** Wei → ETH with every digit kept. */
export function formatWei(wei: string): string {
  return `${formatUnits18(wei)} ETH`;
}

/** Seconds since the epoch → `2026-12-06 13:20:05 UTC` (the same text in every browser and time zone). */
export function formatTime(seconds: string | number | bigint): string {
  const date = new Date(Number(seconds) * 1000);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `0x1234…abcd`. */
export function shortHex(value: string): string {
  return value.length > 14 ? `${value.slice(0, 6)}…${value.slice(-4)}` : value;
}

let explorerBase: string | null = null;

/** Sets the explorer base URL (from `/api/status`; null on a local chain). */
export function setExplorer(base: string | null): void {
  explorerBase = base === null ? null : base.replace(/\/+$/, "");
}

/**
 * An address: a link to its page in the dashboard (`view`, when given), and to the network's explorer when there
 * is one.
 */
export function address(value: string, view?: "user" | "sponsor"): HTMLElement {
  const label = h("span", { class: "address", title: value }, shortHex(value));
  const inner = view === undefined ? label : h("a", { href: `#/${view}/${value}` }, label);
  return h(
    "span",
    { class: "address-cell" },
    inner,
    explorerBase === null
      ? null
      : h(
          "a",
          { href: `${explorerBase}/address/${value}`, target: "_blank", rel: "noopener", title: "explorer" },
          " ↗",
        ),
  );
}

/** A transaction hash, linked to the explorer when there is one. */
export function transaction(hash: string): HTMLElement {
  const label = h("span", { class: "address", title: hash }, shortHex(hash));
  return explorerBase === null
    ? label
    : h("a", { href: `${explorerBase}/tx/${hash}`, target: "_blank", rel: "noopener" }, label);
}

/** Credits as `x credits ($y)` where the API gives no USD figure (1 credit = 1 stable unit). */
export function credits(base: string): HTMLElement {
  return amount(base, formatCredits(base).replaceAll(",", ""));
}
