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
import { scriptFailureMessage } from "./lib/script-errors";

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
  if (system.measured !== undefined) {
    console.log(
      `  Gas used by the system's deployment: ${system.measured.gasUsed.toLocaleString("en-US")} in ` +
        `${system.measured.transactions} transactions (the EntryPoints and the local feed excluded)`,
    );
  }
  const network = system.network;
  const admin =
    system.variant === "dao"
      ? "the TimelockController (through Governor proposals)"
      : system.parameters.admin;
  const proposals =
    system.variant === "dao"
      ? `the DAO grants budgets and issuer caps by proposal:
       npx hardhat governance:propose-budget --grant <dApp>:<credits>:<expiry> --out proposals/budget --network ${network}
     (the timelock executes it), and names the paymasters' guardians (paymaster.setGuardian).`
      : `the admin grants budgets within its issuance cap (npx hardhat credits:grant --account <dApp> --amount <credits>
     --expiry +30d --network ${network} from an issuer) and names the paymasters' guardians (paymaster.setGuardian).`;
  console.log(`
Next steps (every admin action is taken by ${admin}):
  1. Check: npx hardhat paymaster:status --network ${network}   (and --entrypoint 0.7 for the v0.7 paymaster)
  2. Fund: npx hardhat credits:buy --eth <amount> --network ${network}: the ETH goes to the v0.8 paymaster's
     EntryPoint deposit; top up either paymaster with paymaster:deposit, rebalance with paymaster:move-deposit.
  3. Sponsor: a dApp holding credits gives its users budgets:
       npx hardhat credits:allow --beneficiary <user> --per-epoch <credits> --network ${network}
     and its users send UserOperations with SPONSORED paymaster data (docs/client.md, the paymaster service).
  4. Propose: ${proposals}
  Tasks: docs/operations.md. The deployer holds no role: nothing is left to renounce.`);
}

async function main(): Promise<void> {
  const variant = variantFromEnv();
  const system = await deploySystem(hre, {
    variant,
    parametersFile: process.env.DEPLOY_PARAMETERS,
    deploymentId: process.env.DEPLOYMENT_ID,
    // Ignition's display redraws itself: on a terminal only; plain lines in a log or CI.
    displayUi: hre.network.name === "hardhat" ? false : process.stdout.isTTY === true ? true : "plain",
    log: (line) => console.log(line),
  });
  printSummary(system);
}

main().catch((error: unknown) => {
  const failure = scriptFailureMessage(hre, error);
  if (error instanceof ParameterError || error instanceof PreconditionError) {
    console.error(`\n${error.message}\n\nNothing was deployed.`);
  } else if (failure !== undefined) {
    // A node that does not answer fails before the first transaction; other errors may come mid-deployment.
    console.error(`\n${failure.message}${failure.unreachable ? "\n\nNothing was deployed." : ""}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
