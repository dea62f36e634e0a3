/**
 * The usage indexer from Hardhat: `indexer` starts it (Ponder, `indexer/`) on the network's Ignition deployment,
 * `credits:usage` prints its figures (totals, a sponsor's, a user's, the DAO's) by calling its API.
 */
import { rmSync } from "node:fs";
import path from "node:path";

import { task, types } from "hardhat/config";
import { formatUnits } from "viem";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import type { ApiDao, ApiSponsor, ApiSponsors, ApiStatus, ApiTotals, ApiUser } from "../indexer/api-types";
import {
  DEFAULT_INDEXER_PORT,
  INDEXER_ROOT,
  IndexerSetupError,
  resolveIndexerDeployment,
  startPonder,
} from "../scripts/lib/indexer-process";
import { LOCAL_NETWORKS, liveNetwork } from "../scripts/lib/networks";
import {
  defaultDeploymentId,
  deploymentsOnChain,
  deploymentsRoot,
  displayPath,
  findDeploymentDir,
} from "../src/deployment";
import { checkPort, parseAddress } from "./lib/args";
import { print, printTable } from "./lib/chain";
import { ignitionDir } from "./lib/deployment";
import { argumentError, taskError } from "./lib/errors";

/** The node's URL of the selected network (localhost honours LOCALHOST_RPC_URL through hardhat.config.ts). */
function networkUrl(hre: HardhatRuntimeEnvironment): string {
  const config = hre.network.config as { url?: string };
  if (config.url === undefined) {
    throw taskError(
      `The indexer reads a node over HTTP; "${hre.network.name}" is Hardhat's in-process network. Start ` +
        "`npx hardhat node` and pass --network localhost (or a live network)",
    );
  }
  return config.url;
}

/** The deployment directory: --deployment, else chain-<id>, else the only deployment of the chain. */
async function indexedDeploymentDir(
  hre: HardhatRuntimeEnvironment,
  given: string | undefined,
): Promise<string> {
  const ignition = ignitionDir(hre);
  if (given !== undefined) {
    const dir = findDeploymentDir(ignition, given);
    if (dir === undefined) {
      throw taskError(
        `Invalid --deployment "${given}": no such directory nor deployment id under ` +
          `${displayPath(deploymentsRoot(ignition))}`,
      );
    }
    return dir;
  }
  const configured = (hre.network.config as { chainId?: number }).chainId;
  const chainId = configured ?? (hre.network.name === "localhost" ? 31337 : undefined);
  if (chainId === undefined) return path.join(deploymentsRoot(ignition), "chain-unknown");
  const ids = deploymentsOnChain(ignition, chainId);
  const byDefault = defaultDeploymentId(chainId);
  if (ids.includes(byDefault)) return path.join(deploymentsRoot(ignition), byDefault);
  if (ids.length === 1) return path.join(deploymentsRoot(ignition), ids[0]);
  throw taskError(
    ids.length === 0
      ? `No Ignition deployment of chain ${chainId} under ${displayPath(deploymentsRoot(ignition))}: deploy first ` +
          "(`npm run deploy`, or `npm run demo -- --network localhost`)"
      : `Several deployments of chain ${chainId} (${ids.join(", ")}): pass --deployment <id>`,
  );
}

interface IndexerArgs {
  deployment?: string;
  port: number;
  pgliteDir?: string;
  dbSchema: string;
  serve: boolean;
}

