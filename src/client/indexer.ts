/**
 * An indexer of the CreditLedger's events: rebuilds purchased credits and grant buckets of every account from the
 * events alone. `CreditsSpent.grantsTaken` says which buckets a settlement emptied and what it took from the last
 * one, so no block time and no spending rule is needed.
 */
import { decodeEventLog, getAddress } from "viem";
import type { Address, Hex } from "viem";

import { creditLedgerAbi } from "./abi";
import { applyGrantsTaken, decodeGrantsTaken } from "./encoding";

/** A grant bucket: `amount` credits expiring at `expiry` (unix seconds). */
export interface IndexedBucket {
  amount: bigint;
  expiry: bigint;
}

/** What the events say an account holds (expired, unswept buckets included). */
export interface IndexedAccount {
  purchased: bigint;
  /** Sorted by expiry, distinct expiries. */
  buckets: IndexedBucket[];
}

/** The fields of a log the indexer reads (viem's and ethers' logs both have them). */
export interface LogLike {
  address: string;
  topics: readonly string[];
  data: string;
}

/** Rebuilds accounts from a ledger's events; feed it every log of the ledger, in order, with {@link apply}. */
export class CreditEventIndexer {
  /** Accounts by checksummed address. */
  readonly accounts = new Map<string, IndexedAccount>();

  private account(a: Address): IndexedAccount {
    let acc = this.accounts.get(a);
    if (acc === undefined) {
      acc = { purchased: 0n, buckets: [] };
      this.accounts.set(a, acc);
    }
    return acc;
  }

  private static bucket(acc: IndexedAccount, expiry: bigint): number {
    return acc.buckets.findIndex((b) => b.expiry === expiry);
  }

  /** Applies the logs of the ledger at `ledger` (logs of other contracts and other events are skipped). */
  apply(ledger: string, logs: readonly LogLike[]): void {
    const target = getAddress(ledger);
    for (const log of logs) {
      if (getAddress(log.address) !== target || log.topics.length === 0) continue;
      let event;
      try {
        event = decodeEventLog({
          abi: creditLedgerAbi,
          data: log.data as Hex,
          topics: log.topics as [Hex, ...Hex[]],
        });
      } catch {
        continue;
      }
      switch (event.eventName) {
        case "CreditsPurchased":
          this.account(event.args.account).purchased += event.args.credits;
          break;
        case "CreditsGranted": {
          const acc = this.account(event.args.account);
          const i = CreditEventIndexer.bucket(acc, event.args.expiresAt);
          if (i >= 0) acc.buckets[i].amount += event.args.amount;
          else {
            acc.buckets.push({ amount: event.args.amount, expiry: event.args.expiresAt });
            acc.buckets.sort((x, y) => (x.expiry < y.expiry ? -1 : 1));
          }
          break;
        }
        case "GrantRevoked":
        case "CreditsExpired": {
          const acc = this.account(event.args.account);
          const i = CreditEventIndexer.bucket(acc, event.args.expiresAt);
          if (i < 0) throw new Error(`${event.eventName} for an unknown bucket`);
          acc.buckets[i].amount -= event.args.amount;
          if (acc.buckets[i].amount < 0n) throw new Error(`${event.eventName} below zero`);
          if (acc.buckets[i].amount === 0n) acc.buckets.splice(i, 1);
          break;
        }
        case "CreditsSpent": {
          const acc = this.account(event.args.account);
          const taken = decodeGrantsTaken(event.args.grantsTaken);
          acc.buckets = applyGrantsTaken(acc.buckets, taken);
          acc.purchased -= event.args.amount - taken.fromGrants;
          break;
        }
        case "RecoveryExecuted": {
          const from = this.account(event.args.from);
          this.accounts.set(event.args.to, { purchased: from.purchased, buckets: from.buckets });
          this.accounts.set(event.args.from, { purchased: 0n, buckets: [] });
          break;
        }
        default:
          break;
      }
    }
  }
}
