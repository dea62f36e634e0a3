/**
 * `npm run check:erc7562:alto [-- --json]`: alto's own ERC-7562 rules, on a node that runs its tracer.
 *
 * 1. starts anvil (`@foundry-rs/anvil`) on a free loopback port — it runs `debug_traceCall` with JavaScript tracers;
 * 2. deploys the whole system with the production deploy script and Ignition module (`deploySystemForE2E`, as the
 *    end-to-end run does on `hardhat node`), then alto's simulation contracts with alto's own deploy function;
 * 3. for every case of {@link CASES} — each paymaster mode on EntryPoint v0.8 and v0.7, for an operation that
 *    creates its SimpleAccount and one of an existing account, built as a wallet builds it (permissionless'
 *    SimpleAccount, viem's `prepareUserOperation` with this project's paymaster client: postOp limit at the floor),
 *    and the deliberately non-compliant test paymasters — runs alto's `bundlerCollectorTracer` +
 *    `tracerResultParserV07` (scripts/lib/alto-tracer.ts) and this project's `analyzeValidation`, and compares them
 *    (`judgeCase`, src/erc7562/alto.ts);
 * 4. prints a table (or JSON), stops anvil's process group (also on error and on Ctrl-C) and exits non-zero when a
 *    compliant case is rejected, a non-compliant one accepted, or the checkers disagree without a documented reason.
 *
 * See docs/erc7562-checker.md, "alto's tracer on anvil".
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { JsonRpcProvider } from "ethers";
import {
  concat,
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  numberToHex,
  parseEther,
  zeroAddress,
} from "viem";
import type { Abi, Address, Chain, Hex, PublicClient, WalletClient } from "viem";
import { hardhat } from "viem/chains";
import { createBundlerClient, prepareUserOperation, toPackedUserOperation } from "viem/account-abstraction";
import type { GetPaymasterDataParameters, PaymasterActions, UserOperation } from "viem/account-abstraction";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { PrivateKeyAccount } from "viem/accounts";
import { toSimpleSmartAccount } from "permissionless/accounts";
import { toSimple7702SmartAccount } from "viem/account-abstraction";
import type { SignedAuthorization } from "viem";

import { createCreditPaymasterClient, creditLedgerAbi } from "../src/client";
import type { CreditModeOptions } from "../src/client";
import { KNOWN_DIFFERENCES, judgeCase } from "../src/erc7562/alto";
import type { CaseExpectation, CaseJudgement, Verdict } from "../src/erc7562/alto";
import type { Violation } from "../src/erc7562";
import { deploySystemForE2E } from "./lib/deploy-node";
import type { E2ESystem } from "./lib/deploy-node";
import { checkErc7562 } from "../src/erc7562/check";
import type { EntryPointVersion } from "../src/aa/entrypoint";
import { altoValidate, deployAltoSimulations, loadAlto } from "./lib/alto-tracer";
import type {
  AltoModules,
  AltoSimulationContracts,
  AltoUserOperation,
  AltoValidation,
} from "./lib/alto-tracer";
import { startAnvil } from "./lib/anvil-process";
import type { AnvilNode } from "./lib/anvil-process";

const ROOT = path.resolve(__dirname, "..");

/** anvil's default key #1 (hardhat node's too): alto's utility wallet, which deploys its simulation contracts. */
const ALTO_UTILITY_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/**
 * viem's HTTP options towards anvil: a JavaScript-traced simulation can take seconds on a loaded 2-core machine, past
 * viem's default 10 s timeout.
 */
const RPC_OPTIONS = { timeout: 120_000 } as const;

/** `type(uint32).max`: an allowance that never expires. */
const NEVER = 2n ** 32n - 1n;
const CREDIT = 1_000_000n;
const ONE_ETH = parseEther("1");
const UNSTAKE_DELAY = 86_400;

/**
 * Gas limits of the operations, within the paymaster's caps (ignition/parameters/localhost.json). A wallet takes
 * them from its bundler's estimate; with none here, they are fixed above what alto estimated for these operations in
 * the end-to-end run. The paymaster fields come from the paymaster client, never from these.
 */
const OPERATION_GAS = {
  new: { verificationGasLimit: 500_000n, callGasLimit: 100_000n, preVerificationGas: 80_000n },
  existing: { verificationGasLimit: 150_000n, callGasLimit: 100_000n, preVerificationGas: 80_000n },
} as const;

/** Paymaster gas limits of operations sent to the test paymasters (as test/erc7562/checker.test.ts). */
const TEST_PAYMASTER_GAS = { paymasterVerificationGasLimit: 200_000n, paymasterPostOpGasLimit: 50_000n };

// ---------------------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------------------

/**
 * The credit paymaster's modes: SELF and SPONSORED (through the project's viem paymaster client), and POLICY under
 * an open policy of the dApp, under a policy whose approvals an EOA signs, and under one whose approvals an ERC-1271
 * contract (contracts/test/TestPolicySigner.sol, a Safe stand-in) validates.
 */
type CreditMode = Exclude<CreditModeOptions["mode"], "POLICY"> | PolicyMode;
type PolicyMode = "POLICY open" | "POLICY EOA signer" | "POLICY ERC-1271 signer";

