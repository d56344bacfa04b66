import type { Scope } from "../schemas/index.js";
import { token } from "./ids.js";

export interface ApiKey {
  /** Public id of the key, used as `deletedBy`; never the secret. */
  id: string;
  secret: string;
  organizationId: string;
  scopes: Set<Scope>;
}

/** The API keys an emulator accepts: the seeded one, and those made by `POST /_emulator/keys`. */
export class Keys {
  /** Organization `org_demo`, every scope. */
  readonly seeded: ApiKey;
  readonly #keys = new Map<string, ApiKey>();

  constructor(seededSecret: string) {
    this.seeded = {
      id: "key_demo",
      secret: seededSecret,
      organizationId: "org_demo",
      scopes: new Set(["game-servers:read", "game-servers:write", "game-console:read_write", "game-logs:read"]),
    };
    this.reset();
  }

  /** Forgets every key but the seeded one, which works again if it was revoked. */
  reset(): void {
    this.#keys.clear();
    this.#keys.set(this.seeded.secret, this.seeded);
  }

  create(organizationId: string, scopes: Scope[]): ApiKey {
    const key: ApiKey = { id: `key_${token(8)}`, secret: `gsk_emu_${token(24)}`, organizationId, scopes: new Set(scopes) };
    this.#keys.set(key.secret, key);
    return key;
  }

  /** Revokes a key (the seeded one too, until the next reset): every later request with it is 401. */
  revoke(secret: string): boolean {
    return this.#keys.delete(secret);
  }

  authenticate(secret: string | undefined): ApiKey | undefined {
    return secret === undefined ? undefined : this.#keys.get(secret);
  }
}
