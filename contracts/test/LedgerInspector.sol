// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @title LedgerInspector
/// @notice Test-only batch reader: the state of many accounts and allowances in one eth_call (keeps property
///         tests fast).
contract LedgerInspector {
    struct Snapshot {
        ICreditLedger.CreditBreakdown[] accounts;
        ICreditLedger.EpochBudget[] budgets;
        uint256[] remaining;
        uint256[] spendable;
        uint256[4] totals; // issued, burned, expired, revoked
    }

    function snapshot(
        ICreditLedger ledger,
        address[] calldata accounts,
        address[] calldata sponsors,
        address[] calldata beneficiaries
    ) external view returns (Snapshot memory s) {
        s.accounts = new ICreditLedger.CreditBreakdown[](accounts.length);
        s.spendable = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            s.accounts[i] = ledger.creditBreakdown(accounts[i]);
            s.spendable[i] = ledger.spendableCredits(accounts[i]);
        }
        s.budgets = new ICreditLedger.EpochBudget[](sponsors.length);
        s.remaining = new uint256[](sponsors.length);
        for (uint256 i; i < sponsors.length; ++i) {
            s.budgets[i] = ledger.allowance(sponsors[i], beneficiaries[i]);
            s.remaining[i] = ledger.remainingAllowance(sponsors[i], beneficiaries[i]);
        }
        s.totals = [ledger.totalIssued(), ledger.totalBurned(), ledger.totalExpired(), ledger.totalRevoked()];
    }
}
