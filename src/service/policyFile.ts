/**
 * Policy files of the paymaster service: one per sponsor, YAML or JSON (JSON is YAML), read with the `yaml`
 * package's failsafe schema (every scalar a string, so an unquoted `0x…` address is never read as a number) and
 * validated with zod. Every problem is reported as `file:line:column: <what is wrong>: <the fix>`.
 *
 * ```yaml
 * sponsor: "0x…"              # the sponsor whose policies this file serves
 * policies:
 *   - policyId: 1             # the on-chain policy id (ISponsorPolicies.createPolicy)
 *     senders:                # optional
 *       allow: ["0x…"]        #   only these senders (absent: any sender)
 *       block: ["0x…"]        #   never these senders
 *     targets:                # optional: when present, every call must go to one of these contracts, and call
 *       - address: "0x…"      #   data the service cannot decode is refused
 *         selectors:          #   optional: only these functions (a signature or a 4-byte selector)
 *           - "increment()"
 *     webhook:                # optional: the dApp's server must approve each operation
 *       url: "https://…"
 *       timeoutMs: 2000       #   default 2000; no answer in time = refused (fail closed)
 *       headers: { authorization: "Bearer …" }
 * ```
 */
import { readFileSync } from "node:fs";
import { getAddress, isAddress, parseAbiItem, toFunctionSelector, zeroAddress } from "viem";
import type { Address, Hex } from "viem";
import { LineCounter, isMap, isPair, isScalar, parseDocument } from "yaml";
import type { Node } from "yaml";
import { z } from "zod";

/** A webhook the dApp's server answers (see src/service/rules.ts). */
export interface PolicyWebhook {
  url: string;
  timeoutMs: number;
  headers: Readonly<Record<string, string>>;
}

/** The service's rules for one policy of a sponsor. */
export interface PolicyRules {
  /** Where the rules were read: `file:line` of the policy's entry. */
  source: string;
  sponsor: Address;
  policyId: bigint;
  /** Only these senders, when set. */
  allow?: ReadonlySet<Address>;
  block: ReadonlySet<Address>;
  /** Allowed targets, each with its allowed selectors (`undefined`: any function), when set. */
  targets?: ReadonlyMap<Address, ReadonlySet<Hex> | undefined>;
  webhook?: PolicyWebhook;
}

/** Every policy of every file, by `sponsor:policyId`. */
export type PolicySet = ReadonlyMap<string, PolicyRules>;

/** The key of a policy in a {@link PolicySet}. */
export function policyKey(sponsor: Address, policyId: bigint): string {
  return `${getAddress(sponsor)}:${policyId}`;
}

