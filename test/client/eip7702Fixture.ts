/**
 * Fixture of the EIP-7702 client and service suites (issue 14): the client fixture's system on EntryPoint v0.8, a
 * `Simple7702Account` deployment, and two fresh EOAs holding 0 ETH, never delegated: one sponsored by the dApp, one
 * with credits of its own; viem's and permissionless' 7702 accounts of them.
 */
import { Signature } from "ethers";
import type { Authorization } from "ethers";
import { getAddress, parseEther } from "viem";
import type { Address, SignedAuthorization } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { PrivateKeyAccount } from "viem/accounts";
import { entryPoint08Abi, toSimple7702SmartAccount } from "viem/account-abstraction";
import { to7702SimpleSmartAccount } from "permissionless/accounts";

import { Simple7702Account__factory } from "../../typechain-types";
import { CREDIT, buyCredits } from "../helpers/system";
import type { handleOps } from "../helpers/userop";
import { NEVER, clientFixture } from "./fixture";
import type { ClientFixture } from "./fixture";

/** A fresh EOA (never funded, never delegated). */
export function freshEoa(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

/** An authorization signed by viem, as the ethers `authorizationList` entry of a type-4 bundle. */
export function toEthersAuthorization(auth: SignedAuthorization): Authorization {
  return {
    address: auth.address,
    nonce: BigInt(auth.nonce),
    chainId: BigInt(auth.chainId),
    signature: Signature.from({ r: auth.r, s: auth.s, yParity: auth.yParity === 1 ? 1 : 0 }),
  };
}

export interface Eip7702Fixture extends ClientFixture {
  /** A `Simple7702Account` deployment. */
  delegate: Address;
  /** The EOA sponsored by the dApp (50 credits per day). */
  sponsoredEoa: PrivateKeyAccount;
  /** The EOA paying with its own credits (30 credits, bought by the dApp). */
  payingEoa: PrivateKeyAccount;
  target: Address;
}

export async function eip7702Fixture(): Promise<Eip7702Fixture> {
  const fx = await clientFixture();
  const delegate = await new Simple7702Account__factory(fx.sys.admin).deploy();
  await delegate.waitForDeployment();
  const sponsoredEoa = freshEoa();
  const payingEoa = freshEoa();
  await (
    await fx.sys.ledger.connect(fx.sys.dapp).setAllowance(sponsoredEoa.address, 50n * CREDIT, 86_400, NEVER)
  ).wait();
  await buyCredits(fx.sys, fx.sys.dapp, payingEoa.address, parseEther("0.01"));
  return {
    ...fx,
    delegate: getAddress(await delegate.getAddress()),
    sponsoredEoa,
    payingEoa,
    target: getAddress(await fx.sys.target.getAddress()),
  };
}

/** The EOA's authorization for `delegate` at its current nonce. */
export async function authorize(
  fx: ClientFixture,
  eoa: PrivateKeyAccount,
  delegate: Address,
): Promise<SignedAuthorization> {
  const nonce = await fx.publicClient.getTransactionCount({ address: eoa.address });
  return eoa.signAuthorization({ address: delegate, chainId: 31337, nonce });
}

/** viem's Simple7702 account of `eoa` on the fixture's EntryPoint v0.8. */
export function viem7702Account(fx: Eip7702Fixture, eoa: PrivateKeyAccount) {
  return toSimple7702SmartAccount({
    client: fx.publicClient,
    owner: eoa,
    entryPoint: { abi: entryPoint08Abi, address: fx.entryPoint, version: "0.8" },
    implementation: fx.delegate,
  });
}

/** permissionless' 7702 SimpleAccount of `eoa` on the fixture's EntryPoint v0.8. */
export function permissionless7702Account(fx: Eip7702Fixture, eoa: PrivateKeyAccount) {
  return to7702SimpleSmartAccount({
    client: fx.publicClient,
    owner: eoa,
    entryPoint: { address: fx.entryPoint, version: "0.8" },
    accountLogicAddress: fx.delegate,
  });
}

/** The CreditsSpent events of the ledger in a bundle's receipt: `[account, beneficiary, amount]`. */
export function creditsSpent(fx: ClientFixture, result: Awaited<ReturnType<typeof handleOps>>) {
  return result.receipt.logs
    .filter((l) => getAddress(l.address) === fx.ledger)
    .map((l) => fx.sys.ledger.interface.parseLog(l))
    .filter((e) => e?.name === "CreditsSpent")
    .map(
      (e) => [e?.args.account as string, e?.args.beneficiary as string, e?.args.amount as bigint] as const,
    );
}
