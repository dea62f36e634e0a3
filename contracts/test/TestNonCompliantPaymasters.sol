// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {TestAcceptAllPaymaster} from "./TestAcceptAllPaymaster.sol";
import {TestStorageTarget} from "./TestStorageTarget.sol";

/*
 * Test-only paymasters, each breaking (or, depending on stake, possibly breaking) exactly one ERC-7562
 * validation rule on top of the accept-all baseline. The ERC-7562 checker tests prove the checker catches
 * each of them. NEVER deploy outside tests.
 */

/// @notice Reads TIMESTAMP during validation (OP-011) to derive `validUntil`.
contract TestTimestampPaymaster is TestAcceptAllPaymaster {
    /// @param anEntryPoint The EntryPoint served.
    constructor(IEntryPoint anEntryPoint) TestAcceptAllPaymaster(anEntryPoint) {}

    /// @dev validUntil = block.timestamp + 1 hour: the TIMESTAMP read is the violation.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        (context, ) = super._validatePaymasterUserOp(userOp, userOpHash, maxCost);
        validationData = _packValidationData(false, uint48(block.timestamp + 1 hours), 0);
    }
}

/// @notice Uses GAS for something other than an immediately following *CALL (OP-012).
contract TestGasPaymaster is TestAcceptAllPaymaster {
    /**
     * @notice Emitted during validation with the gas left.
     * @param gasLeft The value GAS returned.
     */
    event GasObserved(uint256 gasLeft);

    /// @param anEntryPoint The EntryPoint served.
    constructor(IEntryPoint anEntryPoint) TestAcceptAllPaymaster(anEntryPoint) {}

    /// @dev Emits `gasleft()`: GAS is followed by LOG plumbing, not by a call.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        emit GasObserved(gasleft());
        return super._validatePaymasterUserOp(userOp, userOpHash, maxCost);
    }
}

/// @notice Base of the paymasters that touch a {TestStorageTarget} during validation.
abstract contract TestTargetPaymaster is TestAcceptAllPaymaster {
    /// @notice The contract whose storage validation touches.
    TestStorageTarget public immutable storageTarget;

    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract whose storage validation touches.
     */
    constructor(IEntryPoint anEntryPoint, TestStorageTarget aTarget) TestAcceptAllPaymaster(anEntryPoint) {
        storageTarget = aTarget;
    }

    /**
     * @dev The storage access under test.
     * @param userOp The UserOperation being validated.
     */
    function _touch(PackedUserOperation calldata userOp) internal virtual;

    /// @dev Touches the target, then accepts.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        _touch(userOp);
        return super._validatePaymasterUserOp(userOp, userOpHash, maxCost);
    }
}

/// @notice Writes an unassociated slot (`total`, slot 0) of another contract: forbidden even when staked.
contract TestForeignWritePaymaster is TestTargetPaymaster {
    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract whose slot 0 validation writes.
     */
    constructor(
        IEntryPoint anEntryPoint,
        TestStorageTarget aTarget
    ) TestTargetPaymaster(anEntryPoint, aTarget) {}

    /// @dev SSTORE to target slot 0.
    function _touch(PackedUserOperation calldata) internal override {
        storageTarget.bumpTotal();
    }
}

/// @notice Reads an unassociated slot of another contract: allowed only when staked (STO-033).
contract TestForeignReadPaymaster is TestTargetPaymaster {
    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract whose slot 0 validation reads.
     */
    constructor(
        IEntryPoint anEntryPoint,
        TestStorageTarget aTarget
    ) TestTargetPaymaster(anEntryPoint, aTarget) {}

    /**
     * @notice The target's total is above the limit this paymaster tolerates.
     * @param total The target's total.
     */
    error TestForeignReadPaymasterTotalTooHigh(uint256 total);

    /// @dev SLOAD of target slot 0.
    function _touch(PackedUserOperation calldata) internal view override {
        uint256 total = storageTarget.total();
        if (total > type(uint128).max) revert TestForeignReadPaymasterTotalTooHigh(total);
    }
}

