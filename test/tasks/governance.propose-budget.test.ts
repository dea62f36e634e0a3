import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { ProposeBudgetResult } from "../../tasks/governance";
import type { ProposalFile, SafeBatchFile } from "../../tasks/lib/budget";
import { CREDIT, ISSUER_ROLE, defaultPaymasterConfig, deploySystem } from "../helpers/system";
import { expectTaskError, runTask, systemFlags, tempDir } from "../helpers/tasks";

const DAY = 86_400n;
const iso = (s: bigint) => new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");

/**
 * The Safe Transaction Builder's checksum, written independently of the task: keccak256 over a serialization in
 * which every object lists its sorted keys as a JSON array followed by each value and a comma.
 */
function txBuilderChecksum(batch: SafeBatchFile): string {
  const serialize = (v: unknown): string => {
    if (Array.isArray(v)) return "[" + v.map((x) => serialize(x)).join(",") + "]";
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort();
      let out = "{" + JSON.stringify(keys);
      for (const k of keys) out += serialize((v as Record<string, unknown>)[k]) + ",";
      return out + "}";
    }
    return JSON.stringify(v ?? null);
  };
  const { checksum: _checksum, ...meta } = batch.meta;
  const copy = { ...batch, meta: { ...meta, name: null } };
  return ethers.keccak256(ethers.toUtf8Bytes(serialize(copy)));
}

