/**
 * `withArgs` predicates for event arguments that are structs (hardhat-chai-matchers compares scalars and arrays;
 * a struct is checked here field by field, by name, so that an argument in the wrong place fails).
 */
import type { PaymasterConfig } from "../../src/client";

/** The emitted `CreditPaymaster.Config` equals `expected` in every one of its fields. */
export function sameConfig(expected: PaymasterConfig): (emitted: unknown) => boolean {
  return (emitted: unknown) => {
    const got = (emitted as { toObject(): Record<string, unknown> }).toObject();
    const keys = Object.keys(expected) as (keyof PaymasterConfig)[];
    return Object.keys(got).length === keys.length && keys.every((k) => got[k] === expected[k]);
  };
}

/** The `Config` the paymaster's `config()` view returned, as a plain `PaymasterConfig`. */
export function configOf(view: object): PaymasterConfig {
  return (view as { toObject(): Record<string, unknown> }).toObject() as unknown as PaymasterConfig;
}
