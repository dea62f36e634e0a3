import type { ConfigurableTaskDefinition } from "hardhat/types";

import { deploymentKeySuffix } from "./deployment";
import type { ContractKind } from "./deployment";

const NAMES: Readonly<Record<ContractKind, string>> = {
  ledger: "CreditLedger",
  adapter: "PriceAdapter",
  paymaster: "CreditPaymaster",
  governor: "Governor",
  timelock: "TimelockController",
};

/**
 * Adds the address flags of `kinds` (`--ledger`, `--paymaster`…), `--deployment`, and `--entrypoint` when the
 * task addresses a paymaster.
 */
export function withAddressFlags(
  definition: ConfigurableTaskDefinition,
  kinds: readonly ContractKind[],
): ConfigurableTaskDefinition {
  for (const kind of kinds) {
    const key = kind === "paymaster" ? "#CreditPaymasterV08 / V07" : deploymentKeySuffix(kind);
    definition.addOptionalParam(
      kind,
      `Address of the ${NAMES[kind]} (default: the "${key}" entry of the Ignition deployment of this chain)`,
    );
  }
  definition.addOptionalParam(
    "deployment",
    "Ignition deployment directory or id to read addresses from (default: ignition/deployments/chain-<chainId>)",
  );
  if (kinds.includes("paymaster")) {
    definition.addOptionalParam("entrypoint", 'Which paymaster of the deployment: "0.7" or "0.8"', "0.8");
  }
  return definition;
}

/** Adds `--from`. */
export function withFrom(definition: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return definition.addOptionalParam(
    "from",
    "Signer: an address or an index of the network's accounts (default: the first account)",
  );
}
