/**
 * Fixture of the client and service suites: the system on EntryPoint v0.8 (test/helpers/system.ts), a viem client on
 * the in-process Hardhat network, and users in every situation the paymaster distinguishes.
 */
import { network } from "hardhat";
import { createPublicClient, custom, getAddress } from "viem";
import type { Address, Hex, PublicClient } from "viem";
import { formatUserOperationRequest } from "viem/account-abstraction";
import { hardhat } from "viem/chains";

import { minPostOpGasLimit } from "../../src/client";
import type { CreditUserOperation } from "../../src/client";
import { DUMMY_SIGNATURE, encodeExecute } from "../helpers/userop";
import { CREDIT, buyCredits, deploySystem, incrementCall, newUser } from "../helpers/system";
import type { System, User } from "../helpers/system";

/** `type(uint32).max`: an allowance that never expires. */
export const NEVER = 2 ** 32 - 1;
/** Allowance per day of the sponsored user. */
export const SPONSORED_ALLOWANCE = 20n * CREDIT;
/** Allowance per day of the user whose allowance is too small. */
export const TIGHT_ALLOWANCE = CREDIT;
/** ETH the self-paying user bought credits with (0.01 ETH at $3,000 = 30 credits). */
export const PAYER_ETH = 10n ** 16n;

export interface ClientFixture {
  sys: System;
  publicClient: PublicClient;
  paymaster: Address;
  ledger: Address;
  adapter: Address;
  entryPoint: Address;
  /** The sponsor (the dApp EOA): bought 1 ETH of credits. */
  dapp: Address;
  /** Sponsored by the dApp: 20 credits per day. */
  sponsored: User;
  /** Sponsored by the dApp: 1 credit per day (less than an operation's worst case). */
  tight: User;
  /** No allowance from anyone. */
  stranger: User;
  /** Pays for itself: 30 credits bought. */
  payer: User;
  /** Pays for itself, holds no credits. */
  broke: User;
}

/** The system on EntryPoint v0.8 and the users; load it with `loadFixture(clientFixture)`. */
export async function clientFixture(): Promise<ClientFixture> {
  const sys = await deploySystem("0.8");
  const publicClient = createPublicClient({
    chain: hardhat,
    transport: custom(network.provider, { retryCount: 0 }),
    pollingInterval: 50,
  });
  const dapp = getAddress(await sys.dapp.getAddress());
  const [sponsored, tight, stranger, payer, broke] = await Promise.all([
    newUser(sys, 1n),
    newUser(sys, 2n),
    newUser(sys, 3n),
    newUser(sys, 4n),
    newUser(sys, 5n),
  ]);
  await buyCredits(sys, sys.dapp, dapp, 10n ** 18n);
  await buyCredits(sys, sys.outsider, payer.account.address, PAYER_ETH);
  const ledger = sys.ledger.connect(sys.dapp);
  await (await ledger.setAllowance(sponsored.account.address, SPONSORED_ALLOWANCE, 86_400, NEVER)).wait();
  await (await ledger.setAllowance(tight.account.address, TIGHT_ALLOWANCE, 86_400, NEVER)).wait();
  return {
    sys,
    publicClient,
    paymaster: getAddress(await sys.paymaster.getAddress()),
    ledger: getAddress(await sys.ledger.getAddress()),
    adapter: getAddress(await sys.adapter.getAddress()),
    entryPoint: getAddress(await sys.entryPoint.getAddress()),
    dapp,
    sponsored,
    tight,
    stranger,
    payer,
    broke,
  };
}

/** Gas of the test operations: enough to deploy a SimpleAccount and call the target once. */
export const OP_GAS = {
  callGasLimit: 100_000n,
  verificationGasLimit: 500_000n,
  preVerificationGas: 50_000n,
  maxFeePerGas: 3_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
} as const;

/** A test operation: a {@link CreditUserOperation} with every field of an unpacked v0.7/v0.8 operation set. */
export type FixtureOperation = CreditUserOperation &
  Required<Pick<CreditUserOperation, "nonce" | "callData" | "factory" | "factoryData" | "signature">>;

/** An unsigned first operation of `user` (creates its account, increments the target), without paymaster fields. */
export function userOperation(
  fx: ClientFixture,
  user: User,
  overrides: Partial<CreditUserOperation> = {},
): FixtureOperation {
  const op: FixtureOperation = {
    sender: getAddress(user.account.address),
    nonce: 0n,
    factory: getAddress(user.account.factory),
    factoryData: user.account.factoryData as Hex,
    callData: encodeExecute(fx.sys.target.target.toString(), 0n, incrementCall(fx.sys)) as Hex,
    signature: DUMMY_SIGNATURE as Hex,
    ...OP_GAS,
  };
  return Object.assign(op, overrides);
}

/** `op` as an ERC-7677 `userOp` parameter (hex quantities, no signature), as viem sends it. */
export function rpcUserOperation(op: CreditUserOperation): Record<string, unknown> {
  const { signature: _signature, paymaster: _pm, paymasterData: _pd, ...rest } = op;
  return { ...formatUserOperationRequest(rest) };
}

/**
 * The postOp gas limit the client and the service give a fixture operation (a SimpleAccount's first `execute`: 68
 * bytes of factory data, 164 of call data) in `mode`: the paymaster's floor on EntryPoint v0.8, with the client's
 * signature allowance.
 */
export function fixturePostOpFloor(mode: "SELF" | "SPONSORED"): bigint {
  const zeros = (n: number) => `0x${"00".repeat(n)}` as Hex;
  return minPostOpGasLimit("0.8", mode, {
    factory: getAddress(`0x${"11".repeat(20)}`),
    factoryData: zeros(68),
    callData: zeros(164),
    paymasterData: zeros(mode === "SELF" ? 9 : 29),
  });
}
