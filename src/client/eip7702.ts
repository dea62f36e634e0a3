/**
 * EIP-7702 senders (an EOA delegated to a smart-account implementation such as `Simple7702Account`) on EntryPoint
 * v0.8, as viem's `toSimple7702SmartAccount` and permissionless' `to7702SimpleSmartAccount` build them: the first
 * operation carries the EOA's signed authorization (`authorization` in viem, `eip7702Auth` in JSON-RPC) and, with
 * viem, the `0x7702` factory marker (the EntryPoint then hashes the delegate in place of the marker).
 *
 * The bundler sends such an operation in a type-4 transaction that applies the authorization first; anything that
 * simulates it before (the client, the paymaster service) must give the sender the code the authorization will
 * give it: `0xef0100 ‖ delegate` as a state override, as alto does. {@link explainEip7702} finds, before anything
 * is signed or sent, what would make the bundler or the EntryPoint refuse the operation.
 */
import { concat, getAddress, isAddressEqual, size, sliceHex, zeroAddress } from "viem";
import type { Address, Hex, SignedAuthorization, StateOverride } from "viem";
import { getCode, getTransactionCount } from "viem/actions";

import type { AnyClient } from "./credits";
import type { EntryPointVersion } from "./encoding";
import type { RejectionReason } from "./rejections";

/** The `0x7702` factory marker as viem writes it (EntryPoint v0.8 reads the initCode's first 20 bytes, zero-padded). */
export const EIP7702_FACTORY_MARKER = "0x7702";
/** The marker as a 20-byte address (`Eip7702Support.INITCODE_EIP7702_MARKER`, padded), as some wallets write it. */
export const EIP7702_FACTORY_MARKER_PADDED = "0x7702000000000000000000000000000000000000";
/** The prefix of a delegated EOA's code (EIP-7702 delegation designator). */
export const EIP7702_DELEGATION_PREFIX = "0xef0100";

/** The fields of an operation that EIP-7702 concerns. */
export interface Eip7702Fields {
  sender: Address;
  factory?: Hex | undefined;
  /** The sender's signed authorization, carried by its first operation (JSON-RPC `eip7702Auth`). */
  authorization?: SignedAuthorization | undefined;
}

/** Whether `factory` is the EIP-7702 marker (`0x7702`, or `0x7702` padded to 20 bytes). */
export function isEip7702Factory(factory: string | undefined | null): boolean {
  if (factory === undefined || factory === null) return false;
  const lower = factory.toLowerCase();
  return lower === EIP7702_FACTORY_MARKER || lower === EIP7702_FACTORY_MARKER_PADDED;
}

/** The code an EOA delegated to `delegate` has: `0xef0100 ‖ delegate`. */
export function eip7702DelegationCode(delegate: Address): Hex {
  return concat([EIP7702_DELEGATION_PREFIX, getAddress(delegate)]).toLowerCase() as Hex;
}

/** The delegate of a delegated EOA from its code; undefined when the code is not a delegation designator. */
export function eip7702DelegateOf(code: Hex | undefined): Address | undefined {
  if (code === undefined || size(code) !== 23) return undefined;
  if (sliceHex(code, 0, 3).toLowerCase() !== EIP7702_DELEGATION_PREFIX) return undefined;
  return getAddress(sliceHex(code, 3));
}

/**
 * The state override that gives the sender of an operation with an authorization the code the authorization will
 * give it (undefined without an authorization): what a simulation needs before the type-4 transaction exists.
 */
export function eip7702StateOverride(op: Eip7702Fields): StateOverride | undefined {
  if (op.authorization === undefined) return undefined;
  return [{ address: getAddress(op.sender), code: eip7702DelegationCode(op.authorization.address) }];
}

/** An EIP-7702 problem: what the bundler or the EntryPoint would refuse, and how to fix it. */
function problem(sender: Address, text: string): RejectionReason {
  return { kind: "eip7702Invalid", sender, problem: text };
}

/**
 * Why the bundler or the EntryPoint would refuse `op` for its EIP-7702 fields (empty when it has none, or they are
 * consistent): an authorization for another chain, with a stale nonce, to the zero address or to an address without
 * code, next to a factory; the `0x7702` marker without an authorization from a sender that is not delegated; the
 * marker on EntryPoint v0.7. The authorization's signature is not checked (wallets put a dummy one in stub
 * requests): the bundler recovers it.
 */
export async function explainEip7702(
  client: AnyClient,
  op: Eip7702Fields,
  context: { chainId: number; entryPointVersion: EntryPointVersion },
): Promise<RejectionReason[]> {
  const sender = getAddress(op.sender);
  const marker = isEip7702Factory(op.factory);
  const auth = op.authorization;
  if (!marker && auth === undefined) return [];
  const reasons: RejectionReason[] = [];
  if (marker && context.entryPointVersion === "0.7") {
    reasons.push(
      problem(sender, "EntryPoint v0.7 does not support the 0x7702 factory marker: use EntryPoint v0.8"),
    );
  }
  if (auth === undefined) {
    const delegate = eip7702DelegateOf(await getCode(client, { address: sender }));
    if (delegate === undefined) {
      reasons.push(
        problem(
          sender,
          `the 0x7702 factory marker names the sender's delegate, but ${sender} is not delegated: its first ` +
            "operation must carry its signed authorization (eip7702Auth)",
        ),
      );
    }
    return reasons;
  }
  if (op.factory !== undefined && !marker) {
    reasons.push(
      problem(sender, `an operation with an authorization cannot deploy with factory ${op.factory}`),
    );
  }
  if (auth.chainId !== 0 && auth.chainId !== context.chainId) {
    reasons.push(problem(sender, `the authorization is for chain ${auth.chainId}, not ${context.chainId}`));
  }
  if (isAddressEqual(auth.address, zeroAddress)) {
    reasons.push(problem(sender, "the authorization delegates to the zero address"));
    return reasons;
  }
  const [nonce, delegateCode] = await Promise.all([
    getTransactionCount(client, { address: sender }),
    getCode(client, { address: auth.address }),
  ]);
  if (auth.nonce !== nonce) {
    reasons.push(
      problem(
        sender,
        `the authorization's nonce is ${auth.nonce}, the sender's is ${nonce}: sign a new authorization`,
      ),
    );
  }
  if (delegateCode === undefined || delegateCode === "0x") {
    reasons.push(problem(sender, `the authorization's delegate ${getAddress(auth.address)} has no code`));
  }
  return reasons;
}