/// @notice Writes `counts[address(this)]` in another contract: allowed only when staked (STO-032).
contract TestSelfAssociatedPaymaster is TestTargetPaymaster {
    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract holding the mapping.
     */
    constructor(
        IEntryPoint anEntryPoint,
        TestStorageTarget aTarget
    ) TestTargetPaymaster(anEntryPoint, aTarget) {}

    /// @dev SSTORE to keccak256(abi.encode(address(this), 1)) in the target.
    function _touch(PackedUserOperation calldata) internal override {
        storageTarget.bumpCount(address(this));
    }
}

/// @notice Writes `counts[sender]` in another contract: always allowed for an existing sender (STO-021).
contract TestSenderAssociatedPaymaster is TestTargetPaymaster {
    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract holding the mapping.
     */
    constructor(
        IEntryPoint anEntryPoint,
        TestStorageTarget aTarget
    ) TestTargetPaymaster(anEntryPoint, aTarget) {}

    /// @dev SSTORE to keccak256(abi.encode(userOp.sender, 1)) in the target.
    function _touch(PackedUserOperation calldata userOp) internal override {
        storageTarget.bumpCount(userOp.sender);
    }
}

/// @notice Writes an unassociated transient slot of another contract (OP-070: same rules as storage).
contract TestTransientPaymaster is TestTargetPaymaster {
    /// @notice The transient slot written in the target.
    uint256 public constant TRANSIENT_SLOT = 7;

    /**
     * @param anEntryPoint The EntryPoint served.
     * @param aTarget The contract whose transient slot validation writes.
     */
    constructor(
        IEntryPoint anEntryPoint,
        TestStorageTarget aTarget
    ) TestTargetPaymaster(anEntryPoint, aTarget) {}

    /// @dev TLOAD + TSTORE of target transient slot 7.
    function _touch(PackedUserOperation calldata) internal override {
        storageTarget.bumpTransient(TRANSIENT_SLOT);
    }
}

/// @notice Writes its own storage during validation: allowed only when staked (STO-031).
contract TestOwnStoragePaymaster is TestAcceptAllPaymaster {
    /// @notice Number of UserOperations validated.
    uint256 public validations;

    /// @param anEntryPoint The EntryPoint served.
    constructor(IEntryPoint anEntryPoint) TestAcceptAllPaymaster(anEntryPoint) {}

    /// @dev SSTORE to this contract's `validations` slot.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        ++validations;
        return super._validatePaymasterUserOp(userOp, userOpHash, maxCost);
    }
}

/// @notice Lets a nested call run out of gas during validation and swallows the failure (OP-020).
contract TestOutOfGasPaymaster is TestAcceptAllPaymaster {
    /// @notice Gas given to the nested {spin} call: far too little for it to finish.
    uint256 public constant SPIN_GAS = 5_000;

    /// @notice The nested {spin} call returned, which it never should.
    error TestOutOfGasPaymasterSpinReturned();

    /// @param anEntryPoint The EntryPoint served.
    constructor(IEntryPoint anEntryPoint) TestAcceptAllPaymaster(anEntryPoint) {}

    /**
     * @notice Loops until it runs out of gas.
     * @return i The iteration count (never returned in practice).
     */
    function spin() external pure returns (uint256 i) {
        while (i < type(uint256).max) {
            i = i + 1;
        }
    }

    /// @dev Calls {spin} with {SPIN_GAS}: the nested frame reverts on out-of-gas.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        (bool returned, ) = address(this).call{gas: SPIN_GAS}(abi.encodeCall(this.spin, ()));
        if (returned) revert TestOutOfGasPaymasterSpinReturned();
        return super._validatePaymasterUserOp(userOp, userOpHash, maxCost);
    }
}