describe("task governance:propose-budget", function () {
  async function fixture() {
    const sys = await deploySystem("0.8");
    const admin = await sys.admin.getAddress();
    // The admin plays the Safe that holds every role: it is also an issuer with a cap.
    await (await sys.ledger.grantRole(ISSUER_ROLE, admin)).wait();
    await (await sys.ledger.setIssuerCap(admin, 1_000n * CREDIT, 30 * 86_400)).wait();
    return {
      sys,
      flags: await systemFlags(sys),
      admin,
      member: ethers.Wallet.createRandom().address,
      dapp: await sys.dapp.getAddress(),
      issuer: await sys.issuer.getAddress(),
    };
  }

  it("writes proposal.json and safe-batch.json for grants, an issuer cap and paymaster settings", async function () {
    const { sys, flags, admin, member, dapp, issuer } = await loadFixture(fixture);
    const out = tempDir("budget");
    const now = BigInt(await time.latest());
    const before = Date.now();
    const { result, lines } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ledger: flags.ledger,
      paymaster: flags.paymaster,
      safe: admin,
      grant: `${member}:100:+30d, ${dapp}:2.5:2100-01-01T00:00:00Z`,
      issuerCap: `${issuer}:5000:30d`,
      markupBps: "11000",
      maxCreditsPerOp: "50",
      out,
    });
    const expiry = now + 30n * DAY;
    const expiry2100 = BigInt(Date.parse("2100-01-01T00:00:00Z") / 1000);
    const config = { ...defaultPaymasterConfig(), markupBps: 11_000n, maxCreditsPerOp: 50n * CREDIT };
    const lg = sys.ledger.interface;
    const calldatas = [
      lg.encodeFunctionData("setIssuerCap", [issuer, 5_000n * CREDIT, 30n * DAY]),
      lg.encodeFunctionData("grant", [member, 100n * CREDIT, expiry]),
      lg.encodeFunctionData("grant", [dapp, 2_500_000n, expiry2100]),
      sys.paymaster.interface.encodeFunctionData("setConfig", [config]),
    ];
    const summaries = [
      `set the issuance cap of ${issuer} to 5000 credits per 30d`,
      `grant 100 credits to ${member} until ${iso(expiry)}`,
      `grant 2.5 credits to ${dapp} until 2100-01-01T00:00:00Z`,
      `set paymaster ${flags.paymaster} config: maxCreditsPerOp 100 credits → 50 credits, markupBps 10500 → 11000`,
    ];
    const description = `# Compute credits budget\n\n${summaries.map((s) => `- ${s}`).join("\n")}\n`;
    const descriptionHash = ethers.id(description);
    const targets = [flags.ledger, flags.ledger, flags.ledger, flags.paymaster];
    const proposalId = BigInt(
      ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["address[]", "uint256[]", "bytes[]", "bytes32"],
          [targets, [0, 0, 0, 0], calldatas, descriptionHash],
        ),
      ),
    );

    const proposal = JSON.parse(readFileSync(path.join(out, "proposal.json"), "utf8")) as ProposalFile;
    expect(proposal).to.deep.equal({
      chainId: "31337",
      governor: null,
      executor: admin,
      proposer: null,
      targets,
      values: ["0", "0", "0", "0"],
      calldatas,
      description,
      descriptionHash,
      proposalId: proposalId.toString(),
      actions: [
        {
          target: flags.ledger,
          contract: "CreditLedger",
          function: "setIssuerCap(address,uint64,uint32)",
          args: { issuer, capPerEpoch: "5000000000", epochLength: "2592000" },
          summary: summaries[0],
        },
        {
          target: flags.ledger,
          contract: "CreditLedger",
          function: "grant(address,uint256,uint64)",
          args: { account: member, amount: "100000000", expiresAt: expiry.toString() },
          summary: summaries[1],
        },
        {
          target: flags.ledger,
          contract: "CreditLedger",
          function: "grant(address,uint256,uint64)",
          args: { account: dapp, amount: "2500000", expiresAt: expiry2100.toString() },
          summary: summaries[2],
        },
        {
          target: flags.paymaster,
          contract: "CreditPaymaster",
          function:
            "setConfig((uint24,uint32,uint24,uint24,uint24,uint48,uint40,uint16,uint16,bool,uint48,uint24))",
          args: {
            maxCallGasLimit: "2000000",
            maxPreVerificationGas: "1000000",
            maxVerificationGasLimit: "1000000",
            maxPaymasterVerificationGasLimit: "300000",
            maxPaymasterPostOpGasLimit: "500000",
            maxFeePerGas: "500000000000",
            maxPriorityFeePerGas: "2000000000",
            maxCreditsPerOp: "50000000",
            markupBps: "11000",
            maxPriceAge: "3600",
            postOpGasMargin: "0",
          },
          summary: summaries[3],
        },
      ],
    });
    expect(result.proposal).to.deep.equal(proposal);

    const batch = JSON.parse(readFileSync(path.join(out, "safe-batch.json"), "utf8")) as SafeBatchFile;
    expect(batch.createdAt).to.be.within(before, Date.now());
    expect(batch).to.deep.equal({
      version: "1.0",
      chainId: "31337",
      createdAt: batch.createdAt,
      meta: {
        name: "Compute credits budget",
        description,
        txBuilderVersion: "1.18.0",
        createdFromSafeAddress: admin,
        createdFromOwnerAddress: "",
        checksum: txBuilderChecksum(batch),
      },
      transactions: targets.map((to, i) => ({
        to,
        value: "0",
        data: calldatas[i],
        contractMethod: null,
        contractInputsValues: null,
      })),
    });
    expect(lines).to.deep.equal([
      `Budget of 4 calls, executed by ${admin}:`,
      ...summaries.map((s) => `  - ${s}`),
      `Wrote ${path.join(out, "proposal.json")} (Governor.propose arguments; proposal id ${proposalId})`,
      `Wrote ${path.join(out, "safe-batch.json")} (Safe Transaction Builder batch)`,
    ]);

    // The Safe executes the batch: every call succeeds and takes effect.
    for (const tx of batch.transactions) {
      await (await sys.admin.sendTransaction({ to: tx.to, value: BigInt(tx.value), data: tx.data })).wait();
    }
    expect(await sys.ledger.balanceOfCredits(member)).to.equal(100n * CREDIT);
    expect(await sys.ledger.balanceOfCredits(dapp)).to.equal(2_500_000n);
    expect((await sys.ledger.issuerCap(issuer)).limit).to.equal(5_000n * CREDIT);
    const after = await sys.paymaster.config();
    expect([after.markupBps, after.maxCreditsPerOp]).to.deep.equal([11_000n, 50n * CREDIT]);
  });

  it("restricts the description to --proposer and reads grants from --grants-file", async function () {
    const { flags, admin, member } = await loadFixture(fixture);
    const out = tempDir("budget");
    const file = path.join(out, "grants.json");
    writeFileSync(file, JSON.stringify([{ account: member, amount: 7, expiry: "never" }]));
    const proposer = ethers.Wallet.createRandom().address;
    const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ledger: flags.ledger,
      safe: admin,
      grantsFile: file,
      proposer,
      description: "Grant for a member",
      out,
    });
    const description = `Grant for a member#proposer=${proposer.toLowerCase()}`;
    expect([
      result.proposal.description,
      result.proposal.descriptionHash,
      result.proposal.proposer,
    ]).to.deep.equal([description, ethers.id(description), proposer]);
    expect(result.proposal.actions[0].args).to.deep.equal({
      account: member,
      amount: "7000000",
      expiresAt: "4294967295",
    });
    expect(result.safeBatch.meta.description).to.equal("Grant for a member");
  });

  it("skips the executor checks, saying so, when no executor is known", async function () {
    const { flags, member } = await loadFixture(fixture);
    const { result, lines } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
      ledger: flags.ledger,
      grant: `${member}:1:+1d`,
      out: tempDir("budget"),
    });
    expect(lines[0]).to.equal(
      "Note: no executor known (pass --governor, --timelock or --safe): role, cap and ownership checks are skipped.",
    );
    expect(lines[1]).to.equal("Budget of 1 call:");
    expect([result.proposal.executor, result.safeBatch.meta.createdFromSafeAddress]).to.deep.equal([
      null,
      "",
    ]);
  });

  describe("validation", function () {
    const cases: [string, Record<string, string>, (a: { member: string }) => string][] = [
      [
        "nothing to propose",
        {},
        () =>
          "Nothing to propose: pass --grant, --grants-file, --issuer-cap, --policy, --policy-status, or a paymaster " +
          "setting (--max-call-gas-limit, " +
          "--max-pre-verification-gas, --max-verification-gas-limit, --max-paymaster-verification-gas-limit, " +
          "--max-paymaster-post-op-gas-limit, --max-fee-per-gas, --max-priority-fee-per-gas, --max-credits-per-op, " +
          "--markup-bps, --max-price-age, --post-op-gas-margin)",
      ],
      [
        "a --grant entry without an expiry",
        { grant: "MEMBER:100" },
        ({ member }) =>
          `Invalid --grant "${member}:100": expected <address>:<credits>:<expiry>, such as 0x…:100:+30d or ` +
          "0x…:2.5:2026-06-30",
      ],
      [
        "a --grant entry with a bad amount",
        { grant: "MEMBER:1.2345678:+1d" },
        ({ member }) =>
          'Invalid --grant "1.2345678": expected credits as a decimal number with at most 6 decimals, such as ' +
          `"12.5" (in --grant entry "${member}:1.2345678:+1d")`,
      ],
      [
        "a --grant entry with a bad address",
        { grant: "0xabc:1:+1d" },
        () =>
          'Invalid --grant "0xabc": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
          'mixed-case) (in --grant entry "0xabc:1:+1d")',
      ],
      [
        "an --issuer-cap entry with a bad epoch",
        { issuerCap: "MEMBER:100:monthly" },
        ({ member }) =>
          'Invalid --issuer-cap "monthly": expected seconds ("86400") or a number with a unit s, m, h, d or w ' +
          `("30d") (in --issuer-cap entry "${member}:100:monthly")`,
      ],
      [
        "a markup outside the contract's range",
        { markupBps: "20001" },
        () => 'Invalid --markup-bps "20001": expected a whole number from 10000 to 20000',
      ],
      [
        "a postOp gas cap below the postOp gas floor of the smallest sponsored operation",
        { maxPaymasterPostOpGasLimit: "53511" },
        () =>
          'Invalid --max-paymaster-post-op-gas-limit "53511": expected a whole number from 53512 to 16777215',
      ],
      [
        "a zero call gas cap",
        { maxCallGasLimit: "0" },
        () => 'Invalid --max-call-gas-limit "0": expected a whole number from 1 to 16777215',
      ],
      [
        "a max fee that does not fit",
        { maxFeePerGas: "281474976710656" },
        () => 'Invalid --max-fee-per-gas "281474976710656": expected at most 281474976710655 wei',
      ],
      [
        "a priority fee cap that does not fit",
        { maxPriorityFeePerGas: "281474976710656" },
        () => 'Invalid --max-priority-fee-per-gas "281474976710656": expected at most 281474976710655 wei',
      ],
      [
        "a price age that does not fit",
        { maxPriceAge: "1d" },
        () => 'Invalid --max-price-age "1d": expected at most 65535 seconds',
      ],
      [
        "a max credits per op that does not fit",
        { maxCreditsPerOp: "1099512" },
        () => 'Invalid --max-credits-per-op "1099512": expected at most 1099511.627775 credits',
      ],
    ];
    for (const [name, args, message] of cases) {
      it(`rejects ${name}`, async function () {
        const { flags, member } = await loadFixture(fixture);
        const withMember = Object.fromEntries(
          Object.entries(args).map(([k, v]) => [k, v.replace("MEMBER", member)]),
        );
        await expectTaskError(
          "governance:propose-budget",
          { ledger: flags.ledger, paymaster: flags.paymaster, out: tempDir("budget"), ...withMember },
          message({ member }),
        );
      });
    }

    it("accepts a zero priority-fee cap (no tips: a self-bundler gets no credits back as ETH)", async function () {
      const { flags, sys } = await loadFixture(fixture);
      const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
        paymaster: flags.paymaster,
        maxPriorityFeePerGas: "0",
        out: tempDir("budget"),
      });
      expect(result.proposal.calldatas).to.deep.equal([
        sys.paymaster.interface.encodeFunctionData("setConfig", [
          { ...defaultPaymasterConfig(), maxPriorityFeePerGas: 0n },
        ]),
      ]);
    });

    it("rejects paymaster settings that change nothing", async function () {
      const { flags } = await loadFixture(fixture);
      await expectTaskError(
        "governance:propose-budget",
        { paymaster: flags.paymaster, markupBps: "10500", maxFeePerGas: "500gwei", out: tempDir("budget") },
        `Paymaster ${flags.paymaster} already has maxFeePerGas 500 gwei, markupBps 10500: nothing to change`,
      );
    });

    it("rejects a --grants-file that is not a list of grants", async function () {
      const { flags } = await loadFixture(fixture);
      const dir = tempDir("budget");
      const file = path.join(dir, "grants.json");
      writeFileSync(file, JSON.stringify([{ account: flags.ledger, expiry: "+1d" }]));
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, grantsFile: file, out: dir },
        `Invalid --grants-file "${file}": entry 0 has no "amount" (expected a JSON array of { "account": "0x…", ` +
          '"amount": "100", "expiry": "+30d" })',
      );
      writeFileSync(
        file,
        JSON.stringify([{ account: flags.ledger, amount: "1", expiry: "+1d", expiresAt: "+2d" }]),
      );
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, grantsFile: file, out: dir },
        `Invalid --grants-file "${file}": entry 0 has an unknown field "expiresAt" (expected a JSON array of ` +
          '{ "account": "0x…", "amount": "100", "expiry": "+30d" })',
      );
      writeFileSync(
        file,
        JSON.stringify([
          { account: flags.ledger, amount: "1", expiry: "+1d" },
          { account: "me", amount: "1", expiry: "+1d" },
        ]),
      );
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, grantsFile: file, out: dir },
        'Invalid --grants-file "me": expected an address: 0x followed by 40 hex digits (EIP-55 checksummed when ' +
          "mixed-case) (in --grants-file entry 1)",
      );
      writeFileSync(file, "{}");
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, grantsFile: file, out: dir },
        `Invalid --grants-file "${file}": expected a JSON array of { "account": "0x…", "amount": "100", "expiry": ` +
          '"+30d" }',
      );
    });

    it("needs a Governor for --submit, and refuses --submit with --safe", async function () {
      const { flags, admin, member } = await loadFixture(fixture);
      const base = { ledger: flags.ledger, grant: `${member}:1:+1d`, out: tempDir("budget"), submit: true };
      await expectTaskError(
        "governance:propose-budget",
        base,
        "--submit needs a Governor: pass --governor 0x…, or deploy the DAO variant first (`npm run deploy`)",
      );
      await expectTaskError(
        "governance:propose-budget",
        { ...base, safe: admin },
        "--submit proposes to the Governor, whose timelock executes; --safe names another executor",
      );
    });
  });

  describe("executor checks", function () {
    it("fails when the executor does not hold ISSUER_ROLE", async function () {
      const { sys, flags, member } = await loadFixture(fixture);
      const outsider = await sys.outsider.getAddress();
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, safe: outsider, grant: `${member}:1:+1d`, out: tempDir("budget") },
        `The executor ${outsider} does not hold ISSUER_ROLE on CreditLedger ${flags.ledger}: the grants would revert ` +
          `with AccessControlUnauthorizedAccount. The ledger admin must first grantRole(ISSUER_ROLE, ${outsider}) and ` +
          "set its cap",
      );
    });

    it("fails when the executor cannot set issuer caps", async function () {
      const { flags, issuer, member } = await loadFixture(fixture);
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, safe: issuer, issuerCap: `${member}:1:1d`, out: tempDir("budget") },
        `The executor ${issuer} does not hold DEFAULT_ADMIN_ROLE on CreditLedger ${flags.ledger}: setIssuerCap would ` +
          "revert with AccessControlUnauthorizedAccount. Propose through the ledger's admin",
      );
    });

    it("fails when the grants exceed the executor's remaining issuance, unless the proposal raises its cap", async function () {
      const { flags, admin, member } = await loadFixture(fixture);
      const args = {
        ledger: flags.ledger,
        safe: admin,
        grant: `${member}:600:+10d,${member}:600:+10d`,
        out: tempDir("budget"),
      };
      await expectTaskError(
        "governance:propose-budget",
        args,
        `The grants total 1200 credits but the executor ${admin} may grant only 1000 more this epoch: add ` +
          `--issuer-cap ${admin}:<credits>:<epoch> to this proposal, or grant less`,
      );
      const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
        ...args,
        issuerCap: `${admin}:1200:30d`,
      });
      expect(result.proposal.actions.map((a) => a.function)).to.deep.equal([
        "setIssuerCap(address,uint64,uint32)",
        "grant(address,uint256,uint64)",
        "grant(address,uint256,uint64)",
      ]);
    });

    it("fails when an account would end up with more than 4 live grant expiries", async function () {
      const { flags, admin, member } = await loadFixture(fixture);
      const grant = ["+1d", "+2d", "+3d", "+4d", "+5d"].map((e) => `${member}:1:${e}`).join(",");
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, safe: admin, grant, out: tempDir("budget") },
        `${member} would hold grants with 5 different live expiries, more than the ledger's 4 ` +
          "(CreditLedgerTooManyGrantBuckets): give its grants fewer distinct expiries",
      );
    });

    it("counts the account's live grants toward the 4 expiries", async function () {
      const { sys, flags, admin, member } = await loadFixture(fixture);
      const live = BigInt(await time.latest()) + 100n * DAY;
      await (await sys.ledger.connect(sys.issuer).grant(member, CREDIT, live)).wait();
      const grant = ["+1d", "+2d", "+3d", "+4d"].map((e) => `${member}:1:${e}`).join(",");
      await expectTaskError(
        "governance:propose-budget",
        { ledger: flags.ledger, safe: admin, grant, out: tempDir("budget") },
        `${member} would hold grants with 5 different live expiries, more than the ledger's 4 ` +
          `(CreditLedgerTooManyGrantBuckets) (it has live grants expiring ${iso(live)}): give its grants fewer ` +
          "distinct expiries",
      );
    });

    it("fails when the executor does not own the paymaster", async function () {
      const { sys, flags, admin } = await loadFixture(fixture);
      const issuer = await sys.issuer.getAddress();
      await expectTaskError(
        "governance:propose-budget",
        { paymaster: flags.paymaster, safe: issuer, markupBps: "12000", out: tempDir("budget") },
        `Paymaster ${flags.paymaster} is owned by ${admin}, not by the executor ${issuer}: setConfig would revert ` +
          "with OwnableUnauthorizedAccount",
      );
      const { result } = await runTask<ProposeBudgetResult>("governance:propose-budget", {
        paymaster: flags.paymaster,
        safe: admin,
        markupBps: "12000",
        out: tempDir("budget"),
      });
      expect(result.proposal.actions).to.have.length(1);
    });
  });
});
