/** Re-exports the account-abstraction kit's `entrypoint` module (src/aa/entrypoint.ts) for the suites. */
export * from "../../src/aa/entrypoint";
