/**
 * Ponder configuration of the usage indexer: the contracts of one deployment (see deployment.ts), from its first
 * block. Embedded PGlite by default (directory PONDER_PGLITE_DIR, else indexer/.ponder/pglite); PostgreSQL when
 * DATABASE_URL is set.
 */
import { createConfig } from "ponder";
import { entryPoint08Abi } from "viem/account-abstraction";

import { creditLedgerAbi, creditPaymasterAbi, creditsGovernorAbi, priceAdapterAbi } from "../src/client/abi";
import { indexerDeployment, orNone } from "./deployment";

const d = indexerDeployment();
const paymasters = d.paymasters.map((p) => p.address);
const entryPoints = [...new Set(d.paymasters.map((p) => p.entryPoint))];

export default createConfig({
  database:
    process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ""
      ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
      : { kind: "pglite", directory: process.env.PONDER_PGLITE_DIR },
  chains: {
    chain: {
      id: d.chainId,
      rpc: d.rpcUrl,
      pollingInterval: d.pollingInterval,
      disableCache: d.chainId === 31337,
    },
  },
  contracts: {
    CreditLedger: { chain: "chain", abi: creditLedgerAbi, address: d.ledger, startBlock: d.startBlock },
    PriceAdapter: { chain: "chain", abi: priceAdapterAbi, address: d.adapter, startBlock: d.startBlock },
    CreditPaymaster: {
      chain: "chain",
      abi: creditPaymasterAbi,
      address: paymasters,
      startBlock: d.startBlock,
    },
    EntryPoint: {
      chain: "chain",
      abi: entryPoint08Abi,
      address: entryPoints,
      startBlock: d.startBlock,
      filter: { event: "UserOperationEvent", args: { paymaster: paymasters } },
    },
    CreditsGovernor: {
      chain: "chain",
      abi: creditsGovernorAbi,
      address: orNone(d.governor),
      startBlock: d.startBlock,
    },
  },
});
