/**
 * A seeded random run on a deployment of the DAO system (the demo's), for the indexer's reconciliation test
 * (`hardhat run test/indexer/random-run.ts --network localhost`; env DEPLOYMENT_DIR, SEED, STEPS). Through the real
 * EntryPoints v0.7 and v0.8: purchases, grants (short expiries that lapse during the run, and long ones),
 * revocations, sweeps, allowances (set, changed, revoked), open policies (with and without per-user limits), and bundles of
 * SELF, SPONSORED and POLICY operations calling two targets; time moves forward between steps. Operations a step
 * cannot afford fail in validation and their bundle reverts: nothing is recorded, which is what the indexer must
 * see too. Prints one JSON line (`RANDOM_RUN {...}`) with the accounts, allowances and policies it touched.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import hre from "hardhat";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";

import {
  ISSUER_ROLE,
  buildUserOp,
  counterfactualAccount,
  deploySimpleAccountFactory,
  encodeExecute,
  entryPointAt,
  handleOps,
  packPaymasterAndData,
  policyPaymasterData,
  runProposal,
  selfPaymasterData,
  signUserOp,
  sponsoredPaymasterData,
} from "../../src/aa";
import type {
  CounterfactualAccount,
  EntryPointCommon,
  EntryPointVersion,
  PackedUserOperation,
} from "../../src/aa";
import type { CreditLedger, CreditsGovernor, TimelockController } from "../../typechain-types";

const CREDIT = 1_000_000n;
const DAY = 86_400;

/** mulberry32: a small seeded PRNG (the run is reproducible from its seed). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface RunUser {
  owner: Wallet;
  version: EntryPointVersion;
  account: CounterfactualAccount;
  nonce: bigint;
}

async function main(): Promise<void> {
  const dir = process.env.DEPLOYMENT_DIR;
  if (dir === undefined) throw new Error("DEPLOYMENT_DIR is not set");
  const seed = Number(process.env.SEED ?? "1");
  const steps = Number(process.env.STEPS ?? "60");
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  const addresses = JSON.parse(readFileSync(path.join(dir, "deployed_addresses.json"), "utf8")) as Record<
    string,
    string
  >;
  const byKey = (suffix: string) => {
    const key = Object.keys(addresses).find((k) => k.endsWith(suffix));
    if (key === undefined) throw new Error(`the deployment has no ${suffix}`);
    return addresses[key];
  };
  const signers = await hre.ethers.getSigners();
  const [, voter, , bundler, issuer, sponsorA, sponsorB, buyer] = signers;
  const ledger = (await hre.ethers.getContractAt(
    "CreditLedger",
    byKey("#CreditLedger"),
  )) as unknown as CreditLedger;
  const governor = (await hre.ethers.getContractAt(
    "CreditsGovernor",
    byKey("#CreditsGovernor"),
  )) as unknown as CreditsGovernor;
  const timelock = (await hre.ethers.getContractAt(
    "TimelockController",
    byKey("#TimelockController"),
  )) as unknown as TimelockController;
  const paymasters: Record<EntryPointVersion, string> = {
    "0.7": byKey("#CreditPaymasterV07"),
    "0.8": byKey("#CreditPaymasterV08"),
  };
  const entryPoints: Record<EntryPointVersion, EntryPointCommon> = {
    "0.7": entryPointAt("0.7", bundler),
    "0.8": entryPointAt("0.8", bundler),
  };
  const factories = {
    "0.7": await deploySimpleAccountFactory("0.7", await entryPoints["0.7"].getAddress(), bundler),
    "0.8": await deploySimpleAccountFactory("0.8", await entryPoints["0.8"].getAddress(), bundler),
  };
  const targetFactory = await hre.ethers.getContractFactory("TestTarget", bundler);
  const targets = [await targetFactory.deploy(), await targetFactory.deploy()];
  const targetAddresses = await Promise.all(targets.map((t) => t.getAddress()));
  const increment = targets[0].interface.encodeFunctionData("increment");

  // The DAO makes `issuer` an issuer with a cap (one proposal: grantRole + setIssuerCap).
  const ledgerAddress = await ledger.getAddress();
  await runProposal(
    governor,
    timelock,
    voter,
    [voter],
    [
      {
        target: ledgerAddress,
        data: ledger.interface.encodeFunctionData("grantRole", [ISSUER_ROLE, issuer.address]),
      },
      {
        target: ledgerAddress,
        data: ledger.interface.encodeFunctionData("setIssuerCap", [issuer.address, 100_000n * CREDIT, DAY]),
      },
    ],
    `Random run ${seed}: issuer ${issuer.address} (${Date.now()})`,
  );

  const users: RunUser[] = [];
  for (let i = 0; i < 6; i++) {
    const owner = new Wallet(keccak256(toUtf8Bytes(`indexer-random-run/${seed}/${i}`)), hre.ethers.provider);
    const version: EntryPointVersion = i % 2 === 0 ? "0.8" : "0.7";
    users.push({
      owner,
      version,
      account: await counterfactualAccount(factories[version], owner.address),
      nonce: 0n,
    });
  }
  const sponsors = [sponsorA, sponsorB];
  const now = async () => BigInt((await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0);

  // Sponsors' credits, an allowance to every user, and policies: one open with per-user limits, one without.
  for (const s of sponsors)
    await (await ledger.connect(buyer).buyCredits(s.address, { value: 10n ** 17n })).wait();
  for (const u of users)
    await (await ledger.connect(buyer).buyCredits(u.account.address, { value: 10n ** 15n })).wait();
  const policies: { sponsor: string; policyId: bigint }[] = [];
  for (const [i, s] of sponsors.entries()) {
    const t = Number(await now());
    await (
      await ledger.connect(s).createPolicy(
        {
          creditsPerUser: i === 0 ? 50n * CREDIT : 0n,
          opsPerUser: i === 0 ? 40n : 0n,
          creditsPerEpoch: 500n * CREDIT,
          creditsPerOp: 0n,
          start: t - 60,
          end: t + 30 * DAY,
          signer: hre.ethers.ZeroAddress,
        },
        DAY,
      )
    ).wait();
    policies.push({ sponsor: s.address, policyId: await ledger.policyCount(s.address) });
  }
  const allowances: { sponsor: string; beneficiary: string }[] = [];
  for (const s of sponsors) {
    for (const u of users) {
      if (random() < 0.6) {
        await (
          await ledger
            .connect(s)
            .setAllowance(
              u.account.address,
              BigInt(between(20, 80)) * CREDIT,
              DAY,
              (await now()) + 20n * BigInt(DAY),
            )
        ).wait();
        allowances.push({ sponsor: s.address, beneficiary: u.account.address });
      }
    }
  }

  const baseFee = async () => (await hre.ethers.provider.getBlock("latest"))?.baseFeePerGas ?? 1_000_000_000n;
  const grants: { account: string; expiresAt: bigint }[] = [];
  let bundles = 0;
  let failedBundles = 0;
  for (let step = 0; step < steps; step++) {
    const action = random();
    if (action < 0.12) {
      const u = pick(users);
      await (
        await ledger
          .connect(buyer)
          .buyCredits(u.account.address, { value: BigInt(between(1, 50)) * 10n ** 14n })
      ).wait();
    } else if (action < 0.27) {
      const account = random() < 0.3 ? pick(sponsors).address : pick(users).account.address;
      const short = random() < 0.6;
      const expiresAt = (await now()) + BigInt(short ? between(60, 900) : between(2 * DAY, 20 * DAY));
      await (await ledger.connect(issuer).grant(account, BigInt(between(1, 30)) * CREDIT, expiresAt)).wait();
      grants.push({ account, expiresAt });
    } else if (action < 0.31 && grants.length > 0) {
      const g = pick(grants);
      const left = (await ledger.creditBreakdown(g.account)).grants.find((b) => b.expiresAt === g.expiresAt);
      if (left !== undefined && left.amount > 0n) {
        await (
          await ledger.connect(issuer).revokeGrant(g.account, g.expiresAt, (left.amount + 1n) / 2n, 7)
        ).wait();
      }
    } else if (action < 0.36) {
      await hre.network.provider.send("evm_increaseTime", [between(30, 300)]);
      await hre.network.provider.send("evm_mine", []);
    } else if (action < 0.39) {
      await (await ledger.connect(buyer).sweepExpired(pick(users).account.address)).wait();
    } else if (action < 0.41) {
      const a = pick(allowances);
      const s = sponsors.find((x) => x.address === a.sponsor);
      if (s !== undefined && (await ledger.allowance(a.sponsor, a.beneficiary)).limit !== 0n) {
        if (random() < 0.5) await (await ledger.connect(s).revokeAllowance(a.beneficiary)).wait();
        else
          await (
            await ledger
              .connect(s)
              .setAllowance(
                a.beneficiary,
                BigInt(between(20, 80)) * CREDIT,
                DAY,
                (await now()) + 10n * BigInt(DAY),
              )
          ).wait();
      }
    } else {
      // A bundle of 1–4 operations of one EntryPoint version.
      const version: EntryPointVersion = random() < 0.5 ? "0.7" : "0.8";
      const candidates = users.filter((u) => u.version === version);
      const count = between(1, 4);
      const ops: PackedUserOperation[] = [];
      const used: RunUser[] = [];
      const maxFeePerGas = 2n * (await baseFee()) + 100_000_000n;
      for (let i = 0; i < count; i++) {
        const u = pick(candidates);
        const modePick = random();
        let data: string;
        if (modePick < 0.34) data = selfPaymasterData();
        else if (modePick < 0.67) {
          const mine = allowances.filter((a) => a.beneficiary === u.account.address);
          data = mine.length === 0 ? selfPaymasterData() : sponsoredPaymasterData(pick(mine).sponsor);
        } else {
          const p = pick(policies);
          data = policyPaymasterData(p.sponsor, p.policyId);
        }
        const deployed = (await hre.ethers.provider.getCode(u.account.address)) !== "0x";
        const op = buildUserOp({
          sender: u.account.address,
          nonce: u.nonce,
          initCode: deployed || used.includes(u) ? "0x" : u.account.initCode,
          callData: encodeExecute(pick(targetAddresses), 0n, increment),
          verificationGasLimit: 400_000n,
          callGasLimit: 100_000n,
          preVerificationGas: 60_000n,
          maxFeePerGas,
          maxPriorityFeePerGas: 100_000_000n,
          paymasterAndData: packPaymasterAndData(paymasters[version], 150_000n, 80_000n, data),
        });
        ops.push(await signUserOp(op, u.owner, entryPoints[version], version));
        used.push(u);
        u.nonce += 1n;
      }
      bundles++;
      try {
        await handleOps(entryPoints[version], ops, bundler.address, bundler);
      } catch {
        // A validation failure (credits, allowance or policy limits exhausted) reverts the whole bundle.
        failedBundles++;
        for (const u of used) u.nonce = await entryPoints[version].getNonce(u.account.address, 0);
      }
    }
  }
  // Past every short expiry: the buckets that lapsed stay in the ledger as expired-unswept until swept.
  await hre.network.provider.send("evm_increaseTime", [1_000]);
  await hre.network.provider.send("evm_mine", []);
  const accounts = [...sponsors.map((s) => s.address), ...users.map((u) => u.account.address)];
  console.log(
    `RANDOM_RUN ${JSON.stringify({
      seed,
      steps,
      bundles,
      failedBundles,
      accounts,
      allowances,
      policies: policies.map((p) => ({ sponsor: p.sponsor, policyId: p.policyId.toString() })),
      users: users.map((u) => u.account.address),
      issuer: issuer.address,
    })}`,
  );
}

// `hardhat test` loads every file under test/ as a suite: run only as `hardhat run`'s script.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
