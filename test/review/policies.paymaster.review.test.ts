/**
 * Independent review of POLICY mode (issue 13) on both EntryPoints, through the real EntryPoint and paymaster:
 * - R1 (finding): the policy's `start` edge differs between the EntryPoints: v0.8 refuses an operation at
 *   `block.timestamp == start` (`block.timestamp <= validAfter` is out of range there), v0.7 accepts it; the
 *   interface and SECURITY.md A6 say "usable from `start`".
 * - R2 (sound): a sponsor (a smart account) lowers every limit of its policy and closes it in the execution phase of
 *   its own operations, in the bundle where other senders' POLICY and SPONSORED operations of the same sponsor were
 *   validated: their postOps still settle (no PostOpRevertReason), every operation is solvent, and the holds of the
 *   three modes on the sponsor's credits added up in validation.
 * - R3 (finding, ERC-7562 reputation): the policy-wide budget is state shared by every sender of an open policy.
 *   Operations that each pass validation alone (what a bundler simulates per operation) fail together in one bundle,
 *   and one operation's inclusion invalidates the others already in the mempool; one sponsor transaction (pause)
 *   invalidates all of them at once. The staked paymaster, shared by every sponsor, takes the reputation hit.
 * - R4 (sound): approvals of odd lengths (1, 64, 66 bytes) make `sigFailed` (AA34), never a revert (AA33).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import type { Signer } from "ethers";

import type { ISponsorPolicies } from "../../typechain-types";
import { ENTRY_POINT_VERSIONS } from "../helpers/entrypoint";
import type { EntryPointVersion } from "../helpers/entrypoint";
import { expectSolvent } from "../helpers/paymaster";
import { STUB_APPROVAL_SIGNATURE, policyPaymasterData, signPolicyApproval } from "../../src/aa/policy";
import { CREDIT, buyCredits, creditOp, deploySystem, newUser } from "../helpers/system";
import type { System, User } from "../helpers/system";
import { encodeExecute, handleOps, requiredPrefund, signUserOp } from "../helpers/userop";
import type { PackedUserOperation } from "../helpers/userop";

const MARKUP = 10_500n;
const DAY = 86_400n;
const POLICY_POST_OP_GAS = 150_000n;
const CLOSED = 3n;
const PAUSED = 2n;

type Terms = ISponsorPolicies.PolicyTermsStruct;

async function terms(over: Partial<Terms> = {}): Promise<Terms> {
  const t = BigInt(await time.latest());
  return {
    creditsPerUser: 0n,
    opsPerUser: 0n,
    creditsPerEpoch: 0n,
    creditsPerOp: 0n,
    start: t - 10n,
    end: t + 30n * DAY,
    signer: ethers.ZeroAddress,
    ...over,
  };
}

/**
 * A sponsor that is a smart account: deployed by a first self-paid operation (an address that sent a transaction
 * can no longer be CREATE2-deployed), then impersonated to set up its policy and allowances.
 */
async function smartSponsor(sys: System, salt: bigint, beneficiary: string, eth = parseEther("0.1")) {
  const user = await newUser(sys, salt);
  const address = user.account.address;
  await buyCredits(sys, sys.dapp, address, eth);
  await handleOps(sys.entryPoint, [await creditOp(sys, user)], beneficiary, sys.bundler);
  const ledger = sys.ledger.connect(await impersonate(address));
  return { user, address, ledger };
}

async function impersonate(address: string): Promise<Signer> {
  await impersonateAccount(address);
  await setBalance(address, parseEther("10"));
  return ethers.getSigner(address);
}

async function fixture(version: EntryPointVersion) {
  const sys = await deploySystem(version);
  const dapp = await sys.dapp.getAddress();
  await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
  await (await sys.ledger.connect(sys.dapp).createPolicy(await terms(), Number(DAY))).wait(); // 1: open
  await (
    await sys.ledger
      .connect(sys.dapp)
      .createPolicy(await terms({ signer: await sys.outsider.getAddress() }), Number(DAY))
  ).wait(); // 2: signed by an EOA
  return { sys, dapp, beneficiary: await sys.bundler.getAddress() };
}
const fixtures = { "0.7": () => fixture("0.7"), "0.8": () => fixture("0.8") } as const;

