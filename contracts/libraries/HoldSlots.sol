// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SlotDerivation} from "@openzeppelin/contracts/utils/SlotDerivation.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

/**
 * @title HoldSlots
 * @notice The transient-storage slots (EIP-1153) of the ledger's transaction-scoped holds. Every slot's outer
 *         keccak preimage starts with the spender, so the slot is "associated with" the spender (the staked
 *         paymaster) under ERC-7562 (STO-032), which may then write it during validation:
 *
 *     creditHold(spender, account)                 = keccak256(abi.encode(spender,
 *                                                      keccak256(abi.encode(account, CREDIT_HOLD_SEED))))
 *     allowanceHold(spender, sponsor, beneficiary) = keccak256(abi.encode(spender,
 *                                                      keccak256(abi.encode(beneficiary,
 *                                                        keccak256(abi.encode(sponsor, ALLOWANCE_HOLD_SEED))))))
 *     policyHold(spender, sponsor, policyId)       = keccak256(abi.encode(spender,
 *                                                      keccak256(abi.encode(policyId,
 *                                                        keccak256(abi.encode(sponsor, POLICY_HOLD_SEED))))))
 *     policyUserHold(spender, sponsor, policyId, user) = keccak256(abi.encode(spender, keccak256(abi.encode(user,
 *                                                      keccak256(abi.encode(policyId,
 *                                                        keccak256(abi.encode(sponsor, POLICY_USER_HOLD_SEED))))))))
 *     active(spender)                              = keccak256(abi.encode(spender, SPENDER_ACTIVE_SEED))
 *
 * (`keccak256(abi.encode(key, slot))` is OpenZeppelin's `SlotDerivation.deriveMapping(slot, key)`.)
 */
library HoldSlots {
    using SlotDerivation for bytes32;
    using TransientSlot for bytes32;
    using TransientSlot for TransientSlot.Uint256Slot;

    bytes32 private constant CREDIT_HOLD_SEED = keccak256("CreditLedger.creditHold");
    bytes32 private constant ALLOWANCE_HOLD_SEED = keccak256("CreditLedger.allowanceHold");
    bytes32 private constant POLICY_HOLD_SEED = keccak256("CreditLedger.policyHold");
    bytes32 private constant POLICY_USER_HOLD_SEED = keccak256("CreditLedger.policyUserHold");
    bytes32 private constant SPENDER_ACTIVE_SEED = keccak256("CreditLedger.spenderActive");

    /// @notice The per-account part of a credit-hold slot.
    function creditKey(address account) internal pure returns (bytes32) {
        return CREDIT_HOLD_SEED.deriveMapping(account);
    }

    /// @notice The per-(sponsor, beneficiary) part of an allowance-hold slot.
    function allowanceKey(address sponsor, address beneficiary) internal pure returns (bytes32) {
        return ALLOWANCE_HOLD_SEED.deriveMapping(sponsor).deriveMapping(beneficiary);
    }

    /// @notice The per-(sponsor, policy) part of a policy-wide hold slot.
    function policyKey(address sponsor, uint256 policyId) internal pure returns (bytes32) {
        return POLICY_HOLD_SEED.deriveMapping(sponsor).deriveMapping(policyId);
    }

    /// @notice The per-(sponsor, policy, user) part of a user's policy hold slot (credits and operations).
    function policyUserKey(address sponsor, uint256 policyId, address user) internal pure returns (bytes32) {
        return POLICY_USER_HOLD_SEED.deriveMapping(sponsor).deriveMapping(policyId).deriveMapping(user);
    }

    /// @notice The slot of `spender`'s hold under `key` (a credit or an allowance key).
    function slot(address spender, bytes32 key) internal pure returns (bytes32) {
        return key.deriveMapping(spender);
    }

    /// @notice The slot set once `spender` placed a hold in this transaction.
    function activeSlot(address spender) internal pure returns (bytes32) {
        return SPENDER_ACTIVE_SEED.deriveMapping(spender);
    }

    /// @notice The value at transient slot `s`.
    function load(bytes32 s) internal view returns (uint256) {
        return s.asUint256().tload();
    }

    /// @notice Writes `value` at transient slot `s`.
    function store(bytes32 s, uint256 value) internal {
        s.asUint256().tstore(value);
    }
}
