/**
 * The calls an account makes, decoded from a user operation's `callData`, for the policy rules of the service
 * (allowed targets and selectors). Decoded forms:
 * - SimpleAccount and Simple7702Account (`BaseAccount` of @account-abstraction/contracts 0.7/0.8):
 *   `execute(address,uint256,bytes)`, `executeBatch((address,uint256,bytes)[])` (v0.8) and
 *   `executeBatch(address[],uint256[],bytes[])` (v0.7's SimpleAccount);
 * - ERC-7579 accounts (Kernel, Nexus, Safe7579): `execute(bytes32 mode, bytes executionCalldata)` with call type
 *   single (`0x00`: `target (20) ‖ value (32) ‖ callData`) or batch (`0x01`: `abi.encode(Execution[])`), exec type
 *   default or try; delegatecall and static call types are refused;
 * - the Safe 4337 module: `executeUserOp` / `executeUserOpWithErrorString(address,uint256,bytes,uint8)` with
 *   operation CALL, or DELEGATECALL to a canonical MultiSendCallOnly (`multiSend(bytes)`, each packed transaction a
 *   CALL);
 * - `executeUserOp(PackedUserOperation,bytes32)` (ERC-4337 `IAccountExecute`, as Kernel prefixes its call data):
 *   the rest of the call data is decoded again;
 * - a call of the account to itself with one of the forms above (nesting), to a depth of {@link MAX_NESTING}.
 * Anything else is "not decoded": the service refuses it when the policy has target rules.
 */
import {
  decodeAbiParameters,
  decodeFunctionData,
  getAddress,
  hexToBigInt,
  isAddressEqual,
  parseAbi,
  size,
  slice,
  toFunctionSelector,
} from "viem";
import type { Address, Hex } from "viem";

/** One call an operation makes. `selector` is the first 4 bytes of `data`, or `"0x"` for a call without data. */
export interface AccountCall {
  target: Address;
  value: bigint;
  data: Hex;
  selector: Hex;
}

/** The decoding of an operation's call data: its calls, or why they could not be decoded. */
export type DecodedCalls = { ok: true; calls: AccountCall[]; form: string } | { ok: false; problem: string };

/** Deepest nesting of account calls (a call of the account to itself, or an `executeUserOp` prefix). */
export const MAX_NESTING = 4;

const ACCOUNT_ABI = parseAbi([
  "function execute(address target, uint256 value, bytes data)",
  "function executeBatch((address target, uint256 value, bytes data)[] calls)",
  "function executeBatch(address[] dest, uint256[] value, bytes[] func)",
  "function execute(bytes32 mode, bytes executionCalldata)",
  "function executeUserOp(address to, uint256 value, bytes data, uint8 operation)",
  "function executeUserOpWithErrorString(address to, uint256 value, bytes data, uint8 operation)",
]);

const MULTI_SEND_ABI = parseAbi(["function multiSend(bytes transactions)"]);

/** `IAccountExecute.executeUserOp(PackedUserOperation,bytes32)`: the EntryPoint passes the whole operation. */
export const EXECUTE_USER_OP_SELECTOR = toFunctionSelector(
  "executeUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32)",
);

/** Canonical MultiSendCallOnly deployments (Safe v1.3.0 and v1.4.1): a Safe batches by delegatecall to one. */
export const MULTI_SEND_CALL_ONLY: readonly Address[] = [
  getAddress("0x40A2aCCbd92BCA938b02010E17A5b8929b49130D"),
  getAddress("0x9641d764fc13c8B624c04430C7356C1C7C8102e2"),
];

function call(target: Address, value: bigint, data: Hex): AccountCall {
  return { target: getAddress(target), value, data, selector: size(data) >= 4 ? slice(data, 0, 4) : "0x" };
}

class NotDecoded extends Error {}

/** The packed transactions of `multiSend`: `operation (1) ‖ to (20) ‖ value (32) ‖ length (32) ‖ data`. */
function multiSendCalls(transactions: Hex): AccountCall[] {
  const calls: AccountCall[] = [];
  const total = size(transactions);
  let at = 0;
  while (at < total) {
    if (at + 85 > total) throw new NotDecoded("a multiSend transaction is truncated");
    const operation = Number(hexToBigInt(slice(transactions, at, at + 1)));
    if (operation !== 0) throw new NotDecoded("a multiSend transaction is a delegatecall");
    const to = getAddress(slice(transactions, at + 1, at + 21));
    const value = hexToBigInt(slice(transactions, at + 21, at + 53));
    const length = Number(hexToBigInt(slice(transactions, at + 53, at + 85)));
    if (at + 85 + length > total) throw new NotDecoded("a multiSend transaction's data is truncated");
    calls.push(call(to, value, length === 0 ? "0x" : slice(transactions, at + 85, at + 85 + length)));
    at += 85 + length;
  }
  return calls;
}

