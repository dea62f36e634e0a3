import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits } from "viem";

import { refreshPrice, refreshedPrice } from "../src/client";
import { formatDuration, formatTime } from "../src/client/format";
import { FORMS, parseDuration } from "./lib/args";
import { chainTime, print, resolveAccount, sendClientTx, viemClients } from "./lib/chain";
import type { Log } from "./lib/chain";
import { adapterAddress, readCachedPriceAt } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
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
