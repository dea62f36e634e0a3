// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @notice A grant bucket: `amount | expiry << 64` (64 + 32 bits, held in the low 96 bits); the empty bucket is 0.
type Bucket is uint256;

using {amount, expiry, isEmpty} for Bucket global;

/**
 * @notice What a settlement took from grant buckets, in one word:
 *         `fromGrants (64) | fromLast (64) << 64 | firstExpiry (32) << 128 | lastExpiry (32) << 160`.
 *         Every bucket whose expiry is in `[firstExpiry, lastExpiry)` was emptied, and `fromLast` came out of the
 *         bucket expiring at `lastExpiry` (which it emptied when that was all it held): an indexer that knows the
 *         buckets applies it without re-deriving which buckets were live. Zero when no grant was used.
 */
type GrantsTaken is uint256;

using {fromGrants, fromLast, firstExpiry, lastExpiry} for GrantsTaken global;

/// @notice Credits left in the bucket (6 decimals).
function amount(Bucket b) pure returns (uint256) {
    return uint64(Bucket.unwrap(b));
}

/// @notice The bucket's expiry: usable while `block.timestamp < expiry`.
function expiry(Bucket b) pure returns (uint256) {
    return uint32(Bucket.unwrap(b) >> 64);
}

/// @notice Whether the bucket holds nothing (compaction keeps empty buckets at the end, all zeros).
function isEmpty(Bucket b) pure returns (bool) {
    return uint64(Bucket.unwrap(b)) == 0;
}

/// @notice Credits taken from grants in total.
function fromGrants(GrantsTaken t) pure returns (uint256) {
    return uint64(GrantsTaken.unwrap(t));
}

/// @notice Credits taken from the last bucket touched.
function fromLast(GrantsTaken t) pure returns (uint256) {
    return uint64(GrantsTaken.unwrap(t) >> 64);
}

/// @notice Expiry of the first (soonest-expiring) bucket touched.
function firstExpiry(GrantsTaken t) pure returns (uint256) {
    return uint32(GrantsTaken.unwrap(t) >> 128);
}

/// @notice Expiry of the last bucket touched.
function lastExpiry(GrantsTaken t) pure returns (uint256) {
    return uint32(GrantsTaken.unwrap(t) >> 160);
}

/**
 * @title CreditWords
 * @notice An account's credits, packed in two storage words, and every operation on them: reading and writing the
 *         words, live grants, the time until which credits stay valid, inserting, taking from and sweeping grant
 *         buckets, and spending (soonest-expiring live grants first, purchased credits last).
 *
 * Layout (two slots):
 *
 *     word 0: purchased (uint64) | bucket0 (96) | bucket1 (96)                              = 256 bits
 *     word 1: bucket2 (96) | bucket3 (96) | 64 spare bits
 *
 * Buckets are kept sorted by expiry (ascending), with distinct expiries, and compacted (non-empty first). Hence
 * word 1 is zero whenever bucket 1 is empty and is then never read. Expired buckets (expiry <= now) sit at the front
 * until swept. In memory the bucket sequence is two 192-bit halves, `lo = bucket0 | bucket1 << 96` and
 * `hi = bucket2 | bucket3 << 96`, so removing the soonest bucket is two shifts.
 */
