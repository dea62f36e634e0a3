import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits, parseAbi } from "viem";
import type { Address, Hex } from "viem";
import { getCode, readContract } from "viem/actions";

import { refreshPrice, refreshedPrice } from "../src/client";
import type { LocalFeedRenewal } from "../src/client/localFeed";
import { formatDuration, formatTime } from "../src/client/format";
import { priceAdapterAbi } from "../src/client/abi";
import { LOCAL_NETWORKS } from "../scripts/lib/networks";
import { FORMS, parseDuration, parseInteger, parseTokenAmount } from "./lib/args";
import {
  chainId,
  chainTime,
  print,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import { adapterAddress, readCachedPriceAt } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import { taskError } from "./lib/errors";
import { renewLocalFeedIfDue } from "./lib/localFeed";
import { withAddressFlags, withFrom } from "./lib/flags";

export interface RefreshArgs extends DeploymentFlags {
  ifOlder?: string;
  from?: string;
}

/** The result of `price:refresh`. */
export interface RefreshResult {
  adapter: string;
  refreshed: boolean;
  priceWad: bigint;
  updatedAt: bigint;
  fromFallback: boolean;
  /** The cache before (undefined when it was never refreshed). */
  previous?: { priceWad: bigint; updatedAt: bigint };
  txHash?: string;
  blockNumber?: number;
  /** Local chains: the renewal of the deployment's mock feed that preceded the refresh, when it was due. */
  renewedFeed?: LocalFeedRenewal;
}

const formatPrice = (priceWad: bigint): string => `${formatUnits(priceWad, 18)} per native token`;

export async function priceRefresh(
  hre: HardhatRuntimeEnvironment,
  args: RefreshArgs,
  log: Log = print,
): Promise<RefreshResult> {
  const threshold = args.ifOlder === undefined ? undefined : parseDuration("if-older", args.ifOlder);
  const signer = await resolveAccount(hre, args.from);
  const { address } = await adapterAddress(hre, args);

  const previous = await readCachedPriceAt(hre, address);
  const now = await chainTime(hre);
  if (threshold !== undefined && previous !== undefined && now - previous.updatedAt < threshold) {
    log(
      `Cached price ${formatPrice(previous.priceWad)} is ${formatDuration(now - previous.updatedAt)} old, ` +
        `younger than --if-older ${formatDuration(threshold)}: not refreshed.`,
    );
    return { adapter: address, refreshed: false, fromFallback: false, previous, ...previous };
  }

  const renewedFeed = await renewLocalFeedIfDue(hre, address, signer.address, log);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const receipt = await sendClientTx(hre, log, "Refreshing the cached price", publicClient, () =>
    refreshPrice(wallet, { adapter: address }),
  );
  // refreshCachedPrice always emits CachedPriceRefreshed when it succeeds.
  const event = refreshedPrice(receipt, address) as NonNullable<ReturnType<typeof refreshedPrice>>;
  const refreshed: RefreshResult = {
    adapter: address,
    refreshed: true,
    priceWad: event.priceWad,
    updatedAt: event.updatedAt,
    fromFallback: event.fromFallback,
    previous,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    ...(renewedFeed === undefined ? {} : { renewedFeed }),
  };
  log(
    `Cached price refreshed: ${formatPrice(refreshed.priceWad)} from the ` +
      `${refreshed.fromFallback ? "FALLBACK" : "primary"} feed, stored at ${formatTime(refreshed.updatedAt)}` +
      (previous === undefined
        ? " (first refresh)."
        : ` (was ${formatPrice(previous.priceWad)}, stored ${formatDuration(refreshed.updatedAt - previous.updatedAt)} earlier).`),
  );
  return refreshed;
}

withFrom(
  withAddressFlags(
    task(
      "price:refresh",
      "Refreshes the price adapter's cached price from its feeds (anyone may)",
    ).addOptionalParam("ifOlder", `Only refresh when the cache is at least this old: ${FORMS.duration}`),
    ["adapter"],
  ),
).setAction((args: RefreshArgs, hre) => priceRefresh(hre, args));

/** Chain id of local chains (`hardhat`, `localhost`), the only ones whose ETH/USD feed is a mock. */
export const LOCAL_CHAIN_ID = 31_337n;

/** The mock feed's functions `price:set` uses (Chainlink's MockV3Aggregator). */
const MOCK_FEED_ABI = parseAbi([
  "function updateAnswer(int256 answer)",
  "function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)",
  "function decimals() view returns (uint8)",
]);

/**
 * Why `price:set` refuses the feed (a message naming the way out), or undefined when it is the mock of a local
 * deployment: a local chain (chain id 31337) and a feed whose code is Chainlink's MockV3Aggregator.
 */
export function mockFeedRefusal(
  network: string,
  chain: bigint,
  feed: string,
  isMock: boolean,
): string | undefined {
  if (chain !== LOCAL_CHAIN_ID || !LOCAL_NETWORKS.includes(network)) {
    return (
      `price:set sets the mock ETH/USD feed of a local deployment (chain ${LOCAL_CHAIN_ID}, --network localhost) ` +
      `only: network "${network}" is chain ${chain}, whose feed ${feed} is a Chainlink feed updated by its oracles. ` +
      `A stale price there means the feed stopped updating: wait for it or configure a fallback feed (docs/operations.md)`
    );
  }
  if (!isMock) {
    return (
      `price:set sets the MockV3Aggregator that a local deployment uses as its ETH/USD feed; the adapter's primary ` +
      `feed ${feed} has other code: not set (deploy with \`npm run deploy -- --network localhost\`, or pass --adapter ` +
      `with an adapter that reads the mock)`
    );
  }
  return undefined;
}

export interface SetArgs extends DeploymentFlags {
  /** The new answer in USD per native token ("3000", "2999.5"); default: the feed's current answer. */
  answer?: string;
  from?: string;
  /** Leave the adapter's cached price as it is (default: refresh it from the new answer). */
  noRefresh?: boolean;
}

/** The result of `price:set`. */
export interface SetResult {
  feed: Address;
  decimals: number;
  previousAnswer: bigint;
  previousUpdatedAt: bigint;
  answer: bigint;
  updatedAt: bigint;
  txHash: Hex;
  /** The refresh of the adapter's cache that followed (undefined with --no-refresh). */
  refresh?: RefreshResult;
}

/** The mock ETH/USD feed behind the adapter of a local deployment, or a task error saying why it is not one. */
async function localMockFeed(hre: HardhatRuntimeEnvironment, args: DeploymentFlags) {
  const { address: adapter } = await adapterAddress(hre, args);
  const client = viemPublicClient(hre);
  const primary = await readContract(client, {
    address: adapter,
    abi: priceAdapterAbi,
    functionName: "primaryFeed",
  });
  const feed = primary.feed;
  const mock = await hre.artifacts.readArtifact("MockV3Aggregator");
  const code = await getCode(client, { address: feed });
  const refusal = mockFeedRefusal(
    hre.network.name,
    await chainId(hre),
    feed,
    code !== undefined && code.toLowerCase() === mock.deployedBytecode.toLowerCase(),
  );
  if (refusal !== undefined) throw taskError(refusal);
  return {
    adapter,
    feed,
    heartbeat: BigInt(primary.heartbeat),
    minAnswer: primary.minAnswer,
    maxAnswer: primary.maxAnswer,
  };
}

/**
 * Sets the local mock ETH/USD feed's answer with the chain's current time as its timestamp (the same answer when
 * `--answer` is not given: a fresh round), then refreshes the adapter's cached price from it.
 */
export async function priceSet(
  hre: HardhatRuntimeEnvironment,
  args: SetArgs,
  log: Log = print,
): Promise<SetResult> {
  const signer = await resolveAccount(hre, args.from);
  const { feed, minAnswer, maxAnswer } = await localMockFeed(hre, args);
  const client = viemPublicClient(hre);
  const decimals = await readContract(client, {
    address: feed,
    abi: MOCK_FEED_ABI,
    functionName: "decimals",
  });
  const [, previousAnswer, , previousUpdatedAt] = await readContract(client, {
    address: feed,
    abi: MOCK_FEED_ABI,
    functionName: "latestRoundData",
  });
  const usd = (answer: bigint): string => `$${formatUnits(answer, decimals)}`;
  const answer =
    args.answer === undefined ? previousAnswer : parseTokenAmount("answer", args.answer, decimals, "USD");
  if (answer < minAnswer || answer > maxAnswer) {
    throw taskError(
      `Invalid --answer "${args.answer}": the adapter accepts answers from ${usd(minAnswer)} to ${usd(maxAnswer)} ` +
        `(its minAnswer and maxAnswer); outside them every price read fails`,
    );
  }
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const receipt = await sendClientTx(
    hre,
    log,
    `Setting the mock ETH/USD feed to ${usd(answer)}`,
    publicClient,
    () =>
      wallet.writeContract({
        address: feed,
        abi: MOCK_FEED_ABI,
        functionName: "updateAnswer",
        args: [answer],
        chain: null,
      }),
  );
  const [, , , updatedAt] = await readContract(client, {
    address: feed,
    abi: MOCK_FEED_ABI,
    functionName: "latestRoundData",
  });
  log(
    `Mock feed ${feed}: ${usd(answer)} at ${formatTime(updatedAt)} (was ${usd(previousAnswer)} at ` +
      `${formatTime(previousUpdatedAt)}).`,
  );
  const result: SetResult = {
    feed,
    decimals,
    previousAnswer,
    previousUpdatedAt,
    answer,
    updatedAt,
    txHash: receipt.transactionHash,
  };
  if (args.noRefresh !== true) result.refresh = await priceRefresh(hre, { ...args, from: args.from }, log);
  return result;
}

withFrom(
  withAddressFlags(
    task(
      "price:set",
      "Local chains: sets the mock ETH/USD feed's answer with a fresh timestamp, and refreshes the cached price",
    )
      .addOptionalParam(
        "answer",
        'USD per native token, such as "3000" (default: the feed\'s current answer)',
      )
      .addFlag("noRefresh", "Leave the adapter's cached price as it is"),
    ["adapter"],
  ),
).setAction((args: SetArgs, hre) => priceSet(hre, args));

export interface KeepArgs extends DeploymentFlags {
  interval?: string;
  /** Stop after this many rounds (default: run until interrupted). */
  rounds?: string;
  from?: string;
}

/** How often `price:keep` renews the mock feed by default: well inside the local heartbeat and maxPriceAge (1 h). */
export const DEFAULT_KEEP_INTERVAL = "10m";

/**
 * A dev price keeper for a local chain: renews the mock feed's answer (same value, fresh timestamp) and the
 * adapter's cached price every `--interval`, so that purchases, `price:refresh` and the paymaster keep working on a
 * node left running for hours. Stops after `--rounds`, or when interrupted (Ctrl-C).
 */
export async function priceKeep(
  hre: HardhatRuntimeEnvironment,
  args: KeepArgs,
  log: Log = print,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<SetResult[]> {
  const interval = parseDuration("interval", args.interval ?? DEFAULT_KEEP_INTERVAL);
  const rounds =
    args.rounds === undefined ? undefined : Number(parseInteger("rounds", args.rounds, 1n, 1_000_000n));
  const { heartbeat } = await localMockFeed(hre, args);
  if (interval >= heartbeat) {
    throw taskError(
      `Invalid --interval "${args.interval}": the feed goes stale after the adapter's heartbeat of ` +
        `${formatDuration(heartbeat)}; renew it more often than that (default ${DEFAULT_KEEP_INTERVAL})`,
    );
  }
  log(
    `Keeping the local mock ETH/USD feed fresh every ${formatDuration(interval)}` +
      `${rounds === undefined ? " (Ctrl-C stops)" : ` for ${rounds} round(s)`}.`,
  );
  const results: SetResult[] = [];
  for (let round = 1; rounds === undefined || round <= rounds; round++) {
    if (round > 1) await sleep(Number(interval) * 1000);
    results.push(await priceSet(hre, { ...args }, log));
  }
  return results;
}

withFrom(
  withAddressFlags(
    task(
      "price:keep",
      "Local chains: keeps the mock ETH/USD feed and the cached price fresh (a dev price keeper)",
    )
      .addOptionalParam("interval", `How often to renew: ${FORMS.duration}`, DEFAULT_KEEP_INTERVAL)
      .addOptionalParam("rounds", "Stop after this many renewals (default: run until interrupted)"),
    ["adapter"],
  ),
).setAction((args: KeepArgs, hre) => priceKeep(hre, args));