/** The test-only paymasters of contracts/test/TestNonCompliantPaymasters.sol (and the accept-all baseline). */
type TestPaymasterName =
  | "TestAcceptAllPaymaster"
  | "TestTimestampPaymaster"
  | "TestGasPaymaster"
  | "TestOutOfGasPaymaster"
  | "TestForeignWritePaymaster"
  | "TestForeignReadPaymaster"
  | "TestSelfAssociatedPaymaster"
  | "TestSenderAssociatedPaymaster"
  | "TestTransientPaymaster"
  | "TestOwnStoragePaymaster";

/** Which paymaster pays for a case's operation. */
type PaymasterSpec =
  | { readonly kind: "credit"; readonly mode: CreditMode }
  | { readonly kind: "test"; readonly contract: TestPaymasterName; readonly staked: boolean };

/** The sender of a case (see {@link CheckCase.account}). */
type AccountKind = "new" | "existing" | "eip7702 first" | "eip7702 delegated";

/**
 * The credit modes checked with an EIP-7702 sender's first operation (its authorization applied by the trace's
 * state override). A signed policy's approval needs the EntryPoint's hash of the op, which substitutes the sender's
 * delegate: a never-delegated EOA has none on chain yet, so signed policies are checked once it is delegated.
 */
const EIP7702_FIRST_MODES: readonly CreditMode[] = ["SELF", "SPONSORED", "POLICY open"];

/** One operation checked by both checkers. */
export interface CheckCase {
  readonly name: string;
  readonly entryPoint: EntryPointVersion;
  /**
   * "new": the operation creates its SimpleAccount (initCode); "existing": the account was created before;
   * "eip7702 first": a fresh EOA (0 ETH, never delegated) whose operation carries its EIP-7702 authorization for
   * Simple7702Account (`eip7702Auth`, the `0x7702` marker); "eip7702 delegated": that EOA after its delegation.
   */
  readonly account: AccountKind;
  readonly paymaster: PaymasterSpec;
  readonly expect: CaseExpectation;
}

/** What each credit mode needs set up for a fresh account before it can pay, and the paymaster a wallet uses. */
interface CreditModeSetup {
  /** The paymaster actions a wallet uses in this mode on `version`'s EntryPoint. */
  paymaster(env: Env, version: EntryPointVersion): Promise<PaymasterActions>;
  /** Funds `account` (an address that may not exist yet) so the mode can pay for its operations. */
  fund(env: Env, account: Address): Promise<void>;
}

/**
 * The credit paymaster's modes; {@link CASES} checks each on both EntryPoints, for a new and an existing account.
 * A POLICY mode needs nothing per user: the dApp's policy (created once, {@link dappPolicy}) serves any sender.
 */
const CREDIT_MODES: Readonly<Record<CreditMode, CreditModeSetup>> = {
  SELF: {
    paymaster: (env, version) => Promise.resolve(creditPaymaster(env, version, { mode: "SELF" })),
    // The account holds credits of its own, bought for it by the dApp.
    fund: (env, account) => buyCredits(env, account, parseEther("0.05")),
  },
  SPONSORED: {
    paymaster: (env, version) =>
      Promise.resolve(creditPaymaster(env, version, { mode: "SPONSORED", sponsor: env.system.dapp })),
    // The dApp (which bought credits at the start) gives the account 50 credits a day, forever.
    fund: (env, account) =>
      send(
        env,
        {
          address: env.system.ledger,
          abi: creditLedgerAbi,
          functionName: "setAllowance",
          args: [account, 50n * CREDIT, 86_400, NEVER],
        },
        env.system.dapp,
      ),
  },
  "POLICY open": {
    paymaster: (env, v) => policyPaymaster(env, v, "POLICY open"),
    fund: () => Promise.resolve(),
  },
  "POLICY EOA signer": {
    paymaster: (env, v) => policyPaymaster(env, v, "POLICY EOA signer"),
    fund: () => Promise.resolve(),
  },
  "POLICY ERC-1271 signer": {
    paymaster: (env, v) => policyPaymaster(env, v, "POLICY ERC-1271 signer"),
    fund: () => Promise.resolve(),
  },
};

const compliant: CaseExpectation = { compliant: true };
const violates = (rule: string): CaseExpectation => ({ compliant: false, rule });

/** The test paymasters, on EntryPoint v0.8 unless said otherwise: what each is expected to break. */
const TEST_PAYMASTER_CASES: readonly (Omit<CheckCase, "name" | "account" | "entryPoint"> & {
  entryPoint?: EntryPointVersion;
})[] = [
  {
    paymaster: { kind: "test", contract: "TestTimestampPaymaster", staked: false },
    expect: violates("OP-011"),
  },
  {
    paymaster: { kind: "test", contract: "TestTimestampPaymaster", staked: true },
    expect: { ...violates("OP-011"), knownDifference: "OP-011-staked" },
  },
  { paymaster: { kind: "test", contract: "TestGasPaymaster", staked: false }, expect: violates("OP-012") },
  {
    paymaster: { kind: "test", contract: "TestOutOfGasPaymaster", staked: false },
    expect: violates("OP-020"),
  },
  {
    paymaster: { kind: "test", contract: "TestForeignWritePaymaster", staked: false },
    expect: violates("STO-033"),
  },
  {
    paymaster: { kind: "test", contract: "TestForeignWritePaymaster", staked: true },
    expect: violates("STO-033"),
  },
  {
    paymaster: { kind: "test", contract: "TestForeignReadPaymaster", staked: false },
    expect: violates("STO-033"),
  },
  { paymaster: { kind: "test", contract: "TestForeignReadPaymaster", staked: true }, expect: compliant },
  {
    paymaster: { kind: "test", contract: "TestSelfAssociatedPaymaster", staked: false },
    expect: violates("STO-032"),
  },
  { paymaster: { kind: "test", contract: "TestSelfAssociatedPaymaster", staked: true }, expect: compliant },
  {
    paymaster: { kind: "test", contract: "TestSenderAssociatedPaymaster", staked: false },
    // alto means to reject it (EREP-050: an unstaked paymaster returns a context), but on anvil its tracer records
    // every frame exit as a revert, so its parser never sees the context (docs/erc7562-checker.md).
    expect: compliant,
  },
  { paymaster: { kind: "test", contract: "TestSenderAssociatedPaymaster", staked: true }, expect: compliant },
  {
    paymaster: { kind: "test", contract: "TestTransientPaymaster", staked: false },
    expect: violates("STO-033"),
  },
  {
    paymaster: { kind: "test", contract: "TestOwnStoragePaymaster", staked: false },
    expect: violates("STO-031"),
  },
  { paymaster: { kind: "test", contract: "TestOwnStoragePaymaster", staked: true }, expect: compliant },
  {
    entryPoint: "0.7",
    paymaster: { kind: "test", contract: "TestTimestampPaymaster", staked: false },
    expect: violates("OP-011"),
  },
];

