// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {IAccountExecute} from "@account-abstraction/contracts/interfaces/IAccountExecute.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/**
 * @title TestHostileAccount
 * @notice Test-only ERC-4337 account (EntryPoint v0.7 and v0.8) shaped to maximise the gas the EntryPoint bills
 *         outside every gas limit: its validation accepts any operation in a few hundred gas (a paymaster pays),
 *         and its call burns all of `callGasLimit` except what it needs to revert with a revert reason of the
 *         requested length (the EntryPoint copies and logs up to 2,048 bytes of it). Called through
 *         `executeUserOp` (IAccountExecute), the EntryPoint passes it the whole operation, so the memory of the
 *         EntryPoint's execution frame grows with every dynamic field, not only the call data.
 * @dev NEVER deploy outside tests: anyone can use it.
 */
contract TestHostileAccount is IAccount, IAccountExecute {
    /// @notice Accepts every operation and pays nothing (the operations under test have a paymaster).
    function validateUserOp(PackedUserOperation calldata, bytes32, uint256) external pure returns (uint256) {
        return 0;
    }

    /**
     * @notice Burns gas until at most `keep` is left, then reverts with `reasonLength` bytes of revert data.
     * @param keep Gas kept to revert with (the revert's memory expansion is paid from it).
     * @param reasonLength Length of the revert data.
     * @param padding Ignored: it only makes the call data (and the EntryPoint's memory) larger.
     */
    function burnAndRevert(uint256 keep, uint256 reasonLength, bytes calldata padding) external view {
        padding;
        _burnAndRevert(keep, reasonLength);
    }

    /// @notice The `executeUserOp` path: `userOp.callData` is the selector, then `abi.encode(keep, reasonLength,
    ///         padding)` as for {burnAndRevert}.
    function executeUserOp(PackedUserOperation calldata userOp, bytes32) external view {
        (uint256 keep, uint256 reasonLength) = abi.decode(userOp.callData[4:68], (uint256, uint256));
        _burnAndRevert(keep, reasonLength);
    }

    function _burnAndRevert(uint256 keep, uint256 reasonLength) private view {
        // solhint-disable-next-line no-empty-blocks
        while (gasleft() > keep) {}
        assembly ("memory-safe") {
            // Test-only: revert with `reasonLength` bytes of (zero) memory, the longest reason being the costliest.
            revert(0, reasonLength)
        }
    }
}
