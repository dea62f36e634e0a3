import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { BalanceReport } from "../../tasks/credits";
import type { StatusReport } from "../../tasks/paymaster";
import { CreditPaymaster__factory } from "../../typechain-types";
import { ENTRY_POINT_ADDRESSES } from "../helpers/entrypoint";
import { defaultPaymasterConfig, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, taskFailure, tempDir } from "../helpers/tasks";

/** Writes `ignition/deployments/<id>/deployed_addresses.json` under `root`; returns the deployment directory. */
function writeDeployment(root: string, id: string, addresses: Record<string, string> | string): string {
  const dir = path.join(root, "deployments", id);
  mkdirSync(dir, { recursive: true });
  const body = typeof addresses === "string" ? addresses : JSON.stringify(addresses, null, 2);
  writeFileSync(path.join(dir, "deployed_addresses.json"), body);
  return dir;
}

describe("Task address resolution from Ignition deployments", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const flags = await systemFlags(sys);
    // The full system deploys one paymaster per EntryPoint: add the v0.7 one.
    const paymasterV07 = await new CreditPaymaster__factory(sys.admin).deploy(
      ENTRY_POINT_ADDRESSES["0.7"],
      sys.ledger,
      sys.adapter,
      sys.admin,
      defaultPaymasterConfig(),
      86_400,
      ethers.parseEther("1"),
      { value: ethers.parseEther("2") },
    );
    const addresses = {
      "ComputeCredits#MockV3Aggregator": await sys.feed.getAddress(),
      "ComputeCredits#PriceAdapter": flags.adapter,
      "ComputeCredits#CreditLedger": flags.ledger,
      "ComputeCredits#CreditPaymasterV07": await paymasterV07.getAddress(),
      "ComputeCredits#CreditPaymasterV08": flags.paymaster,
    };
    return { sys, flags, addresses, paymasterV07: await paymasterV07.getAddress() };
  }

  /** Points Ignition's folder (hre.config.paths.ignition) at `root` while `fn` runs. */
  async function withIgnitionRoot<T>(root: string, fn: () => Promise<T>): Promise<T> {
    const paths = hre.config.paths as typeof hre.config.paths & { ignition: string };
    const original = paths.ignition;
    paths.ignition = root;
    try {
      return await fn();
    } finally {
      paths.ignition = original;
    }
  }

  it("reads the contracts of the current chain from ignition/deployments/chain-<chainId> by default", async function () {
    const { flags, addresses, paymasterV07 } = await loadFixture(fixture);
    const root = tempDir("ignition");
    writeDeployment(root, "chain-31337", addresses);
    await withIgnitionRoot(root, async () => {
      const balance = await runTask<BalanceReport>("credits:balance", { json: true });
      expect(balance.result.ledger).to.equal(flags.ledger);
      const v08 = await runTask<StatusReport>("paymaster:status", { json: true });
      expect([v08.result.paymaster, v08.result.entryPointVersion]).to.deep.equal([flags.paymaster, "0.8"]);
      const v07 = await runTask<StatusReport>("paymaster:status", { json: true, entrypoint: "0.7" });
      expect([v07.result.paymaster, v07.result.entryPointVersion]).to.deep.equal([paymasterV07, "0.7"]);
      const refresh = await runTask<{ adapter: string }>("price:refresh", {});
      expect(refresh.result.adapter).to.equal(flags.adapter);
    });
  });

  it("reads another deployment with --deployment <dir> or --deployment <id>", async function () {
    const { flags, addresses } = await loadFixture(fixture);
    const root = tempDir("ignition");
    const dir = writeDeployment(root, "sepolia-dao", addresses);
    const byDir = await runTask<BalanceReport>("credits:balance", { json: true, deployment: dir });
    expect(byDir.result.ledger).to.equal(flags.ledger);
    await withIgnitionRoot(root, async () => {
      const byId = await runTask<BalanceReport>("credits:balance", { json: true, deployment: "sepolia-dao" });
      expect(byId.result.ledger).to.equal(flags.ledger);
    });
  });

  it("prefers an address flag over the deployment", async function () {
    const { flags, addresses, paymasterV07 } = await loadFixture(fixture);
    const dir = writeDeployment(tempDir("ignition"), "chain-31337", addresses);
    const { result } = await runTask<StatusReport>("paymaster:status", {
      json: true,
      deployment: dir,
      paymaster: paymasterV07,
    });
    expect(result.paymaster).to.equal(paymasterV07);
    expect(result.paymaster).not.to.equal(flags.paymaster);
  });

  describe("errors", function () {
    it("says how to fix a missing deployment", async function () {
      await loadFixture(fixture);
      const root = tempDir("ignition");
      const file = path.join(root, "deployments", "chain-31337", "deployed_addresses.json");
      await withIgnitionRoot(root, () =>
        expectTaskError(
          "credits:balance",
          {},
          `Cannot find the CreditLedger address: ${file} (the Ignition deployment of chain 31337) does not exist. ` +
            "Deploy first with `npm run deploy` (on this network), or pass --ledger 0x…",
        ),
      );
    });

    it("names the deployments of the chain that exist under other ids", async function () {
      const { addresses } = await loadFixture(fixture);
      const root = tempDir("ignition");
      const demo = writeDeployment(root, "demo", addresses);
      writeFileSync(path.join(demo, "journal.jsonl"), '{"chainId":31337,"type":"DEPLOYMENT_INITIALIZE"}\n');
      const other = writeDeployment(root, "sepolia", addresses);
      writeFileSync(
        path.join(other, "journal.jsonl"),
        '{"chainId":11155111,"type":"DEPLOYMENT_INITIALIZE"}\n',
      );
      const file = path.join(root, "deployments", "chain-31337", "deployed_addresses.json");
      await withIgnitionRoot(root, () =>
        expectTaskError(
          "credits:balance",
          {},
          `Cannot find the CreditLedger address: ${file} (the Ignition deployment of chain 31337) does not exist. ` +
            "Deploy first with `npm run deploy` (on this network), or pass --ledger 0x… Deployments of chain " +
            `31337 under ${path.join(root, "deployments")}: demo (pass --deployment <id>).`,
        ),
      );
    });

    it("names the missing key and the keys present", async function () {
      const { addresses } = await loadFixture(fixture);
      const { ["ComputeCredits#CreditPaymasterV07"]: _v07, ...without } = addresses;
      const dir = writeDeployment(tempDir("ignition"), "chain-31337", without);
      await expectTaskError(
        "paymaster:status",
        { deployment: dir, entrypoint: "0.7" },
        `Cannot find the CreditPaymasterV07 address: ${path.join(dir, "deployed_addresses.json")} has no key ending ` +
          `in "#CreditPaymasterV07" (it has: ${Object.keys(without).join(", ")}). Deploy first with \`npm run ` +
          "deploy` (on this network), or pass --paymaster 0x…",
      );
    });

    it("refuses to guess between two matching keys", async function () {
      const { addresses, flags } = await loadFixture(fixture);
      const dir = writeDeployment(tempDir("ignition"), "chain-31337", {
        ...addresses,
        "OldSystem#CreditLedger": flags.ledger,
      });
      await expectTaskError(
        "credits:balance",
        { deployment: dir },
        `${path.join(dir, "deployed_addresses.json")} has 2 keys ending in "#CreditLedger" ` +
          "(ComputeCredits#CreditLedger, OldSystem#CreditLedger): pass --ledger 0x… to choose",
      );
    });

    it("detects a stale deployment file (no code at the address)", async function () {
      const { addresses } = await loadFixture(fixture);
      const nowhere = ethers.Wallet.createRandom().address;
      const dir = writeDeployment(tempDir("ignition"), "chain-31337", {
        ...addresses,
        "ComputeCredits#CreditLedger": nowhere,
      });
      await expectTaskError(
        "credits:balance",
        { deployment: dir },
        `No contract code at ${nowhere} (CreditLedger from ${path.join(dir, "deployed_addresses.json")} (key ` +
          "ComputeCredits#CreditLedger)) on chain 31337: deploy first with `npm run deploy` (a local node forgets its " +
          "contracts when restarted), or pass --ledger with the address of the deployed CreditLedger",
      );
    });

    it("rejects an entry that is not an address", async function () {
      const { addresses } = await loadFixture(fixture);
      const dir = writeDeployment(tempDir("ignition"), "chain-31337", {
        ...addresses,
        "ComputeCredits#CreditLedger": "0x123",
      });
      await expectTaskError(
        "credits:balance",
        { deployment: dir },
        `${path.join(dir, "deployed_addresses.json")}: "ComputeCredits#CreditLedger" is not an address ("0x123")`,
      );
    });

    it("rejects an unreadable deployment file and a missing --deployment directory", async function () {
      await loadFixture(fixture);
      const root = tempDir("ignition");
      const dir = writeDeployment(root, "chain-31337", "{ not json");
      const file = path.join(dir, "deployed_addresses.json");
      const { message } = await taskFailure("credits:balance", { deployment: dir });
      expect(message).to.match(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not valid JSON \\(`),
      );
      await withIgnitionRoot(root, () =>
        expectTaskError(
          "credits:balance",
          { deployment: "nowhere" },
          'Invalid --deployment "nowhere": expected an Ignition deployment directory (containing ' +
            `deployed_addresses.json) or a deployment id under ${path.join(root, "deployments")}; neither exists. ` +
            `Deployments of chain 31337 under ${path.join(root, "deployments")}: chain-31337 (pass --deployment <id>).`,
        ),
      );
    });
  });
});