/** Every case: the credit paymaster's modes (compliant), then the test paymasters. */
export const CASES: readonly CheckCase[] = [
  ...(["0.8", "0.7"] as const).flatMap((entryPoint) =>
    (Object.keys(CREDIT_MODES) as CreditMode[]).flatMap((mode) =>
      (["new", "existing"] as const).map((account): CheckCase => ({
        name: `v${entryPoint} ${mode}, ${account === "new" ? "creates its account" : "existing account"}`,
        entryPoint,
        account,
        paymaster: { kind: "credit", mode },
        expect:
          entryPoint === "0.7" && account === "new"
            ? { compliant: true, knownDifference: "ANVIL-V07-CREATION" }
            : compliant,
      })),
    ),
  ),
  ...(Object.keys(CREDIT_MODES) as CreditMode[]).flatMap((mode) =>
    (["eip7702 first", "eip7702 delegated"] as const)
      .filter((account) => account === "eip7702 delegated" || EIP7702_FIRST_MODES.includes(mode))
      .map((account): CheckCase => ({
        name: `v0.8 ${mode}, EIP-7702 EOA${account === "eip7702 first" ? " with its authorization" : ", delegated"}`,
        entryPoint: "0.8",
        account,
        paymaster: { kind: "credit", mode },
        expect: compliant,
      })),
  ),
  ...TEST_PAYMASTER_CASES.map((c): CheckCase => ({
    ...c,
    name: `v${c.entryPoint ?? "0.8"} ${c.paymaster.kind === "test" ? c.paymaster.contract : ""}${
      c.paymaster.kind === "test" && c.paymaster.staked ? " (staked)" : ""
    }`,
    entryPoint: c.entryPoint ?? "0.8",
    account: "existing",
  })),
];

// ---------------------------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------------------------

interface Env {
  anvil: AnvilNode;
  chain: Chain;
  publicClient: PublicClient;
  /** anvil's unlocked account #0 (the deployer), which also submits the account-creating operations. */
  wallet: WalletClient;
  provider: JsonRpcProvider;
  system: E2ESystem;
  alto: AltoModules;
  simulations: AltoSimulationContracts;
  /** Deployed test paymasters, by "<version> <contract> <staked>". */
  testPaymasters: Map<string, Address>;
  storageTarget?: Address;
  /** The dApp's policy of each POLICY mode (created on first use). */
  policies: Map<PolicyMode, { policyId: bigint; approver?: PrivateKeyAccount }>;
  /** Simple7702Account, the EIP-7702 EOAs' delegate (deployed on first use). */
  eip7702Delegate?: Address;
}

/** Sends a transaction from `from` (an unlocked anvil account), after simulating it: a revert throws its reason. */
async function send(
  env: Env,
  request: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint },
  from: Address = env.system.admin,
): Promise<void> {
  const { request: simulated } = await env.publicClient.simulateContract({
    ...request,
    account: from,
  } as Parameters<PublicClient["simulateContract"]>[0]);
  // anvil's eth_estimateGas can fall short for calls whose callees forward gas (it happened to buyCredits, which
  // deposits into the EntryPoint): give half as much again.
  const estimate = await env.publicClient.estimateContractGas({ ...request, account: from } as Parameters<
    PublicClient["estimateContractGas"]
  >[0]);
  const hash = await env.wallet.writeContract({
    ...simulated,
    gas: (estimate * 3n) / 2n,
    chain: env.chain,
  } as Parameters<WalletClient["writeContract"]>[0]);
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
  if (receipt.status !== "success") {
    // Simulated fine but reverted when mined: say why (gas used, and the call tracer's error and output).
    const trace = (await env.publicClient
      .request({
        method: "debug_traceTransaction",
        params: [hash, { tracer: "callTracer" }],
      } as never)
      .catch((error: unknown) => ({ error: String(error) }))) as { error?: string; output?: string };
    throw new Error(
      `${request.functionName} reverted when mined (${hash}, gas used ${receipt.gasUsed}): ` +
        `${trace.error ?? ""} ${trace.output ?? ""}`,
    );
  }
}

/** The dApp buys credits for `account` with `value` wei. */
function buyCredits(env: Env, account: Address, value: bigint): Promise<void> {
  return send(
    env,
    { address: env.system.ledger, abi: creditLedgerAbi, functionName: "buyCredits", args: [account], value },
    env.system.dapp,
  );
}

