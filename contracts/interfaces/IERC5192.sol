// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title IERC5192
 * @notice Minimal soulbound NFTs (https://eips.ethereum.org/EIPS/eip-5192). ERC-165 id `0xb45a3c0e`.
 */
interface IERC5192 {
    /// @notice `tokenId` became locked (non-transferable). Emitted at mint for a token minted locked.
    event Locked(uint256 tokenId);

    /// @notice `tokenId` became unlocked (transferable).
    event Unlocked(uint256 tokenId);

    /// @notice Whether `tokenId` is locked. MUST revert for a token that does not exist.
    function locked(uint256 tokenId) external view returns (bool);
}
