import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { getAddress } from "viem";

import { createCreditsClient, encodePaymasterData, rejectionMessage } from "../../src/client";
import { clientFixture, userOperation as fixtureOperation } from "./fixture";

const ROOT = path.resolve(__dirname, "../..");

/** The lines between `// docs:start <name>` and `// docs:end <name>` of `file`, without their common indentation. */
function region(file: string, name: string): string {
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  const start = lines.findIndex((l) => l.trim() === `// docs:start ${name}`);
  const end = lines.findIndex((l) => l.trim() === `// docs:end ${name}`);
  if (start < 0 || end < start) throw new Error(`${file} has no docs region ${name}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join("\n");
}

/** The fenced code block that follows `<!-- snippet: <name> -->` in docs/client.md. */
function docsSnippet(name: string): string {
  const text = readFileSync(path.join(ROOT, "docs/client.md"), "utf8");
  const marker = `<!-- snippet: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/client.md has no ${marker}`);
  const match = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at));
  if (match === null) throw new Error(`no ts code block after ${marker}`);
  return match[1];
}

/** The docs import the client from the repository root; the tests from two levels down. */
function asFromRoot(code: string): string {
  return code.replaceAll('"../../src/client"', '"./src/client"');
}

describe("docs/client.md", function () {
  it("shows the wallet snippet that the end-to-end run executes through alto (test/e2e/cases.ts)", function () {
    const tested = `${region("test/e2e/cases.ts", "wallet-imports")}\n\n${region("test/e2e/cases.ts", "wallet")}`;
    expect(docsSnippet("wallet")).to.equal(asFromRoot(tested));
  });

  it("shows the EIP-7702 snippet that the end-to-end run executes through alto (test/e2e/cases7702.ts)", function () {
    const file = "test/e2e/cases7702.ts";
    const tested = `${region(file, "eoa-7702-imports")}\n\n${region(file, "eoa-7702")}`;
    expect(docsSnippet("eoa-7702")).to.equal(asFromRoot(tested));
  });

  it("shows the explainRejection snippet that this test executes", async function () {
    const fx = await loadFixture(clientFixture);
    const publicClient = fx.publicClient;
    const paymaster = fx.paymaster;
    const userOperation = {
      ...fixtureOperation(fx, fx.stranger),
      paymaster,
      paymasterVerificationGasLimit: 150_000n,
      paymasterPostOpGasLimit: 60_000n,
      paymasterData: encodePaymasterData({ mode: "SPONSORED", sponsor: fx.dapp }),
    };
    // docs:start explain
    const credits = createCreditsClient({ publicClient, paymaster });
    const { worstCase, expected } = await credits.estimateCredits(userOperation);
    const reasons = await credits.explainRejection(userOperation); // [] = the paymaster would accept it
    const messages = reasons.map(rejectionMessage);
    // docs:end explain
    expect(worstCase).to.be.greaterThan(expected);
    expect(messages).to.deep.equal([
      `sponsor ${fx.dapp} gave ${getAddress(fx.stranger.account.address)} no allowance`,
    ]);
    expect(docsSnippet("explain")).to.equal(region("test/client/docs.test.ts", "explain"));
  });
});
