// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";
import {ChainlinkFeeds} from "./ChainlinkFeeds.sol";
import {StampedPrice, StampedPrices} from "./StampedPrice.sol";

/**
 * @title PriceAdapter
 * @notice Prices the native token in credits through validated Chainlink-style feeds (see {IPriceAdapter}).
 *
 * Rounding (every direction favours the protocol):
 * - the unit conversion `usdPrice * 1e18 / unitPrice` rounds DOWN, so a derived price is never above the truth;
 * - `creditsForWei`, `refreshAndQuoteWei`, `creditsForStablecoin` and `refreshAndQuoteStablecoin` round DOWN
 *   (fewer credits);
 * - `weiForCredits` rounds UP (more wei);
 * - a stablecoin's value in units rounds DOWN before the `min(value, 1)` cap.
 *
 * Feed reads are low-level static calls that copy at most five words, so a feed that reverts, has no code,
 * returns short or malformed data, or returns a huge payload yields `PriceAdapterFeedUnavailable` and never a
 * raw revert. A gas guard in the style of Liquity v2 keeps a caller from starving a feed call to force the
 * "unavailable" path: each call (`latestRoundData` and `decimals`) needs `ChainlinkFeeds.MIN_GAS_FOR_FEED_CALL` gas left
 * beforehand, and a failed call that leaves at most 1/64 of the gas it started with is reported as
 * `PriceAdapterInsufficientGas` (the 63/64 rule means the callee ran out of the gas it was forwarded). A feed that
 * burns all the gas it is given is thus indistinguishable from a starved call and also reverts with
 * `PriceAdapterInsufficientGas`: it fails closed, without falling back.
 *
 * A feed's `decimals()` is read and stored when it is configured, and read again with every live answer of a price
 * feed (primary, fallback, unit, stablecoin): a feed whose decimals changed since (a proxy repointed to an
 * aggregator with other decimals) fails with `PriceAdapterDecimalsChanged` instead of being mis-scaled. The
 * stablecoins' ERC-20 `decimals()` are read at configuration only.
 */
