// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICreditHolds} from "../interfaces/ICreditHolds.sol";
import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {ICreditLedgerMetadata} from "../interfaces/ICreditLedgerMetadata.sol";
import {IERC5192} from "../interfaces/IERC5192.sol";
import {IPriceAdapter} from "../interfaces/IPriceAdapter.sol";
import {CreditLedgerMetadata} from "./CreditLedgerMetadata.sol";

/**
 * @title CreditLedger
 * @notice Prepaid, soulbound compute credits (see {ICreditLedger} and {ICreditHolds}).
 *
 * Token ids: the credit account of `holder` is the token `uint256(uint160(holder))`, so an address has at most
 * one, and its id is known without a lookup. Tokens are locked (ERC-5192): minted, burned (recovery), never moved.
 *
 * Storage of an account's credits (two slots of `_creditWords[account]`):
 *
 *     word 0: purchased (uint64) | bucket0.amount (uint64) | bucket0.expiry (uint32)
 *                                | bucket1.amount (uint64) | bucket1.expiry (uint32)          = 256 bits
 *     word 1: bucket2.amount (uint64) | bucket2.expiry (uint32)
 *           | bucket3.amount (uint64) | bucket3.expiry (uint32) | 64 spare bits
 *
 * Buckets are kept sorted by expiry (ascending), with distinct expiries, and compacted (non-empty first; an empty
 * bucket is all zeros). Hence word 1 is zero whenever bucket 1 is empty and is then never read. Expired buckets
 * (expiry <= now) sit at the front until swept.
 *
 * Bounded cost: every operation on an account touches at most these two slots and loops over at most 4 buckets
 * and at most 4 spenders, whatever the account's history: `hold` = 1 SLOAD of the caller's spender info
 * (authorisation, pause bit and the next spender of the ring), 1 SLOAD of word 0 (+1 of word 1 when bucket 1 is
 * used), 1 SLOAD + 1 TLOAD per other spender, 1 TLOAD and 2 TSTOREs (the hold and the spender's "active" flag);
 * `settle` = 1 SLOAD of the caller's spender info (authorisation; written back with its burned counter when the
 * charge is not zero), 1 TLOAD/TSTORE, word 0 (and word 1 if used) read and written once, 1 `CreditsSpent` event.
 * `holdSponsored` adds 1 SLOAD of the allowance and 1 of the beneficiary's recovery mark.
 *
 * Holds live in transient storage at slots whose outer keccak preimage starts with the spender (ERC-7562
 * STO-032, "associated with" the staked paymaster):
 *
 *     creditHold(spender, account)                = keccak256(abi.encode(spender,
 *                                                     keccak256(abi.encode(account, CREDIT_HOLD_SEED))))
 *     allowanceHold(spender, sponsor, beneficiary) = keccak256(abi.encode(spender,
 *                                                     keccak256(abi.encode(beneficiary,
 *                                                       keccak256(abi.encode(sponsor, ALLOWANCE_HOLD_SEED))))))
 *     active(spender)                             = keccak256(abi.encode(spender, SPENDER_ACTIVE_SEED))
 */
