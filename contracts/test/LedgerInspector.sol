// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @title LedgerInspector
/// @notice Test-only batch reader: one eth_call for the state of many accounts (keeps property tests fast).
contract LedgerInspector {
    function breakdowns(
        ICreditLedger ledger,
        address[] calldata accounts
    ) external view returns (ICreditLedger.CreditBreakdown[] memory out) {
        out = new ICreditLedger.CreditBreakdown[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) out[i] = ledger.creditBreakdown(accounts[i]);
    }

    function allowances(
        ICreditLedger ledger,
        address[] calldata sponsors,
        address[] calldata beneficiaries
    ) external view returns (ICreditLedger.EpochBudget[] memory budgets, uint256[] memory remaining) {
        budgets = new ICreditLedger.EpochBudget[](sponsors.length);
        remaining = new uint256[](sponsors.length);
        for (uint256 i; i < sponsors.length; ++i) {
            budgets[i] = ledger.allowance(sponsors[i], beneficiaries[i]);
            remaining[i] = ledger.remainingAllowance(sponsors[i], beneficiaries[i]);
        }
    }

    function totals(ICreditLedger ledger) external view returns (uint256[4] memory t) {
        t = [ledger.totalIssued(), ledger.totalBurned(), ledger.totalExpired(), ledger.totalRevoked()];
    }
}