task("indexer", "Start the usage indexer (Ponder) and its API on the network's Ignition deployment")
  .addOptionalParam(
    "deployment",
    "Ignition deployment directory or id (default: chain-<chainId>, or the chain's only one)",
  )
  .addOptionalParam("port", "Port of the API", DEFAULT_INDEXER_PORT, types.int)
  .addOptionalParam(
    "pgliteDir",
    "PGlite directory (default: indexer/.ponder/pglite-<chainId>-<deployment>, emptied first on a local chain; ignored with DATABASE_URL)",
  )
  .addOptionalParam("dbSchema", "Database schema (PostgreSQL; one schema per deployment)", "public")
  .addFlag(
    "serve",
    "Only serve the API of a PostgreSQL database another `npm run indexer` fills (DATABASE_URL)",
  )
  .setAction(async (args: IndexerArgs, hre) => {
    checkPort(args.port);
    if (args.serve && (process.env.DATABASE_URL ?? "") === "") {
      throw taskError("--serve reads a PostgreSQL database another indexer fills: set DATABASE_URL");
    }
    const rpcUrl = networkUrl(hre);
    const dir = await indexedDeploymentDir(hre, args.deployment);
    const live = liveNetwork(hre.network.name);
    let deployment;
    try {
      deployment = await resolveIndexerDeployment({
        deploymentDir: dir,
        rpcUrl,
        explorer: live?.explorer ?? null,
        pollingInterval: LOCAL_NETWORKS.includes(hre.network.name) ? 500 : undefined,
      });
    } catch (e) {
      if (e instanceof IndexerSetupError) throw taskError(e.message);
      throw e;
    }
    // PGlite: one directory per chain and deployment. A local chain restarts from nothing with its node, so its
    // directory is emptied (re-indexing a local chain takes seconds); a live network's index resumes.
    let pgliteDir = args.pgliteDir;
    if (pgliteDir === undefined && (process.env.DATABASE_URL ?? "") === "") {
      pgliteDir = path.join(
        INDEXER_ROOT,
        ".ponder",
        `pglite-${deployment.chainId}-${deployment.deploymentId}`,
      );
      if (LOCAL_NETWORKS.includes(hre.network.name)) rmSync(pgliteDir, { recursive: true, force: true });
    }
    print(
      `Indexing deployment "${deployment.deploymentId}" on chain ${deployment.chainId} from block ` +
        `${deployment.startBlock}; API at http://127.0.0.1:${args.port}/api/status`,
    );
    const ponder = await startPonder(deployment, {
      command: args.serve ? "serve" : "start",
      port: args.port,
      pgliteDir,
      dbSchema: args.dbSchema,
      inherit: true,
    });
    const stop = () => void ponder.process.kill("SIGTERM");
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const code = await new Promise<number | null>((resolve) => ponder.process.once("close", resolve));
    if (code !== 0 && code !== null) throw taskError(`ponder exited with code ${code}`);
  });

// ------------------------------------------------------------------ credits:usage

interface UsageArgs {
  indexerUrl: string;
  sponsor?: string;
  user?: string;
  dao: boolean;
  json: boolean;
}

async function getJson<T>(base: string, route: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base.replace(/\/$/, "")}${route}`);
  } catch {
    throw taskError(
      `Cannot reach the indexer at ${base}: start it with \`npm run indexer -- --network <name>\`, or pass ` +
        "--indexer-url",
    );
  }
  const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
  if (!response.ok)
    throw taskError(`The indexer answered ${response.status} for ${route}: ${body?.error ?? ""}`);
  if (typeof body !== "object" || body === null) {
    throw taskError(
      `${base} answered ${route} without a JSON object: it is not the indexer's API (pass --indexer-url ` +
        `http://<host>:<port> of \`npm run indexer\`)`,
    );
  }
  return body as T;
}

const amount = (base: string) => `${formatUnits(BigInt(base), 6)} credits`;
const credits = (base: string, usdValue: string) => `${amount(base)} ($${usdValue})`;

