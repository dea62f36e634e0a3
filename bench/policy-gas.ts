/**
 * Gas of the CreditPaymaster's POLICY mode on EntryPoint v0.7, measured like `npm run bench` (the same operation,
 * gas fields and paymaster limits; distinct senders with one prior operation; prices refreshed before each bundle)
 * against no paymaster and the reference TokenPaymaster, in bundles of 1, 10 and 50:
 * - `policy-signed`: a policy with an EOA approval signer and no per-user limits (a returning user);
 * - `policy-open-returning`: an open policy with per-user limits, a user's later operation;
 * - `policy-open-first`: the same policy, a user's first operation under it (its usage slot is written from zero).
 * Prints the gas per operation, the overhead over no paymaster and its ratio to TokenPaymaster's (issue 13's bar:
 * signed ≤ 0.60 × TokenPaymaster's at bundles of 10 and 50). Not part of reports/gas.json.
 *
 * Run: `npx hardhat run bench/policy-gas.ts`.
 */
import { ethers } from "hardhat";

import {
  deploySystem,
  policyPaymasterData,
  signPolicyApproval,
  signUserOp,
  STUB_APPROVAL_SIGNATURE,
} from "../src/aa";
import type { PackedUserOperation, System, User } from "../src/aa";
import { CREDIT, buyCredits, creditOp, encodeExecute, incrementCall } from "../src/aa";
import { BUNDLE_SIZES } from "./lib/report";
import {
  MEASURED_GAS,
  PAYMASTER_GAS,
  WARM_UP_GAS,
  benchUser,
  noPaymaster,
  sendBundle,
  tokenPaymaster,
} from "./lib/variants";
import type { Variant } from "./lib/variants";

type Kind = "policy-signed" | "policy-open-returning" | "policy-open-first";

async function createPolicy(sys: System, perUser: boolean, signer: string): Promise<bigint> {
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const terms = {
    creditsPerUser: perUser ? 50n * CREDIT : 0n,
    opsPerUser: perUser ? 100n : 0n,
    creditsPerEpoch: perUser ? 100_000n * CREDIT : 0n,
    creditsPerOp: 0n,
    start: now - 10n,
    end: now + 365n * 86_400n,
    signer,
  };
  await (await sys.ledger.connect(sys.dapp).createPolicy(terms, 86_400)).wait();
  return sys.ledger.policyCount(await sys.dapp.getAddress());
}

async function policyVariant(sys: System, kind: Kind): Promise<Variant & { kind: Kind }> {
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.dapp, dapp, ethers.parseEther("5"));
  const approver = sys.outsider;
  const signed = kind === "policy-signed";
  const measuredPolicy = await createPolicy(
    sys,
    !signed,
    signed ? await approver.getAddress() : ethers.ZeroAddress,
  );
  // First operation under the measured policy: warm up under another policy.
  const warmUpPolicy =
    kind === "policy-open-first" ? await createPolicy(sys, true, ethers.ZeroAddress) : measuredPolicy;
  const increment = encodeExecute(await sys.target.getAddress(), 0n, incrementCall(sys));
  const op = async (user: User, policyId: bigint, gas: object, extra: object = {}) => {
    const approval = signed
      ? { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE }
      : undefined;
    let o: PackedUserOperation = await creditOp(sys, user, {
      ...gas,
      ...PAYMASTER_GAS,
      ...extra,
      paymasterData: policyPaymasterData(dapp, policyId, 0n, approval),
    });
    if (!signed) return o;
    o = await signPolicyApproval(o, approver, sys.paymaster, sys.entryPoint);
    return signUserOp(o, user.owner, sys.entryPoint, sys.version);
  };
  return {
    kind,
    name: "credit-sponsored",
    sys,
    async prepare() {},
    warmUpOp: (user) => op(user, warmUpPolicy, WARM_UP_GAS),
    measuredOp: (user) => op(user, measuredPolicy, MEASURED_GAS, { nonce: 1n, callData: increment }),
    async refresh() {
      await (await sys.feed.updateAnswer(await sys.feed.latestAnswer())).wait();
      await (await sys.adapter.refreshCachedPrice()).wait();
    },
    checkSteadyPath() {},
  };
}

async function perOp(variant: Variant, label: string): Promise<Record<number, number>> {
  const out: Record<number, number> = {};
  for (const size of BUNDLE_SIZES) {
    const users: User[] = [];
    for (let i = 0; i < size; i++)
      users.push(await benchUser(variant.sys, `policy-bench/${label}/${size}/${i}`));
    await variant.prepare(users);
    await variant.refresh();
    // Warm-up bundles of 10 (each deploys an account), within the transaction gas cap.
    for (let i = 0; i < users.length; i += 10) {
      const warm: PackedUserOperation[] = [];
      for (const u of users.slice(i, i + 10)) warm.push(await variant.warmUpOp(u));
      await sendBundle(variant.sys.entryPoint, variant.sys.bundler, warm, `${label} warm-up`);
    }
    await variant.refresh();
    const ops: PackedUserOperation[] = [];
    for (const u of users) ops.push(await variant.measuredOp(u));
    const result = await sendBundle(variant.sys.entryPoint, variant.sys.bundler, ops, `${label} x${size}`);
    out[size] = Number(result.receipt.gasUsed / BigInt(size));
  }
  return out;
}

async function main(): Promise<void> {
  const sys = await deploySystem("0.7");
  const none = await perOp(await noPaymaster(sys), "none");
  const token = await perOp(await tokenPaymaster(sys), "token");
  console.log("| variant (v0.7) | ops/bundle | gas/op | overhead | token overhead | ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const kind of ["policy-signed", "policy-open-returning", "policy-open-first"] as Kind[]) {
    const gas = await perOp(await policyVariant(sys, kind), kind);
    for (const size of BUNDLE_SIZES) {
      const overhead = gas[size] - none[size];
      const tokenOverhead = token[size] - none[size];
      console.log(
        `| ${kind} | ${size} | ${gas[size]} | +${overhead} | +${tokenOverhead} | ${((100 * overhead) / tokenOverhead).toFixed(1)}% |`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
