// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {EpochBudgets} from "../libraries/EpochBudgets.sol";
import {HoldSlots} from "../libraries/HoldSlots.sol";
import {CreditRecovery} from "./CreditRecovery.sol";

/**
 * @title SponsorAllowances
 * @notice Sponsors' per-epoch allowances: a sponsor lets a beneficiary (a UserOperation sender) spend up to
 *         `perEpoch` of the sponsor's credits per epoch until an expiry. Reconfiguring carries what was spent in the
 *         current epoch; revoking keeps the record; a recovered beneficiary has none (see {CreditRecovery}). The
 *         ledger holds and records spending against them ({ICreditHolds-holdSponsored}, {ICreditHolds-settleSponsored}).
 */
abstract contract SponsorAllowances is CreditRecovery {
    using EpochBudgets for EpochBudget;

    /// @dev `[sponsor][beneficiary]`: the slot is keccak(beneficiary ‖ keccak(sponsor ‖ p)), associated with the
    ///      beneficiary, i.e. the UserOperation sender in sponsored mode (and a staked paymaster may read any slot).
    mapping(address sponsor => mapping(address beneficiary => EpochBudget)) internal _allowances;

    /// @inheritdoc ICreditLedger
    function setAllowance(
        address beneficiary,
        uint64 perEpoch,
        uint32 epochLength,
        uint64 expiresAt
    ) external {
        if (beneficiary == address(0)) revert CreditLedgerZeroAddress();
        _requireNotRecovered(beneficiary);
        if (perEpoch == 0) revert CreditLedgerZeroAmount();
        if (epochLength == 0) revert CreditLedgerZeroEpochLength();
        _checkExpiry(expiresAt);
        uint64 carried = _allowances[msg.sender][beneficiary].reconfigure(
            perEpoch,
            epochLength,
            uint32(expiresAt) // checked above: expiresAt <= type(uint32).max
        );
        emit AllowanceSet(msg.sender, beneficiary, perEpoch, epochLength, expiresAt, carried);
    }

    /// @inheritdoc ICreditLedger
    function revokeAllowance(address beneficiary) external {
        EpochBudget storage b = _allowances[msg.sender][beneficiary];
        if (b.limit == 0) revert CreditLedgerNoAllowance(msg.sender, beneficiary);
        // Keep `used`, `usedEpoch`, `anchor` and `epochLength`: a later `setAllowance` carries the spending.
        b.limit = 0;
        emit AllowanceRevoked(msg.sender, beneficiary);
    }

    /// @inheritdoc ICreditLedger
    function allowance(address sponsor, address beneficiary) external view returns (EpochBudget memory) {
        return _allowances[sponsor][beneficiary];
    }

    /// @inheritdoc ICreditLedger
    function remainingAllowance(address sponsor, address beneficiary) external view returns (uint256) {
        EpochBudget memory b = _allowances[sponsor][beneficiary];
        if (b.limit == 0 || block.timestamp >= b.expiresAt || recoveredTo(beneficiary) != address(0))
            return 0;
        return b.remaining(block.timestamp, _allHolds(HoldSlots.allowanceKey(sponsor, beneficiary)));
    }

    /// @dev Reverts unless `expiresAt` is in `(now, type(uint32).max]`.
    function _checkExpiry(uint64 expiresAt) internal view {
        if (expiresAt <= block.timestamp || expiresAt > type(uint32).max) {
            revert CreditLedgerInvalidExpiry(expiresAt, block.timestamp);
        }
    }
}
