/**
 * Hostile values for the tasks' time flags: an expiry beyond JavaScript's dates (±8.64e15 ms) made the error message
 * itself throw a RangeError ("Invalid time value"), which Hardhat printed with a stack trace instead of the operator
 * error. Now every such value gets the worded refusal, nothing is sent, and the command exits with status 1.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { formatTime } from "../../src/client/format";
import { parsePolicySpecs } from "../../tasks/governance";
import { deploySystem } from "../helpers/system";
import { expectTaskError, systemFlags, taskFailure } from "../helpers/tasks";

const ROOT = path.resolve(__dirname, "../..");
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const run = promisify(execFile);

const HUGE = "99999999999999999999999999999999999999999999999999";
const LATEST =
  'is after the latest expiry the ledger stores, 2106-02-07T06:28:15Z (2^32 - 1): pass "never" for no expiry';

describe("tasks: hostile time values", function () {
  this.timeout(180_000);

  async function fixture() {
    const sys = await deploySystem("0.8");
    return {
      sys,
      flags: await systemFlags(sys),
      issuer: await sys.issuer.getAddress(),
      dapp: await sys.dapp.getAddress(),
      member: ethers.Wallet.createRandom().address,
    };
  }

  it("formatTime prints seconds beyond JavaScript's dates instead of throwing", function () {
    expect(formatTime(8_640_000_000_000n)).to.equal("+275760-09-13T00:00:00Z");
    expect(formatTime(8_640_000_000_001n)).to.equal("8640000000001 (unix seconds)");
    expect(formatTime(BigInt(HUGE))).to.equal(`${HUGE} (unix seconds)`);
    expect(formatTime(-8_640_000_000_001n)).to.equal("-8640000000001 (unix seconds)");
  });

  it("credits:grant refuses an expiry beyond any date, in seconds or as a duration, and grants nothing", async function () {
    const { sys, flags, issuer, member } = await loadFixture(fixture);
    const grant = { ledger: flags.ledger, account: member, amount: "1", from: issuer };
    expect((await taskFailure("credits:grant", { ...grant, expiry: HUGE })).message).to.equal(
      `Invalid --expiry "${HUGE}": ${HUGE} (unix seconds) ${LATEST}`,
    );
    const far = await taskFailure("credits:grant", { ...grant, expiry: `+${HUGE}d` });
    expect(far.message).to.match(new RegExp(`^Invalid --expiry "\\+${HUGE}d": \\d+ \\(unix seconds\\) `));
    expect(far.message.endsWith(LATEST)).to.equal(true);
    expect(await sys.ledger.balanceOfCredits(member)).to.equal(0n);
  });

  it("credits:allow and policy:create refuse it too, and set nothing", async function () {
    const { sys, flags, dapp, member } = await loadFixture(fixture);
    expect(
      (
        await taskFailure("credits:allow", {
          ledger: flags.ledger,
          beneficiary: member,
          perEpoch: "1",
          expiry: HUGE,
          from: dapp,
        })
      ).message,
    ).to.equal(`Invalid --expiry "${HUGE}": ${HUGE} (unix seconds) ${LATEST}`);
    const failure = await taskFailure("policy:create", {
      ledger: flags.ledger,
      perUser: "1",
      end: HUGE,
      from: dapp,
    });
    expect(failure.message).to.equal(`Invalid --end "${HUGE}": ${HUGE} (unix seconds) ${LATEST}`);
    const allowance = await sys.ledger.allowance(dapp, member);
    expect(allowance.limit).to.equal(0n);
    expect(await sys.ledger.policyCount(dapp)).to.equal(0n);
  });

  it("on the command line: one worded line, status 1, no stack trace", async function () {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ["DISPLAY", "WAYLAND_DISPLAY"]) delete env[name]; // a headless server: Hardhat shows stacks
    const args = [
      HARDHAT_CLI,
      "credits:grant",
      "--account",
      "0x00000000000000000000000000000000000000a1",
      "--amount",
      "1",
      "--expiry",
      HUGE,
    ];
    const failed = await run(process.execPath, args, { cwd: ROOT, env, timeout: 120_000 }).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(failed, "the task succeeded").to.not.equal(undefined);
    expect(failed!.code).to.equal(1);
    expect(failed!.stderr).to.include(
      `Error in plugin compute-credits: Invalid --expiry "${HUGE}": ${HUGE} (unix seconds) ${LATEST}`,
    );
    expect(failed!.stderr).to.not.match(/^\s+at .+/m);
    expect(failed!.stderr).to.not.include("RangeError");
  });
});

describe("task credits:usage: hostile flags and a server that is not the indexer", function () {
  let server: http.Server;
  let url: string;
  const requests: string[] = [];
  let statusHtml = true;
  before(async function () {
    // A web server that is not the indexer: an HTML page with 200 on /api/status, a JSON without chainId elsewhere.
    server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      const html = req.url === "/api/status" && statusHtml;
      res.writeHead(200, { "content-type": html ? "text/html" : "application/json" });
      res.end(html ? "<html>welcome</html>" : JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(function () {
    server.close();
  });

  it("names a bad --sponsor or --user before asking any indexer (none needs to run)", async function () {
    requests.length = 0;
    await expectTaskError(
      "credits:usage",
      { indexerUrl: "http://127.0.0.1:1", sponsor: "0x12" },
      'Invalid --sponsor "0x12": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when mixed-case)',
    );
    await expectTaskError(
      "credits:usage",
      { indexerUrl: url, user: "bob" },
      'Invalid --user "bob": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when mixed-case)',
    );
    expect(requests).to.deep.equal([]);
  });

  it("refuses an --indexer-url that is not an http(s) URL", async function () {
    for (const bad of ["127.0.0.1:42069", "ftp://127.0.0.1:42069", "indexer"]) {
      await expectTaskError(
        "credits:usage",
        { indexerUrl: bad },
        `Invalid --indexer-url "${bad}": expected the indexer's http(s) URL, such as http://127.0.0.1:42069`,
      );
    }
  });

  it("says the server is not the indexer's API (was: a TypeError on the missing figures)", async function () {
    await expectTaskError(
      "credits:usage",
      { indexerUrl: url },
      `${url} answered /api/status without a JSON object: it is not the indexer's API (pass --indexer-url ` +
        "http://<host>:<port> of `npm run indexer`)",
    );
    statusHtml = false;
    try {
      await expectTaskError(
        "credits:usage",
        { indexerUrl: url },
        `${url}/api/status is not the indexer's status (no chainId and deploymentId): pass --indexer-url ` +
          "http://<host>:<port> of `npm run indexer`",
      );
    } finally {
      statusHtml = true;
    }
  });
});

describe("tasks indexer and dashboard: --port", function () {
  it("refuses a port outside 1 … 65535 before building or starting anything", async function () {
    for (const task of ["indexer", "dashboard"]) {
      for (const port of [0, 70_000, -1]) {
        await expectTaskError(
          task,
          { port },
          `Invalid --port "${port}": expected a TCP port from 1 to 65535`,
        );
      }
    }
  });
});

describe("governance:propose-budget --policy: unlimited", function () {
  it("takes unlimited, unlimited=true or unlimited=false, and names any other value", function () {
    const now = 1_800_000_000n;
    expect(parsePolicySpecs("unlimited", now)).to.have.length(1);
    expect(parsePolicySpecs("unlimited=true", now)).to.have.length(1);
    expect(() => parsePolicySpecs("unlimited=false", now)).to.throw("An open policy with no limit");
    for (const bad of ["maybe", "yes", "1", ""]) {
      let message = "";
      try {
        parsePolicySpecs(`unlimited=${bad}`, now);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, bad).to.equal(
        `Invalid --policy entry "unlimited=${bad}": unlimited is "${bad}", expected "unlimited", "unlimited=true" ` +
          'or "unlimited=false"',
      );
    }
  });
});
