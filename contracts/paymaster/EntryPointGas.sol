// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title EntryPointGas
 * @notice Upper bounds of the gas the canonical EntryPoint v0.7 and v0.8 bill for a user operation outside every
 *         gas limit of the operation, during its execution phase. A paymaster that charges only in `postOp` must
 *         keep this much of `paymasterPostOpGasLimit` unused, or the EntryPoint's low-prefund path
 *         (`INNER_REVERT_LOW_PREFUND`) rolls the charge back while still taking the whole prefund from its deposit.
 *
 * ## Where the unmetered gas comes from (EntryPoint `innerHandleOp` and `_postExecution`, both versions)
 * The EntryPoint bills `actualGas = preOpGas + gas used in innerHandleOp (+ penalties)` and reverts with
 * `INNER_REVERT_LOW_PREFUND` when `actualGas × gasPrice > prefund`, the prefund being all five gas limits ×
 * `maxFeePerGas`. Inside `innerHandleOp`, after its own `gasleft()` reading, it spends gas that no limit meters:
 * - its code around the account's call and around `postOp` (the 63/64 check, `_postExecution`, the postOp call's
 *   ABI encoding, the CALLs themselves);
 * - when the call reverts: copying up to `REVERT_REASON_MAX_LEN` (2,048) bytes of revert data and logging them in
 *   `UserOperationRevertReason` (LOG3: 375 × 4 + 8 × 2,144 bytes = 18,652 gas);
 * - memory expansion for all of that, about `NEW_MEMORY_WORDS` words on top of the frame's memory at entry, which
 *   already holds the call data (or, for `executeUserOp`, the whole ABI-encoded operation): EVM memory costs
 *   `3 w + w² / 512` for `w` words, so each new word costs more the larger the operation.
 * A user can drive every other term to zero (verification limits at the smallest the EntryPoint accepts, a call
 * that burns all of `callGasLimit` and reverts with 2,048 bytes), so `paymasterPostOpGasLimit` minus what
 * `postOp` uses must cover this gas, plus v0.7's 10% penalty on unused execution gas (v0.8's penalty on unused
 * postOp gas applies only above 40,000 and is also at most 10%): hence the `10 / 9` factor.
 *
 * ## The bound
 * `reserve(words) = ceil((BASE + (frameWords(words) × NEW_MEMORY_WORDS) / 256) × 10 / 9)`, where `words` is the
 * size in 32-byte words of the paymaster's own `validatePaymasterUserOp` call data (which encodes the whole
 * operation, so it bounds the EntryPoint's execution-frame call data from above) and `frameWords` adds the frame's
 * fixed memory. `BASE` is the measured unmetered gas of the canonical bytecode at an empty operation (the fixed
 * costs above and the `3 w + w² / 512` terms that do not depend on the operation), rounded up with a margin;
 * the `frameWords × NEW_MEMORY_WORDS / 256` term is the quadratic part `2 × frameWords × NEW_MEMORY_WORDS / 512`.
 * `test/security/lowPrefund.security.test.ts` sends, on both versions and in every mode, hostile operations at
 * exactly this floor (from a few hundred bytes to 128 KB, through `execute` and `executeUserOp`, payers with
 * purchased credits or grant buckets, a bundler starving postOp, a price refresh) and checks that none reaches the
 * low-prefund path; with the reserve removed, the same operation drains the deposit.
 *
 * NOTE: the bound is for the EVM gas schedule of Cancun/Prague. A hard fork that reprices memory, logs or calls
 * must be followed by running that test again.
 */
