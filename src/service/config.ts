/**
 * Configuration of the paymaster service from command-line flags and environment variables (flags win), each
 * value validated with zod; the deployment it may name is read by src/deployment.ts.
 * See `npm run paymaster-service -- --help` and docs/client.md.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { getAddress, isAddress, isHex } from "viem";
import type { Address, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";

import {
  DEPLOYED_ADDRESSES_FILE,
  deploymentKeySuffix,
  deploymentsRoot,
  displayPath,
  findAddress,
  deploymentChainId,
  findDeploymentDir,
  listDeployments,
  readDeployedAddresses,
  requireAddressBySuffix,
} from "../deployment";
import { loadPolicyFiles } from "./policyFile";
import type { PolicySet } from "./policyFile";

/**
 * The environment variable holding the policy signer's private key (no flag on purpose: a flag would show the key
 * in the process list and the shell history).
 */
export const POLICY_SIGNER_KEY_ENV = "PAYMASTER_SERVICE_POLICY_SIGNER_KEY";

/** Settings of the service process. */
export interface ServiceSettings {
  rpcUrl: string;
  chainId: number;
  paymasters: Address[];
  ledger?: Address;
  /** The Ignition deployment directory the addresses came from (`--deployment`), as logged at startup. */
  deployment?: string;
  port: number;
  host: string;
  validityMargin: bigint;
  simulate: boolean;
  sponsorName?: string;
  /** The sponsors' policies served (`--policies`). */
  policies?: PolicySet;
  /** The policy signer (from {@link POLICY_SIGNER_KEY_ENV}). */
  policySigner?: LocalAccount;
  /** Seconds an approval stays valid (`--approval-validity`). */
  approvalValidity: bigint;
}

/** Flags, their environment variables and meaning (printed by `--help`). */
export const SERVICE_OPTIONS = {
  "rpc-url": { env: "PAYMASTER_SERVICE_RPC_URL", help: "JSON-RPC URL of the chain (required)" },
  "chain-id": { env: "PAYMASTER_SERVICE_CHAIN_ID", help: "chain id served; must match the RPC (required)" },
  "paymaster-v07": { env: "PAYMASTER_SERVICE_PAYMASTER_V07", help: "credit paymaster of EntryPoint v0.7" },
  "paymaster-v08": { env: "PAYMASTER_SERVICE_PAYMASTER_V08", help: "credit paymaster of EntryPoint v0.8" },
  ledger: {
    env: "PAYMASTER_SERVICE_LEDGER",
    help: "credit ledger, checked against each paymaster's ledger()",
  },
  deployment: {
    env: "PAYMASTER_SERVICE_DEPLOYMENT",
    help: "an Ignition deployment (directory, its deployed_addresses.json, or an id under ./ignition/deployments): paymasters and ledger from its #CreditPaymasterV07, #CreditPaymasterV08 and #CreditLedger keys",
  },
  port: { env: "PAYMASTER_SERVICE_PORT", help: "TCP port (default 3000; 0 = any free port)" },
  host: { env: "PAYMASTER_SERVICE_HOST", help: "interface to listen on (default 127.0.0.1)" },
  "validity-margin": {
    env: "PAYMASTER_SERVICE_VALIDITY_MARGIN",
    help: "seconds the cached price must stay valid ahead of the latest block (default 30)",
  },
  simulate: {
    env: "PAYMASTER_SERVICE_SIMULATE",
    help: "simulate the paymaster's validation before pm_getPaymasterData answers: true (default) or false",
  },
  "sponsor-name": {
    env: "PAYMASTER_SERVICE_SPONSOR_NAME",
    help: "sponsor name returned to wallets (optional)",
  },
  policies: {
    env: "PAYMASTER_SERVICE_POLICIES",
    help: `sponsors' policy files (YAML or JSON), comma-separated; the signer's key comes from ${POLICY_SIGNER_KEY_ENV} only`,
  },
  "approval-validity": {
    env: "PAYMASTER_SERVICE_APPROVAL_VALIDITY",
    help: "seconds a signed policy approval stays valid (default 600)",
  },
} as const;

type OptionName = keyof typeof SERVICE_OPTIONS;

