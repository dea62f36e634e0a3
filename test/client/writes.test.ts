import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import { BaseError, createWalletClient, custom, getAddress } from "viem";
import type { Address } from "viem";
import { waitForTransactionReceipt } from "viem/actions";
import { hardhat } from "viem/chains";

import {
  CreditEventIndexer,
  buyWithEth,
  createCreditsClient,
  grant,
  ledgerEvents,
  purchasedCredits,
  revertOf,
  revokeAllowance,
  setAllowance,
} from "../../src/client";
import type { CreditWallet } from "../../src/client";
import { CREDIT } from "../helpers/system";
import { NEVER, clientFixture } from "./fixture";

describe("client write path", function () {
  function walletOf(account: Address): CreditWallet {
    return createWalletClient({ account, chain: hardhat, transport: custom(network.provider) });
  }

  async function fixture() {
    const f = await clientFixture();
    const issuer = getAddress(await f.sys.issuer.getAddress());
    const credits = await createCreditsClient({ publicClient: f.publicClient, paymaster: f.paymaster });
    return { ...f, issuer, credits };
  }

  it("buys with ETH, grants and allows; the indexer rebuilds the account from the receipts", async function () {
    const { publicClient, ledger, dapp, issuer, stranger, credits } = await loadFixture(fixture);
    const account = getAddress(stranger.account.address);
    const indexer = new CreditEventIndexer();
    const wait = (hash: `0x${string}`) => waitForTransactionReceipt(publicClient, { hash });

    const bought = await wait(await buyWithEth(walletOf(dapp), { ledger, account, value: 10n ** 16n }));
    expect(bought.status).to.equal("success");
    const purchased = purchasedCredits(bought, ledger);
    expect(purchased).to.equal(30n * CREDIT);
    indexer.apply(ledger, bought.logs);

    const expiresAt = BigInt(NEVER);
    const granted = await wait(
      await grant(walletOf(issuer), { ledger, account, amount: 5n * CREDIT, expiresAt }),
    );
    indexer.apply(ledger, granted.logs);
    expect(indexer.accounts.get(account)).to.deep.equal({
      purchased,
      buckets: [{ amount: 5n * CREDIT, expiry: expiresAt }],
    });
    expect(await credits.balanceOfCredits(account)).to.equal(purchased + 5n * CREDIT);

    const allowed = await wait(
      await setAllowance(walletOf(dapp), {
        ledger,
        beneficiary: account,
        perEpoch: 2n * CREDIT,
        epochLength: 86_400n,
        expiresAt,
      }),
    );
    expect(ledgerEvents(allowed, ledger).map((e) => e.eventName)).to.deep.equal(["AllowanceSet"]);
    expect((await credits.allowance(dapp, account)).limit).to.equal(2n * CREDIT);
    await wait(await revokeAllowance(walletOf(dapp), { ledger, beneficiary: account }));
    expect((await credits.allowance(dapp, account)).limit).to.equal(0n);
  });

  it("fails before sending, naming the ledger's custom error", async function () {
    const { ledger, dapp, stranger } = await loadFixture(fixture);
    const error = await grant(walletOf(dapp), {
      ledger,
      account: getAddress(stranger.account.address),
      amount: CREDIT,
      expiresAt: BigInt(NEVER),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(BaseError);
    expect(revertOf(error)?.errorName).to.equal("AccessControlUnauthorizedAccount");
  });
});
