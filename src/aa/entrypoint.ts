/**
 * ERC-4337 infrastructure for tests, benchmarks and tools: the canonical EntryPoint v0.7 and v0.8 at their
 * mainnet addresses (through the deterministic CREATE2 deployer), SimpleAccountFactory for each version,
 * and counterfactual-account helpers.
 *
 * Everything takes an ethers `Signer` (and, where a raw RPC call is needed, a provider with `send`), so it
 * works both in-process (`ethers` from "hardhat") and against a separate `hardhat node`
 * (`new JsonRpcProvider("http://127.0.0.1:8545")`).
 */
import {
  Contract,
  ContractFactory,
  Interface,
  concat,
  getAddress,
  getCreate2Address,
  keccak256,
  resolveAddress,
} from "ethers";
import type { ContractRunner, InterfaceAbi, Signer } from "ethers";

import entryPointV07Artifact from "@account-abstraction/contracts-v7/artifacts/EntryPoint.json";
import entryPointV08Artifact from "@account-abstraction/contracts/artifacts/EntryPoint.json";
import factoryV07Artifact from "@account-abstraction/contracts-v7/artifacts/SimpleAccountFactory.json";
import factoryV08Artifact from "@account-abstraction/contracts/artifacts/SimpleAccountFactory.json";
import simpleAccountV07Artifact from "@account-abstraction/contracts-v7/artifacts/SimpleAccount.json";
import simpleAccountV08Artifact from "@account-abstraction/contracts/artifacts/SimpleAccount.json";

import {
  EntryPoint__factory,
  SimpleAccountFactory__factory,
  SimpleAccount__factory,
} from "../../typechain-types";
import type { EntryPoint, SimpleAccount, SimpleAccountFactory } from "../../typechain-types";

/** The two EntryPoint versions this project supports. */
export type EntryPointVersion = "0.7" | "0.8";

/** Both versions, oldest first (handy for `for (const version of ENTRY_POINT_VERSIONS)` in suites). */
export const ENTRY_POINT_VERSIONS: readonly EntryPointVersion[] = ["0.7", "0.8"];

/** Arachnid's deterministic deployment proxy, present on virtually every EVM chain. */
export const CREATE2_DEPLOYER_ADDRESS = "0x4e59b44847b379578588920ca78fbf26c0b4956c";

/**
 * Runtime code of the deterministic deployment proxy (github.com/Arachnid/deterministic-deployment-proxy).
 * Calldata is `salt (32 bytes) ‖ initCode`; it CREATE2s `initCode` with `salt` and returns the 20-byte address.
 */
export const CREATE2_DEPLOYER_RUNTIME_CODE =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3";

/** Canonical EntryPoint addresses (identical on every chain). */
export const ENTRY_POINT_ADDRESSES: Readonly<Record<EntryPointVersion, string>> = {
  "0.7": "0x0000000071727De22E5E9d8BAf0edAc6f37da032",
  "0.8": "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
};

/** The CREATE2 salts that, with the packages' prebuilt bytecode, give the canonical addresses. */
export const ENTRY_POINT_SALTS: Readonly<Record<EntryPointVersion, string>> = {
  "0.7": "0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3",
  "0.8": "0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9",
};

/** Members of the TypeChain (v0.8) EntryPoint handle that EntryPoint v0.7 does not have. */
type EntryPointV08OnlyMember =
  | "eip712Domain"
  | "getDomainSeparatorV4"
  | "getPackedUserOpTypeHash"
  | "senderCreator"
  | "interface"
  | "connect";

/**
 * Typed handle valid for BOTH versions: every function, event and error of v0.7 and v0.8 shared by both,
 * with identical ABI (checked against the two artifacts: handleOps, getUserOpHash, getNonce, depositTo,
 * balanceOf, addStake, getDepositInfo, getSenderAddress, events UserOperationEvent, PostOpRevertReason,
 * UserOperationRevertReason, AccountDeployed, Deposited, …). Its `interface` is the version's own ABI.
 */
export type EntryPointCommon = Omit<EntryPoint, EntryPointV08OnlyMember> & {
  readonly interface: Interface;
  connect(runner: ContractRunner | null): EntryPointCommon;
};