task(
  "credits:usage",
  "Print usage figures from the indexer's API: totals, a sponsor's, a user's or the DAO's",
)
  .addOptionalParam("indexerUrl", "The indexer's API", `http://127.0.0.1:${DEFAULT_INDEXER_PORT}`)
  .addOptionalParam("sponsor", "A sponsor's spending per day, policies, allowances, top users and operations")
  .addOptionalParam("user", "A user's balance by source, grants with expiry and operations")
  .addFlag("dao", "Budgets granted vs spent, issuer caps left, grants expiring soon, proposals")
  .addFlag("json", "Print the API's JSON")
  .setAction(async (args: UsageArgs) => {
    const base = args.indexerUrl;
    // Every flag is checked before the first request: a bad value is named even when no indexer answers.
    const sponsorAddress = args.sponsor === undefined ? undefined : parseAddress("sponsor", args.sponsor);
    const userAddress = args.user === undefined ? undefined : parseAddress("user", args.user);
    let protocol: string | undefined;
    try {
      protocol = new URL(base).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== "http:" && protocol !== "https:") {
      throw argumentError(
        "indexer-url",
        base,
        `expected the indexer's http(s) URL, such as http://127.0.0.1:${DEFAULT_INDEXER_PORT}`,
      );
    }
    const status = await getJson<ApiStatus>(base, "/api/status");
    if (typeof status.chainId !== "number" || typeof status.deploymentId !== "string") {
      throw taskError(
        `${base}/api/status is not the indexer's status (no chainId and deploymentId): pass --indexer-url ` +
          "http://<host>:<port> of `npm run indexer`",
      );
    }
    const out: Record<string, unknown> = { status };
    out.totals = await getJson<ApiTotals>(base, "/api/totals");
    if (args.sponsor !== undefined) {
      out.sponsor = await getJson<ApiSponsor>(base, `/api/sponsors/${sponsorAddress}`);
    }
    if (args.user !== undefined) {
      out.user = await getJson<ApiUser>(base, `/api/users/${userAddress}`);
    }
    if (args.dao) out.dao = await getJson<ApiDao>(base, "/api/dao");
    if (args.sponsor === undefined && args.user === undefined && !args.dao) {
      out.sponsors = await getJson<ApiSponsors>(base, "/api/sponsors");
    }
    if (args.json) {
      print(JSON.stringify(out, null, 2));
      return out;
    }
    const t = out.totals as ApiTotals;
    printTable(
      print,
      `Chain ${status.chainId}, deployment "${status.deploymentId}", block ${status.indexedBlock?.number ?? "none"}`,
      [
        ["issued", credits(t.totalIssued, t.usdIssued)],
        ["burned", credits(t.totalBurned, t.usdBurned)],
        ["expired", amount(t.totalExpired)],
        ["revoked", amount(t.totalRevoked)],
        ["operations", String(t.operations)],
      ],
    );
    if (out.sponsors !== undefined) {
      for (const s of (out.sponsors as ApiSponsors).sponsors) {
        print(`  sponsor ${s.address}: ${credits(s.credits, s.usd)}, ${s.operations} operations`);
      }
    }
    const sponsor = out.sponsor as ApiSponsor | undefined;
    if (sponsor !== undefined) {
      print(
        `\nSponsor ${sponsor.address}: ${credits(sponsor.totals.credits, sponsor.totals.usd)}, ${sponsor.totals.operations} operations`,
      );
      for (const d of sponsor.spendByDay)
        print(`  ${d.day}  ${credits(d.credits, d.usd)}  ${d.operations} ops  ${d.wei} wei`);
      for (const p of sponsor.policies) {
        print(
          `  policy ${p.policyId} (${p.status}): used ${amount(p.usedThisEpoch)} this epoch, left ${p.left === null ? "no limit" : amount(p.left)}`,
        );
      }
      for (const a of sponsor.allowances)
        print(`  allowance to ${a.beneficiary}: used ${amount(a.used)}, left ${amount(a.left)}`);
      for (const u of sponsor.topUsers)
        print(`  top user ${u.address}: ${credits(u.credits, u.usd)}, ${u.operations} ops`);
      for (const u of sponsor.topTargets)
        print(`  top target ${u.address}: ${credits(u.credits, u.usd)}, ${u.operations} ops`);
      for (const o of sponsor.lastOperations) {
        print(
          `  op ${o.userOpHash.slice(0, 10)}… ${o.mode} ${credits(o.credits, o.usd)} gas ${o.gasUsed ?? "?"} by ${o.sender}`,
        );
      }
    }
    const user = out.user as ApiUser | undefined;
    if (user !== undefined) {
      const b = user.balance;
      print(
        `\nUser ${user.address}: purchased ${amount(b.purchased)}, granted ${amount(b.granted)}, expired unswept ${amount(b.expiredUnswept)}`,
      );
      for (const g of b.buckets)
        print(
          `  grant bucket ${amount(g.amount)} expiring ${new Date(g.expiresAt * 1000).toISOString()}${g.expired ? " (expired)" : ""}`,
        );
      for (const o of user.operations)
        print(`  op ${o.userOpHash.slice(0, 10)}… ${o.mode} ${credits(o.credits, o.usd)}`);
    }
    const dao = out.dao as ApiDao | undefined;
    if (dao !== undefined) {
      print("\nDAO");
      for (const b of dao.budgets)
        print(
          `  budget ${b.sponsor}: granted ${amount(b.granted)}, spent ${amount(b.spent)}, left ${amount(b.left)}`,
        );
      for (const c of dao.issuerCaps)
        print(`  issuer ${c.issuer}: cap ${amount(c.capPerEpoch)}, left ${amount(c.left)} this epoch`);
      for (const e of dao.expiringSoon)
        print(
          `  expiring ${e.account}: ${amount(e.amount)} at ${new Date(e.expiresAt * 1000).toISOString()}`,
        );
      for (const p of dao.proposals)
        print(`  proposal ${p.proposalId.slice(0, 12)}… ${p.state}: ${p.description}`);
    }
    return out;
  });
