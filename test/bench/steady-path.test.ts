/**
 * The bench's proof that a measured bundle of the CreditPaymaster took its steady path (bench/lib/variants.ts
 * `checkCreditSteadyPath`): one `CreditsSpent` per operation, by the paymaster, from the expected payer, from
 * purchased credits only, or (grant rows) entirely from the payer's soonest LIVE bucket after its expired one; no
 * price refresh. Each case below breaks one of these and must be rejected.
 */
import { expect } from "chai";
import { ZeroHash, getAddress } from "ethers";
import type { Log } from "ethers";
import { ethers } from "hardhat";

import { checkCreditSteadyPath } from "../../bench/lib/variants";
import type { GrantExpiries } from "../../bench/lib/variants";
import {
  CreditLedger__factory,
  CreditPaymaster__factory,
  PriceAdapter__factory,
} from "../../typechain-types";
import type { HandleOpsResult } from "../../src/aa";

const LEDGER = getAddress("0x00000000000000000000000000000000000000e1");
const PAYMASTER = getAddress("0x00000000000000000000000000000000000000a7");
const OTHER_SPENDER = getAddress("0x00000000000000000000000000000000000000a8");
const ADAPTER = getAddress("0x00000000000000000000000000000000000000ad");
const SENDERS = [
  getAddress("0x0000000000000000000000000000000000000051"),
  getAddress("0x0000000000000000000000000000000000000052"),
];
const SPONSOR = getAddress("0x00000000000000000000000000000000000000d5");

const sys = {
  ledger: CreditLedger__factory.connect(LEDGER, ethers.provider),
  paymaster: CreditPaymaster__factory.connect(PAYMASTER, ethers.provider),
  adapter: PriceAdapter__factory.connect(ADAPTER, ethers.provider),
};

/** `CreditWords.GrantsTaken`: fromGrants | fromLast << 64 | firstExpiry << 128 | lastExpiry << 160. */
function grantsWord(fromGrants: bigint, firstExpiry: bigint, lastExpiry = firstExpiry): bigint {
  return fromGrants | (fromGrants << 64n) | (firstExpiry << 128n) | (lastExpiry << 160n);
}

/** `spenderData` with only the mode (0 SELF, 1 SPONSORED, 2 POLICY) at bits 248..255. */
const modeWord = (mode: bigint) => mode << 248n;

function spent(
  account: string,
  amount: bigint,
  grantsTaken = 0n,
  spender = PAYMASTER,
  spenderData = modeWord(account === SPONSOR ? 1n : 0n),
): Log {
  const { data, topics } = sys.ledger.interface.encodeEventLog("CreditsSpent", [
    account,
    account,
    spender,
    amount,
    grantsTaken,
    ZeroHash,
    spenderData,
  ]);
  return { address: LEDGER, data, topics } as unknown as Log;
}

async function result(logs: Log[]): Promise<Pick<HandleOpsResult, "receipt" | "userOperationEvents">> {
  const blockNumber = await ethers.provider.getBlockNumber();
  return {
    receipt: { logs, blockNumber } as unknown as HandleOpsResult["receipt"],
    userOperationEvents: SENDERS.map((sender) => ({ sender })) as HandleOpsResult["userOperationEvents"],
  };
}

async function now(): Promise<bigint> {
  const block = await ethers.provider.getBlock("latest");
  return BigInt(block?.timestamp ?? 0);
}

