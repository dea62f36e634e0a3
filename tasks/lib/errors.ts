import { HardhatPluginError } from "hardhat/plugins";

/** The plugin name Hardhat prints in front of the tasks' errors ("Error in plugin compute-credits: …"). */
export const PLUGIN_NAME = "compute-credits";

/** An operator-facing task error: Hardhat prints its message without a stack trace. */
export function taskError(message: string, parent?: Error): HardhatPluginError {
  return new HardhatPluginError(PLUGIN_NAME, message, parent);
}

/**
 * The error for a bad argument value: names the flag, quotes the value and states the expected form, e.g.
 * `Invalid --amount "1.2345678": expected credits as a decimal number with at most 6 decimals, such as "12.5"`.
 */
export function argumentError(flag: string, value: string, expected: string): HardhatPluginError {
  return taskError(`Invalid --${flag} "${value}": ${expected}`);
}
