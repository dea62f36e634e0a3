import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";
import { HardhatPluginError } from "hardhat/plugins";

import { freePort } from "../../scripts/lib/hardhat-process";
import { LOCALHOST_URL_ENV } from "../../scripts/lib/networks";
import {
  installCliErrorHandling,
  isHardhatCli,
  operatorErrorLines,
  unreachableNetworkMessage,
} from "../../tasks/lib/cli-errors";
import type { CliEnvironment } from "../../tasks/lib/cli-errors";

const ROOT = path.resolve(__dirname, "../..");
const HARDHAT_CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const run = promisify(execFile);

/** A stack frame line as Node prints it under an error ("    at f (file:1:2)"). */
const STACK_LINE = /^\s+at .+/m;

/**
 * The environment of a headless server: no DISPLAY nor WAYLAND_DISPLAY (which Hardhat 2 takes for a CI server) and
 * no CI variable.
 */
function headlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of [
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "CI",
    "CONTINUOUS_INTEGRATION",
    "BUILD_NUMBER",
    "RUN_ID",
  ]) {
    delete env[name];
  }
  return env;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hardhat <args>` in a child process (this Node binary, the project root). */
async function hardhat(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [HARDHAT_CLI, ...args], {
      cwd: ROOT,
      env,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout: string; stderr: string };
    return {
      code: typeof failed.code === "number" ? failed.code : -1,
      stdout: failed.stdout,
      stderr: failed.stderr,
    };
  }
}

function fakeEnvironment(run: CliEnvironment["run"], showStackTraces = false): CliEnvironment {
  return { run, hardhatArguments: { showStackTraces }, network: { name: "localhost", config: {} } };
}

describe("Operator errors on the command line (issue 17, items 1 and 2)", function () {
  this.timeout(240_000);

  describe("a task run as `npx hardhat` on a headless Linux machine", function () {
    const badArgs = ["price:refresh", "--if-older", "soon"];

    it("is a machine Hardhat takes for a CI server (where it prints stacks by default)", async function () {
      if (process.platform !== "linux") this.skip();
      const { stdout } = await run(
        process.execPath,
        ["-e", 'console.log(require("hardhat/internal/util/ci-detection").isRunningOnCiServer())'],
        { cwd: ROOT, env: headlessEnv() },
      );
      expect(stdout.trim()).to.equal("true");
    });

    it("prints the message and its hint only, and exits with status 1", async function () {
      const result = await hardhat(badArgs, headlessEnv());
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('Error in plugin compute-credits: Invalid --if-older "soon"');
      expect(result.stderr).to.include("For more info run hardhat with --show-stack-traces");
      expect(result.stderr).to.not.match(STACK_LINE);
      expect(result.stdout).to.not.match(STACK_LINE);
    });

    it("prints the stack with --show-stack-traces", async function () {
      const result = await hardhat([...badArgs, "--show-stack-traces"], headlessEnv());
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include('Invalid --if-older "soon"');
      expect(result.stderr).to.match(STACK_LINE);
    });

    it("names the URL tried and LOCALHOST_RPC_URL when no node answers on --network localhost (HH108)", async function () {
      const port = await freePort(); // nothing listens there once freePort has closed its probe
      const url = `http://127.0.0.1:${port}`;
      const result = await hardhat(
        ["price:refresh", "--network", "localhost"],
        headlessEnv({ [LOCALHOST_URL_ENV]: url }),
      );
      expect(result.code).to.equal(1);
      expect(result.stderr).to.include(
        `Cannot connect to network "localhost" at ${url} (from ${LOCALHOST_URL_ENV})`,
      );
      expect(result.stderr).to.include(`npx hardhat node --hostname 127.0.0.1 --port ${port}\``);
      expect(result.stderr).to.include(`export ${LOCALHOST_URL_ENV}=http://127.0.0.1:<port>`);
      expect(result.stderr).to.not.match(STACK_LINE);
    });
  });

  describe("the parts", function () {
    const hh108 = Object.assign(new Error("HH108: Cannot connect to the network localhost."), {
      _isHardhatError: true,
      number: 108,
    });

    it("finds HH108 through viem's `cause` and Hardhat's `parent`, and names the URL and the override", function () {
      const wrapped = Object.assign(new Error("An unknown RPC error occurred."), { cause: hh108 });
      const message = unreachableNetworkMessage(wrapped, "localhost", "http://127.0.0.1:9999");
      expect(message).to.include('Cannot connect to network "localhost" at http://127.0.0.1:9999');
      expect(message).to.include(`${LOCALHOST_URL_ENV}=http://127.0.0.1:<port>`);
      const parented = Object.assign(new Error("outer"), { parent: hh108 });
      expect(unreachableNetworkMessage(parented, "localhost", undefined)).to.include(
        "`npx hardhat node --hostname 127.0.0.1`, or point",
      );
      expect(unreachableNetworkMessage(hh108, "dev", "http://10.0.0.2:8545")).to.equal(
        'Cannot connect to network "dev" at http://10.0.0.2:8545: no node answers there; check networks.dev.url in ' +
          "hardhat.config.ts",
      );
      expect(unreachableNetworkMessage(new Error("other"), "localhost", undefined)).to.equal(undefined);
    });

    it("names a live network's variable, not its URL (which may hold an API key)", function () {
      const message = unreachableNetworkMessage(hh108, "sepolia", "https://rpc.example/v2/SECRET") as string;
      expect(message).to.include("SEPOLIA_RPC_URL");
      expect(message).to.not.include("SECRET");
    });

    it("prints a plugin error as Hardhat does without a stack", function () {
      const lines = operatorErrorLines(new HardhatPluginError("compute-credits", "bad"));
      expect(lines).to.deep.equal([
        "Error in plugin compute-credits: bad",
        "",
        "For more info run hardhat with --show-stack-traces",
      ]);
      expect(operatorErrorLines(hh108)[0]).to.equal("Error HH108: Cannot connect to the network localhost.");
    });

    it("recognises Hardhat's CLI entry point only", function () {
      expect(isHardhatCli({ filename: HARDHAT_CLI })).to.equal(true);
      expect(isHardhatCli({ filename: "/x/node_modules/mocha/bin/mocha.js" })).to.equal(false);
      expect(isHardhatCli({ filename: "/x/scripts/demo.ts" })).to.equal(false);
    });

    it("handles the entry task's operator error only; nested runs and other errors pass through", async function () {
      const lines: string[] = [];
      let depth = 0;
      const env = fakeEnvironment(async () => {
        depth += 1;
        const mine = depth;
        if (mine === 1) {
          // A nested run inside the entry task sees the error itself.
          await expect(env.run()).to.be.rejectedWith("nested");
        }
        throw new HardhatPluginError("compute-credits", mine === 1 ? "outer" : "nested");
      });
      installCliErrorHandling(env, { cli: true, write: (l) => lines.push(l) });
      const previousExitCode = process.exitCode;
      try {
        expect(await env.run()).to.equal(undefined);
        expect(process.exitCode).to.equal(1);
      } finally {
        process.exitCode = previousExitCode;
      }
      expect(lines[0]).to.equal("Error in plugin compute-credits: outer");

      const bug = fakeEnvironment(async () => {
        throw new TypeError("a bug");
      });
      installCliErrorHandling(bug, { cli: true, write: (l) => lines.push(l) });
      await expect(bug.run()).to.be.rejectedWith(TypeError, "a bug");

      const traced = fakeEnvironment(async () => {
        throw new HardhatPluginError("compute-credits", "traced");
      }, true);
      installCliErrorHandling(traced, { cli: true, write: (l) => lines.push(l) });
      await expect(traced.run()).to.be.rejectedWith("traced");
      expect(lines).to.have.length(3);
    });

    it("reports a pending configuration error when the entry task starts, and does nothing outside the CLI", async function () {
      const lines: string[] = [];
      let ran = false;
      const env = fakeEnvironment(async () => {
        ran = true;
      });
      installCliErrorHandling(env, {
        cli: true,
        pending: "set SEPOLIA_RPC_URL",
        write: (l) => lines.push(l),
      });
      const previousExitCode = process.exitCode;
      try {
        await env.run();
      } finally {
        process.exitCode = previousExitCode;
      }
      expect(ran).to.equal(false);
      expect(lines[0]).to.equal("Error in plugin compute-credits: set SEPOLIA_RPC_URL");

      const original = async (): Promise<void> => {
        throw new HardhatPluginError("compute-credits", "untouched");
      };
      const outside = fakeEnvironment(original);
      installCliErrorHandling(outside, { cli: false });
      expect(outside.run).to.equal(original);
    });
  });
});
