/**
 * Failures of the `hardhat run` scripts (deploy, demo) as an operator reads them. `hardhat run` runs a script in a
 * child process, outside the CLI's operator-error handling (tasks/lib/cli-errors.ts), so each script prints its
 * own: a node that does not answer (HH108) as the URL tried and how to start one, any other Hardhat or plugin error
 * (Ignition's included) as its message; only an unexpected error (a bug) keeps its stack.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { isOperatorError, unreachableNetworkMessage } from "../../tasks/lib/cli-errors";

/** What went wrong, in words; undefined for an unexpected error (print it with its stack). */
export function scriptFailureMessage(
  hre: Pick<HardhatRuntimeEnvironment, "network">,
  error: unknown,
): { message: string; unreachable: boolean } | undefined {
  const url = (hre.network.config as { url?: string }).url;
  const unreachable = unreachableNetworkMessage(error, hre.network.name, url);
  if (unreachable !== undefined) return { message: unreachable, unreachable: true };
  if (isOperatorError(error)) return { message: error.message, unreachable: false };
  return undefined;
}
