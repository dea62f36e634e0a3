import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { CreditLedger__factory, ICreditHolds__factory } from "../../typechain-types";
import {
  CREDIT,
  DAY,
  callStep,
  decodeSvg,
  decodeTokenURI,
  deployLedgerFixture,
  holdStep,
  now,
  runSteps,
  tokenIdOf,
} from "../helpers/ledger";

/** ERC-165 id of an interface: XOR of its own function selectors. */
function interfaceId(signatures: string[]): string {
  let id = 0n;
  for (const s of signatures) id ^= BigInt(ethers.id(s).slice(0, 10));
  return ethers.toBeHex(id, 4);
}

describe("CreditLedger: ERC-721 / ERC-5192 credit-account tokens", function () {
  describe("#constructor", function () {
    it("sets the admin, adapter, treasury and a 3-day recovery delay, emitting events", async function () {
      const { admin, adapter, treasury } = await loadFixture(deployLedgerFixture);
      const factory = new CreditLedger__factory(admin);
      const ledger = await factory.deploy(admin, adapter, treasury);
      const tx = ledger.deploymentTransaction();
      await expect(tx)
        .to.emit(ledger, "AdapterSet")
        .withArgs(await adapter.getAddress());
      await expect(tx).to.emit(ledger, "TreasurySet").withArgs(treasury.address);
      await expect(tx)
        .to.emit(ledger, "RecoveryDelaySet")
        .withArgs(3n * DAY);
      expect(await ledger.hasRole(ethers.ZeroHash, admin.address)).to.equal(true);
      expect(await ledger.adapter()).to.equal(await adapter.getAddress());
      expect(await ledger.treasury()).to.equal(treasury.address);
      expect(await ledger.recoveryDelay()).to.equal(3n * DAY);
      expect(await ledger.name()).to.equal("Compute Credits Account");
      expect(await ledger.symbol()).to.equal("CREDIT");
    });

    it("reverts when the admin, the adapter or the treasury is the zero address", async function () {
      const { admin, adapter, treasury, ledger } = await loadFixture(deployLedgerFixture);
      const factory = new CreditLedger__factory(admin);
      const zero = ethers.ZeroAddress;
      await expect(factory.deploy(zero, adapter, treasury)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
      await expect(factory.deploy(admin, zero, treasury)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
      await expect(factory.deploy(admin, adapter, zero)).to.be.revertedWithCustomError(
        ledger,
        "CreditLedgerZeroAddress",
      );
    });
  });

  describe("#supportsInterface", function () {
    it("supports ERC-165, ERC-721, ERC-721 metadata, ERC-5192, AccessControl and ICreditHolds", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      expect(await ledger.supportsInterface("0x01ffc9a7")).to.equal(true);
      expect(await ledger.supportsInterface("0x80ac58cd")).to.equal(true);
      expect(await ledger.supportsInterface("0x5b5e139f")).to.equal(true);
      expect(await ledger.supportsInterface("0xb45a3c0e")).to.equal(true);
      expect(await ledger.supportsInterface("0x7965db0b")).to.equal(true);
      const holds = ICreditHolds__factory.createInterface();
      const holdsId = interfaceId(
        holds.fragments.filter((f) => f.type === "function").map((f) => f.format()),
      );
      expect(await ledger.supportsInterface(holdsId)).to.equal(true);
    });

    it("does not support 0xffffffff or an unrelated id", async function () {
      const { ledger } = await loadFixture(deployLedgerFixture);
      expect(await ledger.supportsInterface("0xffffffff")).to.equal(false);
      expect(await ledger.supportsInterface("0x12345678")).to.equal(false);
    });
  });

  describe("#openAccount", function () {
    it("mints the caller's locked token with id uint256(uint160(holder)), emitting Transfer and Locked", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      const id = tokenIdOf(alice.address);
      expect(await ledger.connect(alice).openAccount.staticCall()).to.equal(id);
      await expect(ledger.connect(alice).openAccount())
        .to.emit(ledger, "Transfer")
        .withArgs(ethers.ZeroAddress, alice.address, id)
        .and.to.emit(ledger, "Locked")
        .withArgs(id);
      expect(await ledger.ownerOf(id)).to.equal(alice.address);
      expect(await ledger.balanceOf(alice.address)).to.equal(1n);
      expect(await ledger.tokenIdOf(alice.address)).to.equal(id);
    });

    it("reverts when the caller already has an account", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(alice).openAccount();
      await expect(ledger.connect(alice).openAccount())
        .to.be.revertedWithCustomError(ledger, "CreditLedgerAccountExists")
        .withArgs(alice.address);
    });
  });

  describe("#locked", function () {
    it("returns true for an existing token", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(alice).openAccount();
      expect(await ledger.locked(tokenIdOf(alice.address))).to.equal(true);
    });

    it("reverts for a nonexistent token", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      const id = tokenIdOf(alice.address);
      await expect(ledger.locked(id))
        .to.be.revertedWithCustomError(ledger, "ERC721NonexistentToken")
        .withArgs(id);
    });
  });

  describe("transfers and approvals", function () {
    async function openedFixture() {
      const f = await deployLedgerFixture();
      await f.ledger.connect(f.alice).openAccount();
      return { ...f, id: tokenIdOf(f.alice.address) };
    }

    it("transferFrom reverts with CreditLedgerTransferBlocked", async function () {
      const { ledger, alice, bob, id } = await loadFixture(openedFixture);
      await expect(ledger.connect(alice).transferFrom(alice, bob, id))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTransferBlocked")
        .withArgs(alice.address, bob.address, id);
    });

    it("safeTransferFrom(from, to, id) reverts with CreditLedgerTransferBlocked", async function () {
      const { ledger, alice, bob, id } = await loadFixture(openedFixture);
      await expect(ledger.connect(alice)["safeTransferFrom(address,address,uint256)"](alice, bob, id))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTransferBlocked")
        .withArgs(alice.address, bob.address, id);
    });

    it("safeTransferFrom(from, to, id, data) reverts with CreditLedgerTransferBlocked", async function () {
      const { ledger, alice, bob, id } = await loadFixture(openedFixture);
      await expect(
        ledger.connect(alice)["safeTransferFrom(address,address,uint256,bytes)"](alice, bob, id, "0x1234"),
      )
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTransferBlocked")
        .withArgs(alice.address, bob.address, id);
    });

    it("a transfer attempted by a third party reverts with CreditLedgerTransferBlocked too", async function () {
      const { ledger, alice, bob, id } = await loadFixture(openedFixture);
      await expect(ledger.connect(bob).transferFrom(alice, bob, id))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerTransferBlocked")
        .withArgs(alice.address, bob.address, id);
    });

    it("a transfer of a nonexistent token reverts with ERC721NonexistentToken", async function () {
      const { ledger, bob, carol } = await loadFixture(openedFixture);
      const id = tokenIdOf(carol.address);
      await expect(ledger.connect(bob).transferFrom(carol, bob, id))
        .to.be.revertedWithCustomError(ledger, "ERC721NonexistentToken")
        .withArgs(id);
    });

    it("approve reverts with CreditLedgerApprovalBlocked", async function () {
      const { ledger, alice, bob, id } = await loadFixture(openedFixture);
      await expect(ledger.connect(alice).approve(bob, id))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerApprovalBlocked")
        .withArgs(bob.address, id);
    });

    it("setApprovalForAll reverts with CreditLedgerApprovalForAllBlocked", async function () {
      const { ledger, alice, bob } = await loadFixture(openedFixture);
      await expect(ledger.connect(alice).setApprovalForAll(bob, true))
        .to.be.revertedWithCustomError(ledger, "CreditLedgerApprovalForAllBlocked")
        .withArgs(bob.address, true);
      expect(await ledger.isApprovedForAll(alice, bob)).to.equal(false);
      expect(await ledger.getApproved(tokenIdOf(alice.address))).to.equal(ethers.ZeroAddress);
    });
  });

  describe("#tokenURI", function () {
    it("reverts for a nonexistent token", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      const id = tokenIdOf(alice.address);
      await expect(ledger.tokenURI(id))
        .to.be.revertedWithCustomError(ledger, "ERC721NonexistentToken")
        .withArgs(id);
    });

    it("decodes to JSON with the holder, purchased, granted and spendable credits and an SVG image", async function () {
      const { ledger, spender, issuer, alice, usdc } = await loadFixture(deployLedgerFixture);
      await usdc.mint(alice, 12n * CREDIT);
      await usdc.connect(alice).approve(ledger, 12n * CREDIT);
      await ledger.connect(alice).buyCreditsWithToken(alice, usdc, 12n * CREDIT);
      const t = await now();
      await ledger.connect(issuer).grant(alice, 345_678n, t + DAY);
      await ledger.connect(issuer).grant(alice, 5n * CREDIT, t + 2n * DAY);

      const meta = decodeTokenURI(await ledger.tokenURI(tokenIdOf(alice.address)));
      expect(meta.name).to.equal(`Compute Credits ${alice.address.toLowerCase()}`);
      expect(meta.description).to.contain("6 decimals");
      expect(meta.attributes).to.deep.equal([
        { trait_type: "Purchased credits", display_type: "number", value: 12_000_000 },
        { trait_type: "Granted credits", display_type: "number", value: 5_345_678 },
        { trait_type: "Spendable credits", display_type: "number", value: 17_345_678 },
      ]);
      const svg = decodeSvg(meta.image);
      expect(svg).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).to.contain(">17.345678<");
      expect(svg).to.contain(alice.address.toLowerCase());

      // After the first grant expires, granted and spendable drop although nothing was swept yet.
      await time.increaseTo(t + DAY);
      const later = decodeTokenURI(await ledger.tokenURI(tokenIdOf(alice.address)));
      expect(later.attributes.map((a) => a.value)).to.deep.equal([12_000_000, 5_000_000, 17_000_000]);
      expect(decodeSvg(later.image)).to.contain(">17.000000<");

      // Inside a transaction, spendable credits exclude the holds of that transaction.
      const receipt = await runSteps(spender, [
        await holdStep(alice, 7n * CREDIT, await now()),
        await callStep(ledger, ledger.interface.encodeFunctionData("tokenURI", [tokenIdOf(alice.address)])),
      ]);
      const log = receipt.logs.map((l) => spender.interface.parseLog(l)).find((p) => p?.name === "Called");
      const [uri] = ledger.interface.decodeFunctionResult("tokenURI", log?.args.result as string);
      const during = decodeTokenURI(uri as string);
      expect(during.attributes.map((a) => a.value)).to.deep.equal([12_000_000, 5_000_000, 10_000_000]);
    });

    it("shows zero credits for an empty account", async function () {
      const { ledger, alice } = await loadFixture(deployLedgerFixture);
      await ledger.connect(alice).openAccount();
      const meta = decodeTokenURI(await ledger.tokenURI(tokenIdOf(alice.address)));
      expect(meta.attributes.map((a) => a.value)).to.deep.equal([0, 0, 0]);
      expect(decodeSvg(meta.image)).to.contain(">0.000000<");
    });
  });
});
