/**
 * The policy part of `npm run demo` (scripts/demo.ts): the dApp creates ONE policy (any user, 5 credits and 20
 * operations per day, only calls to the dApp's contract, approvals signed by the paymaster service), the service
 * runs in-process (`createPaymasterService`, with the policy file and its signer key), a user the chain has never
 * seen, holding 0 ETH, sends its first operation sponsored under the policy with no per-user transaction, and a
 * second operation calling a contract outside the policy is refused with the service's message.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { concat, createPublicClient, custom, getAddress, numberToHex } from "viem";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { formatUserOperationRequest } from "viem/account-abstraction";

import { buildUserOp, counterfactualAccount, encodeExecute, signUserOp } from "../../src/aa";
import type {
  CounterfactualAccount,
  EntryPointCommon,
  PackedUserOperation,
  SimpleAccountFactoryCommon,
} from "../../src/aa";
import { createPaymasterService, loadPolicyFiles } from "../../src/service";
import type { CreditLedger } from "../../typechain-types";

/** Credits have 6 decimals. */
const CREDIT = 1_000_000n;
/** The demo policy: any user, 5 credits and 20 operations per user per day, only the dApp's contract. */
export const DEMO_POLICY = {
  creditsPerUser: 5n * CREDIT,
  opsPerUser: 20,
  epochLength: 86_400,
  lifetime: 90 * 86_400,
} as const;

/** Gas of the user's first operation (account creation + one call), its fees set from the base fee. */
const OP_GAS = {
  verificationGasLimit: 400_000n,
  callGasLimit: 100_000n,
  preVerificationGas: 60_000n,
  maxPriorityFeePerGas: 100_000_000n,
};

/** What the demo's policy flow reports (merged into reports/demo-summary.json). */
export interface PolicyDemoResult {
  account: CounterfactualAccount;
  /** The signed, sponsored first operation, ready for `handleOps`. */
  op: PackedUserOperation;
  dappContract: Address;
  figures: {
    perUserSetupTransactions: 0;
    policy: {
      sponsor: Address;
      policyId: string;
      creditsPerUserPerDay: string;
      opsPerUserPerDay: number;
      allowedTargets: Address[];
      approvalSigner: Address;
      paymasterDataBytes: number;
    };
  };
  /** Sends the second operation (to a contract outside the policy) to the service; returns its refusal. */
  refusedOutsidePolicy(): Promise<{ code: number; message: string }>;
}

/**
 * Creates the dApp's policy and contract, starts the service in-process and returns the user's first operation,
 * sponsored under the policy and signed (approval by the service, operation by the user).
 */
