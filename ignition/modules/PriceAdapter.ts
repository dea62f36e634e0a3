import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroAddress } from "ethers";

/**
 * The PriceAdapter on the network's Chainlink ETH/USD feed (plus, on L2s, the sequencer uptime feed), with its
 * cached price refreshed so that the paymasters can validate operations right away.
 *
 * The deployer is the adapter's TEMPORARY admin: the system modules (DaoSystem, AdminSystem) grant
 * DEFAULT_ADMIN_ROLE to the final admin and the deployer renounces it in the same deployment.
 *
 * Parameters (module "PriceAdapter"): ethUsdFeed, heartbeat (s), minAnswer/maxAnswer (feed decimals),
 * description, sequencerUptimeFeed (zero: none), sequencerGracePeriod (s).
 */
export default buildModule("PriceAdapter", (m) => {
  const deployer = m.getAccount(0);
  const adapter = m.contract("PriceAdapter", [
    deployer,
    {
      feed: m.getParameter<string>("ethUsdFeed"),
      heartbeat: m.getParameter("heartbeat", 3_600),
      minAnswer: m.getParameter<bigint>("minAnswer"),
      maxAnswer: m.getParameter<bigint>("maxAnswer"),
    },
    m.getParameter("description", "ETH / USD (Compute Credits)"),
  ]);
  const sequencer = m.call(adapter, "setSequencerFeed", [
    m.getParameter("sequencerUptimeFeed", ZeroAddress),
    m.getParameter("sequencerGracePeriod", 0),
  ]);
  m.call(adapter, "refreshCachedPrice", [], { after: [sequencer] });
  return { adapter };
});
