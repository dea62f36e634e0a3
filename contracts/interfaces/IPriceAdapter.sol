// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/**
 * @title IPriceAdapter
 * @notice Prices the native token (e.g. ETH) in credits, through validated Chainlink-style feeds.
 *
 * Units:
 * - A *price* is the number of stable units (USD by default, or the unit of the optional unit feed)
 *   that one whole native token (1e18 wei) is worth, with 18 decimals ("WAD").
 * - *Credits* have 6 decimals: 1_000_000 credits = one stable unit.
 *   Hence `credits = wei * priceWad / 1e30`.
 *
 * Three paths:
 * - the *live* path (`nativePrice`, `creditsForWei`, `weiForCredits`, `creditsForStablecoin`) reads
 *   the feeds now and fails closed with a custom error when any check fails; it quotes without writing;
 * - the *cached* path (`cachedPrice`) returns a stored price and the time it was stored, reading neither
 *   `TIMESTAMP` nor `NUMBER`, so an ERC-4337 paymaster can use it during validation (ERC-7562) and return
 *   `validUntil = updatedAt + maxAge`. Anyone may refresh it from the live path (`refreshCachedPrice`);
 * - the *purchase* path (`refreshAndQuoteWei`, `refreshAndQuoteStablecoin`) refreshes the cache from the live
 *   path and quotes at that same price, so that credits bought are spent right after at the price they were
 *   bought at: buying at the live price and spending at a lagging cached one is no arbitrage. A purchase whose
 *   refresh fails reverts with the live path's error and changes nothing.
 *
 * Every live read of a price feed (primary, fallback, unit, stablecoin) also reads the feed's `decimals()` and
 * fails closed with `PriceAdapterDecimalsChanged` when it differs from the value stored at configuration.
 *
 * The adapter is itself an `AggregatorV3Interface` giving the native token's price in the stable unit
 * with `decimals()` (18) decimals, so anything that consumes Chainlink feeds can consume it.
 */
interface IPriceAdapter is AggregatorV3Interface {
    /// @notice Validation settings of one feed.
    /// @param feed The Chainlink-style aggregator (zero address = not configured).
    /// @param heartbeat Maximum age in seconds of the feed's `updatedAt` before its answer is stale.
    /// @param minAnswer Smallest acceptable raw answer (in the feed's own decimals), inclusive.
    /// @param maxAnswer Largest acceptable raw answer (in the feed's own decimals), inclusive.
    struct FeedConfig {
        AggregatorV3Interface feed;
        uint32 heartbeat;
        int256 minAnswer;
        int256 maxAnswer;
    }

    // ------------------------------------------------------------------ errors
    /// @notice No primary feed is configured.
    /// @dev Unreachable in `PriceAdapter`: the constructor requires a primary feed and it cannot be removed.
    error PriceAdapterNoFeed();
    /// @notice The feed answered a non-positive price.
    error PriceAdapterInvalidAnswer(address feed, int256 answer);
    /// @notice The feed's `updatedAt` is zero or in the future.
    error PriceAdapterInvalidTimestamp(address feed, uint256 updatedAt);
    /// @notice The feed's answer is older than its heartbeat.
    error PriceAdapterStalePrice(address feed, uint256 updatedAt, uint256 heartbeat);
    /// @notice The feed's answer is outside its configured bounds (e.g. an aggregator clamped at minAnswer).
    error PriceAdapterAnswerOutOfBounds(address feed, int256 answer, int256 minAnswer, int256 maxAnswer);
    /// @notice The feed reverted, returned malformed data, or is shut down.
    error PriceAdapterFeedUnavailable(address feed);
    /// @notice Too little gas was forwarded to call the feed (guard against 63/64 starvation of try/catch).
    /// @dev Before a feed call: `gasLeft` < `required`, the minimum to start the call. After a failed call:
    ///      `gasLeft` <= `required`, 1/64 of the gas held before it (the callee ran out of forwarded gas).
    error PriceAdapterInsufficientGas(uint256 gasLeft, uint256 required);
    /// @notice The L2 sequencer uptime feed reports the sequencer down.
    error PriceAdapterSequencerDown();
    /// @notice The sequencer came back up less than the grace period ago.
    error PriceAdapterSequencerGracePeriod(uint256 startedAt, uint256 gracePeriod);
    /// @notice The sequencer uptime feed returned an invalid round (`startedAt == 0`).
    error PriceAdapterSequencerInvalidRound();
    /// @notice The fallback feed's price deviates from the primary's last good price by more than allowed.
    error PriceAdapterFallbackDeviation(
        uint256 fallbackPriceWad,
        uint256 referencePriceWad,
        uint256 maxDeviationBps
    );
    /// @notice The fallback feed is needed but there is no last good primary price to compare it with.
    error PriceAdapterNoReferencePrice();
    /// @notice The token is not an allowlisted stablecoin.
    error PriceAdapterUnsupportedStablecoin(address token);
    /// @notice The feed reports a number of decimals the adapter does not support (above 18).
    error PriceAdapterUnsupportedDecimals(address feed, uint8 decimals);
    /// @notice A configuration value is invalid; `reason` names the field.
    error PriceAdapterInvalidConfig(string reason);
    /// @notice `getRoundData` is not supported: the adapter's price is derived, not a stored round.
    error PriceAdapterRoundDataUnsupported(uint80 roundId);
    /// @notice The cached price has never been set.
    error PriceAdapterNoCachedPrice();
    /// @notice The stablecoin reports a number of ERC-20 decimals the adapter does not support (above 18).
    error PriceAdapterUnsupportedTokenDecimals(address token, uint8 decimals);
    /// @notice Dividing a USD price by the unit feed's USD price rounded down to zero.
    error PriceAdapterZeroPrice(uint256 usdPriceWad, uint256 unitPriceWad);
    /// @notice The feed's `decimals()` is no longer the value read and stored when it was configured (e.g. its
    ///         proxy was repointed to an aggregator with other decimals): its answers cannot be scaled safely.
    /// @dev Checked on every live read of the primary, fallback, unit and stablecoin feeds. For the primary it is a
    ///      feed failure like the others: a configured, valid fallback may serve, otherwise this error reverts.
    ///      Configure the feed again (with bounds in its new decimals) to resume.
    error PriceAdapterDecimalsChanged(address feed, uint8 configured, uint8 current);

