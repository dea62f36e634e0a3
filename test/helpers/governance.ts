/** Re-exports the account-abstraction kit's `governance` module (src/aa/governance.ts) for the suites. */
export * from "../../src/aa/governance";
