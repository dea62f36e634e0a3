/**
 * The end-to-end cases run by test/e2e/run.ts against a hardhat node, the alto bundler and the paymaster service
 * (started as processes by the runner). Each case is a plain async function: this file registers no mocha test,
 * since `hardhat test` loads every file under test/.
 *
 * The code between `docs:start <name>` and `docs:end <name>` markers is the snippet of docs/client.md
 * (test/client/docs.test.ts checks they are identical), so the documented code runs here, through a real bundler.
 */
import { expect } from "chai";
import { BaseError, createWalletClient, getAddress, parseEther, parseEventLogs } from "viem";
import type { Address, Chain, Hex, Log, PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { LocalAccount } from "viem/accounts";
// docs:start wallet-imports
import { http } from "viem";
import { createSmartAccountClient } from "permissionless";
import { toSimpleSmartAccount } from "permissionless/accounts";
import { createPimlicoClient } from "permissionless/clients/pimlico";
import { entryPoint08Address } from "viem/account-abstraction";

import { createCreditPaymasterServiceClient } from "../../src/client";
// docs:end wallet-imports
import {
  createCreditPaymasterClient,
  DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT,
  creditLedgerAbi,
  decodePaymasterSpendData,
} from "../../src/client";
import type { E2ESystem } from "./deploy";

/** What the runner started. */
export interface E2EEnvironment {
  chain: Chain;
  publicClient: PublicClient;
  rpcUrl: string;
  bundlerUrl: string;
  paymasterServiceUrl: string;
  system: E2ESystem;
  /** The alto log file (to check that it never saw a rejected operation). */
  altoLog: () => string;
  /** Measurements printed in the summary. */
  notes: string[];
  /** The service's policy signer (its key is in the service's environment only). */
  policySigner: Address;
}

/** `type(uint32).max`: an allowance that never expires. */
const NEVER = 2n ** 32n - 1n;
const CREDIT = 1_000_000n;

/** The snippet of docs/client.md: a wallet sends a UserOperation sponsored by a dApp, through the service. */
export async function sponsoredFromWallet(input: {
  publicClient: PublicClient;
  chain: Chain;
  owner: LocalAccount;
  factoryAddress: Address;
  bundlerUrl: string;
  paymasterServiceUrl: string;
  dapp: Address;
  to: Address;
}) {
  const { publicClient, chain, owner, factoryAddress, bundlerUrl, paymasterServiceUrl, dapp, to } = input;
  // docs:start wallet
  const account = await toSimpleSmartAccount({
    client: publicClient,
    owner,
    entryPoint: { address: entryPoint08Address, version: "0.8" },
    factoryAddress,
  });
  const pimlico = createPimlicoClient({
    transport: http(bundlerUrl),
    entryPoint: { address: entryPoint08Address, version: "0.8" },
  });
  const smartAccountClient = createSmartAccountClient({
    account,
    chain,
    bundlerTransport: http(bundlerUrl),
    // The dApp pays with its credits; the service refuses what the paymaster would refuse, before signing.
    paymaster: createCreditPaymasterServiceClient({
      url: paymasterServiceUrl,
      mode: "SPONSORED",
      sponsor: dapp,
    }),
    userOperation: { estimateFeesPerGas: async () => (await pimlico.getUserOperationGasPrice()).fast },
  });
  const hash = await smartAccountClient.sendUserOperation({ calls: [{ to, value: 0n, data: "0x" }] });
  const receipt = await smartAccountClient.waitForUserOperationReceipt({ hash });
  // docs:end wallet
  return { account, smartAccountClient, receipt };
}

/**
 * The ledger's CreditsSpent events of a transaction's logs (the one event per charged operation), their decoded
 * `spenderData`, and the paymasters' own logs (none on the steady path).
 */
function creditEvents(env: E2EEnvironment, logs: readonly Log[]) {
  const ledgerLogs = logs.filter((l) => getAddress(l.address) === env.system.ledger);
  const spent = parseEventLogs({ abi: creditLedgerAbi, eventName: "CreditsSpent", logs: ledgerLogs }).map(
    (e) => e.args,
  );
  const charged = spent.map((s) => decodePaymasterSpendData(s.spenderData));
  const paymasters = Object.values(env.system.paymasters);
  const paymasterLogs = logs.filter((l) => paymasters.includes(getAddress(l.address)));
  expect(paymasterLogs, "the paymaster emits nothing of its own per operation").to.have.length(0);
  return { spent, charged };
}

function dappWallet(env: E2EEnvironment) {
  return createWalletClient({ chain: env.chain, transport: http(env.rpcUrl), account: env.system.dapp });
}

async function send(env: E2EEnvironment, hash: Promise<Hex>): Promise<void> {
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).to.equal("success");
}

