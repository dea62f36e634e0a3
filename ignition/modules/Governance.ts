import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroAddress, parseEther } from "ethers";

import { ROLES } from "./roles";

/**
 * The DAO: CreditsVotesToken (ERC20Votes, fixed supply minted to `tokenHolder`), an OpenZeppelin
 * TimelockController and the CreditsGovernor that proposes to it. Self-contained and final when it ends:
 * - the timelock's only proposer and canceller is the governor (OpenZeppelin's GovernorTimelockControl
 *   requirement), executor = anyone (`address(0)`), so a passed proposal executes without a trusted party;
 * - the deployer was the timelock's temporary admin (to grant those roles) and renounces DEFAULT_ADMIN_ROLE:
 *   the timelock administers itself.
 *
 * Parameters (module "Governance"): tokenHolder (default: the deployer), tokenSupply (wei), timelockMinDelay
 * (s), votingDelay and votingPeriod (blocks: ERC20Votes' clock), proposalThreshold (votes, wei), quorumPercent.
 */
export default buildModule("Governance", (m) => {
  const deployer = m.getAccount(0);
  const token = m.contract("CreditsVotesToken", [
    m.getParameter("tokenHolder", deployer),
    m.getParameter("tokenSupply", parseEther("1000000")),
  ]);
  const timelock = m.contract("TimelockController", [
    m.getParameter("timelockMinDelay", 2 * 86_400),
    [],
    [ZeroAddress],
    deployer,
  ]);
  const governor = m.contract("CreditsGovernor", [
    token,
    timelock,
    m.getParameter("votingDelay", 7_200),
    m.getParameter("votingPeriod", 50_400),
    m.getParameter("proposalThreshold", 0n),
    m.getParameter("quorumPercent", 4),
  ]);
  const proposer = m.call(timelock, "grantRole", [ROLES.PROPOSER_ROLE, governor], {
    id: "Timelock_grantProposer",
  });
  const canceller = m.call(timelock, "grantRole", [ROLES.CANCELLER_ROLE, governor], {
    id: "Timelock_grantCanceller",
  });
  m.call(timelock, "renounceRole", [ROLES.DEFAULT_ADMIN_ROLE, deployer], {
    id: "Timelock_renounceAdmin",
    after: [proposer, canceller],
  });
  return { token, timelock, governor };
});