library CreditWords {
    /// @notice Most live grant buckets (distinct live expiry dates) per account.
    uint256 internal constant MAX_BUCKETS = 4;

    uint256 private constant BUCKET_BITS = 96;
    uint256 private constant BUCKET_MASK = (1 << 96) - 1;
    uint256 private constant UINT64_MAX = type(uint64).max;

    /**
     * @notice An account's credits in memory; `word0`/`word1` are the stored words, to skip unchanged writes.
     * @param purchased Purchased credits (never expire).
     * @param lo Buckets 0 and 1.
     * @param hi Buckets 2 and 3.
     */
    struct Credits {
        uint256 purchased;
        uint256 lo;
        uint256 hi;
        uint256 word0;
        uint256 word1;
    }

    // ------------------------------------------------------------------ buckets

    /// @notice The bucket of `amount_` credits expiring at `expiry_` (amount < 2^64, expiry < 2^32).
    function bucket(uint256 amount_, uint256 expiry_) internal pure returns (Bucket) {
        return Bucket.wrap(amount_ | (expiry_ << 64));
    }

    /// @notice The first bucket of the sequence half `lo`.
    function first(uint256 lo) internal pure returns (Bucket) {
        return Bucket.wrap(lo & BUCKET_MASK);
    }

    /// @notice The bucket sequence (lo, hi) without its first bucket.
    function shift(uint256 lo, uint256 hi) internal pure returns (uint256, uint256) {
        return ((lo >> BUCKET_BITS) | ((hi & BUCKET_MASK) << BUCKET_BITS), hi >> BUCKET_BITS);
    }

    /// @notice Bucket `i` of `c` (empty when there is none).
    function at(Credits memory c, uint256 i) internal pure returns (Bucket) {
        uint256 b = i < 2 ? c.lo >> (BUCKET_BITS * i) : c.hi >> (BUCKET_BITS * (i - 2));
        return Bucket.wrap(b & BUCKET_MASK);
    }

    /// @notice The four buckets of `c`.
    function unpack(Credits memory c) internal pure returns (Bucket[4] memory b) {
        b[0] = Bucket.wrap(c.lo & BUCKET_MASK);
        b[1] = Bucket.wrap(c.lo >> BUCKET_BITS);
        b[2] = Bucket.wrap(c.hi & BUCKET_MASK);
        b[3] = Bucket.wrap(c.hi >> BUCKET_BITS);
    }

    /// @notice Writes the four buckets `b` back into `c`.
    function pack(Credits memory c, Bucket[4] memory b) internal pure {
        c.lo = Bucket.unwrap(b[0]) | (Bucket.unwrap(b[1]) << BUCKET_BITS);
        c.hi = Bucket.unwrap(b[2]) | (Bucket.unwrap(b[3]) << BUCKET_BITS);
    }

    // ------------------------------------------------------------------ storage

    /// @notice Purchased credits and the bucket sequence of `words`: word 0, and word 1 only when bucket 1 is used.
    function peek(
        uint256[2] storage words
    ) internal view returns (uint256 purchased, uint256 lo, uint256 hi) {
        uint256 w0 = words[0];
        purchased = uint64(w0);
        lo = w0 >> 64;
        if (uint64(w0 >> 160) != 0) hi = words[1];
    }

    /// @notice `words` decoded, with the stored words kept to skip unchanged writes.
    function load(uint256[2] storage words) internal view returns (Credits memory c) {
        (c.purchased, c.lo, c.hi) = peek(words);
        c.word0 = c.purchased | (c.lo << 64);
        c.word1 = c.hi;
    }

    /// @notice Writes back the words of `c` that changed (purchased < 2^64, lo and hi < 2^192).
    function store(uint256[2] storage words, Credits memory c) internal {
        uint256 w0 = c.purchased | (c.lo << 64);
        if (w0 != c.word0) words[0] = w0;
        if (c.hi != c.word1) words[1] = c.hi;
    }

    // ------------------------------------------------------------------ reads

    /// @notice Granted credits live at `time` (expiry > time) in the bucket sequence (lo, hi).
    function liveGranted(uint256 lo, uint256 hi, uint256 time) internal pure returns (uint256 granted) {
        for (uint256 i; i < MAX_BUCKETS; ++i) {
            Bucket b = first(lo);
            if (b.isEmpty()) break;
            if (b.expiry() > time) granted += b.amount();
            (lo, hi) = shift(lo, hi);
        }
    }

    /// @notice The soonest of buckets 0 and 1 (the sequence half `lo`) live at `time`, or the empty bucket.
    function firstLiveOfWord0(uint256 lo, uint256 time) internal pure returns (Bucket b) {
        b = first(lo);
        if (!b.isEmpty() && b.expiry() <= time) b = first(lo >> BUCKET_BITS);
        // an empty bucket's expiry is 0
        if (b.expiry() <= time) b = Bucket.wrap(0);
    }

    /**
     * @notice The time until which `need` credits stay covered: drops live buckets (expiry > asOf) from the soonest
     *         while the rest still covers `need`; the first bucket that cannot be dropped bounds the validity (usable
     *         while block.timestamp < expiry, i.e. until expiry - 1). `live` covers `need` on entry.
     */
    function validUntil(
        uint256 lo,
        uint256 hi,
        uint256 asOf,
        uint256 live,
        uint256 need
    ) internal pure returns (uint48) {
        for (uint256 i; i < MAX_BUCKETS; ++i) {
            Bucket b = first(lo);
            if (b.isEmpty()) break;
            if (b.expiry() > asOf) {
                if (live - b.amount() < need) return uint48(b.expiry() - 1); // expiry > asOf >= 0, < 2^32
                live -= b.amount();
            }
            (lo, hi) = shift(lo, hi);
        }
        return type(uint48).max;
    }

    // ------------------------------------------------------------------ writes

    /// @notice `balance + added`, reverting with `CreditLedgerBalanceOverflow` beyond 64 bits.
    function checkedAdd(address account, uint256 balance, uint256 added) internal pure returns (uint256 sum) {
        // balance <= type(uint64).max, so the subtraction cannot underflow
        if (added > UINT64_MAX - balance) {
            revert ICreditLedger.CreditLedgerBalanceOverflow(account, balance, added);
        }
        sum = balance + added;
    }

    /**
     * @notice Adds a grant to swept buckets: merges into the bucket with the same expiry, or inserts a new bucket in
     *         expiry order (reverting with `CreditLedgerTooManyGrantBuckets` when all four are taken).
     */
    function insertGrant(
        Credits memory c,
        address account,
        uint256 amount_,
        uint256 expiresAt
    ) internal pure {
        Bucket[4] memory b = unpack(c);
        uint256 i;
        while (i < MAX_BUCKETS && !b[i].isEmpty() && b[i].expiry() < expiresAt) ++i;
        if (i < MAX_BUCKETS && !b[i].isEmpty() && b[i].expiry() == expiresAt) {
            b[i] = bucket(checkedAdd(account, b[i].amount(), amount_), expiresAt);
        } else {
            if (!b[MAX_BUCKETS - 1].isEmpty()) revert ICreditLedger.CreditLedgerTooManyGrantBuckets(account);
            for (uint256 j = MAX_BUCKETS - 1; j > i; --j) b[j] = b[j - 1];
            b[i] = bucket(amount_, expiresAt); // amount <= the issuer's cap <= type(uint64).max; expiry < 2^32
        }
        pack(c, b);
    }

    /// @notice Takes `amount_` (at most its content) from bucket `index`, removing the bucket when emptied.
    function takeFromBucket(Credits memory c, uint256 index, uint256 amount_) internal pure {
        Bucket[4] memory b = unpack(c);
        // lowers the amount field only: amount_ <= the bucket's amount
        b[index] = Bucket.wrap(Bucket.unwrap(b[index]) - amount_);
        if (b[index].isEmpty()) {
            for (uint256 j = index; j < MAX_BUCKETS - 1; ++j) b[j] = b[j + 1];
            b[MAX_BUCKETS - 1] = Bucket.wrap(0);
        }
        pack(c, b);
    }

    /**
     * @notice Drops the leading buckets that expired at `time` (expiry <= time; buckets are sorted, so they are a
     *         prefix), emitting `CreditsExpired` for each. The caller stores `c` and adds the total to expired.
     */
    function sweep(Credits memory c, address account, uint256 time) internal returns (uint256 expired) {
        for (uint256 i; i < MAX_BUCKETS; ++i) {
            Bucket b = first(c.lo);
            if (b.isEmpty() || b.expiry() > time) break;
            expired += b.amount();
            (c.lo, c.hi) = shift(c.lo, c.hi);
            emit ICreditLedger.CreditsExpired(account, uint64(b.expiry()), b.amount());
        }
    }

    /**
     * @notice Settlement's fast path, on word 0 alone: when `charge` comes whole out of purchased credits (the account
     *         has no bucket) or out of the first live bucket of word 0 without emptying it, returns `ok`, the new
     *         word 0 and what was taken from grants, exactly as {load}, {takeFromGrants}, the purchased take and
     *         {store} would leave them. Word 1 is neither needed nor changed in these cases (no bucket moves), so it is
     *         not read. Otherwise `ok` is false and the caller takes the general path.
     */
    function takeFromWord0(
        uint256 w0,
        uint256 charge,
        uint256 time
    ) internal pure returns (bool ok, uint256 newW0, GrantsTaken taken) {
        for (uint256 i; i < 2; ++i) {
            uint256 shiftBits = 64 + BUCKET_BITS * i;
            Bucket b = Bucket.wrap((w0 >> shiftBits) & BUCKET_MASK);
            if (b.isEmpty()) {
                // No live bucket: compaction keeps every later bucket empty too. All from purchased credits (the
                // low 64 bits), which must cover it: the general path reports a shortfall.
                if (uint64(w0) < charge) return (false, 0, taken);
                return (true, w0 - charge, taken);
            }
            if (b.expiry() > time) {
                // The soonest live bucket; emptying it moves the buckets behind it (the general path).
                if (b.amount() <= charge) return (false, 0, taken);
                uint256 e = b.expiry();
                // lowers this bucket's amount field only (charge < amount < 2^64); parts < 2^64 and < 2^32
                return (
                    true,
                    w0 - (charge << shiftBits),
                    GrantsTaken.wrap(charge | (charge << 64) | (e << 128) | (e << 160))
                );
            }
        }
        // Buckets 0 and 1 expired: a live one may be in word 1.
        return (false, 0, taken);
    }

    /**
     * @notice Takes `charge` from the buckets live at `time`, soonest expiry first, keeping expired buckets (a prefix)
     *         and what is left of live ones; returns what was taken (see {GrantsTaken}; the rest of `charge` is for
     *         the purchased credits). Expired buckets are skipped, not swept: settlement must be cheap and constant
     *         (sweeping writes the expired total and emits events).
     */
    function takeFromGrants(
        Credits memory c,
        uint256 charge,
        uint256 time
    ) internal pure returns (GrantsTaken taken) {
        if (c.lo == 0) return GrantsTaken.wrap(0);
        Bucket[4] memory b = unpack(c);
        uint256 rest = charge;
        uint256 kept;
        uint256 takenFirst;
        uint256 takenLast;
        uint256 lastTake;
        for (uint256 i; i < MAX_BUCKETS; ++i) {
            Bucket bk = b[i];
            uint256 left = bk.amount();
            if (left == 0) break;
            if (rest != 0 && bk.expiry() > time) {
                uint256 take = left < rest ? left : rest;
                rest -= take;
                if (takenFirst == 0) takenFirst = bk.expiry();
                (takenLast, lastTake) = (bk.expiry(), take);
                if (take == left) continue; // emptied: dropped
                bk = Bucket.wrap(Bucket.unwrap(bk) - take); // lowers the amount field only: take < left
            }
            b[kept++] = bk;
        }
        for (uint256 i = kept; i < MAX_BUCKETS; ++i) b[i] = Bucket.wrap(0);
        pack(c, b);
        // every part < 2^64 (amounts) or < 2^32 (expiries)
        taken = GrantsTaken.wrap(
            (charge - rest) | (lastTake << 64) | (takenFirst << 128) | (takenLast << 160)
        );
    }
}
