// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";

/**
 * @title MockPriceAdapter
 * @notice Test-only stand-in for the three `IPriceAdapter` functions the ledger uses (`refreshAndQuoteWei`,
 *         `refreshAndQuoteStablecoin`, `isStablecoin`), with a settable price, a record of the last refresh, and a
 *         switch that makes every price read fail with `PriceAdapterStalePrice` (to prove purchases fail closed).
 */
contract MockPriceAdapter {
    struct Stablecoin {
        bool listed;
        uint8 decimals;
        uint256 priceWad;
    }

    /// @notice Stable units per native token, 18 decimals.
    uint256 public priceWad;
    /// @notice When true, every price read reverts with `PriceAdapterStalePrice`.
    bool public stale;
    /// @notice The price stored by the last refresh (0 before the first), as `IPriceAdapter.cachedPrice`.
    uint256 public cachedPriceWad;
    /// @notice How many purchases refreshed the price.
    uint256 public refreshes;
    mapping(address token => Stablecoin) private _stablecoins;

    constructor(uint256 initialPriceWad) {
        priceWad = initialPriceWad;
    }

    function setPrice(uint256 newPriceWad) external {
        priceWad = newPriceWad;
    }

    function setStale(bool value) external {
        stale = value;
    }

    function setStablecoin(address token, uint8 decimals, uint256 tokenPriceWad) external {
        _stablecoins[token] = Stablecoin({listed: true, decimals: decimals, priceWad: tokenPriceWad});
    }

    function removeStablecoin(address token) external {
        delete _stablecoins[token];
    }

    /// @notice As `IPriceAdapter.refreshAndQuoteWei`: caches the price, then wei * price / 1e30, rounded down.
    function refreshAndQuoteWei(uint256 weiAmount) external returns (uint256 credits, uint256 price) {
        _refresh();
        return ((weiAmount * priceWad) / 1e30, priceWad);
    }

    /// @notice As `IPriceAdapter.refreshAndQuoteStablecoin`: caches the price, then values the token at
    ///         min(price, 1) of the peg, rounded down.
    function refreshAndQuoteStablecoin(address token, uint256 amount) external returns (uint256) {
        Stablecoin memory coin = _stablecoins[token];
        if (!coin.listed) revert IPriceAdapter.PriceAdapterUnsupportedStablecoin(token);
        _refresh();
        uint256 price = Math.min(coin.priceWad, 1e18);
        return Math.mulDiv(amount, price * 1e6, 1e18 * 10 ** coin.decimals);
    }

    function isStablecoin(address token) external view returns (bool) {
        return _stablecoins[token].listed;
    }

    function _refresh() private {
        if (stale) revert IPriceAdapter.PriceAdapterStalePrice(address(this), 1, 3600);
        cachedPriceWad = priceWad;
        refreshes += 1;
    }
}
