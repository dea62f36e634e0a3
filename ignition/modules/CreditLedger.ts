import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import PriceAdapterModule from "./PriceAdapter";

/**
 * The CreditLedger, pricing purchases through the PriceAdapter module's adapter.
 *
 * The deployer is the ledger's TEMPORARY admin and treasury: the system modules register the paymasters as
 * spenders, route purchase ETH to the v0.8 paymaster's deposit, set the treasury, the issuer (with its cap) and
 * the guardian, grant DEFAULT_ADMIN_ROLE to the final admin, and the deployer renounces it — all in the same
 * deployment.
 */
export default buildModule("CreditLedger", (m) => {
  const { adapter } = m.useModule(PriceAdapterModule);
  const deployer = m.getAccount(0);
  const ledger = m.contract("CreditLedger", [deployer, adapter, deployer]);
  return { ledger, adapter };
});