function artifact(file: string, contract: string): { abi: Abi; bytecode: Hex } {
  const json = JSON.parse(
    readFileSync(path.join(ROOT, "artifacts", "contracts", "test", file, `${contract}.json`), "utf8"),
  ) as { abi: Abi; bytecode: Hex };
  return { abi: json.abi, bytecode: json.bytecode };
}

async function deploy(env: Env, file: string, contract: string, args: readonly unknown[]): Promise<Address> {
  const { abi, bytecode } = artifact(file, contract);
  const hash = await env.wallet.deployContract({
    abi,
    bytecode,
    args,
    account: env.system.admin,
    chain: env.chain,
  } as Parameters<WalletClient["deployContract"]>[0]);
  const receipt = await env.publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
  if (receipt.status !== "success" || receipt.contractAddress == null) {
    throw new Error(`deploying ${contract} failed (${hash})`);
  }
  return getAddress(receipt.contractAddress);
}

/** Deploys (once) a test paymaster for `version`, funds its deposit and, if asked, stakes it for a day. */
async function testPaymaster(
  env: Env,
  version: EntryPointVersion,
  contract: TestPaymasterName,
  staked: boolean,
): Promise<Address> {
  const key = `${version} ${contract} ${staked}`;
  const known = env.testPaymasters.get(key);
  if (known !== undefined) return known;
  const file =
    contract === "TestAcceptAllPaymaster" ? "TestAcceptAllPaymaster.sol" : "TestNonCompliantPaymasters.sol";
  const withTarget = [
    "TestForeignWritePaymaster",
    "TestForeignReadPaymaster",
    "TestSelfAssociatedPaymaster",
    "TestSenderAssociatedPaymaster",
    "TestTransientPaymaster",
  ].includes(contract);
  if (withTarget && env.storageTarget === undefined) {
    env.storageTarget = await deploy(env, "TestStorageTarget.sol", "TestStorageTarget", []);
  }
  const entryPoint = env.system.entryPoints[version];
  const address = await deploy(
    env,
    file,
    contract,
    withTarget ? [entryPoint, env.storageTarget] : [entryPoint],
  );
  const { abi } = artifact(file, contract);
  await send(env, { address, abi, functionName: "deposit", value: ONE_ETH });
  if (staked)
    await send(env, { address, abi, functionName: "addStake", args: [UNSTAKE_DELAY], value: ONE_ETH });
  env.testPaymasters.set(key, address);
  return address;
}

// ---------------------------------------------------------------------------------------------------------------
// Operations, built as a wallet builds them
// ---------------------------------------------------------------------------------------------------------------

type WalletAccount =
  Awaited<ReturnType<typeof toSimpleSmartAccount>> | Awaited<ReturnType<typeof toSimple7702SmartAccount>>;

/** A fresh user's SimpleAccount on `version`'s EntryPoint (counterfactual until its first operation). */
function newAccount(env: Env, version: EntryPointVersion): Promise<WalletAccount> {
  return toSimpleSmartAccount({
    client: env.publicClient,
    owner: privateKeyToAccount(generatePrivateKey()),
    entryPoint: { address: env.system.entryPoints[version], version },
    factoryAddress: env.system.factories[version],
  });
}

/** Simple7702Account (from @account-abstraction/contracts 0.8, compiled through contracts/test/AAImports.sol). */
async function eip7702Delegate(env: Env): Promise<Address> {
  if (env.eip7702Delegate === undefined) {
    const json = JSON.parse(
      readFileSync(
        path.join(
          ROOT,
          "artifacts",
          "@account-abstraction",
          "contracts",
          "accounts",
          "Simple7702Account.sol",
          "Simple7702Account.json",
        ),
        "utf8",
      ),
    ) as { abi: Abi; bytecode: Hex };
    const hash = await env.wallet.deployContract({
      abi: json.abi,
      bytecode: json.bytecode,
      account: env.system.admin,
      chain: env.chain,
    });
    const receipt = await env.publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
    if (receipt.status !== "success" || receipt.contractAddress == null) {
      throw new Error(`deploying Simple7702Account failed (${hash})`);
    }
    env.eip7702Delegate = getAddress(receipt.contractAddress);
  }
  return env.eip7702Delegate;
}

/** A fresh EOA (0 ETH, never delegated) as viem's Simple7702 smart account, and its key. */
async function new7702Account(env: Env): Promise<{ account: WalletAccount; owner: PrivateKeyAccount }> {
  const owner = privateKeyToAccount(generatePrivateKey());
  const account = await toSimple7702SmartAccount({
    client: env.publicClient,
    owner,
    implementation: await eip7702Delegate(env),
  });
  return { account, owner };
}

/** The EIP-7702 authorization `owner` signs for the delegate, at its current transaction count. */
async function authorizationOf(env: Env, owner: PrivateKeyAccount): Promise<SignedAuthorization> {
  return owner.signAuthorization({
    address: await eip7702Delegate(env),
    chainId: env.chain.id,
    nonce: await env.publicClient.getTransactionCount({ address: owner.address }),
  });
}

/** `PaymasterActions` of a test paymaster: fixed gas limits, no paymaster data. */
function fixedPaymaster(paymaster: Address): PaymasterActions {
  const fields = { paymaster, paymasterData: "0x" as Hex, ...TEST_PAYMASTER_GAS };
  return {
    getPaymasterStubData: () => Promise.resolve({ ...fields, isFinal: true }),
    getPaymasterData: () => Promise.resolve(fields),
  };
}

