import { extendEnvironment, subtask, task, vars } from "hardhat/config";
import type { HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import { HardhatPluginError } from "hardhat/plugins";
import "@nomicfoundation/hardhat-toolbox";

import {
  DEFAULT_LOCALHOST_URL,
  LOCALHOST_URL_ENV,
  checkNetworkVariables,
  liveNetworksConfig,
} from "./scripts/lib/networks";

import { firstCompileNotice } from "./scripts/lib/first-compile";
import "./tasks";
import { installCliErrorHandling, isHardhatCli } from "./tasks/lib/cli-errors";

/**
 * The compiler comes from the pinned npm `solc` package (solc-js), never from Hardhat's download
 * service: builds are reproducible offline and on machines that cannot reach the internet.
 */
const SOLC_VERSION = "0.8.28";
/**
 * Ledger optimizer runs: through the IR pipeline, 250 (24.38 KB with sponsors' policies and settlement's word-0 fast
 * path; 300 gave 24.60 KB and 500 24.78 KB, past EIP-170's 24,576 bytes; 2,000 gave 27.1 KB before the fast path);
 * the legacy one needs 200.
 */
const LEDGER_OPTIMIZER_RUNS = 250;
const LEDGER_LEGACY_OPTIMIZER_RUNS = 200;
/**
 * `hardhat coverage` instruments the sources and compiles them with a minimal optimizer; through the IR pipeline
 * that unoptimised code costs far more gas than the legacy pipeline's, enough to starve `postOp` at its minimum
 * gas limit. Coverage is a property of the sources, so it compiles everything with the legacy pipeline
 * (`LEGACY_PIPELINE=1 npx hardhat compile` checks that this compiles, e.g. without "stack too deep").
 */
const COVERAGE = process.argv.includes("coverage") || process.env.LEGACY_PIPELINE === "1";
const HOT_PATH_VIA_IR = !COVERAGE;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) {
    return runSuper();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  if (!longVersion.startsWith(SOLC_VERSION)) {
    throw new Error(`npm solc is ${longVersion}, expected ${SOLC_VERSION}: run \`npm ci\``);
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion,
  };
});

// The first compilation of a checkout takes about two minutes: say so before it starts (on stderr, also under
// --quiet, which `hardhat run` and `hardhat test` pass).
task(TASK_COMPILE, async (args, hre, runSuper) => {
  const notice = firstCompileNotice(hre.config.paths);
  if (notice !== undefined) console.error(notice);
  return runSuper(args);
});

const config: HardhatUserConfig = {
  solidity: {
    compilers: [
      {
        version: SOLC_VERSION,
        settings: {
          optimizer: { enabled: true, runs: 1_000_000 },
          evmVersion: "cancun",
          viaIR: false,
        },
      },
    ],
    // The two contracts on every UserOperation's path compile through the IR pipeline (viaIR): measured by
    // `npm run bench`, it cuts the paymaster's and the ledger's own code per operation by about a third (see the
    // Optimisations section of reports/gas.md). The rest keeps the legacy pipeline, which compiles much faster.
    overrides: {
      "contracts/paymaster/CreditPaymaster.sol": {
        version: SOLC_VERSION,
        settings: {
          optimizer: { enabled: true, runs: 1_000_000 },
          evmVersion: "cancun",
          viaIR: HOT_PATH_VIA_IR,
        },
      },
      // A test-only subclass of the paymaster: same pipeline, so that its postOp costs the same gas.
      "contracts/test/TestLowFloorPaymaster.sol": {
        version: SOLC_VERSION,
        settings: {
          optimizer: { enabled: true, runs: 1_000_000 },
          evmVersion: "cancun",
          viaIR: HOT_PATH_VIA_IR,
        },
      },
      // ERC-721 + AccessControl + the credit logic + sponsors' policies: with high runs the optimizer's inlining
      // takes the ledger's runtime code past the EIP-170 limit (24,576 bytes); runs = 250 keeps it at ~24.3 KB
      // (policy management runs by DELEGATECALL in SponsorPolicyAdmin, outside the ledger's code).
      "contracts/credit/CreditLedger.sol": {
        version: SOLC_VERSION,
        settings: {
          optimizer: {
            enabled: true,
            runs: HOT_PATH_VIA_IR ? LEDGER_OPTIMIZER_RUNS : LEDGER_LEGACY_OPTIMIZER_RUNS,
          },
          evmVersion: "cancun",
          viaIR: HOT_PATH_VIA_IR,
        },
      },
    },
  },
  networks: {
    hardhat: {
      allowUnlimitedContractSize: false,
      // Coverage instruments every contract: the ledger's deployment (which also creates its SponsorPolicyAdmin)
      // then needs more than EIP-7825's 16,777,216-gas transaction cap (Osaka). Coverage runs on Prague, which has
      // no such cap; every other run keeps Hardhat's default hardfork.
      ...(COVERAGE ? { hardfork: "prague" } : {}),
    },
    // `LOCALHOST_RPC_URL` points `--network localhost` at a `hardhat node` on another port (used by the tests).
    localhost: { url: process.env[LOCALHOST_URL_ENV] ?? DEFAULT_LOCALHOST_URL },
    // Live networks: RPC URLs and the deployer key come from Hardhat configuration variables (`npx hardhat vars
    // set SEPOLIA_RPC_URL`), never from files in git. Missing ones are reported when the network is selected.
    ...liveNetworksConfig(vars),
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
    offline: true,
  },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 120_000 },
};

// A live network selected without its RPC URL variable stops here, naming the variable and how to set it. On the
// command line, operator errors print their message and hint without a stack trace, also on a machine Hardhat takes
// for a CI server (Linux without DISPLAY), and the missing variable is reported the same way when the task starts.
extendEnvironment((hre) => {
  const message = checkNetworkVariables(hre.network.name, vars);
  if (!isHardhatCli()) {
    if (message !== null) throw new HardhatPluginError("compute-credits", message);
    return;
  }
  installCliErrorHandling(hre, { cli: true, pending: message ?? undefined });
});

export default config;
