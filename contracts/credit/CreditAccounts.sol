// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {ICreditLedgerMetadata} from "../interfaces/ICreditLedgerMetadata.sol";
import {IERC5192} from "../interfaces/IERC5192.sol";
import {CreditLedgerMetadata} from "./CreditLedgerMetadata.sol";

/**
 * @title CreditAccounts
 * @notice One soulbound (ERC-5192) credit-account token per holder: the token of `holder` is
 *         `uint256(uint160(holder))`, so an address has at most one and its id is known without a lookup. Tokens are
 *         locked: minted, burned (recovery), never moved or approved.
 * @dev The balances shown in `tokenURI` come from the ledger through {_accountCard}.
 */
abstract contract CreditAccounts is ERC721, ICreditLedger {
    /// @dev Renders `tokenURI` (deployed by the constructor; kept apart for the EIP-170 code-size limit).
    ICreditLedgerMetadata private immutable _metadata;

    constructor() ERC721("Compute Credits Account", "CREDIT") {
        _metadata = new CreditLedgerMetadata();
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice Always reverts: credit-account tokens cannot be approved.
    function approve(address to, uint256 tokenId) public pure override {
        revert CreditLedgerApprovalBlocked(to, tokenId);
    }

    /// @notice Always reverts: operators cannot be approved for credit-account tokens.
    function setApprovalForAll(address operator, bool approved) public pure override {
        revert CreditLedgerApprovalForAllBlocked(operator, approved);
    }

    /**
     * @notice On-chain metadata: `data:application/json;base64,…` with the holder, its purchased, live granted and
     *         spendable credits (raw 6-decimal integers) and an SVG card (see {ICreditLedgerMetadata}).
     */
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        address holder = _requireOwned(tokenId);
        (uint256 purchased, uint256 granted, uint256 spendable) = _accountCard(holder);
        return _metadata.tokenURI(holder, purchased, granted, spendable);
    }

    /// @inheritdoc ICreditLedger
    function openAccount() external returns (uint256 tokenId) {
        tokenId = _tokenIdOf(msg.sender);
        if (_ownerOf(tokenId) != address(0)) revert CreditLedgerAccountExists(msg.sender);
        _openAccount(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function tokenIdOf(address holder) external pure returns (uint256) {
        return _tokenIdOf(holder);
    }

    /// @dev Only mint (from zero) and burn (to zero) pass: every transfer path ends here and reverts.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) revert CreditLedgerTransferBlocked(from, to, tokenId);
        return super._update(to, tokenId, auth);
    }

    /// @dev Purchased, live granted and spendable credits of `holder`, for its token's metadata.
    function _accountCard(
        address holder
    ) internal view virtual returns (uint256 purchased, uint256 granted, uint256 spendable);

    function _tokenIdOf(address holder) internal pure returns (uint256) {
        return uint256(uint160(holder));
    }

    function _holdsAccount(address holder) internal view returns (bool) {
        return _ownerOf(_tokenIdOf(holder)) != address(0);
    }

    function _ensureAccount(address account) internal {
        if (!_holdsAccount(account)) _openAccount(account);
    }

    /// @dev Mints the locked token of `holder` (reverts with ERC721InvalidReceiver for the zero address).
    function _openAccount(address holder) internal {
        uint256 tokenId = _tokenIdOf(holder);
        _mint(holder, tokenId);
        emit Locked(tokenId);
    }

    /// @dev Burns the token of `holder` (recovery).
    function _closeAccount(address holder) internal {
        _burn(_tokenIdOf(holder));
    }
}