/** EntryPoint v0.7 handle, built from the v0.7 artifact's ABI. */
export type EntryPointV07 = EntryPointCommon;

/** The handle type of each version: the full TypeChain type for v0.8, the shared subset for v0.7. */
export type EntryPointFor<V extends EntryPointVersion> = V extends "0.8" ? EntryPoint : EntryPointV07;

/** Typed SimpleAccountFactory handle valid for both versions (v0.8 adds `senderCreator()`). */
export type SimpleAccountFactoryCommon = Omit<
  SimpleAccountFactory,
  "senderCreator" | "interface" | "connect"
> & {
  readonly interface: Interface;
  connect(runner: ContractRunner | null): SimpleAccountFactoryCommon;
};

/** Typed SimpleAccount handle valid for both versions (`executeBatch` differs and is left out). */
export type SimpleAccountCommon = Omit<SimpleAccount, "executeBatch" | "interface" | "connect"> & {
  readonly interface: Interface;
  connect(runner: ContractRunner | null): SimpleAccountCommon;
};

/** A JSON-RPC capable provider: hardhat-ethers' provider and ethers' `JsonRpcProvider` both qualify. */
export interface RpcProvider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

interface Artifact {
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}

const ENTRY_POINT_ARTIFACTS: Readonly<Record<EntryPointVersion, Artifact>> = {
  "0.7": entryPointV07Artifact,
  "0.8": entryPointV08Artifact,
};

const FACTORY_ARTIFACTS: Readonly<Record<EntryPointVersion, Artifact>> = {
  "0.7": factoryV07Artifact,
  "0.8": factoryV08Artifact,
};

const SIMPLE_ACCOUNT_ARTIFACTS: Readonly<Record<EntryPointVersion, Artifact>> = {
  "0.7": simpleAccountV07Artifact,
  "0.8": simpleAccountV08Artifact,
};

/** The EntryPoint ABI of `version`, from the package's prebuilt artifact. */
export function entryPointAbi(version: EntryPointVersion): InterfaceAbi {
  return ENTRY_POINT_ARTIFACTS[version].abi;
}

/** The SimpleAccountFactory ABI of `version`, from the package's prebuilt artifact. */
export function simpleAccountFactoryAbi(version: EntryPointVersion): InterfaceAbi {
  return FACTORY_ARTIFACTS[version].abi;
}

/** The SimpleAccount ABI of `version`, from the package's prebuilt artifact. */
export function simpleAccountAbi(version: EntryPointVersion): InterfaceAbi {
  return SIMPLE_ACCOUNT_ARTIFACTS[version].abi;
}

/**
 * A typed handle on the canonical EntryPoint of `version` (or on `address`), with the version's own ABI.
 * No code check: call {@link deployEntryPoint} first on a fresh chain.
 */
export function entryPointAt<V extends EntryPointVersion>(
  version: V,
  runner: ContractRunner | null,
  address: string = ENTRY_POINT_ADDRESSES[version],
): EntryPointFor<V> {
  if (version === "0.8") {
    return EntryPoint__factory.connect(address, runner) as EntryPointFor<V>;
  }
  // Same pattern as TypeChain's own factories: a Contract on the real ABI, typed by its declared surface.
  return new Contract(address, entryPointAbi(version), runner) as unknown as EntryPointFor<V>;
}

/** A typed SimpleAccountFactory handle for `version` at `address`. */
export function simpleAccountFactoryAt(
  version: EntryPointVersion,
  address: string,
  runner: ContractRunner | null,
): SimpleAccountFactoryCommon {
  if (version === "0.8") {
    return SimpleAccountFactory__factory.connect(address, runner);
  }
  return new Contract(
    address,
    simpleAccountFactoryAbi(version),
    runner,
  ) as unknown as SimpleAccountFactoryCommon;
}

/** A typed SimpleAccount handle for `version` at `address` (an ERC1967Proxy of the version's SimpleAccount). */
export function simpleAccountAt(
  version: EntryPointVersion,
  address: string,
  runner: ContractRunner | null,
): SimpleAccountCommon {
  if (version === "0.8") {
    return SimpleAccount__factory.connect(address, runner);
  }
  return new Contract(address, simpleAccountAbi(version), runner) as unknown as SimpleAccountCommon;
}

