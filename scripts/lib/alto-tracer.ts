/**
 * alto's own ERC-7562 validation, without its `SafeValidator` glue: the `bundlerCollectorTracer`, its
 * `debug_traceCall` helper, the `tracerResultParserV07` and the simulation contracts, all loaded from the installed
 * `@pimlico/alto` package (its ESM files, by path: the package exports only its entry point), applied to the same
 * simulation `SafeValidator.getValidationResultWithTracerV07` makes, with EntryPoint's `DelegateAndRevert` unwrapped
 * (src/erc7562/alto.ts). Nothing of alto is copied or patched.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, zeroAddress } from "viem";
import type { Abi, Address, Hex, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { simulationResultData } from "../../src/erc7562/alto";
import type { TracerCallEntry } from "../../src/erc7562/alto";

/** An unpacked v0.7/v0.8 UserOperation as alto handles it (viem's shape, `null` for absent optional parts). */
export interface AltoUserOperation {
  sender: Address;
  nonce: bigint;
  factory: Address | null;
  factoryData: Hex | null;
  callData: Hex;
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  paymaster: Address | null;
  paymasterVerificationGasLimit: bigint | null;
  paymasterPostOpGasLimit: bigint | null;
  paymasterData: Hex | null;
  signature: Hex;
  /** An EIP-7702 sender's authorization (its first operation): alto's state override gives the sender its code. */
  eip7702Auth?: { address: Address; chainId: number; nonce: number; r: Hex; s: Hex; yParity: number };
}

/** `bundlerCollectorTracer`'s result (the parts read here; alto's parser reads the rest). */
export interface BundlerTracerResult {
  calls: TracerCallEntry[];
  callsFromEntryPoint: unknown[];
  keccak: string[];
  logs: unknown[];
  debug: unknown[];
}

/** Stake of an entity as `ValidationResult` reports it. */
export interface StakeInfo {
  stake: bigint;
  unstakeDelaySec: bigint;
}

/** `IEntryPointSimulations.ValidationResult`, decoded with alto's `pimlicoSimulationsAbi`. */
export interface ValidationResult {
  returnInfo: {
    preOpGas: bigint;
    prefund: bigint;
    accountValidationData: bigint;
    paymasterValidationData: bigint;
    paymasterContext: Hex;
  };
  senderInfo: StakeInfo;
  factoryInfo: StakeInfo;
  paymasterInfo: StakeInfo;
  aggregatorInfo: { aggregator: Address; stakeInfo: StakeInfo };
}

/** The validity and signature verdicts `SafeValidator` derives from the validation data (alto's own code). */
export interface MergedValidationData {
  accountSigFailed: boolean;
  paymasterSigFailed: boolean;
  validAfter: number;
  validUntil: number;
}

/** The parts of alto used here, as loaded from the package. */
export interface AltoModules {
  /** The installed package's version. */
  readonly version: string;
  readonly root: string;
  readonly bundlerCollectorTracer: () => unknown;
  readonly debugTraceCall: (
    client: PublicClient,
    tx: { from: Address; to: Address; data: Hex },
    options: { tracer: () => unknown; stateOverrides: Record<string, unknown> },
  ) => Promise<BundlerTracerResult>;
  /** The tracer source alto sends to the node (the body of `bundlerCollectorTracer`). */
  readonly tracerSource: string;
  readonly tracerResultParserV07: (
    userOp: AltoUserOperation,
    tracerResult: BundlerTracerResult,
    validationResult: unknown,
    entryPoint: string,
  ) => [string[], Record<string, unknown>];
  readonly pimlicoSimulationsAbi: Abi;
  readonly entryPointV07Abi: Abi;
  readonly toPackedUserOp: (op: AltoUserOperation) => unknown;
  readonly getAuthorizationStateOverrides: (args: {
    userOps: AltoUserOperation[];
  }) => Record<string, unknown>;
  readonly mergeValidationDataValues: (account: bigint, paymaster: bigint) => MergedValidationData;
  readonly deploySimulationsContract: (args: {
    logger: { error(message: string): void; info(message: string): void };
    args: { utilityPrivateKey: unknown; deterministicDeployerAddress: Address; rpcUrl: string };
    publicClient: PublicClient;
  }) => Promise<AltoSimulationContracts>;
}

/** Addresses of alto's simulation contracts (deployed through the CREATE2 deployer, salt = keccak(utility)). */
export interface AltoSimulationContracts {
  pimlicoSimulationContract: Address;
  entrypointSimulationContractV7: Address;
  entrypointSimulationContractV8: Address;
  entrypointSimulationContractV9: Address;
}

/** A real dynamic `import()`: TypeScript compiles `import()` to `require()` under CommonJS, and alto is ESM only. */
const importEsm = new Function("url", "return import(url)") as (
  url: string,
) => Promise<Record<string, unknown>>;

