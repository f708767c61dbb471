/** The key under which a request's `fetchOptions` carry what to call as its response's bytes arrive. */
export const ON_BYTES = Symbol('statecrew.onBytes');

type WatchedInit = RequestInit & { [ON_BYTES]?: () => void };

/**
 * The fetch of the client `OpenAILLM` makes itself. A request whose `fetchOptions` hold `ON_BYTES` (the
 * SDK spreads them into fetch's init) hears of every piece of its response body as it arrives, so the
 * idle timeout counts from the last bytes received, not from the last parsed chunk: a stream's SSE
 * keep-alive comments keep it alive. Other requests get fetch's response as it is.
 */
export async function watchedFetch(url: string | URL | Request, init?: WatchedInit): Promise<Response> {
  const { [ON_BYTES]: onBytes, ...rest } = init ?? {};
  const response = await fetch(url, rest);
  if (!onBytes || !response.body) return response;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes();
        controller.enqueue(chunk);
      },
    }),
  );
  const watched = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // The SDK logs it; a Response built from parts has none of its own.
  Object.defineProperty(watched, 'url', { value: response.url });
  return watched;
}