async function policyOp(
  sys: System,
  user: User,
  sponsor: string,
  policyId: bigint,
  opts: Parameters<typeof creditOp>[2] = {},
): Promise<PackedUserOperation> {
  return creditOp(sys, user, {
    paymasterPostOpGasLimit: POLICY_POST_OP_GAS,
    ...opts,
    paymasterData: opts.paymasterData ?? policyPaymasterData(sponsor, policyId, 0n),
  });
}

/** Whether `ops` pass as one bundle (a static call: nothing is mined). */
async function bundlePasses(sys: System, ops: PackedUserOperation[], beneficiary: string): Promise<boolean> {
  try {
    await sys.entryPoint.connect(sys.bundler).handleOps.staticCall(ops, beneficiary);
    return true;
  } catch {
    return false;
  }
}

describe("Review: POLICY mode through the EntryPoints", function () {
  for (const version of ENTRY_POINT_VERSIONS) {
    describe(`on EntryPoint v${version}`, function () {
      const load = () => loadFixture(fixtures[version]);

      it("R1: a policy is usable from its start second on both EntryPoints, and not one second before", async function () {
        const { sys, dapp, beneficiary } = await load();
        const start = BigInt(await time.latest()) + 600n;
        await (await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms({ start }))).wait();
        const user = await newUser(sys, 91_001n);
        const op = await policyOp(sys, user, dapp, 1n);
        // One second early: not due (AA32) on both versions.
        await time.setNextBlockTimestamp(start - 1n);
        await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], beneficiary))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
          .withArgs(0n, "AA32 paymaster expired or not due");
        // At `start` itself ("usable from start", ISponsorPolicies.PolicyTerms.start): v0.8 refuses
        // `block.timestamp <= validAfter`, so the paymaster returns start - 1 there.
        await time.setNextBlockTimestamp(start);
        const result = await handleOps(sys.entryPoint, [op], beneficiary, sys.bundler);
        expect(BigInt(await time.latest())).to.equal(start);
        expect(result.userOperationEvents).to.have.length(1);
        expect(result.userOperationEvents[0].success).to.equal(true);
      });

      it("R2: a sponsor lowering every limit and closing its policy mid-bundle cannot make a validated POLICY or SPONSORED postOp revert", async function () {
        const { sys, beneficiary } = await load();
        // The sponsor is a smart account: its next two operations (self-paid) tighten and close the policy.
        const {
          user: sponsorUser,
          address: sponsor,
          ledger: asSponsor,
        } = await smartSponsor(sys, 92_000n, beneficiary);
        await (
          await asSponsor.createPolicy(
            await terms({ creditsPerEpoch: 1_000n * CREDIT, creditsPerUser: 100n * CREDIT, opsPerUser: 5n }),
            Number(DAY),
          )
        ).wait();
        const [u1, u2, v] = await Promise.all([92_001n, 92_002n, 92_003n].map((s) => newUser(sys, s)));
        const far = BigInt(await time.latest()) + 30n * DAY;
        await (await asSponsor.setAllowance(v.account.address, 100n * CREDIT, Number(DAY), far)).wait();
        await setBalance(sponsor, 0n);

        const ledger = await sys.ledger.getAddress();
        // Every limit at its smallest non-zero value (1 credit unit, 1 operation), the window ending soon.
        const tight = await terms({
          creditsPerUser: 1n,
          opsPerUser: 1n,
          creditsPerEpoch: 1n,
          creditsPerOp: 1n,
          end: BigInt(await time.latest()) + 100n,
        });
        const tighten = encodeExecute(
          ledger,
          0n,
          sys.ledger.interface.encodeFunctionData("updatePolicy", [1n, tight]),
        );
        const close = encodeExecute(
          ledger,
          0n,
          sys.ledger.interface.encodeFunctionData("setPolicyStatus", [1n, CLOSED]),
        );
        const nonce = await sys.entryPoint.getNonce(sponsor, 0);
        const op0 = await creditOp(sys, sponsorUser, { callData: tighten, nonce });
        const op1 = await creditOp(sys, sponsorUser, { callData: close, nonce: nonce + 1n });
        const opU1 = await policyOp(sys, u1, sponsor, 1n);
        const opU2 = await policyOp(sys, u2, sponsor, 1n);
        const opU1b = await policyOp(sys, u1, sponsor, 1n, { nonce: 1n, deploy: false });
        const opV = await creditOp(sys, v, { sponsor });
        const ops = [op0, op1, opU1, opU2, opU1b, opV];
        const before = await sys.ledger.balanceOfCredits(sponsor);

        const result = await handleOps(sys.entryPoint, ops, beneficiary, sys.bundler, {
          gasLimit: 10_000_000n,
        });
        expect(result.userOperationEvents.map((e) => e.success)).to.deep.equal(ops.map(() => true));
        expect(result.postOpRevertReasons).to.have.length(0);
        const charged = expectSolvent(sys.paymaster, result, ops, MARKUP);
        const burned = charged.reduce((s, c) => s + c.creditsCharged, 0n);
        expect(await sys.ledger.balanceOfCredits(sponsor)).to.equal(before - burned);

        const p = await sys.ledger.policy(sponsor, 1n);
        expect(p.status).to.equal(CLOSED);
        expect(p.terms.creditsPerEpoch).to.equal(1n);
        // Settlement recorded what was validated under the old terms, far above the new limits (no revert).
        const usage = await sys.ledger.policyUsage(sponsor, 1n, u1.account.address);
        expect(usage.ops).to.equal(2n);
        expect(usage.credits).to.equal(charged[2].creditsCharged + charged[4].creditsCharged);
        expect(p.used).to.equal(
          charged[2].creditsCharged + charged[3].creditsCharged + charged[4].creditsCharged,
        );
        // And nothing new validates under the closed policy.
        await expect(
          sys.entryPoint
            .connect(sys.bundler)
            .handleOps([await policyOp(sys, u2, sponsor, 1n, { nonce: 1n, deploy: false })], beneficiary),
        ).to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert");
      });

      it("R2b: the sponsor's credits are held once across SELF, SPONSORED and POLICY holds of one bundle", async function () {
        const { sys, beneficiary } = await load();
        const {
          user: sponsorUser,
          address: sponsor,
          ledger: asSponsor,
        } = await smartSponsor(sys, 93_000n, beneficiary, parseEther("0.005"));
        await (await asSponsor.createPolicy(await terms(), Number(DAY))).wait();
        const [u, v] = await Promise.all([93_001n, 93_002n].map((s) => newUser(sys, s)));
        const far = BigInt(await time.latest()) + 30n * DAY;
        await (await asSponsor.setAllowance(v.account.address, 1_000_000n * CREDIT, Number(DAY), far)).wait();
        const opSelf = await creditOp(sys, sponsorUser);
        const opPolicy = await policyOp(sys, u, sponsor, 1n);
        const opSponsored = await creditOp(sys, v, { sponsor });
        const worst = await Promise.all(
          [opSelf, opPolicy, opSponsored].map((op) => sys.paymaster.worstCaseCredits(requiredPrefund(op))),
        );
        // Credits for the three worst cases but one credit unit (the sponsor's purchased credits topped up by a grant).
        const need = worst.reduce((s, w) => s + w, 0n) - 1n - (await sys.ledger.balanceOfCredits(sponsor));
        expect(need).to.be.gt(0n);
        await (await sys.ledger.connect(sys.issuer).grant(sponsor, need, far)).wait();
        const ops = [opSelf, opPolicy, opSponsored];
        await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, beneficiary))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
          .withArgs(
            2n,
            "AA33 reverted",
            sys.ledger.interface.encodeErrorResult("CreditLedgerInsufficientCredits", [
              sponsor,
              worst[2] - 1n,
              worst[2],
            ]),
          );
        await (await sys.ledger.connect(sys.issuer).grant(sponsor, 1n, far)).wait();
        expectSolvent(
          sys.paymaster,
          await handleOps(sys.entryPoint, ops, beneficiary, sys.bundler),
          ops,
          MARKUP,
        );
      });

      it("R3: operations that each validate alone fail together: the shared policy budget invalidates the mempool", async function () {
        const { sys, dapp, beneficiary } = await load();
        const users = await Promise.all([94_001n, 94_002n, 94_003n, 94_004n].map((s) => newUser(sys, s)));
        const ops = await Promise.all(users.map((u) => policyOp(sys, u, dapp, 1n)));
        const worst = await sys.paymaster.worstCaseCredits(requiredPrefund(ops[0]));
        await (
          await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms({ creditsPerEpoch: worst }))
        ).wait();
        // What a bundler sees when it simulates each operation on its own: all four are valid.
        for (const op of ops) expect(await bundlePasses(sys, [op], beneficiary)).to.equal(true);
        // Together, all but the first fail in validation (the bundle reverts with FailedOp at index 1).
        await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, beneficiary))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
          .withArgs(
            1n,
            "AA33 reverted",
            sys.ledger.interface.encodeErrorResult("CreditLedgerPolicyBudgetExceeded", [dapp, 1n, 0n, worst]),
          );
        // One inclusion invalidates the three others already accepted into the mempool.
        await handleOps(sys.entryPoint, [ops[0]], beneficiary, sys.bundler);
        for (const op of ops.slice(1)) expect(await bundlePasses(sys, [op], beneficiary)).to.equal(false);
        // And one sponsor transaction invalidates every pending operation of a policy at once.
        await (await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms())).wait();
        const fresh = await Promise.all(
          [94_011n, 94_012n, 94_013n].map(async (s) => policyOp(sys, await newUser(sys, s), dapp, 1n)),
        );
        for (const op of fresh) expect(await bundlePasses(sys, [op], beneficiary)).to.equal(true);
        await (await sys.ledger.connect(sys.dapp).setPolicyStatus(1n, PAUSED)).wait();
        for (const op of fresh) expect(await bundlePasses(sys, [op], beneficiary)).to.equal(false);
      });

      // Defence: the user's transient hold counts one operation per hold. Only the ledger suite (TestSpender) tested
      // it; removing `own` from the count (`counted >> 128` instead of `total >> 128`) fails this test as well.
      it("R6: one sender cannot exceed its operations per epoch with several operations of one bundle", async function () {
        const { sys, dapp, beneficiary } = await load();
        await (await sys.ledger.connect(sys.dapp).updatePolicy(1n, await terms({ opsPerUser: 2n }))).wait();
        const user = await newUser(sys, 97_001n);
        const ops = [
          await policyOp(sys, user, dapp, 1n, { nonce: 0n }),
          await policyOp(sys, user, dapp, 1n, { nonce: 1n, deploy: false }),
          await policyOp(sys, user, dapp, 1n, { nonce: 2n, deploy: false }),
        ];
        await expect(sys.entryPoint.connect(sys.bundler).handleOps(ops, beneficiary))
          .to.be.revertedWithCustomError(sys.entryPoint, "FailedOpWithRevert")
          .withArgs(
            2n,
            "AA33 reverted",
            sys.ledger.interface.encodeErrorResult("CreditLedgerPolicyUserOpsExceeded", [
              user.account.address,
              1n,
              2n,
            ]),
          );
        const result = await handleOps(sys.entryPoint, ops.slice(0, 2), beneficiary, sys.bundler);
        expectSolvent(sys.paymaster, result, ops.slice(0, 2), MARKUP);
        expect((await sys.ledger.policyUsage(dapp, 1n, user.account.address)).ops).to.equal(2n);
      });

      it("R4: an approval signature of odd length (1, 64, 66 bytes) fails the signature (AA34), never reverts", async function () {
        const { sys, dapp, beneficiary } = await load();
        const user = await newUser(sys, 95_001n);
        const window = { validUntil: 0n, validAfter: 0n, signature: STUB_APPROVAL_SIGNATURE };
        let good = await policyOp(sys, user, dapp, 2n, {
          paymasterData: policyPaymasterData(dapp, 2n, 0n, window),
        });
        good = await signPolicyApproval(good, sys.outsider, sys.paymaster, sys.entryPoint);
        const cut = ethers.dataSlice(good.paymasterAndData, 0, 101);
        const sig = ethers.dataSlice(good.paymasterAndData, 101);
        for (const signature of ["0x01", ethers.dataSlice(sig, 0, 64), ethers.concat([sig, "0x00"])]) {
          const op = await signUserOp(
            { ...good, paymasterAndData: ethers.concat([cut, signature]) },
            user.owner,
            sys.entryPoint,
            sys.version,
          );
          await expect(sys.entryPoint.connect(sys.bundler).handleOps([op], beneficiary))
            .to.be.revertedWithCustomError(sys.entryPoint, "FailedOp")
            .withArgs(0n, "AA34 signature error");
        }
        const ok = await signUserOp(good, user.owner, sys.entryPoint, sys.version);
        expectSolvent(
          sys.paymaster,
          await handleOps(sys.entryPoint, [ok], beneficiary, sys.bundler),
          [ok],
          MARKUP,
        );
      });
    });
  }
});