/** Usage text. */
export function usage(): string {
  const lines = Object.entries(SERVICE_OPTIONS).map(
    ([name, o]) => `  --${name.padEnd(16)} ${o.env.padEnd(34)} ${o.help}`,
  );
  return [
    "Usage: npm run paymaster-service -- [flags]   (each flag can also be set by its environment variable)",
    "",
    ...lines,
    "  --help",
  ].join("\n");
}

/** The value of flag `name` parsed by `schema`; a failure reads `--<name>: <the schema's message>`. */
function valueOf<T>(name: string, schema: z.ZodType<T, z.ZodTypeDef, string>, value: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`--${name}: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

const addressSchema = z
  .string()
  .refine(
    (value) => isAddress(value, { strict: false }),
    (value) => ({ message: `not an address: ${value}` }),
  )
  .transform((value) => getAddress(value));

function integerSchema(min: number, max: number) {
  return z
    .string()
    .refine(
      (value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max,
      (value) => ({ message: `expected an integer in [${min}, ${max}], got ${value}` }),
    )
    .transform(Number);
}

const booleanSchema = z.enum(["true", "false"], {
  errorMap: (_issue, ctx) => ({ message: `expected true or false, got ${String(ctx.data)}` }),
});

function addressOf(name: string, value: string): Address {
  return valueOf(name, addressSchema, value);
}

function integer(name: string, value: string, min: number, max: number): number {
  return valueOf(name, integerSchema(min, max), value);
}

/**
 * The paymasters and ledger of an Ignition deployment, by their key suffixes: `given` is a deployment directory,
 * its `deployed_addresses.json`, or a deployment id under `./ignition/deployments`.
 */
function fromDeployment(given: string): {
  paymasters: Address[];
  ledger?: Address;
  dir: string;
  chainId: number | undefined;
} {
  const ignition = path.resolve("ignition");
  const dir = findDeploymentDir(ignition, given);
  const addresses = dir === undefined ? undefined : readDeployedAddresses(dir);
  if (dir === undefined || addresses === undefined) {
    const ids = listDeployments(ignition).map(
      (d) => `${d.id}${d.chainId === undefined ? "" : ` (chain ${d.chainId})`}`,
    );
    throw new Error(
      `--deployment: ${given} is neither an Ignition deployment directory (containing ${DEPLOYED_ADDRESSES_FILE}), ` +
        `its ${DEPLOYED_ADDRESSES_FILE}, nor a deployment id under ${displayPath(deploymentsRoot(ignition))}` +
        (ids.length === 0 ? "" : `; deployments there: ${ids.join(", ")}`),
    );
  }
  const where = displayPath(path.join(dir, DEPLOYED_ADDRESSES_FILE));
  const find = (suffix: string): Address | undefined => {
    const found = findAddress(addresses, suffix);
    if (found.status === "found") return found.address;
    if (found.status === "missing") return undefined;
    return requireAddressBySuffix(addresses, suffix, `--deployment: ${where}`);
  };
  const paymasters = (["0.7", "0.8"] as const)
    .map((version) => find(deploymentKeySuffix("paymaster", version)))
    .filter((a): a is Address => a !== undefined);
  const ledger = find(deploymentKeySuffix("ledger"));
  const origin = { dir: displayPath(dir), chainId: deploymentChainId(dir) };
  return ledger === undefined ? { paymasters, ...origin } : { paymasters, ledger, ...origin };
}

/**
 * Parses flags (`argv`, without node and script) over environment variables (`env`).
 * @returns the settings, or `"help"` when `--help` was given.
 * @throws with a readable message on a missing or invalid setting.
 */
/** An http(s) URL (the service's viem transport is HTTP). */
function isRpcUrl(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export function parseServiceSettings(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ServiceSettings | "help" {
  const options = Object.fromEntries(
    Object.keys(SERVICE_OPTIONS).map((name) => [name, { type: "string" as const }]),
  ) as Record<OptionName, { type: "string" }>;
  const { values } = parseArgs({
    args: [...argv],
    options: { ...options, help: { type: "boolean" } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return "help";
  const get = (name: OptionName): string | undefined => {
    const flag = values[name];
    const value = typeof flag === "string" ? flag : env[SERVICE_OPTIONS[name].env];
    return value === undefined || value === "" ? undefined : value;
  };
  const required = (name: OptionName): string => {
    const value = get(name);
    if (value === undefined) throw new Error(`--${name} (or ${SERVICE_OPTIONS[name].env}) is required`);
    return value;
  };

  // Every missing setting at once (one at a time below when only one is missing, with its own message).
  const missing = [
    ...(["rpc-url", "chain-id"] as const)
      .filter((name) => get(name) === undefined)
      .map((name) => `--${name} (or ${SERVICE_OPTIONS[name].env})`),
    ...((["deployment", "paymaster-v07", "paymaster-v08"] as const).every((name) => get(name) === undefined)
      ? ["a paymaster (--paymaster-v07 and/or --paymaster-v08, or --deployment)"]
      : []),
  ];
  if (missing.length > 1) throw new Error(`missing settings, all required: ${missing.join("; ")}`);

  const deploymentFlag = get("deployment");
  const deployment = deploymentFlag === undefined ? undefined : fromDeployment(deploymentFlag);
  const paymasters = [...(deployment?.paymasters ?? [])];
  for (const name of ["paymaster-v07", "paymaster-v08"] as const) {
    const value = get(name);
    if (value !== undefined) paymasters.push(addressOf(name, value));
  }
  if (paymasters.length === 0) {
    throw new Error("no paymaster: give --paymaster-v07 and/or --paymaster-v08, or --deployment");
  }
  const ledgerFlag = get("ledger");
  const ledger = ledgerFlag === undefined ? deployment?.ledger : addressOf("ledger", ledgerFlag);
  const simulate = valueOf("simulate", booleanSchema, get("simulate") ?? "true");
  const sponsorName = get("sponsor-name");
  const rpcUrl = required("rpc-url");
  const chainId = integer("chain-id", required("chain-id"), 1, Number.MAX_SAFE_INTEGER);
  if (deployment?.chainId !== undefined && deployment.chainId !== chainId) {
    throw new Error(
      `--deployment: ${deployment.dir} is a deployment of chain ${deployment.chainId}, not of --chain-id ${chainId}`,
    );
  }
  const policyFiles = get("policies")
    ?.split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
  let policies: PolicySet | undefined;
  if (policyFiles !== undefined && policyFiles.length > 0) {
    try {
      policies = loadPolicyFiles(policyFiles);
    } catch (error) {
      throw new Error(`--policies: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  const key = env[POLICY_SIGNER_KEY_ENV];
  let policySigner: LocalAccount | undefined;
  if (key !== undefined && key !== "") {
    const hex = key.startsWith("0x") ? key : `0x${key}`;
    if (!isHex(hex) || hex.length !== 66) {
      throw new Error(`${POLICY_SIGNER_KEY_ENV} must be a 32-byte hex private key (64 hex digits)`);
    }
    try {
      policySigner = privateKeyToAccount(hex);
    } catch {
      throw new Error(
        `${POLICY_SIGNER_KEY_ENV} is not a usable private key (it must lie in [1, secp256k1 order - 1])`,
      );
    }
  }
  // Checked last, so that a missing or malformed setting above is named first.
  if (!isRpcUrl(rpcUrl)) {
    throw new Error(
      `--rpc-url: expected the http(s) URL of the chain's JSON-RPC, such as http://127.0.0.1:8545, got ${rpcUrl}`,
    );
  }
  return {
    ...(policies === undefined ? {} : { policies }),
    ...(policySigner === undefined ? {} : { policySigner }),
    approvalValidity: BigInt(integer("approval-validity", get("approval-validity") ?? "600", 30, 86_400)),
    rpcUrl,
    chainId,
    ...(deployment === undefined ? {} : { deployment: deployment.dir }),
    paymasters: [...new Set(paymasters)],
    ...(ledger === undefined ? {} : { ledger }),
    port: integer("port", get("port") ?? "3000", 0, 65_535),
    host: get("host") ?? "127.0.0.1",
    validityMargin: BigInt(integer("validity-margin", get("validity-margin") ?? "30", 0, 86_400)),
    simulate: simulate === "true",
    ...(sponsorName === undefined ? {} : { sponsorName }),
  };
}
