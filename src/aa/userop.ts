/**
 * ERC-4337 v0.7/v0.8 PackedUserOperation helpers: build, pack, hash, sign (SimpleAccount), encode
 * `execute`, and send `handleOps` with the EntryPoint's events parsed.
 */
import {
  TypedDataEncoder,
  concat,
  dataLength,
  dataSlice,
  getAddress,
  getBytes,
  toBeHex,
  zeroPadValue,
} from "ethers";
import type {
  Authorization,
  ContractTransactionReceipt,
  Log,
  Signer,
  TypedDataDomain,
  TypedDataField,
} from "ethers";

import { requiredPrefund as clientRequiredPrefund } from "../client";
import { SimpleAccount__factory } from "../../typechain-types";
import type { EntryPointCommon, EntryPointVersion } from "./entrypoint";

/** A v0.7/v0.8 PackedUserOperation with concrete field types (assignable to TypeChain's struct type). */
export interface PackedUserOperation {
  sender: string;
  nonce: bigint;
  initCode: string;
  callData: string;
  /** `verificationGasLimit << 128 | callGasLimit`, as bytes32. */
  accountGasLimits: string;
  preVerificationGas: bigint;
  /** `maxPriorityFeePerGas << 128 | maxFeePerGas`, as bytes32. */
  gasFees: string;
  paymasterAndData: string;
  signature: string;
}

/** Unpacked gas fields; every field of {@link UserOpParams} except `sender` is optional. */
export interface UserOpParams {
  sender: string;
  nonce?: bigint;
  initCode?: string;
  callData?: string;
  verificationGasLimit?: bigint;
  callGasLimit?: bigint;
  preVerificationGas?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  paymasterAndData?: string;
  signature?: string;
}

/**
 * Defaults of {@link buildUserOp}: enough verification gas to deploy a SimpleAccount through its factory,
 * a call budget for a simple `execute`, and fees above Hardhat's initial 1 gwei base fee.
 */
export const DEFAULT_USER_OP_GAS = {
  verificationGasLimit: 500_000n,
  callGasLimit: 200_000n,
  preVerificationGas: 50_000n,
  maxFeePerGas: 10_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
} as const;

/**
 * A 65-byte placeholder signature for gas estimation and for building ops before signing (SimpleAccount's
 * ECDSA.recover on it does not revert and simply yields a wrong signer).
 */
export const DUMMY_SIGNATURE =
  "0xffffffffffffffffffffffffffffffff00000000000000000000000000000007aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1c";

const UINT128_MAX = (1n << 128n) - 1n;

function requireUint128(name: string, value: bigint): void {
  if (value < 0n || value > UINT128_MAX) {
    throw new RangeError(`${name} = ${value} does not fit in 128 bits`);
  }
}

/** `high << 128 | low` as bytes32 (both must fit in 128 bits). */
export function packUint128Pair(high: bigint, low: bigint): string {
  requireUint128("high", high);
  requireUint128("low", low);
  return zeroPadValue(toBeHex((high << 128n) | low), 32);
}

/** Inverse of {@link packUint128Pair}: `[high, low]`. */
export function unpackUint128Pair(packed: string): [bigint, bigint] {
  const value = BigInt(packed);
  return [value >> 128n, value & UINT128_MAX];
}

/** `accountGasLimits = verificationGasLimit << 128 | callGasLimit`. */
export function packAccountGasLimits(verificationGasLimit: bigint, callGasLimit: bigint): string {
  return packUint128Pair(verificationGasLimit, callGasLimit);
}

/** `gasFees = maxPriorityFeePerGas << 128 | maxFeePerGas`. */
export function packGasFees(maxPriorityFeePerGas: bigint, maxFeePerGas: bigint): string {
  return packUint128Pair(maxPriorityFeePerGas, maxFeePerGas);
}

/**
 * `paymasterAndData = paymaster (20) ‖ paymasterVerificationGasLimit (16) ‖ paymasterPostOpGasLimit (16) ‖
 * data`, the v0.7/v0.8 layout (`UserOperationLib.PAYMASTER_DATA_OFFSET == 52`).
 */
export function packPaymasterAndData(
  paymaster: string,
  paymasterVerificationGasLimit: bigint,
  paymasterPostOpGasLimit: bigint,
  data: string = "0x",
): string {
  requireUint128("paymasterVerificationGasLimit", paymasterVerificationGasLimit);
  requireUint128("paymasterPostOpGasLimit", paymasterPostOpGasLimit);
  return concat([
    getAddress(paymaster),
    zeroPadValue(toBeHex(paymasterVerificationGasLimit), 16),
    zeroPadValue(toBeHex(paymasterPostOpGasLimit), 16),
    data,
  ]);
}

