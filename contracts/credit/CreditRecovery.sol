// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {HoldSlots} from "../libraries/HoldSlots.sol";
import {SpenderRegistry} from "./SpenderRegistry.sol";

/**
 * @title CreditRecovery
 * @notice Delayed, cancellable recovery of a credit account to a new address (REFERENCES S4: never signature-based):
 *         initiated by the recovery role or the admin, cancellable by the old key during the delay, executable by
 *         anyone after it, blocked by holds, only to an empty address. A recovery ends the allowances sponsors gave
 *         the old address (see {ICreditLedger-executeRecovery}).
 * @dev Moving the credits and the account tokens is left to the ledger through {_hasAccount}, {_requireEmpty} and
 *      {_moveAccount}.
 */
abstract contract CreditRecovery is SpenderRegistry {
    /// @notice Initiates the recovery of an account to a new address (as does the admin).
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");

    struct PendingRecovery {
        address to;
        uint64 readyAt;
    }

    mapping(address from => PendingRecovery) private _recoveries;
    /// @dev The address each recovered account's credits moved to. The slot is keccak(account ‖ p): associated with
    ///      the account, i.e. the beneficiary (UserOperation sender) that `holdSponsored` checks in validation.
    mapping(address account => address to) private _recoveredTo;
    uint32 private _recoveryDelay;

    constructor() {
        _setRecoveryDelay(3 days);
    }

    /// @inheritdoc ICreditLedger
    function initiateRecovery(address from, address to) external {
        if (!hasRole(RECOVERY_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, RECOVERY_ROLE);
        }
        if (to == address(0) || to == from) revert CreditLedgerInvalidRecoveryTarget(from, to);
        if (!_hasAccount(from)) revert CreditLedgerNoAccount(from);
        _requireEmpty(to);
        _requireNotRecovered(to);
        uint64 readyAt = SafeCast.toUint64(block.timestamp + _recoveryDelay);
        _recoveries[from] = PendingRecovery({to: to, readyAt: readyAt});
        emit RecoveryInitiated(from, to, readyAt, msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function cancelRecovery() external {
        address to = _recoveries[msg.sender].to;
        if (to == address(0)) revert CreditLedgerNoRecovery(msg.sender);
        delete _recoveries[msg.sender];
        emit RecoveryCancelled(msg.sender, to);
    }

    /// @inheritdoc ICreditLedger
    function executeRecovery(address from) external {
        PendingRecovery memory pending = _recoveries[from];
        if (pending.to == address(0)) revert CreditLedgerNoRecovery(from);
        if (block.timestamp < pending.readyAt) revert CreditLedgerRecoveryNotReady(from, pending.readyAt);
        uint256 held = _allHolds(HoldSlots.creditKey(from));
        if (held != 0) revert CreditLedgerRecoveryBlockedByHolds(from, held);
        _requireEmpty(pending.to);
        _requireNotRecovered(pending.to);
        delete _recoveries[from];
        // Ends every allowance given to `from` (see {ICreditLedger-executeRecovery}).
        _recoveredTo[from] = pending.to;
        (uint256 purchased, uint256 granted) = _moveAccount(from, pending.to);
        emit RecoveryExecuted(from, pending.to, purchased, granted);
    }

    /// @inheritdoc ICreditLedger
    function setRecoveryDelay(uint32 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRecoveryDelay(delay);
    }

    /// @inheritdoc ICreditLedger
    function recoveryDelay() external view returns (uint32) {
        return _recoveryDelay;
    }

    /// @inheritdoc ICreditLedger
    function pendingRecovery(address from) external view returns (address to, uint64 readyAt) {
        PendingRecovery memory pending = _recoveries[from];
        return (pending.to, pending.readyAt);
    }

    /// @inheritdoc ICreditLedger
    function recoveredTo(address account) public view returns (address) {
        return _recoveredTo[account];
    }

    /// @dev Reverts when `account` was recovered: allowances given to it ended (see {ICreditLedger-executeRecovery}).
    function _requireNotRecovered(address account) internal view {
        address to = _recoveredTo[account];
        if (to != address(0)) revert CreditLedgerAccountRecovered(account, to);
    }

    /// @dev Whether `holder` has a credit account.
    function _hasAccount(address holder) internal view virtual returns (bool);

    /// @dev Reverts unless `to` holds no credits at all.
    function _requireEmpty(address to) internal view virtual;

    /**
     * @dev Moves every live credit of `from` to the (empty) `to` (expired grants are swept), burns `from`'s account
     *      token and opens `to`'s; returns the purchased and live granted credits moved.
     */
    function _moveAccount(
        address from,
        address to
    ) internal virtual returns (uint256 purchased, uint256 granted);

    function _setRecoveryDelay(uint32 delay) private {
        _recoveryDelay = delay;
        emit RecoveryDelaySet(delay);
    }
}
