// Registers every operator task with Hardhat (imported once by hardhat.config.ts).
import "./erc7562";
import "./credits";
import "./paymaster";
import "./price";
import "./governance";
import "./policy";
import "./proposals";
import "./usage";
import "./dashboard";
