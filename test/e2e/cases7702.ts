/**
 * The EIP-7702 end-to-end case (issue 14), run by test/e2e/run.ts through alto and the paymaster service on the
 * `hardhat node` (Prague): a fresh EOA holding 0 ETH, never delegated, signs an authorization for
 * `Simple7702Account`; its first operation carries it (`eip7702Auth`, sent by alto in a type-4 bundle) and is
 * sponsored by the dApp's allowance; its second runs without it; then the same EOA pays with credits the dApp bought
 * for it. EntryPoint v0.8 only (v0.7 has no EIP-7702 support).
 *
 * The code between `docs:start eoa-7702` and `docs:end eoa-7702` is the snippet of docs/client.md (checked identical
 * by test/client/docs.test.ts), so the documented code runs here, through a real bundler.
 */
import { expect } from "chai";
import { createWalletClient, getAddress, parseEther, parseEventLogs } from "viem";
import type { Address, Chain, Hex, Log, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { PrivateKeyAccount } from "viem/accounts";
import { to7702SimpleSmartAccount } from "permissionless/accounts";
// docs:start eoa-7702-imports
import { http } from "viem";
import { createSmartAccountClient } from "permissionless";
import { createPimlicoClient } from "permissionless/clients/pimlico";
import { entryPoint08Address, toSimple7702SmartAccount } from "viem/account-abstraction";

import { createCreditPaymasterServiceClient } from "../../src/client";
// docs:end eoa-7702-imports
import { creditLedgerAbi, eip7702DelegateOf } from "../../src/client";
import { Simple7702Account__factory } from "../../typechain-types";
import type { E2EEnvironment } from "./cases";

/** `type(uint32).max`: an allowance that never expires. */
const NEVER = 2n ** 32n - 1n;
const CREDIT = 1_000_000n;

/** The snippet of docs/client.md: an EOA upgraded with EIP-7702 sends its first operation, sponsored by a dApp. */
export async function sponsoredFrom7702Eoa(input: {
  publicClient: PublicClient;
  chain: Chain;
  owner: PrivateKeyAccount;
  delegate: Address;
  bundlerUrl: string;
  paymasterServiceUrl: string;
  dapp: Address;
  to: Address;
}) {
  const { publicClient, chain, owner, delegate, bundlerUrl, paymasterServiceUrl, dapp, to } = input;
  // docs:start eoa-7702
  // The EOA itself is the account: its code becomes a delegation to Simple7702Account (EntryPoint v0.8).
  const account = await toSimple7702SmartAccount({ client: publicClient, owner, implementation: delegate });
  const pimlico = createPimlicoClient({
    transport: http(bundlerUrl),
    entryPoint: { address: entryPoint08Address, version: "0.8" },
  });
  const smartAccountClient = createSmartAccountClient({
    account,
    chain,
    bundlerTransport: http(bundlerUrl),
    paymaster: createCreditPaymasterServiceClient({
      url: paymasterServiceUrl,
      mode: "SPONSORED",
      sponsor: dapp,
    }),
    userOperation: { estimateFeesPerGas: async () => (await pimlico.getUserOperationGasPrice()).fast },
  });
  // The first operation carries the EOA's signed authorization (at its current transaction count); the bundler
  // sends it in a type-4 transaction. Later operations need none.
  const authorization = await owner.signAuthorization({
    address: delegate,
    chainId: chain.id,
    nonce: await publicClient.getTransactionCount({ address: owner.address }),
  });
  const hash = await smartAccountClient.sendUserOperation({
    calls: [{ to, value: 0n, data: "0x" }],
    authorization,
  });
  const receipt = await smartAccountClient.waitForUserOperationReceipt({ hash });
  // docs:end eoa-7702
  return { account, smartAccountClient, receipt };
}

/** The ledger's CreditsSpent events of a transaction's logs: `[account, beneficiary, amount]`. */
function creditsSpent(env: E2EEnvironment, logs: readonly Log[]) {
  const ledgerLogs = logs.filter((l) => getAddress(l.address) === env.system.ledger);
  return parseEventLogs({ abi: creditLedgerAbi, eventName: "CreditsSpent", logs: ledgerLogs }).map(
    (e) => [e.args.account, e.args.beneficiary, e.args.amount] as const,
  );
}

async function sendFrom(env: E2EEnvironment, from: Address, request: Promise<Hex>): Promise<void> {
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash: await request });
  expect(receipt.status, `transaction from ${from}`).to.equal("success");
}

/** Deploys a Simple7702Account (the admin's key; hardhat node's accounts are unlocked). */
async function deployDelegate(env: E2EEnvironment): Promise<Address> {
  const wallet = createWalletClient({
    chain: env.chain,
    transport: http(env.rpcUrl),
    account: env.system.admin,
  });
  const hash = await wallet.deployContract({
    abi: Simple7702Account__factory.abi,
    bytecode: Simple7702Account__factory.bytecode,
  });
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).to.equal("success");
  return getAddress(receipt.contractAddress ?? "0x");
}

/**
 * EntryPoint v0.8, EIP-7702: a fresh EOA's first operation with its authorization, sponsored through the service
 * (viem's Simple7702 account, the docs snippet); a second without it; then the same EOA paying with its own credits
 * (permissionless' 7702 SimpleAccount). The EOA never holds ETH.
 */
