/** Re-exported for the test suites: the one-call check lives in src/erc7562/check.ts. */
export { checkErc7562 } from "../../src/erc7562/check";
export type { CheckErc7562Options, Erc7562Check } from "../../src/erc7562/check";
