// The loopback fake OpenAI server in its own process, so its CPU is not charged to the client being
// measured. Prints `@@URL <url>` when listening; exits when stdin closes (its parent went away).
import { startFakeOpenAI } from './statecrew.js';

const server = await startFakeOpenAI({
  handler: (request) => {
    // The server records every request; drop them so a long benchmark does not grow its heap.
    if (server && server.requests.length > 1000) server.requests.length = 0;
    void request;
    return { content: 'ok', usage: { prompt_tokens: 10, completion_tokens: 5 } };
  },
});
process.stdout.write(`@@URL ${server.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.on('close', () => void server.close().then(() => process.exit(0)));
