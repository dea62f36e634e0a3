/**
 * The ERC-7677 paymaster service, transport-agnostic: JSON-RPC dispatch of `pm_getPaymasterStubData` and
 * `pm_getPaymasterData` for the credit paymasters of one chain, and the health report. Stateless: every answer
 * comes from the chain (the only cache is the paymasters' immutable addresses), so any number of instances can
 * run behind a load balancer.
 */
import { BaseError, getAddress, numberToHex, zeroAddress } from "viem";
import type { Address, Hex, LocalAccount } from "viem";
import { getBlock, getBlockNumber, getChainId, waitForTransactionReceipt } from "viem/actions";

import { createCreditsClient } from "../client/credits";
import { depositCoverage, outstandingCredits } from "../client/deposits";
import type { AnyClient, CreditsClient, PaymasterAddresses } from "../client/credits";
import { STUB_APPROVAL_SIGNATURE, encodePaymasterData, minPostOpGasLimit } from "../client/encoding";
import type { CreditModeOptions } from "../client/encoding";
import { paymasterGasLimits } from "../client/paymasterClient";
import type { PaymasterGasLimits } from "../client/paymasterClient";
import { refreshPrice, refreshedPrice } from "../client/writes";
import type { CreditWallet } from "../client/writes";
import { LOCAL_CHAIN_ID, localMockFeed, renewLocalMockFeed } from "../client/localFeed";
import { RpcErrorCode, explainReason } from "../client/rejections";
import type { RejectionReason } from "../client/rejections";
import { RpcError, errorResponse, resultResponse, toJson } from "./jsonrpc";
import type { RpcId, RpcResponse } from "./jsonrpc";
import { signPolicyApproval } from "./approval";
import { decodeAccountCalls } from "./calls";
import { parsePaymasterParams } from "./params";
import type { PaymasterRequest } from "./params";
import { policyKey } from "./policyFile";
import type { PolicyRules, PolicySet } from "./policyFile";
import { askWebhook, checkStaticRules, webhookCalls } from "./rules";

/** The fields of a log line. */
export interface LogFields {
  level: "info" | "warn" | "error";
  event: string;
  [field: string]: unknown;
}

/** One structured log line: `time` (ISO 8601) first, then the fields. */
export type LogRecord = { time: string } & LogFields;

/** Configuration of {@link createPaymasterService}. */
export interface PaymasterServiceConfig {
  /** A viem client of the chain (HTTP transport in production, Hardhat's provider in tests). */
  client: AnyClient;
  /** The chain id the service serves; checked against the RPC at start and against every request. */
  chainId: number;
  /** The credit paymasters, at most one per EntryPoint (their EntryPoint is read from each). */
  paymasters: readonly Address[];
  /** The ledger, when known: checked against every paymaster's `ledger()` at start. */
  ledger?: Address;
  /** Override of the paymaster gas limits put in operations (still capped by each paymaster's configuration). */
  gasLimits?: Partial<PaymasterGasLimits>;
  /** Seconds the cached price must stay valid ahead of the latest block (default 30). */
  validityMargin?: bigint;
  /** Simulate the paymaster's validation (`eth_call` from the EntryPoint) before `pm_getPaymasterData` answers. */
  simulate?: boolean;
  /** Sponsor name returned to wallets (ERC-7677 `sponsor.name`), if any. */
  sponsorName?: string;
  /**
   * The sponsors' policies this service serves (src/service/policyFile.ts, `loadPolicyFiles`): a POLICY request for
   * a `{ sponsor, policyId }` without rules here is refused.
   */
  policies?: PolicySet;
  /** The policy signer's key: signs the approvals of the policies that name its address as their signer. */
  policySigner?: LocalAccount;
  /** Seconds an approval stays valid after the latest block (default 600). */
  approvalValidity?: bigint;
  /** The `fetch` the webhooks are called with (default: the global one). */
  fetch?: typeof fetch;
  /** Where log lines go (default: one JSON line per record on stdout). */
  log?: (record: LogRecord) => void;
  /**
   * Local chains (31337) only: keeps the price of a local deployment usable. At start and whenever a request or
   * `/health` finds the cached price stale, renews the adapter's mock feed (same answer, fresh timestamp) when it is
   * the local `MockV3Aggregator` and refreshes the cached price, sending from `wallet` (a node account). The CLI sets
   * it on chain 31337 by itself (src/service/localPrice.ts); an adapter whose feed is not the mock is never touched.
   */
  localPriceKeeper?: LocalPriceKeeper;
}