/** The fields of a non-empty `paymasterAndData`. */
export interface PaymasterAndData {
  paymaster: string;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
  paymasterData: string;
}

/** Inverse of {@link packPaymasterAndData}. @throws when shorter than 52 bytes (EntryPoint's "AA93"). */
export function unpackPaymasterAndData(paymasterAndData: string): PaymasterAndData {
  if (dataLength(paymasterAndData) < 52) {
    throw new RangeError(`paymasterAndData is ${dataLength(paymasterAndData)} bytes, shorter than 52`);
  }
  return {
    paymaster: getAddress(dataSlice(paymasterAndData, 0, 20)),
    paymasterVerificationGasLimit: BigInt(dataSlice(paymasterAndData, 20, 36)),
    paymasterPostOpGasLimit: BigInt(dataSlice(paymasterAndData, 36, 52)),
    paymasterData: dataSlice(paymasterAndData, 52),
  };
}

/** Builds a PackedUserOperation with {@link DEFAULT_USER_OP_GAS}, nonce 0, empty initCode/callData/paymaster. */
export function buildUserOp(params: UserOpParams): PackedUserOperation {
  return {
    sender: getAddress(params.sender),
    nonce: params.nonce ?? 0n,
    initCode: params.initCode ?? "0x",
    callData: params.callData ?? "0x",
    accountGasLimits: packAccountGasLimits(
      params.verificationGasLimit ?? DEFAULT_USER_OP_GAS.verificationGasLimit,
      params.callGasLimit ?? DEFAULT_USER_OP_GAS.callGasLimit,
    ),
    preVerificationGas: params.preVerificationGas ?? DEFAULT_USER_OP_GAS.preVerificationGas,
    gasFees: packGasFees(
      params.maxPriorityFeePerGas ?? DEFAULT_USER_OP_GAS.maxPriorityFeePerGas,
      params.maxFeePerGas ?? DEFAULT_USER_OP_GAS.maxFeePerGas,
    ),
    paymasterAndData: params.paymasterAndData ?? "0x",
    signature: params.signature ?? DUMMY_SIGNATURE,
  };
}

/** The unpacked gas fields of an op. */
export interface UserOpGas {
  verificationGasLimit: bigint;
  callGasLimit: bigint;
  preVerificationGas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  paymasterVerificationGasLimit: bigint;
  paymasterPostOpGasLimit: bigint;
}

/** Unpacks every gas field of `op` (paymaster limits are 0 without a paymaster). */
export function unpackUserOpGas(op: PackedUserOperation): UserOpGas {
  const [verificationGasLimit, callGasLimit] = unpackUint128Pair(op.accountGasLimits);
  const [maxPriorityFeePerGas, maxFeePerGas] = unpackUint128Pair(op.gasFees);
  const paymaster =
    dataLength(op.paymasterAndData) === 0 ? null : unpackPaymasterAndData(op.paymasterAndData);
  return {
    verificationGasLimit,
    callGasLimit,
    preVerificationGas: op.preVerificationGas,
    maxFeePerGas,
    maxPriorityFeePerGas,
    paymasterVerificationGasLimit: paymaster?.paymasterVerificationGasLimit ?? 0n,
    paymasterPostOpGasLimit: paymaster?.paymasterPostOpGasLimit ?? 0n,
  };
}

/**
 * The prefund the EntryPoint reserves (`_getRequiredPrefund`, identical in v0.7 and v0.8):
 * `(verificationGasLimit + callGasLimit + paymasterVerificationGasLimit + paymasterPostOpGasLimit +
 * preVerificationGas) * maxFeePerGas`.
 */
export function requiredPrefund(op: PackedUserOperation): bigint {
  return clientRequiredPrefund(unpackUserOpGas(op));
}

/** `userOpHash` from the EntryPoint's own `getUserOpHash` view (v0.7: keccak-based; v0.8: EIP-712). */
export async function getUserOpHash(entryPoint: EntryPointCommon, op: PackedUserOperation): Promise<string> {
  return entryPoint.getUserOpHash(op);
}

