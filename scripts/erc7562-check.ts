import { parseEther } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { ethers } from "hardhat";

import { analyzeValidation, traceValidation } from "../src/erc7562";
import type { Violation } from "../src/erc7562";
import {
  CREDIT,
  ENTRY_POINT_VERSIONS,
  STUB_APPROVAL_SIGNATURE,
  buyCredits,
  creditOp,
  deploySystem,
  newUser,
  policyPaymasterData,
  signPolicyApproval,
  signUserOp,
} from "../src/aa";
import type { EntryPointVersion, PackedUserOperation, System, User } from "../src/aa";
import { TestPolicySigner__factory } from "../typechain-types";

/**
 * The paymaster modes, as named in the report: POLICY under an open policy (no signer), and under a signed policy
 * whose approval signer is an EOA or an ERC-1271 contract (a Safe stand-in that checks its owner's signature).
 */
export const MODES = ["self", "sponsored", "policy-open", "policy-eoa", "policy-erc1271"] as const;
export type ModeName = (typeof MODES)[number];

export type Erc7562Json = Record<string, Record<ModeName, { violations: Violation[] }>>;

export interface Erc7562Report {
  ok: boolean;
  json: Erc7562Json;
}

/** POLICY postOp gas limit: above the floor of a small operation. */
const POLICY_POST_OP_GAS = 150_000n;

/** A valid POLICY operation of `user` under a new policy of the dApp, signed by `signer` when given. */
async function policyOp(sys: System, user: User, mode: ModeName): Promise<PackedUserOperation> {
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.dapp, dapp, parseEther("0.1"));
  const approver = sys.outsider;
  let signer = ethers.ZeroAddress;
  if (mode === "policy-eoa") signer = await approver.getAddress();
  if (mode === "policy-erc1271") {
    const safe = await new TestPolicySigner__factory(sys.admin).deploy(await approver.getAddress());
    await safe.waitForDeployment();
    signer = await safe.getAddress();
  }
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  // The EOA-signed policy has no per-user limits (the user's usage slot is not read: the bench's signed row); the
  // open and ERC-1271 ones have them (the usage slot, associated with the sender, is read).
  const perUser = mode !== "policy-eoa";
  const terms = {
    // Above the hold of this op (its worst case, ~10 credits at 3 gwei): a limit below it makes validation revert
    // before the signature check, and a reverted validation proves nothing (the check refuses it).
    creditsPerUser: perUser ? 50n * CREDIT : 0n,
    opsPerUser: perUser ? 20n : 0n,
    creditsPerEpoch: 1_000n * CREDIT,
    creditsPerOp: 0n,
    start: now - 10n,
    end: now + 30n * 86_400n,
    signer,
  };
  const ledger = sys.ledger.connect(sys.dapp);
  await (await ledger.createPolicy(terms, 86_400)).wait();
  const policyId = await ledger.policyCount(dapp);
  const signed = signer !== ethers.ZeroAddress;
  let op = await creditOp(sys, user, {
    paymasterPostOpGasLimit: POLICY_POST_OP_GAS,
    paymasterData: policyPaymasterData(
      dapp,
      policyId,
      0n,
      signed ? { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE } : undefined,
    ),
  });
  if (!signed) return op;
  op = await signPolicyApproval(op, approver, sys.paymaster, sys.entryPoint);
  return signUserOp(op, user.owner, sys.entryPoint, sys.version);
}

async function validOp(sys: System, mode: ModeName, user: User): Promise<PackedUserOperation> {
  const dapp = await sys.dapp.getAddress();
  if (mode.startsWith("policy")) return policyOp(sys, user, mode);
  if (mode === "self") {
    await buyCredits(sys, sys.admin, user.account.address, parseEther("0.1"));
    return creditOp(sys, user);
  }
  await buyCredits(sys, sys.dapp, dapp, parseEther("0.1"));
  await (
    await sys.ledger
      .connect(sys.dapp)
      .setAllowance(user.account.address, 100n * CREDIT, 86_400, 2n ** 32n - 1n)
  ).wait();
  return creditOp(sys, user, { sponsor: dapp });
}

/**
 * Runs the check on the current Hardhat network (in-process): one fresh system per EntryPoint version, one
 * valid operation per mode (the account is created in that same operation, as in a first use).
 */
export async function runErc7562Check(
  hre: HardhatRuntimeEnvironment,
  log: (line: string) => void,
): Promise<Erc7562Report> {
  const json: Erc7562Json = {};
  let ok = true;
  for (const version of ENTRY_POINT_VERSIONS) {
    const key = `v${version}` as `v${EntryPointVersion}`;
    log(`EntryPoint ${version}: deploying the system`);
    const sys = await deploySystem(version);
    const paymaster = await sys.paymaster.getAddress();
    const entryPoint = await sys.entryPoint.getAddress();
    const paymasterStaked = (await sys.entryPoint.getDepositInfo(paymaster)).staked;
    json[key] = {} as Erc7562Json[string];
    for (const [i, mode] of MODES.entries()) {
      const user = await newUser(sys, BigInt(100 + i));
      const op = await validOp(sys, mode, user);
      log(`  ${mode}: tracing validation of a valid operation`);
      const trace = await traceValidation(hre.ethers.provider, { entryPoint, op });
      if (trace.failed) {
        // A reverted validation proves nothing about the rules: the code under test may not even have run.
        throw new Error(
          `EntryPoint ${version} ${mode}: the operation under test is not valid (handleOps reverted with ${trace.returnValue}); fix the test operation`,
        );
      }
      const result = analyzeValidation(trace.structLogs, {
        entryPoint,
        sender: op.sender,
        paymaster,
        factory: user.account.factory,
        paymasterStaked,
      });
      if (!result.frames.some((f) => f.entity === "paymaster")) {
        throw new Error(
          `EntryPoint ${version} ${mode}: the paymaster's validation frame was not found in the trace`,
        );
      }
      const violations = result.violations.filter((v) => v.entity === "paymaster");
      json[key][mode] = { violations };
      if (violations.length > 0) ok = false;
      log(`  ${mode}: ${violations.length} violation(s)`);
      for (const v of violations)
        log(`    ${v.rule} ${v.opcode ?? ""} ${v.address ?? ""} ${v.slot ?? ""}: ${v.message}`);
    }
  }
  return { ok, json };
}
