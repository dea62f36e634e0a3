// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {HoldSlots} from "../libraries/HoldSlots.sol";

/**
 * @title SpenderRegistry
 * @notice The ledger's registered spenders (the paymasters, at most `MAX_SPENDERS`), their burned totals, the
 *         global pause, and the sums of the transient holds of every spender (see {HoldSlots}).
 * @dev The registered spenders form a ring, a circular list through `SpenderInfo.next`, so the one SLOAD that
 *      authorises a spender in `hold` also yields the first other spender whose holds count.
 */
abstract contract SpenderRegistry is AccessControl, ICreditLedger {
    /// @notice Pauses purchases, grants and new holds.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Maximum number of registered spenders.
    uint256 public constant MAX_SPENDERS = 4;

    /// @dev `SpenderInfo.burned` occupies bits 176-255 of its slot (after authorized, paused and next).
    uint256 private constant BURNED_SHIFT = 176;
    uint256 private constant BURNED_CLEAR_MASK = (1 << 176) - 1;

    /**
     * @dev One slot per spender. `paused` mirrors the global pause flag so that `hold` learns it from the same slot.
     *      `burned` counts the credits this spender burned: settlement adds to a slot that `hold` already warmed and
     *      that is never zero (so never a 20,000-gas zero-to-nonzero write), which keeps the cost of `postOp` low
     *      and constant. Settlement reads this slot once to check `authorized` and writes it back with the new
     *      `burned` ({_authorizeSettle}, {_addBurned}): keep `authorized` first and `burned` last (BURNED_SHIFT).
     */
    struct SpenderInfo {
        bool authorized;
        bool paused;
        address next;
        uint80 burned;
    }

    /// @dev One slot: any spender of the ring, the number of spenders and the global pause flag.
    struct SpenderRing {
        address head;
        uint8 count;
        bool paused;
    }

    mapping(address spender => SpenderInfo) private _spenderInfo;
    SpenderRing private _ring;
    /// @dev Credits burned by spenders since removed (registered spenders count theirs in their SpenderInfo).
    uint256 private _burnedByRemoved;

    // ------------------------------------------------------------------ spenders

    /// @inheritdoc ICreditLedger
    function addSpender(address spender) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (spender == address(0)) revert CreditLedgerZeroAddress();
        if (_spenderInfo[spender].authorized) revert CreditLedgerSpenderAlreadyAdded(spender);
        SpenderRing memory ring = _ring;
        if (ring.count == MAX_SPENDERS) revert CreditLedgerTooManySpenders(MAX_SPENDERS);
        if (ring.head == address(0)) {
            _spenderInfo[spender] = SpenderInfo({
                authorized: true,
                paused: ring.paused,
                next: spender,
                burned: 0
            });
            _ring.head = spender;
        } else {
            SpenderInfo storage head = _spenderInfo[ring.head];
            _spenderInfo[spender] = SpenderInfo({
                authorized: true,
                paused: ring.paused,
                next: head.next,
                burned: 0
            });
            head.next = spender;
        }
        _ring.count = ring.count + 1;
        emit SpenderAdded(spender);
    }

    /// @inheritdoc ICreditLedger
    function removeSpender(address spender) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_spenderInfo[spender].authorized) revert CreditLedgerSpenderNotFound(spender);
        if (HoldSlots.load(HoldSlots.activeSlot(spender)) != 0) revert CreditLedgerSpenderHasHolds(spender);
        address next = _spenderInfo[spender].next;
        address previous = spender;
        while (_spenderInfo[previous].next != spender) previous = _spenderInfo[previous].next;
        _spenderInfo[previous].next = next;
        // Its burned credits stay counted in the total.
        _burnedByRemoved += _spenderInfo[spender].burned;
        delete _spenderInfo[spender];
        SpenderRing memory ring = _ring;
        if (ring.head == spender) _ring.head = next == spender ? address(0) : next;
        _ring.count = ring.count - 1;
        emit SpenderRemoved(spender);
    }

    /// @inheritdoc ICreditLedger
    function isSpender(address spender) external view returns (bool) {
        return _spenderInfo[spender].authorized;
    }

    /// @inheritdoc ICreditLedger
    function spenders() external view returns (address[] memory list) {
        SpenderRing memory ring = _ring;
        list = new address[](ring.count);
        address s = ring.head;
        for (uint256 i; i < list.length; ++i) {
            list[i] = s;
            s = _spenderInfo[s].next;
        }
    }

    /// @inheritdoc ICreditLedger
    function totalBurned() external view returns (uint256 burned) {
        burned = _burnedByRemoved;
        address head = _ring.head;
        if (head == address(0)) return burned;
        address spender = head;
        do {
            SpenderInfo memory info = _spenderInfo[spender];
            burned += info.burned;
            spender = info.next;
        } while (spender != head);
    }

    // ------------------------------------------------------------------ pause

    /// @inheritdoc ICreditLedger
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _setPaused(true);
        emit LedgerPaused(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPaused(false);
        emit LedgerUnpaused(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function paused() external view returns (bool) {
        return _ring.paused;
    }

    // ------------------------------------------------------------------ internal

    /// @dev Reads the caller's spender info (one SLOAD), rejects a zero hold and returns the next spender of the ring.
    function _authorizeHold(uint256 amount) internal view returns (address next) {
        SpenderInfo memory info = _spenderInfo[msg.sender];
        if (!info.authorized) revert CreditLedgerUnauthorizedSpender(msg.sender);
        if (info.paused) revert CreditLedgerPaused();
        if (amount == 0) revert CreditLedgerZeroAmount();
        return info.next;
    }

    /**
     * @dev The caller's spender info, after checking that the caller is a registered spender. Settlement writes the
     *      burned counter in this slot, so the check costs no extra storage access (the slot is warm since `hold`).
     *      The pause flag is not checked: settlement works while paused.
     */
    function _authorizeSettle() internal view returns (SpenderInfo storage info, uint256 word) {
        info = _spenderInfo[msg.sender];
        assembly ("memory-safe") {
            // the packed slot, read once: `_addBurned` writes it back with the new burned counter
            word := sload(info.slot)
        }
        if (uint8(word) == 0) revert CreditLedgerUnauthorizedSpender(msg.sender); // `authorized`: bits 0-7
    }

    /// @dev Adds `charge` to the burned counter of the spender whose slot `info` held `infoWord` when read.
    function _addBurned(SpenderInfo storage info, uint256 infoWord, uint256 charge) internal {
        // Checked: a spender's burned total cannot reach 2^80 credits (1.2e18 stable units) in practice.
        uint256 burned = SafeCast.toUint80((infoWord >> BURNED_SHIFT) + charge);
        assembly ("memory-safe") {
            // write back the slot read by _authorizeSettle with the new `burned` field: no second SLOAD
            sstore(info.slot, or(and(infoWord, BURNED_CLEAR_MASK), shl(BURNED_SHIFT, burned)))
        }
    }

    /**
     * @dev Sums the holds of every spender other than the caller, walking the ring from `next` (the caller's
     *      successor) back to the caller: one SLOAD and one or two TLOADs per other spender, none with one spender.
     */
    function _otherHolds(
        address next,
        bytes32 creditKey,
        bytes32 allowanceKey
    ) internal view returns (uint256 credit, uint256 allowanceHeld) {
        address s = next;
        while (s != msg.sender) {
            credit += HoldSlots.load(HoldSlots.slot(s, creditKey));
            if (allowanceKey != bytes32(0)) allowanceHeld += HoldSlots.load(HoldSlots.slot(s, allowanceKey));
            s = _spenderInfo[s].next;
        }
    }

    /// @dev The spender after `spender` in the ring (one SLOAD).
    function _nextSpender(address spender) internal view returns (address) {
        return _spenderInfo[spender].next;
    }

    /// @dev Sums the holds of every registered spender under `key` (views, revocation, recovery).
    function _allHolds(bytes32 key) internal view returns (uint256 total) {
        address head = _ring.head;
        if (head == address(0)) return 0;
        address s = head;
        do {
            total += HoldSlots.load(HoldSlots.slot(s, key));
            s = _spenderInfo[s].next;
        } while (s != head);
    }

    function _requireNotPaused() internal view {
        if (_ring.paused) revert CreditLedgerPaused();
    }

    /// @dev Sets the global flag and mirrors it into every spender's info (at most 4), read by `hold` for free.
    function _setPaused(bool value) private {
        SpenderRing memory ring = _ring;
        if (ring.paused == value) {
            if (value) revert CreditLedgerPaused();
            revert CreditLedgerNotPaused();
        }
        _ring.paused = value;
        for (uint256 i; i < ring.count; ++i) {
            SpenderInfo storage info = _spenderInfo[ring.head];
            info.paused = value;
            ring.head = info.next;
        }
    }
}
