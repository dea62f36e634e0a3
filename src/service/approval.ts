/**
 * The policy signer's EIP-712 approval of an operation (POLICY mode of the CreditPaymaster, see
 * contracts/paymaster/PolicyApprovals.sol), signed with a viem account:
 * `PolicyApproval(bytes32 userOpHash, address sponsor, uint256 policyId, uint256 maxCredits, uint48 validAfter,
 * uint48 validUntil)` under the domain ("CreditPaymaster", "1", chainId, paymaster), where `userOpHash` is the
 * EntryPoint's `getUserOpHash` of the operation with `paymasterAndData` cut before the signature (101 bytes). The
 * hash is read from the EntryPoint itself, so an EIP-7702 sender's delegate is bound exactly as validation binds it.
 */
import { concat, size, slice } from "viem";
import type { Address, Hex, LocalAccount } from "viem";
import { readContract } from "viem/actions";

import { eip7702StateOverride } from "../client/eip7702";
import { entryPoint07Abi, entryPoint08Abi, toPackedUserOperation } from "viem/account-abstraction";
import type { UserOperation } from "viem/account-abstraction";

import type { AnyClient, CreditUserOperation } from "../client/credits";
import { POLICY_SIGNATURE_OFFSET, decodePaymasterData } from "../client/encoding";
import type { EntryPointVersion } from "../client/encoding";

/** EIP-712 types of the approval (`PolicyApprovals.POLICY_APPROVAL_TYPEHASH`). */
export const POLICY_APPROVAL_TYPES = {
  PolicyApproval: [
    { name: "userOpHash", type: "bytes32" },
    { name: "sponsor", type: "address" },
    { name: "policyId", type: "uint256" },
    { name: "maxCredits", type: "uint256" },
    { name: "validAfter", type: "uint48" },
    { name: "validUntil", type: "uint48" },
  ],
} as const;

/** The EIP-712 domain of the approvals of `paymaster`. */
export function policyApprovalDomain(chainId: number, paymaster: Address) {
  return { name: "CreditPaymaster", version: "1", chainId, verifyingContract: paymaster } as const;
}

/** Where the operation is validated. */
export interface ApprovalTarget {
  client: AnyClient;
  chainId: number;
  paymaster: Address;
  entryPoint: Address;
  entryPointVersion: EntryPointVersion;
}

/** `op` as the EntryPoint's packed operation (paymaster fields required). */
function packed(op: CreditUserOperation, paymasterData: Hex) {
  const full: UserOperation<"0.7"> = {
    sender: op.sender,
    nonce: op.nonce ?? 0n,
    factory: op.factory,
    factoryData: op.factoryData,
    callData: op.callData ?? "0x",
    callGasLimit: op.callGasLimit,
    verificationGasLimit: op.verificationGasLimit,
    preVerificationGas: op.preVerificationGas,
    maxFeePerGas: op.maxFeePerGas,
    maxPriorityFeePerGas: op.maxPriorityFeePerGas ?? 0n,
    paymaster: op.paymaster,
    paymasterVerificationGasLimit: op.paymasterVerificationGasLimit ?? 0n,
    paymasterPostOpGasLimit: op.paymasterPostOpGasLimit ?? 0n,
    paymasterData,
    signature: op.signature ?? "0x",
  };
  return toPackedUserOperation(full);
}

/**
 * Signs the approval of `op` (its POLICY paymaster data carries the approval's window; the signature bytes after it
 * are ignored) with `account`, and returns the paymaster data carrying the signature.
 */
export async function signPolicyApproval(
  target: ApprovalTarget,
  account: LocalAccount,
  op: CreditUserOperation & { paymaster: Address; paymasterData: Hex },
): Promise<Hex> {
  const decoded = decodePaymasterData(op.paymasterData);
  if (!decoded.ok || decoded.value.mode !== "POLICY" || decoded.value.approval === undefined) {
    throw new TypeError("signPolicyApproval needs POLICY paymaster data with an approval window");
  }
  const { sponsor, policyId, maxCredits, approval } = decoded.value;
  const cut = slice(op.paymasterData, 0, POLICY_SIGNATURE_OFFSET);
  const userOpHash = await readContract(target.client, {
    address: target.entryPoint,
    abi: target.entryPointVersion === "0.7" ? entryPoint07Abi : entryPoint08Abi,
    functionName: "getUserOpHash",
    args: [packed(op, cut)],
    // An EIP-7702 sender's first operation: v0.8's hash substitutes the delegate its authorization installs, which
    // the chain does not have yet (the same state override as the simulation's).
    stateOverride: eip7702StateOverride(op),
  });
  const signature = await account.signTypedData({
    domain: policyApprovalDomain(target.chainId, target.paymaster),
    types: POLICY_APPROVAL_TYPES,
    primaryType: "PolicyApproval",
    message: {
      userOpHash,
      sponsor,
      policyId,
      maxCredits,
      validAfter: Number(approval.validAfter),
      validUntil: Number(approval.validUntil),
    },
  });
  if (size(signature) !== 65)
    throw new Error(`the signer returned a ${size(signature)}-byte signature, not 65`);
  return concat([cut, signature]);
}
