/**
 * viem `PaymasterActions` for the credit paymaster, usable as `paymaster` of viem's `createBundlerClient` and of
 * permissionless' `createSmartAccountClient`:
 * - {@link createCreditPaymasterClient} builds the paymaster fields locally from chain reads;
 * - {@link createCreditPaymasterServiceClient} asks an ERC-7677 paymaster service (see src/service/) over HTTP.
 * Both refuse, before anything is signed, an operation the paymaster would reject.
 */
import { getAddress, http, numberToHex } from "viem";
import type { Address, Hex, HttpTransportConfig, SignedAuthorization } from "viem";
import { createPaymasterClient } from "viem/account-abstraction";
import type {
  GetPaymasterDataParameters,
  GetPaymasterDataReturnType,
  GetPaymasterStubDataParameters,
  GetPaymasterStubDataReturnType,
  PaymasterActions,
} from "viem/account-abstraction";

import { createCreditsClient } from "./credits";
import type { AnyClient, CreditUserOperation, CreditsClient, PaymasterConfig } from "./credits";
import { DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT, encodePaymasterData, minPostOpGasLimit } from "./encoding";
import type { CreditModeOptions, EntryPointVersion, FloorOperation } from "./encoding";
import { CreditPaymasterRejectedError } from "./rejections";

/** The paymaster gas limits a client puts in operations. */
export interface PaymasterGasLimits {
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
}

/**
 * The paymaster gas limits to use under `config` for an operation whose postOp gas floor is `postOpFloor` (see
 * {@link minPostOpGasLimit}): the default verification limit (or `preferred`) capped by the governance cap, and the
 * postOp limit at the floor (or `preferred`, raised to the floor), capped by the governance cap. At the floor,
 * `postOp` leaves exactly the gas the EntryPoint may bill outside every limit unused: v0.8 charges no penalty on it
 * (under 40,000), v0.7 charges 10% of it.
 */
export function paymasterGasLimits(
  config: PaymasterConfig,
  postOpFloor: bigint,
  preferred: Partial<PaymasterGasLimits> = {},
): PaymasterGasLimits {
  const verification = preferred.paymasterVerificationGasLimit ?? DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT;
  const postOp = preferred.paymasterPostOpGasLimit ?? postOpFloor;
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  return {
    paymasterVerificationGasLimit: min(verification, config.maxPaymasterVerificationGasLimit),
    paymasterPostOpGasLimit: min(max(postOp, postOpFloor), config.maxPaymasterPostOpGasLimit),
  };
}

/** Parameters of {@link createCreditPaymasterClient}: the chain, the paymaster, and who pays. */
export type CreditPaymasterClientParameters = {
  /** A viem client connected to the chain. */
  publicClient: AnyClient;
  /** The credit paymaster (one per EntryPoint version). */
  paymaster: Address;
  /** The ledger, when known: checked against `paymaster.ledger()`. */
  ledger?: Address;
  /** Override the paymaster gas limits (still capped by the paymaster's configuration). */
  gasLimits?: Partial<PaymasterGasLimits>;
  /** Also simulate the paymaster's validation with `eth_call` before returning the final data (default true). */
  simulate?: boolean;
  /** Seconds the cached price must stay valid ahead of the latest block (default 0). */
  validityMargin?: bigint;
} & CreditModeOptions;

/** `PaymasterActions` plus the {@link CreditsClient} they use. */
export type CreditPaymasterActions = PaymasterActions & { credits: CreditsClient };

/** The operation fields of viem's paymaster-action parameters (with an EIP-7702 authorization), as a {@link CreditUserOperation}. */
export function userOperationOf(
  parameters: GetPaymasterStubDataParameters | GetPaymasterDataParameters,
): CreditUserOperation {
  return {
    sender: parameters.sender,
    nonce: parameters.nonce,
    factory: parameters.factory,
    factoryData: parameters.factoryData,
    callData: parameters.callData,
    callGasLimit: parameters.callGasLimit ?? 0n,
    verificationGasLimit: parameters.verificationGasLimit ?? 0n,
    preVerificationGas: parameters.preVerificationGas ?? 0n,
    maxFeePerGas: parameters.maxFeePerGas ?? 0n,
    maxPriorityFeePerGas: parameters.maxPriorityFeePerGas ?? 0n,
    // viem passes an EIP-7702 account's authorization along, though its parameter types omit it.
    authorization: (parameters as { authorization?: SignedAuthorization }).authorization,
  };
}

/** The mode options of `parameters` (they may carry other properties). */
function modeOf(parameters: CreditModeOptions): CreditModeOptions {
  if (parameters.mode === "SELF") return { mode: "SELF", maxCredits: parameters.maxCredits };
  if (parameters.mode === "SPONSORED") {
    return { mode: "SPONSORED", sponsor: getAddress(parameters.sponsor), maxCredits: parameters.maxCredits };
  }
  return {
    mode: "POLICY",
    sponsor: getAddress(parameters.sponsor),
    policyId: parameters.policyId,
    maxCredits: parameters.maxCredits,
    ...(parameters.approval === undefined ? {} : { approval: parameters.approval }),
  };
}

