/**
 * The write path of a credit, on a viem wallet client: buy (native token or an allowlisted stablecoin), grant
 * (an issuer), allow and revoke (a sponsor), and refresh the cached price (anyone). Each call is simulated first, so a revert surfaces as viem's
 * `ContractFunctionExecutionError` naming the ledger's custom error before anything is sent; each returns the
 * transaction hash (wait with `waitForTransactionReceipt`, read the result with {@link purchasedCredits} or the
 * events).
 */
import { erc20Abi, parseEventLogs } from "viem";
import type { Account, Address, Chain, Hash, TransactionReceipt, Transport, WalletClient } from "viem";
import { readContract, simulateContract, writeContract } from "viem/actions";

import { creditLedgerAbi, priceAdapterAbi } from "./abi";

/** A wallet client with an account (a local account, or an address the node signs for). */
export type CreditWallet = WalletClient<Transport, Chain | undefined, Account>;

/** `CreditLedger.buyCredits(account)` paying `value` wei: credits at the adapter's live price (which it caches). */
export async function buyWithEth(
  wallet: CreditWallet,
  args: { ledger: Address; account: Address; value: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "buyCredits",
    args: [args.account],
    value: args.value,
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/**
 * `CreditLedger.buyCreditsWithToken(account, token, amount)`, approving the ledger for `amount` first when its
 * allowance is lower. Returns the purchase's hash (the approval, when sent, is mined first).
 */
export async function buyWithToken(
  wallet: CreditWallet,
  args: {
    ledger: Address;
    account: Address;
    token: Address;
    amount: bigint;
    /** Waits for the approval's receipt (e.g. `(hash) => waitForTransactionReceipt(client, { hash })`). */
    waitForApproval: (hash: Hash) => Promise<unknown>;
  },
): Promise<Hash> {
  const allowed = await readContract(wallet, {
    address: args.token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [wallet.account.address, args.ledger],
  });
  if (allowed < args.amount) {
    const { request } = await simulateContract(wallet, {
      address: args.token,
      abi: erc20Abi,
      functionName: "approve",
      args: [args.ledger, args.amount],
      account: wallet.account,
    });
    await args.waitForApproval(await writeContract(wallet, { ...request, chain: wallet.chain ?? null }));
  }
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "buyCreditsWithToken",
    args: [args.account, args.token, args.amount],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditLedger.grant(account, amount, expiresAt)` (the wallet's account holds `ISSUER_ROLE`). */
export async function grant(
  wallet: CreditWallet,
  args: { ledger: Address; account: Address; amount: bigint; expiresAt: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "grant",
    args: [args.account, args.amount, args.expiresAt],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditLedger.setAllowance(beneficiary, perEpoch, epochLength, expiresAt)`: the wallet's account sponsors. */
export async function setAllowance(
  wallet: CreditWallet,
  args: { ledger: Address; beneficiary: Address; perEpoch: bigint; epochLength: bigint; expiresAt: bigint },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "setAllowance",
    args: [args.beneficiary, args.perEpoch, Number(args.epochLength), args.expiresAt],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `CreditLedger.revokeAllowance(beneficiary)`. */
export async function revokeAllowance(
  wallet: CreditWallet,
  args: { ledger: Address; beneficiary: Address },
): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.ledger,
    abi: creditLedgerAbi,
    functionName: "revokeAllowance",
    args: [args.beneficiary],
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** `PriceAdapter.refreshCachedPrice()` (anyone may): caches the feeds' live price. */
export async function refreshPrice(wallet: CreditWallet, args: { adapter: Address }): Promise<Hash> {
  const { request } = await simulateContract(wallet, {
    address: args.adapter,
    abi: priceAdapterAbi,
    functionName: "refreshCachedPrice",
    account: wallet.account,
  });
  return writeContract(wallet, { ...request, chain: wallet.chain ?? null });
}

/** The `CachedPriceRefreshed` event of the adapter at `adapter` in a receipt (the last one), if any. */
export function refreshedPrice(
  receipt: Pick<TransactionReceipt, "logs">,
  adapter: Address,
): { priceWad: bigint; updatedAt: bigint; fromFallback: boolean } | undefined {
  const events = parseEventLogs({
    abi: priceAdapterAbi,
    eventName: "CachedPriceRefreshed",
    logs: receipt.logs.filter((log) => log.address.toLowerCase() === adapter.toLowerCase()),
  });
  return events.length === 0 ? undefined : events[events.length - 1].args;
}

/** The ledger's events in a receipt (logs of other contracts skipped), decoded. */
export function ledgerEvents(receipt: Pick<TransactionReceipt, "logs">, ledger: Address) {
  return parseEventLogs({
    abi: creditLedgerAbi,
    logs: receipt.logs.filter((log) => log.address.toLowerCase() === ledger.toLowerCase()),
  });
}

/** Credits a purchase's receipt credited (`CreditsPurchased.credits`; 0 without one). */
export function purchasedCredits(receipt: Pick<TransactionReceipt, "logs">, ledger: Address): bigint {
  const event = ledgerEvents(receipt, ledger).find((e) => e.eventName === "CreditsPurchased");
  return event?.eventName === "CreditsPurchased" ? event.args.credits : 0n;
}
