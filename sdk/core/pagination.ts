import type { GameServer, ListGameServersResponse } from "../schemas/index.js";

/**
 * What `gameServers.list()` returns: await it for one page, or iterate it with `for await` for
 * every server across all pages (`.pages()` yields the pages themselves). Nothing is fetched
 * until it is awaited or iterated.
 */
export class PagePromise implements Promise<ListGameServersResponse>, AsyncIterable<GameServer> {
  readonly [Symbol.toStringTag] = "PagePromise";
  readonly #fetchPage: (page: number) => Promise<ListGameServersResponse>;
  readonly #startPage: number;
  #first: Promise<ListGameServersResponse> | undefined;

  constructor(fetchPage: (page: number) => Promise<ListGameServersResponse>, startPage: number) {
    this.#fetchPage = fetchPage;
    this.#startPage = startPage;
  }

  #firstPage(): Promise<ListGameServersResponse> {
    this.#first ??= this.#fetchPage(this.#startPage);
    return this.#first;
  }

  // biome-ignore lint/suspicious/noThenProperty: awaitable on purpose, like the Stainless SDKs' PagePromise
  then<R1 = ListGameServersResponse, R2 = never>(
    onfulfilled?: ((value: ListGameServersResponse) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#firstPage().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<ListGameServersResponse | R> {
    return this.#firstPage().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<ListGameServersResponse> {
    return this.#firstPage().finally(onfinally);
  }

  /** Every page from the requested one to the last. */
  async *pages(): AsyncGenerator<ListGameServersResponse> {
    let page = await this.#firstPage();
    for (;;) {
      yield page;
      if (page.items.length === 0 || page.page * page.pageSize >= page.total) return;
      page = await this.#fetchPage(page.page + 1);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GameServer> {
    for await (const page of this.pages()) yield* page.items;
  }
}
