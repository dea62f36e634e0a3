// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

/**
 * @title TestStorageTarget
 * @notice Test-only "other contract" whose storage the ERC-7562 checker tests touch from validation code,
 * and a simple call target for UserOperations.
 * @dev Storage layout (the tests compute slots from it):
 * - slot 0: `total`, associated with no address;
 * - slot 1: `counts`, so `counts[a]` lives at keccak256(abi.encode(a, 1)), a slot associated with `a`.
 * Transient slots are chosen by the caller.
 */
contract TestStorageTarget {
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.Uint256Slot;

    /// @notice A counter associated with no address (slot 0).
    uint256 public total;

    /// @notice Per-address counters (slot 1): `counts[a]` is associated with `a` (ERC-7562).
    mapping(address account => uint256 count) public counts;

    /**
     * @notice Emitted when `bumpTotal` is called.
     * @param caller The caller.
     * @param total The new total.
     */
    event TotalBumped(address indexed caller, uint256 total);

    /// @notice Increments `total` (writes an unassociated slot).
    function bumpTotal() external {
        uint256 newTotal = total + 1;
        total = newTotal;
        emit TotalBumped(msg.sender, newTotal);
    }

    /**
     * @notice Increments `counts[account]` (writes a slot associated with `account`).
     * @param account The key.
     */
    function bumpCount(address account) external {
        ++counts[account];
    }

    /**
     * @notice Increments transient slot `slot` of this contract and returns the new value.
     * @param slot The transient storage slot.
     * @return value The new value.
     */
    function bumpTransient(uint256 slot) external returns (uint256 value) {
        TransientSlot.Uint256Slot transientSlot = bytes32(slot).asUint256();
        value = transientSlot.tload() + 1;
        transientSlot.tstore(value);
    }
}