/** ERC-7579 `executionCalldata` of call type `callType`. */
function erc7579Calls(mode: Hex, execution: Hex): AccountCall[] {
  const callType = Number(hexToBigInt(slice(mode, 0, 1)));
  const execType = Number(hexToBigInt(slice(mode, 1, 2)));
  if (execType !== 0 && execType !== 1) throw new NotDecoded(`ERC-7579 exec type 0x${execType.toString(16)}`);
  if (callType === 0) {
    if (size(execution) < 52) throw new NotDecoded("ERC-7579 single execution shorter than 52 bytes");
    const data = size(execution) === 52 ? "0x" : slice(execution, 52);
    return [call(slice(execution, 0, 20), hexToBigInt(slice(execution, 20, 52)), data)];
  }
  if (callType === 1) {
    const [executions] = decodeAbiParameters(
      [
        {
          type: "tuple[]",
          components: [
            { name: "target", type: "address" },
            { name: "value", type: "uint256" },
            { name: "callData", type: "bytes" },
          ],
        },
      ],
      execution,
    );
    return executions.map((e) => call(e.target, e.value, e.callData));
  }
  const names: Record<number, string> = { 0xfe: "static call", 0xff: "delegatecall" };
  throw new NotDecoded(
    `ERC-7579 call type ${names[callType] ?? `0x${callType.toString(16)}`} is not allowed`,
  );
}

/** The calls of one level of account call data (not yet expanded). */
function oneLevel(callData: Hex): { calls: AccountCall[]; form: string } {
  if (size(callData) < 4) throw new NotDecoded("the call data has no function selector");
  const selector = slice(callData, 0, 4);
  if (selector === EXECUTE_USER_OP_SELECTOR) {
    // executeUserOp(op, hash): the account runs the rest of the call data (Kernel's prefix).
    return { calls: [], form: "executeUserOp" };
  }
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: ACCOUNT_ABI, data: callData });
  } catch {
    throw new NotDecoded(`unknown account function ${selector}`);
  }
  switch (decoded.functionName) {
    case "execute": {
      if (decoded.args.length === 3) {
        const [target, value, data] = decoded.args;
        return { calls: [call(target, value, data)], form: "execute" };
      }
      const [mode, execution] = decoded.args;
      return { calls: erc7579Calls(mode, execution), form: "ERC-7579 execute" };
    }
    case "executeBatch": {
      if (decoded.args.length === 1) {
        const [calls] = decoded.args;
        return { calls: calls.map((c) => call(c.target, c.value, c.data)), form: "executeBatch" };
      }
      const [dest, value, func] = decoded.args;
      if (func.length !== dest.length || (value.length !== 0 && value.length !== dest.length)) {
        throw new NotDecoded("executeBatch arrays of different lengths");
      }
      return {
        calls: dest.map((d, i) => call(d, value.length === 0 ? 0n : value[i], func[i])),
        form: "executeBatch (v0.7)",
      };
    }
    case "executeUserOp":
    case "executeUserOpWithErrorString": {
      const [to, value, data, operation] = decoded.args;
      if (operation === 0) return { calls: [call(to, value, data)], form: "Safe 4337 module" };
      if (operation !== 1) throw new NotDecoded(`Safe operation ${operation}`);
      if (!MULTI_SEND_CALL_ONLY.some((m) => isAddressEqual(m, to))) {
        throw new NotDecoded(`a Safe delegatecall to ${getAddress(to)}, not a canonical MultiSendCallOnly`);
      }
      let batch;
      try {
        batch = decodeFunctionData({ abi: MULTI_SEND_ABI, data });
      } catch {
        throw new NotDecoded("a Safe delegatecall to MultiSendCallOnly that is not multiSend(bytes)");
      }
      return { calls: multiSendCalls(batch.args[0]), form: "Safe 4337 module (multiSend)" };
    }
  }
}

/**
 * The calls `sender`'s operation makes (see the module's comment for the forms), with calls of the account to
 * itself expanded.
 */
export function decodeAccountCalls(sender: Address, callData: Hex): DecodedCalls {
  const expand = (data: Hex, depth: number): { calls: AccountCall[]; form: string } => {
    if (depth > MAX_NESTING) throw new NotDecoded(`nested deeper than ${MAX_NESTING} levels`);
    const level = oneLevel(data);
    if (level.form === "executeUserOp") {
      // ERC-4337 IAccountExecute: executeUserOp(PackedUserOperation, bytes32) as `selector ‖ inner call data`;
      // the account decodes its operation's callData after the selector (Kernel v3).
      return expand(slice(data, 4), depth + 1);
    }
    const calls: AccountCall[] = [];
    for (const c of level.calls) {
      if (isAddressEqual(c.target, sender) && size(c.data) >= 4) {
        calls.push(...expand(c.data, depth + 1).calls);
      } else {
        calls.push(c);
      }
    }
    return { calls, form: level.form };
  };
  try {
    return { ok: true, ...expand(callData, 0) };
  } catch (error) {
    if (error instanceof NotDecoded) return { ok: false, problem: error.message };
    return { ok: false, problem: `malformed call data (${error instanceof Error ? error.name : "error"})` };
  }
}