describe("bench/lib/variants #checkCreditSteadyPath", function () {
  describe("purchased credits", function () {
    it("accepts one charge per operation by the paymaster, from the senders (self-pay) or the sponsor", async function () {
      const self = await result([spent(SENDERS[0], 5n), spent(SENDERS[1], 6n)]);
      await checkCreditSteadyPath(sys, self, 2, "self", undefined, undefined);
      const sponsored = await result([spent(SPONSOR, 5n), spent(SPONSOR, 6n)]);
      await checkCreditSteadyPath(sys, sponsored, 2, "sponsored", SPONSOR, undefined);
    });

    it("rejects a missing charge, another spender, another payer and credits taken from grants", async function () {
      const check = async (logs: Log[], sponsor?: string) =>
        checkCreditSteadyPath(sys, await result(logs), 2, "row", sponsor, undefined);
      await expect(check([spent(SENDERS[0], 5n)])).to.be.rejectedWith("1/2 CreditsSpent");
      await expect(
        check([spent(SENDERS[0], 5n), spent(SENDERS[1], 5n, 0n, OTHER_SPENDER)]),
      ).to.be.rejectedWith(`spent by ${OTHER_SPENDER}`);
      await expect(check([spent(SENDERS[0], 5n), spent(SENDERS[1], 5n)], SPONSOR)).to.be.rejectedWith(
        `charged ${SENDERS[0]}`,
      );
      await expect(
        check([spent(SENDERS[0], 5n), spent(SENDERS[1], 5n, grantsWord(5n, 1n))]),
      ).to.be.rejectedWith("5 credits taken from grants");
    });

    it("rejects a charge logged in another mode than the row's", async function () {
      const policyCharge = spent(SENDERS[1], 6n, 0n, PAYMASTER, modeWord(2n));
      await expect(
        checkCreditSteadyPath(
          sys,
          await result([spent(SENDERS[0], 5n), policyCharge]),
          2,
          "credit-self",
          undefined,
          undefined,
        ),
      ).to.be.rejectedWith("charged in POLICY mode, not SELF");
      const sponsored = await result([spent(SPONSOR, 5n), spent(SPONSOR, 6n)]);
      await expect(
        checkCreditSteadyPath(sys, sponsored, 2, "policy-signed", SPONSOR, undefined),
      ).to.be.rejectedWith("charged in SPONSORED mode, not POLICY");
    });

    it("rejects a price refresh: an adapter event or the paymaster's PriceRefreshFailed", async function () {
      const refreshed = { address: ADAPTER, data: "0x", topics: [ZeroHash] } as unknown as Log;
      const failed = sys.paymaster.interface.encodeEventLog("PriceRefreshFailed", [1n]);
      const failedLog = { address: PAYMASTER, ...failed } as unknown as Log;
      const logs = [spent(SENDERS[0], 5n), spent(SENDERS[1], 6n)];
      await expect(
        checkCreditSteadyPath(sys, await result([...logs, refreshed]), 2, "row", undefined, undefined),
      ).to.be.rejectedWith("the adapter logged");
      await expect(
        checkCreditSteadyPath(sys, await result([...logs, failedLog]), 2, "row", undefined, undefined),
      ).to.be.rejectedWith("PriceRefreshFailed");
    });
  });

  describe("DAO grants", function () {
    async function grants(expired: bigint): Promise<{ expiriesOf(account: string): GrantExpiries }> {
      const firstLive = (await now()) + 30n * 86_400n;
      return { expiriesOf: () => ({ expired, firstLive }) };
    }

    it("accepts a charge taken entirely from the soonest live bucket once the expiring one has expired", async function () {
      const g = await grants((await now()) - 1n);
      const live = g.expiriesOf(SPONSOR).firstLive;
      const r = await result([
        spent(SPONSOR, 5n, grantsWord(5n, live)),
        spent(SPONSOR, 7n, grantsWord(7n, live)),
      ]);
      await checkCreditSteadyPath(sys, r, 2, "grants", SPONSOR, g);
    });

    it("rejects a charge partly from purchased credits, from another bucket, or before the bucket expired", async function () {
      const expiredGrants = await grants((await now()) - 1n);
      const live = expiredGrants.expiriesOf(SPONSOR).firstLive;
      const check = async (word: bigint, g = expiredGrants) =>
        checkCreditSteadyPath(
          sys,
          await result([spent(SPONSOR, 5n), spent(SPONSOR, 5n, word)]),
          2,
          "g",
          SPONSOR,
          g,
        );
      // The first log of each bundle is always a purchased-only charge: rejected before the second is looked at.
      await expect(check(grantsWord(5n, live))).to.be.rejectedWith("not all of the charge came from grants");
      const good = spent(SPONSOR, 5n, grantsWord(5n, live));
      const second = async (word: bigint, g = expiredGrants) =>
        checkCreditSteadyPath(sys, await result([good, spent(SPONSOR, 5n, word)]), 2, "g", SPONSOR, g);
      await expect(second(grantsWord(4n, live))).to.be.rejectedWith("not all of the charge came from grants");
      await expect(second(grantsWord(5n, live - 1n, live))).to.be.rejectedWith("not the soonest live one");
      const stillLive = await grants((await now()) + 1_000n);
      await expect(second(grantsWord(5n, live), stillLive)).to.be.rejectedWith(
        "the payer's expiring bucket is still live",
      );
    });
  });
});
