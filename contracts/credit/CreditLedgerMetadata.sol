// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ICreditLedgerMetadata} from "../interfaces/ICreditLedgerMetadata.sol";

// JSON and SVG literals are full of double quotes: Prettier writes them single-quoted (no escapes), which the
// `quotes` rule would reject. Scoped to this file, which holds nothing but those literals.
/* solhint-disable quotes */

/**
 * @title CreditLedgerMetadata
 * @notice Stateless renderer of credit-account token metadata (JSON and SVG, base64 data URIs, built with
 *         OpenZeppelin `Base64` and `Strings`). Deployed by the `CreditLedger` constructor.
 */
contract CreditLedgerMetadata is ICreditLedgerMetadata {
    /// @inheritdoc ICreditLedgerMetadata
    function tokenURI(
        address holder,
        uint256 purchased,
        uint256 granted,
        uint256 spendable
    ) external pure returns (string memory) {
        string memory json = string.concat(
            '{"name":"Compute Credits ',
            Strings.toHexString(holder),
            '","description":"Soulbound compute-credit account. Credits have 6 decimals (1000000 = one stable',
            ' unit) and pay gas through an ERC-4337 paymaster.","attributes":[',
            _attribute("Purchased credits", purchased),
            ",",
            _attribute("Granted credits", granted),
            ",",
            _attribute("Spendable credits", spendable),
            '],"image":"data:image/svg+xml;base64,',
            Base64.encode(bytes(_svg(holder, spendable))),
            '"}'
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    function _attribute(string memory traitType, uint256 value) private pure returns (string memory) {
        return
            string.concat(
                '{"trait_type":"',
                traitType,
                '","display_type":"number","value":',
                Strings.toString(value),
                "}"
            );
    }

    function _svg(address holder, uint256 spendable) private pure returns (string memory) {
        return
            string.concat(
                '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="200" viewBox="0 0 360 200">',
                '<rect width="360" height="200" rx="16" fill="#10243e"/>',
                '<text x="24" y="44" fill="#9fc3ff" font-family="monospace" font-size="16">COMPUTE CREDITS</text>',
                '<text x="24" y="108" fill="#ffffff" font-family="monospace" font-size="30">',
                _formatCredits(spendable),
                '</text><text x="24" y="134" fill="#9fc3ff" font-family="monospace" font-size="12">spendable</text>',
                '<text x="24" y="178" fill="#9fc3ff" font-family="monospace" font-size="10">',
                Strings.toHexString(holder),
                "</text></svg>"
            );
    }

    /// @dev `credits` with 6 decimals as a decimal string, e.g. 12_345_678 -> "12.345678".
    function _formatCredits(uint256 credits) private pure returns (string memory) {
        bytes memory fraction = new bytes(6);
        uint256 rest = credits % 1_000_000;
        for (uint256 i = 6; i > 0; --i) {
            fraction[i - 1] = bytes1(uint8(48 + (rest % 10)));
            rest /= 10;
        }
        return string.concat(Strings.toString(credits / 1_000_000), ".", string(fraction));
    }
}