/**
 * Prepares and signs `account`'s operation (one empty call to the admin) as a wallet does: viem's
 * `prepareUserOperation` asks `paymaster` for its stub data, keeps its gas limits, asks it for the final data, and
 * the account signs. The gas limits are given (no bundler is asked: see {@link OPERATION_GAS}).
 */
async function walletOperation(
  env: Env,
  account: WalletAccount,
  paymaster: PaymasterActions,
  authorization?: SignedAuthorization,
): Promise<UserOperation<"0.7">> {
  const deployed = await account.isDeployed();
  const fees = await env.publicClient.estimateFeesPerGas();
  const bundlerClient = createBundlerClient({
    client: env.publicClient,
    transport: http(env.anvil.url, RPC_OPTIONS),
    paymaster,
  });
  const prepared = await prepareUserOperation(bundlerClient, {
    account,
    calls: [{ to: env.system.admin, value: 0n, data: "0x" }],
    ...OPERATION_GAS[deployed ? "existing" : "new"],
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    ...(authorization === undefined ? {} : { authorization }),
  } as Parameters<typeof prepareUserOperation>[1]);
  const op = { ...prepared, signature: "0x" as Hex } as UserOperation<"0.7">;
  op.signature = await account.signUserOperation(op);
  return op;
}

/** viem's operation in alto's shape (`null` for absent parts). */
function altoShape(op: UserOperation<"0.7">): AltoUserOperation {
  return {
    sender: op.sender,
    nonce: op.nonce,
    factory: op.factory ?? null,
    factoryData: op.factoryData ?? null,
    callData: op.callData,
    callGasLimit: op.callGasLimit,
    verificationGasLimit: op.verificationGasLimit,
    preVerificationGas: op.preVerificationGas,
    maxFeePerGas: op.maxFeePerGas,
    maxPriorityFeePerGas: op.maxPriorityFeePerGas,
    paymaster: op.paymaster ?? null,
    paymasterVerificationGasLimit: op.paymasterVerificationGasLimit ?? null,
    paymasterPostOpGasLimit: op.paymasterPostOpGasLimit ?? null,
    paymasterData: op.paymasterData ?? null,
    signature: op.signature,
    ...(op.authorization === undefined
      ? {}
      : {
          eip7702Auth: {
            address: op.authorization.address,
            chainId: op.authorization.chainId,
            nonce: op.authorization.nonce,
            r: op.authorization.r,
            s: op.authorization.s,
            yParity: op.authorization.yParity ?? 0,
          },
        }),
  };
}

const HANDLE_OPS_ABI = [
  {
    type: "function",
    name: "handleOps",
    stateMutability: "nonpayable",
    inputs: [
      {
        name: "ops",
        type: "tuple[]",
        components: [
          { name: "sender", type: "address" },
          { name: "nonce", type: "uint256" },
          { name: "initCode", type: "bytes" },
          { name: "callData", type: "bytes" },
          { name: "accountGasLimits", type: "bytes32" },
          { name: "preVerificationGas", type: "uint256" },
          { name: "gasFees", type: "bytes32" },
          { name: "paymasterAndData", type: "bytes" },
          { name: "signature", type: "bytes" },
        ],
      },
      { name: "beneficiary", type: "address" },
    ],
    outputs: [],
  },
] as const;

/** Submits `op` with `handleOps` from the admin EOA (a self-bundler), so that its account exists afterwards. */
async function submit(env: Env, version: EntryPointVersion, op: UserOperation<"0.7">): Promise<void> {
  await send(env, {
    address: env.system.entryPoints[version],
    abi: HANDLE_OPS_ABI,
    functionName: "handleOps",
    args: [[toPackedUserOperation(op)], env.system.admin],
  });
  if ((await env.publicClient.getCode({ address: op.sender })) === undefined) {
    throw new Error(`handleOps did not create ${op.sender}`);
  }
}

/** The credit paymaster client of `mode` on `version`, exactly as a wallet or dApp builds it (docs/client.md). */
function creditPaymaster(env: Env, version: EntryPointVersion, mode: CreditModeOptions) {
  return createCreditPaymasterClient({
    publicClient: env.publicClient,
    paymaster: env.system.paymasters[version],
    ledger: env.system.ledger,
    ...mode,
  });
}

// POLICY mode, built as src/aa/policy.ts documents it (the project's viem client has no POLICY mode yet): data after
// offset 52 is `2 ‖ sponsor ‖ policyId (8) ‖ maxCredits (8)`, then for a signed policy `validUntil (6) ‖ validAfter
// (6) ‖ signature`, the signer's EIP-712 `PolicyApproval` over `getUserOpHash` of the operation cut at byte 101.

/** Paymaster gas of a POLICY operation: verification within the deployment's cap; postOp above its floor. */
const POLICY_GAS = { paymasterVerificationGasLimit: 250_000n, paymasterPostOpGasLimit: 150_000n };
const STUB_APPROVAL_SIGNATURE: Hex = `0x${"ff".repeat(65)}`;
const GET_USER_OP_HASH_ABI = [
  {
    type: "function",
    name: "getUserOpHash",
    stateMutability: "view",
    inputs: [{ name: "userOp", type: "tuple", components: HANDLE_OPS_ABI[0].inputs[0].components }],
    outputs: [{ name: "", type: "bytes32" }],
  },
] as const;
const POLICY_APPROVAL_TYPES = {
  PolicyApproval: [
    { name: "userOpHash", type: "bytes32" },
    { name: "sponsor", type: "address" },
    { name: "policyId", type: "uint256" },
    { name: "maxCredits", type: "uint256" },
    { name: "validAfter", type: "uint48" },
    { name: "validUntil", type: "uint48" },
  ],
} as const;

