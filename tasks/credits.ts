import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { erc20Abi, formatUnits, zeroAddress } from "viem";
import type { Address } from "viem";
import { readContract, simulateContract, waitForTransactionReceipt } from "viem/actions";

import {
  buyWithEth,
  buyWithToken,
  createLedgerReader,
  creditLedgerAbi,
  grant,
  ledgerEvents,
  priceAdapterAbi,
  purchasedCredits,
  refreshedPrice,
  revokeAllowance,
  setAllowance,
} from "../src/client";
import { formatCreditAmount, formatDuration, formatEth, formatTime, toJson } from "../src/client/format";
import type { LocalFeedRenewal } from "../src/client/localFeed";
import {
  FORMS,
  UINT32_MAX,
  UINT64_MAX,
  parseAddress,
  parseCredits,
  parseDuration,
  parseEth,
  parseExpiry,
  parseTokenAmount,
} from "./lib/args";
import {
  chainId,
  chainTime,
  print,
  printTable,
  requireFunds,
  resolveAccount,
  sendClientTx,
  viemClients,
  viemPublicClient,
} from "./lib/chain";
import type { Log } from "./lib/chain";
import { ledgerAddress as checkedLedger } from "./lib/contracts";
import type { DeploymentFlags } from "./lib/deployment";
import { taskError } from "./lib/errors";
import { withAddressFlags, withFrom } from "./lib/flags";
import { renewLocalFeedIfDue } from "./lib/localFeed";
import { explained } from "./lib/revert";

// ------------------------------------------------------------------------------------------ credits:balance

export interface BalanceArgs extends DeploymentFlags {
  account?: string;
  beneficiary?: string;
  json: boolean;
}

/** A live grant bucket. Amounts are credit base units (6 decimals) as decimal strings. */
export interface GrantLine {
  amount: string;
  expiresAt: string;
  expiresAtIso: string;
}

/** An allowance a sponsor gave a beneficiary. */
export interface AllowanceReport {
  sponsor: string;
  beneficiary: string;
  perEpoch: string;
  epochLength: string;
  expiresAt: string;
  expiresAtIso: string;
  remainingThisEpoch: string;
}

/** The result (and `--json` output) of `credits:balance`. Amounts are credit base units (6 decimals). */
export interface BalanceReport {
  chainId: string;
  ledger: string;
  account: string;
  hasAccount: boolean;
  balance: string;
  spendable: string;
  purchased: string;
  held: string;
  expiredUnswept: string;
  grants: GrantLine[];
  allowance?: AllowanceReport;
}

export async function creditsBalance(
  hre: HardhatRuntimeEnvironment,
  args: BalanceArgs,
  log: Log = print,
): Promise<BalanceReport> {
  const { address: ledgerAddress } = await checkedLedger(hre, args);
  const account =
    args.account === undefined ? (await resolveAccount(hre)).address : parseAddress("account", args.account);
  const beneficiary =
    args.beneficiary === undefined ? undefined : parseAddress("beneficiary", args.beneficiary);

  const reader = createLedgerReader(viemPublicClient(hre), ledgerAddress as Address);
  const who = account as Address;
  const [breakdown, balance, spendable, hasAccount] = await Promise.all([
    reader.creditBreakdown(who),
    reader.balanceOfCredits(who),
    reader.spendableCredits(who),
    reader.hasAccount(who),
  ]);
  const report: BalanceReport = {
    chainId: (await chainId(hre)).toString(),
    ledger: ledgerAddress,
    account,
    hasAccount,
    balance: balance.toString(),
    spendable: spendable.toString(),
    purchased: breakdown.purchased.toString(),
    held: breakdown.held.toString(),
    expiredUnswept: breakdown.expiredUnswept.toString(),
    grants: breakdown.grants.map((g) => ({
      amount: g.amount.toString(),
      expiresAt: g.expiresAt.toString(),
      expiresAtIso: formatTime(g.expiresAt),
    })),
  };
  if (beneficiary !== undefined) {
    const [budget, remaining] = await Promise.all([
      reader.allowance(who, beneficiary as Address),
      reader.remainingAllowance(who, beneficiary as Address),
    ]);
    report.allowance = {
      sponsor: account,
      beneficiary,
      perEpoch: budget.limit.toString(),
      epochLength: budget.epochLength.toString(),
      expiresAt: budget.expiresAt.toString(),
      expiresAtIso: formatTime(budget.expiresAt),
      remainingThisEpoch: remaining.toString(),
    };
  }

  if (args.json) {
    log(toJson(report, 2));
    return report;
  }
  const rows: [string, string][] = [
    ["balance", `${formatCreditAmount(balance)} credits (unexpired, held included)`],
    ["spendable", `${formatCreditAmount(spendable)} credits`],
    ["purchased", `${formatCreditAmount(breakdown.purchased)} credits (never expire)`],
  ];
  for (const g of breakdown.grants) {
    rows.push(["granted", `${formatCreditAmount(g.amount)} credits until ${formatTime(g.expiresAt)}`]);
  }
  if (breakdown.held > 0n) rows.push(["held", `${formatCreditAmount(breakdown.held)} credits`]);
  rows.push(["expired, unswept", `${formatCreditAmount(breakdown.expiredUnswept)} credits`]);
  if (!report.hasAccount) rows.push(["credit account", "none yet (opened by the first purchase or grant)"]);
  if (report.allowance !== undefined) {
    const a = report.allowance;
    rows.push([
      `allowance to ${a.beneficiary}`,
      a.perEpoch === "0"
        ? "none"
        : `${formatCreditAmount(BigInt(a.perEpoch))} credits per ${formatDuration(BigInt(a.epochLength))} until ` +
          `${a.expiresAtIso}; ${formatCreditAmount(BigInt(a.remainingThisEpoch))} left this epoch`,
    ]);
  }
  printTable(log, `Credits of ${account} on CreditLedger ${ledgerAddress} (chain ${report.chainId})`, rows);
  return report;
}

