/**
 * The demo's summary for a reader who is not a developer: what the user paid, what the dApp paid in credits and
 * in USD, why the charge exceeds the value of the gas, and who paid the bundler. `reports/demo-summary.json`
 * keeps every figure in base units (wei, 1e-6 credits) and adds the USD figures as decimal strings.
 */
import { formatUnits as formatEthersUnits } from "ethers";
import { formatUnits } from "viem";

/** Credits have 6 decimals, and one credit is one US dollar. */
const CREDIT_DECIMALS = 6;
/** Scale of the paymaster's charge: `credits = wei × priceWad × markupBps / 1e34` (CreditPaymaster.sol). */
const CREDIT_SCALE = 10n ** 34n;

/** What the demo measured around its UserOperation. */
export interface DemoMeasurements {
  network: string;
  chainId: bigint;
  userAccount: string;
  userOwner: string;
  sponsor: string;
  bundler: string;
  userOpHash: string;
  userEthBeforeWei: bigint;
  userEthAfterWei: bigint;
  sponsorCreditsBefore: bigint;
  sponsorCreditsAfter: bigint;
  /** The ledger's `CreditsSpent` (spenderData decoded): credits burned, the wei they price, and the price used (USD per ETH, 18 decimals). */
  creditsCharged: bigint;
  chargeBasisWei: bigint;
  priceWad: bigint;
  /** The paymaster's markup in basis points. */
  markupBps: bigint;
  /** `UserOperationEvent`: the gas the EntryPoint billed and its cost in wei (what the bundler received). */
  gasUsed: bigint;
  actualGasCostWei: bigint;
  depositBeforeWei: bigint;
  depositAfterWei: bigint;
  addresses: Readonly<Record<string, string>>;
}

/** USD, rounded down to the micro-dollar, of `wei` at `priceWad`. */
export function usdOfWei(wei: bigint, priceWad: bigint): string {
  return formatUnits((wei * priceWad) / 10n ** 30n, CREDIT_DECIMALS);
}

/** The credits the paymaster charges for `wei` at `priceWad` and `markupBps`: rounded up, as `postOp` does. */
export function chargeFor(wei: bigint, priceWad: bigint, markupBps: bigint): bigint {
  const scaled = wei * priceWad * markupBps;
  return (scaled + CREDIT_SCALE - 1n) / CREDIT_SCALE;
}

const eth = (wei: bigint): string => `${formatUnits(wei, 18)} ETH`;
const usd = (amount: string): string => `$${amount}`;
const creditsText = (amount: bigint): string => `${formatUnits(amount, CREDIT_DECIMALS)} credits`;

