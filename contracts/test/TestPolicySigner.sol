// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/**
 * @title TestPolicySigner
 * @notice Test-only ERC-1271 approval signer (a stand-in for a Safe): accepts its owner's ECDSA signature of the
 *         digest, or misbehaves as set: reverts, loops until out of gas, or reads `TIMESTAMP` (banned in validation
 *         by ERC-7562), or accepts any signature (to search an operation's smallest limits, which the approval covers).
 */
contract TestPolicySigner is IERC1271 {
    enum Behaviour {
        Owner,
        Revert,
        Loop,
        Timestamp,
        Any
    }

    error TestPolicySignerRefused();

    address public immutable owner;
    Behaviour public behaviour;

    constructor(address owner_) {
        owner = owner_;
    }

    function setBehaviour(Behaviour b) external {
        behaviour = b;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        Behaviour b = behaviour;
        if (b == Behaviour.Revert) revert TestPolicySignerRefused();
        if (b == Behaviour.Any) return IERC1271.isValidSignature.selector;
        if (b == Behaviour.Loop) {
            uint256 i;
            while (gasleft() > 0) ++i;
        }
        bool ok = ECDSA.recover(hash, signature) == owner;
        if (b == Behaviour.Timestamp) ok = ok && block.timestamp > 0;
        return ok ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }
}