contract CreditLedger is ICreditLedger, ERC721, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants

    /// @notice Grants and revokes credits, within a per-epoch cap set by the admin.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Pauses purchases, grants and new holds.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Initiates the recovery of an account to a new address (as does the admin).
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");
    /// @notice Maximum number of registered spenders.
    uint256 public constant MAX_SPENDERS = 4;
    /// @notice Maximum number of live grant buckets (distinct live expiry dates) per account.
    uint256 public constant MAX_GRANT_BUCKETS = 4;

    bytes32 private constant CREDIT_HOLD_SEED = keccak256("CreditLedger.creditHold");
    bytes32 private constant ALLOWANCE_HOLD_SEED = keccak256("CreditLedger.allowanceHold");
    bytes32 private constant SPENDER_ACTIVE_SEED = keccak256("CreditLedger.spenderActive");

    uint256 private constant UINT64_MAX = type(uint64).max;
    uint256 private constant BUCKET_BITS = 96;
    uint256 private constant BUCKET_MASK = (1 << 96) - 1;
    uint256 private constant UINT32_MAX = type(uint32).max;
    /// @dev `SpenderInfo.burned` occupies bits 176-255 of its slot (after authorized, paused and next).
    uint256 private constant BURNED_SHIFT = 176;
    uint256 private constant BURNED_CLEAR_MASK = (1 << 176) - 1;

    // ------------------------------------------------------------------ types

    /**
     * @dev One slot per spender. The ring of registered spenders is a circular list through `next`, so the
     *      SLOAD that authorises a spender in `hold` also yields the first other spender whose holds count.
     *      `paused` mirrors the global pause flag so that `hold` learns it from the same slot. `burned` counts the
     *      credits this spender burned: settlement adds to a slot that `hold` already warmed and that is never zero
     *      (so never a 20,000-gas zero-to-nonzero write), which keeps the cost of `postOp` low and constant.
     *      Settlement reads this slot once to check `authorized` and writes it back with the new `burned` (see
     *      `_authorizeSettle` and `_spend`): keep `authorized` first and `burned` last (bits 176-255, BURNED_SHIFT).
     */
    struct SpenderInfo {
        bool authorized;
        bool paused;
        address next;
        uint80 burned;
    }

    /// @dev One slot: any spender of the ring, the number of spenders and the global pause flag.
    struct SpenderRing {
        address head;
        uint8 count;
        bool paused;
    }

    struct PendingRecovery {
        address to;
        uint64 readyAt;
    }

    /**
     * @dev An account's credits in memory. A bucket is 96 bits, `amount | expiry << 64`; the sorted, compacted
     *      bucket sequence is held as two 192-bit halves, `lo = bucket0 | bucket1 << 96` and
     *      `hi = bucket2 | bucket3 << 96`, so that word 0 is `purchased | lo << 64` and word 1 is `hi`. Removing the
     *      soonest bucket (sweep, burn) is two shifts. `word0`/`word1` are the stored words, to skip unchanged writes.
     */
    struct Credits {
        uint256 purchased;
        uint256 lo;
        uint256 hi;
        uint256 word0;
        uint256 word1;
    }

    // ------------------------------------------------------------------ storage

    /// @dev Renders `tokenURI` (deployed by the constructor; kept apart for the EIP-170 code-size limit).
    ICreditLedgerMetadata private immutable _metadata;

    mapping(address spender => SpenderInfo) private _spenderInfo;
    SpenderRing private _ring;
    mapping(address account => uint256[2] words) private _creditWords;
    /// @dev `[sponsor][beneficiary]`: the slot is keccak(beneficiary ‖ keccak(sponsor ‖ p)), associated with the
    ///      beneficiary, i.e. the UserOperation sender in sponsored mode (and a staked paymaster may read any slot).
    mapping(address sponsor => mapping(address beneficiary => EpochBudget)) private _allowances;
    mapping(address issuer => EpochBudget) private _issuerCaps;
    mapping(address from => PendingRecovery) private _recoveries;
    /// @dev The address each recovered account's credits moved to. The slot is keccak(account ‖ p): associated with
    ///      the account, i.e. the beneficiary (UserOperation sender) that `holdSponsored` checks in validation.
    mapping(address account => address to) private _recoveredTo;
    /// @dev Low 128 bits: total issued; high 128 bits: total revoked.
    uint256 private _issuedRevoked;
    /// @dev Low 128 bits: credits burned by spenders since removed (registered spenders count theirs in their
    ///      SpenderInfo); high 128 bits: total expired (swept).
    uint256 private _burnedExpired;
    IPriceAdapter private _adapter;
    address private _treasury;
    IEntryPoint private _depositEntryPoint;
    address private _depositPaymaster;
    uint256 private _minPurchase;
    uint32 private _recoveryDelay;

    // ------------------------------------------------------------------ construction

    /**
     * @param admin Receives `DEFAULT_ADMIN_ROLE` (a timelock in production).
     * @param priceAdapter Prices purchases.
     * @param treasury_ Receives stablecoin proceeds, and native proceeds until `setEthDestination` is used.
     */
    constructor(
        address admin,
        IPriceAdapter priceAdapter,
        address treasury_
    ) ERC721("Compute Credits Account", "CREDIT") {
        if (admin == address(0)) revert CreditLedgerZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setAdapter(priceAdapter);
        _setTreasury(treasury_);
        _setRecoveryDelay(3 days);
        _metadata = new CreditLedgerMetadata();
    }

    // ------------------------------------------------------------------ ERC-165 / ERC-721 / ERC-5192

    /// @inheritdoc ERC721
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC721, AccessControl) returns (bool) {
        return
            interfaceId == type(IERC5192).interfaceId ||
            interfaceId == type(ICreditHolds).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice Always reverts: credit-account tokens cannot be approved.
    function approve(address to, uint256 tokenId) public pure override {
        revert CreditLedgerApprovalBlocked(to, tokenId);
    }

    /// @notice Always reverts: operators cannot be approved for credit-account tokens.
    function setApprovalForAll(address operator, bool approved) public pure override {
        revert CreditLedgerApprovalForAllBlocked(operator, approved);
    }

    /**
     * @notice On-chain metadata: `data:application/json;base64,…` with the holder, its purchased, live granted and
     *         spendable credits (raw 6-decimal integers) and an SVG card (see {ICreditLedgerMetadata}).
     */
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        address holder = _requireOwned(tokenId);
        (uint256 purchased, uint256 lo, uint256 hi) = _peek(holder);
        uint256 granted = _liveGranted(lo, hi, block.timestamp);
        uint256 spendable = _saturatingSub(purchased + granted, _allHolds(_creditKey(holder)));
        return _metadata.tokenURI(holder, purchased, granted, spendable);
    }

    /// @dev Only mint (from zero) and burn (to zero) pass: every transfer path ends here and reverts.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) revert CreditLedgerTransferBlocked(from, to, tokenId);
        return super._update(to, tokenId, auth);
    }

    // ------------------------------------------------------------------ accounts

    /// @inheritdoc ICreditLedger
    function openAccount() external returns (uint256 tokenId) {
        tokenId = _tokenIdOf(msg.sender);
        if (_ownerOf(tokenId) != address(0)) revert CreditLedgerAccountExists(msg.sender);
        _openAccount(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function tokenIdOf(address holder) external pure returns (uint256) {
        return _tokenIdOf(holder);
    }

    // ------------------------------------------------------------------ purchases

    /// @inheritdoc ICreditLedger
    function buyCredits(address account) external payable nonReentrant returns (uint256 credits) {
        _requireNotPaused();
        // Refreshes the adapter's cached price (what the paymaster charges at) and credits at that same price.
        (credits, ) = _adapter.refreshAndQuoteWei(msg.value);
        _creditPurchase(account, credits);
        emit CreditsPurchased(account, msg.sender, address(0), msg.value, credits);
        IEntryPoint entryPoint = _depositEntryPoint;
        if (address(entryPoint) != address(0)) {
            entryPoint.depositTo{value: msg.value}(_depositPaymaster);
        } else {
            Address.sendValue(payable(_treasury), msg.value);
        }
    }

    /// @inheritdoc ICreditLedger
    function buyCreditsWithToken(
        address account,
        address token,
        uint256 amount
    ) external nonReentrant returns (uint256 credits) {
        _requireNotPaused();
        IPriceAdapter priceAdapter = _adapter;
        if (!priceAdapter.isStablecoin(token)) revert CreditLedgerUnsupportedToken(token);
        address to = _treasury;
        uint256 before = IERC20(token).balanceOf(to);
        IERC20(token).safeTransferFrom(msg.sender, to, amount);
        uint256 received = IERC20(token).balanceOf(to) - before;
        // Refreshes the adapter's cached native price too, so these credits are spent at the current price.
        credits = priceAdapter.refreshAndQuoteStablecoin(token, received);
        _creditPurchase(account, credits);
        emit CreditsPurchased(account, msg.sender, token, received, credits);
    }

    // ------------------------------------------------------------------ grants

    /// @inheritdoc ICreditLedger
    function grant(address account, uint256 amount, uint64 expiresAt) external onlyRole(ISSUER_ROLE) {
        _requireNotPaused();
        if (amount == 0) revert CreditLedgerZeroAmount();
        _checkExpiry(expiresAt);
        _useIssuance(msg.sender, amount);
        _ensureAccount(account);
        Credits memory c = _load(account);
        uint256 expired = _sweep(account, c);
        _insertGrant(account, c, amount, expiresAt);
        _store(account, c);
        _issuedRevoked += amount; // issued stays < 2^128 (each grant <= a uint64 cap): no carry into revoked
        _addExpired(expired);
        emit CreditsGranted(account, msg.sender, amount, expiresAt);
    }

    /// @inheritdoc ICreditLedger
    function revokeGrant(
        address account,
        uint64 expiresAt,
        uint256 amount,
        uint32 reason
    ) external onlyRole(ISSUER_ROLE) {
        if (amount == 0) revert CreditLedgerZeroAmount();
        Credits memory c = _load(account);
        uint256 expired = _sweep(account, c);
        (uint256 index, uint256 unheld) = _revocable(account, c, expiresAt);
        if (amount > unheld) revert CreditLedgerGrantTooSmall(account, expiresAt, unheld, amount);
        _takeFromBucket(c, index, amount);
        _store(account, c);
        _issuedRevoked += amount << 128; // revoked <= issued < 2^128: the high half cannot overflow
        _addExpired(expired);
        emit GrantRevoked(account, msg.sender, expiresAt, amount, reason);
    }

    /// @inheritdoc ICreditLedger
    function sweepExpired(address account) external returns (uint256 expired) {
        Credits memory c = _load(account);
        expired = _sweep(account, c);
        if (expired != 0) {
            _store(account, c);
            _addExpired(expired);
        }
    }

    /// @inheritdoc ICreditLedger
    function setIssuerCap(
        address issuer,
        uint64 capPerEpoch,
        uint32 epochLength
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (issuer == address(0)) revert CreditLedgerZeroAddress();
        if (epochLength == 0) revert CreditLedgerZeroEpochLength();
        uint64 carried = _reconfigure(_issuerCaps[issuer], capPerEpoch, epochLength, type(uint32).max);
        emit IssuerCapSet(issuer, capPerEpoch, epochLength, carried);
    }

    /// @inheritdoc ICreditLedger
    function issuerCap(address issuer) external view returns (EpochBudget memory) {
        return _issuerCaps[issuer];
    }

    /// @inheritdoc ICreditLedger
    function remainingIssuance(address issuer) external view returns (uint256) {
        EpochBudget memory b = _issuerCaps[issuer];
        (uint256 used, ) = _usage(b, block.timestamp);
        return _saturatingSub(b.limit, used);
    }

    // ------------------------------------------------------------------ sponsorship

    /// @inheritdoc ICreditLedger
    function setAllowance(
        address beneficiary,
        uint64 perEpoch,
        uint32 epochLength,
        uint64 expiresAt
    ) external {
        if (beneficiary == address(0)) revert CreditLedgerZeroAddress();
        _requireNotRecovered(beneficiary);
        if (perEpoch == 0) revert CreditLedgerZeroAmount();
        if (epochLength == 0) revert CreditLedgerZeroEpochLength();
        _checkExpiry(expiresAt);
        uint64 carried = _reconfigure(
            _allowances[msg.sender][beneficiary],
            perEpoch,
            epochLength,
            uint32(expiresAt) // checked above: expiresAt <= type(uint32).max
        );
        emit AllowanceSet(msg.sender, beneficiary, perEpoch, epochLength, expiresAt, carried);
    }

    /// @inheritdoc ICreditLedger
    function revokeAllowance(address beneficiary) external {
        EpochBudget storage b = _allowances[msg.sender][beneficiary];
        if (b.limit == 0) revert CreditLedgerNoAllowance(msg.sender, beneficiary);
        // Keep `used`, `usedEpoch`, `anchor` and `epochLength`: a later `setAllowance` carries the spending.
        b.limit = 0;
        emit AllowanceRevoked(msg.sender, beneficiary);
    }

    /// @inheritdoc ICreditLedger
    function allowance(address sponsor, address beneficiary) external view returns (EpochBudget memory) {
        return _allowances[sponsor][beneficiary];
    }

    /// @inheritdoc ICreditLedger
    function remainingAllowance(address sponsor, address beneficiary) external view returns (uint256) {
        EpochBudget memory b = _allowances[sponsor][beneficiary];
        if (b.limit == 0 || block.timestamp >= b.expiresAt || _recoveredTo[beneficiary] != address(0))
            return 0;
        (uint256 used, ) = _usage(b, block.timestamp);
        return _saturatingSub(b.limit, used + _allHolds(_allowanceKey(sponsor, beneficiary)));
    }

    // ------------------------------------------------------------------ holds and settlement

    /// @inheritdoc ICreditHolds
    function hold(address account, uint256 amount, uint256 asOf) external returns (uint48 validUntil) {
        address next = _authorizeHold(amount);
        bytes32 key = _creditKey(account);
        (uint256 othersHeld, ) = _otherHolds(next, key, bytes32(0));
        validUntil = _holdCredits(account, key, othersHeld, amount, asOf);
    }

    /// @inheritdoc ICreditHolds
    function holdSponsored(
        address sponsor,
        address beneficiary,
        uint256 amount,
        uint256 asOf
    ) external returns (uint48 validUntil) {
        address next = _authorizeHold(amount);
        _requireNotRecovered(beneficiary);
        EpochBudget memory b = _allowances[sponsor][beneficiary];
        if (b.limit == 0) revert CreditLedgerNoAllowance(sponsor, beneficiary);
        if (asOf >= b.expiresAt) revert CreditLedgerAllowanceExpired(sponsor, beneficiary, b.expiresAt);
        bytes32 creditKey = _creditKey(sponsor);
        bytes32 allowanceKey = _allowanceKey(sponsor, beneficiary);
        (uint256 othersCredit, uint256 othersAllowance) = _otherHolds(next, creditKey, allowanceKey);
        _holdAllowance(b, sponsor, beneficiary, allowanceKey, othersAllowance, amount, asOf);
        validUntil = _holdCredits(sponsor, creditKey, othersCredit, amount, asOf);
        // The allowance is usable while block.timestamp < expiresAt, i.e. up to expiresAt - 1 (expiresAt > asOf).
        if (b.expiresAt - 1 < validUntil) validUntil = b.expiresAt - 1;
    }

    /// @inheritdoc ICreditHolds
    function settle(address account, uint256 held, uint256 charge) external {
        (SpenderInfo storage info, uint256 infoWord) = _authorizeSettle();
        _release(_holdSlot(msg.sender, _creditKey(account)), account, held, charge);
        _spend(info, infoWord, account, account, charge);
    }

    /// @inheritdoc ICreditHolds
    function settleSponsored(address sponsor, address beneficiary, uint256 held, uint256 charge) external {
        (SpenderInfo storage info, uint256 infoWord) = _authorizeSettle();
        _release(_holdSlot(msg.sender, _allowanceKey(sponsor, beneficiary)), sponsor, held, charge);
        _release(_holdSlot(msg.sender, _creditKey(sponsor)), sponsor, held, held);
        if (charge != 0) {
            EpochBudget storage s = _allowances[sponsor][beneficiary];
            EpochBudget memory b = s;
            // A sponsored hold implies the allowance was configured, so epochLength > 0 (revocation keeps it).
            (uint256 used, uint256 epoch) = _usage(b, block.timestamp);
            s.used = uint64(_min(used + charge, UINT64_MAX)); // saturates: settlement never reverts here
            s.usedEpoch = uint32(epoch); // epoch < 2^32 while timestamps fit in uint32 (anchor does)
        }
        _spend(info, infoWord, sponsor, beneficiary, charge);
    }

    /// @inheritdoc ICreditHolds
    function heldCredits(address account) external view returns (uint256) {
        return _allHolds(_creditKey(account));
    }

    /// @inheritdoc ICreditHolds
    function balanceOfCredits(address account) public view returns (uint256) {
        (uint256 purchased, uint256 lo, uint256 hi) = _peek(account);
        return purchased + _liveGranted(lo, hi, block.timestamp);
    }

    /// @inheritdoc ICreditHolds
    function spendableCredits(address account) external view returns (uint256) {
        return _saturatingSub(balanceOfCredits(account), _allHolds(_creditKey(account)));
    }

    // ------------------------------------------------------------------ spenders and pause

    /// @inheritdoc ICreditLedger
    function addSpender(address spender) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (spender == address(0)) revert CreditLedgerZeroAddress();
        if (_spenderInfo[spender].authorized) revert CreditLedgerSpenderAlreadyAdded(spender);
        SpenderRing memory ring = _ring;
        if (ring.count == MAX_SPENDERS) revert CreditLedgerTooManySpenders(MAX_SPENDERS);
        if (ring.head == address(0)) {
            _spenderInfo[spender] = SpenderInfo({
                authorized: true,
                paused: ring.paused,
                next: spender,
                burned: 0
            });
            _ring.head = spender;
        } else {
            SpenderInfo storage head = _spenderInfo[ring.head];
            _spenderInfo[spender] = SpenderInfo({
                authorized: true,
                paused: ring.paused,
                next: head.next,
                burned: 0
            });
            head.next = spender;
        }
        _ring.count = ring.count + 1;
        emit SpenderAdded(spender);
    }

    /// @inheritdoc ICreditLedger
    function removeSpender(address spender) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_spenderInfo[spender].authorized) revert CreditLedgerSpenderNotFound(spender);
        if (_tload(_activeSlot(spender)) != 0) revert CreditLedgerSpenderHasHolds(spender);
        address next = _spenderInfo[spender].next;
        address previous = spender;
        while (_spenderInfo[previous].next != spender) previous = _spenderInfo[previous].next;
        _spenderInfo[previous].next = next;
        // Its burned credits stay counted in the total (charge < 2^80 per settlement: no overflow of 128 bits).
        _burnedExpired += _spenderInfo[spender].burned;
        delete _spenderInfo[spender];
        SpenderRing memory ring = _ring;
        if (ring.head == spender) _ring.head = next == spender ? address(0) : next;
        _ring.count = ring.count - 1;
        emit SpenderRemoved(spender);
    }

    /// @inheritdoc ICreditLedger
    function isSpender(address spender) external view returns (bool) {
        return _spenderInfo[spender].authorized;
    }

    /// @inheritdoc ICreditLedger
    function spenders() external view returns (address[] memory list) {
        SpenderRing memory ring = _ring;
        list = new address[](ring.count);
        address s = ring.head;
        for (uint256 i; i < list.length; ++i) {
            list[i] = s;
            s = _spenderInfo[s].next;
        }
    }

    /// @inheritdoc ICreditLedger
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _setPaused(true);
        emit LedgerPaused(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPaused(false);
        emit LedgerUnpaused(msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function paused() external view returns (bool) {
        return _ring.paused;
    }

    // ------------------------------------------------------------------ recovery

    /// @inheritdoc ICreditLedger
    function initiateRecovery(address from, address to) external {
        if (!hasRole(RECOVERY_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, RECOVERY_ROLE);
        }
        if (to == address(0) || to == from) revert CreditLedgerInvalidRecoveryTarget(from, to);
        if (_ownerOf(_tokenIdOf(from)) == address(0)) revert CreditLedgerNoAccount(from);
        _requireEmpty(to);
        _requireNotRecovered(to);
        uint64 readyAt = SafeCast.toUint64(block.timestamp + _recoveryDelay);
        _recoveries[from] = PendingRecovery({to: to, readyAt: readyAt});
        emit RecoveryInitiated(from, to, readyAt, msg.sender);
    }

    /// @inheritdoc ICreditLedger
    function cancelRecovery() external {
        address to = _recoveries[msg.sender].to;
        if (to == address(0)) revert CreditLedgerNoRecovery(msg.sender);
        delete _recoveries[msg.sender];
        emit RecoveryCancelled(msg.sender, to);
    }

    /// @inheritdoc ICreditLedger
    function executeRecovery(address from) external {
        PendingRecovery memory pending = _recoveries[from];
        if (pending.to == address(0)) revert CreditLedgerNoRecovery(from);
        if (block.timestamp < pending.readyAt) revert CreditLedgerRecoveryNotReady(from, pending.readyAt);
        uint256 held = _allHolds(_creditKey(from));
        if (held != 0) revert CreditLedgerRecoveryBlockedByHolds(from, held);
        _requireEmpty(pending.to);
        _requireNotRecovered(pending.to);
        delete _recoveries[from];
        // Ends every allowance given to `from` (see {ICreditLedger-executeRecovery}).
        _recoveredTo[from] = pending.to;

        Credits memory c = _load(from);
        _addExpired(_sweep(from, c));
        delete _creditWords[from];
        // The target's words are zero (checked above): store against zero originals.
        c.word0 = 0;
        c.word1 = 0;
        _store(pending.to, c);
        _burn(_tokenIdOf(from));
        if (_ownerOf(_tokenIdOf(pending.to)) == address(0)) _openAccount(pending.to);
        emit RecoveryExecuted(from, pending.to, c.purchased, _liveGranted(c.lo, c.hi, 0));
    }

    /// @inheritdoc ICreditLedger
    function setRecoveryDelay(uint32 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRecoveryDelay(delay);
    }

    /// @inheritdoc ICreditLedger
    function recoveryDelay() external view returns (uint32) {
        return _recoveryDelay;
    }

    /// @inheritdoc ICreditLedger
    function pendingRecovery(address from) external view returns (address to, uint64 readyAt) {
        PendingRecovery memory pending = _recoveries[from];
        return (pending.to, pending.readyAt);
    }

    /// @inheritdoc ICreditLedger
    function recoveredTo(address account) external view returns (address) {
        return _recoveredTo[account];
    }

    // ------------------------------------------------------------------ configuration

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

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditLedger
    function creditBreakdown(address account) external view returns (CreditBreakdown memory breakdown) {
        Credits memory c = _load(account);
        breakdown.purchased = c.purchased;
        GrantBucket[] memory grants = new GrantBucket[](MAX_GRANT_BUCKETS);
        uint256 count;
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            (uint256 amount, uint256 expiry) = _bucket(c, i);
            if (amount == 0) break;
            if (expiry <= block.timestamp) {
                breakdown.expiredUnswept += amount;
            } else {
                grants[count++] = GrantBucket(amount, uint64(expiry));
            }
        }
        assembly ("memory-safe") {
            // shrink the array to the live buckets (count <= its allocated length)
            mstore(grants, count)
        }
        breakdown.grants = grants;
        breakdown.held = _allHolds(_creditKey(account));
    }

    /// @inheritdoc ICreditLedger
    function totalIssued() external view returns (uint256) {
        return uint128(_issuedRevoked);
    }

    /// @inheritdoc ICreditLedger
    function totalRevoked() external view returns (uint256) {
        return _issuedRevoked >> 128;
    }

    /// @inheritdoc ICreditLedger
    function totalBurned() external view returns (uint256 burned) {
        burned = uint128(_burnedExpired);
        address head = _ring.head;
        if (head == address(0)) return burned;
        address spender = head;
        do {
            SpenderInfo memory info = _spenderInfo[spender];
            burned += info.burned;
            spender = info.next;
        } while (spender != head);
    }

    /// @inheritdoc ICreditLedger
    function totalExpired() external view returns (uint256) {
        return _burnedExpired >> 128;
    }

    // ------------------------------------------------------------------ internal: holds

    /// @dev Reads the caller's spender info (one SLOAD), rejects a zero hold and returns the next spender of the ring.
    function _authorizeHold(uint256 amount) private view returns (address next) {
        SpenderInfo memory info = _spenderInfo[msg.sender];
        if (!info.authorized) revert CreditLedgerUnauthorizedSpender(msg.sender);
        if (info.paused) revert CreditLedgerPaused();
        if (amount == 0) revert CreditLedgerZeroAmount();
        return info.next;
    }

    /**
     * @dev The caller's spender info, after checking that the caller is a registered spender. Settlement writes the
     *      burned counter in this slot, so the check costs no extra storage access (the slot is warm since `hold`).
     *      The pause flag is not checked: settlement works while paused.
     */
    function _authorizeSettle() private view returns (SpenderInfo storage info, uint256 word) {
        info = _spenderInfo[msg.sender];
        assembly ("memory-safe") {
            // the packed slot, read once: `_spend` writes it back with the new burned counter
            word := sload(info.slot)
        }
        if (uint8(word) == 0) revert CreditLedgerUnauthorizedSpender(msg.sender); // `authorized`: bits 0-7
    }

    /// @dev Reverts when `account` was recovered: allowances given to it ended (see {ICreditLedger-executeRecovery}).
    function _requireNotRecovered(address account) private view {
        address to = _recoveredTo[account];
        if (to != address(0)) revert CreditLedgerAccountRecovered(account, to);
    }

    /**
     * @dev Sums the holds of every spender other than the caller, walking the ring from `next` (the caller's
     *      successor) back to the caller: one SLOAD and one or two TLOADs per other spender, none with one spender.
     */
    function _otherHolds(
        address next,
        bytes32 creditKey,
        bytes32 allowanceKey
    ) private view returns (uint256 credit, uint256 allowanceHeld) {
        address s = next;
        while (s != msg.sender) {
            credit += _tload(_holdSlot(s, creditKey));
            if (allowanceKey != bytes32(0)) allowanceHeld += _tload(_holdSlot(s, allowanceKey));
            s = _spenderInfo[s].next;
        }
    }

    /// @dev Sums the holds of every registered spender under `key` (views, revocation, recovery).
    function _allHolds(bytes32 key) private view returns (uint256 total) {
        address head = _ring.head;
        if (head == address(0)) return 0;
        address s = head;
        do {
            total += _tload(_holdSlot(s, key));
            s = _spenderInfo[s].next;
        } while (s != head);
    }

    /**
     * @dev Adds `amount` to the caller's credit hold on `account` if the credits live at `asOf`, minus every
     *      spender's holds, cover it; returns the time until which the credits relied on stay live.
     */
    function _holdCredits(
        address account,
        bytes32 key,
        uint256 othersHeld,
        uint256 amount,
        uint256 asOf
    ) private returns (uint48 validUntil) {
        bytes32 ownSlot = _holdSlot(msg.sender, key);
        uint256 own = _tload(ownSlot);
        uint256 held = othersHeld + own;
        (uint256 purchased, uint256 lo, uint256 hi) = _peek(account);
        uint256 live = purchased + _liveGranted(lo, hi, asOf);
        uint256 available = _saturatingSub(live, held);
        if (amount > available) revert CreditLedgerInsufficientCredits(account, available, amount);
        validUntil = _validUntil(lo, hi, asOf, live, held + amount);
        _tstore(ownSlot, own + amount);
        _tstore(_activeSlot(msg.sender), 1);
    }

    /// @dev Adds `amount` to the caller's allowance hold if the allowance's epoch at `asOf`, after what was spent
    ///      in it and every spender's holds, has room for it.
    function _holdAllowance(
        EpochBudget memory b,
        address sponsor,
        address beneficiary,
        bytes32 allowanceKey,
        uint256 othersHeld,
        uint256 amount,
        uint256 asOf
    ) private {
        bytes32 ownSlot = _holdSlot(msg.sender, allowanceKey);
        uint256 own = _tload(ownSlot);
        // Spending recorded for asOf's epoch or a later one counts (conservative when asOf lags the real time).
        (uint256 used, ) = _usage(b, asOf);
        uint256 remaining = _saturatingSub(b.limit, used + othersHeld + own);
        if (amount > remaining) revert CreditLedgerAllowanceExceeded(sponsor, beneficiary, remaining, amount);
        _tstore(ownSlot, own + amount);
    }

    /// @dev Decrements the caller's hold at `slot` by `held`, checking `0 < held <= hold` and `charge <= held`.
    function _release(bytes32 slot, address account, uint256 held, uint256 charge) private {
        uint256 current = _tload(slot);
        if (held == 0 || current < held) {
            if (held == 0 || current == 0) revert CreditLedgerNoHold(msg.sender, account);
            revert CreditLedgerHoldTooSmall(account, current, held);
        }
        if (charge > held) revert CreditLedgerChargeExceedsHold(charge, held);
        unchecked {
            _tstore(slot, current - held); // current >= held, checked above
        }
    }

    /**
     * @dev Burns `charge` credits of `account`: the soonest-expiring live grants first, purchased credits last.
     *      Expired buckets are skipped, not swept: settlement runs in `postOp`, where its gas must be small and
     *      constant (sweeping writes the expired total and emits events). They stay accounted as expired-unswept
     *      until the next write of the account or `sweepExpired`. Emits `CreditsSpent` (also for a zero charge).
     *      `info` is the caller's spender info (checked by `_authorizeSettle`), whose burned counter grows.
     */
    function _spend(
        SpenderInfo storage info,
        uint256 infoWord,
        address account,
        address beneficiary,
        uint256 charge
    ) private {
        uint256 fromGrants;
        if (charge != 0) {
            Credits memory c = _load(account);
            uint256 rest = charge;
            if (c.lo != 0) {
                uint256[4] memory b = _unpack(c);
                uint256 kept;
                // Buckets are sorted and compacted: keep expired ones (a prefix) and what is left of live ones.
                for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
                    uint256 bucket = b[i];
                    uint256 amount = uint64(bucket);
                    if (amount == 0) break;
                    if (rest != 0 && uint32(bucket >> 64) > block.timestamp) {
                        uint256 take = amount < rest ? amount : rest;
                        rest -= take;
                        if (take == amount) continue; // emptied: dropped
                        bucket -= take; // lowers the amount field only: take < amount
                    }
                    b[kept++] = bucket;
                }
                for (uint256 i = kept; i < MAX_GRANT_BUCKETS; ++i) b[i] = 0;
                _pack(c, b);
            }
            fromGrants = charge - rest;
            if (rest > c.purchased) {
                // Unreachable when the hold was placed by this ledger and its validUntil was honoured.
                revert CreditLedgerInsufficientCredits(account, c.purchased + fromGrants, charge);
            }
            c.purchased -= rest;
            _store(account, c);
            // Checked: a spender's burned total cannot reach 2^80 credits (1.2e18 stable units) in practice.
            uint256 burned = SafeCast.toUint80((infoWord >> BURNED_SHIFT) + charge);
            assembly ("memory-safe") {
                // write back the slot read by _authorizeSettle with the new `burned` field: no second SLOAD
                sstore(info.slot, or(and(infoWord, BURNED_CLEAR_MASK), shl(BURNED_SHIFT, burned)))
            }
        }
        emit CreditsSpent(account, beneficiary, msg.sender, charge, fromGrants);
    }

    // ------------------------------------------------------------------ internal: credits

    /// @dev Opens `account` if needed, sweeps it and adds `credits` purchased credits.
    function _creditPurchase(address account, uint256 credits) private {
        uint256 minimum = _minPurchase;
        if (credits == 0 || credits < minimum) revert CreditLedgerPurchaseTooSmall(credits, minimum);
        _ensureAccount(account);
        Credits memory c = _load(account);
        uint256 expired = _sweep(account, c);
        c.purchased = _checkedAdd(account, c.purchased, credits);
        _store(account, c);
        _issuedRevoked += credits; // issued stays < 2^128 (each purchase < 2^64): no carry into revoked
        _addExpired(expired);
    }

    /**
     * @dev Index of the (swept) live bucket of `account` expiring at `expiresAt` (MAX_GRANT_BUCKETS if none) and how
     *      much of it may be revoked without taking credits held by any spender in this transaction.
     */
    function _revocable(
        address account,
        Credits memory c,
        uint256 expiresAt
    ) private view returns (uint256 index, uint256 unheld) {
        index = MAX_GRANT_BUCKETS;
        uint256 bucketAmount;
        uint256 live = c.purchased;
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            (uint256 amount, uint256 expiry) = _bucket(c, i);
            live += amount;
            if (amount != 0 && expiry == expiresAt) (index, bucketAmount) = (i, amount);
        }
        if (index < MAX_GRANT_BUCKETS) {
            unheld = _min(bucketAmount, _saturatingSub(live, _allHolds(_creditKey(account))));
        }
    }

    /**
     * @dev Adds a grant to swept buckets: merges into the bucket with the same expiry, or inserts a new bucket in
     *      expiry order (reverting when all 4 are taken).
     */
    function _insertGrant(address account, Credits memory c, uint256 amount, uint256 expiresAt) private pure {
        uint256[4] memory b = _unpack(c);
        uint256 i;
        while (i < MAX_GRANT_BUCKETS && uint64(b[i]) != 0 && uint32(b[i] >> 64) < expiresAt) ++i;
        if (i < MAX_GRANT_BUCKETS && uint64(b[i]) != 0 && uint32(b[i] >> 64) == expiresAt) {
            b[i] = _checkedAdd(account, uint64(b[i]), amount) | (expiresAt << 64);
        } else {
            if (uint64(b[MAX_GRANT_BUCKETS - 1]) != 0) revert CreditLedgerTooManyGrantBuckets(account);
            for (uint256 j = MAX_GRANT_BUCKETS - 1; j > i; --j) b[j] = b[j - 1];
            b[i] = amount | (expiresAt << 64); // amount <= the issuer's cap <= type(uint64).max; expiry < 2^32
        }
        _pack(c, b);
    }

    /// @dev Takes `amount` (at most its content) from bucket `index`, removing the bucket when emptied.
    function _takeFromBucket(Credits memory c, uint256 index, uint256 amount) private pure {
        uint256[4] memory b = _unpack(c);
        b[index] -= amount; // lowers the amount field only: amount <= the bucket's amount
        if (uint64(b[index]) == 0) {
            for (uint256 j = index; j < MAX_GRANT_BUCKETS - 1; ++j) b[j] = b[j + 1];
            b[MAX_GRANT_BUCKETS - 1] = 0;
        }
        _pack(c, b);
    }

    /**
     * @dev Drops the leading buckets that expired (expiry <= now; buckets are sorted, so they are a prefix),
     *      emitting `CreditsExpired` for each. The caller stores `c` and adds the total to expired.
     */
    function _sweep(address account, Credits memory c) private returns (uint256 expired) {
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            uint256 amount = uint64(c.lo);
            uint256 expiry = uint32(c.lo >> 64);
            if (amount == 0 || expiry > block.timestamp) break;
            expired += amount;
            _popFront(c);
            emit CreditsExpired(account, uint64(expiry), amount);
        }
    }

    /// @dev Granted credits live at `time` (expiry > time) in the bucket sequence (lo, hi).
    function _liveGranted(uint256 lo, uint256 hi, uint256 time) private pure returns (uint256 granted) {
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            uint256 amount = uint64(lo);
            if (amount == 0) break;
            if (uint32(lo >> 64) > time) granted += amount;
            (lo, hi) = _shift(lo, hi);
        }
    }

    /**
     * @dev The time until which `need` credits stay covered: drops live buckets (expiry > asOf) from the soonest
     *      while the rest still covers `need`; the first bucket that cannot be dropped bounds the validity (usable
     *      while block.timestamp < expiry, i.e. until expiry - 1). `live` covers `need` on entry.
     */
    function _validUntil(
        uint256 lo,
        uint256 hi,
        uint256 asOf,
        uint256 live,
        uint256 need
    ) private pure returns (uint48) {
        for (uint256 i; i < MAX_GRANT_BUCKETS; ++i) {
            uint256 amount = uint64(lo);
            if (amount == 0) break;
            uint256 expiry = uint32(lo >> 64);
            if (expiry > asOf) {
                if (live - amount < need) return uint48(expiry - 1); // expiry > asOf >= 0 and < 2^32
                live -= amount;
            }
            (lo, hi) = _shift(lo, hi);
        }
        return type(uint48).max;
    }

    /// @dev The bucket sequence (lo, hi) without its first bucket.
    function _shift(uint256 lo, uint256 hi) private pure returns (uint256, uint256) {
        return ((lo >> BUCKET_BITS) | ((hi & BUCKET_MASK) << BUCKET_BITS), hi >> BUCKET_BITS);
    }

    /// @dev Amount and expiry of bucket `i` (zeros for an empty bucket).
    function _bucket(Credits memory c, uint256 i) private pure returns (uint256 amount, uint256 expiry) {
        uint256 b = i < 2 ? c.lo >> (BUCKET_BITS * i) : c.hi >> (BUCKET_BITS * (i - 2));
        return (uint64(b), uint32(b >> 64));
    }

    /// @dev Removes bucket 0, moving the others down.
    function _popFront(Credits memory c) private pure {
        (c.lo, c.hi) = _shift(c.lo, c.hi);
    }

    function _unpack(Credits memory c) private pure returns (uint256[4] memory b) {
        b[0] = c.lo & BUCKET_MASK;
        b[1] = c.lo >> BUCKET_BITS;
        b[2] = c.hi & BUCKET_MASK;
        b[3] = c.hi >> BUCKET_BITS;
    }

    function _pack(Credits memory c, uint256[4] memory b) private pure {
        c.lo = b[0] | (b[1] << BUCKET_BITS);
        c.hi = b[2] | (b[3] << BUCKET_BITS);
    }

    /// @dev Decodes `account`'s credits; word 1 is read only when bucket 1 is used (compaction keeps it zero else).
    function _load(address account) private view returns (Credits memory c) {
        (c.purchased, c.lo, c.hi) = _peek(account);
        c.word0 = c.purchased | (c.lo << 64);
        c.word1 = c.hi;
    }

    /// @dev Reads `account`'s purchased credits and bucket sequence: word 0, and word 1 only when bucket 1 is used
    ///      (compaction keeps word 1 zero otherwise).
    function _peek(address account) private view returns (uint256 purchased, uint256 lo, uint256 hi) {
        uint256[2] storage words = _creditWords[account];
        uint256 w0 = words[0];
        purchased = uint64(w0);
        lo = w0 >> 64;
        if (uint64(w0 >> 160) != 0) hi = words[1];
    }

    /// @dev Writes back the words that changed. purchased < 2^64 and lo, hi < 2^192 (checked on entry).
    function _store(address account, Credits memory c) private {
        uint256[2] storage words = _creditWords[account];
        uint256 w0 = c.purchased | (c.lo << 64);
        if (w0 != c.word0) words[0] = w0;
        if (c.hi != c.word1) words[1] = c.hi;
    }

    /// @dev Reverts unless `to` has no credits at all. Word 0 zero means no purchased credits and no bucket.
    function _requireEmpty(address to) private view {
        if (_creditWords[to][0] != 0) revert CreditLedgerRecoveryTargetNotEmpty(to);
    }

    function _addExpired(uint256 expired) private {
        // expired <= issued < 2^128: the high half cannot overflow
        if (expired != 0) _burnedExpired += expired << 128;
    }

    /// @dev Reverts unless `expiresAt` is in `(now, type(uint32).max]`.
    function _checkExpiry(uint64 expiresAt) private view {
        if (expiresAt <= block.timestamp || expiresAt > UINT32_MAX) {
            revert CreditLedgerInvalidExpiry(expiresAt, block.timestamp);
        }
    }

    function _checkedAdd(address account, uint256 balance, uint256 added) private pure returns (uint256 sum) {
        // balance <= type(uint64).max, so the subtraction cannot underflow
        if (added > UINT64_MAX - balance) revert CreditLedgerBalanceOverflow(account, balance, added);
        sum = balance + added;
    }

    // ------------------------------------------------------------------ internal: budgets

    /**
     * @dev Epoch of `time` under `b` and what counts as used in it. Spending recorded for that epoch or a later one
     *      counts (a later one only appears when `time` lags the real time: counting it is conservative).
     *      An unconfigured budget (`epochLength == 0`) has used nothing.
     */
    function _usage(EpochBudget memory b, uint256 time) private pure returns (uint256 used, uint256 epoch) {
        if (b.epochLength == 0) return (0, 0);
        epoch = time <= b.anchor ? 0 : (time - b.anchor) / b.epochLength;
        used = b.usedEpoch >= epoch ? b.used : 0;
    }

    /// @dev Records `amount` issued by `issuer` in the current epoch, within its cap.
    function _useIssuance(address issuer, uint256 amount) private {
        EpochBudget storage s = _issuerCaps[issuer];
        EpochBudget memory b = s;
        (uint256 used, uint256 epoch) = _usage(b, block.timestamp);
        uint256 remaining = _saturatingSub(b.limit, used);
        if (amount > remaining) revert CreditLedgerIssuerCapExceeded(issuer, remaining, amount);
        s.used = uint64(used + amount); // used + amount <= limit < 2^64
        s.usedEpoch = uint32(epoch); // epoch < 2^32 while timestamps fit in uint32 (anchor does)
    }

    /// @dev Starts a new epoch 0 now with the new settings, carrying what was used in the current epoch.
    function _reconfigure(
        EpochBudget storage s,
        uint64 limit,
        uint32 epochLength,
        uint32 expiresAt
    ) private returns (uint64 carried) {
        (uint256 used, ) = _usage(s, block.timestamp);
        carried = uint64(used); // read from a uint64 field
        s.limit = limit;
        s.used = carried;
        s.epochLength = epochLength;
        s.anchor = SafeCast.toUint32(block.timestamp);
        s.usedEpoch = 0;
        s.expiresAt = expiresAt;
    }

    // ------------------------------------------------------------------ internal: accounts and config

    function _tokenIdOf(address holder) private pure returns (uint256) {
        return uint256(uint160(holder));
    }

    function _ensureAccount(address account) private {
        if (_ownerOf(_tokenIdOf(account)) == address(0)) _openAccount(account);
    }

    /// @dev Mints the locked token of `holder` (reverts with ERC721InvalidReceiver for the zero address).
    function _openAccount(address holder) private {
        uint256 tokenId = _tokenIdOf(holder);
        _mint(holder, tokenId);
        emit Locked(tokenId);
    }

    function _requireNotPaused() private view {
        if (_ring.paused) revert CreditLedgerPaused();
    }

    /// @dev Sets the global flag and mirrors it into every spender's info (at most 4), read by `hold` for free.
    function _setPaused(bool value) private {
        SpenderRing memory ring = _ring;
        if (ring.paused == value) {
            if (value) revert CreditLedgerPaused();
            revert CreditLedgerNotPaused();
        }
        _ring.paused = value;
        for (uint256 i; i < ring.count; ++i) {
            SpenderInfo storage info = _spenderInfo[ring.head];
            info.paused = value;
            ring.head = info.next;
        }
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

    function _setRecoveryDelay(uint32 delay) private {
        _recoveryDelay = delay;
        emit RecoveryDelaySet(delay);
    }

    // ------------------------------------------------------------------ internal: slots and maths

    /// @dev keccak256(abi.encode(account, CREDIT_HOLD_SEED)): the per-account part of a credit-hold slot.
    function _creditKey(address account) private pure returns (bytes32 key) {
        bytes32 seed = CREDIT_HOLD_SEED;
        assembly ("memory-safe") {
            // hash in the scratch space (0x00-0x3f) instead of allocating memory for abi.encode
            mstore(0x00, shr(96, shl(96, account)))
            mstore(0x20, seed)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev keccak256(abi.encode(beneficiary, keccak256(abi.encode(sponsor, ALLOWANCE_HOLD_SEED)))).
    function _allowanceKey(address sponsor, address beneficiary) private pure returns (bytes32 key) {
        bytes32 seed = ALLOWANCE_HOLD_SEED;
        assembly ("memory-safe") {
            // hash in the scratch space (0x00-0x3f) instead of allocating memory for abi.encode
            mstore(0x00, shr(96, shl(96, sponsor)))
            mstore(0x20, seed)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, shr(96, shl(96, beneficiary)))
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev keccak256(abi.encode(spender, key)): preimage starts with the spender (ERC-7562 association).
    function _holdSlot(address spender, bytes32 key) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            // hash in the scratch space (0x00-0x3f) instead of allocating memory for abi.encode
            mstore(0x00, shr(96, shl(96, spender)))
            mstore(0x20, key)
            slot := keccak256(0x00, 0x40)
        }
    }

    /// @dev keccak256(abi.encode(spender, SPENDER_ACTIVE_SEED)): set once `spender` placed a hold in this tx.
    function _activeSlot(address spender) private pure returns (bytes32) {
        return _holdSlot(spender, SPENDER_ACTIVE_SEED);
    }

    function _tload(bytes32 slot) private view returns (uint256 value) {
        assembly ("memory-safe") {
            // transient read: holds are transaction-scoped (EIP-1153)
            value := tload(slot)
        }
    }

    function _tstore(bytes32 slot, uint256 value) private {
        assembly ("memory-safe") {
            // transient write: holds are transaction-scoped (EIP-1153)
            tstore(slot, value)
        }
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _saturatingSub(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : 0;
    }
}