withAddressFlags(
  task("credits:balance", "Shows an account's credits: balance, spendable, purchased, grants and expiries")
    .addOptionalParam("account", "Whose credits (default: the first account)")
    .addOptionalParam("beneficiary", "Also show the allowance --account gives this beneficiary")
    .addFlag("json", "Print JSON (credit amounts in base units, 6 decimals)"),
  ["ledger"],
).setAction((args: BalanceArgs, hre) => creditsBalance(hre, args));

// -------------------------------------------------------------------------------------------- credits:buy

const formatPrice = (priceWad: bigint): string => `${formatUnits(priceWad, 18)} per native token`;

export interface BuyArgs extends DeploymentFlags {
  account?: string;
  eth?: string;
  credits?: string;
  /** An allowlisted stablecoin to pay with (with `amount`) instead of the native token. */
  token?: string;
  /** Tokens to pay with `token`, in the token's units. */
  amount?: string;
  from?: string;
}

/** The result of `credits:buy`. */
export interface BuyResult {
  account: string;
  buyer: string;
  /** Wei paid (0 when paying with a token). */
  paidWei: bigint;
  credits: bigint;
  /** The price the purchase credited at, which it stored as the adapter's cached price (18 decimals). */
  priceWad: bigint;
  balance: bigint;
  txHash: string;
  blockNumber: number;
  /** With `--token`: the token and the amount paid in its base units. */
  token?: string;
  paidTokens?: bigint;
  /** Local chains: the renewal of the deployment's mock feed that preceded the purchase, when it was due. */
  renewedFeed?: LocalFeedRenewal;
}

/** What a purchase pays with: wei, or an amount of a stablecoin the adapter lists. */
type Payment =
  | { kind: "eth"; wei: bigint }
  | { kind: "token"; token: Address; amount: bigint; symbol: string; decimals: number };

/** The token's symbol and decimals; fails clearly when `token` does not answer like an ERC-20 token. */
async function tokenMetadata(
  hre: HardhatRuntimeEnvironment,
  token: Address,
): Promise<{ symbol: string; decimals: number }> {
  const client = viemPublicClient(hre);
  try {
    const [symbol, decimals] = await Promise.all([
      readContract(client, { address: token, abi: erc20Abi, functionName: "symbol" }),
      readContract(client, { address: token, abi: erc20Abi, functionName: "decimals" }),
    ]);
    return { symbol, decimals };
  } catch {
    throw taskError(
      `${token} (--token) is not an ERC-20 token: it has no symbol() and decimals(). Check the address`,
    );
  }
}