/** What the service's local price keeper sends with, and how it recognises the mock feed. */
export interface LocalPriceKeeper {
  /** A wallet of the local node (the service never holds a real network's key for this). */
  wallet: CreditWallet;
  /** The runtime code of `MockV3Aggregator` (its artifact's `deployedBytecode`). */
  mockCode: Hex;
}

/** An HTTP-level answer: status and JSON body (none for a notification-only request). */
export interface ServiceAnswer {
  status: number;
  body: string | undefined;
}

/** Health of one paymaster. */
export interface PaymasterHealth {
  entryPoint: Address;
  entryPointVersion: "0.7" | "0.8";
  paymaster: Address;
  paused: boolean;
  priceAge: string;
  maxPriceAge: string;
  priceValidUntil: string;
  priceStale: boolean;
  /** The paymaster's EntryPoint deposit, in wei. */
  depositWei: string;
  /** The wei of gas the ledger's outstanding credits could draw through this paymaster (at the cached price). */
  spendableWei: string;
  /** depositWei / spendableWei in basis points; null when no credits are outstanding. */
  depositCoverageBps: string | null;
  problem?: string;
}

/** Body of `GET /health`. */
export interface HealthReport {
  status: "ok" | "degraded" | "down";
  chainId: number;
  blockNumber?: string;
  paymasters: PaymasterHealth[];
  problems: string[];
}

/** A running service's request handlers. */
export interface PaymasterService {
  /** The served EntryPoints and their paymasters. */
  readonly paymasters: readonly PaymasterAddresses[];
  /** Handles one HTTP request body (a JSON-RPC request or batch). */
  handleRpc(body: string): Promise<ServiceAnswer>;
  /** `GET /health`: 200 when the RPC answers on the right chain and every paymaster can sponsor, else 503. */
  health(): Promise<ServiceAnswer>;
  /** Writes a log record. */
  log(record: LogFields): void;
}

