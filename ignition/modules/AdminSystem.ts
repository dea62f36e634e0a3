import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildSystem } from "./system";

/**
 * The full system handed to an EXISTING admin (variant "admin"): the `admin` parameter — an existing
 * TimelockController, a Safe, or any address — becomes the admin of everything and the ledger's issuer (with
 * its cap); `guardian` may only pause the ledger. No governance contracts are deployed. The deployer keeps
 * nothing (so `admin` must not be the deployer: the deploy script refuses that).
 *
 * deployed_addresses.json keys: PriceAdapter#PriceAdapter, CreditLedger#CreditLedger,
 * AdminSystem#CreditPaymasterV07, AdminSystem#CreditPaymasterV08 (+ LocalEthUsdFeed#EthUsdFeed locally).
 */
export default buildModule("AdminSystem", (m) => {
  return buildSystem(m, m.getParameter<string>("admin"));
});
