/**
 * What the indexer indexes: one deployment of the system on one chain. The launcher (scripts/indexer.ts) finds it
 * (Ignition deployment, Hardhat network) and passes it to Ponder as JSON in {@link INDEXER_DEPLOYMENT_ENV}; the
 * config (ponder.config.ts), the indexing functions and the API read it with {@link indexerDeployment}.
 */
import { getAddress, zeroAddress } from "viem";
import type { Address } from "viem";
import { z } from "zod";

/** The environment variable carrying the deployment (JSON). */
export const INDEXER_DEPLOYMENT_ENV = "CREDITS_INDEXER_DEPLOYMENT";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .transform((a) => getAddress(a));

const schema = z.object({
  deploymentId: z.string(),
  chainId: z.number().int().positive(),
  rpcUrl: z.string().min(1),
  /** First block of the deployment (its first Ignition transaction). */
  startBlock: z.number().int().nonnegative(),
  explorer: z.string().nullable(),
  ledger: address,
  adapter: address,
  governor: address.nullable(),
  timelock: address.nullable(),
  paymasters: z.array(z.object({ address, entryPoint: address, version: z.enum(["0.7", "0.8"]) })).min(1),
  /** Polling interval of the RPC (ms); small on a local node. */
  pollingInterval: z.number().int().positive().optional(),
});

export type IndexerDeployment = z.infer<typeof schema>;

/** Parses the deployment JSON; the message says what is wrong and that the launcher sets it. */
export function parseIndexerDeployment(json: string | undefined): IndexerDeployment {
  if (json === undefined || json === "") {
    throw new Error(
      `${INDEXER_DEPLOYMENT_ENV} is not set: start the indexer with \`npm run indexer -- --network <name>\``,
    );
  }
  const parsed = schema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    throw new Error(`${INDEXER_DEPLOYMENT_ENV} is not a valid deployment: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** The deployment this process indexes (from the environment). */
export function indexerDeployment(): IndexerDeployment {
  return parseIndexerDeployment(process.env[INDEXER_DEPLOYMENT_ENV]);
}

/** A placeholder address for an absent governor: the zero address emits no log, so nothing is indexed. */
export function orNone(a: Address | null): Address {
  return a ?? zeroAddress;
}