    // ------------------------------------------------------------------ events
    /// @notice The primary native-token/USD feed and its validation settings were set.
    event PrimaryFeedSet(address indexed feed, uint32 heartbeat, int256 minAnswer, int256 maxAnswer);
    /// @notice The fallback feed was set, or removed (`feed` and every other field zero).
    event FallbackFeedSet(
        address indexed feed,
        uint32 heartbeat,
        int256 minAnswer,
        int256 maxAnswer,
        uint16 maxDeviationBps
    );
    /// @notice The L2 sequencer uptime feed was set, or removed (`feed` and `gracePeriod` zero).
    event SequencerFeedSet(address indexed feed, uint32 gracePeriod);
    /// @notice The stable-unit feed (unit/USD) was set, or removed (every field zero: credits pegged to USD).
    event UnitFeedSet(address indexed feed, uint32 heartbeat, int256 minAnswer, int256 maxAnswer);
    /// @notice `token` was allowlisted for top-ups, priced by `feed` (TOKEN/USD), or its feed was replaced.
    event StablecoinFeedSet(
        address indexed token,
        address indexed feed,
        uint32 heartbeat,
        int256 minAnswer,
        int256 maxAnswer
    );
    /// @notice `token` was removed from the stablecoin allowlist.
    event StablecoinRemoved(address indexed token);
    /// @notice The description returned by `description()` was set.
    event DescriptionSet(string description);
    /// @notice The cached price was refreshed from the live path.
    event CachedPriceRefreshed(uint256 priceWad, uint256 updatedAt, bool fromFallback);
    /// @notice The primary feed's last good price (the fallback's deviation reference) was recorded.
    event ReferencePriceRecorded(uint256 priceWad, uint256 recordedAt);

    // ------------------------------------------------------------------ live path
    /// @notice Live, validated price of one native token in stable units, 18 decimals.
    /// @dev Uses the primary feed; if the primary fails any check and a fallback is configured, the fallback
    ///      (validated the same way and within `maxDeviationBps` of the primary's last good price).
    ///      Applies the sequencer check first when a sequencer feed is configured, and divides by the unit
    ///      feed's price when one is configured. Reverts with the primary's error when no fallback helps.
    function nativePrice() external view returns (uint256 priceWad);

    /// @notice Credits worth `weiAmount` at the live price. Rounds DOWN (a buyer never gets more than paid for).
    function creditsForWei(uint256 weiAmount) external view returns (uint256 credits);

    /// @notice Wei needed to buy `credits` at the live price. Rounds UP (a buyer never pays less than the value).
    function weiForCredits(uint256 credits) external view returns (uint256 weiAmount);

    /// @notice Credits for `amount` (in the token's own decimals) of an allowlisted stablecoin, valued at
    ///         `min(feedPrice, 1)` of the peg so that an upward de-peg cannot over-mint. Rounds DOWN.
    /// @dev Reverts with `PriceAdapterUnsupportedStablecoin` for an unlisted token.
    function creditsForStablecoin(address token, uint256 amount) external view returns (uint256 credits);

    /// @notice Whether `token` is an allowlisted stablecoin.
    function isStablecoin(address token) external view returns (bool);

    // ------------------------------------------------------------------ purchase path
    /// @notice Refreshes the cached price from the live path and quotes `weiAmount` at exactly that price: what a
    ///         purchase with the native token calls. Anyone may call it (it writes only what `refreshCachedPrice`
    ///         writes).
    /// @dev `credits = floor(weiAmount * priceWad / 1e30)`, the formula of `creditsForWei`, where `priceWad` is the
    ///      price just cached: afterwards `cachedPrice()` returns `(priceWad, block.timestamp)`. Emits what
    ///      `refreshCachedPrice` emits; reverts with the live path's error, leaving the cache unchanged, when it fails.
    /// @return credits Credits worth `weiAmount`, rounded DOWN.
    /// @return priceWad The live price, now cached.
    function refreshAndQuoteWei(uint256 weiAmount) external returns (uint256 credits, uint256 priceWad);

