// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Imported only so that Hardhat compiles the EntryPoint v0.8 reference sources and TypeChain emits typed
// handles for them. Tests DEPLOY from the packages' prebuilt artifacts (test/helpers/entrypoint.ts) so that
// the EntryPoints land at their canonical CREATE2 addresses.
/* solhint-disable no-unused-import */
import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {SimpleAccount} from "@account-abstraction/contracts/accounts/SimpleAccount.sol";
import {SimpleAccountFactory} from "@account-abstraction/contracts/accounts/SimpleAccountFactory.sol";
import {Simple7702Account} from "@account-abstraction/contracts/accounts/Simple7702Account.sol";
/* solhint-enable no-unused-import */
