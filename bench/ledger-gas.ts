/**
 * Gas of ONE hold plus its settlement (one transaction through TestSpender, gasUsed from the receipt) on an
 * account that received 1 grant and on one that received 100 grants over time (buckets expired, swept and
 * reused, and repeated grants merged). Both accounts end with the same shape (one live bucket), so the
 * difference is history alone: the ledger's cost must not depend on it (within 5%).
 *
 * Writes reports/ledger-gas.json as {"holdSettle": {"1": <gas>, "100": <gas>}} and exits non-zero when the
 * 100-grant figure is more than 5% above or below the 1-grant figure.
 *
 * Run: npm run bench:ledger
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { CreditLedger__factory, MockPriceAdapter__factory, TestSpender__factory } from "../typechain-types";
import type { CreditLedger, TestSpender } from "../typechain-types";

const CREDIT = 1_000_000n;
const HOUR = 3_600n;
const DAY = 86_400n;
const TOLERANCE = 0.05;

async function latest(): Promise<bigint> {
  return BigInt(await time.latest());
}

/** Gas of one hold of `amount` and its settlement charging `charge`, in one transaction. */
async function holdSettleGas(
  spender: TestSpender,
  account: string,
  amount: bigint,
  charge: bigint,
): Promise<bigint> {
  const receipt = await (await spender.holdAndSettle(account, amount, await latest(), charge)).wait();
  if (!receipt || receipt.status !== 1) throw new Error("holdAndSettle failed");
  return receipt.gasUsed;
}

async function liveBuckets(ledger: CreditLedger, account: string): Promise<number> {
  return (await ledger.creditBreakdown(account)).grants.length;
}

async function main(): Promise<void> {
  const [admin, treasury, issuer, oneGrant, hundredGrants, warmup] = await ethers.getSigners();
  const adapter = await new MockPriceAdapter__factory(admin).deploy(3_000n * 10n ** 18n);
  const ledger = await new CreditLedger__factory(admin).deploy(admin, adapter, treasury);
  const spender = await new TestSpender__factory(admin).deploy(ledger);
  await ledger.addSpender(spender);
  await ledger.grantRole(ethers.id("ISSUER_ROLE"), issuer);
  await ledger.setIssuerCap(issuer, 10n ** 18n, Number(DAY));
  const grant = (to: string, amount: bigint, expiresAt: bigint) =>
    ledger
      .connect(issuer)
      .grant(to, amount, expiresAt)
      .then((tx) => tx.wait());

  // 100 grants over time: 24 rounds of 4 distinct expiries (all 4 buckets used), each round expiring before the
  // next one sweeps it and reuses the buckets; then 4 repeated grants with one expiry, merged into one bucket.
  for (let round = 0; round < 24; round++) {
    const t = await latest();
    for (let k = 1n; k <= 4n; k++) await grant(hundredGrants.address, k * CREDIT, t + k * HOUR);
    await time.increase(5n * HOUR);
  }
  const end = (await latest()) + 30n * DAY;
  for (let k = 0; k < 4; k++) await grant(hundredGrants.address, 25n * CREDIT, end);

  // 1 grant of the same size and expiry.
  await grant(oneGrant.address, 100n * CREDIT, end);

  // Warm-up on a third account so that the totals slot is non-zero for both measurements, as in production.
  await grant(warmup.address, 100n * CREDIT, end);
  await holdSettleGas(spender, warmup.address, 10n * CREDIT, 7n * CREDIT);

  const shapes = [
    await liveBuckets(ledger, oneGrant.address),
    await liveBuckets(ledger, hundredGrants.address),
  ];
  if (shapes[0] !== 1 || shapes[1] !== 1) throw new Error(`unexpected bucket counts ${shapes.join(", ")}`);

  const one = await holdSettleGas(spender, oneGrant.address, 10n * CREDIT, 7n * CREDIT);
  const hundred = await holdSettleGas(spender, hundredGrants.address, 10n * CREDIT, 7n * CREDIT);

  // For information: the bounded worst case, 4 live buckets and purchased credits, a charge spanning all of them.
  const worst = (await ethers.getSigners())[6];
  const t = await latest();
  for (let k = 1n; k <= 4n; k++) await grant(worst.address, CREDIT, t + k * DAY);
  await ledger.connect(worst).buyCredits(worst.address, { value: 10n ** 16n });
  const worstCase = await holdSettleGas(spender, worst.address, 10n * CREDIT, 10n * CREDIT);

  const report = { holdSettle: { "1": Number(one), "100": Number(hundred) } };
  const dir = join(__dirname, "..", "reports");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ledger-gas.json"), JSON.stringify(report, null, 2) + "\n");

  const deviation = Math.abs(Number(hundred) - Number(one)) / Number(one);
  console.log(`hold + settle after   1 grant : ${one} gas`);
  console.log(`hold + settle after 100 grants: ${hundred} gas (${(deviation * 100).toFixed(2)}% apart)`);
  console.log(
    `worst case (4 live buckets + purchased, charge spanning all): ${worstCase} gas (not in the report)`,
  );
  if (deviation > TOLERANCE) {
    console.error(`FAIL: the 100-grant figure is more than ${TOLERANCE * 100}% away from the 1-grant figure`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
