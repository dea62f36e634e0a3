// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Makes Hardhat compile OpenZeppelin's TimelockController (artifact + TypeChain types) so that the deploy
// modules and the tests deploy it exactly as published.
// solhint-disable-next-line no-unused-import
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