    /// @notice Refreshes the cached (native-token) price from the live path, then quotes `amount` of the allowlisted
    ///         stablecoin `token` as `creditsForStablecoin` does: what a stablecoin purchase calls. Anyone may call it.
    /// @dev Credits bought with a stablecoin are spent at the cached native price too, so it is refreshed as for a
    ///      native purchase: a stablecoin purchase needs a valid native price as well as a valid stablecoin price.
    ///      Reverts with `PriceAdapterUnsupportedStablecoin` for an unlisted token before reading any feed, and with
    ///      the failing feed's error (the cache then unchanged) when the native or the stablecoin price fails.
    /// @return credits Credits for `amount`, valued at `min(feedPrice, 1)` of the peg, rounded DOWN.
    function refreshAndQuoteStablecoin(address token, uint256 amount) external returns (uint256 credits);

    // ------------------------------------------------------------------ cached path
    /// @notice Refreshes the cached price from the live path. Anyone may call it; purchases do (see the purchase path).
    /// @dev Reverts (and leaves the cache unchanged) when the live path fails. Stores `block.timestamp` as the
    ///      cache time and records the primary's answer as the fallback's reference price. The cached price is the
    ///      live price at the refresh, whose feed answers were then up to their feeds' heartbeats old.
    function refreshCachedPrice() external returns (uint256 priceWad, uint256 updatedAt);

    /// @notice The cached price and the block timestamp at which it was stored.
    /// @dev Reads no `TIMESTAMP` or `NUMBER`: safe in ERC-4337 validation. Reverts with
    ///      `PriceAdapterNoCachedPrice` when never refreshed.
    function cachedPrice() external view returns (uint256 priceWad, uint256 updatedAt);

    // ------------------------------------------------------------------ configuration (admin)
    /// @notice Sets the primary native-token/USD feed. Admin only.
    /// @dev Validates the config (feed has code, `heartbeat > 0`, `0 < minAnswer < maxAnswer`, the feed's
    ///      `decimals() <= 18`, read now and stored) and reverts with `PriceAdapterInvalidConfig` otherwise. The
    ///      stored decimals are checked against the feed's `decimals()` on every live read (and the same holds for
    ///      the fallback, unit and stablecoin feeds).
    function setPrimaryFeed(FeedConfig calldata config) external;

    /// @notice Sets or removes the fallback native-token/USD feed. Admin only.

    /// @param config Zero feed address removes the fallback (the other arguments are then ignored).
    /// @param maxDeviationBps Maximum deviation of the fallback from the primary's last good price (1..10000).
    function setFallbackFeed(FeedConfig calldata config, uint16 maxDeviationBps) external;

    /// @notice Sets or removes the L2 sequencer uptime feed and its grace period (> 0). Admin only.
    /// @param feed Zero address removes the sequencer check (`gracePeriod` is then ignored).
    function setSequencerFeed(AggregatorV3Interface feed, uint32 gracePeriod) external;

    /// @notice Sets or removes the stable-unit feed (unit/USD, e.g. EUR/USD) that credits are pegged to. Admin only.
    /// @param config Zero feed address pegs credits to USD.
    function setUnitFeed(FeedConfig calldata config) external;

    /// @notice Allowlists `token` for top-ups with its TOKEN/USD feed, or replaces its feed. Admin only.
    /// @dev Reads the token's ERC-20 `decimals()` (at most 18) now and stores it.
    function setStablecoinFeed(address token, FeedConfig calldata config) external;

    /// @notice Removes `token` from the stablecoin allowlist. Admin only.
    /// @dev Reverts with `PriceAdapterUnsupportedStablecoin` when `token` is not listed.
    function removeStablecoin(address token) external;

    /// @notice Sets the description returned by `description()`. Admin only.
    function setDescription(string calldata newDescription) external;

    // ------------------------------------------------------------------ configuration views
    /// @notice The primary feed's configuration.
    function primaryFeed() external view returns (FeedConfig memory);

    /// @notice The fallback feed's configuration and maximum deviation (all zero when not set).
    function fallbackFeed() external view returns (FeedConfig memory config, uint16 maxDeviationBps);

    /// @notice The sequencer uptime feed and its grace period in seconds (zero when not set).
    function sequencerFeed() external view returns (AggregatorV3Interface feed, uint32 gracePeriod);

    /// @notice The stable-unit feed's configuration (all zero when credits are pegged to USD).
    function unitFeed() external view returns (FeedConfig memory);

    /// @notice The feed configuration of stablecoin `token` (all zero when not listed).
    function stablecoinFeed(address token) external view returns (FeedConfig memory);

    /// @notice The primary feed's last good price (WAD, in USD before the unit conversion) and when recorded.
    function referencePrice() external view returns (uint256 priceWad, uint256 recordedAt);
}
