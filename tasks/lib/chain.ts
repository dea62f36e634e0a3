import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { createPublicClient, createWalletClient, custom, getAddress, isAddress } from "viem";
import type { Address, Hash, PublicClient, TransactionReceipt } from "viem";
import { getBalance, getBlock, getChainId, waitForTransactionReceipt } from "viem/actions";

import type { CreditWallet } from "../../src/client";

import { argumentError, taskError } from "./errors";
import { explained } from "./revert";

/** Where the tasks print: one readable line at a time (console.log by default). */
export type Log = (line: string) => void;

/** Prints to stdout. */
export const print: Log = (line) => console.log(line);

/** Compiles once when the artifacts the tasks read are missing (fresh checkout). */
export async function ensureCompiled(hre: HardhatRuntimeEnvironment): Promise<void> {
  if (!(await hre.artifacts.artifactExists("CreditLedger"))) {
    await hre.run("compile", { quiet: true });
  }
}

/** The chain id of the connected network. */
export async function chainId(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  return BigInt(await getChainId(viemPublicClient(hre)));
}

/** The latest block's timestamp (the chain's notion of now, which a local chain may move). */
export async function chainTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const block = await getBlock(viemPublicClient(hre), { blockTag: "latest" });
  return block.timestamp;
}

/** A task's sending account: an address the network's provider signs for. */
export interface TaskAccount {
  address: Address;
}

/**
 * The account of a task: `--from` (an address, or an index into the network's accounts as `eth_accounts` lists
 * them), else the first account.
 */
export async function resolveAccount(hre: HardhatRuntimeEnvironment, from?: string): Promise<TaskAccount> {
  const accounts = ((await hre.network.provider.request({ method: "eth_accounts" })) as string[]).map(
    (a) => getAddress(a) as Address,
  );
  const network = hre.network.name;
  if (accounts.length === 0) {
    throw taskError(`network "${network}" has no accounts: configure its accounts in hardhat.config.ts`);
  }
  if (from === undefined) return { address: accounts[0] };
  const trimmed = from.trim();
  if (/^\d+$/.test(trimmed)) {
    const index = Number(trimmed);
    if (index >= accounts.length) {
      throw argumentError(
        "from",
        from,
        `expected an account index from 0 to ${accounts.length - 1} (network "${network}" has ` +
          `${accounts.length} accounts) or an account address`,
      );
    }
    return { address: accounts[index] };
  }
  if (!isAddress(trimmed)) {
    throw argumentError("from", from, "expected an account address or an index into the network's accounts");
  }
  const address = getAddress(trimmed) as Address;
  if (!accounts.includes(address)) {
    throw argumentError(
      "from",
      from,
      `not one of the ${accounts.length} accounts of network "${network}" (configure its key in hardhat.config.ts)`,
    );
  }
  return { address };
}

/** Checks that `signer` can pay `value` plus gas; fails with the shortfall. */
export async function requireFunds(
  hre: HardhatRuntimeEnvironment,
  signer: { address: string },
  value: bigint,
  what: string,
  format: (wei: bigint) => string,
): Promise<void> {
  const balance = await getBalance(viemPublicClient(hre), { address: signer.address as Address });
  if (balance < value) {
    throw taskError(
      `${signer.address} has ${format(balance)} ETH, less than the ${format(value)} ETH ${what} (plus gas)`,
    );
  }
}

/** Prints aligned `label  value` lines under a title. */
export function printTable(log: Log, title: string, rows: readonly (readonly [string, string])[]): void {
  log(title);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) log(`  ${label.padEnd(width)}  ${value}`);
}

/** A viem public client over the network's provider. */
export function viemPublicClient(hre: HardhatRuntimeEnvironment): PublicClient {
  return createPublicClient({ transport: custom(hre.network.provider) });
}

/** viem clients over the network's provider; the wallet's account is `account` (the node or Hardhat signs). */
export function viemClients(
  hre: HardhatRuntimeEnvironment,
  account: string,
): { publicClient: PublicClient; wallet: CreditWallet } {
  const transport = custom(hre.network.provider);
  return {
    publicClient: createPublicClient({ transport }),
    wallet: createWalletClient({ account: getAddress(account) as Address, transport }),
  };
}

/**
 * Sends a transaction through the client's write path (src/client) with progress lines (`<label>: sending…`,
 * `sent <hash>…`, `mined in block <n>`); a revert, at simulation or once mined, becomes a task error naming the
 * decoded custom error.
 */
export async function sendClientTx(
  hre: HardhatRuntimeEnvironment,
  log: Log,
  label: string,
  publicClient: PublicClient,
  send: () => Promise<Hash>,
): Promise<TransactionReceipt> {
  log(`${label}: sending…`);
  const hash = await explained(hre, label, send);
  log(`${label}: sent ${hash}, waiting to be mined…`);
  const receipt = await explained(hre, label, () =>
    waitForTransactionReceipt(publicClient, { hash, pollingInterval: 50 }),
  );
  if (receipt.status !== "success") throw taskError(`${label}: transaction ${hash} reverted`);
  log(`${label}: mined in block ${receipt.blockNumber} (gas used ${receipt.gasUsed})`);
  return receipt;
}
