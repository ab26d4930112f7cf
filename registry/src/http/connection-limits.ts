import type http from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  /** 0: no cap. */
  maxConnectionsPerAddress: number;
}

/**
 * Slow and stalled clients cannot pin the server: headers must arrive within headersTimeoutMs (node checks
 * every quarter of it), a connection idle in either direction for idleTimeoutMs is closed (a stalled upload
 * body included: the session keeps what it received and can be resumed), and one address holds at most
 * maxConnectionsPerAddress sockets — `server.maxConnections` is global, so sockets are counted per
 * remoteAddress here and the surplus is dropped before a byte is parsed.
 */
export function applyConnectionLimits(server: http.Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = 0; // large uploads may take hours; the idle timeout catches the stalled ones
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => socket.destroy());
  if (limits.maxConnectionsPerAddress <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}

/** node's periodic check of headers timeouts runs this often (its 30 s default would outlive short timeouts). */
export function connectionsCheckingInterval(limits: ConnectionLimits): number {
  return Math.max(100, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4)));
}
