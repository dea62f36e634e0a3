import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { network } from "hardhat";
import { createWalletClient, custom, getAddress } from "viem";
import type { Address, Hash } from "viem";
import { waitForTransactionReceipt } from "viem/actions";
import { hardhat } from "viem/chains";

import {
  readPaymasterConfig,
  revertOf,
  setPaymasterConfig,
  setPaymasterGuardian,
  setPaymasterPaused,
} from "../../src/client";
import type { CreditWallet } from "../../src/client";
import { encodeSetPaymasterConfig } from "../../src/client/governance";
import { clientFixture } from "./fixture";

describe("client paymaster administration", function () {
  function walletOf(account: Address): CreditWallet {
    return createWalletClient({ account, chain: hardhat, transport: custom(network.provider) });
  }

  async function fixture() {
    const f = await clientFixture();
    return {
      ...f,
      owner: walletOf(getAddress(await f.sys.admin.getAddress())),
      guardian: walletOf(getAddress(await f.sys.guardian.getAddress())),
      outsider: walletOf(getAddress(await f.sys.outsider.getAddress())),
    };
  }

  it("sets the config, guardians and the pause; refuses callers without the right before sending", async function () {
    const { publicClient, paymaster, owner, guardian, outsider, sys } = await loadFixture(fixture);
    const wait = (hash: Hash) => waitForTransactionReceipt(publicClient, { hash });

    const config = await readPaymasterConfig(publicClient, paymaster);
    await wait(await setPaymasterConfig(owner, { paymaster, config: { ...config, markupBps: 11_000n } }));
    expect((await readPaymasterConfig(publicClient, paymaster)).markupBps).to.equal(11_000n);
    expect(encodeSetPaymasterConfig(config).function).to.match(/^setConfig\(\(uint24,uint32,/);

    await wait(await setPaymasterPaused(guardian, { paymaster, paused: true }));
    expect((await readPaymasterConfig(publicClient, paymaster)).paused).to.equal(true);
    // A guardian may pause, not resume.
    const refused = await setPaymasterPaused(guardian, { paymaster, paused: false }).catch((e: unknown) => e);
    expect(revertOf(refused)?.errorName).to.equal("CreditPaymasterUnauthorizedGuardian");
    await wait(await setPaymasterPaused(owner, { paymaster, paused: false }));

    await wait(
      await setPaymasterGuardian(owner, { paymaster, guardian: outsider.account.address, allowed: true }),
    );
    await wait(await setPaymasterPaused(outsider, { paymaster, paused: true }));
    expect((await sys.paymaster.config()).paused).to.equal(true);

    const notOwner = await setPaymasterConfig(outsider, { paymaster, config }).catch((e: unknown) => e);
    expect(revertOf(notOwner)?.errorName).to.equal("OwnableUnauthorizedAccount");
  });
});