/** The methods this service implements. */
export const SERVICE_METHODS = ["pm_getPaymasterStubData", "pm_getPaymasterData"] as const;
/** Most calls in one batch. */
export const MAX_BATCH = 25;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRpcId(value: unknown): value is RpcId {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** A one-line description of an error: viem's short message and, when short, its details. */
function shortMessage(error: unknown): string {
  if (error instanceof BaseError) {
    const details = error.details.split("\n")[0];
    return details !== "" && details.length <= 200 && !error.shortMessage.includes(details)
      ? `${error.shortMessage} (${details})`
      : error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The JSON-RPC error for rejection `reasons` (code of the first; every reason, explained, in `data.reasons`). */
export function rejectionError(reasons: readonly RejectionReason[]): RpcError {
  const explained = reasons.map(explainReason);
  return new RpcError(
    explained[0]?.code ?? RpcErrorCode.VALIDATION_REVERTED,
    `rejected by the credit paymaster: ${explained.map((r) => r.message).join("; ")}`,
    { reasons: explained },
  );
}

interface Served {
  addresses: PaymasterAddresses;
  credits: CreditsClient;
}

/**
 * Creates the service: checks the RPC's chain id and resolves each paymaster's EntryPoint, version and ledger.
 * @throws when the RPC is on another chain, a paymaster is not a credit paymaster, two paymasters share an
 *         EntryPoint, or a paymaster uses another ledger than `config.ledger`.
 */
export async function createPaymasterService(config: PaymasterServiceConfig): Promise<PaymasterService> {
  const write =
    config.log ??
    ((record: LogRecord) => {
      process.stdout.write(`${toJson(record)}\n`);
    });
  const log = (record: LogFields) => write({ time: new Date().toISOString(), ...record });
  const validityMargin = config.validityMargin ?? 30n;
  const simulate = config.simulate ?? true;

  if (config.paymasters.length === 0) throw new Error("no paymaster configured");
  const rpcChainId = await getChainId(config.client);
  if (rpcChainId !== config.chainId) {
    throw new Error(
      `the RPC is on chain ${rpcChainId}, the service is configured for chain ${config.chainId}`,
    );
  }
  const byEntryPoint = new Map<Address, Served>();
  for (const paymaster of config.paymasters) {
    const credits = createCreditsClient({
      publicClient: config.client,
      paymaster,
      ...(config.ledger === undefined ? {} : { ledger: config.ledger }),
    });
    let addresses: PaymasterAddresses;
    try {
      addresses = await credits.addresses();
    } catch (error) {
      throw new Error(`${paymaster} is not a usable credit paymaster: ${shortMessage(error)}`, {
        cause: error,
      });
    }
    if (byEntryPoint.has(addresses.entryPoint)) {
      throw new Error(`two paymasters configured for EntryPoint ${addresses.entryPoint}`);
    }
    byEntryPoint.set(addresses.entryPoint, { addresses, credits });
  }
  const served = [...byEntryPoint.values()];
  const approvalValidity = config.approvalValidity ?? 600n;

  // Local price keeper: the adapters whose primary feed is the local mock (checked once, at start).
  const keptAdapters = new Set<Address>();
  const keeping = new Map<Address, Promise<void>>();
  const keeper = config.localPriceKeeper;
  if (keeper !== undefined) {
    if (config.chainId !== LOCAL_CHAIN_ID) {
      throw new Error(
        `the local price keeper renews a local chain's mock feed (chain ${LOCAL_CHAIN_ID}) only; this service ` +
          `serves chain ${config.chainId}, whose feeds are updated by their oracles`,
      );
    }
    const adapters = new Set(served.map((s) => s.addresses.priceAdapter));
    for (const adapter of adapters) {
      const mock = await localMockFeed(config.client, adapter, keeper.mockCode);
      if (mock === undefined) {
        log({
          level: "warn",
          event: "localPriceKeeper",
          adapter,
          kept: false,
          message:
            "the adapter's primary feed is not the local MockV3Aggregator: never renewed by this service",
        });
      } else {
        keptAdapters.add(adapter);
        log({ level: "info", event: "localPriceKeeper", adapter, feed: mock.feed, kept: true });
      }
    }
    for (const target of served) await keepLocalPrice(target);
  }

  /**
   * Local chains: when the target's cached price is missing or stale (within the validity margin), renews the mock
   * feed if it is due and refreshes the cached price, and logs it in one line. Concurrent callers share one renewal;
   * a failure is logged and leaves the price as it was (requests are then refused as stale, with the hint).
   */
  function keepLocalPrice(target: Served): Promise<void> {
    const adapter = target.addresses.priceAdapter;
    if (keeper === undefined || !keptAdapters.has(adapter)) return Promise.resolve();
    const pending = keeping.get(adapter);
    if (pending !== undefined) return pending;
    const run = (async () => {
      try {
        const price = await target.credits.cachedPrice().catch(() => undefined);
        if (price !== undefined && price.now + validityMargin <= price.validUntil) return;
        const renewal = await renewLocalMockFeed(keeper.wallet, { adapter, mockCode: keeper.mockCode });
        const hash = await refreshPrice(keeper.wallet, { adapter });
        const receipt = await waitForTransactionReceipt(keeper.wallet, { hash, pollingInterval: 100 });
        const refreshed = refreshedPrice(receipt, adapter);
        if (receipt.status !== "success" || refreshed === undefined) {
          throw new Error(`refreshCachedPrice() of ${adapter} reverted (${hash})`);
        }
        log({
          level: "info",
          event: "localPriceRenewed",
          adapter,
          ...(renewal === undefined
            ? {}
            : {
                feed: renewal.feed,
                answer: renewal.answer.toString(),
                feedUpdatedAt: renewal.updatedAt.toString(),
              }),
          priceWad: refreshed.priceWad.toString(),
          message:
            renewal === undefined
              ? "local chain: refreshed the stale cached price"
              : "local chain: renewed the mock ETH/USD feed (same answer, fresh timestamp) and refreshed the cached price",
        });
      } catch (error) {
        log({ level: "warn", event: "localPriceRenewed", adapter, problem: shortMessage(error) });
      } finally {
        keeping.delete(adapter);
      }
    })();
    keeping.set(adapter, run);
    return run;
  }

  async function paymasterFields(target: Served, request: PaymasterRequest) {
    const paymasterData: Hex = encodePaymasterData(request.mode);
    // The postOp limit is the paymaster's floor for this operation (what postOp needs plus the EntryPoint's
    // unmetered gas, which grows with the operation's size), so that a bundler never has to estimate it.
    const pmConfig = await target.credits.paymasterConfig();
    const floor = minPostOpGasLimit(
      target.addresses.entryPointVersion,
      request.mode.mode,
      { ...request.userOp, paymasterData },
      pmConfig.postOpGasMargin,
    );
    const limits = paymasterGasLimits(pmConfig, floor, config.gasLimits);
    return { paymaster: target.addresses.paymaster, paymasterData, ...limits };
  }

  async function answer(
    method: (typeof SERVICE_METHODS)[number],
    params: unknown,
  ): Promise<Record<string, unknown>> {
    const request = parsePaymasterParams(params);
    if (request.chainId !== config.chainId) {
      throw new RpcError(
        RpcErrorCode.UNSUPPORTED_CHAIN,
        `unsupported chain ${request.chainId}: this service serves chain ${config.chainId}`,
      );
    }
    const target = byEntryPoint.get(getAddress(request.entryPoint));
    if (target === undefined) {
      throw new RpcError(
        RpcErrorCode.UNSUPPORTED_ENTRY_POINT,
        `unsupported EntryPoint ${request.entryPoint}: this service serves ${[...byEntryPoint.keys()].join(", ")}`,
      );
    }
    const stage = method === "pm_getPaymasterStubData" ? "stub" : "final";
    await keepLocalPrice(target);
    let rules: PolicyRules | undefined;
    if (request.mode.mode === "POLICY") {
      const policy = await policyMode(target, request, request.mode);
      rules = policy.rules;
      request.mode = policy.mode;
    }
    const fields = await paymasterFields(target, request);
    let op = { ...request.userOp, ...fields };
    const reasons = await target.credits.explainRejection(op, { stage, validityMargin });
    if (reasons.length > 0) throw rejectionError(reasons);
    if (rules?.webhook !== undefined) {
      const decoded = decodeAccountCalls(request.userOp.sender, request.userOp.callData ?? "0x");
      const refusal = await askWebhook(
        { ...rules, webhook: rules.webhook },
        {
          stage,
          chainId: config.chainId,
          entryPoint: target.addresses.entryPoint,
          sponsor: rules.sponsor,
          policyId: rules.policyId.toString(),
          userOp: Array.isArray(params) ? (params[0] as unknown) : undefined,
          ...(decoded.ok ? { calls: webhookCalls(decoded.calls) } : {}),
        },
        config.fetch,
      );
      if (refusal !== undefined) throw rejectionError([refusal]);
    }
    if (stage === "final" && request.mode.mode === "POLICY" && request.mode.approval !== undefined) {
      // The signer was checked against the policy's by policyMode.
      fields.paymasterData = await signPolicyApproval(
        { client: config.client, chainId: config.chainId, ...target.addresses },
        config.policySigner!,
        op,
      );
      op = { ...op, paymasterData: fields.paymasterData };
    }
    if (stage === "final" && simulate) {
      const simulation = await target.credits.simulateValidation(op);
      if (!simulation.ok) throw rejectionError([simulation.reason]);
    }
    const result: Record<string, unknown> = {
      paymaster: fields.paymaster,
      paymasterData: fields.paymasterData,
      paymasterVerificationGasLimit: numberToHex(fields.paymasterVerificationGasLimit),
      paymasterPostOpGasLimit: numberToHex(fields.paymasterPostOpGasLimit),
    };
    if (config.sponsorName !== undefined) result.sponsor = { name: config.sponsorName };
    // SELF/SPONSORED/open POLICY: the final data equals the stub, but the final checks need the estimated gas
    // limits. A signed POLICY: the stub carries a 65-byte stand-in signature, the final data the approval.
    if (stage === "stub") result.isFinal = false;
    return result;
  }

  /**
   * POLICY: the service's rules for `{ sponsor, policyId }` (refusing when none, or when a rule refuses), and the
   * mode with an approval window and a stub signature when the policy names a signer, which must be this service's.
   */
  async function policyMode(
    target: Served,
    request: PaymasterRequest,
    mode: Extract<CreditModeOptions, { mode: "POLICY" }>,
  ): Promise<{ rules: PolicyRules; mode: CreditModeOptions }> {
    const { sponsor, policyId } = mode;
    const rules = config.policies?.get(policyKey(sponsor, policyId));
    if (rules === undefined) throw rejectionError([{ kind: "policyNotServed", sponsor, policyId }]);
    const refusal = checkStaticRules(rules, request.userOp.sender, request.userOp.callData ?? "0x");
    if (refusal !== undefined) throw rejectionError([refusal]);
    const [onChain, block] = await Promise.all([
      target.credits.policy(sponsor, policyId),
      getBlock(config.client, { blockTag: "latest" }),
    ]);
    // A policy that does not exist (or is paused, closed, spent) is explained by explainRejection afterwards.
    if (onChain.status === "None" || onChain.signer === zeroAddress) return { rules, mode };
    const own = config.policySigner?.address;
    if (own === undefined || getAddress(own) !== onChain.signer) {
      throw rejectionError([
        {
          kind: "policySignerMismatch",
          sponsor,
          policyId,
          policySigner: onChain.signer,
          serviceSigner: own === undefined ? null : getAddress(own),
        },
      ]);
    }
    const approval = {
      validAfter: 0n,
      validUntil: block.timestamp + approvalValidity,
      signature: STUB_APPROVAL_SIGNATURE,
    };
    return { rules, mode: { ...mode, approval } };
  }

  /** One call of a request or batch; undefined for a notification. */
  async function handleCall(call: unknown): Promise<RpcResponse | undefined> {
    const started = performance.now();
    const id: RpcId = isRecord(call) && isRpcId(call.id) ? call.id : null;
    const notification = isRecord(call) && !("id" in call);
    const method = isRecord(call) && typeof call.method === "string" ? call.method : null;
    const finish = (response: RpcResponse, outcome: string, extra: Record<string, unknown> = {}) => {
      const error = "error" in response ? response.error : undefined;
      log({
        level: outcome === "error" ? "error" : outcome === "ok" ? "info" : "warn",
        event: "rpc",
        method,
        id,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        outcome,
        ...(error === undefined ? {} : { code: error.code, message: error.message }),
        ...extra,
      });
      return notification ? undefined : response;
    };
    if (
      !isRecord(call) ||
      call.jsonrpc !== "2.0" ||
      method === null ||
      ("id" in call && !isRpcId(call.id)) ||
      ("params" in call && typeof call.params !== "object")
    ) {
      const invalid = new RpcError(
        RpcErrorCode.INVALID_REQUEST,
        'invalid request: expected {"jsonrpc": "2.0", "method": string, "params"?: array, "id"?: string | number | null}',
      );
      // Not a valid request, so not a notification either: JSON-RPC 2.0 answers it, with `id: null` when none
      // could be read (e.g. `{"hello": "world"}`).
      const response = errorResponse(id, invalid);
      finish(response, "invalid");
      return response;
    }
    if (method !== SERVICE_METHODS[0] && method !== SERVICE_METHODS[1]) {
      const unknown = new RpcError(
        RpcErrorCode.METHOD_NOT_FOUND,
        `method not found: ${method} (this service implements ${SERVICE_METHODS.join(", ")})`,
      );
      return finish(errorResponse(id, unknown), "invalid");
    }
    const sender = Array.isArray(call.params) && isRecord(call.params[0]) ? call.params[0].sender : undefined;
    const extra = typeof sender === "string" ? { sender } : {};
    try {
      return finish(resultResponse(id, await answer(method, call.params)), "ok", extra);
    } catch (error) {
      if (error instanceof RpcError) {
        const outcome = error.code === RpcErrorCode.INVALID_PARAMS ? "invalid" : "rejected";
        return finish(errorResponse(id, error), outcome, extra);
      }
      const internal = new RpcError(RpcErrorCode.INTERNAL_ERROR, `internal error: ${shortMessage(error)}`);
      return finish(errorResponse(id, internal), "error", extra);
    }
  }

  async function handleRpc(body: string): Promise<ServiceAnswer> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      const response = errorResponse(
        null,
        new RpcError(RpcErrorCode.PARSE_ERROR, "parse error: the body is not JSON"),
      );
      log({
        level: "warn",
        event: "rpc",
        method: null,
        id: null,
        durationMs: 0,
        outcome: "invalid",
        code: -32700,
      });
      return { status: 200, body: toJson(response) };
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > MAX_BATCH) {
        const invalid = new RpcError(
          RpcErrorCode.INVALID_REQUEST,
          `invalid request: a batch holds 1 to ${MAX_BATCH} calls, got ${parsed.length}`,
        );
        log({
          level: "warn",
          event: "rpc",
          method: null,
          id: null,
          durationMs: 0,
          outcome: "invalid",
          code: invalid.code,
        });
        return { status: 200, body: toJson(errorResponse(null, invalid)) };
      }
      const responses = (await Promise.all(parsed.map(handleCall))).filter((r) => r !== undefined);
      return responses.length === 0
        ? { status: 204, body: undefined }
        : { status: 200, body: toJson(responses) };
    }
    const response = await handleCall(parsed);
    return response === undefined
      ? { status: 204, body: undefined }
      : { status: 200, body: toJson(response) };
  }

  async function paymasterHealth(target: Served): Promise<PaymasterHealth> {
    const base = {
      entryPoint: target.addresses.entryPoint,
      entryPointVersion: target.addresses.entryPointVersion,
      paymaster: target.addresses.paymaster,
    };
    try {
      await keepLocalPrice(target);
      const [price, pmConfig, depositWei, outstanding] = await Promise.all([
        target.credits.cachedPrice(),
        target.credits.paymasterConfig(),
        target.credits.deposit(),
        outstandingCredits(config.client, target.addresses.ledger),
      ]);
      const priceStale = price.now + validityMargin > price.validUntil;
      const coverage = depositCoverage({
        depositWei,
        outstandingCredits: outstanding,
        priceWad: price.priceWad,
        markupBps: pmConfig.markupBps,
        maxCreditsPerOp: pmConfig.maxCreditsPerOp,
      });
      const problems = [
        ...(pmConfig.paused ? ["paused"] : []),
        ...(priceStale ? [`cached price is ${price.age} s old (maxPriceAge ${price.maxPriceAge} s)`] : []),
        ...(depositWei < coverage.maxOpWei
          ? [
              `EntryPoint deposit ${depositWei} wei is below one operation at maxCreditsPerOp (${coverage.maxOpWei} wei)`,
            ]
          : []),
      ];
      return {
        ...base,
        paused: pmConfig.paused,
        priceAge: price.age.toString(),
        maxPriceAge: price.maxPriceAge.toString(),
        priceValidUntil: price.validUntil.toString(),
        priceStale,
        depositWei: depositWei.toString(),
        spendableWei: coverage.spendableWei.toString(),
        depositCoverageBps: coverage.coverageBps?.toString() ?? null,
        ...(problems.length === 0 ? {} : { problem: problems.join("; ") }),
      };
    } catch (error) {
      return {
        ...base,
        paused: false,
        priceAge: "",
        maxPriceAge: "",
        priceValidUntil: "",
        priceStale: true,
        depositWei: "",
        spendableWei: "",
        depositCoverageBps: null,
        problem: shortMessage(error),
      };
    }
  }

  async function health(): Promise<ServiceAnswer> {
    const started = performance.now();
    const report: HealthReport = { status: "ok", chainId: config.chainId, paymasters: [], problems: [] };
    try {
      const [chainId, blockNumber] = await Promise.all([
        getChainId(config.client),
        getBlockNumber(config.client, { cacheTime: 0 }),
      ]);
      report.blockNumber = blockNumber.toString();
      if (chainId !== config.chainId) report.problems.push(`the RPC is on chain ${chainId}`);
      report.paymasters = await Promise.all(served.map(paymasterHealth));
      for (const p of report.paymasters) {
        if (p.problem !== undefined)
          report.problems.push(`${p.paymaster} (EntryPoint v${p.entryPointVersion}): ${p.problem}`);
      }
      report.status = report.problems.length === 0 ? "ok" : "degraded";
    } catch (error) {
      report.status = "down";
      report.problems.push(`RPC unavailable: ${shortMessage(error)}`);
    }
    log({
      level: report.status === "ok" ? "info" : "warn",
      event: "health",
      status: report.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(report.problems.length === 0 ? {} : { problems: report.problems }),
    });
    return { status: report.status === "ok" ? 200 : 503, body: toJson(report) };
  }

  return { paymasters: served.map((s) => s.addresses), handleRpc, health, log };
}