library EntryPointGas {
    /// @dev Measured unmetered execution gas of EntryPoint v0.7 at an empty operation (~22,900), plus margin.
    uint256 internal constant BASE_V07 = 24_000;
    /// @dev Measured unmetered execution gas of EntryPoint v0.8 at an empty operation (~21,400), plus margin.
    uint256 internal constant BASE_V08 = 22_500;
    /// @dev New memory words of the EntryPoint's execution frame after the account's call: 65 for the copied
    ///      revert data, 67 for its ABI encoding in the event, a few for the context and the postOp call
    ///      (measured: ~120 in v0.7, ~133 in v0.8).
    uint256 internal constant NEW_MEMORY_WORDS = 136;
    /// @dev Memory of the EntryPoint's execution frame besides its call data: 4 words below the free memory
    ///      pointer's start, 1 length word, 15 words of the decoded `UserOpInfo`.
    uint256 internal constant FRAME_FIXED_WORDS = 20;
    /// @dev New memory words of `_postExecution` before it calls `postOp` when the call did not revert (the
    ///      context copied to memory and the postOp call's ABI encoding: 5 + 10).
    uint256 internal constant POST_OP_CALL_WORDS = 15;

    /**
     * @notice The part of `paymasterPostOpGasLimit` that must stay unused by `postOp` so that the EntryPoint's
     *         billed gas never exceeds the prefund.
     * @param isV07 Whether the EntryPoint is v0.7 (else v0.8).
     * @param callDataWords Size of the paymaster's `validatePaymasterUserOp` call data, in 32-byte words.
     */
    function unmeteredReserve(bool isV07, uint256 callDataWords) internal pure returns (uint256) {
        uint256 base = isV07 ? BASE_V07 : BASE_V08;
        uint256 gas = base + ((callDataWords + FRAME_FIXED_WORDS) * NEW_MEMORY_WORDS) / 256;
        return (gas * 10 + 8) / 9; // ceil(gas × 10 / 9)
    }

    /**
     * @notice Memory-expansion gas `_postExecution` spends before calling `postOp` beyond what a small operation
     *         spends, which `postOp` must add to the gas it charges for (it grows with the operation's size).
     * @param callDataWords As for {unmeteredReserve}.
     */
    function postOpCallMemoryGas(uint256 callDataWords) internal pure returns (uint256) {
        return ((callDataWords + FRAME_FIXED_WORDS) * POST_OP_CALL_WORDS + 255) / 256;
    }

    /// @dev EntryPoint v0.8 charges no unused-gas penalty below this many unused gas.
    uint256 internal constant V08_PENALTY_GAS_THRESHOLD = 40_000;
    /// @dev Both versions charge this percentage of the unused gas they penalise.
    uint256 internal constant UNUSED_GAS_PENALTY_PERCENT = 10;

    /// @dev Upper bound of the unused-gas penalty the EntryPoint will add after postOp, in gas.
    ///      v0.8: 10% of the postOp's unused gas when more than 40,000 are unused (the call's penalty is already in
    ///      `actualGasCost`); unused <= gasLeft since postOp has used at least `postOpGasLimit - gasLeft`.
    ///      v0.7: 10% of unused `callGasLimit + postOpGasLimit`, where the execution gas used is at least the gas
    ///      so far minus an upper bound of the validation gas (`preOpGasBound`) plus what postOp used so far.
    function unusedGasPenaltyBound(
        bool isV07,
        uint256 callGasLimit,
        uint256 preOpGasBound,
        uint256 gasSoFar,
        uint256 postOpGasLimit,
        uint256 gasLeft
    ) internal pure returns (uint256) {
        // Safe: all values are far below 2^128; subtractions are guarded.
        unchecked {
            if (!isV07) {
                return gasLeft > V08_PENALTY_GAS_THRESHOLD ? (gasLeft * UNUSED_GAS_PENALTY_PERCENT) / 100 : 0;
            }
            uint256 executionGasUsed =
                (gasSoFar > preOpGasBound ? gasSoFar - preOpGasBound : 0) + (postOpGasLimit - gasLeft);
            uint256 executionGasLimit = callGasLimit + postOpGasLimit;
            if (executionGasLimit <= executionGasUsed) return 0;
            return Math.ceilDiv((executionGasLimit - executionGasUsed) * UNUSED_GAS_PENALTY_PERCENT, 100);
        }
    }
}
