import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";

import type { System } from "./system";

/** What a task returned and printed. */
export interface TaskRun<T> {
  result: T;
  /** The lines it printed, one entry per console.log call. */
  lines: string[];
}

/** Runs a task in-process (`hre.run`), capturing what it prints. */
export async function runTask<T>(name: string, args: Record<string, unknown> = {}): Promise<TaskRun<T>> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(" "));
  };
  try {
    const result = (await hre.run(name, args)) as T;
    return { result, lines };
  } finally {
    console.log = original;
  }
}

/**
 * Runs a task that must fail with a task error (HardhatPluginError of the compute-credits plugin); returns its
 * message and the lines printed before the failure.
 */
export async function taskFailure(
  name: string,
  args: Record<string, unknown> = {},
): Promise<{ message: string; lines: string[] }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(" "));
  };
  try {
    await hre.run(name, args);
  } catch (err) {
    expect(HardhatPluginError.isHardhatPluginError(err), `not a task error: ${String(err)}`).to.equal(true);
    expect((err as HardhatPluginError).pluginName).to.equal("compute-credits");
    return { message: (err as Error).message, lines };
  } finally {
    console.log = original;
  }
  throw new Error(`task ${name} succeeded; expected it to fail`);
}

/** Expects `task` to fail with exactly `message`. */
export async function expectTaskError(
  name: string,
  args: Record<string, unknown>,
  message: string,
): Promise<void> {
  expect((await taskFailure(name, args)).message).to.equal(message);
}

/** The address flags of a test system (so that no Ignition deployment is needed). */
export async function systemFlags(
  sys: System,
): Promise<{ ledger: string; paymaster: string; adapter: string }> {
  return {
    ledger: await sys.ledger.getAddress(),
    paymaster: await sys.paymaster.getAddress(),
    adapter: await sys.adapter.getAddress(),
  };
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
}

/** `address` with the case of its first hex letter flipped: a mixed-case address with a wrong EIP-55 checksum. */
export function withBadChecksum(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address.charAt(i);
  const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
  return address.slice(0, i) + flipped + address.slice(i + 1);
}
