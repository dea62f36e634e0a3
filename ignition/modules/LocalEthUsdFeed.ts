import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Decimals of Chainlink's ETH/USD feeds, and of the local mock. */
export const ETH_USD_DECIMALS = 8;
/** The local feed's answer: $3,000 with 8 decimals. */
export const LOCAL_ETH_USD_ANSWER = 3_000n * 10n ** 8n;

/**
 * Local chains only (hardhat, localhost): Chainlink's own `MockV3Aggregator` as the ETH/USD feed, answering
 * $3,000. Deployed into the same Ignition deployment as the system, before it: its address becomes the
 * `PriceAdapter.ethUsdFeed` parameter (module parameters cannot be futures). Key: `LocalEthUsdFeed#EthUsdFeed`.
 */
export default buildModule("LocalEthUsdFeed", (m) => {
  const feed = m.contract(
    "MockV3Aggregator",
    [m.getParameter("decimals", ETH_USD_DECIMALS), m.getParameter("answer", LOCAL_ETH_USD_ANSWER)],
    { id: "EthUsdFeed" },
  );
  return { feed };
});
