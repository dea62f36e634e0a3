/**
 * `npm run deploy` with a missing, malformed or unreadable parameter file: a ParameterError (printed by
 * scripts/deploy.ts as "invalid deployment parameters: ✗ … Nothing was deployed.", exit 1), never an Error printed
 * with its stack, and nothing sent.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { deploySystem } from "../../scripts/lib/deploy-system";
import { freePort } from "../../scripts/lib/hardhat-process";
import { LOCALHOST_URL_ENV } from "../../scripts/lib/networks";
import { ParameterError, loadParameters } from "../../scripts/lib/parameters";
import { tempDir } from "../helpers/tasks";

const ROOT = path.resolve(__dirname, "../..");
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const run = promisify(execFile);

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "no error").to.be.instanceOf(ParameterError);
  return (error as ParameterError).problems;
}

describe("deploy: hostile parameter files", function () {
  it("names a JSON5 syntax error with its line and column", async function () {
    const file = path.join(tempDir("params"), "bad.json");
    writeFileSync(file, '{ "DaoSystem": { "guardian": "0x12" \n');
    expect(await problemsOf(loadParameters(file))).to.deep.equal([
      `${file}: cannot be read as a JSON5 parameter file (JSON5: invalid end of input at 2:1): fix it (see docs/deploy.md)`,
    ]);
  });

  it("names a path that is a directory", async function () {
    const dir = tempDir("params");
    expect(await problemsOf(loadParameters(dir))).to.deep.equal([
      `${dir}: cannot be read as a JSON5 parameter file (EISDIR: illegal operation on a directory, read): fix it ` +
        "(see docs/deploy.md)",
    ]);
  });

  it("refuses a missing parameter file as a parameter problem, before sending anything", async function () {
    const file = path.join(tempDir("params"), "missing.json");
    const nonce = await ethers.provider.getTransactionCount((await ethers.getSigners())[0].address);
    expect(await problemsOf(deploySystem(hre, { variant: "dao", parametersFile: file }))).to.deep.equal([
      `no parameter file for network "hardhat": expected ${file}. Copy the file of a similar network ` +
        "(ignition/parameters/) and adjust its addresses (see docs/deploy.md).",
    ]);
    expect(await ethers.provider.getTransactionCount((await ethers.getSigners())[0].address)).to.equal(nonce);
  });

  describe("on the command line, with no node at --network localhost", function () {
    this.timeout(180_000);

    for (const [script, suffix] of [
      ["scripts/deploy.ts", "\n\nNothing was deployed."],
      ["scripts/demo.ts", ""],
    ] as const) {
      it(`hardhat run ${script}: the URL tried and how to start a node, status 1, no stack`, async function () {
        const url = `http://127.0.0.1:${await freePort()}`;
        const env: NodeJS.ProcessEnv = { ...process.env, [LOCALHOST_URL_ENV]: url };
        for (const name of ["DISPLAY", "WAYLAND_DISPLAY"]) delete env[name];
        const failed = await run(process.execPath, [HARDHAT_CLI, "run", script, "--network", "localhost"], {
          cwd: ROOT,
          env,
          timeout: 120_000,
        }).then(
          () => undefined,
          (e: { code: number; stderr: string }) => e,
        );
        expect(failed, "the script succeeded").to.not.equal(undefined);
        expect(failed!.code).to.equal(1);
        expect(failed!.stderr).to.include(
          `Cannot connect to network "localhost" at ${url} (from ${LOCALHOST_URL_ENV}): no node answers there.` +
            ` Start one with \`npx hardhat node --hostname 127.0.0.1 --port ${new URL(url).port}\``,
        );
        expect(failed!.stderr.trimEnd().endsWith(`http://127.0.0.1:<port>\`${suffix}`)).to.equal(true);
        expect(failed!.stderr).to.not.match(/^\s+at .+/m);
        expect(failed!.stderr).to.not.include("HH108");
      });
    }
  });
});
