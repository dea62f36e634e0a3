/**
 * The networks the system deploys to, shared by hardhat.config.ts (network entries) and the deploy script
 * (parameter files, messages). Pure data and pure functions: this file must not import "hardhat", because
 * hardhat.config.ts imports it while Hardhat is still loading its configuration.
 */

/** A public network reached through an RPC URL kept in a Hardhat configuration variable. */
export interface LiveNetwork {
  /** Hardhat network name (`--network <name>`) and basename of `ignition/parameters/<name>.json`. */
  readonly name: string;
  readonly chainId: number;
  readonly label: string;
  /** Configuration variable holding the RPC URL (`npx hardhat vars set <rpcVar>`). */
  readonly rpcVar: string;
  /** Whether the chain is an L2 whose price reads must check a sequencer uptime feed. */
  readonly l2: boolean;
  readonly testnet: boolean;
  /** Block explorer base URL, for the addresses printed after a deployment. */
  readonly explorer: string;
}

/** Configuration variable holding the deployer's private key on every live network. */
export const DEPLOYER_KEY_VAR = "DEPLOYER_PRIVATE_KEY";

/** Environment variable overriding the `localhost` network's URL (e.g. a `hardhat node` on another port). */
export const LOCALHOST_URL_ENV = "LOCALHOST_RPC_URL";
export const DEFAULT_LOCALHOST_URL = "http://127.0.0.1:8545";

/** Networks whose EntryPoints and ETH/USD feed the deploy script creates itself (chain id 31337). */
export const LOCAL_NETWORKS: readonly string[] = ["hardhat", "localhost"];

export const LIVE_NETWORKS: readonly LiveNetwork[] = [
  {
    name: "mainnet",
    chainId: 1,
    label: "Ethereum",
    rpcVar: "MAINNET_RPC_URL",
    l2: false,
    testnet: false,
    explorer: "https://etherscan.io",
  },
  {
    name: "sepolia",
    chainId: 11_155_111,
    label: "Ethereum Sepolia",
    rpcVar: "SEPOLIA_RPC_URL",
    l2: false,
    testnet: true,
    explorer: "https://sepolia.etherscan.io",
  },
  {
    name: "base",
    chainId: 8453,
    label: "Base",
    rpcVar: "BASE_RPC_URL",
    l2: true,
    testnet: false,
    explorer: "https://basescan.org",
  },
  {
    name: "baseSepolia",
    chainId: 84_532,
    label: "Base Sepolia",
    rpcVar: "BASE_SEPOLIA_RPC_URL",
    l2: true,
    testnet: true,
    explorer: "https://sepolia.basescan.org",
  },
  {
    name: "arbitrum",
    chainId: 42_161,
    label: "Arbitrum One",
    rpcVar: "ARBITRUM_RPC_URL",
    l2: true,
    testnet: false,
    explorer: "https://arbiscan.io",
  },
  {
    name: "arbitrumSepolia",
    chainId: 421_614,
    label: "Arbitrum Sepolia",
    rpcVar: "ARBITRUM_SEPOLIA_RPC_URL",
    l2: true,
    testnet: true,
    explorer: "https://sepolia.arbiscan.io",
  },
  {
    name: "optimism",
    chainId: 10,
    label: "OP Mainnet",
    rpcVar: "OPTIMISM_RPC_URL",
    l2: true,
    testnet: false,
    explorer: "https://optimistic.etherscan.io",
  },
  {
    name: "optimismSepolia",
    chainId: 11_155_420,
    label: "OP Sepolia",
    rpcVar: "OPTIMISM_SEPOLIA_RPC_URL",
    l2: true,
    testnet: true,
    explorer: "https://sepolia-optimism.etherscan.io",
  },
];

/** The live network called `name`, or undefined for local and unknown networks. */
export function liveNetwork(name: string): LiveNetwork | undefined {
  return LIVE_NETWORKS.find((n) => n.name === name);
}

/** `vars.has` / `vars.get` of Hardhat, passed in so that this file stays free of Hardhat imports. */
export interface ConfigVariables {
  has(name: string): boolean;
  get(name: string, defaultValue?: string): string;
}

/** An HTTP network entry of the Hardhat configuration. */
export interface LiveNetworkConfig {
  url: string;
  chainId: number;
  accounts: string[];
}

/**
 * The message shown when a configuration variable is missing: which one, and the command that sets it.
 * @param purpose what the variable is, e.g. "the RPC URL of Base Sepolia".
 */
export function missingVariableMessage(variable: string, purpose: string, network: string): string {
  return (
    `Network "${network}" needs ${purpose} in the Hardhat configuration variable ${variable}, which is not set.\n` +
    `  Set it with:  npx hardhat vars set ${variable}\n` +
    `  (or export HARDHAT_VAR_${variable}=… for a single shell; \`npx hardhat vars list\` shows what is set)`
  );
}

/**
 * One Hardhat network entry per live network. Variables are only checked, never required, here: a missing
 * RPC URL yields a placeholder URL, and the error comes from {@link checkNetworkVariables} when (and only when)
 * that network is selected, so `hardhat test` and `--network localhost` work with no variable set.
 */
export function liveNetworksConfig(vars: ConfigVariables): Record<string, LiveNetworkConfig> {
  const accounts = vars.has(DEPLOYER_KEY_VAR) ? [vars.get(DEPLOYER_KEY_VAR)] : [];
  const entries = LIVE_NETWORKS.map((n): [string, LiveNetworkConfig] => [
    n.name,
    {
      url: vars.has(n.rpcVar) ? vars.get(n.rpcVar) : `http://${n.rpcVar.toLowerCase()}.unset.invalid`,
      chainId: n.chainId,
      accounts,
    },
  ]);
  return Object.fromEntries(entries);
}

/**
 * The message for the first missing variable that `network` cannot work without (its RPC URL), or null.
 * The deployer key is optional for read-only use; the deploy script checks it separately
 * ({@link deployerKeyMessage}).
 */
export function checkNetworkVariables(network: string, vars: Pick<ConfigVariables, "has">): string | null {
  const live = liveNetwork(network);
  if (live === undefined || vars.has(live.rpcVar)) return null;
  return missingVariableMessage(live.rpcVar, `the RPC URL of ${live.label}`, network);
}

/** The message for a live network used without a deployer key. */
export function deployerKeyMessage(network: string): string {
  return missingVariableMessage(DEPLOYER_KEY_VAR, "the deployer's private key (hex, 0x-prefixed)", network);
}