/** The dApp's policy of `mode` (5 credits… per user per day, as the demo's), created once with its signer. */
async function dappPolicy(
  env: Env,
  mode: PolicyMode,
): Promise<{ policyId: bigint; approver?: PrivateKeyAccount }> {
  const known = env.policies.get(mode);
  if (known !== undefined) return known;
  const approver = mode === "POLICY open" ? undefined : privateKeyToAccount(generatePrivateKey());
  let signer: Address = zeroAddress;
  if (mode === "POLICY EOA signer") signer = (approver as PrivateKeyAccount).address;
  if (mode === "POLICY ERC-1271 signer") {
    signer = await deploy(env, "TestPolicySigner.sol", "TestPolicySigner", [
      (approver as PrivateKeyAccount).address,
    ]);
  }
  const now = (await env.publicClient.getBlock()).timestamp;
  const terms = {
    creditsPerUser: 50n * CREDIT,
    opsPerUser: 20,
    creditsPerEpoch: 1_000n * CREDIT,
    creditsPerOp: 0n,
    start: Number(now - 10n),
    end: Number(now + 30n * 86_400n),
    signer,
  };
  await send(
    env,
    { address: env.system.ledger, abi: creditLedgerAbi, functionName: "createPolicy", args: [terms, 86_400] },
    env.system.dapp,
  );
  const policyId = await env.publicClient.readContract({
    address: env.system.ledger,
    abi: creditLedgerAbi,
    functionName: "policyCount",
    args: [env.system.dapp],
  });
  const policy = { policyId, ...(approver === undefined ? {} : { approver }) };
  env.policies.set(mode, policy);
  return policy;
}

/** `PaymasterActions` of POLICY mode: stub data of the final length, then the approval signed over the final op. */
async function policyPaymaster(
  env: Env,
  version: EntryPointVersion,
  mode: PolicyMode,
): Promise<PaymasterActions> {
  const { policyId, approver } = await dappPolicy(env, mode);
  const paymaster = env.system.paymasters[version];
  const head = concat([
    numberToHex(2, { size: 1 }),
    env.system.dapp,
    numberToHex(policyId, { size: 8 }),
    numberToHex(0n, { size: 8 }),
  ]);
  const unsigned =
    approver === undefined ? head : concat([head, numberToHex(0, { size: 6 }), numberToHex(0, { size: 6 })]);
  const stub = approver === undefined ? head : concat([unsigned, STUB_APPROVAL_SIGNATURE]);
  return {
    getPaymasterStubData: () =>
      Promise.resolve({ paymaster, paymasterData: stub, ...POLICY_GAS, isFinal: approver === undefined }),
    getPaymasterData: async (parameters: GetPaymasterDataParameters) => {
      if (approver === undefined) return { paymaster, paymasterData: head, ...POLICY_GAS };
      const op = {
        ...(parameters as unknown as UserOperation<"0.7">),
        paymaster,
        paymasterData: unsigned,
        ...POLICY_GAS,
        signature: "0x" as Hex,
      };
      const userOpHash = await env.publicClient.readContract({
        address: env.system.entryPoints[version],
        abi: GET_USER_OP_HASH_ABI,
        functionName: "getUserOpHash",
        args: [toPackedUserOperation(op)],
      });
      const signature = await approver.signTypedData({
        domain: {
          name: "CreditPaymaster",
          version: "1",
          chainId: env.chain.id,
          verifyingContract: paymaster,
        },
        types: POLICY_APPROVAL_TYPES,
        primaryType: "PolicyApproval",
        message: {
          userOpHash,
          sponsor: env.system.dapp,
          policyId,
          maxCredits: 0n,
          validAfter: 0,
          validUntil: 0,
        },
      });
      return { paymaster, paymasterData: concat([unsigned, signature]), ...POLICY_GAS };
    },
  };
}

/** An account of `version` created by a first SPONSORED credit operation, for the test paymasters' cases. */
const deployedAccounts = new Map<EntryPointVersion, WalletAccount>();

