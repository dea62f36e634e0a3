// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Eip7702Support} from "@account-abstraction/contracts/core/Eip7702Support.sol";
import {UserOperationLib} from "@account-abstraction/contracts/core/UserOperationLib.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ISponsorPolicies} from "../interfaces/ISponsorPolicies.sol";

/**
 * @title PolicyApprovals
 * @notice The approval signer's EIP-712 digest for an operation under a sponsor's policy (POLICY mode of the
 *         {CreditPaymaster}), bound to the chain, this paymaster (the EIP-712 domain `CreditPaymaster`/`1`), the
 *         EntryPoint and the whole operation:
 *
 *     PolicyApproval(bytes32 userOpHash,address sponsor,uint256 policyId,uint256 maxCredits,uint48 validAfter,uint48 validUntil)
 *
 * `userOpHash` is exactly what the EntryPoint's `getUserOpHash` returns for the operation whose `paymasterAndData`
 * is cut just before the signature (`paymasterAndData[:APPROVAL_SIGNATURE_OFFSET]`, which holds the paymaster, its
 * gas limits, the mode, the sponsor, the policy id, the most credits and the approval's window): the EntryPoint's
 * address and the chain id are in it (v0.7: `keccak(abi.encode(hash(op), entryPoint, chainid))`; v0.8: EIP-712 with
 * the EntryPoint's `ERC4337`/`1` domain), and on v0.8 an EIP-7702 sender's `initCode` is replaced, as the
 * EntryPoint does, by the delegate read from the sender's code: an approval for one delegate serves no other
 * (REFERENCES P16). A signer computes it with `getUserOpHash` of the cut operation, or with {policyApprovalDigest}.
 *
 * POLICY paymaster data (after the 52-byte paymaster prefix): `mode = 2 (1) ‖ sponsor (20) ‖ policyId (8) ‖
 * maxCredits (8)` — 37 bytes without an approval — then, with an approval, `validUntil (6) ‖ validAfter (6) ‖
 * signature (≥ 1, 65 for an EOA)`. A policy that names a signer requires the approval: without it, or with a
 * signature that the signer does not accept (an ERC-1271 signer that reverts or answers anything else included),
 * validation returns `sigFailed` (never reverts for it), which the EntryPoint rejects. The approval's window is
 * returned in `validationData` (a `validUntil` of 0 means none, as in ERC-4337).
 */
