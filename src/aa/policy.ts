/**
 * POLICY mode of the CreditPaymaster (a sponsor's open policy, optionally with the policy signer's approval):
 * the paymaster data and the approval's EIP-712 signature. No Hardhat import: usable against any JSON-RPC node.
 *
 * Data after offset 52: `mode = 2 (1) ‖ sponsor (20) ‖ policyId (8) ‖ maxCredits (8)`, then with an approval
 * `validUntil (6) ‖ validAfter (6) ‖ signature`. The signer signs, under the EIP-712 domain ("CreditPaymaster", "1",
 * chainId, paymaster), `PolicyApproval(userOpHash, sponsor, policyId, maxCredits, validAfter, validUntil)` where
 * `userOpHash` is the EntryPoint's `getUserOpHash` of the operation with `paymasterAndData` cut before the signature
 * (101 bytes), so the EntryPoint substitutes an EIP-7702 sender's delegate exactly as for the account's own hash.
 */
import { concat, dataSlice, getAddress, toBeHex, zeroPadValue } from "ethers";
import type { Signer, TypedDataField } from "ethers";

import type { CreditPaymaster } from "../../typechain-types";
import type { EntryPointCommon } from "./entrypoint";
import type { PackedUserOperation } from "./userop";

/** `CreditPaymaster.Mode.POLICY`. */
export const POLICY_MODE = 2;
/** Where the approval's signature starts in `paymasterAndData`. */
export const APPROVAL_SIGNATURE_OFFSET = 101;
/** A 65-byte stand-in signature (stub data of the right length, and the placeholder before signing). */
export const STUB_APPROVAL_SIGNATURE = `0x${"ff".repeat(65)}`;

/** An approval's window and signature. */
export interface PolicyApprovalData {
  validUntil: bigint;
  validAfter: bigint;
  signature: string;
}

/** Paymaster data (after offset 52) for POLICY mode, with the approval when given. */
export function policyPaymasterData(
  sponsor: string,
  policyId: bigint,
  maxCredits = 0n,
  approval?: PolicyApprovalData,
): string {
  const parts = [
    toBeHex(POLICY_MODE, 1),
    getAddress(sponsor),
    zeroPadValue(toBeHex(policyId), 8),
    zeroPadValue(toBeHex(maxCredits), 8),
  ];
  if (approval !== undefined) {
    parts.push(
      zeroPadValue(toBeHex(approval.validUntil), 6),
      zeroPadValue(toBeHex(approval.validAfter), 6),
      approval.signature,
    );
  }
  return concat(parts);
}

/** EIP-712 types of an approval. */
export const POLICY_APPROVAL_TYPES: Record<string, TypedDataField[]> = {
  PolicyApproval: [
    { name: "userOpHash", type: "bytes32" },
    { name: "sponsor", type: "address" },
    { name: "policyId", type: "uint256" },
    { name: "maxCredits", type: "uint256" },
    { name: "validAfter", type: "uint48" },
    { name: "validUntil", type: "uint48" },
  ],
};

/** `op` with `paymasterAndData` cut before the approval's signature. */
export function cutForApproval(op: PackedUserOperation): PackedUserOperation {
  return { ...op, paymasterAndData: dataSlice(op.paymasterAndData, 0, APPROVAL_SIGNATURE_OFFSET) };
}

/**
 * Signs the approval of `op` (POLICY data with an approval window; its signature bytes are ignored) with
 * `signer` (`eth_signTypedData_v4`) and returns `op` carrying that signature in its paymaster data. The account's
 * own signature must be made afterwards (it covers the whole paymasterAndData).
 */
export async function signPolicyApproval(
  op: PackedUserOperation,
  signer: Signer,
  paymaster: CreditPaymaster,
  entryPoint: EntryPointCommon,
): Promise<PackedUserOperation> {
  const cut = cutForApproval(op);
  const data = dataSlice(op.paymasterAndData, 52);
  const { chainId } = await (entryPoint.runner?.provider ?? signer.provider!).getNetwork();
  const value = {
    userOpHash: await entryPoint.getUserOpHash(cut),
    sponsor: getAddress(dataSlice(data, 1, 21)),
    policyId: BigInt(dataSlice(data, 21, 29)),
    maxCredits: BigInt(dataSlice(data, 29, 37)),
    validUntil: BigInt(dataSlice(data, 37, 43)),
    validAfter: BigInt(dataSlice(data, 43, 49)),
  };
  const domain = {
    name: "CreditPaymaster",
    version: "1",
    chainId,
    verifyingContract: await paymaster.getAddress(),
  };
  const signature = await signer.signTypedData(domain, POLICY_APPROVAL_TYPES, value);
  return { ...op, paymasterAndData: concat([cut.paymasterAndData, signature]) };
}