contract PriceAdapter is IPriceAdapter, AccessControl {
    /// @dev The live price with what the `AggregatorV3Interface` facade and the cache need to report.
    struct LivePrice {
        uint256 priceWad;
        uint256 usdPriceWad;
        uint80 roundId;
        uint256 updatedAt;
        bool fromFallback;
    }

    /// @dev 1e18: one stable unit or one whole native token in WAD.
    uint256 private constant WAD = 1e18;
    /// @dev `wei * priceWad / 1e30` gives credits: 1e18 (wei per token) * 1e18 (WAD) / 1e6 (credit decimals).
    uint256 private constant WEI_WAD_PER_CREDIT = 1e30;
    /// @dev Basis points in 100%.
    uint256 private constant BPS = 10_000;

    /// @dev The cached price and the block time it was stored at; `cachedPrice()` reads nothing else.
    StampedPrice private _cache;
    /// @dev The primary's last good USD price, the fallback's deviation reference.
    StampedPrice private _reference;

    ChainlinkFeeds.StoredFeed private _primary;
    ChainlinkFeeds.StoredFeed private _fallback;
    ChainlinkFeeds.StoredFeed private _unit;
    // The next three pack into one slot, read on every live quote when a sequencer feed is set.
    AggregatorV3Interface private _sequencer;
    uint32 private _gracePeriod;
    uint16 private _maxDeviationBps;

    mapping(address token => ChainlinkFeeds.StoredFeed config) private _stablecoins;
    mapping(address token => uint8 decimals) private _stablecoinDecimals;

    string private _description;

    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (all configuration); the DAO timelock in production.
    /// @param primary The primary native-token/USD feed.
    /// @param description_ The initial `description()`, e.g. "ETH / USD (Compute Credits)".
    constructor(address admin, FeedConfig memory primary, string memory description_) {
        if (admin == address(0)) revert PriceAdapterInvalidConfig("admin");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setPrimaryFeed(primary);
        _setDescription(description_);
    }

    // ------------------------------------------------------------------ live path

    /// @inheritdoc IPriceAdapter
    function nativePrice() external view returns (uint256 priceWad) {
        return _livePrice().priceWad;
    }

    /// @inheritdoc IPriceAdapter
    function creditsForWei(uint256 weiAmount) external view returns (uint256 credits) {
        return _creditsForWei(weiAmount, _livePrice().priceWad);
    }

    /// @inheritdoc IPriceAdapter
    function weiForCredits(uint256 credits) external view returns (uint256 weiAmount) {
        return Math.mulDiv(credits, WEI_WAD_PER_CREDIT, _livePrice().priceWad, Math.Rounding.Ceil);
    }

    /// @inheritdoc IPriceAdapter
    /// @dev The feed is TOKEN/USD. With a unit feed the peg is the unit, so the token's value in units is
    ///      `tokenUsd / unitUsd` (rounded down), then capped at one unit per token.
    function creditsForStablecoin(address token, uint256 amount) external view returns (uint256 credits) {
        ChainlinkFeeds.StoredFeed memory config = _listedStablecoin(token);
        _checkSequencer();
        return _creditsForStablecoin(token, config, amount);
    }

    /// @inheritdoc IPriceAdapter
    function isStablecoin(address token) external view returns (bool) {
        return address(_stablecoins[token].feed) != address(0);
    }

    // ------------------------------------------------------------------ purchase path

    /// @inheritdoc IPriceAdapter
    function refreshAndQuoteWei(uint256 weiAmount) external returns (uint256 credits, uint256 priceWad) {
        priceWad = _refreshCache();
        credits = _creditsForWei(weiAmount, priceWad);
    }

    /// @inheritdoc IPriceAdapter
    /// @dev The sequencer is checked once, by the refresh, before the stablecoin's feed is read.
    function refreshAndQuoteStablecoin(address token, uint256 amount) external returns (uint256 credits) {
        ChainlinkFeeds.StoredFeed memory config = _listedStablecoin(token);
        _refreshCache();
        return _creditsForStablecoin(token, config, amount);
    }

    // ------------------------------------------------------------------ cached path

    /// @inheritdoc IPriceAdapter
    function refreshCachedPrice() external returns (uint256 priceWad, uint256 updatedAt) {
        return (_refreshCache(), block.timestamp);
    }

    /// @inheritdoc IPriceAdapter
    function cachedPrice() external view returns (uint256 priceWad, uint256 updatedAt) {
        StampedPrice cache = _cache;
        updatedAt = cache.timestamp();
        if (updatedAt == 0) revert PriceAdapterNoCachedPrice();
        priceWad = cache.priceWad();
    }

    // ------------------------------------------------------------------ AggregatorV3Interface facade

    /// @inheritdoc AggregatorV3Interface
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc AggregatorV3Interface
    /// @dev Always reverts with `PriceAdapterRoundDataUnsupported`: the price is derived from several feeds
    ///      (primary or fallback, unit), whose historical combination cannot be reconstructed from a round id.
    function getRoundData(uint80 roundId) external pure returns (uint80, int256, uint256, uint256, uint80) {
        revert PriceAdapterRoundDataUnsupported(roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    /// @dev The live price. `roundId` (= `answeredInRound`) is the round of the primary's answer, or of the
    ///      fallback's when it was used; `startedAt` = `updatedAt` = the oldest `updatedAt` of the price feeds
    ///      used (native feed and unit feed; the sequencer feed only gates and is not included).
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        LivePrice memory live = _livePrice();
        return (live.roundId, SafeCast.toInt256(live.priceWad), live.updatedAt, live.updatedAt, live.roundId);
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc IPriceAdapter
    function setPrimaryFeed(FeedConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPrimaryFeed(config);
    }

    /// @inheritdoc IPriceAdapter
    function setFallbackFeed(
        FeedConfig calldata config,
        uint16 maxDeviationBps
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(config.feed) == address(0)) {
            delete _fallback;
            _maxDeviationBps = 0;
            emit FallbackFeedSet(address(0), 0, 0, 0, 0);
            return;
        }
        if (maxDeviationBps == 0 || maxDeviationBps > BPS) {
            revert PriceAdapterInvalidConfig("maxDeviationBps");
        }
        _fallback = ChainlinkFeeds.validatedFeed(config);
        _maxDeviationBps = maxDeviationBps;
        emit FallbackFeedSet(
            address(config.feed),
            config.heartbeat,
            config.minAnswer,
            config.maxAnswer,
            maxDeviationBps
        );
    }

    /// @inheritdoc IPriceAdapter
    function setSequencerFeed(
        AggregatorV3Interface feed,
        uint32 gracePeriod
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(feed) == address(0)) {
            gracePeriod = 0;
        } else {
            if (address(feed).code.length == 0) revert PriceAdapterInvalidConfig("feed");
            if (gracePeriod == 0) revert PriceAdapterInvalidConfig("gracePeriod");
        }
        _sequencer = feed;
        _gracePeriod = gracePeriod;
        emit SequencerFeedSet(address(feed), gracePeriod);
    }

    /// @inheritdoc IPriceAdapter
    function setUnitFeed(FeedConfig calldata config) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(config.feed) == address(0)) {
            delete _unit;
            emit UnitFeedSet(address(0), 0, 0, 0);
            return;
        }
        _unit = ChainlinkFeeds.validatedFeed(config);
        emit UnitFeedSet(address(config.feed), config.heartbeat, config.minAnswer, config.maxAnswer);
    }

    /// @inheritdoc IPriceAdapter
    function setStablecoinFeed(
        address token,
        FeedConfig calldata config
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token.code.length == 0) revert PriceAdapterInvalidConfig("token");
        (bool ok, uint8 tokenDecimals) = ChainlinkFeeds.readDecimals(token, IERC20Metadata.decimals.selector);
        if (!ok) revert PriceAdapterInvalidConfig("token");
        if (tokenDecimals > ChainlinkFeeds.MAX_DECIMALS)
            revert PriceAdapterUnsupportedTokenDecimals(token, tokenDecimals);
        _stablecoins[token] = ChainlinkFeeds.validatedFeed(config);
        _stablecoinDecimals[token] = tokenDecimals;
        emit StablecoinFeedSet(
            token,
            address(config.feed),
            config.heartbeat,
            config.minAnswer,
            config.maxAnswer
        );
    }

    /// @inheritdoc IPriceAdapter
    function removeStablecoin(address token) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_stablecoins[token].feed) == address(0)) revert PriceAdapterUnsupportedStablecoin(token);
        delete _stablecoins[token];
        delete _stablecoinDecimals[token];
        emit StablecoinRemoved(token);
    }

    /// @inheritdoc IPriceAdapter
    function setDescription(string calldata newDescription) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDescription(newDescription);
    }

    // ------------------------------------------------------------------ configuration views

    /// @inheritdoc IPriceAdapter
    function primaryFeed() external view returns (FeedConfig memory) {
        return ChainlinkFeeds.toConfig(_primary);
    }

    /// @inheritdoc IPriceAdapter
    function fallbackFeed() external view returns (FeedConfig memory config, uint16 maxDeviationBps) {
        return (ChainlinkFeeds.toConfig(_fallback), _maxDeviationBps);
    }

    /// @inheritdoc IPriceAdapter
    function sequencerFeed() external view returns (AggregatorV3Interface feed, uint32 gracePeriod) {
        return (_sequencer, _gracePeriod);
    }

    /// @inheritdoc IPriceAdapter
    function unitFeed() external view returns (FeedConfig memory) {
        return ChainlinkFeeds.toConfig(_unit);
    }

    /// @inheritdoc IPriceAdapter
    function stablecoinFeed(address token) external view returns (FeedConfig memory) {
        return ChainlinkFeeds.toConfig(_stablecoins[token]);
    }

    /// @inheritdoc IPriceAdapter
    function referencePrice() external view returns (uint256 priceWad, uint256 recordedAt) {
        StampedPrice ref = _reference;
        return (ref.priceWad(), ref.timestamp());
    }

    /// @inheritdoc AccessControl
    /// @dev Also true for the ids of `IPriceAdapter` and `AggregatorV3Interface`.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return
            interfaceId == type(IPriceAdapter).interfaceId ||
            interfaceId == type(AggregatorV3Interface).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Stores the live price and `block.timestamp` as the cached price (and the primary's USD price as the
    ///      fallback's reference when the primary was used), emits the events, and returns the price.
    function _refreshCache() private returns (uint256 priceWad) {
        LivePrice memory live = _livePrice();
        _cache = StampedPrices.stamp(live.priceWad, block.timestamp);
        emit CachedPriceRefreshed(live.priceWad, block.timestamp, live.fromFallback);
        if (!live.fromFallback) {
            _reference = StampedPrices.stamp(live.usdPriceWad, block.timestamp);
            emit ReferencePriceRecorded(live.usdPriceWad, block.timestamp);
        }
        return live.priceWad;
    }

    /// @dev The one credits formula of native-token purchases: `floor(weiAmount * priceWad / 1e30)`.
    function _creditsForWei(uint256 weiAmount, uint256 priceWad) private pure returns (uint256) {
        return Math.mulDiv(weiAmount, priceWad, WEI_WAD_PER_CREDIT, Math.Rounding.Floor);
    }

    /// @dev The feed configuration of an allowlisted stablecoin; reverts with `PriceAdapterUnsupportedStablecoin`.
    function _listedStablecoin(address token) private view returns (ChainlinkFeeds.StoredFeed memory config) {
        config = _stablecoins[token];
        if (address(config.feed) == address(0)) revert PriceAdapterUnsupportedStablecoin(token);
    }

    /// @dev Credits for `amount` of `token` priced by its feed `config`, without the sequencer check (the caller's).
    ///      The feed is TOKEN/USD; the value in units is capped at one unit per token and every step rounds DOWN.
    function _creditsForStablecoin(
        address token,
        ChainlinkFeeds.StoredFeed memory config,
        uint256 amount
    ) private view returns (uint256) {
        ChainlinkFeeds.FeedAnswer memory tokenUsd = ChainlinkFeeds.readFeed(config);
        (uint256 valueWad, ) = _toUnit(tokenUsd.priceWad, tokenUsd.updatedAt);
        if (valueWad > WAD) valueWad = WAD;
        // amount / 10**d tokens * valueWad / 1e18 units * 1e6 credits per unit.
        uint256 denominator = 10 ** (uint256(_stablecoinDecimals[token]) + 12);
        return Math.mulDiv(amount, valueWad, denominator, Math.Rounding.Floor);
    }

    /// @dev The live price: sequencer check, primary (or fallback), then the unit conversion.
    function _livePrice() private view returns (LivePrice memory live) {
        _checkSequencer();
        ChainlinkFeeds.StoredFeed memory primary = _primary;
        (ChainlinkFeeds.FeedAnswer memory answer, bytes memory primaryError) = ChainlinkFeeds.tryReadFeed(
            primary
        );
        if (primaryError.length != 0) {
            answer = _fallbackAnswer(primaryError);
            live.fromFallback = true;
        }
        live.usdPriceWad = answer.priceWad;
        live.roundId = answer.roundId;
        (live.priceWad, live.updatedAt) = _toUnit(answer.priceWad, answer.updatedAt);
    }

    /// @dev The fallback's answer when it is configured, valid, and within `maxDeviationBps` of the reference.
    ///      Reverts with `primaryError` when the fallback is not configured or fails its own checks.
    function _fallbackAnswer(
        bytes memory primaryError
    ) private view returns (ChainlinkFeeds.FeedAnswer memory answer) {
        ChainlinkFeeds.StoredFeed memory fallback_ = _fallback;
        if (address(fallback_.feed) == address(0)) ChainlinkFeeds.revertWith(primaryError);
        bytes memory fallbackError;
        (answer, fallbackError) = ChainlinkFeeds.tryReadFeed(fallback_);
        if (fallbackError.length != 0) ChainlinkFeeds.revertWith(primaryError);
        StampedPrice ref = _reference;
        if (ref.timestamp() == 0) revert PriceAdapterNoReferencePrice();
        uint256 refPrice = ref.priceWad();
        uint256 maxDeviationBps = _maxDeviationBps;
        uint256 delta = answer.priceWad > refPrice ? answer.priceWad - refPrice : refPrice - answer.priceWad;
        if (delta > Math.mulDiv(refPrice, maxDeviationBps, BPS, Math.Rounding.Floor)) {
            revert PriceAdapterFallbackDeviation(answer.priceWad, refPrice, maxDeviationBps);
        }
    }

    /// @dev Converts a USD WAD price into the unit (identity when no unit feed is set), rounding DOWN, and
    ///      returns the oldest `updatedAt` of the feeds used.
    function _toUnit(
        uint256 usdPriceWad,
        uint256 updatedAt
    ) private view returns (uint256 priceWad, uint256 oldestUpdatedAt) {
        if (address(_unit.feed) == address(0)) return (usdPriceWad, updatedAt);
        ChainlinkFeeds.FeedAnswer memory unitUsd = ChainlinkFeeds.readFeed(_unit);
        priceWad = Math.mulDiv(usdPriceWad, WAD, unitUsd.priceWad, Math.Rounding.Floor);
        if (priceWad == 0) revert PriceAdapterZeroPrice(usdPriceWad, unitUsd.priceWad);
        oldestUpdatedAt = Math.min(updatedAt, unitUsd.updatedAt);
    }

    /// @dev Fails closed unless the sequencer (when a feed is set) is up and past its grace period.
    ///      A `startedAt` in the future is treated as inside the grace period.
    function _checkSequencer() private view {
        AggregatorV3Interface sequencer = _sequencer;
        if (address(sequencer) == address(0)) return;
        (bool ok, , int256 answer, uint256 startedAt, ) = ChainlinkFeeds.latestRoundData(address(sequencer));
        if (!ok) revert PriceAdapterFeedUnavailable(address(sequencer));
        if (answer != 0) revert PriceAdapterSequencerDown();
        if (startedAt == 0) revert PriceAdapterSequencerInvalidRound();
        uint256 gracePeriod = _gracePeriod;
        if (startedAt > block.timestamp || block.timestamp - startedAt <= gracePeriod) {
            revert PriceAdapterSequencerGracePeriod(startedAt, gracePeriod);
        }
    }

    function _setPrimaryFeed(FeedConfig memory config) private {
        _primary = ChainlinkFeeds.validatedFeed(config);
        emit PrimaryFeedSet(address(config.feed), config.heartbeat, config.minAnswer, config.maxAnswer);
    }

    function _setDescription(string memory newDescription) private {
        _description = newDescription;
        emit DescriptionSet(newDescription);
    }
}
