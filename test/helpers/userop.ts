/** Re-exports the account-abstraction kit's `userop` module (src/aa/userop.ts) for the suites. */
export * from "../../src/aa/userop";
