import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Address, Hex } from "viem";
import { formatUnits } from "viem";
import { readContract } from "viem/actions";

import { MOCK_FEED_ABI, renewLocalMockFeed } from "../../src/client/localFeed";
import type { LocalFeedRenewal } from "../../src/client/localFeed";
import { formatDuration } from "../../src/client/format";
import { LOCAL_NETWORKS } from "../../scripts/lib/networks";
import { viemClients } from "./chain";
import type { Log } from "./chain";
import { explained } from "./revert";

/** The runtime code of Chainlink's `MockV3Aggregator`, the local deployments' ETH/USD feed. */
export async function mockFeedCode(hre: HardhatRuntimeEnvironment): Promise<Hex> {
  return (await hre.artifacts.readArtifact("MockV3Aggregator")).deployedBytecode as Hex;
}

/**
 * Before a task reads the adapter's live price (`price:refresh`, `credits:buy`): on a local network (`hardhat`,
 * `localhost`, chain 31337) whose adapter reads the deployment's mock feed, renews the mock when it is stale or about
 * to be (same answer, fresh timestamp) and says so in one line. Anywhere else nothing is read or sent.
 */
export async function renewLocalFeedIfDue(
  hre: HardhatRuntimeEnvironment,
  adapter: Address,
  from: string,
  log: Log,
): Promise<LocalFeedRenewal | undefined> {
  if (!LOCAL_NETWORKS.includes(hre.network.name)) return undefined;
  const { wallet } = viemClients(hre, from);
  const mockCode = await mockFeedCode(hre);
  const renewal = await explained(hre, "Renewing the local mock ETH/USD feed", () =>
    renewLocalMockFeed(wallet, { adapter, mockCode }),
  );
  if (renewal === undefined) return undefined;
  const decimals = await readContract(wallet, {
    address: renewal.feed,
    abi: MOCK_FEED_ABI,
    functionName: "decimals",
  });
  log(
    `Local chain: the mock ETH/USD feed ${renewal.feed} was ` +
      `${formatDuration(renewal.updatedAt - renewal.previousUpdatedAt)} old, renewed at ` +
      `$${formatUnits(renewal.answer, decimals)} with a fresh timestamp (it never updates by itself; ` +
      "`npx hardhat price:set --answer <usd>` sets another price).",
  );
  return renewal;
}
