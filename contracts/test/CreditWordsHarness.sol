// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Bucket, CreditWords, GrantsTaken} from "../libraries/CreditWords.sol";

/**
 * @title CreditWordsHarness
 * @notice Test-only: exposes the {CreditWords} library on one account's two storage words, so that the packed
 *         layout and every bucket operation are tested on their own, apart from the ledger.
 */
contract CreditWordsHarness {
    using CreditWords for CreditWords.Credits;

    uint256[2] private _words;

    /// @notice Storage writes the last `store` made: word 0 and word 1 (a skipped unchanged write counts 0).
    uint256 public lastWrites;

    function setWords(uint256 word0, uint256 word1) external {
        _words[0] = word0;
        _words[1] = word1;
    }

    function words() external view returns (uint256, uint256) {
        return (_words[0], _words[1]);
    }

    function peek() external view returns (uint256 purchased, uint256 lo, uint256 hi) {
        return CreditWords.peek(_words);
    }

    /// @notice The account's buckets as (amount, expiry) pairs, in storage order.
    function buckets() external view returns (uint256[4] memory amounts, uint256[4] memory expiries) {
        CreditWords.Credits memory c = CreditWords.load(_words);
        for (uint256 i; i < 4; ++i) {
            Bucket b = c.at(i);
            (amounts[i], expiries[i]) = (b.amount(), b.expiry());
        }
    }

    function liveGranted(uint256 time) external view returns (uint256) {
        (, uint256 lo, uint256 hi) = CreditWords.peek(_words);
        return CreditWords.liveGranted(lo, hi, time);
    }

    function validUntil(uint256 asOf, uint256 need) external view returns (uint48) {
        (uint256 purchased, uint256 lo, uint256 hi) = CreditWords.peek(_words);
        return CreditWords.validUntil(lo, hi, asOf, purchased + CreditWords.liveGranted(lo, hi, asOf), need);
    }

    function insertGrant(address account, uint256 amount, uint256 expiresAt) external {
        CreditWords.Credits memory c = CreditWords.load(_words);
        c.insertGrant(account, amount, expiresAt);
        _store(c);
    }

    function takeFromBucket(uint256 index, uint256 amount) external {
        CreditWords.Credits memory c = CreditWords.load(_words);
        c.takeFromBucket(index, amount);
        _store(c);
    }

    function sweep(address account, uint256 time) external returns (uint256 expired) {
        CreditWords.Credits memory c = CreditWords.load(_words);
        expired = c.sweep(account, time);
        _store(c);
    }

    /// @notice Takes `charge` from the grants live at `time`; returns the packed `GrantsTaken` word.
    function takeFromGrants(uint256 charge, uint256 time) external returns (uint256 taken) {
        CreditWords.Credits memory c = CreditWords.load(_words);
        taken = GrantsTaken.unwrap(c.takeFromGrants(charge, time));
        _store(c);
    }

    /// @notice Settlement's fast path on the stored word 0 ({CreditWords-takeFromWord0}).
    function takeFromWord0(
        uint256 charge,
        uint256 time
    ) external view returns (bool ok, uint256 w0, uint256 taken) {
        GrantsTaken t;
        (ok, w0, t) = CreditWords.takeFromWord0(_words[0], charge, time);
        taken = GrantsTaken.unwrap(t);
    }

    /// @notice The soonest of buckets 0 and 1 live at `time` ({CreditWords-firstLiveOfWord0}): amount and expiry.
    function firstLiveOfWord0(uint256 time) external view returns (uint256 amount, uint256 expiry) {
        Bucket b = CreditWords.firstLiveOfWord0(_words[0] >> 64, time);
        return (b.amount(), b.expiry());
    }

    /// @notice Settlement's general path as the ledger runs it (grants, then purchased credits), without storing:
    ///         the words it would leave, what it took from grants, and whether the credits covered the charge.
    function spendGeneral(
        uint256 charge,
        uint256 time
    ) external view returns (bool covered, uint256 w0, uint256 w1, uint256 taken) {
        CreditWords.Credits memory c = CreditWords.load(_words);
        GrantsTaken t = c.takeFromGrants(charge, time);
        uint256 rest = charge - t.fromGrants();
        covered = rest <= c.purchased;
        if (covered) c.purchased -= rest;
        return (
            covered,
            c.purchased | (c.lo << 64),
            c.hi == c.word1 ? _words[1] : c.hi,
            GrantsTaken.unwrap(t)
        );
    }

    /// @notice The named parts of a `GrantsTaken` word, read through its getters.
    function grantsTakenParts(
        uint256 word
    ) external pure returns (uint256 fromGrants, uint256 fromLast, uint256 firstExpiry, uint256 lastExpiry) {
        GrantsTaken t = GrantsTaken.wrap(word);
        return (t.fromGrants(), t.fromLast(), t.firstExpiry(), t.lastExpiry());
    }

    function checkedAdd(address account, uint256 balance, uint256 added) external pure returns (uint256) {
        return CreditWords.checkedAdd(account, balance, added);
    }

    function _store(CreditWords.Credits memory c) private {
        uint256 w0 = c.purchased | (c.lo << 64);
        lastWrites = (w0 != c.word0 ? 1 : 0) + (c.hi != c.word1 ? 1 : 0);
        CreditWords.store(_words, c);
    }
}
