/**
 * The account-abstraction kit of the Hardhat side of the project (tests, scripts, tasks, bench): the canonical
 * EntryPoint v0.7/v0.8 at their canonical addresses, SimpleAccount factories and counterfactual accounts
 * (`entrypoint`), PackedUserOperation packing, hashing, signing and `handleOps` (`userop`), CreditPaymaster data
 * and events (`paymaster`), the whole system deployed for one EntryPoint version (`system`) and Governor proposals
 * run end to end (`governance`).
 *
 * `system` and `governance` import "hardhat" (and so does this index): do NOT import src/aa from src/client or
 * src/service, which run under plain ts-node outside Hardhat. `entrypoint`, `userop` and `paymaster` take an ethers
 * signer or provider and import no Hardhat module; import them by file (`src/aa/entrypoint`) where loading Hardhat
 * must be avoided.
 */
export * from "./entrypoint";
export * from "./userop";
export * from "./paymaster";
export * from "./policy";
export * from "./system";
export * from "./governance";
