/**
 * `npm run paymaster-service -- [flags]`: the ERC-7677 paymaster service as a process. Flags and environment
 * variables: `--help`, src/service/config.ts and docs/client.md. Stops cleanly on SIGINT/SIGTERM.
 */
import { createPublicClient, http } from "viem";

import { parseServiceSettings, usage } from "./config";
import { toJson } from "./jsonrpc";
import { localPriceKeeperFor } from "./localPrice";
import { startPaymasterService } from "./server";

async function main(): Promise<void> {
  const settings = parseServiceSettings(process.argv.slice(2), process.env);
  if (settings === "help") {
    console.log(usage());
    return;
  }
  const transport = http(settings.rpcUrl, { timeout: 10_000, retryCount: 1 });
  const client = createPublicClient({ transport });
  // Chain 31337: the mock ETH/USD feed and the cached price are renewed whenever found stale (nothing to start).
  const local = await localPriceKeeperFor({ chainId: settings.chainId, transport });
  if (local.problem !== undefined) {
    process.stdout.write(
      `${toJson({ time: new Date().toISOString(), level: "warn", event: "localPriceKeeper", message: local.problem })}\n`,
    );
  }
  const running = await startPaymasterService({
    ...settings,
    client,
    ...(local.keeper === undefined ? {} : { localPriceKeeper: local.keeper }),
  });
  const stop = (signal: NodeJS.Signals) => {
    running.service.log({ level: "info", event: "stopping", signal });
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${toJson({ time: new Date().toISOString(), level: "error", event: "startup", message })}\n`,
  );
  process.stderr.write(`\n${usage()}\n`);
  process.exit(1);
});
