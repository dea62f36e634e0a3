/**
 * Governor proposals run end to end on a local Hardhat chain (propose, vote, queue, execute, mining blocks and
 * moving time with hardhat-network-helpers): used by the governance suites and `npm run demo`.
 * Imports "hardhat": only for code that runs inside Hardhat, against a local chain.
 */
import { ethers } from "hardhat";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, Signer } from "ethers";
import type { CreditsGovernor, TimelockController } from "../../typechain-types";

/** One call of a proposal's batch. */
export interface ProposalCall {
  target: string;
  value?: bigint;
  data: string;
}

/** Votes of GovernorCountingSimple. */
export const VoteType = { Against: 0, For: 1, Abstain: 2 } as const;

/**
 * Appends the `#proposer=` suffix OpenZeppelin's Governor checks, so nobody can front-run `propose` with
 * the same description (REFERENCES S7).
 */
export function describeFor(description: string, proposer: string): string {
  return `${description}#proposer=${proposer.toLowerCase()}`;
}

export interface ProposalResult {
  proposalId: bigint;
  descriptionHash: string;
  executeReceipt: ContractTransactionReceipt;
}

/**
 * Runs a proposal end to end on a local chain: propose → wait the voting delay → every voter votes For →
 * wait the voting period → queue in the timelock → wait its delay → execute. Asserts each state transition.
 */
export async function runProposal(
  governor: CreditsGovernor,
  timelock: TimelockController,
  proposer: Signer,
  voters: Signer[],
  calls: ProposalCall[],
  description: string,
): Promise<ProposalResult> {
  const targets = calls.map((c) => c.target);
  const values = calls.map((c) => c.value ?? 0n);
  const calldatas = calls.map((c) => c.data);
  const fullDescription = describeFor(description, await proposer.getAddress());
  const descriptionHash = ethers.id(fullDescription);

  const proposalId = await governor.hashProposal(targets, values, calldatas, descriptionHash);
  await (await governor.connect(proposer).propose(targets, values, calldatas, fullDescription)).wait();

  await mine((await governor.votingDelay()) + 1n);
  for (const voter of voters) {
    await (await governor.connect(voter).castVote(proposalId, VoteType.For)).wait();
  }
  await mine(await governor.votingPeriod());
  const succeeded = 4n; // ProposalState.Succeeded
  const state = await governor.state(proposalId);
  if (state !== succeeded)
    throw new Error(`proposal ${proposalId} is in state ${state}, expected Succeeded (4)`);

  await (await governor.queue(targets, values, calldatas, descriptionHash)).wait();
  await time.increase((await timelock.getMinDelay()) + 1n);
  const tx = await governor.execute(targets, values, calldatas, descriptionHash);
  const executeReceipt = await tx.wait();
  if (executeReceipt === null) throw new Error("execute was not mined");
  return { proposalId, descriptionHash, executeReceipt };
}