export async function eip7702Operations(env: E2EEnvironment): Promise<void> {
  const delegate = await deployDelegate(env);
  const owner = privateKeyToAccount(generatePrivateKey());
  const eoa = owner.address;
  const dappWallet = createWalletClient({
    chain: env.chain,
    transport: http(env.rpcUrl),
    account: env.system.dapp,
  });
  const ledger = { address: env.system.ledger, abi: creditLedgerAbi } as const;
  await sendFrom(
    env,
    env.system.dapp,
    dappWallet.writeContract({
      ...ledger,
      functionName: "setAllowance",
      args: [eoa, 50n * CREDIT, 86_400, NEVER],
    }),
  );
  expect(await env.publicClient.getCode({ address: eoa })).to.equal(undefined);
  expect(await env.publicClient.getBalance({ address: eoa })).to.equal(0n);
  const credits = (account: Address) =>
    env.publicClient.readContract({ ...ledger, functionName: "balanceOfCredits", args: [account] });
  const dappBefore = await credits(env.system.dapp);

  const first = await sponsoredFrom7702Eoa({
    publicClient: env.publicClient,
    chain: env.chain,
    owner,
    delegate,
    bundlerUrl: env.bundlerUrl,
    paymasterServiceUrl: env.paymasterServiceUrl,
    dapp: env.system.dapp,
    to: env.system.admin,
  });
  expect(first.receipt.success).to.equal(true);
  expect(getAddress(first.receipt.sender)).to.equal(eoa);
  expect(getAddress(first.receipt.paymaster ?? "0x")).to.equal(env.system.paymasters["0.8"]);
  // alto sent the authorization in a type-4 bundle, which delegated the EOA.
  const bundle = await env.publicClient.getTransaction({ hash: first.receipt.receipt.transactionHash });
  expect(bundle.type).to.equal("eip7702");
  expect(bundle.authorizationList?.map((a) => getAddress(a.address))).to.deep.equal([delegate]);
  expect(eip7702DelegateOf(await env.publicClient.getCode({ address: eoa }))).to.equal(delegate);
  expect(await env.publicClient.getBalance({ address: eoa })).to.equal(0n);

  const secondHash = await first.smartAccountClient.sendUserOperation({
    calls: [{ to: env.system.admin, value: 0n, data: "0x" }],
  });
  const second = await first.smartAccountClient.waitForUserOperationReceipt({ hash: secondHash });
  expect(second.success).to.equal(true);
  const secondBundle = await env.publicClient.getTransaction({ hash: second.receipt.transactionHash });
  expect(secondBundle.authorizationList ?? []).to.deep.equal([]);

  const sponsored = [first.receipt.receipt.logs, second.receipt.logs].flatMap((logs) =>
    creditsSpent(env, logs),
  );
  expect(sponsored.map(([account, beneficiary]) => [account, beneficiary])).to.deep.equal([
    [env.system.dapp, eoa],
    [env.system.dapp, eoa],
  ]);
  expect(await credits(env.system.dapp)).to.equal(dappBefore - sponsored[0][2] - sponsored[1][2]);

  // The same EOA pays with credits the dApp bought for it, through permissionless' 7702 account.
  await sendFrom(
    env,
    env.system.dapp,
    dappWallet.writeContract({
      ...ledger,
      functionName: "buyCredits",
      args: [eoa],
      value: parseEther("0.01"),
    }),
  );
  const eoaBefore = await credits(eoa);
  expect(eoaBefore).to.equal(30n * CREDIT);
  const account = await to7702SimpleSmartAccount({
    client: env.publicClient,
    owner,
    entryPoint: { address: entryPoint08Address, version: "0.8" },
    accountLogicAddress: delegate,
  });
  const pimlico = createPimlicoClient({ transport: http(env.bundlerUrl), entryPoint: account.entryPoint });
  const selfClient = createSmartAccountClient({
    account,
    chain: env.chain,
    bundlerTransport: http(env.bundlerUrl),
    paymaster: createCreditPaymasterServiceClient({
      url: env.paymasterServiceUrl,
      mode: "SELF",
      maxCredits: 20n * CREDIT,
    }),
    userOperation: { estimateFeesPerGas: async () => (await pimlico.getUserOperationGasPrice()).fast },
  });
  const thirdHash = await selfClient.sendUserOperation({
    calls: [{ to: env.system.admin, value: 0n, data: "0x" }],
  });
  const third = await selfClient.waitForUserOperationReceipt({ hash: thirdHash });
  expect(third.success).to.equal(true);
  const selfPaid = creditsSpent(env, third.receipt.logs);
  expect(selfPaid.map(([account_, beneficiary]) => [account_, beneficiary])).to.deep.equal([[eoa, eoa]]);
  expect(await credits(eoa)).to.equal(eoaBefore - selfPaid[0][2]);
  expect(await env.publicClient.getBalance({ address: eoa })).to.equal(0n);

  const receipts = [first.receipt, second, third];
  env.notes.push(
    `EIP-7702 ops (first with authorization, second, self-paid): actualGasUsed ` +
      `${receipts.map((r) => r.actualGasUsed).join(" / ")}, credit units burned ` +
      `${[...sponsored, ...selfPaid].map((s) => s[2]).join(" / ")}`,
  );
}