/**
 * `PaymasterActions` that pay through the credit paymaster, built locally from chain reads (no service):
 * `getPaymasterStubData` checks what can be checked before gas estimation (paused, price, allowance, balance) and
 * `getPaymasterData` runs every check of {@link CreditsClient.explainRejection} (and, by default, simulates the
 * paymaster's validation) on the estimated operation. Either throws {@link CreditPaymasterRejectedError}.
 *
 * The stub and final data are identical (same length, same zero bytes, same code path), and the gas limits are
 * fixed, within the paymaster's caps, so the bundler's estimate never overrides them.
 */
export function createCreditPaymasterClient(
  parameters: CreditPaymasterClientParameters,
): CreditPaymasterActions {
  const credits = createCreditsClient({
    publicClient: parameters.publicClient,
    paymaster: parameters.paymaster,
    ...(parameters.ledger === undefined ? {} : { ledger: parameters.ledger }),
  });
  const paymasterData = encodePaymasterData(modeOf(parameters));
  const validityMargin = parameters.validityMargin ?? 0n;

  async function prepare(entryPointAddress: Address, chainId: number, op: FloorOperation) {
    const [addresses, ownChainId, config] = await Promise.all([
      credits.addresses(),
      credits.chainId(),
      credits.paymasterConfig(),
    ]);
    if (getAddress(entryPointAddress) !== addresses.entryPoint) {
      throw new Error(
        `the paymaster ${addresses.paymaster} serves EntryPoint ${addresses.entryPoint}, not ${entryPointAddress}`,
      );
    }
    if (chainId !== ownChainId)
      throw new Error(`the paymaster client is on chain ${ownChainId}, not ${chainId}`);
    const version: EntryPointVersion = addresses.entryPointVersion;
    const floor = minPostOpGasLimit(
      version,
      parameters.mode,
      { ...op, paymasterData },
      config.postOpGasMargin,
    );
    const limits = paymasterGasLimits(config, floor, parameters.gasLimits);
    return { paymaster: addresses.paymaster, paymasterData, ...limits };
  }

  async function getPaymasterStubData(
    stub: GetPaymasterStubDataParameters,
  ): Promise<GetPaymasterStubDataReturnType> {
    const fields = await prepare(stub.entryPointAddress, stub.chainId, stub);
    const reasons = await credits.explainRejection(
      { ...userOperationOf(stub), ...fields },
      { stage: "stub", validityMargin },
    );
    if (reasons.length > 0) throw new CreditPaymasterRejectedError(reasons);
    return { ...fields, isFinal: false };
  }

  async function getPaymasterData(request: GetPaymasterDataParameters): Promise<GetPaymasterDataReturnType> {
    const fields = await prepare(request.entryPointAddress, request.chainId, request);
    const op = { ...userOperationOf(request), ...fields };
    const reasons = await credits.explainRejection(op, { stage: "final", validityMargin });
    if (reasons.length > 0) throw new CreditPaymasterRejectedError(reasons);
    if (parameters.simulate ?? true) {
      const simulation = await credits.simulateValidation(op);
      if (!simulation.ok) throw new CreditPaymasterRejectedError([simulation.reason]);
    }
    return fields;
  }

  return { getPaymasterStubData, getPaymasterData, credits };
}

/**
 * The ERC-7677 `context` the paymaster service expects (JSON: `maxCredits` and `policyId` as hex quantities). Under
 * a sponsor's policy: `{ sponsor, policyId }` (the service signs the approval when the policy names a signer).
 */
export interface CreditPaymasterContext {
  mode: "SELF" | "SPONSORED" | "POLICY";
  sponsor?: Address;
  policyId?: Hex;
  maxCredits?: Hex;
  [key: string]: unknown;
}

/** The ERC-7677 `context` for `options` (pass it as `paymasterContext` to a smart-account client). */
export function creditPaymasterContext(options: CreditModeOptions): CreditPaymasterContext {
  const mode = modeOf(options);
  const context: CreditPaymasterContext = { mode: mode.mode };
  if (mode.mode !== "SELF") context.sponsor = mode.sponsor;
  if (mode.mode === "POLICY") context.policyId = numberToHex(mode.policyId);
  if (mode.maxCredits !== undefined) context.maxCredits = numberToHex(mode.maxCredits);
  return context;
}

/** Parameters of {@link createCreditPaymasterServiceClient}. */
export type CreditPaymasterServiceClientParameters = {
  /** URL of the ERC-7677 paymaster service. */
  url: string;
  /** Options of viem's `http` transport (timeouts, retries, headers...). */
  transport?: HttpTransportConfig;
} & CreditModeOptions;

/**
 * `PaymasterActions` that call an ERC-7677 paymaster service (`pm_getPaymasterStubData`, `pm_getPaymasterData`)
 * through viem's `createPaymasterClient`, always with the context of `mode`/`sponsor`/`policyId`/`maxCredits` (a
 * context given by the caller is ignored): `{ mode: "POLICY", sponsor, policyId }` sponsors the operation under the
 * sponsor's policy, with the service's signed approval. A rejection surfaces as viem's RPC error carrying the
 * service's code and message (and `data.reasons`).
 */
export function createCreditPaymasterServiceClient(
  parameters: CreditPaymasterServiceClientParameters,
): PaymasterActions {
  const client = createPaymasterClient({ transport: http(parameters.url, parameters.transport) });
  const context = creditPaymasterContext(modeOf(parameters));
  return {
    getPaymasterStubData: (stub) => client.getPaymasterStubData({ ...stub, context }),
    getPaymasterData: (request) => client.getPaymasterData({ ...request, context }),
  };
}