/**
 * R5 (finding, economic): an open policy (no signer) is a budget any stranger can take, and take as ETH. Fresh
 * counterfactual accounts cost nothing (their deployment is paid by the sponsor too), so per-user limits do not bind
 * a Sybil; an attacker that bundles its own operations at the priority-fee cap keeps the priority fee. With a low
 * base fee (an L2, or a quiet L1), nearly the whole value of the sponsor's burned credits comes out as ETH.
 */
describe("Review: an open policy drained as ETH by a self-bundling Sybil", function () {
  it("R5: ten fresh senders within every per-user limit move ~95% of the credits' value to the attacker's EOA", async function () {
    const sys = await deploySystem("0.7");
    const dapp = await sys.dapp.getAddress();
    await buyCredits(sys, sys.dapp, dapp, parseEther("1"));
    const cap = (await sys.paymaster.config()).maxPriorityFeePerGas;
    // Per-user limits as a careful sponsor would set them: one operation per user per day.
    await (
      await sys.ledger
        .connect(sys.dapp)
        .createPolicy(await terms({ opsPerUser: 1n, creditsPerUser: 50n * CREDIT }), Number(DAY))
    ).wait();
    const attacker = sys.outsider;
    const who = await attacker.getAddress();
    const baseFee = 10_000_000n; // 0.01 gwei
    const ops: PackedUserOperation[] = [];
    for (let i = 0n; i < 10n; i++) {
      const user = await newUser(sys, 96_000n + i);
      ops.push(
        await policyOp(sys, user, dapp, 1n, {
          callData: encodeExecute(
            await sys.target.getAddress(),
            0n,
            sys.target.interface.encodeFunctionData("burnAll"),
          ),
          callGasLimit: 1_000_000n,
          maxPriorityFeePerGas: cap,
          maxFeePerGas: baseFee + cap,
        }),
      );
    }
    const creditsBefore = await sys.ledger.balanceOfCredits(dapp);
    const ethBefore = await ethers.provider.getBalance(who);
    await ethers.provider.send("hardhat_setNextBlockBaseFeePerGas", [ethers.toQuantity(baseFee)]);
    const tx = await sys.entryPoint
      .connect(attacker)
      .handleOps(ops, who, { maxPriorityFeePerGas: 0n, maxFeePerGas: baseFee, gasLimit: 15_000_000n });
    const receipt = (await tx.wait())!;
    const gained = (await ethers.provider.getBalance(who)) - ethBefore;
    const burned = creditsBefore - (await sys.ledger.balanceOfCredits(dapp));
    const deposit = receipt.logs
      .map((l) => (l.address === sys.entryPoint.target ? sys.entryPoint.interface.parseLog(l) : null))
      .filter((p) => p?.name === "UserOperationEvent")
      .reduce((s, p) => s + (p!.args.actualGasCost as bigint), 0n);
    // The value of the burned credits in wei at the validation price and markup (credits = wei × price × markup).
    const { priceWad } = await sys.adapter.cachedPrice();
    const burnedWei = (burned * 10n ** 34n) / (priceWad * MARKUP);
    expect(burned).to.be.gt(0n);
    expect(deposit).to.be.lte(burnedWei); // solvent, as issue 11 requires ...
    // ... but 94% or more of what the sponsor paid is now the attacker's ETH.
    expect((gained * 100n) / burnedWei).to.be.gte(94n);
  });
});
