/**
 * The deployment and the demo against a separate `hardhat node` process, over JSON-RPC: the same path as
 * `npm run deploy -- --network localhost` and `npm run demo -- --network localhost` on a developer's machine.
 * The node listens on a free port and is stopped in `after()` (its whole process group), deployments are
 * written under unique Ignition deployment ids and removed afterwards.
 */
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, Wallet, formatUnits, parseEther } from "ethers";
import hre from "hardhat";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { CreditLedger__factory, CreditPaymaster__factory } from "../../typechain-types";
import { counterfactualAccount, deploySimpleAccountFactory, entryPointAt } from "../helpers/entrypoint";
import { chargedEvents, sponsoredPaymasterData } from "../helpers/paymaster";
import { buildUserOp, encodeExecute, handleOps, packPaymasterAndData, signUserOp } from "../helpers/userop";
import { addressBySuffix } from "../../scripts/lib/deploy-system";
import { runHardhat, startHardhatNode } from "../../scripts/lib/hardhat-process";
import type { CommandResult, HardhatNode } from "../../scripts/lib/hardhat-process";

/** Hardhat's default accounts ("test … junk"), the ones a `hardhat node` funds and unlocks. */
const MNEMONIC = "test test test test test test test test test test test junk";
function hardhatAccount(index: number, provider: JsonRpcProvider): HDNodeWallet {
  return HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).connect(provider);
}

const NEVER = 2n ** 32n - 1n;
const CREDIT = 1_000_000n;
/**
 * The test's own signers: accounts that neither the deployment (#0) nor the demo (#0–#3, run against the same node)
 * sign with, so no other process ever uses their nonces.
 */
const SPONSOR_ACCOUNT = 8;
const BUNDLER_ACCOUNT = 9;

/** A connection the node dropped mid-request (keep-alive race on a loaded machine), not a deployment error. */
const TRANSPORT_ERROR = /SocketError: other side closed|ECONNRESET/;

/**
 * Runs a `hardhat` command against the node; after a transport error it runs it once more, which resumes the
 * same Ignition deployment from its journal (the documented recovery for an interrupted deployment).
 */
async function runAgainstNode(args: readonly string[], nodeUrl: string, env: Record<string, string>) {
  const first = await runHardhat(hre.config.paths.root, args, { nodeUrl, env });
  if (first.code === 0 || !TRANSPORT_ERROR.test(first.stderr + first.stdout)) return first;
  return runHardhat(hre.config.paths.root, args, { nodeUrl, env });
}

