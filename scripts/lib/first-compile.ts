/**
 * The notice printed before the first compilation of a fresh checkout, which takes about two minutes (the hot path
 * compiles through the IR pipeline with solc-js) and would otherwise run without a word. Pure: hardhat.config.ts
 * imports it while Hardhat loads.
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** What a first compilation prints before it starts. */
export const FIRST_COMPILE_NOTICE =
  "Compiling the contracts for the first time: this takes about 2 minutes (longer on a busy machine; the " +
  "paymaster and the ledger compile through the IR pipeline). Later runs reuse the artifacts.";

/**
 * The notice when no compilation has run yet in this checkout (no Solidity cache, or no artifact of the ledger),
 * else undefined.
 */
export function firstCompileNotice(paths: { cache: string; artifacts: string }): string | undefined {
  const cache = path.join(paths.cache, "solidity-files-cache.json");
  const ledger = path.join(paths.artifacts, "contracts", "credit", "CreditLedger.sol", "CreditLedger.json");
  return existsSync(cache) && existsSync(ledger) ? undefined : FIRST_COMPILE_NOTICE;
}
