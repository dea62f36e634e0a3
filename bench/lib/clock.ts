import type { EthereumProvider, RequestArguments } from "hardhat/types";

/** JSON-RPC methods that mine a block on the automining Hardhat network. */
const MINING_METHODS: ReadonlySet<string> = new Set(["eth_sendTransaction", "eth_sendRawTransaction"]);

/**
 * Makes block timestamps independent of the wall clock: before every transaction sent through `provider`, sets
 * the next block's timestamp to `start`, `start + step`, `start + 2 × step`, … With automining (one block per
 * transaction) every run of the same sequence of transactions then sees the same timestamps, so that no branch
 * that depends on time (price age, epochs) can differ between runs.
 *
 * Wraps `provider.send` and `provider.request` (hardhat-ethers calls the former, other plugins the latter).
 * `start` must be later than the timestamp of the latest block.
 */
export function installDeterministicClock(provider: EthereumProvider, start: number, step: number): void {
  const send = provider.send.bind(provider);
  const request = provider.request.bind(provider);
  let next = start;
  const advance = async (): Promise<void> => {
    await request({ method: "evm_setNextBlockTimestamp", params: [next] });
    next += step;
  };
  provider.send = async (method: string, params?: unknown[]) => {
    if (MINING_METHODS.has(method)) await advance();
    return send(method, params);
  };
  provider.request = async (args: RequestArguments) => {
    if (MINING_METHODS.has(args.method)) await advance();
    return request(args);
  };
}
