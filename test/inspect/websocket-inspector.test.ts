import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { createCrewInspector, type CrewInspector } from '../../src/index.js';
import { delegatingCrew, twoAgentCrew } from './fixtures/crews.js';
import { startInspectionServer, type InspectionServer } from './fixtures/ws-server.js';

let server: InspectionServer | undefined;
let inspector: CrewInspector | undefined;

afterEach(async () => {
  await inspector?.stop();
  await server?.close();
  inspector = server = undefined;
});

const poll = { timeout: 5_000, interval: 20 };

describe('createCrewInspector', () => {
  it('shows the crew, every task and every agent of a sequential run as actors', async () => {
    server = await startInspectionServer();
    inspector = createCrewInspector({ url: server.url });
    const { crew, taskIds, agentIds } = twoAgentCrew();

    const output = await crew.kickoff({}, { inspect: inspector.inspect });
    await inspector.stop();

    expect(output.raw).toBe('Squid article');
    const names = [...taskIds.map((id) => `task:${id}`), ...agentIds.map((id) => `agent:${id}`)];
    await expect.poll(server.actorNames, poll).toEqual(expect.arrayContaining(['crew.sequential', ...names]));
    const root = server.sessionOf('crew.sequential');
    for (const name of names) {
      expect(server.messages.find((m) => m.name === name)?.parentId, name).toBe(root);
    }
    // The researcher's tool ran in its task's loop, whose snapshots carry the tool's result.
    expect(server.messages.some((m) => JSON.stringify(m).includes('fact about squid'))).toBe(true);
    const rootSnapshots = server.messages.filter(
      (m) => m.type === '@xstate.snapshot' && m.sessionId === root,
    );
    expect(rootSnapshots.at(-1)?.snapshot?.status).toBe('done');
  });

  it('shows the manager and its delegate_work / ask_question events in a hierarchical run', async () => {
    server = await startInspectionServer();
    inspector = createCrewInspector({ url: server.url });
    const { crew } = delegatingCrew();

    await crew.kickoff({}, { inspect: inspector.inspect });
    await inspector.stop();

    await expect
      .poll(server.actorNames, poll)
      .toEqual(
        expect.arrayContaining([
          'crew.hierarchical',
          'manager',
          'task:report',
          'agent:researcher',
          'agent:writer',
        ]),
      );
    const sentTo = (type: string) =>
      server!.messages.find((m) => m.type === '@xstate.event' && m.event?.type === type)?.sessionId;
    await expect.poll(() => sentTo('delegate_work'), poll).toBe(server.sessionOf('agent:researcher'));
    await expect.poll(() => sentTo('ask_question'), poll).toBe(server.sessionOf('agent:writer'));
  });

  it('keeps messages while no server listens and delivers them to one started late, on stop()', async () => {
    const early = await startInspectionServer();
    await early.close();
    inspector = createCrewInspector({ url: early.url, reconnectDelay: 60_000 });

    await twoAgentCrew().crew.kickoff({}, { inspect: inspector.inspect });
    expect(inspector.connected).toBe(false);
    server = await startInspectionServer(early.port);
    await inspector.stop();

    await expect
      .poll(server.actorNames, poll)
      .toEqual(expect.arrayContaining(['crew.sequential', 'task:write']));
  });

  it('makes its last attempt after one still under way at stop() fails, so a server started meanwhile gets it all', async () => {
    // A TCP server that takes the connection but never answers the WebSocket handshake.
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    inspector = createCrewInspector({ url: `ws://127.0.0.1:${port}`, reconnectDelay: 60_000 });
    await twoAgentCrew().crew.kickoff({}, { inspect: inspector.inspect });
    await expect.poll(() => held.length, poll).toBe(1);

    const stopped = inspector.stop();
    // Let stop() begin waiting for the attempt under way (it first lets queued conversions run).
    await new Promise((resolve) => setTimeout(resolve, 50));
    silent.close(); // stops listening at once; its callback would wait for the held connection
    server = await startInspectionServer(port);
    for (const socket of held) socket.destroy();
    await stopped;

    await expect
      .poll(server.actorNames, poll)
      .toEqual(expect.arrayContaining(['crew.sequential', 'task:write']));
  });

  it('reports an unreachable server once, and the run still succeeds', async () => {
    const errors: string[] = [];
    inspector = createCrewInspector({
      url: 'ws://127.0.0.1:1',
      reconnectDelay: 10,
      onError: (e) => errors.push(e.message),
    });
    const output = await twoAgentCrew().crew.kickoff({}, { inspect: inspector.inspect });
    await inspector.stop();
    expect(output.raw).toBe('Squid article');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
  });

  it('refuses a URL that is not ws:// or wss://', () => {
    expect(() => createCrewInspector({ url: 'http://127.0.0.1:8080' })).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe("@statelyai/inspect's own createWebSocketInspector", () => {
  it('receives every actor too (kickoff filters before it serialises)', async () => {
    server = await startInspectionServer();
    const stately = createWebSocketInspector({ url: server.url });
    try {
      const { crew } = twoAgentCrew();
      await crew.kickoff({}, { inspect: stately.inspect });
      await expect
        .poll(server.actorNames, poll)
        .toEqual(
          expect.arrayContaining(['crew.sequential', 'task:research', 'task:write', 'agent:researcher']),
        );
    } finally {
      stately.stop();
    }
  });
});