function member<T>(module: Record<string, unknown>, name: string, file: string): T {
  if (!(name in module)) throw new Error(`@pimlico/alto: ${file} has no export ${name}`);
  return module[name] as T;
}

/** Loads the parts of the installed `@pimlico/alto` this check uses. */
export async function loadAlto(): Promise<AltoModules> {
  // The package's entry point is esm/index.js; its other files are not exported, so they are imported by path.
  const esm = path.dirname(require.resolve("@pimlico/alto"));
  const root = path.dirname(esm);
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string })
    .version;
  const load = (file: string) => importEsm(pathToFileURL(path.join(esm, file)).href);
  const files = {
    tracer: "rpc/validation/tracer.js",
    collector: "rpc/validation/BundlerCollectorTracerV07.js",
    parser: "rpc/validation/TracerResultParserV07.js",
    unsafe: "rpc/validation/UnsafeValidator.js",
    types: "types/index.js",
    utils: "utils/index.js",
    deploy: "cli/deploySimulationsContract.js",
  } as const;
  const [tracer, collector, parser, unsafe, types, utils, deploy] = await Promise.all(
    Object.values(files).map(load),
  );
  const getTracerBodyString = member<(f: () => unknown) => string>(
    tracer,
    "getTracerBodyString",
    files.tracer,
  );
  const bundlerCollectorTracer = member<() => unknown>(collector, "bundlerCollectorTracer", files.collector);
  // SafeValidator's validity checks use UnsafeValidator's own methods, which read nothing from `this` but each other.
  const unsafePrototype = member<{ prototype: Record<string, unknown> }>(
    unsafe,
    "UnsafeValidator",
    files.unsafe,
  ).prototype as {
    mergeValidationDataValues(this: unknown, a: bigint, b: bigint): MergedValidationData;
  };
  return {
    version,
    root,
    bundlerCollectorTracer,
    debugTraceCall: member(tracer, "debug_traceCall", files.tracer),
    tracerSource: getTracerBodyString(bundlerCollectorTracer),
    tracerResultParserV07: member(parser, "tracerResultParserV07", files.parser),
    pimlicoSimulationsAbi: member(types, "pimlicoSimulationsAbi", files.types),
    entryPointV07Abi: member(types, "EntryPointV07Abi", files.types),
    toPackedUserOp: member(utils, "toPackedUserOp", files.utils),
    getAuthorizationStateOverrides: member(utils, "getAuthorizationStateOverrides", files.utils),
    mergeValidationDataValues: (a, b) =>
      unsafePrototype.mergeValidationDataValues.call(unsafePrototype, a, b),
    deploySimulationsContract: member(deploy, "deploySimulationsContract", files.deploy),
  };
}

/** The deterministic CREATE2 deployer alto deploys its simulation contracts through (anvil has it at genesis). */
export const CREATE2_DEPLOYER: Address = "0x4e59b44847b379578588920ca78fbf26c0b4956c";

/**
 * Deploys alto's simulation contracts as `alto` does at start (its own `deploySimulationsContract`, through the
 * CREATE2 deployer, salt `keccak256(utility address)`), from the funded `utilityPrivateKey`.
 */
export async function deployAltoSimulations(
  alto: AltoModules,
  publicClient: PublicClient,
  rpcUrl: string,
  utilityPrivateKey: Hex,
): Promise<AltoSimulationContracts> {
  const errors: string[] = [];
  const contracts = await alto.deploySimulationsContract({
    logger: { error: (message) => errors.push(message), info: () => undefined },
    args: {
      utilityPrivateKey: privateKeyToAccount(utilityPrivateKey),
      deterministicDeployerAddress: CREATE2_DEPLOYER,
      rpcUrl,
    },
    publicClient,
  });
  for (const [name, address] of Object.entries(contracts)) {
    if (name === "entrypointSimulationContractV9") continue; // not used: EntryPoint v0.9 is not served here
    const code = await publicClient.getCode({ address });
    if (code === undefined || code === "0x") {
      throw new Error(`alto's ${name} was not deployed (${errors.join("; ") || "no error logged"})`);
    }
  }
  return contracts;
}