/** The dApp buys credits for `account` with `value` wei. */
async function dappBuysCreditsFor(env: E2EEnvironment, account: Address, value: bigint): Promise<void> {
  await send(
    env,
    dappWallet(env).writeContract({
      address: env.system.ledger,
      abi: creditLedgerAbi,
      functionName: "buyCredits",
      args: [account],
      value,
    }),
  );
}

/** The dApp gives `beneficiary` an allowance of 50 credits per day that never expires. */
async function dappSetsAllowance(env: E2EEnvironment, beneficiary: Address): Promise<void> {
  await send(
    env,
    dappWallet(env).writeContract({
      address: env.system.ledger,
      abi: creditLedgerAbi,
      functionName: "setAllowance",
      args: [beneficiary, 50n * CREDIT, 86_400, NEVER],
    }),
  );
}

/** A SimpleAccount of `owner` (a fresh random one by default) on `version`'s EntryPoint (not deployed until its first operation). */
async function newAccount(
  env: E2EEnvironment,
  version: "0.7" | "0.8",
  owner: LocalAccount = privateKeyToAccount(generatePrivateKey()),
) {
  return toSimpleSmartAccount({
    client: env.publicClient,
    owner,
    entryPoint: { address: env.system.entryPoints[version], version },
    factoryAddress: env.system.factories[version],
  });
}

type E2EAccount = Awaited<ReturnType<typeof newAccount>>;
type PaymasterOption = Parameters<typeof createSmartAccountClient>[0]["paymaster"];

/** A smart account client for `account` through alto, paying with `paymaster`, at alto's "fast" gas price. */
function accountClient(
  env: E2EEnvironment,
  account: E2EAccount,
  paymaster: PaymasterOption,
  bundlerTransport = http(env.bundlerUrl),
) {
  const pimlico = createPimlicoClient({ transport: http(env.bundlerUrl), entryPoint: account.entryPoint });
  return createSmartAccountClient({
    account,
    chain: env.chain,
    bundlerTransport,
    paymaster,
    userOperation: { estimateFeesPerGas: async () => (await pimlico.getUserOperationGasPrice()).fast },
  });
}

/** The dApp buys credits with ETH (1 ETH = 3,000 credits at the mock feed's $3,000). */
export async function dappBuysCredits(env: E2EEnvironment): Promise<void> {
  await dappBuysCreditsFor(env, env.system.dapp, parseEther("1"));
  expect(await creditsOf(env, env.system.dapp)).to.equal(3_000n * CREDIT);
}

async function creditsOf(env: E2EEnvironment, account: Address): Promise<bigint> {
  return env.publicClient.readContract({
    address: env.system.ledger,
    abi: creditLedgerAbi,
    functionName: "balanceOfCredits",
    args: [account],
  });
}

/**
 * EntryPoint v0.8, SPONSORED: a fresh SimpleAccount created by its first operation (the documented snippet), then a
 * second operation; the user never holds ETH and the dApp's credits fall by exactly the CreditsSpent amounts.
 */
