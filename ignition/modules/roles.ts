import { ZeroHash, id } from "ethers";

/** AccessControl role ids used by the deployment modules (OpenZeppelin: `keccak256("<NAME>")`, admin = 0x00). */
export const ROLES = {
  DEFAULT_ADMIN_ROLE: ZeroHash,
  ISSUER_ROLE: id("ISSUER_ROLE"),
  GUARDIAN_ROLE: id("GUARDIAN_ROLE"),
  RECOVERY_ROLE: id("RECOVERY_ROLE"),
  PROPOSER_ROLE: id("PROPOSER_ROLE"),
  EXECUTOR_ROLE: id("EXECUTOR_ROLE"),
  CANCELLER_ROLE: id("CANCELLER_ROLE"),
} as const;
