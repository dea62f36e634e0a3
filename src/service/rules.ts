/**
 * The service's policy rules (src/service/policyFile.ts) applied to one operation, in this order: the sender
 * blocklist, the sender allowlist, the call data (decoded by src/service/calls.ts; refused when undecodable and the
 * policy has target rules), the targets, their selectors, then the webhook. The first rule that refuses names
 * itself (a `policyRule` rejection reason, with its own JSON-RPC code: src/client/rejections.ts).
 */
import { getAddress } from "viem";
import type { Address, Hex } from "viem";

import type { RejectionReason } from "../client/rejections";
import { toJson } from "../client/format";
import { decodeAccountCalls } from "./calls";
import type { AccountCall } from "./calls";
import type { PolicyRules, PolicyWebhook } from "./policyFile";

/** A refusal by a rule. */
export type RuleRefusal = Extract<RejectionReason, { kind: "policyRule" }>;

/** The rules that need no I/O: senders, call data, targets and selectors. `undefined`: every rule passes. */
export function checkStaticRules(
  rules: PolicyRules,
  sender: Address,
  callData: Hex,
): RuleRefusal | undefined {
  const who = getAddress(sender);
  const refuse = (rule: RuleRefusal["rule"], detail: string): RuleRefusal => ({
    kind: "policyRule",
    rule,
    sponsor: rules.sponsor,
    policyId: rules.policyId,
    detail,
  });
  if (rules.block.has(who)) return refuse("senders.block", `the sender ${who} is on the policy's blocklist`);
  if (rules.allow !== undefined && !rules.allow.has(who)) {
    return refuse("senders.allow", `the sender ${who} is not on the policy's allowlist`);
  }
  if (rules.targets === undefined) return undefined;
  const decoded = decodeAccountCalls(who, callData);
  if (!decoded.ok) {
    return refuse(
      "callData",
      `the operation's call data cannot be decoded (${decoded.problem}) and the policy only allows calls to listed contracts`,
    );
  }
  for (const [index, call] of decoded.calls.entries()) {
    if (!rules.targets.has(call.target)) {
      return refuse(
        "targets",
        `call ${index} goes to ${call.target}, not a contract the policy allows (${[...rules.targets.keys()].join(", ")})`,
      );
    }
    const selectors = rules.targets.get(call.target);
    if (selectors !== undefined && !selectors.has(call.selector)) {
      const what = call.selector === "0x" ? "a call without function data" : `function ${call.selector}`;
      return refuse(
        "selectors",
        `call ${index} to ${call.target} is ${what}, not one the policy allows there (${[...selectors].join(", ")})`,
      );
    }
  }
  return undefined;
}

/** What the service POSTs to a policy's webhook. */
export interface WebhookRequest {
  /** `"stub"` (pm_getPaymasterStubData) or `"final"` (pm_getPaymasterData, before signing). */
  stage: "stub" | "final";
  chainId: number;
  entryPoint: Address;
  sponsor: Address;
  policyId: string;
  /** The ERC-7677 `userOp` parameter as the wallet sent it. */
  userOp: unknown;
  /** The calls decoded from the call data, when they could be (values as decimal strings). */
  calls?: { target: Address; value: string; selector: Hex; data: Hex }[];
}

/**
 * Asks the policy's webhook: POST `request` as JSON; approved only by a 2xx answer whose JSON body is
 * `{ "approve": true }` within `timeoutMs`. `{ "approve": false, "reason"?: string }` is a denial; anything else
 * (timeout, network error, non-2xx, another body) refuses too: the webhook fails closed.
 */
export async function askWebhook(
  rules: PolicyRules & { webhook: PolicyWebhook },
  request: WebhookRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<RuleRefusal | undefined> {
  const { url, timeoutMs, headers } = rules.webhook;
  const refuse = (rule: "webhook.denied" | "webhook.unavailable", detail: string): RuleRefusal => ({
    kind: "policyRule",
    rule,
    sponsor: rules.sponsor,
    policyId: rules.policyId,
    detail,
  });
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return "the webhook";
    }
  })();
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: toJson(request),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return refuse(
      "webhook.unavailable",
      timedOut
        ? `the dApp's webhook (${host}) did not answer within ${timeoutMs} ms: the operation is refused (fail closed)`
        : `the dApp's webhook (${host}) could not be reached: the operation is refused (fail closed)`,
    );
  }
  if (response.status < 200 || response.status > 299) {
    return refuse(
      "webhook.unavailable",
      `the dApp's webhook (${host}) answered HTTP ${response.status}: the operation is refused (fail closed)`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const answer = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (answer.approve === true) return undefined;
  if (answer.approve === false) {
    const reason = typeof answer.reason === "string" ? `: ${answer.reason.slice(0, 200)}` : "";
    return refuse("webhook.denied", `the dApp's webhook (${host}) did not approve the operation${reason}`);
  }
  return refuse(
    "webhook.unavailable",
    `the dApp's webhook (${host}) answered without {"approve": true|false}: the operation is refused (fail closed)`,
  );
}

/** The decoded calls as a webhook lists them. */
export function webhookCalls(calls: readonly AccountCall[]): NonNullable<WebhookRequest["calls"]> {
  return calls.map((c) => ({
    target: c.target,
    value: c.value.toString(),
    selector: c.selector,
    data: c.data,
  }));
}
