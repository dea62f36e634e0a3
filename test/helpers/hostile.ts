/**
 * Hostile gas shapes (issue F1): operations shaped to make the EntryPoint bill as much gas as possible outside every
 * gas limit, against the credit paymaster. A {@link TestHostileAccount} accepts any operation, and its call burns
 * all of `callGasLimit` and reverts with up to 2,048 bytes of revert reason (the most the EntryPoint copies and
 * logs); the verification limits are searched down to the smallest the EntryPoint accepts; the call data can be
 * padded (the EntryPoint's memory grows with it) and routed through `executeUserOp` (the EntryPoint then passes the
 * whole operation). Shared by the low-prefund security tests and the invariant fuzzer.
 */
import { ethers } from "hardhat";
import { concat, dataSlice } from "ethers";
import type { Signer } from "ethers";

import { TestHostileAccount__factory } from "../../typechain-types";
import type { TestHostileAccount } from "../../typechain-types";
import type { EntryPointCommon } from "./entrypoint";
import { buildUserOp, packPaymasterAndData } from "./userop";
import type { PackedUserOperation } from "./userop";

/** The most revert data the EntryPoint copies and logs (`REVERT_REASON_MAX_LEN`). */
export const MAX_REVERT_REASON = 2_048;
/** Gas the hostile call keeps to revert with a 2,048-byte reason (its memory expansion). */
const KEEP_FOR_REVERT = 300n;

/** The shape of a hostile operation. */
export interface HostileShape {
  /** Bytes of revert reason (0 = the call reverts without data). */
  reasonLength: number;
  /** Bytes of padding appended to the call data. */
  padding: number;
  /** Route the call through `executeUserOp`: the EntryPoint then ABI-encodes the whole operation for the call. */
  executeUserOp: boolean;
}

/** The worst shape: the longest revert reason the EntryPoint logs, through the plain call. */
export const WORST_SHAPE: HostileShape = {
  reasonLength: MAX_REVERT_REASON,
  padding: 0,
  executeUserOp: false,
};

export async function deployHostileAccount(deployer: Signer): Promise<TestHostileAccount> {
  const account = await new TestHostileAccount__factory(deployer).deploy();
  await account.waitForDeployment();
  return account;
}

/** Call data of a hostile call of `shape`. */
export function hostileCallData(shape: HostileShape): string {
  const iface = TestHostileAccount__factory.createInterface();
  const plain = iface.encodeFunctionData("burnAndRevert", [
    KEEP_FOR_REVERT,
    shape.reasonLength,
    `0x${"00".repeat(shape.padding)}`,
  ]);
  if (!shape.executeUserOp) return plain;
  return concat([iface.getFunction("executeUserOp").selector, dataSlice(plain, 4)]);
}

/** Fields of {@link hostileOp}. */
export interface HostileOpFields {
  sender: string;
  nonce: bigint;
  paymaster: string;
  /** Paymaster data (after offset 52): the mode's encoding. */
  paymasterData: string;
  shape: HostileShape;
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
  /** Both fees: with maxPriorityFeePerGas = maxFeePerGas the gas price is maxFeePerGas on both versions. */
  feePerGas: bigint;
  preVerificationGas?: bigint;
}

/** A hostile operation (unsigned: the hostile account checks no signature). */
export function hostileOp(f: HostileOpFields): PackedUserOperation {
  return buildUserOp({
    sender: f.sender,
    nonce: f.nonce,
    callData: hostileCallData(f.shape),
    verificationGasLimit: f.verificationGasLimit,
    callGasLimit: f.callGasLimit,
    preVerificationGas: f.preVerificationGas ?? 50_000n,
    maxFeePerGas: f.feePerGas,
    maxPriorityFeePerGas: f.feePerGas,
    paymasterAndData: packPaymasterAndData(
      f.paymaster,
      f.paymasterVerificationGasLimit,
      f.paymasterPostOpGasLimit,
      f.paymasterData,
    ),
    signature: "0x",
  });
}

/** The name of the EntryPoint error `handleOps([op])` reverts with (static call), or null when it would pass. */
export async function staticHandleOpsError(
  entryPoint: EntryPointCommon,
  op: PackedUserOperation,
  bundler: Signer,
): Promise<string | null> {
  try {
    await entryPoint
      .connect(bundler)
      .handleOps.staticCall([op], await bundler.getAddress(), { gasLimit: 15_000_000n });
    return null;
  } catch (error) {
    const data = (error as { data?: string }).data;
    if (data === undefined) throw error;
    const parsed = entryPoint.interface.parseError(data);
    return parsed === null ? data : `${parsed.name}: ${parsed.args.map(String).join(", ")}`;
  }
}

