// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Eip7702Support} from "@account-abstraction/contracts/core/Eip7702Support.sol";
import {UserOperationLib} from "@account-abstraction/contracts/core/UserOperationLib.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
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
     *      policy's and the approval's) and whether the approval failed.
     */
    function _holdUnderPolicy(
        ISponsorPolicies policies,
        PackedUserOperation calldata userOp,
        uint256 held,
        uint256 asOf
    ) internal returns (uint256 validUntil, uint256 validAfter, bool sigFailed) {
        bytes calldata data = userOp.paymasterAndData;
        uint256 termsWord = _word(data, POLICY_TERMS_OFFSET);
        address signer;
        (validAfter, validUntil, signer) = policies.holdPolicy(
            address(uint160(termsWord >> 96)),
            uint64(termsWord >> 32),
            userOp.sender,
            held,
            asOf
        );
        if (data.length == POLICY_DATA_LENGTH) return (validUntil, validAfter, signer != address(0));
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
            sigFailed = !_approvedBy(signer, digest, data[APPROVAL_SIGNATURE_OFFSET:]);
        }
    }

    /**
     * @dev Whether `signer` approved `digest`: an ECDSA signature recovering to `signer` first, without touching the
     *      signer's account; only otherwise, and only when the signer has code, its ERC-1271 `isValidSignature`.
     *      The order is ERC-7562's: OpenZeppelin's `isValidSignatureNow` reads the signer's code size first, and
     *      EXTCODESIZE on an EOA signer is an access to an address without code (OP-041), while calling an
     *      EIP-7702 delegated EOA signer is an access to a delegated account that is not the sender (AUTH-002);
     *      recovering first makes every valid EOA approval, delegated or not, touch no account at all.
     */
    function _approvedBy(
        address signer,
        bytes32 digest,
        bytes calldata signature
    ) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return
            signer.code.length != 0 &&
            SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
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
     *      validUntil ‖ validAfter); `isV07` selects the EntryPoint's hashing, `entryPoint_` its address.
     */
    function _policyApprovalDigest(
        PackedUserOperation calldata userOp,
        address entryPoint_,
        bool isV07,
        uint256 termsWord,
        uint256 window
    ) internal view returns (bytes32) {
        bytes32 opHash = _cutUserOpHash(userOp, entryPoint_, isV07);
        // termsWord = sponsor (160) ‖ policyId (64) ‖ 0 (32); maxCredits and the window come from the data too.
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        POLICY_APPROVAL_TYPEHASH,
                        opHash,
                        address(uint160(termsWord >> 96)),
                        uint64(termsWord >> 32),
                        uint64(window >> 96),
                        uint48(window),
                        uint48(window >> 48)
                    )
                )
            );
    }

    /// @dev The EntryPoint's `getUserOpHash` of `userOp` with `paymasterAndData` cut before the signature.
    function _cutUserOpHash(
        PackedUserOperation calldata userOp,
        address entryPoint_,
        bool isV07
    ) private view returns (bytes32) {
        bytes32 initCodeHash = isV07 ? bytes32(0) : Eip7702Support._getEip7702InitCodeHashOverride(userOp);
        if (initCodeHash == 0) initCodeHash = keccak256(userOp.initCode);
        bytes32 callDataHash = keccak256(userOp.callData);
        bytes32 paymasterHash = keccak256(userOp.paymasterAndData[:APPROVAL_SIGNATURE_OFFSET]);
        if (isV07) {
            bytes32 fields = keccak256(
                abi.encode(
                    userOp.sender,
                    userOp.nonce,
                    initCodeHash,
                    callDataHash,
                    userOp.accountGasLimits,
                    userOp.preVerificationGas,
                    userOp.gasFees,
                    paymasterHash
                )
            );
            return keccak256(abi.encode(fields, entryPoint_, block.chainid));
        }
        // v0.8 hashes the same fields after its type hash, as an EIP-712 struct of its own domain.
        bytes32 structHash = keccak256(
            abi.encode(
                UserOperationLib.PACKED_USEROP_TYPEHASH,
                userOp.sender,
                userOp.nonce,
                initCodeHash,
                callDataHash,
                userOp.accountGasLimits,
                userOp.preVerificationGas,
                userOp.gasFees,
                paymasterHash
            )
        );
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                ENTRY_POINT_NAME_HASH,
                ENTRY_POINT_VERSION_HASH,
                block.chainid,
                entryPoint_
            )
        );
        return MessageHashUtils.toTypedDataHash(domain, structHash);
    }
}