function isEmptyCode(code: string): boolean {
  return code === "0x" || code === "0x0" || code === "";
}

/**
 * `eth_getCode` at "latest" through raw `send`: ethers' `Provider.getCode` caches identical requests for
 * 250 ms, which hides a contract deployed in between on an automining node.
 */
async function codeAt(provider: RpcProvider, address: string): Promise<string> {
  const code = await provider.send("eth_getCode", [address, "latest"]);
  if (typeof code !== "string") {
    throw new Error(`eth_getCode(${address}) returned a non-string`);
  }
  return code;
}

/**
 * Puts the deterministic CREATE2 deployer's runtime code at {@link CREATE2_DEPLOYER_ADDRESS} with
 * `hardhat_setCode` when that address has no code. No-op when it already has code (any dev chain that
 * pre-installs it, or a second call).
 * @throws if the address holds different code than the reference deployer.
 */
export async function installCreate2Deployer(provider: RpcProvider): Promise<void> {
  const code = await codeAt(provider, CREATE2_DEPLOYER_ADDRESS);
  if (isEmptyCode(code)) {
    await provider.send("hardhat_setCode", [CREATE2_DEPLOYER_ADDRESS, CREATE2_DEPLOYER_RUNTIME_CODE]);
    return;
  }
  if (code.toLowerCase() !== CREATE2_DEPLOYER_RUNTIME_CODE) {
    throw new Error(
      `installCreate2Deployer: ${CREATE2_DEPLOYER_ADDRESS} holds code that is not the deterministic deployment proxy`,
    );
  }
}

/** The address the CREATE2 deployer gives the prebuilt EntryPoint of `version` with its canonical salt. */
export function predictEntryPointAddress(version: EntryPointVersion): string {
  return getCreate2Address(
    CREATE2_DEPLOYER_ADDRESS,
    ENTRY_POINT_SALTS[version],
    keccak256(ENTRY_POINT_ARTIFACTS[version].bytecode),
  );
}

function providerOf(signer: Signer): RpcProvider {
  const provider = signer.provider;
  if (provider === null || !("send" in provider) || typeof provider.send !== "function") {
    throw new Error(
      "the signer must be connected to a JSON-RPC provider (hardhat-ethers or JsonRpcProvider)",
    );
  }
  return provider as unknown as RpcProvider;
}

/**
 * Deploys EntryPoint `version` at its canonical address by sending `salt ‖ artifact.bytecode` to the CREATE2
 * deployer (installed first if missing). The gas limit is `estimateGas` of that very transaction.
 * Idempotent: returns the existing handle when code is already there.
 * @param provider defaults to `deployer.provider`; pass it explicitly if that provider lacks `send`.
 * @throws if the prebuilt bytecode would not land at the canonical address, or no code appears there.
 */
export async function deployEntryPoint<V extends EntryPointVersion>(
  version: V,
  deployer: Signer,
  provider: RpcProvider = providerOf(deployer),
): Promise<EntryPointFor<V>> {
  const canonical = ENTRY_POINT_ADDRESSES[version];
  if (!isEmptyCode(await codeAt(provider, canonical))) {
    return entryPointAt(version, deployer);
  }
  const predicted = predictEntryPointAddress(version);
  if (getAddress(predicted) !== getAddress(canonical)) {
    throw new Error(
      `EntryPoint v${version}: the prebuilt artifact with salt ${ENTRY_POINT_SALTS[version]} would land at ` +
        `${predicted}, not at the canonical ${canonical} (wrong @account-abstraction/contracts version?)`,
    );
  }
  await installCreate2Deployer(provider);
  const request = {
    to: CREATE2_DEPLOYER_ADDRESS,
    data: concat([ENTRY_POINT_SALTS[version], ENTRY_POINT_ARTIFACTS[version].bytecode]),
  };
  const gasLimit = await deployer.estimateGas(request);
  const tx = await deployer.sendTransaction({ ...request, gasLimit });
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) {
    throw new Error(`EntryPoint v${version}: the CREATE2 deployment transaction ${tx.hash} failed`);
  }
  if (isEmptyCode(await codeAt(provider, canonical))) {
    throw new Error(
      `EntryPoint v${version}: no code at the canonical ${canonical} after deployment tx ${tx.hash}`,
    );
  }
  return entryPointAt(version, deployer);
}