/** What alto's validation said about one operation. */
export type AltoValidation =
  | {
      readonly verdict: "accepted";
      readonly validationResult: ValidationResult;
      readonly merged: MergedValidationData;
      readonly tracerResult: BundlerTracerResult;
    }
  | {
      readonly verdict: "rejected";
      /** "simulation": the operation failed validation itself (e.g. FailedOp); "rules": alto's parser threw. */
      readonly stage: "simulation" | "validity" | "rules";
      readonly message: string;
      readonly validationResult?: ValidationResult;
      readonly tracerResult: BundlerTracerResult;
    };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs alto's safe-mode validation of `userOp` against the node behind `publicClient`, as
 * `SafeValidator.getValidationResultWithTracerV07` does (no queued operations):
 *
 * 1. `debug_traceCall` from the zero address to `PimlicoSimulations.simulateValidation(entryPointSimulations,
 *    entryPoint, [], packedUserOp)` with `bundlerCollectorTracer` and the EIP-7702 authorization state overrides
 *    (none for a non-7702 sender), through alto's own `debug_traceCall` helper;
 * 2. the result is the last frame exit the tracer records, the EntryPoint's `DelegateAndRevert(success, ret)`:
 *    unwrapped here (alto 0.0.20 does not), then `ret` is decoded as `simulateValidation`'s return value with
 *    alto's `pimlicoSimulationsAbi` (success) or as an EntryPoint error (`FailedOp`…);
 * 3. alto's signature and validity checks (its `mergeValidationDataValues`, its margins: valid from 5 s ago, for 30 s
 *    more), then alto's `tracerResultParserV07(userOp, tracerResult, validationResult, entryPoint)`, which throws
 *    on the first rule it finds broken.
 * @param nowSeconds the time to check validity against (alto uses the wall clock; anvil's blocks follow it).
 */
export async function altoValidate(
  alto: AltoModules,
  publicClient: PublicClient,
  simulations: AltoSimulationContracts,
  entryPointVersion: "0.7" | "0.8",
  entryPoint: Address,
  userOp: AltoUserOperation,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<AltoValidation> {
  const entryPointSimulations =
    entryPointVersion === "0.8"
      ? simulations.entrypointSimulationContractV8
      : simulations.entrypointSimulationContractV7;
  const data = encodeFunctionData({
    abi: alto.pimlicoSimulationsAbi,
    functionName: "simulateValidation",
    args: [entryPointSimulations, entryPoint, [], alto.toPackedUserOp(userOp)],
  });
  const tracerResult = await alto.debugTraceCall(
    publicClient,
    { from: zeroAddress, to: simulations.pimlicoSimulationContract, data },
    {
      tracer: alto.bundlerCollectorTracer,
      stateOverrides: alto.getAuthorizationStateOverrides({ userOps: [userOp] }),
    },
  );
  if (tracerResult === undefined || !Array.isArray(tracerResult.calls)) {
    throw new Error(`debug_traceCall with bundlerCollectorTracer returned no result`);
  }
  const outcome = simulationResultData(tracerResult.calls);
  if (outcome.kind === "revert") {
    let message: string;
    try {
      const { errorName, args } = decodeErrorResult({ abi: alto.entryPointV07Abi, data: outcome.data });
      message = `${errorName}(${(args ?? []).map(String).join(", ")})`;
    } catch {
      message = outcome.data;
    }
    // The same simulation without a tracer: a failure that only happens under the tracer is the tracer's doing.
    const untraced = await publicClient
      .call({ account: zeroAddress, to: simulations.pimlicoSimulationContract, data })
      .then(
        () => "succeeds",
        (error: unknown) => `fails too (${errorMessage(error).split("\n")[0]})`,
      );
    return {
      verdict: "rejected",
      stage: "simulation",
      message: `${message}; without the tracer (eth_call) the same simulation ${untraced}`,
      tracerResult,
    };
  }
  const validationResult = decodeFunctionResult({
    abi: alto.pimlicoSimulationsAbi,
    functionName: "simulateValidation",
    data: outcome.data,
  }) as unknown as ValidationResult;

  const merged = alto.mergeValidationDataValues(
    validationResult.returnInfo.accountValidationData,
    validationResult.returnInfo.paymasterValidationData,
  );
  const validity = (message: string): AltoValidation => ({
    verdict: "rejected",
    stage: "validity",
    message,
    validationResult,
    tracerResult,
  });
  if (merged.accountSigFailed) return validity("Invalid UserOp signature");
  if (merged.paymasterSigFailed) return validity("Invalid UserOp paymasterData");
  if (merged.validAfter > nowSeconds - 5) return validity(`not valid yet, validAfter=${merged.validAfter}`);
  if (merged.validUntil < nowSeconds + 30)
    return validity(`expires too soon, validUntil=${merged.validUntil}`);

  // The shape SafeValidator hands the parser: stake infos with the entity's address, absent entities undefined.
  const res = {
    returnInfo: { ...validationResult.returnInfo, ...merged },
    senderInfo: { ...validationResult.senderInfo, addr: userOp.sender },
    factoryInfo: userOp.factory ? { ...validationResult.factoryInfo, addr: userOp.factory } : undefined,
    paymasterInfo: userOp.paymaster
      ? { ...validationResult.paymasterInfo, addr: userOp.paymaster }
      : undefined,
    aggregatorInfo: validationResult.aggregatorInfo,
    storageMap: {},
  };
  try {
    alto.tracerResultParserV07(userOp, tracerResult, res, entryPoint.toLowerCase());
  } catch (error) {
    return {
      verdict: "rejected",
      stage: "rules",
      message: errorMessage(error),
      validationResult,
      tracerResult,
    };
  }
  return { verdict: "accepted", validationResult, merged, tracerResult };
}
