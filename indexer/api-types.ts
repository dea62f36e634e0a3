/**
 * The JSON the usage indexer's API answers (indexer/src/api/index.ts). The dashboard and `credits:usage` code against
 * these types; keep them stable. Every amount is a decimal string in base units: credits have 6 decimals
 * (`1_000_000` credits = one stable unit), wei are wei. `usd` fields are the same credits in the stable unit as a
 * decimal string with 6 decimals (e.g. `"1.250000"`). Addresses are checksummed; times are unix seconds (numbers);
 * days are `YYYY-MM-DD` (UTC).
 */

/** Paymaster modes as `decodePaymasterSpendData` names them. */
export type ApiPaymasterMode = "SELF" | "SPONSORED" | "POLICY";

/** `GET /api/status`. */
export interface ApiStatus {
  chainId: number;
  /** The Ignition deployment id the indexer was started on (e.g. `demo`, `chain-31337`). */
  deploymentId: string;
  contracts: {
    ledger: string;
    adapter: string;
    governor: string | null;
    timelock: string | null;
  };
  paymasters: { address: string; entryPoint: string; version: "0.7" | "0.8" }[];
  /** Block explorer base URL (e.g. `https://sepolia.etherscan.io`), null on local chains. */
  explorer: string | null;
  /** Last block fully indexed (number and unix time); null before the first block is indexed. */
  indexedBlock: { number: string; timestamp: number } | null;
}

/** `GET /api/totals`: the ledger's views rebuilt from events. */
export interface ApiTotals {
  /** = `CreditLedger.totalIssued()` (purchased + granted). */
  totalIssued: string;
  /** = `CreditLedger.totalBurned()` (spent by registered spenders). */
  totalBurned: string;
  /** = `CreditLedger.totalExpired()` (expired grants swept). */
  totalExpired: string;
  /** Grants revoked by their issuers. */
  totalRevoked: string;
  totalPurchased: string;
  totalGranted: string;
  /** Charged operations (CreditsSpent from registered spenders). */
  operations: number;
  /** Wei charged for those operations (the paymaster's gasCostWei). */
  wei: string;
  usdIssued: string;
  usdBurned: string;
}

/** One charged operation (a `CreditsSpent` from a registered spender). */
export interface ApiOperation {
  userOpHash: string;
  /** The beneficiary: the account that sent the operation. */
  sender: string;
  /** The account whose credits paid (the sponsor in SPONSORED and POLICY mode, the sender in SELF mode). */
  payer: string;
  /** The spender that reported the charge (a CreditPaymaster). */
  paymaster: string;
  mode: ApiPaymasterMode;
  /** Policy id (decimal string) in POLICY mode, null otherwise. */
  policyId: string | null;
  credits: string;
  usd: string;
  /** Credits taken from grants (the rest from purchased credits). */
  fromGrants: string;
  /** What the paymaster charged for (wei, upper bound of the EntryPoint's actualGasCost). */
  wei: string;
  /** `UserOperationEvent.actualGasUsed`, null when the EntryPoint's event was not found. */
  gasUsed: string | null;
  /** `UserOperationEvent.actualGasCost` (wei), null when not found. */
  actualGasCost: string | null;
  /** The price used (stable units per native token, 18 decimals). */
  priceWad: string;
  entryPoint: string;
  /** The contract the account called (first call of a batch), null when the call data was not recognised. */
  target: string | null;
  timestamp: number;
  blockNumber: string;
  txHash: string;
}

/** Credits, wei and operations of one UTC day. */
export interface ApiDaySpend {
  day: string;
  credits: string;
  wei: string;
  usd: string;
  operations: number;
}

/** A policy's limits, status and usage in its current epoch (as of the latest indexed block). */
export interface ApiPolicy {
  sponsor: string;
  policyId: string;
  status: "None" | "Active" | "Paused" | "Retired" | string;
  limits: {
    creditsPerUser: string;
    opsPerUser: string;
    creditsPerEpoch: string;
    creditsPerOp: string;
    start: number;
    end: number;
    signer: string;
    epochLength: number;
  };
  /** Credits spent under the policy in its current epoch. */
  usedThisEpoch: string;
  /** `creditsPerEpoch - usedThisEpoch`, null when the policy has no epoch budget. */
  left: string | null;
  /** All-time spending under the policy. */
  totalCredits: string;
  totalOperations: number;
}

/** An allowance of a sponsor to a beneficiary (as of the latest indexed block). */
export interface ApiAllowance {
  sponsor: string;
  beneficiary: string;
  perEpoch: string;
  /** Epoch length in seconds, 0 = one epoch for ever. */
  epochLength: number;
  /** Used in the current epoch (= the ledger's `allowance().used` counted this epoch). */
  used: string;
  /** = `CreditLedger.remainingAllowance(sponsor, beneficiary)`. */
  left: string;
  /** Unix seconds, 0 = no expiry. */
  expiresAt: number;
  revoked: boolean;
  totalCredits: string;
  totalOperations: number;
}