export async function sponsoredOperationsV08(env: E2EEnvironment): Promise<void> {
  const owner = privateKeyToAccount(generatePrivateKey());
  const probe = await newAccount(env, "0.8", owner);
  await dappSetsAllowance(env, probe.address);
  expect(await env.publicClient.getCode({ address: probe.address })).to.equal(undefined);
  expect(await env.publicClient.getBalance({ address: probe.address })).to.equal(0n);
  const dappBefore = await creditsOf(env, env.system.dapp);

  const started = performance.now();
  const first = await sponsoredFromWallet({
    publicClient: env.publicClient,
    chain: env.chain,
    owner,
    factoryAddress: env.system.factories["0.8"],
    bundlerUrl: env.bundlerUrl,
    paymasterServiceUrl: env.paymasterServiceUrl,
    dapp: env.system.dapp,
    to: env.system.admin,
  });
  const firstSeconds = (performance.now() - started) / 1000;
  expect(first.account.address).to.equal(probe.address);
  expect(first.receipt.success).to.equal(true);
  expect(getAddress(first.receipt.paymaster ?? "0x")).to.equal(env.system.paymasters["0.8"]);
  expect(await env.publicClient.getCode({ address: probe.address })).to.not.equal(undefined);
  expect(await env.publicClient.getBalance({ address: probe.address })).to.equal(0n);

  const hash = await first.smartAccountClient.sendUserOperation({
    calls: [{ to: env.system.admin, value: 0n, data: "0x" }],
  });
  const second = await first.smartAccountClient.waitForUserOperationReceipt({ hash });
  expect(second.success).to.equal(true);
  expect(await env.publicClient.getBalance({ address: probe.address })).to.equal(0n);

  const events = [first.receipt, second].map((r) => creditEvents(env, r.receipt.logs));
  const burned = events.flatMap((e) => e.spent).reduce((sum, e) => sum + e.amount, 0n);
  for (const [i, e] of events.entries()) {
    expect(e.spent.map((s) => [s.account, s.beneficiary, s.spender])).to.deep.equal([
      [env.system.dapp, probe.address, env.system.paymasters["0.8"]],
    ]);
    expect(e.charged.map((c) => [c.mode, c.policyId])).to.deep.equal([["SPONSORED", 0n]]);
    const receipt = i === 0 ? first.receipt : second;
    env.notes.push(
      `v0.8 sponsored op ${i + 1}: actualGasUsed ${receipt.actualGasUsed}, ${receipt.actualGasCost} wei, ` +
        `${e.spent[0].amount} credit units burned`,
    );
  }
  expect(await creditsOf(env, env.system.dapp)).to.equal(dappBefore - burned);
  const estimate = await first.smartAccountClient.estimateUserOperationGas({
    calls: [{ to: env.system.admin, value: 0n, data: "0x" }],
  });
  env.notes.push(
    `alto's estimate for a later SPONSORED op: paymasterVerificationGasLimit ${estimate.paymasterVerificationGasLimit}, ` +
      `paymasterPostOpGasLimit ${estimate.paymasterPostOpGasLimit}`,
  );
  env.notes.push(`v0.8 first sponsored op (account creation) end to end: ${firstSeconds.toFixed(1)} s`);
}

/** EntryPoint v0.8, SELF: the account pays with credits bought for it (by the dApp), never holding ETH. */
export async function selfPaidOperationV08(env: E2EEnvironment): Promise<void> {
  const account = await newAccount(env, "0.8");
  await dappBuysCreditsFor(env, account.address, parseEther("0.01"));
  const before = await creditsOf(env, account.address);
  expect(before).to.equal(30n * CREDIT);
  const client = accountClient(
    env,
    account,
    createCreditPaymasterServiceClient({
      url: env.paymasterServiceUrl,
      mode: "SELF",
      maxCredits: 20n * CREDIT,
    }),
  );
  const calls = [{ to: env.system.admin, value: 0n, data: "0x" as Hex }];
  const estimate = await client.estimateUserOperationGas({ calls });
  env.notes.push(
    `alto's estimate for a first SELF op (x1.3 / x1.2 of the simulated use): paymasterVerificationGasLimit ` +
      `${estimate.paymasterVerificationGasLimit}, paymasterPostOpGasLimit ${estimate.paymasterPostOpGasLimit} ` +
      `(the client uses ${DEFAULT_PAYMASTER_VERIFICATION_GAS_LIMIT} / the paymaster's postOp floor for the operation)`,
  );
  const hash = await client.sendUserOperation({ calls });
  const receipt = await client.waitForUserOperationReceipt({ hash });
  expect(receipt.success).to.equal(true);
  const { spent, charged } = creditEvents(env, receipt.receipt.logs);
  expect(spent.map((s) => [s.account, s.beneficiary])).to.deep.equal([[account.address, account.address]]);
  expect(charged.map((c) => [c.mode, c.policyId])).to.deep.equal([["SELF", 0n]]);
  expect(await creditsOf(env, account.address)).to.equal(before - spent[0].amount);
  expect(await env.publicClient.getBalance({ address: account.address })).to.equal(0n);
  env.notes.push(
    `v0.8 self-paid op: actualGasUsed ${receipt.actualGasUsed}, ${spent[0].amount} credit units burned`,
  );
}

