/**
 * `npm run deploy -- --network <name>` — deploys the full Compute Credits system with its Ignition module.
 *
 * `hardhat run` passes no arguments to scripts, so options come from the environment:
 *   DEPLOY_VARIANT     dao (default: Governor + Timelock deployed, the timelock administers everything)
 *                      | admin (an existing Timelock or Safe, parameter AdminSystem.admin, administers everything)
 *   DEPLOY_PARAMETERS  parameter file (default ignition/parameters/<network>.json)
 *   DEPLOYMENT_ID      Ignition deployment id (default chain-<chainId>; re-running resumes that deployment)
 *
 * It checks the preconditions first (nothing is sent if one fails), then runs the module with Ignition's
 * progress display, and ends with the deployed addresses and the next steps. See docs/deploy.md.
 */
import hre from "hardhat";

import { deploySystem } from "./lib/deploy-system";
import type { DeployedSystem } from "./lib/deploy-system";
import { liveNetwork } from "./lib/networks";
import { ParameterError, VARIANTS } from "./lib/parameters";
import type { Variant } from "./lib/parameters";
import { PreconditionError } from "./lib/preconditions";

function variantFromEnv(): Variant {
  const raw = process.env.DEPLOY_VARIANT ?? "dao";
  const variant = VARIANTS.find((v) => v === raw);
  if (variant === undefined) {
    throw new ParameterError([`DEPLOY_VARIANT is "${raw}": use one of ${VARIANTS.join(", ")}`]);
  }
  return variant;
}

function printSummary(system: DeployedSystem): void {
  const explorer = liveNetwork(system.network)?.explorer;
  console.log(`\nDeployed (Ignition deployment "${system.deploymentId}"):`);
  const width = Math.max(...Object.keys(system.addresses).map((k) => k.length));
  for (const [key, address] of Object.entries(system.addresses)) {
    const link = explorer === undefined ? "" : `  ${explorer}/address/${address}`;
    console.log(`  ${key.padEnd(width)}  ${address}${link}`);
  }
  if (system.deploymentDir !== undefined) {
    console.log(`  (also in ${system.deploymentDir}/deployed_addresses.json)`);
  }
  const admin =
    system.variant === "dao"
      ? "the TimelockController (through Governor proposals)"
      : system.parameters.admin;
  console.log(`
Next steps (every admin action is taken by ${admin}):
  1. Fund: anyone buys credits with ETH — ledger.buyCredits(account) {value} — and that ETH goes straight to
     the v0.8 paymaster's EntryPoint deposit; top up either paymaster with paymaster.deposit() {value}.
  2. Sponsor: a dApp holding credits sets per-user budgets — ledger.setAllowance(user, perEpoch, epochLength,
     expiresAt) — and its users send UserOperations with SPONSORED paymasterAndData (see docs).
  3. Propose: ${
    system.variant === "dao"
      ? "the DAO grants budgets by proposal — ledger.grant(dApp, amount, expiresAt), executed by the timelock\n     (an issuer capped per epoch) — and names the paymasters' guardians: paymaster.setGuardian(guardian, true)."
      : "the admin grants budgets — ledger.grant(dApp, amount, expiresAt) within its issuance cap — and names\n     the paymasters' guardians: paymaster.setGuardian(guardian, true)."
  }
  The deployer holds no role: nothing is left to renounce.`);
}

async function main(): Promise<void> {
  const variant = variantFromEnv();
  const system = await deploySystem(hre, {
    variant,
    parametersFile: process.env.DEPLOY_PARAMETERS,
    deploymentId: process.env.DEPLOYMENT_ID,
    displayUi: hre.network.name !== "hardhat",
    log: (line) => console.log(line),
  });
  printSummary(system);
}

main().catch((error: unknown) => {
  if (error instanceof ParameterError || error instanceof PreconditionError) {
    console.error(`\n${error.message}\n\nNothing was deployed.`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