/** One entry of a top-N list. */
export interface ApiTopEntry {
  address: string;
  credits: string;
  usd: string;
  wei: string;
  operations: number;
}

/** `GET /api/sponsors` item. */
export interface ApiSponsorSummary {
  address: string;
  /** Credits spent on behalf of others (SPONSORED + POLICY) and in total. */
  credits: string;
  usd: string;
  wei: string;
  operations: number;
  policies: number;
  allowances: number;
}

/** `GET /api/sponsors`. */
export interface ApiSponsors {
  sponsors: ApiSponsorSummary[];
}

/** `GET /api/sponsors/:address`. */
export interface ApiSponsor {
  address: string;
  balance: ApiBalance;
  totals: { credits: string; usd: string; wei: string; operations: number };
  spendByDay: ApiDaySpend[];
  policies: ApiPolicy[];
  allowances: ApiAllowance[];
  topUsers: ApiTopEntry[];
  topTargets: ApiTopEntry[];
  lastOperations: ApiOperation[];
}

/** A grant bucket of an account. */
export interface ApiGrantBucket {
  amount: string;
  usd: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Whether `expiresAt` is past at the latest indexed block (the credits are no longer spendable). */
  expired: boolean;
}

/** An account's credits by source (events only; expired-unswept buckets included with `expired: true`). */
export interface ApiBalance {
  purchased: string;
  /** Unexpired grants. */
  granted: string;
  /** Expired grants not yet swept by the ledger. */
  expiredUnswept: string;
  /** purchased + granted + expiredUnswept: everything the account's records hold. */
  total: string;
  /** purchased + granted (= `CreditLedger.balanceOfCredits`; holds of operations in flight not deducted). */
  spendable: string;
  /** `spendable` in the stable unit. */
  usd: string;
  buckets: ApiGrantBucket[];
}

/** `GET /api/users/:address`. */
export interface ApiUser {
  address: string;
  balance: ApiBalance;
  /** Grants received (newest first). */
  grants: ApiGrant[];
  purchases: ApiPurchase[];
  /** Operations the user sent (as sender) or paid (as payer), newest first. */
  operations: ApiOperation[];
  spendByDay: ApiDaySpend[];
}

export interface ApiGrant {
  id: string;
  account: string;
  issuer: string;
  amount: string;
  usd: string;
  expiresAt: number;
  /** Credits revoked from this grant's bucket by the issuer. */
  revoked: string;
  /** Credits of this grant's bucket swept as expired. */
  expired: string;
  timestamp: number;
  txHash: string;
}

export interface ApiPurchase {
  id: string;
  account: string;
  buyer: string;
  /** Zero address = native token. */
  token: string;
  paid: string;
  credits: string;
  usd: string;
  timestamp: number;
  txHash: string;
}

/** `GET /api/dao`. */
export interface ApiDao {
  /** Credits granted by the DAO's issuers per sponsor vs spent by that sponsor (as payer). */
  budgets: {
    sponsor: string;
    granted: string;
    spent: string;
    left: string;
    usdGranted: string;
    usdSpent: string;
  }[];
  issuerCaps: {
    issuer: string;
    capPerEpoch: string;
    epochLength: number;
    /** Granted in the current epoch. */
    used: string;
    /** = `CreditLedger.remainingIssuance(issuer)`. */
    left: string;
  }[];
  /** Unexpired grant buckets expiring within 7 days of the latest indexed block, soonest first. */
  expiringSoon: { account: string; amount: string; usd: string; expiresAt: number }[];
  proposals: ApiProposal[];
}

export interface ApiProposal {
  proposalId: string;
  proposer: string;
  description: string;
  /** Created, Queued, Executed or Canceled (from the governor's events). */
  state: "Created" | "Queued" | "Executed" | "Canceled";
  voteStart: string;
  voteEnd: string;
  forVotes: string;
  againstVotes: string;
  abstainVotes: string;
  /** The contracts the proposal calls. */
  targets: string[];
  etaSeconds: string | null;
  createdAt: number;
  txHash: string;
}

/** `GET /api/export`. */
export interface ApiExportList {
  tables: { name: string; csv: string; json: string }[];
}

/** `GET /api/export/:table.json`: the rows, every bigint as a decimal string. */
export interface ApiExportRows {
  table: string;
  rows: Record<string, string | number | boolean | null>[];
}

/** The body of every error answer (HTTP 400 / 404). */
export interface ApiError {
  error: string;
}
