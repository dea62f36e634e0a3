// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ICreditHolds} from "../interfaces/ICreditHolds.sol";
import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";

/**
 * @title TestSpender
 * @notice Test-only spender: replays a sequence of holds, settlements and arbitrary calls inside ONE transaction
 *         (holds are transaction-scoped), recording each hold's `validUntil` and each call's result as events.
 */
contract TestSpender {
    enum Kind {
        Hold,
        HoldSponsored,
        Settle,
        SettleSponsored,
        Call,
        HoldPolicy,
        SettlePolicy
    }

    /**
     * @param kind What to do.
     * @param a Hold/Settle: the account; sponsored: the sponsor; Call: the target.
     * @param b Sponsored: the beneficiary.
     * @param amount Hold: the amount; Settle: the held amount to release.
     * @param extra Hold: `asOf`; Settle: the charge.
     * @param data Call: the calldata; policy kinds: `abi.encode(policyId)` (`a` the sponsor, `b` the user).
     */
    struct Step {
        Kind kind;
        address a;
        address b;
        uint256 amount;
        uint256 extra;
        bytes data;
    }

    event Held(uint256 indexed step, uint48 validUntil);
    event Called(uint256 indexed step, bytes result);
    event PolicyHeld(
        uint256 indexed step,
        uint48 validAfter,
        uint48 validUntil,
        address signer,
        bool perUser
    );

    /// @dev `holdPolicy`'s `perUser` of the last hold of (sponsor, policyId, user), passed back by its settlement as a
    ///      paymaster does (through its context); a settlement step whose data holds a second word passes that instead.
    mapping(bytes32 key => bool) private _perUser;

    ICreditHolds public immutable ledger;

    constructor(ICreditHolds ledger_) {
        ledger = ledger_;
    }

    function run(Step[] calldata steps) external {
        for (uint256 i; i < steps.length; ++i) {
            Step calldata s = steps[i];
            if (s.kind == Kind.Hold) {
                emit Held(i, ledger.hold(s.a, s.amount, s.extra));
            } else if (s.kind == Kind.HoldSponsored) {
                emit Held(i, ledger.holdSponsored(s.a, s.b, s.amount, s.extra));
            } else if (s.kind == Kind.Settle) {
                ledger.settle(s.a, s.amount, s.extra, stepRef(i), stepData(i));
            } else if (s.kind == Kind.SettleSponsored) {
                ledger.settleSponsored(s.a, s.b, s.amount, s.extra, stepRef(i), stepData(i));
            } else if (s.kind == Kind.Call) {
                emit Called(i, Address.functionCall(s.a, s.data));
            } else {
                _policyStep(i, s);
            }
        }
    }

    function _policyStep(uint256 i, Step calldata s) private {
        ISponsorPolicies policies = ISponsorPolicies(address(ledger));
        uint256 policyId = abi.decode(s.data, (uint256));
        bytes32 key = keccak256(abi.encode(s.a, policyId, s.b));
        if (s.kind == Kind.HoldPolicy) {
            (uint48 validAfter, uint48 validUntil, address signer, bool perUser) = policies.holdPolicy(
                s.a,
                policyId,
                s.b,
                s.amount,
                s.extra
            );
            _perUser[key] = perUser;
            emit PolicyHeld(i, validAfter, validUntil, signer, perUser);
        } else {
            bool perUser = _perUser[key];
            if (s.data.length >= 64) (, perUser) = abi.decode(s.data, (uint256, bool));
            policies.settlePolicy(s.a, policyId, s.b, perUser, s.amount, s.extra, stepRef(i), stepData(i));
        }
    }

    /// @notice One hold and its settlement, as a paymaster does in validation and postOp (for gas benchmarks; the
    ///         reference and data are word-sized like the paymaster's).
    function holdAndSettle(address account, uint256 amount, uint256 asOf, uint256 charge) external {
        ledger.hold(account, amount, asOf);
        ledger.settle(account, amount, charge, keccak256(abi.encode(account, asOf)), type(uint256).max);
    }

    /// @notice The `ref` this spender passes when settling step `i`: `bytes32(i + 1)`.
    function stepRef(uint256 i) public pure returns (bytes32) {
        return bytes32(i + 1);
    }

    /// @notice The `spenderData` this spender passes when settling step `i`: `1000 + i`.
    function stepData(uint256 i) public pure returns (uint256) {
        return 1000 + i;
    }
}
