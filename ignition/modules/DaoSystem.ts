import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GovernanceModule from "./Governance";
import { buildSystem } from "./system";

/**
 * The full system governed by a fresh DAO (variant "dao"): Governance (token, timelock, governor) + PriceAdapter
 * + CreditLedger + one CreditPaymaster per EntryPoint (v0.7, v0.8). The TimelockController is the admin of
 * everything and the ledger's issuer (with `issuerCapPerEpoch` per `issuerEpochLength`); `guardian` may only
 * pause the ledger. The deployer keeps nothing.
 *
 * deployed_addresses.json keys: Governance#CreditsVotesToken, Governance#TimelockController,
 * Governance#CreditsGovernor, PriceAdapter#PriceAdapter, CreditLedger#CreditLedger,
 * DaoSystem#CreditPaymasterV07, DaoSystem#CreditPaymasterV08 (+ LocalEthUsdFeed#EthUsdFeed on local chains).
 */
export default buildModule("DaoSystem", (m) => {
  const { token, timelock, governor } = m.useModule(GovernanceModule);
  const system = buildSystem(m, timelock);
  return { ...system, token, timelock, governor };
});
