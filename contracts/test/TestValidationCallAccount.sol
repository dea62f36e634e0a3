// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/**
 * @title TestValidationCallAccount
 * @notice Test-only account that makes one configured call (e.g. a credit purchase) inside its own
 *         `validateUserOp`, i.e. between the paymaster validations of the operations before and after it in a
 *         bundle. ERC-7562 forbids it to mempool operations, but anyone can bundle their own operations, so such an
 *         account reaches the chain. Accepts every operation (the operations under test have a paymaster).
 */
contract TestValidationCallAccount {
    address private _target;
    uint256 private _value;
    bytes private _data;

    /// @notice The call the next validations make.
    function setValidationCall(address target, uint256 value, bytes calldata data) external {
        _target = target;
        _value = value;
        _data = data;
    }

    function validateUserOp(PackedUserOperation calldata, bytes32, uint256) external returns (uint256) {
        if (_target != address(0)) {
            (bool ok, bytes memory ret) = _target.call{value: _value}(_data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
        return 0;
    }

    /// @notice The operation's call: does nothing.
    // solhint-disable-next-line no-empty-blocks
    fallback() external payable {}

    /// @notice Funds the purchases.
    receive() external payable {}
}
