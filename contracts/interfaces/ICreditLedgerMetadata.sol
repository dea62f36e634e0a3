// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title ICreditLedgerMetadata
 * @notice Renders the on-chain metadata of a credit-account token. Kept out of the ledger so that the ledger's
 *         runtime code stays under the EIP-170 size limit.
 */
interface ICreditLedgerMetadata {
    /**
     * @notice `data:application/json;base64,…` metadata: name, description, attributes "Purchased credits",
     *         "Granted credits" and "Spendable credits" (raw 6-decimal integers) and an SVG image
     *         (`data:image/svg+xml;base64,…`) showing the spendable credits.
     */
    function tokenURI(
        address holder,
        uint256 purchased,
        uint256 granted,
        uint256 spendable
    ) external pure returns (string memory);
}