/** EIP-712 types of v0.8's `PackedUserOperation` (`UserOperationLib.PACKED_USEROP_TYPEHASH`). */
export const PACKED_USER_OP_TYPES: Record<string, TypedDataField[]> = {
  PackedUserOperation: [
    { name: "sender", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "initCode", type: "bytes" },
    { name: "callData", type: "bytes" },
    { name: "accountGasLimits", type: "bytes32" },
    { name: "preVerificationGas", type: "uint256" },
    { name: "gasFees", type: "bytes32" },
    { name: "paymasterAndData", type: "bytes" },
  ],
};

/** EIP-712 domain of EntryPoint v0.8 (`EIP712("ERC4337", "1")`). */
export function entryPointV08Domain(entryPoint: string, chainId: bigint): TypedDataDomain {
  return { name: "ERC4337", version: "1", chainId, verifyingContract: getAddress(entryPoint) };
}

function userOpTypedValue(op: PackedUserOperation): Record<string, unknown> {
  return {
    sender: op.sender,
    nonce: op.nonce,
    initCode: op.initCode,
    callData: op.callData,
    accountGasLimits: op.accountGasLimits,
    preVerificationGas: op.preVerificationGas,
    gasFees: op.gasFees,
    paymasterAndData: op.paymasterAndData,
  };
}

/** EntryPoint v0.8's `initCode` marker of an EIP-7702 sender (`Eip7702Support.INITCODE_EIP7702_MARKER`, 20 bytes). */
export const EIP7702_INITCODE_MARKER = "0x7702000000000000000000000000000000000000";

/** Whether `initCode` marks an EIP-7702 sender (starts with {@link EIP7702_INITCODE_MARKER}). */
export function isEip7702InitCode(initCode: string): boolean {
  return dataLength(initCode) >= 20 && dataSlice(initCode, 0, 20) === EIP7702_INITCODE_MARKER;
}

/** The delegate of an EIP-7702 account from its code (`0xef0100 ‖ delegate`); undefined when it is not delegated. */
export function eip7702Delegate(code: string): string | undefined {
  if (dataLength(code) !== 23 || dataSlice(code, 0, 3) !== "0xef0100") return undefined;
  return getAddress(dataSlice(code, 3));
}

/** Options of {@link signUserOp}. */
export interface SignUserOpOptions {
  /**
   * The delegate of an EIP-7702 sender whose `initCode` carries the marker: needed when the operation itself
   * carries the authorization (the sender has no code yet); read from the sender's code otherwise.
   */
  eip7702Delegate?: string;
}

/**
 * Signs `op` for a SimpleAccount owned by `owner` (or a Simple7702Account, `owner` being the EOA itself) and returns
 * a copy carrying the signature.
 * - v0.7 SimpleAccount recovers `toEthSignedMessageHash(userOpHash)`: an EIP-191 `signMessage` of the hash.
 * - v0.8 accounts recover `userOpHash` itself, which v0.8 defines as the EIP-712 hash of the op under domain
 *   ("ERC4337", "1", chainId, entryPoint): an `eth_signTypedData_v4` signature. For an EIP-7702 sender (the
 *   `0x7702` initCode marker) the EntryPoint hashes `delegate ‖ initCode[20:]` in place of `initCode`, so an
 *   approval of one delegate never serves another. The helper checks its hash against the EntryPoint's
 *   `getUserOpHash` whenever the EntryPoint can compute it (always, except before the sender is delegated).
 * @throws for the EIP-7702 marker on EntryPoint v0.7 (which has no EIP-7702 support), or without a delegate.
 */
