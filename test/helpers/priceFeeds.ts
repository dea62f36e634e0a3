import { ethers } from "hardhat";
import type { AddressLike, BigNumberish } from "ethers";

import type { MockV3Aggregator, TestFeed } from "../../typechain-types";
import type { IPriceAdapter } from "../../typechain-types/contracts/oracle/PriceAdapter";

/** `TestFeed.Mode`, in declaration order. */
export const FeedMode = { Normal: 0, Revert: 1, ShortData: 2, Malformed: 3, BurnGas: 4 } as const;

/** One whole unit in 18 decimals (a WAD). */
export const WAD = 10n ** 18n;

/** Deploys a Chainlink `MockV3Aggregator` with `decimals` and an initial answer (updatedAt = now). */
export async function deployMockFeed(decimals: number, answer: BigNumberish): Promise<MockV3Aggregator> {
  const feed = await ethers.deployContract("MockV3Aggregator", [decimals, answer]);
  await feed.waitForDeployment();
  return feed;
}

/** Deploys a `TestFeed` (a misbehaving feed) with `decimals`. */
export async function deployTestFeed(decimals: number): Promise<TestFeed> {
  const feed = await ethers.deployContract("TestFeed", [decimals]);
  await feed.waitForDeployment();
  return feed;
}

/** A `FeedConfig` struct for `PriceAdapter`. */
export function feedConfig(
  feed: AddressLike,
  heartbeat: BigNumberish,
  minAnswer: BigNumberish,
  maxAnswer: BigNumberish,
): IPriceAdapter.FeedConfigStruct {
  return { feed, heartbeat, minAnswer, maxAnswer };
}

/** `value` (a decimal string such as "3000.5") in a feed's `decimals`. */
export function answer(value: string, decimals: number): bigint {
  return ethers.parseUnits(value, decimals);
}
