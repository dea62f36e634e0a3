// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {IPaymaster} from "@account-abstraction/contracts/interfaces/IPaymaster.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/**
 * @title TestEntryPointShim
 * @notice Test-only stand-in for an EntryPoint v0.8 that calls a paymaster's validation and postOp in one
 *         transaction with an `actualGasCost` of the test's choosing, including one above the prefund that no
 *         real EntryPoint passes: it reaches the paymaster's charge-to-hold clamp, a defence against its own
 *         over-estimate of the gas it cannot see. NEVER deploy outside tests.
 */
contract TestEntryPointShim is IERC165 {
    /// @notice Validation rejected the operation (the signature-failure bit of its validation data).
    error TestEntryPointShimValidationFailed(uint256 validationData);

    /// @notice Reports itself as an EntryPoint v0.8 (the interface the paymaster checks in its constructor).
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IEntryPoint).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    /// @notice Validates `op` with `paymaster` for `maxCost`, then calls its postOp with `actualGasCost`, giving it
    ///         the operation's `paymasterPostOpGasLimit` as the EntryPoint does.
    function validateAndPostOp(
        IPaymaster paymaster,
        PackedUserOperation calldata op,
        bytes32 userOpHash,
        uint256 maxCost,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    ) external {
        (bytes memory context, uint256 validationData) = paymaster.validatePaymasterUserOp(
            op,
            userOpHash,
            maxCost
        );
        if (validationData & 1 != 0) revert TestEntryPointShimValidationFailed(validationData);
        uint256 postOpGasLimit = uint128(bytes16(op.paymasterAndData[36:52]));
        paymaster.postOp{gas: postOpGasLimit}(
            IPaymaster.PostOpMode.opSucceeded,
            context,
            actualGasCost,
            actualUserOpFeePerGas
        );
    }
}
