/**
 * REFERENCES P9 (oracle or TIMESTAMP read in validation) and P12 (external allowances read in validation): the
 * CreditPaymaster's validation, traced on EntryPoint v0.7 and v0.8 in both modes, follows ERC-7562. It reads the
 * adapter's cached price (no TIMESTAMP, no feed call), the ledger's allowance slot associated with the sender,
 * and writes only transient slots associated with itself.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";

import { ENTRY_POINT_ADDRESSES, ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { checkErc7562 } from "../helpers/erc7562";
import { CREDIT, buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import { handleOps } from "../helpers/userop";

const NEVER = 2n ** 32n - 1n;

async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const alice = await newUser(sys, 1n);
  const carol = await newUser(sys, 3n);
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.admin, alice.account.address, parseEther("0.1"));
  await buyCredits(sys, sys.dapp, dapp, parseEther("0.1"));
  await (
    await sys.ledger.connect(sys.dapp).setAllowance(carol.account.address, 100n * CREDIT, 86_400, NEVER)
  ).wait();
  // Grants too, so that validation walks the bucket sequence and computes validUntil from an expiry.
  const now = BigInt(await time.latest());
  await (
    await sys.ledger.connect(sys.issuer).grant(alice.account.address, 5n * CREDIT, now + 86_400n)
  ).wait();
  await (await sys.ledger.connect(sys.issuer).grant(dapp, 5n * CREDIT, now + 86_400n)).wait();
  return { sys, alice, carol, dapp, beneficiary: await sys.bundler.getAddress() };
}

const fixtureV07 = () => fixture("0.7");
const fixtureV08 = () => fixture("0.8");

describe("Security: ERC-7562 conformance of the paymaster's validation (P9, P12)", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(version === "0.7" ? fixtureV07 : fixtureV08);

      for (const mode of ["self", "sponsored"] as const) {
        for (const deployed of [false, true]) {
          it(`finds no violation in a ${mode} operation ${deployed ? "of an existing account" : "that creates the account"}`, async function () {
            const { sys, alice, carol, dapp, beneficiary } = await load();
            const user = mode === "self" ? alice : carol;
            const opts = mode === "self" ? {} : { sponsor: dapp };
            if (deployed)
              await handleOps(sys.entryPoint, [await creditOp(sys, user, opts)], beneficiary, sys.bundler);
            const op = await creditOp(sys, user, opts);
            const result = await checkErc7562(ethers.provider, ENTRY_POINT_ADDRESSES[version], op, {
              beneficiary,
            });
            // The paymaster's frame was found (an empty result would otherwise prove nothing) and it is staked.
            expect(result.frames.map((f) => f.entity)).to.include("paymaster");
            expect(result.paymasterStaked).to.equal(true);
            expect(result.violations).to.deep.equal([]);
          });
        }
      }
    });
  }
});