/**
 * A user without allowance: the service refuses the stub request (-32015) with a readable reason; the bundler
 * receives nothing for this sender and nothing reaches the chain.
 */
export async function rejectedWithoutAllowance(env: E2EEnvironment): Promise<void> {
  const account = await newAccount(env, "0.8");
  const bundlerBodies: string[] = [];
  const bundlerTransport = http(env.bundlerUrl, {
    onFetchRequest: (_request, init) => {
      bundlerBodies.push(typeof init.body === "string" ? init.body : "");
    },
  });
  const client = accountClient(
    env,
    account,
    createCreditPaymasterServiceClient({
      url: env.paymasterServiceUrl,
      mode: "SPONSORED",
      sponsor: env.system.dapp,
    }),
    bundlerTransport,
  );
  const error = await client
    .sendUserOperation({ calls: [{ to: env.system.admin, value: 0n, data: "0x" }] })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error, "sendUserOperation must fail").to.be.instanceOf(BaseError);
  const rpc = (error as BaseError).walk(
    (e) => typeof e === "object" && e !== null && "code" in e && e.code === -32015,
  );
  expect(rpc, "the service's NO_ALLOWANCE error (-32015) in the cause chain").to.not.equal(null);
  expect((error as BaseError).message).to.contain(
    `rejected by the credit paymaster: sponsor ${env.system.dapp} gave ${account.address} no allowance`,
  );
  const sender = account.address.toLowerCase();
  expect(
    bundlerBodies.filter((b) => b.toLowerCase().includes(sender)),
    "requests to the bundler naming the sender",
  ).to.deep.equal([]);
  expect(env.altoLog().toLowerCase().includes(sender), "the sender appears in alto's log").to.equal(false);
  expect(await env.publicClient.getCode({ address: account.address })).to.equal(undefined);
  env.notes.push(`rejected op: ${rpc instanceof BaseError ? rpc.details : String(rpc)}`);
}

/** EntryPoint v0.8, SPONSORED, with the local paymaster client (chain reads, no service) as `paymaster`. */
export async function sponsoredWithLocalClient(env: E2EEnvironment): Promise<void> {
  const account = await newAccount(env, "0.8");
  await dappSetsAllowance(env, account.address);
  const paymaster = createCreditPaymasterClient({
    publicClient: env.publicClient,
    paymaster: env.system.paymasters["0.8"],
    ledger: env.system.ledger,
    mode: "SPONSORED",
    sponsor: env.system.dapp,
  });
  const client = accountClient(env, account, paymaster);
  const before = await paymaster.credits.remainingAllowance(env.system.dapp, account.address);
  const hash = await client.sendUserOperation({ calls: [{ to: env.system.admin, value: 0n, data: "0x" }] });
  const receipt = await client.waitForUserOperationReceipt({ hash });
  expect(receipt.success).to.equal(true);
  const { spent } = creditEvents(env, receipt.receipt.logs);
  expect(spent.map((s) => [s.account, s.beneficiary])).to.deep.equal([[env.system.dapp, account.address]]);
  expect(await paymaster.credits.remainingAllowance(env.system.dapp, account.address)).to.equal(
    before - spent[0].amount,
  );
  expect(await env.publicClient.getBalance({ address: account.address })).to.equal(0n);
}

