/** Re-exports the account-abstraction kit's `system` module (src/aa/system.ts) for the suites. */
export * from "../../src/aa/system";
