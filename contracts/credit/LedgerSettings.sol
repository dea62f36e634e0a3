// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";

/**
 * @title LedgerSettings
 * @notice The ledger's admin-set parameters: the price adapter that prices purchases, the treasury, where the ETH
 *         of purchases goes (a paymaster's EntryPoint deposit, or the treasury) and the minimum purchase.
 */
abstract contract LedgerSettings is AccessControl, ICreditLedger {
    IPriceAdapter internal _adapter;
    address internal _treasury;
    IEntryPoint internal _depositEntryPoint;
    address internal _depositPaymaster;
    uint256 internal _minPurchase;

    constructor(IPriceAdapter priceAdapter, address treasury_) {
        _setAdapter(priceAdapter);
        _setTreasury(treasury_);
    }

    /// @inheritdoc ICreditLedger
    function setAdapter(IPriceAdapter newAdapter) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAdapter(newAdapter);
    }

    /// @inheritdoc ICreditLedger
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc ICreditLedger
    function setEthDestination(
        IEntryPoint entryPoint,
        address paymaster
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if ((address(entryPoint) == address(0)) != (paymaster == address(0))) {
            revert CreditLedgerInvalidEthDestination(address(entryPoint), paymaster);
        }
        _depositEntryPoint = entryPoint;
        _depositPaymaster = paymaster;
        emit EthDestinationSet(address(entryPoint), paymaster);
    }

    /// @inheritdoc ICreditLedger
    function setMinPurchase(uint256 credits) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _minPurchase = credits;
        emit MinPurchaseSet(credits);
    }

    /// @inheritdoc ICreditLedger
    function adapter() external view returns (IPriceAdapter) {
        return _adapter;
    }

    /// @inheritdoc ICreditLedger
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ICreditLedger
    function ethDestination() external view returns (IEntryPoint entryPoint, address paymaster) {
        return (_depositEntryPoint, _depositPaymaster);
    }

    /// @inheritdoc ICreditLedger
    function minPurchase() external view returns (uint256) {
        return _minPurchase;
    }

    function _setAdapter(IPriceAdapter newAdapter) private {
        if (address(newAdapter) == address(0)) revert CreditLedgerZeroAddress();
        _adapter = newAdapter;
        emit AdapterSet(address(newAdapter));
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert CreditLedgerZeroAddress();
        _treasury = newTreasury;
        emit TreasurySet(newTreasury);
    }
}