/** The summary: the JSON written to reports/demo-summary.json and the lines printed. */
export function demoSummary(m: DemoMeasurements): { json: Record<string, unknown>; lines: string[] } {
  const price = formatUnits(m.priceWad, 18);
  const gasPriceWei = m.gasUsed === 0n ? 0n : m.actualGasCostWei / m.gasUsed;
  const markup = formatUnits(m.markupBps, 4);
  const dappPaid = m.sponsorCreditsBefore - m.sponsorCreditsAfter;
  const gasValueUsd = usdOfWei(m.actualGasCostWei, m.priceWad);
  const basisUsd = usdOfWei(m.chargeBasisWei, m.priceWad);
  const markedUpUsd = formatUnits(
    (m.chargeBasisWei * m.priceWad * m.markupBps) / 10n ** 34n,
    CREDIT_DECIMALS,
  );
  const recomputed = chargeFor(m.chargeBasisWei, m.priceWad, m.markupBps);
  const unseenWei = m.chargeBasisWei - m.actualGasCostWei;
  const depositChange = m.depositAfterWei - m.depositBeforeWei;
  const userPaid = m.userEthBeforeWei > m.userEthAfterWei ? m.userEthBeforeWei - m.userEthAfterWei : 0n;
  const lines = [
    `The user paid:        ${eth(userPaid)} ` +
      `(their account held ${eth(m.userEthBeforeWei)} before and ${eth(m.userEthAfterWei)} after)`,
    `The dApp paid:        ${creditsText(dappPaid)} = ${usd(formatUnits(dappPaid, CREDIT_DECIMALS))} (1 credit = $1), ` +
      `from its budget: ${creditsText(m.sponsorCreditsBefore)} -> ${creditsText(m.sponsorCreditsAfter)}`,
    `The gas was worth:    ${m.gasUsed.toLocaleString("en-US")} gas × ${formatUnits(gasPriceWei, 9)} gwei = ` +
      `${eth(m.actualGasCostWei)} = ${usd(gasValueUsd)} at ${usd(price)} per ETH`,
    "Why the charge is higher than the gas's value:",
    `  the paymaster counts the gas in postOp, before the operation ends: the gas metered so far plus a bounded`,
    `  allowance for the gas it cannot see yet (postOp's own and the EntryPoint's unmetered overhead), × the gas`,
    `  price = ${eth(m.chargeBasisWei)} (${unseenWei >= 0n ? `${eth(unseenWei)} more` : `${eth(-unseenWei)} less`} ` +
      "than the EntryPoint's final bill)",
    `  × ${usd(price)} per ETH = ${usd(basisUsd)}`,
    `  × markup ${markup} (markupBps ${m.markupBps}) = ${usd(markedUpUsd)}`,
    `  rounded up to the next 0.000001 credit = ${creditsText(recomputed)} charged`,
    `Who paid the bundler: the paymaster, from its EntryPoint deposit: ${eth(m.depositBeforeWei)} -> ` +
      `${eth(m.depositAfterWei)} (${eth(-depositChange)} to bundler ${m.bundler}); credit purchases refill it`,
  ];
  const json = {
    network: m.network,
    chainId: m.chainId.toString(),
    userAccount: m.userAccount,
    userOwner: m.userOwner,
    sponsor: m.sponsor,
    bundler: m.bundler,
    userOpHash: m.userOpHash,
    userEthBeforeWei: m.userEthBeforeWei.toString(),
    userEthAfterWei: m.userEthAfterWei.toString(),
    sponsorCreditsBefore: m.sponsorCreditsBefore.toString(),
    sponsorCreditsAfter: m.sponsorCreditsAfter.toString(),
    creditsCharged: m.creditsCharged.toString(),
    gasUsed: m.gasUsed.toString(),
    actualGasCostWei: m.actualGasCostWei.toString(),
    chargeBasisWei: m.chargeBasisWei.toString(),
    markupBps: m.markupBps.toString(),
    paymasterDepositChangeWei: depositChange.toString(),
    // As before this summary gained USD figures (ethers' format: "3000.0").
    ethUsdPrice: formatEthersUnits(m.priceWad, 18),
    usd: {
      userPaid: usdOfWei(userPaid, m.priceWad),
      dappPaid: formatUnits(dappPaid, CREDIT_DECIMALS),
      gasValue: gasValueUsd,
      chargeBasisValue: basisUsd,
      withMarkup: markedUpUsd,
      bundlerPaidFromDeposit: usdOfWei(-depositChange, m.priceWad),
    },
    addresses: m.addresses,
  };
  return { json, lines };
}

/**
 * Checks the summary's story against the chain: the user held and paid nothing, the sponsor's drop is the charge,
 * the charge is the rounded-up price of the charge basis, and the deposit paid exactly the EntryPoint's bill.
 * Returns what does not hold (empty when all does).
 */
export function demoSummaryProblems(m: DemoMeasurements): string[] {
  const problems: string[] = [];
  if (m.userEthBeforeWei !== 0n || m.userEthAfterWei !== 0n)
    problems.push("the user was expected to hold 0 ETH");
  if (m.creditsCharged !== m.sponsorCreditsBefore - m.sponsorCreditsAfter) {
    problems.push(
      `credits charged ${m.creditsCharged} differ from the sponsor's drop ${m.sponsorCreditsBefore - m.sponsorCreditsAfter}`,
    );
  }
  const recomputed = chargeFor(m.chargeBasisWei, m.priceWad, m.markupBps);
  if (recomputed !== m.creditsCharged) {
    problems.push(`the charge ${m.creditsCharged} is not ceil(basis × price × markup) = ${recomputed}`);
  }
  if (m.depositBeforeWei - m.depositAfterWei !== m.actualGasCostWei) {
    problems.push(
      `the deposit fell by ${m.depositBeforeWei - m.depositAfterWei} wei, not the EntryPoint's bill ${m.actualGasCostWei}`,
    );
  }
  return problems;
}