/** EntryPoint v0.7, SPONSORED: the service's v0.7 paymaster, the v0.7 SimpleAccount. */
export async function sponsoredOperationV07(env: E2EEnvironment): Promise<void> {
  const account = await newAccount(env, "0.7");
  await dappSetsAllowance(env, account.address);
  const dappBefore = await creditsOf(env, env.system.dapp);
  const client = accountClient(
    env,
    account,
    createCreditPaymasterServiceClient({
      url: env.paymasterServiceUrl,
      mode: "SPONSORED",
      sponsor: env.system.dapp,
    }),
  );
  const hash = await client.sendUserOperation({ calls: [{ to: env.system.admin, value: 0n, data: "0x" }] });
  const receipt = await client.waitForUserOperationReceipt({ hash });
  expect(receipt.success).to.equal(true);
  expect(getAddress(receipt.entryPoint)).to.equal(env.system.entryPoints["0.7"]);
  expect(getAddress(receipt.paymaster ?? "0x")).to.equal(env.system.paymasters["0.7"]);
  const { spent } = creditEvents(env, receipt.receipt.logs);
  expect(spent.map((s) => [s.account, s.beneficiary, s.spender])).to.deep.equal([
    [env.system.dapp, account.address, env.system.paymasters["0.7"]],
  ]);
  expect(await creditsOf(env, env.system.dapp)).to.equal(dappBefore - spent[0].amount);
  expect(await env.publicClient.getBalance({ address: account.address })).to.equal(0n);
  env.notes.push(
    `v0.7 sponsored op: actualGasUsed ${receipt.actualGasUsed}, ${spent[0].amount} credit units burned`,
  );
}

/** The dApp's policy `policyId` as the ledger's view returns it. */
function readPolicy(env: E2EEnvironment, policyId: bigint) {
  return env.publicClient.readContract({
    address: env.system.ledger,
    abi: creditLedgerAbi,
    functionName: "policy",
    args: [env.system.dapp, policyId],
  });
}

/**
 * The dApp creates two open policies signed by the service's key (any user, no per-user transaction, daily epochs):
 * 1 (the service's file only allows calls to the admin address) and 2 (no rule of the service; used to spend the
 * policy's budget).
 */
export async function dappCreatesPolicies(env: E2EEnvironment): Promise<void> {
  const now = Number((await env.publicClient.getBlock()).timestamp);
  for (const id of [1n, 2n]) {
    await send(
      env,
      dappWallet(env).writeContract({
        address: env.system.ledger,
        abi: creditLedgerAbi,
        functionName: "createPolicy",
        args: [
          {
            creditsPerUser: 50n * CREDIT,
            opsPerUser: 20,
            creditsPerEpoch: 1_000n * CREDIT,
            creditsPerOp: 0n,
            start: now - 60,
            end: now + 30 * 86_400,
            signer: env.policySigner,
          },
          86_400,
        ],
      }),
    );
    expect((await readPolicy(env, id)).terms.signer).to.equal(env.policySigner);
  }
}

/** A smart account client of `account` paying under the dApp's policy `policyId`, through the service. */
function policyClient(
  env: E2EEnvironment,
  account: E2EAccount,
  policyId: bigint,
  bundlerTransport?: ReturnType<typeof http>,
) {
  return accountClient(
    env,
    account,
    createCreditPaymasterServiceClient({
      url: env.paymasterServiceUrl,
      mode: "POLICY",
      sponsor: env.system.dapp,
      policyId,
    }),
    bundlerTransport,
  );
}

/**
 * Under the dApp's open signed policy 1: a counterfactual SimpleAccount the chain has never seen, holding 0 ETH and
 * given no allowance, sends its first operation (which deploys it); the service signs the approval, alto bundles
 * it, the dApp's credits pay, and the ledger records the user's usage under the policy.
 */
export async function sponsoredUnderPolicy(env: E2EEnvironment, version: "0.7" | "0.8"): Promise<void> {
  const account = await newAccount(env, version);
  expect(await env.publicClient.getCode({ address: account.address })).to.equal(undefined);
  expect(await env.publicClient.getBalance({ address: account.address })).to.equal(0n);
  const allowance = await env.publicClient.readContract({
    address: env.system.ledger,
    abi: creditLedgerAbi,
    functionName: "allowance",
    args: [env.system.dapp, account.address],
  });
  expect(allowance.limit, "no per-user allowance").to.equal(0n);
  const dappBefore = await creditsOf(env, env.system.dapp);
  const client = policyClient(env, account, 1n);
  const hash = await client.sendUserOperation({ calls: [{ to: env.system.admin, value: 0n, data: "0x" }] });
  const receipt = await client.waitForUserOperationReceipt({ hash });
  expect(receipt.success).to.equal(true);
  expect(getAddress(receipt.paymaster ?? "0x")).to.equal(env.system.paymasters[version]);
  expect(await env.publicClient.getCode({ address: account.address })).to.not.equal(undefined);
  expect(await env.publicClient.getBalance({ address: account.address })).to.equal(0n);
  const { spent, charged } = creditEvents(env, receipt.receipt.logs);
  expect(spent.map((s) => [s.account, s.beneficiary, s.spender])).to.deep.equal([
    [env.system.dapp, account.address, env.system.paymasters[version]],
  ]);
  expect(charged.map((c) => [c.mode, c.policyId])).to.deep.equal([["POLICY", 1n]]);
  expect(await creditsOf(env, env.system.dapp)).to.equal(dappBefore - spent[0].amount);
  const usage = await env.publicClient.readContract({
    address: env.system.ledger,
    abi: creditLedgerAbi,
    functionName: "policyUsage",
    args: [env.system.dapp, 1n, account.address],
  });
  expect([usage.credits, usage.ops]).to.deep.equal([spent[0].amount, 1]);
  env.notes.push(
    `v${version} first op under a signed policy (account creation, no per-user transaction): actualGasUsed ` +
      `${receipt.actualGasUsed}, ${spent[0].amount} credit units burned`,
  );
}

