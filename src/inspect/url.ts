/** Whether `url` is a string that parses as a `ws://` or `wss://` URL (what an inspector server listens on). */
export function isWebSocketUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'ws:' || protocol === 'wss:';
  } catch {
    return false;
  }
}
