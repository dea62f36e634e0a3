import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { privateKeyToAccount } from "viem/accounts";

import { SERVICE_OPTIONS, parseServiceSettings, usage } from "../../src/service";

const PM7 = "0x0165878A594ca255338adfa4d48449f69242Eb8F";
const PM8 = "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318";
const LEDGER = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707";
const REQUIRED = ["--rpc-url", "http://127.0.0.1:8545", "--chain-id", "31337"];

describe("paymaster service configuration", function () {
  describe("#parseServiceSettings", function () {
    it("reads flags, with defaults for port, host, validity margin and simulation", function () {
      expect(parseServiceSettings([...REQUIRED, "--paymaster-v08", PM8.toLowerCase()], {})).to.deep.equal({
        rpcUrl: "http://127.0.0.1:8545",
        chainId: 31337,
        paymasters: [PM8],
        port: 3000,
        host: "127.0.0.1",
        validityMargin: 30n,
        simulate: true,
        approvalValidity: 600n,
      });
    });

    it("reads environment variables, flags taking precedence", function () {
      const env = {
        PAYMASTER_SERVICE_RPC_URL: "http://node:8545",
        PAYMASTER_SERVICE_CHAIN_ID: "10",
        PAYMASTER_SERVICE_PAYMASTER_V07: PM7,
        PAYMASTER_SERVICE_PAYMASTER_V08: PM8,
        PAYMASTER_SERVICE_LEDGER: LEDGER,
        PAYMASTER_SERVICE_PORT: "8080",
        PAYMASTER_SERVICE_HOST: "0.0.0.0",
        PAYMASTER_SERVICE_VALIDITY_MARGIN: "60",
        PAYMASTER_SERVICE_SIMULATE: "false",
        PAYMASTER_SERVICE_SPONSOR_NAME: "My dApp",
      };
      expect(parseServiceSettings(["--port", "0"], env)).to.deep.equal({
        rpcUrl: "http://node:8545",
        chainId: 10,
        paymasters: [PM7, PM8],
        ledger: LEDGER,
        port: 0,
        host: "0.0.0.0",
        validityMargin: 60n,
        simulate: false,
        sponsorName: "My dApp",
        approvalValidity: 600n,
      });
    });

    it("resolves paymasters and ledger from an Ignition deployment by their key suffixes", function () {
      const dir = mkdtempSync(path.join(tmpdir(), "deployment-"));
      const file = path.join(dir, "deployed_addresses.json");
      writeFileSync(
        file,
        JSON.stringify({
          "CreditsSystem#CreditPaymasterV07": PM7,
          "CreditsSystem#CreditPaymasterV08": PM8,
          "CreditsSystem#CreditLedger": LEDGER,
          "CreditsSystem#PriceAdapter": PM7,
        }),
      );
      try {
        const settings = parseServiceSettings([...REQUIRED, "--deployment", file], {});
        expect(settings).to.deep.include({ paymasters: [PM7, PM8], ledger: LEDGER });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("accepts a deployment directory or id as --deployment, and lists the deployments when none matches", function () {
      const root = mkdtempSync(path.join(tmpdir(), "ignition-"));
      const dir = path.join(root, "ignition", "deployments", "demo");
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, "deployed_addresses.json"),
        JSON.stringify({ "CreditsSystem#CreditPaymasterV08": PM8, "CreditsSystem#CreditLedger": LEDGER }),
      );
      writeFileSync(path.join(dir, "journal.jsonl"), '{"chainId":31337,"type":"DEPLOYMENT_INITIALIZE"}\n');
      const cwd = process.cwd();
      try {
        const byDir = parseServiceSettings([...REQUIRED, "--deployment", dir], {});
        expect(byDir).to.deep.include({ paymasters: [PM8], ledger: LEDGER, deployment: dir });
        expect(() =>
          parseServiceSettings(["--rpc-url", "x", "--chain-id", "10", "--deployment", dir], {}),
        ).to.throw(Error, `--deployment: ${dir} is a deployment of chain 31337, not of --chain-id 10`);
        process.chdir(root);
        const byId = parseServiceSettings([...REQUIRED, "--deployment", "demo"], {});
        expect(byId).to.deep.include({ paymasters: [PM8], ledger: LEDGER });
        expect(() => parseServiceSettings([...REQUIRED, "--deployment", "nowhere"], {})).to.throw(
          Error,
          "--deployment: nowhere is neither an Ignition deployment directory (containing deployed_addresses.json), " +
            `its deployed_addresses.json, nor a deployment id under ${path.join("ignition", "deployments")}; deployments there: demo (chain 31337)`,
        );
      } finally {
        process.chdir(cwd);
        rmSync(root, { recursive: true, force: true });
      }
    });

    it("loads --policies files, the signer key from its environment variable only, and --approval-validity", function () {
      const dir = mkdtempSync(path.join(tmpdir(), "policies-"));
      const file = path.join(dir, "dapp.yaml");
      writeFileSync(file, `sponsor: "${PM7}"\npolicies:\n  - policyId: 4\n`);
      const key = `0x${"11".repeat(32)}` as const;
      const settings = parseServiceSettings(
        [...REQUIRED, "--paymaster-v08", PM8, "--policies", ` ${file} `, "--approval-validity", "120"],
        { PAYMASTER_SERVICE_POLICY_SIGNER_KEY: key },
      );
      if (settings === "help") throw new Error("unexpected help");
      expect([...(settings.policies?.keys() ?? [])]).to.deep.equal([`${PM7}:4`]);
      expect(settings.policySigner?.address).to.equal(privateKeyToAccount(key).address);
      expect(settings.approvalValidity).to.equal(120n);
      expect(() =>
        parseServiceSettings([...REQUIRED, "--paymaster-v08", PM8], {
          PAYMASTER_SERVICE_POLICY_SIGNER_KEY: "0x12",
        }),
      ).to.throw("PAYMASTER_SERVICE_POLICY_SIGNER_KEY must be a 32-byte hex private key (64 hex digits)");
      writeFileSync(file, `sponsor: "${PM7}"\npolicies:\n  - policyId: x\n`);
      expect(() =>
        parseServiceSettings([...REQUIRED, "--paymaster-v08", PM8, "--policies", file], {}),
      ).to.throw(
        `--policies: invalid policy file:\n  ${file}:3:15: policies[0].policyId policyId "x" must be a positive integer`,
      );
      expect(() =>
        parseServiceSettings([...REQUIRED, "--paymaster-v08", PM8, "--approval-validity", "5"], {}),
      ).to.throw("--approval-validity: expected an integer in [30, 86400], got 5");
      rmSync(dir, { recursive: true, force: true });
    });

    it("returns help for --help", function () {
      expect(parseServiceSettings(["--help"], {})).to.equal("help");
    });

    it("throws a readable error for a missing or invalid setting", function () {
      const cases: [string[], string][] = [
        [["--chain-id", "1", "--paymaster-v08", PM8], "--rpc-url (or PAYMASTER_SERVICE_RPC_URL) is required"],
        [
          ["--rpc-url", "x", "--paymaster-v08", PM8],
          "--chain-id (or PAYMASTER_SERVICE_CHAIN_ID) is required",
        ],
        [REQUIRED, "no paymaster: give --paymaster-v07 and/or --paymaster-v08, or --deployment"],
        [
          [],
          "missing settings, all required: --rpc-url (or PAYMASTER_SERVICE_RPC_URL); --chain-id (or " +
            "PAYMASTER_SERVICE_CHAIN_ID); a paymaster (--paymaster-v07 and/or --paymaster-v08, or --deployment)",
        ],
        [
          ["--paymaster-v08", PM8],
          "missing settings, all required: --rpc-url (or PAYMASTER_SERVICE_RPC_URL); --chain-id (or " +
            "PAYMASTER_SERVICE_CHAIN_ID)",
        ],
        [[...REQUIRED, "--paymaster-v07", "0x12"], "--paymaster-v07: not an address: 0x12"],
        [[...REQUIRED, "--paymaster-v08", PM8, "--ledger", "nope"], "--ledger: not an address: nope"],
        [
          [...REQUIRED, "--paymaster-v08", PM8, "--port", "70000"],
          "--port: expected an integer in [0, 65535], got 70000",
        ],
        [
          ["--rpc-url", "x", "--chain-id", "0x1", "--paymaster-v08", PM8],
          `--chain-id: expected an integer in [1, ${Number.MAX_SAFE_INTEGER}], got 0x1`,
        ],
        [
          [...REQUIRED, "--paymaster-v08", PM8, "--simulate", "yes"],
          "--simulate: expected true or false, got yes",
        ],
        [
          [...REQUIRED, "--paymaster-v08", PM8, "--validity-margin=-1"],
          "--validity-margin: expected an integer in [0, 86400], got -1",
        ],
      ];
      for (const [argv, message] of cases) {
        expect(() => parseServiceSettings(argv, {})).to.throw(Error, message);
      }
      expect(() => parseServiceSettings(["--unknown"], {})).to.throw(Error, "Unknown option '--unknown'");
    });
  });

  describe("#usage", function () {
    it("lists every flag with its environment variable", function () {
      const text = usage();
      for (const [name, option] of Object.entries(SERVICE_OPTIONS)) {
        expect(text).to.contain(`--${name}`).and.to.contain(option.env);
      }
    });
  });
});
