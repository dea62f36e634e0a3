import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { artifacts, network } from "hardhat";
import type { RequestArguments } from "hardhat/types";
import { createPublicClient, createWalletClient, custom, getAddress } from "viem";
import type { Hex } from "viem";
import { hardhat } from "viem/chains";

import { createPaymasterService, localPriceKeeperFor } from "../../src/service";
import type { LocalPriceKeeper, LogRecord, PaymasterService } from "../../src/service";
import { TestFeed__factory } from "../../typechain-types";
import { ETH_USD } from "../helpers/system";
import { clientFixture, rpcUserOperation, userOperation } from "../client/fixture";
import type { ClientFixture } from "../client/fixture";

const LOCAL = { chainId: 31_337, transport: custom(network.provider) } as const;

describe("paymaster service: a local chain's price keeper (issue 17 item 6)", function () {
  async function fixture() {
    const fx = await clientFixture();
    const [, , , feedUpdatedAt] = await fx.sys.feed.latestRoundData();
    return { fx, feedUpdatedAt };
  }

  async function keeper(): Promise<LocalPriceKeeper> {
    const { keeper: found, problem } = await localPriceKeeperFor(LOCAL);
    expect(problem).to.equal(undefined);
    return found!;
  }

  async function service(fx: ClientFixture, localPriceKeeper?: LocalPriceKeeper) {
    const logs: LogRecord[] = [];
    const client = createPublicClient({
      chain: hardhat,
      transport: custom(network.provider),
      pollingInterval: 50,
    });
    const created: PaymasterService = await createPaymasterService({
      client,
      chainId: 31_337,
      paymasters: [fx.paymaster],
      ledger: fx.ledger,
      log: (record) => logs.push(record),
      ...(localPriceKeeper === undefined ? {} : { localPriceKeeper }),
    });
    return { service: created, logs };
  }

  async function stub(fx: ClientFixture, svc: PaymasterService) {
    const params = [
      rpcUserOperation(userOperation(fx, fx.sponsored)),
      fx.entryPoint,
      "0x7a69",
      { mode: "SPONSORED", sponsor: fx.dapp },
    ];
    const answer = await svc.handleRpc(
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "pm_getPaymasterStubData", params }),
    );
    return JSON.parse(answer.body!) as { result?: { paymaster: string }; error?: { code: number } };
  }

  it("hours later, a request finds the price stale: the mock feed and the cache are renewed and it is answered", async function () {
    const { fx, feedUpdatedAt } = await loadFixture(fixture);
    const { service: svc, logs } = await service(fx, await keeper());
    expect(logs.map((l) => [l.event, l.kept])).to.deep.equal([["localPriceKeeper", true]]);
    await time.increaseTo(feedUpdatedAt + 3n * 3_600n);
    const answer = await stub(fx, svc);
    expect(answer.result?.paymaster).to.equal(fx.paymaster);
    const [, answerNow, , renewedAt] = await fx.sys.feed.latestRoundData();
    expect(answerNow).to.equal(ETH_USD);
    expect(renewedAt).to.be.greaterThan(feedUpdatedAt + 3n * 3_600n);
    const [, cachedAt] = await fx.sys.adapter.cachedPrice();
    expect(cachedAt).to.be.greaterThan(renewedAt - 1n);
    const renewed = logs.filter((l) => l.event === "localPriceRenewed");
    expect(renewed).to.have.length(1);
    expect(renewed[0]).to.include({
      level: "info",
      adapter: fx.adapter,
      feed: getAddress(await fx.sys.feed.getAddress()),
      answer: ETH_USD.toString(),
      message:
        "local chain: renewed the mock ETH/USD feed (same answer, fresh timestamp) and refreshed the cached price",
    });
    // Fresh again: the next request renews nothing.
    expect((await stub(fx, svc)).result?.paymaster).to.equal(fx.paymaster);
    expect(logs.filter((l) => l.event === "localPriceRenewed")).to.have.length(1);
  });

  it("without the keeper the same request is refused as stale (-32011)", async function () {
    const { fx, feedUpdatedAt } = await loadFixture(fixture);
    const { service: svc } = await service(fx);
    await time.increaseTo(feedUpdatedAt + 3n * 3_600n);
    expect((await stub(fx, svc)).error?.code).to.equal(-32011);
  });

  it("renews a stale price at start, and /health is ok hours later", async function () {
    const { fx, feedUpdatedAt } = await loadFixture(fixture);
    await time.increaseTo(feedUpdatedAt + 2n * 3_600n);
    const { service: svc, logs } = await service(fx, await keeper());
    expect(logs.map((l) => l.event)).to.deep.equal(["localPriceKeeper", "localPriceRenewed"]);
    const [, cachedAt] = await fx.sys.adapter.cachedPrice();
    expect(cachedAt).to.be.greaterThan(feedUpdatedAt + 2n * 3_600n);
    await time.increase(5 * 3_600);
    const health = await svc.health();
    expect(health.status).to.equal(200);
    expect((JSON.parse(health.body!) as { status: string }).status).to.equal("ok");
  });

  it("never touches an adapter whose feed is not the local mock: it says so, and requests stay refused", async function () {
    const { fx } = await loadFixture(fixture);
    const other = await new TestFeed__factory(fx.sys.admin).deploy(8);
    const now = BigInt(await time.latest());
    await (await other.setRoundData(5, ETH_USD, now, now)).wait();
    await (
      await fx.sys.adapter.setPrimaryFeed({
        feed: other,
        heartbeat: 3_600,
        minAnswer: 1n,
        maxAnswer: 10n ** 14n,
      })
    ).wait();
    await (await fx.sys.adapter.refreshCachedPrice()).wait();
    const { service: svc, logs } = await service(fx, await keeper());
    expect(logs).to.have.length(1);
    expect(logs[0]).to.include({
      level: "warn",
      event: "localPriceKeeper",
      adapter: fx.adapter,
      kept: false,
      message: "the adapter's primary feed is not the local MockV3Aggregator: never renewed by this service",
    });
    const cached = await fx.sys.adapter.cachedPrice();
    await time.increase(3 * 3_600);
    expect((await stub(fx, svc)).error?.code).to.equal(-32011);
    expect(await other.latestRoundData()).to.deep.equal([5n, ETH_USD, now, now, 5n]);
    expect(await fx.sys.adapter.cachedPrice()).to.deep.equal(cached);
    expect(logs.filter((l) => l.event === "localPriceRenewed")).to.deep.equal([]);
  });

  it("refuses to start with a keeper on a chain that is not local", async function () {
    const { fx } = await loadFixture(fixture);
    const mainnetLike = custom({
      request: (args: RequestArguments) =>
        args.method === "eth_chainId" ? Promise.resolve("0x1") : network.provider.request(args),
    });
    const local = await keeper();
    let failure: unknown;
    try {
      await createPaymasterService({
        client: createPublicClient({ transport: mainnetLike }),
        chainId: 1,
        paymasters: [fx.paymaster],
        localPriceKeeper: {
          ...local,
          wallet: createWalletClient({ account: local.wallet.account, transport: mainnetLike }),
        },
        log: () => undefined,
      });
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.equal(
      "the local price keeper renews a local chain's mock feed (chain 31337) only; this service serves chain 1, " +
        "whose feeds are updated by their oracles",
    );
  });

  describe("localPriceKeeperFor (what the CLI starts with)", function () {
    it("on chain 31337: the node's first account and the mock's code from the artifacts", async function () {
      const found = await keeper();
      const [first] = (await network.provider.request({ method: "eth_accounts" })) as string[];
      expect(found.wallet.account.address).to.equal(getAddress(first));
      expect(found.mockCode).to.equal(
        (await artifacts.readArtifact("MockV3Aggregator")).deployedBytecode as Hex,
      );
    });

    it("on any other chain: none, without an RPC call", async function () {
      const calls: string[] = [];
      const transport = custom({
        request: (args: RequestArguments) => {
          calls.push(args.method);
          return network.provider.request(args);
        },
      });
      expect(await localPriceKeeperFor({ chainId: 8453, transport })).to.deep.equal({});
      expect(calls).to.deep.equal([]);
    });

    it("says why there is none when the artifacts are missing", async function () {
      const result = await localPriceKeeperFor({ ...LOCAL, root: "/nonexistent" });
      expect(result.keeper).to.equal(undefined);
      expect(result.problem).to.match(
        /^no local price keeper: cannot read \/nonexistent\/artifacts\/@chainlink\/.*MockV3Aggregator\.json \(run `npx hardhat compile`\)/,
      );
    });
  });
});
