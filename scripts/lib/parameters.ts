/**
 * Ignition parameter files (`ignition/parameters/<network>.json`): loading, the lookup rule Ignition applies
 * (module → `$global` → the module's default) and validation of the values the deploy script relies on, with
 * messages that name the parameter, the file and the fix.
 */
import { readDeploymentParameters } from "@nomicfoundation/hardhat-ignition/helpers";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { ZeroAddress, getAddress, isAddress } from "ethers";
import path from "node:path";
import { z } from "zod";

import { SYSTEM_DEFAULTS } from "../../ignition/modules/system";

/** The two full-system variants: a fresh DAO (Governor + Timelock) or an existing admin (Timelock, Safe). */
export type Variant = "dao" | "admin";
export const VARIANTS: readonly Variant[] = ["dao", "admin"];

/** Ignition module id of each variant's full-system module. */
export const SYSTEM_MODULE_IDS: Readonly<Record<Variant, "DaoSystem" | "AdminSystem">> = {
  dao: "DaoSystem",
  admin: "AdminSystem",
};

/** `ignition/parameters/<network>.json` under the project root. */
export function parametersFile(root: string, network: string): string {
  return path.join(root, "ignition", "parameters", `${network}.json`);
}

/** A parameter file's shape: module id (or `$global`) → parameter name → value (checked by name below). */
const parameterFileSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

/**
 * Reads a parameter file (JSON5; `"123n"` strings become bigints, as for `hardhat ignition deploy`) and checks its
 * shape; the values the deploy relies on are checked by {@link resolveSystemParameters}.
 */
export async function loadParameters(file: string): Promise<DeploymentParameters> {
  let parameters: unknown;
  try {
    parameters = await readDeploymentParameters(file);
  } catch (error) {
    // Ignition wraps the JSON5 syntax error ("JSON5: invalid end of input at 2:1") or the read error (EISDIR) in
    // `parent`: name that, without a stack.
    const inner = (error as { parent?: unknown }).parent ?? error;
    const what = (inner instanceof Error ? inner.message : String(inner)).split("\n")[0];
    throw new ParameterError([
      `${file}: cannot be read as a JSON5 parameter file (${what}): fix it (see docs/deploy.md)`,
    ]);
  }
  if (!parameterFileSchema.safeParse(parameters).success) {
    throw new ParameterError([
      `${file}: expected an object of module ids (or "$global"), each an object of parameter values ` +
        `(see docs/deploy.md)`,
    ]);
  }
  return parameters as DeploymentParameters;
}

type ParameterValue = DeploymentParameters[string][string];

/** The value Ignition gives parameter `name` of module `moduleId`: the module's own, else `$global`'s. */
export function lookupParameter(
  params: DeploymentParameters,
  moduleId: string,
  name: string,
): ParameterValue | undefined {
  return params[moduleId]?.[name] ?? params.$global?.[name];
}

/** The system parameters the deploy script checks before deploying, with the modules' defaults applied. */
export interface SystemParameters {
  readonly ethUsdFeed: string;
  readonly heartbeat: number;
  readonly minAnswer: bigint;
  readonly maxAnswer: bigint;
  readonly sequencerUptimeFeed: string;
  readonly sequencerGracePeriod: number;
  readonly entryPointV07: string;
  readonly entryPointV08: string;
  readonly paymasterStakeWei: bigint;
  readonly paymasterValueWei: bigint;
  readonly guardian: string;
  /** AdminSystem only. */
  readonly admin?: string;
  /** DaoSystem only (undefined: the deployer). */
  readonly tokenHolder?: string;
}