async function accountFor(
  env: Env,
  c: CheckCase,
): Promise<{ account: WalletAccount; paymaster: PaymasterActions; authorization?: SignedAuthorization }> {
  if (c.paymaster.kind === "credit" && (c.account === "eip7702 first" || c.account === "eip7702 delegated")) {
    const { account, owner } = await new7702Account(env);
    await CREDIT_MODES[c.paymaster.mode].fund(env, account.address);
    const paymaster = await CREDIT_MODES[c.paymaster.mode].paymaster(env, c.entryPoint);
    const authorization = await authorizationOf(env, owner);
    if (c.account === "eip7702 first") return { account, paymaster, authorization };
    // Delegated by a type-4 transaction the admin sends (and pays): the EOA still holds 0 ETH.
    const hash = await env.wallet.sendTransaction({
      account: env.system.admin,
      chain: env.chain,
      to: env.system.admin,
      authorizationList: [authorization],
    });
    const receipt = await env.publicClient.waitForTransactionReceipt({ hash, timeout: 60_000 });
    const code = await env.publicClient.getCode({ address: account.address });
    if (
      receipt.status !== "success" ||
      code?.toLowerCase() !== `0xef0100${authorization.address.slice(2)}`.toLowerCase()
    ) {
      throw new Error(`the type-4 transaction did not delegate ${account.address} (${hash})`);
    }
    return { account, paymaster };
  }
  if (c.paymaster.kind === "credit") {
    const account = await newAccount(env, c.entryPoint);
    await CREDIT_MODES[c.paymaster.mode].fund(env, account.address);
    const paymaster = await CREDIT_MODES[c.paymaster.mode].paymaster(env, c.entryPoint);
    if (c.account === "existing")
      await submit(env, c.entryPoint, await walletOperation(env, account, paymaster));
    return { account, paymaster };
  }
  let account = deployedAccounts.get(c.entryPoint);
  if (account === undefined) {
    account = await newAccount(env, c.entryPoint);
    await CREDIT_MODES.SPONSORED.fund(env, account.address);
    const sponsored = await CREDIT_MODES.SPONSORED.paymaster(env, c.entryPoint);
    await submit(env, c.entryPoint, await walletOperation(env, account, sponsored));
    deployedAccounts.set(c.entryPoint, account);
  }
  const address = await testPaymaster(env, c.entryPoint, c.paymaster.contract, c.paymaster.staked);
  return { account, paymaster: fixedPaymaster(address) };
}

// ---------------------------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------------------------

/** One case's report. */
export interface CaseReport {
  name: string;
  entryPoint: EntryPointVersion;
  paymaster: Address;
  sender: Address;
  createsAccount: boolean;
  paymasterPostOpGasLimit: string | null;
  expectation: CaseExpectation;
  alto: {
    verdict: Verdict;
    stage?: "simulation" | "validity" | "rules";
    message?: string;
    rules: readonly string[];
    paymasterStaked?: boolean;
  };
  project: { verdict: Verdict; rules: string[]; violations: Violation[]; handleOpsReverted: boolean };
  agree: boolean;
  knownDifference?: { id: string; reason: string };
  problems: string[];
  seconds: number;
}

