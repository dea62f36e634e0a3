/** Reads of one CreditLedger (no paymaster needed): balances, breakdown, allowances. */
import type { Address } from "viem";
import { readContract } from "viem/actions";

import { creditLedgerAbi } from "./abi";
import type { Allowance, AnyClient, CreditBreakdown } from "./credits";

/** The reads of {@link createLedgerReader}. */
export interface LedgerReader {
  readonly ledger: Address;
  /** Unexpired credits, held included. */
  balanceOfCredits(account: Address): Promise<bigint>;
  /** Credits a new hold may take. */
  spendableCredits(account: Address): Promise<bigint>;
  /** Purchased credits, live grants, held and expired-unswept credits. */
  creditBreakdown(account: Address): Promise<CreditBreakdown>;
  /** Whether `account` has a credit account yet (the soulbound token: opened by the first purchase or grant). */
  hasAccount(account: Address): Promise<boolean>;
  /** The allowance `sponsor` gave `beneficiary` (`limit == 0`: none). */
  allowance(sponsor: Address, beneficiary: Address): Promise<Allowance>;
  /** What `beneficiary` may still spend of `sponsor`'s allowance this epoch. */
  remainingAllowance(sponsor: Address, beneficiary: Address): Promise<bigint>;
}

/** Reads of the ledger at `ledger` through `client`. */
export function createLedgerReader(client: AnyClient, ledger: Address): LedgerReader {
  const contract = { address: ledger, abi: creditLedgerAbi } as const;
  return {
    ledger,
    balanceOfCredits: (account) =>
      readContract(client, { ...contract, functionName: "balanceOfCredits", args: [account] }),
    spendableCredits: (account) =>
      readContract(client, { ...contract, functionName: "spendableCredits", args: [account] }),
    async creditBreakdown(account) {
      const b = await readContract(client, { ...contract, functionName: "creditBreakdown", args: [account] });
      return {
        purchased: b.purchased,
        grants: b.grants.map((g) => ({ amount: g.amount, expiresAt: g.expiresAt })),
        held: b.held,
        expiredUnswept: b.expiredUnswept,
      };
    },
    async hasAccount(account) {
      return (await readContract(client, { ...contract, functionName: "balanceOf", args: [account] })) > 0n;
    },
    async allowance(sponsor, beneficiary) {
      const a = await readContract(client, {
        ...contract,
        functionName: "allowance",
        args: [sponsor, beneficiary],
      });
      return {
        limit: a.limit,
        used: a.used,
        epochLength: BigInt(a.epochLength),
        anchor: BigInt(a.anchor),
        usedEpoch: BigInt(a.usedEpoch),
        expiresAt: BigInt(a.expiresAt),
      };
    },
    remainingAllowance: (sponsor, beneficiary) =>
      readContract(client, { ...contract, functionName: "remainingAllowance", args: [sponsor, beneficiary] }),
  };
}
