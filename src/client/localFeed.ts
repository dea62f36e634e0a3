/**
 * A local chain's mock ETH/USD feed (Chainlink's `MockV3Aggregator`, deployed by `ignition/modules/LocalEthUsdFeed.ts`)
 * never updates by itself: after the adapter's heartbeat every price read fails as stale. The refresh paths of a local
 * deployment (`price:refresh`, `credits:buy`, the paymaster service) renew it here first: the same answer with a
 * fresh timestamp. Only ever on chain 31337 and only when the adapter's primary feed has exactly the mock's runtime
 * code: a real Chainlink feed (a live network, or a fork of one, which anvil also runs as chain 31337) is never
 * touched.
 */
import { parseAbi } from "viem";
import type { Address, Hex } from "viem";
import {
  getBlock,
  getChainId,
  getCode,
  readContract,
  waitForTransactionReceipt,
  writeContract,
} from "viem/actions";

import { priceAdapterAbi } from "./abi";
import type { AnyClient } from "./credits";
import type { CreditWallet } from "./writes";

/** Chain id of local chains (`hardhat node`, anvil), the only chain whose feed may be renewed. */
export const LOCAL_CHAIN_ID = 31_337;

/** Seconds before the heartbeat ends at which a renewal is already due (the next blocks must still find it fresh). */
export const LOCAL_FEED_RENEWAL_MARGIN = 60n;

/** The functions of Chainlink's `MockV3Aggregator` used here. */
export const MOCK_FEED_ABI = parseAbi([
  "function updateAnswer(int256 answer)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function decimals() view returns (uint8)",
]);

/** The adapter's primary feed when it is a local mock, with its latest round. */
export interface LocalMockFeed {
  adapter: Address;
  feed: Address;
  heartbeat: bigint;
  answer: bigint;
  updatedAt: bigint;
}

/**
 * The adapter's primary feed if it is a local mock feed: the client is on chain {@link LOCAL_CHAIN_ID} and the feed's
 * runtime code equals `mockCode` (the `MockV3Aggregator` artifact's `deployedBytecode`); undefined otherwise, without
 * reading the feed on any other chain.
 */
export async function localMockFeed(
  client: AnyClient,
  adapter: Address,
  mockCode: Hex,
): Promise<LocalMockFeed | undefined> {
  if ((await getChainId(client)) !== LOCAL_CHAIN_ID) return undefined;
  const primary = await readContract(client, {
    address: adapter,
    abi: priceAdapterAbi,
    functionName: "primaryFeed",
  });
  const code = await getCode(client, { address: primary.feed });
  if (code === undefined || code.toLowerCase() !== mockCode.toLowerCase()) return undefined;
  const [, answer, , updatedAt] = await readContract(client, {
    address: primary.feed,
    abi: MOCK_FEED_ABI,
    functionName: "latestRoundData",
  });
  return { adapter, feed: primary.feed, heartbeat: BigInt(primary.heartbeat), answer, updatedAt };
}

/** A renewal of a local mock feed: its answer (unchanged) and the old and new timestamps. */
export interface LocalFeedRenewal {
  feed: Address;
  answer: bigint;
  previousUpdatedAt: bigint;
  updatedAt: bigint;
  txHash: Hex;
}

/**
 * Renews the adapter's local mock feed when its latest answer is at most `margin` seconds from going stale (or is
 * stale): `updateAnswer(<its latest answer>)`, a new round with the chain's time. Undefined when the feed is not a
 * local mock ({@link localMockFeed}) or is still fresh: nothing is sent then.
 */
export async function renewLocalMockFeed(
  wallet: CreditWallet,
  args: { adapter: Address; mockCode: Hex; margin?: bigint },
): Promise<LocalFeedRenewal | undefined> {
  const mock = await localMockFeed(wallet, args.adapter, args.mockCode);
  if (mock === undefined) return undefined;
  const { timestamp } = await getBlock(wallet, { blockTag: "latest" });
  if (timestamp + (args.margin ?? LOCAL_FEED_RENEWAL_MARGIN) < mock.updatedAt + mock.heartbeat)
    return undefined;
  const hash = await writeContract(wallet, {
    address: mock.feed,
    abi: MOCK_FEED_ABI,
    functionName: "updateAnswer",
    args: [mock.answer],
    chain: wallet.chain ?? null,
    account: wallet.account,
  });
  const receipt = await waitForTransactionReceipt(wallet, { hash, pollingInterval: 100 });
  if (receipt.status !== "success")
    throw new Error(`renewing the local mock feed ${mock.feed} reverted (${hash})`);
  const [, , , updatedAt] = await readContract(wallet, {
    address: mock.feed,
    abi: MOCK_FEED_ABI,
    functionName: "latestRoundData",
  });
  return { feed: mock.feed, answer: mock.answer, previousUpdatedAt: mock.updatedAt, updatedAt, txHash: hash };
}
