import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { getAddress, zeroAddress } from "viem";
import type { Hex } from "viem";

import {
  creditsForGasCost,
  decodePaymasterAndData,
  decodePaymasterData,
  effectiveGasPrice,
  encodePaymasterAndData,
  encodePaymasterData,
  expectedCredits,
  requiredPrefund,
  worstCaseCredits,
} from "../../src/client";
import { PRICE_WAD } from "../helpers/system";
import { selfPaymasterData, sponsoredPaymasterData } from "../helpers/paymaster";
import { packPaymasterAndData } from "../helpers/userop";
import { policyPaymasterData } from "../../src/aa/policy";
import { OP_GAS, clientFixture } from "./fixture";

const SPONSOR = getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906");
const UINT64_MAX = (1n << 64n) - 1n;

describe("client encoding", function () {
  describe("#encodePaymasterData", function () {
    it("encodes SELF as 0x00 ‖ uint64 maxCredits, as the paymaster test helpers do", function () {
      expect(encodePaymasterData({ mode: "SELF" })).to.equal("0x000000000000000000");
      expect(encodePaymasterData({ mode: "SELF", maxCredits: 1_234_567n })).to.equal(
        selfPaymasterData(1_234_567n).toLowerCase(),
      );
    });

    it("encodes SPONSORED as 0x01 ‖ sponsor ‖ uint64 maxCredits, as the paymaster test helpers do", function () {
      expect(
        encodePaymasterData({ mode: "SPONSORED", sponsor: SPONSOR, maxCredits: UINT64_MAX }).toLowerCase(),
      ).to.equal(sponsoredPaymasterData(SPONSOR, UINT64_MAX).toLowerCase());
    });

    it("throws for a maxCredits outside uint64 and for a zero or malformed sponsor", function () {
      expect(() => encodePaymasterData({ mode: "SELF", maxCredits: UINT64_MAX + 1n })).to.throw(
        RangeError,
        `maxCredits = ${UINT64_MAX + 1n} is outside [0, ${UINT64_MAX}]`,
      );
      expect(() => encodePaymasterData({ mode: "SELF", maxCredits: -1n })).to.throw(
        RangeError,
        "maxCredits = -1",
      );
      expect(() => encodePaymasterData({ mode: "SPONSORED", sponsor: zeroAddress })).to.throw(
        TypeError,
        "sponsor must be a non-zero address",
      );
      expect(() => encodePaymasterData({ mode: "SPONSORED", sponsor: "0x1234" })).to.throw(
        TypeError,
        "sponsor must be a non-zero address, got 0x1234",
      );
    });
  });

  describe("POLICY data", function () {
    const approval = { validUntil: 1_700_000_000n, validAfter: 5n, signature: `0x${"ab".repeat(65)}` as Hex };

    it("encodes as the ethers helpers (src/aa/policy.ts) do, with and without an approval, and decodes back", function () {
      const open = { mode: "POLICY", sponsor: SPONSOR, policyId: 7n, maxCredits: 9n } as const;
      expect(encodePaymasterData(open).toLowerCase()).to.equal(
        policyPaymasterData(SPONSOR, 7n, 9n).toLowerCase(),
      );
      expect(encodePaymasterData(open).length).to.equal(2 + 2 * 37);
      expect(decodePaymasterData(encodePaymasterData(open))).to.deep.equal({ ok: true, value: open });
      const signed = { ...open, approval };
      expect(encodePaymasterData(signed).toLowerCase()).to.equal(
        policyPaymasterData(SPONSOR, 7n, 9n, approval).toLowerCase(),
      );
      expect(decodePaymasterData(encodePaymasterData(signed))).to.deep.equal({ ok: true, value: signed });
    });

    it("rejects lengths between 38 and 49 bytes, a zero sponsor, a policyId above uint64 and an empty signature", function () {
      const data = encodePaymasterData({ mode: "POLICY", sponsor: SPONSOR, policyId: 1n });
      expect(decodePaymasterData(`${data}${"00".repeat(12)}` as Hex)).to.deep.equal({
        ok: false,
        problem: { kind: "invalidDataLength", mode: 2, length: 49, expected: 37 },
      });
      expect(decodePaymasterData(`0x02${"00".repeat(36)}` as Hex)).to.deep.equal({
        ok: false,
        problem: { kind: "zeroSponsor" },
      });
      expect(() => encodePaymasterData({ mode: "POLICY", sponsor: SPONSOR, policyId: 2n ** 64n })).to.throw(
        RangeError,
        "policyId",
      );
      expect(() =>
        encodePaymasterData({
          mode: "POLICY",
          sponsor: SPONSOR,
          policyId: 1n,
          approval: { ...approval, signature: "0x" },
        }),
      ).to.throw(TypeError, "non-empty");
    });
  });

  describe("#decodePaymasterData", function () {
    it("round-trips every mode and maxCredits", function () {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.boolean(), (maxCredits, sponsored) => {
          const options = sponsored
            ? ({ mode: "SPONSORED", sponsor: SPONSOR, maxCredits } as const)
            : ({ mode: "SELF", maxCredits } as const);
          expect(decodePaymasterData(encodePaymasterData(options))).to.deep.equal({
            ok: true,
            value: options,
          });
        }),
      );
    });

    it("reports the lengths the paymaster's CreditPaymasterInvalidDataLength reports", function () {
      expect(decodePaymasterData("0x")).to.deep.equal({
        ok: false,
        problem: { kind: "invalidDataLength", mode: 0, length: 0, expected: 9 },
      });
      expect(decodePaymasterData("0x0000")).to.deep.equal({
        ok: false,
        problem: { kind: "invalidDataLength", mode: 0, length: 2, expected: 9 },
      });
      expect(decodePaymasterData(`${encodePaymasterData({ mode: "SELF" })}00`)).to.deep.equal({
        ok: false,
        problem: { kind: "invalidDataLength", mode: 0, length: 10, expected: 9 },
      });
      expect(decodePaymasterData("0x01000000000000000000")).to.deep.equal({
        ok: false,
        problem: { kind: "invalidDataLength", mode: 1, length: 10, expected: 29 },
      });
    });

    it("reports an unknown mode and a zero sponsor", function () {
      expect(decodePaymasterData("0x03")).to.deep.equal({
        ok: false,
        problem: { kind: "unknownMode", mode: 3 },
      });
      const zeroSponsor = `0x01${"00".repeat(28)}` as Hex;
      expect(decodePaymasterData(zeroSponsor)).to.deep.equal({ ok: false, problem: { kind: "zeroSponsor" } });
    });

    it("throws for a string that is not hex", function () {
      expect(() => decodePaymasterData("0xzz" as Hex)).to.throw(TypeError, "paymasterData is not hex: 0xzz");
    });
  });

  describe("#encodePaymasterAndData", function () {
    it("packs paymaster ‖ uint128 ‖ uint128 ‖ data as the test helpers do, and decodes back", function () {
      const fields = {
        paymaster: SPONSOR,
        paymasterVerificationGasLimit: 120_000n,
        paymasterPostOpGasLimit: 57_000n,
        paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: SPONSOR, maxCredits: 7n }),
      };
      const packed = encodePaymasterAndData(fields);
      expect(packed.toLowerCase()).to.equal(
        packPaymasterAndData(SPONSOR, 120_000n, 57_000n, fields.paymasterData).toLowerCase(),
      );
      expect(decodePaymasterAndData(packed)).to.deep.equal(fields);
      const bare = encodePaymasterAndData({ ...fields, paymasterData: "0x" });
      expect(decodePaymasterAndData(bare).paymasterData).to.equal("0x");
    });

    it("throws for gas limits outside uint128 and for data shorter than 52 bytes", function () {
      const fields = {
        paymaster: SPONSOR,
        paymasterVerificationGasLimit: 1n << 128n,
        paymasterPostOpGasLimit: 0n,
        paymasterData: "0x" as Hex,
      };
      expect(() => encodePaymasterAndData(fields)).to.throw(RangeError, "paymasterVerificationGasLimit");
      expect(() =>
        encodePaymasterAndData({
          ...fields,
          paymasterVerificationGasLimit: 0n,
          paymasterPostOpGasLimit: -1n,
        }),
      ).to.throw(RangeError, "paymasterPostOpGasLimit");
      expect(() => decodePaymasterAndData(SPONSOR)).to.throw(
        RangeError,
        "paymasterAndData is 20 bytes, shorter than 52",
      );
    });
  });

  describe("credit arithmetic", function () {
    it("requiredPrefund sums the five gas limits times maxFeePerGas", function () {
      const gas = { ...OP_GAS, paymasterVerificationGasLimit: 120_000n, paymasterPostOpGasLimit: 60_000n };
      expect(requiredPrefund(gas)).to.equal(
        (100_000n + 500_000n + 50_000n + 120_000n + 60_000n) * 3_000_000_000n,
      );
      expect(requiredPrefund(OP_GAS)).to.equal(650_000n * 3_000_000_000n);
    });

    it("creditsForGasCost rounds up: 1 wei at $3,000 with a 5% markup costs one credit unit", function () {
      expect(creditsForGasCost(0n, PRICE_WAD, 10_500n)).to.equal(0n);
      expect(creditsForGasCost(1n, PRICE_WAD, 10_500n)).to.equal(1n);
      // 1 ETH = $3,000 = 3,000,000,000 credit units; × 1.05.
      expect(creditsForGasCost(10n ** 18n, PRICE_WAD, 10_500n)).to.equal(3_150_000_000n);
    });

    it("matches the paymaster's creditsForGasCost and worstCaseCredits on chain", async function () {
      const { sys } = await loadFixture(clientFixture);
      const markup = (await sys.paymaster.config()).markupBps;
      for (const wei of [1n, 999_999n, 2_490_000_000_000_000n, 10n ** 18n + 7n]) {
        expect(creditsForGasCost(wei, PRICE_WAD, markup)).to.equal(
          await sys.paymaster.creditsForGasCost(wei, PRICE_WAD),
        );
      }
      const gas = { ...OP_GAS, paymasterVerificationGasLimit: 120_000n, paymasterPostOpGasLimit: 60_000n };
      expect(worstCaseCredits(gas, PRICE_WAD, markup)).to.equal(
        await sys.paymaster.worstCaseCredits(requiredPrefund(gas)),
      );
    });

    it("expectedCredits converts gas × price, and the effective gas price is capped by maxFeePerGas", function () {
      expect(expectedCredits(100_000n, 2_000_000_000n, PRICE_WAD, 10_000n)).to.equal(600_000n);
      expect(effectiveGasPrice(3n, 1n, 1n)).to.equal(2n);
      expect(effectiveGasPrice(3n, 1n, 5n)).to.equal(3n);
    });
  });
});
