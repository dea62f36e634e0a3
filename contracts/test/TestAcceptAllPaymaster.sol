// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/**
 * @title TestAcceptAllPaymaster
 * @notice Test-only ERC-4337 paymaster that sponsors every UserOperation, on EntryPoint v0.7 and v0.8.
 * @dev Validation touches no storage and no banned opcode, so it is the ERC-7562 "clean" baseline of the
 * checker tests. It returns a non-empty context (the sender) so that the EntryPoint calls `postOp`, which
 * emits {PostOpCalled}. NEVER deploy outside tests: it sponsors anyone.
 */
contract TestAcceptAllPaymaster is BasePaymaster {
    /**
     * @notice ERC-165 id of EntryPoint v0.7's `IEntryPoint`.
     * @dev v0.8's `IEntryPoint` declares the same own functions plus `senderCreator()`, so the v0.7 id is
     * the v0.8 id with that selector XOR-ed out.
     */
    bytes4 public constant ENTRY_POINT_V07_INTERFACE_ID =
        type(IEntryPoint).interfaceId ^ IEntryPoint.senderCreator.selector;

    /**
     * @notice Emitted by `postOp`.
     * @param sender The sponsored account, decoded from the validation context.
     * @param mode Whether the UserOperation's call succeeded or reverted.
     * @param actualGasCost The cost the EntryPoint passed to `postOp` (before `postOp`'s own gas).
     * @param actualUserOpFeePerGas The gas price the UserOperation pays.
     */
    event PostOpCalled(
        address indexed sender,
        PostOpMode mode,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    );

    /**
     * @notice The EntryPoint answers neither v0.7's nor v0.8's `IEntryPoint` ERC-165 id.
     * @param entryPoint The rejected EntryPoint.
     */
    error TestAcceptAllPaymasterUnsupportedEntryPoint(address entryPoint);

    /// @param anEntryPoint The canonical EntryPoint v0.7 or v0.8 this paymaster serves.
    constructor(IEntryPoint anEntryPoint) BasePaymaster(anEntryPoint) {}

    /// @dev Accepts the v0.7 EntryPoint too, whose `IEntryPoint` interface id differs from v0.8's.
    function _validateEntryPointInterface(IEntryPoint anEntryPoint) internal view virtual override {
        IERC165 introspection = IERC165(address(anEntryPoint));
        if (
            !introspection.supportsInterface(type(IEntryPoint).interfaceId) &&
            !introspection.supportsInterface(ENTRY_POINT_V07_INTERFACE_ID)
        ) {
            revert TestAcceptAllPaymasterUnsupportedEntryPoint(address(anEntryPoint));
        }
    }

    /// @dev Accepts everything: context = abi.encode(sender), validationData = 0 (valid, no time range).
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32,
        uint256
    ) internal virtual override returns (bytes memory context, uint256 validationData) {
        return (abi.encode(userOp.sender), 0);
    }

    /// @dev Emits {PostOpCalled} with the sender from the context.
    function _postOp(
        PostOpMode mode,
        bytes calldata context,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    ) internal virtual override {
        address sender = abi.decode(context, (address));
        emit PostOpCalled(sender, mode, actualGasCost, actualUserOpFeePerGas);
    }
}

/**
 * @title TestRevertingPostOpPaymaster
 * @notice Test-only: accepts every UserOperation, then reverts in `postOp`, so the EntryPoint rolls back the
 * call, emits `PostOpRevertReason` and still charges this paymaster's deposit.
 */
contract TestRevertingPostOpPaymaster is TestAcceptAllPaymaster {
    /**
     * @notice Always thrown by `postOp`.
     * @param sender The sponsored account.
     */
    error TestRevertingPostOpPaymasterRefused(address sender);

    /// @param anEntryPoint The EntryPoint served.
    constructor(IEntryPoint anEntryPoint) TestAcceptAllPaymaster(anEntryPoint) {}

    /// @dev Reverts with {TestRevertingPostOpPaymasterRefused}.
    function _postOp(PostOpMode, bytes calldata context, uint256, uint256) internal pure override {
        revert TestRevertingPostOpPaymasterRefused(abi.decode(context, (address)));
    }
}
