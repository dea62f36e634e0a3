/**
 * The paymaster service's local price keeper, set up by the CLI on a local chain (31337) with nothing to configure:
 * a node account sends the renewals (src/service/service.ts, `localPriceKeeper`). On any other chain: none, and no
 * RPC call is made.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { createWalletClient } from "viem";
import type { Hex, Transport } from "viem";
import { getAddresses } from "viem/actions";

import { LOCAL_CHAIN_ID } from "../client/localFeed";
import type { LocalPriceKeeper } from "./service";

/** Where Hardhat writes `MockV3Aggregator`'s artifact, relative to the repository root. */
export const MOCK_FEED_ARTIFACT = path.join(
  "artifacts",
  "@chainlink",
  "contracts",
  "src",
  "v0.8",
  "tests",
  "MockV3Aggregator.sol",
  "MockV3Aggregator.json",
);

/**
 * The keeper for chain `chainId`: on chain 31337, the node's first account (`eth_accounts`) and the mock's runtime
 * code from the compiled artifact under `root`; otherwise undefined. `problem` says why a local chain has none.
 */
export async function localPriceKeeperFor(args: {
  chainId: number;
  transport: Transport;
  root?: string;
}): Promise<{ keeper?: LocalPriceKeeper; problem?: string }> {
  if (args.chainId !== LOCAL_CHAIN_ID) return {};
  const file = path.join(args.root ?? process.cwd(), MOCK_FEED_ARTIFACT);
  let mockCode: Hex;
  try {
    mockCode = (JSON.parse(await readFile(file, "utf8")) as { deployedBytecode: Hex }).deployedBytecode;
  } catch {
    return {
      problem:
        `no local price keeper: cannot read ${file} (run \`npx hardhat compile\`); the mock ETH/USD feed goes stale ` +
        "after its heartbeat (`npx hardhat price:keep --network localhost` keeps it fresh)",
    };
  }
  const [account] = await getAddresses(createWalletClient({ transport: args.transport }));
  if (account === undefined) {
    return {
      problem:
        "no local price keeper: the node has no unlocked account (eth_accounts is empty); the mock ETH/USD feed goes " +
        "stale after its heartbeat (`npx hardhat price:keep --network localhost` keeps it fresh)",
    };
  }
  return { keeper: { wallet: createWalletClient({ account, transport: args.transport }), mockCode } };
}