export async function preparePolicyDemo(
  hre: HardhatRuntimeEnvironment,
  input: {
    ledger: CreditLedger;
    paymaster: Address;
    entryPoint: EntryPointCommon;
    factory: SimpleAccountFactoryCommon;
    dapp: Signer;
    owner: Signer & { address: string };
    log: (line: string) => void;
  },
): Promise<PolicyDemoResult> {
  const { ledger, paymaster, entryPoint, factory, dapp, owner, log } = input;
  const sponsor = getAddress(await dapp.getAddress());
  const serviceKey = generatePrivateKey();
  const signer = privateKeyToAccount(serviceKey);

  // The dApp's contract (a counter) and its one policy, signed by the service's key.
  const dappContract = getAddress(
    await (await (await hre.ethers.getContractFactory("TestTarget", dapp)).deploy()).getAddress(),
  );
  const now = Number((await hre.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  const policyId = (await ledger.policyCount(sponsor)) + 1n;
  await (
    await ledger.connect(dapp).createPolicy(
      {
        creditsPerUser: DEMO_POLICY.creditsPerUser,
        opsPerUser: DEMO_POLICY.opsPerUser,
        creditsPerEpoch: 0n,
        creditsPerOp: 0n,
        start: now - 60,
        end: now + DEMO_POLICY.lifetime,
        signer: signer.address,
      },
      DEMO_POLICY.epochLength,
    )
  ).wait();
  log(`dApp contract ${dappContract}; policy ${policyId}: any user, 5 credits and 20 operations per day`);
  log(`only calls to the dApp's contract; approvals signed by the service's key ${signer.address}`);

  const file = path.join(mkdtempSync(path.join(tmpdir(), "demo-policy-")), "dapp.yaml");
  writeFileSync(
    file,
    [
      `sponsor: "${sponsor}"`,
      "policies:",
      `  - policyId: ${policyId}`,
      "    targets:",
      `      - address: "${dappContract}"`,
      '        selectors: ["increment()"]',
      "",
    ].join("\n"),
  );
  const client = createPublicClient({ transport: custom(hre.network.provider) });
  const service = await createPaymasterService({
    client,
    chainId: Number((await hre.ethers.provider.getNetwork()).chainId),
    paymasters: [getAddress(paymaster)],
    policies: loadPolicyFiles([file]),
    policySigner: signer,
    log: () => undefined,
  });
  log(`paymaster service in-process, policy file ${path.basename(file)}`);

  const account = await counterfactualAccount(factory, owner.address);
  const entryPointAddress = getAddress(await entryPoint.getAddress());
  const baseFee = (await hre.ethers.provider.getBlock("latest"))?.baseFeePerGas ?? 0n;
  const fees = { maxFeePerGas: 2n * baseFee + OP_GAS.maxPriorityFeePerGas, ...OP_GAS };
  const chainIdHex = numberToHex((await hre.ethers.provider.getNetwork()).chainId);
  const context = { sponsor, policyId: Number(policyId) };
  const rpcOp = (callData: Hex, nonce: bigint) =>
    formatUserOperationRequest({
      sender: getAddress(account.address),
      nonce,
      ...(nonce === 0n
        ? { factory: getAddress(account.factory), factoryData: account.factoryData as Hex }
        : {}),
      callData,
      ...fees,
    });
  const ask = async (method: string, callData: Hex, nonce = 0n) => {
    const answer = await service.handleRpc(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method,
        params: [rpcOp(callData, nonce), entryPointAddress, chainIdHex, context],
      }),
    );
    return JSON.parse(answer.body ?? "{}") as {
      result?: Record<string, Hex>;
      error?: { code: number; message: string };
    };
  };

  const increment = encodeExecute(
    dappContract,
    0n,
    (await hre.ethers.getContractAt("TestTarget", dappContract)).interface.encodeFunctionData("increment"),
  ) as Hex;
  const stub = await ask("pm_getPaymasterStubData", increment);
  if (stub.error !== undefined) throw new Error(`the service refused the stub: ${stub.error.message}`);
  const final = await ask("pm_getPaymasterData", increment);
  if (final.result === undefined) throw new Error(`the service refused: ${final.error?.message}`);
  const fields = final.result;
  const unsigned = buildUserOp({
    sender: account.address,
    nonce: 0n,
    initCode: account.initCode,
    callData: increment,
    verificationGasLimit: fees.verificationGasLimit,
    callGasLimit: fees.callGasLimit,
    preVerificationGas: fees.preVerificationGas,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    paymasterAndData: concat([
      fields.paymaster,
      numberToHex(BigInt(fields.paymasterVerificationGasLimit), { size: 16 }),
      numberToHex(BigInt(fields.paymasterPostOpGasLimit), { size: 16 }),
      fields.paymasterData,
    ]),
  });
  const op = await signUserOp(unsigned, owner, entryPoint, "0.8");
  log(
    `the service approved the first operation: ${(fields.paymasterData.length - 2) / 2} bytes of POLICY data, ` +
      `approval signed`,
  );

  return {
    account,
    op,
    dappContract,
    figures: {
      perUserSetupTransactions: 0,
      policy: {
        sponsor,
        policyId: policyId.toString(),
        creditsPerUserPerDay: DEMO_POLICY.creditsPerUser.toString(),
        opsPerUserPerDay: DEMO_POLICY.opsPerUser,
        allowedTargets: [dappContract],
        approvalSigner: signer.address,
        paymasterDataBytes: (fields.paymasterData.length - 2) / 2,
      },
    },
    async refusedOutsidePolicy() {
      // The user's next operation calls the ledger (openAccount), a contract the policy does not allow.
      const outside = encodeExecute(
        await ledger.getAddress(),
        0n,
        ledger.interface.encodeFunctionData("openAccount"),
      ) as Hex;
      const answer = await ask("pm_getPaymasterStubData", outside, 1n);
      if (answer.error === undefined) throw new Error("the service sponsored a call outside the policy");
      return { code: answer.error.code, message: answer.error.message };
    },
  };
}