async function runCase(env: Env, c: CheckCase): Promise<CaseReport> {
  const started = performance.now();
  const { account, paymaster, authorization } = await accountFor(env, c);
  const op = await walletOperation(env, account, paymaster, authorization);
  const entryPoint = env.system.entryPoints[c.entryPoint];

  const alto: AltoValidation = await altoValidate(
    env.alto,
    env.publicClient,
    env.simulations,
    c.entryPoint,
    entryPoint,
    altoShape(op),
  );
  if (process.env.ALTO_CHECK_DUMP !== undefined) {
    // Debugging aid: the operation and alto's raw tracer result, one JSON file per case.
    mkdirSync(process.env.ALTO_CHECK_DUMP, { recursive: true });
    writeFileSync(
      path.join(process.env.ALTO_CHECK_DUMP, `${c.name.replace(/[^\w.-]+/g, "_")}.json`),
      JSON.stringify({ op, alto }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2),
    );
  }
  const packed = toPackedUserOperation(op);
  const project = await checkErc7562(env.provider, entryPoint, packed, {
    beneficiary: env.system.admin,
    requireSuccess: false,
    // A first EIP-7702 operation is traced with its authorization applied, as alto's state override does.
    ...(authorization === undefined ? {} : { eip7702Delegate: authorization.address }),
  });
  const rules = [...new Set(project.violations.map((v) => v.rule))];
  const judgement: CaseJudgement = judgeCase(c.expect, {
    alto: { verdict: alto.verdict, ...(alto.verdict === "rejected" ? { message: alto.message } : {}) },
    project: { rules },
  });
  const problems = [...judgement.problems];
  if (!project.frames.some((f) => f.entity === "paymaster")) {
    problems.push("the project's checker found no paymaster frame in the trace");
  }
  if (project.trace.failed)
    problems.push(`handleOps reverted in the project's trace: ${project.trace.returnValue}`);
  const paymasterInfo = alto.validationResult?.paymasterInfo;
  return {
    name: c.name,
    entryPoint: c.entryPoint,
    paymaster: op.paymaster ?? zeroAddress,
    sender: op.sender,
    createsAccount: op.factory !== undefined,
    paymasterPostOpGasLimit: op.paymasterPostOpGasLimit?.toString() ?? null,
    expectation: c.expect,
    alto: {
      verdict: alto.verdict,
      ...(alto.verdict === "rejected" ? { stage: alto.stage, message: alto.message } : {}),
      rules: judgement.altoRules,
      ...(paymasterInfo === undefined
        ? {}
        : { paymasterStaked: paymasterInfo.stake >= 1n && paymasterInfo.unstakeDelaySec >= 1n }),
    },
    project: {
      verdict: judgement.projectVerdict,
      rules,
      violations: project.violations,
      handleOpsReverted: project.trace.failed,
    },
    agree: judgement.agree,
    ...(judgement.knownDifference === undefined
      ? {}
      : {
          knownDifference: {
            id: judgement.knownDifference,
            reason: KNOWN_DIFFERENCES[judgement.knownDifference].reason,
          },
        }),
    problems,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The whole report (`--json`). */
export interface AltoCheckReport {
  ok: boolean;
  alto: { version: string; tracer: string; parser: string; simulations: AltoSimulationContracts };
  anvil: { version: string };
  timings: { anvilStart: number; deploy: number; cases: number; total: number };
  cases: CaseReport[];
}

function table(cases: readonly CaseReport[]): string[] {
  const rows = cases.map((c) => [
    c.problems.length === 0 ? "ok" : "FAIL",
    c.name,
    c.expectation.compliant ? "compliant" : `breaks ${c.expectation.rule ?? "?"}`,
    c.alto.verdict === "accepted" ? "accepted" : `rejected: ${c.alto.message ?? ""}`,
    c.project.verdict === "accepted" ? "accepted" : `rejected: ${c.project.rules.join(", ")}`,
    c.agree ? "agree" : c.knownDifference !== undefined ? `differ (${c.knownDifference.id})` : "DISAGREE",
  ]);
  const header = ["", "case", "expected", "alto 0.0.20 (tracer + parser)", "src/erc7562", "comparison"];
  const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (r: string[]) =>
    r
      .map((cell, i) =>
        cell.length > widths[i] ? `${cell.slice(0, widths[i] - 1)}…` : cell.padEnd(widths[i]),
      )
      .join(" │ ");
  return [line(header), widths.map((w) => "─".repeat(w)).join("─┼─"), ...rows.map(line)];
}

async function main(json: boolean): Promise<number> {
  const log = (line: string) => {
    if (!json) console.log(line);
  };
  const t0 = performance.now();
  const seconds = (from: number) => (performance.now() - from) / 1000;

  const anvil = await startAnvil();
  current = anvil;
  const anvilStart = seconds(t0);
  const anvilVersion = /Version: (\S+)/.exec(anvil.version)?.[1] ?? anvil.version;
  log(`anvil ${anvilVersion} at ${anvil.url} (${anvilStart.toFixed(1)} s)`);

  const t1 = performance.now();
  const [system, alto] = await Promise.all([deploySystemForE2E(anvil.url), loadAlto()]);
  const chain: Chain = { ...hardhat, rpcUrls: { default: { http: [anvil.url] } } };
  const publicClient = createPublicClient({
    chain,
    transport: http(anvil.url, RPC_OPTIONS),
    pollingInterval: 100,
  });
  const simulations = await deployAltoSimulations(alto, publicClient, anvil.url, ALTO_UTILITY_KEY);
  const env: Env = {
    anvil,
    chain,
    publicClient,
    wallet: createWalletClient({ chain, transport: http(anvil.url, RPC_OPTIONS) }),
    provider: new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 }),
    system,
    alto,
    simulations,
    testPaymasters: new Map(),
    policies: new Map(),
  };
  await buyCredits(env, system.dapp, ONE_ETH);
  const deploySeconds = seconds(t1);
  log(`system and alto ${alto.version}'s simulation contracts deployed (${deploySeconds.toFixed(1)} s)`);

  const t2 = performance.now();
  const cases: CaseReport[] = [];
  try {
    for (const c of CASES) {
      const report = await runCase(env, c);
      cases.push(report);
      log(`  ${report.problems.length === 0 ? "✔" : "✘"} ${c.name} (${report.seconds.toFixed(1)} s)`);
    }
  } finally {
    env.provider.destroy();
  }
  const report: AltoCheckReport = {
    ok: cases.every((c) => c.problems.length === 0),
    alto: {
      version: alto.version,
      tracer: "esm/rpc/validation/BundlerCollectorTracerV07.js bundlerCollectorTracer",
      parser: "esm/rpc/validation/TracerResultParserV07.js tracerResultParserV07",
      simulations,
    },
    anvil: { version: anvilVersion },
    timings: { anvilStart, deploy: deploySeconds, cases: seconds(t2), total: seconds(t0) },
    cases,
  };
  if (json) {
    console.log(
      JSON.stringify(
        report,
        (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
        2,
      ),
    );
  } else {
    log("");
    for (const line of table(cases)) log(line);
    for (const c of cases.filter((x) => x.knownDifference !== undefined)) {
      log(`  · ${c.name}: ${c.knownDifference?.reason ?? ""}`);
    }
    for (const c of cases.filter((x) => x.problems.length > 0))
      log(`\n✘ ${c.name}\n  ${c.problems.join("\n  ")}`);
    log(
      `\n${report.ok ? "alto's ERC-7562 rules: every case as expected" : "alto's ERC-7562 rules: FAILED"} ` +
        `(${cases.length} cases; anvil ${anvilStart.toFixed(1)} s, deploy ${deploySeconds.toFixed(1)} s, ` +
        `cases ${report.timings.cases.toFixed(1)} s, total ${report.timings.total.toFixed(1)} s)`,
    );
  }
  return report.ok ? 0 : 1;
}

/** The running anvil, stopped on every way out. */
let current: AnvilNode | undefined;

function installCleanup(): void {
  process.on("exit", () => {
    // Exit handlers must be synchronous: SIGKILL the whole group.
    const pid = current?.process.pid;
    if (pid !== undefined && current?.process.exitCode === null) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      console.error(`[check:erc7562:alto] received ${signal}: stopping anvil`);
      void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
}

if (require.main === module) {
  installCleanup();
  let exitCode = 1;
  main(process.argv.includes("--json"))
    .then(
      (code) => {
        exitCode = code;
      },
      (error: unknown) => {
        console.error(
          "[check:erc7562:alto] failed:",
          error instanceof Error ? (error.stack ?? error.message) : error,
        );
        if (current !== undefined)
          console.error(`--- anvil output (tail) ---\n${current.output().slice(-2_000)}`);
      },
    )
    .finally(async () => {
      await current?.stop();
      process.exit(exitCode);
    });
}