function describeRun(result: CommandResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

describe("Deployment on a separate hardhat node (JSON-RPC)", function () {
  this.timeout(600_000);

  const root = hre.config.paths.root;
  const deploymentId = `node-test-${process.pid}`;
  const demoDeploymentId = `node-test-demo-${process.pid}`;
  const deploymentsDir = path.join(hre.config.paths.ignition, "deployments");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "credits-node-test-"));
  let node: HardhatNode | undefined;
  let deploy: CommandResult;
  let addresses: Record<string, string>;
  let provider: JsonRpcProvider;

  before(async function () {
    node = await startHardhatNode(root);
    deploy = await runAgainstNode(["run", "scripts/deploy.ts", "--network", "localhost"], node.url, {
      DEPLOYMENT_ID: deploymentId,
    });
    const file = path.join(deploymentsDir, deploymentId, "deployed_addresses.json");
    addresses = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
    // cacheTimeout -1: ethers otherwise answers identical requests made within 250 ms from one shared result, the
    // signer's `eth_getTransactionCount(address, "pending")` included, so a second transaction sent soon after the
    // first one's receipt would be signed with the first one's nonce ("nonce has already been used").
    provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      pollingInterval: 50,
      cacheTimeout: -1,
    });
  });

  after(async function () {
    provider?.destroy();
    await node?.stop();
    for (const id of [deploymentId, demoDeploymentId]) {
      rmSync(path.join(deploymentsDir, id), { recursive: true, force: true });
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  describe("npm run deploy -- --network localhost", function () {
    it("deploys the DAO system through its Ignition module and prints the addresses and next steps", function () {
      expect(deploy.code, describeRun(deploy)).to.equal(0);
      expect(deploy.stdout).to.contain(
        "✓ EntryPoint v0.8 has code at 0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
      );
      expect(deploy.stdout).to.contain("Next steps");
      for (const key of Object.keys(addresses)) expect(deploy.stdout).to.contain(key);
    });

    it("records the naming-contract keys in deployed_addresses.json", function () {
      expect(Object.keys(addresses).sort()).to.deep.equal(
        [
          "CreditLedger#CreditLedger",
          "DaoSystem#CreditPaymasterV07",
          "DaoSystem#CreditPaymasterV08",
          "Governance#CreditsGovernor",
          "Governance#CreditsVotesToken",
          "Governance#TimelockController",
          "LocalEthUsdFeed#EthUsdFeed",
          "PriceAdapter#PriceAdapter",
        ].sort(),
      );
    });

    it("runs a sponsored UserOperation through EntryPoint.handleOps and burns the sponsor's credits", async function () {
      const sponsor = hardhatAccount(SPONSOR_ACCOUNT, provider);
      const bundler = hardhatAccount(BUNDLER_ACCOUNT, provider);
      const ledger = CreditLedger__factory.connect(addressBySuffix(addresses, "CreditLedger"), sponsor);
      const paymaster = CreditPaymaster__factory.connect(
        addressBySuffix(addresses, "CreditPaymasterV08"),
        provider,
      );
      const paymasterAddress = await paymaster.getAddress();
      const entryPoint = entryPointAt("0.8", bundler);
      const factory = await deploySimpleAccountFactory("0.8", await entryPoint.getAddress(), bundler);
      const owner = Wallet.createRandom().connect(provider);
      const account = await counterfactualAccount(factory, owner.address);

      // The sponsor's two transactions follow each other at once (each waits for its receipt, then the next one
      // reads the pending nonce afresh): this fails every time if a stale nonce is reused.
      // Buying credits with ETH funds the v0.8 paymaster's deposit (ledger.setEthDestination).
      const depositBeforePurchase = await entryPoint.balanceOf(paymasterAddress);
      await (await ledger.buyCredits(sponsor.address, { value: parseEther("0.01") })).wait();
      expect(await ledger.balanceOfCredits(sponsor.address)).to.equal(30n * CREDIT);
      expect(await entryPoint.balanceOf(paymasterAddress)).to.equal(
        depositBeforePurchase + parseEther("0.01"),
      );
      await (await ledger.setAllowance(account.address, 10n * CREDIT, 86_400, NEVER)).wait();

      const baseFee = (await provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
      const op = await signUserOp(
        buildUserOp({
          sender: account.address,
          initCode: account.initCode,
          callData: encodeExecute(
            await ledger.getAddress(),
            0n,
            ledger.interface.encodeFunctionData("openAccount"),
          ),
          callGasLimit: 300_000n,
          maxFeePerGas: 2n * baseFee + 1_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
          paymasterAndData: packPaymasterAndData(
            paymasterAddress,
            150_000n,
            80_000n,
            sponsoredPaymasterData(sponsor.address),
          ),
        }),
        owner,
        entryPoint,
        "0.8",
      );
      const creditsBefore = await ledger.balanceOfCredits(sponsor.address);
      const depositBefore = await entryPoint.balanceOf(paymasterAddress);

      const result = await handleOps(entryPoint, [op], bundler.address, bundler);

      expect(result.userOperationEvents).to.have.length(1);
      const [event] = result.userOperationEvents;
      expect(event.success).to.equal(true);
      expect(event.sender).to.equal(account.address);
      expect(event.paymaster).to.equal(paymasterAddress);
      const [charged] = chargedEvents(paymaster, result);
      expect(charged.payer).to.equal(sponsor.address);
      expect(charged.creditsCharged).to.be.greaterThan(0n);
      expect(await ledger.balanceOfCredits(sponsor.address)).to.equal(creditsBefore - charged.creditsCharged);
      expect(await entryPoint.balanceOf(paymasterAddress)).to.equal(depositBefore - event.actualGasCost);
      expect(await provider.getBalance(account.address)).to.equal(0n);
      expect(await ledger.balanceOf(account.address)).to.equal(1n);
    });
  });

  describe("npm run demo -- --network localhost", function () {
    it("runs the whole demo against the node and writes a consistent summary", async function () {
      const summaryFile = path.join(tmp, "demo-summary.json");
      const demo = await runAgainstNode(
        ["run", "scripts/demo.ts", "--network", "localhost"],
        node?.url ?? expect.fail("no node"),
        { DEPLOYMENT_ID: demoDeploymentId, DEMO_SUMMARY_PATH: summaryFile },
      );
      expect(demo.code, describeRun(demo)).to.equal(0);
      for (const title of [
        "1. Deploy",
        "2. The DAO votes",
        "3. The dApp creates one policy",
        "4. The user",
        "5. Summary",
      ]) {
        expect(demo.stdout).to.contain(title);
      }
      const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as Record<string, string> & {
        usd: Record<string, string>;
      };
      expect(summary.network).to.equal("localhost");
      expect(summary.userEthBeforeWei).to.equal("0");
      expect(summary.userEthAfterWei).to.equal("0");
      expect(BigInt(summary.creditsCharged)).to.be.greaterThan(0n);
      expect(BigInt(summary.sponsorCreditsBefore) - BigInt(summary.sponsorCreditsAfter)).to.equal(
        BigInt(summary.creditsCharged),
      );
      expect(BigInt(summary.paymasterDepositChangeWei)).to.equal(-BigInt(summary.actualGasCostWei));
      expect(summary.ethUsdPrice).to.equal("3000.0");
      // USD figures next to the base units: the dApp paid its credits' value; the user nothing.
      expect(summary.usd.userPaid).to.equal("0");
      expect(summary.usd.dappPaid).to.equal(
        formatUnits(BigInt(summary.creditsCharged), 6).replace(/\.0$/, ""),
      );
      expect(Number(summary.usd.withMarkup)).to.be.greaterThan(Number(summary.usd.gasValue));
      const figures = summary as unknown as {
        perUserSetupTransactions: number;
        policy: { opsPerUserPerDay: number; creditsPerUserPerDay: string; paymasterDataBytes: number };
        refusedOutsidePolicy: { code: number; message: string };
      };
      expect(figures.perUserSetupTransactions).to.equal(0);
      expect(figures.policy).to.include({
        opsPerUserPerDay: 20,
        creditsPerUserPerDay: "5000000",
        paymasterDataBytes: 114,
      });
      expect(figures.refusedOutsidePolicy.code).to.equal(-32034);
      expect(figures.refusedOutsidePolicy.message).to.contain('refused by rule "targets"');
    });
  });
});
