/**
 * `npm run test:e2e`: the end-to-end run through a real bundler, outside `npm test`.
 *
 * 1. starts `hardhat node` (test/e2e/hardhat-node.config.cjs: chain 31337, Prague) on a free port;
 * 2. deploys the system over JSON-RPC (`deploySystemForE2E`, deploy.ts) and the dApp buys credits;
 * 3. starts the @pimlico/alto bundler and the paymaster service (`src/service/cli.ts`, as `npm run
 *    paymaster-service` does) on free ports, in parallel;
 * 4. runs the cases of cases.ts in order, each timed, and prints a summary;
 * 5. stops every process it started (whole process groups) — also on failure and on Ctrl-C — and exits non-zero
 *    when anything failed. Logs of the children are kept (and their directory printed) on failure, or with
 *    KEEP_LOGS=1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createPublicClient, http } from "viem";
import type { Chain, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";

import * as cases from "./cases";
import { eip7702Operations } from "./cases7702";
import type { E2EEnvironment } from "./cases";
import { deploySystemForE2E } from "./deploy";
import {
  freePort,
  installCleanupHandlers,
  logDirectory,
  removeLogs,
  rpc,
  startNode,
  stopAll,
  tail,
  waitUntil,
} from "./processes";

const ROOT = path.resolve(__dirname, "../..");

/** Hardhat node's default keys #1 and #2 (mnemonic "test test … junk"), used by alto only. */
const ALTO_KEYS = {
  utility: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  executor: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
} as const;

const elapsed = () => `${(performance.now() / 1000).toFixed(1)}s`;
const log = (message: string) => console.log(`[e2e ${elapsed()}] ${message}`);

async function startHardhatNode(): Promise<string> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const node = startNode(
    "hardhat",
    [
      require.resolve("hardhat/internal/cli/bootstrap.js"),
      "--config",
      "test/e2e/hardhat-node.config.cjs",
      "node",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    ROOT,
  );
  await waitUntil(node, async () => (await rpc(rpcUrl, "eth_chainId")) === "0x7a69", 60_000);
  return rpcUrl;
}

/**
 * alto with the prototype's flags (scratch-alto/e2e-proto.ts), plus simulation gas limits within the paymaster's
 * caps (src/aa/system.ts `defaultPaymasterConfig`): alto estimates gas by simulating the operation with these
 * limits (defaults 10M call / 10M verification / 5M paymaster verification / 2M postOp), and the paymaster rejects
 * limits above its caps, so with the defaults every estimate fails with CreditPaymasterGasLimitTooHigh.
 */
async function startAlto(rpcUrl: string, entryPoints: readonly string[]): Promise<string> {
  const port = await freePort();
  const bundlerUrl = `http://127.0.0.1:${port}`;
  const alto = startNode(
    "alto",
    [
      path.join(path.dirname(require.resolve("@pimlico/alto")), "cli", "alto.js"),
      ...["--entrypoints", entryPoints.join(",")],
      ...["--executor-private-keys", ALTO_KEYS.executor],
      ...["--utility-private-key", ALTO_KEYS.utility],
      ...["--rpc-url", rpcUrl],
      ...["--port", String(port)],
      ...["--safe-mode", "false"], // Hardhat has no JS tracers for ERC-7562 tracing
      ...["--min-entity-stake", "1", "--min-entity-unstake-delay", "1"],
      ...["--block-time", "250", "--utility-wallet-monitor", "false"],
      ...["--simulation-call-gas-limit", "2000000"],
      ...["--simulation-verification-gas-limit", "1000000"],
      ...["--simulation-paymaster-verification-gas-limit", "300000"],
      ...["--simulation-paymaster-post-op-gas-limit", "500000"],
      ...["--log-level", process.env.ALTO_LOG_LEVEL ?? "info"],
    ],
    ROOT,
  );
  await waitUntil(
    alto,
    async () => {
      const served = ((await rpc(bundlerUrl, "eth_supportedEntryPoints")) as string[]).map((a) =>
        a.toLowerCase(),
      );
      return entryPoints.every((e) => served.includes(e.toLowerCase()));
    },
    90_000,
  );
  return bundlerUrl;
}

/**
 * The dApp's policy file for the service (policies 1 and 2 of the dApp, created by `cases.dappCreatesPolicies`):
 * policy 1 only allows calls to the admin address (the cases' call target), policy 2 has no rule of the service.
 */
function writePolicyFile(system: cases.E2EEnvironment["system"]): string {
  const file = path.join(logDirectory(), "policies.yaml");
  writeFileSync(
    file,
    [
      `sponsor: "${system.dapp}"`,
      "policies:",
      "  - policyId: 1",
      "    targets:",
      `      - address: "${system.admin}"`,
      "  - policyId: 2",
      "",
    ].join("\n"),
  );
  return file;
}

async function startPaymasterService(
  rpcUrl: string,
  system: cases.E2EEnvironment["system"],
  policies: { file: string; signerKey: Hex },
): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startNode(
    "paymaster-service",
    [
      ...["-r", "ts-node/register/transpile-only", "src/service/cli.ts"],
      ...["--rpc-url", rpcUrl, "--chain-id", "31337"],
      ...["--paymaster-v07", system.paymasters["0.7"], "--paymaster-v08", system.paymasters["0.8"]],
      ...["--ledger", system.ledger, "--port", String(port)],
      ...["--policies", policies.file],
    ],
    ROOT,
    { PAYMASTER_SERVICE_POLICY_SIGNER_KEY: policies.signerKey },
  );
  await waitUntil(service, async () => (await fetch(`${url}/health`)).status === 200, 60_000);
  return url;
}

