/**
 * Deployment configuration: the per-network parameter files, their validation messages, the live networks read
 * from Hardhat configuration variables, and the messages of `npm run deploy` when something is missing.
 */
import { expect } from "chai";
import { ZeroAddress, getAddress, isAddress } from "ethers";
import hre from "hardhat";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { CANONICAL_ENTRY_POINTS } from "../../ignition/modules/system";
import { runHardhat } from "../../scripts/lib/hardhat-process";
import {
  DEPLOYER_KEY_VAR,
  LIVE_NETWORKS,
  checkNetworkVariables,
  liveNetworksConfig,
} from "../../scripts/lib/networks";
import type { ConfigVariables } from "../../scripts/lib/networks";
import {
  ParameterError,
  loadParameters,
  parametersFile,
  resolveSystemParameters,
  withEthUsdFeed,
} from "../../scripts/lib/parameters";
import type { Variant } from "../../scripts/lib/parameters";

const ROOT = hre.config.paths.root;
const SOME_ADDRESS = getAddress("0x1000000000000000000000000000000000000001");

/** Configuration variables from a plain object (what `vars` would hold). */
function fakeVars(values: Record<string, string>): ConfigVariables {
  return {
    has: (name) => name in values,
    get: (name, fallback) => values[name] ?? fallback ?? expect.fail(`variable ${name} read while unset`),
  };
}

/** The problems `resolveSystemParameters` reports (fails the test if it passes). */
function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ParameterError) return error.problems;
    throw error;
  }
  return expect.fail("the parameters were accepted");
}

