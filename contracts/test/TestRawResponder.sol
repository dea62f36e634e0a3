// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title TestRawResponder
 * @notice Test-only stand-in for the paymaster's price adapter or ledger: answers a call with the raw bytes set for
 *         its selector (returned or reverted) — short, malformed, oversized or extra return data that the paymaster's
 *         hand-written assembly calls must refuse or ignore — and records the call data of the selectors set to be
 *         recorded (only non-static calls can be: `cachedPrice` is a STATICCALL).
 */
contract TestRawResponder {
    struct Response {
        bytes data;
        bool reverts;
        bool record;
    }

    mapping(bytes4 selector => Response) private _responses;
    /// @notice The call data of the last recorded call of each selector.
    mapping(bytes4 selector => bytes data) public lastCall;

    /// @notice Calls of `selector` get `data`, as return data or, with `reverts`, as revert data; with `record`,
    ///         their call data is kept in `lastCall`.
    function setResponse(bytes4 selector, bytes calldata data, bool reverts, bool record) external {
        _responses[selector] = Response(data, reverts, record);
    }

    // solhint-disable-next-line no-complex-fallback
    fallback(bytes calldata input) external payable returns (bytes memory) {
        Response storage r = _responses[msg.sig];
        if (r.record) lastCall[msg.sig] = input;
        bytes memory out = r.data;
        if (r.reverts) {
            assembly ("memory-safe") {
                revert(add(out, 0x20), mload(out))
            }
        }
        return out;
    }
}