/** Most time one case may take. */
const CASE_TIMEOUT_MS = 90_000;

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Outcome {
  name: string;
  seconds: number;
  error?: unknown;
}

async function main(): Promise<number> {
  installCleanupHandlers();
  log(`logs in ${logDirectory()}`);
  const rpcUrl = await startHardhatNode();
  log(`hardhat node at ${rpcUrl}`);
  const system = await deploySystemForE2E(rpcUrl);
  log(
    `system deployed: ledger ${system.ledger}, paymasters v0.7 ${system.paymasters["0.7"]}, v0.8 ${system.paymasters["0.8"]}`,
  );
  // The service's policy signer: a key of this run only, given to the service in its environment.
  const signerKey = generatePrivateKey();
  const [bundlerUrl, paymasterServiceUrl] = await Promise.all([
    startAlto(rpcUrl, [system.entryPoints["0.8"], system.entryPoints["0.7"]]),
    startPaymasterService(rpcUrl, system, { file: writePolicyFile(system), signerKey }),
  ]);
  log(`alto at ${bundlerUrl}, paymaster service at ${paymasterServiceUrl}`);

  const chain: Chain = { ...hardhat, blockTime: 1_000, rpcUrls: { default: { http: [rpcUrl] } } };
  const env: E2EEnvironment = {
    chain,
    publicClient: createPublicClient({ chain, transport: http(rpcUrl) }),
    rpcUrl,
    bundlerUrl,
    paymasterServiceUrl,
    system,
    altoLog: () => readFileSync(path.join(logDirectory(), "alto.log"), "utf8"),
    notes: [],
    policySigner: privateKeyToAccount(signerKey).address,
  };
  await cases.dappBuysCredits(env);
  await cases.dappCreatesPolicies(env);

  const plan: [string, (e: E2EEnvironment) => Promise<void>][] = [
    [
      "EntryPoint v0.8: sponsored operations from a new SimpleAccount (docs snippet)",
      cases.sponsoredOperationsV08,
    ],
    ["EntryPoint v0.8: a self-paid operation", cases.selfPaidOperationV08],
    [
      "a user without allowance is rejected by the service, never reaching the bundler",
      cases.rejectedWithoutAllowance,
    ],
    ["EntryPoint v0.7: a sponsored operation", cases.sponsoredOperationV07],
    [
      "EntryPoint v0.8: sponsored through the local paymaster client (no service)",
      cases.sponsoredWithLocalClient,
    ],
    [
      "EntryPoint v0.8: a never-seen account with 0 ETH sponsored under an open signed policy (no per-user transaction)",
      (e) => cases.sponsoredUnderPolicy(e, "0.8"),
    ],
    [
      "EntryPoint v0.7: a never-seen account with 0 ETH sponsored under an open signed policy (no per-user transaction)",
      (e) => cases.sponsoredUnderPolicy(e, "0.7"),
    ],
    [
      "a call outside the policy's targets is refused by the service's target rule",
      cases.policyTargetRefused,
    ],
    ["an operation is refused once the policy's epoch budget is spent", cases.policyBudgetSpent],
    ["EntryPoint v0.8: an EIP-7702 EOA, sponsored then self-paid (docs snippet)", eip7702Operations],
  ];
  const outcomes: Outcome[] = [];
  for (const [name, run] of plan) {
    const started = performance.now();
    try {
      await withTimeout(run(env), CASE_TIMEOUT_MS, name);
      outcomes.push({ name, seconds: (performance.now() - started) / 1000 });
      log(`✔ ${name}`);
    } catch (error) {
      outcomes.push({ name, seconds: (performance.now() - started) / 1000, error });
      log(`✘ ${name}`);
    }
  }

  const failed = outcomes.filter((o) => o.error !== undefined);
  console.log("\nSummary");
  for (const o of outcomes)
    console.log(`  ${o.error === undefined ? "✔" : "✘"} ${o.name} (${o.seconds.toFixed(1)} s)`);
  for (const note of env.notes) console.log(`  · ${note}`);
  for (const o of failed) {
    console.log(`\n✘ ${o.name}`);
    console.log(o.error instanceof Error ? (o.error.stack ?? o.error.message) : String(o.error));
  }
  console.log(`\n${outcomes.length - failed.length} passing, ${failed.length} failing (total ${elapsed()})`);
  return failed.length === 0 ? 0 : 1;
}

/** Runs {@link main}, stops every child process and exits with its code. */
function runAndExit(): void {
  let exitCode = 1;
  main()
    .then(
      (code) => {
        exitCode = code;
      },
      (error: unknown) => {
        console.error(`[e2e ${elapsed()}] setup failed:`, error);
        for (const name of ["hardhat", "alto", "paymaster-service"]) {
          console.error(`--- ${name}.log (tail) ---\n${tail(path.join(logDirectory(), `${name}.log`), 20)}`);
        }
      },
    )
    .finally(async () => {
      const stopping = performance.now();
      await stopAll();
      log(`child processes stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s`);
      if (exitCode === 0 && process.env.KEEP_LOGS === undefined) removeLogs();
      else log(`logs kept in ${logDirectory()}`);
      process.exit(exitCode);
    });
}

// `hardhat test` loads every file under test/ as a suite: run only when executed directly (ts-node).
if (require.main === module) runAndExit();