describe("Deployment configuration", function () {
  describe("parameter files", function () {
    it("has one file per live network and for both local networks", function () {
      for (const name of [...LIVE_NETWORKS.map((n) => n.name), "hardhat", "localhost"]) {
        expect(existsSync(parametersFile(ROOT, name)), name).to.equal(true);
      }
    });

    it("rejects a file that is not an object of modules, each an object of parameters", async function () {
      const dir = mkdtempSync(path.join(os.tmpdir(), "parameters-"));
      try {
        for (const body of ["[1, 2]", '{ "CreditLedger": 5 }']) {
          const file = path.join(dir, "bad.json");
          writeFileSync(file, body);
          const error = await loadParameters(file).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).to.be.instanceOf(ParameterError);
          expect((error as ParameterError).problems).to.deep.equal([
            `${file}: expected an object of module ids (or "$global"), each an object of parameter values ` +
              "(see docs/deploy.md)",
          ]);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("resolves the local file, the mock feed filled in, with both variants", async function () {
      const params = withEthUsdFeed(await loadParameters(parametersFile(ROOT, "hardhat")), SOME_ADDRESS);
      const dao = resolveSystemParameters(params, "dao", "hardhat.json");
      expect(dao.ethUsdFeed).to.equal(SOME_ADDRESS);
      expect(dao.entryPointV07).to.equal(CANONICAL_ENTRY_POINTS.v07);
      expect(dao.entryPointV08).to.equal(CANONICAL_ENTRY_POINTS.v08);
      expect(dao.paymasterValueWei).to.equal(2n * 10n ** 18n);
      expect(dao.admin).to.equal(undefined);
      const admin = resolveSystemParameters(params, "admin", "hardhat.json");
      expect(admin.admin).to.equal(getAddress("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"));
    });

    for (const network of LIVE_NETWORKS) {
      describe(`${network.name}.json`, function () {
        const expected: Record<Variant, string[]> = {
          dao: ["Governance.tokenHolder", "$global.guardian"],
          admin: ["$global.guardian", "AdminSystem.admin"],
        };
        for (const variant of ["dao", "admin"] as const) {
          it(`leaves only the operator's addresses to fill in (${variant})`, async function () {
            const file = parametersFile(ROOT, network.name);
            const params = await loadParameters(file);
            const problems = problemsOf(() => resolveSystemParameters(params, variant, file));
            expect(problems.map((p) => p.split(" ")[1]).sort()).to.deep.equal([...expected[variant]].sort());
            for (const problem of problems) expect(problem).to.match(/, not an address: replace it$/);
          });
        }

        it("is complete once those addresses are set", async function () {
          const params = await loadParameters(parametersFile(ROOT, network.name));
          const filled = {
            ...params,
            $global: { ...params.$global, guardian: SOME_ADDRESS },
            Governance: { ...params.Governance, tokenHolder: SOME_ADDRESS },
            AdminSystem: { admin: SOME_ADDRESS },
          };
          const resolved = resolveSystemParameters(filled, "admin", network.name);
          expect(isAddress(resolved.ethUsdFeed)).to.equal(true);
          expect(resolved.ethUsdFeed).to.equal(getAddress(resolved.ethUsdFeed));
          expect(resolved.paymasterStakeWei).to.be.lessThanOrEqual(resolved.paymasterValueWei);
          expect(resolved.entryPointV08).to.equal(CANONICAL_ENTRY_POINTS.v08);
          // Mainnet rollups read Chainlink's sequencer uptime feed; L1s have none.
          expect(resolved.sequencerUptimeFeed !== ZeroAddress).to.equal(network.l2 && !network.testnet);
        });
      });
    }
  });

  describe("#resolveSystemParameters", function () {
    it("names the parameter, where it came from and the file", async function () {
      const params = await loadParameters(parametersFile(ROOT, "sepolia"));
      const problems = problemsOf(() => resolveSystemParameters(params, "dao", "sepolia.json"));
      expect(problems).to.include(
        'parameter $global.guardian (in sepolia.json) is "REPLACE_WITH_GUARDIAN_ADDRESS (may only pause)", not ' +
          "an address: replace it",
      );
    });

    it("refuses a stake larger than the value sent to each paymaster", async function () {
      const params = withEthUsdFeed(await loadParameters(parametersFile(ROOT, "hardhat")), SOME_ADDRESS);
      const bad = { ...params, $global: { ...params.$global, paymasterStakeWei: 3n * 10n ** 18n } };
      expect(problemsOf(() => resolveSystemParameters(bad, "dao", "x.json"))).to.deep.equal([
        "parameter $global.paymasterStakeWei (in x.json) (3000000000000000000) exceeds paymasterValueWei " +
          "(2000000000000000000): the value sent to each paymaster pays its stake and its deposit",
      ]);
    });

    it("reports a missing feed and a sequencer feed without grace period", function () {
      const problems = problemsOf(() =>
        resolveSystemParameters(
          {
            PriceAdapter: { minAnswer: 1, maxAnswer: 2, sequencerUptimeFeed: SOME_ADDRESS },
            DaoSystem: { guardian: SOME_ADDRESS },
          },
          "dao",
          "y.json",
        ),
      );
      expect(problems).to.deep.equal([
        "parameter PriceAdapter.ethUsdFeed (in y.json) is missing: set it to an address",
        "parameter PriceAdapter.sequencerGracePeriod (in y.json) must be > 0 with a sequencer uptime feed",
      ]);
    });
  });

  describe("live networks", function () {
    it("are configured without any variable set: placeholder URL, no account", function () {
      const networks = liveNetworksConfig(fakeVars({}));
      for (const network of LIVE_NETWORKS) {
        expect(networks[network.name].chainId).to.equal(network.chainId);
        expect(networks[network.name].accounts).to.deep.equal([]);
        expect(networks[network.name].url).to.match(/\.unset\.invalid$/);
      }
    });

    it("take the RPC URL and the deployer key from their variables", function () {
      const key = `0x${"11".repeat(32)}`;
      const networks = liveNetworksConfig(
        fakeVars({ BASE_SEPOLIA_RPC_URL: "https://base-sepolia.example", [DEPLOYER_KEY_VAR]: key }),
      );
      expect(networks.baseSepolia.url).to.equal("https://base-sepolia.example");
      expect(networks.baseSepolia.accounts).to.deep.equal([key]);
    });

    it("need no variable on the in-process and localhost networks", function () {
      expect(checkNetworkVariables("hardhat", fakeVars({}))).to.equal(null);
      expect(checkNetworkVariables("localhost", fakeVars({}))).to.equal(null);
    });

    it("name the missing RPC URL variable and how to set it", function () {
      const message = checkNetworkVariables("sepolia", fakeVars({}));
      expect(message).to.contain("SEPOLIA_RPC_URL, which is not set");
      expect(message).to.contain("npx hardhat vars set SEPOLIA_RPC_URL");
      expect(checkNetworkVariables("sepolia", fakeVars({ SEPOLIA_RPC_URL: "https://x.example" }))).to.equal(
        null,
      );
    });
  });

  describe("npm run deploy", function () {
    this.timeout(180_000);
    const tmp = mkdtempSync(path.join(os.tmpdir(), "credits-config-test-"));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it("stops on a live network without its RPC URL, naming the variable and how to set it", async function () {
      // An empty configuration directory: no variable set, whatever this machine's Hardhat vars hold.
      const env: Record<string, string | undefined> = { XDG_CONFIG_HOME: tmp };
      for (const name of Object.keys(process.env)) if (name.startsWith("HARDHAT_VAR_")) env[name] = undefined;
      const result = await runHardhat(ROOT, ["run", "scripts/deploy.ts", "--network", "optimismSepolia"], {
        env,
      });
      expect(result.code).to.equal(1);
      expect(result.stderr + result.stdout).to.contain(
        "configuration variable OPTIMISM_SEPOLIA_RPC_URL, which is not set",
      );
      expect(result.stderr + result.stdout).to.contain("npx hardhat vars set OPTIMISM_SEPOLIA_RPC_URL");
    });

    it("stops before any transaction on a placeholder parameter, naming it and the file", async function () {
      const params = await loadParameters(parametersFile(ROOT, "hardhat"));
      const file = path.join(tmp, "placeholder.json");
      writeFileSync(
        file,
        JSON.stringify(
          { ...params, $global: { ...params.$global, guardian: "REPLACE_WITH_GUARDIAN_ADDRESS" } },
          (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value),
        ),
      );
      const result = await runHardhat(ROOT, ["run", "scripts/deploy.ts"], {
        env: { DEPLOY_PARAMETERS: file },
      });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain(
        `parameter $global.guardian (in ${file}) is "REPLACE_WITH_GUARDIAN_ADDRESS", not an address: replace it`,
      );
      expect(result.stderr).to.contain("Nothing was deployed.");
      expect(result.stdout).to.not.contain("Ignition:");
    });
  });
});
