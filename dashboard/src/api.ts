/** The indexer's JSON API (indexer/api-types.ts), fetched from the server that serves this page. */
import type {
  ApiDao,
  ApiError,
  ApiExportList,
  ApiSponsor,
  ApiSponsors,
  ApiStatus,
  ApiTotals,
  ApiUser,
} from "../../indexer/api-types";

export type * from "../../indexer/api-types";

/** An API answer that is not 2xx: its `error` message. */
export class ApiRequestError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) {
    let message = `${path} answered HTTP ${response.status}`;
    try {
      const body = (await response.json()) as Partial<ApiError>;
      if (typeof body.error === "string") message = body.error;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiRequestError(path, response.status, message);
  }
  return (await response.json()) as T;
}

export const api = {
  status: () => get<ApiStatus>("/api/status"),
  totals: () => get<ApiTotals>("/api/totals"),
  sponsors: () => get<ApiSponsors>("/api/sponsors"),
  sponsor: (address: string) => get<ApiSponsor>(`/api/sponsors/${encodeURIComponent(address)}`),
  dao: () => get<ApiDao>("/api/dao"),
  user: (address: string) => get<ApiUser>(`/api/users/${encodeURIComponent(address)}`),
  exports: () => get<ApiExportList>("/api/export"),
};