abstract contract PolicyApprovals is EIP712 {
    /// @dev The EIP-712 type of an approval.
    bytes32 private constant POLICY_APPROVAL_TYPEHASH = keccak256(
        "PolicyApproval(bytes32 userOpHash,address sponsor,uint256 policyId,uint256 maxCredits,uint48 validAfter,uint48 validUntil)"
    );
    /// @dev EntryPoint v0.8's EIP-712 domain type, name and version (its `getUserOpHash` domain).
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant ENTRY_POINT_NAME_HASH = keccak256("ERC4337");
    bytes32 private constant ENTRY_POINT_VERSION_HASH = keccak256("1");

    /// @dev POLICY paymaster data without an approval: prefix (52) + mode, sponsor, policyId, maxCredits (37).
    uint256 internal constant POLICY_DATA_LENGTH = 89;
    /// @dev Where an approval's signature starts in `paymasterAndData` (after validUntil and validAfter).
    uint256 internal constant APPROVAL_SIGNATURE_OFFSET = 101;
    /// @dev Where `sponsor ‖ policyId` starts in `paymasterAndData` (after the mode byte).
    uint256 private constant POLICY_TERMS_OFFSET = 53;
    /// @dev Where `maxCredits ‖ validUntil ‖ validAfter` starts in `paymasterAndData`.
    uint256 private constant APPROVAL_WINDOW_OFFSET = 81;

    constructor() EIP712("CreditPaymaster", "1") {}

    /// @notice The approval digest the policy's signer signs for `userOp` (its POLICY paymaster data must include
    ///         the approval's window; the signature bytes are not read). Called by signers and clients, off chain.
    function policyApprovalDigest(PackedUserOperation calldata userOp) external view returns (bytes32) {
        bytes calldata data = userOp.paymasterAndData;
        return
            _policyApprovalDigest(
                userOp,
                _approvalEntryPoint(),
                _approvalIsV07(),
                _word(data, POLICY_TERMS_OFFSET),
                _word(data, APPROVAL_WINDOW_OFFSET) >> 96
            );
    }

    /**
     * @dev POLICY validation after the paymaster data was checked: holds `held` credits of the sponsor under the
     *      policy for the sender, then checks the approval when the policy names a signer. Returns the window (the
     *      policy's and the approval's), whether the approval failed and whether the ledger held the user's usage
     *      (the policy has a per-user limit: settlement must say so).
     */
    function _holdUnderPolicy(
        ISponsorPolicies policies,
        PackedUserOperation calldata userOp,
        uint256 held,
        uint256 asOf
    ) internal returns (uint256 validUntil, uint256 validAfter, bool sigFailed, bool perUser) {
        bytes calldata data = userOp.paymasterAndData;
        uint256 termsWord = _word(data, POLICY_TERMS_OFFSET);
        address signer;
        (validAfter, validUntil, signer, perUser) = _callHoldPolicy(
            policies,
            termsWord,
            userOp.sender,
            held,
            asOf
        );
        // The policy is usable from `start`: v0.7 refuses `block.timestamp < validAfter`, v0.8 refuses
        // `block.timestamp <= validAfter`, so v0.8 gets `start - 1`.
        if (validAfter != 0 && !_approvalIsV07()) --validAfter;
        if (data.length == POLICY_DATA_LENGTH) return (validUntil, validAfter, signer != address(0), perUser);
        // The data is at least APPROVAL_SIGNATURE_OFFSET + 1 bytes long (checked by the caller).
        uint256 window = _word(data, APPROVAL_WINDOW_OFFSET) >> 96; // maxCredits (64) ‖ validUntil (48) ‖ validAfter (48)
        uint256 approvedUntil = uint48(window >> 48);
        if (approvedUntil != 0) validUntil = Math.min(validUntil, approvedUntil);
        validAfter = Math.max(validAfter, uint48(window));
        if (signer != address(0)) {
            bytes32 digest = _policyApprovalDigest(
                userOp,
                _approvalEntryPoint(),
                _approvalIsV07(),
                termsWord,
                window
            );
            // The ECDSA recovery first: an EOA signer is accepted without EXTCODESIZE on its address, which ERC-7562
            // forbids on an address without code (OP-041) and OpenZeppelin's isValidSignatureNow would run; only a
            // signature that does not recover to the signer is asked of it by ERC-1271 (a contract: a Safe).
            (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(
                digest,
                data[APPROVAL_SIGNATURE_OFFSET:]
            );
            sigFailed =
                !((err == ECDSA.RecoverError.NoError && recovered == signer) ||
                    SignatureChecker.isValidERC1271SignatureNowCalldata(
                        signer,
                        digest,
                        data[APPROVAL_SIGNATURE_OFFSET:]
                    ));
        }
    }

    /**
     * @dev `policies.holdPolicy(sponsor, policyId, user, amount, asOf)` for `termsWord` = sponsor (160) ‖ policyId (64)
     *      ‖ …, bubbling up its revert. In assembly so that GAS immediately precedes CALL (ERC-7562 OP-012), which
     *      the compiler's own call sequence for this signature does not guarantee; the ledger's return words are
     *      clean (its ABI encoder), and are read at their types' widths.
     */
    function _callHoldPolicy(
        ISponsorPolicies policies,
        uint256 termsWord,
        address user,
        uint256 amount,
        uint256 asOf
    ) private returns (uint256 validAfter, uint256 validUntil, address signer, bool perUser) {
        bytes4 selector = ISponsorPolicies.holdPolicy.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), shr(96, termsWord))
            mstore(add(m, 0x24), and(shr(32, termsWord), 0xffffffffffffffff))
            mstore(add(m, 0x44), user)
            mstore(add(m, 0x64), amount)
            mstore(add(m, 0x84), asOf)
            // call's arguments are evaluated right to left: gas() is the last, right before CALL
            let ok := call(gas(), policies, 0, m, 0xa4, m, 0x80)
            // a revert (bubbled up), or too little return data (not the ledger's holdPolicy)
            if iszero(and(ok, iszero(lt(returndatasize(), 0x80)))) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            validAfter := and(mload(m), 0xffffffffffff)
            validUntil := and(mload(add(m, 0x20)), 0xffffffffffff)
            signer := and(mload(add(m, 0x40)), 0xffffffffffffffffffffffffffffffffffffffff)
            perUser := iszero(iszero(mload(add(m, 0x60))))
        }
    }

    /// @dev The EntryPoint this paymaster serves.
    function _approvalEntryPoint() internal view virtual returns (address);

    /// @dev Whether it is v0.7 (else v0.8).
    function _approvalIsV07() internal view virtual returns (bool);

    /// @dev The 32 bytes of `data` at `offset` (zero-padded past the end of the calldata).
    function _word(bytes calldata data, uint256 offset) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            // one CALLDATALOAD: callers only use bytes within data.length
            w := calldataload(add(data.offset, offset))
        }
    }

    /**
     * @dev The approval digest of `userOp` for `termsWord` (sponsor ‖ policyId ‖ …) and `window` (maxCredits ‖
     *      validUntil ‖ validAfter); `isV07` selects the EntryPoint's hashing, `entryPoint_` its address. Hashed in
     *      scratch memory (no allocation): the same words as `keccak256(abi.encode(...))` of the EIP-712 struct.
     */
    function _policyApprovalDigest(
        PackedUserOperation calldata userOp,
        address entryPoint_,
        bool isV07,
        uint256 termsWord,
        uint256 window
    ) internal view returns (bytes32) {
        bytes32 opHash = _cutUserOpHash(userOp, entryPoint_, isV07);
        bytes32 typeHash = POLICY_APPROVAL_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            // PolicyApproval(userOpHash, sponsor, policyId, maxCredits, validAfter, validUntil), ABI-encoded words:
            // termsWord = sponsor (160) ‖ policyId (64) ‖ 0 (32); window = maxCredits (64) ‖ validUntil ‖ validAfter
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), opHash)
            mstore(add(m, 0x40), shr(96, termsWord))
            mstore(add(m, 0x60), and(shr(32, termsWord), 0xffffffffffffffff))
            mstore(add(m, 0x80), shr(96, window))
            mstore(add(m, 0xa0), and(window, 0xffffffffffff))
            mstore(add(m, 0xc0), and(shr(48, window), 0xffffffffffff))
            structHash := keccak256(m, 0xe0)
        }
        return _hashTypedDataV4(structHash);
    }

    /**
     * @dev The EntryPoint's `getUserOpHash` of `userOp` with `paymasterAndData` cut before the signature (reverts
     *      when it is shorter): v0.7 `keccak(abi.encode(keccak(abi.encode(sender, nonce, keccak(initCode),
     *      keccak(callData), accountGasLimits, preVerificationGas, gasFees, keccak(cut))), entryPoint, chainid))`;
     *      v0.8 the EIP-712 hash of the same fields after its type hash under its `ERC4337`/`1` domain, with an
     *      EIP-7702 sender's initCode hash replaced as the EntryPoint does.
     */
    function _cutUserOpHash(
        PackedUserOperation calldata userOp,
        address entryPoint_,
        bool isV07
    ) private view returns (bytes32 h) {
        bytes32 initCodeHash = isV07 ? bytes32(0) : Eip7702Support._getEip7702InitCodeHashOverride(userOp);
        if (initCodeHash == 0) initCodeHash = _calldataKeccak(userOp.initCode);
        if (isV07) {
            bytes32 fields = _opFieldsHash(userOp, 0, initCodeHash);
            assembly ("memory-safe") {
                // keccak(abi.encode(fields, entryPoint, chainid)) in scratch memory
                let m := mload(0x40)
                mstore(m, fields)
                mstore(add(m, 0x20), entryPoint_)
                mstore(add(m, 0x40), chainid())
                h := keccak256(m, 0x60)
            }
            return h;
        }
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                ENTRY_POINT_NAME_HASH,
                ENTRY_POINT_VERSION_HASH,
                block.chainid,
                entryPoint_
            )
        );
        return
            MessageHashUtils.toTypedDataHash(
                domain,
                _opFieldsHash(userOp, UserOperationLib.PACKED_USEROP_TYPEHASH, initCodeHash)
            );
    }

    /// @dev `keccak256(b)` hashed in scratch memory (no allocation).
    function _calldataKeccak(bytes calldata b) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, b.offset, b.length)
            h := keccak256(m, b.length)
        }
    }

    /**
     * @dev `keccak(abi.encode([typeHash,] sender, nonce, initCodeHash, keccak(callData), accountGasLimits,
     *      preVerificationGas, gasFees, keccak(paymasterAndData[:APPROVAL_SIGNATURE_OFFSET])))`, the type hash only
     *      when not zero (v0.8), computed in scratch memory (no allocation).
     */
    function _opFieldsHash(
        PackedUserOperation calldata userOp,
        bytes32 typeHash,
        bytes32 initCodeHash
    ) private pure returns (bytes32 h) {
        bytes calldata callData = userOp.callData;
        bytes calldata cut = userOp.paymasterAndData[:APPROVAL_SIGNATURE_OFFSET];
        address sender = userOp.sender;
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, callData.offset, callData.length)
            let callDataHash := keccak256(m, callData.length)
            calldatacopy(m, cut.offset, cut.length)
            let cutHash := keccak256(m, cut.length)
            mstore(m, typeHash)
            mstore(add(m, 0x20), sender)
            mstore(add(m, 0x40), calldataload(add(userOp, 0x20))) // nonce
            mstore(add(m, 0x60), initCodeHash)
            mstore(add(m, 0x80), callDataHash)
            mstore(add(m, 0xa0), calldataload(add(userOp, 0x80))) // accountGasLimits
            mstore(add(m, 0xc0), calldataload(add(userOp, 0xa0))) // preVerificationGas
            mstore(add(m, 0xe0), calldataload(add(userOp, 0xc0))) // gasFees
            mstore(add(m, 0x100), cutHash)
            switch typeHash
            case 0 {
                h := keccak256(add(m, 0x20), 0x100)
            }
            default {
                h := keccak256(m, 0x120)
            }
        }
    }
}
