/**
 * What the postOp gas floor (issue 11's solvency fix: `paymasterPostOpGasLimit` must keep the EntryPoint's unmetered
 * gas unused) costs a wallet that uses the floor as its limit, per EntryPoint version and mode. See
 * {@link PostOpFloorCost} in ./report for what is measured and how it is reported.
 *
 * Runs AFTER every row of the report is measured: it registers a third spender (the test-only TestLowFloorPaymaster)
 * on the production ledger.
 */
import { parseEther } from "ethers";
import type { Signer } from "ethers";

import { CreditPaymaster__factory, TestLowFloorPaymaster__factory } from "../../typechain-types";
import type { ICreditPaymaster } from "../../typechain-types";
import type { PackedUserOperation, System, User } from "../../src/aa";
import { POST_OP_FLOOR_BUNDLE } from "./report";
import type { PostOpFloorCost, ReportVersion } from "./report";
import {
  PAYMASTER_GAS,
  WARM_UP_CHUNK,
  benchUser,
  creditPaymaster,
  policyPaymaster,
  sendBundle,
} from "./variants";
import type { Variant } from "./variants";

const MODES = [
  { label: "self-pay", variant: "credit-self", need: "POST_OP_GAS_SELF" },
  { label: "sponsored", variant: "credit-sponsored", need: "POST_OP_GAS_SPONSORED" },
  { label: "signed policy", variant: "policy-signed", need: "POST_OP_GAS_POLICY" },
] as const;

async function deployed(variant: Variant, users: readonly User[], what: string): Promise<void> {
  await variant.refresh();
  await variant.prepare(users);
  for (let i = 0; i < users.length; i += WARM_UP_CHUNK) {
    await variant.refresh();
    const ops: PackedUserOperation[] = [];
    for (const user of users.slice(i, i + WARM_UP_CHUNK)) ops.push(await variant.warmUpOp(user));
    await sendBundle(variant.sys.entryPoint, variant.sys.bundler, ops, `${what} warm-up`);
  }
}

/**
 * Measures, on `sys`'s EntryPoint, the floor's cost in self-pay, sponsored and signed-policy mode: a
 * TestLowFloorPaymaster with the production paymaster's configuration is registered on the ledger by `ledgerAdmin`
 * and funded; per mode, one bundle of {@link POST_OP_FLOOR_BUNDLE} operations with the postOp limit at the real floor
 * (`minPostOpGasLimit` of each operation), one with it at `POST_OP_GAS_<mode>` + the margin (the floor set lower).
 */
export async function measurePostOpFloorCost(
  sys: System,
  ledgerAdmin: Signer,
  version: ReportVersion,
): Promise<PostOpFloorCost[]> {
  // The production paymaster's configuration, as a plain struct (ethers' Result cannot be passed back as is).
  const read = (await sys.paymaster.config()) as unknown as { toObject(deep: boolean): unknown };
  const config = read.toObject(true) as ICreditPaymaster.ConfigStruct & { postOpGasMargin: bigint };
  const low = await new TestLowFloorPaymaster__factory(sys.admin).deploy(
    sys.entryPoint,
    sys.ledger,
    sys.adapter,
    sys.admin,
    config,
  );
  await low.waitForDeployment();
  await (await sys.entryPoint.depositTo(low, { value: parseEther("10") })).wait();
  await (await sys.ledger.connect(ledgerAdmin).addSpender(low)).wait();
  const lowSys: System = {
    ...sys,
    paymaster: CreditPaymaster__factory.connect(await low.getAddress(), sys.admin),
  };

  const costs: PostOpFloorCost[] = [];
  for (const mode of MODES) {
    const variant =
      mode.variant === "policy-signed"
        ? await policyPaymaster(lowSys, mode.variant)
        : await creditPaymaster(lowSys, mode.variant);
    const what = `[${version}] postOp floor, ${mode.label}`;
    const users = { floor: [] as User[], low: [] as User[] };
    for (const kind of ["floor", "low"] as const) {
      for (let i = 0; i < POST_OP_FLOOR_BUNDLE; i++) {
        users[kind].push(await benchUser(sys, `${version}/floor-cost/${mode.variant}/${kind}/${i}`));
      }
    }
    await deployed(variant, [...users.floor, ...users.low], what);

    const lowFloor = (await low.getFunction(mode.need)()) + config.postOpGasMargin;
    const measure = async (kind: "floor" | "low") => {
      await low.setFloor(kind === "floor" ? 0n : lowFloor).then((tx) => tx.wait());
      await variant.refresh();
      const ops: PackedUserOperation[] = [];
      let limit = 0n;
      for (const user of users[kind]) {
        if (kind === "floor") {
          // The floor depends on the operation's size only, not on its postOp limit's value.
          limit = await low.minPostOpGasLimit(await variant.measuredOp(user));
        } else {
          limit = lowFloor;
        }
        ops.push(await variant.measuredOp(user, { ...PAYMASTER_GAS, paymasterPostOpGasLimit: limit }));
      }
      const result = await sendBundle(sys.entryPoint, sys.bundler, ops, `${what} (${kind})`);
      await variant.checkSteadyPath(result, ops.length);
      const n = BigInt(ops.length);
      const billed = result.userOperationEvents.reduce((sum, e) => sum + e.actualGasUsed, 0n);
      return {
        limit: Number(limit),
        billed: Number((2n * billed + n) / (2n * n)),
        used: Number((2n * result.receipt.gasUsed + n) / (2n * n)),
      };
    };
    const atFloor = await measure("floor");
    const atLow = await measure("low");
    costs.push({
      version,
      mode: mode.label,
      floor: atFloor.limit,
      lowFloor: atLow.limit,
      billedAtFloor: atFloor.billed,
      billedAtLowFloor: atLow.billed,
      usedAtFloor: atFloor.used,
      usedAtLowFloor: atLow.used,
    });
    console.log(
      `${what}: limit ${atFloor.limit} → billed ${atFloor.billed}/op, used ${atFloor.used}/op; ` +
        `limit ${atLow.limit} → billed ${atLow.billed}/op, used ${atLow.used}/op`,
    );
  }
  return costs;
}
