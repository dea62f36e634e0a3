// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

import {ICreditPaymaster} from "../interfaces/ICreditPaymaster.sol";

/**
 * @title GasCaps
 * @notice The credit paymaster's governance caps on an operation's gas fields and fees ({ICreditPaymaster-Config}),
 *         checked in validation (REFERENCES P1: attacker-chosen limits inflate what the sponsor pays).
 */
library GasCaps {
    /// @notice Upper bound of the EntryPoint v0.7 validation gas not covered by the operation's limits.
    uint256 internal constant PRE_OP_SLACK_GAS = 2_000;
    /// @dev Offset of `paymasterVerificationGasLimit ‖ paymasterPostOpGasLimit` in `paymasterAndData`.
    uint256 private constant PAYMASTER_VALIDATION_GAS_OFFSET = 20;

    /// @notice Checks every gas field and both fees against their caps; returns the call and postOp gas limits and the
    ///      v0.7 upper bound of the validation gas (`verificationGasLimit + paymasterVerificationGasLimit +
    ///      preVerificationGas` + slack).
    function check(
        ICreditPaymaster.Config memory cfg,
        PackedUserOperation calldata userOp
    ) internal pure returns (uint256 callGasLimit, uint256 postOpGasLimit, uint256 preOpGasBound) {
        // In GasField order, so that the first field over its cap is the one reported.
        (callGasLimit, preOpGasBound) = _checkAccountGas(cfg, userOp);
        {
            // paymasterVerificationGasLimit (16 bytes) ‖ paymasterPostOpGasLimit (16 bytes), at offset 20: present,
            // since the EntryPoint guarantees paymasterAndData.length >= PAYMASTER_DATA_OFFSET (52).
            uint256 limits = _limitsWord(userOp.paymasterAndData);
            uint256 paymasterVerificationGasLimit = limits >> 128;
            postOpGasLimit = uint128(limits);
            _checkCap(
                ICreditPaymaster.GasField.PAYMASTER_VERIFICATION_GAS_LIMIT,
                paymasterVerificationGasLimit,
                cfg.maxPaymasterVerificationGasLimit
            );
            _checkCap(
                ICreditPaymaster.GasField.PAYMASTER_POST_OP_GAS_LIMIT,
                postOpGasLimit,
                cfg.maxPaymasterPostOpGasLimit
            );
            // Safe: every term is capped (uint24/uint32 caps), so the bound is below 2^34.
            unchecked {
                preOpGasBound += paymasterVerificationGasLimit;
            }
        }
        uint256 gasFees = uint256(userOp.gasFees);
        _checkCap(ICreditPaymaster.GasField.MAX_FEE_PER_GAS, uint128(gasFees), cfg.maxFeePerGas);
        _checkCap(
            ICreditPaymaster.GasField.MAX_PRIORITY_FEE_PER_GAS,
            gasFees >> 128,
            cfg.maxPriorityFeePerGas
        );
    }

    /// @dev Checks `callGasLimit`, `verificationGasLimit` and `preVerificationGas`; returns the first and the sum of
    ///      the other two with the slack.
    function _checkAccountGas(
        ICreditPaymaster.Config memory cfg,
        PackedUserOperation calldata userOp
    ) private pure returns (uint256 callGasLimit, uint256 preOpGasBound) {
        uint256 accountGasLimits = uint256(userOp.accountGasLimits);
        callGasLimit = uint128(accountGasLimits);
        preOpGasBound = accountGasLimits >> 128; // verificationGasLimit
        _checkCap(ICreditPaymaster.GasField.CALL_GAS_LIMIT, callGasLimit, cfg.maxCallGasLimit);
        _checkCap(
            ICreditPaymaster.GasField.VERIFICATION_GAS_LIMIT,
            preOpGasBound,
            cfg.maxVerificationGasLimit
        );
        uint256 preVerificationGas = userOp.preVerificationGas;
        _checkCap(
            ICreditPaymaster.GasField.PRE_VERIFICATION_GAS,
            preVerificationGas,
            cfg.maxPreVerificationGas
        );
        // Safe: both terms are capped (uint24/uint32 caps).
        unchecked {
            preOpGasBound += preVerificationGas + PRE_OP_SLACK_GAS;
        }
    }

    /// @dev The 32 bytes at offset 20 of `paymasterAndData` (present: the EntryPoint guarantees >= 52 bytes).
    function _limitsWord(bytes calldata data) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            // one CALLDATALOAD of the two packed paymaster gas limits
            word := calldataload(add(data.offset, PAYMASTER_VALIDATION_GAS_OFFSET))
        }
    }

    function _checkCap(ICreditPaymaster.GasField field, uint256 value, uint256 cap) private pure {
        if (value > cap) revert ICreditPaymaster.CreditPaymasterGasLimitTooHigh(field, value, cap);
    }
}
