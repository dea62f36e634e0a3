import { expect } from "chai";
import fc from "fast-check";
import { concat, getBytes, hexlify, keccak256, toBeHex, zeroPadValue } from "ethers";

import { ASSOCIATED_SLOT_RANGE, buildKeccakIndex, isAssociatedSlot } from "../../src/erc7562";
import type { KeccakRecord } from "../../src/erc7562";

const A = "0x1111111111111111111111111111111111111111";
const B = "0x2222222222222222222222222222222222222222";

/** What the analyzer records for one KECCAK256 over `preimage`. */
function record(preimage: string): KeccakRecord {
  const bytes = getBytes(preimage);
  return { length: bytes.length, head: hexlify(bytes.slice(0, 32)), hash: keccak256(preimage) };
}

/** Solidity's slot of `mapping(address => …)` at `slot`, keyed by `key`: keccak(pad32(key) ‖ pad32(slot)). */
function mappingPreimage(key: string, slot: bigint): string {
  return concat([zeroPadValue(key, 32), toBeHex(slot, 32)]);
}

describe("ERC-7562 associated storage", function () {
  describe("#isAssociatedSlot", function () {
    it("associates the slot whose value is the address itself", function () {
      const index = buildKeccakIndex([]);
      expect(isAssociatedSlot(BigInt(A), A, index)).to.equal(true);
      expect(isAssociatedSlot(BigInt(A), A.toUpperCase().replace("0X", "0x"), index)).to.equal(true);
      expect(isAssociatedSlot(BigInt(A) + 1n, A, index)).to.equal(false);
    });

    it("associates keccak(A ‖ x) + n for n in [0, 128) and nothing outside", function () {
      const preimage = mappingPreimage(A, 3n);
      const base = BigInt(keccak256(preimage));
      const index = buildKeccakIndex([record(preimage)]);
      expect(isAssociatedSlot(base, A, index)).to.equal(true);
      expect(isAssociatedSlot(base + ASSOCIATED_SLOT_RANGE - 1n, A, index)).to.equal(true);
      expect(isAssociatedSlot(base + ASSOCIATED_SLOT_RANGE, A, index)).to.equal(false);
      expect(isAssociatedSlot(base - 1n, A, index)).to.equal(false);
      expect(isAssociatedSlot(base, B, index)).to.equal(false);
    });

    it("associates a nested mapping entry with its outer key only", function () {
      // allowance[A][B] = keccak(pad(B) ‖ keccak(pad(A) ‖ slot)): associated with B (the inner hash's key).
      const inner = mappingPreimage(A, 5n);
      const outer = concat([zeroPadValue(B, 32), keccak256(inner)]);
      const index = buildKeccakIndex([record(inner), record(outer)]);
      const slot = BigInt(keccak256(outer));
      expect(isAssociatedSlot(slot, B, index)).to.equal(true);
      expect(isAssociatedSlot(slot, A, index)).to.equal(false);
    });

    it("does not associate 20-byte (packed) or shorter-than-32-byte preimages", function () {
      const packed = A;
      const index = buildKeccakIndex([record(packed), record(concat([A, "0x01"]))]);
      expect(isAssociatedSlot(BigInt(keccak256(packed)), A, index)).to.equal(false);
      expect(index.size).to.equal(0);
    });

    it("ignores preimages whose first word is not a left-padded address", function () {
      // A's 20 bytes in the low part of the first word, but a non-zero high byte.
      const notAnAddress = concat(["0x01", `0x${"00".repeat(11)}`, A, toBeHex(0n, 32)]);
      const index = buildKeccakIndex([record(notAnAddress)]);
      expect(index.size).to.equal(0);
    });

    it("holds for any address, key and offset (property)", function () {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 20, maxLength: 20 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.bigInt({ min: 0n, max: 255n }),
          (addressBytes, x, n) => {
            const address = hexlify(addressBytes);
            const preimage = concat([zeroPadValue(address, 32), hexlify(x)]);
            const index = buildKeccakIndex([record(preimage)]);
            const slot = BigInt(keccak256(preimage)) + n;
            return isAssociatedSlot(slot, address, index) === n < ASSOCIATED_SLOT_RANGE;
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