export async function creditsBuy(
  hre: HardhatRuntimeEnvironment,
  args: BuyArgs,
  log: Log = print,
): Promise<BuyResult> {
  if (args.token !== undefined) {
    if (args.eth !== undefined || args.credits !== undefined || args.amount === undefined) {
      throw taskError(
        "With --token <address>, pass --amount <tokens> (tokens to pay), not --eth or --credits",
      );
    }
  } else if (args.amount !== undefined) {
    throw taskError("--amount is the amount of --token to pay: pass --token <address> with it, or use --eth");
  } else if ((args.eth === undefined) === (args.credits === undefined)) {
    throw taskError("Pass exactly one of --eth <amount> (ETH to pay) or --credits <amount> (credits to buy)");
  }
  const token = args.token === undefined ? undefined : (parseAddress("token", args.token) as Address);
  const signer = await resolveAccount(hre, args.from);
  const account = (
    args.account === undefined ? signer.address : parseAddress("account", args.account)
  ) as Address;
  const { address: ledgerAddr } = await checkedLedger(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const ledger = { address: ledgerAddr, abi: creditLedgerAbi } as const;
  const adapter = {
    address: await readContract(publicClient, { ...ledger, functionName: "adapter" }),
    abi: priceAdapterAbi,
  } as const;

  let payment: Payment;
  let expected: bigint;
  let quotedPriceWad: bigint | undefined;
  // Local chains: the deployment's mock feed renewed first when stale (after the arguments are checked).
  let renewedFeed: LocalFeedRenewal | undefined;
  if (token !== undefined) {
    const { symbol, decimals } = await tokenMetadata(hre, token);
    const amount = parseTokenAmount("amount", args.amount as string, decimals, symbol);
    payment = { kind: "token", token, amount, symbol, decimals };
    if (!(await readContract(publicClient, { ...adapter, functionName: "isStablecoin", args: [token] }))) {
      throw taskError(
        `${symbol} ${token} is not a stablecoin PriceAdapter ${adapter.address} lists: purchases take only ` +
          "listed stablecoins (its admin adds one with setStablecoinFeed)",
      );
    }
    renewedFeed = await renewLocalFeedIfDue(hre, adapter.address, signer.address, log);
    expected = await explained(
      hre,
      "Pricing the purchase (PriceAdapter.refreshAndQuoteStablecoin, which the purchase calls)",
      async () =>
        (
          await simulateContract(publicClient, {
            ...adapter,
            functionName: "refreshAndQuoteStablecoin",
            args: [token, amount],
            account: signer.address,
          })
        ).result,
    );
  } else {
    let wei: bigint;
    if (args.credits !== undefined) {
      const wanted = parseCredits("credits", args.credits);
      renewedFeed = await renewLocalFeedIfDue(hre, adapter.address, signer.address, log);
      wei = await explained(hre, "Pricing the purchase (PriceAdapter.weiForCredits)", () =>
        readContract(publicClient, { ...adapter, functionName: "weiForCredits", args: [wanted] }),
      );
    } else {
      wei = parseEth("eth", args.eth as string);
      renewedFeed = await renewLocalFeedIfDue(hre, adapter.address, signer.address, log);
    }
    payment = { kind: "eth", wei };
    // The quote is what the purchase itself does: refresh the adapter's cached price from the live feeds and
    // credit at exactly that price (simulated here, so nothing is written yet).
    [expected, quotedPriceWad] = await explained(
      hre,
      "Pricing the purchase (PriceAdapter.refreshAndQuoteWei, which the purchase calls)",
      async () =>
        (
          await simulateContract(publicClient, {
            ...adapter,
            functionName: "refreshAndQuoteWei",
            args: [wei],
            account: signer.address,
          })
        ).result,
    );
  }
  const paying =
    payment.kind === "eth"
      ? `${formatEth(payment.wei)} ETH`
      : `${formatUnits(payment.amount, payment.decimals)} ${payment.symbol}`;
  if (await readContract(publicClient, { ...ledger, functionName: "paused" })) {
    throw taskError(
      `CreditLedger ${ledgerAddr} is paused: purchases are stopped until its admin unpauses it (unpause())`,
    );
  }
  const minPurchase = await readContract(publicClient, { ...ledger, functionName: "minPurchase" });
  const minimum = minPurchase > 1n ? minPurchase : 1n;
  if (expected < minimum) {
    throw taskError(
      `${paying} buys ${formatCreditAmount(expected)} credits, below the ledger's minimum purchase of ` +
        `${formatCreditAmount(minimum)} credits`,
    );
  }
  if (payment.kind === "eth") {
    await requireFunds(hre, signer, payment.wei, "to pay", formatEth);
    log(
      `Quote: ${paying} buys ${formatCreditAmount(expected)} credits at ${formatPrice(quotedPriceWad as bigint)}. ` +
        "The purchase refreshes the adapter's cached price to the live price it credits at (the price the " +
        "paymaster charges gas at).",
    );
  } else {
    const held = await readContract(publicClient, {
      address: payment.token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [signer.address],
    });
    if (held < payment.amount) {
      throw taskError(
        `${signer.address} has ${formatUnits(held, payment.decimals)} ${payment.symbol}, less than the ${paying} ` +
          "to pay",
      );
    }
    log(
      `Quote: ${paying} buys ${formatCreditAmount(expected)} credits. The purchase also refreshes the adapter's ` +
        "cached native price (the price the paymaster charges gas at).",
    );
  }

  const receipt = await sendClientTx(hre, log, `Buying credits for ${account}`, publicClient, () =>
    payment.kind === "eth"
      ? buyWithEth(wallet, { ledger: ledgerAddr, account, value: payment.wei })
      : buyWithToken(wallet, {
          ledger: ledgerAddr,
          account,
          token: payment.token,
          amount: payment.amount,
          waitForApproval: async (hash) => {
            log(`Approving CreditLedger ${ledgerAddr} to take ${paying}: sent ${hash}`);
            const approval = await waitForTransactionReceipt(publicClient, { hash, pollingInterval: 50 });
            if (approval.status !== "success") throw taskError(`The approval ${hash} reverted`);
          },
        }),
  );
  const credits = purchasedCredits(receipt, ledgerAddr);
  const priceWad = refreshedPrice(receipt, adapter.address)?.priceWad ?? 0n;
  const [balance, [entryPoint, paymaster]] = await Promise.all([
    readContract(publicClient, { ...ledger, functionName: "balanceOfCredits", args: [account] }),
    readContract(publicClient, { ...ledger, functionName: "ethDestination" }),
  ]);
  const treasury = async () => readContract(publicClient, { ...ledger, functionName: "treasury" });
  if (payment.kind === "eth") {
    const destination =
      entryPoint === zeroAddress
        ? `the treasury ${await treasury()}`
        : `the EntryPoint deposit of paymaster ${paymaster}`;
    log(
      `Bought ${formatCreditAmount(credits)} credits for ${account} at ${formatPrice(priceWad)}, paid ` +
        `${paying} (${payment.wei} wei) to ${destination}. Balance now ${formatCreditAmount(balance)} credits.`,
    );
  } else {
    log(
      `Bought ${formatCreditAmount(credits)} credits for ${account}, paid ${paying} to the treasury ` +
        `${await treasury()}. Balance now ${formatCreditAmount(balance)} credits.`,
    );
  }
  return {
    account,
    buyer: signer.address,
    paidWei: payment.kind === "eth" ? payment.wei : 0n,
    credits,
    priceWad,
    balance,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    ...(payment.kind === "token" ? { token: payment.token, paidTokens: payment.amount } : {}),
    ...(renewedFeed === undefined ? {} : { renewedFeed }),
  };
}

withFrom(
  withAddressFlags(
    task(
      "credits:buy",
      "Buys credits with the native token at the price adapter's live price (which the purchase caches), or with " +
        "an allowlisted stablecoin (--token)",
    )
      .addOptionalParam("account", "Credit account to top up (default: the signer)")
      .addOptionalParam("eth", `ETH to pay: ${FORMS.eth}`)
      .addOptionalParam("credits", `Credits to buy (the ETH is computed, rounded up): ${FORMS.credits}`)
      .addOptionalParam(
        "token",
        "Pay with this stablecoin (one the price adapter lists) instead of ETH; approves the ledger when needed",
      )
      .addOptionalParam("amount", 'With --token: tokens to pay, in the token\'s units ("25.5")'),
    ["ledger"],
  ),
).setAction((args: BuyArgs, hre) => creditsBuy(hre, args));

// ------------------------------------------------------------------------------------------ credits:grant

export interface GrantArgs extends DeploymentFlags {
  account: string;
  amount: string;
  expiry: string;
  from?: string;
}

/** The result of `credits:grant`. */
export interface GrantResult {
  account: string;
  issuer: string;
  amount: bigint;
  expiresAt: bigint;
  remainingIssuance: bigint;
  balance: bigint;
  txHash: string;
  blockNumber: number;
}

export async function creditsGrant(
  hre: HardhatRuntimeEnvironment,
  args: GrantArgs,
  log: Log = print,
): Promise<GrantResult> {
  const account = parseAddress("account", args.account);
  const amount = parseCredits("amount", args.amount, { max: UINT64_MAX });
  const expiresAt = parseExpiry("expiry", args.expiry, await chainTime(hre));
  const signer = await resolveAccount(hre, args.from);
  const { address: ledgerAddress } = await checkedLedger(hre, args);
  const { publicClient, wallet } = viemClients(hre, signer.address);
  const ledger = { address: ledgerAddress, abi: creditLedgerAbi } as const;

  const issuerRole = await readContract(publicClient, { ...ledger, functionName: "ISSUER_ROLE" });
  if (
    !(await readContract(publicClient, {
      ...ledger,
      functionName: "hasRole",
      args: [issuerRole, signer.address],
    }))
  ) {
    throw taskError(
      `${signer.address} does not hold ISSUER_ROLE on CreditLedger ${ledgerAddress}: grants come from an ` +
        `issuer (the DAO timelock in production). Propose the grant with governance:propose-budget --grant ` +
        `${account}:${args.amount}:${args.expiry}, or run --from an issuer`,
    );
  }
  if (await readContract(publicClient, { ...ledger, functionName: "paused" })) {
    throw taskError(
      `CreditLedger ${ledgerAddress} is paused: grants are stopped until its admin unpauses it`,
    );
  }
  const cap = await readContract(publicClient, {
    ...ledger,
    functionName: "issuerCap",
    args: [signer.address],
  });
  const remaining = await readContract(publicClient, {
    ...ledger,
    functionName: "remainingIssuance",
    args: [signer.address],
  });
  if (cap.epochLength === 0) {
    throw taskError(
      `Issuer ${signer.address} has no issuance cap: the admin must set one first (setIssuerCap; ` +
        `governance:propose-budget --issuer-cap ${signer.address}:<cap>:<epoch>)`,
    );
  }
  if (amount > remaining) {
    throw taskError(
      `Issuer ${signer.address} may grant ${formatCreditAmount(remaining)} more credits this epoch (cap ` +
        `${formatCreditAmount(cap.limit)} per ${formatDuration(BigInt(cap.epochLength))}), fewer than the ` +
        `${formatCreditAmount(amount)} requested: wait for the next epoch or have the admin raise the cap`,
    );
  }
  const now = await chainTime(hre);
  const breakdown = await readContract(publicClient, {
    ...ledger,
    functionName: "creditBreakdown",
    args: [account as Address],
  });
  const live = breakdown.grants.filter((g) => g.expiresAt > now);
  if (live.length >= 4 && !live.some((g) => g.expiresAt === expiresAt)) {
    throw taskError(
      `${account} already has 4 live grants (expiring ${live.map((g) => formatTime(g.expiresAt)).join(", ")}), ` +
        `none at ${formatTime(expiresAt)}: grant with one of those expiries`,
    );
  }

  const receipt = await sendClientTx(
    hre,
    log,
    `Granting ${formatCreditAmount(amount)} credits to ${account}`,
    publicClient,
    () => grant(wallet, { ledger: ledgerAddress, account: account as Address, amount, expiresAt }),
  );
  const [remainingAfter, balance] = await Promise.all([
    readContract(publicClient, { ...ledger, functionName: "remainingIssuance", args: [signer.address] }),
    readContract(publicClient, { ...ledger, functionName: "balanceOfCredits", args: [account as Address] }),
  ]);
  log(
    `Granted ${formatCreditAmount(amount)} credits to ${account} until ${formatTime(expiresAt)}. Balance now ` +
      `${formatCreditAmount(balance)} credits; issuer ${signer.address} may grant ${formatCreditAmount(remainingAfter)} ` +
      `more this epoch.`,
  );
  return {
    account,
    issuer: signer.address,
    amount,
    expiresAt,
    remainingIssuance: remainingAfter,
    balance,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

withFrom(
  withAddressFlags(
    task("credits:grant", "Grants expiring credits to an account (ISSUER_ROLE, within the issuer's cap)")
      .addParam("account", "Credit account to grant to")
      .addParam("amount", `Credits to grant: ${FORMS.credits}`)
      .addParam("expiry", `Until when the credits can be spent: ${FORMS.expiry}`),
    ["ledger"],
  ),
).setAction((args: GrantArgs, hre) => creditsGrant(hre, args));

// ------------------------------------------------------------------------------------------ credits:allow

export interface AllowArgs extends DeploymentFlags {
  beneficiary: string;
  perEpoch?: string;
  epoch: string;
  expiry: string;
  revoke: boolean;
  from?: string;
}

/** The result of `credits:allow`. */
export interface AllowResult {
  sponsor: string;
  beneficiary: string;
  /** 0 after a revocation. */
  perEpoch: bigint;
  epochLength: bigint;
  expiresAt: bigint;
  carriedSpent: bigint;
  txHash: string;
  blockNumber: number;
}

export async function creditsAllow(
  hre: HardhatRuntimeEnvironment,
  args: AllowArgs,
  log: Log = print,
): Promise<AllowResult> {
  const beneficiary = parseAddress("beneficiary", args.beneficiary);
  const signer = await resolveAccount(hre, args.from);
  const { address: ledgerHex } = await checkedLedger(hre, args);
  const sponsor = signer.address;
  const { publicClient, wallet } = viemClients(hre, sponsor);
  const ledger = { address: ledgerHex, abi: creditLedgerAbi } as const;

  if (args.revoke) {
    if (args.perEpoch !== undefined) throw taskError("--revoke takes no --per-epoch");
    const current = await readContract(publicClient, {
      ...ledger,
      functionName: "allowance",
      args: [sponsor, beneficiary as Address],
    });
    if (current.limit === 0n) {
      throw taskError(`${beneficiary} has no allowance from sponsor ${sponsor} to revoke`);
    }
    const receipt = await sendClientTx(
      hre,
      log,
      `Revoking the allowance of ${beneficiary}`,
      publicClient,
      () => revokeAllowance(wallet, { ledger: ledgerHex, beneficiary: beneficiary as Address }),
    );
    log(`Sponsor ${sponsor} revoked the allowance of ${beneficiary}.`);
    return {
      sponsor,
      beneficiary,
      perEpoch: 0n,
      epochLength: BigInt(current.epochLength),
      expiresAt: BigInt(current.expiresAt),
      carriedSpent: 0n,
      txHash: receipt.transactionHash,
      blockNumber: Number(receipt.blockNumber),
    };
  }

  if (args.perEpoch === undefined) {
    throw taskError("Pass --per-epoch <credits> (the beneficiary's budget per epoch), or --revoke");
  }
  const perEpoch = parseCredits("per-epoch", args.perEpoch, { max: UINT64_MAX });
  const epochLength = parseDuration("epoch", args.epoch, UINT32_MAX);
  const expiresAt = parseExpiry("expiry", args.expiry, await chainTime(hre));

  const receipt = await sendClientTx(hre, log, `Setting the allowance of ${beneficiary}`, publicClient, () =>
    setAllowance(wallet, {
      ledger: ledgerHex,
      beneficiary: beneficiary as Address,
      perEpoch,
      epochLength,
      expiresAt,
    }),
  );
  let carriedSpent = 0n;
  for (const event of ledgerEvents(receipt, ledgerHex)) {
    if (event.eventName === "AllowanceSet") carriedSpent = event.args.carriedSpent;
  }
  log(
    `Sponsor ${sponsor} lets ${beneficiary} spend up to ${formatCreditAmount(perEpoch)} credits per ` +
      `${formatDuration(epochLength)} until ${formatTime(expiresAt)}` +
      `${carriedSpent > 0n ? ` (${formatCreditAmount(carriedSpent)} already spent this epoch)` : ""}.`,
  );
  const sponsorBalance = await readContract(publicClient, {
    ...ledger,
    functionName: "spendableCredits",
    args: [sponsor],
  });
  if (sponsorBalance === 0n) {
    log(
      `Note: sponsor ${sponsor} has no spendable credits yet; sponsored operations fail until it buys ` +
        `(credits:buy) or is granted credits.`,
    );
  }
  return {
    sponsor,
    beneficiary,
    perEpoch,
    epochLength,
    expiresAt,
    carriedSpent,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  };
}

withFrom(
  withAddressFlags(
    task("credits:allow", "Lets a beneficiary spend the signer's credits, up to a budget per epoch")
      .addParam("beneficiary", "The account (e.g. a user's smart account) the signer sponsors")
      .addOptionalParam("perEpoch", `Budget per epoch: ${FORMS.credits}`)
      .addOptionalParam("epoch", `Epoch length: ${FORMS.duration}`, "1d")
      .addOptionalParam("expiry", `Until when the allowance holds: ${FORMS.expiry}`, "never")
      .addFlag("revoke", "Revoke the beneficiary's allowance instead"),
    ["ledger"],
  ),
).setAction((args: AllowArgs, hre) => creditsAllow(hre, args));
