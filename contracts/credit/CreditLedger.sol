// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ICreditHolds} from "../interfaces/ICreditHolds.sol";
import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {IERC5192} from "../interfaces/IERC5192.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";
import {Bucket, CreditWords, GrantsTaken} from "../libraries/CreditWords.sol";
import {EpochBudgets} from "../libraries/EpochBudgets.sol";
import {HoldSlots} from "../libraries/HoldSlots.sol";
import {CreditAccounts} from "./CreditAccounts.sol";
import {LedgerSettings} from "./LedgerSettings.sol";
import {SponsorAllowances} from "./SponsorAllowances.sol";
import {SponsorPolicies} from "./SponsorPolicies.sol";

/**
 * @title CreditLedger
 * @notice Prepaid, soulbound compute credits (see {ICreditLedger} and {ICreditHolds}): purchases, expiring grants
 *         under issuance caps, sponsors' per-epoch allowances, transaction-scoped holds and their settlement.
 *         One concept per module: accounts ({CreditAccounts}), parameters ({LedgerSettings}), spenders and pause
 *         ({SpenderRegistry}), recovery ({CreditRecovery}), sponsors' allowances ({SponsorAllowances}), sponsors' open policies ({SponsorPolicies}); the packed credit words ({CreditWords}), per-epoch budgets ({EpochBudgets}) and the
 *         transient hold slots ({HoldSlots}) are libraries.
 *
 * Bounded cost: every operation on an account touches at most its two credit words and loops over at most 4
 * buckets and at most 4 spenders, whatever the account's history: `hold` = 1 SLOAD of the caller's spender info
 * (authorisation, pause bit and the next spender of the ring), 1 SLOAD of word 0 (+1 of word 1 when bucket 1 is
 * used), 1 SLOAD + 1 TLOAD per other spender, 1 TLOAD and 2 TSTOREs (the hold and the spender's "active" flag);
 * `settle` = 1 SLOAD of the caller's spender info (authorisation; written back with its burned counter when the
 * charge is not zero), 1 TLOAD/TSTORE, word 0 (and word 1 if used) read and written once, 1 `CreditsSpent` event.
 * `holdSponsored` adds 1 SLOAD of the allowance and 1 of the beneficiary's recovery mark.
 */