/** The error of a `sendUserOperation` that must fail with the service's JSON-RPC `code`, and the bundler's bodies. */
async function refusedByService(env: E2EEnvironment, policyId: bigint, to: Address, code: number) {
  const account = await newAccount(env, "0.8");
  const bundlerBodies: string[] = [];
  const bundlerTransport = http(env.bundlerUrl, {
    onFetchRequest: (_request, init) => {
      bundlerBodies.push(typeof init.body === "string" ? init.body : "");
    },
  });
  const client = policyClient(env, account, policyId, bundlerTransport);
  const error = await client.sendUserOperation({ calls: [{ to, value: 0n, data: "0x" }] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "sendUserOperation must fail").to.be.instanceOf(BaseError);
  const rpc = (error as BaseError).walk(
    (e) => typeof e === "object" && e !== null && "code" in e && e.code === code,
  );
  expect(rpc, `the service's error ${code} in the cause chain`).to.not.equal(null);
  const sender = account.address.toLowerCase();
  expect(
    bundlerBodies.filter((b) => b.toLowerCase().includes(sender)),
    "requests to the bundler naming the sender",
  ).to.deep.equal([]);
  expect(await env.publicClient.getCode({ address: account.address })).to.equal(undefined);
  return {
    message: (error as BaseError).message,
    details: rpc instanceof BaseError ? rpc.details : String(rpc),
  };
}

/** Policy 1's file allows calls to the admin address only: a call to the ledger is refused by the target rule. */
export async function policyTargetRefused(env: E2EEnvironment): Promise<void> {
  const { message, details } = await refusedByService(env, 1n, env.system.ledger, -32034);
  expect(message).to.contain(
    `refused by rule "targets" of policy 1 of sponsor ${env.system.dapp}: call 0 goes to ${env.system.ledger}`,
  );
  env.notes.push(`refused by the target rule: ${details}`);
}

/**
 * Policy 2: one operation spends part of the budget; the dApp then lowers the budget to what was spent (an update
 * keeps the spending), so the policy's epoch budget is spent, and the next operation is refused (-32022).
 */
export async function policyBudgetSpent(env: E2EEnvironment): Promise<void> {
  const first = await newAccount(env, "0.8");
  const client = policyClient(env, first, 2n);
  const hash = await client.sendUserOperation({ calls: [{ to: env.system.admin, value: 0n, data: "0x" }] });
  expect((await client.waitForUserOperationReceipt({ hash })).success).to.equal(true);
  const policy = await readPolicy(env, 2n);
  expect(policy.used > 0n, "the first operation spent part of the budget").to.equal(true);
  await send(
    env,
    dappWallet(env).writeContract({
      address: env.system.ledger,
      abi: creditLedgerAbi,
      functionName: "updatePolicy",
      args: [2n, { ...policy.terms, creditsPerEpoch: policy.used }],
    }),
  );
  const { message, details } = await refusedByService(env, 2n, env.system.admin, -32022);
  expect(message).to.contain(
    `policy 2 of sponsor ${env.system.dapp} has 0 credits left this epoch for all users`,
  );
  expect(message).to.contain("its epoch budget is spent");
  env.notes.push(`refused once the policy's budget is spent: ${details}`);
}
