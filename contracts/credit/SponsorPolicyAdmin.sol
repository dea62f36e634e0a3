// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";
import {PolicyStorage} from "./PolicyStorage.sol";

/**
 * @title SponsorPolicyAdmin
 * @notice Sponsors' management of their policies ({ISponsorPolicies-createPolicy}, {ISponsorPolicies-updatePolicy},
 *         {ISponsorPolicies-setPolicyStatus}): code the ledger runs by DELEGATECALL, on the ledger's storage
 *         ({PolicyStorage}) and with the sponsor as `msg.sender`. It keeps this cold code out of the ledger's runtime
 *         code (EIP-170). The ledger deploys it in its constructor, so no library linking is needed.
 * @dev Only usable through DELEGATECALL from the ledger: called directly, it would write its own, unused storage, so
 *      it refuses (`SponsorPolicyAdminDirectCall`).
 */
contract SponsorPolicyAdmin {
    /// @notice The admin code was called directly instead of by the ledger's DELEGATECALL.
    error SponsorPolicyAdminDirectCall();

    address private immutable _self = address(this);

    modifier onlyDelegated() {
        if (address(this) == _self) revert SponsorPolicyAdminDirectCall();
        _;
    }

    /// @notice See {ISponsorPolicies-createPolicy}.
    function createPolicy(
        ISponsorPolicies.PolicyTerms calldata terms,
        uint32 epochLength
    ) external onlyDelegated returns (uint256 policyId) {
        if (epochLength == 0) {
            revert ISponsorPolicies.CreditLedgerPolicyInvalidTerms(terms.start, terms.end, epochLength);
        }
        PolicyStorage.Layout storage store = PolicyStorage.layout();
        policyId = ++store.counts[msg.sender];
        PolicyStorage.PolicyRecord storage p = store.policies[msg.sender][policyId];
        p.budget.epochLength = epochLength;
        p.budget.anchor = SafeCast.toUint32(block.timestamp);
        _writeTerms(p, terms, ISponsorPolicies.PolicyStatus.Active);
        emit ISponsorPolicies.PolicySet(msg.sender, policyId, terms, epochLength);
    }

    /// @notice See {ISponsorPolicies-updatePolicy}.
    function updatePolicy(
        uint256 policyId,
        ISponsorPolicies.PolicyTerms calldata terms
    ) external onlyDelegated {
        PolicyStorage.PolicyRecord storage p = PolicyStorage.layout().policies[msg.sender][policyId];
        _writeTerms(p, terms, _requireOpen(p, policyId));
        emit ISponsorPolicies.PolicySet(msg.sender, policyId, terms, 0);
    }

    /// @notice See {ISponsorPolicies-setPolicyStatus}.
    function setPolicyStatus(uint256 policyId, ISponsorPolicies.PolicyStatus status) external onlyDelegated {
        PolicyStorage.PolicyRecord storage p = PolicyStorage.layout().policies[msg.sender][policyId];
        if (status == ISponsorPolicies.PolicyStatus.None || status == _requireOpen(p, policyId)) {
            revert ISponsorPolicies.CreditLedgerPolicyInvalidStatus(status);
        }
        p.limits.status = status;
        emit ISponsorPolicies.PolicyStatusSet(msg.sender, policyId, status);
    }

    /// @dev Validates and writes `terms` into `p` with `status` (the epochs are set at creation only, so an update
    ///      never resets spending).
    function _writeTerms(
        PolicyStorage.PolicyRecord storage p,
        ISponsorPolicies.PolicyTerms calldata terms,
        ISponsorPolicies.PolicyStatus status
    ) private {
        if (terms.end <= terms.start || terms.end <= block.timestamp) {
            revert ISponsorPolicies.CreditLedgerPolicyInvalidTerms(
                terms.start,
                terms.end,
                p.budget.epochLength
            );
        }
        p.budget.limit = terms.creditsPerEpoch;
        p.budget.expiresAt = terms.end;
        p.limits = PolicyStorage.PolicyLimits({
            creditsPerUser: terms.creditsPerUser,
            opsPerUser: terms.opsPerUser,
            creditsPerOp: terms.creditsPerOp,
            start: terms.start,
            status: status
        });
        p.signer = terms.signer;
    }

    /// @dev Reverts unless the caller's policy `policyId` is active or paused; returns its status.
    function _requireOpen(
        PolicyStorage.PolicyRecord storage p,
        uint256 policyId
    ) private view returns (ISponsorPolicies.PolicyStatus status) {
        status = p.limits.status;
        if (status == ISponsorPolicies.PolicyStatus.None || status == ISponsorPolicies.PolicyStatus.Closed) {
            revert ISponsorPolicies.CreditLedgerPolicyNotActive(msg.sender, policyId, status);
        }
    }
}
