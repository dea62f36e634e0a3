/**
 * `npm run deploy` with a missing, malformed or unreadable parameter file: a ParameterError (printed by
 * scripts/deploy.ts as "invalid deployment parameters: ✗ … Nothing was deployed.", exit 1), never an Error printed
 * with its stack, and nothing sent.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { deploySystem } from "../../scripts/lib/deploy-system";
import { ParameterError, loadParameters } from "../../scripts/lib/parameters";
import { tempDir } from "../helpers/tasks";

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
});
