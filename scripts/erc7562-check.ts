import { parseEther } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { analyzeValidation, traceValidation } from "../src/erc7562";
import type { Violation } from "../src/erc7562";
import { CREDIT, ENTRY_POINT_VERSIONS, buyCredits, creditOp, deploySystem, newUser } from "../src/aa";
import type { EntryPointVersion, PackedUserOperation, System, User } from "../src/aa";

/** The paymaster modes, as named in the report. */
export const MODES = ["self", "sponsored"] as const;
export type ModeName = (typeof MODES)[number];

export type Erc7562Json = Record<string, Record<ModeName, { violations: Violation[] }>>;

export interface Erc7562Report {
  ok: boolean;
  json: Erc7562Json;
}

async function validOp(sys: System, mode: ModeName, user: User): Promise<PackedUserOperation> {
  const dapp = await sys.dapp.getAddress();
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