contract CreditLedger is
    CreditAccounts,
    LedgerSettings,
    SponsorAllowances,
    SponsorPolicies,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;
    using CreditWords for CreditWords.Credits;
    using EpochBudgets for EpochBudget;

    /// @notice Grants and revokes credits, within a per-epoch cap set by the admin.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Maximum number of live grant buckets (distinct live expiry dates) per account.
    uint256 public constant MAX_GRANT_BUCKETS = CreditWords.MAX_BUCKETS;

    /// @dev A hold relies on word 0's soonest live bucket alone only if it expires more than this many seconds after
    ///      the hold's asOf: more than any CreditPaymaster's `maxPriceAge` (a uint16), so that the hold's bound never
    ///      ends a paymaster's validity earlier than its price would.
    uint256 private constant WORD0_HORIZON = 1 << 16;

    mapping(address account => uint256[2] words) private _creditWords;
    mapping(address issuer => EpochBudget) private _issuerCaps;
    /// @dev Low 128 bits: total issued; high 128 bits: total revoked.
    uint256 private _issuedRevoked;
    uint256 private _totalExpired;

    /**
     * @param admin Receives `DEFAULT_ADMIN_ROLE` (a timelock in production).
     * @param priceAdapter Prices purchases.
     * @param treasury_ Receives stablecoin proceeds, and native proceeds until `setEthDestination` is used.
     */
    constructor(
        address admin,
        IPriceAdapter priceAdapter,
        address treasury_
    ) LedgerSettings(priceAdapter, treasury_) {
        if (admin == address(0)) revert CreditLedgerZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ERC721
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC721, AccessControl) returns (bool) {
        return
            interfaceId == type(IERC5192).interfaceId ||
            interfaceId == type(ICreditHolds).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ purchases

    /// @inheritdoc ICreditLedger
    function buyCredits(address account) external payable nonReentrant returns (uint256 credits) {
        _requireNotPaused();
        // Refreshes the adapter's cached price (what the paymaster charges at) and credits at that same price.
        (credits, ) = _adapter.refreshAndQuoteWei(msg.value);
        _creditPurchase(account, credits);
        emit CreditsPurchased(account, msg.sender, address(0), msg.value, credits);
        IEntryPoint entryPoint = _depositEntryPoint;
        if (address(entryPoint) != address(0)) {
            entryPoint.depositTo{value: msg.value}(_depositPaymaster);
        } else {
            Address.sendValue(payable(_treasury), msg.value);
        }
    }

    /// @inheritdoc ICreditLedger
    function buyCreditsWithToken(
        address account,
        address token,
        uint256 amount
    ) external nonReentrant returns (uint256 credits) {
        _requireNotPaused();
        IPriceAdapter priceAdapter = _adapter;
        if (!priceAdapter.isStablecoin(token)) revert CreditLedgerUnsupportedToken(token);
        address to = _treasury;
        uint256 before = IERC20(token).balanceOf(to);
        IERC20(token).safeTransferFrom(msg.sender, to, amount);
        uint256 received = IERC20(token).balanceOf(to) - before;
        // Refreshes the adapter's cached native price too, so these credits are spent at the current price.
        credits = priceAdapter.refreshAndQuoteStablecoin(token, received);
        _creditPurchase(account, credits);
        emit CreditsPurchased(account, msg.sender, token, received, credits);
    }

    // ------------------------------------------------------------------ grants

    /// @inheritdoc ICreditLedger
    function grant(address account, uint256 amount, uint64 expiresAt) external onlyRole(ISSUER_ROLE) {
        _requireNotPaused();
        if (amount == 0) revert CreditLedgerZeroAmount();
        _checkExpiry(expiresAt);
        _useIssuance(msg.sender, amount);
        _ensureAccount(account);
        CreditWords.Credits memory c = CreditWords.load(_creditWords[account]);
        uint256 expired = c.sweep(account, block.timestamp);
        c.insertGrant(account, amount, expiresAt);
        CreditWords.store(_creditWords[account], c);
        _issuedRevoked += amount; // issued stays < 2^128 (each grant <= a uint64 cap): no carry into revoked
        _addExpired(expired);
        emit CreditsGranted(account, msg.sender, amount, expiresAt);
    }

    /// @inheritdoc ICreditLedger
    function revokeGrant(
        address account,
        uint64 expiresAt,
        uint256 amount,
        uint32 reason
    ) external onlyRole(ISSUER_ROLE) {
        if (amount == 0) revert CreditLedgerZeroAmount();
        CreditWords.Credits memory c = CreditWords.load(_creditWords[account]);
        uint256 expired = c.sweep(account, block.timestamp);
        (uint256 index, uint256 unheld) = _revocable(account, c, expiresAt);
        if (amount > unheld) revert CreditLedgerGrantTooSmall(account, expiresAt, unheld, amount);
        c.takeFromBucket(index, amount);
        CreditWords.store(_creditWords[account], c);
        _issuedRevoked += amount << 128; // revoked <= issued < 2^128: the high half cannot overflow
        _addExpired(expired);
        emit GrantRevoked(account, msg.sender, expiresAt, amount, reason);
    }

    /// @inheritdoc ICreditLedger
    function sweepExpired(address account) external returns (uint256 expired) {
        CreditWords.Credits memory c = CreditWords.load(_creditWords[account]);
        expired = c.sweep(account, block.timestamp);
        if (expired != 0) {
            CreditWords.store(_creditWords[account], c);
            _addExpired(expired);
        }
    }

    /// @inheritdoc ICreditLedger
    function setIssuerCap(
        address issuer,
        uint64 capPerEpoch,
        uint32 epochLength
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (issuer == address(0)) revert CreditLedgerZeroAddress();
        if (epochLength == 0) revert CreditLedgerZeroEpochLength();
        uint64 carried = _issuerCaps[issuer].reconfigure(capPerEpoch, epochLength, type(uint32).max);
        emit IssuerCapSet(issuer, capPerEpoch, epochLength, carried);
    }

    /// @inheritdoc ICreditLedger
    function issuerCap(address issuer) external view returns (EpochBudget memory) {
        return _issuerCaps[issuer];
    }

    /// @inheritdoc ICreditLedger
    function remainingIssuance(address issuer) external view returns (uint256) {
        return EpochBudgets.remaining(_issuerCaps[issuer], block.timestamp, 0);
    }

    // ------------------------------------------------------------------ holds and settlement

    /// @inheritdoc ICreditHolds
    function hold(address account, uint256 amount, uint256 asOf) external returns (uint48 validUntil) {
        address next = _authorizeHold(amount);
        bytes32 key = HoldSlots.creditKey(account);
        (uint256 othersHeld, ) = _otherHolds(next, key, bytes32(0));
        validUntil = _holdCredits(account, key, othersHeld, amount, asOf);
    }

    /// @inheritdoc ICreditHolds
    function holdSponsored(
        address sponsor,
        address beneficiary,
        uint256 amount,
        uint256 asOf
    ) external returns (uint48 validUntil) {
        address next = _authorizeHold(amount);
        _requireNotRecovered(beneficiary);
        EpochBudget memory b = _allowances[sponsor][beneficiary];
        if (b.limit == 0) revert CreditLedgerNoAllowance(sponsor, beneficiary);
        if (asOf >= b.expiresAt) revert CreditLedgerAllowanceExpired(sponsor, beneficiary, b.expiresAt);
        bytes32 creditKey = HoldSlots.creditKey(sponsor);
        bytes32 allowanceKey = HoldSlots.allowanceKey(sponsor, beneficiary);
        (uint256 othersCredit, uint256 othersAllowance) = _otherHolds(next, creditKey, allowanceKey);
        // The allowance's epoch at asOf, after what was spent in it and every spender's holds, must have room.
        bytes32 ownSlot = HoldSlots.slot(msg.sender, allowanceKey);
        uint256 own = HoldSlots.load(ownSlot);
        uint256 room = b.remaining(asOf, othersAllowance + own);
        if (amount > room) revert CreditLedgerAllowanceExceeded(sponsor, beneficiary, room, amount);
        HoldSlots.store(ownSlot, own + amount);
        validUntil = _holdCredits(sponsor, creditKey, othersCredit, amount, asOf);
        // The allowance is usable while block.timestamp < expiresAt, i.e. up to expiresAt - 1 (expiresAt > asOf).
        if (b.expiresAt - 1 < validUntil) validUntil = b.expiresAt - 1;
    }

    /// @inheritdoc ICreditHolds
    function settle(
        address account,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) external {
        (SpenderInfo storage info, uint256 infoWord) = _authorizeSettle();
        _release(HoldSlots.slot(msg.sender, HoldSlots.creditKey(account)), account, held, charge);
        _spend(info, infoWord, account, account, charge, ref, spenderData);
    }

    /// @inheritdoc ICreditHolds
    function settleSponsored(
        address sponsor,
        address beneficiary,
        uint256 held,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) external {
        (SpenderInfo storage info, uint256 infoWord) = _authorizeSettle();
        _release(
            HoldSlots.slot(msg.sender, HoldSlots.allowanceKey(sponsor, beneficiary)),
            sponsor,
            held,
            charge
        );
        _release(HoldSlots.slot(msg.sender, HoldSlots.creditKey(sponsor)), sponsor, held, held);
        // A sponsored hold implies the allowance was configured, so epochLength > 0 (revocation keeps it); recording
        // saturates, so settlement never reverts here.
        if (charge != 0) _allowances[sponsor][beneficiary].record(charge);
        _spend(info, infoWord, sponsor, beneficiary, charge, ref, spenderData);
    }

    /// @inheritdoc ICreditHolds
    function heldCredits(address account) external view returns (uint256) {
        return _allHolds(HoldSlots.creditKey(account));
    }

    /// @inheritdoc ICreditHolds
    function balanceOfCredits(address account) public view returns (uint256) {
        (uint256 purchased, uint256 lo, uint256 hi) = CreditWords.peek(_creditWords[account]);
        return purchased + CreditWords.liveGranted(lo, hi, block.timestamp);
    }

    /// @inheritdoc ICreditHolds
    function spendableCredits(address account) external view returns (uint256) {
        return Math.saturatingSub(balanceOfCredits(account), _allHolds(HoldSlots.creditKey(account)));
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditLedger
    function creditBreakdown(address account) external view returns (CreditBreakdown memory breakdown) {
        CreditWords.Credits memory c = CreditWords.load(_creditWords[account]);
        breakdown.purchased = c.purchased;
        GrantBucket[] memory grants = new GrantBucket[](MAX_GRANT_BUCKETS);
        uint256 count;
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            Bucket b = c.at(i);
            if (b.isEmpty()) break;
            if (b.expiry() <= block.timestamp) {
                breakdown.expiredUnswept += b.amount();
            } else {
                grants[count++] = GrantBucket(b.amount(), uint64(b.expiry()));
            }
        }
        assembly ("memory-safe") {
            // shrink the array to the live buckets (count <= its allocated length)
            mstore(grants, count)
        }
        breakdown.grants = grants;
        breakdown.held = _allHolds(HoldSlots.creditKey(account));
    }

    /// @inheritdoc ICreditLedger
    function totalIssued() external view returns (uint256) {
        return uint128(_issuedRevoked);
    }

    /// @inheritdoc ICreditLedger
    function totalRevoked() external view returns (uint256) {
        return _issuedRevoked >> 128;
    }

    /// @inheritdoc ICreditLedger
    function totalExpired() external view returns (uint256) {
        return _totalExpired;
    }

    // ------------------------------------------------------------------ internal

    /**
     * @dev Adds `amount` to the caller's credit hold on `account` if the credits live at `asOf`, minus every
     *      spender's holds, cover it; returns the time until which the credits relied on stay live.
     */
    function _holdCredits(
        address account,
        bytes32 key,
        uint256 othersHeld,
        uint256 amount,
        uint256 asOf
    ) internal override returns (uint48 validUntil) {
        bytes32 ownSlot = HoldSlots.slot(msg.sender, key);
        uint256 own = HoldSlots.load(ownSlot);
        uint256 held = othersHeld + own;
        uint256 need = held + amount;
        uint256[2] storage words = _creditWords[account];
        uint256 w0 = words[0];
        uint256 lo = w0 >> 64;
        uint256 hi;
        uint256 cap = type(uint48).max;
        // Word 1 (buckets 2 and 3; zero while bucket 1 is empty) is read only when settlement may need it. When the
        // soonest bucket of word 0 live at asOf holds more than every hold on the account and outlives asOf by more
        // than WORD0_HORIZON, the hold relies on it and lasts no longer than it: no charge of this transaction can
        // then empty it, so settlement takes the word-0 fast path ({CreditWords-takeFromWord0}) and never reads word 1
        // in postOp, where a cold read would be unpriced. The horizon keeps that bound from ever binding for a
        // CreditPaymaster, whose validity ends by asOf + maxPriceAge (a uint16) at the latest: a bucket expiring
        // sooner is counted with all the others, as before (a block past its expiry still finds the rest).
        if (uint64(w0 >> 160) != 0) {
            Bucket firstLive = CreditWords.firstLiveOfWord0(lo, asOf);
            if (firstLive.amount() > need && firstLive.expiry() > asOf + WORD0_HORIZON) {
                cap = firstLive.expiry() - 1; // expiry > asOf >= 0
            } else {
                hi = words[1];
            }
        }
        uint256 live = uint64(w0) + CreditWords.liveGranted(lo, hi, asOf);
        if (live < need)
            revert CreditLedgerInsufficientCredits(account, Math.saturatingSub(live, held), amount);
        validUntil = CreditWords.validUntil(lo, hi, asOf, live, need);
        if (cap < validUntil) validUntil = uint48(cap);
        HoldSlots.store(ownSlot, own + amount);
        // own != 0: an earlier hold of this transaction on this account already marked the caller active
        if (own == 0) HoldSlots.store(HoldSlots.activeSlot(msg.sender), 1);
    }

    /// @dev Decrements the caller's hold at `slot` by `held`, checking `0 < held <= hold` and `charge <= held`.
    function _release(bytes32 slot, address account, uint256 held, uint256 charge) internal override {
        uint256 current = HoldSlots.load(slot);
        if (held == 0 || current < held) {
            if (held == 0 || current == 0) revert CreditLedgerNoHold(msg.sender, account);
            revert CreditLedgerHoldTooSmall(account, current, held);
        }
        if (charge > held) revert CreditLedgerChargeExceedsHold(charge, held);
        unchecked {
            HoldSlots.store(slot, current - held); // current >= held, checked above
        }
    }

    /**
     * @dev Burns `charge` credits of `account`: the soonest-expiring live grants first, purchased credits last
     *      ({CreditWords-takeFromGrants}: expired buckets are skipped, not swept, and stay accounted as
     *      expired-unswept until the next write of the account or `sweepExpired`). Emits `CreditsSpent` (also for a
     *      zero charge) with what came from grants, the spender's reference and data. `info` is the caller's spender info (checked by `_authorizeSettle`), whose burned counter
     *      grows.
     */
    function _spend(
        SpenderInfo storage info,
        uint256 infoWord,
        address account,
        address beneficiary,
        uint256 charge,
        bytes32 ref,
        uint256 spenderData
    ) internal override {
        GrantsTaken taken;
        if (charge != 0) {
            uint256[2] storage words = _creditWords[account];
            (bool fast, uint256 w0, GrantsTaken fromWord0) = CreditWords.takeFromWord0(
                words[0],
                charge,
                block.timestamp
            );
            if (fast) {
                words[0] = w0;
                taken = fromWord0;
            } else {
                CreditWords.Credits memory c = CreditWords.load(words);
                taken = c.takeFromGrants(charge, block.timestamp);
                uint256 rest = charge - taken.fromGrants();
                if (rest > c.purchased) {
                    // Unreachable when the hold was placed by this ledger and its validUntil was honoured.
                    revert CreditLedgerInsufficientCredits(account, c.purchased + taken.fromGrants(), charge);
                }
                c.purchased -= rest;
                CreditWords.store(words, c);
            }
            _addBurned(info, infoWord, charge);
        }
        emit CreditsSpent(
            account,
            beneficiary,
            msg.sender,
            charge,
            GrantsTaken.unwrap(taken),
            ref,
            spenderData
        );
    }

    /// @dev Opens `account` if needed, sweeps it and adds `credits` purchased credits.
    function _creditPurchase(address account, uint256 credits) private {
        uint256 minimum = _minPurchase;
        if (credits == 0 || credits < minimum) revert CreditLedgerPurchaseTooSmall(credits, minimum);
        _ensureAccount(account);
        uint256[2] storage words = _creditWords[account];
        CreditWords.Credits memory c = CreditWords.load(words);
        uint256 expired = c.sweep(account, block.timestamp);
        c.purchased = CreditWords.checkedAdd(account, c.purchased, credits);
        CreditWords.store(words, c);
        _issuedRevoked += credits; // issued stays < 2^128 (each purchase < 2^64): no carry into revoked
        _addExpired(expired);
    }

    /**
     * @dev Index of the (swept) live bucket of `account` expiring at `expiresAt` (MAX_GRANT_BUCKETS if none) and how
     *      much of it may be revoked without taking credits held by any spender in this transaction.
     */
    function _revocable(
        address account,
        CreditWords.Credits memory c,
        uint256 expiresAt
    ) private view returns (uint256 index, uint256 unheld) {
        index = MAX_GRANT_BUCKETS;
        uint256 bucketAmount;
        uint256 live = c.purchased;
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            Bucket b = c.at(i);
            live += b.amount();
            if (!b.isEmpty() && b.expiry() == expiresAt) (index, bucketAmount) = (i, b.amount());
        }
        if (index < MAX_GRANT_BUCKETS) {
            unheld = Math.min(
                bucketAmount,
                Math.saturatingSub(live, _allHolds(HoldSlots.creditKey(account)))
            );
        }
    }

    /// @dev Records `amount` issued by `issuer` in the current epoch, within its cap.
    function _useIssuance(address issuer, uint256 amount) private {
        EpochBudget storage s = _issuerCaps[issuer];
        EpochBudget memory b = s;
        (uint256 used, uint256 epoch) = b.usage(block.timestamp);
        uint256 left = Math.saturatingSub(b.limit, used);
        if (amount > left) revert CreditLedgerIssuerCapExceeded(issuer, left, amount);
        s.used = uint64(used + amount); // used + amount <= limit < 2^64
        s.usedEpoch = uint32(epoch); // epoch < 2^32 while timestamps fit in uint32 (anchor does)
    }

    function _addExpired(uint256 expired) private {
        if (expired != 0) _totalExpired += expired;
    }

    // ------------------------------------------------------------------ module hooks

    /// @dev {CreditAccounts} hook: purchased, live granted and spendable credits for the token's metadata.
    function _accountCard(
        address holder
    ) internal view override returns (uint256 purchased, uint256 granted, uint256 spendable) {
        uint256 lo;
        uint256 hi;
        (purchased, lo, hi) = CreditWords.peek(_creditWords[holder]);
        granted = CreditWords.liveGranted(lo, hi, block.timestamp);
        spendable = Math.saturatingSub(purchased + granted, _allHolds(HoldSlots.creditKey(holder)));
    }

    /// @dev {CreditRecovery} hook.
    function _hasAccount(address holder) internal view override returns (bool) {
        return _holdsAccount(holder);
    }

    /// @dev {CreditRecovery} hook: word 0 zero means no purchased credits and no bucket.
    function _requireEmpty(address to) internal view override {
        if (_creditWords[to][0] != 0) revert CreditLedgerRecoveryTargetNotEmpty(to);
    }

    /// @dev {CreditRecovery} hook: sweeps `from`, moves its words to the empty `to`, moves the account token.
    function _moveAccount(
        address from,
        address to
    ) internal override returns (uint256 purchased, uint256 granted) {
        CreditWords.Credits memory c = CreditWords.load(_creditWords[from]);
        _addExpired(c.sweep(from, block.timestamp));
        delete _creditWords[from];
        // The target's words are zero (checked by the caller): store against zero originals.
        c.word0 = 0;
        c.word1 = 0;
        CreditWords.store(_creditWords[to], c);
        _closeAccount(from);
        _ensureAccount(to);
        return (c.purchased, CreditWords.liveGranted(c.lo, c.hi, 0));
    }
}