/** The smallest value in [lo, hi] for which `ok` holds (`ok` is monotonic). */
async function smallest(lo: bigint, hi: bigint, ok: (v: bigint) => Promise<boolean>): Promise<bigint> {
  if (!(await ok(hi))) throw new Error(`no value up to ${hi} passes`);
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (await ok(mid)) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/**
 * `op` with its verification limits lowered to the smallest the EntryPoint accepts (AA26 / AA36 just avoided):
 * every unit of validation gas is then billed, and none is left to absorb the EntryPoint's unmetered gas.
 */
export async function withSmallestVerificationLimits(
  entryPoint: EntryPointCommon,
  op: PackedUserOperation,
  bundler: Signer,
): Promise<PackedUserOperation> {
  const rebuild = (vgl: bigint, pvgl: bigint): PackedUserOperation =>
    withVerificationLimits(op, { verificationGasLimit: vgl, paymasterVerificationGasLimit: pvgl });
  const vgl0 = BigInt(dataSlice(op.accountGasLimits, 0, 16));
  const pvgl0 = BigInt(dataSlice(op.paymasterAndData, 20, 36));
  const vgl = await smallest(1_000n, vgl0, async (v) => {
    const e = await staticHandleOpsError(entryPoint, rebuild(v, pvgl0), bundler);
    return e === null || !/AA2[0-9]/.test(e);
  });
  const rejection = await staticHandleOpsError(entryPoint, rebuild(vgl, pvgl0), bundler);
  if (rejection !== null && /AA3[0-9]/.test(rejection)) {
    throw new Error(`the paymaster rejects the operation whatever its verification limit: ${rejection}`);
  }
  const pvgl = await smallest(1_000n, pvgl0, async (v) => {
    const e = await staticHandleOpsError(entryPoint, rebuild(vgl, v), bundler);
    return e === null || !/AA3[0-9]/.test(e);
  });
  return rebuild(vgl, pvgl);
}

/** Verification limits of an operation. */
export interface VerificationLimits {
  verificationGasLimit: bigint;
  paymasterVerificationGasLimit: bigint;
}

/** `op` with both verification limits replaced. */
export function withVerificationLimits(
  op: PackedUserOperation,
  limits: VerificationLimits,
): PackedUserOperation {
  const callGasLimit = BigInt(dataSlice(op.accountGasLimits, 16, 32));
  return {
    ...op,
    accountGasLimits: ethers.solidityPacked(
      ["uint128", "uint128"],
      [limits.verificationGasLimit, callGasLimit],
    ),
    paymasterAndData: concat([
      dataSlice(op.paymasterAndData, 0, 20),
      ethers.solidityPacked(["uint128"], [limits.paymasterVerificationGasLimit]),
      dataSlice(op.paymasterAndData, 36),
    ]),
  };
}

/**
 * The smallest value in [lo, hi] for which `ok` holds (`ok` is monotonic), searched from `hint`: a bracket is found
 * by steps doubling from `step` away from the hint, then bisected. A hint within `step` of the answer costs about
 * `log2(step) + 2` evaluations instead of `log2(hi - lo)`.
 */
async function smallestNear(
  lo: bigint,
  hi: bigint,
  hint: bigint,
  step: bigint,
  ok: (v: bigint) => Promise<boolean>,
): Promise<bigint> {
  let good = hint < lo ? lo : hint > hi ? hi : hint;
  let bad: bigint;
  if (await ok(good)) {
    // Down from the hint: `bad` is the first value found to fail (or lo - 1 when none does).
    for (;;) {
      if (good === lo) return lo;
      const probe = good - step < lo ? lo : good - step;
      if (!(await ok(probe))) {
        bad = probe;
        break;
      }
      good = probe;
      step *= 2n;
    }
  } else {
    bad = good;
    for (;;) {
      if (bad === hi) throw new Error(`no value up to ${hi} passes`);
      const probe = bad + step > hi ? hi : bad + step;
      if (await ok(probe)) {
        good = probe;
        break;
      }
      bad = probe;
      step *= 2n;
    }
  }
  while (good - bad > 1n) {
    const mid = (good + bad) / 2n;
    if (await ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** What a limit search returns: the smallest accepted value and how many static `handleOps` calls it took. */
export interface LimitSearch {
  value: bigint;
  probes: number;
}

/**
 * As {@link withSmallestVerificationLimits} for one limit, searched from `hint` (e.g. the limit found for a similar
 * operation) with a first step of `step` (1 when the hint is known to be exact: two calls confirm it), up to
 * `upper`: the smallest `verificationGasLimit` (`which = "account"`, no AA2x rejection; the paymaster's limit of
 * `op` should be generous) or `paymasterVerificationGasLimit` (`"paymaster"`, no AA3x rejection, for an operation the
 * paymaster is expected to accept) of `op`, the other limit as in `op`. An `AA32` rejection (the paymaster's validity
 * window, judged at the static call's block time) counts as accepted: the paymaster's validation completed.
 */
export async function smallestVerificationLimit(
  entryPoint: EntryPointCommon,
  op: PackedUserOperation,
  bundler: Signer,
  which: "account" | "paymaster",
  hint: bigint,
  step: bigint,
  upper: bigint,
): Promise<LimitSearch> {
  let probes = 0;
  let last: string | null = null;
  const current: VerificationLimits = {
    verificationGasLimit: BigInt(dataSlice(op.accountGasLimits, 0, 16)),
    paymasterVerificationGasLimit: BigInt(dataSlice(op.paymasterAndData, 20, 36)),
  };
  const rejects = which === "account" ? /AA2[0-9]/ : /AA3[013-9]/;
  const ok = async (v: bigint) => {
    probes += 1;
    const limits =
      which === "account"
        ? { ...current, verificationGasLimit: v }
        : { ...current, paymasterVerificationGasLimit: v };
    last = await staticHandleOpsError(entryPoint, withVerificationLimits(op, limits), bundler);
    return last === null || !rejects.test(last);
  };
  try {
    return { value: await smallestNear(1_000n, upper, hint, step, ok), probes };
  } catch (e) {
    throw new Error(`${which} verification limit: ${(e as Error).message}; last rejection: ${String(last)}`, {
      cause: e,
    });
  }
}

/** `verificationGasLimit + callGasLimit + paymasterVerificationGasLimit + paymasterPostOpGasLimit + preVerificationGas`. */
export function totalGasLimits(op: PackedUserOperation): bigint {
  return (
    BigInt(dataSlice(op.accountGasLimits, 0, 16)) +
    BigInt(dataSlice(op.accountGasLimits, 16, 32)) +
    BigInt(dataSlice(op.paymasterAndData, 20, 36)) +
    BigInt(dataSlice(op.paymasterAndData, 36, 52)) +
    op.preVerificationGas
  );
}
