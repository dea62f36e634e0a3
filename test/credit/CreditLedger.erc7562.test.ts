import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  CREDIT,
  DAY,
  buyWithUsdc,
  deployLedgerFixture,
  holdSponsoredStep,
  holdStep,
  nestedRunStep,
  now,
  runSteps,
} from "../helpers/ledger";
import {
  BANNED_VALIDATION_OPCODES,
  associatedAddress,
  framesOf,
  keccakPreimages,
  storageAccesses,
  traceTransaction,
} from "../helpers/trace";

const coder = ethers.AbiCoder.defaultAbiCoder();
const hash2 = (a: string, b: string) => ethers.keccak256(coder.encode(["address", "bytes32"], [a, b]));
const CREDIT_HOLD_SEED = ethers.id("CreditLedger.creditHold");
const ALLOWANCE_HOLD_SEED = ethers.id("CreditLedger.allowanceHold");
const SPENDER_ACTIVE_SEED = ethers.id("CreditLedger.spenderActive");

/** The documented transient slots (see CreditLedger's NatSpec). */
const creditHoldSlot = (spender: string, account: string) => hash2(spender, hash2(account, CREDIT_HOLD_SEED));
const allowanceHoldSlot = (spender: string, sponsor: string, beneficiary: string) =>
  hash2(spender, hash2(beneficiary, hash2(sponsor, ALLOWANCE_HOLD_SEED)));
const activeSlot = (spender: string) => hash2(spender, SPENDER_ACTIVE_SEED);

/** alice (self-pay sender): purchased + one grant; bob (sponsored sender) has an allowance from carol. */
async function erc7562Fixture() {
  const f = await deployLedgerFixture();
  await buyWithUsdc(f, f.alice, f.alice, 50n * CREDIT);
  await f.ledger.connect(f.issuer).grant(f.alice, 30n * CREDIT, (await now()) + DAY);
  await buyWithUsdc(f, f.carol, f.carol, 100n * CREDIT);
  await f.ledger.connect(f.carol).setAllowance(f.bob, 20n * CREDIT, Number(DAY), (await now()) + 10n * DAY);
  return f;
}

describe("CreditLedger: ERC-7562 validation rules for holds", function () {
  it("hold uses no banned opcode, writes only the spender's transient slots and touches only associated storage", async function () {
    const { ledger, spender, alice } = await loadFixture(erc7562Fixture);
    const receipt = await runSteps(spender, [await holdStep(alice, 60n * CREDIT, await now())]);
    const frame = framesOf(await traceTransaction(receipt.hash), await ledger.getAddress());
    expect(frame.length).to.be.greaterThan(0);
    expect(frame.filter((l) => BANNED_VALIDATION_OPCODES.has(l.op)).map((l) => l.op)).to.deep.equal([]);

    const s = await spender.getAddress();
    const accesses = storageAccesses(frame);
    expect(accesses.filter((a) => a.op === "SSTORE")).to.deep.equal([]);
    expect(accesses.filter((a) => a.op === "TSTORE").map((a) => a.slot)).to.deep.equal([
      creditHoldSlot(s, alice.address),
      activeSlot(s),
    ]);
    // The spender's info and the account's word 0 (bucket 1 is empty: word 1 is not read).
    expect(accesses.filter((a) => a.op === "SLOAD").length).to.equal(2);

    const preimages = keccakPreimages(frame);
    const owners = accesses.map((a) => `${a.op}:${associatedAddress(a.slot, preimages)}`);
    expect(owners).to.deep.equal([
      `SLOAD:${s}`, // _spenderInfo[spender]
      `TLOAD:${s}`, // the spender's own credit hold
      `SLOAD:${alice.address}`, // _creditWords[account] (the UserOperation sender)
      `TSTORE:${s}`,
      `TSTORE:${s}`,
    ]);
  });

  it("holdSponsored reads the recovery mark and the allowance associated with the beneficiary and writes only the spender's slots", async function () {
    const { ledger, spender, carol, bob } = await loadFixture(erc7562Fixture);
    const receipt = await runSteps(spender, [await holdSponsoredStep(carol, bob, 15n * CREDIT, await now())]);
    const frame = framesOf(await traceTransaction(receipt.hash), await ledger.getAddress());
    expect(frame.filter((l) => BANNED_VALIDATION_OPCODES.has(l.op)).map((l) => l.op)).to.deep.equal([]);

    const s = await spender.getAddress();
    const accesses = storageAccesses(frame);
    expect(accesses.filter((a) => a.op === "SSTORE")).to.deep.equal([]);
    expect(accesses.filter((a) => a.op === "TSTORE").map((a) => a.slot)).to.deep.equal([
      allowanceHoldSlot(s, carol.address, bob.address),
      creditHoldSlot(s, carol.address),
      activeSlot(s),
    ]);
    const preimages = keccakPreimages(frame);
    const owners = accesses.map((a) => `${a.op}:${associatedAddress(a.slot, preimages)}`);
    expect(owners).to.deep.equal([
      `SLOAD:${s}`, // _spenderInfo[spender]
      `SLOAD:${bob.address}`, // _recoveredTo[beneficiary]: keccak(beneficiary ‖ p), the sender
      `SLOAD:${bob.address}`, // _allowances[sponsor][beneficiary]: keccak(beneficiary ‖ ...), the sender
      `TLOAD:${s}`, // the spender's own allowance hold
      `TSTORE:${s}`,
      `TLOAD:${s}`, // the spender's own credit hold on the sponsor
      `SLOAD:${carol.address}`, // the sponsor's credits: a read of external storage (allowed when staked)
      `TSTORE:${s}`,
      `TSTORE:${s}`,
    ]);
  });

  it("with a second spender, hold reads that spender's registry slot and hold but writes only its own", async function () {
    const { ledger, spender, spender2, alice } = await loadFixture(erc7562Fixture);
    await ledger.addSpender(spender2);
    const receipt = await runSteps(spender, [
      await holdStep(alice, 10n * CREDIT, await now()),
      await nestedRunStep(spender2, [await holdStep(alice, 10n * CREDIT, await now())]),
    ]);
    const frames = framesOf(await traceTransaction(receipt.hash), await ledger.getAddress());
    const s1 = await spender.getAddress();
    const s2 = await spender2.getAddress();
    const accesses = storageAccesses(frames);
    expect(accesses.filter((a) => a.op === "TSTORE").map((a) => a.slot)).to.deep.equal([
      creditHoldSlot(s1, alice.address),
      activeSlot(s1),
      creditHoldSlot(s2, alice.address),
      activeSlot(s2),
    ]);
    // Each hold TLOADs the other spender's hold on the account.
    const tloads = accesses.filter((a) => a.op === "TLOAD").map((a) => a.slot);
    expect(tloads).to.include(creditHoldSlot(s2, alice.address));
    expect(tloads).to.include(creditHoldSlot(s1, alice.address));
  });
});
