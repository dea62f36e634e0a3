// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";

/**
 * @title PolicyStorage
 * @notice The ledger's storage of sponsors' policies, in an ERC-7201 namespace so that the ledger ({SponsorPolicies},
 *         the hot path) and the code it delegates policy management to ({SponsorPolicyAdmin}, cold, kept out of the
 *         ledger's runtime code for the EIP-170 size limit) share it whatever their inheritance.
 *
 * Slots (`L` = the namespace's base slot):
 * - `policies[sponsor][policyId]` at `keccak(policyId ‖ keccak(sponsor ‖ L + 1))`: slot 0 the policy-wide
 *   {ICreditLedger-EpochBudget} (`limit` = credits per epoch, `expiresAt` = the window's end, the policy's epochs),
 *   slot 1 the {PolicyLimits}, slot 2 the approval signer. Read in validation by a staked paymaster through the
 *   ledger (ERC-7562 STO-033); only settlement writes it on the hot path.
 * - `usage[sponsor][policyId][user]` at `keccak(user ‖ keccak(policyId ‖ keccak(sponsor ‖ L + 2)))`: associated
 *   with the user, the UserOperation sender (ERC-7562 STO-021); written only by settlement.
 *
 * @custom:storage-location erc7201:computecredits.storage.SponsorPolicies
 */
library PolicyStorage {
    /// @notice Slot 1 of a policy.
    struct PolicyLimits {
        uint64 creditsPerUser;
        uint32 opsPerUser;
        uint64 creditsPerOp;
        uint32 start;
        ISponsorPolicies.PolicyStatus status;
    }

    /// @notice A policy: three slots.
    struct PolicyRecord {
        ICreditLedger.EpochBudget budget;
        PolicyLimits limits;
        address signer;
    }

    /// @custom:storage-location erc7201:computecredits.storage.SponsorPolicies
    struct Layout {
        mapping(address sponsor => uint256 count) counts;
        mapping(address sponsor => mapping(uint256 policyId => PolicyRecord)) policies;
        mapping(address sponsor => mapping(uint256 policyId => mapping(address user => ISponsorPolicies.PolicyUsage))) usage;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("computecredits.storage.SponsorPolicies")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LOCATION = 0x603bdd776199f51a4df830b53b47b9a65094bde27dec35a087738f7fcc906b00;

    /// @notice The namespace.
    function layout() internal pure returns (Layout storage s) {
        assembly ("memory-safe") {
            // the ERC-7201 namespace's base slot
            s.slot := LOCATION
        }
    }
}