export async function signUserOp(
  op: PackedUserOperation,
  owner: Signer,
  entryPoint: EntryPointCommon,
  version: EntryPointVersion,
  options: SignUserOpOptions = {},
): Promise<PackedUserOperation> {
  const unsigned = { ...op, signature: "0x" };
  const eip7702 = isEip7702InitCode(op.initCode);
  if (eip7702 && version === "0.7") throw new Error("signUserOp: EntryPoint v0.7 has no EIP-7702 support");
  if (version === "0.7") {
    const userOpHash = await entryPoint.getUserOpHash(unsigned);
    return { ...op, signature: await owner.signMessage(getBytes(userOpHash)) };
  }
  const provider = entryPoint.runner?.provider;
  const network = await provider?.getNetwork();
  if (provider === undefined || provider === null || network === undefined) {
    throw new Error("signUserOp: the EntryPoint handle must be connected to a provider");
  }
  const domain = entryPointV08Domain(await entryPoint.getAddress(), network.chainId);
  const value = userOpTypedValue(unsigned);
  let delegated = true;
  if (eip7702) {
    const current = eip7702Delegate(await provider.getCode(op.sender));
    const delegate = options.eip7702Delegate ?? current;
    // The EntryPoint hashes the delegate the sender has now: comparable unless the operation's own authorization
    // delegates it (first) or re-delegates it (to another implementation).
    delegated = current !== undefined && delegate !== undefined && getAddress(delegate) === current;
    if (delegate === undefined) {
      throw new Error(`signUserOp: ${op.sender} is not delegated; pass the delegate its authorization names`);
    }
    value.initCode = concat([getAddress(delegate), dataSlice(op.initCode, 20)]);
  }
  if (delegated) {
    const userOpHash = await entryPoint.getUserOpHash(unsigned);
    const typedHash = TypedDataEncoder.hash(domain, PACKED_USER_OP_TYPES, value);
    if (typedHash !== userOpHash) {
      throw new Error(
        `signUserOp: EIP-712 hash ${typedHash} differs from EntryPoint.getUserOpHash ${userOpHash}`,
      );
    }
  }
  return { ...op, signature: await owner.signTypedData(domain, PACKED_USER_OP_TYPES, value) };
}

/** `SimpleAccount.execute(target, value, data)` calldata (same selector and encoding in v0.7 and v0.8). */
export function encodeExecute(target: string, value: bigint, data: string): string {
  return SimpleAccount__factory.createInterface().encodeFunctionData("execute", [target, value, data]);
}

/** A parsed `UserOperationEvent`. */
export interface UserOperationEventData {
  userOpHash: string;
  sender: string;
  paymaster: string;
  nonce: bigint;
  success: boolean;
  actualGasCost: bigint;
  actualGasUsed: bigint;
}

/** A parsed `UserOperationRevertReason` or `PostOpRevertReason`. */
export interface RevertReasonEventData {
  userOpHash: string;
  sender: string;
  nonce: bigint;
  revertReason: string;
}

/** A parsed `AccountDeployed`. */
export interface AccountDeployedEventData {
  userOpHash: string;
  sender: string;
  factory: string;
  paymaster: string;
}

/** What {@link handleOps} returns. */
export interface HandleOpsResult {
  receipt: ContractTransactionReceipt;
  /** One per executed op, in bundle order. */
  userOperationEvents: UserOperationEventData[];
  /** Ops whose call reverted (v0.7/v0.8 `UserOperationRevertReason`). */
  userOperationRevertReasons: RevertReasonEventData[];
  /** Ops whose `postOp` reverted (`PostOpRevertReason`). */
  postOpRevertReasons: RevertReasonEventData[];
  /**
   * Ops whose billed gas exceeded the prefund (`UserOperationPrefundTooLow`): the EntryPoint rolled back the call
   * and postOp and took the whole prefund from the paymaster's deposit.
   */
  prefundTooLow: { userOpHash: string; sender: string; nonce: bigint }[];
  accountDeployedEvents: AccountDeployedEventData[];
}

function asString(value: unknown, name: string): string {
  if (typeof value !== "string") throw new TypeError(`${name} is not a string`);
  return value;
}

function asBigInt(value: unknown, name: string): bigint {
  if (typeof value !== "bigint") throw new TypeError(`${name} is not a bigint`);
  return value;
}

function asBoolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} is not a boolean`);
  return value;
}

/** Parses the EntryPoint's events out of `logs` (logs of other contracts are skipped). */
export function parseEntryPointLogs(
  entryPoint: EntryPointCommon,
  entryPointAddress: string,
  logs: readonly Log[],
): Omit<HandleOpsResult, "receipt"> {
  const result: Omit<HandleOpsResult, "receipt"> = {
    userOperationEvents: [],
    userOperationRevertReasons: [],
    postOpRevertReasons: [],
    prefundTooLow: [],
    accountDeployedEvents: [],
  };
  for (const log of logs) {
    if (getAddress(log.address) !== getAddress(entryPointAddress)) continue;
    const parsed = entryPoint.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed === null) continue;
    const a = parsed.args;
    switch (parsed.name) {
      case "UserOperationEvent":
        result.userOperationEvents.push({
          userOpHash: asString(a.getValue("userOpHash"), "userOpHash"),
          sender: asString(a.getValue("sender"), "sender"),
          paymaster: asString(a.getValue("paymaster"), "paymaster"),
          nonce: asBigInt(a.getValue("nonce"), "nonce"),
          success: asBoolean(a.getValue("success"), "success"),
          actualGasCost: asBigInt(a.getValue("actualGasCost"), "actualGasCost"),
          actualGasUsed: asBigInt(a.getValue("actualGasUsed"), "actualGasUsed"),
        });
        break;
      case "UserOperationRevertReason":
      case "PostOpRevertReason": {
        const reason: RevertReasonEventData = {
          userOpHash: asString(a.getValue("userOpHash"), "userOpHash"),
          sender: asString(a.getValue("sender"), "sender"),
          nonce: asBigInt(a.getValue("nonce"), "nonce"),
          revertReason: asString(a.getValue("revertReason"), "revertReason"),
        };
        if (parsed.name === "PostOpRevertReason") result.postOpRevertReasons.push(reason);
        else result.userOperationRevertReasons.push(reason);
        break;
      }
      case "UserOperationPrefundTooLow":
        result.prefundTooLow.push({
          userOpHash: asString(a.getValue("userOpHash"), "userOpHash"),
          sender: asString(a.getValue("sender"), "sender"),
          nonce: asBigInt(a.getValue("nonce"), "nonce"),
        });
        break;
      case "AccountDeployed":
        result.accountDeployedEvents.push({
          userOpHash: asString(a.getValue("userOpHash"), "userOpHash"),
          sender: asString(a.getValue("sender"), "sender"),
          factory: asString(a.getValue("factory"), "factory"),
          paymaster: asString(a.getValue("paymaster"), "paymaster"),
        });
        break;
      default:
        break;
    }
  }
  return result;
}

/** Options of {@link handleOps}. */
export interface HandleOpsOptions {
  /** Gas limit of the bundle transaction; estimated by the node when omitted. */
  gasLimit?: bigint;
  /** EIP-7702 authorizations the bundle carries (a type-4 transaction), e.g. the one of a sender's first operation. */
  authorizationList?: Authorization[];
}

/**
 * EIP-1559 fees for a type-4 transaction, set explicitly: a node configured with a fixed `gasPrice` (e.g. under
 * `hardhat coverage`) would otherwise add a legacy `gasPrice`, which a type-4 transaction cannot carry.
 */
async function eip1559Fees(signer: Signer): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
  const block = await signer.provider?.getBlock("latest");
  const maxPriorityFeePerGas = 1_000_000_000n;
  return { maxFeePerGas: (block?.baseFeePerGas ?? 0n) * 2n + maxPriorityFeePerGas, maxPriorityFeePerGas };
}

/**
 * Sends `handleOps(ops, beneficiary)` from `bundler` and returns the receipt with the EntryPoint's events
 * parsed. A revert of the whole bundle (`FailedOp`, …) rejects the promise with the usual ethers error;
 * to assert it with hardhat-chai-matchers, call `entryPoint.connect(bundler).handleOps(ops, beneficiary)`
 * directly: `await expect(tx).to.be.revertedWithCustomError(entryPoint, "FailedOp").withArgs(0n, "AA…")`.
 */
export async function handleOps(
  entryPoint: EntryPointCommon,
  ops: readonly PackedUserOperation[],
  beneficiary: string,
  bundler: Signer,
  options: HandleOpsOptions = {},
): Promise<HandleOpsResult> {
  const connected = entryPoint.connect(bundler);
  const overrides = {
    ...(options.gasLimit === undefined ? {} : { gasLimit: options.gasLimit }),
    ...(options.authorizationList === undefined
      ? {}
      : { type: 4, authorizationList: options.authorizationList, ...(await eip1559Fees(bundler)) }),
  };
  const tx = await connected.handleOps([...ops], beneficiary, overrides);
  const receipt = await tx.wait();
  if (receipt === null) {
    throw new Error(`handleOps: no receipt for ${tx.hash}`);
  }
  return { receipt, ...parseEntryPointLogs(entryPoint, await entryPoint.getAddress(), receipt.logs) };
}

/** ABI-encodes `handleOps(ops, beneficiary)` calldata (identical for v0.7 and v0.8). */
export function encodeHandleOps(
  entryPoint: EntryPointCommon,
  ops: readonly PackedUserOperation[],
  beneficiary: string,
): string {
  return entryPoint.interface.encodeFunctionData("handleOps", [[...ops], beneficiary]);
}