/** A parameter problem: what is wrong and how to fix it. */
export class ParameterError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid deployment parameters:\n${problems.map((p) => `  ✗ ${p}`).join("\n")}`);
    this.name = "ParameterError";
  }
}

/** Reads, defaults and validates the system parameters of `variant`; throws {@link ParameterError}. */
export function resolveSystemParameters(
  params: DeploymentParameters,
  variant: Variant,
  file: string,
): SystemParameters {
  const systemId = SYSTEM_MODULE_IDS[variant];
  const problems: string[] = [];
  // Names the entry the value came from: the module's own, else `$global`'s (where Ignition found it).
  const where = (moduleId: string, name: string) => {
    const scope =
      params[moduleId]?.[name] === undefined && params.$global?.[name] !== undefined ? "$global" : moduleId;
    return `parameter ${scope}.${name} (in ${file})`;
  };

  const address = (moduleId: string, name: string, fallback?: string, allowZero = false): string => {
    const raw = lookupParameter(params, moduleId, name) ?? fallback;
    if (raw === undefined) {
      problems.push(`${where(moduleId, name)} is missing: set it to an address`);
      return ZeroAddress;
    }
    if (typeof raw !== "string" || !isAddress(raw)) {
      problems.push(`${where(moduleId, name)} is ${JSON.stringify(raw)}, not an address: replace it`);
      return ZeroAddress;
    }
    if (!allowZero && getAddress(raw) === ZeroAddress) {
      problems.push(`${where(moduleId, name)} is the zero address: set a real address`);
    }
    return getAddress(raw);
  };
  const integer = (moduleId: string, name: string, fallback?: number | bigint): bigint => {
    const raw = lookupParameter(params, moduleId, name) ?? fallback;
    if (typeof raw === "bigint") return raw;
    if (typeof raw === "number" && Number.isSafeInteger(raw)) return BigInt(raw);
    if (typeof raw === "string" && /^\d+$/.test(raw)) return BigInt(raw);
    problems.push(
      `${where(moduleId, name)} is ${raw === undefined ? "missing" : JSON.stringify(raw)}: set an integer ` +
        `(large values as a "123n" string)`,
    );
    return 0n;
  };

  const resolved: SystemParameters = {
    ethUsdFeed: address("PriceAdapter", "ethUsdFeed"),
    heartbeat: Number(integer("PriceAdapter", "heartbeat", 3_600)),
    minAnswer: integer("PriceAdapter", "minAnswer"),
    maxAnswer: integer("PriceAdapter", "maxAnswer"),
    sequencerUptimeFeed: address("PriceAdapter", "sequencerUptimeFeed", ZeroAddress, true),
    sequencerGracePeriod: Number(integer("PriceAdapter", "sequencerGracePeriod", 0)),
    entryPointV07: address(systemId, "entryPointV07", SYSTEM_DEFAULTS.entryPointV07),
    entryPointV08: address(systemId, "entryPointV08", SYSTEM_DEFAULTS.entryPointV08),
    paymasterStakeWei: integer(systemId, "paymasterStakeWei", SYSTEM_DEFAULTS.paymasterStakeWei),
    paymasterValueWei: integer(systemId, "paymasterValueWei", SYSTEM_DEFAULTS.paymasterValueWei),
    guardian: address(systemId, "guardian"),
    admin: variant === "admin" ? address(systemId, "admin") : undefined,
    tokenHolder:
      variant === "dao" && lookupParameter(params, "Governance", "tokenHolder") !== undefined
        ? address("Governance", "tokenHolder")
        : undefined,
  };
  if (resolved.paymasterStakeWei > resolved.paymasterValueWei) {
    problems.push(
      `${where(systemId, "paymasterStakeWei")} (${resolved.paymasterStakeWei}) exceeds paymasterValueWei ` +
        `(${resolved.paymasterValueWei}): the value sent to each paymaster pays its stake and its deposit`,
    );
  }
  if (resolved.minAnswer <= 0n || resolved.minAnswer >= resolved.maxAnswer) {
    problems.push(
      `${where("PriceAdapter", "minAnswer")} / maxAnswer must satisfy 0 < minAnswer < maxAnswer (feed decimals)`,
    );
  }
  if (resolved.sequencerUptimeFeed !== ZeroAddress && resolved.sequencerGracePeriod === 0) {
    problems.push(
      `${where("PriceAdapter", "sequencerGracePeriod")} must be > 0 with a sequencer uptime feed`,
    );
  }
  if (problems.length > 0) throw new ParameterError(problems);
  return resolved;
}

/** A copy of `params` with `PriceAdapter.ethUsdFeed` set (local chains: the freshly deployed mock feed). */
export function withEthUsdFeed(params: DeploymentParameters, feed: string): DeploymentParameters {
  return { ...params, PriceAdapter: { ...params.PriceAdapter, ethUsdFeed: feed } };
}
