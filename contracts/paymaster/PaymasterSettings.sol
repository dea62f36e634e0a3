// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {ICreditPaymaster} from "../interfaces/ICreditPaymaster.sol";

/**
 * @title PaymasterSettings
 * @notice The credit paymaster's governed settings: its {ICreditPaymaster.Config} (gas and fee caps, credits per
 *         operation, markup, price age, pause, priority fee, postOp gas margin), validated on every change, and its
 *         guardians, who may only pause. Administration is `owner()` (Ownable2Step from {BasePaymaster}): the DAO
 *         timelock in production.
 */
abstract contract PaymasterSettings is BasePaymaster, ICreditPaymaster {
    /// @notice Largest markup: 2× the price.
    uint16 public constant MAX_MARKUP_BPS = 20_000;
    /// @dev Basis points in 100%.
    uint256 internal constant BPS = 10_000;

    Config internal _config;
    mapping(address account => bool allowed) private _guardians;

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ICreditPaymaster
    function setConfig(Config calldata newConfig) external onlyOwner {
        _setConfig(newConfig, _config.paused);
    }

    /// @inheritdoc ICreditPaymaster
    function setGuardian(address guardian, bool allowed) external onlyOwner {
        if (guardian == address(0)) revert CreditPaymasterZeroAddress();
        _guardians[guardian] = allowed;
        emit GuardianSet(guardian, allowed);
    }

    /// @inheritdoc ICreditPaymaster
    function setPaused(bool paused) external {
        bool isOwner = msg.sender == owner();
        if (!isOwner && !(paused && _guardians[msg.sender]))
            revert CreditPaymasterUnauthorizedGuardian(msg.sender);
        _config.paused = paused;
        emit PausedSet(paused, msg.sender);
    }

    function _setConfig(Config memory newConfig, bool paused) internal {
        if (newConfig.markupBps < BPS || newConfig.markupBps > MAX_MARKUP_BPS) {
            revert CreditPaymasterInvalidConfig("markupBps");
        }
        if (newConfig.maxPriceAge == 0) revert CreditPaymasterInvalidConfig("maxPriceAge");
        // The cap must leave room for the floor of the smallest SPONSORED operation.
        if (
            newConfig.maxPaymasterPostOpGasLimit <
            _postOpGasFloor(uint256(Mode.SPONSORED), 0, newConfig.postOpGasMargin)
        ) {
            revert CreditPaymasterInvalidConfig("maxPaymasterPostOpGasLimit");
        }
        if (
            newConfig.maxCallGasLimit == 0 ||
            newConfig.maxVerificationGasLimit == 0 ||
            newConfig.maxPaymasterVerificationGasLimit == 0 ||
            newConfig.maxFeePerGas == 0 ||
            newConfig.maxCreditsPerOp == 0
        ) {
            revert CreditPaymasterInvalidConfig("zero cap");
        }
        newConfig.paused = paused;
        _config = newConfig;
        emit ConfigUpdated(newConfig);
    }

    /// @inheritdoc ICreditPaymaster
    function config() external view returns (Config memory) {
        return _config;
    }

    /// @inheritdoc ICreditPaymaster
    function isGuardian(address account) external view returns (bool) {
        return _guardians[account];
    }

    /**
     * @dev The smallest `paymasterPostOpGasLimit` of an operation of `mode` whose `validatePaymasterUserOp` call data
     *      has `callDataWords` words, with `margin` added (the paymaster's; checked against the postOp cap here).
     */
    function _postOpGasFloor(
        uint256 mode,
        uint256 callDataWords,
        uint256 margin
    ) internal view virtual returns (uint256);
}
