/**
 * ERC-7562 "associated storage": a slot of any contract is associated with address A if
 *   1. the slot value is A, or
 *   2. the slot value was computed as keccak(A ‖ x) + n, with n in the range 0..128.
 *
 * Solidity stores `mapping(address => T)` entries at keccak256(abi.encode(key, mappingSlot)), i.e. the
 * preimage starts with A left-padded to 32 bytes; `+ n` covers the members of a struct value. Following the
 * reference bundler (eth-infinitism), a preimage is attributed to A when it is at least 32 bytes long and its
 * first 32 bytes are A left-padded, and n ranges over 0 <= n < 128. Preimages of exactly 20 bytes
 * (`abi.encodePacked(A)`) are NOT associated: the spec's `A ‖ x` is the 32-byte word form.
 */

/** Exclusive upper bound of `n` in keccak(A ‖ x) + n. */
export const ASSOCIATED_SLOT_RANGE = 128n;

/** One KECCAK256 evaluation: its input (at least the first 32 bytes of it) and its output. */
export interface KeccakRecord {
  /** Length of the full preimage, in bytes. */
  readonly length: number;
  /** The first min(32, length) bytes of the preimage, as hex. */
  readonly head: string;
  /** keccak256 of the full preimage, as hex. */
  readonly hash: string;
}

/** Slots bases keccak(A ‖ …) per address A (lower-case, 0x-prefixed). */
export type KeccakIndex = ReadonlyMap<string, readonly bigint[]>;

const ADDRESS_MASK = (1n << 160n) - 1n;

function stripHex(hex: string): string {
  return hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
}

/** Lower-case 0x-prefixed 20-byte hex of the low 160 bits of `value`. */
export function toAddressKey(value: bigint): string {
  return `0x${(value & ADDRESS_MASK).toString(16).padStart(40, "0")}`;
}

/** Builds the per-address index of keccak outputs whose preimage starts with that address, left-padded. */
export function buildKeccakIndex(records: Iterable<KeccakRecord>): KeccakIndex {
  const index = new Map<string, bigint[]>();
  for (const record of records) {
    const head = stripHex(record.head);
    if (record.length < 32 || head.length < 64) continue;
    // The first 12 bytes of a left-padded address are zero.
    if (!/^0{24}/.test(head)) continue;
    const key = `0x${head.slice(24, 64).toLowerCase()}`;
    const bases = index.get(key);
    const base = BigInt(`0x${stripHex(record.hash)}`);
    if (bases === undefined) index.set(key, [base]);
    else if (!bases.includes(base)) bases.push(base);
  }
  return index;
}

/**
 * Whether `slot` is associated with `address` (ERC-7562), given the keccak evaluations seen in the trace.
 * @param slot the SLOAD/SSTORE/TLOAD/TSTORE key.
 * @param address any-case hex address.
 */
export function isAssociatedSlot(slot: bigint, address: string, index: KeccakIndex): boolean {
  const key = address.toLowerCase();
  if (slot === BigInt(key)) return true;
  const bases = index.get(key);
  if (bases === undefined) return false;
  return bases.some((base) => slot >= base && slot < base + ASSOCIATED_SLOT_RANGE);
}
