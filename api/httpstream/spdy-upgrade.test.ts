import { describe, expect, it } from 'vitest';
import { PORT_FORWARD_PROTOCOL } from './port-forward.js';
import { SPDY_REMOTE_COMMAND_PROTOCOLS } from './remote-command.js';
import { isSpdyUpgrade, spdyHandshake } from './spdy-upgrade.js';

describe('the SPDY upgrade handshake', () => {
  // kubectl 1.27's exec request, as Node parses it (repeated headers joined by ", ").
  const exec = {
    connection: 'Upgrade',
    upgrade: 'SPDY/3.1',
    'x-stream-protocol-version': 'v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io',
  };

  it('recognises the upgrade', () => {
    expect(isSpdyUpgrade(exec)).toBe(true);
    expect(isSpdyUpgrade({ connection: 'keep-alive, Upgrade', upgrade: 'spdy/3.1' })).toBe(true);
    expect(isSpdyUpgrade({ connection: 'Upgrade', upgrade: 'websocket' })).toBe(false);
  });

  it('answers 101 with the chosen version', () => {
    const result = spdyHandshake(exec, SPDY_REMOTE_COMMAND_PROTOCOLS);
    expect(result).toMatchObject({ ok: true, protocol: 'v4.channel.k8s.io' });
    expect(result.response).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    expect(spdyHandshake({ ...exec, 'x-stream-protocol-version': PORT_FORWARD_PROTOCOL }, [PORT_FORWARD_PROTOCOL])).toMatchObject({ ok: true, protocol: 'portforward.k8s.io' });
  });

  it('answers 403 listing what it accepts when nothing matches', () => {
    const result = spdyHandshake({ ...exec, 'x-stream-protocol-version': 'v9.channel.k8s.io' }, [PORT_FORWARD_PROTOCOL]);
    expect(result.ok).toBe(false);
    expect(result.response).toMatch(/^HTTP\/1.1 403 Forbidden\r\nX-Accepted-Stream-Protocol-Versions: portforward.k8s.io\r\n/);
    expect(result.response).toMatch(/unable to negotiate protocol: client supports \[v9.channel.k8s.io\], server supports \[portforward.k8s.io\]$/);
  });
});
