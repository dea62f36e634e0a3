// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title TestBundlerMulticall
 * @notice Test-only bundler contract: runs several calls (e.g. two `handleOps`, a purchase between them) in ONE
 *         transaction, so that transient storage (EIP-1153) set by the first call is still there for the next ones.
 *         Anyone may call `handleOps` on the EntryPoint, so any bundler can do this.
 */
contract TestBundlerMulticall {
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// @notice Runs `calls` in order, bubbling up the first revert.
    function run(Call[] calldata calls) external payable {
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory ret) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }

    /// @notice Receives the EntryPoint's compensation when it is the beneficiary.
    receive() external payable {}
}