/** Problems found in policy files, one `file:line:column: message` per line. */
export class PolicyFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid policy file:\n  ${problems.join("\n  ")}`);
    this.name = "PolicyFileError";
  }
}

const ADDRESS_HINT =
  'write a 20-byte hex address in quotes, e.g. "0x5FbDB2315678afecb367f032d93F642f64180aa3"';

const address = z
  .string({ invalid_type_error: `must be an address: ${ADDRESS_HINT}` })
  .refine(
    (v) => isAddress(v, { strict: false }),
    (v) => ({ message: `"${v}" is not an address: ${ADDRESS_HINT}` }),
  )
  .transform((v) => getAddress(v));

const SELECTOR_HINT = 'write e.g. "transfer(address,uint256)" or "0xa9059cbb"';

/**
 * The selector of a function signature, or undefined when it is not one. The signature is parsed as an ABI item
 * (viem's `parseAbiItem`), so an unknown type ("adress") or a stray word is refused rather than hashed into a
 * selector no call uses, and parameter names ("transfer(address to, uint256 amount)") are ignored as Solidity does.
 */
function signatureSelector(value: string): Hex | undefined {
  if (!/^[A-Za-z_$][\w$]*\(/.test(value)) return undefined;
  try {
    const item = parseAbiItem(`function ${value}`);
    return item.type === "function" ? toFunctionSelector(item) : undefined;
  } catch {
    return undefined;
  }
}

const selector = z
  .string({
    invalid_type_error: 'must be a function signature or selector, e.g. "increment()" or "0xd09de08a"',
  })
  .refine(
    (v) => /^0x[0-9a-fA-F]{8}$/.test(v) || signatureSelector(v) !== undefined,
    (v) => ({
      message: `"${v}" is neither a 4-byte selector nor a function signature with known types: ${SELECTOR_HINT}`,
    }),
  )
  .transform((v) => (v.startsWith("0x") ? (v.toLowerCase() as Hex) : signatureSelector(v)!));

function integer(name: string, min: number, max: number) {
  return z
    .string({ invalid_type_error: `must be an integer in [${min}, ${max}]` })
    .refine(
      (v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max,
      (v) => ({ message: `${name} "${v}" must be an integer in [${min}, ${max}]` }),
    )
    .transform((v) => Number(v));
}

const policyId = z
  .string({ invalid_type_error: "must be the policy's id, a positive integer" })
  .refine(
    (v) => /^\d+$/.test(v) && BigInt(v) > 0n && BigInt(v) < 1n << 64n,
    (v) => ({
      message: `policyId "${v}" must be a positive integer below 2^64: the id createPolicy returned (see the PolicySet event)`,
    }),
  )
  .transform((v) => BigInt(v));

const webhook = z
  .object(
    {
      url: z.string({ invalid_type_error: 'must be a URL, e.g. "https://dapp.example/approve"' }).refine(
        (v) => {
          try {
            const u = new URL(v);
            return u.protocol === "https:" || u.protocol === "http:";
          } catch {
            return false;
          }
        },
        (v) => ({ message: `"${v}" is not an http(s) URL: write e.g. "https://dapp.example/approve"` }),
      ),
      timeoutMs: integer("timeoutMs", 50, 30_000).optional(),
      headers: z
        .record(z.string({ invalid_type_error: "each header value must be a string" }), {
          invalid_type_error: 'must be a map of header names to values, e.g. { authorization: "Bearer …" }',
        })
        // Checked here, not when the first operation's webhook call fails (fetch refuses them: every operation
        // would be refused as "webhook unavailable").
        .superRefine((headers, ctx) => {
          for (const [name, value] of Object.entries(headers)) {
            if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
              ctx.addIssue({
                code: "custom",
                path: [name],
                message: `"${name}" is not an HTTP header name: use letters, digits and - only, e.g. x-api-key`,
              });
            } else if (/[\r\n\0]/.test(value)) {
              ctx.addIssue({
                code: "custom",
                path: [name],
                message: "must be one line: an HTTP header value holds no line break",
              });
            }
          }
        })
        .optional(),
    },
    { invalid_type_error: "must be a map with url, and optionally timeoutMs and headers" },
  )
  .strict();

const policy = z
  .object(
    {
      policyId,
      senders: z
        .object(
          {
            allow: z
              .array(address, { invalid_type_error: "must be a list of addresses" })
              .min(1, "must list at least one sender: remove allow to accept any sender")
              .optional(),
            block: z.array(address, { invalid_type_error: "must be a list of addresses" }).optional(),
          },
          { invalid_type_error: "must be a map with allow and/or block lists" },
        )
        .strict()
        .optional(),
      targets: z
        .array(
          z
            .object(
              {
                address,
                selectors: z
                  .array(selector, { invalid_type_error: "must be a list of selectors" })
                  .min(1, "must list at least one selector: remove selectors to allow any function")
                  .optional(),
              },
              { invalid_type_error: "each target must be a map with address and optionally selectors" },
            )
            .strict(),
          { invalid_type_error: "must be a list of targets ({ address, selectors? })" },
        )
        .min(1, "must list at least one target: remove targets to allow any call")
        .optional(),
      webhook: webhook.optional(),
    },
    { invalid_type_error: "each policy must be a map with policyId and its rules" },
  )
  .strict();

const fileSchema = z
  .object(
    {
      sponsor: address.refine((v) => v !== zeroAddress, {
        message:
          "must not be the zero address: write the sponsor's address (the account that created the policies)",
      }),
      policies: z
        .array(policy, { invalid_type_error: "must be a list of policies" })
        .min(1, "must list at least one policy"),
    },
    { invalid_type_error: "the file must be a map with sponsor and policies" },
  )
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<bigint, number>();
    f.policies.forEach((p, i) => {
      const blocked = new Set(p.senders?.block ?? []);
      const both = (p.senders?.allow ?? []).find((a) => blocked.has(a));
      if (both !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "senders"],
          message: `${both} is both allowed and blocked: remove it from one of the lists`,
        });
      }
      const first = seen.get(p.policyId);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "policyId"],
          message: `policy ${p.policyId} is listed twice (also policies[${first}]): merge the two entries`,
        });
      } else {
        seen.set(p.policyId, i);
      }
    });
  });

/** The node at `path` in the document, or the deepest existing ancestor. */
function nodeAt(
  root: unknown,
  path: readonly (string | number)[],
): { node: Node | undefined; missing: boolean } {
  let node = root as Node | undefined;
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) {
      next = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      )?.value;
    } else if (node !== undefined && "items" in node && Array.isArray((node as { items: unknown }).items)) {
      next = (node as { items: unknown[] }).items[Number(key)];
    }
    if (next === undefined || next === null) return { node, missing: true };
    node = next as Node;
  }
  return { node, missing: false };
}

/** The key node of `key` in map `node`. */
function keyNode(node: Node | undefined, key: string): Node | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  return pair?.key as Node | undefined;
}

function pathName(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Parses the text of policy file `file` (its name only labels messages). @throws PolicyFileError */
export function parsePolicyFile(file: string, text: string): PolicyRules[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, schema: "failsafe", uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split("\n")[0]} (fix the YAML/JSON syntax)`),
    );
  }
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        const { node } = nodeAt(doc.contents, issue.path);
        const key = keyNode(node, issue.keys[0]);
        const where = pathName(issue.path);
        return `${at(key?.range?.[0] ?? node?.range?.[0])}: unknown key "${issue.keys[0]}"${where === "" ? "" : ` in ${where}`}: remove it or fix its spelling`;
      }
      const { node, missing } = nodeAt(doc.contents, issue.path);
      const name = pathName(issue.path);
      if (missing && issue.code === "invalid_type" && issue.received === "undefined") {
        return `${at(node?.range?.[0])}: ${name} is missing: add it`;
      }
      return `${at(node?.range?.[0])}: ${name === "" ? "" : `${name} `}${issue.message}`;
    });
    throw new PolicyFileError(problems);
  }
  const f = parsed.data;
  return f.policies.map((p, i) => {
    const { node } = nodeAt(doc.contents, ["policies", i]);
    const rules: PolicyRules = {
      source: `${file}:${lineCounter.linePos(node?.range?.[0] ?? 0).line}`,
      sponsor: f.sponsor,
      policyId: p.policyId,
      block: new Set(p.senders?.block ?? []),
    };
    if (p.senders?.allow !== undefined) rules.allow = new Set(p.senders.allow);
    if (p.targets !== undefined) {
      const targets = new Map<Address, Set<Hex> | undefined>();
      for (const t of p.targets) {
        const previous = targets.get(t.address);
        if (t.selectors === undefined || (targets.has(t.address) && previous === undefined)) {
          targets.set(t.address, undefined);
        } else {
          targets.set(t.address, new Set([...(previous ?? []), ...t.selectors]));
        }
      }
      rules.targets = targets;
    }
    if (p.webhook !== undefined) {
      rules.webhook = {
        url: p.webhook.url,
        timeoutMs: p.webhook.timeoutMs ?? 2_000,
        headers: p.webhook.headers ?? {},
      };
    }
    return rules;
  });
}

/**
 * Reads and checks policy files (every problem of every file at once); a `{ sponsor, policyId }` in two files is an
 * error. @throws PolicyFileError
 */
export function loadPolicyFiles(files: readonly string[]): PolicySet {
  const set = new Map<string, PolicyRules>();
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      problems.push(
        `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path`,
      );
      continue;
    }
    try {
      for (const rules of parsePolicyFile(file, text)) {
        const key = policyKey(rules.sponsor, rules.policyId);
        const other = set.get(key);
        if (other !== undefined) {
          problems.push(
            `${rules.source}: policy ${rules.policyId} of sponsor ${rules.sponsor} is also defined at ${other.source}: keep one`,
          );
        } else {
          set.set(key, rules);
        }
      }
    } catch (error) {
      if (error instanceof PolicyFileError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new PolicyFileError(problems);
  return set;
}