/** Both EntryPoints, each at its canonical address. */
export interface EntryPoints {
  readonly "0.7": EntryPointV07;
  readonly "0.8": EntryPoint;
}

/** Deploys (idempotently) EntryPoint v0.7 and v0.8 at their canonical addresses. */
export async function deployEntryPoints(deployer: Signer, provider?: RpcProvider): Promise<EntryPoints> {
  const rpc = provider ?? providerOf(deployer);
  const v07 = await deployEntryPoint("0.7", deployer, rpc);
  const v08 = await deployEntryPoint("0.8", deployer, rpc);
  return { "0.7": v07, "0.8": v08 };
}

/**
 * Deploys the prebuilt SimpleAccountFactory of `version` for `entryPoint` (a plain CREATE from `deployer`).
 * v0.8's factory reads `entryPoint.senderCreator()` in its constructor and only accepts `createAccount` from
 * that SenderCreator, i.e. only through a UserOperation's initCode (or `entryPoint.getSenderAddress`).
 */
export async function deploySimpleAccountFactory(
  version: EntryPointVersion,
  entryPoint: string,
  deployer: Signer,
): Promise<SimpleAccountFactoryCommon> {
  const artifact = FACTORY_ARTIFACTS[version];
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, deployer);
  const deployed = await factory.deploy(entryPoint);
  await deployed.waitForDeployment();
  return simpleAccountFactoryAt(version, await resolveAddress(deployed.target), deployer);
}

/** `createAccount(owner, salt)` calldata: the `factoryData` of a v0.7/v0.8 UserOperation. */
export function getFactoryData(owner: string, salt: bigint): string {
  return SimpleAccountFactory__factory.createInterface().encodeFunctionData("createAccount", [owner, salt]);
}

/** `initCode = factory ‖ factoryData` for a SimpleAccount of `owner` with `salt`. */
export function getInitCode(factory: string, owner: string, salt: bigint): string {
  return concat([factory, getFactoryData(owner, salt)]);
}

/**
 * The counterfactual SimpleAccount address for (`owner`, `salt`), from the factory's own `getAddress` view
 * (called by signature: ethers' `BaseContract.getAddress()` shadows the ABI function of the same name).
 */
export async function getAccountAddress(
  factory: SimpleAccountFactoryCommon,
  owner: string,
  salt: bigint,
): Promise<string> {
  const computed: unknown = await factory.getFunction("getAddress(address,uint256)").staticCall(owner, salt);
  if (typeof computed !== "string") {
    throw new Error("SimpleAccountFactory.getAddress returned a non-address");
  }
  return getAddress(computed);
}

/** A factory, an owner and the counterfactual account they give. */
export interface CounterfactualAccount {
  /** Counterfactual (or deployed) account address: the UserOperation `sender`. */
  readonly address: string;
  /** `factory ‖ factoryData`, to put in the first UserOperation's `initCode`. */
  readonly initCode: string;
  /** The factory address (v0.7+ `factory` field of an unpacked UserOperation). */
  readonly factory: string;
  /** `createAccount(owner, salt)` calldata (v0.7+ `factoryData`). */
  readonly factoryData: string;
}

/** Everything needed to create `owner`'s SimpleAccount with `salt` inside its first UserOperation. */
export async function counterfactualAccount(
  factory: SimpleAccountFactoryCommon,
  owner: string,
  salt: bigint = 0n,
): Promise<CounterfactualAccount> {
  // `factory.getAddress` is the ABI's getAddress(owner, salt) in the typings, hence `target`.
  const factoryAddress = await resolveAddress(factory.target);
  return {
    address: await getAccountAddress(factory, owner, salt),
    initCode: getInitCode(factoryAddress, owner, salt),
    factory: factoryAddress,
    factoryData: getFactoryData(owner, salt),
  };
}
