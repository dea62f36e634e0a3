/**
 * Load for the indexer benchmark (`hardhat run bench/indexer-load.ts --network localhost`; env DEPLOYMENT_DIR,
 * OPS, BUNDLE): OPS charged operations through the real EntryPoint v0.8, in bundles of BUNDLE operations from BUNDLE
 * different SimpleAccounts (their first, deploying operations in bundles of 10), one sponsor paying: a third SPONSORED (allowances), a third under an open POLICY, a third
 * SELF (each account bought credits). Prints `LOAD {...}` with the sponsor, the accounts and the bundles sent.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import hre from "hardhat";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";

import {
  buildUserOp,
  counterfactualAccount,
  deploySimpleAccountFactory,
  encodeExecute,
  entryPointAt,
  handleOps,
  packPaymasterAndData,
  policyPaymasterData,
  selfPaymasterData,
  signUserOp,
  sponsoredPaymasterData,
} from "../src/aa";
import type { PackedUserOperation } from "../src/aa";
import type { CreditLedger } from "../typechain-types";

const CREDIT = 1_000_000n;
const DAY = 86_400;
/** Operations per bundle while the accounts are deployed by their first operation. */
const DEPLOY_BUNDLE = 10;

async function main(): Promise<void> {
  const dir = process.env.DEPLOYMENT_DIR;
  if (dir === undefined) throw new Error("DEPLOYMENT_DIR is not set");
  const total = Number(process.env.OPS ?? "10000");
  const perBundle = Number(process.env.BUNDLE ?? "50");
  const addresses = JSON.parse(readFileSync(path.join(dir, "deployed_addresses.json"), "utf8")) as Record<
    string,
    string
  >;
  const byKey = (suffix: string) => addresses[Object.keys(addresses).find((k) => k.endsWith(suffix)) ?? ""];
  const [, , , bundler, , sponsor, , buyer] = await hre.ethers.getSigners();
  const ledger = (await hre.ethers.getContractAt(
    "CreditLedger",
    byKey("#CreditLedger"),
  )) as unknown as CreditLedger;
  const paymaster = byKey("#CreditPaymasterV08");
  const entryPoint = entryPointAt("0.8", bundler);
  const factory = await deploySimpleAccountFactory("0.8", await entryPoint.getAddress(), bundler);
  const target = await (await hre.ethers.getContractFactory("TestTarget", bundler)).deploy();
  const targetAddress = await target.getAddress();
  const increment = target.interface.encodeFunctionData("increment");
  const now = BigInt((await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0);

  await (await ledger.connect(buyer).buyCredits(sponsor.address, { value: 10n ** 19n })).wait();
  await (
    await ledger.connect(sponsor).createPolicy(
      {
        creditsPerUser: 0n,
        opsPerUser: 0n,
        creditsPerEpoch: 0n,
        creditsPerOp: 0n,
        start: Number(now) - 60,
        end: Number(now) + 30 * DAY,
        signer: hre.ethers.ZeroAddress,
      },
      DAY,
    )
  ).wait();
  const policyId = await ledger.policyCount(sponsor.address);
  const users = [];
  for (let i = 0; i < perBundle; i++) {
    const owner = new Wallet(keccak256(toUtf8Bytes(`indexer-bench/${i}`)), hre.ethers.provider);
    const account = await counterfactualAccount(factory, owner.address);
    await (await ledger.connect(buyer).buyCredits(account.address, { value: 10n ** 17n })).wait();
    await (
      await ledger
        .connect(sponsor)
        .setAllowance(account.address, 100_000n * CREDIT, DAY, now + 20n * BigInt(DAY))
    ).wait();
    users.push({ owner, account, nonce: 0n });
  }
  const started = Date.now();
  let sent = 0;
  let bundles = 0;
  while (sent < total) {
    const baseFee = (await hre.ethers.provider.getBlock("latest"))?.baseFeePerGas ?? 1_000_000_000n;
    const ops: PackedUserOperation[] = [];
    // The accounts' first operations deploy them (about 3x the gas): those go in bundles of 10, under the
    // transaction gas cap (2^24); every later bundle has `perBundle` operations.
    const undeployed = users.findIndex((u) => u.nonce === 0n);
    const first = undeployed >= 0;
    const from = first ? undeployed : 0;
    const size = first ? DEPLOY_BUNDLE : perBundle;
    for (let i = from; i < from + size && sent + ops.length < total; i++) {
      const u = users[i];
      const kind = (sent + i) % 3;
      const data =
        kind === 0
          ? sponsoredPaymasterData(sponsor.address)
          : kind === 1
            ? policyPaymasterData(sponsor.address, policyId)
            : selfPaymasterData();
      const op = buildUserOp({
        sender: u.account.address,
        nonce: u.nonce,
        initCode: u.nonce === 0n ? u.account.initCode : "0x",
        callData: encodeExecute(targetAddress, 0n, increment),
        verificationGasLimit: u.nonce === 0n ? 400_000n : 100_000n,
        callGasLimit: 60_000n,
        preVerificationGas: 60_000n,
        maxFeePerGas: 2n * baseFee + 100_000_000n,
        maxPriorityFeePerGas: 100_000_000n,
        paymasterAndData: packPaymasterAndData(paymaster, 150_000n, 80_000n, data),
      });
      ops.push(await signUserOp(op, u.owner, entryPoint, "0.8"));
      u.nonce += 1n;
    }
    await handleOps(entryPoint, ops, bundler.address, bundler);
    sent += ops.length;
    bundles++;
    if (bundles % 20 === 0)
      console.error(
        `${sent} operations in ${bundles} bundles (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
  }
  console.log(
    `LOAD ${JSON.stringify({
      sponsor: sponsor.address,
      policyId: policyId.toString(),
      users: users.map((u) => u.account.address),
      operations: sent,
      bundles,
      seconds: (Date.now() - started) / 1000,
    })}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
