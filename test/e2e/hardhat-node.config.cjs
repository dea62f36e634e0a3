// Hardhat configuration of the end-to-end run's `hardhat node` only (no Solidity, no TypeScript: it starts fast).
// The contracts are compiled by the project's hardhat.config.ts and deployed over JSON-RPC by scripts/lib/deploy-node.ts.
/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      // Prague rather than Hardhat 2.29's default Osaka: Osaka's EIP-7825 caps a transaction at 16,777,216 gas,
      // below alto's default --max-gas-per-bundle (20M).
      hardfork: process.env.HH_HARDFORK ?? "prague",
      mining: { auto: true, interval: 0 },
    },
  },
};
